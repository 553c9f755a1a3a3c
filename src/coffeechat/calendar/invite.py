"""Turn a composed text/plain draft into an invitation calendar clients recognise (iMIP)."""

from __future__ import annotations

import copy
from email.message import EmailMessage, MIMEPart

import icalendar

from coffeechat.errors import CalendarError

ATTACHMENT_NAME = "invite.ics"


def invitation_message(base: EmailMessage, calendar_bytes: bytes, method: str) -> EmailMessage:
    """`base` (a text/plain draft) with the calendar added, every header of `base` kept.

    The structure is the one Google Calendar, Outlook and Thunderbird send:

        multipart/mixed
          multipart/alternative
            text/plain                                  (the message)
            text/calendar; method=REQUEST; charset=UTF-8 (read by the mail client)
          application/ics; name="invite.ics"            (the same bytes, as a file)

    The inline text/calendar part is what Gmail and Outlook turn into Accept/Decline
    buttons; some clients only look at attachments, hence the copy (see the answer on
    Stack Overflow question 19523861, "iMIP invitation from google/yahoo calendar and
    lightning have such a structure"). RFC 6047 §2.4: the "method" parameter MUST equal
    the METHOD inside the VCALENDAR, so we check that here. Both parts are base64: it
    keeps the CRLF line ends RFC 5545 §3.1 requires through any mail relay.
    """
    method = method.upper()
    if base.get_content_type() != "text/plain" or base.is_multipart():
        raise ValueError(
            f"invitation_message needs a text/plain message, got {base.get_content_type()}"
        )
    inner = _calendar_method(calendar_bytes)
    if inner != method:
        raise CalendarError(
            f"the calendar says METHOD:{inner or '(none)'} but the invitation is a {method}; "
            f"build the calendar with method={method!r}"
        )
    message = copy.deepcopy(base)
    message.add_alternative(
        calendar_bytes,
        maintype="text",
        subtype="calendar",
        cte="base64",
        params={"method": method, "charset": "UTF-8"},
    )
    message.add_attachment(
        calendar_bytes,
        maintype="application",
        subtype="ics",
        cte="base64",
        filename=ATTACHMENT_NAME,
        params={"name": ATTACHMENT_NAME},
    )
    for part in message.iter_parts():
        _drop_inner_mime_version(part)
    return message


def _drop_inner_mime_version(part: MIMEPart) -> None:
    # MIME-Version belongs in the top-level header only (RFC 2045 §4); the email
    # package adds it to every part it creates as an EmailMessage.
    del part["MIME-Version"]
    if part.is_multipart():
        for child in part.iter_parts():
            _drop_inner_mime_version(child)


def _calendar_method(calendar_bytes: bytes) -> str:
    try:
        cal = icalendar.Calendar.from_ical(calendar_bytes)
    except ValueError as err:
        raise CalendarError(f"the invitation's calendar is not valid iCalendar: {err}") from err
    return str(cal.get("METHOD", "")).upper()
