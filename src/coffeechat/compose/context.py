"""The values a template sees: `context_for` builds them from a contact and the config.

See the `coffeechat.compose` docstring for each variable. The one-line fields are checked
here for line breaks, because they may end up in the Subject header.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from coffeechat.compose.message import _contact_fix, check_header_value
from coffeechat.models import first_name

if TYPE_CHECKING:
    from coffeechat.config import Me
    from coffeechat.models import Contact


class Record(Mapping[str, Any]):
    """A read-only record for templates: `contact.name` and `contact["name"]` both work.

    It carries a label ("contact") so that a missing field is reported as
    `'contact.nickname' is undefined` rather than jinja's "'dict object' has no attribute".
    """

    __slots__ = ("_label", "_values")

    def __init__(self, label: str, values: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_label", label)
        object.__setattr__(self, "_values", dict(values))

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):  # never a field; also keeps copy/pickle from recursing
            raise AttributeError(key)
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"{self._label} is read-only")

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __str__(self) -> str:
        # `{{ contact }}` in a template reads as the person's name.
        return str(self._values.get("name", self._label))

    def __repr__(self) -> str:
        return f"Record({self._label!r}, {self._values!r})"

    @property
    def label(self) -> str:
        return self._label


# English names, not strftime's %A/%B, which follow the machine's locale.
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS: tuple[str, ...] = ("January", "February", "March", "April", "May", "June", "July")
_MONTHS += ("August", "September", "October", "November", "December")


def format_start(start: datetime) -> str:
    """'Tuesday, May 14, 2024 at 10:00 PDT (UTC-07:00)': date, time and time zone.

    Spelled out in full because the reader may live in another zone; locale-free so a
    draft does not change with the machine it was written on.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("format_start needs a timezone-aware datetime")
    offset = start.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}"
    name = start.tzname() or ""
    label = f"{name} ({zone})" if name and not name.startswith(("UTC", "+", "-")) else zone
    return (
        f"{_WEEKDAYS[start.weekday()]}, {_MONTHS[start.month - 1]} {start.day}, {start.year} "
        f"at {start:%H:%M} {label}"
    )


def meeting_info(
    start: datetime,
    minutes: int,
    location: str = "",
    *,
    was: tuple[datetime, int, str] | None = None,
    answered: bool = False,
) -> Record:
    """The `meeting` variable of the invitation templates.

    `was` is the (start, minutes, location) an update changes: the updated invitation
    says what changed, because the contact's calendar shows only the new version.
    `answered`: the contact's acceptance still stands for this version (a new place
    only), so the update need not ask them to answer again.
    """
    previous = None
    if was is not None:
        previous = Record("meeting.previous", _meeting_values(*was))
    values = _meeting_values(start, minutes, location)
    return Record("meeting", {**values, "previous": previous, "answered": answered})


def _meeting_values(start: datetime, minutes: int, location: str) -> dict[str, Any]:
    return {"start_text": format_start(start), "minutes": minutes, "location": location.strip()}


def _sentence(text: str | None) -> str | None:
    """Strip a quoted detail and make it end like a sentence, so templates can quote it."""
    if text is None or not text.strip():
        return None
    text = " ".join(text.split())
    return text if text[-1] in ".!?…" else text + "."


# A how_met naming one of these says the two of you already know each other. The note is
# the user's own, written from their side ("former coworker at Target", "friend of my
# sister"), so the outreach does not quote it back; it only stops treating them as a
# stranger. A word list, not a parser: what it misses reads as where you found them.
_ACQUAINTED = re.compile(
    r"\b(?:co-?workers?|colleagues?|classmates?|schoolmates?|teammates?|roommates?|"
    r"housemates?|friends?|professors?|teachers?|instructors?|advis[eo]rs?|mentors?|"
    r"managers?|supervisors?|boss|neighbou?rs?|cousins?|aunts?|uncles?|family|"
    r"worked)\b",
    re.IGNORECASE,
)
# A how_met that is already a clause about the two of you, and how it starts a sentence.
# A referral in other words ("recommended by my advisor Jo Park") is still one: the seeds
# say to mention who suggested you contact them, and the relationship words below would
# otherwise take "advisor" for the contact and drop the name. "through"/"via" name a source
# that the template would otherwise repeat ("I found your name through through ...").
_CLAUSES = (
    (re.compile(r"met\b", re.IGNORECASE), "We met"),
    (re.compile(r"we\b", re.IGNORECASE), "We"),
    (
        re.compile(r"(?:referred|recommended|suggested|introduced)(?: to (?:me|you))? by\b", re.I),
        "I was referred to you by",
    ),
    (re.compile(r"(?:through|via)\b", re.IGNORECASE), "I found your name through"),
)


def how_met_sentence(how_met: str) -> str:
    """`how_met` as the start of a sentence when it reads as one, else "".

    "met at the PyCon career fair" -> "We met at the PyCon career fair";
    "we worked together at Target" -> "We worked together at Target";
    "referred by Jo Park" (or "suggested by", "recommended by", "introduced by") ->
    "I was referred to you by Jo Park"; "through the alumni network" (or "via") -> "I found
    your name through the alumni network". Only the first words are looked at; the rest is
    quoted as the user wrote it, without its final stop.
    """
    text = " ".join(how_met.split()).rstrip(".!;,")
    for start, sentence in _CLAUSES:
        match = start.match(text)
        if match:
            return f"{sentence}{text[match.end() :]}"
    return ""


def knows_you(how_met: str) -> bool:
    """`how_met` says you already know each other: it is a "met ..." or "we ..." clause,
    or it names a relationship (coworker, classmate, friend, professor, manager, ...)."""
    sentence = how_met_sentence(how_met)
    if sentence.startswith("We"):
        return True
    return not sentence and _ACQUAINTED.search(how_met) is not None


def context_for(
    *,
    me: Me,
    contact: Contact,
    meeting_minutes: int,
    referrer: Contact | None = None,
    detail: str | None = None,
    notes: str | None = None,
    meeting: Record | None = None,
    days_since: int | None = None,
    previous_subject: str | None = None,
    referrals: Sequence[str] = (),
) -> dict[str, Any]:
    """The template context for one contact (see the module docstring for each name).

    The one-line fields of the user, the contact and the referrer may end up in the
    Subject header, so a line break in any of them is refused here with the field named.
    """
    fix = _contact_fix(contact.id)
    check_header_value("your name", me.name, "fix me.name in your config")
    check_header_value("your address", me.email, "fix me.email in your config")
    for field_name in ("name", "company", "role", "email", "how_met"):
        value = contact.email if field_name == "email" else getattr(contact, field_name)
        check_header_value(f"contact {field_name.replace('_', ' ')}", value, fix)
    referrer_record = None
    if referrer is not None:
        for field_name in ("name", "company"):
            check_header_value(
                f"referrer {field_name}",
                getattr(referrer, field_name),
                _contact_fix(referrer.id),
            )
        referrer_record = Record(
            "referrer",
            {
                "name": referrer.name.strip(),
                "first_name": first_name(referrer.name),
                "company": referrer.company.strip(),
                "email": referrer.email,
            },
        )
    if previous_subject is not None:
        check_header_value("previous subject", previous_subject, "fix the stored subject")
    return {
        "me": Record(
            "me",
            {
                "name": me.name.strip(),
                "first_name": first_name(me.name),
                "email": me.email,
                # one line, ending like a sentence, or "" (never a placeholder)
                "intro": _sentence(me.intro) or "",
            },
        ),
        "contact": Record(
            "contact",
            {
                "name": contact.name.strip(),
                "first_name": first_name(contact.name),
                "company": contact.company.strip(),
                "role": contact.role.strip(),
                "email": contact.email,
                "how_met": contact.how_met.strip(),
                "how_met_sentence": how_met_sentence(contact.how_met),
                "knows_you": knows_you(contact.how_met),
                "linkedin_url": contact.linkedin_url.strip(),
            },
        ),
        "referrer": referrer_record,
        "meeting_minutes": meeting_minutes,
        "detail": _sentence(detail),
        "meeting": meeting,
        "notes": notes.strip() if notes and notes.strip() else None,
        "days_since": days_since,
        "previous_subject": previous_subject.strip() if previous_subject else None,
        "referrals": tuple(" ".join(r.split()) for r in referrals if r.strip()),
    }
