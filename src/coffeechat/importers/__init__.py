"""Contacts from LinkedIn's Connections.csv, any CSV spreadsheet, or vCard files.

Three steps, so that `--dry-run` shows exactly what an import would do:
`parse(kind, path)` reads a file into rows and per-row problems (rows.py, tables.py,
vcard.py); `plan_import(store, parsed)` decides, row by row, add / merge / unchanged
against the database (plan.py); `apply_import(store, plan, skip_bad=...)` writes the plan
in one transaction, all or nothing (apply.py). Every problem carries the physical line
where its record starts, so the user can open the file at that line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from coffeechat.errors import ImportFileError
from coffeechat.importers.apply import apply_import, problems_message
from coffeechat.importers.plan import (
    ImportPlan,
    ImportSummary,
    PlannedAdd,
    PlannedRow,
    PlannedUpdate,
    plan_import,
)
from coffeechat.importers.rows import (
    IGNORED,
    KINDS,
    ParsedFile,
    ParsedRow,
    RowProblem,
    normalize_linkedin_url,
)
from coffeechat.importers.tables import parse_csv, parse_linkedin
from coffeechat.importers.vcard import parse_vcard

__all__ = [
    "IGNORED",
    "KINDS",
    "ImportPlan",
    "ImportSummary",
    "ParsedFile",
    "ParsedRow",
    "PlannedAdd",
    "PlannedRow",
    "PlannedUpdate",
    "RowProblem",
    "apply_import",
    "normalize_linkedin_url",
    "parse",
    "parse_csv",
    "parse_linkedin",
    "parse_vcard",
    "plan_import",
    "problems_message",
]

PARSERS: dict[str, Callable[[Path], ParsedFile]] = {
    "linkedin": parse_linkedin,
    "csv": parse_csv,
    "vcard": parse_vcard,
}


def parse(kind: str, path: Path) -> ParsedFile:
    """Read `path` as a `kind` file (linkedin, csv or vcard)."""
    try:
        parser = PARSERS[kind]
    except KeyError:
        raise ImportFileError(
            f"unknown import kind {kind!r}; choose one of: {', '.join(KINDS)}"
        ) from None
    return parser(Path(path))
