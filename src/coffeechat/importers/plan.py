"""Planning an import: each good row becomes add, merge or unchanged; nothing is written.

A row matches a contact by any of its addresses, else by LinkedIn URL, else (when it has
neither) by a unique name. Names compare as `coffeechat show` compares them, case and
accents aside (`fold`): "Jose Alvarez" in a file is the José Álvarez already stored, not a
second one. A merge fills empty fields and adds new addresses, tags and notes; it never
overwrites what the user has, the name's spelling included. Rows of one file that match
merge into one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from coffeechat.importers.rows import (
    BadRow,
    ParsedFile,
    ParsedRow,
    bulk,
    check_address,
    normalize_linkedin_url,
)
from coffeechat.models import NewContact
from coffeechat.store import Store, fold

FILLABLE = ("company", "role", "linkedin_url", "how_met", "connected_on")


@dataclass(frozen=True)
class PlannedRow:
    """What one good row of the file does: add | merge | unchanged."""

    line: int
    action: str
    name: str
    contact_id: int | None = None  # the existing contact it matched
    same_as_line: int | None = None  # the earlier row of this file it matched
    matched_by: str = ""  # "email address" | "LinkedIn URL" | "name"
    changes: tuple[str, ...] = ()  # what a merge fills in or adds
    notes: tuple[str, ...] = ()
    spelled: str = ""  # the row's name, when it matched by name but is written otherwise


@dataclass(frozen=True)
class PlannedAdd:
    line: int
    contact: NewContact
    referrer_line: int | None = None  # referred by a contact this import adds (its line)
    contact_notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedUpdate:
    contact_id: int
    name: str
    values: dict[str, Any]  # only fields that were empty (and the tag list, extended)
    new_emails: tuple[str, ...]
    lines: tuple[int, ...]
    referrer_line: int | None = None
    new_notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportSummary:
    added: int
    merged: int
    unchanged: int
    skipped: int


@dataclass(frozen=True)
class ImportPlan:
    parsed: ParsedFile
    rows: tuple[PlannedRow, ...]
    adds: tuple[PlannedAdd, ...]
    updates: tuple[PlannedUpdate, ...]

    def summary(self) -> ImportSummary:
        """The counts this plan would produce, bad rows counted as skipped."""
        actions = [row.action for row in self.rows]
        return ImportSummary(
            actions.count("add"),
            actions.count("merge"),
            actions.count("unchanged"),
            len(self.parsed.problems),
        )

    def notes(self) -> list[str]:
        """`file:line: note` for rows with something to say (an address left out, a
        referrer not found, a namesake): worth showing after a real import too."""
        file = self.parsed.path.name
        return [f"{file}:{row.line}: {note}" for row in self.rows for note in row.notes]

    def lines(self) -> Iterator[str]:
        """One human line per good row, then the totals: what `--dry-run` prints."""
        file = self.parsed.path.name
        for row in self.rows:
            yield f"{file}:{row.line}: {_describe(row)}"
        counts = self.summary()
        bad = f", {counts.skipped} bad row(s)" if counts.skipped else ""
        yield (
            f"{file}: would add {counts.added}, merge {counts.merged}, "
            f"leave {counts.unchanged} unchanged{bad}"
        )


def _describe(row: PlannedRow) -> str:
    if row.action == "add":
        text = f"add {row.name}"
    else:
        who = (
            f"{row.name} (id {row.contact_id})"
            if row.contact_id is not None
            else f"{row.name} (line {row.same_as_line})"
        )
        # A match across spellings is the one a reader could doubt: show the row's own.
        via = (
            f"{row.matched_by} {row.spelled!r} (the contact keeps its spelling)"
            if row.spelled
            else row.matched_by
        )
        text = (
            f"merge into {who}, matched by {via}: adds {', '.join(row.changes)}"
            if row.action == "merge"
            else f"unchanged, already {who}, matched by {via}"
        )
    return "; ".join([text, *row.notes])


@dataclass(eq=False)
class _Target:
    """One person while planning: an existing contact, or a new one from this file."""

    contact_id: int | None
    line: int
    name: str
    values: dict[str, str]
    tags: list[str]
    emails: list[str]
    referred_by: int | None
    referrer: str = ""
    referrer_row: _RowDraft | None = None
    referrer_target: _Target | None = None
    filled: dict[str, Any] = field(default_factory=dict)
    added_emails: list[str] = field(default_factory=list)
    # Every note the contact has or will have, so a re-import does not repeat one.
    contact_notes: set[str] = field(default_factory=set)
    added_notes: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    contact: NewContact | None = None  # a new target's row, while no other row merged in

    def label(self) -> str:
        return (
            f"{self.name} (id {self.contact_id})"
            if self.contact_id is not None
            else f"{self.name} (line {self.line})"
        )


@dataclass(eq=False)
class _RowDraft:
    row: ParsedRow
    target: _Target
    action: str
    matched_by: str = ""
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def planned(self) -> PlannedRow:
        target = self.target
        if self.action == "add":
            return PlannedRow(self.row.line, "add", target.name, notes=tuple(self.notes))
        return PlannedRow(
            self.row.line,
            "merge" if self.changes else "unchanged",
            target.name,
            target.contact_id,
            target.line if target.contact_id is None else None,
            self.matched_by,
            tuple(self.changes),
            tuple(self.notes),
            self.row.contact.name
            if self.matched_by == "name" and self.row.contact.name != target.name
            else "",
        )


_Key = int | _Target  # an existing contact's id (loaded on first use) or a planned target


class _Planner:
    """Matches rows against one preload of the database: no query per row (30,000 rows)."""

    def __init__(self, store: Store) -> None:
        db = store.db
        self.rows: dict[int, tuple[Any, ...]] = {}
        self.by_email: dict[str, _Key] = {}
        self.by_url: dict[str, _Key] = {}
        self.by_name: dict[str, list[_Key]] = {}  # fold(name) -> contacts and new targets
        for row in db.execute(
            "SELECT id, name, company, role, linkedin_url, how_met, connected_on, tags,"
            " referred_by FROM contacts"
        ):
            self.rows[row[0]] = row
            if row[4]:
                self.by_url.setdefault(normalize_linkedin_url(row[4]), row[0])
            self.by_name.setdefault(fold(row[1]), []).append(row[0])
        for address, contact_id in db.execute("SELECT address, contact_id FROM emails"):
            self.by_email[address] = contact_id
        self.notes: dict[int, set[str]] = {}
        for contact_id, detail in db.execute(
            "SELECT contact_id, detail FROM events WHERE kind = 'note'"
        ):
            self.notes.setdefault(contact_id, set()).add(detail)
        self.existing: dict[int, _Target] = {}
        self.new: list[_Target] = []
        self.drafts: list[_RowDraft | PlannedRow] = []

    def target(self, key: _Key) -> _Target:
        if isinstance(key, _Target):
            return key
        if key not in self.existing:
            _, name, company, role, url, how_met, connected_on, tags, referred_by = self.rows[key]
            values = {
                "company": company,
                "role": role,
                "linkedin_url": url,
                "how_met": how_met,
                "connected_on": connected_on,
            }
            self.existing[key] = _Target(
                key,
                0,
                name,
                {k: v or "" for k, v in values.items()},
                list(json.loads(tags or "[]")),
                [],
                referred_by,
                contact_notes=set(self.notes.get(key, ())),
            )
        return self.existing[key]

    def take(self, row: ParsedRow) -> None:
        new = row.contact
        keys: list[tuple[_Key, str]] = []
        for address in new.emails:
            key = self.by_email.get(address)
            if key is not None:
                keys.append((key, "email address"))
        key = self.by_url.get(new.linkedin_url) if new.linkedin_url else None
        if key is not None:
            keys.append((key, "LinkedIn URL"))
        if keys and self.adds_nothing(row, keys):
            key, via = keys[0]
            assert isinstance(key, int)
            self.drafts.append(
                PlannedRow(row.line, "unchanged", self.rows[key][1], key, matched_by=via)
            )
            return
        found: list[tuple[_Target, str]] = []
        for key, via in keys:
            target = self.target(key)
            if all(target is not t for t, _ in found):
                found.append((target, via))
        if not found and not new.emails and not new.linkedin_url:
            # Nothing else identifies the row; a unique name does, so that
            # re-importing a names-only spreadsheet does not double everyone.
            same = self.by_name.get(fold(new.name), [])
            if len(same) == 1:
                found.append((self.target(same[0]), "name"))
        if not found:
            self.add(row)
            return
        target, via = found[0]
        draft = _RowDraft(row, target, "merge", via)
        draft.notes.extend(
            f"also matches {other.label()}, not merged with it" for other, _ in found[1:]
        )
        self.absorb(draft)
        self.drafts.append(draft)

    def adds_nothing(self, row: ParsedRow, keys: list[tuple[_Key, str]]) -> bool:
        """The common re-import case, decided on the preloaded row without building a target:
        the row matches one existing contact untouched so far and brings nothing new."""
        key = keys[0][0]
        new = row.contact
        if (
            not isinstance(key, int)
            or key in self.existing
            or any(other is not key for other, _ in keys)
            or len(keys) < len(new.emails) + bool(new.linkedin_url)
        ):
            return False
        _, _, company, role, url, how_met, connected_on, tags, referred_by = self.rows[key]
        if (
            (new.company and not company)
            or (new.role and not role)
            or (new.linkedin_url and not url)
            or (new.how_met and not how_met)
            or (new.connected_on and not connected_on)
            or (row.referrer and referred_by is None)
            or not self.notes.get(key, set()).issuperset(row.contact_notes)
        ):
            return False
        known = {tag.casefold() for tag in json.loads(tags or "[]")} if new.tags else set()
        return all(tag.casefold() in known for tag in new.tags)

    def add(self, row: ParsedRow) -> None:
        new = row.contact
        target = _Target(
            None,
            row.line,
            new.name,
            {name: getattr(new, name) for name in FILLABLE},
            list(new.tags),
            list(new.emails),
            None,
            row.referrer,
        )
        target.lines.append(row.line)
        target.contact = new
        target.added_notes = list(dict.fromkeys(row.contact_notes))
        target.contact_notes = set(target.added_notes)
        draft = _RowDraft(row, target, "add")
        target.referrer_row = draft
        name_key = fold(new.name)
        namesakes = self.by_name.get(name_key, [])
        if namesakes:
            # A different address and no match otherwise: maybe another person, maybe not.
            # Named as stored, which may be spelled otherwise than this row.
            first = namesakes[0]
            label = (
                first.label()
                if isinstance(first, _Target)
                else f"{self.rows[first][1]} (id {first})"
            )
            draft.notes.append(f"same name as {label}")
        for address in new.emails:
            self.by_email[address] = target
        if new.linkedin_url:
            self.by_url.setdefault(new.linkedin_url, target)
        self.by_name.setdefault(name_key, []).append(target)
        self.new.append(target)
        self.drafts.append(draft)

    def absorb(self, draft: _RowDraft) -> None:
        """Fill the target's empty fields from the row; never overwrite what is there."""
        target, new = draft.target, draft.row.contact
        target.lines.append(draft.row.line)
        target.contact = None
        for name in FILLABLE:
            value = getattr(new, name)
            if not value or target.values[name]:
                continue
            owner = self.by_url.get(value) if name == "linkedin_url" else None
            if owner is not None and self.target(owner) is not target:
                draft.notes.append(f"{value} belongs to {self.target(owner).label()}, left out")
                continue
            if name == "linkedin_url":
                self.by_url[value] = target
            target.values[name] = target.filled[name] = value
            draft.changes.append(name)
        for address in new.emails:
            owner = self.by_email.get(address)
            if owner is None:
                self.by_email[address] = target
                target.emails.append(address)
                target.added_emails.append(address)
                draft.changes.append(f"address {address}")
            elif self.target(owner) is not target:
                draft.notes.append(f"{address} belongs to {self.target(owner).label()}, left out")
        known = {tag.casefold() for tag in target.tags}
        tags = [tag for tag in new.tags if tag.casefold() not in known]
        if tags:
            target.tags.extend(tags)
            target.filled["tags"] = list(target.tags)
            draft.changes.append("tags " + ", ".join(tags))
        notes = [
            note
            for note in dict.fromkeys(draft.row.contact_notes)
            if note not in target.contact_notes
        ]
        if notes:
            target.contact_notes.update(notes)
            target.added_notes.extend(notes)
            draft.changes.append("note" if len(notes) == 1 else f"{len(notes)} notes")
        if draft.row.referrer and target.referred_by is None and not target.referrer:
            target.referrer, target.referrer_row = draft.row.referrer, draft

    def resolve_referrers(self) -> None:
        for target in [*self.existing.values(), *self.new]:
            draft = target.referrer_row
            if not target.referrer or draft is None:
                continue
            referrer, problem = self.find(target.referrer)
            if referrer is None or referrer is target:
                draft.notes.append(
                    problem or f"referred by {target.referrer!r}: the same person, left empty"
                )
                continue
            if referrer.contact_id is not None:
                target.referred_by = referrer.contact_id
            else:
                target.referrer_target = referrer
            if target.contact_id is not None:
                target.filled["referred_by"] = referrer.contact_id
                draft.changes.append(f"referred_by {referrer.label()}")

    def find(self, text: str) -> tuple[_Target | None, str]:
        if "@" in text:
            try:
                key: _Key | None = self.by_email.get(check_address(text))
            except BadRow:
                key = None
            if key is None:
                return None, f"referred by {text!r}: no contact has that address, left empty"
            return self.target(key), ""
        same = self.by_name.get(fold(text.strip()), [])
        if len(same) != 1:
            how = "no contact" if not same else f"{len(same)} contacts"
            return None, f"referred by {text!r}: {how} by that name, left empty"
        return self.target(same[0]), ""

    def plan(self, parsed: ParsedFile) -> ImportPlan:
        for row in parsed.rows:
            self.take(row)
        self.resolve_referrers()
        rows = tuple(d if isinstance(d, PlannedRow) else d.planned() for d in self.drafts)
        adds = tuple(
            PlannedAdd(
                t.line,
                t.contact
                if t.contact and t.referred_by is None
                else NewContact(
                    name=t.name,
                    emails=tuple(t.emails),
                    tags=tuple(t.tags),
                    referred_by=t.referred_by,
                    **t.values,
                ),
                t.referrer_target.line if t.referrer_target else None,
                tuple(t.added_notes),
            )
            for t in self.new
        )
        updates = tuple(
            PlannedUpdate(
                t.contact_id,
                t.name,
                dict(t.filled),
                tuple(t.added_emails),
                tuple(t.lines),
                t.referrer_target.line if t.referrer_target else None,
                tuple(t.added_notes),
            )
            for t in self.existing.values()
            if t.contact_id is not None and (t.filled or t.added_emails or t.added_notes)
        )
        return ImportPlan(parsed, rows, adds, updates)


def plan_import(store: Store, parsed: ParsedFile) -> ImportPlan:
    """Decide add / merge / unchanged for every good row; reads the store, changes nothing.

    A row matches a contact by any of its addresses, else by LinkedIn URL, else (when it has
    neither) by a unique name, case and accents aside. Rows of the same file that match merge
    into one.
    """
    with bulk():
        return _Planner(store).plan(parsed)
