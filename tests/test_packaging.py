"""A plain (non-editable) install must carry the templates and the example config."""

import site
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_install_finds_templates_and_example_config(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # The running environment lends its site directories (the dependencies, and hatchling to build
    # with), so the test needs no network. It is put on the path by a plain .pth line, not as
    # a site directory, so its own .pth files -- the editable coffeechat among them -- stay
    # unread, and coffeechat must come from the wheel installed below.
    fresh_site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    lent = "\n".join(site.getsitepackages())
    (Path(fresh_site) / "lent-packages.pth").write_text(lent + "\n")
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
