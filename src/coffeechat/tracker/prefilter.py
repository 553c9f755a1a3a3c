"""A byte-level look that lets a scan skip mail that cannot concern any contact.

Parsing headers is most of a first scan's cost (~100 µs a message, see BENCHMARKS.md),
and almost all of an INBOX is newsletters and colleagues. A message can only matter when
it names a contact's address, cites a Message-ID we know, or is a mail system's report
(bounces may name the contact only in their body); everything else is skipped unparsed.
The test errs on the side of parsing: a false "maybe" costs a parse, never a miss.
"""

from __future__ import annotations

import re
from collections.abc import Container

_ADDRESS = re.compile(rb"[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_BRACKETED = re.compile(rb"<[^<>\s]+>")
# Signs of a delivery report or a calendar answer, whatever its addresses say.
_REPORT_SIGNS = (
    b"multipart/report",
    b"x-failed-recipients",
    b"mailer-daemon",
    b"postmaster",
    b"microsoftexchange",
    b"mail delivery",
    b"return-path: <>",
    b"text/calendar",
)


def might_concern(
    raw_headers: bytes, addresses: Container[str], message_ids: Container[str]
) -> bool:
    """False only when `raw_headers` surely name no contact and no known message."""
    if not raw_headers.isascii():
        return True  # an address outside ASCII: let the real parser decide
    lower = raw_headers.lower()
    if any(sign in lower for sign in _REPORT_SIGNS):
        return True
    if any(found.decode() in addresses for found in _ADDRESS.findall(lower)):
        return True
    return any(found.decode() in message_ids for found in _BRACKETED.findall(raw_headers))
