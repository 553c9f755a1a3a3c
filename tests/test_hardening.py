"""Faults and misuse: locked databases, leaked passwords (issue 7, in part)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from coffeechat_fixtures import Workspace
from dovecot import Dovecot
from test_draft import use_imap

from coffeechat.cli import main
from coffeechat.config import Mail
from coffeechat.mail.maildir import MaildirMailbox

SECRET = "correct-horse-battery-staple-7731"


@pytest.mark.slow
def test_commands_run_while_watch_writes(workspace: Workspace) -> None:
    """WAL and a busy timeout: no 'database is locked', no lost write."""
    text = workspace.config_path.read_text().replace("poll_seconds = 60", "poll_seconds = 1")
    workspace.config_path.write_text(text)
    workspace.run("add", "Dana Lee", "--email", "dana@acme.example")
    env = {**os.environ, "COFFEECHAT_CONFIG": str(workspace.config_path)}
    watcher = subprocess.Popen(
        [sys.executable, "-m", "coffeechat", "watch"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    box = MaildirMailbox.open(workspace.maildir, Mail())
    added = 0
    try:
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            added += 1
            result = workspace.run("add", f"Person {added}", "--email", f"p{added}@x.example")
            assert result.exit_code == 0, result.output
            assert workspace.run("note", "dana", f"note {added}").exit_code == 0
            # Mail that the watcher must record while we write.
            box.append(
                "INBOX",
                (
                    f"From: Person {added} <p{added}@x.example>\r\n"
                    f"To: alex@example.com\r\nSubject: Re: hello {added}\r\n"
                    f"Message-ID: <r{added}@x.example>\r\n\r\nYes!\r\n"
                ).encode(),
            )
    finally:
        time.sleep(2.5)  # one more poll
        watcher.terminate()
        _, err = watcher.communicate(timeout=10)
    assert "locked" not in err.lower() and "Traceback" not in err
    contacts = json.loads(workspace.run("list", "--json").stdout)
    assert len(contacts) == added + 1
    notes = [
        e
        for e in json.loads(workspace.run("show", "dana", "--json").stdout)["events"]
        if e["kind"] == "note"
    ]
    assert len(notes) == added
    replied = [c for c in contacts if c["stage"] == "replied"]
    assert len(replied) == added, [
        (c["name"], c["stage"]) for c in contacts if c["stage"] != "replied"
    ]


def test_the_password_never_appears_in_any_output(
    imap_account: tuple[Dovecot, str], workspace: Workspace
) -> None:
    dovecot, user = imap_account
    use_imap(workspace, dovecot, user, password_command=f'"printf %s {SECRET}"')
    workspace.run("add", "Dana Lee", "--email", "dana@acme.example")
    runner = CliRunner()
    outputs = []
    for args in (
        ["draft", "outreach", "dana"],
        ["watch", "--once"],
        ["schedule", "dana", "2030-01-01 10:00", "--invite"],
    ):
        for verbose in ([], ["--verbose"]):
            result = runner.invoke(main, ["--config", str(workspace.config_path), *verbose, *args])
            assert result.exit_code == 1, result.output
            assert result.stderr.startswith("Error: login failed for ")
            outputs.append(result.output + result.stderr)
    assert all(SECRET not in text for text in outputs)
    database = workspace.database.read_bytes()
    assert SECRET.encode() not in database
