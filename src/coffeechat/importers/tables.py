"""LinkedIn's Connections.csv and any spreadsheet saved as CSV: columns matched by name."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from coffeechat.errors import ImportFileError
from coffeechat.importers.rows import (
    IGNORED,
    LINE_BREAK,
    BadRow,
    ParsedFile,
    ParsedRow,
    RowProblem,
    bulk,
    clean_notes,
    is_linkedin_url,
    make_contact,
    parse_connected_on,
    read_text,
    split_list,
)


def _records(path: Path, text: str, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells) for each non-blank CSV record.

    Strict, because the lenient reader guesses: at the end of the file it closes a quote
    that was never closed, so `"Ben,ben@x.example` and every row after it became one
    name (a value may span lines only inside quotes), and it read `"Dana" Lee` as
    `Dana Lee`. The strict one raises instead, and the whole file is refused: after a
    broken quote, where the next row starts is a guess too.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    end = 0
    try:
        for cells in reader:
            start, end = end + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                yield start, cells
    except csv.Error as err:
        if str(err) == "unexpected end of data":  # the file ended inside quotes
            raise ImportFileError(
                f'{path}:{end + 1}: unterminated quote (a " that is never closed, so the '
                f"rest of the file would be read as one value); close the quote or remove it"
            ) from err
        raise ImportFileError(
            f"{path}:{end + 1}: not readable as CSV ({err}); check the quoting there"
        ) from err


def _guess_delimiter(text: str) -> str:
    """Excel in many locales writes ';'-separated 'CSV'; tab-separated exports exist too."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return max(",;\t", key=lambda sep: (first.count(sep), sep == ","))


def _header_key(header: str) -> str:
    """'E-mail 2 Address' -> 'emailaddress': case, spaces, punctuation and numbers ignored."""
    return re.sub(r"[\W_\d]+", "", header.casefold())


# Spreadsheet header (after _header_key) -> field. emails, tags and notes may come from
# several columns ("Email", "Email 2"); every other field takes the first column that names it.
CSV_COLUMNS: dict[str, str] = {
    **dict.fromkeys(("name", "fullname", "displayname", "contactname", "contact"), "name"),
    **dict.fromkeys(("firstname", "givenname", "first"), "first_name"),
    **dict.fromkeys(("middlename", "additionalname"), "middle_name"),
    **dict.fromkeys(("lastname", "familyname", "surname", "last"), "last_name"),
    **dict.fromkeys(
        ("email", "emails", "mail", "emailaddress", "emailaddresses", "emailvalue"), "emails"
    ),
    **dict.fromkeys(
        # "Organization Name" (or "Organization 1 - Name") is Google Contacts' employer.
        ("company", "organization", "organisation", "employer", "companyname", "organizationname"),
        "company",
    ),
    **dict.fromkeys(("role", "title", "position", "jobtitle", "organizationtitle"), "role"),
    **dict.fromkeys(
        ("linkedin", "linkedinurl", "linkedinprofile", "linkedinprofileurl"), "linkedin_url"
    ),
    **dict.fromkeys(("url", "profileurl", "website", "web"), "url"),
    **dict.fromkeys(("tags", "tag", "labels", "categories", "groups"), "tags"),
    **dict.fromkeys(("howmet", "howwemet", "metthrough", "source"), "how_met"),
    **dict.fromkeys(("referredby", "referrer", "introducedby", "referral"), "referred_by"),
    "connectedon": "connected_on",
    # "Notes" is Google Contacts' and Outlook's CSV header; each cell is one note event,
    # as a vCard NOTE is (never split at ';' or ',', which are the note's own punctuation).
    **dict.fromkeys(("notes", "note", "comments", "comment"), "notes"),
}
LINKEDIN_COLUMNS: dict[str, str] = {
    "firstname": "first_name",
    "lastname": "last_name",
    "url": "linkedin_url",
    "profileurl": "linkedin_url",
    "emailaddress": "emails",
    "email": "emails",
    "company": "company",
    "position": "role",
    "connectedon": "connected_on",
}
_MULTI = {"emails", "tags", "notes"}
_ALL_FIELDS = frozenset(CSV_COLUMNS.values())
_SHOWN = {
    "first_name": "name (first part)",
    "middle_name": "name (middle part)",
    "last_name": "name (last part)",
    "url": "linkedin_url (LinkedIn addresses only)",
}
ACCEPTED_NAME_COLUMNS = "Name, Full Name, or First Name and Last Name"


@dataclass(frozen=True)
class _Columns:
    index: dict[str, list[int]]  # field -> column positions
    mapping: dict[str, str]
    width: int
    at: dict[str, int]  # field -> its first column; a missing one points past the last


def _map_columns(header: list[str], table: dict[str, str]) -> _Columns:
    index: dict[str, list[int]] = {}
    mapping: dict[str, str] = {}
    for position, title in enumerate(header):
        target = table.get(_header_key(title))
        if target and (target in _MULTI or target not in index):
            index.setdefault(target, []).append(position)
            mapping[title.strip()] = _SHOWN.get(target, target)
        elif title.strip():
            mapping.setdefault(title.strip(), IGNORED)
    width = len(header)
    at = {name: index.get(name, [width])[0] for name in _ALL_FIELDS}
    return _Columns(index, mapping, width, at)


def _row(columns: _Columns, line: int, cells: list[str], how_met: str) -> ParsedRow:
    width = columns.width
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        raise BadRow(
            f"{len(cells)} fields but the header has {width}; put a value "
            f"that contains a comma in double quotes"
        )
    # Pad short rows; the extra "" at index `width` is where missing fields point.
    cells = cells[:width] + [""] * (width + 1 - min(len(cells), width))
    at = columns.at

    def many(name: str) -> list[str]:
        return [item for i in columns.index.get(name, []) for item in split_list(cells[i])]

    name = cells[at["name"]].strip() or " ".join(
        part.strip()
        for part in (cells[at["first_name"]], cells[at["middle_name"]], cells[at["last_name"]])
        if part.strip()
    )
    url = cells[at["linkedin_url"]]
    if not url.strip() and cells[at["url"]].strip() and is_linkedin_url(cells[at["url"]]):
        url = cells[at["url"]]
    contact = make_contact(
        name=name,
        emails=many("emails"),
        company=cells[at["company"]],
        role=cells[at["role"]],
        linkedin_url=url,
        tags=many("tags"),
        how_met=cells[at["how_met"]] or how_met,
        connected_on=parse_connected_on(cells[at["connected_on"]]),
    )
    referrer = cells[at["referred_by"]].strip()
    if LINE_BREAK.search(referrer):
        raise BadRow("the referred-by value contains a line break")
    notes = clean_notes(cells[i] for i in columns.index.get("notes", []))
    return ParsedRow(line, contact, referrer, notes)


def _parse_table(
    path: Path, kind: str, records: Iterator[tuple[int, list[str]]], columns: _Columns, how_met: str
) -> ParsedFile:
    rows: list[ParsedRow] = []
    problems: list[RowProblem] = []
    with bulk():
        for line, cells in records:
            try:
                rows.append(_row(columns, line, cells, how_met))
            except BadRow as bad:
                problems.append(RowProblem(line, str(bad)))
    return ParsedFile(Path(path), kind, rows, problems, columns.mapping)


def parse_linkedin(path: Path) -> ParsedFile:
    """LinkedIn's Connections.csv, whatever the length of its `Notes:` preamble."""
    path = Path(path)
    records = _records(path, read_text(path, "LinkedIn's Connections.csv"))
    for _, cells in records:
        # The preamble's length has changed between exports; the header row has not.
        keys = {_header_key(cell) for cell in cells}
        if {"firstname", "lastname"} <= keys:
            columns = _map_columns(cells, LINKEDIN_COLUMNS)
            return _parse_table(path, "linkedin", records, columns, "LinkedIn")
    raise ImportFileError(
        f"{path}: no header row with 'First Name' and 'Last Name', so this is not LinkedIn's "
        f"Connections.csv; download it from LinkedIn (Settings, Data privacy, Get a copy of "
        f"your data, Connections) or import another spreadsheet with `coffeechat import csv`"
    )


def parse_csv(path: Path) -> ParsedFile:
    """A spreadsheet saved as CSV; columns are matched by their header names."""
    path = Path(path)
    text = read_text(path, "a CSV file")
    records = _records(path, text, _guess_delimiter(text))
    header = next(records, None)
    if header is None:
        raise ImportFileError(f"{path}: empty; export the spreadsheet as CSV with a header row")
    columns = _map_columns(header[1], CSV_COLUMNS)
    if not {"name", "first_name", "last_name"} & columns.index.keys():
        found = ", ".join(repr(title) for title in header[1]) or "none"
        hint = (
            " (this looks like LinkedIn's export: use `coffeechat import linkedin`)"
            if header[1][0].strip().lower().startswith("notes")
            else ""
        )
        raise ImportFileError(
            f"{path}: no name column{hint}; columns found: {found}; rename one of them to "
            f"{ACCEPTED_NAME_COLUMNS}"
        )
    return _parse_table(path, "csv", records, columns, "")
