"""The mailbox interface both backends implement."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import NamedTuple, Protocol

# The header fields the tracker classifies on; a sync fetches these and nothing else
# (BODY.PEEK[HEADER.FIELDS (...)]), so a scan costs little and never sets \Seen.
HEADER_FIELDS: tuple[str, ...] = (
    "From",
    "To",
    "Cc",
    "Bcc",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Subject",
    "Content-Type",
    "Auto-Submitted",
    "Precedence",
    "X-Autoreply",
    "X-Autorespond",
    "X-Auto-Response-Suppress",
    "List-Id",
    "Return-Path",
    "X-Failed-Recipients",
)


@dataclass(frozen=True)
class AppendResult:
    """Where a draft landed. `uid` is the APPENDUID (RFC 4315) when the server gave one."""

    folder: str
    message_id: str
    uid: int | None = None


@dataclass(frozen=True)
class FolderState:
    """What the sync cursor needs to know about a folder."""

    name: str
    uidvalidity: int
    uidnext: int


class FetchedMessage(NamedTuple):
    """The header block of one message (only the fields classification needs).

    A named tuple, not a frozen dataclass: a first scan makes one per message, and a
    tuple is made in half the time (BENCHMARKS.md).
    """

    folder: str
    uid: int
    headers: bytes


def naming_any_of(
    batches: Iterable[list[FetchedMessage]], addresses: Sequence[str]
) -> Iterator[list[FetchedMessage]]:
    """`batches` with only the messages whose header block holds one of `addresses`
    anywhere: a search where no server searches, looser than reading From, To and Cc,
    which classification then does exactly."""
    wanted = [address.lower().encode("utf-8", "replace") for address in addresses]
    for batch in batches:
        blocks = [(m, m.headers.lower()) for m in batch]
        if kept := [m for m, block in blocks if any(a in block for a in wanted)]:
            yield kept


class Mailbox(Protocol):
    """Operations coffeechat needs from a mailbox. Never sends mail."""

    # How many batches of headers a scan reads and plans before it applies the first:
    # a server prepares what was asked for while the client works; a local folder
    # answers at once.
    batches_ahead: int

    def drafts_folder(self) -> str:
        """The Drafts folder: config override, SPECIAL-USE \\Drafts, then common names."""
        ...

    def sent_folder(self) -> str:
        """The Sent folder: config override, SPECIAL-USE \\Sent, then common names."""
        ...

    def inbox_folder(self) -> str: ...

    def append_drafts(self, messages: Sequence[EmailMessage]) -> list[AppendResult]:
        """Store each message in Drafts with the \\Draft flag, in order."""
        ...

    def has_message_id(self, folder: str, message_id: str) -> bool:
        """True when a message with this Message-ID is already in `folder`."""
        ...

    def append(self, folder: str, message: bytes, flags: Sequence[str] = ()) -> int | None:
        """Put a raw message in a folder (tests, the demo's simulated mail)."""
        ...

    def folder_state(self, folder: str) -> FolderState: ...

    def fetch_headers(
        self,
        folder: str,
        after_uid: int,
        since_days: int | None = None,
        *,
        until_uid: int | None = None,
    ) -> Iterator[list[FetchedMessage]]:
        """Batches of header blocks for messages with after_uid < UID <= until_uid (no
        upper bound when None), in UID order; never sets \\Seen. With `since_days`, only
        the messages written within that many days (mail/window.py)."""
        ...

    def fetch_correspondence(
        self, folder: str, addresses: Sequence[str], until_uid: int, since_days: int | None = None
    ) -> Iterator[list[FetchedMessage]]:
        """As `fetch_headers(folder, 0, since_days, until_uid=until_uid)`, but only the
        messages that name one of `addresses` in From, To, Cc or Bcc (a few more may come:
        IMAP SEARCH matches parts of addresses). The earlier mail of a new contact."""
        ...

    def fetch_parts(self, folder: str, uids: Sequence[int], part: str) -> dict[int, bytes]:
        """One body part (e.g. "2", "TEXT", or "" for the whole message) of each message,
        by UID, in one request, without setting \\Seen; UIDs no longer there are left out."""
        ...

    def ask_parts(
        self, folder: str, uids: Sequence[int], part: str
    ) -> Callable[[], dict[int, bytes]]:
        """As `fetch_parts`, for when the answer is wanted later: calling what it returns
        gives it. A server prepares it meanwhile (IMAP sends the request now)."""
        ...

    def wait_for_change(self, folders: Sequence[str], timeout: float) -> bool:
        """Block until one of `folders` may have new mail (IMAP IDLE, or polling), or until
        `timeout` seconds pass; True when a change was reported."""
        ...

    def close(self) -> None: ...
