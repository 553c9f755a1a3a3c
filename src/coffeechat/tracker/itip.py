"""Read an iTIP REPLY (RFC 5546 §3.2.3): which meeting, which attendee, which answer.

icalendar is imported lazily: only the few messages whose headers look like a calendar reply
ever reach this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser

from coffeechat.tracker.classify import Classification, ContactLookup, Kind, with_fields

_COMPAT = BytesParser(policy=policy.compat32)
_CALENDAR_TYPES = ("text/calendar", "application/ics")


@dataclass(frozen=True)
class ItipReply:
    uid: str
    attendee_email: str  # lower-cased, without "mailto:"
    partstat: str  # ACCEPTED | DECLINED | TENTATIVE | DELEGATED | NEEDS-ACTION, upper-cased
    sequence: int = 0  # the version of the event answered (its SEQUENCE)


def answers_current(answered: int, current: int) -> bool:
    """Whether a REPLY to version `answered` (its SEQUENCE) answers the meeting at `current`.

    RFC 5546 §2.1.5: a REPLY with a lower SEQUENCE than the organizer's copy is for an
    outdated version, and is not applied. A new time raises SEQUENCE and asks again, so a
    late "yes" to the old time must not count as a yes to the new one. Only a lower
    SEQUENCE is refused, as the RFC does: an equal or higher one counts.
    """
    return answered >= current


def parse_itip_reply(full_message: bytes) -> ItipReply | None:
    """The first METHOD:REPLY VEVENT with an ATTENDEE in a message, or None. Never raises.

    A REPLY carries exactly one ATTENDEE, the one answering (RFC 5546 §3.2.3). Google sends
    the calendar twice (text/calendar inside multipart/alternative and an application/ics
    attachment); the first that parses wins.
    """
    try:
        message = _COMPAT.parsebytes(bytes(full_message))
        parts = list(message.walk())
    except Exception:
        return None
    for part in parts:
        if part.get_content_type() not in _CALENDAR_TYPES:
            continue
        found = _reply_in(_payload(part))
        if found is not None:
            return found
    return None


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        return b""
    return data if isinstance(data, bytes) else b""


def _reply_in(data: bytes) -> ItipReply | None:
    if b"VCALENDAR" not in data.upper():
        return None
    import icalendar  # lazy: heavy, and needed only here

    try:
        calendar = icalendar.Calendar.from_ical(data)
        if str(calendar.get("METHOD", "")).strip().upper() != "REPLY":
            return None
        for event in calendar.walk("VEVENT"):
            attendee = event.get("ATTENDEE")
            if isinstance(attendee, list):
                attendee = attendee[0] if attendee else None
            if attendee is None:
                continue
            email = str(attendee).strip()
            if email.lower().startswith("mailto:"):
                email = email[len("mailto:") :]
            params = getattr(attendee, "params", {})
            partstat = str(params.get("PARTSTAT", "NEEDS-ACTION")).upper()
            return ItipReply(
                uid=str(event.get("UID", "")).strip(),
                attendee_email=email.strip().lower(),
                partstat=partstat,
                sequence=_sequence(event.get("SEQUENCE")),
            )
    except Exception:  # icalendar raises ValueError and others on broken data
        return None
    return None


def _sequence(value: object) -> int:
    """An event's SEQUENCE; 0 when it is missing (RFC 5545 §3.8.7.4) or unreadable, which
    only makes a reply older: it then counts for a meeting never changed, as before."""
    try:
        return max(0, int(str(value))) if value is not None else 0
    except ValueError:
        return 0


def classify_itip(
    classification: Classification,
    full_message: bytes,
    *,
    contact_for_address: ContactLookup,
) -> tuple[Classification, ...]:
    """Complete an ITIP_REPLY from the whole message.

    Without a METHOD:REPLY calendar inside, a message whose subject only looked like one
    ("Accepted: ...") was written by a person: it counts as a REPLY.
    """
    reply = parse_itip_reply(full_message)
    if reply is None:
        detail = "no iTIP REPLY inside; counted as a reply"
        return (
            with_fields(
                classification, kind=Kind.REPLY, detail=detail, needs_part=None, partstat=None
            ),
        )
    contact = classification.contact_id
    # The attendee may be a different contact than the sender (a delegate, an assistant).
    attendee_contact = contact_for_address(reply.attendee_email) if reply.attendee_email else None
    if attendee_contact is not None:
        contact = attendee_contact
    return (
        with_fields(
            classification,
            contact_id=contact,
            partstat=reply.partstat,
            event_uid=reply.uid or None,
            sequence=reply.sequence,
            needs_part=None,
            detail=(
                f"{reply.partstat} by {reply.attendee_email} "
                f"(UID {reply.uid}, SEQUENCE {reply.sequence})"
            ),
        ),
    )
