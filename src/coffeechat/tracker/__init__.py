"""Reply tracking, the pure half: classify fetched headers and decide stage changes.

The flow, for each message a sync fetched (only `mail.base.HEADER_FIELDS`)::

    headers = parse_headers(fetched.headers)
    for c in classify(headers, folder_role=..., my_addresses=..., known_message_ids=...,
                      contact_for_address=...):
        if c.needs_part:                       # FULL_MESSAGE: fetch BODY.PEEK[] (section "")
            part = IMAP_SECTIONS[c.needs_part]
            results = refine(c, mailbox.fetch_parts(folder, [uid], part)[uid],
                             contact_for_address=..., known_message_ids=...)
        ...
        target = decide(c, contact.stage, draft_kind=...)

Nothing here does I/O; heavy libraries (dateparser, icalendar) are imported only by `refine`.
"""

from __future__ import annotations

from collections.abc import Mapping

from coffeechat.tracker.bounce import (
    BounceReport,
    DeliveryStatus,
    RecipientStatus,
    classify_bounce,
    parse_delivery_status,
    read_bounce,
)
from coffeechat.tracker.classify import (
    FULL_MESSAGE,
    IMAP_SECTIONS,
    Classification,
    ContactLookup,
    FolderRole,
    Kind,
    classify,
    with_fields,
)
from coffeechat.tracker.decide import decide, predates
from coffeechat.tracker.headers import (
    ParsedHeaders,
    decode_words,
    message_ids,
    normalize_message_id,
    parse_headers,
)
from coffeechat.tracker.itip import ItipReply, answers_current, classify_itip, parse_itip_reply
from coffeechat.tracker.returns import message_text, read_return_date

__all__ = [
    "FULL_MESSAGE",
    "IMAP_SECTIONS",
    "BounceReport",
    "Classification",
    "ContactLookup",
    "DeliveryStatus",
    "FolderRole",
    "ItipReply",
    "Kind",
    "ParsedHeaders",
    "RecipientStatus",
    "answers_current",
    "classify",
    "classify_bounce",
    "classify_itip",
    "decide",
    "decode_words",
    "message_ids",
    "message_text",
    "normalize_message_id",
    "parse_delivery_status",
    "parse_headers",
    "parse_itip_reply",
    "predates",
    "read_bounce",
    "read_return_date",
    "refine",
    "with_fields",
]


def refine(
    classification: Classification,
    full_message: bytes,
    *,
    contact_for_address: ContactLookup,
    known_message_ids: Mapping[str, int],
    my_addresses: frozenset[str] = frozenset(),
) -> tuple[Classification, ...]:
    """Complete a classification that asked for the whole message (`needs_part`).

    BOUNCE: the failed recipients and original Message-ID from the report (or IGNORE for a
    delay warning). ITIP_REPLY: the PARTSTAT and UID from the calendar part (or REPLY if
    there is none). AUTO_REPLY: the return date, read relative to the message's Date.
    Anything else is returned unchanged. Never raises on malformed messages.
    """
    kind = classification.kind
    if kind is Kind.BOUNCE:
        return classify_bounce(
            classification,
            full_message,
            contact_for_address=contact_for_address,
            known_message_ids=known_message_ids,
            my_addresses=my_addresses,
        )
    if kind is Kind.ITIP_REPLY:
        return classify_itip(classification, full_message, contact_for_address=contact_for_address)
    if kind is Kind.AUTO_REPLY:
        returns = None
        if classification.at is not None:
            returns = read_return_date(message_text(full_message), classification.at)
        detail = classification.detail + (f"; back {returns.isoformat()}" if returns else "")
        return (with_fields(classification, returns=returns, needs_part=None, detail=detail),)
    return (classification,)
