"""`coffeechat draft` end to end, on the Maildir backend and on a real Dovecot."""

from __future__ import annotations

import email
import email.policy
import imaplib
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from coffeechat_fixtures import Workspace
from dovecot import Dovecot

from coffeechat.config import load
from coffeechat.drafting import plan_drafts, write_drafts
from coffeechat.mail import open_mailbox
from coffeechat.models import NewContact
from coffeechat.resources import templates_dir
from coffeechat.store import Store


def use_imap(workspace: Workspace, dovecot: Dovecot, user: str, **extra: str) -> None:
    text = workspace.config_path.read_text()
    values = {
        "backend": '"imap"',
        "host": f'"{dovecot.host}"',
        "port": str(dovecot.port),
        "username": f'"{user}"',
        "ca_file": f'"{dovecot.ca_file}"',
        "password_command": f'"printf %s {dovecot.password}"',
        **extra,
    }
    mail = "[mail]\n" + "".join(f"{k} = {v}\n" for k, v in values.items())
    start, end = text.index("[mail]"), text.index("[outreach]")
    workspace.config_path.write_text(text[:start] + mail + "\n" + text[end:])


def drafts_on_server(dovecot: Dovecot, user: str) -> list[tuple[bytes, email.message.Message]]:
    with imaplib.IMAP4_SSL(dovecot.host, dovecot.port, ssl_context=dovecot.ssl_context()) as imap:
        imap.login(user, dovecot.password)
        imap.select("Drafts", readonly=True)
        _, data = imap.search(None, "ALL")
        found = []
        for number in data[0].split():
            _, fetched = imap.fetch(number, "(FLAGS BODY.PEEK[])")
            flags, raw = fetched[0][0], fetched[0][1]
            found.append((flags, email.message_from_bytes(raw, policy=email.policy.default)))
        return found


def drafts_in_maildir(workspace: Workspace) -> list[tuple[str, email.message.Message]]:
    folder = workspace.maildir / ".Drafts" / "cur"
    return [
        (
            path.name.rsplit(":2,", 1)[1],
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default),
        )
        for path in sorted(folder.iterdir())
    ]


def test_non_ascii_draft_reads_back_from_dovecot(
    imap_account: tuple[Dovecot, str], workspace: Workspace
) -> None:
    dovecot, user = imap_account
    use_imap(workspace, dovecot, user)
    workspace.run("add", "José Núñez", "--email", "jose@acme.example", "--company", "Acme")
    result = workspace.run("draft", "outreach", "jose")
    assert result.exit_code == 0, result.output
    assert f"1 draft(s) written to Drafts in {user}'s mailbox on {dovecot.host}." in result.output
    assert "then run `coffeechat watch`" in result.output
    [(flags, message)] = drafts_on_server(dovecot, user)
    assert b"\\Draft" in flags
    assert message["From"].addresses[0].display_name == "Alex Doe"
    assert message["To"].addresses[0].display_name == "José Núñez"
    assert message["To"].addresses[0].addr_spec == "jose@acme.example"
    assert "Acme" in str(message["Subject"])
    body = message.get_body(("plain",)).get_content()
    assert body.startswith("Hi José,")
    shown = json.loads(workspace.run("show", "jose", "--json").stdout)
    assert shown["stage"] == "drafted"
    assert shown["events"][-1]["to_stage"] == "drafted"
    stored = Store.open(workspace.database).messages(shown["id"], direction="draft")
    assert [m["message_id"] for m in stored] == [message["Message-ID"]]


def test_non_ascii_draft_in_maildir(workspace: Workspace) -> None:
    workspace.run("add", "李雷", "--email", "li@example.cn")
    assert workspace.run("draft", "outreach", "李雷").exit_code == 0
    [(flags, message)] = drafts_in_maildir(workspace)
    assert "D" in flags
    assert message["To"].addresses[0].display_name == "李雷"


def test_wrong_password_is_one_clear_line(
    imap_account: tuple[Dovecot, str], workspace: Workspace
) -> None:
    dovecot, user = imap_account
    use_imap(workspace, dovecot, user, password_command='"printf %s wrong-password"')
    workspace.run("add", "Dana Lee", "--email", "dana@acme.example")
    result = workspace.run("draft", "outreach", "dana")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: login failed for {user} at {dovecot.host}:{dovecot.port}"
    )
    assert "wrong-password" not in result.output + result.stderr
    assert json.loads(workspace.run("show", "dana", "--json").stdout)["stage"] == "identified"


def test_unknown_ca_mentions_ca_file(
    imap_account: tuple[Dovecot, str], workspace: Workspace
) -> None:
    dovecot, user = imap_account
    use_imap(workspace, dovecot, user, ca_file='""')
    workspace.run("add", "Dana Lee", "--email", "dana@acme.example")
    result = workspace.run("draft", "outreach", "dana")
    assert result.exit_code == 1
    assert "ca_file" in result.stderr


def test_header_injection_appends_nothing_to_the_maildir(workspace: Workspace) -> None:
    store = Store.open(workspace.database)
    store.add_contact(NewContact("Dana Lee", ("dana@acme.example",), company="Acme\nBcc: x@y"))
    result = workspace.run("draft", "outreach", "1")
    assert result.exit_code == 1
    assert "line break" in result.stderr
    drafts = workspace.maildir / ".Drafts"
    assert not drafts.exists() or not any((drafts / "cur").iterdir())
    assert not drafts.exists() or not any((drafts / "new").iterdir())


def test_header_injection_appends_nothing(
    imap_account: tuple[Dovecot, str], workspace: Workspace
) -> None:
    dovecot, user = imap_account
    use_imap(workspace, dovecot, user)
    # `add` refuses such a name, and the store makes one line of it; a database written
    # by something else might not.
    store = Store.open(workspace.database)
    store.add_contact(NewContact("Dana", ("dana@acme.example",)))
    store.close()
    with sqlite3.connect(workspace.database) as db:
        db.execute("UPDATE contacts SET name = ?", ("Dana\r\nBcc: spy@evil.example",))
    result = workspace.run("draft", "outreach", "1")
    assert result.exit_code == 1
    assert "line break" in result.stderr
    assert drafts_on_server(dovecot, user) == []


@pytest.fixture
def misspelling_template(workspace: Workspace) -> Path:
    folder = workspace.root / "my-templates"
    folder.mkdir()
    (folder / "outreach.txt.j2").write_text(
        "Subject: A question about your work\n\nHi {{ contact.first_name }},\n\n"
        "Would you have 20 minutes for a short convresation about your work? I am "
        "looking for information and advice, not a job.\n\nThank you,\n{{ me.name }}\n"
    )
    text = workspace.config_path.read_text().replace('templates = ""', f'templates = "{folder}"')
    workspace.config_path.write_text(text)
    return folder


@pytest.mark.parametrize("backend", ["maildir", "imap"])
def test_misspelling_blocks_unless_forced(
    request: pytest.FixtureRequest, backend: str, workspace: Workspace, misspelling_template: Path
) -> None:
    if backend == "imap":
        dovecot, user = request.getfixturevalue("imap_account")
        use_imap(workspace, dovecot, user)

        def drafts() -> list:
            return drafts_on_server(dovecot, user)
    else:

        def drafts() -> list:
            folder = workspace.maildir / ".Drafts" / "cur"
            return list(folder.iterdir()) if folder.exists() else []

    workspace.run("add", "Dana Lee", "--email", "dana@acme.example")
    refused = workspace.run("draft", "outreach", "dana")
    assert refused.exit_code == 1
    assert "spelling" in refused.output and "convresation" in refused.output
    # The finding names the draft by kind and contact; its line is the draft's, and the
    # error names the template to fix.
    assert "outreach for Dana Lee:5:39: error spelling" in refused.output
    assert "nothing was written" in refused.stderr
    assert str(misspelling_template / "outreach.txt.j2") in refused.stderr
    assert drafts() == []
    forced = workspace.run("draft", "outreach", "dana", "--force")
    assert forced.exit_code == 0, forced.output
    assert len(drafts()) == 1


def test_one_contact_at_the_wrong_stage_stops_all_and_says_so(workspace: Workspace) -> None:
    for name, address in [("Maria Lopez", "maria"), ("Tom Baker", "tom"), ("Ana Ruiz", "ana")]:
        workspace.run("add", name, "--email", f"{address}@acme.example")
    workspace.run("stage", "tom", "contacted")
    result = workspace.run("draft", "outreach", "maria", "tom", "ana")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Tom Baker is contacted: an outreach draft does not fit; `coffeechat draft "
        "follow-up 2` is the next step. Nothing was written for the 3 contacts; draft the "
        "others without Tom Baker, or pass --force\n"
    )
    drafts = workspace.maildir / ".Drafts"
    assert [p for sub in ("cur", "new", "tmp") for p in (drafts / sub).glob("*")] == []


def test_second_outreach_says_the_first_is_in_drafts(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, it said "Sam Roe is drafted: an outreach draft does not fit", which does
    # not tell a new user that the first draft exists, or where.
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-11-22T08:30:00+00:00")
    workspace.run("add", "Sam Roe", "--email", "sam@beta.example", "--company", "Beta")
    assert workspace.run("draft", "outreach", "sam").exit_code == 0
    [(_, message)] = drafts_in_maildir(workspace)
    again = workspace.run("draft", "outreach", "sam")
    assert again.exit_code == 1
    assert again.stderr == (
        "Error: an outreach to Sam Roe is already in Drafts (written 2026-11-22 09:30, "
        f"subject \u201c{message['Subject']}\u201d): send it from your mail client, or pass "
        "--force to write another\n"
    )
    assert len(drafts_in_maildir(workspace)) == 1
    assert workspace.run("draft", "outreach", "sam", "--force").exit_code == 0
    assert len(drafts_in_maildir(workspace)) == 2


def test_follow_up_while_the_outreach_is_unsent_is_refused(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, it wrote "Re: ... I wrote recently, and I wanted to follow up", threaded
    # under an outreach still sitting in Drafts: nothing had gone out to follow up on.
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-11-22T08:30:00+00:00")
    workspace.run("add", "Sam Roe", "--email", "sam@beta.example")
    assert workspace.run("draft", "outreach", "sam").exit_code == 0
    [(_, message)] = drafts_in_maildir(workspace)
    refused = workspace.run("draft", "follow-up", "sam")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: Sam Roe is drafted: the outreach is still in Drafts (written 2026-11-22 "
        f"09:30, subject \u201c{message['Subject']}\u201d), so there is nothing to follow up "
        "on yet; send it from your mail client, then run `coffeechat watch --once`\n"
    )
    assert len(drafts_in_maildir(workspace)) == 1
    # Drafted by hand, with no outreach of ours on record: the same fix.
    workspace.run("add", "Kim Park", "--email", "kim@gamma.example")
    workspace.run("stage", "kim", "drafted")
    assert workspace.run("draft", "follow-up", "kim").stderr == (
        "Error: Kim Park is drafted: the outreach has not been sent, so there is nothing to "
        "follow up on yet; send it from your mail client, then run `coffeechat watch --once`\n"
    )


def test_dry_run_writes_nothing(workspace: Workspace) -> None:
    workspace.run("add", "Dana Lee", "--email", "dana@acme.example", "--company", "Acme")
    result = workspace.run("draft", "outreach", "dana", "--dry-run")
    assert result.exit_code == 0
    assert "To: Dana Lee <dana@acme.example>" in result.output
    assert "nothing was written" in result.output
    assert not (workspace.maildir / ".Drafts" / "cur").exists() or not list(
        (workspace.maildir / ".Drafts" / "cur").iterdir()
    )
    assert json.loads(workspace.run("show", "dana", "--json").stdout)["stage"] == "identified"


def test_referral_outreach_names_the_referrer(workspace: Workspace) -> None:
    workspace.run("add", "Dana Lee", "--email", "dana@acme.example")
    workspace.run("add", "Sam Roe", "--email", "sam@beta.example", "--referred-by", "dana")
    assert workspace.run("draft", "outreach", "sam").exit_code == 0
    [(_, message)] = drafts_in_maildir(workspace)
    first_paragraph = message.get_body(("plain",)).get_content().split("\n\n")[1]
    assert "Dana Lee" in first_paragraph


class CrashAfterAppend:
    """A mailbox that APPENDs, then dies before coffeechat can record it (a kill -9)."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)

    def append_drafts(self, messages):  # type: ignore[no-untyped-def]
        self.inner.append_drafts(messages)
        raise KeyboardInterrupt("killed after the APPEND")


@pytest.mark.parametrize("backend", ["maildir", "imap"])
def test_interrupted_draft_run_never_duplicates(
    request: pytest.FixtureRequest, backend: str, workspace: Workspace
) -> None:
    if backend == "imap":
        dovecot, user = request.getfixturevalue("imap_account")
        use_imap(workspace, dovecot, user)
    workspace.run("add", "Dana Lee", "--email", "dana@acme.example")
    workspace.run("add", "Sam Roe", "--email", "sam@beta.example")
    config = load(workspace.config_path)
    store = Store.open(workspace.database)
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    plans = plan_drafts(store, config, "outreach", store.contacts(), now=now)
    mailbox = open_mailbox(config)
    with pytest.raises(KeyboardInterrupt):
        write_drafts(store, CrashAfterAppend(mailbox), plans, now=now)
    mailbox.close()
    again = workspace.run("draft", "outreach", "dana", "sam")
    assert again.exit_code == 0, again.output
    if backend == "imap":
        count = len(drafts_on_server(dovecot, user))
    else:
        count = len(drafts_in_maildir(workspace))
    assert count == 2
    stages = [c["stage"] for c in json.loads(workspace.run("list", "--json").stdout)]
    assert stages == ["drafted", "drafted"]


@pytest.mark.parametrize(
    ("me", "expected"),
    [
        # The new-user review: [me] without email = drafted "From: Jo Student <alex@...>".
        (
            'name = "Jo Student"\ntimezone = "UTC"',
            'me.email is not set; add it under [me], e.g. email = "you@example.com"',
        ),
        # ... and without name = signed "Alex Doe".
        (
            'email = "jo@uni.example"\ntimezone = "UTC"',
            'me.name is not set; add it under [me], e.g. name = "Your Name"',
        ),
        # What `coffeechat init` used to write when given no --name and --email.
        (
            'name = "Alex Doe"\nemail = "alex@example.com"\ntimezone = "UTC"',
            'me.name and me.email are still "Alex Doe <alex@example.com>", the example '
            "written by `coffeechat init`; put your own under [me], "
            'e.g. name = "Your Name" and email = "you@example.com"',
        ),
    ],
)
@pytest.mark.parametrize("dry_run", [True, False])
def test_draft_refuses_to_write_as_nobody_or_the_example(
    workspace: Workspace, me: str, expected: str, dry_run: bool
) -> None:
    workspace.run("add", "Ben Okafor", "--email", "ben@globex.example")
    workspace.set_me(me)
    result = workspace.run("draft", "outreach", "ben", *(["--dry-run"] if dry_run else []))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {workspace.config_path}: {expected}\n"
    assert result.stdout == ""
    assert not (workspace.maildir / ".Drafts" / "cur").exists() or not drafts_in_maildir(workspace)
    assert json.loads(workspace.run("show", "ben", "--json").stdout)["stage"] == "identified"


def test_draft_signs_with_your_name_and_address(workspace: Workspace) -> None:
    workspace.run("add", "Ben Okafor", "--email", "ben@globex.example")
    workspace.set_me('name = "Jo Student"\nemail = "jo@uni.example"\ntimezone = "UTC"')
    assert workspace.run("draft", "outreach", "ben").exit_code == 0
    [(_, message)] = drafts_in_maildir(workspace)
    assert str(message["From"]) == "Jo Student <jo@uni.example>"
    body = message.get_body(("plain",)).get_content()
    assert body.rstrip().endswith("Jo Student") and "Alex" not in body


NOTES = "Seemed stressed, hinted at layoffs. Talk to Ana."
ADVICE = "Data engineering at Telefónica starts with SQL."


def met_and_thanked(workspace: Workspace) -> None:
    workspace.run("add", "José Núñez", "--email", "jose@telefonica.example")
    workspace.run("met", "jose", "--notes", NOTES, "--advice", ADVICE)
    workspace.run("stage", "jose", "thanked")


def test_the_thank_you_quotes_the_advice_and_never_the_private_notes(
    workspace: Workspace,
) -> None:
    # The first sentence of the notes used to be quoted back to them: "what you told me:
    # 'Seemed stressed, hinted at layoffs.'"
    workspace.run("add", "José Núñez", "--email", "jose@telefonica.example")
    workspace.run("met", "jose", "--notes", NOTES)
    plain = workspace.run("draft", "thank-you", "jose", "--dry-run")
    assert plain.exit_code == 0, plain.output
    assert "stressed" not in plain.output and "Talk to Ana" not in plain.output
    assert "names nothing specific from your conversation" in plain.stderr
    assert "coffeechat met 1 --advice TEXT" in plain.stderr
    workspace.run("met", "jose", "--advice", ADVICE)
    quoted = workspace.run("draft", "thank-you", "jose", "--dry-run")
    # What you will do with it (the seeds), which the check-in then reports on.
    assert f'I plan to follow your advice: "{ADVICE}" I will let you know how it goes.' in (
        quoted.output
    )
    assert quoted.output.count("let you know how") == 1
    assert "stressed" not in quoted.output and "nothing specific" not in quoted.stderr


def test_check_in_quotes_the_advice_but_never_the_private_notes(workspace: Workspace) -> None:
    met_and_thanked(workspace)
    result = workspace.run("draft", "check-in", "jose", "--dry-run")
    # The preview is shown, and the dry run fails as the real run would (the blank).
    assert result.exit_code == 1, result.output
    assert "--update TEXT" in result.stderr
    assert 'I followed up on your advice: "Data engineering at Telefónica starts with SQL."' in (
        result.output
    )
    assert "Talk to Ana" not in result.output and "stressed" not in result.output
    assert result.output.count("starts with SQL") == 1
    # The update is the user's to write: a blank the proofreader will not let through.
    assert "error placeholder" in result.output


def test_check_in_without_an_update_says_how_to_give_one(workspace: Workspace) -> None:
    met_and_thanked(workspace)
    refused = workspace.run("draft", "check-in", "jose")
    assert refused.exit_code == 1
    assert "--update" in refused.stderr
    assert not (workspace.maildir / ".Drafts" / "cur").exists() or not drafts_in_maildir(workspace)


def test_check_in_tells_them_how_their_advice_helped(workspace: Workspace) -> None:
    met_and_thanked(workspace)
    update = "I took an SQL course and now have an interview on the data team."
    result = workspace.run("draft", "check-in", "jose", "--update", update)
    assert result.exit_code == 0, result.output
    [(_, message)] = drafts_in_maildir(workspace)
    body = message.get_body(("plain",)).get_content()
    assert update in body
    assert "Talk to Ana" not in body and "[" not in body


def test_update_is_only_for_check_ins(workspace: Workspace) -> None:
    workspace.run("add", "Dana Lee", "--email", "dana@acme.example")
    result = workspace.run("draft", "outreach", "dana", "--update", "News.")
    assert result.exit_code == 2
    assert "--update is for check-in drafts" in result.stderr


def test_a_long_meeting_ask_from_the_config_names_the_setting(workspace: Workspace) -> None:
    # The packaged outreach asks for outreach.meeting_minutes: over 30, every outreach is
    # refused, and the fix is that setting, not a template inside the installed package.
    text = workspace.config_path.read_text()
    workspace.config_path.write_text(
        text.replace("meeting_minutes = 20", "meeting_minutes = 45", 1)
    )
    workspace.run("add", "Dana Lee", "--email", "dana@acme.example")
    refused = workspace.run("draft", "outreach", "dana")
    assert refused.exit_code == 1
    assert "long-meeting-ask" in refused.output
    assert (
        f"The drafts ask for 45 minutes (outreach.meeting_minutes in {workspace.config_path})"
        in refused.stderr
    )
    assert "site-packages" not in refused.stderr and "templates" not in refused.stderr


def test_an_error_from_the_contact_in_coffeechats_template_never_sends_you_into_it(
    workspace: Workspace,
) -> None:
    workspace.run("add", "Kim Ng", "--email", "kim@acme.example", "--company", "Acme Inc..")
    previewed = workspace.run("draft", "outreach", "kim", "--dry-run")
    refused = workspace.run("draft", "outreach", "kim")
    # A dry run fails as the real run does: a clean one means the draft will be written.
    assert previewed.exit_code == refused.exit_code == 1
    assert previewed.stderr == refused.stderr
    assert "To: Kim Ng <kim@acme.example>" in previewed.output
    assert "double-punctuation" in refused.output
    assert "Fix the contact (coffeechat edit), or copy coffeechat's template " in refused.stderr
    assert "(outreach.txt.j2) into your paths.templates folder" in refused.stderr
    assert str(templates_dir()) not in refused.stderr


def test_the_thank_you_names_only_the_referrals_not_written_to_yet(workspace: Workspace) -> None:
    # It listed every referral ever recorded, also one already written to and nudged.
    workspace.run("add", "Tom Chen", "--email", "tom@example.org")
    workspace.run("stage", "tom", "contacted")
    workspace.run("add", "Maria Garcia", "--email", "maria@example.org")
    referrals = ("Tom Chen <tom@example.org>", "Kim Park", "Lee Wong <lee@example.org>", "Ana Ruiz")
    met = workspace.run("met", "maria", *(a for r in referrals for a in ("--referral", r)))
    assert met.exit_code == 0, met.output
    draft = workspace.run("draft", "thank-you", "maria", "--dry-run")
    assert "suggesting I speak with Kim Park, Lee Wong and Ana Ruiz. I will" in draft.output


def test_the_thank_you_clock_of_met_when_starts_at_the_end_of_the_meeting(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `met --when` names when they met, the start of the 15:00-15:20 meeting: at 15:10 two
    # days later the thank-you is within the 48 h (the agenda has it due at 15:20).
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-27T10:00:00+01:00")
    workspace.run("add", "Dana Lee", "--email", "dana@acme.example")
    assert workspace.run("schedule", "dana", "2026-03-30 15:00").exit_code == 0
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-04-01T15:10:00+02:00")
    met = workspace.run("met", "dana", "--when", "2026-03-30 15:00", "--advice", "Learn SQL.")
    assert met.exit_code == 0, met.output
    draft = workspace.run("draft", "thank-you", "dana", "--dry-run")
    assert draft.exit_code == 0, draft.output
    assert "later than the 48 h advised" not in draft.stderr, draft.stderr


def test_a_second_conversation_without_a_meeting_starts_its_own_thank_you_clock(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Coffee in March; in July the user runs into Dana and records it with `met`. The
    # March meeting is the first conversation's, so the thank-you is due 48 h after July's
    # `met`, not overdue since April.
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-27T10:00:00+01:00")
    workspace.run("add", "Dana Lee", "--email", "dana@acme.example")
    assert workspace.run("schedule", "dana", "2026-03-30 15:00").exit_code == 0
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-30T16:00:00+02:00")
    assert workspace.run("met", "dana").exit_code == 0
    assert workspace.run("stage", "dana", "keeping-in-touch").exit_code == 0
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-07-01T12:00:00+02:00")
    met = workspace.run("met", "dana", "--advice", "Learn SQL.")
    assert met.exit_code == 0, met.output
    agenda = json.loads(workspace.run("agenda", "--json").stdout)
    assert [a["due"] for a in agenda if a["kind"] == "thank-you"] == ["2026-07-03T12:00:00+02:00"]
    draft = workspace.run("draft", "thank-you", "dana", "--dry-run")
    assert draft.exit_code == 0, draft.output
    assert "later than the 48 h advised" not in draft.stderr, draft.stderr


def test_the_follow_up_counts_days_on_the_calendar(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sent Monday 10:00; the agenda has the follow-up due "today" the next Monday, and at
    # 09:00 that is "a week ago". Before, whole 24 h periods made it "I wrote 6 days ago".
    from coffeechat.config import Mail
    from coffeechat.mail.maildir import MaildirMailbox

    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-02T09:00:00+01:00")
    workspace.run("add", "Sam Roe", "--email", "sam@beta.example", "--company", "Beta")
    assert workspace.run("draft", "outreach", "sam").exit_code == 0
    [(_, draft)] = drafts_in_maildir(workspace)
    del draft["Date"]
    draft["Date"] = "Mon, 02 Mar 2026 10:00:00 +0100"
    MaildirMailbox.open(workspace.maildir, Mail()).append("Sent", draft.as_bytes())
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-02T10:00:00+01:00")
    assert "drafted → contacted" in workspace.run("watch", "--once").output
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-09T09:00:00+01:00")
    [item] = json.loads(workspace.run("agenda", "--json").stdout)
    assert (item["kind"], item["due"]) == ("follow-up", "2026-03-09T10:00:00+01:00")
    follow_up = workspace.run("draft", "follow-up", "sam", "--dry-run")
    assert follow_up.exit_code == 0, follow_up.output
    assert "Hi Sam,\n\nI wrote a week ago, and I wanted to follow up" in follow_up.output
    assert "Warning" not in follow_up.output  # due today: not early
    # Two days after the outreach it is early: the agenda has it due next Monday.
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-04T09:00:00+01:00")
    early = workspace.run("draft", "follow-up", "sam", "--dry-run")
    assert early.exit_code == 0, early.output
    assert (
        "Warning: Sam Roe: this follow-up is early: the agenda has it due on Mon 2026-03-09 "
        "(no reply since Mon 2026-03-02)"
    ) in early.stderr


def test_the_prep_sheet_asks_leave_to_mention_them_as_the_thank_you_will(
    workspace: Workspace,
) -> None:
    # The thank-you promises each referral "I will reach out soon and mention that you sent
    # me"; the seeds have you ask first: "Who do you know that I should talk to next? When
    # I call him/her, may I use your name?" The sheet's closing line did not ask it.
    workspace.run("add", "Dana Lee", "--email", "dana@acme.example")
    sheet = workspace.run("show", "dana", "--prep").output
    closing = sheet.strip().splitlines()[-1]
    assert closing.startswith("Before you leave:")
    assert "may I mention your name" in closing
    assert "May I follow up later?" in closing
    workspace.run("met", "dana", "--advice", ADVICE, "--referral", "Sam Roe <sam@acme.example>")
    thanks = workspace.run("draft", "thank-you", "dana", "--dry-run")
    assert "mention that you sent me" in thanks.output


def test_the_prep_sheet_covers_the_seeds_four_areas(workspace: Workspace) -> None:
    # The seeds' "key areas to focus your questions": about the individual and details
    # of their job, about your marketability, about the organization itself, about the
    # "next steps" to take. The bank had no question about the organization.
    workspace.run("add", "Dana Lee", "--email", "dana@acme.example", "--company", "Acme")
    sheet = workspace.run("show", "dana", "--prep").output
    assert "About the work they do" in sheet
    assert "marketability" in sheet
    assert "About the organization" in sheet
    assert "Who else would you recommend I speak with?" in sheet
