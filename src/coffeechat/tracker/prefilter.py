"""A byte-level look that lets a scan skip mail that cannot concern any contact.

Parsing headers is most of a first scan's cost (~100 µs a message, see BENCHMARKS.md),
and almost all of an INBOX is newsletters and colleagues. A message can only matter when
it names a contact's address, cites a Message-ID we know, or is a mail system's report
(bounces may name the contact only in their body); everything else is skipped unparsed.
The test errs on the side of parsing: a false "maybe" costs a parse, never a miss.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

_ADDRESS = re.compile(rb"[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
# INBOX mail is a contact's only when it comes from them (tracker.classify): the From
# field, with its folded continuation lines.
_FROM_FIELD = re.compile(rb"^from:[^\n]*(?:\n[ \t][^\n]*)*", re.MULTILINE)
_BRACKETED = re.compile(rb"<[^<>\s]+>")
# Signs of a delivery report or a calendar answer, whatever its addresses say.
_REPORT_SIGNS = re.compile(
    rb"multipart/report|x-failed-recipients|mailer-daemon|postmaster|microsoftexchange"
    rb"|mail delivery|return-path: <>|text/calendar"
)


def might_concern(
    raw_headers: bytes, addresses: AbstractSet[bytes], message_ids: AbstractSet[bytes]
) -> bool:
    """False only when INBOX headers surely come from no contact and cite no known message.

    `addresses` (lower-case) and `message_ids` are given as bytes, so that the ~50,000
    messages of a first scan are never decoded.
    """
    if not raw_headers.isascii():
        return True  # an address outside ASCII: let the real parser decide
    lower = raw_headers.lower()
    return bool(
        _REPORT_SIGNS.search(lower)
        or any(
            not addresses.isdisjoint(_ADDRESS.findall(field))
            for field in _FROM_FIELD.findall(lower)
        )
        or not message_ids.isdisjoint(_BRACKETED.findall(raw_headers))
    )
