"""Count the IMAP commands a client really sends, on the wire of one connection.

Every tagged command needs a new tag, whichever path sends it: imaplib's `_command`, or
imapclient's `_raw_command`, which writes SEARCH, FETCH and MULTIAPPEND itself and never
passes through `_command`. So the count wraps `IMAP4._new_tag` (one call, one command),
and reads each command's name from the first line `send` puts on the wire after it.
Instance attributes shadow the methods, so only this connection is counted.
"""

from __future__ import annotations

import imaplib
from collections import Counter
from typing import Any


def command_name(line: bytes, tag: bytes) -> str | None:
    """The command in a line that begins with `tag` ("A12 UID FETCH ..." -> "UID FETCH")."""
    if not line.startswith(tag + b" "):
        return None
    words = line[len(tag) + 1 :].split(None, 2)
    if not words:
        return None
    if words[0].upper() == b"UID" and len(words) > 1:
        return "UID " + words[1].decode("ascii", "replace").upper()
    return words[0].decode("ascii", "replace").upper()


class CommandCounter:
    """Counts the commands on one imaplib connection, by name (e.g. "EXAMINE")."""

    def __init__(self, imap: imaplib.IMAP4) -> None:
        self.names: Counter[str] = Counter()
        self._pending: bytes | None = None
        new_tag, send = imap._new_tag, imap.send

        def counting_new_tag(*args: Any) -> Any:
            tag = new_tag(*args)
            self._pending = tag if isinstance(tag, bytes) else str(tag).encode()
            self.names["?"] += 1  # renamed when its first line is sent
            return tag

        def naming_send(data: bytes) -> Any:
            if self._pending is not None:
                name = command_name(bytes(data), self._pending)
                if name is not None:
                    self.names["?"] -= 1
                    self.names[name] += 1
                    if not self.names["?"]:
                        del self.names["?"]
                    self._pending = None
            return send(data)

        imap._new_tag = counting_new_tag  # type: ignore[attr-defined]
        imap.send = naming_send  # type: ignore[method-assign,assignment]

    @property
    def total(self) -> int:
        return sum(self.names.values())

    def reset(self) -> None:
        self.names.clear()
        self._pending = None

    def summary(self) -> str:
        """E.g. "2 (EXAMINE 2)"."""
        parts = ", ".join(f"{name} {count}" for name, count in sorted(self.names.items()))
        return f"{self.total} ({parts})" if parts else "0"


def count_commands(mailbox: Any) -> CommandCounter:
    """Start counting on a connected `coffeechat.mail.imap.ImapMailbox`."""
    return CommandCounter(mailbox._client._imap)
