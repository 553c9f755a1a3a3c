"""Plain records shared by the store, the commands and the JSON output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coffeechat.pipeline import Stage


@dataclass(frozen=True)
class NewContact:
    """A contact as an importer or `add` produces it, before it has an id."""

    name: str
    emails: tuple[str, ...] = ()
    company: str = ""
    role: str = ""
    linkedin_url: str = ""
    tags: tuple[str, ...] = ()
    how_met: str = ""
    connected_on: str = ""  # ISO date, or ""
    referred_by: int | None = None


@dataclass(frozen=True)
class Contact:
    id: int
    name: str
    emails: tuple[str, ...]
    company: str
    role: str
    linkedin_url: str
    tags: tuple[str, ...]
    how_met: str
    connected_on: str
    referred_by: int | None
    stage: Stage
    check_in_days: int | None
    created: str
    updated: str
    bad_emails: tuple[str, ...] = ()

    @property
    def email(self) -> str:
        """The first deliverable address, or the first address, or ""."""
        good = [e for e in self.emails if e not in self.bad_emails]
        return (good or list(self.emails) or [""])[0]

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape documented in DESIGN.md (and the README)."""
        return {
            "id": self.id,
            "name": self.name,
            "emails": list(self.emails),
            "company": self.company,
            "role": self.role,
            "stage": self.stage.value,
            "referred_by": self.referred_by,
            "linkedin_url": self.linkedin_url,
            "tags": list(self.tags),
            "how_met": self.how_met,
            "connected_on": self.connected_on or None,
            "check_in_days": self.check_in_days,
            "bad_emails": list(self.bad_emails),
            "created": self.created,
            "updated": self.updated,
        }


@dataclass(frozen=True)
class Event:
    id: int
    contact_id: int
    at: str  # ISO 8601 with offset
    kind: str  # stage | note | draft | sent | reply | auto-reply | bounce | meeting | import
    from_stage: str | None
    to_stage: str | None
    detail: str
    cause: str = ""  # a Message-ID, or the command that caused it
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "kind": self.kind,
            "from_stage": self.from_stage,
            "to_stage": self.to_stage,
            "detail": self.detail,
            "cause": self.cause,
        }
