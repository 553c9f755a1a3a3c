"""The IMAP backend, on imapclient.

Safe by default: TLS with certificate verification (against `mail.ca_file` for a private CA),
STARTTLS on request, and cleartext only to a loopback host. Every library error is
rewrapped as a `MailError` that names host:port and the setting to change; the password
is never part of a message, a log line or an exception.

Reading never changes a message: folders are opened with EXAMINE (read-only) and bodies
are fetched with BODY.PEEK, so a scan never sets \\Seen (RFC 3501 6.4.5).
"""

from __future__ import annotations

import bisect
import collections
import contextlib
import copy
import imaplib
import itertools
import logging
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from pathlib import Path
from typing import Any

from imapclient import IMAPClient, SocketTimeout
from imapclient.datetime_util import format_criteria_date
from imapclient.exceptions import CapabilityError, IMAPClientAbortError, IMAPClientError, LoginError

from coffeechat.config import Mail, is_loopback
from coffeechat.errors import LoginFailed, MailError, MailUnreachable
from coffeechat.mail.base import (
    HEADER_FIELDS,
    AppendResult,
    FetchedMessage,
    FolderState,
    naming_any_of,
)
from coffeechat.mail.fetch_answer import read_fetch_answers
from coffeechat.mail.window import window_start, written_before, written_since

log = logging.getLogger(__name__)

# Tried in order when no folder carries the SPECIAL-USE flag (RFC 6154): the names that
# Gmail, Outlook/Exchange, Apple Mail and Courier-style servers (INBOX.) use.
DRAFTS_NAMES: tuple[str, ...] = ("[Gmail]/Drafts", "Drafts", "Draft", "INBOX.Drafts")
SENT_NAMES: tuple[str, ...] = (
    "Sent",
    "Sent Items",
    "Sent Messages",
    "[Gmail]/Sent Mail",
    "INBOX.Sent",
)
# \Seen too, so a draft coffeechat wrote does not show up as an unread message.
DRAFT_FLAGS: tuple[str, ...] = ("\\Draft", "\\Seen")
FETCH_BATCH = 500  # UIDs per FETCH: bounded command lines and memory
# Header FETCHes kept on the wire ahead of the batch being read, and so the batches a
# scan plans before applying the first (`batches_ahead`): the server prepares them, and
# the whole messages asked for meanwhile, while the client works (BENCHMARKS.md).
FETCHES_AHEAD = 8
SEARCH_ADDRESSES = 20  # addresses per UID SEARCH: four keys each, a line of ~2 KB
_PEOPLE = ("FROM", "TO", "CC", "BCC")  # the SEARCH keys for who a message names
MULTIAPPEND_BATCH = 50  # messages per MULTIAPPEND (RFC 3502) command
# RFC 2177: the server may drop an IDLE after 30 minutes, so re-issue before that.
IDLE_MAX_SECONDS = 29 * 60

_APPENDUID = re.compile(rb"\[APPENDUID (\d+) ([0-9:,]+)\]", re.IGNORECASE)
# A body section (RFC 3501 6.4.5): part numbers, optionally followed by HEADER/TEXT/MIME.
_SECTION = re.compile(r"(?:\d+(?:\.\d+)*)?(?:\.?(?:HEADER|TEXT|MIME))?", re.IGNORECASE)


# --- pure helpers -------------------------------------------------------------------


def expand_uid_set(uid_set: str) -> list[int]:
    """Expand "3:5,9" to [3, 4, 5, 9] (RFC 4315 uid-set; ranges may be written high:low)."""
    uids: list[int] = []
    for part in uid_set.split(","):
        low, _, high = part.partition(":")
        first, last = int(low), int(high or low)
        uids.extend(range(min(first, last), max(first, last) + 1))
    return uids


def parse_appenduid(response: bytes | str) -> list[int]:
    """The UIDs an APPEND's OK response names in [APPENDUID v uid-set] (UIDPLUS), or []."""
    raw = response.encode() if isinstance(response, str) else response
    match = _APPENDUID.search(raw)
    return expand_uid_set(match.group(2).decode()) if match else []


@dataclass
class _InFlight:
    """A UID FETCH sent before its answer is wanted."""

    uids: Sequence[int]
    lowest: int
    highest: int
    abandoned: bool = False  # nobody will take the answer: drop it when it comes
    result: tuple[str, str] | None = None  # once it ended: the status, the server's words
    literals: dict[int, bytes] = field(default_factory=dict)  # once it ended


@dataclass(frozen=True)
class FolderInfo:
    name: str
    flags: frozenset[str]  # lower-cased attributes, e.g. {"\\drafts", "\\haschildren"}


def choose_folder(folders: Sequence[FolderInfo], flag: str, names: Sequence[str]) -> str | None:
    """The folder carrying the SPECIAL-USE `flag`, else the first of `names` that exists.

    Names match exactly first, then ignoring case ("Sent items" on some servers).
    """
    wanted = flag.lower()
    for folder in folders:
        if wanted in folder.flags:
            return folder.name
    existing = {folder.name: folder.name for folder in folders}
    folded = {folder.name.casefold(): folder.name for folder in folders}
    for name in names:
        if name in existing:
            return name
    for name in names:
        if name.casefold() in folded:
            return folded[name.casefold()]
    return None


def header_fetch_item(fields: Sequence[str] = HEADER_FIELDS) -> str:
    """BODY.PEEK[HEADER.FIELDS (...)]: only these header lines, and no \\Seen."""
    return f"BODY.PEEK[HEADER.FIELDS ({' '.join(f.upper() for f in fields)})]"


def is_activity(response: tuple[Any, ...]) -> bool:
    """True for an IDLE response that reports a change (EXISTS, EXPUNGE, FETCH, ...).

    "* OK Still here" keep-alives are not activity.
    """
    return bool(response) and response[0] not in (b"OK", b"BYE")


def message_bytes(message: EmailMessage) -> bytes:
    """The message as IMAP wants it: CRLF line ends (RFC 3501 2.2), headers RFC 2047."""
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def _scrub(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


def _server_words(err: BaseException) -> str:
    """What the server said. imaplib raises with the response's bytes, and imapclient
    rewraps that as the text "b'...'": take the bytes from the error it wrapped."""
    for candidate in (err, err.__context__):
        if candidate is not None and candidate.args and isinstance(candidate.args[0], bytes):
            return candidate.args[0].decode("utf-8", errors="replace")
    return str(err)


def hung_up(err: BaseException) -> bool:
    """True when the server went away rather than answered: an EOF, a BYE (imaplib's
    abort), or a BYE instead of a greeting, which servers send when too busy to talk
    (RFC 3501 7.1.5)."""
    if isinstance(err, IMAPClientAbortError):
        return True
    return isinstance(err, IMAPClientError) and _server_words(err).upper().startswith("* BYE")


def is_temporary_refusal(words: str) -> bool:
    """True for a refusal the server marks as temporary: RFC 5530's [UNAVAILABLE] ("a
    subsystem is down"), which Dovecot and Gmail send when their password check is."""
    return "[UNAVAILABLE]" in words.upper()


def _between(uids: list[int], after: int, until: int | None) -> list[int]:
    """The UIDs of the sorted `uids` above `after` and up to `until` (None: no limit)."""
    high = len(uids) if until is None else bisect.bisect_right(uids, until)
    return uids[bisect.bisect_right(uids, after) : high]


def _batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- the backend ---------------------------------------------------------------------


def _naming_any(addresses: Sequence[str]) -> str:
    """A SEARCH key for messages that name one of `addresses` (ASCII) as sender or
    recipient: `OR FROM "a" OR TO "a" ...`, OR taking two keys (RFC 3501 §6.4.4)."""
    keys = [f"{field} {_quoted(address)}" for address in addresses for field in _PEOPLE]
    search = keys[-1]
    for key in reversed(keys[:-1]):
        search = f"OR {key} {search}"
    return search


def _quoted(text: str) -> str:
    """An IMAP quoted string (RFC 3501 §4.3): backslash and double quote escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ssl_context(mail: Mail) -> ssl.SSLContext:
    """A verifying context that trusts the system's CAs, or only `mail.ca_file`'s.

    A ca_file replaces the system's store, as curl's --cacert does: the one server
    coffeechat talks to is signed by it, and loading the ~150 system CAs as well costs
    ~20 ms on every connection.
    """
    if not mail.ca_file:
        return ssl.create_default_context()
    path = Path(mail.ca_file).expanduser()
    try:
        return ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError) as err:
        raise MailError(
            f"mail.ca_file: cannot load {str(path)!r} as a CA certificate ({err})",
            'point it at a PEM file, or set it to ""',
        ) from err


class ImapMailbox:
    """A logged-in IMAP connection implementing `coffeechat.mail.base.Mailbox`."""

    batches_ahead = FETCHES_AHEAD

    def __init__(self, client: IMAPClient, mail: Mail) -> None:
        self._client = client
        self._mail = mail
        self._where = f"{mail.host}:{mail.port}"
        self._folders: list[FolderInfo] | None = None
        self._special: dict[str, str] = {}
        self._selected: str | None = None
        self._news = False  # the server announced a change that no wait has reported yet
        self._interrupted = False  # a command did not finish: see close()
        # UID FETCHes sent and not yet taken, by tag, and the literals read so far for
        # those still on the wire, by UID (answers are told apart by UID: see _claim).
        self._in_flight: dict[bytes, _InFlight] = {}
        self._filed: dict[int, bytes] = {}
        self._closed = False
        # The UIDNEXT of each folder that had no gaps when it was last opened: every UID
        # below it was a message's then (see fetch_headers).
        self._gapless_below: dict[str, int] = {}

    # -- connecting ------------------------------------------------------------------

    @classmethod
    def connect(cls, mail: Mail, *, password: str) -> ImapMailbox:
        """Connect, secure and log in as `mail` says; raise MailError with the fix."""
        where = f"{mail.host}:{mail.port}"
        if mail.security not in ("tls", "starttls", "plain"):
            raise MailError(
                f'mail.security: unknown value {mail.security!r}; use "tls" or "starttls"'
            )
        if mail.security == "plain" and not is_loopback(mail.host):
            # Config validation refuses this too; this is the last line of defence.
            raise MailError(
                f"refusing to send the password unencrypted to {mail.host}: mail.security = "
                f'"plain" is allowed only to localhost; use "tls" or "starttls"'
            )
        context = _ssl_context(mail) if mail.security != "plain" else None
        client: IMAPClient | None = None
        started = time.monotonic()
        try:
            client = _greeted(mail, context)
            if mail.security == "starttls":
                client.starttls(context)
        except CapabilityError as err:
            _shutdown(client)
            raise MailError(
                f"{where} does not offer STARTTLS",
                'set mail.security = "tls" (usually with mail.port = 993)',
            ) from err
        except ssl.SSLCertVerificationError as err:
            _shutdown(client)
            reason = err.verify_message or str(err)
            if mail.ca_file:
                # "Set mail.ca_file" would send a user whose ca_file is set nowhere.
                fix = (
                    f"mail.ca_file is {str(Path(mail.ca_file).expanduser())!r}: check that it "
                    "is the PEM file of the CA that signed the server's certificate, and that "
                    "mail.host is the name on the certificate"
                )
            else:
                fix = (
                    "if the server uses a self-signed certificate or a private CA, set "
                    "mail.ca_file to that CA's PEM file, and check that mail.host is the name "
                    "on the certificate"
                )
            raise MailError(
                f"cannot verify the TLS certificate of {where} ({reason})", fix
            ) from err
        except ssl.SSLError as err:
            _shutdown(client)
            # A hang-up mid-handshake is the server going away, not a wrong setting.
            kind = MailUnreachable if isinstance(err, ssl.SSLEOFError) else MailError
            raise kind(
                f"TLS handshake with {where} failed ({err.reason or err})",
                'check mail.port and mail.security (port 993 is usually "tls", 143 "starttls")',
            ) from err
        except TimeoutError as err:
            _shutdown(client)
            fix = "check mail.host and mail.port, and that the server is reachable"
            if mail.security != "tls":
                # A TLS-only port that _greeted could not catch out (its handshake was
                # slow too) waits for a handshake while we wait for a greeting.
                fix += '; if that port expects TLS from the start, set mail.security = "tls"'
            # The time waited, not mail.timeout_seconds: over starttls, the wait for a
            # greeting and the TLS probe (see _greeted) come before or instead of it.
            waited = time.monotonic() - started
            raise MailUnreachable(
                f"timed out connecting to {where} after {waited:.0f} s", fix
            ) from err
        except OSError as err:
            _shutdown(client)
            raise MailUnreachable(
                f"cannot connect to {where} ({err.strerror or err})",
                "check mail.host and mail.port",
            ) from err
        except IMAPClientError as err:
            _shutdown(client)
            if hung_up(err):
                raise MailUnreachable(
                    f"{where} closed the connection ({_server_words(err)})",
                    "run the command again",
                ) from err
            raise MailError(
                f"{where} did not answer like an IMAP server ({_scrub(str(err), password)})",
                "check mail.port and mail.security",
            ) from err
        try:
            client.login(mail.username, password)
        except LoginError as err:
            _shutdown(client)
            words = _scrub(_server_words(err), password)
            # imapclient turns every error during LOGIN into a LoginError, a hang-up too.
            if isinstance(err.__context__, IMAPClientAbortError):
                lost = f"lost the connection to {where} while logging in as {mail.username}"
                raise MailUnreachable(f"{lost}: {words}", "run the command again") from err
            if is_temporary_refusal(words):
                raise MailUnreachable(
                    f"{where} cannot log in {mail.username} right now ({words})",
                    "try again later",
                ) from err
            if mail.password_command:  # the keyring is not read then: see credentials.py
                fix = (
                    "check that mail.password_command prints the right password on its "
                    "first line (while it is set, `coffeechat login` is not used)"
                )
            else:
                fix = "run `coffeechat login` to store the right password"
            raise LoginFailed(
                f"login failed for {mail.username} at {where} ({words})", fix
            ) from err
        except (IMAPClientError, OSError) as err:
            _shutdown(client)
            raise MailUnreachable(
                f"lost the connection to {where} while logging in as {mail.username}: "
                f"{_scrub(str(err), password)}"
            ) from err
        log.debug("logged in to %s as %s over %s", where, mail.username, mail.security)
        return cls(client, mail)

    def __enter__(self) -> ImapMailbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Log out; errors are swallowed (the connection may be gone already).

        After a command was interrupted the server may still be in it (IDLE waits for
        DONE), so a LOGOUT would wait mail.timeout_seconds for its answer: hang up instead.
        (FETCHes sent ahead and never read are no such case: imaplib reads their answers
        before the LOGOUT's.)
        """
        if self._closed:
            return
        self._closed = True
        if self._interrupted:
            _shutdown(self._client)
            return
        try:
            self._client.logout()
        except Exception:  # closing must never fail the command
            _shutdown(self._client)

    # -- error context -----------------------------------------------------------------

    @contextlib.contextmanager
    def _doing(self, action: str, *, pipelined: bool = False) -> Iterator[None]:
        """Run one step of talking to the server: every command goes through here.

        Unless the step is one more UID FETCH (`pipelined`), it first reads the answers
        to the FETCHes still on the wire, so that the next command's answer is the next
        thing read. Library errors become a `MailError` that says what was being done.
        """
        try:
            if not pipelined:
                self._finish_in_flight()
            yield
        except MailError:
            raise
        except (IMAPClientAbortError, OSError) as err:
            self._selected = None
            self._interrupted = True  # a timeout too: LOGOUT would wait as long again
            self._lose_in_flight()
            raise MailUnreachable(
                f"lost the connection to {self._where} while {action}: {err}",
                "run the command again",
            ) from err
        except IMAPClientError as err:
            raise MailError(f"{self._where} refused {action}: {err}") from err
        except BaseException:
            # Interrupted mid-command (Ctrl-C): what the server expects next is unknown.
            self._interrupted = True
            self._lose_in_flight()
            raise

    # -- folders -----------------------------------------------------------------------

    def folders(self) -> list[FolderInfo]:
        """Every folder with its attributes (cached for the connection)."""
        if self._folders is None:
            with self._doing("listing folders"):
                listed = self._client.list_folders()
            self._folders = [
                FolderInfo(
                    name=str(name),
                    flags=frozenset(
                        (f.decode() if isinstance(f, bytes) else str(f)).lower() for f in flags
                    ),
                )
                for flags, _delimiter, name in listed
            ]
        return self._folders

    def _find(self, key: str, override: str, flag: str, names: Sequence[str]) -> str:
        if key in self._special:
            return self._special[key]
        folders = self.folders()
        known = ", ".join(sorted(f.name for f in folders)) or "none"
        if override:
            if override not in {f.name for f in folders}:
                raise MailError(
                    f"mail.{key}: there is no folder {override!r} at {self._where} "
                    f'(folders there: {known}); fix the name or set it to ""'
                )
            found: str | None = override
        else:
            found = choose_folder(folders, flag, names)
        if found is None:
            raise MailError(
                f"no {flag[1:]} folder at {self._where}: none is marked {flag} and none is "
                f"named {', '.join(names)} (folders there: {known}); set mail.{key} to the "
                f"folder's name"
            )
        self._special[key] = found
        return found

    def drafts_folder(self) -> str:
        return self._find("drafts_folder", self._mail.drafts_folder, "\\Drafts", DRAFTS_NAMES)

    def sent_folder(self) -> str:
        return self._find("sent_folder", self._mail.sent_folder, "\\Sent", SENT_NAMES)

    def inbox_folder(self) -> str:
        return "INBOX"  # RFC 3501 5.1: the name is case-insensitive and always exists

    def _examine(self, folder: str) -> dict[bytes, Any]:
        """Open `folder` read-only (EXAMINE), so nothing we do can change a flag."""
        with self._doing(f"opening folder {folder!r}"):
            response: dict[bytes, Any] = self._client.select_folder(folder, readonly=True)
        self._selected = folder
        # UIDs ascend and are never reused (RFC 3501 §2.3.1.1): as many messages as UIDs
        # below UIDNEXT means that each of those UIDs is a message's. (Without UIDNEXT,
        # 1: no UID is known to be there.)
        uidnext = int(response.get(b"UIDNEXT") or 1)
        gapless = response.get(b"EXISTS") == uidnext - 1
        self._gapless_below[folder] = uidnext if gapless else 1
        return response

    def _refresh(self, folder: str) -> None:
        """Make `folder` the open folder, with messages that arrived since seen (NOOP).

        A change the NOOP reports is kept for the next `idle_wait` (RFC 3501 §6.1.2): the
        server announces new mail once, so a caller about to IDLE must not lose that news.
        """
        if self._selected == folder:
            with self._doing(f"refreshing folder {folder!r}"):
                _text, responses = self._client.noop()
            if any(is_activity(r) for r in responses):
                self._news = True
        else:
            self._examine(folder)

    # -- writing -----------------------------------------------------------------------

    def append_drafts(self, messages: Sequence[EmailMessage]) -> list[AppendResult]:
        """Store each message in Drafts with \\Draft and \\Seen, in order.

        Uses one MULTIAPPEND (RFC 3502) per batch when the server offers it, so a batch
        lands whole or not at all; records each APPENDUID (RFC 4315) the server returns.
        """
        if not messages:
            return []
        folder = self.drafts_folder()
        prepared = [self._with_message_id(message) for message in messages]
        with self._doing(f"appending drafts to {folder!r}"):
            multi = len(prepared) > 1 and self._client.has_capability("MULTIAPPEND")
        results: list[AppendResult] = []
        if multi:
            for batch in _batches(prepared, MULTIAPPEND_BATCH):
                uids = self._multiappend(folder, [raw for _, raw in batch])
                results.extend(
                    AppendResult(folder, message_id, uid)
                    for (message_id, _), uid in zip(batch, uids, strict=True)
                )
        else:
            for message_id, raw in prepared:
                uid = self.append(folder, raw, DRAFT_FLAGS)
                results.append(AppendResult(folder, message_id, uid))
        return results

    def _with_message_id(self, message: EmailMessage) -> tuple[str, bytes]:
        message_id = str(message.get("Message-ID", "")).strip()
        if not message_id:
            # The sync finds our drafts again by Message-ID, so every draft needs one.
            message = copy.deepcopy(message)
            sender = parseaddr(str(message.get("From", "")))[1]
            domain = sender.rpartition("@")[2] or "coffeechat.invalid"
            message_id = make_msgid(domain=domain)
            message["Message-ID"] = message_id
        return message_id, message_bytes(message)

    def _multiappend(self, folder: str, raws: Sequence[bytes]) -> list[int | None]:
        with self._doing(f"appending {len(raws)} drafts to {folder!r}"):
            status, data = self._client.multiappend(
                folder, [{"msg": raw, "flags": DRAFT_FLAGS} for raw in raws]
            )
        text = b" ".join(d for d in data if isinstance(d, bytes))
        if status != "OK":
            raise MailError(
                f"{self._where} refused appending {len(raws)} drafts to {folder!r}: "
                f"{text.decode(errors='replace')}"
            )
        uids = parse_appenduid(text)
        if len(uids) != len(raws):
            return [None] * len(raws)
        return list(uids)

    def append(self, folder: str, message: bytes, flags: Sequence[str] = ()) -> int | None:
        """APPEND one raw message; its UID when the server reports APPENDUID."""
        with self._doing(f"appending a message to {folder!r}"):
            response = self._client.append(folder, message, tuple(flags))
        uids = parse_appenduid(response)
        return uids[0] if len(uids) == 1 else None

    # -- reading -----------------------------------------------------------------------

    def has_message_id(self, folder: str, message_id: str) -> bool:
        """True when a message with exactly this Message-ID is in `folder`."""
        wanted = message_id.strip()
        if not wanted:
            return False
        self._refresh(folder)
        with self._doing(f"searching {folder!r} for {wanted}"):
            # HEADER search is a substring match (RFC 3501 6.4.4): confirm exact ids below.
            uids = self._client.search(["HEADER", "Message-ID", wanted])
            if not uids:
                return False
            blocks = self._fetch_literals(folder, uids, header_fetch_item(("Message-ID",)))
        for block in blocks.values():
            for line in block.decode(errors="replace").splitlines():
                name, _, value = line.partition(":")
                if name.strip().lower() == "message-id" and value.strip() == wanted:
                    return True
        return False

    def folder_state(self, folder: str) -> FolderState:
        """UIDVALIDITY and UIDNEXT from a fresh EXAMINE (STATUS when SELECT omits them)."""
        response = self._examine(folder)
        uidvalidity = response.get(b"UIDVALIDITY")
        uidnext = response.get(b"UIDNEXT")
        if uidvalidity is None or uidnext is None:
            with self._doing(f"reading the status of {folder!r}"):
                status = self._client.folder_status(folder, [b"UIDVALIDITY", b"UIDNEXT"])
            uidvalidity, uidnext = status[b"UIDVALIDITY"], status[b"UIDNEXT"]
        return FolderState(folder, int(uidvalidity), int(uidnext))

    def fetch_headers(
        self,
        folder: str,
        after_uid: int,
        since_days: int | None = None,
        *,
        until_uid: int | None = None,
        today: date | None = None,
    ) -> Iterator[list[FetchedMessage]]:
        """Batches of header blocks for messages with UID > after_uid, in UID order.

        `since_days` keeps a first backfill small: only messages written within that many
        days of `today` (mail/window.py). Never sets \\Seen.
        """
        if until_uid is not None and until_uid <= after_uid:
            return  # an empty range (and "n:m" with n > m would mean m:n, RFC 3501 §9)
        self._refresh(folder)
        last = "*" if until_uid is None else str(until_uid)
        since = window_start(since_days, today)
        item = header_fetch_item()
        with self._doing(f"searching {folder!r} for new messages"):
            if until_uid is not None and until_uid < self._gapless_below.get(folder, 1):
                # A folder without gaps: its UIDs are known without a search, which costs
                # a round trip and, at 50,000 messages, 17 ms of Dovecot's time. A message
                # expunged since is no matter: a FETCH passes over a UID no longer there.
                uids = list(range(after_uid + 1, until_uid + 1))
            else:
                found = self._search("UID", f"{after_uid + 1}:{last}")
                # "n:*" always matches the highest UID, even when below n (RFC 3501 6.4.8).
                uids = _between(sorted(found), after_uid, until_uid)
            if (
                since is not None
                and uids
                and written_before(since, self._fetch_literals(folder, uids[:1], item))
            ):
                # The folder begins before the window: years of mail, most likely, that
                # the server leaves out quicker than the client would read and drop it.
                day = format_criteria_date(since).decode()
                window = self._search("UID", f"{uids[0]}:{uids[-1]}", "SENTSINCE", day)
                uids = sorted(set(uids).intersection(window))
                since = None
        # Otherwise the folder begins inside the window and, as mail arrives in order, so
        # does most of the rest: the client drops the few older messages by the Date in
        # the headers it reads anyway. A search by date would cost the server as much as
        # a fifth of the fetch (BENCHMARKS.md). Dates need not rise with UIDs (an archive
        # moved in later), so every message is judged by its own.
        yield from self._header_batches(folder, uids, since)

    def fetch_correspondence(
        self,
        folder: str,
        addresses: Sequence[str],
        until_uid: int,
        since_days: int | None = None,
        *,
        today: date | None = None,
    ) -> Iterator[list[FetchedMessage]]:
        """As `Mailbox.fetch_correspondence`: the server searches, a few addresses a command.
        An address outside ASCII, which SEARCH would need a charset for, is looked for in
        the header blocks instead."""
        if until_uid < 1 or not addresses:
            return
        if not all(address.isascii() for address in addresses):
            batches = self.fetch_headers(folder, 0, since_days, until_uid=until_uid, today=today)
            yield from naming_any_of(batches, addresses)
            return
        self._refresh(folder)
        since = window_start(since_days, today)
        window = ["SENTSINCE", format_criteria_date(since).decode()] if since else []
        found: set[int] = set()
        with self._doing(f"searching {folder!r} for earlier mail of {len(addresses)} addresses"):
            for some in _batches(addresses, SEARCH_ADDRESSES):
                found.update(self._search("UID", f"1:{until_uid}", *window, _naming_any(some)))
        # "1:n" matches the highest UID even above n when n is past the end (RFC 3501 6.4.8).
        yield from self._header_batches(folder, sorted(u for u in found if u <= until_uid), None)

    def _header_batches(
        self, folder: str, uids: list[int], since: date | None
    ) -> Iterator[list[FetchedMessage]]:
        """The header blocks of `uids`, a batch at a time, only those written on `since`
        or later. FETCHES_AHEAD more batches are asked for while the caller works on one:
        their answers are read when wanted, or before the caller's next other command
        (see _doing)."""
        item = header_fetch_item()
        unasked = iter(_batches(uids, FETCH_BATCH))
        asked: collections.deque[tuple[Sequence[int], bytes]] = collections.deque()
        try:
            while True:
                with self._doing(f"fetching headers from {folder!r}", pipelined=True):
                    for batch in itertools.islice(unasked, FETCHES_AHEAD + 1 - len(asked)):
                        asked.append((batch, self._send_fetch(folder, batch, item)))
                    if not asked:
                        return
                    batch, tag = asked.popleft()
                    blocks = self._take(tag)
                fetched = [
                    FetchedMessage(folder, uid, blocks[uid])
                    for uid in batch
                    if uid in blocks  # expunged in the meantime
                ]
                if kept := written_since(since, fetched):
                    yield kept
        finally:  # the caller stopped early: what is still on the wire is nobody's
            for _batch, tag in asked:
                self._abandon(tag)

    def fetch_parts(self, folder: str, uids: Sequence[int], part: str) -> dict[int, bytes]:
        """One body section (e.g. "2", "1.TEXT", "TEXT"; "" for the whole message) of each
        message, by UID, in one BODY.PEEK FETCH; UIDs no longer in the folder are left out."""
        return self.ask_parts(folder, uids, part)()

    def ask_parts(
        self, folder: str, uids: Sequence[int], part: str
    ) -> Callable[[], dict[int, bytes]]:
        """As `fetch_parts`, but only ask now: calling what it returns reads the answer,
        which the server prepares meanwhile."""
        if not _SECTION.fullmatch(part):
            raise ValueError(f"not an IMAP body section: {part!r}")
        if not uids:
            return dict
        section = part or "(the whole message)"
        action = f"fetching part {section} of {len(uids)} messages in {folder!r}"
        with self._doing(action, pipelined=True):
            tag = self._send_fetch(folder, uids, f"BODY.PEEK[{part}]")

        def answer() -> dict[int, bytes]:
            with self._doing(action, pipelined=True):
                return self._take(tag)

        return answer

    @contextlib.contextmanager
    def _imaplib(self) -> Iterator[imaplib.IMAP4]:
        """The imaplib connection that imapclient wraps (as `_imap`), protocol trace off.

        imapclient's response parser walks every byte of every literal in Python, and
        the trace it turns on (imaplib debug 5) formats every line: for a 50,000-message
        scan that costs more than the fetch itself (BENCHMARKS.md).

        imaplib keeps untagged responses where imapclient never looks. Those of the last
        EXAMINE are counts, not news: they are dropped first. Those that come during the
        command announce new mail (RFC 3501 §7.3.1: the server says EXISTS once): that is
        kept for the next wait, or it would sleep through the mail.
        """
        imap = self._client._imap
        for news in _NEWS:
            imap.untagged_responses.pop(news, None)
        trace, imap.debug = imap.debug, 0
        try:
            yield imap
        finally:
            imap.debug = trace
        for news in _NEWS:
            if imap.untagged_responses.pop(news, None):
                self._news = True

    def _search(self, *criteria: str) -> list[int]:
        """UID SEARCH through imaplib (imapclient takes ~0.2 s to parse 50,000 UIDs).

        A server with ESEARCH (RFC 4731) answers in ranges ("1:50000"), where a plain
        SEARCH names every UID: 290 KB for a first scan of 50,000 messages, a quarter of
        a second on a slow link and a third of the search on a fast one.
        """
        ranges = self._client.has_capability("ESEARCH")
        with self._imaplib() as imap:
            if ranges:
                imap.untagged_responses.pop("ESEARCH", None)  # a stale one is not this answer
                status, data = imap.uid("SEARCH", "RETURN", "(ALL)", *criteria)
                answer = imap.untagged_responses.pop("ESEARCH", [])
            else:
                status, data = imap.uid("SEARCH", *criteria)
                answer = data
        if status != "OK":
            raise MailError(f"{self._where} refused UID SEARCH: {data!r}")
        return _uids_in_ranges(answer) if ranges else _uids_listed(answer)

    def _fetch_literals(self, folder: str, uids: Sequence[int], item: str) -> dict[int, bytes]:
        """UID → the value of `item` (a BODY section, sent as a literal) for each message."""
        return self._take(self._send_fetch(folder, uids, item))

    def _send_fetch(self, folder: str, uids: Sequence[int], item: str) -> bytes:
        """Send a UID FETCH in `folder` through imaplib, without reading its answer: its
        tag, for `_take`."""
        self._reopen(folder)  # no NOOP: these messages are known to be there
        lowest, highest = self._claim(uids)
        with self._imaplib() as imap:
            tag: bytes = imap._command("UID", "FETCH", ",".join(map(str, uids)), f"(UID {item})")
        self._in_flight[tag] = _InFlight(uids, lowest, highest)
        return tag

    def _claim(self, uids: Sequence[int]) -> tuple[int, int]:
        """Make sure no FETCH on the wire asks for any of `uids`, whose answers would be
        filed together (not on a scan's path: it asks for each message once); their
        lowest and highest."""
        lowest, highest = min(uids), max(uids)
        for flight in self._in_flight.values():
            if (
                flight.result is None
                and flight.lowest <= highest
                and lowest <= flight.highest
                and not set(uids).isdisjoint(flight.uids)
            ):
                self._finish_in_flight()
                break
        return lowest, highest

    def _take(self, tag: bytes) -> dict[int, bytes]:
        """The answer to the UID FETCH `tag`, read now unless it came with another's."""
        flight = self._in_flight.get(tag)
        if flight is None:  # lost with the connection
            raise IMAPClientAbortError("the connection failed earlier")
        if flight.result is None:
            self._read_until(tag)
        del self._in_flight[tag]
        assert flight.result is not None  # read up to its tagged line
        status, text = flight.result
        if status != "OK":
            raise MailError(f"{self._where} refused UID FETCH: {status} {text}")
        return flight.literals

    def _read_until(self, tag: bytes) -> None:
        """Read answers up to the tagged line of `tag` with `read_fetch_answers`, which
        does in ~5 µs a message what imaplib does in ~15 (BENCHMARKS.md)."""
        with self._imaplib() as imap:
            reading = read_fetch_answers(imap.readline, imap.read, tag, self._filed)
            for ended in reading.ended:
                imap.tagged_commands.pop(ended, None)  # answered here, not through imaplib
        self._news = self._news or reading.news
        filed = self._filed
        for ended, result in reading.ended.items():
            flight = self._in_flight.get(ended)
            if flight is None:
                continue
            flight.result = result
            flight.literals = {uid: filed.pop(uid) for uid in flight.uids if uid in filed}
            if flight.abandoned:
                del self._in_flight[ended]

    def _abandon(self, tag: bytes) -> None:
        """Nobody will take the answer to `tag`: drop it, now or when it comes."""
        flight = self._in_flight.get(tag)
        if flight is not None and flight.result is not None:
            del self._in_flight[tag]
        elif flight is not None:
            flight.abandoned = True

    def _lose_in_flight(self) -> None:
        """The connection failed, maybe in the middle of an answer: no FETCH sent on it
        can be read any more, and taking one fails at once instead of waiting again."""
        self._in_flight.clear()
        self._filed.clear()

    def _finish_in_flight(self) -> None:
        """Read the answers of the FETCHes still on the wire, to be taken later."""
        while waiting := [tag for tag, f in self._in_flight.items() if f.result is None]:
            self._read_until(waiting[-1])

    def _reopen(self, folder: str) -> None:
        """Open `folder` again if the caller opened another since."""
        if self._selected != folder:
            self._examine(folder)

    # -- waiting -----------------------------------------------------------------------

    def has_idle(self) -> bool:
        """True when the server supports IDLE (RFC 2177)."""
        with self._doing("reading the server's capabilities"):
            return bool(self._client.has_capability("IDLE"))

    def idle_wait(self, folder: str, timeout: float) -> bool:
        """Wait up to `timeout` seconds in IDLE on `folder`; True when something changed.

        Leaves IDLE before returning, so the caller can scan and then call it again; the
        wait is capped below the 30-minute server limit of RFC 2177.
        """
        self._refresh(folder)
        if self._news:  # announced since the last wait, maybe in the middle of a scan
            self._news = False
            return True
        with self._doing(f"waiting for new mail in {folder!r}"):
            self._client.idle()
            try:
                responses = self._client.idle_check(timeout=min(timeout, IDLE_MAX_SECONDS))
            finally:
                _text, more = self._client.idle_done()
        return any(is_activity(r) for r in [*responses, *more])

    def wait_for_change(self, folders: Sequence[str], timeout: float) -> bool:
        """IDLE on the first folder (INBOX); without IDLE, wait and let the caller poll.

        One connection can IDLE on one folder only; the watcher re-scans the other
        folders (Sent) on every wake, which is at least every `timeout` seconds.
        """
        if self.has_idle():
            return self.idle_wait(folders[0], timeout)
        time.sleep(timeout)
        return False


_NEWS = ("EXISTS", "RECENT", "EXPUNGE")  # untagged responses that mean a folder changed
# A server greets as soon as it accepts (RFC 3501 7.1); one that has not within this
# long may be a TLS-only port, waiting for our handshake as we wait for its greeting.
GREETING_SECONDS = 3.0


def _uids_listed(answer: Sequence[object]) -> list[int]:
    """The UIDs of SEARCH answers: "1 2 3 7"."""
    uids: list[int] = []
    for line in answer:
        if isinstance(line, bytes):
            uids.extend(map(int, line.split()))  # in C: 50,000 UIDs in a few ms
    return uids


_ALL = re.compile(rb"\bALL ([0-9:,]+)")  # in an ESEARCH answer: (TAG "A1") UID ALL 1:3,7


def _uids_in_ranges(answer: Sequence[object]) -> list[int]:
    """The UIDs of ESEARCH answers (RFC 4731), whose ALL is a uid-set; none without it."""
    uids: list[int] = []
    for line in answer:
        if isinstance(line, bytes) and (found := _ALL.search(line)):
            uids.extend(expand_uid_set(found[1].decode()))
    return uids


def _greeted(mail: Mail, context: ssl.SSLContext | None) -> IMAPClient:
    """A connection to `mail`'s server that has read the greeting.

    Over starttls or plain, a greeting slow to come prompts a TLS handshake on a second
    connection: a port that completes it expects TLS from the start, and waiting the
    whole timeout would only end in a vaguer message. Anything else (a slow server,
    no answer) is given the whole timeout on a new connection.
    """

    def connect(greeting_seconds: float) -> IMAPClient:
        return IMAPClient(
            mail.host,
            port=mail.port,
            ssl=mail.security == "tls",
            ssl_context=context,
            timeout=SocketTimeout(connect=greeting_seconds, read=mail.timeout_seconds),
        )

    if mail.security == "tls":
        return connect(mail.timeout_seconds)
    patience = min(GREETING_SECONDS, mail.timeout_seconds)
    try:
        return connect(patience)
    except TimeoutError:
        if _speaks_tls(mail.host, mail.port, context or ssl.create_default_context(), patience):
            raise MailError(
                f"{mail.host}:{mail.port} expects TLS from the start: it sent no IMAP "
                f"greeting but answered a TLS handshake",
                'set mail.security = "tls"',
            ) from None
        if patience >= mail.timeout_seconds:
            raise
    return connect(mail.timeout_seconds)


def _speaks_tls(host: str, port: int, context: ssl.SSLContext, seconds: float) -> bool:
    """True when host:port answers a TLS handshake; nothing is sent over the session.

    A certificate we cannot verify still proves the port speaks TLS.
    """
    try:
        with (
            socket.create_connection((host, port), timeout=seconds) as sock,
            context.wrap_socket(sock, server_hostname=host),
        ):
            return True
    except ssl.SSLCertVerificationError:
        return True
    except OSError:  # ssl.SSLError too: e.g. an IMAP greeting where a TLS record belongs
        return False


def _shutdown(client: IMAPClient | None) -> None:
    if client is None:
        return
    with contextlib.suppress(Exception):
        client.shutdown()
