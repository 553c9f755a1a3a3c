"""Turn a classification into a target stage: pure, and never backwards.

Every rule goes through `pipeline.is_later` (and so `pipeline.TRANSITIONS`), so an old
message seen late — a first scan of a years-old mailbox, a reply fetched after the meeting —
never moves a contact back along the journey.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from coffeechat.pipeline import NOT_WRITTEN_TO, Stage, can_move, is_later
from coffeechat.tracker.classify import Classification, Kind

# The stages from which a bounce moves the contact to `bounced`. Once a contact has replied,
# the person is reachable: a later bounce concerns one address (the caller marks it bad) and
# the stage stays. pipeline.TRANSITIONS would allow replied -> bounced for a manual change.
BOUNCE_FROM = frozenset({Stage.IDENTIFIED, Stage.DRAFTED, Stage.CONTACTED})
# iTIP PARTSTAT values that confirm a meeting (RFC 5545 §3.2.12). DECLINED does not decline
# the contact: the person may propose another time, so it is only logged.
CONFIRMING = frozenset({"ACCEPTED", "TENTATIVE"})
# How far a sender's clock may lag ours before their message counts as older than ours.
CLOCK_SKEW = timedelta(minutes=5)


def decide(
    classification: Classification,
    current: Stage,
    *,
    draft_kind: str | None = None,
    written_at: datetime | None = None,
) -> Stage | None:
    """The stage `classification` moves a contact at `current` to, or None to stay.

    `draft_kind` is the kind of our draft ("outreach", "follow-up", "thank-you", "check-in")
    when a SENT message's Message-ID is one of our drafts; None for anything else.
    `written_at` is when the user first wrote to the contact, when known.
    """
    kind = classification.kind
    if kind is Kind.SENT:
        return _sent(current, draft_kind)
    if kind is Kind.REPLY:
        if current in NOT_WRITTEN_TO and not classification.threaded:
            # Mail from someone never written to is an answer only when it cites our
            # message (the outreach went out and its sent copy was missed); otherwise a
            # friend's "happy holidays" would count as a reply. It is logged; no move.
            return None
        if predates(classification, written_at):
            # Older mail from them (a former coworker's, read by the first scan's
            # backfill) answers something else, unless it cites our message.
            return None
        return _forward(current, Stage.REPLIED)
    if kind is Kind.BOUNCE:
        if predates(classification, written_at):
            return None  # a bounce of an older message: the address may work now
        return Stage.BOUNCED if current in BOUNCE_FROM else None
    if kind is Kind.ITIP_REPLY:
        if (classification.partstat or "").upper() in CONFIRMING:
            return _forward(current, Stage.SCHEDULED)
        return None
    return None  # AUTO_REPLY is logged only; IGNORE changes nothing


def predates(classification: Classification, written_at: datetime | None) -> bool:
    """True for a reply or bounce that does not cite our message and is dated (clock skew
    aside) before the user first wrote to the contact: it answers something older."""
    at = classification.at
    if classification.threaded or at is None or written_at is None:
        return False
    return at < written_at - CLOCK_SKEW


def _forward(current: Stage, target: Stage) -> Stage | None:
    if current == target:
        return None
    return target if is_later(current, target) and can_move(current, target) else None


def _sent(current: Stage, draft_kind: str | None) -> Stage | None:
    if draft_kind == "thank-you":
        # A thank-you after the meeting; sent before `met` was recorded it proves nothing
        # the pipeline can express (scheduled -> thanked is not a transition).
        return _forward(current, Stage.THANKED)
    if draft_kind == "check-in":
        return _forward(current, Stage.KEEPING_IN_TOUCH)
    # Outreach, follow-up, or a message the user wrote themselves: the contact was contacted.
    # From no-response or bounced (a new address) this revives the contact.
    return _forward(current, Stage.CONTACTED)
