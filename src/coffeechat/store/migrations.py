"""Numbered schema migrations, each applied once in its own transaction.

Applied names are recorded in the `_migrations` table (the sqlite-utils `Migrations`
pattern). A database never runs a recorded step again, so a schema change is a new step
appended to MIGRATIONS as `("NNN_name", function)`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from coffeechat.store.values import now_iso

if TYPE_CHECKING:  # only for annotations; sqlite-utils is imported by the first write
    import sqlite_utils


def _m001_initial(db: sqlite_utils.Database) -> None:
    db.table("contacts").create(
        {
            "id": int,
            "name": str,
            "company": str,
            "role": str,
            "linkedin_url": str,
            "tags": str,  # JSON list
            "how_met": str,
            "connected_on": str,
            "referred_by": int,
            "stage": str,
            "check_in_days": int,
            "created": str,
            "updated": str,
        },
        pk="id",
        not_null={"name", "stage", "created", "updated"},
        defaults={
            "company": "",
            "role": "",
            "linkedin_url": "",
            "tags": "[]",
            "how_met": "",
            "connected_on": "",
        },
        foreign_keys=[("referred_by", "contacts", "id")],
    )
    db.table("contacts").create_index(["linkedin_url"])
    db.table("contacts").create_index(["stage"])
    db.table("emails").create(
        {"address": str, "contact_id": int, "position": int, "undeliverable": int},
        pk="address",
        not_null={"contact_id"},
        defaults={"position": 0, "undeliverable": 0},
        foreign_keys=[("contact_id", "contacts", "id")],
    )
    db.table("emails").create_index(["contact_id"])
    db.table("events").create(
        {
            "id": int,
            "contact_id": int,
            "at": str,
            "kind": str,
            "from_stage": str,
            "to_stage": str,
            "detail": str,
            "cause": str,
            "extra": str,  # JSON object
        },
        pk="id",
        not_null={"contact_id", "at", "kind"},
        defaults={"detail": "", "cause": "", "extra": "{}"},
        foreign_keys=[("contact_id", "contacts", "id")],
    )
    db.table("events").create_index(["contact_id", "at"])
    db.table("events").create_index(["cause"])
    # Every message coffeechat wrote or saw that concerns a contact: drafts it wrote,
    # messages found in Sent and INBOX. Message-ID is the key, so a rescan never doubles.
    db.table("messages").create(
        {
            "message_id": str,
            "contact_id": int,
            "direction": str,  # draft | sent | received
            "kind": str,  # outreach | follow-up | thank-you | check-in | invitation | reply | ...
            "subject": str,
            "at": str,
            "folder": str,
            "uid": int,
            "references_": str,
            # For our drafts: "pending" is recorded before the APPEND and "written" after,
            # so a draft run killed midway can look in Drafts instead of appending twice.
            "state": str,
        },
        pk="message_id",
        defaults={"kind": "", "subject": "", "folder": "", "references_": "", "state": ""},
        foreign_keys=[("contact_id", "contacts", "id")],
    )
    db.table("messages").create_index(["contact_id", "at"])
    db.table("folders").create(
        {"name": str, "uidvalidity": int, "last_uid": int, "scanned_at": str},
        pk="name",
    )
    db.table("meetings").create(
        {
            "uid": str,
            "contact_id": int,
            "start": str,
            "end": str,
            "location": str,
            "status": str,  # CONFIRMED | TENTATIVE | CANCELLED
            "partstat": str,  # the contact's answer: NEEDS-ACTION | ACCEPTED | DECLINED
            "sequence": int,
            "notes": str,
            "created": str,
            "updated": str,
        },
        pk="uid",
        defaults={
            "location": "",
            "status": "CONFIRMED",
            "partstat": "NEEDS-ACTION",
            "sequence": 0,
            "notes": "",
        },
        foreign_keys=[("contact_id", "contacts", "id")],
    )
    db.table("meetings").create_index(["contact_id"])


def _m002_meeting_invitation(db: sqlite_utils.Database) -> None:
    # The Message-ID of the last invitation (METHOD:REQUEST) drafted for the meeting, ""
    # when none was: `schedule --cancel` drafts a METHOD:CANCEL only to someone who was
    # invited, since a cancellation of a meeting they never got makes no sense.
    db.table("meetings").add_column("invitation", str, not_null_default="")


def _m003_address_backfilled(db: sqlite_utils.Database) -> None:
    # 1 once a scan has read the backfill window with the address in the address book. A
    # contact added after a folder was scanned starts at 0, and the next pass looks up
    # their earlier mail there. Addresses from before this column start at 0 too: the
    # first pass after the upgrade reads again what was passed over as a stranger's.
    db.table("emails").add_column("backfilled", int, not_null_default=0)


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("001_initial", _m001_initial),
    ("002_meeting_invitation", _m002_meeting_invitation),
    ("003_address_backfilled", _m003_address_backfilled),
]


def pending_migrations(conn: sqlite3.Connection) -> list[str]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL)"
    )
    done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
    return [name for name, _ in MIGRATIONS if name not in done]


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction."""
    pending = set(pending_migrations(db.conn))
    for name, step in MIGRATIONS:
        if name not in pending:
            continue
        with db.conn:
            step(db)
            db.table("_migrations").insert({"name": name, "applied": now_iso()})
    return [name for name, _ in MIGRATIONS if name in pending]
