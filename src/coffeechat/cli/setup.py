"""Commands that set up coffeechat: init, which writes the config and creates the
database, and login, which stores the IMAP password."""

from __future__ import annotations

import re

import click

from coffeechat.cli import App, main, pass_app
from coffeechat.errors import UserError


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
        from coffeechat.credentials import keyring_available

        if keyring_available():
            say("Next: `coffeechat login` to store your password in the OS keyring.")
        else:
            # A headless machine: `login` would only fail; say so now, with the fix.
            warn(
                "there is no OS keyring on this machine, so `coffeechat login` cannot keep "
                f"the password; set password_command in {result.config_path} to a command "
                "that prints it (e.g. password_command = "
                f'"pass show mail/{result.config.mail.username}"), or run init again with '
                "--password-command and --force"
            )
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
