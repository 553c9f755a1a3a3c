"""`coffeechat init`: write the commented config and create the database."""

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
    database: str | None = None,
    force: bool = False,
) -> InitResult:
    """Write the config (refusing to overwrite one without `force`) and create the database.

    The new config is validated before it is written, so a bad option leaves nothing behind.
    """
    if config_path.exists() and not force:
        raise ConfigError(
            f"{config_path}: a config file already exists; edit it, or pass --force to replace it"
        )
    if imap_host and maildir:
        raise ConfigError("choose one backend: --maildir or --imap-host, not both")
    if imap_host and not imap_user:
        raise ConfigError("--imap-host needs --imap-user (your login, usually your address)")
    if maildir:
        maildir = str(Path(maildir).expanduser().resolve())
    text = config_module.render_example(
        maildir=maildir,
        imap_host=imap_host,
        imap_user=imap_user,
        imap_port=imap_port,
        database=str(Path(database).expanduser().resolve()) if database else None,
    )
    import tomllib

    config = config_module.from_mapping(tomllib.loads(text), config_path)
    write_atomically(config_path, text, mode=0o600)
    Store.open(config.database_path).close()
    return InitResult(config_path, config.database_path, config)
