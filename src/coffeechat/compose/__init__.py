"""Templates -> drafts: render a jinja2 template, then build an RFC 5322 message.

Two halves, both pure (no mailbox I/O here):

* `TemplateLibrary.render(kind, context)` renders `<kind>.txt.j2` in jinja2's sandbox and
  splits the result into a subject and a body (the template convention is below).
* `build_message(...)` turns a subject and body into an `email.message.EmailMessage` with
  correctly encoded headers, refusing any value that could smuggle in an extra header.

Template convention
-------------------
A template is plain text. After rendering, its first non-blank line must be
``Subject: <text>`` and the next line must be blank; everything after the blank line is
the body (the same header/body split as RFC 5322 §2.1, so the subject can use variables).
Jinja comments (``{# ... #}``) at the top document the template and render to nothing.
Block tags on a line of their own leave no blank line behind (``trim_blocks`` and
``lstrip_blocks``). The body is tidied after rendering: trailing spaces are removed, runs
of blank lines (left by an empty ``{% if %}`` paragraph) collapse to one, and the body
ends with exactly one newline.

Template variables
------------------
``me``               you: ``name``, ``first_name``, ``email``, ``intro`` (config
                     ``me.intro``: who you are and what you are exploring, on one line and
                     ending like a sentence; "" when not set)
``contact``          the person written to: ``name``, ``first_name``, ``company``, ``role``,
                     ``email``, ``how_met`` (free text, e.g. "LinkedIn"), ``linkedin_url``,
                     and what how_met says: ``how_met_sentence`` (it as the start of a
                     sentence when it is a clause: "We met at ...", else "") and
                     ``knows_you`` (it says you know each other: "met ...", "coworker")
``referrer``         who suggested the contact (``name``, ``first_name``, ``company``), or None
``meeting_minutes``  the length to ask for (config ``outreach.meeting_minutes``)
``detail``           optional: one piece of their advice (`met --advice`), ending in punctuation
``meeting``          optional: ``start_text`` (date, time and time zone), ``minutes``,
                     ``location`` (may be ""), and ``previous``: for an updated invitation
                     the same three fields as they were before the change, else None;
                     used by the invitation, its update and its cancellation
``notes``            optional: free text (for a check-in: what you did and how it went, from
                     ``draft check-in --update``; never your private meeting notes)
``days_since``       optional: days since the previous message or meeting
``previous_subject`` optional: the subject of the message a follow-up replies to
``referrals``        optional: names of people the contact suggested (a list, maybe empty)

Optional variables are always defined (None or empty), so ``{% if detail %}`` works; a
name that is not in this list is an error (StrictUndefined), never a silent blank.

The package, by job: `templates` (TemplateLibrary, rendering, the subject split),
`context` (context_for, Record, meeting_info), `message` (build_message, header checks,
Identity) and `draft` (compose_draft, the three in one call).
"""

from coffeechat.compose.context import (
    Record,
    context_for,
    format_start,
    meeting_info,
)
from coffeechat.compose.draft import Draft, compose_draft
from coffeechat.compose.message import (
    Identity,
    InvalidAddressError,
    build_message,
    check_header_value,
    reply_subject,
    tidy_body,
)
from coffeechat.compose.templates import (
    KINDS,
    OPTIONAL_DEFAULTS,
    REQUIRED_VARIABLES,
    SUFFIX,
    VARIABLES,
    RenderedDraft,
    TemplateLibrary,
    split_subject,
)
from coffeechat.models import first_name

__all__ = [
    "KINDS",
    "OPTIONAL_DEFAULTS",
    "REQUIRED_VARIABLES",
    "SUFFIX",
    "VARIABLES",
    "Draft",
    "Identity",
    "InvalidAddressError",
    "Record",
    "RenderedDraft",
    "TemplateLibrary",
    "build_message",
    "check_header_value",
    "compose_draft",
    "context_for",
    "first_name",
    "format_start",
    "meeting_info",
    "reply_subject",
    "split_subject",
    "tidy_body",
]
