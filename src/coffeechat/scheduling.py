"""`coffeechat schedule`: a meeting's .ics file, its invitation draft, and the stage.

A meeting keeps one UID for life: rescheduling raises SEQUENCE and cancelling sends
METHOD:CANCEL with the same UID (RFC 5546 §2.1.4), so calendars update the event
instead of adding another.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coffeechat.config import Config, require_identity
from coffeechat.drafting import PlannedDraft, recipient_problem
from coffeechat.errors import UserError
from coffeechat.models import Contact
from coffeechat.pipeline import AFTER_MEETING, MAIN_PATH, Stage, can_move
from coffeechat.store import Store
from coffeechat.store.core import NOTE_KINDS
from coffeechat.tracker.decide import CONFIRMING

if TYPE_CHECKING:  # icalendar is imported only by the commands that write calendars
    from coffeechat.calendar import MeetingSpec


@dataclass(frozen=True)
class Scheduled:
    contact: Contact
    spec: MeetingSpec
    path: Path
    rescheduled: bool
    # The invitation (or cancellation) to append to Drafts; None when there is none.
    draft: PlannedDraft | None = None
    # Why a cancellation or an update has no draft, for the user: "" when it has one.
    no_draft_reason: str = ""
    # What a reschedule changed, of ("time", "location"); () for a new meeting or none.
    changes: tuple[str, ...] = ()
    # The draft updates an invitation the contact already holds (a new time or place).
    update: bool = False


def describe(store: Store, config: Config, contact: Contact) -> str:
    """The event's DESCRIPTION: the prepared questions and the notes so far."""
    from coffeechat.questions import load_bank, preparation_questions

    lines = ["Questions to ask:"]
    lines += [f"- {q}" for q in preparation_questions(load_bank(config.questions_path))]
    notes = [e.detail for e in store.events(contact.id) if e.kind in NOTE_KINDS]
    if notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in notes]
    return "\n".join(lines)


def _meeting_to_move(store: Store, contact: Contact) -> dict[str, Any] | None:
    """The meeting `schedule` changes: the latest one, unless it was held already, when
    scheduling means a new conversation (a second coffee months later) and the first
    must keep its day, its file and its place in the report."""
    if contact.stage in AFTER_MEETING:  # that meeting is history, not to be moved
        return None
    return store.latest_meeting(contact.id)


def schedule(
    store: Store,
    config: Config,
    contact: Contact,
    start: datetime,
    *,
    minutes: int | None,
    location: str | None,
    invite: bool = False,
    force: bool = False,
    now: datetime,
) -> Scheduled:
    """Create or move the contact's meeting, write its .ics, move the contact to scheduled.

    The user is the event's ORGANIZER and their domain is in its UID for life, so [me]
    must be set (and not the example) before anything is stored. With `invite`, the
    invitation is composed and proofread before anything is kept: a contact with no
    usable address leaves the meeting, its file and the stage as they were. A new time or
    place for a meeting the contact was invited to drafts the update without `invite`
    (see `sends_update`). The caller appends `Scheduled.draft` to Drafts and then calls
    `invited`. Proofreading errors in the invitation refuse the lot unless `force`, as
    `coffeechat draft` does.
    """
    from coffeechat.calendar import meeting_uid

    require_identity(config)
    if invite:
        check_recipient(contact)
    existing = _meeting_to_move(store, contact)
    row = {
        # One UID for the life of the meeting; each real change raises SEQUENCE (RFC 5546).
        "uid": existing["uid"]
        if existing
        else meeting_uid(contact.id, config.me.email, secrets.token_hex(6)),
        "contact_id": contact.id,
        **_times_and_place(config, existing, start, minutes, location),
        "status": "CONFIRMED",
        "sequence": 0,
        "notes": describe(store, config, contact),
    }
    changes: tuple[str, ...] = ()
    if existing:
        changes = _changes(existing, row)
        # A new time or place is significant: attendees must see a newer version
        # (RFC 5545 §3.8.7.4). The same meeting again keeps its SEQUENCE.
        row["sequence"] = int(existing["sequence"]) + (1 if changes else 0)
    # A contact holding the invitation keeps the old time in their calendar until they
    # get the update: the same UID with the higher SEQUENCE (RFC 5546 §3.2.2).
    update = bool(changes) and was_invited(existing)
    notify, reason = invite or update, ""
    if update and not invite and (problem := recipient_problem(contact)):
        notify, reason = False, f"No updated invitation email: {problem}."
    if notify and "time" in changes:
        # The contact's answer was to the old time. A new DTSTART/DTEND is a significant
        # change (RFC 5546 §2.1.4, RFC 5545 §3.8.7.4), so the update asks again: its
        # ATTENDEE goes out with PARTSTAT=NEEDS-ACTION;RSVP=TRUE, and the stored answer is
        # reset to match until their calendar replies. A new place alone is not on that list
        # (sabre/vobject's iTIP broker, which follows it, leaves LOCATION out, and Outlook
        # sends such updates as needing no response): the answer is kept, and the update
        # carries it. Only when the update is drafted: without one, the contact's calendar
        # holds the old version and their answer to it, and that answer is what still
        # shows they were invited (`was_invited`).
        row["partstat"] = "NEEDS-ACTION"
    # What the contact's calendar holds now: the update says what it changes.
    held = _spec(existing, contact, config) if update and existing is not None else None
    with store.transaction():
        spec = _save(store, config, contact, row)
        draft = _compose(config, contact, spec, now, force=force, was=held) if notify else None
        detail = ("meeting moved to " if "time" in changes else "meeting on ") + _when(spec.start)
        if "location" in changes:
            detail += f", now at {spec.location}" if spec.location else ", location cleared"
        if contact.stage != Stage.SCHEDULED and can_move(contact.stage, Stage.SCHEDULED):
            contact = store.move(contact, Stage.SCHEDULED, detail, "schedule command")
        elif existing is None or changes:  # an unchanged meeting is no news for the timeline
            store.add_event(contact.id, "meeting", None, None, detail, "schedule command")
        path = _write(config, spec)
    return Scheduled(
        contact, spec, path, existing is not None, draft, reason, changes=changes, update=update
    )


@dataclass(frozen=True)
class Held:
    """The planned meeting, moved to when `coffeechat met --when` says it was held."""

    row: dict[str, Any]  # the `meetings` row at the held time, not yet saved
    planned: datetime  # the start it had, in the user's zone
    invited: bool  # the contact holds an invitation for `planned` (see `was_invited`)


def held_at(store: Store, config: Config, contact: Contact, when: datetime) -> Held | None:
    """The contact's planned meeting moved to `when`, the time the user says they met.

    The calendar files, the export and the check-in clock all read the stored meeting, so
    it must say when the conversation happened: the same UID (the user's calendar moves
    the event instead of keeping a stale one with its alarm) with its length kept and a
    higher SEQUENCE (a new time is significant, RFC 5545 §3.8.7.4). The invited contact
    gets no update: the meeting is over, and the partstat stays their answer.

    None when nothing moves: no meeting is planned (one already held is history, as for
    `schedule`), or `when` falls in the planned slot, which is the meeting as planned.
    However far `when` is from the plan, it is this meeting: a contact has one planned
    meeting and `met` records one conversation, and the caller says how to put the plan
    back when it is still ahead.
    """
    meeting = _meeting_to_move(store, contact)
    if meeting is None:
        return None
    start = datetime.fromisoformat(meeting["start"])
    end = datetime.fromisoformat(meeting["end"])
    if start <= when < end:
        return None
    minutes = round((end - start).total_seconds() / 60)
    row = {**meeting, **_times_and_place(config, meeting, when, minutes, None)}
    if not _changes(meeting, row):
        return None
    row["sequence"] = int(meeting["sequence"]) + 1
    return Held(row, start.astimezone(config.tz), was_invited(meeting))


def save_held(
    store: Store, config: Config, contact: Contact, held: Held
) -> tuple[MeetingSpec, Path]:
    """Store the meeting of `held_at` and rewrite its .ics: the caller's last step inside
    its transaction (see `_write`)."""
    spec = _save(store, config, contact, held.row)
    return spec, _write(config, spec)


def rewrite_files(store: Store, config: Config, uids: Iterable[str]) -> list[Path]:
    """Rewrite the .ics `schedule` wrote for each meeting of `uids`, as stored now.

    For `watch`, after a pass recorded contacts' answers (`Change.meeting_uid`): the feed
    is rebuilt from the store, and a user who imported the meeting's own file too would
    otherwise hold two versions of one event, the file's still NEEDS-ACTION with the older
    DTSTAMP. Only a file that exists is rewritten: one the user deleted stays deleted.
    """
    from coffeechat.calendar import meeting_path

    paths = []
    for uid in dict.fromkeys(uids):  # once each, in order
        if meeting_path(config.calendar_path, uid).exists():
            row = store.meeting(uid)
            paths.append(_write(config, _spec(row, store.get(row["contact_id"]), config)))
    return paths


def sends_update(
    store: Store,
    config: Config,
    contact: Contact,
    start: datetime,
    *,
    minutes: int | None,
    location: str | None,
) -> bool:
    """Whether `schedule` with these values drafts an updated invitation without --invite,
    so the caller opens the mailbox only then (before anything is saved)."""
    existing = _meeting_to_move(store, contact)
    if not was_invited(existing) or recipient_problem(contact):
        return False
    assert existing is not None
    return bool(_changes(existing, _times_and_place(config, existing, start, minutes, location)))


def _times_and_place(
    config: Config,
    existing: dict[str, Any] | None,
    start: datetime,
    minutes: int | None,
    location: str | None,
) -> dict[str, Any]:
    """The meeting row's start, end and location for a new time.

    `location` None (not given) keeps the old place; "" (or blanks) clears it, so a place
    that fell through can be taken back without cancelling the meeting.
    """
    minutes = minutes or config.outreach.meeting_minutes
    if location is None:
        location = existing["location"] if existing else ""
    # Elapsed time, added in UTC as MeetingSpec.end does: Python adds wall-clock time within
    # one tzinfo, so 90 minutes from 01:30 across a spring-forward would end after 30.
    end = (start.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(start.tzinfo)
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "location": location.strip(),
    }


def _changes(existing: dict[str, Any], row: dict[str, Any]) -> tuple[str, ...]:
    """What `row` changes in the stored meeting `existing`: "time", "location", both or none."""
    # Stored times are UTC text, new ones local: compare the instants, not the strings.
    time = any(
        datetime.fromisoformat(existing[key]) != datetime.fromisoformat(row[key])
        for key in ("start", "end")
    )
    place = existing["location"] != row["location"]
    return tuple(name for name, changed in (("time", time), ("location", place)) if changed)


def cancel(
    store: Store,
    config: Config,
    contact: Contact,
    *,
    invite: bool = False,
    force: bool = False,
    now: datetime,
) -> Scheduled:
    """Mark the contact's meeting cancelled (SEQUENCE + 1) and rewrite its .ics.

    The METHOD:CANCEL draft goes only to a contact who was invited: coffeechat drafted an
    invitation for this meeting, or the contact answered one (an iTIP REPLY), or the user
    says so with `invite`. Cancelling a meeting they never received would only confuse.
    The .ics names the user as ORGANIZER, so [me] is checked first.
    """
    require_identity(config)
    existing = store.latest_meeting(contact.id)
    if existing is None:
        raise UserError(
            f"{contact.name} has no meeting to cancel; see `coffeechat show {contact.id}`"
        )
    notify = invite or was_invited(existing)
    reason = ""
    if not notify:
        reason = (
            f"No invitation was drafted for this meeting, so no cancellation email either: "
            f"tell {contact.name} yourself, or add --invite to draft one."
        )
    elif invite:
        check_recipient(contact, cancel=True)
    elif problem := recipient_problem(contact):
        # The invitation went to an address that is gone or bounced: nothing to take back.
        notify, reason = False, f"No cancellation email: {problem}."
    row = {**existing, "status": "CANCELLED", "sequence": int(existing["sequence"]) + 1}
    with store.transaction():
        spec = _save(store, config, contact, row)
        draft = _compose(config, contact, spec, now, force=force) if notify else None
        detail = f"meeting on {_when(spec.start)} cancelled"
        if contact.stage == Stage.SCHEDULED:
            back = stage_before_meeting(store, contact)
            contact = store.move(contact, back, detail, "schedule --cancel")
        else:
            store.add_event(contact.id, "meeting", None, None, detail, "schedule --cancel")
        path = _write(config, spec)
    return Scheduled(contact, spec, path, True, draft, reason)


def stage_before_meeting(store: Store, contact: Contact) -> Stage:
    """The stage a cancelled meeting puts a `scheduled` contact back to: the one they were
    at before the latest move to scheduled, as the timeline has it.

    A meeting is scheduled by hand as often as after a reply (a phone call, a chat at a
    fair), so `replied` would claim an answer that may not exist, and the agenda would
    ask the user to answer it. Out of a side exit (declined, no-response) the contact
    answered after all, which is what `replied` says; with no move on record (an old
    database), `replied` as before.
    """
    moves = [e for e in store.events(contact.id, "stage") if e.to_stage == Stage.SCHEDULED]
    before = moves[-1].from_stage if moves else None
    if before is None or before not in MAIN_PATH or before == Stage.SCHEDULED:
        return Stage.REPLIED
    stage = Stage(before)
    return stage if can_move(Stage.SCHEDULED, stage) else Stage.REPLIED


def was_invited(meeting: dict[str, Any] | None) -> bool:
    """Whether the contact holds an invitation to `meeting` (a `meetings` row): we drafted
    one, or they answered one in their calendar (an iTIP REPLY set partstat)."""
    if meeting is None:
        return False
    answered = (meeting.get("partstat") or "NEEDS-ACTION") != "NEEDS-ACTION"
    return bool(meeting.get("invitation")) or answered


def unsent_invitation(store: Store, uid: str) -> str | None:
    """The Message-ID of the meeting's last invitation while it is still an unsent draft.

    The mailbox interface deletes nothing, so a new invitation (or a cancellation) leaves
    the earlier draft in Drafts; sent, it is superseded by the higher SEQUENCE, unsent it
    would tell the contact a stale time if the user sent it by mistake.
    """
    message_id = store.meeting(uid).get("invitation")
    message = store.message(message_id) if message_id else None
    if not message or message["direction"] != "draft":
        return None
    # Mail clients often send a draft under a Message-ID of their own; `watch` then takes
    # the copy in Sent for the latest draft with its subject (an earlier one, or one
    # recorded before it did so, stays a draft). A copy with this subject, sent once the
    # draft was written, is this invitation sent: calling it unsent
    # would have the user delete the cancellation their contact's calendar needs. (A minute
    # of slack: a client that keeps the draft's Date stamps it just before we recorded it.)
    subject = (message["subject"] or "").strip().casefold()
    written = datetime.fromisoformat(message["at"]) - timedelta(minutes=1)
    for sent in store.messages(message["contact_id"], direction="sent"):
        if (sent["subject"] or "").strip().casefold() == subject and (
            datetime.fromisoformat(sent["at"]) >= written
        ):
            return None
    return message_id


def invited(store: Store, scheduled: Scheduled, message_id: str) -> None:
    """Record that the invitation for `scheduled` is in Drafts (so a cancel follows it)."""
    if scheduled.spec.status != "CANCELLED":
        store.set_meeting_invitation(scheduled.spec.uid, message_id)


def check_recipient(contact: Contact, *, cancel: bool = False) -> None:
    """Refuse `--invite` to a contact without a deliverable address, naming the fix."""
    problem = recipient_problem(contact)
    if problem:
        raise UserError(f"{problem}, or {'cancel' if cancel else 'schedule'} without --invite")


def _save(store: Store, config: Config, contact: Contact, row: dict[str, Any]) -> MeetingSpec:
    """Store the meeting (inside the caller's transaction) and return what its .ics shows."""
    store.save_meeting(row)
    return _spec(store.meeting(row["uid"]), contact, config)


def _spec(row: dict[str, Any], contact: Contact, config: Config) -> MeetingSpec:
    """What the .ics of a stored meeting (a `meetings` row) shows."""
    from coffeechat.agenda import meeting_spec

    spec = meeting_spec(row, contact, config)
    assert spec is not None
    return spec


def _write(config: Config, spec: MeetingSpec) -> Path:
    """Write the meeting's .ics: the caller's last step before its transaction commits, so
    every check has passed before the file changes, and a file that cannot be written
    rolls the meeting back."""
    from coffeechat.calendar import build_meeting_calendar, meeting_path, write_calendar

    return write_calendar(
        meeting_path(config.calendar_path, spec.uid), build_meeting_calendar(spec)
    )


def _compose(
    config: Config,
    contact: Contact,
    spec: MeetingSpec,
    now: datetime,
    *,
    force: bool,
    was: MeetingSpec | None = None,
) -> PlannedDraft:
    """The REQUEST (or, for a cancelled meeting, CANCEL) draft calendar clients accept,
    composed and proofread; raises (before anything is kept) when it cannot be written,
    or has proofreading errors and not `force`. `was`: the meeting as the contact holds
    it, when this REQUEST updates it."""
    from coffeechat.calendar import build_meeting_calendar, invitation_message
    from coffeechat.compose import TemplateLibrary, compose_draft, meeting_info
    from coffeechat.drafting import plan_message
    from coffeechat.errors import ProofreadError
    from coffeechat.proofread import format_finding, has_errors

    cancelled = spec.status == "CANCELLED"
    kind, method = ("cancellation", "CANCEL") if cancelled else ("invitation", "REQUEST")
    # An update has its own template ("Updated invitation: ...", saying what changed), as
    # calendar apps do, so the contact sees a change and not a second meeting. It is still
    # an invitation to the store and the proofreader.
    template = "updated-invitation" if was is not None and not cancelled else kind
    draft = compose_draft(
        TemplateLibrary(config.templates_path),
        template,
        config=config,
        contact=contact,
        now=now,
        meeting=meeting_info(
            spec.start,
            spec.minutes,
            spec.location,
            was=(was.start, was.minutes, was.location) if was is not None else None,
            answered=spec.attendee_partstat in CONFIRMING,
        ),
    )
    calendar_bytes = build_meeting_calendar(spec, method=method).to_ical()
    message = invitation_message(draft.message, calendar_bytes, method)
    plan = plan_message(config, contact, kind, message, template=draft.rendered.template)
    if has_errors(plan.findings) and not force:
        findings = "\n".join(format_finding(plan.label, f) for f in plan.findings)
        raise ProofreadError(
            f"proofreading found errors in the {kind}; nothing was saved or written:\n"
            f"{findings}\nfix the template ({plan.template}), or pass --force"
        )
    return plan


def _when(start: datetime) -> str:
    from coffeechat.calendar import show

    return show(start)
