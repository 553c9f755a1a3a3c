"""`coffeechat demo` and the same journey through the CLI against a real Dovecot."""

from __future__ import annotations

import csv
import mailbox
import shutil
import subprocess
import time
from datetime import datetime
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner
from dovecot import Dovecot

from coffeechat.cli import main
from coffeechat.demo import coffeechat_command, run_demo
from coffeechat.pipeline import Stage
from coffeechat.store import Store

# Who ends where, and every stage each passes through, in order.
JOURNEYS = {
    "Dana Lee": [
        "identified",
        "drafted",
        "contacted",
        "replied",
        "scheduled",
        "met",
        "thanked",
        "keeping-in-touch",
    ],
    "Marco Rossi": ["identified", "drafted", "contacted", "no-response"],
    "Priya Natarajan": ["identified"],
    "Ben Okafor": ["identified", "drafted", "contacted", "bounced"],
    "Carla Moreau": ["identified", "drafted", "contacted", "replied", "declined"],
    "Sam Roe": ["identified", "drafted"],
}


def stage_paths(database: Path) -> dict[str, list[str]]:
    store = Store.open(database)
    try:
        return {
            c.name: [e.to_stage for e in store.events(c.id, "stage") if e.to_stage]
            for c in store.contacts()
        }
    finally:
        store.close()


def check_journey(root: Path) -> None:
    paths = stage_paths(root / "coffeechat.db")
    assert paths == JOURNEYS
    reached = {stage for path in paths.values() for stage in path}
    assert reached == {stage.value for stage in Stage}
    store = Store.open(root / "coffeechat.db")
    sam = store.resolve("sam")
    assert sam.referred_by == store.resolve("dana").id
    dana = store.resolve("dana")
    kinds = [e.kind for e in store.events(dana.id)]
    assert "itip-reply" in kinds and "meeting-notes" in kinds
    ben = store.resolve("ben")
    assert ben.bad_emails == ("ben.okafor@umbrella.example",)
    marco = store.resolve("marco")
    auto = [e for e in store.events(marco.id) if e.kind == "auto-reply"]
    assert len(auto) == 1 and auto[0].extra.get("returns")
    store.close()
    meeting_files = [p for p in (root / "calendar").glob("*.ics") if p.name != "coffeechat.ics"]
    assert len(meeting_files) == 1
    event = icalendar.Calendar.from_ical(meeting_files[0].read_bytes()).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Informational interview: Dana Lee (Acme)"
    feed = icalendar.Calendar.from_ical((root / "calendar" / "coffeechat.ics").read_bytes())
    summaries = [str(e["SUMMARY"]) for e in feed.walk("VEVENT")]
    assert any("Dana Lee" in s for s in summaries)
    with open(root / "contacts.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["Name"] for row in rows) == sorted(JOURNEYS)
    [dana_row] = [row for row in rows if row["Name"] == "Dana Lee"]
    assert "Research ops is the best entry point" in dana_row["Discussion summary"]
    assert "Sam Roe" in dana_row["Referrals"]


def test_demo_plays_the_whole_season(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--dir", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "$ coffeechat watch --once" in result.output
    assert "contacted → replied" in result.output
    # Before, the hint opened only INBOX (the replies) and never named Drafts or Sent.
    for folder in ("Mail/.Drafts", "Mail/.Sent", "Mail"):
        assert f"mutt -f {root / folder}" in result.output
    check_journey(root)
    inbox = mailbox.Maildir(root / "Mail", create=False)
    assert len(inbox) == 5
    # A mail client removes a draft when it sends it: only Sam's outreach, never sent, is
    # left in Drafts. Before, all 9 drafts stayed, and the sent ones looked unsent.
    [unsent] = inbox.get_folder("Drafts")
    assert str(unsent["To"]) == "Sam Roe <sam.roe@acme.example>"
    assert len(inbox.get_folder("Sent")) == 8
    [check_in] = [m for m in inbox.get_folder("Sent") if "A quick update" in str(m["Subject"])]
    body = check_in.get_payload(decode=True).decode()
    assert 'I followed up on your advice: "Research ops is the best entry point."' in body
    assert body.count("Research ops is the best entry point") == 1  # quoted, not pasted again
    assert "[" not in body and "Just Enough Research" in body  # the update, filled in


def _program(folder: Path) -> Path:
    program = folder / "coffeechat"
    folder.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    return program


def test_the_hint_names_the_coffeechat_that_ran_when_it_is_not_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The quick start runs `.venv/bin/coffeechat demo`; a bare `coffeechat` in the hint
    # was then "command not found".
    program = _program(tmp_path / "my venv" / "bin")
    monkeypatch.setattr("sys.argv", [str(program), "demo"])
    monkeypatch.setenv("PATH", str(tmp_path / "elsewhere"))
    root = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--dir", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"Try: COFFEECHAT_CONFIG={root / 'config.toml'} '{program}' list" in result.output


def test_the_hint_says_coffeechat_when_it_is_the_one_on_path(tmp_path: Path) -> None:
    program = _program(tmp_path / "bin")
    assert coffeechat_command(str(program), str(program), "/usr/bin/python3") == "coffeechat"


def test_the_hint_names_the_program_when_path_finds_another_coffeechat(tmp_path: Path) -> None:
    ours, theirs = _program(tmp_path / "venv" / "bin"), _program(tmp_path / "old" / "bin")
    assert coffeechat_command(str(ours), str(theirs), "/usr/bin/python3") == str(ours)


def test_the_hint_makes_a_relative_program_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = _program(tmp_path / ".venv" / "bin")
    monkeypatch.chdir(tmp_path)
    assert coffeechat_command(".venv/bin/coffeechat", None, "/usr/bin/python3") == str(program)


def test_the_hint_after_python_m_coffeechat_names_that_python() -> None:
    main_py = "/opt/venv/lib/python3.11/site-packages/coffeechat/__main__.py"
    assert coffeechat_command(main_py, None, "/opt/venv/bin/python") == (
        "/opt/venv/bin/python -m coffeechat"
    )


def test_demo_refuses_a_folder_with_files(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {tmp_path} is not empty; give `coffeechat demo --dir` a new or empty folder\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_demo_makes_the_new_folder_but_not_a_mistyped_parent(tmp_path: Path) -> None:
    missing = tmp_path / "typo"
    result = CliRunner().invoke(main, ["demo", "--dir", str(missing / "demo")])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: cannot create {missing / 'demo'}: the folder {missing} does not exist; "
        "create it first, or check the spelling\n"
    )
    assert not missing.exists()


def test_demo_leaves_the_users_own_setup_alone(tmp_path: Path, isolated_home: Path) -> None:
    CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "demo")], catch_exceptions=False)
    leftovers = [p for p in isolated_home.rglob("*") if p.is_file()]
    assert leftovers == []


def test_the_journey_against_dovecot(tmp_path: Path, dovecot: Dovecot) -> None:
    user = dovecot.new_user()
    mail = (
        f'[mail]\nbackend = "imap"\nhost = "{dovecot.host}"\nport = {dovecot.port}\n'
        f'username = "{user}"\nca_file = "{dovecot.ca_file}"\n'
        f'password_command = "printf %s {dovecot.password}"\n'
    )
    lines: list[str] = []
    root = run_demo(
        tmp_path / "journey", lines.append, today=datetime.now().astimezone(), mail_section=mail
    )
    check_journey(root)
    assert not (root / "Mail").exists(), "the IMAP journey must not fall back to a Maildir"
    import imaplib

    with imaplib.IMAP4_SSL(dovecot.host, dovecot.port, ssl_context=dovecot.ssl_context()) as imap:
        imap.login(user, dovecot.password)
        counts = {}
        for folder in ("INBOX", "Drafts", "Sent"):
            _, data = imap.select(folder, readonly=True)
            counts[folder] = int(data[0])
    assert counts == {"INBOX": 5, "Drafts": 1, "Sent": 8}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("folder", "count", "subject"),
    [
        ("", 5, "Undelivered Mail Returned to Sender"),
        (".Drafts", 1, "Dana Lee suggested"),
        (".Sent", 8, "A quick update"),
    ],
    ids=["inbox", "drafts", "sent"],
)
def test_the_demo_maildir_opens_in_neomutt(
    tmp_path: Path, isolated_home: Path, folder: str, count: int, subject: str
) -> None:
    # Each folder the closing hint names, opened the way it says (`mutt -f PATH`).
    if not (shutil.which("neomutt") and shutil.which("tmux")):
        pytest.fail(
            "neomutt and tmux are needed: run scripts/test, or apt-get install neomutt tmux",
            pytrace=False,
        )
    root = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--dir", str(root)], catch_exceptions=False)
    maildir = root / "Mail"
    opened = maildir / folder if folder else maildir
    assert f"mutt -f {opened} " in result.output
    # A tmux server of its own: a session name alone collides with another run's.
    tmux = ["tmux", "-S", str(tmp_path / "tmux.sock")]
    session = "coffeechat-demo"
    command = (
        f"neomutt -n -F /dev/null -e 'set folder={maildir} spoolfile={maildir}' -R -f {opened}"
    )
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", session, "-x", "160", "-y", "40", command],
        check=True,
        env={"HOME": str(isolated_home), "TERM": "xterm", "PATH": "/usr/bin:/bin"},
    )
    try:
        screen = ""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and f"Msgs:{count}" not in screen:
            time.sleep(0.2)
            screen = subprocess.run(
                [*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True
            ).stdout
        assert subject in screen
        assert f"Msgs:{count} " in screen
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
