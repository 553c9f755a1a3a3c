"""How values are stored: times as UTC ISO 8601 text, names folded, addresses lower-cased.

Shared by the Store and the migrations, and by importers that match rows the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime

from coffeechat import clock
from coffeechat.text import fold

__all__ = ["as_utc", "fold", "normalize_email", "normalize_name", "now_iso", "stored_time"]


def now_iso() -> str:
    return clock.now().astimezone(UTC).isoformat(timespec="seconds")


def as_utc(at: str | None) -> str:
    """An ISO 8601 time as UTC, so that stored times sort as text. None means now."""
    if at is None:
        return now_iso()
    moment = datetime.fromisoformat(at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def stored_time(text: str | None) -> datetime | None:
    """An ISO 8601 timestamp from the store, aware (no offset is UTC); None if unreadable."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def normalize_email(address: str) -> str:
    return address.strip().lower()


def normalize_name(name: str) -> str:
    """A name as stored: each run of whitespace (tabs and no-break spaces too) one space,
    none at the ends, so that "Mary   O'Brien" is spelled, matched and mailed as one name."""
    return " ".join(name.split())
