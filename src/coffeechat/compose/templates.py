"""Templates: find `<kind>.txt.j2`, render it in jinja2's sandbox, split subject from body.

The template convention and the variables are documented in `coffeechat.compose`. Every
failure inside a template becomes a TemplateError naming `<file>:<line>` and the fix.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coffeechat.compose.context import Record
from coffeechat.compose.message import tidy_body
from coffeechat.errors import TemplateError

if TYPE_CHECKING:  # only for annotations; jinja2 is imported lazily (start-up time)
    from jinja2 import Template
    from jinja2.sandbox import SandboxedEnvironment

SUFFIX = ".txt.j2"
KINDS: tuple[str, ...] = (
    "outreach",
    "follow-up",
    "thank-you",
    "check-in",
    "invitation",
    "updated-invitation",
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
        from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError
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
        except TemplateNotFound as err:  # an {% include %} or {% import %} of a missing file
            looked_in = ", ".join(map(str, self.search_path))
            raise TemplateError(
                f"{self._where(err, path)}: includes {err.name!r}, which is in none of "
                f"{looked_in}; fix the name or add the file"
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
