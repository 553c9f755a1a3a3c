"""What is due: the rules over plain facts, then the same rules over a real store."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from coffeechat.agenda import (
    ContactFacts,
    MeetingFact,
    actions_for,
    agenda_rows,
    due_actions,
    due_label,
    meeting_specs,
    write_feed,
)
from coffeechat.calendar import DueAction, build_meeting_calendar
from coffeechat.config import Config, Me, Outreach, Paths
from coffeechat.models import NewContact
from coffeechat.pipeline import Stage
from coffeechat.store import Store

BERLIN = ZoneInfo("Europe/Berlin")
RULES = Outreach(follow_up_after_days=7, thank_you_within_hours=48, check_in_every_days=90)
NOW = datetime(2026, 3, 26, 12, 0, tzinfo=BERLIN)


def at(day: int, hour: int = 10, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=BERLIN)


def facts(stage: Stage, **values: Any) -> ContactFacts:
    return ContactFacts(contact_id=7, name="Dana Lee", stage=stage, **values)


def only(actions: list[DueAction]) -> DueAction:
    assert len(actions) == 1, actions
    return actions[0]


# ---------------------------------------------------------------- the rules


def test_follow_up_due_after_the_outreach() -> None:
    found = only(actions_for(facts(Stage.CONTACTED, outreach_sent=at(1)), RULES, BERLIN, NOW))
    assert found.kind == "follow-up"
    assert found.due == at(8)
    assert found.command == "coffeechat draft follow-up 7"
    assert found.contact_name == "Dana Lee"
    assert "no reply since Sun 2026-03-01" in found.detail
    assert found.due.tzinfo == BERLIN


def test_no_follow_up_after_a_reply() -> None:
    replied = facts(Stage.CONTACTED, outreach_sent=at(1), last_received=at(3))
    assert actions_for(replied, RULES, BERLIN, NOW) == []
    older = facts(Stage.CONTACTED, outreach_sent=at(10), last_received=at(3))
    assert only(actions_for(older, RULES, BERLIN, NOW)).kind == "follow-up"


def test_auto_reply_pushes_the_follow_up_past_the_return() -> None:
    away = facts(Stage.CONTACTED, outreach_sent=at(1), returns=date(2026, 3, 20))
    found = only(actions_for(away, RULES, BERLIN, NOW))
    assert found.due == datetime(2026, 3, 21, 9, 0, tzinfo=BERLIN)
    assert "out of office until 2026-03-20" in found.detail
    # a return before the normal due date changes nothing
    early = facts(Stage.CONTACTED, outreach_sent=at(1), returns=date(2026, 3, 3))
    assert only(actions_for(early, RULES, BERLIN, NOW)).due == at(8)


def test_after_the_follow_up_comes_no_response() -> None:
    quiet = facts(Stage.CONTACTED, outreach_sent=at(1), follow_up_sent=at(9))
    found = only(actions_for(quiet, RULES, BERLIN, NOW))
    assert found.kind == "no-response"
    assert found.due == at(16)
    assert found.command == "coffeechat stage 7 no-response"
    # a follow-up from an earlier round (before this outreach) does not count
    again = facts(Stage.CONTACTED, outreach_sent=at(10), follow_up_sent=at(2))
    assert only(actions_for(again, RULES, BERLIN, NOW)).kind == "follow-up"


def test_contacted_by_hand_uses_the_stage_time() -> None:
    manual = facts(Stage.CONTACTED, stage_since=at(2))
    assert only(actions_for(manual, RULES, BERLIN, NOW)).due == at(9)
    assert actions_for(facts(Stage.CONTACTED), RULES, BERLIN, NOW) == []


def test_thank_you_after_the_meeting() -> None:
    meeting = MeetingFact(uid="m1", start=at(24, 15), end=at(24, 15) + timedelta(minutes=20))
    cancelled = MeetingFact(uid="m0", start=at(25, 9), end=at(25, 10), status="CANCELLED")
    met = facts(Stage.MET, stage_since=at(25, 18), meetings=(meeting, cancelled))
    found = only(actions_for(met, RULES, BERLIN, NOW))
    assert found.kind == "thank-you"
    assert found.due == datetime(2026, 3, 26, 15, 20, tzinfo=BERLIN)
    assert found.command == "coffeechat draft thank-you 7"
    assert "thank within 48 hours" in found.detail
    # no meeting row: the time of the move to met
    by_hand = facts(Stage.MET, stage_since=at(25, 18))
    assert only(actions_for(by_hand, RULES, BERLIN, NOW)).due == at(27, 18)


def test_thank_you_across_the_dst_change_keeps_48_real_hours() -> None:
    meeting = MeetingFact(uid="m1", start=at(28, 15), end=at(28, 16))
    found = only(actions_for(facts(Stage.MET, meetings=(meeting,)), RULES, BERLIN, at(28, 17)))
    # aware datetimes in one tzinfo subtract as wall-clock time: compare in UTC
    assert found.due.astimezone(UTC) - meeting.end.astimezone(UTC) == timedelta(hours=48)
    assert found.due.astimezone(UTC) == datetime(2026, 3, 30, 15, 0, tzinfo=UTC)


def test_check_in_after_the_last_exchange() -> None:
    thanked = facts(Stage.THANKED, thanked_at=at(2), last_sent=at(1))
    found = only(actions_for(thanked, RULES, BERLIN, NOW))
    assert found.kind == "check-in"
    assert found.due == at(2) + timedelta(days=90)
    assert found.command == 'coffeechat draft check-in 7 --update "[what you did since you spoke]"'
    keeping = facts(Stage.KEEPING_IN_TOUCH, last_sent=at(1), last_received=at(5), check_in_days=30)
    assert only(actions_for(keeping, RULES, BERLIN, NOW)).due == at(5) + timedelta(days=30)


def test_scheduled_meetings() -> None:
    past = MeetingFact(uid="m1", start=at(20, 15), end=at(20, 16))
    soon = MeetingFact(uid="m2", start=at(30, 15), end=at(30, 16), location="Café")
    gone = MeetingFact(uid="m3", start=at(31, 15), end=at(31, 16), status="CANCELLED")
    found = actions_for(facts(Stage.SCHEDULED, meetings=(past, soon, gone)), RULES, BERLIN, NOW)
    assert [(a.kind, a.cycle, a.command) for a in found] == [
        ("meeting", "m2", "coffeechat show 7"),
        ("log-meeting", "m1", "coffeechat met 7"),
    ]
    assert found[0].detail == "meeting at Mon 2026-03-30 15:00, Café"


def test_a_declined_meeting_asks_for_another_time_not_for_notes() -> None:
    # The agenda listed a declined meeting as if it would happen, then asked how it went.
    ahead = MeetingFact(uid="m2", start=at(30, 15), end=at(30, 16), partstat="DECLINED")
    found = actions_for(facts(Stage.SCHEDULED, meetings=(ahead,)), RULES, BERLIN, NOW)
    assert [(a.kind, a.command) for a in found] == [("meeting", "coffeechat schedule 7 WHEN")]
    assert found[0].detail == (
        "declined the meeting at Mon 2026-03-30 15:00: propose another time, or cancel it "
        "with `coffeechat schedule 7 --cancel`"
    )
    over = MeetingFact(uid="m1", start=at(20, 15), end=at(20, 16), partstat="DECLINED")
    found = actions_for(facts(Stage.SCHEDULED, meetings=(over,)), RULES, BERLIN, NOW)
    assert [a.kind for a in found] == ["meeting"]  # no "record how it went"


def test_a_reply_asks_for_an_answer_with_a_time() -> None:
    # The agenda skipped `replied`: the one stage where the contact waits for the user.
    replied = facts(Stage.REPLIED, stage_since=at(20, 11), last_sent=at(1), last_received=at(20))
    found = only(actions_for(replied, RULES, BERLIN, NOW))
    assert found.kind == "answer"
    assert found.due == at(21)  # a day to answer: ANSWER_WITHIN_HOURS
    assert found.command == "coffeechat schedule 7 WHEN"
    assert found.detail == (
        "Dana replied on Fri 2026-03-20: answer and propose a time "
        "(`coffeechat show 7` has the thread)"
    )
    assert found.cycle == "20260320T090000Z"
    # moved to replied by hand: from the move
    by_hand = only(actions_for(facts(Stage.REPLIED, stage_since=at(21)), RULES, BERLIN, NOW))
    assert by_hand.due == at(22)
    # and no reply is on record, so the agenda claims none
    assert by_hand.detail == (
        "Dana is at replied since Sat 2026-03-21, with no reply of theirs in the mailbox: "
        "propose a time (`coffeechat show 7` has the timeline)"
    )
    # the user has answered since: the next move is theirs
    answered = facts(Stage.REPLIED, last_received=at(20), last_sent=at(21))
    assert actions_for(answered, RULES, BERLIN, NOW) == []


def test_a_reply_minutes_old_is_not_overdue() -> None:
    # Before, the answer was due the moment the reply arrived: "overdue  answer  Kim Park"
    # five minutes later. A day to answer is what "overdue" should mean.
    arrived = datetime(2026, 3, 26, 11, 55, tzinfo=BERLIN)
    kim = facts(Stage.REPLIED, stage_since=arrived, last_received=arrived)
    found = only(actions_for(kim, RULES, BERLIN, NOW))
    assert due_label(found.due, NOW, deadline=True) == "by tomorrow"
    assert due_label(found.due, arrived + timedelta(hours=24, minutes=1)) == "overdue"


def test_a_referral_waits_to_be_written_to() -> None:
    # The seeds: follow each referral, and the thank-you promises to. It is due once the
    # thank-you window has passed: the referrer is thanked first, then the outreach.
    kim = facts(Stage.IDENTIFIED, referrer="Maria Ruiz", referred_at=at(24, 16))
    found = only(actions_for(kim, RULES, BERLIN, NOW))
    assert found.kind == "referral"
    assert found.due == at(26, 16)
    assert found.command == "coffeechat draft outreach 7"
    assert found.detail == "write to Dana, whom Maria suggested on Tue 2026-03-24"
    assert found.cycle == "20260324T150000Z"
    # added by hand with --referred-by: from the time it was added
    added = facts(Stage.IDENTIFIED, referrer="Maria Ruiz", stage_since=at(20))
    assert only(actions_for(added, RULES, BERLIN, NOW)).due == at(22)


def test_a_referral_without_an_address_asks_the_referrer_for_it() -> None:
    kim = facts(Stage.IDENTIFIED, referrer="Maria Ruiz", referred_at=at(24, 16), has_address=False)
    found = only(actions_for(kim, RULES, BERLIN, NOW))
    assert found.kind == "ask-address"
    assert found.due == at(26, 16)
    assert found.command == "coffeechat edit 7 --email ADDRESS"
    assert found.detail == ("ask Maria for Dana's address, then `coffeechat draft outreach 7`")


def test_only_referrals_among_the_identified() -> None:
    # An import of 500 LinkedIn connections is a list to choose from, not 500 tasks.
    imported = facts(Stage.IDENTIFIED, stage_since=at(1), has_address=False)
    assert actions_for(imported, RULES, BERLIN, NOW) == []
    # a referrer deleted since: still a referral, named without them
    orphan = facts(Stage.IDENTIFIED, referrer="", stage_since=at(20))
    assert only(actions_for(orphan, RULES, BERLIN, NOW)).detail == (
        "write to Dana, who was suggested to you on Fri 2026-03-20"
    )


def test_an_unsent_draft_is_a_reminder_to_send_it() -> None:
    # No command sends mail: a draft the user forgot in Drafts stalls the contact silently.
    waiting = facts(Stage.DRAFTED, stage_since=at(23, 9), draft_written=at(23, 9))
    found = only(actions_for(waiting, RULES, BERLIN, NOW))
    assert found.kind == "send-draft"
    assert found.due == at(25, 9)
    assert found.command == "coffeechat show 7"
    assert found.detail == ("send your draft to Dana: it has waited in Drafts since Mon 2026-03-23")
    assert found.cycle == "20260323T080000Z"
    named = replace(waiting, draft_folder="[Gmail]/Drafts")
    assert "waited in [Gmail]/Drafts since" in only(actions_for(named, RULES, BERLIN, NOW)).detail
    # moved to drafted by hand: from the move
    by_hand = facts(Stage.DRAFTED, stage_since=at(20))
    assert only(actions_for(by_hand, RULES, BERLIN, NOW)).due == at(22)
    # sent since (the next scan moves it to contacted): nothing to send
    sent = replace(waiting, outreach_sent=at(24))
    assert actions_for(sent, RULES, BERLIN, NOW) == []


@pytest.mark.parametrize(
    "stage",
    [
        Stage.IDENTIFIED,
        Stage.DECLINED,
        Stage.BOUNCED,
        Stage.NO_RESPONSE,
    ],
)
def test_stages_without_actions(stage: Stage) -> None:
    full = facts(
        stage, outreach_sent=at(1), stage_since=at(1), thanked_at=at(1), last_received=at(2)
    )
    assert actions_for(full, RULES, BERLIN, NOW) == []


def test_cycle_is_stable_and_changes_with_the_next_round() -> None:
    first = only(actions_for(facts(Stage.THANKED, thanked_at=at(2)), RULES, BERLIN, NOW))
    again = only(actions_for(facts(Stage.THANKED, thanked_at=at(2)), RULES, BERLIN, at(27)))
    later = only(
        actions_for(
            facts(Stage.THANKED, thanked_at=at(2), last_sent=at(6, month=6)), RULES, BERLIN, NOW
        )
    )
    assert first.uid == again.uid
    assert later.uid != first.uid


# ---------------------------------------------------------------- agenda rows


def test_agenda_rows_window_and_order() -> None:
    def due(when: datetime, cid: int) -> DueAction:
        return DueAction(
            kind="follow-up",
            contact_id=cid,
            contact_name=f"C{cid}",
            due=when,
            command=f"coffeechat draft follow-up {cid}",
        )

    actions = [
        due(at(30), 1),
        due(at(20), 2),
        due(at(26, 11), 3),
        due(at(27), 4),
        due(at(10, month=5), 5),
    ]
    rows = agenda_rows(actions, NOW, 7)
    assert [a.contact_id for a in rows] == [2, 3, 4, 1]
    assert [a.contact_id for a in agenda_rows(actions, NOW, 0)] == [2, 3]
    assert [a.contact_id for a in agenda_rows(actions, NOW, 60)][-1] == 5


def test_due_label() -> None:
    assert due_label(at(20), NOW) == "overdue by 6 days"
    assert due_label(at(25), NOW) == "overdue by 1 day"
    assert due_label(at(26, 9), NOW) == "overdue"
    assert due_label(at(26, 18), NOW) == "today"
    assert due_label(at(27, 8), NOW) == "tomorrow"
    assert due_label(at(31), NOW) == "in 5 days"
    # A deadline for something to do at once (answer, thank): "tomorrow" read as "wait".
    assert due_label(at(26, 18), NOW, deadline=True) == "today"
    assert due_label(at(27, 8), NOW, deadline=True) == "by tomorrow"
    assert due_label(at(28), NOW, deadline=True) == "by Saturday"
    assert due_label(at(26, 9), NOW, deadline=True) == "overdue"


# ---------------------------------------------------------------- over a real store


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(
        me=Me(name="Alex Doe", email="alex@example.com", timezone="Europe/Berlin"),
        outreach=RULES,
        paths=Paths(database=str(tmp_path / "c.db"), calendar_dir=str(tmp_path / "cal")),
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    db = Store.open(tmp_path / "agenda.db")
    yield db
    db.close()


def add(
    store: Store,
    name: str,
    email: str,
    *,
    company: str = "",
    referred_by: int | None = None,
    when: datetime | None = None,
) -> int:
    emails = (email,) if email else ()
    new = NewContact(name=name, emails=emails, company=company, referred_by=referred_by)
    return store.add_contact(new, at=iso(when or at(1, 8, month=2))).id


def move(store: Store, cid: int, stage: Stage, when: datetime) -> None:
    store.move(store.get(cid), stage, "test", "test", at=iso(when), manual=True)


def message(store: Store, cid: int, direction: str, kind: str, when: datetime) -> None:
    store.record_message(
        f"<{cid}.{kind}.{when.timestamp()}@x>",
        cid,
        direction=direction,
        kind=kind,
        subject="s",
        at=iso(when),
    )


def meeting(
    store: Store, cid: int, uid: str, start: datetime, status: str = "CONFIRMED", location: str = ""
) -> None:
    store.db["meetings"].insert(
        {
            "uid": uid,
            "contact_id": cid,
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=20)).isoformat(),
            "location": location,
            "status": status,
            "sequence": 1,
            "notes": "Ask about:\n- the team",
            "created": iso(at(1)),
            "updated": iso(at(2)),
        }
    )


def seed(store: Store) -> dict[str, int]:
    ids = {}
    # contacted on 1 March, no reply: follow-up due 8 March (overdue)
    ids["ann"] = add(store, "Ann Ames", "ann@a.example")
    move(store, ids["ann"], Stage.CONTACTED, at(1))
    message(store, ids["ann"], "sent", "outreach", at(1))
    # contacted on 20 March, out of office until 2 April: follow-up on 3 April 09:00
    ids["ben"] = add(store, "Ben Bo", "ben@b.example")
    move(store, ids["ben"], Stage.CONTACTED, at(20))
    message(store, ids["ben"], "sent", "outreach", at(20))
    message(store, ids["ben"], "received", "auto-reply", at(20, 11))
    store.add_event(
        ids["ben"],
        "auto-reply",
        None,
        None,
        "away",
        "<oof@b>",
        at=iso(at(20, 11)),
        extra={"returns": "2026-04-02"},
    )
    # followed up on 15 March: no-response due 22 March
    ids["cy"] = add(store, "Cy Cole", "cy@c.example")
    move(store, ids["cy"], Stage.CONTACTED, at(5))
    message(store, ids["cy"], "sent", "outreach", at(5))
    message(store, ids["cy"], "sent", "follow-up", at(15))
    # met on 25 March 15:00 (meeting row): thank-you due 27 March 15:20
    ids["dee"] = add(store, "Dee Dunn", "dee@d.example", company="Acme")
    meeting(store, ids["dee"], "coffeechat-dee@example.com", at(25, 15), location="Café")
    move(store, ids["dee"], Stage.MET, at(25, 16))
    # thanked on 1 March, wrote back 4 March: check-in due 2 June
    ids["eve"] = add(store, "Eve Eng", "eve@e.example")
    move(store, ids["eve"], Stage.THANKED, at(1))
    message(store, ids["eve"], "received", "reply", at(4))
    # scheduled for 30 March: a meeting action; plus a cancelled one
    ids["fay"] = add(store, "Fay Fox", "fay@f.example")
    move(store, ids["fay"], Stage.SCHEDULED, at(20))
    meeting(
        store,
        ids["fay"],
        "coffeechat-fay@example.com",
        at(30, 15),
        location="https://meet.example/fay",
    )
    meeting(store, ids["fay"], "coffeechat-fay-old@example.com", at(28, 15), status="CANCELLED")
    # replied on 20 March: the answer is due a day later (overdue)
    ids["gus"] = add(store, "Gus Grey", "gus@g.example")
    message(store, ids["gus"], "sent", "outreach", at(18))
    message(store, ids["gus"], "received", "reply", at(20))
    move(store, ids["gus"], Stage.REPLIED, at(20, 11))
    # Dee suggested Kim (with an address) and Lou (without) on 25 March: due 27 March
    ids["kim"] = add(store, "Kim Kay", "kim@k.example", referred_by=ids["dee"], when=at(25, 16))
    ids["lou"] = add(store, "Lou Lam", "", referred_by=ids["dee"], when=at(25, 16))
    # outreach drafted on 23 March and left in Drafts: send it, due 25 March
    ids["sue"] = add(store, "Sue Sato", "sue@s.example")
    store.record_message(
        "<sue.draft@x>",
        ids["sue"],
        direction="draft",
        kind="outreach",
        subject="s",
        at=iso(at(23, 9)),
        folder="Drafts",
        state="written",
    )
    move(store, ids["sue"], Stage.DRAFTED, at(23, 9))
    # imported, no referral: nothing due
    add(store, "Ned Noe", "ned@n.example")
    return ids


def test_due_actions_from_the_store(store: Store, config: Config) -> None:
    ids = seed(store)
    actions = due_actions(store, config, NOW)
    summary = [(a.contact_name, a.kind, a.due, a.command) for a in actions]
    assert summary == [
        ("Ann Ames", "follow-up", at(8), f"coffeechat draft follow-up {ids['ann']}"),
        ("Gus Grey", "answer", at(21), f"coffeechat schedule {ids['gus']} WHEN"),
        ("Cy Cole", "no-response", at(22), f"coffeechat stage {ids['cy']} no-response"),
        ("Sue Sato", "send-draft", at(25, 9), f"coffeechat show {ids['sue']}"),
        (
            "Dee Dunn",
            "thank-you",
            at(27, 15) + timedelta(minutes=20),
            f"coffeechat draft thank-you {ids['dee']}",
        ),
        ("Kim Kay", "referral", at(27, 16), f"coffeechat draft outreach {ids['kim']}"),
        ("Lou Lam", "ask-address", at(27, 16), f"coffeechat edit {ids['lou']} --email ADDRESS"),
        ("Fay Fox", "meeting", at(30, 15), f"coffeechat show {ids['fay']}"),
        (
            "Ben Bo",
            "follow-up",
            datetime(2026, 4, 3, 9, 0, tzinfo=BERLIN),
            f"coffeechat draft follow-up {ids['ben']}",
        ),
        (
            "Eve Eng",
            "check-in",
            at(4) + timedelta(days=90),
            f'coffeechat draft check-in {ids["eve"]} --update "[what you did since you spoke]"',
        ),
    ]
    assert all(a.due.tzinfo == BERLIN for a in actions)
    week = agenda_rows(actions, NOW, 7)
    assert [a.contact_name for a in week] == [
        "Ann Ames",
        "Gus Grey",
        "Cy Cole",
        "Sue Sato",
        "Dee Dunn",
        "Kim Kay",
        "Lou Lam",
        "Fay Fox",
    ]


def test_meeting_specs_from_the_store(store: Store, config: Config) -> None:
    seed(store)
    specs = {s.uid: s for s in meeting_specs(store, config)}
    dee = specs["coffeechat-dee@example.com"]
    assert dee.summary == "Informational interview: Dee Dunn (Acme)"
    assert dee.start == at(25, 15)
    assert dee.start.tzinfo == BERLIN
    assert dee.minutes == 20
    assert dee.attendee_email == "dee@d.example"
    assert dee.organizer_email == "alex@example.com"
    assert dee.description == "Ask about:\n- the team"
    assert dee.sequence == 1
    assert specs["coffeechat-fay@example.com"].url == "https://meet.example/fay"
    assert specs["coffeechat-fay-old@example.com"].status == "CANCELLED"
    build_meeting_calendar(dee, "REQUEST")  # a stored meeting can be re-sent


def test_write_feed(store: Store, config: Config) -> None:
    ids = seed(store)
    path = write_feed(store, config, now=NOW)
    assert path == config.calendar_path / "coffeechat.ics"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    uids = sorted(str(e["UID"]) for e in cal.walk("VEVENT"))
    # 2 live meetings + 9 reminders (the "meeting" action is the meeting itself)
    assert len(uids) == 11
    assert f"coffeechat-send-draft-{ids['sue']}-20260323T080000Z@coffeechat" in uids
    assert f"coffeechat-referral-{ids['kim']}-20260325T150000Z@coffeechat" in uids
    assert f"coffeechat-ask-address-{ids['lou']}-20260325T150000Z@coffeechat" in uids
    assert f"coffeechat-answer-{ids['gus']}-20260320T090000Z@coffeechat" in uids
    assert "coffeechat-fay-old@example.com" not in uids
    again = write_feed(store, config, now=NOW + timedelta(days=2))
    cal2 = icalendar.Calendar.from_ical(again.read_bytes())
    assert sorted(str(e["UID"]) for e in cal2.walk("VEVENT")) == uids
    other = write_feed(store, config, config.calendar_path / "export.ics", now=NOW)
    assert other.name == "export.ics"


def test_store_timestamps_without_offset_are_utc(store: Store, config: Config) -> None:
    cid = add(store, "Hal Hu", "hal@h.example")
    move(store, cid, Stage.CONTACTED, at(1))
    store.record_message(
        "<naive@x>", cid, direction="sent", kind="outreach", subject="s", at="2026-03-01T09:00:00"
    )
    [found] = due_actions(store, config, NOW)
    assert found.due == datetime(2026, 3, 8, 9, 0, tzinfo=UTC)


def test_unreadable_auto_reply_date_is_ignored(store: Store, config: Config) -> None:
    cid = add(store, "Ivy Ide", "ivy@i.example")
    move(store, cid, Stage.CONTACTED, at(1))
    message(store, cid, "sent", "outreach", at(1))
    store.add_event(
        cid,
        "auto-reply",
        None,
        None,
        "away",
        "<oof@i>",
        at=iso(at(1, 11)),
        extra={"returns": "next week"},
    )
    [found] = due_actions(store, config, NOW)
    assert found.due == at(8)
    assert json.loads(
        store.db.execute("SELECT extra FROM events WHERE kind='auto-reply'").fetchone()[0]
    ) == {"returns": "next week"}


def test_a_known_contact_becomes_due_when_linked_as_a_referral(
    store: Store, config: Config
) -> None:
    # `met --referral` links a contact imported long ago: the clock starts at the link.
    maria = add(store, "Maria Ruiz", "maria@m.example")
    kim = add(store, "Kim Kay", "kim@k.example")
    assert due_actions(store, config, NOW) == []
    store.update_contact(kim, referred_by=maria)
    store.add_event(
        kim, "referral", None, None, "referred by Maria Ruiz", "met command", at=iso(at(25, 16))
    )
    [found] = due_actions(store, config, NOW)
    assert (found.kind, found.due) == ("referral", at(27, 16))
    assert found.detail == "write to Kim, whom Maria suggested on Wed 2026-03-25"
