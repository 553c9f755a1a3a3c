"""The contact database: sqlite-utils, numbered migrations, WAL, one place for queries.

Every stage change goes through `Store.move`, which checks the pipeline and writes the
event row in the same transaction, so a contact's timeline always explains its stage.

The package, by job: `core` (the Store class), `migrations` (the numbered schema steps)
and `values` (how times, names and addresses are stored). Importing it does not import
sqlite-utils: reads use sqlite3, and the first write loads sqlite-utils.
"""

from coffeechat.store.core import BUSY_TIMEOUT_MS, Store
from coffeechat.store.core import _tags as _tags
from coffeechat.store.migrations import MIGRATIONS, migrate, pending_migrations
from coffeechat.store.values import (
    as_utc,
    fold,
    normalize_email,
    normalize_name,
    now_iso,
    stored_time,
)

__all__ = [
    "BUSY_TIMEOUT_MS",
    "MIGRATIONS",
    "Store",
    "as_utc",
    "fold",
    "migrate",
    "normalize_email",
    "normalize_name",
    "now_iso",
    "pending_migrations",
    "stored_time",
]
