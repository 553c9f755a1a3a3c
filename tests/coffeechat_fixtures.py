"""Fixtures for running coffeechat in isolation: a temp home, a config, a CLI runner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from coffeechat.cli import main


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """No test may read or write the real home, config, data dir or keyring."""
    return isolate_home(tmp_path_factory.mktemp("home"), monkeypatch)


def isolate_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME, the XDG dirs and the keyring away from the real ones (see above)."""
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(home / name.lower()))
    monkeypatch.delenv("COFFEECHAT_CONFIG", raising=False)
    monkeypatch.delenv("COFFEECHAT_NOW", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return home


@dataclass
class Workspace:
    """A coffeechat set up in a temp folder: config, database, Maildir."""

    root: Path
    config_path: Path
    maildir: Path
    runner: CliRunner

    def run(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(
            main, ["--config", str(self.config_path), *args], input=input, catch_exceptions=False
        )

    @property
    def database(self) -> Path:
        return self.root / "coffeechat.db"

    def set_me(self, me: str) -> None:
        """Replace the [me] section with `me` (its lines, without the header)."""
        text = self.config_path.read_text()
        start, end = text.index("[me]"), text.index("[mail]")
        self.config_path.write_text(f"{text[:start]}[me]\n{me}\n\n{text[end:]}")


# Not alex@example.com: that is the example identity, which draft, schedule and watch refuse.
ME = '[me]\nname = "Alex Doe"\nemail = "alex.doe@example.org"\ntimezone = "Europe/Berlin"\n'


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """`coffeechat init --maildir` in a temp folder, with [me] filled in."""
    return make_workspace(tmp_path)


def make_workspace(root: Path) -> Workspace:
    """What the `workspace` fixture gives, in `root` (for fixtures of a wider scope)."""
    config_path = root / "config.toml"
    space = Workspace(root, config_path, root / "Mail", CliRunner())
    result = space.run(
        "init", "--maildir", str(space.maildir), "--database", str(root / "coffeechat.db")
    )
    assert result.exit_code == 0, result.output
    text = config_path.read_text()
    start = text.index("[me]")
    end = text.index("[mail]")
    config_path.write_text(text[:start] + ME + "\n" + text[end:])
    return space


RunCli = Callable[..., Result]
