"""One call for one draft: `compose_draft` = context_for + render + build_message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING

from coffeechat.compose.context import Record, context_for
from coffeechat.compose.message import Identity, build_message
from coffeechat.compose.templates import RenderedDraft, TemplateLibrary
from coffeechat.config import require_identity

if TYPE_CHECKING:
    from coffeechat.config import Config
    from coffeechat.models import Contact


@dataclass(frozen=True)
class Draft:
    """What `coffeechat draft` writes: the rendered text and the message built from it."""

    rendered: RenderedDraft
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


def compose_draft(
    library: TemplateLibrary,
    kind: str,
    *,
    config: Config,
    contact: Contact,
    now: datetime,
    referrer: Contact | None = None,
    detail: str | None = None,
    notes: str | None = None,
    meeting: Record | None = None,
    days_since: int | None = None,
    previous_subject: str | None = None,
    referrals: Sequence[str] = (),
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> Draft:
    """context_for + render + build_message for one contact, as the user in [me]."""
    require_identity(config)
    context = context_for(
        me=config.me,
        contact=contact,
        meeting_minutes=config.outreach.meeting_minutes,
        referrer=referrer,
        detail=detail,
        notes=notes,
        meeting=meeting,
        days_since=days_since,
        previous_subject=previous_subject,
        referrals=referrals,
    )
    rendered = library.render(kind, context)
    message = build_message(
        sender=Identity.from_me(config.me),
        to_name=contact.name,
        to_address=contact.email,
        subject=rendered.subject,
        body=rendered.body,
        now=now,
        in_reply_to=in_reply_to,
        references=references,
        contact_id=contact.id,
    )
    return Draft(rendered=rendered, message=message)
