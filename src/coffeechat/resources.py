"""Files shipped with coffeechat: templates, the example config, demo data.

In a wheel they sit inside the package (pyproject's force-include); in a source checkout
(an editable install, or the tests) they sit at the top of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent.parent


def _shipped(name: str) -> Path:
    for base in (_PACKAGE, _CHECKOUT):
        candidate = base / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"coffeechat is installed without its {name}; reinstall it")


def templates_dir() -> Path:
    return _shipped("templates")


def example_config() -> Path:
    return _shipped("config.example.toml")


def data_file(name: str) -> Path:
    """A file under the package's own `data/` folder (question bank, demo contacts)."""
    return _PACKAGE / "data" / name
