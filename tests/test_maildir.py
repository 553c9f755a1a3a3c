"""The Maildir backend on its own: what a long-running `watch` sees of a changing folder."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from coffeechat.config import Mail
from coffeechat.errors import MailError
from coffeechat.mail.maildir import MaildirMailbox


def message(n: int) -> bytes:
    return f"From: a@example.org\nSubject: {n}\nMessage-ID: <{n}@example.org>\n\nhi\n".encode()


def test_each_pass_sees_mail_that_did_not_change_the_folder_mtime(tmp_path: Path) -> None:
    """File times are coarse (a kernel tick): a message delivered in the same tick as the
    last listing leaves the directory's mtime as it was. Python's mailbox.Maildir trusts
    that mtime once its listing is 2 s old, so a Maildir kept open by `watch` must not."""
    root = tmp_path / "Mail"
    watching = MaildirMailbox.open(root, Mail())
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
