"""Scale (issue 7): 10,000 contacts, a 50,000-message INBOX, 500 drafts in one command.

These prove the big cases work end to end through the command line; their time and
memory are measured by `python -m bench` and recorded in BENCHMARKS.md, not asserted here.
The mailbox and address book come from the benchmark's seeders, so that the suite and
the benchmark exercise the same data.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from coffeechat_fixtures import Workspace
from dovecot import Dovecot
from test_draft import drafts_on_server, use_imap

from coffeechat.pipeline import Stage

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import seed


def add_people(workspace: Workspace, count: int, *, stage: Stage, outreach: bool) -> None:
    seed.contacts_database(
        workspace.database, seed.people(count, seed=11), stage=stage, sent_outreach=outreach
    )


@pytest.mark.slow
def test_ten_thousand_contacts_list_show_and_report(workspace: Workspace) -> None:
    add_people(workspace, 10_000, stage=Stage.IDENTIFIED, outreach=False)
    listed = workspace.run("list", "--json")
    assert listed.exit_code == 0
    contacts = json.loads(listed.stdout)
    assert len(contacts) == 10_000
    assert len(workspace.run("list").stdout.splitlines()) >= 10_000
    assert workspace.run("show", str(contacts[-1]["id"])).exit_code == 0
    report = workspace.run("report")
    assert report.exit_code == 0 and "10000" in report.stdout.replace(",", "")


@pytest.mark.slow
def test_a_fifty_thousand_message_inbox_is_scanned_once(workspace: Workspace) -> None:
    people = seed.people(500, seed=1)
    seed.contacts_database(workspace.database, people, stage=Stage.CONTACTED, sent_outreach=True)
    now = datetime.now(UTC)
    counts = seed.write_maildir(
        workspace.maildir, seed.inbox_messages(50_000, people, now=now, seed=3), owner=None
    )
    assert sum(counts.values()) == 50_000
    assert workspace.run("watch", "--once").exit_code == 0
    conn = sqlite3.connect(workspace.database)
    try:
        kinds = dict(conn.execute("SELECT kind, count(*) FROM events GROUP BY kind").fetchall())
    finally:
        conn.close()
    assert kinds.get("reply") == counts["reply"]
    assert kinds.get("auto-reply") == counts["auto-reply"]
    again = workspace.run("watch", "--once", "--json")
    assert again.exit_code == 0 and again.stdout == ""


@pytest.mark.slow
def test_five_hundred_drafts_in_one_command(
    workspace: Workspace, imap_account: tuple[Dovecot, str]
) -> None:
    dovecot, user = imap_account
    use_imap(workspace, dovecot, user)
    add_people(workspace, 500, stage=Stage.IDENTIFIED, outreach=False)
    ids = [str(n) for n in range(1, 501)]
    done = workspace.run("draft", "outreach", *ids)
    assert done.exit_code == 0, done.output
    assert "500 draft(s) written" in done.stdout
    drafts = drafts_on_server(dovecot, user)
    assert len(drafts) == 500
    assert len({message["Message-ID"] for _, message in drafts}) == 500
    stages = {c["stage"] for c in json.loads(workspace.run("list", "--json").stdout)}
    assert stages == {"drafted"}
