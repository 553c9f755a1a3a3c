"""Templates -> drafts: render a jinja2 template, then build an RFC 5322 message.

Two halves, both pure (no mailbox I/O here):

* `TemplateLibrary.render(kind, context)` renders `<kind>.txt.j2` in jinja2's sandbox and
  splits the result into a subject and a body (the template convention is below).
* `build_message(...)` turns a subject and body into an `email.message.EmailMessage` with
  correctly encoded headers, refusing any value that could smuggle in an extra header.

Template convention
-------------------
A template is plain text. After rendering, its first non-blank line must be
``Subject: <text>`` and the next line must be blank; everything after the blank line is
the body (the same header/body split as RFC 5322 §2.1, so the subject can use variables).
Jinja comments (``{# ... #}``) at the top document the template and render to nothing.
Block tags on a line of their own leave no blank line behind (``trim_blocks`` and
``lstrip_blocks``). The body is tidied after rendering: trailing spaces are removed, runs
of blank lines (left by an empty ``{% if %}`` paragraph) collapse to one, and the body
ends with exactly one newline.

Template variables
------------------
``me``               you: ``name``, ``first_name``, ``email``
``contact``          the person written to: ``name``, ``first_name``, ``company``, ``role``,
                     ``email``, ``how_met`` (free text, e.g. "LinkedIn"), ``linkedin_url``
``referrer``         who suggested the contact (``name``, ``first_name``, ``company``), or None
``meeting_minutes``  the length to ask for (config ``outreach.meeting_minutes``)
``detail``           optional: one specific thing from your notes, ending in punctuation
``meeting``          optional: ``start_text`` (date, time and time zone), ``minutes``,
                     ``location`` (may be ""); used by the invitation
``notes``            optional: free text (for a check-in: what you did and how it went)
``days_since``       optional: days since the previous message or meeting
``previous_subject`` optional: the subject of the message a follow-up replies to
``referrals``        optional: names of people the contact suggested (a list, maybe empty)

Optional variables are always defined (None or empty), so ``{% if detail %}`` works; a
name that is not in this list is an error (StrictUndefined), never a silent blank.
"""

from __future__ import annotations

import base64
import functools
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coffeechat.errors import HeaderInjectionError, TemplateError, UserError

if TYPE_CHECKING:  # only for annotations; jinja2 is imported lazily (start-up time)
    from jinja2 import Template
    from jinja2.sandbox import SandboxedEnvironment

    from coffeechat.config import Config, Me
    from coffeechat.models import Contact

SUFFIX = ".txt.j2"
KINDS: tuple[str, ...] = (
    "outreach",
    "follow-up",
    "thank-you",
    "check-in",
    "invitation",
    "cancellation",
)
REQUIRED_VARIABLES: tuple[str, ...] = ("me", "contact", "meeting_minutes")
# Optional variables default to these, so `{% if detail %}` works under StrictUndefined.
OPTIONAL_DEFAULTS: Mapping[str, Any] = {
    "referrer": None,
    "detail": None,
    "meeting": None,
    "notes": None,
    "days_since": None,
    "previous_subject": None,
    "referrals": (),
}
VARIABLES: tuple[str, ...] = (
    "me",
    "contact",
    "referrer",
    "meeting_minutes",
    "detail",
    "meeting",
    "notes",
    "days_since",
    "previous_subject",
    "referrals",
)

_KIND_RE = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
_SUBJECT_RE = re.compile(r"Subject:[ \t]*(.*)\Z", re.IGNORECASE)


class InvalidAddressError(UserError):
    """An email address that cannot go into a To or From header."""


# --------------------------------------------------------------------------- context


class Record(Mapping[str, Any]):
    """A read-only record for templates: `contact.name` and `contact["name"]` both work.

    It carries a label ("contact") so that a missing field is reported as
    `'contact.nickname' is undefined` rather than jinja's "'dict object' has no attribute".
    """

    __slots__ = ("_label", "_values")

    def __init__(self, label: str, values: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_label", label)
        object.__setattr__(self, "_values", dict(values))

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):  # never a field; also keeps copy/pickle from recursing
            raise AttributeError(key)
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"{self._label} is read-only")

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __str__(self) -> str:
        # `{{ contact }}` in a template reads as the person's name.
        return str(self._values.get("name", self._label))

    def __repr__(self) -> str:
        return f"Record({self._label!r}, {self._values!r})"

    @property
    def label(self) -> str:
        return self._label


def first_name(name: str) -> str:
    parts = name.split()
    return parts[0] if parts else name


# English names, not strftime's %A/%B, which follow the machine's locale.
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS: tuple[str, ...] = ("January", "February", "March", "April", "May", "June", "July")
_MONTHS += ("August", "September", "October", "November", "December")


def format_start(start: datetime) -> str:
    """'Tuesday, May 14, 2024 at 10:00 PDT (UTC-07:00)': date, time and time zone.

    Spelled out in full because the reader may live in another zone; locale-free so a
    draft does not change with the machine it was written on.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("format_start needs a timezone-aware datetime")
    offset = start.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}"
    name = start.tzname() or ""
    label = f"{name} ({zone})" if name and not name.startswith(("UTC", "+", "-")) else zone
    return (
        f"{_WEEKDAYS[start.weekday()]}, {_MONTHS[start.month - 1]} {start.day}, {start.year} "
        f"at {start:%H:%M} {label}"
    )


def meeting_info(start: datetime, minutes: int, location: str = "") -> Record:
    """The `meeting` variable of the invitation template."""
    return Record(
        "meeting",
        {"start_text": format_start(start), "minutes": minutes, "location": location.strip()},
    )


def _sentence(text: str | None) -> str | None:
    """Strip a quoted detail and make it end like a sentence, so templates can quote it."""
    if text is None or not text.strip():
        return None
    text = " ".join(text.split())
    return text if text[-1] in ".!?…" else text + "."


def _contact_fix(contact_id: int | None) -> str:
    if contact_id is None:
        return "edit the contact"
    return f"edit the contact (coffeechat show {contact_id})"


def context_for(
    *,
    me: Me,
    contact: Contact,
    meeting_minutes: int,
    referrer: Contact | None = None,
    detail: str | None = None,
    notes: str | None = None,
    meeting: Record | None = None,
    days_since: int | None = None,
    previous_subject: str | None = None,
    referrals: Sequence[str] = (),
) -> dict[str, Any]:
    """The template context for one contact (see the module docstring for each name).

    The one-line fields of the user, the contact and the referrer may end up in the
    Subject header, so a line break in any of them is refused here with the field named.
    """
    fix = _contact_fix(contact.id)
    check_header_value("your name", me.name, "fix me.name in your config")
    check_header_value("your address", me.email, "fix me.email in your config")
    for field_name in ("name", "company", "role", "email", "how_met"):
        value = contact.email if field_name == "email" else getattr(contact, field_name)
        check_header_value(f"contact {field_name.replace('_', ' ')}", value, fix)
    referrer_record = None
    if referrer is not None:
        for field_name in ("name", "company"):
            check_header_value(
                f"referrer {field_name}",
                getattr(referrer, field_name),
                _contact_fix(referrer.id),
            )
        referrer_record = Record(
            "referrer",
            {
                "name": referrer.name.strip(),
                "first_name": first_name(referrer.name),
                "company": referrer.company.strip(),
                "email": referrer.email,
            },
        )
    if previous_subject is not None:
        check_header_value("previous subject", previous_subject, "fix the stored subject")
    return {
        "me": Record(
            "me",
            {"name": me.name.strip(), "first_name": first_name(me.name), "email": me.email},
        ),
        "contact": Record(
            "contact",
            {
                "name": contact.name.strip(),
                "first_name": first_name(contact.name),
                "company": contact.company.strip(),
                "role": contact.role.strip(),
                "email": contact.email,
                "how_met": contact.how_met.strip(),
                "linkedin_url": contact.linkedin_url.strip(),
            },
        ),
        "referrer": referrer_record,
        "meeting_minutes": meeting_minutes,
        "detail": _sentence(detail),
        "meeting": meeting,
        "notes": notes.strip() if notes and notes.strip() else None,
        "days_since": days_since,
        "previous_subject": previous_subject.strip() if previous_subject else None,
        "referrals": tuple(" ".join(r.split()) for r in referrals if r.strip()),
    }


# --------------------------------------------------------------------------- templates


@dataclass(frozen=True)
class RenderedDraft:
    """A rendered template: the subject line, the body, and the file it came from."""

    subject: str
    body: str
    template: str  # the path of the template file that was used


@functools.cache
def _undefined_class() -> type:
    """StrictUndefined that names `contact.nickname` and explains sandbox refusals."""
    from jinja2 import StrictUndefined
    from jinja2.utils import missing

    class LabelledUndefined(StrictUndefined):
        __slots__ = ()

        @property
        def _undefined_message(self) -> str:
            name, obj = self._undefined_name, self._undefined_obj
            if self._undefined_hint or obj is missing:
                return str(super()._undefined_message)
            if isinstance(obj, Record):
                return f"'{obj.label}.{name}' is undefined"
            return str(super()._undefined_message)

    return LabelledUndefined


def _line_in_template(err: BaseException, roots: Sequence[Path]) -> tuple[str, int] | None:
    """The innermost (file, line) of a template frame in `err`'s traceback.

    jinja2 rewrites the traceback so that a frame of compiled template code carries the
    template's file name and source line; that is the line to show the user.
    """
    found: tuple[str, int] | None = None
    tb = err.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if any(_is_within(filename, root) for root in roots):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _is_within(filename: str, root: Path) -> bool:
    try:
        Path(filename).resolve().relative_to(root)
    except (ValueError, OSError):
        return False
    return True


class TemplateLibrary:
    """The packaged templates, overridden by name by files in the user's folder."""

    def __init__(self, user_dir: Path | None = None, packaged_dir: Path | None = None) -> None:
        if packaged_dir is None:
            from coffeechat.resources import templates_dir

            try:
                packaged_dir = templates_dir()
            except FileNotFoundError as err:
                raise TemplateError(str(err)) from err
        self.user_dir = user_dir.expanduser().resolve() if user_dir is not None else None
        self.packaged_dir = packaged_dir.resolve()
        self._env: SandboxedEnvironment | None = None

    @property
    def search_path(self) -> tuple[Path, ...]:
        """Where templates are looked up, first match wins."""
        if self.user_dir is None:
            return (self.packaged_dir,)
        return (self.user_dir, self.packaged_dir)

    def environment(self) -> SandboxedEnvironment:
        if self._env is None:
            # Lazy: `coffeechat --help` must not pay for importing jinja2.
            from jinja2 import ChoiceLoader, FileSystemLoader
            from jinja2.sandbox import SandboxedEnvironment

            self._env = SandboxedEnvironment(
                loader=ChoiceLoader([FileSystemLoader(str(p)) for p in self.search_path]),
                undefined=_undefined_class(),
                autoescape=False,  # plain text mail, not HTML
                keep_trailing_newline=True,
                trim_blocks=True,
                lstrip_blocks=True,
            )
        return self._env

    def kinds(self) -> list[str]:
        """Every template kind available, packaged or the user's own, sorted."""
        names = {
            p.name[: -len(SUFFIX)]
            for root in self.search_path
            if root.is_dir()
            for p in root.glob(f"*{SUFFIX}")
        }
        return sorted(names)

    def path_of(self, kind: str) -> Path | None:
        """The file that `kind` would be rendered from, or None when there is none."""
        for root in self.search_path:
            candidate = root / f"{kind}{SUFFIX}"
            if candidate.is_file():
                return candidate
        return None

    def _template(self, kind: str) -> Template:
        from jinja2 import TemplateNotFound, TemplateSyntaxError

        if not _KIND_RE.match(kind) or self.path_of(kind) is None:
            known = ", ".join(self.kinds()) or "none"
            where = f" to {self.user_dir}" if self.user_dir else " to paths.templates"
            raise TemplateError(
                f"unknown template kind {kind!r}; known kinds: {known} "
                f"(to define it, add {kind}{SUFFIX}{where})"
            )
        env = self.environment()
        try:
            template = env.get_template(f"{kind}{SUFFIX}")
            if template.filename != str(self.path_of(kind)):
                # A user file appeared after the packaged one was cached; jinja's
                # auto_reload only watches the file it loaded, so look again.
                if env.cache is not None:
                    env.cache.clear()
                template = env.get_template(f"{kind}{SUFFIX}")
            return template
        except TemplateSyntaxError as err:
            where = err.filename or str(self.path_of(kind))
            raise TemplateError(
                f"{where}:{err.lineno}: {err.message}; fix the template syntax"
            ) from err
        except TemplateNotFound as err:  # e.g. an {% include %} of a missing file
            raise TemplateError(f"{self.path_of(kind)}: template {err.name!r} not found") from err
        except (OSError, UnicodeDecodeError) as err:
            raise TemplateError(
                f"{self.path_of(kind)}: cannot read the template (UTF-8 text expected): {err}"
            ) from err

    def render(self, kind: str, context: Mapping[str, Any]) -> RenderedDraft:
        """Render `<kind>.txt.j2` and split it into subject and body.

        Raises TemplateError naming `<file>:<line>` for an undefined variable, a syntax
        error, a sandbox refusal, or any other failure inside the template.
        """
        from jinja2 import TemplateError as JinjaTemplateError
        from jinja2 import TemplateSyntaxError, UndefinedError
        from jinja2.exceptions import SecurityError

        template = self._template(kind)
        path = template.filename or str(self.path_of(kind))
        # Documented names first, in their documented order (the error messages list them).
        values = {
            name: context[name] if name in context else OPTIONAL_DEFAULTS[name]
            for name in VARIABLES
            if name in context or name in OPTIONAL_DEFAULTS
        }
        values.update(context)
        try:
            text = template.render(values)
        except UndefinedError as err:
            raise TemplateError(
                f"{self._where(err, path)}: {err.message} — {_available(err, values)}; "
                f"fix the template or add the value"
            ) from err
        except SecurityError as err:
            raise TemplateError(
                f"{self._where(err, path)}: refused by the template sandbox: {err.message}; "
                f"templates may only use the documented variables"
            ) from err
        except TemplateSyntaxError as err:  # in an included template, found at render time
            raise TemplateError(
                f"{err.filename or path}:{err.lineno}: {err.message}; fix the template syntax"
            ) from err
        except JinjaTemplateError as err:
            raise TemplateError(f"{self._where(err, path)}: {err}; fix the template") from err
        except Exception as err:  # a template's own bug (e.g. 1/0) is the user's to fix
            raise TemplateError(
                f"{self._where(err, path)}: {type(err).__name__}: {err}; fix the template"
            ) from err
        subject, body = split_subject(text, path)
        return RenderedDraft(subject=subject, body=body, template=path)

    def _where(self, err: BaseException, path: str) -> str:
        found = _line_in_template(err, self.search_path)
        if found is None:
            return path
        return f"{found[0]}:{found[1]}"


def _available(err: Exception, values: Mapping[str, Any]) -> str:
    """What the template could have used instead, for the error message."""
    message = getattr(err, "message", "") or ""
    match = re.match(r"'(\w+)\.\w+' is undefined", message)
    if match and isinstance(values.get(match.group(1)), Record):
        record = values[match.group(1)]
        return f"{record.label} has: {', '.join(record)}"
    return f"available: {', '.join(values)}"


def split_subject(text: str, path: str = "<template>") -> tuple[str, str]:
    """Split rendered text into (subject, body) by the template convention."""
    lines = text.lstrip("\r\n").splitlines()
    if not lines or not (match := _SUBJECT_RE.match(lines[0].strip())):
        raise TemplateError(
            f"{path}: no Subject line; the first line of a template must be "
            f"'Subject: ...' followed by a blank line"
        )
    subject = " ".join(match.group(1).split())
    if not subject:
        raise TemplateError(f"{path}: the Subject line is empty after rendering; give it text")
    if len(lines) > 1 and lines[1].strip():
        raise TemplateError(
            f"{path}: the Subject line must be followed by a blank line, got {lines[1]!r}; "
            f"add a blank line (an {{% if %}} that ends the Subject line eats its newline)"
        )
    return subject, tidy_body("\n".join(lines[2:]))


def tidy_body(text: str) -> str:
    """Strip trailing spaces, collapse blank-line runs, end with one newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return body + "\n" if body else ""


# --------------------------------------------------------------------------- messages

# Characters that end a header line or are otherwise unsafe in one. CR and LF are the
# injection vector (RFC 5322 §2.2: a header field ends at CRLF); NUL, VT, FF, NEL and the
# Unicode line/paragraph separators are line breaks to some parsers (str.splitlines
# treats them so), and any other C0/C1 control has no business in a name or a subject.
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _bad_char(value: str) -> str | None:
    for char in value:
        if char in _LINE_BREAKS:
            return "a line break"
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            return f"a control character (U+{ord(char):04X})"
    return None


def check_header_value(field: str, value: str, fix: str) -> None:
    """Refuse a value that would end a header line early (header injection)."""
    problem = _bad_char(value)
    if problem:
        raise HeaderInjectionError(f"{field} contains {problem}; {fix}")


@dataclass(frozen=True)
class Identity:
    """A person as a mail header shows them: display name and address."""

    name: str
    email: str

    @classmethod
    def from_me(cls, me: Me) -> Identity:
        return cls(name=me.name, email=me.email)


# RFC 2047 §2: an encoded word is at most 75 characters and a header line should stay
# within 78 (RFC 5322 §2.1.1). 36 bytes of UTF-8 make 48 base64 characters, a 60-column
# word, which leaves room for "From: " on the first line.
_EW_BYTES = 36


def _encoded_words(text: str) -> list[str]:
    """`text` as RFC 2047 B-encoded words, never splitting a character (RFC 2047 §5).

    Spaces stay inside the encoded words: a reader drops the whitespace *between*
    adjacent encoded words (RFC 2047 §6.2), so a space there would be lost.
    """
    chunks: list[bytes] = []
    chunk = b""
    for char in text:
        encoded = char.encode("utf-8")
        if chunk and len(chunk) + len(encoded) > _EW_BYTES:
            chunks.append(chunk)
            chunk = b""
        chunk += encoded
    if chunk:
        chunks.append(chunk)
    return [f"=?utf-8?b?{base64.b64encode(c).decode('ascii')}?=" for c in chunks]


def _set_mailbox(message: EmailMessage, field: str, name: str, local: str, domain: str) -> None:
    """Set From or To as `name <local@domain>`, encoded so every reader shows `name`.

    An ASCII name goes through `email.headerregistry.Address`, which quotes it when it
    has to ("Smith, Jr."). A non-ASCII name (or one that looks like an encoded word
    itself, "=?...?=") is written as encoded words by `_encoded_words`, because the email
    package's folder drops the space between two words when it splits a long name.
    """
    from email.headerregistry import Address

    name = " ".join(name.split())  # whitespace runs read as one space in any client
    if name.isascii() and "=?" not in name:
        message[field] = Address(name, local, domain)
        return
    lines = _encoded_words(name)
    mailbox = f"<{local}@{domain}>"
    if len(lines[-1]) + 1 + len(mailbox) <= 76:
        lines[-1] += f" {mailbox}"
    else:
        lines.append(mailbox)
    # set_raw keeps our folding: the policy refolds a raw value only if a line is too long.
    message.set_raw(field, "\n ".join(lines))


def _address(field: str, address: str, fix: str) -> tuple[str, str]:
    """Validate an address; return (local part, ASCII domain) for headerregistry.Address."""
    check_header_value(field, address, fix)
    address = address.strip()
    if not address:
        raise InvalidAddressError(f"{field} is empty; {fix}")
    if any(c.isspace() for c in address):
        raise InvalidAddressError(f"{field} {address!r} contains a space; {fix}")
    if address.count("@") != 1:
        raise InvalidAddressError(f"{field} {address!r} must contain exactly one @; {fix}")
    local, domain = address.split("@")
    if not local or not domain or any(c in address for c in '<>(),;:"[]\\'):
        raise InvalidAddressError(f"{field} {address!r} is not an email address; {fix}")
    if not local.isascii():
        # A UTF-8 local part needs SMTPUTF8 (RFC 6531) end to end; drafts must stay 7-bit.
        raise InvalidAddressError(
            f"{field} {address!r} has non-ASCII characters before the @, which most mail "
            f"servers cannot deliver; {fix}"
        )
    try:
        # An internationalised domain travels as punycode (RFC 5890) in a 7-bit header.
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError as err:
        raise InvalidAddressError(f"{field} {address!r} has an invalid domain; {fix}") from err
    return local, ascii_domain


def _msgid(field: str, value: str) -> str:
    """A message id in angle brackets (RFC 5322 §3.6.4), checked for injection."""
    fix = "use the Message-ID exactly as the mail header shows it"
    check_header_value(field, value, fix)
    value = value.strip()
    core = value[1:-1] if value.startswith("<") and value.endswith(">") else value
    if not core or any(c.isspace() or c in "<>" for c in core) or "@" not in core:
        raise HeaderInjectionError(f"{field} {value!r} is not a message id like <id@host>; {fix}")
    return f"<{core}>"


def reply_subject(subject: str) -> str:
    """'Re: ' once, the way mail clients do when replying (RFC 5322 §3.6.5)."""
    return subject if re.match(r"re\s*:", subject, re.IGNORECASE) else f"Re: {subject}"


def build_message(
    *,
    sender: Identity,
    to_name: str,
    to_address: str,
    subject: str,
    body: str,
    now: datetime,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    message_id: str | None = None,
    contact_id: int | None = None,
) -> EmailMessage:
    """A text/plain UTF-8 draft ready for the Drafts folder.

    Every value bound for a header is checked first, and nothing is written when one is
    unsafe (HeaderInjectionError names the field; `contact_id` makes the fix point at
    `coffeechat show ID`). Headers are built with `email.headerregistry.Address`, so
    non-ASCII names become RFC 2047 encoded words and a comma in a name is quoted.
    """
    from email import policy
    from email.utils import format_datetime, make_msgid

    contact_fix = _contact_fix(contact_id)
    me_fix = "fix [me] in your config"
    check_header_value("your name", sender.name, me_fix)
    check_header_value("contact name", to_name, contact_fix)
    check_header_value("subject", subject, "remove the line break from the template's Subject")
    sender_local, sender_domain = _address("your address", sender.email, me_fix)
    to_local, to_domain = _address("contact address", to_address, contact_fix)
    parent = _msgid("In-Reply-To", in_reply_to) if in_reply_to else None
    chain = [_msgid("References", ref) for ref in references]
    own_id = _msgid("Message-ID", message_id) if message_id else None
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("build_message needs a timezone-aware `now`")
    subject = " ".join(subject.split())
    if parent:
        subject = reply_subject(subject)
        # RFC 5322 §3.6.4: the parent's References followed by the parent's Message-ID.
        if parent not in chain:
            chain.append(parent)

    # policy.SMTP: CRLF line ends and 78-column folding, i.e. the wire format that IMAP
    # APPEND expects; cte_type stays 7bit so every header is RFC 2047 encoded.
    message = EmailMessage(policy=policy.SMTP)
    _set_mailbox(message, "From", sender.name, sender_local, sender_domain)
    _set_mailbox(message, "To", to_name, to_local, to_domain)
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = own_id or make_msgid(domain=sender_domain)
    if parent:
        message["In-Reply-To"] = parent
    if chain:
        message["References"] = " ".join(chain)
    text = tidy_body(body) if body.strip() else "\n"
    long_line = any(len(line) > 78 for line in text.splitlines())
    # 7bit when the body is plain short ASCII (readable as is); otherwise quoted-printable,
    # which keeps mostly-Latin text readable and survives any 7-bit hop (RFC 2045 §6.7).
    cte = "7bit" if text.isascii() and not long_line else "quoted-printable"
    message.set_content(text, subtype="plain", charset="utf-8", cte=cte)
    return message


# --------------------------------------------------------------------------- one call


@dataclass(frozen=True)
class Draft:
    """What `coffeechat draft` writes: the rendered text and the message built from it."""

    rendered: RenderedDraft
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


def compose_draft(
    library: TemplateLibrary,
    kind: str,
    *,
    config: Config,
    contact: Contact,
    now: datetime,
    referrer: Contact | None = None,
    detail: str | None = None,
    notes: str | None = None,
    meeting: Record | None = None,
    days_since: int | None = None,
    previous_subject: str | None = None,
    referrals: Sequence[str] = (),
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> Draft:
    """context_for + render + build_message for one contact."""
    context = context_for(
        me=config.me,
        contact=contact,
        meeting_minutes=config.outreach.meeting_minutes,
        referrer=referrer,
        detail=detail,
        notes=notes,
        meeting=meeting,
        days_since=days_since,
        previous_subject=previous_subject,
        referrals=referrals,
    )
    rendered = library.render(kind, context)
    message = build_message(
        sender=Identity.from_me(config.me),
        to_name=contact.name,
        to_address=contact.email,
        subject=rendered.subject,
        body=rendered.body,
        now=now,
        in_reply_to=in_reply_to,
        references=references,
        contact_id=contact.id,
    )
    return Draft(rendered=rendered, message=message)
