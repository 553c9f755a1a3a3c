"""Plain records shared by the store, the commands and the JSON output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coffeechat.pipeline import Stage

# Titles before a name and degrees or generations after one: never a first name.
_TITLES = frozenset(
    ["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "madam", "dame"]
)
_SUFFIXES = frozenset(
    ["jr", "sr", "ii", "iii", "iv", "phd", "md", "mba", "msc", "ma", "bsc", "jd", "esq", "cpa"]
)


def _bare(word: str) -> str:
    return word.strip(".,").lower()


def first_name(name: str) -> str:
    """The name a greeting uses: "Dana" for "Dana Lee", "Lee, Dana", "Dr. Dana Lee" and
    "Dana Lee, PhD". With no first name to find ("Prof. Chen"), the title and surname.

    A whole-name greeting such as "Hi Lee, Dana," would be wrong, and "Hi Dr.," worse;
    the proofreader, which skips titles too, accepts what this returns.
    """
    words = name.split()
    if not words:
        return name.strip()
    before, comma, after = " ".join(words).partition(",")
    after_words = [w for w in after.replace(",", " ").split() if _bare(w) not in _SUFFIXES]
    # "Lee, Dana": the given name follows the comma ("Dana Lee, PhD" has only suffixes
    # there, and is read as written).
    reversed_order = bool(comma and after_words and before.split())
    words = after_words if reversed_order else before.split() or words
    given = [w for w in words if _bare(w) and _bare(w) not in _TITLES]
    if not given:
        return " ".join(words)
    if len(given) == 1 and len(given) < len(words):
        return " ".join(words)  # "Prof. Chen": a title and a surname, kept together
    return given[0].rstrip(",")


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
        return first_name(self.name)

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
