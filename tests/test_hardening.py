"""Faults and misuse: locked databases, leaked passwords (issue 7, in part)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

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
    """WAL and a busy timeout: add, note and draft for 30 s (issue 7) while the watcher
    records the replies to them, and no 'database is locked', no lost write."""
    text = workspace.config_path.read_text().replace("poll_seconds = 60", "poll_seconds = 1")
    workspace.config_path.write_text(text)
    workspace.run("add", "Dana Lee", "--email", "dana@acme.example")
    env = {**os.environ, "COFFEECHAT_CONFIG": str(workspace.config_path)}
    # Files, not pipes: a thousand change lines would fill an unread pipe and block watch.
    output, errors = workspace.root / "watch.out", workspace.root / "watch.err"
    with output.open("w") as out, errors.open("w") as err_file:
        watcher = subprocess.Popen(
            [sys.executable, "-m", "coffeechat", "watch"], env=env, stdout=out, stderr=err_file
        )
    box = MaildirMailbox.open(workspace.maildir, Mail())
    added = 0
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            added += 1
            result = workspace.run("add", f"Person {added}", "--email", f"p{added}@x.example")
            assert result.exit_code == 0, result.output
            assert workspace.run("note", "dana", f"note {added}").exit_code == 0
            drafted = workspace.run("draft", "outreach", f"p{added}@x.example")
            assert drafted.exit_code == 0, drafted.output
            # Mail that the watcher must record while we write: an answer to the draft
            # (a contact never written to otherwise stays where they are).
            box.append(
                "INBOX",
                (
                    f"From: Person {added} <p{added}@x.example>\r\n"
                    f"To: alex@example.com\r\nSubject: Re: hello {added}\r\n"
                    f"In-Reply-To: {draft_id(workspace, f'p{added}@x.example')}\r\n"
                    f"Message-ID: <r{added}@x.example>\r\n\r\nYes!\r\n"
                ).encode(),
            )
        # The watcher catches up with the last replies, then stops.
        wait_for(
            lambda: replied_count(workspace) == added,
            60,
            lambda: f"(replies recorded: {replied_count(workspace)} of {added})",
        )
    finally:
        watcher.terminate()
        watcher.wait(timeout=10)
    err = errors.read_text()
    assert "locked" not in err.lower() and "Traceback" not in err
    assert added >= 20, f"only {added} rounds in 30 s: too few to overlap the watcher's writes"
    print(f"{added} rounds of add, note, draft and a reply in 30 s")
    contacts = json.loads(workspace.run("list", "--json").stdout)
    assert len(contacts) == added + 1
    notes = [
        e
        for e in json.loads(workspace.run("show", "dana", "--json").stdout)["events"]
        if e["kind"] == "note"
    ]
    assert len(notes) == added
    drafts = list((workspace.maildir / ".Drafts" / "cur").iterdir())
    assert len(drafts) == added
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


def crash(server: Dovecot) -> None:
    """The whole server goes down at once: the master and the login processes that hold
    the TLS sessions and the listening sockets."""
    import signal

    from dovecot import _greets

    root = server.log_file.parent
    master = int((root / "run" / "master.pid").read_text())
    for pid in [*descendants(master), master]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not _greets(server.port, tls_context=server.ssl_context()), 20)


def restart(server: Dovecot, password: str | None = None) -> subprocess.Popen[bytes]:
    """Start the server again on the same ports (with another password, if given)."""
    from dovecot import _greets, find_binary

    root = server.log_file.parent
    run = root / f"run-{time.monotonic_ns()}"
    run.mkdir()
    # A fresh run directory: the killed master stays a zombie until start_dovecot reaps
    # it, and its pid file and sockets would pass for a running instance.
    config = (root / "dovecot.conf").read_text().replace(str(root / "run"), str(run))
    if password is not None:
        config = config.replace(f"password={server.password}", f"password={password}")
    restart_conf = root / "restart.conf"
    restart_conf.write_text(config)
    binary = find_binary()
    assert binary
    process = subprocess.Popen(
        [binary, "-F", "-c", str(restart_conf)],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: _greets(server.port, tls_context=server.ssl_context()), 20)
    return process


def start_watch(workspace: Workspace) -> subprocess.Popen[str]:
    text = workspace.config_path.read_text().replace("poll_seconds = 30", "poll_seconds = 1")
    workspace.config_path.write_text(text)
    env = {**os.environ, "COFFEECHAT_CONFIG": str(workspace.config_path)}
    return subprocess.Popen(
        [sys.executable, "-m", "coffeechat", "watch", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_watch_survives_a_server_restart(workspace: Workspace) -> None:
    """Dovecot stops, a reply lands meanwhile, Dovecot comes back: the reply counts once."""
    import shutil as sh
    import signal

    from dovecot import _accounts, start_dovecot
    from test_watch import MAIL, seed, use_imap

    with start_dovecot() as server:
        user = server.new_user()
        backend = use_imap(workspace, server, user)
        ids = seed(workspace.database, {})
        backend.deliver("inbox", (MAIL / "newsletter_unknown.eml").read_bytes())
        watcher = start_watch(workspace)
        restarted = None
        try:
            wait_for(lambda: cursor_of(workspace) is not None, 20)
            crash(server)
            # The reply arrives while the server is down: delivered into the Maildir.
            reply = server.maildir(user) / "new" / "1700000000.outage"
            reply.write_bytes((MAIL / "reply_threaded.eml").read_bytes())
            sh.chown(reply, user=_accounts().mail_user, group=_accounts().mail_group)
            time.sleep(2)  # the watcher notices, and backs off
            restarted = restart(server)
            wait_for(lambda: stage_of_contact(workspace, ids["jane"]) == "replied", 30)
        finally:
            watcher.send_signal(signal.SIGINT)
            out, err = watcher.communicate(timeout=15)
            if restarted is not None:
                restarted.terminate()
                restarted.wait(timeout=15)
        assert "connection lost" in err and "reconnecting" in err, err
        assert f"reconnected to {server.host}:{server.port}; watching INBOX and Sent" in err, err
        assert "Traceback" not in err
        replies = [json.loads(line) for line in out.splitlines() if '"reply"' in line]
        assert [(r["name"], r["to_stage"]) for r in replies] == [("Jane Rivera", "replied")]
        events = json.loads(workspace.run("show", str(ids["jane"]), "--json").stdout)["events"]
        assert [e["kind"] for e in events].count("reply") == 1


@pytest.mark.slow
def test_a_login_refused_mid_session_stops_watch_cleanly(workspace: Workspace) -> None:
    """The password changes on the server while watch runs: one clear error, exit 1, and
    the database as it was (no retry loop against a wrong password)."""
    import sqlite3

    from dovecot import start_dovecot
    from test_watch import seed, use_imap

    with start_dovecot() as server:
        user = server.new_user()
        use_imap(workspace, server, user)
        seed(workspace.database, {})
        watcher = start_watch(workspace)
        restarted = None
        try:
            wait_for(lambda: cursor_of(workspace) is not None, 20)
            before = (
                sqlite3.connect(workspace.database)
                .execute("SELECT COUNT(*), MAX(id) FROM events")
                .fetchone()
            )
            crash(server)
            restarted = restart(server, password="a-new-password")
            _, err = watcher.communicate(timeout=60)
        finally:
            if watcher.poll() is None:
                watcher.kill()
            if restarted is not None:
                restarted.terminate()
                restarted.wait(timeout=15)
        assert watcher.returncode == 1
        assert f"Error: login failed for {user} at {server.host}:{server.port}" in err
        assert "Traceback" not in err
        after = (
            sqlite3.connect(workspace.database)
            .execute("SELECT COUNT(*), MAX(id) FROM events")
            .fetchone()
        )
        assert after == before


def descendants(pid: int) -> list[int]:
    """The processes below `pid`, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def wait_for(condition, seconds: float, what=lambda: "") -> None:  # type: ignore[no-untyped-def]
    """Until `condition()` holds; else fail after `seconds`, saying `what()` (the state)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s {what()}".rstrip())


def cursor_of(workspace: Workspace) -> int | None:
    import sqlite3

    try:
        conn = sqlite3.connect(workspace.database, timeout=5)
        row = conn.execute("SELECT last_uid FROM folders WHERE name = 'INBOX'").fetchone()
        conn.close()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


def draft_id(workspace: Workspace, address: str) -> str:
    import sqlite3

    conn = sqlite3.connect(workspace.database, timeout=10)
    try:
        row = conn.execute(
            "SELECT message_id FROM messages JOIN emails USING (contact_id)"
            " WHERE address = ? AND direction = 'draft'",
            (address,),
        ).fetchone()
        return str(row[0])
    finally:
        conn.close()


def replied_count(workspace: Workspace) -> int:
    import sqlite3

    conn = sqlite3.connect(workspace.database, timeout=10)
    try:
        return conn.execute("SELECT COUNT(*) FROM contacts WHERE stage = 'replied'").fetchone()[0]
    finally:
        conn.close()


def stage_of_contact(workspace: Workspace, contact_id: int) -> str:
    return json.loads(workspace.run("show", str(contact_id), "--json").stdout)["stage"]
