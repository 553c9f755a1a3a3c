"""A scan killed with SIGKILL and run again ends exactly where an uninterrupted scan does."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from coffeechat_fixtures import Workspace

from coffeechat.config import Mail
from coffeechat.mail.maildir import MaildirMailbox
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


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [1, 2000], ids=["after-batch-1", "after-batch-2"])
def test_sigkill_mid_scan_then_rerun_matches_an_uninterrupted_scan(
    workspace: Workspace, tmp_path: Path, kill_after: int
) -> None:
    seed(workspace)
    # A copy of the whole workspace, scanned without interruption.
    twin_root = tmp_path.parent / f"{tmp_path.name}-twin"
    shutil.copytree(workspace.root, twin_root)
    twin = Workspace(twin_root, twin_root / "config.toml", twin_root / "Mail", workspace.runner)
    twin.config_path.write_text(
        workspace.config_path.read_text().replace(str(workspace.root), str(twin_root))
    )
    assert watch(twin).wait(timeout=120) == 0
    expected = state(twin.database)
    assert any(stage == "replied" for _, stage in expected["contacts"])

    process = watch(workspace)
    deadline = time.monotonic() + 60
    killed_at = None
    while time.monotonic() < deadline and process.poll() is None:
        seen = cursor(workspace.database)
        if seen and seen >= kill_after:  # batches committed: kill while the rest runs
            process.send_signal(signal.SIGKILL)
            killed_at = seen
            break
        time.sleep(0.01)
    process.wait(timeout=10)
    assert killed_at is not None and killed_at < MESSAGES, "the scan ended before the kill"
    assert process.returncode == -signal.SIGKILL
    assert watch(workspace).wait(timeout=120) == 0
    assert state(workspace.database) == expected
