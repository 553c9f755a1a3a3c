"""The Maildir backend: what a long-running `watch` sees of a changing folder, and which
commands may create a Maildir (only `init` and `demo`)."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from coffeechat_fixtures import Workspace

from coffeechat.config import Mail, load
from coffeechat.errors import MaildirMissing, MailError
from coffeechat.mail.maildir import MaildirMailbox
from coffeechat.store import Store
from coffeechat.watcher import watch_forever


def message(n: int) -> bytes:
    return f"From: a@example.org\nSubject: {n}\nMessage-ID: <{n}@example.org>\n\nhi\n".encode()


def test_each_pass_sees_mail_that_did_not_change_the_folder_mtime(tmp_path: Path) -> None:
    """File times are coarse (a kernel tick): a message delivered in the same tick as the
    last listing leaves the directory's mtime as it was. Python's mailbox.Maildir trusts
    that mtime once its listing is 2 s old, so a Maildir kept open by `watch` must not."""
    root = tmp_path / "Mail"
    watching = MaildirMailbox.create(root, Mail())
    assert watching.folder_state("INBOX").uidnext == 1
    new = root / "new"
    listed = os.stat(new).st_mtime_ns
    time.sleep(2.2)  # past mailbox.Maildir's "re-read anyway" window
    MaildirMailbox.open(root, Mail()).append("INBOX", message(1))  # another program
    os.utime(new, ns=(listed, listed))  # as if in the tick of the listing
    assert watching.folder_state("INBOX").uidnext == 2
    assert [m.uid for b in watching.fetch_headers("INBOX", 0) for m in b] == [1]


def test_an_empty_folder_becomes_a_maildir(tmp_path: Path) -> None:
    root = tmp_path / "Mail"
    root.mkdir()  # made by hand before `coffeechat init`
    box = MaildirMailbox.open(root, Mail())
    box.append("INBOX", message(1))
    assert box.folder_state("INBOX").uidnext == 2
    assert {p.name for p in root.iterdir()} >= {"cur", "new", "tmp", ".Drafts", ".Sent"}


def test_a_folder_of_other_things_is_refused_untouched(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(MailError, match=r"not a Maildir .* set mail.maildir"):
        MaildirMailbox.open(tmp_path, Mail())
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_opening_a_missing_maildir_creates_nothing(tmp_path: Path) -> None:
    """A typo in mail.maildir must not become a new, empty Maildir that `watch` then scans."""
    with pytest.raises(MaildirMissing, match=r"^mail\.maildir: .*/typo/Mial does not exist; "):
        MaildirMailbox.open(tmp_path / "typo" / "Mial", Mail())
    assert list(tmp_path.iterdir()) == []


def test_create_makes_a_new_maildir_with_drafts_and_sent(tmp_path: Path) -> None:
    root = tmp_path / "new" / "Mail"
    MaildirMailbox.create(root, Mail())
    assert {p.name for p in root.iterdir()} >= {"cur", "new", "tmp", ".Drafts", ".Sent"}
    MaildirMailbox.open(root, Mail()).append("Drafts", message(1))


def test_a_missing_drafts_folder_in_an_existing_maildir_is_made(tmp_path: Path) -> None:
    """mbsync makes only the folders the server has; Drafts may come later."""
    root = tmp_path / "Mail"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    MaildirMailbox.open(root, Mail()).append("Drafts", message(1))
    assert len(list((root / ".Drafts" / "new").iterdir())) == 1


def point_at(workspace: Workspace, maildir: Path) -> None:
    text = workspace.config_path.read_text()
    old = f'maildir = "{workspace.maildir}"'
    assert old in text
    workspace.config_path.write_text(text.replace(old, f'maildir = "{maildir}"'))


def missing_error(workspace: Workspace, maildir: Path) -> str:
    return (
        f"Error: {workspace.config_path}: mail.maildir: {maildir} does not exist; correct "
        f"mail.maildir, or run `mkdir -p {maildir}` to start an empty Maildir there\n"
    )


def test_watch_with_a_mistyped_maildir_fails_and_creates_nothing(
    workspace: Workspace, tmp_path: Path
) -> None:
    typo = tmp_path / "typo" / "Mial"
    point_at(workspace, typo)
    result = workspace.run("watch", "--once")
    assert result.exit_code == 1
    assert result.stderr == missing_error(workspace, typo)
    assert not (tmp_path / "typo").exists()


def test_draft_with_a_missing_maildir_fails_and_moves_no_stage(
    workspace: Workspace, tmp_path: Path
) -> None:
    missing = tmp_path / "nonexistent" / "Mail"
    point_at(workspace, missing)
    workspace.run("add", "Ana Lima", "--email", "ana@example.org")
    result = workspace.run("draft", "outreach", "ana")
    assert result.exit_code == 1
    assert result.stderr == missing_error(workspace, missing)
    assert not (tmp_path / "nonexistent").exists()
    assert "identified" in workspace.run("list").output


def test_watch_does_not_retry_a_missing_maildir(workspace: Workspace, tmp_path: Path) -> None:
    """Waiting will not fix a path: no "reconnecting" loop."""
    point_at(workspace, tmp_path / "gone")
    config = load(workspace.config_path)
    store = Store.open(config.database_path)

    def fail(what: object) -> None:
        raise AssertionError(f"watch went on: {what}")

    try:
        with pytest.raises(MaildirMissing):
            watch_forever(
                store,
                config,
                on_change=lambda change: None,
                on_status=fail,  # "watching ..." or "reconnecting ..."
                now=lambda: datetime.now(UTC),
                sleep=fail,
            )
    finally:
        store.close()


def test_the_backfill_window_goes_by_the_date_written_as_over_imap(tmp_path: Path) -> None:
    # A file's time is when some program delivered or synced it, which says little of
    # when the mail was written: a synced archive is old mail all the same.
    box = MaildirMailbox.create(tmp_path / "mail", Mail())
    inbox = tmp_path / "mail" / "cur"
    for n, written in enumerate(["Sat, 01 Jun 2024", "Thu, 02 Jan 2020", "Sun, 09 Jun 2024"]):
        path = inbox / f"{n}.host:2,S"
        path.write_bytes(f"Subject: m{n}\r\nDate: {written} 10:00:00 +0000\r\n\r\nhi\r\n".encode())
        os.utime(path, (0, 0) if n == 0 else None)  # the recent one with a 1970 file time
    got = [
        m.headers.split(b"Subject: ")[1][:2]
        for batch in box.fetch_headers("INBOX", 0, since_days=30, today=date(2024, 6, 10))
        for m in batch
    ]
    assert got == [b"m0", b"m2"]
