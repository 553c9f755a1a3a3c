"""`coffeechat init`: write the commented config, create the database and the Maildir."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coffeechat import config as config_module
from coffeechat.config import Config
from coffeechat.errors import ConfigError
from coffeechat.fileutil import write_atomically
from coffeechat.store import Store

# RFC 8314 §3.3: 993 is IMAP over implicit TLS; 143 is IMAP that upgrades with STARTTLS
# (or, to localhost only, stays plain). The wrong pairing fails in the TLS handshake
# (WRONG_VERSION_NUMBER) or waits for a greeting that never comes.
IMAPS_PORT = 993
IMAP_PORT = 143


@dataclass(frozen=True)
class Transport:
    """IMAP port and security as init writes them, and what the user should hear."""

    port: int
    security: str
    note: str = ""  # what init chose for the user
    warning: str = ""  # a pairing the user chose that is likely wrong


def imap_transport(port: int | None, security: str | None) -> Transport:
    """Fill in the one of port and security not given, from the other (RFC 8314)."""
    if security is None:
        if port == IMAP_PORT:
            return Transport(
                port,
                "starttls",
                note=f"Port {IMAP_PORT} is the STARTTLS port (RFC 8314), so security is "
                "starttls; pass --imap-security to choose otherwise.",
            )
        return Transport(IMAPS_PORT if port is None else port, "tls")
    if port is None:
        if security == "tls":
            return Transport(IMAPS_PORT, security)
        name = (
            "STARTTLS uses port 143 (RFC 8314)"
            if security == "starttls"
            else "Plain IMAP uses port 143"
        )
        return Transport(
            IMAP_PORT,
            security,
            note=f"{name}, so the port is {IMAP_PORT}; pass --imap-port to choose another.",
        )
    if port == IMAP_PORT and security == "tls":
        return Transport(
            port,
            security,
            warning=f"port {IMAP_PORT} is the STARTTLS port (RFC 8314), not TLS; if the "
            "first connection fails with WRONG_VERSION_NUMBER, run init again with "
            "--imap-security starttls --force",
        )
    if port == IMAPS_PORT and security != "tls":
        return Transport(
            port,
            security,
            warning=f"port {IMAPS_PORT} is the implicit TLS port (RFC 8314), not "
            f"{security.upper()}; if the first connection times out, run init again with "
            "--imap-security tls --force",
        )
    return Transport(port, security)


@dataclass(frozen=True)
class InitResult:
    config_path: Path
    database_path: Path
    config: Config
    transport: Transport | None = None  # for the IMAP backend


def initialize(
    config_path: Path,
    *,
    maildir: str | None = None,
    imap_host: str | None = None,
    imap_user: str | None = None,
    imap_port: int | None = None,
    imap_security: str | None = None,
    imap_ca_file: str | None = None,
    password_command: str | None = None,
    database: str | None = None,
    name: str | None = None,
    email: str | None = None,
    timezone: str | None = None,
    intro: str | None = None,
    force: bool = False,
) -> InitResult:
    """Write the config (refusing to overwrite one without `force`) and create the database.

    The new config is validated before it is written, so a bad option leaves nothing behind.
    Flags of two backends at once are refused earlier, by the command (a usage error).
    """
    if config_path.exists() and not force:
        raise ConfigError(
            f"{config_path}: a config file already exists; edit it, or pass --force to replace it"
        )
    values: dict[tuple[str, str], str | int] = {
        ("me", "timezone"): timezone or config_module.local_timezone(),
    }
    if name:
        values[("me", "name")] = name
    if email or (imap_user and "@" in imap_user):
        values[("me", "email")] = email or imap_user or ""
    if intro and intro.strip():
        # One line: the config's example line is replaced as one "key = value" line.
        values[("me", "intro")] = " ".join(intro.split())
    if maildir:
        values[("mail", "backend")] = "maildir"
        values[("mail", "maildir")] = str(Path(maildir).expanduser().resolve())
    transport = None
    if imap_host:
        transport = imap_transport(imap_port, imap_security)
        values[("mail", "backend")] = "imap"
        values[("mail", "host")] = imap_host
        values[("mail", "username")] = imap_user or ""
        values[("mail", "port")] = transport.port
        values[("mail", "security")] = transport.security
    if imap_ca_file:
        # Absolute, like the Maildir: the config is read from other working directories.
        values[("mail", "ca_file")] = str(Path(imap_ca_file).expanduser().resolve())
    if password_command:
        values[("mail", "password_command")] = password_command
    if database:
        values[("paths", "database")] = str(Path(database).expanduser().resolve())
    text = config_module.render_example(values)
    import tomllib

    config = config_module.from_mapping(tomllib.loads(text), config_path)
    if config.mail.backend == "maildir":
        # Before the config is written, so a refused folder leaves nothing behind. This
        # is the one place a new Maildir is made; other commands refuse a missing one.
        from coffeechat.mail.maildir import MaildirMailbox

        MaildirMailbox.create(config.maildir_path, config.mail)
    # Setting up is init's job, as with the Maildir: on a first run the platform config dir
    # does not exist yet. Other commands that write files refuse a missing folder.
    try:
        config_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(
            f"cannot create the folder {config_path.parent}: {err.strerror or err}; "
            "pass --config PATH in a folder you can write"
        ) from err
    write_atomically(config_path, text, mode=0o600)
    Store.open(config.database_path).close()
    return InitResult(config_path, config.database_path, config, transport)
