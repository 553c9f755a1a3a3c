"""`coffeechat draft`: render, proofread, write into Drafts, record, move the stage.

The order matters for "loses nothing, doubles nothing":
1. every draft is rendered and proofread before anything is written, so one bad draft
   stops the whole command with nothing half-done;
2. each Message-ID is recorded as `pending` before the APPEND and `written` after, so a
   run killed in between looks in Drafts on the next run instead of appending twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from email.message import EmailMessage
from typing import Any

from coffeechat.config import Config
from coffeechat.errors import UserError
from coffeechat.mail.base import Mailbox
from coffeechat.models import Contact
from coffeechat.output import local_time
from coffeechat.pipeline import NOT_WRITTEN_TO, Stage
from coffeechat.store import Store

KINDS = ("outreach", "follow-up", "thank-you", "check-in")

# Which stages each kind of draft makes sense in; --force writes it anyway.
ALLOWED_STAGES: dict[str, frozenset[Stage]] = {
    "outreach": frozenset({Stage.IDENTIFIED, Stage.BOUNCED, Stage.NO_RESPONSE}),
    # Not drafted: the outreach is unsent, and a follow-up to it would say "I wrote
    # recently" under a message that never went out (`_check_can_draft` says what to do).
    "follow-up": frozenset({Stage.CONTACTED}),
    "thank-you": frozenset({Stage.MET}),
    "check-in": frozenset({Stage.THANKED, Stage.KEEPING_IN_TOUCH}),
}
NEXT_STEP = {
    Stage.IDENTIFIED: "outreach",
    Stage.CONTACTED: "follow-up",
    Stage.MET: "thank-you",
    Stage.THANKED: "check-in",
    Stage.KEEPING_IN_TOUCH: "check-in",
}


@dataclass(frozen=True)
class PlannedDraft:
    contact: Contact
    kind: str
    message: EmailMessage
    text: str  # "Subject: ...\n\n<body>", what the proofreader and the user read
    findings: tuple  # tuple[proofread.Finding, ...]
    warnings: tuple[str, ...] = ()
    template: str = ""  # the file it was rendered from, for "fix the template"

    @property
    def label(self) -> str:
        """What its proofreading findings are reported against: "outreach for Dana Lee"."""
        return f"{self.kind} for {self.contact.name}"


@dataclass(frozen=True)
class DraftOutcome:
    contact: Contact
    kind: str
    message_id: str
    folder: str
    reused: bool  # found already in Drafts from an interrupted run


def plan_drafts(
    store: Store,
    config: Config,
    kind: str,
    contacts: Sequence[Contact],
    *,
    now: datetime,
    force: bool = False,
    update: str | None = None,
) -> list[PlannedDraft]:
    """Render and proofread one draft per contact; refuse the lot if any cannot be written.

    `update` is what the user tells a check-in's reader (what they did, how it went); the
    check-in template leaves a blank for it when None.
    """
    from coffeechat.compose import TemplateLibrary, compose_draft

    if kind not in KINDS:
        raise UserError(f"unknown draft kind {kind!r}; choose one of: {', '.join(KINDS)}")
    library = TemplateLibrary(config.templates_path)
    _check_all_can_draft(store, contacts, kind, force, config.tz)
    plans = []
    for contact in contacts:
        referrer = store.get(contact.referred_by) if contact.referred_by else None
        # A follow-up answers the unanswered thread ("Re: ..."). A thank-you and a check-in
        # are new notes with subjects of their own: threaded, they read "Re: Thank you for
        # your time", a reply to a message that never existed.
        parent = store.last_exchange(contact.id) if kind == "follow-up" else None
        history = _history(store, contact, kind, now)
        draft = compose_draft(
            library,
            kind,
            config=config,
            contact=contact,
            now=now,
            referrer=referrer,
            in_reply_to=parent["message_id"] if parent else None,
            references=(parent["references_"] or "").split() if parent else (),
            notes=update,
            **history,
        )
        warnings = [
            *_timing_warnings(store, config, contact, kind, now),
            *_content_warnings(contact, kind, history["detail"]),
        ]
        plans.append(
            plan_message(
                config,
                contact,
                kind,
                draft.message,
                referrer,
                warnings,
                template=draft.rendered.template,
            )
        )
    return plans


def plan_message(
    config: Config,
    contact: Contact,
    kind: str,
    message: EmailMessage,
    referrer: Contact | None = None,
    warnings: Sequence[str] = (),
    *,
    template: str = "",
) -> PlannedDraft:
    """Proofread a composed message, as the user will read it, into a draft to write."""
    from coffeechat.proofread import ProofreadContext, proofread

    body = message.get_body(("plain",))
    text = f"Subject: {message['Subject']}\n\n" + (
        body.get_content() if isinstance(body, EmailMessage) else ""
    )
    findings = proofread(
        text,
        ProofreadContext(
            kind=kind,
            names=_name_words(contact, referrer, config),
            recipient_name=contact.name,
            referrer=referrer.name if referrer else "",
            words=config.proofread.words,
        ),
    )
    return PlannedDraft(contact, kind, message, text, tuple(findings), tuple(warnings), template)


def recipient_problem(contact: Contact) -> str | None:
    """Why a draft to `contact` cannot be delivered, with the fix; None when it can.

    `contact.email` is the first address that has not bounced, so a bounced one here
    means every address did.
    """
    if not contact.email:
        return (
            f"{contact.name} has no email address; add one with "
            f"`coffeechat edit {contact.id} --email ADDRESS`"
        )
    if contact.email in contact.bad_emails:
        return (
            f"{contact.name}'s address {contact.email} bounced; add another with "
            f"`coffeechat edit {contact.id} --email ADDRESS`"
        )
    return None


def _check_all_can_draft(
    store: Store, contacts: Sequence[Contact], kind: str, force: bool, tz: tzinfo | None = None
) -> None:
    """Refuse the lot when any contact cannot have this draft, saying so: a user who
    named three contacts must not think the other two were written."""
    refused = []
    for contact in contacts:
        try:
            _check_can_draft(store, contact, kind, force, tz)
        except UserError as err:
            refused.append((contact, str(err)))
    if not refused:
        return
    reasons = "; ".join(reason for _, reason in refused)
    if len(contacts) == 1:
        raise UserError(reasons)
    names = " and ".join(contact.name for contact, _ in refused)
    raise UserError(
        f"{reasons}. Nothing was written for the {len(contacts)} contacts; draft the others "
        f"without {names}, or pass --force"
    )


def _check_can_draft(
    store: Store, contact: Contact, kind: str, force: bool, tz: tzinfo | None = None
) -> None:
    if not contact.email:
        raise UserError(str(recipient_problem(contact)))
    if contact.email in contact.bad_emails and not force:
        raise UserError(f"{recipient_problem(contact)}, or pass --force")
    if force:
        return
    earlier = _unsent_outreach(store, contact) if kind == "outreach" else None
    if earlier is not None:
        # "Sam Roe is drafted: an outreach draft does not fit" left a new user wondering
        # whether the first draft existed at all: say where it is and what to do with it.
        written = local_time(earlier["at"], tz)
        raise UserError(
            f"an outreach to {contact.name} is already in {earlier['folder'] or 'Drafts'} "
            f"(written {written}, subject “{earlier['subject']}”): send it from "
            f"your mail client, or pass --force to write another"
        )
    if kind == "follow-up" and contact.stage == Stage.DRAFTED:
        unsent = _unsent_outreach(store, contact)
        where = (
            f"is still in {unsent['folder'] or 'Drafts'} (written "
            f"{local_time(unsent['at'], tz)}, subject “{unsent['subject']}”)"
            if unsent is not None
            else "has not been sent"
        )
        raise UserError(
            f"{contact.name} is drafted: the outreach {where}, so there is nothing to follow "
            f"up on yet; send it from your mail client, then run `coffeechat watch --once`"
        )
    if contact.stage not in ALLOWED_STAGES[kind]:
        suggestion = NEXT_STEP.get(contact.stage)
        hint = (
            f"`coffeechat draft {suggestion} {contact.id}` is the next step"
            if suggestion and suggestion != kind
            else "pass --force to write it anyway"
        )
        raise UserError(
            f"{contact.name} is {contact.stage.value}: {_a(kind)} draft does not fit; {hint}"
        )
    if kind == "follow-up" and store.messages(contact.id, kind="follow-up"):
        raise UserError(
            f"{contact.name} already has a follow-up; one polite nudge is "
            f"enough; a second reads as pressure. Pass --force to write another, or "
            f"`coffeechat stage {contact.id} no-response`"
        )


def _unsent_outreach(store: Store, contact: Contact) -> dict[str, Any] | None:
    """The outreach draft that made the contact `drafted`, while they still are: the one
    coffeechat wrote last (an interrupted run's `pending` one is retried, not refused)."""
    if contact.stage != Stage.DRAFTED:
        return None
    drafts = store.messages(contact.id, direction="draft", kind="outreach")
    written = [m for m in drafts if m["state"] != "pending"]
    return written[-1] if written else None


def _a(kind: str) -> str:
    """ "an outreach", "a follow-up": the kinds are all said as spelled."""
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _timing_warnings(
    store: Store, config: Config, contact: Contact, kind: str, now: datetime
) -> list[str]:
    if kind == "follow-up":
        return _early_follow_up(store, config, contact, now)
    if kind != "thank-you":
        return []
    from coffeechat.journey import conversation_ended, held_meetings

    met = [e for e in store.events(contact.id, "stage") if e.to_stage == Stage.MET.value]
    if not met:
        return []
    # The clock starts when the conversation ended, as the agenda counts it, not when
    # `met` was typed (often days later).
    meetings = held_meetings(store, contact.id).get(contact.id, [])
    times = sorted(datetime.fromisoformat(e.at) for e in met)  # as the agenda reads them
    ended = conversation_ended(times[-1], meetings, times[-2] if len(times) > 1 else None)
    assert ended is not None  # given a time, conversation_ended returns one
    late = now - ended - timedelta(hours=config.outreach.thank_you_within_hours)
    if late > timedelta(0):
        hours = int(late.total_seconds() // 3600)
        return [
            f"this thank-you is {hours} h later than the "
            f"{config.outreach.thank_you_within_hours} h advised (outreach."
            f"thank_you_within_hours); send it anyway, today"
        ]
    return []


def _early_follow_up(store: Store, config: Config, contact: Contact, now: datetime) -> list[str]:
    """A follow-up drafted before the day the agenda has it due (a week after the outreach,
    or after an out-of-office's return) reads as pressing: the seeds allow one, politely."""
    from coffeechat.agenda import actions_for, contact_facts

    local = now.astimezone(config.tz)
    for facts in contact_facts(store, [contact]):
        for action in actions_for(facts, config.outreach, config.tz, local):
            if action.kind == "follow-up" and action.due.date() > local.date():
                return [
                    f"this follow-up is early: the agenda has it due on "
                    f"{action.due:%a %Y-%m-%d} ({action.detail}); send it then, or now if "
                    "you have news"
                ]
    return []


def _content_warnings(contact: Contact, kind: str, advice: str | None) -> list[str]:
    """A thank-you should name something specific they said; without recorded advice it
    can only be general, which the proofreader cannot see."""
    if kind != "thank-you" or advice is not None:
        return []
    return [
        "the thank-you names nothing specific from your conversation; record one piece of "
        f"their advice with `coffeechat met {contact.id} --advice TEXT` and draft it again"
    ]


def _name_words(contact: Contact, referrer: Contact | None, config: Config) -> tuple[str, ...]:
    words = [contact.name, contact.company, config.me.name]
    if referrer:
        words += [referrer.name, referrer.company]
    return tuple(w for w in words if w)


def _history(store: Store, contact: Contact, kind: str, now: datetime) -> dict[str, Any]:
    """What the timeline adds to a template's values (see coffeechat.compose).

    Meeting notes are private and never go into a draft; the advice the user recorded for
    quoting (`met --advice`) is the `detail` the thank-you and the check-in quote back.
    """
    advice = [e.detail for e in store.events(contact.id) if e.kind == "advice"]
    sent = store.messages(contact.id, direction="sent")
    earlier = sent or store.messages(contact.id, direction="draft")
    first = earlier[0] if earlier else None
    return {
        "detail": advice[-1] if advice else None,
        "days_since": _calendar_days(datetime.fromisoformat(sent[-1]["at"]), now) if sent else None,
        "previous_subject": first["subject"] if first and kind == "follow-up" else None,
        "referrals": _referrals_to_follow(store, contact) if kind == "thank-you" else (),
    }


def _calendar_days(since: datetime, now: datetime) -> int:
    """Days between the two dates on the user's calendar (`now` is in their zone).

    Not whole 24 h periods: an outreach sent Monday at 10:00 was written "a week ago" when
    the follow-up is drafted the next Monday at 09:00, the morning the agenda has it due;
    elapsed time would say "6 days".
    """
    return (now.date() - since.astimezone(now.tzinfo).date()).days


def _referrals_to_follow(store: Store, contact: Contact) -> list[str]:
    """The people they suggested whom the user has not written to yet: the thank-you
    promises to reach out to them, which is no news for someone already contacted."""
    return [c.name for c in store.referrals(contact.id) if c.stage in NOT_WRITTEN_TO]


def write_drafts(
    store: Store, mailbox: Mailbox, plans: Sequence[PlannedDraft], *, now: datetime
) -> list[DraftOutcome]:
    """Append the planned drafts to Drafts, recording each before and after the APPEND."""
    folder = mailbox.drafts_folder()
    at = now.isoformat(timespec="seconds")
    outcomes: list[DraftOutcome] = []
    to_append: list[PlannedDraft] = []
    reused: dict[int, str] = {}
    with store.transaction():
        for plan in plans:
            leftover = _leftover_draft(store, mailbox, folder, plan)
            if leftover:
                reused[plan.contact.id] = leftover
                continue
            message_id = str(plan.message["Message-ID"])
            references = " ".join(str(plan.message.get("References", "")).split())
            store.record_message(
                message_id,
                plan.contact.id,
                direction="draft",
                kind=plan.kind,
                subject=str(plan.message["Subject"]),
                at=at,
                folder=folder,
                references=references,
                state="pending",
            )
            to_append.append(plan)
    results = mailbox.append_drafts([plan.message for plan in to_append]) if to_append else []
    by_contact = {plan.contact.id: result for plan, result in zip(to_append, results, strict=True)}
    with store.transaction():
        for plan in plans:
            if plan.contact.id in reused:
                message_id, was_reused = reused[plan.contact.id], True
            else:
                result = by_contact[plan.contact.id]
                message_id, was_reused = result.message_id, False
            store.set_message_state(
                message_id, "written", None if was_reused else by_contact[plan.contact.id].uid
            )
            contact = store.get(plan.contact.id)
            detail = f"{plan.kind} draft written to {folder}"
            if plan.kind == "outreach" and contact.stage != Stage.DRAFTED:
                contact = store.move(contact, Stage.DRAFTED, detail, message_id, at=at)
            else:
                store.add_event(contact.id, "draft", None, None, detail, message_id, at=at)
            outcomes.append(DraftOutcome(contact, plan.kind, message_id, folder, was_reused))
    return outcomes


def _leftover_draft(store: Store, mailbox: Mailbox, folder: str, plan: PlannedDraft) -> str | None:
    """The Message-ID of a draft an interrupted run appended but did not finish recording."""
    for pending in store.pending_drafts(plan.contact.id, plan.kind):
        if mailbox.has_message_id(folder, pending["message_id"]):
            return str(pending["message_id"])
        # Never reached the server: forget it; this run appends afresh.
        store.forget_message(pending["message_id"])
    return None


def preview(message: EmailMessage) -> str:
    """The draft as a mail client shows it: decoded headers, then the text."""
    lines = [
        f"{name}: {message[name]}"
        for name in ("From", "To", "Subject", "Date", "Message-ID", "In-Reply-To")
        if message[name]
    ]
    body = message.get_body(("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    return "\n".join(lines) + "\n\n" + text.rstrip("\n")
