"""After the conversation: `coffeechat met` records it, its notes and its referrals.

The seeds: "Ask for names of other people to meet", "keep a spreadsheet with ...
discussion summary, referrals". Each referral becomes a contact whose outreach will name
who suggested them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from coffeechat.contacts import add_contact, check_field, parse_address, several_addresses
from coffeechat.errors import UserError
from coffeechat.models import Contact
from coffeechat.pipeline import Stage
from coffeechat.store import Store, normalize_name, stored_time

if TYPE_CHECKING:
    from coffeechat.calendar import MeetingSpec
    from coffeechat.config import Config
    from coffeechat.scheduling import Held


@dataclass(frozen=True)
class Referral:
    name: str
    # None: known by name only ("I'll introduce you"); `edit --email` adds it later.
    email: str | None


@dataclass(frozen=True)
class MeetingRecord:
    contact: Contact
    added: tuple[Contact, ...]  # new contacts from referrals
    linked: tuple[Contact, ...]  # referrals that were contacts already
    # The planned meeting, moved to the time given with `met --when`, and its .ics.
    moved: tuple[Held, MeetingSpec, Path] | None = None


def parse_referral(text: str) -> Referral:
    """`Name <email>`, a bare address, or a name alone into a Referral, or a UserError
    showing the forms."""
    raw = text.strip()
    if not any(mark in raw for mark in "<>@"):
        # People often give a name and "I'll introduce you", not an address; `add` takes
        # a contact known only by name too. (parseaddr would read "Bob Smith" as the
        # address "Bob": it is never asked about a name alone.)
        name = normalize_name(check_field("referral", raw))
        if not name:
            raise UserError(
                'a referral is empty; write it like "Sam Roe <sam@example.org>", or the name alone'
            )
        return Referral(name, None)
    address = parse_address(raw)
    if address is None:
        # The whole input, never parseaddr's piece of it: from "Bob Smith, bob@x.org" it
        # reads the address "Bob", and quoting that would not show what to fix.
        if several_addresses(raw):
            raise UserError(
                f"cannot read the referral {text!r} as a name and an email address: it "
                f"holds more than one; give one --referral for each person, like "
                f'--referral "Sam Roe <sam@example.org>" --referral "Kim Poe <kim@example.org>"'
            )
        raise UserError(
            f"cannot read the referral {text!r} as a name and an email address; write it "
            f'like "Sam Roe <sam@example.org>", or the name alone ("Sam Roe") when you have '
            f"no address yet"
        )
    return Referral(normalize_name(parseaddr(raw)[0]) or address.split("@")[0], address)


def conversation_ended(
    met_at: datetime | None,
    meetings: Iterable[tuple[datetime, datetime]],
    since: datetime | None = None,
) -> datetime | None:
    """When the conversation that a move to `met` at `met_at` records ended: the thank-you
    clock starts here, for the agenda, the draft's warning and the report alike.

    `meetings` are the contact's meetings that are not cancelled, as (start, end). The
    conversation is the last of them that started by `met_at` (give or take the clock skew
    `met` allows): `met` is often typed hours or days later, and `met --when` gives the
    start, so the move's own time is the end only when no meeting was planned. A meeting
    that started by `since`, the move to `met` before this one, was that conversation's: a
    second coffee recorded without scheduling starts its own clock. Without `met_at` (a
    contact moved past `met` by hand), every meeting given counts.
    """
    from coffeechat.calendar.when import SKEW

    ends = [
        end
        for start, end in meetings
        if (met_at is None or start <= met_at + SKEW) and (since is None or start > since + SKEW)
    ]
    return max(ends, default=met_at)


def held_meetings(
    store: Store, contact_id: int | None = None
) -> dict[int, list[tuple[datetime, datetime]]]:
    """(start, end) of each meeting not cancelled, by contact: `conversation_ended`'s input.

    One query, for one contact or for all of them (the report).
    """
    sql = "SELECT * FROM meetings WHERE UPPER(COALESCE(status, '')) != 'CANCELLED'"
    params: list[int] = []
    if contact_id is not None:
        sql += " AND contact_id = ?"
        params.append(contact_id)
    found: dict[int, list[tuple[datetime, datetime]]] = {}
    for row in store.db.query(sql, params):
        times = meeting_times(row)
        if times is not None:
            found.setdefault(row["contact_id"], []).append(times)
    return found


def meeting_times(row: dict[str, Any]) -> tuple[datetime, datetime] | None:
    """A stored meeting's start and end, aware (no offset is UTC, as `now_iso` writes);
    None without a readable start. A missing or inverted end is read as 30 minutes on."""
    start, end = stored_time(row.get("start")), stored_time(row.get("end"))
    if start is None:
        return None
    if end is None or end <= start:
        end = start + timedelta(minutes=30)
    return start, end


def meeting_ahead(store: Store, contact: Contact, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The start of the contact's meeting when it is still ahead of `now`, else None.

    A cancelled meeting is none: `latest_meeting` skips it.
    """
    from coffeechat.calendar.when import SKEW

    meeting = store.latest_meeting(contact.id)
    if meeting is None:
        return None
    start = datetime.fromisoformat(meeting["start"]).astimezone(tz)
    return start if start > now + SKEW else None  # the clock-skew allowance of `met --when`


def refuse_before_meeting(store: Store, contact: Contact, now: datetime, tz: ZoneInfo) -> None:
    """Refuse to record the meeting as held now while the contact's meeting is still ahead.

    Recorded early, it would count as held in the report and start the thank-you clock
    before the conversation (the reason `met --when` refuses a future time).
    """
    from coffeechat.calendar.when import show

    start = meeting_ahead(store, contact, now, tz)
    if start is None:
        return
    raise UserError(
        f"{contact.name}'s meeting is still ahead, on {show(start)}: record it after it "
        f"happens; if you met earlier, add --when with when you did, and if the meeting "
        f"moved, run `coffeechat schedule {contact.id} WHEN` first"
    )


def record_meeting(
    store: Store,
    contact: Contact,
    *,
    when: datetime,
    notes: str = "",
    advice: str = "",
    referrals: Sequence[Referral] = (),
    config: Config | None = None,
) -> MeetingRecord:
    """Move the contact to `met`, keep the notes, and add or link each referral.

    With `config`, `when` is the time the user says they met (`met --when`): the planned
    meeting moves there (`scheduling.held_at`). Without, `when` is now, and a planned
    meeting was held at its own time (`refuse_before_meeting` has checked it started).
    One transaction: a bad referral leaves the contact and the meeting where they were.
    """
    from coffeechat.calendar import show
    from coffeechat.scheduling import held_at, save_held

    at = when.isoformat(timespec="seconds")
    added: list[Contact] = []
    linked: list[Contact] = []
    held = held_at(store, config, contact, when) if config is not None else None
    detail = "meeting held"
    if held is not None:
        detail += f" on {show(when)} (planned for {show(held.planned)})"
    with store.transaction():
        if contact.stage != Stage.MET:
            before = datetime.fromisoformat(contact.updated)
            contact = store.move(contact, Stage.MET, detail, "met command", at=at)
            if when < before:
                # Met at a fair last week, added today (or imported): a real order of
                # things, so not refused, and the move keeps the meeting's time, which the
                # clocks, the report and the export read (the timeline sorts by it, before
                # "contact added"). But the move also stamps `updated` with that time: a
                # record changed now must not look older than its last change.
                store.update_contact(contact.id)
                contact = store.get(contact.id)
        elif held is not None:
            store.add_event(contact.id, "meeting", None, None, detail, "met command", at=at)
        if notes:
            store.add_event(contact.id, "meeting-notes", None, None, notes, "met command", at=at)
        if advice.strip():
            # Kept apart from the notes: this is what the drafts may quote, the notes never.
            store.add_event(contact.id, "advice", None, None, advice.strip(), "met command", at=at)
        for referral in referrals:
            existing = _existing_referral(store, contact, referral)
            if existing is None:
                new = add_contact(
                    store,
                    referral.name,
                    emails=[referral.email] if referral.email else [],
                    referred_by=str(contact.id),
                    how_met=f"referred by {contact.name}",
                    cause=f"referral from {contact.name}",
                )
                added.append(new)
                address = f"<{referral.email}>" if referral.email else "(no address yet)"
                detail = f"referred {new.name} {address}"
            else:
                other = store.get(existing)
                if other.referred_by is None:
                    store.update_contact(other.id, referred_by=contact.id)
                store.add_event(
                    other.id,
                    "referral",
                    None,
                    None,
                    f"referred by {contact.name}",
                    "met command",
                    at=at,
                )
                linked.append(store.get(other.id))
                detail = f"referred {other.name} (already a contact)"
            store.add_event(contact.id, "referral", None, None, detail, "met command", at=at)
        moved: tuple[Held, MeetingSpec, Path] | None = None
        if held is not None:
            assert config is not None
            # Last: the .ics is written only once every check has passed (`_write`).
            moved = (held, *save_held(store, config, contact, held))
    return MeetingRecord(store.get(contact.id), tuple(added), tuple(linked), moved)


def _existing_referral(store: Store, contact: Contact, referral: Referral) -> int | None:
    """The id of the contact the referral names already, or None for someone new.

    By address when there is one; a name alone matches a whole name (case and accents
    aside), and only when exactly one contact has it: two Sam Roes need the address.
    """
    if referral.email is not None:
        found = store.contact_id_for_email(referral.email)
        if found == contact.id:
            raise UserError(
                f"{referral.email} is {contact.name}'s own address; a referral is someone else"
            )
        return found
    named = store.contacts_named(referral.name)
    others = [c for c in named if c.id != contact.id]
    if named and not others:
        raise UserError(
            f"the referral {referral.name!r} is {contact.name}, the contact you met; a "
            f"referral is someone else: give their address if they share the name"
        )
    if len(others) > 1:
        listed = "; ".join(
            f"{c.id}: {c.name}" + (f" <{c.email}>" if c.email else "") for c in others
        )
        example = next(
            (f'"{c.name} <{c.email}>"' for c in others if c.email), '"Sam Roe <sam@example.org>"'
        )
        raise UserError(
            f"the referral {referral.name!r} matches {len(others)} contacts ({listed}); give "
            f"the address, like {example}, or add someone new with "
            f'`coffeechat add "{others[0].name}" --referred-by {contact.id}`'
        )
    return others[0].id if others else None
