"""The Store: every read and write of the contact database, in one place (WAL, sqlite3).

Every stage change goes through `Store.move`, which checks the pipeline and writes the
event row in the same transaction, so a contact's timeline always explains its stage.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coffeechat import pipeline
from coffeechat.errors import (
    AmbiguousContact,
    ContactNotFound,
    StoreError,
    UsageMistake,
    UserError,
)
from coffeechat.models import Contact, Event, NewContact
from coffeechat.pipeline import Stage
from coffeechat.store.migrations import migrate, pending_migrations
from coffeechat.store.values import as_utc, fold, normalize_email, normalize_name, now_iso

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 10_000
# Kinds of recorded message that are not part of the conversation a follow-up answers.
# Timeline events that hold what the user wrote down about a contact (notes and advice).
NOTE_KINDS = ("note", "meeting-notes", "advice")
NOT_CONVERSATION = ("auto-reply", "bounce", "itip-reply", "invitation", "cancellation")


def is_read_only(err: BaseException) -> bool:
    """True for sqlite's SQLITE_READONLY and its extended codes (e.g. READONLY_CANTINIT)."""
    code = getattr(err, "sqlite_errorcode", None)
    return isinstance(err, sqlite3.Error) and code is not None and code & 0xFF == 8


def read_only_error(path: Path) -> StoreError:
    """What to do when sqlite may not write: the file, its WAL files or the folder.

    WAL mode writes `-wal` and `-shm` beside the database, and sqlite creates them with
    the database's permissions at that moment: after a `chmod u+w` of the file alone they
    can stay read-only, so the fix names all of them and the folder.
    """
    return StoreError(
        f"{path}: cannot write the database (read-only); make it, its -wal and -shm files "
        f"and its folder writable by you: `chmod u+w {path.parent} {path}*`"
    )


class Store:
    """All reads and writes of the database. Create with `Store.open(path)`.

    Reads go straight to sqlite3; sqlite-utils, which takes ~150 ms to import (it loads
    numpy when present), is imported only by the first write (`Store.db`), so that
    `coffeechat list` stays fast.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path | None = None) -> None:
        self.conn = conn
        self.path = path
        self._db: sqlite_utils.Database | None = None

    @property
    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn)
        return self._db

    def _query(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Store:
        if not path.exists():
            if not create:
                raise StoreError(f"{path}: no database yet; run `coffeechat init` first")
            path.parent.mkdir(parents=True, exist_ok=True)
            # Create it readable by the user only before sqlite writes a byte into it:
            # it holds names, addresses and notes about real people.
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            store = cls(conn, path)
            if pending_migrations(conn):
                migrate(store.db)
        except sqlite3.DatabaseError as err:
            if is_read_only(err):
                raise read_only_error(path) from err
            raise StoreError(
                f"{path}: not a coffeechat database ({err}); move it away or set "
                f"paths.database to another file"
            ) from err
        return store

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit; nested calls join the outer transaction."""
        conn = self.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def relaxed_durability(self) -> Iterator[None]:
        """Commits inside do not wait for the disk (WAL with `synchronous = NORMAL`).

        For writes the next run would make again from the mailbox, such as a scan's
        batches: each commit stays atomic and the database consistent, and a power cut
        may only undo the last few, cursor included, so the next scan reads those
        messages again. A first scan commits about a hundred batches, and each fsync
        costs ~0.2 ms on this machine's disk and several ms on many laptops'.
        Everything the user types is written with the default, durable, setting.
        """
        conn = self.conn
        (before,) = conn.execute("PRAGMA synchronous").fetchone()
        conn.execute("PRAGMA synchronous = NORMAL")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA synchronous = {int(before)}")

    # ------------------------------------------------------------ contacts

    def add_contact(
        self,
        new: NewContact,
        *,
        stage: Stage = Stage.IDENTIFIED,
        cause: str = "add",
        at: str | None = None,
    ) -> Contact:
        at = as_utc(at)
        with self.transaction():
            for address in new.emails:
                self._ensure_address_free(address)
            table = self.db.table("contacts")
            table.insert(
                {
                    "name": normalize_name(new.name),
                    "company": new.company,
                    "role": new.role,
                    "linkedin_url": new.linkedin_url,
                    "tags": json.dumps(list(new.tags)),
                    "how_met": new.how_met,
                    "connected_on": new.connected_on,
                    "referred_by": new.referred_by,
                    "stage": stage.value,
                    "created": at,
                    "updated": at,
                }
            )
            contact_id = int(table.last_pk or 0)
            self._add_addresses(contact_id, new.emails)
            self.add_event(contact_id, "stage", None, stage.value, "contact added", cause, at=at)
        return self.get(contact_id)

    def _ensure_address_free(self, address: str) -> None:
        owner = self.contact_id_for_email(address)
        if owner is not None:
            name = self.get(owner).name
            raise UserError(
                f"{address} already belongs to {name} (id {owner}); use `coffeechat show {owner}`"
            )

    def _add_addresses(
        self, contact_id: int, addresses: Iterable[str], *, backfilled: bool = False
    ) -> None:
        start = self.conn.execute(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM emails WHERE contact_id = ?",
            [contact_id],
        ).fetchone()[0]
        for offset, address in enumerate(addresses):
            self.db.table("emails").insert(
                {
                    "address": normalize_email(address),
                    "contact_id": contact_id,
                    "position": start + offset,
                    "undeliverable": 0,
                    "backfilled": int(backfilled),
                },
                ignore=True,
            )

    def add_email(self, contact_id: int, address: str, *, backfilled: bool = False) -> None:
        """Give a contact another address. `backfilled`: no need to look up its earlier
        mail (a scan learning it from the message it reads)."""
        owner = self.contact_id_for_email(address)
        if owner == contact_id:
            return
        with self.transaction():
            self._ensure_address_free(address)
            self._add_addresses(contact_id, [address], backfilled=backfilled)
            self._touch(contact_id)

    def addresses_to_backfill(self) -> list[str]:
        """Addresses whose mail of the backfill window no scan has read with them known:
        contacts and addresses added since (see sync.scan_folders)."""
        rows = self.conn.execute("SELECT address FROM emails WHERE backfilled = 0 ORDER BY address")
        return [row[0] for row in rows]

    def mark_backfilled(self, addresses: Iterable[str]) -> None:
        self.conn.executemany(
            "UPDATE emails SET backfilled = 1 WHERE address = ?", [(a,) for a in addresses]
        )

    def remove_email(self, contact_id: int, address: str) -> None:
        """Forget one of a contact's addresses (a wrong one, or one learned from a thread
        that was not theirs); mail already recorded keeps its events."""
        if self.contact_id_for_email(address) != contact_id:
            contact = self.get(contact_id)
            owned = ", ".join(contact.emails) or "none"
            raise UserError(f"{address} is not an address of {contact.name} (theirs: {owned})")
        with self.transaction():
            self.conn.execute("DELETE FROM emails WHERE address = ?", [normalize_email(address)])
            self._touch(contact_id)

    def update_contact(self, contact_id: int, **values: Any) -> None:
        if "name" in values:
            values["name"] = normalize_name(values["name"])
        if "tags" in values:
            values["tags"] = json.dumps(list(values["tags"]))
        values["updated"] = now_iso()
        self.db.table("contacts").update(contact_id, values)

    def _touch(self, contact_id: int, at: str | None = None) -> None:
        self.db.table("contacts").update(contact_id, {"updated": as_utc(at)})

    def mark_undeliverable(self, address: str) -> None:
        self.conn.execute(
            "UPDATE emails SET undeliverable = 1 WHERE address = ?", [normalize_email(address)]
        )

    def get(self, contact_id: int) -> Contact:
        found = self._select_contacts("WHERE id = ?", [contact_id])
        if not found:
            raise ContactNotFound(f"no contact with id {contact_id}; run `coffeechat list`")
        return found[0]

    def contacts(self, stage: Stage | None = None) -> list[Contact]:
        if stage is None:
            return self._select_contacts()
        return self._select_contacts("WHERE stage = ?", [stage.value])

    def followed_up(self, stage: Stage) -> list[Contact]:
        """The contacts in `stage` sent a follow-up, by mail or as logged by hand."""
        return self._select_contacts(
            "WHERE stage = ? AND (EXISTS (SELECT 1 FROM messages m WHERE m.contact_id = "
            "contacts.id AND m.direction = 'sent' AND m.kind = 'follow-up') OR EXISTS "
            "(SELECT 1 FROM events e WHERE e.contact_id = contacts.id AND e.kind = 'follow-up'))",
            [stage.value],
        )

    def listing(self, stage: Stage | None = None) -> list[tuple[str, str, str, str, str, str]]:
        """`coffeechat list`'s columns for each contact: id, name, company, role, stage and
        `Contact.email` (the first deliverable address, else the first), in id order.

        Asked of SQL directly: building 10,000 Contacts took ~150 ms of a 300 ms budget.
        """
        where, params = ("WHERE c.stage = ?", [stage.value]) if stage else ("", [])
        rows = self.conn.execute(
            "SELECT CAST(c.id AS TEXT), c.name, coalesce(c.company, ''), coalesce(c.role, ''),"
            " c.stage, coalesce((SELECT e.address FROM emails e WHERE e.contact_id = c.id"
            "                    ORDER BY e.undeliverable, e.position LIMIT 1), '')"
            f" FROM contacts c {where} ORDER BY c.id",
            params,
        )
        return rows.fetchall()

    def _contacts(self, rows: Sequence[Mapping[str, Any]]) -> list[Contact]:
        """Rows to Contacts, with all their addresses read in one query."""
        addresses: dict[int, list[tuple[str, bool]]] = {}
        if rows:
            ids = [row["id"] for row in rows]
            marks = ",".join("?" * len(ids)) if len(ids) < 900 else None
            sql = "SELECT contact_id, address, undeliverable FROM emails"
            params: list[Any] = []
            if marks:
                sql += f" WHERE contact_id IN ({marks})"
                params = ids
            for cid, address, bad in self.conn.execute(sql + " ORDER BY position", params):
                addresses.setdefault(cid, []).append((address, bool(bad)))
        none: tuple[str, ...] = ()
        emails = {cid: tuple(a for a, _ in found) for cid, found in addresses.items()}
        bad = {cid: tuple(a for a, b in found if b) for cid, found in addresses.items()}
        return [
            Contact(
                id=row["id"],
                name=row["name"],
                emails=emails.get(row["id"], none),
                bad_emails=bad.get(row["id"], none),
                company=row["company"] or "",
                role=row["role"] or "",
                linkedin_url=row["linkedin_url"] or "",
                tags=_tags(row["tags"]),
                how_met=row["how_met"] or "",
                connected_on=row["connected_on"] or "",
                referred_by=row["referred_by"],
                stage=_STAGES[row["stage"]],
                check_in_days=row["check_in_days"],
                created=row["created"],
                updated=row["updated"],
            )
            for row in rows
        ]

    def referrals(self, contact_id: int) -> list[Contact]:
        """The contacts this one referred (their `referred_by`), oldest first."""
        return self._select_contacts("WHERE referred_by = ?", [contact_id])

    def _select_contacts(self, where: str = "", params: Sequence[Any] = ()) -> list[Contact]:
        """The contacts `where` (an SQL condition on `contacts`) selects, in id order."""
        # sqlite3.Row, not a dict per row: `coffeechat list --json` reads 10,000 of them.
        cursor = self.conn.cursor()
        cursor.row_factory = sqlite3.Row
        cursor.execute(f"SELECT * FROM contacts {where} ORDER BY id", params)
        return self._contacts(cursor.fetchall())

    def contact_id_for_email(self, address: str) -> int | None:
        row = self.conn.execute(
            "SELECT contact_id FROM emails WHERE address = ?", [normalize_email(address)]
        ).fetchone()
        return row[0] if row else None

    def contact_id_for_linkedin(self, url: str) -> int | None:
        if not url:
            return None
        row = self.conn.execute(
            "SELECT id FROM contacts WHERE linkedin_url = ?", [url.rstrip("/")]
        ).fetchone()
        return row[0] if row else None

    def contacts_named(self, name: str) -> list[Contact]:
        """The contacts whose whole name is `name`, case, accents and spacing aside.

        Not `resolve`'s part-of-a-name match: "Bob" named as a referral is not Bob Smith.
        """
        wanted = fold(normalize_name(name))
        if not wanted:
            return []
        rows = self.conn.execute("SELECT id, name FROM contacts ORDER BY id")
        return [self.get(cid) for cid, stored in rows if fold(normalize_name(stored)) == wanted]

    def resolve(self, who: str) -> Contact:
        """A contact by id, email address, or an unambiguous part of the name."""
        text = who.strip()
        if not text:  # a blank is part of every name: it would match every contact
            raise UsageMistake("WHO is empty: give a name, an email address or an id")
        if text.isdigit():
            return self.get(int(text))
        if "@" in text:
            found = self.contact_id_for_email(text)
            if found is None:
                raise ContactNotFound(
                    f"no contact has the address {text}; add one with "
                    f"`coffeechat add NAME --email {text}`"
                )
            return self.get(found)
        # Match accent- and case-insensitively: "jose" finds "José Núñez".
        wanted = fold(text)
        matches = [
            (cid, folded)
            for cid, name in self.conn.execute("SELECT id, name FROM contacts ORDER BY id")
            if wanted in (folded := fold(name))
        ]
        if not matches:
            raise ContactNotFound(f"no contact matches {text!r}; run `coffeechat list`")
        # The best kind of match decides, over every match: the whole name, then whole
        # words ("ana" is Ana Souza, not the "ana" inside Dana), then anywhere in the name.
        whole_word = re.compile(rf"(?<!\w){re.escape(wanted)}(?!\w)")
        ids = (
            [cid for cid, folded in matches if folded == wanted]
            or [cid for cid, folded in matches if whole_word.search(folded)]
            or [cid for cid, _ in matches]
        )
        if len(ids) == 1:
            return self.get(ids[0])
        contacts = [self.get(cid) for cid in ids[:10]]
        candidates = "; ".join(
            f"{c.id}: {c.name}" + (f" <{c.email}>" if c.email else "") for c in contacts
        )
        more = f" and {len(ids) - 10} more" if len(ids) > 10 else ""
        raise AmbiguousContact(
            f"{text!r} matches {len(ids)} contacts ({candidates}{more}); "
            f"use the id or the email address"
        )

    # ------------------------------------------------------------ stages and events

    def move(
        self,
        contact: Contact,
        target: Stage,
        detail: str,
        cause: str,
        *,
        at: str | None = None,
        manual: bool = False,
    ) -> Contact:
        """Move a contact to `target`, checked by the pipeline, logged as an event.

        A manual move (`coffeechat stage`) may go anywhere: the user knows things the
        mailbox does not. It is still logged, with the cause `stage` command.
        """
        if not manual:
            pipeline.check_transition(contact.stage, target)
        elif contact.stage == target:
            raise UserError(f"{contact.name} is already {target.value}")
        at = as_utc(at)
        with self.transaction():
            # Plain SQL, as in add_event: a scan moves hundreds of contacts, and
            # sqlite-utils' update() inspects the table on each call.
            self.conn.execute(
                "UPDATE contacts SET stage = ?, updated = ? WHERE id = ?",
                [target.value, at, contact.id],
            )
            self.add_event(
                contact.id, "stage", contact.stage.value, target.value, detail, cause, at=at
            )
        return self.get(contact.id)

    def add_event(
        self,
        contact_id: int,
        kind: str,
        from_stage: str | None,
        to_stage: str | None,
        detail: str,
        cause: str = "",
        *,
        at: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        # Plain SQL on the hot paths (every event and message of a scan): sqlite-utils'
        # insert() inspects the table's columns on each call.
        self.conn.execute(
            "INSERT INTO events (contact_id, at, kind, from_stage, to_stage, detail, cause,"
            " extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                contact_id,
                as_utc(at),
                kind,
                from_stage,
                to_stage,
                detail,
                cause,
                json.dumps(extra or {}),
            ],
        )

    def add_note(self, contact: Contact, text: str, *, at: str | None = None) -> None:
        with self.transaction():
            self.add_event(contact.id, "note", None, None, text, "note", at=at)
            self._touch(contact.id, at)

    def events(self, contact_id: int, kind: str | None = None) -> list[Event]:
        sql = "SELECT * FROM events WHERE contact_id = ?"
        params: list[Any] = [contact_id]
        if kind:
            sql += " AND kind = ?"
            params.append(kind)
        return [
            Event(
                id=row["id"],
                contact_id=row["contact_id"],
                at=row["at"],
                kind=row["kind"],
                from_stage=row["from_stage"],
                to_stage=row["to_stage"],
                detail=row["detail"] or "",
                cause=row["cause"] or "",
                extra=json.loads(row["extra"] or "{}"),
            )
            for row in self._query(sql + " ORDER BY at, id", params)
        ]

    def first_written_at(self, contact_id: int) -> tuple[datetime, bool] | None:
        """When the user first wrote to the contact, and whether that time is only the
        first move to `contacted` made by hand (the message itself went unseen, so it
        went out at that time or before): their first sent message otherwise."""
        sent, moved = self.conn.execute(
            "SELECT (SELECT MIN(at) FROM messages WHERE contact_id = ? AND direction = 'sent'),"
            " (SELECT MIN(at) FROM events WHERE contact_id = ? AND kind = 'stage'"
            " AND to_stage = 'contacted')",
            [contact_id, contact_id],
        ).fetchone()
        times = []
        if sent:
            times.append((datetime.fromisoformat(sent), False))
        if moved:
            times.append((datetime.fromisoformat(moved), True))
        return min(times) if times else None  # a tie is the sent message

    def has_event(self, contact_id: int, cause: str, kind: str) -> bool:
        """True when the contact's timeline already holds this kind of event with this cause."""
        row = self.conn.execute(
            "SELECT 1 FROM events WHERE contact_id = ? AND cause = ? AND kind = ? LIMIT 1",
            [contact_id, cause, kind],
        ).fetchone()
        return row is not None

    # ------------------------------------------------------------ messages

    def record_message(
        self,
        message_id: str,
        contact_id: int,
        *,
        direction: str,
        kind: str,
        subject: str,
        at: str,
        folder: str = "",
        uid: int | None = None,
        references: str = "",
        state: str = "",
    ) -> bool:
        """Remember a message; False when its Message-ID was already known (never doubled)."""
        before = self.conn.total_changes
        self.conn.execute(
            "INSERT OR IGNORE INTO messages (message_id, contact_id, direction, kind, subject,"
            " at, folder, uid, references_, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                message_id,
                contact_id,
                direction,
                kind,
                subject,
                as_utc(at),
                folder,
                uid,
                references,
                state,
            ],
        )
        return self.conn.total_changes > before

    def set_message_state(self, message_id: str, state: str, uid: int | None = None) -> None:
        values: dict[str, Any] = {"state": state}
        if uid is not None:
            values["uid"] = uid
        self.db.table("messages").update(message_id, values)

    def forget_message(self, message_id: str) -> None:
        self.db.table("messages").delete(message_id)

    def message(self, message_id: str) -> dict[str, Any] | None:
        rows = list(self._query("SELECT * FROM messages WHERE message_id = ?", [message_id]))
        return rows[0] if rows else None

    def messages(
        self, contact_id: int, *, direction: str | None = None, kind: str | None = None
    ) -> list[dict[str, Any]]:
        sql = "SELECT * FROM messages WHERE contact_id = ?"
        params: list[Any] = [contact_id]
        if direction:
            sql += " AND direction = ?"
            params.append(direction)
        if kind:
            sql += " AND kind = ?"
            params.append(kind)
        return list(self._query(sql + " ORDER BY at, rowid", params))

    def pending_drafts(self, contact_id: int, kind: str) -> list[dict[str, Any]]:
        return [
            m
            for m in self.messages(contact_id, direction="draft", kind=kind)
            if m["state"] == "pending"
        ]

    def last_exchange(self, contact_id: int) -> dict[str, Any] | None:
        """The latest message between the user and the contact, to thread a new one under.

        A message seen in Sent or INBOX wins over our own draft of it: the draft may never
        have been sent. Machine mail (out-of-office, bounce, calendar answer) and calendar
        invitations are no conversation to answer, so they are passed over.
        """
        rows = list(
            self._query(
                "SELECT * FROM messages WHERE contact_id = ? AND direction IN ('sent', 'received')"
                f" AND kind NOT IN ({', '.join('?' * len(NOT_CONVERSATION))})"
                " ORDER BY at DESC, rowid DESC LIMIT 1",
                [contact_id, *NOT_CONVERSATION],
            )
        )
        if not rows:
            rows = list(
                self._query(
                    "SELECT * FROM messages WHERE contact_id = ? AND direction = 'draft'"
                    " AND state = 'written' ORDER BY at DESC, rowid DESC LIMIT 1",
                    [contact_id],
                )
            )
        return rows[0] if rows else None

    def mark_sent(self, message_id: str, *, at: str, folder: str, uid: int) -> None:
        """Our draft showed up in Sent: the user sent it as it was."""
        self.db.table("messages").update(
            message_id, {"direction": "sent", "at": as_utc(at), "folder": folder, "uid": uid}
        )

    def address_book(self) -> dict[str, int]:
        return {
            row[0]: row[1] for row in self.conn.execute("SELECT address, contact_id FROM emails")
        }

    def known_message_ids(self) -> dict[str, int]:
        return {
            row[0]: row[1]
            for row in self.conn.execute("SELECT message_id, contact_id FROM messages")
        }

    # ------------------------------------------------------------ folder cursors

    def cursor(self, folder: str) -> tuple[int, int] | None:
        """(UIDVALIDITY, last UID seen) for a folder, or None before its first scan."""
        row = self.conn.execute(
            "SELECT uidvalidity, last_uid FROM folders WHERE name = ?", [folder]
        ).fetchone()
        return (row[0], row[1]) if row else None

    def set_cursor(self, folder: str, uidvalidity: int, last_uid: int) -> None:
        # Plain SQL: sqlite-utils' upsert reads the table's schema on every call, and a
        # first scan sets the cursor once per batch (~100 times for 50,000 messages).
        self.conn.execute(
            "INSERT INTO folders (name, uidvalidity, last_uid, scanned_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET uidvalidity = excluded.uidvalidity,"
            " last_uid = excluded.last_uid, scanned_at = excluded.scanned_at",
            [folder, uidvalidity, last_uid, now_iso()],
        )

    # ------------------------------------------------------------ meetings

    def save_meeting(self, meeting: dict[str, Any]) -> None:
        """Insert or update a meeting row (keyed by its iCalendar UID).

        `created` is the first save, kept for the life of the UID: it is the event's
        CREATED (RFC 5545 §3.8.7.1), while `updated` is its DTSTAMP and LAST-MODIFIED.
        """
        row = {
            **meeting,
            "start": as_utc(meeting["start"]),
            "end": as_utc(meeting["end"]),
            "updated": now_iso(),
        }
        stored = self.conn.execute(
            "SELECT created FROM meetings WHERE uid = ?", [row["uid"]]
        ).fetchone()
        row["created"] = stored[0] if stored else row["updated"]
        self.db.table("meetings").upsert(row, pk="uid")

    def meeting(self, uid: str) -> dict[str, Any]:
        [row] = self._query("SELECT * FROM meetings WHERE uid = ?", [uid])
        return row

    def latest_meeting(self, contact_id: int) -> dict[str, Any] | None:
        """The contact's most recent meeting that is not cancelled, if any."""
        rows = self._query(
            "SELECT * FROM meetings WHERE contact_id = ? AND status != 'CANCELLED'"
            " ORDER BY start DESC LIMIT 1",
            [contact_id],
        )
        return rows[0] if rows else None

    def set_meeting_invitation(self, uid: str, message_id: str) -> None:
        """Remember that an invitation (Message-ID) was drafted for the meeting `uid`."""
        self.conn.execute(
            # `updated` stays: it is the event's DTSTAMP, and the event itself did not change.
            "UPDATE meetings SET invitation = ? WHERE uid = ?",
            [message_id, uid],
        )

    def answered_meeting(self, contact_id: int, uid: str | None) -> dict[str, Any] | None:
        """The meeting an iTIP REPLY from the contact names: the one with `uid`, whoever's it
        is (the caller checks), else, for a reply without a UID, the contact's latest."""
        if uid is not None:
            rows = self._query("SELECT * FROM meetings WHERE uid = ?", [uid])
        else:
            rows = self._query(
                "SELECT * FROM meetings WHERE contact_id = ? ORDER BY start DESC LIMIT 1",
                [contact_id],
            )
        return rows[0] if rows else None

    def set_meeting_answer(self, contact_id: int, uid: str, partstat: str) -> None:
        """Record the contact's iTIP answer on their meeting `uid` (never on another's)."""
        self.conn.execute(
            "UPDATE meetings SET partstat = ?, updated = ? WHERE uid = ? AND contact_id = ?",
            [partstat, now_iso(), uid, contact_id],
        )


_STAGES = {stage.value: stage for stage in Stage}


def _tags(stored: str | None) -> tuple[str, ...]:
    # Most contacts have no tags: skip the JSON parser for them (`list` of 10,000 rows).
    return tuple(json.loads(stored)) if stored and stored != "[]" else ()
