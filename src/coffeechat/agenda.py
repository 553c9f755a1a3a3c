"""What is due: follow-ups, thank-yous, check-ins and meetings, each with its command.

`actions_for` is the rule book: a pure function of one contact's facts, the [outreach]
settings and `now`. `due_actions` reads those facts from the store (a few queries for all
contacts, not a few per contact) and applies the rules. The reminder feed is built from
the same actions, so `coffeechat agenda` and the calendar never disagree.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from coffeechat.calendar import (
    DueAction,
    MeetingSpec,
    as_status,
    build_feed,
    feed_path,
    is_link,
    summary_for,
    write_calendar,
)
from coffeechat.calendar.events import ActionKind
from coffeechat.config import Config, Outreach
from coffeechat.journey import conversation_ended, meeting_times
from coffeechat.models import Contact, first_name
from coffeechat.pipeline import MAIN_PATH, Stage
from coffeechat.store import Store, stored_time

# A follow-up pushed back by an out-of-office reply is due the morning after the return.
RETURN_MORNING = time(9, 0)
# Received messages that are not the person answering (DESIGN.md: auto-replies never count).
NOT_A_REPLY = frozenset({"auto-reply", "bounce"})
# A draft the user has not sent after this long was likely forgotten in Drafts: coffeechat
# never sends mail, so nothing else would notice.
SEND_DRAFT_AFTER_DAYS = 2
# A reply is answered within a day: "overdue" minutes after it arrived told the user they
# were late when they were not. Not an [outreach] key: the config keys are a contract
# (DESIGN.md), and none of them is about answering (thank_you_within_hours is the seeds'
# thank-you window, a different courtesy).
ANSWER_WITHIN_HOURS = 24
# Every step of the journey after `identified` (where only referrals have one, see
# `_is_referral`); the side exits (declined, bounced, no-response) have none.
STAGES_WITH_ACTIONS = frozenset(MAIN_PATH) - {Stage.IDENTIFIED}


@dataclass(frozen=True)
class MeetingFact:
    uid: str
    start: datetime
    end: datetime
    status: str = "CONFIRMED"
    location: str = ""
    partstat: str = "NEEDS-ACTION"  # the contact's answer to the invitation, if any


@dataclass(frozen=True)
class ContactFacts:
    """What the rules need to know about one contact; every datetime is aware."""

    contact_id: int
    name: str
    stage: Stage
    check_in_days: int | None = None
    stage_since: datetime | None = None  # when the contact entered the current stage
    outreach_sent: datetime | None = None  # last sent message that is not a follow-up
    follow_up_sent: datetime | None = None  # last follow-up sent (message or event)
    last_sent: datetime | None = None
    last_received: datetime | None = None  # last real reply (not an auto-reply or bounce)
    returns: date | None = None  # "back on" date read from an auto-reply after the outreach
    thanked_at: datetime | None = None
    met_before: datetime | None = None  # the move to met before the latest: an earlier talk
    meetings: tuple[MeetingFact, ...] = field(default_factory=tuple)
    referrer: str | None = None  # who suggested them ("" if unknown); None: no referral
    referred_at: datetime | None = None  # when an existing contact was linked as a referral
    has_address: bool = True  # an address that has not bounced
    draft_written: datetime | None = None  # last outreach draft written to the mailbox
    draft_folder: str = ""  # the folder it was written to


# ---------------------------------------------------------------- the rules (pure)


def actions_for(
    facts: ContactFacts, outreach: Outreach, tz: ZoneInfo, now: datetime
) -> list[DueAction]:
    """The pending actions for one contact, due now or later (or overdue)."""
    if facts.stage == Stage.IDENTIFIED:
        return _referral(facts, outreach, tz)
    if facts.stage == Stage.DRAFTED:
        return _drafted(facts, tz)
    if facts.stage == Stage.CONTACTED:
        return _contacted(facts, outreach, tz)
    if facts.stage == Stage.REPLIED:
        return _replied(facts, tz)
    if facts.stage == Stage.SCHEDULED:
        return _scheduled(facts, tz, now)
    if facts.stage == Stage.MET:
        return _met(facts, outreach, tz, now)
    if facts.stage in (Stage.THANKED, Stage.KEEPING_IN_TOUCH):
        return _check_in(facts, outreach, tz)
    return []


def _referral(facts: ContactFacts, outreach: Outreach, tz: ZoneInfo) -> list[DueAction]:
    # Only referrals: an imported LinkedIn list is people to choose from, not a to-do list.
    # The seeds say to follow each referral, and the thank-you promises to ("I will reach
    # out soon and mention that you sent me"), so it is due once the thank-you window has
    # passed: the referrer is thanked first (and can be asked for a missing address).
    if facts.referrer is None:
        return []
    anchor = facts.referred_at or facts.stage_since
    if anchor is None:
        return []
    cid = facts.contact_id
    due = _hours_after(anchor, outreach.thank_you_within_hours, tz)
    name = first_name(facts.name)
    referrer = first_name(facts.referrer) if facts.referrer else ""
    kind: ActionKind
    if facts.has_address:
        who = f"whom {referrer} suggested" if referrer else "who was suggested to you"
        kind, command = "referral", f"coffeechat draft outreach {cid}"
        detail = f"write to {name}, {who} on {_day(anchor, tz)}"
    else:
        asked = f"ask {referrer} for" if referrer else "find"
        kind, command = "ask-address", f"coffeechat edit {cid} --email ADDRESS"
        detail = f"{asked} {name}'s address, then `coffeechat draft outreach {cid}`"
    return [
        DueAction(
            kind=kind,
            contact_id=cid,
            contact_name=facts.name,
            due=due,
            command=command,
            detail=detail,
            cycle=_stamp(anchor),
        )
    ]


def _drafted(facts: ContactFacts, tz: ZoneInfo) -> list[DueAction]:
    anchor = facts.draft_written or facts.stage_since
    if anchor is None:
        return []
    if facts.outreach_sent is not None and facts.outreach_sent >= anchor:
        return []  # sent; the next scan of Sent moves the contact to contacted
    cid = facts.contact_id
    folder = facts.draft_folder or "Drafts"
    return [
        DueAction(
            kind="send-draft",
            contact_id=cid,
            contact_name=facts.name,
            due=_days_after(anchor, SEND_DRAFT_AFTER_DAYS, tz),
            # No command sends mail: `show` has the draft's subject and the timeline.
            command=f"coffeechat show {cid}",
            detail=(
                f"send your draft to {first_name(facts.name)}: it has waited in {folder} "
                f"since {_day(anchor, tz)}"
            ),
            cycle=_stamp(anchor),
        )
    ]


def _contacted(facts: ContactFacts, outreach: Outreach, tz: ZoneInfo) -> list[DueAction]:
    anchor = facts.outreach_sent or facts.stage_since
    if anchor is None:
        return []
    if facts.last_received is not None and facts.last_received > anchor:
        return []  # they answered; the tracker moves the stage on its next scan
    cid = facts.contact_id
    if facts.follow_up_sent is not None and facts.follow_up_sent >= anchor:
        # One polite follow-up only (the seeds); after that the contact goes quiet.
        return [
            DueAction(
                kind="no-response",
                contact_id=cid,
                contact_name=facts.name,
                due=_days_after(facts.follow_up_sent, outreach.follow_up_after_days, tz),
                command=f"coffeechat stage {cid} no-response",
                detail=(
                    f"no reply {outreach.follow_up_after_days} days after your follow-up of "
                    f"{_day(facts.follow_up_sent, tz)}; let it rest"
                ),
                cycle=_stamp(facts.follow_up_sent),
            )
        ]
    due = _days_after(anchor, outreach.follow_up_after_days, tz)
    detail = f"no reply since {_day(anchor, tz)}"
    if facts.returns is not None:
        back = datetime.combine(facts.returns + timedelta(days=1), RETURN_MORNING, tzinfo=tz)
        if back > due:
            due = back
            detail += f"; out of office until {facts.returns.isoformat()}"
    return [
        DueAction(
            kind="follow-up",
            contact_id=cid,
            contact_name=facts.name,
            due=due,
            command=f"coffeechat draft follow-up {cid}",
            detail=detail,
            cycle=_stamp(anchor),
        )
    ]


def _replied(facts: ContactFacts, tz: ZoneInfo) -> list[DueAction]:
    # They said yes, or asked when: the contact now waits for the user, from the moment
    # the reply came, and the answer is due a day later (ANSWER_WITHIN_HOURS). Nothing
    # moves the stage on until a time is agreed (`schedule`).
    anchor = facts.last_received or facts.stage_since
    if anchor is None:
        return []
    if facts.last_sent is not None and facts.last_sent > anchor:
        return []  # the user has answered; the next move is the contact's
    cid = facts.contact_id
    name = first_name(facts.name)
    if facts.last_received is not None:
        detail = (
            f"{name} replied on {_day(anchor, tz)}: answer and propose a time "
            f"(`coffeechat show {cid}` has the thread)"
        )
    else:
        # Set by hand (they answered by phone), or left by an older `schedule --cancel`:
        # the stage says so, the mailbox does not, and the agenda claims no reply.
        detail = (
            f"{name} is at replied since {_day(anchor, tz)}, with no reply of theirs in the "
            f"mailbox: propose a time (`coffeechat show {cid}` has the timeline)"
        )
    return [
        DueAction(
            kind="answer",
            contact_id=cid,
            contact_name=facts.name,
            due=_hours_after(anchor, ANSWER_WITHIN_HOURS, tz),
            command=f"coffeechat schedule {cid} WHEN",
            detail=detail,
            cycle=_stamp(anchor),
        )
    ]


def _scheduled(facts: ContactFacts, tz: ZoneInfo, now: datetime) -> list[DueAction]:
    cid = facts.contact_id
    live = sorted((m for m in facts.meetings if m.status != "CANCELLED"), key=lambda m: m.start)
    # A declined invitation leaves the meeting in place (they may propose another time),
    # but it will not happen as planned: the user's move is a new time or a cancel.
    declined = [m for m in live if m.partstat == "DECLINED"]
    live = [m for m in live if m.partstat != "DECLINED"]
    actions = [
        DueAction(
            kind="meeting",
            contact_id=cid,
            contact_name=facts.name,
            due=m.start.astimezone(tz),
            command=f"coffeechat schedule {cid} WHEN",
            detail=f"declined the meeting at {m.start.astimezone(tz):%a %Y-%m-%d %H:%M}: "
            f"propose another time, or cancel it with `coffeechat schedule {cid} --cancel`",
            cycle=m.uid,
        )
        for m in declined
    ]
    actions += [
        DueAction(
            kind="meeting",
            contact_id=cid,
            contact_name=facts.name,
            due=m.start.astimezone(tz),
            command=f"coffeechat show {cid}",
            detail=f"meeting at {m.start.astimezone(tz):%a %Y-%m-%d %H:%M}"
            + (f", {m.location}" if m.location else ""),
            cycle=m.uid,
        )
        for m in live
        if m.end > now
    ]
    past = [m for m in live if m.end <= now]
    if past:
        last = past[-1]
        actions.append(
            DueAction(
                kind="log-meeting",
                contact_id=cid,
                contact_name=facts.name,
                due=last.end.astimezone(tz),
                command=f"coffeechat met {cid}",
                detail=f"the meeting of {_day(last.start, tz)} is over; record how it went",
                cycle=last.uid,
            )
        )
    return actions


def _met(facts: ContactFacts, outreach: Outreach, tz: ZoneInfo, now: datetime) -> list[DueAction]:
    held = [(m.start, m.end) for m in facts.meetings if m.status != "CANCELLED" and m.start <= now]
    ended = conversation_ended(facts.stage_since, held, facts.met_before)
    if ended is None:
        return []
    hours = outreach.thank_you_within_hours
    return [
        DueAction(
            kind="thank-you",
            contact_id=facts.contact_id,
            contact_name=facts.name,
            due=_hours_after(ended, hours, tz),
            command=f"coffeechat draft thank-you {facts.contact_id}",
            detail=f"you met on {_day(ended, tz)}; thank within {hours} hours",
            cycle=_stamp(ended),
        )
    ]


def _check_in(facts: ContactFacts, outreach: Outreach, tz: ZoneInfo) -> list[DueAction]:
    moments = [m for m in (facts.last_sent, facts.last_received, facts.thanked_at) if m]
    last = max(moments, default=None) or facts.stage_since
    if last is None:
        return []
    days = facts.check_in_days or outreach.check_in_every_days
    return [
        DueAction(
            kind="check-in",
            contact_id=facts.contact_id,
            contact_name=facts.name,
            due=_days_after(last, days, tz),
            # The update is the user's to write: copied as it is, the bracketed blank is
            # refused by the proofreader's placeholder rule, so it never reaches a contact.
            command=(
                f"coffeechat draft check-in {facts.contact_id} "
                '--update "[what you did since you spoke]"'
            ),
            detail=f"last in touch on {_day(last, tz)}; check in every {days} days",
            cycle=_stamp(last),
        )
    ]


def agenda_rows(actions: Iterable[DueAction], now: datetime, days: int) -> list[DueAction]:
    """The actions due within `days` of `now`: overdue first, then soonest first."""
    horizon = now + timedelta(days=days)
    due = [a for a in actions if a.due <= horizon]
    return sorted(due, key=lambda a: (a.due >= now, a.due, a.contact_id, a.kind))


# The kinds whose `due` is a deadline for something to do at once: answering a reply
# (within a day) and thanking (the seeds: "immediately", "within 48 hours"). Shown as
# "tomorrow", such a deadline read as "wait until tomorrow".
DEADLINES: frozenset[str] = frozenset({"answer", "thank-you"})


def due_label(due: datetime, now: datetime, *, deadline: bool = False) -> str:
    """`overdue by 3 days`, `overdue`, `today`, `tomorrow`, `in 5 days` (in now's zone);
    a `deadline` still ahead reads `by tomorrow`, `by Saturday`."""
    tz = now.tzinfo or UTC
    local = due.astimezone(tz)
    delta = (local.date() - now.astimezone(tz).date()).days
    if due < now:
        if delta < 0:
            return f"overdue by {-delta} day" + ("s" if delta < -1 else "")
        return "overdue"
    if delta == 0:
        return "today"
    if deadline:
        if delta == 1:
            return "by tomorrow"
        return f"by {local:%A}" if delta < 7 else f"by {local:%Y-%m-%d}"
    if delta == 1:
        return "tomorrow"
    return f"in {delta} days"


def _days_after(moment: datetime, days: int, tz: ZoneInfo) -> datetime:
    """The same wall-clock time `days` later in `tz` ("a week later" is a date, not 168 h)."""
    return moment.astimezone(tz) + timedelta(days=days)


def _hours_after(moment: datetime, hours: int, tz: ZoneInfo) -> datetime:
    """`hours` of elapsed time later, shown in `tz`. Python adds wall-clock time within
    one tzinfo, which is an hour off across a DST change; UTC arithmetic is not."""
    return (moment.astimezone(UTC) + timedelta(hours=hours)).astimezone(tz)


def _day(moment: datetime, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%a %Y-%m-%d}"


def _stamp(moment: datetime) -> str:
    """The instant a clock started, as a UID-safe token (the feed event's cycle)."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


# ---------------------------------------------------------------- reading the store


def due_actions(store: Store, config: Config, now: datetime) -> list[DueAction]:
    """Every pending action for every contact, soonest first."""
    tz = config.tz
    tags = {c.id: c.tags for c in store.contacts()} if config.check_in_by_tag else {}
    actions = [
        action
        for facts in contact_facts(store)
        for action in actions_for(
            replace(
                facts,
                check_in_days=config.check_in_days_for(
                    facts.check_in_days, tags.get(facts.contact_id, ())
                ),
            ),
            config.outreach,
            tz,
            now,
        )
    ]
    return sorted(actions, key=lambda a: (a.due, a.contact_id, a.kind))


def contact_facts(store: Store, contacts: Sequence[Contact] | None = None) -> list[ContactFacts]:
    """The facts of every contact in a stage that can have actions (three queries).

    Each table is read once and grouped in Python: no `IN (?, ?, ...)` list that could
    pass SQLite's limit on bound variables with thousands of contacts.
    """
    if contacts is None:
        contacts = [
            c for c in store.contacts() if c.stage in STAGES_WITH_ACTIONS or _is_referral(c)
        ]
    if not contacts:
        return []
    # Referrers' names only, in one plain query: `watch` runs this on every pass, and
    # building every contact each time made it fall behind a busy mailbox.
    names = dict(store.conn.execute("SELECT id, name FROM contacts").fetchall())
    wanted = {c.id for c in contacts}
    messages: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in store.db.query(
        "SELECT contact_id, direction, kind, at, folder, state FROM messages "
        "WHERE direction IN ('sent', 'received', 'draft')"
    ):
        if row["contact_id"] in wanted:
            messages[row["contact_id"]].append(row)
    events: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in store.db.query(
        "SELECT contact_id, kind, to_stage, at, extra FROM events "
        "WHERE kind IN ('stage', 'auto-reply', 'follow-up', 'referral') ORDER BY id"
    ):
        if row["contact_id"] in wanted:
            events[row["contact_id"]].append(row)
    meetings: dict[int, list[MeetingFact]] = defaultdict(list)
    for row in store.db.query("SELECT * FROM meetings ORDER BY start"):
        fact = _meeting_fact(row) if row["contact_id"] in wanted else None
        if fact is not None:
            meetings[row["contact_id"]].append(fact)
    return [_facts(c, messages[c.id], events[c.id], tuple(meetings[c.id]), names) for c in contacts]


def _is_referral(contact: Contact) -> bool:
    return contact.stage == Stage.IDENTIFIED and contact.referred_by is not None


def _facts(
    contact: Contact,
    messages: list[dict[str, Any]],
    events: list[dict[str, Any]],
    meetings: tuple[MeetingFact, ...],
    names: dict[int, str],
) -> ContactFacts:
    sent = [(at, m["kind"]) for m in messages if m["direction"] == "sent" and (at := _at(m))]
    received = [
        at
        for m in messages
        if m["direction"] == "received" and m["kind"] not in NOT_A_REPLY and (at := _at(m))
    ]
    # Our outreach drafts that reached the mailbox ("pending" ones may never have).
    drafts = [
        (at, m["folder"] or "")
        for m in messages
        if m["direction"] == "draft"
        and m["kind"] == "outreach"
        and m["state"] == "written"
        and (at := _at(m))
    ]
    draft_written, draft_folder = max(drafts, default=(None, ""))
    follow_ups = [at for at, kind in sent if kind == "follow-up"]
    follow_ups += [at for e in events if e["kind"] == "follow-up" and (at := _at(e))]
    outreach_sent = max((at for at, kind in sent if kind != "follow-up"), default=None)
    stage_events = [e for e in events if e["kind"] == "stage"]
    return ContactFacts(
        contact_id=contact.id,
        name=contact.name,
        stage=contact.stage,
        check_in_days=contact.check_in_days,
        stage_since=_last_stage_time(stage_events, contact.stage.value),
        outreach_sent=outreach_sent,
        follow_up_sent=max(follow_ups, default=None),
        last_sent=max((at for at, _ in sent), default=None),
        last_received=max(received, default=None),
        returns=_returns(events, outreach_sent),
        thanked_at=_last_stage_time(stage_events, Stage.THANKED.value),
        met_before=_met_before(stage_events),
        meetings=meetings,
        referrer=None if contact.referred_by is None else names.get(contact.referred_by, ""),
        # `met --referral` linking a known contact: the referral starts then, not at import.
        referred_at=max(
            (at for e in events if e["kind"] == "referral" and (at := _at(e))), default=None
        ),
        has_address=any(e not in contact.bad_emails for e in contact.emails),
        draft_written=draft_written,
        draft_folder=draft_folder,
    )


def _last_stage_time(stage_events: list[dict[str, Any]], stage: str) -> datetime | None:
    times = [at for e in stage_events if e["to_stage"] == stage and (at := _at(e))]
    return max(times, default=None)


def _met_before(stage_events: list[dict[str, Any]]) -> datetime | None:
    times = sorted(at for e in stage_events if e["to_stage"] == Stage.MET.value and (at := _at(e)))
    return times[-2] if len(times) > 1 else None


def _returns(events: list[dict[str, Any]], since: datetime | None) -> date | None:
    """The latest return date an auto-reply announced after the outreach, if any."""
    found: list[date] = []
    for event in events:
        at = _at(event)
        if event["kind"] != "auto-reply" or at is None or (since and at < since):
            continue
        try:
            value = json.loads(event["extra"] or "{}").get("returns")
            if value:
                found.append(date.fromisoformat(str(value)[:10]))
        except (ValueError, AttributeError):
            continue  # an unreadable date pushes nothing back
    return max(found, default=None)


def _meeting_fact(row: dict[str, Any]) -> MeetingFact | None:
    times = meeting_times(row)
    if times is None:
        return None
    return MeetingFact(
        uid=row["uid"],
        start=times[0],
        end=times[1],
        status=(row.get("status") or "CONFIRMED").upper(),
        location=row.get("location") or "",
        partstat=(row.get("partstat") or "NEEDS-ACTION").upper(),
    )


def _at(row: dict[str, Any]) -> datetime | None:
    return stored_time(row.get("at"))


# ---------------------------------------------------------------- meetings and the feed


def meeting_specs(store: Store, config: Config) -> list[MeetingSpec]:
    """Every stored meeting as a MeetingSpec in the user's zone (for files and the feed)."""
    specs = []
    for row in store.db.query("SELECT * FROM meetings ORDER BY start, uid"):
        spec = meeting_spec(row, store.get(row["contact_id"]), config)
        if spec is not None:
            specs.append(spec)
    return specs


def meeting_spec(row: dict[str, Any], contact: Contact, config: Config) -> MeetingSpec | None:
    """One stored meeting (a `meetings` row) as the MeetingSpec its .ics is built from."""
    fact = _meeting_fact(row)
    if fact is None:
        return None
    minutes = max(1, round((fact.end - fact.start).total_seconds() / 60))
    stamp = stored_time(row.get("updated")) or stored_time(row.get("created")) or fact.start
    location = row.get("location") or ""
    return MeetingSpec(
        uid=fact.uid,
        sequence=int(row.get("sequence") or 0),
        start=fact.start.astimezone(config.tz),
        minutes=minutes,
        summary=summary_for(contact.name, contact.company),
        organizer_name=config.me.name,
        organizer_email=config.me.email,
        attendee_name=contact.name,
        attendee_email=contact.email,
        attendee_partstat=row.get("partstat") or "NEEDS-ACTION",
        dtstamp=stamp,
        location=location,
        url=location if is_link(location) else "",
        description=row.get("notes") or "",
        status=as_status(fact.status),
        alarm_minutes=config.outreach.alarm_minutes,
        created=stored_time(row.get("created")),
        contact_id=contact.id,
    )


def write_feed(
    store: Store, config: Config, path: Path | None = None, *, now: datetime | None = None
) -> Path:
    """Write the reminder feed (meetings + due actions); default `<calendar_dir>/coffeechat.ics`.

    Only the default calendar folder is created if missing; a given `path` is the user's.
    """
    if now is None:
        from coffeechat.clock import now as clock_now

        now = clock_now(config)
    now = now.astimezone(config.tz)
    cal = build_feed(meeting_specs(store, config), due_actions(store, config, now), now)
    if path is None:
        return write_calendar(feed_path(config.calendar_path), cal)
    return write_calendar(path, cal, create_folder=False)
