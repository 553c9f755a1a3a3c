"""Load and validate the TOML configuration into frozen dataclasses.

Every problem is reported as one line naming the file, the key and the fix
(`<file>: mail.port: expected an integer, got "abc"`), so a user never has to guess.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from coffeechat.errors import ConfigError
from coffeechat.text import closest

APP = "coffeechat"
ENV_VAR = "COFFEECHAT_CONFIG"


@dataclass(frozen=True)
class Me:
    # Empty, never an example: a draft must not go out under someone else's name. What
    # writes mail as the user checks them first (require_identity).
    name: str = ""
    email: str = ""
    timezone: str = "UTC"
    # Who you are and what you are exploring, in a sentence or two; the outreach and the
    # follow-up introduce you with it (the seeds: "a brief introduction of yourself").
    # Optional: without it the drafts say "I am exploring a similar path".
    intro: str = ""


# What `coffeechat init` wrote into [me] before it left the identity empty; configs made
# then still carry it. example.com is reserved (RFC 2606): no mail to it arrives.
EXAMPLE_NAME, EXAMPLE_EMAIL = "Alex Doe", "alex@example.com"
_IDENTITY_HINTS = {"name": 'name = "Your Name"', "email": 'email = "you@example.com"'}


@dataclass(frozen=True)
class Mail:
    backend: str = "maildir"
    maildir: str = "~/Mail/coffeechat"
    host: str = ""
    port: int = 993
    security: str = "tls"
    username: str = ""
    ca_file: str = ""
    password_command: str = ""
    drafts_folder: str = ""
    sent_folder: str = ""
    timeout_seconds: int = 30
    backfill_days: int = 365
    poll_seconds: int = 60


@dataclass(frozen=True)
class Outreach:
    follow_up_after_days: int = 7
    thank_you_within_hours: int = 48
    check_in_every_days: int = 90
    meeting_minutes: int = 20
    alarm_minutes: int = 30


@dataclass(frozen=True)
class Proofread:
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Paths:
    database: str = ""
    calendar_dir: str = ""
    templates: str = ""
    questions: str = ""


@dataclass(frozen=True)
class Config:
    me: Me = field(default_factory=Me)
    mail: Mail = field(default_factory=Mail)
    outreach: Outreach = field(default_factory=Outreach)
    proofread: Proofread = field(default_factory=Proofread)
    paths: Paths = field(default_factory=Paths)
    # Check-in cadence by tag, e.g. {"mentor": 30}; a contact's own cadence wins, then the
    # shortest of its tags, then outreach.check_in_every_days.
    check_in_by_tag: tuple[tuple[str, int], ...] = ()
    source: Path | None = None  # the file it was read from

    def check_in_days_for(self, own: int | None, tags: tuple[str, ...]) -> int:
        if own:
            return own
        by_tag = dict(self.check_in_by_tag)
        tagged = [by_tag[tag] for tag in tags if tag in by_tag]
        return min(tagged, default=self.outreach.check_in_every_days)

    @property
    def database_path(self) -> Path:
        if self.paths.database:
            return _expand(self.paths.database)
        return Path(platformdirs.user_data_dir(APP)) / "coffeechat.db"

    @property
    def calendar_path(self) -> Path:
        if self.paths.calendar_dir:
            return _expand(self.paths.calendar_dir)
        return self.database_path.parent / "calendar"

    @property
    def maildir_path(self) -> Path:
        return _expand(self.mail.maildir)

    @property
    def templates_path(self) -> Path | None:
        return _expand(self.paths.templates) if self.paths.templates else None

    @property
    def questions_path(self) -> Path | None:
        return _expand(self.paths.questions) if self.paths.questions else None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.me.timezone)


SECTIONS: dict[str, type] = {
    "me": Me,
    "mail": Mail,
    "outreach": Outreach,
    "proofread": Proofread,
    "paths": Paths,
}
CHOICES: dict[str, tuple[str, ...]] = {
    "mail.backend": ("imap", "maildir"),
    "mail.security": ("tls", "starttls", "plain"),
}
POSITIVE = {
    "outreach.follow_up_after_days",
    "outreach.thank_you_within_hours",
    "outreach.check_in_every_days",
    "outreach.meeting_minutes",
    "mail.timeout_seconds",
    "mail.backfill_days",
    "mail.poll_seconds",
}


def _expand(path: str) -> Path:
    return Path(os.path.expandvars(os.path.expanduser(path)))


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def resolve_config_path(explicit: str | os.PathLike[str] | None) -> Path:
    """`--config PATH`, else `$COFFEECHAT_CONFIG`, else the platform config dir."""
    if explicit:
        return Path(explicit)
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    return default_config_path()


def load(path: Path) -> Config:
    """Read and validate the config at `path`; raise ConfigError naming file and key."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file; run `coffeechat init` to create it, or pass --config PATH"
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read the file: {err}") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from err
    return from_mapping(raw, path)


def from_mapping(raw: dict[str, Any], path: Path) -> Config:
    sections: dict[str, Any] = {}
    for name, value in raw.items():
        if name == "check_in_by_tag":
            sections[name] = _cadences(value, path)
            continue
        if name not in SECTIONS:
            close = closest(name, [*SECTIONS, "check_in_by_tag"])
            hint = f"; did you mean [{close}]?" if close else ""
            warnings.warn(f"{path}: unknown section [{name}] ignored{hint}", stacklevel=2)
            continue
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: {name}: expected a [{name}] table")
        sections[name] = _section(SECTIONS[name], name, value, path)
    config = Config(**sections, source=path)
    _check_semantics(config, path)
    return config


def _cadences(values: Any, path: Path) -> tuple[tuple[str, int], ...]:
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: check_in_by_tag: expected a table like mentor = 30")
    pairs = []
    for tag, days in values.items():
        if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
            raise ConfigError(
                f"{path}: check_in_by_tag.{tag}: expected a positive number of days, "
                f"got {_show(days)}"
            )
        pairs.append((tag, days))
    return tuple(pairs)


def _section(cls: type, section: str, values: dict[str, Any], path: Path) -> Any:
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        dotted = f"{section}.{key}"
        if key not in known:
            warnings.warn(
                f"{path}: {dotted}: unknown key ignored{_key_hint(section, key, known)}",
                stacklevel=2,
            )
            continue
        kwargs[key] = _coerce(hints[key], value, dotted, path)
    return cls(**kwargs)


def _key_hint(section: str, key: str, known: set[str]) -> str:
    """'; did you mean ...?' for a typo, or for a key written in the wrong section."""
    for other, cls in SECTIONS.items():
        if other != section and key in {f.name for f in fields(cls)}:
            return f"; did you mean {other}.{key}? It belongs in [{other}]"
    close = closest(key, sorted(known))
    return f"; did you mean {section}.{close}?" if close else ""


def _coerce(hint: Any, value: Any, dotted: str, path: Path) -> Any:
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}: {dotted}: expected an integer, got {_show(value)}")
        if dotted in POSITIVE and value <= 0:
            raise ConfigError(f"{path}: {dotted}: must be a positive number, got {value}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{path}: {dotted}: expected a string in quotes, got {_show(value)}")
        if dotted in CHOICES and value not in CHOICES[dotted]:
            options = " or ".join(f'"{c}"' for c in CHOICES[dotted])
            raise ConfigError(f"{path}: {dotted}: unknown value {value!r}; use {options}")
        return value
    # tuple[str, ...]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f'{path}: {dotted}: expected a list of strings like ["word"], got {_show(value)}'
        )
    return tuple(value)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    return f"{value!r} ({type(value).__name__})"


def timezone_problem(name: str) -> str | None:
    """What is wrong with the time zone `name`, with the fix; None when it is a zone.

    Shared by the config check and `init --timezone`, which names its option instead.
    """
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        from zoneinfo import available_timezones

        close = closest(name, sorted(available_timezones()))
        fix = f'did you mean "{close}"?' if close else 'use an IANA name like "Europe/Berlin"'
        return f"unknown time zone {name!r}; {fix}"
    return None


def _check_semantics(config: Config, path: Path) -> None:
    problem = timezone_problem(config.me.timezone)
    if problem:
        raise ConfigError(f"{path}: me.timezone: {problem}")
    if config.me.email and "@" not in config.me.email:
        raise ConfigError(f"{path}: me.email: {config.me.email!r} is not an email address")
    mail = config.mail
    if not 0 < mail.port < 65536:
        raise ConfigError(f"{path}: mail.port: {mail.port} is not a port number (1-65535)")
    if mail.ca_file and not _expand(mail.ca_file).is_file():
        raise ConfigError(
            f'{path}: mail.ca_file: no such file {mail.ca_file!r}; fix the path or set it to ""'
        )
    if mail.backend == "imap":
        if not mail.host:
            raise ConfigError(f'{path}: mail.host: required when mail.backend is "imap"')
        if not mail.username:
            raise ConfigError(f'{path}: mail.username: required when mail.backend is "imap"')
        if mail.security == "plain" and not is_loopback(mail.host):
            raise ConfigError(
                f'{path}: mail.security: "plain" would send your password unencrypted to '
                f'{mail.host}; use "tls" or "starttls" (plain is allowed only to localhost)'
            )
    if config.paths.templates and not _expand(config.paths.templates).is_dir():
        raise ConfigError(
            f"{path}: paths.templates: no such folder {config.paths.templates!r}; "
            f'create it or set it to ""'
        )


def require_identity(config: Config, *keys: str) -> None:
    """Refuse to act as the user while [me] (`keys` of it, default name and email) is
    empty or still the example identity: drafts would go out from "Alex Doe" or from an
    empty address, and watch would mistake the user's own mail for a contact's.

    Loading a config does not check this, so that list, add, import and the rest work
    before the user has filled in [me].
    """
    me = config.me
    keys = keys or ("name", "email")
    unset = [key for key in keys if not getattr(me, key).strip()]
    # An older `init` wrote the example pair: its name is stale only beside its address.
    example = me.email.strip().lower() == EXAMPLE_EMAIL
    stale = [key for key in keys if example and (key == "email" or me.name == EXAMPLE_NAME)]
    if not unset and not stale:
        return
    problems = [f"{_keys(unset)} not set"] if unset else []
    if stale:
        value = EXAMPLE_EMAIL if stale == ["email"] else f"{EXAMPLE_NAME} <{EXAMPLE_EMAIL}>"
        problems.append(f'{_keys(stale)} still "{value}", the example written by `coffeechat init`')
    fix = "put your own" if stale else "add it" if len(unset) == 1 else "add them"
    hints = " and ".join(_IDENTITY_HINTS[key] for key in keys if key in unset + stale)
    where = config.source or "the config"
    raise ConfigError(f"{where}: {'; '.join(problems)}; {fix} under [me], e.g. {hints}")


def _keys(keys: list[str]) -> str:
    """ "me.name is", "me.name and me.email are"."""
    return " and ".join(f"me.{key}" for key in keys) + (" is" if len(keys) == 1 else " are")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def render_example(values: Mapping[tuple[str, str], str | int] | None = None) -> str:
    """The commented example config with `values` ({(section, key): value}) filled in.

    Line-based on purpose: the comments are the documentation, and a TOML writer
    would drop them.
    """
    from coffeechat.resources import example_config

    values = values or {}
    lines = []
    section = ""
    for line in example_config().read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
        elif "=" in stripped and not stripped.startswith("#"):
            key = stripped.split("=", 1)[0].strip()
            if (section, key) in values:
                value = values[(section, key)]
                if isinstance(value, int):
                    literal = str(value)
                elif any("\ud800" <= ch <= "\udfff" for ch in value):
                    # A byte that is not UTF-8 in a command-line argument arrives as a lone
                    # surrogate (PEP 383); no UTF-8 file, so no TOML file, can hold it.
                    raise ConfigError(
                        f"{section}.{key}: {value!r} holds a byte that is not UTF-8 text; retype it"
                    )
                else:
                    literal = _toml_string(value)
                line = f"{key} = {literal}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def local_timezone() -> str:
    """This machine's IANA time zone: $TZ, else where /etc/localtime points, else
    /etc/timezone (Debian), else UTC. Times typed by the user are read in it."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(str(Path("/etc/localtime").resolve()).partition("zoneinfo/")[2])
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    for name in candidates:
        if name:
            with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
                ZoneInfo(name)
                return name
    return "UTC"


# In a TOML basic string '"', '\\' and the control characters U+0000-U+001F (tab aside)
# and U+007F must be escaped (https://toml.io/en/v1.0.0#string); a raw line break or DEL
# made a config that no longer loads. Tab is escaped too, to be seen.
_TOML_ESCAPES = str.maketrans(
    {
        **{chr(c): f"\\u{c:04X}" for c in [*range(0x20), 0x7F]},
        "\b": "\\b",
        "\t": "\\t",
        "\n": "\\n",
        "\f": "\\f",
        "\r": "\\r",
        '"': '\\"',
        "\\": "\\\\",
    }
)


def _toml_string(value: str) -> str:
    """`value` as a TOML basic string, on one line whatever it holds."""
    return '"' + value.translate(_TOML_ESCAPES) + '"'
