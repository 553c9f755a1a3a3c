"""Read a non-delivery report: which recipients failed, and which message bounced.

RFC 3464 (and RFC 6533 for internationalised mail) reports are `multipart/report;
report-type=delivery-status` with a `message/delivery-status` part holding one block of
per-message fields, then one block per recipient (Final-Recipient, Action, Status...). Only
`Action: failed` is a bounce: "delayed" means the server still retries, "delivered",
"relayed" and "expanded" are success reports.

The original Message-ID comes from the `text/rfc822-headers` or `message/rfc822` part, else
from the report's own In-Reply-To (Gmail and Exchange Online set it). Old-style reports
without a delivery-status part (Exim, legacy Gmail) name the address in X-Failed-Recipients
or only in their prose: for those the human-readable notice is searched for addresses of
contacts, stopping where the quoted original message begins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser

from coffeechat.tracker.classify import Classification, ContactLookup, Kind, with_fields
from coffeechat.tracker.headers import normalize_message_id, parse_headers

_COMPAT = BytesParser(policy=policy.compat32)
_RECIPIENT_KEYS = frozenset({"final-recipient", "original-recipient", "action", "status"})
_STATUS = re.compile(r"\b[245]\.\d{1,3}\.\d{1,3}\b")  # RFC 3463 enhanced status code
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Where a human-readable notice stops describing the failure and starts quoting our message.
_QUOTE_START = re.compile(
    r"^\s*(?:-+\s*)?(?:original message|original message headers|this is a copy|"
    r"message headers follow|the original message|------ this is a copy|received:|"
    r"return-path:|from:|to:|cc:)",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class RecipientStatus:
    """One per-recipient block of a delivery-status report (RFC 3464 §2.3)."""

    address: str  # Final-Recipient, else Original-Recipient, lower-cased, without "rfc822;"
    action: str  # failed | delayed | delivered | relayed | expanded, lower-cased
    status: str  # the RFC 3463 code such as "5.1.1", or ""
    diagnostic: str = ""


@dataclass(frozen=True)
class DeliveryStatus:
    recipients: tuple[RecipientStatus, ...] = ()
    reporting_mta: str = ""

    @property
    def failed(self) -> tuple[str, ...]:
        """Addresses whose Action is "failed" (the only action that is a bounce)."""
        return tuple(dict.fromkeys(r.address for r in self.recipients if r.action == "failed"))


def parse_delivery_status(part: bytes) -> DeliveryStatus:
    """Parse the body of a message/delivery-status part. Never raises.

    Accepts the part with or without its own MIME header lines; unknown fields are ignored.
    """
    if not isinstance(part, bytes | bytearray):
        return DeliveryStatus()
    text = bytes(part).decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"\n[ \t]+", " ", text)  # unfold continuation lines
    records: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.split("\n"):
        if not line.strip():
            if current:
                records.append(current)
            current = {}
            continue
        name, sep, value = line.partition(":")
        key = name.strip().lower()
        if not sep or not key:
            continue
        # Some MTAs omit the blank line between recipients: a recipient field after an
        # Action, or a repeated field, starts the next block.
        starts = key in ("final-recipient", "original-recipient") and "action" in current
        if starts or (key in current and key in _RECIPIENT_KEYS):
            records.append(current)
            current = {}
        current[key] = value.strip()
    if current:
        records.append(current)
    reporting = next((r["reporting-mta"] for r in records if "reporting-mta" in r), "")
    recipients = []
    for record in records:
        address = _address_field(record.get("final-recipient") or "") or _address_field(
            record.get("original-recipient") or ""
        )
        if not address:
            continue
        action = (record.get("action", "").split() or [""])[0].lower()
        status = _STATUS.search(record.get("status", ""))
        recipients.append(
            RecipientStatus(
                address=address,
                action=action,
                status=status.group(0) if status else "",
                diagnostic=" ".join(record.get("diagnostic-code", "").split())[:300],
            )
        )
    return DeliveryStatus(recipients=tuple(recipients), reporting_mta=_after_type(reporting))


def _after_type(value: str) -> str:
    # "rfc822; a@b" / "dns; host" / "utf-8; a@b": the address type comes first (RFC 3464 §2.1.2)
    return value.split(";", 1)[1].strip() if ";" in value else value.strip()


def _address_field(value: str) -> str:
    address = _after_type(value).strip().strip("<>").strip().lower()
    return address if "@" in address else ""


@dataclass(frozen=True)
class BounceReport:
    """What a whole bounce message says."""

    failed: tuple[str, ...]
    status: DeliveryStatus | None  # None when the message had no delivery-status part
    original_message_id: str | None


def read_bounce(full_message: bytes) -> BounceReport:
    """Failed addresses and the bounced Message-ID of a whole report. Never raises."""
    try:
        message = _COMPAT.parsebytes(bytes(full_message))
    except Exception:
        return BounceReport((), None, None)
    status: DeliveryStatus | None = None
    original: str | None = None
    notice = ""
    try:
        parts = list(message.walk())
    except Exception:  # a deeply nested or self-referencing structure
        parts = [message]
    for part in parts:
        ctype = part.get_content_type()
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            found = parse_delivery_status(_part_bytes(part))
            status = found if status is None else DeliveryStatus(
                status.recipients + found.recipients, status.reporting_mta
            )  # fmt: skip
        elif ctype in ("text/rfc822-headers", "message/rfc822", "message/global") and not original:
            original = parse_headers(_part_bytes(part)).message_id
        elif ctype == "text/plain" and not notice:
            notice = _decoded_text(part)
    if not original:
        headers = parse_headers(bytes(full_message))
        original = headers.in_reply_to or (headers.references[-1] if headers.references else None)
    if status is not None and status.recipients:
        return BounceReport(status.failed, status, normalize_message_id(original))
    headers = parse_headers(bytes(full_message))
    failed = headers.x_failed_recipients or _addresses_in_notice(notice)
    return BounceReport(failed, status, normalize_message_id(original))


def _part_bytes(part: Message) -> bytes:
    """The body of a part as bytes; for message/* parts, the enclosed header blocks."""
    try:
        payload = part.get_payload()
        if isinstance(payload, list):
            return b"\n".join(
                sub.as_bytes(policy=policy.compat32) for sub in payload if isinstance(sub, Message)
            )
        data = part.get_payload(decode=True)
        return data if isinstance(data, bytes) else str(payload).encode("utf-8", "replace")
    except Exception:
        return b""


def _decoded_text(part: Message) -> str:
    data = _part_bytes(part)
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def _addresses_in_notice(text: str) -> tuple[str, ...]:
    quote = _QUOTE_START.search(text)
    head = text[: quote.start()] if quote else text
    # Notices quote addresses as 'a@b' or <a@b>; an apostrophe is legal in a local part
    # (RFC 5322 atext) so the regex keeps it, and it is stripped here.
    found = (a.strip("'.").lower() for a in _ADDRESS.findall(head[:20_000]))
    return tuple(dict.fromkeys(a for a in found if "@" in a))


def classify_bounce(
    classification: Classification,
    full_message: bytes,
    *,
    contact_for_address: ContactLookup,
    known_message_ids: Mapping[str, int],
    my_addresses: frozenset[str] = frozenset(),
) -> tuple[Classification, ...]:
    """Complete a BOUNCE that needed the whole report: one result per contact concerned.

    A report with no failed recipient (a delay warning, a success report) becomes IGNORE, and
    so does one whose failed addresses belong to no contact and whose original message is
    not one we know.
    """
    report = read_bounce(full_message)
    failed = tuple(a for a in report.failed if a not in my_addresses)
    original = report.original_message_id or classification.original_message_id
    if not failed:
        why = "no failed recipient in the report (delayed or delivered)"
        return (with_fields(classification, kind=Kind.IGNORE, detail=why, needs_part=None),)
    codes = {}
    if report.status is not None:
        codes = {r.address: r for r in report.status.recipients if r.action == "failed"}
    per_contact: dict[int, list[str]] = {}
    for address in failed:
        contact = contact_for_address(address)
        if contact is not None:
            per_contact.setdefault(contact, []).append(address)
    if not per_contact:
        # A contact's address we did not know bounced (an alias, a forward): the thread says
        # whose it was.
        contact = known_message_ids.get(original) if original else None
        if contact is None:
            contact = classification.contact_id
        if contact is None:
            detail = f"bounce for {', '.join(failed)}, not a contact"
            return (with_fields(classification, kind=Kind.IGNORE, detail=detail, needs_part=None),)
        per_contact[contact] = list(failed)
    results = []
    for contact, addresses in per_contact.items():
        first = codes.get(addresses[0])
        why = f"{first.status} {first.diagnostic}".strip() if first else "delivery failed"
        results.append(
            with_fields(
                classification,
                contact_id=contact,
                address=addresses[0],
                bounced_addresses=tuple(addresses),
                original_message_id=original,
                threaded=classification.threaded or original in known_message_ids,
                needs_part=None,
                detail=f"bounced: {', '.join(addresses)}: {why}"[:500],
            )
        )
    return tuple(results)
