"""The Maildir backend: the zero-setup default, and the mailbox of mbsync/offlineimap users.

Folders use the Maildir++ layout that Dovecot, mutt and mbsync share: the root is INBOX,
and `.Drafts`, `.Sent` are sub-maildirs. Maildir has no UIDs, so, like Dovecot's
`dovecot-uidlist`, each folder gets a `coffeechat-uidlist` file that numbers messages in
the order we first see them; its first line is the UIDVALIDITY, so deleting the file
makes the tracker rescan (deduplicating by Message-ID) instead of missing mail.
"""

from __future__ import annotations

import email
import email.policy
import functools
import mailbox
import os
import shlex
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from email.message import EmailMessage
from pathlib import Path

from coffeechat.config import Mail
from coffeechat.errors import MaildirMissing, MailError
from coffeechat.mail.base import (
    HEADER_FIELDS,
    AppendResult,
    FetchedMessage,
    FolderState,
    naming_any_of,
)
from coffeechat.mail.window import window_start, written_since

UIDLIST = "coffeechat-uidlist"
BATCH = 1000
_WANTED = {name.lower() for name in HEADER_FIELDS}

# IMAP flags to Maildir info letters (https://cr.yp.to/proto/maildir.html).
_FLAG_LETTERS = {
    "\\Draft": "D",
    "\\Flagged": "F",
    "\\Answered": "R",
    "\\Seen": "S",
    "\\Deleted": "T",
}


class MaildirMailbox:
    batches_ahead = 0  # nothing to wait for: a file is read when it is wanted

    def __init__(self, root: Path, mail: Mail) -> None:
        self.root = root
        self.mail = mail
        # Kept for the life of the object: listing a 50,000-file folder is the costly part,
        # and a scan asks for whole messages (bounces, auto-replies) many times.
        self._boxes: dict[str, mailbox.Maildir] = {}
        self._keys_by_uid: dict[str, dict[int, str]] = {}

    @classmethod
    def create(cls, root: Path, mail: Mail) -> MaildirMailbox:
        """Make a new Maildir++ tree at `root`, parent folders included, and open it.

        Only `init` and `demo` call this: they are where the user names a new Maildir.
        Every other command goes through `open`, which never makes the root.
        """
        try:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as err:
            raise MailError(
                f"{root}: cannot create the Maildir ({err.strerror}); choose another folder"
            ) from err
        return cls.open(root, mail)

    @classmethod
    def open(cls, root: Path, mail: Mail, *, config_file: Path | None = None) -> MaildirMailbox:
        """Open a Maildir++ tree, adding any of cur/, new/, tmp/, Drafts and Sent it lacks.

        The root must exist: a mistyped or unmounted mail.maildir would otherwise become a
        new, empty Maildir that `watch` scans without complaint and `draft` fills, where
        no mail client looks. Missing folders inside it are made, since mbsync creates
        only those the server has. An existing empty folder becomes a Maildir (the user
        made it for this); a folder with other things in it and none of cur/, new/, tmp/
        is refused rather than filled with mail folders.
        """
        if not root.exists():
            where = f"{config_file}: " if config_file else ""
            raise MaildirMissing(
                f"{where}mail.maildir: {root} does not exist; correct mail.maildir, or run "
                f"`mkdir -p {shlex.quote(str(root))}` to start an empty Maildir there"
            )
        subdirs = [root / sub for sub in ("cur", "new", "tmp")]
        try:
            if root.is_dir() and not any(sub.is_dir() for sub in subdirs) and any(root.iterdir()):
                raise MailError(
                    f"{root}: not a Maildir (no cur/, new/ or tmp/ in it) and not empty; "
                    f"set mail.maildir to a Maildir, or to an empty or new folder"
                )
            for sub in subdirs:
                sub.mkdir(mode=0o700, exist_ok=True)
            inbox = mailbox.Maildir(root, create=False)
            for name in ("Drafts", "Sent"):
                if name not in inbox.list_folders():
                    inbox.add_folder(name)
        except OSError as err:
            raise MailError(
                f"{root}: cannot open the Maildir ({err.strerror}); check mail.maildir"
            ) from err
        return cls(root, mail)

    # ------------------------------------------------------------ folders

    def inbox_folder(self) -> str:
        return "INBOX"

    def drafts_folder(self) -> str:
        return self.mail.drafts_folder or "Drafts"

    def sent_folder(self) -> str:
        return self.mail.sent_folder or "Sent"

    def _folder(self, name: str) -> mailbox.Maildir:
        if name not in self._boxes:
            self._boxes[name] = self._open_folder(name)
        return self._boxes[name]

    def _open_folder(self, name: str) -> mailbox.Maildir:
        root = mailbox.Maildir(self.root, create=False)
        if name.upper() == "INBOX":
            return root
        try:
            return root.get_folder(name)
        except mailbox.NoSuchMailboxError:
            raise MailError(
                f"{self.root}: no folder {name!r}; folders: INBOX, "
                + ", ".join(root.list_folders())
            ) from None

    def _folder_path(self, name: str) -> Path:
        return self.root if name.upper() == "INBOX" else self.root / f".{name}"

    # ------------------------------------------------------------ writing

    def append(self, folder: str, message: bytes, flags: Sequence[str] = ()) -> int | None:
        box = self._folder(folder)
        entry = mailbox.MaildirMessage(message)
        letters = "".join(sorted(_FLAG_LETTERS[f] for f in flags if f in _FLAG_LETTERS))
        if letters:
            entry.set_subdir("cur")
            entry.set_flags(letters)
        # mailbox writes to tmp/ and renames into new/ or cur/: a reader never sees half a file.
        box.add(entry)
        return None

    def append_drafts(self, messages: Sequence[EmailMessage]) -> list[AppendResult]:
        folder = self.drafts_folder()
        results = []
        for message in messages:
            # Maildir files use the local line ending (LF), unlike IMAP's CRLF.
            self.append(
                folder, message.as_bytes(policy=email.policy.default), flags=("\\Draft", "\\Seen")
            )
            results.append(AppendResult(folder, str(message["Message-ID"] or "")))
        return results

    # ------------------------------------------------------------ reading

    def has_message_id(self, folder: str, message_id: str) -> bool:
        box = self._folder(folder)
        for key in box.iterkeys():
            headers = _read_headers(Path(box._path) / box._lookup(key))  # type: ignore[attr-defined]
            parsed = email.message_from_bytes(headers, policy=email.policy.compat32)
            if (parsed["Message-ID"] or "").strip() == message_id.strip():
                return True
        return False

    def folder_state(self, folder: str) -> FolderState:
        """UIDVALIDITY and UIDNEXT from a fresh listing of the folder.

        Each pass of a scan starts here, so the folder is listed anew rather than through
        the kept `mailbox.Maildir`: that one re-reads a directory only when its mtime
        moves, and file times are coarse (a kernel tick), so a message delivered in the
        tick of the last listing would stay unseen until the next delivery.
        """
        self._boxes.pop(folder, None)
        uidvalidity, uids = self._uidlist(folder)
        return FolderState(folder, uidvalidity, max(uids.values(), default=0) + 1)

    def fetch_headers(
        self,
        folder: str,
        after_uid: int,
        since_days: int | None = None,
        *,
        until_uid: int | None = None,
        today: date | None = None,
    ) -> Iterator[list[FetchedMessage]]:
        """As the IMAP backend's: the backfill window goes by each message's Date."""
        box = self._folder(folder)
        _, uids = self._uidlist(folder)
        since = window_start(since_days, today)
        batch: list[FetchedMessage] = []
        for key, uid in sorted(uids.items(), key=lambda item: item[1]):
            if uid <= after_uid or (until_uid is not None and uid > until_uid):
                continue
            try:
                path = Path(box._path) / box._lookup(key)  # type: ignore[attr-defined]
                headers = _read_headers(path)
            except (KeyError, FileNotFoundError):
                continue  # deleted since we listed it
            batch.append(FetchedMessage(folder, uid, _only_wanted(headers)))
            if len(batch) >= BATCH:
                if kept := written_since(since, batch):
                    yield kept
                batch = []
        if kept := written_since(since, batch):
            yield kept

    def fetch_correspondence(
        self,
        folder: str,
        addresses: Sequence[str],
        until_uid: int,
        since_days: int | None = None,
        *,
        today: date | None = None,
    ) -> Iterator[list[FetchedMessage]]:
        """As the IMAP backend's, by reading every header block: there is no server here."""
        batches = self.fetch_headers(folder, 0, since_days, until_uid=until_uid, today=today)
        yield from naming_any_of(batches, addresses)

    def fetch_parts(self, folder: str, uids: Sequence[int], part: str) -> dict[int, bytes]:
        box = self._folder(folder)
        if any(uid not in self._keys_by_uid.get(folder, {}) for uid in uids):
            self._uidlist(folder)
        keys = self._keys_by_uid.get(folder, {})
        parts = {}
        for uid in uids:
            try:
                parts[uid] = imap_section(box.get_bytes(keys[uid]), part)
            except (KeyError, FileNotFoundError):
                continue  # gone since it was listed
        return parts

    def ask_parts(
        self, folder: str, uids: Sequence[int], part: str
    ) -> Callable[[], dict[int, bytes]]:
        return functools.partial(self.fetch_parts, folder, list(uids), part)

    def wait_for_change(self, folders: Sequence[str], timeout: float) -> bool:
        """Poll the folders' new/ and cur/ directories until one changes or time runs out."""

        def snapshot() -> tuple[float, ...]:
            stamps = []
            for name in folders:
                base = self._folder_path(name)
                for sub in ("new", "cur"):
                    try:
                        stamps.append(os.stat(base / sub).st_mtime_ns)
                    except FileNotFoundError:
                        stamps.append(0)
            return tuple(stamps)

        before = snapshot()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if snapshot() != before:
                return True
        return False

    def close(self) -> None:
        """Nothing to release: every operation opens and closes its own files."""

    # ------------------------------------------------------------ the UID list

    def _uidlist(self, folder: str) -> tuple[int, dict[str, int]]:
        """The folder's UIDVALIDITY and key → UID map, numbering keys seen for the first time."""
        box = self._folder(folder)
        path = self._folder_path(folder) / UIDLIST
        uidvalidity, uids = _read_uidlist(path)
        new_keys = [key for key in box.iterkeys() if key not in uids]
        if new_keys or not path.exists():
            # Number new mail in delivery order, as an IMAP server would.
            def delivered(key: str) -> tuple[float, str]:
                try:
                    return (os.stat(Path(box._path) / box._lookup(key)).st_mtime, key)  # type: ignore[attr-defined]
                except (KeyError, FileNotFoundError):
                    return (0.0, key)

            next_uid = max(uids.values(), default=0) + 1
            for key in sorted(new_keys, key=delivered):
                uids[key] = next_uid
                next_uid += 1
            _write_uidlist(path, uidvalidity, uids)
        self._keys_by_uid[folder] = {uid: key for key, uid in uids.items()}
        return uidvalidity, uids


def _read_uidlist(path: Path) -> tuple[int, dict[str, int]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return int(time.time()), {}
    uidvalidity = int(lines[0]) if lines and lines[0].isdigit() else int(time.time())
    uids: dict[str, int] = {}
    for line in lines[1:]:
        uid, _, key = line.partition(" ")
        if uid.isdigit() and key:
            uids[key] = int(uid)
    return uidvalidity, uids


def _write_uidlist(path: Path, uidvalidity: int, uids: dict[str, int]) -> None:
    lines = [str(uidvalidity)] + [
        f"{uid} {key}" for key, uid in sorted(uids.items(), key=lambda item: item[1])
    ]
    temp = path.with_name(f".{UIDLIST}.{os.getpid()}.tmp")
    temp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(temp, path)


def _read_headers(path: Path) -> bytes:
    """The header block of a message file, without reading the body."""
    lines = []
    with open(path, "rb") as handle:
        for line in handle:
            if line in (b"\n", b"\r\n"):
                break
            lines.append(line)
    return b"".join(lines)


def _only_wanted(headers: bytes) -> bytes:
    """Keep only HEADER_FIELDS, as an IMAP HEADER.FIELDS fetch would."""
    kept: list[bytes] = []
    keep = False
    for line in headers.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t"):
            if keep:
                kept.append(line)
            continue
        name = line.split(b":", 1)[0].strip().decode("ascii", "replace").lower()
        keep = name in _WANTED
        if keep:
            kept.append(line)
    return b"".join(kept) + b"\r\n"


def imap_section(raw: bytes, part: str) -> bytes:
    """The bytes IMAP's BODY[<part>] would return, for "" (all), "HEADER" and "TEXT".

    The tracker asks for whole messages only (see tracker.classify.FULL_MESSAGE), so
    numbered parts are not offered here.
    """
    if part == "":
        return raw
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = raw.partition(b"\n\n")
    if part == "HEADER":
        return head + sep
    if part == "TEXT":
        return body
    raise MailError(f'the Maildir backend cannot fetch body part {part!r}; ask for ""')
