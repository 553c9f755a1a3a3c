"""`coffeechat report`: the funnel and the referral tree, computed from the timeline."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from coffeechat.journey import conversation_ended, held_meetings
from coffeechat.models import Contact, Event
from coffeechat.pipeline import AFTER_MEETING, MAIN_PATH, NOT_WRITTEN_TO, SIDE_EXITS, Stage
from coffeechat.store import Store

# The reply rate is "replied of contacted": the denominator is every contact whose timeline
# moves into `contacted` (the report's "ever" column), since only that stage says we reached
# out. A reply is a later move, after that first outreach, to any stage that needs an answer
# from them: a meeting arranged by phone counts, and a "no" is an answer too. A contact met at
# a fair and scheduled by hand was never reached out to, so counts in neither. An outreach
# sent from another account never shows in Sent, but a reply citing it or its bounce proves
# it went out (`_written_by_mail`): it counts as contacted, its wait untimed.
ANSWERED = {s for s in MAIN_PATH[MAIN_PATH.index(Stage.REPLIED) :]} | {Stage.DECLINED}


@dataclass(frozen=True)
class Funnel:
    stages: dict[str, int]  # contacts in each stage now
    reached: dict[str, int]  # contacts that were ever in each stage
    contacted: int
    replied: int
    reply_rate: float | None
    median_days_to_reply: float | None
    meetings_held: int
    thank_yous: int
    thank_yous_on_time: int
    referrals_gained: int  # contacts another contact suggested
    referrals_written_to: int  # of those, the ones the user wrote to


@dataclass(frozen=True)
class ReferralNode:
    contact: Contact
    children: tuple[ReferralNode, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.contact.id,
            "name": self.contact.name,
            "stage": self.contact.stage.value,
            "referred": [child.to_json() for child in self.children],
        }


def _first_index(events: Sequence[Event], stages: set[Stage], start: int = 0) -> int | None:
    """Where the timeline first moves into one of `stages` (at or after `start`), or None."""
    for index in range(start, len(events)):
        if events[index].kind == "stage" and events[index].to_stage in stages:
            return index
    return None


def _written_by_mail(events: Sequence[Event]) -> int | None:
    """Where the mailbox proves an outreach went out whose sent copy was never seen, or None.

    Sent from another account (a webmail, a phone's), the outreach never shows in Sent, but
    a reply citing it (drafted -> replied) or its bounce (-> bounced) moves the contact past
    `contacted` all the same: the move out of the not-written-to stages, caused by a message
    (its Message-ID), not by a command such as `coffeechat stage`.
    """
    for index, event in enumerate(events):
        if event.kind != "stage" or event.from_stage is None or event.to_stage is None:
            continue
        if Stage(event.from_stage) in NOT_WRITTEN_TO and Stage(event.to_stage) not in (
            NOT_WRITTEN_TO
        ):
            return index if event.cause.startswith("<") else None
    return None


def _first(events: Sequence[Event], stages: set[Stage]) -> datetime | None:
    index = _first_index(events, stages)
    return None if index is None else _at(events[index])


def _at(event: Event) -> datetime:
    return datetime.fromisoformat(event.at)


def funnel(
    contacts: Sequence[Contact],
    timelines: dict[int, list[Event]],
    thank_you_within_hours: int,
    meetings: dict[int, list[tuple[datetime, datetime]]],
) -> Funnel:
    """Pure: counts per stage, reply rate and timing, from contacts, their events and their
    meetings not cancelled (`journey.held_meetings`)."""
    counts = {stage.value: 0 for stage in (*MAIN_PATH, *SIDE_EXITS)}
    ever = dict(counts)
    contacted = replied = met = thanked = on_time = referrals = written_to = 0
    waits: list[float] = []
    ids = {c.id for c in contacts}
    for contact in contacts:
        counts[contact.stage.value] += 1
        events = timelines.get(contact.id, [])
        reached = {Stage(e.to_stage) for e in events if e.kind == "stage" and e.to_stage}
        reached.add(contact.stage)
        sent = _first_index(events, {Stage.CONTACTED})
        proof = None if sent is not None else _written_by_mail(events)
        if proof is not None:
            reached.add(Stage.CONTACTED)
        for stage in reached:
            ever[stage.value] += 1
        # Someone a contact suggested (`met --referral`, `add --referred-by`): the seeds'
        # "who else would you recommend I speak with?". Written to: any stage past drafted,
        # a bounce or a silence included.
        if contact.referred_by in ids:
            referrals += 1
            written_to += bool(reached - NOT_WRITTEN_TO)
        # Only what happened after the outreach can answer it.
        if sent is not None:
            answer = _first_index(events, ANSWERED, start=sent + 1)
        else:
            answer = proof if proof is not None and events[proof].to_stage in ANSWERED else None
        # An outreach that bounced, to a contact still unreached, asked nobody anything.
        written = sent is not None or proof is not None
        if written and not (answer is None and contact.stage == Stage.BOUNCED):
            contacted += 1
            if answer is not None:
                replied += 1
            if answer is not None and sent is not None:
                # Timed only from a sent copy we saw: without one, when it went out is unknown.
                wait = _at(events[answer]) - _at(events[sent])
                waits.append(wait.total_seconds() / 86400)
        if reached & AFTER_MEETING:
            met += 1
        met_at = _first(events, {Stage.MET})
        thanked_at = _first(events, {Stage.THANKED})
        if thanked_at:
            thanked += 1
            # From the end of the conversation, as the agenda and `draft` count it.
            ended = met_at and conversation_ended(met_at, meetings.get(contact.id, []))
            if ended and (thanked_at - ended).total_seconds() <= thank_you_within_hours * 3600:
                on_time += 1
    return Funnel(
        stages=counts,
        reached=ever,
        contacted=contacted,
        replied=replied,
        reply_rate=round(replied / contacted, 3) if contacted else None,
        median_days_to_reply=round(statistics.median(waits), 1) if waits else None,
        meetings_held=met,
        thank_yous=thanked,
        thank_yous_on_time=on_time,
        referrals_gained=referrals,
        referrals_written_to=written_to,
    )


def referral_forest(contacts: Sequence[Contact]) -> list[ReferralNode]:
    """Who introduced whom: one tree per contact who referred someone and was not referred."""
    children: dict[int, list[Contact]] = {}
    for contact in contacts:
        if contact.referred_by is not None:
            children.setdefault(contact.referred_by, []).append(contact)
    by_id = {c.id: c for c in contacts}

    def build(contact: Contact, seen: frozenset[int]) -> ReferralNode:
        kids = [k for k in children.get(contact.id, []) if k.id not in seen]
        return ReferralNode(contact, tuple(build(k, seen | {k.id}) for k in kids))

    roots = [by_id[i] for i in children if i in by_id and by_id[i].referred_by not in by_id]
    return [build(root, frozenset({root.id})) for root in roots]


def build_report(store: Store, thank_you_within_hours: int) -> tuple[Funnel, list[ReferralNode]]:
    contacts = store.contacts()
    timelines = {c.id: store.events(c.id, "stage") for c in contacts}
    meetings = held_meetings(store)
    return funnel(contacts, timelines, thank_you_within_hours, meetings), referral_forest(contacts)


def report_json(result: Funnel, forest: list[ReferralNode]) -> dict[str, Any]:
    return {
        "stages": result.stages,
        "reached": result.reached,
        "contacted": result.contacted,
        "replied": result.replied,
        "reply_rate": result.reply_rate,
        "median_days_to_reply": result.median_days_to_reply,
        "meetings_held": result.meetings_held,
        "thank_yous": result.thank_yous,
        "thank_yous_on_time": result.thank_yous_on_time,
        "referrals_gained": result.referrals_gained,
        "referrals_written_to": result.referrals_written_to,
        "referrals": [tree.to_json() for tree in forest],
    }


def print_report(result: Funnel, forest: list[ReferralNode]) -> None:
    from rich.table import Table
    from rich.text import Text
    from rich.tree import Tree

    from coffeechat.output import console, say

    widest = max(result.reached.values(), default=0) or 1
    table = Table(box=None, pad_edge=False)
    table.add_column("stage")
    table.add_column("now", justify="right")
    table.add_column("ever", justify="right")
    table.add_column("")
    for stage, count in result.stages.items():
        ever = result.reached[stage]
        table.add_row(stage, str(count), str(ever), "█" * round(20 * ever / widest))
    console().print(table)
    say()
    rate = f"{result.reply_rate:.0%}" if result.reply_rate is not None else "—"
    median = (
        f"{result.median_days_to_reply} days" if result.median_days_to_reply is not None else "—"
    )
    say(f"Reply rate: {rate} ({result.replied} of {result.contacted} contacted)")
    say(f"Median time to reply: {median}")
    say(f"Meetings held: {result.meetings_held}")
    say(f"Thank-yous: {result.thank_yous} ({result.thank_yous_on_time} on time)")
    say(f"Referrals: {result.referrals_gained} gained, {result.referrals_written_to} written to")
    if forest:
        say()
        tree = Tree("Referrals (who introduced whom)")

        def grow(branch: Tree, node: ReferralNode) -> None:
            # Text, not markup: a name may contain [brackets].
            leaf = branch.add(Text(f"{node.contact.name} ({node.contact.stage.value})"))
            for child in node.children:
                grow(leaf, child)

        for node in forest:
            grow(tree, node)
        console().print(tree)
