"""A byte-level look that lets a scan skip mail that cannot concern any contact.

Parsing headers is most of a first scan's cost (~50 µs a message, see BENCHMARKS.md),
and almost all of an INBOX is newsletters and colleagues. Classification keeps an INBOX
message only when its From is a contact's, when its In-Reply-To or References cites a
Message-ID we know, or when it is a delivery report (bounces may name the contact only in
their body); everything else is skipped unparsed. The test errs on the side of parsing: a
false "maybe" costs a parse, never a miss. It runs on every message of a scan, so it reads
only the six fields that can matter, found in one regex pass.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet

# The fields that can make a message matter, with folded continuation lines. The block is
# searched with a newline put in front, so every field starts with one. The lookahead
# turns away most lines at their first letter, which CPython's regex engine does not do
# by itself for an alternation in a group (a fifth of the search, BENCHMARKS.md).
_FIELD = re.compile(
    rb"\n(?=[fircx])(from|in-reply-to|references|content-type|return-path|x-failed-recipients):"
    rb"([^\n]*(?:\n[ \t][^\n]*)*)"
)
_ADDRESS = re.compile(rb"[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
# A mail system's sender (tracker.classify._is_daemon), looser: "mailer-daemon",
# "MicrosoftExchange329e...", "Mail Delivery Subsystem".
_DAEMON = re.compile(rb"daemon|postmaster|microsoftexchange|mail delivery")


def might_concern(
    raw_headers: bytes,
    addresses: AbstractSet[bytes],
    message_ids: AbstractSet[bytes],
    looked_up: set[bytes] | None = None,
) -> bool:
    """False only when INBOX headers surely come from no contact and cite no known message.

    `addresses` and `message_ids` (with their angle brackets) are lower-case bytes, so
    that the ~50,000 messages of a first scan are never decoded. The sender addresses and
    cited Message-IDs looked up go into `looked_up`: for a message found of no concern,
    only learning one of those could change the answer.
    """
    if not raw_headers.isascii():
        return True  # an address outside ASCII: let the real parser decide
    for name, value in _FIELD.findall(b"\n" + raw_headers.lower()):
        if name == b"from":
            daemon, senders = _sender(value)
            if looked_up is not None:
                looked_up.update(senders)
            hit = daemon or not addresses.isdisjoint(senders)
        elif name == b"content-type":
            hit = b"multipart/report" in value  # RFC 3464 delivery-status (or a receipt)
        elif name == b"return-path":
            hit = b"<>" in value  # the null sender of bounces (RFC 5321 §4.5.5)
        elif name == b"x-failed-recipients":
            hit = True
        else:  # In-Reply-To, References: the thread
            cited = _bracketed_tokens(value)
            if looked_up is not None:
                looked_up.update(cited)
            hit = not message_ids.isdisjoint(cited)
        if hit:
            return True
    return False


# Most of an INBOX comes from a few hundred senders (newsletters, notifications,
# colleagues), each always with the same From: read once per sender, not per message,
# the pre-filter costs a quarter less. Were every message from a sender of its own, it
# would cost ~0.7 µs a message more (BENCHMARKS.md).
@functools.lru_cache(maxsize=4096)
def _sender(from_value: bytes) -> tuple[bool, tuple[bytes, ...]]:
    """Whether a (lower-cased) From value is a mail system's, and its addresses."""
    return bool(_DAEMON.search(from_value)), tuple(_ADDRESS.findall(from_value))


def _bracketed_tokens(value: bytes) -> list[bytes]:
    """Words of `value` among which is every "<...>" without space or bracket inside, each
    whole: spaces put around the brackets split "<a@b><c@d>," into "<a@b>", "<c@d>", ",".
    Three C-level passes, a third of what a regex findall costs on References."""
    return value.replace(b">", b"> ").replace(b"<", b" <").split()


class Mentions:
    """Which header blocks of a batch mention a token, looser than `might_concern`.

    For the few addresses and Message-IDs a scan learns while it reads a batch: a message
    the pre-filter skipped must be read after all when it mentions one. The blocks are
    lower-cased and joined once, and each token is searched for in C, instead of every
    skipped block being lower-cased and searched once per token.
    """

    def __init__(self, blocks: Sequence[bytes]) -> None:
        # Tokens hold no line break, so none can match across the "\n" between blocks.
        self._text = b"\n".join(blocks).lower()
        self._starts = list(itertools.accumulate((len(b) + 1 for b in blocks), initial=0))

    def after(self, index: int, tokens: Iterable[bytes]) -> set[int]:
        """The indexes above `index` of the blocks holding any of `tokens` (lower-case)."""
        found = set()
        for token in tokens:
            at = self._text.find(token, self._starts[index + 1])
            while at != -1:
                found.add(bisect.bisect_right(self._starts, at) - 1)
                at = self._text.find(token, at + 1)
        return found
