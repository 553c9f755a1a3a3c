"""A scan killed with SIGKILL and run again ends exactly where an uninterrupted scan does."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from coffeechat_fixtures import Workspace, isolate_home, make_workspace

from coffeechat.config import Mail
from coffeechat.mail.maildir import BATCH, MaildirMailbox
from coffeechat.models import NewContact
from coffeechat.pipeline import Stage
from coffeechat.store import Store

CONTACTS = 120
MESSAGES = 3000
NOW = "2026-06-01T12:00:00+00:00"


def seed(workspace: Workspace) -> None:
    store = Store.open(workspace.database)
    for n in range(CONTACTS):
        contact = store.add_contact(
            NewContact(f"Person {n}", (f"p{n}@corp{n % 7}.example",)),
            at="2026-01-01T00:00:00+00:00",
        )
        store.move(contact, Stage.CONTACTED, "seeded", "test", at="2026-01-02T00:00:00+00:00")
        store.record_message(
            f"<out-{n}@example.com>",
            contact.id,
            direction="sent",
            kind="outreach",
            subject="Coffee?",
            at="2026-01-02T00:00:00+00:00",
        )
    store.close()
    box = MaildirMailbox.open(workspace.maildir, Mail())
    start = datetime(2026, 2, 1, tzinfo=UTC)
    for i in range(MESSAGES):
        message = EmailMessage()
        n = i % CONTACTS
        message["Date"] = format_datetime(start + timedelta(minutes=i))
        message["To"] = "alex@example.com"
        message["Message-ID"] = f"<m{i}@example.net>"
        if i % 25 == 0:  # a contact answers
            message["From"] = f"Person {n} <p{n}@corp{n % 7}.example>"
            message["Subject"] = "Re: Coffee?"
            message["In-Reply-To"] = f"<out-{n}@example.com>"
        elif i % 25 == 1:  # an out-of-office
            message["From"] = f"Person {n} <p{n}@corp{n % 7}.example>"
            message["Subject"] = "Automatic reply: Coffee?"
            message["Auto-Submitted"] = "auto-replied"
        else:  # everything else in an inbox
            message["From"] = f"News {i} <news{i % 50}@lists.example.org>"
            message["Subject"] = f"Weekly digest {i}"
        message.set_content("Hello\n")
        box.append("INBOX", message.as_bytes())


def state(database: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(database)
    try:
        return {
            "contacts": conn.execute("SELECT id, stage FROM contacts ORDER BY id").fetchall(),
            "events": sorted(
                conn.execute(
                    "SELECT contact_id, at, kind, from_stage, to_stage, detail, cause FROM events"
                ).fetchall()
            ),
            "messages": sorted(
                conn.execute(
                    "SELECT message_id, contact_id, direction, kind, at FROM messages"
                ).fetchall()
            ),
            "emails": sorted(conn.execute("SELECT * FROM emails").fetchall()),
        }
    finally:
        conn.close()


def cursor(database: Path) -> int | None:
    try:
        conn = sqlite3.connect(database, timeout=5)
        row = conn.execute("SELECT last_uid FROM folders WHERE name = 'INBOX'").fetchone()
        conn.close()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


def watch(workspace: Workspace) -> subprocess.Popen[bytes]:
    env = {**os.environ, "COFFEECHAT_CONFIG": str(workspace.config_path), "COFFEECHAT_NOW": NOW}
    return subprocess.Popen(
        [sys.executable, "-m", "coffeechat", "watch", "--once"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def copy_workspace(source: Workspace, root: Path) -> Workspace:
    shutil.copytree(source.root, root, dirs_exist_ok=True)
    copy = Workspace(root, root / "config.toml", root / "Mail", source.runner)
    copy.config_path.write_text(source.config_path.read_text().replace(str(source.root), str(root)))
    return copy


@dataclass(frozen=True)
class Scanned:
    """A seeded workspace, and what an uninterrupted scan of a copy of it led to."""

    template: Workspace
    expected: dict[str, list[tuple]]
    commits: list[float]  # seconds after start at which each batch was committed


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scanned]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_home(tmp_path_factory.mktemp("home"), monkeypatch)
        template = make_workspace(tmp_path_factory.mktemp("template"))
        seed(template)
        twin = copy_workspace(template, tmp_path_factory.mktemp("twin"))
        started, commits, last = time.monotonic(), [], 0
        process = watch(twin)
        while process.poll() is None and time.monotonic() - started < 120:
            seen = cursor(twin.database) or 0
            if seen > last:
                commits.append(time.monotonic() - started)
                last = seen
            time.sleep(0.005)
        assert process.wait(timeout=10) == 0
        expected = state(twin.database)
        assert any(stage == "replied" for _, stage in expected["contacts"])
        yield Scanned(template, expected, commits)


def wait_for_cursor(workspace: Workspace, process: subprocess.Popen[bytes], uid: int) -> None:
    deadline = time.monotonic() + 60
    while (cursor(workspace.database) or 0) < uid:
        assert process.poll() is None, "the scan ended before the kill"
        assert time.monotonic() < deadline
        time.sleep(0.002)


# Where to kill. "after": once N batches are committed. "blocked": batch N fetched and
# classified, its transaction waiting for the database lock this test holds. "writing":
# that lock released, then a few milliseconds into batch 2's writes and commit.
KILL_POINTS = {
    "inside-batch-1-before-writing": ("blocked", 1, 0.0),
    "after-batch-1": ("after", 1, 0.0),
    "inside-batch-2-before-writing": ("blocked", 2, 0.0),
    "inside-batch-2-writing-1ms": ("writing", 2, 0.001),
    "inside-batch-2-writing-5ms": ("writing", 2, 0.005),
    "after-batch-2": ("after", 2, 0.0),
}


@pytest.mark.slow
@pytest.mark.parametrize("point", KILL_POINTS)
def test_sigkill_mid_scan_then_rerun_matches_an_uninterrupted_scan(
    scanned: Scanned, tmp_path: Path, point: str
) -> None:
    how, batch, delay = KILL_POINTS[point]
    workspace = copy_workspace(scanned.template, tmp_path / "workspace")
    process = watch(workspace)
    if how == "after":
        wait_for_cursor(workspace, process, batch * BATCH)
        process.send_signal(signal.SIGKILL)
    else:
        done = (batch - 1) * BATCH
        wait_for_cursor(workspace, process, done)
        lock = sqlite3.connect(workspace.database, timeout=30)
        lock.execute("BEGIN IMMEDIATE")  # the scan's next write waits (busy timeout)
        # Long enough to start, fetch and classify a batch and reach its first write.
        time.sleep(2.0 if batch == 1 else 0.5)
        # Still scanning, blocked in that batch (or, on a slow machine, a later one).
        assert done <= (cursor(workspace.database) or 0) < MESSAGES and process.poll() is None
        if how == "writing":
            lock.rollback()
            time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        lock.close()
    assert process.wait(timeout=10) == -signal.SIGKILL, "the scan ended before the kill"
    assert watch(workspace).wait(timeout=120) == 0
    assert state(workspace.database) == scanned.expected
