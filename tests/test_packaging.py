"""A plain (non-editable) install must carry the templates and the example config."""

import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_install_finds_templates_and_example_config(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    # System site-packages provide the dependencies, so the test needs no network;
    # coffeechat itself is installed into the venv from the source tree, not editable.
    venv.create(env_dir, with_pip=True, system_site_packages=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", str(ROOT)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    probe = (
        "import coffeechat, coffeechat.resources as r\n"
        "print(coffeechat.__file__)\n"
        "print(r.templates_dir())\n"
        "print(r.example_config())\n"
        "print(sorted(p.name for p in r.templates_dir().iterdir()))\n"
    )
    out = subprocess.run(
        [python, "-c", probe], check=True, capture_output=True, text=True, cwd=tmp_path
    ).stdout.splitlines()
    package_dir = Path(out[0]).parent
    assert str(env_dir) in out[0], "imported coffeechat from outside the fresh venv"
    assert Path(out[1]) == package_dir / "templates"
    assert Path(out[2]) == package_dir / "config.example.toml"
    assert "outreach.txt.j2" in out[3]
    help_text = subprocess.run(
        [env_dir / "bin" / "coffeechat", "--help"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout
    assert "Usage: coffeechat" in help_text
