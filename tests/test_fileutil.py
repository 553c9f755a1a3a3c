"""write_atomically: the whole new file or the old one, private by default."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from coffeechat.errors import UserError
from coffeechat.fileutil import write_atomically


def test_write_atomically_replaces_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("old")
    os.chmod(target, 0o644)

    write_atomically(target, "new\r\nline")

    assert target.read_bytes() == b"new\r\nline"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]
    write_atomically(target, "public", mode=0o644)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_write_atomically_names_the_path_on_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")

    with pytest.raises(UserError, match=r"cannot write .*a-file/out\.csv"):
        write_atomically(blocker / "out.csv", "text")


def test_write_atomically_never_creates_the_folder(tmp_path: Path) -> None:
    missing = tmp_path / "typo"

    with pytest.raises(UserError) as caught:
        write_atomically(missing / "out.csv", "text")

    assert str(caught.value) == (
        f"cannot write {missing / 'out.csv'}: the folder {missing} does not exist; "
        "create it first, or check the spelling"
    )
    assert not missing.exists()
