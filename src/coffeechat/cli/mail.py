"""Commands that touch the mailbox: draft and watch; and proofread."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from coffeechat.cli import App, _refresh_feed, dry_run_option, json_option, main, pass_app

# ---------------------------------------------------------------- drafting


@main.command()
@click.argument("kind", type=click.Choice(["outreach", "follow-up", "thank-you", "check-in"]))
@click.argument("who", nargs=-1, required=True)
@dry_run_option
@click.option(
    "--force", is_flag=True, help="Write even with proofreading errors or at an unusual stage."
)
@click.option(
    "--update",
    metavar="TEXT",
    help="Check-in only: what you did with their advice and how it went. Without it the "
    "draft has a blank to fill in.",
)
@pass_app
def draft(
    app: App, kind: str, who: tuple[str, ...], dry_run: bool, force: bool, update: str | None
) -> None:
    """Write proofread drafts into your Drafts folder (never sends them).

    Example: coffeechat draft outreach dana "sam@example.org" --dry-run

    Example: coffeechat draft check-in dana --update "I read the book and joined a
    research ops team."
    """
    from coffeechat.clock import now
    from coffeechat.drafting import plan_drafts, preview, write_drafts
    from coffeechat.errors import ProofreadError
    from coffeechat.output import say, warn
    from coffeechat.proofread import format_finding, has_errors

    if update is not None and kind != "check-in":
        raise click.UsageError("--update is for check-in drafts")
    store, config = app.store, app.config
    contacts = [store.resolve(w) for w in who]
    plans = plan_drafts(store, config, kind, contacts, now=now(config), force=force, update=update)
    blocked = []
    for plan in plans:
        if dry_run:
            say(f"--- {plan.label} <{plan.contact.email}>", style="bold")
            say(preview(plan.message))
        for finding in plan.findings:
            say(
                format_finding(plan.label, finding),  # the draft as --dry-run shows it
                style="red" if finding.severity == "error" else "yellow",
            )
        for line in plan.warnings:
            warn(f"{plan.contact.name}: {line}")
        if has_errors(plan.findings):
            blocked.append(plan)
    # A dry run fails as the real run would: a clean dry run means the drafts will be written.
    if blocked and not force:
        names = ", ".join(plan.contact.name for plan in blocked)
        blank = any(f.rule == "placeholder" for plan in blocked for f in plan.findings)
        if kind == "check-in" and update is None and blank:
            # The template's blank for the update: only the user can fill it, not a fix.
            raise ProofreadError(
                f"proofreading found errors in the check-in for {names}; nothing was "
                f"written. Tell them what came of their advice with --update TEXT, or pass "
                f"--force to write the draft and fill in the blank in your mail client"
            )
        raise ProofreadError(
            f"proofreading found errors in the draft for {names}; nothing was written. "
            f"{_what_to_fix(blocked, config)}, or pass --force to write it anyway"
        )
    if dry_run:
        say(f"Dry run: {len(plans)} draft(s) checked; nothing was written.")
        return
    from coffeechat.mail import open_mailbox

    mailbox = open_mailbox(config)
    try:
        outcomes = write_drafts(store, mailbox, plans, now=now(config))
    finally:
        mailbox.close()
    folder = outcomes[0].folder if outcomes else "Drafts"
    where = (
        f"the Maildir {config.maildir_path}"
        if config.mail.backend == "maildir"
        else f"{config.mail.username}'s mailbox on {config.mail.host}"
    )
    say(f"{len(outcomes)} draft(s) written to {folder} in {where}.")
    say("Open your mail client to review and send them; then run `coffeechat watch`.")


@main.command(name="proofread")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option(
    "--kind",
    type=click.Choice(["outreach", "follow-up", "thank-you", "check-in", "invitation"]),
    help="Also check the etiquette rules for this kind of email.",
)
@click.option(
    "--to",
    "recipient",
    default="",
    metavar="NAME",
    help="The recipient's name, for the greeting check.",
)
@click.option("--referrer", default="", metavar="NAME", help="Who suggested the contact.")
@json_option
@pass_app
def proofread_command(
    app: App, file: Any, kind: str | None, recipient: str, referrer: str, as_json: bool
) -> None:
    """Proofread an email: spelling, style, placeholders and etiquette.

    Prints FILE:LINE:COL: SEVERITY RULE message, and exits 1 when there are errors.
    Use - to read standard input.

    Example: coffeechat proofread --kind outreach draft.txt
    """
    from coffeechat.output import print_json, say
    from coffeechat.proofread import (
        ProofreadContext,
        findings_to_json,
        format_finding,
        has_errors,
        proofread,
    )

    config = app.config_if_present  # proofreading works without a config
    words = config.proofread.words if config else ()
    text = file.read()
    findings = proofread(
        text,
        ProofreadContext(
            kind=kind,
            recipient_name=recipient,
            referrer=referrer,
            words=words,
            names=tuple(n for n in (recipient, referrer) if n),
        ),
    )
    name = "<stdin>" if file.name == "<stdin>" else file.name
    if as_json:
        print_json(findings_to_json(findings))
    else:
        for finding in findings:
            say(format_finding(name, finding))
    if has_errors(findings):
        sys.exit(1)


def _what_to_fix(blocked: list[Any], config: Any) -> str:
    """Where the errors of `blocked` drafts come from, as the user can change it: a config
    value, their own template, or the contact, never a file inside the installed package."""
    from coffeechat.proofread.etiquette import LONGEST_ASK
    from coffeechat.resources import templates_dir

    rules = {f.rule for plan in blocked for f in plan.findings if f.severity == "error"}
    minutes = config.outreach.meeting_minutes
    if "long-meeting-ask" in rules and minutes > LONGEST_ASK:
        where = config.source or "the config"
        return (
            f"The drafts ask for {minutes} minutes (outreach.meeting_minutes in {where}); "
            f"ask a stranger for {LONGEST_ASK} minutes or less: lower that setting"
        )
    packaged = templates_dir().resolve()
    templates = dict.fromkeys(Path(plan.template) for plan in blocked if plan.template)
    own = [str(t) for t in templates if not t.resolve().is_relative_to(packaged)]
    if own:
        return f"Fix the template ({', '.join(own)}) or the contact"
    names = ", ".join(t.name for t in templates)
    return (
        f"Fix the contact (coffeechat edit), or copy coffeechat's template ({names}) into "
        f"your paths.templates folder and change it there"
    )


# ---------------------------------------------------------------- watching the mailbox


@main.command()
@click.option("--once", is_flag=True, help="Scan once and exit (else keep watching with IDLE).")
@json_option
@pass_app
def watch(app: App, once: bool, as_json: bool) -> None:
    """Read Sent and INBOX and move each contact through its stages.

    Notices your sent messages, real replies, out-of-office answers, bounces and calendar
    answers. Reads headers only and never marks mail as read.

    Example: coffeechat watch --once
    """
    import json as json_module

    from coffeechat.clock import now
    from coffeechat.config import require_identity
    from coffeechat.output import err_console, say
    from coffeechat.scheduling import rewrite_files
    from coffeechat.sync import Change
    from coffeechat.watcher import connected, run_pass, showing_committed, watch_forever

    store, config = app.store, app.config
    # me.email tells the user's own mail from a contact's: without it a Bcc-to-self copy
    # of the user's reply would be taken for the contact's reply, and stored as such.
    require_identity(config, "email")

    def refresh(changes: list[Change]) -> None:
        # The feed and the files of meetings whose answer this pass recorded, so that a
        # calendar holding both sees one version of each event.
        rewrite_files(store, config, [c.meeting_uid for c in changes if c.meeting_uid])
        _refresh_feed(app)

    def show(change: Change) -> None:
        if as_json:
            click.echo(json_module.dumps(change.to_json(), ensure_ascii=False))
        else:
            say(change.line(config.tz, now(config).date()))

    if once:
        # Shown once the mailbox and the progress bar are closed (the outermost manager).
        with (
            showing_committed(show, refresh) as committed,
            connected(config) as mailbox,
            _progress(as_json) as progress,
        ):
            result = run_pass(
                store,
                mailbox,
                config,
                now=now(config),
                progress=progress,
                on_committed=committed.extend,
            )
        if not as_json:
            moved = sum(1 for c in committed if c.to_stage)
            say(
                f"Scanned {result.sent_folder} and {result.inbox_folder}: {moved} stage "
                f"change(s), {len(committed) - moved} other event(s)."
            )
            say("Next: `coffeechat agenda` for what is due.")
        return

    def status(text: str) -> None:
        err_console().print(text, markup=False, style="dim")

    try:
        with _stopped_by_signals(signal.SIGINT, signal.SIGTERM):
            watch_forever(
                store,
                config,
                on_change=show,
                on_status=status,
                now=lambda: now(config),
                on_pass=refresh,
            )
    except BaseException as err:
        if not _asked_to_stop(err):
            raise
        status("stopped")


class _Stop(BaseException):
    """Ctrl-C or SIGTERM, asking `coffeechat watch` to end (a BaseException, as
    KeyboardInterrupt is, so that no `except Exception` swallows it)."""


@contextlib.contextmanager
def _stopped_by_signals(*signals: signal.Signals) -> Iterator[None]:
    """Turn these signals into `_Stop`, raised between statements wherever the watch is,
    so that a batch's transaction is either committed or rolled back whole.

    Not KeyboardInterrupt: CPython 3.11 remembers one that escapes any exec() of a string
    (dataclasses build their methods so, as in a lazy import) and, though we catch it,
    ends the process with the status of a SIGINT death instead of 0.
    """

    def stop(signum: int, frame: object) -> None:
        raise _Stop

    previous = {number: signal.signal(number, stop) for number in signals}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _asked_to_stop(err: BaseException | None) -> bool:
    """True for a `_Stop`, and for an error it caused: Python 3.11 raises a RuntimeError
    in its place when it lands while a class is built (a descriptor's __set_name__, as
    in a lazy import), and a clean-up may fail once it has begun."""
    seen: set[int] = set()  # `raise err from err` makes a loop
    while err is not None and id(err) not in seen:
        if isinstance(err, _Stop):
            return True
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return False


@contextlib.contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar for the first, long backfill scan; nothing for JSON or short scans."""
    from coffeechat.output import err_console

    if quiet or not err_console().is_terminal:
        yield None
        return
    from rich.progress import Progress

    with Progress(console=err_console(), transient=True) as bar:
        tasks: dict[str, Any] = {}

        def update(folder: str, done: int, total: int) -> None:
            if folder not in tasks:
                tasks[folder] = bar.add_task(f"scanning {folder}", total=total or None)
            bar.update(tasks[folder], completed=done)

        yield update
