"""The backfill window of a first scan: which header blocks were written before a day.

A first scan reads only the mail of the last `mail.backfill_days` days. A message's day
is the one its Date field gives, disregarding time and zone, as IMAP's SENTSINCE has it
(RFC 3501 §6.4.4), so that a server's search and the client's reading of a block agree.
A block whose Date cannot be read is in the window: a message read for nothing costs
less than a reply missed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import date, timedelta

from coffeechat.mail.base import FetchedMessage

# The day of an RFC 5322 date (§3.3): "[Fri,] 5 Dec 2026 ...", name in any case.
_DATE_DAY = re.compile(
    rb"\n[Dd][Aa][Tt][Ee][ \t]*:[ \t]*(?:[A-Za-z]{3}[ \t]*,[ \t]*)?"
    rb"(\d{1,2}[ \t]+[A-Za-z]{3}[ \t]+\d{2,4})\b"
)
_MONTHS = {m: n for n, m in enumerate(b"jan feb mar apr may jun jul aug sep oct nov dec".split())}


def window_start(since_days: int | None, today: date | None = None) -> date | None:
    """The first day of a backfill of `since_days` days up to `today`; None: no window."""
    return None if since_days is None else (today or date.today()) - timedelta(days=since_days)


def written_since(since: date | None, batch: list[FetchedMessage]) -> list[FetchedMessage]:
    """The messages of `batch` written on `since` or later (all of them when None)."""
    if since is None:
        return batch
    older = written_before(since, {m.uid: m.headers for m in batch})
    return [m for m in batch if m.uid not in older]


def written_before(since: date, blocks: Mapping[int, bytes]) -> set[int]:
    """The keys of the header `blocks` whose Date is a day before `since`.

    Most batches of a backfill lie wholly inside the window: the few days they span are
    read from all their blocks at once, and only a batch with an older day is looked at
    block by block.
    """
    everything = b"\n".join([b"", *blocks.values()])  # every field starts after a "\n"
    older = {text for text in set(_DATE_DAY.findall(everything)) if _is_before(text, since)}
    if not older:
        return set()
    return {key for key, block in blocks.items() if _day_text(block) in older}


def _day_text(block: bytes) -> bytes | None:
    found = _DATE_DAY.search(b"\n" + block)
    return found[1] if found else None


def _is_before(text: bytes, since: date) -> bool:
    day = _day(text)
    return day is not None and day < since


@functools.lru_cache(maxsize=4096)  # a backfill reads thousands of Dates of a few hundred days
def _day(text: bytes) -> date | None:
    """b"5 Dec 2026" as a date; two-digit years as RFC 5322 §4.3 reads them."""
    day, month, year = text.split()
    number = int(year)
    if len(year) < 4:
        number += 2000 if number < 50 else 1900
    try:
        return date(number, _MONTHS[month.lower()] + 1, int(day))
    except (KeyError, ValueError):
        return None
