"""One pass over Sent and INBOX: fetch new headers, classify, apply, advance the cursor.

Data flows one way (DESIGN.md): mailbox headers → tracker (pure classification) →
pipeline (pure transition) → store, in one transaction per batch together with the
folder cursor. That transaction is what makes a scan exactly-once: a scan killed midway
leaves the cursor at the last whole batch, and every effect is keyed by Message-ID, so a
rescan (after a kill, or a new UIDVALIDITY) finds its work already done.
"""

from __future__ import annotations

import collections
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any, Literal

from coffeechat import tracker
from coffeechat.errors import MailError
from coffeechat.mail.base import FetchedMessage, FolderState, Mailbox
from coffeechat.models import Contact
from coffeechat.pipeline import Stage, can_move
from coffeechat.store import Store
from coffeechat.store.values import as_utc, fold
from coffeechat.tracker.prefilter import Mentions, might_concern

FolderRole = Literal["sent", "inbox"]
# Up to this many new addresses, their earlier mail is searched for; more (an import)
# have the backfill window read again, which costs one first scan whatever the number.
SEARCH_NEW_ADDRESSES = 100
# What a message the user wrote themselves to a contact at these stages is: after the
# thank-you, any message keeps in touch (and restarts the check-in clock).
SENT_KIND_BY_STAGE = {
    Stage.THANKED: "check-in",
    Stage.KEEPING_IN_TOUCH: "check-in",
}
# A subject that thanks, in the languages of the auto-reply triggers: after the meeting,
# only such a message is taken for the thank-you ("running ten minutes late" is not).
_THANKS = re.compile(r"\b(?:thank|danke|dank|merci|gracias|grazie|obrigad|bedankt)", re.I)
# Mail that answers what the user wrote, unless it is older than the first message to them.
_MAY_PREDATE = frozenset({tracker.Kind.REPLY, tracker.Kind.BOUNCE})
# Prefixes clients put before a subject they reply to or forward.
_SUBJECT_PREFIX = re.compile(r"^(?:\s*(?:re|fwd?|aw|wg|tr|rv|sv)\s*:)+\s*", re.I)


@dataclass(frozen=True)
class Change:
    """One thing a scan did to a contact, for the one-line report `watch` prints."""

    at: datetime | None
    contact_id: int
    contact_name: str
    kind: str  # sent | reply | auto-reply | bounce | itip-reply | no-response
    from_stage: str
    to_stage: str | None  # None: logged, stage unchanged
    subject: str
    detail: str
    learned_address: str = ""  # an address of theirs this message taught us
    # The meeting whose stored answer (partstat) this message set: its own .ics, written by
    # `schedule`, is then stale, and the caller rewrites it (`scheduling.rewrite_files`).
    meeting_uid: str = ""

    def line(self, tz: tzinfo | None = None, today: date | None = None) -> str:
        """`14:02 Dana Lee  contacted → replied  "Re: Coffee chat?"`, in the user's time
        zone `tz`; a message from another day than `today` (a backfill) shows its date."""
        when = "--:--"
        if self.at:
            local = self.at.astimezone(tz)
            when = local.strftime("%H:%M" if local.date() == today else "%Y-%m-%d %H:%M")
        if not self.to_stage:
            # No move to show: what the message was, in the timeline's words (which name
            # the bounced address, the calendar answer, the return date, the subject).
            return f"{when} {self.contact_name}  {self.detail} (stays {self.from_stage})"
        about = f'  "{self.subject}"' if self.subject else f"  ({self.detail})"
        learned = f"  (new address {self.learned_address} saved)" if self.learned_address else ""
        return f"{when} {self.contact_name}  {self.from_stage} → {self.to_stage}{about}{learned}"

    def to_json(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat() if self.at else None,
            "contact_id": self.contact_id,
            "name": self.contact_name,
            "kind": self.kind,
            "from_stage": self.from_stage,
            "to_stage": self.to_stage,
            "subject": self.subject,
            "detail": self.detail,
            "learned_address": self.learned_address or None,
        }


@dataclass
class ScanContext:
    """What classification needs, loaded once per pass instead of once per message.

    The byte sets mirror the dictionaries, lower-cased, for the pre-filter, which looks at
    raw header bytes; `remember_*` keeps both in step as a scan learns addresses and
    messages, and logs what it learned in `learned`.
    """

    my_addresses: frozenset[str]
    known_message_ids: dict[str, int]
    address_book: dict[str, int]
    address_bytes: set[bytes] = field(default_factory=set)
    message_id_bytes: set[bytes] = field(default_factory=set)
    learned: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.address_bytes = {_lower_bytes(a) for a in self.address_book}
        self.message_id_bytes = {_lower_bytes(m) for m in self.known_message_ids}

    @classmethod
    def load(cls, store: Store, my_address: str) -> ScanContext:
        return cls(frozenset({my_address.lower()}), store.known_message_ids(), store.address_book())

    def might_concern(
        self, fetched: FetchedMessage, role: FolderRole, looked_up: set[bytes] | None = None
    ) -> bool:
        """Whether a message is worth parsing: every Sent message, and the INBOX mail the
        pre-filter cannot rule out (see `prefilter.might_concern` for `looked_up`)."""
        return role == "sent" or might_concern(
            fetched.headers, self.address_bytes, self.message_id_bytes, looked_up
        )

    def remember_message(self, message_id: str, contact_id: int) -> None:
        self.known_message_ids[message_id] = contact_id
        self._learn(self.message_id_bytes, message_id)

    def remember_address(self, address: str, contact_id: int) -> None:
        self.address_book[address] = contact_id
        self._learn(self.address_bytes, address)

    def _learn(self, known: set[bytes], text: str) -> None:
        token = _lower_bytes(text)
        if token not in known:
            known.add(token)
            self.learned.append(token)


def _lower_bytes(text: str) -> bytes:
    return text.lower().encode("utf-8", "replace")


def scan_folder(
    store: Store,
    mailbox: Mailbox,
    folder: str,
    role: FolderRole,
    *,
    state: FolderState,
    context: ScanContext,
    backfill_days: int,
    progress: Callable[[int, int], None] | None = None,
    on_committed: Callable[[list[Change]], None] | None = None,
) -> list[Change]:
    """Process the messages of `folder` not seen yet, up to `state` (taken before
    `context` was loaded, see `watcher.run_pass`); return what changed.

    `on_committed` hears each batch's changes once they are committed: a pass that fails
    later has still made them, and the next pass starts after them.
    """
    cursor = store.cursor(folder)
    if cursor is not None and cursor[0] == state.uidvalidity:
        after, since = cursor[1], None
        if after >= state.uidnext - 1:
            return []  # nothing new: the STATUS (or SELECT) above was the whole cost
    else:
        # First scan, or the server renumbered the folder (RFC 3501 §2.3.1.1): read the
        # backfill window again; Message-ID keys stop anything from happening twice.
        after, since = 0, backfill_days
    changes: list[Change] = []
    last = after
    total = max(state.uidnext - 1 - after, 0)
    batches = mailbox.fetch_headers(folder, after, since, until_uid=state.uidnext - 1)
    for last, made in read_batches(store, mailbox, batches, role, context, state, on_committed):
        changes += made
        if progress:
            progress(last - after, total)
    # Messages older than the backfill window were skipped on purpose: the scan is complete
    # up to UIDNEXT, and recording that lets the next pass stop after one STATUS.
    store.set_cursor(folder, state.uidvalidity, max(last, state.uidnext - 1))
    return changes


def scan_folders(
    store: Store,
    mailbox: Mailbox,
    folders: Sequence[tuple[str, FolderRole]],
    *,
    my_address: str,
    backfill_days: int,
    progress: Callable[[str, int, int], None] | None = None,
    on_committed: Callable[[list[Change]], None] | None = None,
) -> list[Change]:
    """Scan `folders` (in order) with one address book, loaded after their ends are noted.

    Addresses added since the last pass have their earlier mail looked up in `folders`
    and are then marked done: a pass gives every folder it watches (Sent and INBOX).
    """
    # Where each folder ends, taken before the address book is read: a contact added
    # during the pass, and their mail, are both left whole to the next pass, instead of
    # the mail being passed over as a stranger's.
    states = {folder: mailbox.folder_state(folder) for folder, _ in folders}
    # Likewise the addresses added since the last pass, whose earlier mail, passed over
    # then, is read first (before the newer mail, so that stages move in time order).
    new_addresses = store.addresses_to_backfill()
    context = ScanContext.load(store, my_address)
    changes: list[Change] = []
    with store.relaxed_durability():  # what a pass writes, the mailbox can tell again
        if new_addresses:
            changes += backfill_new_addresses(
                store,
                mailbox,
                folders,
                states,
                new_addresses,
                context,
                backfill_days=backfill_days,
                on_committed=on_committed,
            )
        for folder, role in folders:
            report = (lambda done, total, f=folder: progress(f, done, total)) if progress else None
            changes += scan_folder(
                store,
                mailbox,
                folder,
                role,
                state=states[folder],
                context=context,
                backfill_days=backfill_days,
                progress=report,
                on_committed=on_committed,
            )
    return changes


def read_batches(
    store: Store,
    mailbox: Mailbox,
    batches: Iterable[list[FetchedMessage]],
    role: FolderRole,
    context: ScanContext,
    state: FolderState | None,
    on_committed: Callable[[list[Change]], None] | None = None,
) -> Iterator[tuple[int, list[Change]]]:
    """Classify and apply `batches` in order, each in one transaction, with the folder's
    cursor moved to its last message when `state` is given: yields that UID and the
    batch's changes once committed, which `on_committed` hears too.

    Each batch is planned `mailbox.batches_ahead` batches before it is applied, and its
    whole messages asked for then, so that the server finds them while the client plans
    the next batches. When reading a batch fails (a lost connection), those planned
    already are applied if their whole messages can still be read, so that a pass keeps
    what it read in full.
    """

    def commit(planned: PlannedBatch) -> tuple[int, list[Change]]:
        return commit_batch(store, mailbox, planned, role, context, state, on_committed)

    ahead: collections.deque[PlannedBatch] = collections.deque()
    failure = None
    try:
        for batch in batches:
            ahead.append(plan_batch(mailbox, batch, role, context))
            if len(ahead) > mailbox.batches_ahead:
                yield commit(ahead.popleft())
    except MailError as err:
        failure = err
    while ahead:
        try:
            committed = commit(ahead.popleft())
        except MailError:
            if failure is None:
                raise
            break  # the same failure again: the connection is gone
        yield committed
    if failure is not None:
        raise failure


def commit_batch(
    store: Store,
    mailbox: Mailbox,
    planned: PlannedBatch,
    role: FolderRole,
    context: ScanContext,
    state: FolderState | None,
    on_committed: Callable[[list[Change]], None] | None = None,
) -> tuple[int, list[Change]]:
    """Apply one planned batch in one transaction, with the cursor (see `read_batches`)."""
    bodies = planned.bodies()
    last = planned.batch[-1].uid
    with store.transaction():
        made = apply_batch(store, mailbox, planned, bodies, role, context)
        if state is not None:
            store.set_cursor(state.name, state.uidvalidity, last)
    if on_committed and made:
        on_committed(made)
    return last, made


def backfill_new_addresses(
    store: Store,
    mailbox: Mailbox,
    folders: Sequence[tuple[str, FolderRole]],
    states: dict[str, FolderState],
    addresses: Sequence[str],
    context: ScanContext,
    *,
    backfill_days: int,
    on_committed: Callable[[list[Change]], None] | None = None,
) -> list[Change]:
    """Read the mail a folder's cursor has passed that concerns `addresses`, added since:
    the contact written to, or who wrote, before coffeechat knew them.

    A few addresses are searched for; more (an import) have the whole backfill window
    read again, as a first scan would. Either way a message already applied adds nothing
    (events are keyed by Message-ID). A folder without a cursor, or renumbered, is read
    whole by this pass anyway.
    """
    changes: list[Change] = []
    for folder, role in folders:
        cursor = store.cursor(folder)
        if cursor is None or cursor[0] != states[folder].uidvalidity or cursor[1] < 1:
            continue
        if len(addresses) <= SEARCH_NEW_ADDRESSES:
            batches = mailbox.fetch_correspondence(folder, addresses, cursor[1], backfill_days)
        else:
            batches = mailbox.fetch_headers(folder, 0, backfill_days, until_uid=cursor[1])
        for _last, made in read_batches(store, mailbox, batches, role, context, None, on_committed):
            changes += made
    with store.transaction():
        store.mark_backfilled(addresses)
    return changes


def synthetic_message_id(fetched: FetchedMessage) -> str:
    """A stable key for a message without a Message-ID (RFC 5322 makes it optional)."""
    digest = hashlib.sha256(fetched.headers).hexdigest()[:32]
    return f"<{digest}@no-message-id.coffeechat>"


@dataclass(frozen=True)
class Planned:
    """A message of a batch worth a look, parsed, with what it seemed to be at the start."""

    fetched: FetchedMessage
    headers: tracker.ParsedHeaders
    needs_body: bool


@dataclass(frozen=True)
class PlannedBatch:
    """A batch read ahead of being applied: the messages worth a look, parsed; how much
    the scan had learned when they were chosen; and their whole messages, asked for."""

    batch: list[FetchedMessage]
    planned: list[Planned]
    learned_mark: int  # len(ScanContext.learned) at planning
    looked_up: set[bytes]  # what the pre-filter looked up for the messages it skipped
    bodies: Callable[[], dict[int, bytes]]


def plan_batch(
    mailbox: Mailbox, batch: list[FetchedMessage], role: FolderRole, context: ScanContext
) -> PlannedBatch:
    """Parse the messages of `batch` that may concern a contact, and ask for those that
    will need their whole message, in one request instead of one each."""
    planned = []
    looked_up: set[bytes] = set()
    for fetched in batch:
        if context.might_concern(fetched, role, looked_up):
            headers = tracker.parse_headers(fetched.headers)
            results = _classify(headers, role, context)
            needs_body = any(r.needs_part is not None for r in results)
            planned.append(Planned(fetched, headers, needs_body))
    wanted = [p.fetched.uid for p in planned if p.needs_body]
    bodies = mailbox.ask_parts(batch[0].folder, wanted, "")
    return PlannedBatch(batch, planned, len(context.learned), looked_up, bodies)


def apply_batch(
    store: Store,
    mailbox: Mailbox,
    planned: PlannedBatch,
    bodies: dict[int, bytes],
    role: FolderRole,
    context: ScanContext,
) -> list[Change]:
    """Apply each message of a batch in UID order. Must run inside a transaction.

    Each message is classified again here, against what the scan learned since the
    batch was planned and what the messages before it taught (a new address, a
    Message-ID to thread on), exactly as if the mail were read one message at a time; a
    message the plan skipped is read after all when it mentions something learned since.
    """
    batch = planned.batch
    by_uid = {p.fetched.uid: p.headers for p in planned.planned}
    mentions: Mentions | None = None

    def mentioning(index: int, learned: Sequence[bytes]) -> set[int]:
        """Skipped messages after `index` that mention any of `learned`: searched for
        only when the pre-filter looked one of them up, which is rare."""
        nonlocal mentions
        if not (relevant := [token for token in learned if token in planned.looked_up]):
            return set()
        mentions = mentions or Mentions([f.headers for f in batch])
        return mentions.after(index, relevant)

    # Skipped messages that mention something learned since the plan.
    mentioned = mentioning(-1, context.learned[planned.learned_mark :])
    changes = []
    for index, fetched in enumerate(batch):
        headers = by_uid.get(fetched.uid)
        if headers is None:
            if index not in mentioned or not context.might_concern(fetched, role):
                continue
            headers = tracker.parse_headers(fetched.headers)
        learned_before = len(context.learned)
        changes += apply_message(store, mailbox, fetched, headers, bodies, role, context)
        if learned := context.learned[learned_before:]:
            mentioned |= mentioning(index, learned)
    return changes


def _classify(
    headers: tracker.ParsedHeaders, role: FolderRole, context: ScanContext
) -> tuple[tracker.Classification, ...]:
    return tuple(
        tracker.classify(
            headers,
            folder_role=role,
            my_addresses=context.my_addresses,
            known_message_ids=context.known_message_ids,
            contact_for_address=context.address_book.get,
        )
    )


def apply_message(
    store: Store,
    mailbox: Mailbox,
    fetched: FetchedMessage,
    headers: tracker.ParsedHeaders,
    bodies: dict[int, bytes],
    role: FolderRole,
    context: ScanContext,
) -> list[Change]:
    """Classify one message and apply what it proves. Must run inside a transaction.

    `bodies` holds whole messages fetched ahead; one missing from it is fetched now.
    """
    message_id = headers.message_id or synthetic_message_id(fetched)
    changes = []
    for result in _classify(headers, role, context):
        if result.kind == tracker.Kind.IGNORE:
            continue
        if result.needs_part is not None:
            if fetched.uid not in bodies:
                bodies.update(mailbox.fetch_parts(fetched.folder, [fetched.uid], ""))
            refined = tracker.refine(
                result,
                bodies.get(fetched.uid, b""),  # b"": expunged meanwhile, refine copes
                contact_for_address=context.address_book.get,
                known_message_ids=context.known_message_ids,
                my_addresses=context.my_addresses,
            )
        else:
            refined = (result,)
        for item in refined:
            if item.kind == tracker.Kind.IGNORE or item.contact_id is None:
                continue
            change = _apply(
                store, item, message_id, fetched.folder, fetched.uid, context, _chain(headers)
            )
            if change is not None:
                changes.append(change)
    return changes


def _apply(
    store: Store,
    result: tracker.Classification,
    message_id: str,
    folder: str,
    uid: int,
    context: ScanContext,
    references: str,
) -> Change | None:
    assert result.contact_id is not None
    kind = str(result.kind)
    if store.has_event(result.contact_id, message_id, kind):
        return None  # seen before: a rescan, or the same message in another folder
    contact = store.get(result.contact_id)
    # The message's own Date, but never later than now: a sender's clock that runs ahead
    # would otherwise sort their reply after what the user did in answer to it.
    now = _now()
    at = min(result.at or now, now).isoformat(timespec="seconds")
    direction = "sent" if result.kind == tracker.Kind.SENT else "received"
    draft = store.message(message_id)
    draft_kind = draft["kind"] if draft and draft["direction"] == "draft" else None
    if draft is not None and draft_kind is not None:
        # A client may send the draft with its own Date, stamped just before coffeechat
        # recorded it: the sending cannot come before the drafting on the timeline.
        at = max(as_utc(at), as_utc(draft["at"]))
    if result.kind == tracker.Kind.SENT and draft_kind is None:
        sent_draft = _draft_with_subject(store, contact, result.subject)
        if sent_draft is not None:
            # The sent copy takes the draft's place: left as a draft, it would be
            # matched again by the next message under "Re:" the same subject.
            store.forget_message(sent_draft["message_id"])
            draft_kind = str(sent_draft["kind"])
        else:
            draft_kind = _guess_sent_kind(store, contact, result.subject)
    if draft is None:
        store.record_message(
            message_id,
            contact.id,
            direction=direction,
            kind=draft_kind or kind,
            subject=result.subject,
            at=at,
            folder=folder,
            uid=uid,
            references=references,
        )
    elif draft["direction"] == "draft":
        # The user sent our draft as it was: it now counts as sent mail.
        store.mark_sent(message_id, at=at, folder=folder, uid=uid)
    context.remember_message(message_id, contact.id)
    extra: dict[str, object] = {"why": result.detail}
    learned = _learnable_address(result, contact)
    if learned and store.contact_id_for_email(learned) is None:
        # They replied in the thread from another account: remember it for next time.
        store.add_email(contact.id, learned, backfilled=True)
        context.remember_address(learned, contact.id)
        extra["learned_address"] = learned
    else:
        learned = ""
    if result.kind == tracker.Kind.AUTO_REPLY and result.returns:
        extra["returns"] = result.returns.isoformat()
    not_counted = answered = ""
    written_at = None
    older = False
    if result.kind in _MAY_PREDATE and not result.threaded:
        first = store.first_written_at(contact.id)
        written_at = first[0] if first else None
        if older := tracker.predates(result, written_at):
            assert first is not None
            # A move made by hand says when the user told coffeechat, not when they wrote.
            not_counted = (
                "; dated before you marked them contacted"
                if first[1]
                else "; dated before you first wrote to them"
            )
    if result.kind == tracker.Kind.BOUNCE and not older:
        for address in result.bounced_addresses:
            store.mark_undeliverable(address)
    if result.kind == tracker.Kind.ITIP_REPLY and result.partstat:
        extra["partstat"] = result.partstat
        extra["sequence"] = result.sequence or 0
        meeting = store.answered_meeting(contact.id, result.event_uid)
        not_counted = _answer_not_counted(result, contact.id, meeting)
        if meeting is not None and not not_counted:
            store.set_meeting_answer(contact.id, meeting["uid"], result.partstat)
            answered = meeting["uid"]
    # An answer that is not to the contact's meeting as it is now proves nothing about it:
    # logged (and keyed by its Message-ID, so read once), it moves no stage.
    target = (
        None
        if not_counted
        else tracker.decide(result, contact.stage, draft_kind=draft_kind, written_at=written_at)
    )
    detail = _detail(result, draft_kind, older=older) + not_counted
    if learned:
        detail += f"; {learned} added to their addresses"
    # The message is an event (and the key that makes a rescan add nothing); the stage
    # change it proves is another, with the same cause.
    store.add_event(contact.id, kind, None, None, detail, message_id, at=at, extra=extra)
    moved = target is not None and target != contact.stage and can_move(contact.stage, target)
    if moved:
        assert target is not None
        store.move(contact, target, detail, message_id, at=at)
    return Change(
        datetime.fromisoformat(at),  # as the timeline has it
        contact.id,
        contact.name,
        kind,
        contact.stage.value,
        target.value if moved and target else None,
        result.subject,
        detail,
        learned,
        answered,
    )


def _answer_not_counted(
    result: tracker.Classification, contact_id: int, meeting: dict[str, Any] | None
) -> str:
    """Why an iTIP answer does not count for `meeting` (the one it names), for the timeline;
    "" when it counts."""
    if meeting is None:
        # An invitation from elsewhere (the user's calendar app, a colleague's offsite):
        # with no meeting behind it, `scheduled` would be a stage with no date to keep.
        return (
            ", to an invitation coffeechat did not write: not counted; "
            f"`coffeechat schedule {contact_id} WHEN` records the meeting"
        )
    if meeting["contact_id"] != contact_id:
        # A forwarded invitation answered by someone else: the meeting's own contact has
        # not answered, and this one has no meeting.
        return ", to a meeting that is not theirs: not counted"
    answered, current = result.sequence or 0, int(meeting["sequence"] or 0)
    if tracker.answers_current(answered, current):
        return ""
    # RFC 5546 §2.1.5: a late answer to an earlier time (or place, or to a meeting since
    # cancelled) is not an answer to the meeting as it is now.
    return (
        f", to version {answered} of the invitation, not the current one ({current}): "
        "not counted as an answer to it"
    )


def _chain(headers: tracker.ParsedHeaders) -> str:
    """The thread a message continues, so that an answer to it carries the whole chain:
    its References, else its In-Reply-To alone (RFC 5322 §3.6.4)."""
    if headers.references:
        return " ".join(headers.references)
    return headers.in_reply_to or ""


def _learnable_address(result: tracker.Classification, contact: Contact) -> str:
    """The new address a thread reply came from, if it is the contact's own.

    A thread is also answered by assistants and colleagues, and an address wrongly added
    would make all their mail count as the contact's; so the From name must be the
    contact's name ("Jane Rivera", "Rivera, Jane"), not merely present.
    """
    if not result.address_is_new:
        return ""
    said = set(fold(result.sender_name).replace(",", " ").split())
    names = fold(contact.name).split()
    return result.address if names and {names[0], names[-1]} <= said else ""


def _draft_with_subject(store: Store, contact: Contact, subject: str) -> dict[str, Any] | None:
    """Our unsent draft that a message the user sent with `subject` most likely was.

    Mail clients often give a sent message a new Message-ID, so our draft's kind is lost
    but its subject is kept: the latest draft of ours with the same subject is the one sent.
    """
    plain = _plain_subject(subject)
    drafted = [
        m
        for m in store.messages(contact.id, direction="draft")
        if _plain_subject(m["subject"] or "") == plain
    ]
    return drafted[-1] if plain and drafted else None


def _guess_sent_kind(store: Store, contact: Contact, subject: str) -> str | None:
    """What a message the user wrote themselves (no draft of ours) most likely is.

    The stage says what the user was doing: a second message to a contact who has not
    answered is the follow-up; after the meeting, one whose subject thanks them is the
    thank-you; after that, any message keeps in touch.
    """
    if contact.stage == Stage.CONTACTED and store.messages(contact.id, direction="sent"):
        return "follow-up"
    if contact.stage == Stage.MET:
        return "thank-you" if _THANKS.search(subject) else None
    return SENT_KIND_BY_STAGE.get(contact.stage)


def _plain_subject(subject: str) -> str:
    """A subject without the Re:/Fwd: prefixes (our follow-ups and check-ins carry one),
    for comparing a sent message with our drafts."""
    return _SUBJECT_PREFIX.sub("", subject).strip().casefold()


def _detail(result: tracker.Classification, draft_kind: str | None, *, older: bool = False) -> str:
    """The timeline's words for what a message proved (the classifier's reason is in
    the event's `extra.why`); `older`: it predates the first message to the contact."""
    subject = f"“{result.subject}”" if result.subject else "(no subject)"
    match result.kind:
        case tracker.Kind.SENT:
            return f"{draft_kind or 'message'} sent: {subject}"
        case tracker.Kind.REPLY:
            return f"reply: {subject}"
        case tracker.Kind.AUTO_REPLY:
            back = f"; back on {result.returns.isoformat()}" if result.returns else ""
            return f"auto-reply: {subject}{back}"
        case tracker.Kind.BOUNCE:
            addresses = ", ".join(result.bounced_addresses) or result.address
            if older:
                return f"bounced: mail to {addresses} failed"
            return f"bounced: {addresses} is undeliverable"
        case tracker.Kind.ITIP_REPLY:
            return f"calendar answer: {(result.partstat or 'unknown').lower()}"
    return f"{result.kind}: {result.detail}"


def _now() -> datetime:
    from coffeechat.clock import now

    return now()
