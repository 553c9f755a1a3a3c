"""Commands that set up coffeechat and keep the contacts: init, login, add, edit,
list, show, stage, note, import, export."""

from __future__ import annotations

import re
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

# ---------------------------------------------------------------- setup


@main.command()
@click.option("--maildir", metavar="DIR", help="Use a local Maildir folder (the default backend).")
@click.option("--imap-host", metavar="HOST", help="Use this IMAP server.")
@click.option("--imap-user", metavar="USER", help="IMAP login name (usually your address).")
@click.option(
    "--imap-port", type=click.IntRange(1, 65535), metavar="N", help="IMAP port (default 993)."
)
@click.option(
    "--imap-security",
    type=click.Choice(["tls", "starttls", "plain"]),
    help="tls (port 993), starttls (port 143) or plain (localhost only). Default: tls.",
)
@click.option(
    "--imap-ca-file",
    metavar="FILE",
    help="A CA bundle (PEM) for a server with a private or self-signed certificate.",
)
@click.option(
    "--password-command",
    metavar="CMD",
    help='A command that prints the IMAP password, e.g. "pass show mail/you" (no shell); '
    "then `coffeechat login` and a keyring are not needed.",
)
@click.option("--database", metavar="FILE", help="Where to keep the database.")
@click.option("--name", metavar="NAME", help="Your name, as it should appear in From:.")
@click.option("--email", metavar="ADDRESS", help="Your address (default: the IMAP user).")
@click.option(
    "--timezone",
    metavar="ZONE",
    help="An IANA zone such as Europe/Berlin (default: this machine's).",
)
@click.option(
    "--intro",
    metavar="TEXT",
    help="Who you are and what you are exploring, used to introduce you in the outreach, "
    'e.g. "I am a senior at State studying economics and exploring product management."',
)
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@pass_app
def init(
    app: App,
    maildir: str | None,
    imap_host: str | None,
    imap_user: str | None,
    imap_port: int | None,
    imap_security: str | None,
    imap_ca_file: str | None,
    password_command: str | None,
    database: str | None,
    name: str | None,
    email: str | None,
    timezone: str | None,
    intro: str | None,
    force: bool,
) -> None:
    """Write a commented config file and create the database.

    Example: coffeechat init --name "Jo Student" --email jo@uni.example --maildir ~/Mail/cc

    Example: coffeechat init --imap-host imap.uni.example --imap-user jo@uni.example
    --imap-port 143 --password-command "pass show mail/jo"
    """
    from coffeechat.config import require_identity
    from coffeechat.errors import ConfigError
    from coffeechat.output import say, warn
    from coffeechat.setup import initialize

    # A line break would end the TOML string init writes (and `--name` goes into From:).
    for option, value in (
        ("--maildir", maildir),
        ("--imap-host", imap_host),
        ("--imap-user", imap_user),
        ("--imap-ca-file", imap_ca_file),
        ("--password-command", password_command),
        ("--database", database),
        ("--name", name),
        ("--email", email),
    ):
        if value is not None and any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise click.BadParameter(
                "it contains a line break or control character; remove it",
                param_hint=f"'{option}'",
            )
    _check_backend_flags(
        maildir,
        imap_host,
        imap_user,
        imap_port,
        imap_security=imap_security,
        imap_ca_file=imap_ca_file,
        password_command=password_command,
    )
    _check_imap_flags(imap_host, imap_security, imap_ca_file, password_command)
    _check_timezone_flag(timezone)
    if email is not None:
        from coffeechat.contacts import parse_address, several_addresses

        if several_addresses(email):
            raise click.BadParameter(
                f"{email!r} is more than one email address; give the one you write from, "
                f"like jo@uni.example",
                param_hint="'--email'",
            )
        address = parse_address(email)
        if address is None:
            raise click.BadParameter(
                f"{email!r} is not an email address; write it like jo@uni.example",
                param_hint="'--email'",
            )
        if address != email.strip().lower():  # me.email is written as given
            raise click.BadParameter(
                "give the address alone, like jo@uni.example; your name goes in --name",
                param_hint="'--email'",
            )
    result = initialize(
        app.config_path,
        maildir=maildir,
        imap_host=imap_host,
        imap_user=imap_user,
        imap_port=imap_port,
        imap_security=imap_security,
        imap_ca_file=imap_ca_file,
        password_command=password_command,
        database=database,
        name=name,
        email=email,
        timezone=timezone,
        intro=intro,
        force=force,
    )
    me = result.config.me
    say(f"Config written to {result.config_path}")
    say(f"Database ready at {result.database_path}")
    try:
        require_identity(result.config)
    except ConfigError as err:  # init leaves what it was not given empty, never an example
        warn(str(err))
        # watch needs only the address (to tell your mail from theirs); drafts need both.
        blocked = (
            "`draft` and `schedule` refuse"
            if me.email
            else "`draft`, `schedule` and `watch` refuse"
        )
        say(
            f"Until it is set, {blocked} to run: edit the config, or run init again with "
            f"--name, --email and --force. Your time zone is {me.timezone}."
        )
    else:
        say(f"You are {me.name} <{me.email}>, in {me.timezone}.")
    transport = result.transport
    if transport:
        how = {"tls": "over TLS", "starttls": "with STARTTLS", "plain": "unencrypted"}
        where = f"{result.config.mail.host}:{transport.port}"
        say(f"Mail is read from {where} {how[transport.security]}.")
        if transport.note:
            say(transport.note)
        if transport.warning:
            warn(transport.warning)
    if result.config.mail.backend == "imap" and result.config.mail.password_command:
        say("The password comes from mail.password_command; `coffeechat login` is not needed.")
        # Contacts before the first watch: its first scan reads the backfill window once,
        # and a contact added after it is matched only in mail that arrives later.
        say(
            "Next: `coffeechat add NAME --email ADDRESS`, or `coffeechat import linkedin FILE`; "
            "then `coffeechat watch --once`."
        )
    elif result.config.mail.backend == "imap":
        say("Next: `coffeechat login` to store your password in the OS keyring.")
    else:
        say(f"Mail goes to the Maildir {result.config.maildir_path}.")
        say("Next: `coffeechat add NAME --email ADDRESS`, or `coffeechat import linkedin FILE`.")


def _check_backend_flags(
    maildir: str | None,
    imap_host: str | None,
    imap_user: str | None,
    imap_port: int | None,
    **imap_only: str | None,
) -> None:
    """Refuse flags of two backends: init would otherwise write one and drop the rest unsaid."""
    if imap_host and maildir:
        raise click.UsageError("choose one backend: --maildir or --imap-host, not both")
    if imap_host and not imap_user:
        raise click.UsageError("--imap-host needs --imap-user (your login, usually your address)")
    given = [
        flag
        for flag, value in (
            ("--imap-user", imap_user),
            ("--imap-port", imap_port),
            *(("--" + key.replace("_", "-"), value) for key, value in imap_only.items()),
        )
        if value is not None
    ]
    if given and not imap_host:
        flags = " and ".join(given)
        verb = "is" if len(given) == 1 else "are"
        raise click.UsageError(
            f"{flags} {verb} only for IMAP, and no --imap-host was given; add --imap-host HOST "
            f"--imap-user USER to use IMAP, or drop {flags} to use a Maildir"
        )


def _check_imap_flags(
    host: str | None, security: str | None, ca_file: str | None, password_command: str | None
) -> None:
    """Blame the option, before anything is written: the config check would name a key of
    a file the user never wrote, and a bad CA file or command would surface only at the
    first `watch` or `draft`."""
    from coffeechat.config import is_loopback
    from coffeechat.credentials import password_command_problem

    if host is not None:
        problem = _host_problem(host)
        if problem:
            raise click.BadParameter(problem, param_hint="'--imap-host'")
    if security == "plain" and host and not is_loopback(host):
        raise click.BadParameter(
            f"plain would send your password unencrypted to {host}; use tls or starttls "
            "(plain is allowed only to localhost)",
            param_hint="'--imap-security'",
        )
    if ca_file is not None:
        problem = _ca_file_problem(ca_file)
        if problem:
            raise click.BadParameter(problem, param_hint="'--imap-ca-file'")
    if password_command is not None:
        problem = password_command_problem(password_command)
        if problem:
            raise click.BadParameter(problem, param_hint="'--password-command'")


_HOST_NAME = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?")


def _host_problem(host: str) -> str | None:
    """What is wrong with `host` as a server name; a URL or a host:port is named as such,
    since either would otherwise be written and fail only at `login`."""
    import ipaddress
    from urllib.parse import urlsplit

    text = host.strip()
    if "://" in text:
        name = urlsplit(text).hostname or ""
        return f"give the server's name, not a URL: --imap-host {name or 'imap.example.com'}"
    try:
        ipaddress.ip_address(text)
        return None
    except ValueError:
        pass
    name, colon, port = text.rpartition(":")
    if colon and port.isdigit() and name:
        return f"give the port on its own: --imap-host {name} --imap-port {port}"
    try:
        ascii_name = text.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_name = ""
    if not _HOST_NAME.fullmatch(ascii_name):
        return f"{host!r} is not a host name; write it like imap.uni.example"
    return None


def _ca_file_problem(ca_file: str) -> str | None:
    """Loaded the way the IMAP backend loads it (mail/imap.py `_ssl_context`)."""
    import ssl
    from pathlib import Path

    path = Path(ca_file).expanduser()
    if not path.is_file():
        return f"no such file {ca_file!r}"
    try:
        ssl.create_default_context().load_verify_locations(cafile=str(path))
    except (OSError, ssl.SSLError):
        return f"cannot load {ca_file!r} as a CA certificate; give a PEM file"
    return None


def _check_timezone_flag(timezone: str | None) -> None:
    """Blame --timezone for a bad zone: the config check would blame me.timezone in a file
    the user never wrote."""
    from coffeechat.config import timezone_problem

    problem = timezone_problem(timezone) if timezone else None  # "" means this machine's
    if problem:
        raise click.BadParameter(problem, param_hint="'--timezone'")


@main.command()
@pass_app
def login(app: App) -> None:
    """Check the IMAP password against the server, then store it in the OS keyring.

    Asked once, not echoed; stored only if the server accepts it.

    Example: coffeechat login
    """
    from coffeechat.credentials import check_and_store_password, keyring_user, require_keyring
    from coffeechat.errors import CredentialsError
    from coffeechat.output import say

    mail = app.config.mail
    if mail.backend != "imap":
        raise UserError('mail.backend is "maildir"; there is no password to store')
    if mail.password_command:
        # get_password never reads the keyring then: a stored password would go unused.
        raise CredentialsError(
            "mail.password_command is set, so the password comes from that command and "
            "`coffeechat login` is not needed; to keep the password in the OS keyring "
            'instead, set password_command = "" and run `coffeechat login` again'
        )
    require_keyring(mail)  # before the prompt: no point typing a password nowhere to keep
    try:
        password = click.prompt(f"IMAP password for {keyring_user(mail)}", hide_input=True)
    except click.Abort:  # end of input (or Ctrl-C) before a password
        raise CredentialsError(
            "no password given; run `coffeechat login` again and type the password "
            "(it is not shown)"
        ) from None
    check_and_store_password(mail, password)
    say(f"Password checked against {mail.host} and stored in the OS keyring.")


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
