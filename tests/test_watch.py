"""`coffeechat watch --once` end to end, on the Maildir backend and on a real Dovecot.

Each case starts from a fresh mailbox and database: contacts seeded where a real season
would have them, one real-looking message delivered (into INBOX or Sent, by a second
connection for IMAP), one watch pass, then the contact's stage and events are checked.
"""

from __future__ import annotations

import email
import email.policy
import imaplib
import json
import mailbox
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import test_draft
from coffeechat_fixtures import Workspace
from dovecot import Dovecot, free_port

from coffeechat.config import Config, Mail
from coffeechat.errors import MailError
from coffeechat.mail.maildir import UIDLIST, MaildirMailbox
from coffeechat.models import NewContact
from coffeechat.pipeline import Stage
from coffeechat.store import Store

MAIL = Path(__file__).parent / "data" / "mail"

CONTACTS = {
    "jane": ("Jane Rivera", "jane.rivera@acme.example", "<outreach-1.coffeechat@example.com>"),
    "ben": ("Ben Okafor", "ben.okafor@globex.example", "<outreach-2.coffeechat@example.com>"),
    "carla": ("Carla Moreau", "carla@initech.example", "<outreach-3.coffeechat@example.com>"),
    "dieter": ("Dieter Hoffmann", "dieter.hoffmann@beispiel.example", None),
    "anais": ("Anaïs Lefèvre", "anais@societe.example", "<outreach-5.coffeechat@example.com>"),
    "sam": ("Sam Lee", "sam.lee@oldcorp.example", None),
}
# A message Jane sent earlier in the thread; she answers it from her home address.
JANE_EARLIER = "<CAJx8KzX9pQm2wEr5tYu7iOp1aSd3fGh4jKl@mail.gmail.com>"


@dataclass(frozen=True)
class Case:
    file: str
    folder: str  # "inbox" | "sent"
    who: str
    start: Stage
    stage: Stage  # expected after the pass
    event: str | None  # the event kind logged, None for nothing at all
    also: tuple[str, ...] = ()  # other contacts the message concerns (Cc)


CASES = [
    Case("reply_threaded.eml", "inbox", "jane", Stage.CONTACTED, Stage.REPLIED, "reply"),
    Case("reply_unthreaded.eml", "inbox", "carla", Stage.CONTACTED, Stage.REPLIED, "reply"),
    Case("reply_other_address.eml", "inbox", "jane", Stage.CONTACTED, Stage.REPLIED, "reply"),
    Case(
        "reply_outlook_suppress_header.eml", "inbox", "ben", Stage.CONTACTED, Stage.REPLIED, "reply"
    ),
    Case("autoreply_rfc3834.eml", "inbox", "carla", Stage.CONTACTED, Stage.CONTACTED, "auto-reply"),
    Case(
        "autoreply_exchange_outlook.eml",
        "inbox",
        "ben",
        Stage.CONTACTED,
        Stage.CONTACTED,
        "auto-reply",
    ),
    Case(
        "autoreply_gmail_vacation.eml",
        "inbox",
        "jane",
        Stage.CONTACTED,
        Stage.CONTACTED,
        "auto-reply",
    ),
    Case(
        "autoreply_german_subject.eml",
        "inbox",
        "dieter",
        Stage.CONTACTED,
        Stage.CONTACTED,
        "auto-reply",
    ),
    Case("bounce_postfix.eml", "inbox", "sam", Stage.CONTACTED, Stage.BOUNCED, "bounce"),
    Case("bounce_exchange.eml", "inbox", "ben", Stage.CONTACTED, Stage.BOUNCED, "bounce"),
    Case("bounce_gmail.eml", "inbox", "jane", Stage.CONTACTED, Stage.BOUNCED, "bounce"),
    # Ben is in Cc: the message counts as sent to him too (he stays contacted).
    Case(
        "sent_outreach.eml", "sent", "jane", Stage.DRAFTED, Stage.CONTACTED, "sent", also=("ben",)
    ),
    Case("sent_own_vacation.eml", "sent", "jane", Stage.DRAFTED, Stage.DRAFTED, None),
    Case("itip_reply_accepted.eml", "inbox", "jane", Stage.REPLIED, Stage.SCHEDULED, "itip-reply"),
    Case("mailing_list.eml", "inbox", "jane", Stage.CONTACTED, Stage.CONTACTED, None),
    Case("newsletter_unknown.eml", "inbox", "jane", Stage.CONTACTED, Stage.CONTACTED, None),
    Case("read_receipt.eml", "inbox", "ben", Stage.CONTACTED, Stage.CONTACTED, None),
    # Never written to: mail from them is logged; only one citing our message is a reply.
    Case("reply_unthreaded.eml", "inbox", "carla", Stage.IDENTIFIED, Stage.IDENTIFIED, "reply"),
    Case("reply_threaded.eml", "inbox", "jane", Stage.DRAFTED, Stage.REPLIED, "reply"),
    Case("delay_postfix.eml", "inbox", "dieter", Stage.CONTACTED, Stage.CONTACTED, None),
]


def seed(database: Path, start: dict[str, Stage]) -> dict[str, int]:
    store = Store.open(database)
    ids = {}
    for key, (name, address, outreach) in CONTACTS.items():
        contact = store.add_contact(NewContact(name, (address,)))
        target = start.get(key, Stage.CONTACTED)
        if target != contact.stage:
            store.move(contact, target, "seeded", "test", manual=True, at="2026-03-01T09:00:00Z")
        if outreach:
            store.record_message(
                outreach,
                contact.id,
                direction="sent",
                kind="outreach",
                subject="Coffee chat?",
                at="2026-03-01T09:00:00+00:00",
            )
        ids[key] = contact.id
    # The meeting itip_reply_accepted.eml answers.
    store.save_meeting(
        {
            "uid": "meeting-7f3a2c@coffeechat.example.com",
            "contact_id": ids["jane"],
            "start": "2026-03-10T18:00:00+00:00",
            "end": "2026-03-10T18:20:00+00:00",
        }
    )
    store.record_message(
        JANE_EARLIER,
        ids["jane"],
        direction="received",
        kind="reply",
        subject="Re: Coffee chat?",
        at="2026-03-02T09:00:00+00:00",
    )
    store.close()
    return ids


class Backend:
    """Delivers a message into the workspace's mailbox, as another program would."""

    def __init__(
        self, kind: str, workspace: Workspace, dovecot: Dovecot | None, user: str | None
    ) -> None:
        self.kind, self.workspace, self.dovecot, self.user = kind, workspace, dovecot, user

    def deliver(self, folder: str, raw: bytes) -> None:
        name = {"inbox": "INBOX", "sent": "Sent"}[folder]
        if self.kind == "maildir":
            box = MaildirMailbox.open(self.workspace.maildir, Mail())
            box.append(name, raw)
            return
        assert self.dovecot and self.user
        with imaplib.IMAP4_SSL(
            self.dovecot.host, self.dovecot.port, ssl_context=self.dovecot.ssl_context()
        ) as imap:
            imap.login(self.user, self.dovecot.password)
            imap.append(name, "", imaplib.Time2Internaldate(1_773_000_000), raw)

    def renumber(self, folder: str) -> None:
        """Make the server hand out a new UIDVALIDITY for the folder."""
        if self.kind == "maildir":
            path = self.workspace.maildir / ("" if folder == "inbox" else ".Sent") / UIDLIST
            path.unlink()
            return
        assert self.dovecot and self.user
        with imaplib.IMAP4_SSL(
            self.dovecot.host, self.dovecot.port, ssl_context=self.dovecot.ssl_context()
        ) as imap:
            imap.login(self.user, self.dovecot.password)
            # Recreate the folder under the same name: Dovecot gives it a new UIDVALIDITY.
            imap.select("INBOX")
            _, data = imap.uid("SEARCH", "ALL")
            messages = []
            for uid in data[0].split():
                _, fetched = imap.uid("FETCH", uid, "(BODY.PEEK[])")
                messages.append(fetched[0][1])
            imap.close()
            imap.rename("INBOX", "Old")
            imap.create("INBOX")
            for raw in messages:
                imap.append("INBOX", "", imaplib.Time2Internaldate(1_773_000_000), raw)


@pytest.fixture(params=["maildir", "imap"])
def backend(request: pytest.FixtureRequest, workspace: Workspace) -> Backend:
    if request.param == "maildir":
        return Backend("maildir", workspace, None, None)
    dovecot: Dovecot = request.getfixturevalue("dovecot")
    return use_imap(workspace, dovecot, dovecot.new_user())


def stage_of(workspace: Workspace, contact_id: int) -> tuple[str, list[str]]:
    """The contact's stage, and what each message did to it (one event per message)."""
    store = Store.open(workspace.database)
    try:
        kinds = [e.kind for e in store.events(contact_id) if e.kind != "stage"]
        return store.get(contact_id).stage.value, kinds
    finally:
        store.close()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.file.removesuffix(".eml"))
def test_each_message_moves_the_right_contact(backend: Backend, case: Case) -> None:
    workspace = backend.workspace
    ids = seed(workspace.database, {case.who: case.start})
    backend.deliver(case.folder, (MAIL / case.file).read_bytes())
    result = workspace.run("watch", "--once", "--json")
    assert result.exit_code == 0, result.output
    stage, kinds = stage_of(workspace, ids[case.who])
    assert stage == case.stage.value
    assert kinds == ([case.event] if case.event else [])
    others = {key: stage_of(workspace, cid)[1] for key, cid in ids.items() if key != case.who}
    assert others == {key: ([case.event] if key in case.also else []) for key in others}
    # Exactly once: a second pass finds nothing new and adds nothing.
    again = workspace.run("watch", "--once", "--json")
    assert again.exit_code == 0 and again.stdout == ""
    assert stage_of(workspace, ids[case.who]) == (stage, kinds)


def test_mail_from_before_the_outreach_is_logged_not_taken_for_a_reply(backend: Backend) -> None:
    # Carla was written to on 1 March; her unthreaded message of February, still in the
    # INBOX the first scan reads, answers something else.
    workspace = backend.workspace
    ids = seed(workspace.database, {})
    raw = (MAIL / "reply_unthreaded.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    message.replace_header("Date", "Tue, 10 Feb 2026 10:00:00 +0100")
    backend.deliver("inbox", message.as_bytes())
    result = workspace.run("watch", "--once")
    assert result.exit_code == 0, result.output
    assert stage_of(workspace, ids["carla"]) == ("contacted", ["reply"])
    assert "before you first wrote to them (stays contacted)" in result.stdout


@pytest.mark.parametrize("ahead", [0, 2])
def test_what_a_pass_committed_before_the_connection_dropped_is_shown(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, ahead: int
) -> None:
    # Each batch commits on its own; a pass that fails after the first batch must still
    # say what that batch did, or the next pass (which starts after it) never will. A
    # batch read and planned ahead when the connection drops is applied all the same.
    from coffeechat.errors import MailUnreachable
    from coffeechat.mail import maildir as maildir_module

    monkeypatch.setattr(MaildirMailbox, "batches_ahead", ahead)

    backend = Backend("maildir", workspace, None, None)
    ids = seed(workspace.database, {})
    backend.deliver("inbox", (MAIL / "reply_threaded.eml").read_bytes())  # Jane
    backend.deliver("inbox", (MAIL / "reply_unthreaded.eml").read_bytes())  # Carla
    monkeypatch.setattr(maildir_module, "BATCH", 1)
    fetch = MaildirMailbox.fetch_headers

    def drops_after_one_batch(self: MaildirMailbox, *args: Any, **kwargs: Any) -> Any:
        for n, batch in enumerate(fetch(self, *args, **kwargs)):
            if n == 1:
                raise MailUnreachable("lost the connection", "run the command again")
            yield batch

    monkeypatch.setattr(MaildirMailbox, "fetch_headers", drops_after_one_batch)
    result = workspace.run("watch", "--once")
    assert result.exit_code != 0
    assert stage_of(workspace, ids["jane"]) == ("replied", ["reply"])
    assert stage_of(workspace, ids["carla"]) == ("contacted", [])
    assert "Jane Rivera  contacted → replied" in result.output
    assert "lost the connection" in result.output

    # The same while watching: the change is shown, then the watch reconnects.
    from coffeechat.config import load
    from coffeechat.watcher import watch_forever

    backend.deliver("inbox", (MAIL / "reply_other_address.eml").read_bytes())  # a 2nd batch
    shown: list[str] = []
    statuses: list[str] = []

    def stop(seconds: float) -> None:
        raise Stop

    store = Store.open(workspace.database)
    with pytest.raises(Stop):
        watch_forever(
            store,
            load(workspace.config_path),
            on_change=lambda change: shown.append(f"{change.contact_name} {change.to_stage}"),
            on_status=statuses.append,
            now=lambda: datetime.now(UTC),
            sleep=stop,
        )
    store.close()
    assert shown == ["Carla Moreau replied"]
    assert statuses[-1].startswith("connection lost (lost the connection)")


def test_the_calendar_files_are_rewritten_even_when_showing_a_change_is_interrupted(
    workspace: Workspace,
) -> None:
    # Ctrl-C (or a closed pipe) while the lines are printed: the pass is committed, and
    # the feed and meeting files it made stale are rewritten only here, once per pass.
    from coffeechat.config import load
    from coffeechat.watcher import watch_forever

    backend = Backend("maildir", workspace, None, None)
    seed(workspace.database, {})
    backend.deliver("inbox", (MAIL / "reply_threaded.eml").read_bytes())  # Jane
    refreshed: list[list[str]] = []

    def interrupted(change: Any) -> None:
        raise KeyboardInterrupt

    store = Store.open(workspace.database)
    with pytest.raises(KeyboardInterrupt):
        watch_forever(
            store,
            load(workspace.config_path),
            on_change=interrupted,
            on_status=lambda text: None,
            now=lambda: datetime.now(UTC),
            on_pass=lambda changes: refreshed.append([c.contact_name for c in changes]),
        )
    store.close()
    assert refreshed == [["Jane Rivera"]]


def test_watch_once_rewrites_the_feed_even_when_showing_is_interrupted(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same in `watch --once`: Ctrl-C while the lines print still rewrites the feed.
    from coffeechat import agenda
    from coffeechat.cli import main
    from coffeechat.sync import Change

    backend = Backend("maildir", workspace, None, None)
    seed(workspace.database, {})
    backend.deliver("inbox", (MAIL / "reply_threaded.eml").read_bytes())  # Jane
    feeds: list[object] = []
    monkeypatch.setattr(agenda, "write_feed", lambda *args: feeds.append(args))

    def interrupted(change: Change) -> dict[str, object]:
        raise KeyboardInterrupt

    monkeypatch.setattr(Change, "to_json", interrupted)
    result = workspace.runner.invoke(
        main, ["--config", str(workspace.config_path), "watch", "--once", "--json"]
    )
    assert result.exit_code != 0
    assert len(feeds) == 1


def test_a_silence_sweep_that_fails_midway_leaves_nothing_unshown(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Carla's and Anaïs's follow-ups went unanswered: both are due to move to no-response.
    # The sweep fails on the second (a locked database, Ctrl-C); whatever it committed
    # must have been handed to on_committed, since the next pass will not see it again.
    from coffeechat.config import load
    from coffeechat.watcher import connected, run_pass

    ids = seed(workspace.database, {})
    store = Store.open(workspace.database)
    for key in ("carla", "anais"):
        store.record_message(
            f"<follow-up-{key}@example.com>",
            ids[key],
            direction="sent",
            kind="follow-up",
            subject="Re: Coffee chat?",
            at="2026-03-09T09:00:00+00:00",
        )
    moves = 0
    move = Store.move

    def fails_the_second(self: Store, contact: Any, target: Stage, *a: Any, **k: Any) -> Any:
        nonlocal moves
        if target == Stage.NO_RESPONSE:
            moves += 1
            if moves == 2:
                raise KeyboardInterrupt
        return move(self, contact, target, *a, **k)

    monkeypatch.setattr(Store, "move", fails_the_second)
    shown: list[int] = []
    config = load(workspace.config_path)
    with connected(config) as mailbox, pytest.raises(KeyboardInterrupt):
        run_pass(
            store,
            mailbox,
            config,
            now=datetime(2026, 6, 1, tzinfo=UTC),
            on_committed=lambda changes: shown.extend(c.contact_id for c in changes),
        )
    silent = [i for i in ids.values() if store.get(i).stage == Stage.NO_RESPONSE]
    store.close()
    assert moves == 2
    assert sorted(shown) == sorted(silent)


def test_a_bounce_from_before_the_outreach_marks_nothing(backend: Backend) -> None:
    # Sam was marked contacted on 1 March (no sent copy on record); a bounce of February is
    # about an older message, and the address may work now: no bounced stage, and the
    # address is not marked. The line says what the date was compared with.
    workspace = backend.workspace
    ids = seed(workspace.database, {})
    raw = (MAIL / "bounce_postfix.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    message.replace_header("Date", "Tue, 10 Feb 2026 10:00:00 +0100")
    backend.deliver("inbox", message.as_bytes())
    result = workspace.run("watch", "--once")
    assert result.exit_code == 0, result.output
    assert stage_of(workspace, ids["sam"]) == ("contacted", ["bounce"])
    assert (
        "bounced: mail to sam.lee@oldcorp.example failed; dated before you marked them "
        "contacted (stays contacted)"
    ) in result.stdout
    store = Store.open(workspace.database)
    assert store.get(ids["sam"]).bad_emails == ()
    store.close()


def test_reply_from_second_address_is_remembered(backend: Backend) -> None:
    workspace = backend.workspace
    ids = seed(workspace.database, {})
    backend.deliver("inbox", (MAIL / "reply_other_address.eml").read_bytes())
    result = workspace.run("watch", "--once")
    # Said, not done silently: the line and the timeline both name the address.
    assert "(new address jane.rivera.home@mailbox.example saved)" in result.stdout
    shown = json.loads(workspace.run("show", str(ids["jane"]), "--json").stdout)
    assert "jane.rivera.home@mailbox.example" in shown["emails"]
    assert any("jane.rivera.home@mailbox.example added" in e["detail"] for e in shown["events"])
    # Learned from the message just read: no earlier mail to look up on the next pass.
    store = Store.open(workspace.database)
    assert "jane.rivera.home@mailbox.example" not in store.addresses_to_backfill()
    store.close()


MIA = "mia.chen@newco.example"
TO_MIA = (
    b"Message-ID: <to-mia@mail.example.com>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\n"
    b"From: Alex Doe <alex@example.com>\r\nTo: Mia Chen <mia.chen@newco.example>\r\n"
    b"Subject: Coffee chat?\r\n\r\nHello Mia\r\n"
)
FROM_MIA = (
    b"Message-ID: <from-mia@newco.example>\r\nDate: Tue, 3 Mar 2026 10:00:00 +0000\r\n"
    b"From: Mia Chen <mia.chen@newco.example>\r\nTo: Alex Doe <alex@example.com>\r\n"
    b"In-Reply-To: <to-mia@mail.example.com>\r\nSubject: Re: Coffee chat?\r\n\r\nSure!\r\n"
)


@pytest.mark.parametrize("how", ["searched", "window-read-again", "address-outside-ascii"])
def test_a_contact_added_after_their_mail_was_read_moves_on_the_next_pass(
    backend: Backend, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The user wrote to Mia, and she answered, before Mia was a contact: the pass that
    # read both passed them over as a stranger's mail, and its cursor moved on.
    workspace = backend.workspace
    seed(workspace.database, {})
    address, to_mia, from_mia = MIA, TO_MIA, FROM_MIA
    if how == "address-outside-ascii":  # RFC 6532; IMAP SEARCH would need a charset
        address = "mía.chen@newco.example"
        to_mia, from_mia = (m.replace(MIA.encode(), address.encode()) for m in (TO_MIA, FROM_MIA))
    backend.deliver("sent", to_mia)
    backend.deliver("inbox", from_mia)
    assert workspace.run("watch", "--once").exit_code == 0
    added = workspace.run("add", "Mia Chen", "--email", address)
    assert added.exit_code == 0, added.output
    store = Store.open(workspace.database)
    mia = store.contact_id_for_email(address)
    store.close()
    assert mia is not None
    if how == "window-read-again":  # as for an import of many
        monkeypatch.setattr("coffeechat.sync.SEARCH_NEW_ADDRESSES", 0)

    result = workspace.run("watch", "--once")
    assert result.exit_code == 0, result.output
    assert stage_of(workspace, mia) == ("replied", ["sent", "reply"])
    assert "Mia Chen  identified → contacted" in result.stdout
    assert "Mia Chen  contacted → replied" in result.stdout
    # Looked up once: the next pass reads nothing again.
    again = workspace.run("watch", "--once")
    assert "Mia Chen" not in again.stdout
    assert stage_of(workspace, mia) == ("replied", ["sent", "reply"])


@pytest.mark.parametrize(
    "sender",
    [
        # A colleague answers in Jane's thread with Jane in copy.
        b"Sam Roe <sam.roe@acme.example>\r\nCc: jane.rivera@acme.example",
        # Her assistant answers alone, under another name.
        b"Office of J. Rivera <office@acme.example>",
    ],
    ids=["colleague-with-contact-in-copy", "someone-else-by-name"],
)
def test_thread_reply_from_someone_else_counts_but_teaches_no_address(
    backend: Backend, sender: bytes
) -> None:
    workspace = backend.workspace
    ids = seed(workspace.database, {})
    backend.deliver(
        "inbox",
        b"From: " + sender + b"\r\nTo: alex@example.com\r\n"
        b"Subject: Re: Coffee chat about data journalism?\r\n"
        b"Date: Thu, 5 Mar 2026 09:00:00 -0800\r\nMessage-ID: <colleague@acme.example>\r\n"
        b"In-Reply-To: <outreach-1.coffeechat@example.com>\r\n\r\nJane forwarded your note.\r\n",
    )
    result = workspace.run("watch", "--once")
    assert result.exit_code == 0, result.output
    assert "new address" not in result.stdout
    assert stage_of(workspace, ids["jane"]) == ("replied", ["reply"])
    shown = json.loads(workspace.run("show", str(ids["jane"]), "--json").stdout)
    assert shown["emails"] == ["jane.rivera@acme.example"]


@pytest.mark.parametrize("batches", ["one-batch", "planned-before-the-first-is-applied"])
def test_what_a_message_teaches_counts_for_the_next_in_the_same_pass(
    backend: Backend, batches: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jane answers from her home address (matched by thread); then writes from it again
    without a thread, and her assistant answers her reply. Read one by one, the second
    is hers by address and the third by thread: a batch must agree, and so must batches
    read and planned (pre-filtered) before the first was applied."""
    if batches != "one-batch":
        from coffeechat.mail import imap as imap_module
        from coffeechat.mail import maildir as maildir_module

        monkeypatch.setattr(imap_module, "FETCH_BATCH", 1)
        monkeypatch.setattr(maildir_module, "BATCH", 1)
        monkeypatch.setattr(MaildirMailbox, "batches_ahead", 3)  # as IMAP plans ahead
    workspace = backend.workspace
    ids = seed(workspace.database, {})
    backend.deliver("inbox", (MAIL / "reply_other_address.eml").read_bytes())
    backend.deliver(
        "inbox",
        b"From: Jane Rivera <jane.rivera.home@mailbox.example>\r\nTo: alex@example.com\r\n"
        b"Subject: One more thing\r\nDate: Thu, 5 Mar 2026 08:00:00 -0800\r\n"
        b"Message-ID: <second.note@mailbox.example>\r\n\r\nBring your questions.\r\n",
    )
    backend.deliver(
        "inbox",
        b"From: Sam Assistant <assistant@acme.example>\r\nTo: alex@example.com\r\n"
        b"Subject: Re: Coffee chat about data journalism?\r\n"
        b"Date: Thu, 5 Mar 2026 09:00:00 -0800\r\nMessage-ID: <third@acme.example>\r\n"
        b"In-Reply-To: <a7c1e2f3.5b6d.4e8f@mailbox.example>\r\n\r\nRoom 4B.\r\n",
    )
    assert workspace.run("watch", "--once").exit_code == 0
    assert stage_of(workspace, ids["jane"]) == ("replied", ["reply", "reply", "reply"])


def test_bounce_marks_the_address(backend: Backend) -> None:
    workspace = backend.workspace
    ids = seed(workspace.database, {})
    backend.deliver("inbox", (MAIL / "bounce_postfix.eml").read_bytes())
    workspace.run("watch", "--once")
    shown = json.loads(workspace.run("show", str(ids["sam"]), "--json").stdout)
    assert shown["bad_emails"] == ["sam.lee@oldcorp.example"]


def test_new_uidvalidity_rescans_without_duplicates(backend: Backend) -> None:
    workspace = backend.workspace
    ids = seed(workspace.database, {})
    backend.deliver("inbox", (MAIL / "reply_threaded.eml").read_bytes())
    backend.deliver("inbox", (MAIL / "autoreply_rfc3834.eml").read_bytes())
    workspace.run("watch", "--once")
    before = [stage_of(workspace, cid) for cid in ids.values()]
    backend.renumber("inbox")
    again = workspace.run("watch", "--once", "--json")
    assert again.exit_code == 0 and again.stdout == ""
    assert [stage_of(workspace, cid) for cid in ids.values()] == before


def test_watch_never_marks_mail_seen(
    imap_account: tuple[Dovecot, str], workspace: Workspace
) -> None:
    dovecot, user = imap_account
    backend = use_imap(workspace, dovecot, user)
    seed(workspace.database, {})
    backend.deliver("inbox", (MAIL / "bounce_gmail.eml").read_bytes())
    backend.deliver("inbox", (MAIL / "reply_threaded.eml").read_bytes())
    assert workspace.run("watch", "--once").exit_code == 0
    with imaplib.IMAP4_SSL(dovecot.host, dovecot.port, ssl_context=dovecot.ssl_context()) as imap:
        imap.login(user, dovecot.password)
        imap.select("INBOX", readonly=True)
        _, flags = imap.fetch("1:*", "(FLAGS)")
    assert len(flags) == 2
    assert not any(b"\\Seen" in item for item in flags)


def start_watching(workspace: Workspace, *args: str) -> subprocess.Popen[str]:
    """`coffeechat watch` in its own process, once its first pass is done and it idles."""
    env = {**os.environ, "COFFEECHAT_CONFIG": str(workspace.config_path)}
    watcher = subprocess.Popen(
        [sys.executable, "-m", "coffeechat", "watch", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: Store.open(workspace.database).cursor("INBOX") is not None, 15)
    except BaseException:
        watcher.kill()
        watcher.communicate()
        raise
    time.sleep(0.3)  # let it enter IDLE
    return watcher


def test_running_watch_sees_a_reply_within_two_seconds(
    imap_account: tuple[Dovecot, str], workspace: Workspace
) -> None:
    dovecot, user = imap_account
    backend = use_imap(workspace, dovecot, user)
    ids = seed(workspace.database, {})
    watcher = start_watching(workspace, "--json")
    assert watcher.stdout is not None and watcher.stderr is not None
    stdout = watcher.stdout
    printed: list[str] = []
    threading.Thread(target=lambda: printed.extend(iter(stdout.readline, "")), daemon=True).start()
    try:
        started = time.monotonic()
        backend.deliver("inbox", (MAIL / "reply_threaded.eml").read_bytes())
        wait_until(lambda: stage_of(workspace, ids["jane"])[0] == "replied", 5)
        elapsed = time.monotonic() - started
        # The line comes once the pass is over; Ctrl-C before that would cut it off.
        wait_until(lambda: bool(printed), 5)
    finally:
        watcher.send_signal(signal.SIGINT)
        watcher.wait(timeout=10)  # stdout is the reader thread's to read
        err = watcher.stderr.read()
    assert elapsed < 2.0, f"took {elapsed:.2f} s"
    assert watcher.returncode == 0, err
    change = json.loads(printed[0])
    assert (change["name"], change["from_stage"], change["to_stage"]) == (
        "Jane Rivera",
        "contacted",
        "replied",
    )
    assert "Traceback" not in err


def use_imap(workspace: Workspace, dovecot: Dovecot, user: str) -> Backend:
    # The fixture messages are dated 2026: look back far enough for them.
    test_draft.use_imap(workspace, dovecot, user, backfill_days="3650", poll_seconds="30")
    return Backend("imap", workspace, dovecot, user)


def wait_until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"not true within {seconds} s")


def test_watch_needs_your_address_to_tell_your_mail_from_replies(workspace: Workspace) -> None:
    """Without it, a copy of the user's own reply in INBOX (Bcc to self) would count as the
    contact replying from a new address; so watch refuses before reading anything."""
    ids = seed(workspace.database, {"jane": Stage.CONTACTED})
    Backend("maildir", workspace, None, None).deliver(
        "inbox", (MAIL / "reply_threaded.eml").read_bytes()
    )
    workspace.set_me('name = "Alex Doe"\ntimezone = "UTC"')
    result = workspace.run("watch", "--once")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {workspace.config_path}: me.email is not set; add it under [me], "
        'e.g. email = "you@example.com"\n'
    )
    assert stage_of(workspace, ids["jane"]) == ("contacted", [])
    # me.name is not needed to read the mailbox.
    workspace.set_me('email = "alex.doe@example.org"\ntimezone = "UTC"')
    assert workspace.run("watch", "--once").exit_code == 0
    assert stage_of(workspace, ids["jane"]) == ("replied", ["reply"])


class Stop(Exception):
    """Ends watch_forever from its injected sleep."""


@pytest.mark.slow
def test_reconnect_messages_give_the_cause_without_one_shot_advice(tmp_path: Path) -> None:
    """While watch retries by itself, "run the command again" or "check mail.host" would
    contradict it: each line says what happened and when the next try comes."""
    import threading

    from dovecot import start_dovecot
    from test_hardening import crash

    statuses: list[str] = []
    delays: list[float] = []
    ended: list[BaseException] = []

    def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 3:
            raise Stop

    with start_dovecot() as server:
        config = server.config(tmp_path, server.new_user())

        def run() -> None:
            try:  # its own store: sqlite wants one connection per thread
                watch_in_process(config, statuses, sleep)
            except BaseException as err:  # handed to the test thread
                ended.append(err)

        Store.open(config.database_path).close()  # created here, not by both threads at once
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        wait_until(lambda: Store.open(config.database_path).cursor("INBOX") is not None, 15)
        time.sleep(0.3)  # let it enter IDLE
        crash(server)
        thread.join(30)
    assert [type(err) for err in ended] == [Stop], ended
    where = f"{server.host}:{server.port}"
    assert statuses[0] == "watching INBOX and Sent (Ctrl-C to stop)"
    lost = statuses[1]  # the socket error's words vary: an EOF, an SSL error, a reset
    assert lost.startswith(
        f"connection lost (lost the connection to {where} while waiting for new mail in 'INBOX': "
    ), lost
    assert lost.endswith("); reconnecting in 1 s") and lost.count(";") == 1, lost
    assert statuses[2:] == [
        f"cannot connect to {where} (Connection refused); retrying in 2 s",
        f"cannot connect to {where} (Connection refused); retrying in 4 s",
    ]
    assert delays == [1, 2, 4]


def waiting_cannot_fix(server: Dovecot, tmp_path: Path) -> dict[str, tuple[dict[str, Any], str]]:
    """Settings that no retry can make work, and how the error each causes begins."""
    import trustme

    other_ca = tmp_path / "other-ca.pem"  # a CA, but not the one that signed the server
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    where = f"{server.host}:{server.port}"
    return {
        "ca-that-did-not-sign": (
            {"ca_file": str(other_ca)},
            f"cannot verify the TLS certificate of {where} (",
        ),
        "ca-file-missing": (
            {"ca_file": str(tmp_path / "missing.pem")},
            f"mail.ca_file: cannot load {str(tmp_path / 'missing.pem')!r}",
        ),
        "ca-file-not-a-certificate": (
            {"ca_file": str(garbage)},
            f"mail.ca_file: cannot load {str(garbage)!r}",
        ),
        "tls-to-the-starttls-port": (
            {"port": server.starttls_port},
            f"TLS handshake with {server.host}:{server.starttls_port} failed",
        ),
        "starttls-to-the-tls-port": ({"security": "starttls"}, f"{where} expects TLS from"),
        "wrong-password": ({"password_command": "printf %s wrong"}, "login failed for "),
        "unknown-folder": (
            {"sent_folder": "Sent Mail"},
            f"mail.sent_folder: there is no folder 'Sent Mail' at {where}",
        ),
    }


def watch_in_process(config: Config, statuses: list[str], sleep: Callable[[float], None]) -> None:
    from coffeechat.watcher import watch_forever

    store = Store.open(config.database_path)
    try:
        watch_forever(
            store,
            config,
            on_change=lambda change: None,
            on_status=statuses.append,
            now=lambda: datetime.now(UTC),
            sleep=sleep,
        )
    finally:
        store.close()


@pytest.mark.parametrize(
    "case",
    [
        "ca-that-did-not-sign",
        "ca-file-missing",
        "ca-file-not-a-certificate",
        "tls-to-the-starttls-port",
        "starttls-to-the-tls-port",
        "wrong-password",
        "unknown-folder",
    ],
)
def test_watch_gives_up_on_what_waiting_cannot_fix(
    imap_account: tuple[Dovecot, str], tmp_path: Path, case: str
) -> None:
    dovecot, user = imap_account
    overrides, begins = waiting_cannot_fix(dovecot, tmp_path)[case]
    config = dovecot.config(tmp_path, user, **overrides)

    def sleep(seconds: float) -> None:
        raise AssertionError("watch went on to retry")

    statuses: list[str] = []
    with pytest.raises(MailError) as info:
        watch_in_process(config, statuses, sleep)
    assert str(info.value).startswith(begins), info.value
    assert not any("retrying" in line for line in statuses), statuses


@pytest.mark.parametrize("server", ["nothing-listens", "nobody-greets"])
def test_watch_retries_what_may_pass(dovecot: Dovecot, tmp_path: Path, server: str) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel accepts, nobody ever greets
        port = free_port() if server == "nothing-listens" else silent.getsockname()[1]
        config = dovecot.config(tmp_path, dovecot.new_user(), port=port, timeout_seconds=1)
        delays: list[float] = []

        def sleep(seconds: float) -> None:
            delays.append(seconds)
            if len(delays) == 2:
                raise Stop

        statuses: list[str] = []
        with pytest.raises(Stop):
            watch_in_process(config, statuses, sleep)
    why = {
        "nothing-listens": f"cannot connect to 127.0.0.1:{port} (Connection refused)",
        "nobody-greets": f"timed out connecting to 127.0.0.1:{port} after 1 s",
    }[server]
    assert statuses == [f"{why}; retrying in 1 s", f"{why}; retrying in 2 s"]
    assert delays == [1, 2]


def test_watch_with_the_wrong_ca_exits_at_once_with_the_fix(
    imap_account: tuple[Dovecot, str], workspace: Workspace, tmp_path: Path
) -> None:
    """The command a user (or a service manager) runs: exit 1 and say what to change,
    where it used to retry the certificate every minute, for ever."""
    dovecot, user = imap_account
    overrides, begins = waiting_cannot_fix(dovecot, tmp_path)["ca-that-did-not-sign"]
    test_draft.use_imap(workspace, dovecot, user, ca_file=f'"{overrides["ca_file"]}"')
    env = {**os.environ, "COFFEECHAT_CONFIG": str(workspace.config_path)}
    done = subprocess.run(
        [sys.executable, "-m", "coffeechat", "watch"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(f"Error: {begins}"), done.stderr
    assert done.stderr.count("\n") == 1
    assert f"mail.ca_file is {overrides['ca_file']!r}: check that it is" in done.stderr


def test_watch_stops_cleanly_on_sigterm(
    imap_account: tuple[Dovecot, str], workspace: Workspace
) -> None:
    # What a service manager (systemd, a container runtime) sends to stop it.
    dovecot, user = imap_account
    use_imap(workspace, dovecot, user)
    seed(workspace.database, {})
    watcher = start_watching(workspace)
    watcher.send_signal(signal.SIGTERM)
    _, err = watcher.communicate(timeout=10)
    assert watcher.returncode == 0, err
    assert err.rstrip().endswith("stopped")


STOP_WHILE_A_CLASS_IS_BUILT = """
class Field:
    def __set_name__(self, owner, name):
        signal.raise_signal(signal.SIGINT)

class Built:
    field = Field()
"""


@pytest.mark.parametrize(
    "interruption",
    [
        pytest.param("signal.raise_signal(signal.SIGINT)", id="in-exec"),
        pytest.param(STOP_WHILE_A_CLASS_IS_BUILT, id="in-a-class-being-built"),
    ],
)
def test_ctrl_c_in_the_middle_of_an_import_still_stops_watch_cleanly(
    workspace: Workspace, interruption: str
) -> None:
    # Where a lazy import lets Ctrl-C land: dataclasses exec() the methods they build, and
    # a descriptor's __set_name__ runs as the class is built. Python 3.11 turns the first
    # into a SIGINT death at exit even once caught, the second into a RuntimeError.
    script = f"""
import signal
from coffeechat import watcher
from coffeechat.cli import main

def interrupted(*args, on_status, **kwargs):
    on_status("watching")  # as the real one does; its imports are done before the stop
    exec({interruption!r}, {{"signal": signal}})

watcher.watch_forever = interrupted
main(["watch"], standalone_mode=False)  # to the end of the script: sys.exit skips the check
"""
    env = {**os.environ, "COFFEECHAT_CONFIG": str(workspace.config_path)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=30
    )
    assert (done.returncode, done.stderr) == (0, "watching\nstopped\n"), done.stderr


def test_a_failure_that_is_not_a_stop_still_ends_watch_with_an_error(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coffeechat import watcher
    from coffeechat.cli import main

    def fails(*args: Any, **kwargs: Any) -> None:
        try:
            raise KeyboardInterrupt  # another's, not ours: not a request to stop
        except KeyboardInterrupt as err:
            raise RuntimeError("broken") from err

    monkeypatch.setattr(watcher, "watch_forever", fails)
    result = workspace.runner.invoke(main, ["--config", str(workspace.config_path), "watch"])
    assert result.exit_code == 1
    assert "unexpected RuntimeError: broken" in result.output


def test_a_sent_draft_never_sorts_before_its_drafting(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Some clients keep the draft's own Date when they send it; the stamp may then fall
    # a second (or more) before the moment the draft was recorded.
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-02T09:00:30+00:00")
    workspace.run("add", "Dana Lee", "--email", "dana@acme.example")
    assert workspace.run("draft", "outreach", "dana").exit_code == 0
    [path] = (workspace.maildir / ".Drafts" / "cur").iterdir()
    sent = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    sent.replace_header("Date", "Mon, 02 Mar 2026 09:00:00 +0000")
    mailbox.Maildir(workspace.maildir / ".Sent", create=False).add(sent.as_bytes())
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-02T10:00:00+00:00")
    assert workspace.run("watch", "--once").exit_code == 0
    events = json.loads(workspace.run("show", "dana", "--json").stdout)["events"]
    moves = [(e["from_stage"], e["to_stage"]) for e in events if e["kind"] == "stage"]
    assert moves == [(None, "identified"), ("identified", "drafted"), ("drafted", "contacted")]


def test_a_reply_dated_ahead_of_the_clock_sorts_before_what_came_after_it(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Jane's clock runs ten minutes ahead: her reply, seen at 09:05, must not sort after
    # the meeting scheduled in answer to it at 09:06.
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-05T09:00:00+00:00")
    ids = seed(workspace.database, {})
    raw = (MAIL / "reply_threaded.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    message.replace_header("Date", "Thu, 05 Mar 2026 09:15:00 +0000")
    mailbox.Maildir(workspace.maildir, create=False).add(message.as_bytes())
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-05T09:05:00+00:00")
    assert workspace.run("watch", "--once").exit_code == 0
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-05T09:06:00+00:00")
    assert workspace.run("schedule", str(ids["jane"]), "2026-03-10 10:00").exit_code == 0
    events = json.loads(workspace.run("show", str(ids["jane"]), "--json").stdout)["events"]
    moves = [(e["from_stage"], e["to_stage"]) for e in events if e["kind"] == "stage"]
    assert moves[-2:] == [("contacted", "replied"), ("replied", "scheduled")]


def test_change_line_is_in_the_users_time_zone_with_the_date_for_other_days() -> None:
    from zoneinfo import ZoneInfo

    from coffeechat.sync import Change

    change = Change(
        datetime(2026, 3, 5, 23, 30, tzinfo=UTC), 1, "Dana Lee", "reply", "contacted",
        "replied", "Re: Coffee chat?", "reply",
    )  # fmt: skip
    berlin = ZoneInfo("Europe/Berlin")  # 23:30 UTC is 00:30 the next day there
    assert change.line(berlin, date(2026, 3, 6)) == (
        '00:30 Dana Lee  contacted → replied  "Re: Coffee chat?"'
    )
    assert change.line(berlin, date(2026, 3, 9)).startswith("2026-03-06 00:30 Dana Lee")


def test_a_line_without_a_move_says_what_the_message_was(backend: Backend) -> None:
    # "bounce (stays replied)" and "itip-reply (stays scheduled)" left the user to run
    # `show` to learn which address bounced or what the calendar answer was.
    workspace = backend.workspace
    seed(workspace.database, {"sam": Stage.REPLIED, "ben": Stage.CONTACTED})
    backend.deliver("inbox", (MAIL / "bounce_postfix.eml").read_bytes())
    backend.deliver("inbox", (MAIL / "autoreply_exchange_outlook.eml").read_bytes())
    lines = workspace.run("watch", "--once").stdout.splitlines()
    assert [line.split("  ", 1)[1] for line in lines[:2]] == [
        "bounced: sam.lee@oldcorp.example is undeliverable (stays replied)",
        "auto-reply: “Automatic reply: Quick question about your work at Globex”; back on "
        "2026-03-09 (stays contacted)",
    ]


def test_follow_up_threads_under_the_conversation_not_the_out_of_office(
    workspace: Workspace,
) -> None:
    backend = Backend("maildir", workspace, None, None)
    ids = seed(workspace.database, {})
    backend.deliver("inbox", (MAIL / "autoreply_gmail_vacation.eml").read_bytes())
    assert workspace.run("watch", "--once").exit_code == 0
    result = workspace.run("draft", "follow-up", str(ids["jane"]))
    assert result.exit_code == 0, result.output
    ((_, draft),) = test_draft.drafts_in_maildir(workspace)
    # Jane's own last message, not her vacation responder's.
    assert draft["In-Reply-To"] == JANE_EARLIER


def test_a_received_reply_keeps_its_thread_for_the_next_answer(workspace: Workspace) -> None:
    backend = Backend("maildir", workspace, None, None)
    ids = seed(workspace.database, {})
    backend.deliver(
        "inbox",
        b"From: Ben Okafor <ben.okafor@globex.example>\r\nTo: alex@example.com\r\n"
        b"Subject: Re: Coffee chat?\r\nDate: Thu, 5 Mar 2026 09:00:00 -0800\r\n"
        b"Message-ID: <ben-reply@globex.example>\r\n"
        b"References: <outreach-2.coffeechat@example.com>\r\n\r\nHappy to.\r\n",
    )
    assert workspace.run("watch", "--once").exit_code == 0
    store = Store.open(workspace.database)
    try:
        parent = store.last_exchange(ids["ben"])
    finally:
        store.close()
    assert parent is not None
    assert (parent["message_id"], parent["references_"]) == (
        "<ben-reply@globex.example>",
        "<outreach-2.coffeechat@example.com>",
    )


def test_thank_you_is_a_new_message_not_a_reply(workspace: Workspace) -> None:
    ids = seed(workspace.database, {"jane": Stage.MET})
    result = workspace.run("draft", "thank-you", str(ids["jane"]))
    assert result.exit_code == 0, result.output
    ((_, draft),) = test_draft.drafts_in_maildir(workspace)
    assert draft["Subject"].startswith("Thank you for your time")
    assert "In-Reply-To" not in draft and "References" not in draft


def sent_to_jane(subject: str, message_id: str) -> bytes:
    return (
        f"Message-ID: <{message_id}@mail.example.com>\r\nDate: Tue, 3 Mar 2026 18:00:00 -0800\r\n"
        f"From: Alex Doe <alex@example.com>\r\nTo: Jane Rivera <jane.rivera@acme.example>\r\n"
        f"Subject: {subject}\r\n\r\nHello Jane\r\n"
    ).encode()


def test_after_the_meeting_only_a_thank_you_counts_as_one(backend: Backend) -> None:
    # Any message to a contact at `met` used to be taken for the thank-you, and the
    # thank-you reminder vanished from the agenda.
    workspace = backend.workspace
    ids = seed(workspace.database, {"jane": Stage.MET})
    backend.deliver("sent", sent_to_jane("Sorry, running ten minutes late!", "late"))
    backend.deliver("sent", sent_to_jane("Re: RE: Coffee chat?", "resume"))
    assert workspace.run("watch", "--once").exit_code == 0
    assert stage_of(workspace, ids["jane"]) == ("met", ["sent", "sent"])
    backend.deliver("sent", sent_to_jane("Thanks so much for yesterday", "thanks"))
    assert workspace.run("watch", "--once").exit_code == 0
    assert stage_of(workspace, ids["jane"]) == ("thanked", ["sent", "sent", "sent"])


def record_draft(
    workspace: Workspace, contact_id: int, message_id: str, kind: str, subject: str
) -> None:
    """A draft coffeechat wrote into Drafts on 3 March."""
    store = Store.open(workspace.database)
    store.record_message(
        message_id,
        contact_id,
        direction="draft",
        kind=kind,
        subject=subject,
        at="2026-03-03T09:00:00+00:00",
        state="written",
    )
    store.close()


def test_a_draft_sent_under_a_new_message_id_is_known_by_its_subject(backend: Backend) -> None:
    # Gmail and others send a draft with a Message-ID of their own: the subject is kept.
    workspace = backend.workspace
    ids = seed(workspace.database, {"jane": Stage.MET})
    record_draft(
        workspace,
        ids["jane"],
        "<thank-you-1.coffeechat@example.com>",
        "thank-you",
        "After our conversation",
    )
    backend.deliver("sent", sent_to_jane("After our conversation", "client-made-id"))
    assert workspace.run("watch", "--once").exit_code == 0
    assert stage_of(workspace, ids["jane"]) == ("thanked", ["sent"])


def test_a_reply_draft_sent_under_a_new_message_id_is_known_by_its_subject(
    workspace: Workspace,
) -> None:
    # A check-in threads under the last exchange ("Re: Coffee chat?"): its subject has the
    # prefix too, and the comparison must strip it on both sides, not on the sent one only.
    backend = Backend("maildir", workspace, None, None)
    ids = seed(workspace.database, {"jane": Stage.MET})
    record_draft(
        workspace,
        ids["jane"],
        "<check-in-1.coffeechat@example.com>",
        "check-in",
        "Re: Coffee chat?",
    )
    backend.deliver("sent", sent_to_jane("RE: Coffee chat?", "client-made-id"))
    assert workspace.run("watch", "--once").exit_code == 0
    assert stage_of(workspace, ids["jane"]) == ("keeping-in-touch", ["sent"])


def test_a_draft_known_by_its_subject_is_sent_and_matches_no_later_message(
    workspace: Workspace,
) -> None:
    # Once a sent copy was taken for our outreach draft by its subject, that draft still
    # counted as unsent: the follow-up the user then wrote by hand ("Re:" the same subject)
    # was taken for the outreach again, and the agenda kept asking for a follow-up.
    backend = Backend("maildir", workspace, None, None)
    ids = seed(workspace.database, {"sam": Stage.DRAFTED})
    record_draft(
        workspace, ids["sam"], "<outreach-6.coffeechat@example.com>", "outreach", "Coffee chat?"
    )

    def sent_to_sam(subject: str, message_id: str, day: int) -> bytes:
        return (
            f"Message-ID: <{message_id}@mail.example.com>\r\n"
            f"Date: {day} Mar 2026 18:00:00 +0000\r\nFrom: Alex Doe <alex@example.com>\r\n"
            f"To: Sam Lee <sam.lee@oldcorp.example>\r\nSubject: {subject}\r\n\r\nHello Sam\r\n"
        ).encode()

    backend.deliver("sent", sent_to_sam("Coffee chat?", "client-made-id", 3))
    assert workspace.run("watch", "--once").exit_code == 0
    backend.deliver("sent", sent_to_sam("Re: Coffee chat?", "written-by-hand", 10))
    assert workspace.run("watch", "--once").exit_code == 0
    store = Store.open(workspace.database)
    try:
        sent = [m["kind"] for m in store.messages(ids["sam"], direction="sent")]
        assert sent == ["outreach", "follow-up"]
        assert store.messages(ids["sam"], direction="draft") == []
    finally:
        store.close()


def test_an_accepted_invitation_coffeechat_never_wrote_moves_nothing(backend: Backend) -> None:
    # Accepting the user's "Team offsite planning" from another calendar moved a contact to
    # scheduled with no meeting behind it, and `met` then ran before the offsite.
    workspace = backend.workspace
    ids = seed(workspace.database, {"jane": Stage.REPLIED})
    raw = (MAIL / "itip_reply_accepted.eml").read_bytes()
    backend.deliver("inbox", raw.replace(b"meeting-7f3a2c@", b"offsite-2026@"))
    result = workspace.run("watch", "--once")
    assert result.exit_code == 0, result.output
    assert stage_of(workspace, ids["jane"]) == ("replied", ["itip-reply"])
    assert (
        f"to an invitation coffeechat did not write: not counted; `coffeechat schedule "
        f"{ids['jane']} WHEN` records the meeting (stays replied)"
    ) in result.stdout
