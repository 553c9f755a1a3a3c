"""Meeting events and the reminder feed as icalendar objects: pure functions, no I/O.

RFC 5545 (iCalendar) for the objects, RFC 5546 (iTIP) for METHOD, SEQUENCE and CANCEL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

import icalendar

from coffeechat.errors import CalendarError

PRODID = "-//coffeechat//coffeechat//EN"
FEED_NAME = "coffeechat"
STATUSES = ("CONFIRMED", "CANCELLED", "TENTATIVE")
METHODS = ("REQUEST", "CANCEL", "PUBLISH")
# Reminders are all-day events; their alarm rings at this local time on the day.
REMINDER_ALARM_AT = time(9, 0)

Status = Literal["CONFIRMED", "CANCELLED", "TENTATIVE"]
ActionKind = Literal[
    "referral",
    "ask-address",
    "send-draft",
    "follow-up",
    "no-response",
    "answer",
    "thank-you",
    "check-in",
    "log-meeting",
    "meeting",
]

_LINK = re.compile(r"^(https?://|meet:|tel:|sip:)\S+$", re.IGNORECASE)
_UNSAFE_TOKEN = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, kw_only=True)
class MeetingSpec:
    """Everything a meeting's .ics needs; `start` is aware, in the user's zone."""

    uid: str
    sequence: int
    start: datetime
    minutes: int
    summary: str
    organizer_name: str
    organizer_email: str
    attendee_name: str
    attendee_email: str  # "" for a meeting file without ATTENDEE (never for an invitation)
    dtstamp: datetime
    # The attendee's answer (an iTIP REPLY's PARTSTAT, RFC 5545 §3.2.12); NEEDS-ACTION
    # until they answer, and again after a change they must answer anew.
    attendee_partstat: str = "NEEDS-ACTION"
    location: str = ""
    url: str = ""
    description: str = ""
    status: Status = "CONFIRMED"
    alarm_minutes: int | None = 30
    created: datetime | None = None
    contact_id: int | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.start.utcoffset() is None:
            raise ValueError(f"MeetingSpec.start must be timezone-aware, got {self.start!r}")
        if self.minutes <= 0:
            raise CalendarError(f"a meeting must last at least a minute, got {self.minutes}")
        if self.status not in STATUSES:
            raise ValueError(f"MeetingSpec.status must be one of {STATUSES}, got {self.status!r}")
        if self.sequence < 0:
            raise ValueError(f"MeetingSpec.sequence must be >= 0, got {self.sequence}")

    @property
    def end(self) -> datetime:
        # Elapsed time, computed in UTC: Python adds wall-clock time within one tzinfo,
        # which is off by an hour for a meeting that spans a DST change.
        later = self.start.astimezone(UTC) + timedelta(minutes=self.minutes)
        return later.astimezone(self.start.tzinfo)

    def rescheduled(self, start: datetime, dtstamp: datetime) -> MeetingSpec:
        """The same meeting at a new time: same UID, SEQUENCE + 1 (RFC 5546 §2.1.4)."""
        return replace(self, start=start, sequence=self.sequence + 1, dtstamp=dtstamp)

    def cancelled(self, dtstamp: datetime) -> MeetingSpec:
        """The cancellation of this meeting: same UID, SEQUENCE + 1, STATUS:CANCELLED."""
        return replace(self, status="CANCELLED", sequence=self.sequence + 1, dtstamp=dtstamp)


@dataclass(frozen=True, kw_only=True)
class DueAction:
    """Something the user should do for a contact, and the command that does it.

    `cycle` names the occurrence (e.g. the instant the clock started) so that the feed
    event's UID stays the same while the action is pending and changes for the next one.
    """

    kind: ActionKind
    contact_id: int
    contact_name: str
    due: datetime
    command: str
    detail: str = ""
    cycle: str = ""

    @property
    def uid(self) -> str:
        return action_uid(self.kind, self.contact_id, self.cycle)


def summary_for(name: str, company: str = "") -> str:
    """`Informational interview: Dana Lee (Acme)`; whitespace and line breaks collapse."""
    who = " ".join(name.split())
    where = " ".join(company.split())
    return f"Informational interview: {who}" + (f" ({where})" if where else "")


def invitation_summary(minutes: int, organizer_name: str, attendee_name: str) -> str:
    """`20-minute chat, Alex Doe and Dana Lee`: the title of the event an invitation puts
    in the contact's calendar, in the words of its email subject.

    `summary_for` is the user's own label, which describes the contact: in their calendar
    it would read as a note about them. This one suits both sides, and depends only on
    what an update or a cancellation keeps, so they replace the event under the same title.
    """
    who = [" ".join(n.split()) for n in (organizer_name, attendee_name)]
    names = " and ".join(n for n in who if n)
    return f"{minutes}-minute chat" + (f", {names}" if names else "")


def meeting_uid(contact_id: int, user_email: str, token: str) -> str:
    """A globally unique, stable UID: `coffeechat-12-<token>@<the user's domain>`.

    RFC 5545 §3.8.4.7 suggests an identifier with the domain of the creator on the right
    of "@". The caller makes `token` once (e.g. secrets.token_hex(8)) and stores the UID;
    every later REQUEST or CANCEL for the meeting reuses it.
    """
    domain = user_email.rpartition("@")[2].strip().lower() if "@" in user_email else ""
    domain = _UNSAFE_TOKEN.sub("", domain) or "coffeechat.invalid"
    safe = _UNSAFE_TOKEN.sub("-", token).strip("-")
    if not safe:
        raise ValueError(f"meeting_uid: token {token!r} has no usable characters")
    return f"coffeechat-{contact_id}-{safe}@{domain}"


def action_uid(kind: str, contact_id: int, cycle: str) -> str:
    """The feed UID of a reminder: the same for the same (kind, contact, cycle).

    A stable UID makes a re-import or a subscription refresh update the event in place
    instead of adding a copy (RFC 5545 §3.8.4.7).
    """
    safe = _UNSAFE_TOKEN.sub("-", cycle).strip("-") or "0"
    return f"coffeechat-{kind}-{contact_id}-{safe}@coffeechat"


def as_status(text: str) -> Status:
    """A stored STATUS value, upper-cased; anything unknown reads as CONFIRMED."""
    upper = text.strip().upper()
    if upper == "CANCELLED":
        return "CANCELLED"
    if upper == "TENTATIVE":
        return "TENTATIVE"
    return "CONFIRMED"


def is_link(location: str) -> bool:
    return bool(_LINK.match(location.strip()))


def new_calendar(method: str | None = None) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    if method is not None:
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        # RFC 5546 §3.2: the METHOD of the VCALENDAR says what the object is for; an
        # email carrying it must repeat it in the Content-Type (RFC 6047 §2.4).
        cal.add("method", method)
    return cal


def build_meeting_calendar(spec: MeetingSpec, method: str | None = None) -> icalendar.Calendar:
    """A VCALENDAR with the meeting's VEVENT, its times in UTC (see `meeting_event`).

    `method` None: a plain file for the user's own calendar. "REQUEST": an invitation.
    "CANCEL": its cancellation (STATUS:CANCELLED; the caller raises SEQUENCE, see
    `MeetingSpec.cancelled`). Both go to the contact, so they carry neither the user's
    notes nor the user's alarm, and their SUMMARY is `invitation_summary`, not the user's
    label `spec.summary`.
    """
    if method in ("REQUEST", "CANCEL") and not spec.attendee_email:
        # RFC 5546 §3.2.2/§3.2.5: a REQUEST or CANCEL names at least one ATTENDEE.
        raise CalendarError(
            f"cannot invite {spec.attendee_name or 'the contact'}: no email address; "
            f"schedule without --invite, or add their address first"
        )
    if method == "CANCEL" and spec.status != "CANCELLED":
        spec = replace(spec, status="CANCELLED")
    if method is not None:
        # What goes to the contact: the DESCRIPTION holds the user's prepared questions
        # and notes about them, and the alarm is the user's own reminder. The title is
        # the contact's too: the user's label ("Informational interview: Dana Lee (Acme)")
        # would show Dana an event named after herself.
        spec = replace(
            spec,
            description="",
            alarm_minutes=None,
            summary=invitation_summary(spec.minutes, spec.organizer_name, spec.attendee_name),
        )
    cal = new_calendar(method)
    cal.add_component(meeting_event(spec, itip=method is not None))
    return cal


def meeting_event(spec: MeetingSpec, *, itip: bool = False) -> icalendar.Event:
    """The meeting's VEVENT. `itip` True: for an iTIP message (METHOD REQUEST or CANCEL)
    to the contact; False (the default): for the user's own calendar, a stored object.

    A stored object with ORGANIZER and ATTENDEE is a "scheduling object resource" to a
    CalDAV server that schedules implicitly (RFC 6638 §3.2: Nextcloud/sabre, Fastmail,
    iCloud): importing the user's own file or the feed there would make the server email
    the contact an invitation, with the private DESCRIPTION. SCHEDULE-AGENT=CLIENT on
    both (RFC 6638 §7.1) says the client does the scheduling, so the server sends
    nothing; coffeechat's invitations are drafts the user sends. RSVP (a request for a
    reply, RFC 5545 §3.2.17) belongs in the invitation only: the user's copy asks nobody.
    """
    event = icalendar.Event()
    event.add("uid", spec.uid)
    event.add("dtstamp", spec.dtstamp.astimezone(UTC))  # RFC 5545 §3.8.7.2: in UTC
    event.add("sequence", spec.sequence)
    # The instant in UTC, with no TZID and no VTIMEZONE: icalendar's VTIMEZONEs list each
    # change as RDATE, which classic Outlook ignores (MS-STANOICAL §2.2.47), so a summer
    # meeting would show an hour off there, in an invitation as in the user's own file or
    # the feed. Every client shows a UTC time in the reader's own zone; an invitation's
    # text/plain part says it in the user's. UTC also keeps the fold: a local end time in
    # the repeated autumn hour with a TZID reads as its first occurrence (RFC 5545 §3.3.5).
    event.add("dtstart", spec.start.astimezone(UTC))
    event.add("dtend", spec.end.astimezone(UTC))
    event.add("summary", ical_text(spec.summary))
    url = spec.url or (spec.location.strip() if is_link(spec.location) else "")
    if spec.location:
        # A video link goes in LOCATION too: it is what most clients show, and URL is
        # where the RFC puts a link (§3.8.4.6).
        event.add("location", ical_text(spec.location))
    if url:
        event.add("url", url)
    organizer = _address(spec.organizer_email, spec.organizer_name)
    if not itip:
        organizer.params["SCHEDULE-AGENT"] = "CLIENT"
    event.add("organizer", organizer)
    if spec.attendee_email:
        attendee = _address(spec.attendee_email, spec.attendee_name)
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["PARTSTAT"] = spec.attendee_partstat
        if itip:
            # Always ask for a reply: an update that keeps the answer shows it, and one
            # that reset it (NEEDS-ACTION) makes the contact's calendar ask again.
            attendee.params["RSVP"] = "TRUE"
        else:
            attendee.params["SCHEDULE-AGENT"] = "CLIENT"
        event.add("attendee", attendee)
    if spec.description:
        event.add("description", ical_text(spec.description))
    event.add("status", spec.status)
    if spec.created is not None:
        event.add("created", spec.created.astimezone(UTC))
    event.add("last-modified", spec.dtstamp.astimezone(UTC))
    if spec.alarm_minutes is not None and spec.status != "CANCELLED":
        event.add_component(_alarm(timedelta(minutes=-spec.alarm_minutes), spec.summary))
    return event


def build_feed(
    meetings: Sequence[MeetingSpec], actions: Sequence[DueAction], now: datetime
) -> icalendar.Calendar:
    """The reminder feed: every meeting that is not cancelled, and one event per action.

    A reminder is an all-day, transparent event on its due day (in the zone of `now`),
    or today when it is overdue, with an alarm at 09:00. All-day, because a due time like
    "7 days after 14:32" is arbitrary: a timed block would clutter the day and mark the
    user busy, and an overdue reminder moves to today at each refresh instead of hiding in
    the past. Done actions are simply not passed, so they drop out of the feed.
    Actions of kind "meeting" are skipped: the meetings themselves are in the feed.
    """
    cal = new_calendar()
    cal.add("name", FEED_NAME)  # RFC 7986 §5.1
    cal.add("x-wr-calname", FEED_NAME)  # what Apple and Google read
    for spec in meetings:
        if spec.status != "CANCELLED":
            cal.add_component(meeting_event(spec))
    tz = now.tzinfo or UTC
    today = now.astimezone(tz).date()
    for action in actions:
        if action.kind != "meeting":
            cal.add_component(reminder_event(action, today, now, tz))
    return cal


def reminder_event(action: DueAction, today: date, now: datetime, tz: tzinfo) -> icalendar.Event:
    due_day = action.due.astimezone(tz).date()
    day = max(due_day, today)
    title = f"{_TITLES.get(action.kind, action.kind)}: {' '.join(action.contact_name.split())}"
    lines = [action.detail] if action.detail else []
    lines.append(f"Due {action.due.astimezone(tz):%a %Y-%m-%d %H:%M}.")
    lines.append(f"Run: {action.command}")
    event = icalendar.Event()
    event.add("uid", action.uid)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))  # DTEND is exclusive (RFC 5545 §3.6.1)
    event.add("summary", ical_text(title))
    event.add("description", ical_text("\n".join(lines)))
    event.add("transp", "TRANSPARENT")  # a reminder does not make the user busy
    event.add("categories", ["coffeechat", action.kind])
    # An absolute time, 09:00 in the user's zone written in UTC. `TRIGGER:PT9H` from the
    # all-day start (local midnight) is valid (RFC 5545 §3.8.6.3), but Outlook takes a
    # relative trigger's absolute value as time *before* the start (MS-OXCICAL
    # §2.1.3.1.1.20.62) and would ring at 15:00 the day before.
    ring = datetime.combine(day, REMINDER_ALARM_AT, tzinfo=tz).astimezone(UTC)
    event.add_component(_alarm(ring, title))
    return event


_TITLES: dict[str, str] = {
    "referral": "Write to",
    "ask-address": "Ask for the address of",
    "send-draft": "Send your draft to",
    "follow-up": "Follow up with",
    "no-response": "No answer from",
    "answer": "Answer",
    "thank-you": "Thank",
    "check-in": "Check in with",
    "log-meeting": "Log your meeting with",
    "meeting": "Meeting with",
}


def _address(email: str, name: str) -> icalendar.vCalAddress:
    email = email.strip()
    if not email or "@" not in email or any(c.isspace() for c in email):
        raise CalendarError(f"{email!r} is not an email address; fix it with `coffeechat show`")
    address = icalendar.vCalAddress(f"mailto:{email}")
    cn = common_name(name)
    if cn:
        address.params["CN"] = cn
    return address


def ical_text(value: str) -> str:
    """A TEXT value that survives icalendar's escaping unchanged to the eye.

    icalendar 7 (parser/string.py `_escape_char`) takes a literal backslash + "N" in the
    value for the escaped line break of RFC 5545 §3.3.11 and writes a newline, so
    `C:\\Users\\Nadia` would come back split in two. An invisible WORD JOINER (U+2060)
    between the two characters keeps the text as the user typed it (found by hypothesis).
    """
    return value.replace("\\N", "\\\u2060N")


def common_name(name: str) -> str:
    """A name made safe for a CN parameter value.

    Line breaks and other control characters cannot appear in a parameter (RFC 5545
    §3.1); `"` is caret-encoded by icalendar (RFC 6868). A backslash is not an escape in
    a parameter value, yet icalendar and Thunderbird's ical.js read it as one (a CN of
    `a\\` swallows the next parameter), so it becomes "/".
    """
    printable = "".join(c if c.isprintable() else " " for c in name)
    return " ".join(printable.replace("\\", "/").split())


def _alarm(trigger: timedelta | datetime, text: str) -> icalendar.Alarm:
    """A DISPLAY alarm: `trigger` relative to the event's start, or an absolute time in
    UTC (written TRIGGER;VALUE=DATE-TIME:...Z, RFC 5545 §3.8.6.3)."""
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    if isinstance(trigger, datetime):
        # TRIGGER's default type is DURATION: an absolute one must say VALUE=DATE-TIME,
        # which icalendar 7 leaves out.
        alarm.add("trigger", trigger.astimezone(UTC), parameters={"VALUE": "DATE-TIME"})
    else:
        alarm.add("trigger", trigger)
    # DISPLAY alarms require a DESCRIPTION (RFC 5545 §3.6.6)
    alarm.add("description", ical_text(text))
    return alarm
