"""What every importer shares: the parsed shapes, the field checks, reading the file.

The checks are pure functions; a row that fails one raises `BadRow`, which the parsers
turn into a `RowProblem` carrying the physical line where the record starts.
"""

from __future__ import annotations

import functools
import gc
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from coffeechat.contacts import parse_address
from coffeechat.errors import ImportFileError
from coffeechat.models import NewContact
from coffeechat.store.values import normalize_name

KINDS = ("linkedin", "csv", "vcard")
IGNORED = "ignored"
MAX_LISTED_PROBLEMS = 10


# ---------------------------------------------------------------- data shapes


@dataclass(frozen=True)
class ParsedRow:
    line: int
    contact: NewContact
    referrer: str = ""  # the "referred by" cell, a name or an address; plan_import resolves it
    contact_notes: tuple[str, ...] = ()  # kept as `note` events, as `coffeechat note` adds


@dataclass(frozen=True)
class RowProblem:
    line: int
    message: str


@dataclass(frozen=True)
class ParsedFile:
    path: Path
    kind: str
    rows: list[ParsedRow]
    problems: list[RowProblem]
    mapping: dict[str, str]  # column or vCard property -> field, or IGNORED

    def ignored(self) -> list[str]:
        """The columns or vCard properties that nothing was imported from, in file order."""
        return [source for source, target in self.mapping.items() if target == IGNORED]

    def mapping_lines(self) -> list[str]:
        """`CSV column 'Title' -> role` lines for the CLI to show before an import."""
        what = {"csv": "CSV column", "linkedin": "LinkedIn column"}.get(self.kind)
        return [
            f"{what} {source!r} -> {target}" if what else f"vCard {source} -> {target}"
            for source, target in self.mapping.items()
        ]


class BadRow(Exception):
    """One record is unusable; becomes a RowProblem with the record's line number."""


@contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while building tens of thousands of small objects
    that all stay alive: its automatic passes would rescan them all for nothing (a third of
    the time of a 30,000-row import). Reference counting still frees what is dropped."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------- field checks (pure)

LINE_BREAK = re.compile(r"[\r\n]")
_MONTHS = {
    m: n
    for n, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[ -]([A-Za-z]{3})[A-Za-z]*\.?[ -](\d{4})")


def check_address(text: str) -> str:
    """The address in `text` ("jane@x.org" or "Jane <jane@x.org>"), normalized; else BadRow."""
    raw = text.strip()
    if LINE_BREAK.search(raw):
        # It would end up in a To: header; a line break there injects headers (RFC 5322 2.2).
        raise BadRow(f"the email address {raw!r} contains a line break")
    address = parse_address(raw)
    if address is None:
        raise BadRow(f"invalid email address {raw!r}")
    return address


def clean_notes(values: Iterable[str]) -> tuple[str, ...]:
    """The non-empty notes among `values`, trimmed, with one kind of newline.

    vCard NOTEs and CSV cells both end up here, so a re-import finds the note it wrote
    before: the plan compares note texts exactly.
    """
    notes = (re.sub(r"\r\n?", "\n", value).strip() for value in values)
    return tuple(note for note in notes if note)


def split_list(text: str) -> list[str]:
    """Items separated by ';' or ',' (how spreadsheets hold several addresses or tags), or
    by ' ::: ', Google Contacts' separator ("a@x.org ::: b@y.org" in one E-mail cell)."""
    return [item.strip() for item in re.split(r":::|[;,]", text) if item.strip()]


# The common shape, matched without urlsplit: 30,000 rows each have one.
_LINKEDIN_URL = re.compile(
    r"(?:https?://)?((?:[A-Za-z0-9-]+\.)*linkedin\.com)(/[^?#\s]*?)?/*(?:[?#]\S*)?",
    re.IGNORECASE,
)


def is_linkedin_url(url: str) -> bool:
    if _LINKEDIN_URL.fullmatch(url.strip()):
        return True
    host = urlsplit(url if "://" in url else "https://" + url).hostname or ""
    return host == "linkedin.com" or host.endswith(".linkedin.com")


def normalize_linkedin_url(url: str) -> str:
    """One spelling per profile, so re-imports match: https, lowercase host, no slash/query."""
    text = url.strip()
    if not text:
        return ""
    # linkedin.com/in/x, uk.linkedin.com/in/x and www.linkedin.com/in/x are one profile
    # (LinkedIn redirects them all to www): one spelling, or a hand-added contact and the
    # LinkedIn export of the same person would not merge.
    match = _LINKEDIN_URL.fullmatch(text)
    if match:
        return f"https://www.linkedin.com{match.group(2) or ''}"
    parts = urlsplit(text if "://" in text else "https://" + text)
    if is_linkedin_url(text):
        return urlunsplit(("https", "www.linkedin.com", parts.path.rstrip("/"), "", ""))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), "", ""))


@functools.lru_cache(maxsize=4096)  # thousands of connections share a few hundred dates
def parse_connected_on(text: str) -> str:
    """LinkedIn's `12 Mar 2024` (or an ISO date) as an ISO date; "" for an empty cell."""
    value = text.strip()
    if not value:
        return ""
    match = _DAY_MONTH_YEAR.fullmatch(value)
    try:
        if match and match.group(2).lower() in _MONTHS:
            day, month, year = match.groups()
            return date(int(year), _MONTHS[month.lower()], int(day)).isoformat()
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise BadRow(f"Connected On {value!r} is not a date like 12 Mar 2024") from None


def make_contact(
    *,
    name: str,
    emails: list[str],
    company: str = "",
    role: str = "",
    linkedin_url: str = "",
    tags: list[str] | None = None,
    how_met: str = "",
    connected_on: str = "",
) -> NewContact:
    """A checked NewContact from raw cell values; BadRow says what is wrong with them."""
    tags = tags or []
    if LINE_BREAK.search("".join((name, company, role, linkedin_url, how_met, *tags))):
        # Names reach From/To headers and company or role may reach a Subject line.
        singles = {
            "name": name,
            "company": company,
            "role": role,
            "LinkedIn URL": linkedin_url,
            "how met": how_met,
        }
        for label, value in [*singles.items(), *(("tag", tag) for tag in tags)]:
            if LINE_BREAK.search(value):
                raise BadRow(f"the {label} {value.strip()[:40]!r} contains a line break")
    if not name.strip():
        raise BadRow("no name")
    addresses: list[str] = []
    for text in emails:
        address = check_address(text)
        if address not in addresses:
            addresses.append(address)
    unique_tags: list[str] = []
    folded: set[str] = set()
    for tag in tags:
        if tag.strip() and tag.strip().casefold() not in folded:
            unique_tags.append(tag.strip())
            folded.add(tag.strip().casefold())
    return NewContact(
        name=normalize_name(name),
        emails=tuple(addresses),
        company=company.strip(),
        role=role.strip(),
        linkedin_url=normalize_linkedin_url(linkedin_url),
        tags=tuple(unique_tags),
        how_met=how_met.strip(),
        connected_on=connected_on,
    )


# ---------------------------------------------------------------- reading files


def read_text(path: Path, what: str) -> str:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as err:
        raise ImportFileError(f"{path}: no such file; check the path") from err
    except OSError as err:
        raise ImportFileError(
            f"{path}: cannot read it ({err.strerror or err}); check the path and permissions"
        ) from err
    if b"\x00" in data:
        raise ImportFileError(f"{path}: a binary file, not {what}; export {what} and retry")
    try:
        # utf-8-sig: LinkedIn and Excel put a byte order mark before the header.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ImportFileError(
            f"{path}: not UTF-8 text (byte {err.start}); save it as UTF-8 (Excel: "
            f'"CSV UTF-8") and import it again'
        ) from err
