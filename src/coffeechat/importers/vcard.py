"""vCard 2.1, 3.0 and 4.0 files, read card by card through vobject."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import vobject

from coffeechat.errors import ImportFileError
from coffeechat.importers.rows import (
    IGNORED,
    BadRow,
    ParsedFile,
    ParsedRow,
    RowProblem,
    clean_notes,
    is_linkedin_url,
    make_contact,
    read_text,
    split_list,
)
from coffeechat.models import NewContact

VCARD_PROPERTIES = {
    "FN": "name",
    "N": "name (when FN is missing)",
    "EMAIL": "emails",
    "ORG": "company",
    "TITLE": "role",
    "URL": "linkedin_url (LinkedIn addresses only)",
    "X-SOCIALPROFILE": "linkedin_url (LinkedIn addresses only)",
    "CATEGORIES": "tags",
    "NOTE": "notes",
}
_NOT_SHOWN = {"BEGIN", "END", "VERSION"}


def _vcard_chunks(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line of BEGIN:VCARD, the card's physical lines) for each card in the file."""
    start, depth = 0, 0
    lines: list[str] = []
    for number, line in enumerate(re.split(r"\r\n|\r|\n", text), 1):
        keyword = line.strip().upper()
        if keyword == "BEGIN:VCARD":
            if depth == 0:
                start, lines = number, []
            depth += 1
        if depth:
            lines.append(line)
        if keyword == "END:VCARD" and depth:
            depth -= 1
            if depth == 0:
                yield start, lines
    if depth:
        yield start, lines  # unterminated: vobject reports it


def _join_soft_breaks(lines: list[str]) -> str:
    """vCard 2.1 quoted-printable values continue after a trailing '=' (RFC 2045 6.7, rule 5);
    vobject does not follow those soft line breaks, so join them first."""
    out: list[str] = []
    joining = False
    for line in lines:
        if joining:
            out[-1] = out[-1][:-1] + line
        else:
            out.append(line)
        params = out[-1].split(":", 1)[0].upper()
        joining = "QUOTED-PRINTABLE" in params and out[-1].endswith("=")
    return "\r\n".join(out) + "\r\n"


def _values(card: Any, name: str) -> list[Any]:
    return [prop.value for prop in card.contents.get(name, [])]


def _flat(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)] if value is not None else []


def _preferred_first(card: Any) -> list[str]:
    """Addresses in file order, the one marked preferred (3.0 TYPE=PREF, 4.0 PREF=1) first."""
    props = card.contents.get("email", [])

    def rank(prop: Any) -> int:
        types = [t.upper() for t in prop.params.get("TYPE", [])]
        return (
            0 if "PREF" in types or prop.params.get("PREF") or "PREF" in prop.singletonparams else 1
        )

    return [str(prop.value) for prop in sorted(props, key=rank)]


def _card_contact(card: Any) -> NewContact:
    name = " ".join(_flat(_values(card, "fn")[:1])).strip()
    if not name and _values(card, "n"):
        n = _values(card, "n")[0]
        parts = (
            getattr(n, attr, "") for attr in ("prefix", "given", "additional", "family", "suffix")
        )
        name = " ".join(" ".join(_flat(p)) for p in parts if p and "".join(_flat(p)).strip())
    urls = [
        url for key in ("url", "x-socialprofile") for v in _values(card, key) for url in _flat(v)
    ]
    orgs = [org for v in _values(card, "org")[:1] for org in _flat(v)[:1]]
    return make_contact(
        name=name,
        emails=_preferred_first(card),
        company=orgs[0] if orgs else "",
        role=" ".join(_flat(_values(card, "title")[:1])),
        linkedin_url=next((url for url in urls if is_linkedin_url(url.strip())), ""),
        tags=[
            t for v in _values(card, "categories") for item in _flat(v) for t in split_list(item)
        ],
    )


def _card_notes(card: Any) -> tuple[str, ...]:
    """NOTE values, unescaped by vobject (RFC 6350 3.4: \\; \\, \\n), with one kind of newline."""
    return clean_notes(str(value) for value in _values(card, "note"))


def parse_vcard(path: Path) -> ParsedFile:
    """vCard 2.1, 3.0 or 4.0 files (one card or many) through vobject."""
    path = Path(path)
    text = read_text(path, "a vCard file")
    rows: list[ParsedRow] = []
    problems: list[RowProblem] = []
    seen: dict[str, str] = {}
    for line, lines in _vcard_chunks(text):
        try:
            card = vobject.readOne(_join_soft_breaks(lines))
        except Exception as err:  # ParseError mostly, but vobject also lets others through
            message = str(err.args[0]) if err.args else type(err).__name__
            problems.append(RowProblem(line, f"cannot read this vCard: {message}"))
            continue
        for prop in card.getChildren():
            key = prop.name.upper()
            if key not in _NOT_SHOWN:
                seen.setdefault(key, VCARD_PROPERTIES.get(key, IGNORED))
        try:
            rows.append(ParsedRow(line, _card_contact(card), contact_notes=_card_notes(card)))
        except BadRow as bad:
            problems.append(RowProblem(line, str(bad)))
    if not rows and not problems:
        raise ImportFileError(
            f"{path}: no BEGIN:VCARD found; export the contacts as a vCard (.vcf) file"
        )
    return ParsedFile(path, "vcard", rows, problems, seen)
