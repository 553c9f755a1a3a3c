"""Commands that keep the contacts: add, edit, list, show, stage, note, import, export."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import click

from coffeechat.cli import App, _refresh_feed, dry_run_option, json_option, main, pass_app
from coffeechat.errors import UserError

if TYPE_CHECKING:
    from coffeechat.models import Contact
    from coffeechat.pipeline import Stage

MAX_NOTES = 20  # notes printed after an import; --dry-run prints every one

# ---------------------------------------------------------------- contacts


@main.command()
@click.argument("name")
@click.option(
    "--email",
    "emails",
    multiple=True,
    metavar="E",
    help="Email address (repeatable); if you know only a name, add it later with `edit`.",
)
@click.option("--company", default="", metavar="C")
@click.option("--role", default="", metavar="R")
@click.option("--linkedin", default="", metavar="URL", help="LinkedIn profile URL.")
@click.option("--referred-by", metavar="WHO", help="Who suggested this person (id, email, name).")
@click.option(
    "--how-met",
    default="",
    metavar="TEXT",
    help='How you know them or found them, e.g. "met at the PyCon career fair", '
    '"former coworker at Target", "the Stanford alumni network" (the outreach uses it).',
)
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
    from coffeechat.output import say, warn

    url = _profile_url(app, linkedin)
    namesakes = app.store.contacts_named(name)
    if len(namesakes) == 1 and not emails and not url:
        # Nothing would tell the two apart: this is the same person added twice, and each
        # copy would show up in the referrer's thank-you and the report's tree. (`import`
        # merges such a row, and `met --referral` links it. Beside two namesakes there is
        # no one to be the same person: added, with a warning, as `met` suggests.)
        first = namesakes[0]
        raise UserError(
            f"{first.name} is already a contact (id {first.id}); change it with "
            f"`coffeechat edit {first.id}`, or give --email or --linkedin to add another "
            "person of that name"
        )
    contact = add_contact(
        app.store,
        name,
        emails=emails,
        company=company,
        role=role,
        linkedin_url=url,
        referred_by=referred_by,
        how_met=how_met,
        tags=tags,
    )
    for namesake in namesakes:  # as `import` notes it: two people, or one added twice?
        address = f" <{namesake.email}>" if namesake.email else ""
        warn(f"same name as {namesake.name} (id {namesake.id}){address}")
    added = f"Added {contact.name} (id {contact.id}), stage {contact.stage.value}"
    if contact.email:
        say(f"{added}.")
        say(f"Next: `coffeechat draft outreach {contact.id}` to write the first email.")
    else:
        # A referral often comes as a name only; `draft` refuses a contact without an
        # address, so the next step is getting one.
        say(f"{added}; no email address yet.")
        say(
            f"Next: `coffeechat edit {contact.id} --email ADDRESS` once you have their "
            f"address; then `coffeechat draft outreach {contact.id}`."
        )


def _profile_url(app: App, linkedin: str, *, contact_id: int | None = None) -> str:
    """`--linkedin` spelled as `import` spells it, so the two match; refused when it is not
    a web address or is already the profile of a contact other than `contact_id`."""
    from urllib.parse import urlsplit

    from coffeechat.contacts import check_field
    from coffeechat.importers.rows import normalize_linkedin_url

    url = normalize_linkedin_url(check_field("LinkedIn URL", linkedin))
    if not url:
        return ""
    host = urlsplit(url).netloc
    if "." not in host or " " in url:
        raise UserError(
            f"--linkedin {linkedin!r} is not a web address; "
            "write it like https://www.linkedin.com/in/lee-park"
        )
    for other in app.store.contacts():
        if other.id == contact_id or not other.linkedin_url:
            continue
        if normalize_linkedin_url(other.linkedin_url) == url:
            raise UserError(
                f"{url} already belongs to {other.name} (id {other.id}); "
                f"use `coffeechat show {other.id}`"
            )
    return url


@main.command()
@click.argument("who")
@click.option("--name", help="A corrected name.")
@click.option("--email", "emails", multiple=True, metavar="E", help="Add an address.")
@click.option(
    "--remove-email", "removed_emails", multiple=True, metavar="E", help="Forget an address."
)
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
    removed_emails: tuple[str, ...],
) -> None:
    """Change a contact: fix the name, add or remove an address, add a tag, set the
    check-in cadence.

    Example: coffeechat edit dana --email dana@home.example --check-in-days 60
    """
    from coffeechat.contacts import edit_contact
    from coffeechat.output import say

    ctx = click.get_current_context()
    if all(ctx.params[p.name] in (None, ()) for p in ctx.command.params if p.name != "who"):
        options = ", ".join(
            p.opts[0] for p in ctx.command.params if isinstance(p, click.Option) and p.opts
        )
        raise click.UsageError(f"nothing to change; give one or more of {options}")
    target = app.store.resolve(who)
    if linkedin is not None:
        linkedin = _profile_url(app, linkedin, contact_id=target.id)
    contact, changed = edit_contact(
        app.store,
        target,
        name=name,
        emails=emails,
        company=company,
        role=role,
        linkedin_url=linkedin,
        tags=tags,
        check_in_days=check_in_days,
        removed_emails=removed_emails,
    )
    if not changed:
        say(f"Nothing changed: {contact.name} (id {contact.id}) already has those values.")
        return
    say(f"Updated {contact.name} (id {contact.id}): {', '.join(changed).replace('_', ' ')}.")
    _refresh_feed(app)


def _stage_value(ctx: click.Context, param: click.Parameter, value: str | None) -> Stage | None:
    """A stage name read as `parse_stage` reads it; a bad one is a usage error naming the
    option or argument (exit 2), as click's own Choice gives, with the closest stage."""
    from coffeechat.errors import StageError
    from coffeechat.pipeline import parse_stage

    if value is None:
        return None
    try:
        return parse_stage(value)
    except StageError as err:
        raise click.BadParameter(str(err), ctx, param) from None


@main.command(name="list")
@click.option("--stage", metavar="S", callback=_stage_value, help="Only contacts in this stage.")
@json_option
@pass_app
def list_(app: App, stage: Stage | None, as_json: bool) -> None:
    """List contacts and their stage.

    Example: coffeechat list --stage contacted
    """
    from coffeechat.output import contacts_table, print_json, say

    if as_json:
        print_json([c.to_json() for c in app.store.contacts(stage)])
        return
    rows = app.store.listing(stage)
    if not rows:
        say(
            "No contacts yet. Add one with `coffeechat add NAME --email ADDRESS`"
            " or import them with `coffeechat import linkedin Connections.csv`."
            if stage is None
            else f"No contacts in stage {stage.value}."
        )
    else:
        contacts_table(rows)


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

        bank = load_bank(app.config.questions_path)
        say(preparation_sheet(store, contact, bank, intro=app.config.me.intro, tz=app.config.tz))
        return
    events = store.events(contact.id)
    if as_json:
        print_json({**contact.to_json(), "events": [e.to_json() for e in events]})
        return
    referrer = store.get(contact.referred_by) if contact.referred_by else None
    referrals = store.referrals(contact.id)
    contact_details(contact, referrer, referrals, events, app.config.tz)


@main.command()
@click.argument("who")
@click.argument("target", metavar="STAGE", callback=_stage_value)
@click.option("--force", is_flag=True, help="Allow a move the pipeline would refuse.")
@pass_app
def stage(app: App, who: str, target: Stage, force: bool) -> None:
    """Move a contact to another stage by hand (logged on the timeline).

    Example: coffeechat stage dana declined
    """
    from coffeechat.errors import StageError
    from coffeechat.output import say
    from coffeechat.pipeline import AFTER_MEETING

    store = app.store
    contact = store.resolve(who)
    before = contact.stage
    if target in AFTER_MEETING and before not in AFTER_MEETING and not force:
        _refuse_before_meeting(app, contact, who, target)
    try:
        contact = store.move(contact, target, "set by hand", "stage command", manual=force)
    except StageError as refused:
        if force or before == target:
            raise
        hint = f"to move anyway: coffeechat stage {shlex.quote(who)} {target.value} --force"
        raise StageError(f"{refused}; {hint}") from None
    say(f"{contact.name}: {before.value} → {contact.stage.value}")
    _refresh_feed(app)


def _refuse_before_meeting(app: App, contact: Contact, who: str, target: Stage) -> None:
    """`stage WHO met` while the meeting is still ahead would start the thank-you clock
    and count a meeting as held before it happens, as `met` refuses to."""
    from coffeechat.calendar.when import show
    from coffeechat.clock import now
    from coffeechat.errors import StageError
    from coffeechat.journey import meeting_ahead

    start = meeting_ahead(app.store, contact, now(app.config), app.config.tz)
    if start is not None:
        again = shlex.quote(who)
        raise StageError(
            f"{contact.name}'s meeting is still ahead, on {show(start)}: record it with "
            f"`coffeechat met {again}` once it has happened (with --when if you met "
            f"earlier); to move anyway: coffeechat stage {again} {target.value} --force"
        )


@main.command()
@click.argument("who")
@click.argument("text")
@pass_app
def note(app: App, who: str, text: str) -> None:
    """Add a note to a contact's timeline.

    Example: coffeechat note dana "Prefers mornings; ask about the design system"
    """
    from coffeechat.output import say

    if not text.strip():  # a blank row on the timeline records nothing
        raise click.BadParameter(
            "the note is empty; write what to remember, "
            'e.g. coffeechat note WHO "Prefers mornings"',
            param_hint="'TEXT'",
        )
    contact = app.store.resolve(who)
    app.store.add_note(contact, text)
    say(f"Note added to {contact.name}.")


# ---------------------------------------------------------------- import and export


@main.command(name="import")
@click.argument("kind", type=click.Choice(["linkedin", "csv", "vcard"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@dry_run_option
@click.option("--skip-bad", is_flag=True, help="Import the good rows and skip the bad ones.")
@pass_app
def import_(app: App, kind: str, file: Path, dry_run: bool, skip_bad: bool) -> None:
    """Import contacts: a LinkedIn Connections.csv, a CSV file, or vCards.

    Re-importing merges by email address or LinkedIn URL instead of duplicating.
    An import is all or nothing unless --skip-bad is given; --dry-run fails on bad rows
    just as the import would.

    Example: coffeechat import linkedin ~/Downloads/Connections.csv --dry-run
    """
    from coffeechat.errors import ImportFileError
    from coffeechat.importers import apply_import, parse, plan_import, problems_message
    from coffeechat.output import say, warn

    parsed = parse(kind, file)
    if kind == "csv":
        for column, field in parsed.mapping.items():
            say(f"CSV column {column!r} → {field}")
    elif kind == "vcard" and parsed.ignored():
        # One line, not one per card: an address book repeats the same properties.
        say(f"vCard properties not imported: {', '.join(parsed.ignored())}")
    plan = plan_import(app.store, parsed)
    if dry_run:
        for line in plan.lines():
            say(line)
        if parsed.problems and not skip_bad:
            # The same refusal as the real import, so a clean dry run means it will work.
            raise ImportFileError(problems_message(parsed))
        for problem in parsed.problems:
            warn(f"{file.name}:{problem.line}: would skip: {problem.message}")
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
