"""Classify one message from its header fields alone: sent, reply, auto-reply, bounce, iTIP.

This runs on every message of a scan (~50,000), so the common case — a message that has
nothing to do with any contact — must cost a few dictionary look-ups: regexes are compiled
once, and nothing here imports dateparser or icalendar. When the headers are not enough
(which address bounced, what an iTIP reply says, when an out-of-office ends) the
classification says `needs_part=FULL_MESSAGE` and the caller hands the whole message to
`coffeechat.tracker.refine`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from coffeechat.tracker.headers import ParsedHeaders

# `needs_part` asks the sync engine for the whole message, IMAP `BODY.PEEK[]` (section ""),
# which does not set \Seen. Bounces, auto-replies and iTIP replies are rare and small, and the
# part that matters is easier to find in the whole message than through BODYSTRUCTURE: the
# delivery-status part sits at a different number in Exchange, Gmail and Postfix reports, and
# Content-Transfer-Encoding (not among HEADER_FIELDS) is needed to decode a TEXT section.
FULL_MESSAGE = "message"
IMAP_SECTIONS: Mapping[str, str] = {FULL_MESSAGE: ""}


class Kind(StrEnum):
    """What a message proves. The values match the event kinds the store records."""

    SENT = "sent"
    REPLY = "reply"
    AUTO_REPLY = "auto-reply"
    BOUNCE = "bounce"
    ITIP_REPLY = "itip-reply"
    IGNORE = "ignore"


@dataclass(frozen=True)
class Classification:
    """What one message means for one contact.

    `address` is the contact's address involved: the recipient for SENT, the sender for
    REPLY/AUTO_REPLY/ITIP_REPLY, the first bounced address for BOUNCE. `address_is_new` is
    true when a reply was matched by its thread but came from an address the contact does not
    have yet, and the contact was not among its recipients (then someone else wrote, such as
    a colleague with the contact in copy): the caller may add it to the contact, if
    `sender_name` is the contact's own.
    """

    kind: Kind
    contact_id: int | None = None
    address: str = ""
    message_id: str | None = None
    subject: str = ""
    at: datetime | None = None
    detail: str = ""
    needs_part: str | None = None
    returns: date | None = None  # AUTO_REPLY: the return date, when one can be read
    bounced_addresses: tuple[str, ...] = ()
    original_message_id: str | None = None  # BOUNCE: the message that failed, when known
    partstat: str | None = None  # ITIP_REPLY: ACCEPTED, DECLINED, TENTATIVE...
    event_uid: str | None = None  # ITIP_REPLY: the UID of the meeting answered
    sequence: int | None = None  # ITIP_REPLY: the SEQUENCE (version) of the meeting answered
    address_is_new: bool = False
    sender_name: str = ""  # inbox: the From display name, as written
    threaded: bool = False  # REPLY, BOUNCE: it cites (or reports on) a message we know


FolderRole = Literal["sent", "inbox"]
ContactLookup = Callable[[str], int | None]

# Local parts of senders that are machines, never a person writing back (RFC 5321 §4.5.1
# postmaster; RFC 3834 §5 recommends a null or "mailer-daemon"-like sender for reports).
_DAEMONS = frozenset({"mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster"})
_MACHINES = _DAEMONS | frozenset(
    {"noreply", "no-reply", "donotreply", "do-not-reply", "bounce", "bounces",
     "calendar-notification", "notifications", "notification"}
)  # fmt: skip
_DAEMON_NAMES = frozenset({"mail delivery system", "mail delivery subsystem"})

_END = r"\s*(?:[:：\]\)\-–]|$)"
# Subject prefixes of out-of-office replies. Exchange localises "Automatic reply:" into the
# language of the mailbox; Lotus Notes writes "Abwesenheitsnotiz:"; older Outlook "Out of
# Office AutoReply:". A terminator (colon, bracket, end) is required after the phrase so that
# a person's subject such as "Out of office plans" does not match.
_AUTO_SUBJECT = re.compile(
    r"^\s*[\[(]?\s*(?:"
    r"automatic reply|automated (?:reply|response)|automatic response|auto[- ]?reply|"
    r"auto[- ]?response|auto[- ]?respond(?:er)?|"
    r"out of (?:the )?office(?: (?:auto[- ]?reply|reply))?|"
    r"abwesenheitsnotiz|automatische antwort|"
    r"r[ée]ponse automatique|absence du bureau|risposta automatica|"
    r"respuesta autom[áa]tica|resposta autom[áa]tica|automatisch antwoord|"
    r"autosvar|automatisk svar|automaattinen vastaus|automatyczna odpowied[źz]|"
    r"автоматический ответ|otomatik yan[ıi]t|automatick[áa] odpov[ěe]ď|"
    r"自动回复|自動回覆|自動回复|自動応答|自動返信|자동 회신|자동 응답"
    r")" + _END,
    re.IGNORECASE,
)
# "Auto:" is what Sieve vacation (RFC 5230) puts in front of the subject; alone it could be a
# person's German subject about a car, so it counts only with another hint.
_WEAK_AUTO_SUBJECT = re.compile(r"^\s*Auto\s*:")
# Non-delivery report subjects (Exchange "Undeliverable:" and its translations, Postfix,
# Gmail, Exim, sendmail). Delay warnings ("(Delay)", "Delayed Mail") are deliberately absent.
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(?:"
    r"undeliverable|undelivered mail|delivery status notification \(failure\)|"
    r"mail delivery failed|returned mail|delivery failure|failure notice|"
    r"non[- ]?delivery|message not delivered|delivery has failed|"
    r"unzustellbar|nicht zustellbar|non remis|non distribuable|impossible de remettre|"
    r"non recapitabile|no se puede entregar|onbestelbaar|não é possível entregar|não entregue|"
    r"kan inte levereras|ej levererbart"
    r")",
    re.IGNORECASE,
)
# Subjects of calendar replies: Outlook/Exchange ("Accepted: ..."), Google Calendar
# ("Accepted: Coffee @ Tue ..."), Apple and their common translations.
_ITIP_SUBJECT = re.compile(
    r"^\s*(?P<word>accepted|declined|tentative(?:ly accepted)?|"
    r"zugesagt|abgelehnt|mit vorbehalt(?: angenommen)?|"
    r"accepté|refusé|provisoire|aceptado|rechazado|accettato|rifiutato|"
    r"geaccepteerd|geweigerd|aceito|recusado)\s*:",
    re.IGNORECASE,
)
_PARTSTAT_WORDS = {
    "accepted": "ACCEPTED", "zugesagt": "ACCEPTED", "accepté": "ACCEPTED",
    "aceptado": "ACCEPTED", "accettato": "ACCEPTED", "geaccepteerd": "ACCEPTED",
    "aceito": "ACCEPTED", "declined": "DECLINED", "abgelehnt": "DECLINED",
    "refusé": "DECLINED", "rechazado": "DECLINED", "rifiutato": "DECLINED",
    "geweigerd": "DECLINED", "recusado": "DECLINED",
}  # fmt: skip

_AUTO_PRECEDENCE = frozenset({"auto_reply", "bulk", "junk"})
_REPORT_TYPES = frozenset({"delivery-status", "global-delivery-status"})  # RFC 3464, 6533


def classify(
    headers: ParsedHeaders,
    *,
    folder_role: FolderRole,
    my_addresses: frozenset[str],
    known_message_ids: Mapping[str, int],
    contact_for_address: ContactLookup,
) -> tuple[Classification, ...]:
    """What `headers` prove, one Classification per contact concerned (never empty).

    A tuple because one sent message can go to several contacts (To and Cc), and one bounce
    can name several. Anything that concerns no contact is a single `Kind.IGNORE` whose
    `detail` says why. `my_addresses` must be lower-case; `known_message_ids` maps the
    normalised Message-IDs we know (our drafts, messages already seen) to contact ids.
    """
    if folder_role == "sent":
        return _classify_sent(headers, my_addresses, known_message_ids, contact_for_address)
    return _classify_inbox(headers, my_addresses, known_message_ids, contact_for_address)


def _base(headers: ParsedHeaders, kind: Kind, detail: str, **extra: object) -> Classification:
    return Classification(
        kind=kind,
        message_id=headers.message_id,
        subject=headers.subject,
        at=headers.date,
        detail=detail,
        **extra,  # type: ignore[arg-type]
    )


def _ignore(headers: ParsedHeaders, detail: str) -> tuple[Classification, ...]:
    return (_base(headers, Kind.IGNORE, detail),)


def _classify_sent(
    headers: ParsedHeaders,
    mine: frozenset[str],
    known: Mapping[str, int],
    lookup: ContactLookup,
) -> tuple[Classification, ...]:
    # The Sent folder itself proves the user sent it, whatever alias is in From. But a
    # server may file the user's own vacation replies there (RFC 3834): those prove nothing.
    auto = _auto_header(headers)
    if auto:
        return _ignore(headers, f"the user's own automatic message ({auto})")
    found: dict[int, str] = {}
    own = known.get(headers.message_id) if headers.message_id else None
    for address in headers.to:
        if address in mine:
            continue
        contact = lookup(address)
        if contact is not None and contact not in found:
            found[contact] = address
    changed = False
    if own is not None and own not in found:
        changed = True
        # Our own draft: it names its contact even if the user changed the address before
        # sending, and the address it went to is then reported as new.
        others = [a for a in headers.to if a not in mine]
        found[own] = others[0] if others else ""
    if not found:
        return _ignore(headers, "sent to no contact")
    return tuple(
        _base(
            headers, Kind.SENT, f"sent to {address}", contact_id=contact, address=address,
            address_is_new=changed and contact == own and bool(address),
        )
        for contact, address in found.items()
    )  # fmt: skip


def _classify_inbox(
    headers: ParsedHeaders,
    mine: frozenset[str],
    known: Mapping[str, int],
    lookup: ContactLookup,
) -> tuple[Classification, ...]:
    sender = headers.from_addr
    if sender and sender in mine:
        return _ignore(headers, "from the user")
    bounce = _bounce_reason(headers)
    if bounce:
        return _classify_bounce_headers(headers, bounce, mine, known, lookup)
    if headers.content_type == "multipart/report":
        # e.g. report-type=disposition-notification: a read receipt (RFC 8098), not a reply.
        kind = headers.content_params.get("report-type", "unknown")
        return _ignore(headers, f"a {kind} report")
    # The sender's address decides first when it is a contact's: a person's own address is
    # stronger evidence than a thread, which may carry several contacts (an introduction with
    # both in Cc). Only an unknown sender is matched by thread — and then reported as a new
    # address of that contact (they replied from another account).
    contact = lookup(sender) if sender else None
    new_address = in_copy = False
    if contact is None:
        if _is_machine(headers):
            return _ignore(headers, f"from an automated sender {sender}")
        contact, thread_id = _thread_contact(headers, known)
        if contact is None:
            return _ignore(headers, "not from a contact")
        # Someone who writes to the contact is not the contact: a colleague answering for
        # them counts as a reply in the thread, but their address is not the contact's.
        in_copy = any(lookup(address) == contact for address in headers.to)
        new_address = not in_copy
    else:
        thread_contact, thread_id = _thread_contact(headers, known)
        if thread_contact != contact:
            thread_id = None
    # From here on the message concerns a contact: the rarer, costlier checks may run.
    if headers.list_id or headers.precedence.lower() == "list":
        # A contact's post to a mailing list is not an answer to us (RFC 2919 List-Id).
        return _ignore(headers, "a mailing-list message")
    how = f"in thread {thread_id}" if thread_id else "by sender address"
    if new_address:
        how += f", from a new address {sender}"
    if in_copy:
        how += f", from {sender} writing with the contact in copy"
    common = {"contact_id": contact, "address": sender, "sender_name": headers.from_name}
    itip = _itip_hint(headers)
    if itip is not None:
        return (
            _base(
                headers, Kind.ITIP_REPLY, f"calendar reply ({how})", needs_part=FULL_MESSAGE,
                partstat=itip or None, address_is_new=new_address, **common,
            ),
        )  # fmt: skip
    auto = _auto_reply_reason(headers)
    if auto:
        return (_base(headers, Kind.AUTO_REPLY, auto, needs_part=FULL_MESSAGE, **common),)
    return (
        _base(
            headers, Kind.REPLY, f"reply matched {how}", address_is_new=new_address,
            threaded=thread_id is not None, **common,
        ),
    )  # fmt: skip


def _classify_bounce_headers(
    headers: ParsedHeaders,
    reason: str,
    mine: frozenset[str],
    known: Mapping[str, int],
    lookup: ContactLookup,
) -> tuple[Classification, ...]:
    failed = tuple(a for a in headers.x_failed_recipients if a not in mine)
    thread_contact, thread_id = _thread_contact(headers, known)
    original = thread_id or headers.in_reply_to
    if failed:
        per_contact: dict[int, list[str]] = {}
        for address in failed:
            contact = lookup(address)
            if contact is not None:
                per_contact.setdefault(contact, []).append(address)
        if per_contact:
            return tuple(
                _base(
                    headers, Kind.BOUNCE, f"{reason}; X-Failed-Recipients names {', '.join(a)}",
                    contact_id=contact, address=a[0], bounced_addresses=tuple(a),
                    original_message_id=original, threaded=thread_id is not None,
                )
                for contact, a in per_contact.items()
            )  # fmt: skip
        if thread_contact is None:
            return _ignore(headers, f"{reason} for {', '.join(failed)}, not a contact")
    # The failed address is only in the body: ask for the whole report (see FULL_MESSAGE).
    return (
        _base(
            headers, Kind.BOUNCE, reason, contact_id=thread_contact, needs_part=FULL_MESSAGE,
            bounced_addresses=failed, original_message_id=original,
            threaded=thread_id is not None,
        ),
    )  # fmt: skip


def _local_part(address: str) -> str:
    return address.rsplit("@", 1)[0] if "@" in address else address


def _is_daemon(headers: ParsedHeaders) -> bool:
    local = _local_part(headers.from_addr)
    # Exchange on-premises signs its reports "MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e".
    return (
        local in _DAEMONS
        or local.startswith("microsoftexchange")
        or headers.from_name.lower() in _DAEMON_NAMES
    )


def _is_machine(headers: ParsedHeaders) -> bool:
    return _is_daemon(headers) or _local_part(headers.from_addr) in _MACHINES


def _bounce_reason(headers: ParsedHeaders) -> str:
    """Why these headers are a non-delivery report, or "" when they are not."""
    if (
        headers.content_type == "multipart/report"
        and headers.content_params.get("report-type", "").lower() in _REPORT_TYPES
    ):
        return "delivery-status report (RFC 3464)"
    if headers.x_failed_recipients:
        return "X-Failed-Recipients"
    if _BOUNCE_SUBJECT.match(headers.subject) and (
        _is_daemon(headers) or headers.return_path == "<>"
    ):
        return f"non-delivery subject {headers.subject[:40]!r} from a mail system"
    return ""


def _thread_contact(
    headers: ParsedHeaders, known: Mapping[str, int]
) -> tuple[int | None, str | None]:
    for message_id in headers.thread_ids:
        contact = known.get(message_id)
        if contact is not None:
            return contact, message_id
    return None, None


def _auto_header(headers: ParsedHeaders) -> str:
    """The header that marks an automatic message, or ""."""
    # RFC 3834 §5: any Auto-Submitted value other than "no" (with optional comment/params).
    value = headers.auto_submitted.split(";", 1)[0].split("(", 1)[0].strip().lower()
    if value and value != "no":
        return f"Auto-Submitted: {value}"
    if headers.x_autoreply:
        return "X-Autoreply"
    if headers.x_autorespond:
        return "X-Autorespond"
    precedence = headers.precedence.strip().lower()
    if precedence in _AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    return ""


def _auto_reply_reason(headers: ParsedHeaders) -> str:
    header = _auto_header(headers)
    if header:
        return header
    if _AUTO_SUBJECT.match(headers.subject):
        return f"auto-reply subject {headers.subject[:40]!r}"
    # X-Auto-Response-Suppress alone is no proof: Outlook sets it on ordinary mail and
    # meeting requests too. It only corroborates the weak "Auto:" prefix.
    if _WEAK_AUTO_SUBJECT.match(headers.subject) and (
        headers.x_auto_response_suppress or headers.in_reply_to
    ):
        return f"auto-reply subject {headers.subject[:40]!r}"
    return ""


def _itip_hint(headers: ParsedHeaders) -> str | None:
    """None when not a calendar reply; else a PARTSTAT guessed from the subject, or ""."""
    method = headers.content_params.get("method", "").upper()
    word = _ITIP_SUBJECT.match(headers.subject)
    guess = _PARTSTAT_WORDS.get(word.group("word").lower(), "TENTATIVE") if word else ""
    if headers.content_type == "text/calendar" and method == "REPLY":  # RFC 5546 §3.2.3
        return guess
    # Outlook and Google put the text/calendar part inside multipart/alternative or mixed,
    # so only the subject shows from the headers; refine() checks the part itself.
    if word and headers.content_type.startswith("multipart/"):
        return guess
    return None


def with_fields(classification: Classification, **changes: object) -> Classification:
    """A copy of `classification` with `changes` (dataclasses.replace, typed loosely)."""
    return replace(classification, **changes)  # type: ignore[arg-type]
