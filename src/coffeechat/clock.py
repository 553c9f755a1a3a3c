"""The current time, in one place so that tests and the demo can set it.

`COFFEECHAT_NOW` (ISO 8601) pins the clock; the demo uses it to replay a season in
seconds, and tests use it instead of sleeping.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coffeechat.config import Config


def now(config: Config | None = None) -> datetime:
    """Now, aware, in the user's time zone when a config is given."""
    pinned = os.environ.get("COFFEECHAT_NOW")
    moment = datetime.fromisoformat(pinned) if pinned else datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(config.tz) if config else moment
