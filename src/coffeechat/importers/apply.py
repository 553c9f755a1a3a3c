"""Applying a plan: one transaction, all or nothing, bulk statements for big files."""

from __future__ import annotations

import json
import sqlite3

from coffeechat.errors import ImportFileError
from coffeechat.importers.plan import FILLABLE, ImportPlan, ImportSummary, PlannedAdd, PlannedUpdate
from coffeechat.importers.rows import MAX_LISTED_PROBLEMS, ParsedFile
from coffeechat.pipeline import Stage
from coffeechat.store import Store, as_utc


def problems_message(parsed: ParsedFile) -> str:
    file = parsed.path.name
    listed = "; ".join(
        f"{file}:{p.line}: {p.message}" for p in parsed.problems[:MAX_LISTED_PROBLEMS]
    )
    more = len(parsed.problems) - MAX_LISTED_PROBLEMS
    more_text = f"; and {more} more" if more > 0 else ""
    return (
        f"{file} has {len(parsed.problems)} bad row(s): {listed}{more_text}; fix them or "
        f"pass --skip-bad to import the other rows (nothing was imported)"
    )


def apply_import(
    store: Store, plan: ImportPlan, *, skip_bad: bool, now: str | None = None
) -> ImportSummary:
    """Write the plan in one transaction. Bad rows stop everything unless skip_bad."""
    parsed = plan.parsed
    if parsed.problems and not skip_bad:
        raise ImportFileError(problems_message(parsed))
    at = as_utc(now)
    cause = f"import {parsed.kind} {parsed.path.name}"
    try:
        with store.transaction():
            ids = _insert_new(store, plan.adds, at, cause)
            _merge_existing(store, plan.updates, ids, at, cause, parsed.path.name)
    except sqlite3.IntegrityError as err:
        raise ImportFileError(
            f"{parsed.path}: the database changed while importing ({err}); nothing was "
            f"imported; run the import again"
        ) from err
    return plan.summary()


# The two writers below are Store.add_contact and a merge done in bulk: the same rows
# and the same "stage" event, but with executemany, because 30,000 contacts through
# add_contact take seconds (sqlite-utils inspects the table on each insert).


def _insert_new(store: Store, adds: tuple[PlannedAdd, ...], at: str, cause: str) -> dict[int, int]:
    """Insert the new contacts; return {line in the file: contact id}."""
    conn = store.db.conn
    first = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM contacts").fetchone()[0]
    ids = {add.line: first + offset for offset, add in enumerate(adds)}
    stage = Stage.IDENTIFIED.value
    conn.executemany(
        "INSERT INTO contacts (id, name, company, role, linkedin_url, tags, how_met,"
        " connected_on, referred_by, stage, created, updated)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                ids[a.line],
                a.contact.name,
                a.contact.company,
                a.contact.role,
                a.contact.linkedin_url,
                json.dumps(list(a.contact.tags), ensure_ascii=False),
                a.contact.how_met,
                a.contact.connected_on,
                a.contact.referred_by,
                stage,
                at,
                at,
            )
            for a in adds
        ],
    )
    conn.executemany(
        "INSERT INTO emails (address, contact_id, position, undeliverable) VALUES (?, ?, ?, 0)",
        [
            (address, ids[a.line], position)
            for a in adds
            for position, address in enumerate(a.contact.emails)
        ],
    )
    conn.executemany(
        "INSERT INTO events (contact_id, at, kind, from_stage, to_stage, detail, cause, extra)"
        " VALUES (?, ?, 'stage', NULL, ?, 'contact added', ?, '{}')",
        [(ids[a.line], at, stage, cause) for a in adds],
    )
    _insert_notes(conn, [(ids[a.line], note) for a in adds for note in a.contact_notes], at, cause)
    # Referrers added by this same import get their ids only now.
    conn.executemany(
        "UPDATE contacts SET referred_by = ? WHERE id = ?",
        [(ids[a.referrer_line], ids[a.line]) for a in adds if a.referrer_line is not None],
    )
    return ids


def _insert_notes(
    conn: sqlite3.Connection, notes: list[tuple[int, str]], at: str, cause: str
) -> None:
    """The same `note` events `coffeechat note` writes, caused by the import."""
    conn.executemany(
        "INSERT INTO events (contact_id, at, kind, from_stage, to_stage, detail, cause, extra)"
        " VALUES (?, ?, 'note', NULL, NULL, ?, ?, '{}')",
        [(contact_id, at, note, cause) for contact_id, note in notes],
    )


_COLUMNS = frozenset({*FILLABLE, "tags", "referred_by"})


def _merge_existing(
    store: Store,
    updates: tuple[PlannedUpdate, ...],
    ids: dict[int, int],
    at: str,
    cause: str,
    file: str,
) -> None:
    if not updates:
        return
    conn = store.db.conn
    last = dict(conn.execute("SELECT contact_id, MAX(position) FROM emails GROUP BY contact_id"))
    for update in updates:
        values = dict(update.values)
        if update.referrer_line is not None:
            values["referred_by"] = ids[update.referrer_line]
        if "tags" in values:
            values["tags"] = json.dumps(values["tags"], ensure_ascii=False)
        assert set(values) <= _COLUMNS  # column names below come from this set only
        assignments = "".join(f"{column} = ?, " for column in values)
        conn.execute(
            f"UPDATE contacts SET {assignments}updated = ? WHERE id = ?",
            [*values.values(), at, update.contact_id],
        )
        start = last.get(update.contact_id, -1) + 1
        conn.executemany(
            "INSERT INTO emails (address, contact_id, position, undeliverable) VALUES (?, ?, ?, 0)",
            [(a, update.contact_id, start + i) for i, a in enumerate(update.new_emails)],
        )
        _insert_notes(conn, [(update.contact_id, note) for note in update.new_notes], at, cause)
        what = [*(k for k in update.values if k != "tags"), *update.new_emails]
        if "tags" in update.values:
            what.append("tags")
        if update.new_notes:
            what.append("notes")
        lines = ", ".join(str(line) for line in update.lines)
        conn.execute(
            "INSERT INTO events (contact_id, at, kind, from_stage, to_stage, detail, cause,"
            " extra) VALUES (?, ?, 'import', NULL, NULL, ?, ?, ?)",
            [
                update.contact_id,
                at,
                f"merged from {file} line {lines}: {', '.join(what)}",
                cause,
                json.dumps({"lines": list(update.lines), "filled": list(what)}),
            ],
        )
