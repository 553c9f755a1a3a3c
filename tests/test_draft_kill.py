"""`draft` for many contacts killed with SIGKILL, then run again: no draft twice, none lost.

The command records each Message-ID as pending, appends the drafts with MULTIAPPEND in
batches of 50, then records them as written and moves the stages (drafting.py). The test
holds the database's write lock to stop the command at a known place, and kills it there:
before anything is recorded, or after the appends. A kill between two MULTIAPPEND batches
(a few milliseconds apart) is made exact by killing after the appends and then deleting
the later batches' drafts from the server: the state such a kill leaves behind.
"""

from __future__ import annotations

import imaplib
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import pytest
from coffeechat_fixtures import Workspace
from dovecot import Dovecot
from test_draft import drafts_on_server, use_imap

from coffeechat.models import NewContact
from coffeechat.store import Store

CONTACTS = 120  # three MULTIAPPEND batches of 50, 50 and 20


def drafts_on_disk(dovecot: Dovecot, user: str) -> int:
    """Drafts the server has stored, read from its Maildir without asking it."""
    drafts = dovecot.maildir(user) / "Drafts"
    return sum(len(os.listdir(drafts / sub)) for sub in ("new", "cur") if (drafts / sub).exists())


def delete_drafts_after(dovecot: Dovecot, user: str, keep: int) -> None:
    with imaplib.IMAP4_SSL(dovecot.host, dovecot.port, ssl_context=dovecot.ssl_context()) as imap:
        imap.login(user, dovecot.password)
        imap.select("Drafts")
        imap.store(f"{keep + 1}:*", "+FLAGS", "(\\Deleted)")
        imap.expunge()
    assert drafts_on_disk(dovecot, user) == keep


def draft_command(workspace: Workspace) -> subprocess.Popen[bytes]:
    ids = [str(n) for n in range(1, CONTACTS + 1)]
    return subprocess.Popen(
        [sys.executable, "-m", "coffeechat", "draft", "outreach", *ids],
        env={**os.environ, "COFFEECHAT_CONFIG": str(workspace.config_path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def pending(workspace: Workspace) -> int:
    conn = sqlite3.connect(workspace.database, timeout=5)
    try:
        row = conn.execute("SELECT count(*) FROM messages WHERE state = 'pending'").fetchone()
    finally:
        conn.close()
    return int(row[0])


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before-recording", "between-appends", "after-appending"])
def test_a_killed_draft_run_then_a_rerun_leaves_one_draft_each(
    workspace: Workspace, imap_account: tuple[Dovecot, str], point: str
) -> None:
    dovecot, user = imap_account
    use_imap(workspace, dovecot, user)
    store = Store.open(workspace.database)
    with store.transaction():
        for n in range(CONTACTS):
            store.add_contact(NewContact(f"Person {n}", (f"person{n}@corp.example",)))
    store.close()

    lock = sqlite3.connect(workspace.database, timeout=30, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # the command plans, then waits to record
    process = draft_command(workspace)
    time.sleep(3.0)  # planning 120 drafts takes about a second
    assert process.poll() is None and pending(workspace) == 0
    if point != "before-recording":
        lock.execute("ROLLBACK")
        while pending(workspace) == 0:  # the command records them all as pending...
            assert process.poll() is None, process.communicate()[1].decode()
            time.sleep(0.002)
        lock.execute("BEGIN IMMEDIATE")  # ...and appends, then waits to record again
        deadline = time.monotonic() + 60
        # Counted on disk: a STATUS beside the APPENDs can deadlock Dovecot 2.3's index
        # locks ("Resource deadlock avoided", and the command loses its connection).
        while drafts_on_disk(dovecot, user) < CONTACTS:
            assert process.poll() is None, process.communicate()[1].decode()
            assert time.monotonic() < deadline
            time.sleep(0.01)
    process.kill()
    assert process.wait(timeout=10) < 0
    lock.execute("ROLLBACK")
    lock.close()
    if point != "before-recording":
        assert pending(workspace) == CONTACTS
    if point == "between-appends":
        delete_drafts_after(dovecot, user, 50)  # only the first batch reached the server

    again = draft_command(workspace)
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err.decode()
    drafts = drafts_on_server(dovecot, user)
    recipients = Counter(str(message["To"]) for _, message in drafts)
    assert len(recipients) == CONTACTS and set(recipients.values()) == {1}, recipients
    assert pending(workspace) == 0
    conn = sqlite3.connect(workspace.database)
    try:
        stages = conn.execute("SELECT DISTINCT stage FROM contacts").fetchall()
    finally:
        conn.close()
    assert stages == [("drafted",)]
