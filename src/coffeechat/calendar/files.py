"""Where calendar files live and how they are written (atomically, readable by the user only)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import icalendar

from coffeechat.errors import CalendarError, UserError
from coffeechat.fileutil import write_atomically

FEED_FILE = "coffeechat.ics"
_UNSAFE = re.compile(r"[^A-Za-z0-9@._+-]+")
_MAX_STEM = 120


def feed_path(calendar_dir: Path) -> Path:
    """The reminder feed a calendar app subscribes to: `<calendar_dir>/coffeechat.ics`."""
    return calendar_dir / FEED_FILE


def meeting_path(calendar_dir: Path, uid: str) -> Path:
    """`<calendar_dir>/<uid>.ics` with the UID made safe as a file name.

    A UID may hold any text (RFC 5545 §3.8.4.7): slashes, dots at the start, control
    characters. Anything outside a safe set becomes "_"; a UID that had to change gains a
    short hash so two different UIDs never share a file.
    """
    stem = _UNSAFE.sub("_", uid).lstrip(".")[:_MAX_STEM]
    if stem != uid or not stem or stem == FEED_FILE.removesuffix(".ics"):
        digest = hashlib.sha256(uid.encode("utf-8")).hexdigest()[:10]
        stem = f"{stem or 'meeting'}-{digest}"
    return calendar_dir / f"{stem}.ics"


def write_calendar(path: Path, cal: icalendar.Calendar, *, create_folder: bool = True) -> Path:
    """Write `cal` to `path` atomically with mode 0600; return the path.

    The folder is created readable by the user only: the files name real people. Pass
    `create_folder=False` for a path the user typed, where a missing folder is a typo.
    """
    text = cal.to_ical().decode("utf-8")  # CRLF line ends as RFC 5545 §3.1 requires
    try:
        if create_folder:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as err:
        raise CalendarError(
            f"cannot create the calendar folder {path.parent}: {err.strerror or err}; "
            f"set paths.calendar_dir in the config to a folder you can write"
        ) from err
    try:
        write_atomically(path, text, mode=0o600)
    except UserError as err:
        raise CalendarError(str(err)) from err
    return path
