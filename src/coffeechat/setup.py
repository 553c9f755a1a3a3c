"""`coffeechat init`: write the commented config, create the database and the Maildir."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coffeechat import config as config_module
from coffeechat.config import Config
from coffeechat.errors import ConfigError
from coffeechat.fileutil import write_atomically
from coffeechat.store import Store


@dataclass(frozen=True)
class InitResult:
    config_path: Path
    database_path: Path
    config: Config


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
    if maildir:
        values[("mail", "backend")] = "maildir"
        values[("mail", "maildir")] = str(Path(maildir).expanduser().resolve())
    if imap_host:
        values[("mail", "backend")] = "imap"
        values[("mail", "host")] = imap_host
        values[("mail", "username")] = imap_user or ""
    if imap_port is not None:
        values[("mail", "port")] = imap_port
    if imap_security:
        values[("mail", "security")] = imap_security
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
    return InitResult(config_path, config.database_path, config)
