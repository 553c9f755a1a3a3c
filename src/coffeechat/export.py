"""The spreadsheet the seeds recommend keeping, as CSV.

"Keep a spreadsheet with contact information, date, discussion summary, referrals, any
follow-up, etc." (seeds/004). One row per contact, built from the contact, its events,
messages and meetings; every aggregate is one query for all contacts, not one per contact.

Encoding: `export_csv` writes plain text to the stream it is given, with CRLF row ends
(RFC 4180). `export_csv_file` writes a file in UTF-8 *with* a byte order mark, because
Excel opens a BOM-less UTF-8 CSV as the local ANSI code page and garbles every accented
name; LibreOffice, Google Sheets, Numbers and Python's utf-8-sig read the BOM fine.
Standard output gets no BOM, so pipes to other tools see clean text.

Times: the database keeps UTC; the sheet shows the user's own wall-clock time (config
me.timezone) as "2026-12-04 21:00", which Excel, LibreOffice and Google Sheets read as a
date and time (most leave an ISO 8601 time with an offset as text). Dates (the summary's,
the next check-in) are that local day too: 21:00 in New York on the 4th is not the 5th.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TextIO

from coffeechat.fileutil import write_atomically
from coffeechat.models import Contact
from coffeechat.pipeline import AFTER_MEETING
from coffeechat.store import Store, stored_time

HEADER = (
    "ID",
    "Name",
    "Emails",
    "Company",
    "Role",
    "LinkedIn",
    "Tags",
    "How met",
    "Referred by",
    "Stage",
    "First contacted",
    "Last reply",
    "Meeting date",
    "Discussion summary",
    "Referrals",
    "Follow-ups",
    "Last follow-up",
    "Next check-in",
    "Updated",
)
LIST_SEPARATOR = "; "
BOM = "\ufeff"
# A cell starting with one of these is run as a formula by Excel and LibreOffice (CSV or
# "formula" injection, OWASP). Names come from LinkedIn and vCards, i.e. from strangers,
# so such a cell is written with a leading apostrophe, which spreadsheets show as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class _Activity:
    """Per-contact aggregates read in bulk: contact id -> value."""

    first_contacted: dict[int, str]
    last_reply: dict[int, str]
    meeting: dict[int, str]
    summary: dict[int, list[tuple[str, str]]]  # (at, text)
    follow_ups: dict[int, tuple[int, str]]
    last_touch: dict[int, str]


def export_csv(
    store: Store,
    out: TextIO,
    *,
    tz: tzinfo,
    bom: bool = False,
    check_in_days: int | None = None,
) -> int:
    """Write the spreadsheet to `out` (open it with newline=""); return the rows written.

    `tz` (the config's `Config.tz`) is the zone every date and time is shown in;
    `check_in_days` (the config's outreach.check_in_every_days) dates the next check-in of
    contacts past their meeting that have no cadence of their own.
    """
    contacts = store.contacts()
    names = {contact.id: contact.name for contact in contacts}
    referrals: dict[int, list[str]] = {}
    for contact in contacts:
        if contact.referred_by is not None:
            referrals.setdefault(contact.referred_by, []).append(contact.name)
    activity = _read_activity(store)
    if bom:
        out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for contact in contacts:
        writer.writerow(
            safe_cell(value)
            for value in _row(
                contact, names, referrals.get(contact.id, []), activity, check_in_days, tz
            )
        )
    return len(contacts)


def export_csv_file(
    store: Store, path: Path, *, tz: tzinfo, check_in_days: int | None = None
) -> int:
    """Write the spreadsheet to `path` atomically, mode 0600, UTF-8 with a BOM (see above)."""
    buffer = io.StringIO(newline="")
    count = export_csv(store, buffer, tz=tz, bom=True, check_in_days=check_in_days)
    write_atomically(path, buffer.getvalue())
    return count


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _row(
    contact: Contact,
    names: dict[int, str],
    referred: list[str],
    activity: _Activity,
    check_in_days: int | None,
    tz: tzinfo,
) -> list[object]:
    cid = contact.id
    count, last_follow_up = activity.follow_ups.get(cid, (0, ""))

    def when(value: str) -> str:
        local = _local(value, tz)
        return local.strftime("%Y-%m-%d %H:%M") if local else value

    return [
        cid,
        contact.name,
        LIST_SEPARATOR.join(contact.emails),
        contact.company,
        contact.role,
        contact.linkedin_url,
        LIST_SEPARATOR.join(contact.tags),
        contact.how_met,
        names.get(contact.referred_by, "") if contact.referred_by is not None else "",
        contact.stage.value,
        when(activity.first_contacted.get(cid, "")),
        when(activity.last_reply.get(cid, "")),
        when(activity.meeting.get(cid, "")),
        "\n".join(f"{_local_day(at, tz)}: {text}" for at, text in activity.summary.get(cid, [])),
        LIST_SEPARATOR.join(referred),
        count or "",
        when(last_follow_up),
        _next_check_in(contact, activity.last_touch.get(cid, ""), check_in_days, tz),
        when(contact.updated),
    ]


def _read_activity(store: Store) -> _Activity:
    db = store.db

    def pairs(sql: str) -> Iterable[tuple[int, str]]:
        return ((row[0], row[1]) for row in db.execute(sql) if row[1])

    first_contacted = _merge(
        pairs(
            "SELECT contact_id, MIN(at) FROM events WHERE kind = 'stage'"
            " AND to_stage = 'contacted' GROUP BY contact_id"
        ),
        pairs(
            "SELECT contact_id, MIN(at) FROM messages WHERE direction = 'sent' GROUP BY contact_id"
        ),
        latest=False,
    )
    last_reply = _merge(
        pairs("SELECT contact_id, MAX(at) FROM events WHERE kind = 'reply' GROUP BY contact_id"),
        pairs(
            "SELECT contact_id, MAX(at) FROM messages WHERE direction = 'received'"
            " AND kind NOT IN ('auto-reply', 'bounce') GROUP BY contact_id"
        ),
        latest=True,
    )
    # A meeting on the calendar wins; else the moment the contact was marked met.
    meeting = dict(
        pairs(
            "SELECT contact_id, MAX(at) FROM events WHERE kind = 'stage'"
            " AND to_stage = 'met' GROUP BY contact_id"
        )
    )
    meeting.update(
        pairs(
            "SELECT contact_id, MAX(start) FROM meetings"
            " WHERE COALESCE(status, '') != 'CANCELLED' GROUP BY contact_id"
        )
    )
    summary: dict[int, list[tuple[str, str]]] = {}
    for cid, at, text in db.execute(
        # meetings.notes is the event's prepared description, not what was discussed.
        "SELECT contact_id, at, detail FROM events WHERE kind IN ('meeting-notes', 'advice',"
        " 'note')"
        " AND detail != '' ORDER BY 1, 2"
    ):
        summary.setdefault(cid, []).append((at, text))
    follow_ups = _follow_ups(store)
    last_touch = _merge(
        meeting.items(),
        pairs(
            "SELECT contact_id, MAX(at) FROM messages WHERE direction IN"
            " ('sent', 'received') GROUP BY contact_id"
        ),
        latest=True,
    )
    return _Activity(first_contacted, last_reply, meeting, summary, follow_ups, last_touch)


def _follow_ups(store: Store) -> dict[int, tuple[int, str]]:
    """(count, last date) of follow-ups: those seen in Sent; before the mailbox has been
    watched, the follow-up drafts coffeechat wrote (a pending one was never written)."""
    sent: dict[int, tuple[int, str]] = {}
    drafted: dict[int, tuple[int, str]] = {}
    for cid, direction, count, last in store.db.execute(
        "SELECT contact_id, direction, COUNT(*), MAX(at) FROM messages"
        " WHERE kind = 'follow-up' AND (direction = 'sent' OR (direction = 'draft'"
        " AND state != 'pending')) GROUP BY contact_id, direction"
    ):
        (sent if direction == "sent" else drafted)[cid] = (count, last or "")
    return {**drafted, **sent}


def _merge(*sources: Iterable[tuple[int, str]], latest: bool) -> dict[int, str]:
    """Per contact, the earliest (or latest) of several ISO 8601 times, compared as times."""
    best: dict[int, str] = {}
    for source in sources:
        for cid, value in source:
            if cid not in best or (_moment(value) > _moment(best[cid])) == latest:
                best[cid] = value
    return best


def _moment(value: str) -> datetime:
    return stored_time(value) or datetime.min.replace(tzinfo=UTC)


def _local(value: str, tz: tzinfo) -> datetime | None:
    """A stored time as wall-clock time in `tz`; None when it is not a time (it is then
    shown as stored)."""
    moment = stored_time(value)
    return moment.astimezone(tz) if moment else None


def _local_day(value: str, tz: tzinfo) -> str:
    local = _local(value, tz)
    return local.date().isoformat() if local else value[:10]


def _next_check_in(contact: Contact, last_touch: str, default_days: int | None, tz: tzinfo) -> str:
    """The local day of the last exchange plus the check-in cadence; "" when either is
    unknown."""
    days = contact.check_in_days
    # After a meeting a check-in cadence applies even if none was set per contact.
    if days is None and contact.stage in AFTER_MEETING:
        days = default_days
    local = _local(last_touch, tz)
    if not days or local is None:
        return ""
    return (local.date() + timedelta(days=days)).isoformat()
