"""Adding contacts by hand: validation shared by `add`, `met --referral` and the demo."""

from __future__ import annotations

import re
from collections.abc import Sequence

from coffeechat.errors import UserError
from coffeechat.models import Contact, NewContact
from coffeechat.store import Store, normalize_name

_CONTROL = {chr(c) for c in range(32)} | {"\x7f", "\x85", "\u2028", "\u2029"}


# A sanity check, not RFC 5322: one @, something before it, a dotted domain after it.
_ADDRESS_SHAPE = re.compile(r"[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:.]+")
# "Name <address>": the name quoted, or free of the marks that separate addresses (",;")
# or delimit parts of one, and nothing after the ">". Not email.utils.parseaddr: it reads
# the first address of "a@x.org, b@y.org" (or of "a@x.org ::: b") and drops the rest unsaid.
_NAMED = re.compile(r'(?:"(?:[^"\\]|\\.)*"|[^<>@",;:()]*)\s*<([^<>]*)>')


def parse_address(text: str) -> str | None:
    """The address in `text` ("jane@x.org" or "Jane <jane@x.org>"), lower-cased, or None
    when it is not exactly one plausible address (or has a control character that could
    reach a header)."""
    raw = text.strip()
    if any(ch in _CONTROL for ch in raw):
        return None
    named = _NAMED.fullmatch(raw)
    address = named.group(1).strip() if named else raw
    return address.lower() if _ADDRESS_SHAPE.fullmatch(address) else None


def several_addresses(text: str) -> list[str]:
    """The addresses in `text` when it holds more than one ("a@x.org, b@y.org"), else []:
    the error then shows how to give them one by one."""
    found = _ADDRESS_SHAPE.findall(text)
    return found if len(found) > 1 else []


def check_address(address: str) -> str:
    """A plausible email address, or a UserError saying what is wrong with it."""
    parsed = parse_address(address)
    if parsed is not None:
        return parsed
    if any(ch in _CONTROL for ch in address.strip()):
        raise UserError(
            f"{address!r} is not an email address: it contains a line break or control "
            f"character; remove it"
        )
    several = several_addresses(address)
    if several:
        like = " ".join(f"--email {a}" for a in several)
        raise UserError(
            f"{address!r} is more than one email address; give each its own --email, like {like}"
        )
    raise UserError(
        f"{address!r} is not an email address; write it like dana@example.com, "
        f"or Dana Lee <dana@example.com>"
    )


def check_field(label: str, value: str) -> str:
    """Refuse control characters: every contact field may end up in a mail header."""
    if any(ch in _CONTROL for ch in value):
        raise UserError(f"{label} {value!r} contains a line break or control character; remove it")
    return value.strip()


def add_contact(
    store: Store,
    name: str,
    *,
    emails: Sequence[str] = (),
    company: str = "",
    role: str = "",
    linkedin_url: str = "",
    referred_by: str | None = None,
    how_met: str = "",
    tags: Sequence[str] = (),
    cause: str = "add",
) -> Contact:
    name = normalize_name(check_field("name", name))
    if not name:
        raise UserError("a contact needs a name")
    referrer = store.resolve(referred_by).id if referred_by else None
    new = NewContact(
        name=name,
        emails=tuple(dict.fromkeys(check_address(e) for e in emails)),
        company=check_field("company", company),
        role=check_field("role", role),
        linkedin_url=check_field("LinkedIn URL", linkedin_url).rstrip("/"),
        tags=tuple(check_field("tag", t) for t in tags),
        how_met=check_field("how met", how_met) or ("referral" if referrer else ""),
        referred_by=referrer,
    )
    return store.add_contact(new, cause=cause)


def edit_contact(
    store: Store,
    contact: Contact,
    *,
    name: str | None = None,
    emails: Sequence[str] = (),
    company: str | None = None,
    role: str | None = None,
    linkedin_url: str | None = None,
    tags: Sequence[str] = (),
    check_in_days: int | None = None,
    removed_emails: Sequence[str] = (),
) -> tuple[Contact, tuple[str, ...]]:
    """Change the given fields (None leaves a field alone); addresses and tags are added,
    and `removed_emails` taken away, all in one transaction.

    Returns the contact and what changed: a value equal to the stored one is no change,
    and when nothing changed nothing is written or logged.
    """
    values: dict[str, object] = {}
    for label, column, value in (
        ("name", "name", name),
        ("company", "company", company),
        ("role", "role", role),
        ("LinkedIn URL", "linkedin_url", linkedin_url),
    ):
        if value is not None:
            values[column] = check_field(label, value)
    if "name" in values:
        values["name"] = normalize_name(str(values["name"]))
        if not values["name"]:
            raise UserError("a contact needs a name")
    if tags:
        values["tags"] = tuple(
            dict.fromkeys([*contact.tags, *(check_field("tag", t) for t in tags)])
        )
    if check_in_days is not None:
        values["check_in_days"] = check_in_days
    values = {column: v for column, v in values.items() if getattr(contact, column) != v}
    addresses = [a for a in (check_address(e) for e in emails) if a not in contact.emails]
    changed = (*values, *(("email",) if addresses or removed_emails else ()))
    if not changed:
        return contact, ()
    with store.transaction():
        for address in removed_emails:
            store.remove_email(contact.id, address)
        if values:
            store.update_contact(contact.id, **values)
        for address in addresses:
            store.add_email(contact.id, address)
        store.add_event(
            contact.id, "edit", None, None, "changed " + ", ".join(changed), "edit command"
        )
    return store.get(contact.id), changed
