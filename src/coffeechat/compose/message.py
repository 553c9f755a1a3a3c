"""Drafts as RFC 5322 messages: headers checked for injection, names RFC 2047-encoded.

Pure: `build_message(...)` turns a subject and a body into an `email.message.EmailMessage`
with correctly encoded headers, refusing any value that could smuggle in an extra header.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING

from coffeechat.errors import HeaderInjectionError, UserError

if TYPE_CHECKING:
    from coffeechat.config import Me


class InvalidAddressError(UserError):
    """An email address that cannot go into a To or From header."""


def _contact_fix(contact_id: int | None) -> str:
    if contact_id is None:
        return "edit the contact"
    return f"edit the contact (coffeechat show {contact_id})"


# Here rather than in `templates`: both the subject split and build_message tidy a body.
def tidy_body(text: str) -> str:
    """Strip trailing spaces, collapse blank-line runs, end with one newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return body + "\n" if body else ""


# Characters that end a header line or are otherwise unsafe in one. CR and LF are the
# injection vector (RFC 5322 §2.2: a header field ends at CRLF); NUL, VT, FF, NEL and the
# Unicode line/paragraph separators are line breaks to some parsers (str.splitlines
# treats them so), and any other C0/C1 control has no business in a name or a subject.
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _bad_char(value: str) -> str | None:
    for char in value:
        if char in _LINE_BREAKS:
            return "a line break"
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            return f"a control character (U+{ord(char):04X})"
    return None


def check_header_value(field: str, value: str, fix: str) -> None:
    """Refuse a value that would end a header line early (header injection)."""
    problem = _bad_char(value)
    if problem:
        raise HeaderInjectionError(f"{field} contains {problem}; {fix}")


@dataclass(frozen=True)
class Identity:
    """A person as a mail header shows them: display name and address."""

    name: str
    email: str

    @classmethod
    def from_me(cls, me: Me) -> Identity:
        return cls(name=me.name, email=me.email)


# RFC 2047 §2: an encoded word is at most 75 characters and a header line should stay
# within 78 (RFC 5322 §2.1.1). 36 bytes of UTF-8 make 48 base64 characters, a 60-column
# word, which leaves room for "From: " on the first line.
_EW_BYTES = 36


def _encoded_words(text: str) -> list[str]:
    """`text` as RFC 2047 B-encoded words, never splitting a character (RFC 2047 §5).

    Spaces stay inside the encoded words: a reader drops the whitespace *between*
    adjacent encoded words (RFC 2047 §6.2), so a space there would be lost.
    """
    chunks: list[bytes] = []
    chunk = b""
    for char in text:
        encoded = char.encode("utf-8")
        if chunk and len(chunk) + len(encoded) > _EW_BYTES:
            chunks.append(chunk)
            chunk = b""
        chunk += encoded
    if chunk:
        chunks.append(chunk)
    return [f"=?utf-8?b?{base64.b64encode(c).decode('ascii')}?=" for c in chunks]


def _set_mailbox(message: EmailMessage, field: str, name: str, local: str, domain: str) -> None:
    """Set From or To as `name <local@domain>`, encoded so every reader shows `name`.

    An ASCII name goes through `email.headerregistry.Address`, which quotes it when it
    has to ("Smith, Jr."). A non-ASCII name (or one that looks like an encoded word
    itself, "=?...?=") is written as encoded words by `_encoded_words`, because the email
    package's folder drops the space between two words when it splits a long name.
    """
    from email.headerregistry import Address

    name = " ".join(name.split())  # whitespace runs read as one space in any client
    if name.isascii() and "=?" not in name:
        message[field] = Address(name, local, domain)
        return
    lines = _encoded_words(name)
    mailbox = f"<{local}@{domain}>"
    if len(lines[-1]) + 1 + len(mailbox) <= 76:
        lines[-1] += f" {mailbox}"
    else:
        lines.append(mailbox)
    # set_raw keeps our folding: the policy refolds a raw value only if a line is too long.
    message.set_raw(field, "\n ".join(lines))


def _address(field: str, address: str, fix: str) -> tuple[str, str]:
    """Validate an address; return (local part, ASCII domain) for headerregistry.Address."""
    check_header_value(field, address, fix)
    address = address.strip()
    if not address:
        raise InvalidAddressError(f"{field} is empty; {fix}")
    if any(c.isspace() for c in address):
        raise InvalidAddressError(f"{field} {address!r} contains a space; {fix}")
    if address.count("@") != 1:
        raise InvalidAddressError(f"{field} {address!r} must contain exactly one @; {fix}")
    local, domain = address.split("@")
    if not local or not domain or any(c in address for c in '<>(),;:"[]\\'):
        raise InvalidAddressError(f"{field} {address!r} is not an email address; {fix}")
    if not local.isascii():
        # A UTF-8 local part needs SMTPUTF8 (RFC 6531) end to end; drafts must stay 7-bit.
        raise InvalidAddressError(
            f"{field} {address!r} has non-ASCII characters before the @, which most mail "
            f"servers cannot deliver; {fix}"
        )
    try:
        # An internationalised domain travels as punycode (RFC 5890) in a 7-bit header.
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError as err:
        raise InvalidAddressError(f"{field} {address!r} has an invalid domain; {fix}") from err
    return local, ascii_domain


def _msgid(field: str, value: str) -> str:
    """A message id in angle brackets (RFC 5322 §3.6.4), checked for injection."""
    fix = "use the Message-ID exactly as the mail header shows it"
    check_header_value(field, value, fix)
    value = value.strip()
    core = value[1:-1] if value.startswith("<") and value.endswith(">") else value
    if not core or any(c.isspace() or c in "<>" for c in core) or "@" not in core:
        raise HeaderInjectionError(f"{field} {value!r} is not a message id like <id@host>; {fix}")
    return f"<{core}>"


def reply_subject(subject: str) -> str:
    """'Re: ' once, the way mail clients do when replying (RFC 5322 §3.6.5)."""
    return subject if re.match(r"re\s*:", subject, re.IGNORECASE) else f"Re: {subject}"


def build_message(
    *,
    sender: Identity,
    to_name: str,
    to_address: str,
    subject: str,
    body: str,
    now: datetime,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    message_id: str | None = None,
    contact_id: int | None = None,
) -> EmailMessage:
    """A text/plain UTF-8 draft ready for the Drafts folder.

    Every value bound for a header is checked first, and nothing is written when one is
    unsafe (HeaderInjectionError names the field; `contact_id` makes the fix point at
    `coffeechat show ID`). Headers are built with `email.headerregistry.Address`, so
    non-ASCII names become RFC 2047 encoded words and a comma in a name is quoted.
    """
    from email import policy
    from email.utils import format_datetime, make_msgid

    contact_fix = _contact_fix(contact_id)
    me_fix = "fix [me] in your config"
    check_header_value("your name", sender.name, me_fix)
    check_header_value("contact name", to_name, contact_fix)
    check_header_value("subject", subject, "remove the line break from the template's Subject")
    sender_local, sender_domain = _address("your address", sender.email, me_fix)
    address_fix = contact_fix
    if contact_id is not None and not to_address.strip():
        # `edit --email` adds an address; it is the fix only when there is none yet.
        address_fix = f"add one with `coffeechat edit {contact_id} --email ADDRESS`"
    to_local, to_domain = _address("contact address", to_address, address_fix)
    parent = _msgid("In-Reply-To", in_reply_to) if in_reply_to else None
    chain = [_msgid("References", ref) for ref in references]
    own_id = _msgid("Message-ID", message_id) if message_id else None
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("build_message needs a timezone-aware `now`")
    subject = " ".join(subject.split())
    if parent:
        subject = reply_subject(subject)
        # RFC 5322 §3.6.4: the parent's References followed by the parent's Message-ID.
        if parent not in chain:
            chain.append(parent)

    # policy.SMTP: CRLF line ends and 78-column folding, i.e. the wire format that IMAP
    # APPEND expects; cte_type stays 7bit so every header is RFC 2047 encoded.
    message = EmailMessage(policy=policy.SMTP)
    _set_mailbox(message, "From", sender.name, sender_local, sender_domain)
    _set_mailbox(message, "To", to_name, to_local, to_domain)
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = own_id or make_msgid(domain=sender_domain)
    if parent:
        message["In-Reply-To"] = parent
    if chain:
        message["References"] = " ".join(chain)
    text = tidy_body(body) if body.strip() else "\n"
    long_line = any(len(line) > 78 for line in text.splitlines())
    # 7bit when the body is plain short ASCII (readable as is); otherwise quoted-printable,
    # which keeps mostly-Latin text readable and survives any 7-bit hop (RFC 2045 §6.7).
    cte = "7bit" if text.isascii() and not long_line else "quoted-printable"
    message.set_content(text, subtype="plain", charset="utf-8", cte=cte)
    return message
