"""`coffeechat watch`: one pass, or keep watching with IDLE and reconnect when needed.

A pass reads Sent before INBOX, so that the user's message is known before the reply
to it, then moves silent contacts to `no-response` once their follow-up has gone
unanswered for `follow_up_after_days`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from coffeechat.config import Config
from coffeechat.errors import MailUnreachable
from coffeechat.mail.base import Mailbox
from coffeechat.pipeline import Stage
from coffeechat.store import Store
from coffeechat.sync import Change, scan_folders

# RFC 2177: servers may drop an IDLE after 30 minutes; re-issue well before.
IDLE_RENEW_SECONDS = 25 * 60
BACKOFF_START = 1.0
BACKOFF_CAP = 60.0


@dataclass(frozen=True)
class PassResult:
    changes: list[Change]
    sent_folder: str
    inbox_folder: str


def run_pass(
    store: Store,
    mailbox: Mailbox,
    config: Config,
    *,
    now: datetime,
    progress: Callable[[str, int, int], None] | None = None,
    on_committed: Callable[[list[Change]], None] | None = None,
) -> PassResult:
    """One pass; `on_committed` hears each batch of changes once it is committed, so that
    a caller can show them even when the pass fails after them."""
    sent, inbox = mailbox.sent_folder(), mailbox.inbox_folder()
    # Sent first, so that the user's message is known before the reply to it.
    changes = scan_folders(
        store,
        mailbox,
        ((sent, "sent"), (inbox, "inbox")),
        my_address=config.me.email,
        backfill_days=config.mail.backfill_days,
        progress=progress,
        on_committed=on_committed,
    )
    silent = sweep_silence(store, config, now=now)
    if on_committed and silent:
        on_committed(silent)
    return PassResult(changes + silent, sent, inbox)


def sweep_silence(store: Store, config: Config, *, now: datetime) -> list[Change]:
    """Contacts whose follow-up went unanswered for long enough move to `no-response`.

    Runs on every pass, so it looks only at contacts still `contacted` that were sent
    their follow-up: no one else can be due (agenda's `_contacted`).
    """
    from coffeechat.agenda import actions_for, contact_facts

    waiting = store.followed_up(Stage.CONTACTED)
    due = [
        action.contact_id
        for facts in (contact_facts(store, waiting) if waiting else [])
        for action in actions_for(facts, config.outreach, config.tz, now)
        if action.kind == "no-response" and action.due <= now
    ]
    if not due:
        return []
    changes = []
    detail = f"no reply {config.outreach.follow_up_after_days} days after the follow-up"
    # All or none: the caller shows what a pass committed, and a move committed before a
    # failure (a locked database, Ctrl-C) would be done yet never shown.
    with store.transaction():
        for contact_id in due:
            contact = store.get(contact_id)
            store.move(
                contact,
                Stage.NO_RESPONSE,
                detail,
                "watch: silence",
                at=now.isoformat(timespec="seconds"),
            )
            changes.append(
                Change(
                    now,
                    contact.id,
                    contact.name,
                    "no-response",
                    contact.stage.value,
                    Stage.NO_RESPONSE.value,
                    "",
                    detail,
                )
            )
    return changes


@contextmanager
def showing_committed(
    on_change: Callable[[Change], None], after: Callable[[list[Change]], None]
) -> Iterator[list[Change]]:
    """A list for a pass's committed changes (`run_pass(on_committed=...extend)`); on the
    way out each is shown, then `after` gets them all.

    Also when the pass failed midway: what it committed is done, and the next pass starts
    after it, so this is the only time it can be shown. `after` (rewriting the feed and the
    meeting files) runs even when showing was cut short (Ctrl-C): the files are stale until
    rewritten, and no later pass rewrites them.
    """
    committed: list[Change] = []
    try:
        yield committed
    finally:
        try:
            for change in committed:
                on_change(change)
        finally:
            after(committed)


@contextmanager
def connected(config: Config) -> Iterator[Mailbox]:
    from coffeechat.mail import open_mailbox

    mailbox = open_mailbox(config)
    try:
        yield mailbox
    finally:
        mailbox.close()


def watch_forever(
    store: Store,
    config: Config,
    *,
    on_change: Callable[[Change], None],
    on_status: Callable[[str], None],
    now: Callable[[], datetime],
    sleep: Callable[[float], None] = time.sleep,
    on_pass: Callable[[list[Change]], None] | None = None,
) -> None:
    """Scan, then wait for the server to report new mail (IDLE) or for the poll interval.

    A server that cannot be reached or goes away (`MailUnreachable`) is retried with
    exponential backoff capped at a minute. Every other error ends the watch with its
    message: waiting fixes neither a password, a certificate, a CA file nor a folder name.
    """

    def after_pass(changes: list[Change]) -> None:
        # Once per pass, not per change: rewriting the feed costs as much as the contacts
        # it lists, and a busy pass has many changes.
        if changes and on_pass is not None:
            on_pass(changes)

    backoff = BACKOFF_START
    retried = False
    while True:
        opened = False
        try:
            with connected(config) as mailbox:
                opened = True
                backoff = BACKOFF_START
                # After a retry, say that it worked: the lines before said only what failed.
                again = f"reconnected to {config.mail.host}:{config.mail.port}; " if retried else ""
                on_status(
                    f"{again}watching {mailbox.inbox_folder()} and {mailbox.sent_folder()}"
                    " (Ctrl-C to stop)"
                )
                while True:
                    with showing_committed(on_change, after_pass) as committed:
                        run_pass(store, mailbox, config, now=now(), on_committed=committed.extend)
                    timeout = min(config.mail.poll_seconds, IDLE_RENEW_SECONDS)
                    mailbox.wait_for_change([mailbox.inbox_folder()], timeout)
        except MailUnreachable as err:
            # The reason only: the error's fix ("run the command again", "check
            # mail.host") is for a command that gives up, and this one retries by itself.
            if opened:
                on_status(f"connection lost ({err.reason}); reconnecting in {backoff:.0f} s")
            else:
                on_status(f"{err.reason}; retrying in {backoff:.0f} s")
        except (OSError, EOFError) as err:
            on_status(
                f"connection lost ({err or type(err).__name__}); reconnecting in {backoff:.0f} s"
            )
        retried = True
        sleep(backoff)
        backoff = min(backoff * 2, BACKOFF_CAP)
