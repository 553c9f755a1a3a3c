"""Read the answers to UID FETCHes of one literal item, with less Python than imaplib.

A first scan fetches the header blocks of tens of thousands of messages. imaplib spends
~15 µs of Python on each message of the answer (a regex per line, a dict of untagged
responses, a debug check), more than half of the whole fetch (BENCHMARKS.md). imaplib
still connects, logs in and sends the command; this reads the one shape of answer that
coffeechat asks for, RFC 3501 §7.4.2:

    * 7 FETCH (UID 12 BODY[HEADER.FIELDS (FROM ...)] {512}
    <512 bytes>)
    A0042 OK Fetch completed.

Anything else in between (a flag change, a keep-alive) is skipped, and a sign that the
folder changed (EXISTS, RECENT, EXPUNGE) is noted, because the server says it only once.
Several FETCHes may be on the wire at once: their answers are told apart by UID.
"""

from __future__ import annotations

import imaplib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

_UID = re.compile(rb"\bUID (\d+)")
_NEWS = re.compile(rb"\* \d+ (?:EXISTS|RECENT|EXPUNGE)\r\n\Z", re.IGNORECASE)


@dataclass
class Reading:
    """What `read_fetch_answers` read: each command that ended meanwhile, tag → (status,
    the server's words), and whether the server announced a change of the folder."""

    ended: dict[bytes, tuple[str, str]] = field(default_factory=dict)
    news: bool = False


def read_fetch_answers(
    readline: Callable[[], bytes],
    read: Callable[[int], bytes],
    tag: bytes,
    literals: dict[int, bytes],
) -> Reading:
    """Read up to and including the tagged line of the command `tag`, filing the literal
    of every FETCH response into `literals` by UID.

    `readline` and `read` are the connection's (imaplib's `IMAP4.readline`/`read`). A
    closed connection or a BYE raises `imaplib.IMAP4.abort`, as imaplib would.

    Several UID FETCHes may be on the wire at once, and a server may interleave their
    answers (RFC 3501 §5.5; Dovecot does): the caller tells them apart by UID, which is
    why it never has two FETCHes of one message in flight. Other commands that end on
    the way are in `Reading.ended` with the one waited for.
    """
    reading = Reading()
    while True:
        line = _line(readline)
        if line[:1] != b"*":
            ended, _, result = line.rstrip().partition(b" ")
            status, _, text = result.partition(b" ")
            reading.ended[ended] = (status.decode().upper(), text.decode(errors="replace"))
            if ended == tag:
                return reading
            continue
        size = _literal_size(line)
        if size is None:
            if line[:6].upper() == b"* BYE ":
                raise imaplib.IMAP4.abort(f"the server hung up: {line.decode(errors='replace')}")
            reading.news = reading.news or bool(_NEWS.match(line))
            continue
        # The literal and the ")" CRLF that must follow it at the least (RFC 3501 §9: a
        # msg-att closes its list), in one read: reading that line on its own cost a
        # tenth of the reading.
        value = read(size + 3)
        if len(value) != size + 3:
            raise imaplib.IMAP4.abort("socket error: EOF in the middle of a message")
        value, rest = value[:size], value[size:]
        if rest != b")\r\n":
            rest = _rest_of_response(rest, readline, read)
        uid = _UID.search(line) or _UID.search(rest)
        if uid is not None:  # a UID FETCH always names it (RFC 3501 §6.4.8)
            literals[int(uid[1])] = value


def _rest_of_response(
    start: bytes, readline: Callable[[], bytes], read: Callable[[int], bytes]
) -> bytes:
    """The rest of a response after its literal, from `start` (its first bytes): from some
    servers " UID 12)". Another literal there is skipped, so that the next line read is a
    response's first."""
    rest = start if start.endswith(b"\r\n") else start + _line(readline)
    while (more := _literal_size(rest)) is not None:
        read(more)
        rest += _line(readline)
    return rest


def _literal_size(line: bytes) -> int | None:
    """The size of the literal that ends `line` ("... {512}\r\n"), if one does: found
    from the end, in C, rather than by a regex walking the echoed field list."""
    opening = line.rfind(b"{") if line.endswith(b"}\r\n") else -1
    digits = line[opening + 1 : -3]
    return int(digits) if opening >= 0 and digits.isdigit() else None


def _line(readline: Callable[[], bytes]) -> bytes:
    line = readline()
    if not line.endswith(b"\r\n"):
        raise imaplib.IMAP4.abort("socket error: EOF" if not line else "unterminated line")
    return line
