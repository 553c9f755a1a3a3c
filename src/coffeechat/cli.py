"""The command line: each command parses, calls one function of the core, and prints.

Heavy libraries (imapclient, icalendar, jinja2, the spell checker, even rich and
sqlite-utils) are imported inside the commands that need them, so `coffeechat --help`
starts fast.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from coffeechat import __version__
from coffeechat.errors import CoffeechatError, UserError

if TYPE_CHECKING:
    from coffeechat.config import Config
    from coffeechat.store import Store

F = TypeVar("F", bound=Callable[..., Any])
MAX_NOTES = 20  # notes printed after an import; --dry-run prints every one


class App:
    """What every command shares: where the config is, and the config and store once loaded."""

    def __init__(self, config_path: str | None, verbose: bool) -> None:
        self.config_path_option = config_path
        self.verbose = verbose
        self._config: Config | None = None
        self._store: Store | None = None

    @property
    def config_path(self) -> Path:
        from coffeechat.config import resolve_config_path

        return resolve_config_path(self.config_path_option)

    @property
    def config(self) -> Config:
        if self._config is None:
            from coffeechat.config import load

            self._config = load(self.config_path)
        return self._config

    @property
    def config_if_present(self) -> Config | None:
        """The config, or None when there is no config file (an invalid one still fails)."""
        return self.config if self.config_path.exists() else None

    @property
    def store(self) -> Store:
        if self._store is None:
            from coffeechat.store import Store

            self._store = Store.open(self.config.database_path, create=False)
        return self._store


pass_app = click.make_pass_decorator(App)


def json_option(func: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON (stable, documented in the README)."
    )(func)


def dry_run_option(func: F) -> F:
    return click.option(
        "--dry-run", is_flag=True, help="Show exactly what would be written, and write nothing."
    )(func)


def _fail(message: str) -> NoReturn:
    from coffeechat.output import err_console

    err_console().print(f"Error: {message}", markup=False, style="red")
    sys.exit(1)


class CoffeechatGroup(click.Group):
    """Turns our errors into one `Error:` line and exit 1; config warnings into `Warning:`."""

    def invoke(self, ctx: click.Context) -> Any:
        def show_warning(message: Warning | str, *args: Any, **kwargs: Any) -> None:
            from coffeechat.output import warn

            warn(str(message))

        warnings.showwarning = show_warning
        try:
            return super().invoke(ctx)
        except UserError as err:
            _fail(str(err))
        except CoffeechatError as err:
            _fail(str(err))
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            _fail("interrupted")
        except Exception as err:
            verbose = isinstance(ctx.obj, App) and ctx.obj.verbose
            if verbose:
                traceback.print_exc()
            hint = "" if verbose else "; run again with --verbose to see the traceback"
            _fail(f"unexpected {type(err).__name__}: {err}{hint}")


@click.group(cls=CoffeechatGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    envvar=None,
    help="Config file (else $COFFEECHAT_CONFIG, else the platform config dir).",
)
@click.option("--verbose", "-v", is_flag=True, help="Show tracebacks of unexpected errors.")
@click.version_option(__version__, prog_name="coffeechat")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """coffeechat: informational interviews, from first email to keeping in touch.

    Keeps your contacts and where each stands, writes proofread drafts into your own
    Drafts folder (it never sends mail), watches your mailbox for replies, and writes
    calendar files.

    Start with `coffeechat demo` to see the whole journey, or `coffeechat init`.
    """
    ctx.obj = App(config_path, verbose)


# ---------------------------------------------------------------- setup


@main.command()
@click.option("--maildir", metavar="DIR", help="Use a local Maildir folder (the default backend).")
@click.option("--imap-host", metavar="HOST", help="Use this IMAP server.")
@click.option("--imap-user", metavar="USER", help="IMAP login name (usually your address).")
@click.option("--imap-port", type=int, metavar="N", help="IMAP port (default 993).")
@click.option("--database", metavar="FILE", help="Where to keep the database.")
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@pass_app
def init(
    app: App,
    maildir: str | None,
    imap_host: str | None,
    imap_user: str | None,
    imap_port: int | None,
    database: str | None,
    force: bool,
) -> None:
    """Write a commented config file and create the database.

    Example: coffeechat init --maildir ~/Mail/coffeechat
    """
    from coffeechat.setup import initialize

    result = initialize(
        app.config_path,
        maildir=maildir,
        imap_host=imap_host,
        imap_user=imap_user,
        imap_port=imap_port,
        database=database,
        force=force,
    )
    from coffeechat.output import say

    say(f"Config written to {result.config_path}")
    say(f"Database ready at {result.database_path}")
    if result.config.mail.backend == "imap":
        say("Next: edit [me] in the config, then run `coffeechat login` to store your password.")
    else:
        say(f"Mail goes to the Maildir {result.config.maildir_path}.")
        say("Next: edit [me] in the config, then `coffeechat add NAME --email ADDRESS`.")


@main.command()
@pass_app
def login(app: App) -> None:
    """Store the IMAP password in the OS keyring (asked once, not echoed).

    Example: coffeechat login
    """
    from coffeechat.credentials import keyring_user, store_password

    mail = app.config.mail
    if mail.backend != "imap":
        raise UserError('mail.backend is "maildir"; there is no password to store')
    from coffeechat.output import say, warn

    if mail.password_command:
        warn(
            "mail.password_command is set, so coffeechat will use it and not the keyring; "
            "empty it to use the password stored now"
        )
    password = click.prompt(f"IMAP password for {keyring_user(mail)}", hide_input=True)
    store_password(mail, password)
    say(f"Password stored in the OS keyring for {keyring_user(mail)}.")


# ---------------------------------------------------------------- contacts


@main.command()
@click.argument("name")
@click.option("--email", "emails", multiple=True, metavar="E", help="Email address (repeatable).")
@click.option("--company", default="", metavar="C")
@click.option("--role", default="", metavar="R")
@click.option("--linkedin", default="", metavar="URL", help="LinkedIn profile URL.")
@click.option("--referred-by", metavar="WHO", help="Who suggested this person (id, email, name).")
@click.option("--how-met", default="", metavar="TEXT", help="How you know them.")
@click.option("--tag", "tags", multiple=True, metavar="T", help="A tag (repeatable).")
@pass_app
def add(
    app: App,
    name: str,
    emails: tuple[str, ...],
    company: str,
    role: str,
    linkedin: str,
    referred_by: str | None,
    how_met: str,
    tags: tuple[str, ...],
) -> None:
    """Add a contact.

    Example: coffeechat add "Dana Lee" --email dana@acme.com --company Acme --role "UX Lead"
    """
    from coffeechat.contacts import add_contact
    from coffeechat.output import say

    contact = add_contact(
        app.store,
        name,
        emails=emails,
        company=company,
        role=role,
        linkedin_url=linkedin,
        referred_by=referred_by,
        how_met=how_met,
        tags=tags,
    )
    say(f"Added {contact.name} (id {contact.id}), stage {contact.stage.value}.")
    say(f"Next: `coffeechat draft outreach {contact.id}` to write the first email.")


@main.command()
@click.argument("who")
@click.option("--name", help="A corrected name.")
@click.option("--email", "emails", multiple=True, metavar="E", help="Add an address.")
@click.option("--company", metavar="C")
@click.option("--role", metavar="R")
@click.option("--linkedin", metavar="URL")
@click.option("--tag", "tags", multiple=True, metavar="T", help="Add a tag.")
@click.option(
    "--check-in-days",
    type=click.IntRange(min=1),
    metavar="N",
    help="Check in with this person every N days.",
)
@pass_app
def edit(
    app: App,
    who: str,
    name: str | None,
    emails: tuple[str, ...],
    company: str | None,
    role: str | None,
    linkedin: str | None,
    tags: tuple[str, ...],
    check_in_days: int | None,
) -> None:
    """Change a contact: fix the name, add an address or a tag, set the check-in cadence.

    Example: coffeechat edit dana --email dana@home.example --check-in-days 60
    """
    from coffeechat.contacts import edit_contact
    from coffeechat.output import say

    contact = edit_contact(
        app.store,
        app.store.resolve(who),
        name=name,
        emails=emails,
        company=company,
        role=role,
        linkedin_url=linkedin,
        tags=tags,
        check_in_days=check_in_days,
    )
    say(f"Updated {contact.name} (id {contact.id}).")
    _refresh_feed(app)


@main.command(name="list")
@click.option("--stage", "stage_name", metavar="S", help="Only contacts in this stage.")
@json_option
@pass_app
def list_(app: App, stage_name: str | None, as_json: bool) -> None:
    """List contacts and their stage.

    Example: coffeechat list --stage contacted
    """
    from coffeechat.output import contacts_table, print_json, say
    from coffeechat.pipeline import parse_stage

    stage = parse_stage(stage_name) if stage_name else None
    contacts = app.store.contacts(stage)
    if as_json:
        print_json([c.to_json() for c in contacts])
    elif not contacts:
        say(
            "No contacts yet. Add one with `coffeechat add NAME --email ADDRESS`"
            " or import them with `coffeechat import linkedin Connections.csv`."
            if stage is None
            else f"No contacts in stage {stage.value}."
        )
    else:
        contacts_table(contacts)


@main.command()
@click.argument("who")
@click.option("--prep", is_flag=True, help="A one-page preparation sheet for the meeting.")
@json_option
@pass_app
def show(app: App, who: str, prep: bool, as_json: bool) -> None:
    """Show a contact's details and timeline.

    WHO is an id, an email address, or an unambiguous part of the name.

    Example: coffeechat show dana --prep
    """
    from coffeechat.output import contact_details, print_json, say

    store = app.store
    contact = store.resolve(who)
    if prep:
        from coffeechat.questions import load_bank, preparation_sheet

        say(preparation_sheet(store, contact, load_bank(app.config.questions_path)))
        return
    events = store.events(contact.id)
    if as_json:
        print_json({**contact.to_json(), "events": [e.to_json() for e in events]})
        return
    referrer = store.get(contact.referred_by) if contact.referred_by else None
    referrals = [c for c in store.contacts() if c.referred_by == contact.id]
    contact_details(contact, referrer, referrals, events, app.config.tz)


@main.command()
@click.argument("who")
@click.argument("stage_name", metavar="STAGE")
@click.option("--force", is_flag=True, help="Allow a move the pipeline would refuse.")
@pass_app
def stage(app: App, who: str, stage_name: str, force: bool) -> None:
    """Move a contact to another stage by hand (logged on the timeline).

    Example: coffeechat stage dana declined
    """
    from coffeechat.output import say
    from coffeechat.pipeline import parse_stage

    store = app.store
    contact = store.resolve(who)
    target = parse_stage(stage_name)
    before = contact.stage
    contact = store.move(contact, target, "set by hand", "stage command", manual=force)
    say(f"{contact.name}: {before.value} → {contact.stage.value}")
    _refresh_feed(app)


@main.command()
@click.argument("who")
@click.argument("text")
@pass_app
def note(app: App, who: str, text: str) -> None:
    """Add a note to a contact's timeline.

    Example: coffeechat note dana "Prefers mornings; ask about the design system"
    """
    from coffeechat.output import say

    contact = app.store.resolve(who)
    app.store.add_note(contact, text)
    say(f"Note added to {contact.name}.")


# ---------------------------------------------------------------- import and export


@main.command(name="import")
@click.argument("kind", type=click.Choice(["linkedin", "csv", "vcard"]))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@dry_run_option
@click.option("--skip-bad", is_flag=True, help="Import the good rows and skip the bad ones.")
@pass_app
def import_(app: App, kind: str, file: Path, dry_run: bool, skip_bad: bool) -> None:
    """Import contacts: a LinkedIn Connections.csv, a CSV file, or vCards.

    Re-importing merges by email address or LinkedIn URL instead of duplicating.
    An import is all or nothing unless --skip-bad is given.

    Example: coffeechat import linkedin ~/Downloads/Connections.csv --dry-run
    """
    from coffeechat.importers import apply_import, parse, plan_import
    from coffeechat.output import say, warn

    parsed = parse(kind, file)
    if kind == "csv":
        for column, field in parsed.mapping.items():
            say(f"CSV column {column!r} → {field}")
    plan = plan_import(app.store, parsed)
    if dry_run:
        for line in plan.lines():
            say(line)
        for problem in parsed.problems:
            warn(f"{file.name}:{problem.line}: {problem.message}")
        say("Dry run: nothing was changed.")
        return
    summary = apply_import(app.store, plan, skip_bad=skip_bad)
    for problem in parsed.problems:
        warn(f"{file.name}:{problem.line}: skipped: {problem.message}")
    notes = plan.notes()
    for note_line in notes[:MAX_NOTES]:
        warn(note_line)
    if len(notes) > MAX_NOTES:
        warn(f"... and {len(notes) - MAX_NOTES} more notes: `--dry-run` lists them all")
    say(
        f"Imported {file.name}: {summary.added} added, {summary.merged} merged, "
        f"{summary.unchanged} unchanged, {summary.skipped} skipped."
    )
    if summary.added:
        say("Next: `coffeechat list`, then `coffeechat draft outreach WHO`.")


@main.command()
@click.argument("kind", type=click.Choice(["csv", "json", "ics"]))
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def export(app: App, kind: str, file: Path | None) -> None:
    """Export the spreadsheet (csv), everything (json) or the calendar feed (ics).

    Without FILE, csv and json go to standard output; ics goes to the calendar folder.

    Example: coffeechat export csv contacts.csv
    """
    from coffeechat.exporting import export_to

    written = export_to(app.store, app.config, kind, file)
    if written is not None:
        from coffeechat.output import err_console

        err_console().print(f"Wrote {written}", markup=False)


# ---------------------------------------------------------------- drafting


@main.command()
@click.argument("kind", type=click.Choice(["outreach", "follow-up", "thank-you", "check-in"]))
@click.argument("who", nargs=-1, required=True)
@dry_run_option
@click.option(
    "--force", is_flag=True, help="Write even with proofreading errors or at an unusual stage."
)
@pass_app
def draft(app: App, kind: str, who: tuple[str, ...], dry_run: bool, force: bool) -> None:
    """Write proofread drafts into your Drafts folder (never sends them).

    Example: coffeechat draft outreach dana "sam@example.org" --dry-run
    """
    from coffeechat.clock import now
    from coffeechat.drafting import plan_drafts, preview, write_drafts
    from coffeechat.errors import ProofreadError
    from coffeechat.output import say, warn
    from coffeechat.proofread import format_finding, has_errors

    store, config = app.store, app.config
    contacts = [store.resolve(w) for w in who]
    plans = plan_drafts(store, config, kind, contacts, now=now(config), force=force)
    blocked = []
    for plan in plans:
        label = f"{kind}:{plan.contact.id}"
        if dry_run:
            say(f"--- {kind} for {plan.contact.name} <{plan.contact.email}>", style="bold")
            say(preview(plan.message))
        for finding in plan.findings:
            say(
                format_finding(label, finding),
                style="red" if finding.severity == "error" else "yellow",
            )
        for line in plan.warnings:
            warn(f"{plan.contact.name}: {line}")
        if has_errors(plan.findings):
            blocked.append(plan.contact.name)
    if blocked and not force and not dry_run:
        raise ProofreadError(
            f"proofreading found errors in the draft for {', '.join(blocked)}; nothing was "
            f"written. Fix the template or the contact, or pass --force to write it anyway"
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
        else config.mail.host
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


# ---------------------------------------------------------------- the meeting and after


@main.command()
@click.argument("who")
@click.option("--notes", default="", metavar="TEXT", help="What you learned: the summary.")
@click.option(
    "--referral",
    "referrals",
    multiple=True,
    metavar='"Name <email>"',
    help="Someone they suggested you talk to (repeatable).",
)
@click.option("--when", metavar="WHEN", help="When you met (default: now).")
@pass_app
def met(app: App, who: str, notes: str, referrals: tuple[str, ...], when: str | None) -> None:
    """Record a conversation: notes, and the people they referred you to.

    Example: coffeechat met dana --notes "Loves design systems" --referral "Sam Roe <sam@x.org>"
    """
    from coffeechat.clock import now
    from coffeechat.journey import parse_referral, record_meeting
    from coffeechat.output import say

    store, config = app.store, app.config
    contact = store.resolve(who)
    parsed = [parse_referral(text) for text in referrals]
    moment = now(config)
    if when:
        from coffeechat.calendar import parse_when

        moment = parse_when(when, config.tz, moment, allow_past=True)
    record = record_meeting(store, contact, when=moment, notes=notes, referrals=parsed)
    say(f"{record.contact.name} is now {record.contact.stage.value}.")
    for new in record.added:
        say(f"Added {new.name} (id {new.id}), referred by {record.contact.name}.")
    for old in record.linked:
        say(f"Linked {old.name} (id {old.id}) as referred by {record.contact.name}.")
    hours = config.outreach.thank_you_within_hours
    say(f"Next: `coffeechat draft thank-you {record.contact.id}` (within {hours} hours).")
    _refresh_feed(app)


@main.command()
@json_option
@pass_app
def report(app: App, as_json: bool) -> None:
    """The funnel (contacts per stage, reply rate, time to reply) and the referral tree.

    Example: coffeechat report --json
    """
    from coffeechat.output import print_json
    from coffeechat.report import build_report, print_report, report_json

    result, forest = build_report(app.store, app.config.outreach.thank_you_within_hours)
    if as_json:
        print_json(report_json(result, forest))
    else:
        print_report(result, forest)


@main.command()
@click.option("--topic", metavar="T", help="work, preparation, industry, advice, next-contacts.")
@pass_app
def questions(app: App, topic: str | None) -> None:
    """Questions to prepare for an informational interview, by topic.

    Add your own in a TOML file named by paths.questions.

    Example: coffeechat questions --topic advice
    """
    from coffeechat.output import say
    from coffeechat.questions import load_bank, select

    config = app.config_if_present  # the packaged bank needs no config
    user_file = config.questions_path if config else None
    for chosen in select(load_bank(user_file), topic):
        say(f"{chosen.title} ({chosen.key})", style="bold")
        for question in chosen.questions:
            say(f"  - {question}")
        say()


def _refresh_feed(app: App) -> None:
    """Rewrite the reminders feed after a change, so calendar apps see it at once."""
    from coffeechat.agenda import write_feed

    write_feed(app.store, app.config, None)


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
    from coffeechat.output import err_console, say
    from coffeechat.sync import Change
    from coffeechat.watcher import connected, run_pass, watch_forever

    store, config = app.store, app.config

    def show(change: Change) -> None:
        if as_json:
            click.echo(json_module.dumps(change.to_json(), ensure_ascii=False))
        else:
            say(change.line())

    if once:
        with connected(config) as mailbox, _progress(as_json) as progress:
            result = run_pass(store, mailbox, config, now=now(config), progress=progress)
        for change in result.changes:
            show(change)
        _refresh_feed(app)
        if not as_json:
            moved = sum(1 for c in result.changes if c.to_stage)
            say(
                f"Scanned {result.sent_folder} and {result.inbox_folder}: {moved} stage "
                f"change(s), {len(result.changes) - moved} other event(s)."
            )
            say("Next: `coffeechat agenda` for what is due.")
        return

    def status(text: str) -> None:
        err_console().print(text, markup=False, style="dim")

    def on_change(change: Change) -> None:
        show(change)
        _refresh_feed(app)

    try:
        watch_forever(store, config, on_change=on_change, on_status=status, now=lambda: now(config))
    except KeyboardInterrupt:
        status("stopped")


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


# ---------------------------------------------------------------- calendar


@main.command()
@click.argument("who")
@click.argument("when", required=False)
@click.option(
    "--minutes", type=click.IntRange(min=1), help="Length (default outreach.meeting_minutes)."
)
@click.option("--location", default="", metavar="L", help="A place, or a video-call link.")
@click.option("--invite", is_flag=True, help="Also draft an invitation email (METHOD:REQUEST).")
@click.option("--cancel", is_flag=True, help="Cancel the meeting (and draft the METHOD:CANCEL).")
@pass_app
def schedule(
    app: App,
    who: str,
    when: str | None,
    minutes: int | None,
    location: str,
    invite: bool,
    cancel: bool,
) -> None:
    """Schedule (or move, or cancel) a meeting: an .ics file with an alarm.

    WHEN is read in your time zone: "2026-12-03 15:00", "tomorrow 3pm", "next tuesday 10:30".
    Scheduling again moves the same event (same UID, higher SEQUENCE).

    Example: coffeechat schedule dana "next tuesday 10:30" --location "Blue Bottle" --invite
    """
    from coffeechat import scheduling
    from coffeechat.calendar import parse_when, show
    from coffeechat.clock import now
    from coffeechat.output import say

    store, config = app.store, app.config
    contact = store.resolve(who)
    moment = now(config)
    if cancel:
        result = scheduling.cancel(store, config, contact)
        say(f"Cancelled the meeting with {contact.name} on {show(result.spec.start)}.")
    else:
        if not when:
            raise click.UsageError("WHEN is required (unless --cancel)")
        start = parse_when(when, config.tz, moment)
        result = scheduling.schedule(
            store, config, contact, start, minutes=minutes, location=location
        )
        verb = "Moved" if result.rescheduled else "Scheduled"
        say(
            f"{verb}: {result.spec.summary}, {show(result.spec.start)}, "
            f"{result.spec.minutes} minutes."
        )
    say(f"Calendar file: {result.path}")
    if invite or cancel:
        from coffeechat.drafting import plan_message, write_drafts
        from coffeechat.mail import open_mailbox
        from coffeechat.proofread import format_finding

        message = scheduling.invitation(store, config, result, now=moment)
        plan = plan_message(
            config, result.contact, "cancellation" if cancel else "invitation", message
        )
        for finding in plan.findings:
            say(format_finding("invitation", finding))
        with contextlib.closing(open_mailbox(config)) as mailbox:
            [outcome] = write_drafts(store, mailbox, [plan], now=moment)
        say(f"Invitation draft written to {outcome.folder}: open your mail client to send it.")
    _refresh_feed(app)
    say(
        "Next: `coffeechat agenda`; after the conversation, `coffeechat met "
        f"{contact.id} --notes ...`."
    )


@main.command()
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=14,
    show_default=True,
    help="Show what is due within this many days (overdue always shows).",
)
@json_option
@pass_app
def agenda(app: App, days: int, as_json: bool) -> None:
    """What is due: follow-ups, thank-yous, check-ins, each with the command that does it.

    Example: coffeechat agenda --days 30
    """
    from coffeechat.agenda import agenda_rows, due_actions, due_label
    from coffeechat.clock import now
    from coffeechat.output import print_json, say

    store, config = app.store, app.config
    moment = now(config)
    rows = agenda_rows(due_actions(store, config, moment), moment, days)
    if as_json:
        print_json(
            [
                {
                    "kind": a.kind,
                    "contact_id": a.contact_id,
                    "name": a.contact_name,
                    "due": a.due.isoformat(),
                    "command": a.command,
                    "detail": a.detail,
                }
                for a in rows
            ]
        )
        return
    if not rows:
        say(f"Nothing due in the next {days} days.")
        return
    for action in rows:
        say(f"{due_label(action.due, moment):<22} {action.kind:<12} {action.contact_name}")
        say(f"{'':<22} {action.command}", style="cyan")


# ---------------------------------------------------------------- the demo


@main.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to put the demo (a new or empty folder; default: a temp folder).",
)
def demo(directory: Path | None) -> None:
    """Play a whole networking season on a throwaway Maildir, with no server and no prompt.

    Imports a LinkedIn export, drafts proofread outreach, simulates your sending and your
    contacts' replies, an out-of-office and a bounce, schedules a meeting with an
    invitation, records it with a referral, thanks, follows up and checks in. Your own
    config and database are not touched.

    Example: coffeechat demo --dir /tmp/coffeechat-demo
    """
    from datetime import datetime

    from coffeechat.demo import run_demo
    from coffeechat.output import say

    root = run_demo(directory, say, today=datetime.now().astimezone())
    say("")
    say("Everything the demo made is yours to explore:", style="bold")
    say(f"  mail       {root / 'Mail'}   (Maildir: `mutt -f {root / 'Mail'}`, or `neomutt -f ...`)")
    say(f"  calendar   {root / 'calendar'}   (.ics files: open or import in any calendar)")
    say(f"  contacts   {root / 'contacts.csv'}   (the spreadsheet)")
    say(f"  config     {root / 'config.toml'}")
    say(f"Try: COFFEECHAT_CONFIG={root / 'config.toml'} coffeechat list")
    say("Start for real with `coffeechat init`.")
