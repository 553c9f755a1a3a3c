"""Writing files that users keep (exports, .ics, the config) without ever leaving half a file.

The pattern is khal's `vdir.atomic_write`: write a temporary file in the same folder (so the
final rename never crosses a file system), fsync it, then `os.replace` it over the target.
A crash or a full disk leaves either the old file or the new one, never a torn mix.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from coffeechat.errors import UserError


def write_atomically(path: Path, text: str, mode: int = 0o600) -> None:
    """Replace `path` with `text` (UTF-8, newlines written as given) atomically.

    The file gets `mode` (0600 by default: exports hold names, addresses and notes about
    real people) before a byte of `text` is written to it.

    The folder must exist: a missing one is usually a typo in a path the user gave, and
    quietly creating it hides the file where nobody will look. Callers that own a folder
    (the calendar folder, init's config folder) create it themselves first.
    """
    path = Path(path).expanduser()
    folder = path.parent
    try:
        fd, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except FileNotFoundError as err:
        raise UserError(
            f"cannot write {path}: the folder {folder} does not exist; "
            "create it first, or check the spelling"
        ) from err
    except OSError as err:
        raise UserError(
            f"cannot write {path}: {err.strerror or err}; check that {folder} exists "
            f"and is writable"
        ) from err
    try:
        # newline="" so that "\r\n" in a CSV (RFC 4180) is written as given, not doubled.
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise UserError(
            f"cannot write {path}: {err.strerror or err}; check the free space and the "
            f"permissions of {folder}"
        ) from err
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; not every platform can open a folder, so best effort."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
