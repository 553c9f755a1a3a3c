"""`coffeechat schedule`: a meeting's .ics file, its invitation draft, and the stage.

A meeting keeps one UID for life: rescheduling raises SEQUENCE and cancelling sends
METHOD:CANCEL with the same UID (RFC 5546 §2.1.4), so calendars update the event
instead of adding another.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coffeechat.config import Config, require_identity
from coffeechat.errors import UserError
from coffeechat.models import Contact
from coffeechat.pipeline import Stage, can_move
from coffeechat.store import Store

if TYPE_CHECKING:  # icalendar is imported only by the commands that write calendars
    from coffeechat.calendar import MeetingSpec


@dataclass(frozen=True)
class Scheduled:
    contact: Contact
    spec: MeetingSpec
    path: Path
    rescheduled: bool


def describe(store: Store, config: Config, contact: Contact) -> str:
    """The event's DESCRIPTION: the prepared questions and the notes so far."""
    from coffeechat.questions import load_bank, preparation_questions

    lines = ["Questions to ask:"]
    lines += [f"- {q}" for q in preparation_questions(load_bank(config.questions_path))]
    notes = [e.detail for e in store.events(contact.id) if e.kind in ("note", "meeting-notes")]
    if notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in notes]
    return "\n".join(lines)


def schedule(
    store: Store,
    config: Config,
    contact: Contact,
    start: datetime,
    *,
    minutes: int | None,
    location: str,
) -> Scheduled:
    """Create or move the contact's meeting, write its .ics, move the contact to scheduled.

    The user is the event's ORGANIZER and their domain is in its UID for life, so [me]
    must be set (and not the example) before anything is stored.
    """
    from coffeechat.calendar import meeting_uid

    require_identity(config)
    existing = store.latest_meeting(contact.id)
    minutes = minutes or config.outreach.meeting_minutes
    row = {
        # One UID for the life of the meeting; each change raises SEQUENCE (RFC 5546).
        "uid": existing["uid"]
        if existing
        else meeting_uid(contact.id, config.me.email, secrets.token_hex(6)),
        "contact_id": contact.id,
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=minutes)).isoformat(),
        "location": location or (existing["location"] if existing else ""),
        "status": "CONFIRMED",
        "sequence": int(existing["sequence"]) + 1 if existing else 0,
        "notes": describe(store, config, contact),
    }
    with store.transaction():
        spec, path = _save(store, config, contact, row)
        detail = ("meeting moved to " if existing else "meeting on ") + _when(spec.start)
        if contact.stage != Stage.SCHEDULED and can_move(contact.stage, Stage.SCHEDULED):
            contact = store.move(contact, Stage.SCHEDULED, detail, "schedule command")
        else:
            store.add_event(contact.id, "meeting", None, None, detail, "schedule command")
    return Scheduled(contact, spec, path, existing is not None)


def _save(
    store: Store, config: Config, contact: Contact, row: dict[str, Any]
) -> tuple[MeetingSpec, Path]:
    """Store the meeting and write its .ics, inside the caller's transaction: a file that
    cannot be written rolls the meeting back."""
    from coffeechat.agenda import meeting_spec
    from coffeechat.calendar import build_meeting_calendar, meeting_path, write_calendar

    store.save_meeting(row)
    spec = meeting_spec(store.meeting(row["uid"]), contact, config)
    assert spec is not None
    path = write_calendar(
        meeting_path(config.calendar_path, spec.uid), build_meeting_calendar(spec)
    )
    return spec, path


def cancel(store: Store, config: Config, contact: Contact) -> Scheduled:
    """Mark the contact's meeting cancelled (SEQUENCE + 1) and rewrite its .ics.

    Checks [me] first: the CANCEL is drafted as the user, after the meeting is changed.
    """
    require_identity(config)
    existing = store.latest_meeting(contact.id)
    if existing is None:
        raise UserError(
            f"{contact.name} has no meeting to cancel; see `coffeechat show {contact.id}`"
        )
    row = {**existing, "status": "CANCELLED", "sequence": int(existing["sequence"]) + 1}
    with store.transaction():
        spec, path = _save(store, config, contact, row)
        detail = f"meeting on {_when(spec.start)} cancelled"
        if contact.stage == Stage.SCHEDULED:
            contact = store.move(contact, Stage.REPLIED, detail, "schedule --cancel")
        else:
            store.add_event(contact.id, "meeting", None, None, detail, "schedule --cancel")
    return Scheduled(contact, spec, path, True)


def invitation(
    store: Store, config: Config, scheduled: Scheduled, *, now: datetime
) -> EmailMessage:
    """The REQUEST (or, for a cancelled meeting, CANCEL) draft calendar clients accept."""
    from coffeechat.calendar import build_meeting_calendar, invitation_message
    from coffeechat.compose import TemplateLibrary, compose_draft, meeting_info

    spec = scheduled.spec
    cancelled = spec.status == "CANCELLED"
    method = "CANCEL" if cancelled else "REQUEST"
    draft = compose_draft(
        TemplateLibrary(config.templates_path),
        "cancellation" if cancelled else "invitation",
        config=config,
        contact=scheduled.contact,
        now=now,
        meeting=meeting_info(spec.start, spec.minutes, spec.location),
    )
    calendar_bytes = build_meeting_calendar(spec, method=method).to_ical()
    return invitation_message(draft.message, calendar_bytes, method)


def _when(start: datetime) -> str:
    from coffeechat.calendar import show

    return show(start)
