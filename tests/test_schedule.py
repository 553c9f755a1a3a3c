"""`schedule`, `met`, `agenda`, `report`, `questions` and `edit` as a user runs them."""

from __future__ import annotations

import csv
import email
import email.policy
import email.utils
import io
import json
import mailbox
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import icalendar
import pytest
from coffeechat_fixtures import Workspace
from dovecot import Dovecot
from test_draft import drafts_on_server, use_imap

from coffeechat.resources import templates_dir
from coffeechat.store import Store

NOW = "2026-03-27T09:00:00+01:00"  # a Friday; Europe/Berlin moves to summer time on Sunday


@pytest.fixture
def dana(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("COFFEECHAT_NOW", NOW)
    workspace.run("add", "Dana Lee", "--email", "dana@acme.example", "--company", "Acme")
    return workspace


def meeting_files(workspace: Workspace) -> list[Path]:
    return sorted(
        p for p in (workspace.root / "calendar").glob("*.ics") if p.name != "coffeechat.ics"
    )


def vevent(path: Path) -> icalendar.Event:
    return icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")[0]


def test_schedule_writes_the_event_and_moves_the_stage(dana: Workspace) -> None:
    result = dana.run("schedule", "dana", "2026-03-30 15:00", "--location", "Café Einstein")
    assert result.exit_code == 0, result.output
    assert "Scheduled: Informational interview: Dana Lee (Acme), Mon 2026-03-30 15:00 CEST" in (
        result.output
    )
    [path] = meeting_files(dana)
    event = vevent(path)
    # The Monday after the change to summer time: 15:00 in Berlin is 13:00 UTC.
    assert event.decoded("DTSTART") == datetime.fromisoformat("2026-03-30T15:00:00+02:00")
    assert str(event["LOCATION"]) == "Café Einstein"
    assert "Questions to ask:" in str(event["DESCRIPTION"])
    assert int(event["SEQUENCE"]) == 0
    assert json.loads(dana.run("show", "dana", "--json").stdout)["stage"] == "scheduled"
    feed = icalendar.Calendar.from_ical((dana.root / "calendar" / "coffeechat.ics").read_bytes())
    assert [str(e["UID"]) for e in feed.walk("VEVENT")] == [str(event["UID"])]


def test_rescheduling_keeps_the_uid_and_raises_sequence(dana: Workspace) -> None:
    dana.run("schedule", "dana", "2026-03-30 15:00")
    first = vevent(meeting_files(dana)[0])
    moved = dana.run("schedule", "dana", "2026-03-31 10:00")
    assert moved.output.startswith("Moved:")
    [path] = meeting_files(dana)
    second = vevent(path)
    assert second["UID"] == first["UID"]
    assert int(second["SEQUENCE"]) == 1
    assert second.decoded("DTSTART") == datetime.fromisoformat("2026-03-31T10:00:00+02:00")


def test_a_second_meeting_after_one_was_held_leaves_the_first_alone(
    dana: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    dana.run("schedule", "dana", "2026-03-30 15:00")
    [held] = meeting_files(dana)
    first = vevent(held)
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-30T16:00:00+02:00")
    assert dana.run("met", "dana").exit_code == 0
    assert dana.run("stage", "dana", "keeping-in-touch").exit_code == 0
    again = dana.run("schedule", "dana", "2026-06-01 10:00")
    assert again.exit_code == 0, again.output
    assert again.output.startswith("Scheduled:")
    files = meeting_files(dana)
    assert len(files) == 2
    assert vevent(held).decoded("DTSTART") == first.decoded("DTSTART")
    assert int(vevent(held)["SEQUENCE"]) == 0
    [new] = [p for p in files if p != held]
    assert vevent(new)["UID"] != first["UID"]
    assert json.loads(dana.run("show", "dana", "--json").stdout)["stage"] == "scheduled"


DST_MEETINGS = [
    # Berlin springs forward at 02:00 on 2027-03-28: 90 minutes from 01:30 CET end at
    # 04:00 CEST, not at the 03:00 that adding 90 minutes to the wall clock gives.
    ("2027-03-28 01:30", "2027-03-28T04:00:00+02:00"),
    # and falls back at 03:00 on 2027-10-31: from 01:30 CEST they end at 02:00 CET.
    ("2027-10-31 01:30", "2027-10-31T02:00:00+01:00"),
]


@pytest.mark.parametrize(("start", "end"), DST_MEETINGS)
def test_a_meeting_across_a_dst_change_lasts_as_long_as_asked(
    dana: Workspace, start: str, end: str
) -> None:
    result = dana.run("schedule", "dana", start, "--minutes", "90")
    assert result.exit_code == 0, result.output
    assert ", 90 minutes" in result.output
    store = Store.open(dana.database)
    try:
        meeting = store.latest_meeting(1)
        assert meeting is not None
    finally:
        store.close()
    assert datetime.fromisoformat(meeting["end"]) == datetime.fromisoformat(end)


# In autumn a local 02:00 with a TZID would read as the first 02:00 (CEST, RFC 5545
# §3.3.5) and lose the fold; the .ics gives the end in UTC.
@pytest.mark.parametrize(("start", "end"), DST_MEETINGS)
def test_the_ics_of_a_meeting_across_a_dst_change_ends_when_it_ends(
    dana: Workspace, start: str, end: str
) -> None:
    assert dana.run("schedule", "dana", start, "--minutes", "90").exit_code == 0
    event = vevent(meeting_files(dana)[0])
    assert event.decoded("DTEND").astimezone(UTC) == datetime.fromisoformat(end)


def test_a_new_location_at_the_same_time_is_not_a_move(dana: Workspace) -> None:
    dana.run("schedule", "dana", "2026-03-30 15:00", "--location", "Café Einstein")
    first = vevent(meeting_files(dana)[0])
    result = dana.run("schedule", "dana", "2026-03-30 15:00", "--location", "Blue Bottle")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "New location: Informational interview: Dana Lee (Acme), Mon 2026-03-30 15:00 CEST, "
        "20 minutes, at Blue Bottle.\n"
    )
    second = vevent(meeting_files(dana)[0])
    assert second["UID"] == first["UID"]
    # A new place can change who can come: a significant change (RFC 5545 §3.8.7.4).
    assert int(second["SEQUENCE"]) == 1
    assert str(second["LOCATION"]) == "Blue Bottle"


def test_a_new_time_and_place_say_both(dana: Workspace) -> None:
    dana.run("schedule", "dana", "2026-03-30 15:00", "--location", "Café Einstein")
    result = dana.run("schedule", "dana", "2026-03-31 10:00", "--location", "Blue Bottle")
    assert result.output.startswith(
        "Moved, new location: Informational interview: Dana Lee (Acme), Tue 2026-03-31 10:00 "
        "CEST, 20 minutes, at Blue Bottle.\n"
    )


def test_scheduling_the_same_meeting_again_changes_nothing(dana: Workspace) -> None:
    dana.run("schedule", "dana", "2026-03-30 15:00", "--location", "Café Einstein")
    events_before = stage_and_events(dana, "dana")
    result = dana.run("schedule", "dana", "2026-03-30 15:00")  # no --location: keep it
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "Nothing changed: Informational interview: Dana Lee (Acme), Mon 2026-03-30 15:00 CEST, "
        "20 minutes.\n"
    )
    event = vevent(meeting_files(dana)[0])
    assert int(event["SEQUENCE"]) == 0  # calendars have nothing to update
    assert stage_and_events(dana, "dana") == events_before


def test_rescheduling_keeps_when_the_meeting_was_created(
    dana: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    dana.run("schedule", "dana", "2026-03-30 15:00")
    first = vevent(meeting_files(dana)[0])
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-28T12:00:00+01:00")
    assert dana.run("schedule", "dana", "2026-03-31 10:00").exit_code == 0
    second = vevent(meeting_files(dana)[0])
    store = Store.open(dana.database)
    try:
        [row] = store.db.query("SELECT created, updated FROM meetings")
    finally:
        store.close()
    assert row["created"] == "2026-03-27T08:00:00+00:00"  # NOW, in UTC
    assert row["updated"] == "2026-03-28T11:00:00+00:00"
    assert second["UID"] == first["UID"]
    assert second.decoded("CREATED") == first.decoded("CREATED")
    assert second.decoded("CREATED").isoformat() == "2026-03-27T08:00:00+00:00"
    assert second.decoded("LAST-MODIFIED").isoformat() == "2026-03-28T11:00:00+00:00"
    assert second.decoded("DTSTAMP").isoformat() == "2026-03-28T11:00:00+00:00"


def test_past_and_unreadable_times_are_refused(dana: Workspace) -> None:
    past = dana.run("schedule", "dana", "2026-03-20 10:00")
    assert past.exit_code == 1 and "past" in past.stderr
    garbage = dana.run("schedule", "dana", "whenever suits")
    assert garbage.exit_code == 1
    assert garbage.stderr.startswith('Error: cannot read the time "whenever suits"')
    assert meeting_files(dana) == []


def test_cancel_with_a_time_is_a_usage_error(dana: Workspace) -> None:
    assert dana.run("schedule", "dana", "2026-03-30 15:00").exit_code == 0
    result = dana.run("schedule", "dana", "2026-03-31 10:00", "--cancel")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: WHEN and --cancel do not go together: leave out --cancel to move the "
        "meeting, or WHEN to cancel it\n"
    )
    assert str(vevent(meeting_files(dana)[0])["STATUS"]) == "CONFIRMED"


def test_schedule_help_names_no_date_that_goes_stale(dana: Workspace) -> None:
    """Examples a user copies must still work next year: relative forms only."""
    for command in ("schedule", "met"):
        shown = dana.run(command, "--help").output
        assert not re.search(r"\d{4}-\d{2}-\d{2}", shown), shown


def test_invite_with_a_missing_maildir_schedules_nothing(dana: Workspace) -> None:
    """The mailbox is opened before the meeting is written: a wrong mail.maildir must not
    leave a meeting (and a `scheduled` stage) without its invitation."""
    text = dana.config_path.read_text()
    dana.config_path.write_text(text.replace(str(dana.maildir), str(dana.root / "typo")))
    result = dana.run("schedule", "dana", "2026-03-30 15:00", "--invite")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {dana.config_path}: mail.maildir: ")
    assert meeting_files(dana) == []
    assert json.loads(dana.run("show", "dana", "--json").stdout)["stage"] == "identified"


def test_invitation_from_dovecot_has_the_itip_structure(
    imap_account: tuple[Dovecot, str], dana: Workspace
) -> None:
    dovecot, user = imap_account
    use_imap(dana, dovecot, user)
    dana.run("note", "dana", "Seems stressed; avoid asking about the layoffs")
    # She answered the outreach (by phone): the cancel below puts her back there.
    assert dana.run("stage", "dana", "replied").exit_code == 0
    result = dana.run("schedule", "dana", "2026-03-30 15:00", "--invite")
    assert result.exit_code == 0, result.output
    [message] = read_drafts(dovecot, user)
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, calendar_part = alternative.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert calendar_part.get_content_type() == "text/calendar"
    assert calendar_part.get_param("method") == "REQUEST"
    invite = icalendar.Calendar.from_ical(calendar_part.get_payload(decode=True))
    assert str(invite["METHOD"]) == "REQUEST"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == calendar_part.get_payload(decode=True)
    event = invite.walk("VEVENT")[0]
    # Your notes and prepared questions are in your own .ics, never in the invitation.
    assert "DESCRIPTION" not in event
    assert "layoffs" not in plain.get_content()
    [own] = meeting_files(dana)
    assert "layoffs" in str(vevent(own)["DESCRIPTION"])
    assert str(event["ATTENDEE"]) == "mailto:dana@acme.example"
    assert event["ATTENDEE"].params["RSVP"] == "TRUE"
    assert str(event["ORGANIZER"]) == "mailto:alex.doe@example.org"
    # Cancelling drafts the METHOD:CANCEL counterpart with the same UID.
    cancelled = dana.run("schedule", "dana", "--cancel")
    assert cancelled.exit_code == 0, cancelled.output
    cancel = read_drafts(dovecot, user)[-1]
    cancel_part = cancel.get_payload()[0].get_payload()[1]
    assert cancel_part.get_param("method") == "CANCEL"
    cancel_event = icalendar.Calendar.from_ical(cancel_part.get_payload(decode=True)).walk(
        "VEVENT"
    )[0]
    assert cancel_event["UID"] == event["UID"]
    assert str(cancel_event["STATUS"]) == "CANCELLED"
    assert int(cancel_event["SEQUENCE"]) == int(event["SEQUENCE"]) + 1
    assert json.loads(dana.run("show", "dana", "--json").stdout)["stage"] == "replied"


def read_drafts(dovecot: Dovecot, user: str) -> list[email.message.Message]:
    return [message for _, message in drafts_on_server(dovecot, user)]


def test_met_adds_referrals_and_links_known_ones(dana: Workspace) -> None:
    dana.run("add", "Sam Roe", "--email", "sam@beta.example")
    result = dana.run(
        "met",
        "dana",
        "--notes",
        "Start with research ops. Read two books.",
        "--referral",
        "Sam Roe <SAM@beta.example>",
        "--referral",
        "Kim Park <kim@gamma.example>",
    )
    assert result.exit_code == 0, result.output
    assert "Linked Sam Roe (id 2) as referred by Dana Lee." in result.output
    assert "Added Kim Park (id 3), referred by Dana Lee." in result.output
    contacts = {c["name"]: c for c in json.loads(dana.run("list", "--json").stdout)}
    assert len(contacts) == 3
    assert contacts["Sam Roe"]["referred_by"] == contacts["Kim Park"]["referred_by"] == 1
    assert contacts["Kim Park"]["stage"] == "identified"
    assert contacts["Dana Lee"]["stage"] == "met"
    agenda = dana.run("agenda", "--json")
    # The thank-you first; then the outreach to each referral it promises.
    assert [(a["kind"], a["command"]) for a in json.loads(agenda.stdout)] == [
        ("thank-you", "coffeechat draft thank-you 1"),
        ("referral", "coffeechat draft outreach 2"),
        ("referral", "coffeechat draft outreach 3"),
    ]
    report = json.loads(dana.run("report", "--json").stdout)
    assert report["meetings_held"] == 1
    assert report["referrals"] == [
        {
            "id": 1,
            "name": "Dana Lee",
            "stage": "met",
            "referred": [
                {"id": 2, "name": "Sam Roe", "stage": "identified", "referred": []},
                {"id": 3, "name": "Kim Park", "stage": "identified", "referred": []},
            ],
        }
    ]


def test_a_bad_referral_changes_nothing(dana: Workspace) -> None:
    result = dana.run(
        "met",
        "dana",
        "--referral",
        "Kim Park <kim@gamma.example>",
        "--referral",
        "Bob <not-an-address>",
    )
    assert result.exit_code == 1
    assert "write it like" in result.stderr
    assert len(json.loads(dana.run("list", "--json").stdout)) == 1
    assert json.loads(dana.run("show", "dana", "--json").stdout)["stage"] == "identified"


def test_check_in_cadence_by_contact_and_by_tag(
    dana: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = dana.config_path.read_text().replace("# mentor = 30", "mentor = 30")
    dana.config_path.write_text(text)
    dana.run("add", "Sam Roe", "--email", "sam@beta.example", "--tag", "mentor")
    for who in ("dana", "sam"):
        dana.run("stage", who, "thanked", "--force")
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-04-28T09:00:00+02:00")  # 32 days later
    due = [a["name"] for a in json.loads(dana.run("agenda", "--json").stdout)]
    assert due == ["Sam Roe"]
    assert dana.run("edit", "dana", "--check-in-days", "14").exit_code == 0
    due = sorted(a["name"] for a in json.loads(dana.run("agenda", "--json").stdout))
    assert due == ["Dana Lee", "Sam Roe"]


def test_edit_adds_an_address_and_fixes_a_name(dana: Workspace) -> None:
    result = dana.run(
        "edit", "dana", "--name", "Dana Li", "--email", "dana@home.example", "--tag", "design"
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(dana.run("show", "dana", "--json").stdout)
    assert shown["name"] == "Dana Li"
    assert shown["emails"] == ["dana@acme.example", "dana@home.example"]
    assert shown["tags"] == ["design"]
    assert shown["events"][-1]["kind"] == "edit"


def test_questions_by_topic(workspace: Workspace) -> None:
    result = workspace.run("questions", "--topic", "next-contacts")
    assert result.exit_code == 0
    assert "Who else would you recommend I speak with?" in result.output
    assert "typical day" not in result.output
    unknown = workspace.run("questions", "--topic", "astrology")
    assert unknown.exit_code == 2 and "choose one of: work, preparation" in unknown.stderr


@pytest.mark.parametrize("args", [["2026-03-30 15:00"], ["2026-03-30 15:00", "--invite"]])
def test_schedule_refuses_without_your_address_and_stores_nothing(
    dana: Workspace, args: list[str]
) -> None:
    dana.set_me('name = "Jo Student"\ntimezone = "Europe/Berlin"')
    result = dana.run("schedule", "dana", *args)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {dana.config_path}: me.email is not set; add it under [me], "
        'e.g. email = "you@example.com"\n'
    )
    assert meeting_files(dana) == []
    assert json.loads(dana.run("show", "dana", "--json").stdout)["stage"] == "identified"


def test_cancel_refuses_the_example_identity_and_keeps_the_meeting(dana: Workspace) -> None:
    assert dana.run("schedule", "dana", "2026-03-30 15:00").exit_code == 0
    dana.set_me('name = "Jo Student"\nemail = "alex@example.com"\ntimezone = "Europe/Berlin"')
    result = dana.run("schedule", "dana", "--cancel")
    assert result.exit_code == 1
    assert 'me.email is still "alex@example.com", the example' in result.stderr
    [path] = meeting_files(dana)
    assert str(vevent(path)["STATUS"]) == "CONFIRMED"
    assert json.loads(dana.run("show", "dana", "--json").stdout)["stage"] == "scheduled"


def test_met_refuses_a_future_time_and_keeps_the_stage(dana: Workspace) -> None:
    result = dana.run("met", "dana", "--when", "2026-04-03 09:30")
    assert result.exit_code == 1
    assert result.stderr == (
        'Error: "2026-04-03 09:30" is in the future (Fri 2026-04-03 09:30 CEST); give a time '
        'before Fri 2026-03-27 09:00 CET, like "yesterday 3pm", or leave it out for now\n'
    )
    assert json.loads(dana.run("show", "dana", "--json").stdout)["stage"] == "identified"
    assert json.loads(dana.run("report", "--json").stdout)["meetings_held"] == 0
    assert dana.run("met", "dana", "--when", "yesterday 3pm").exit_code == 0


def test_met_before_the_scheduled_meeting_is_refused(
    dana: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert dana.run("schedule", "dana", "2026-03-30 15:00").exit_code == 0
    before = stage_and_events(dana, "dana")
    result = dana.run("met", "dana", "--notes", "Loves design systems")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Dana Lee's meeting is still ahead, on Mon 2026-03-30 15:00 CEST: record it "
        "after it happens; if you met earlier, add --when with when you did, and if the "
        "meeting moved, run `coffeechat schedule 1 WHEN` first\n"
    )
    assert stage_and_events(dana, "dana") == before  # no stage move, no notes
    assert json.loads(dana.run("report", "--json").stdout)["meetings_held"] == 0
    # Once it has started, `met` records it.
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-30T15:20:00+02:00")
    assert dana.run("met", "dana").exit_code == 0


def test_stage_met_before_the_scheduled_meeting_is_refused_unless_forced(
    dana: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `stage` is the manual way to the same place `met` guards: the report would count a
    # meeting as held, and the agenda ask for a thank-you, before the conversation.
    assert dana.run("schedule", "dana", "2026-03-30 15:00").exit_code == 0
    before = stage_and_events(dana, "dana")
    for target in ("met", "thanked"):
        result = dana.run("stage", "dana", target)
        assert result.exit_code == 1
        assert result.stderr == (
            "Error: Dana Lee's meeting is still ahead, on Mon 2026-03-30 15:00 CEST: record "
            "it with `coffeechat met dana` once it has happened (with --when if you met "
            f"earlier); to move anyway: coffeechat stage dana {target} --force\n"
        )
    assert stage_and_events(dana, "dana") == before
    assert dana.run("stage", "dana", "declined").exit_code == 0  # not a meeting stage
    assert dana.run("stage", "dana", "met", "--force").exit_code == 0
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-30T15:20:00+02:00")
    assert dana.run("schedule", "dana", "2026-04-06 15:00").exit_code == 0  # a new one
    assert dana.run("stage", "dana", "thanked").exit_code == 0  # met already: no guard


def test_met_with_a_past_when_or_a_cancelled_meeting_is_recorded(dana: Workspace) -> None:
    dana.run("add", "Jose Ruiz", "--email", "jose@example.org")
    for who in ("dana", "jose"):
        assert dana.run("schedule", who, "2026-03-30 15:00").exit_code == 0
    # They met earlier than planned: --when says when.
    assert dana.run("met", "dana", "--when", "yesterday 3pm").exit_code == 0
    assert dana.run("schedule", "jose", "--cancel").exit_code == 0
    assert dana.run("met", "jose").exit_code == 0  # a cancelled meeting is no obstacle


def test_met_before_the_contact_was_added_does_not_age_updated(dana: Workspace) -> None:
    """Met at a fair last week, added today: a real order of things, so not refused. The
    timeline keeps the meeting at its time (the thank-you and check-in clocks, the report
    and the export read it there), before "contact added"; the contact's `updated` does
    not go back to before the add."""
    assert dana.run("note", "dana", "met at the fair").exit_code == 0
    assert dana.run("met", "dana", "--when", "2026-03-20 15:00").exit_code == 0
    shown = json.loads(dana.run("show", "dana", "--json").stdout)
    assert shown["stage"] == "met"
    assert shown["updated"] == "2026-03-27T08:00:00+00:00"  # NOW, not the 20th
    assert [(e["at"], e["detail"]) for e in shown["events"]][:2] == [
        ("2026-03-20T14:00:00+00:00", "meeting held"),
        ("2026-03-27T08:00:00+00:00", "contact added"),
    ]


def feed_events(workspace: Workspace) -> dict[str, icalendar.Event]:
    feed = icalendar.Calendar.from_ical(
        (workspace.root / "calendar" / "coffeechat.ics").read_bytes()
    )
    return {str(e["UID"]): e for e in feed.walk("VEVENT")}


def test_met_earlier_than_planned_moves_the_meeting_to_when_it_was_held(
    dana: Workspace,
) -> None:
    assert dana.run("schedule", "dana", "2026-04-03 14:00").exit_code == 0  # next Friday
    [path] = meeting_files(dana)
    uid = str(vevent(path)["UID"])
    result = dana.run("met", "dana", "--when", "today 1am")
    assert result.exit_code == 0, result.output
    assert (
        "Moved the meeting to when you met, Fri 2026-03-27 01:00 CET (it was planned for "
        "Fri 2026-04-03 14:00 CEST).\nCalendar file: "
    ) in result.output
    # The planned time is still ahead: if that conversation still happens, it is another.
    assert (
        "If you still meet on Fri 2026-04-03 14:00 CEST too, that is another meeting: "
        'run `coffeechat schedule 1 "2026-04-03 14:00"`.'
    ) in result.output
    # The same event (same UID, a higher SEQUENCE, the same length) at the held time.
    assert meeting_files(dana) == [path]
    event = vevent(path)
    assert str(event["UID"]) == uid
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == datetime.fromisoformat("2026-03-27T01:00:00+01:00")
    assert event.decoded("DTEND") == datetime.fromisoformat("2026-03-27T01:20:00+01:00")
    # The feed holds no Friday event any more, and no alarm for it.
    fed = feed_events(dana)[uid]
    assert fed.decoded("DTSTART") == datetime.fromisoformat("2026-03-27T01:00:00+01:00")
    assert "2026-04-03" not in (dana.root / "calendar" / "coffeechat.ics").read_text()
    # The spreadsheet and the check-in clock count from the held time.
    [row] = list(csv.DictReader(io.StringIO(dana.run("export", "csv").stdout)))
    assert row["Meeting date"] == "2026-03-27 01:00"  # the user's time, as spreadsheets read it
    assert row["Next check-in"] == "2026-06-25"
    # The timeline says when it was held (at that time, so before it was scheduled).
    _, details = stage_and_events(dana, "dana")
    assert (
        "meeting held on Fri 2026-03-27 01:00 CET (planned for Fri 2026-04-03 14:00 CEST)"
    ) in details
    [action] = json.loads(dana.run("agenda", "--json").stdout)
    assert (action["kind"], action["due"]) == ("thank-you", "2026-03-29T01:20:00+01:00")
    # The command it suggests puts the plan back as a second meeting.
    assert dana.run("schedule", "dana", "2026-04-03 14:00").output.startswith("Scheduled:")
    assert len(meeting_files(dana)) == 2


def test_met_later_than_planned_moves_a_past_meeting_without_a_second_one(
    dana: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert dana.run("schedule", "dana", "2026-03-30 15:00", "--minutes", "45").exit_code == 0
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-04-02T18:00:00+02:00")
    result = dana.run("met", "dana", "--when", "2026-04-01 11:00")
    assert result.exit_code == 0, result.output
    assert "(it was planned for Mon 2026-03-30 15:00 CEST)" in result.output
    assert "another meeting" not in result.output  # the planned time is over
    [path] = meeting_files(dana)
    event = vevent(path)
    assert event.decoded("DTSTART") == datetime.fromisoformat("2026-04-01T11:00:00+02:00")
    assert event.decoded("DTEND") == datetime.fromisoformat("2026-04-01T11:45:00+02:00")


def test_met_at_the_planned_time_or_without_when_leaves_the_meeting(
    dana: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    dana.run("add", "Jose Ruiz", "--email", "jose@example.org")
    for who in ("dana", "jose"):
        assert dana.run("schedule", who, "2026-03-30 15:00").exit_code == 0
    before = {p: p.read_bytes() for p in meeting_files(dana)}
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-30T18:00:00+02:00")
    # Within the planned slot is the meeting as planned; without --when, it was held then.
    for args in (["dana", "--when", "2026-03-30 15:10"], ["jose"]):
        result = dana.run("met", *args)
        assert result.exit_code == 0, result.output
        assert "Moved the meeting" not in result.output
    assert {p: p.read_bytes() for p in meeting_files(dana)} == before
    assert stage_and_events(dana, "dana")[1][-1] == "meeting held"


def test_met_earlier_than_an_invited_meeting_drafts_nothing_and_says_so(
    dana: Workspace,
) -> None:
    invited = send_invitation(dana)
    result = dana.run("met", "dana", "--when", "today 8am")
    assert result.exit_code == 0, result.output
    assert "Moved the meeting to when you met, Fri 2026-03-27 08:00 CET" in result.output
    assert (
        "Dana Lee's calendar still shows the invitation for Mon 2026-03-30 15:00 CEST: "
        "no update is drafted for a meeting that is over."
    ) in result.output
    assert len(maildir_drafts(dana)) == 1  # only the invitation
    event = vevent(meeting_files(dana)[0])
    assert event["UID"] == invited["UID"]
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == datetime.fromisoformat("2026-03-27T08:00:00+01:00")


def test_an_ambiguous_slash_date_is_refused(dana: Workspace) -> None:
    result = dana.run("schedule", "dana", "12/01/2027 3pm")
    assert result.exit_code == 1
    assert result.stderr == (
        'Error: "12/01/2027 3pm" can be read month first (2027-12-01 15:00) or day first '
        '(2027-01-12 15:00); write the date the ISO way, "2027-12-01 15:00" or '
        '"2027-01-12 15:00", or name the month\n'
    )
    assert meeting_files(dana) == []
    day_first = dana.run("schedule", "dana", "31/12/2026 14:00")
    assert day_first.exit_code == 0, day_first.output
    assert "Thu 2026-12-31 14:00 CET" in day_first.output


def maildir_drafts(workspace: Workspace) -> list[email.message.Message]:
    folder = workspace.maildir / ".Drafts" / "cur"
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(folder.iterdir() if folder.exists() else [])
    ]


def itip_method(message: email.message.Message) -> str:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return str(part.get_param("method"))


def stage_and_events(workspace: Workspace, who: str) -> tuple[str, list[str]]:
    shown = json.loads(workspace.run("show", who, "--json").stdout)
    return shown["stage"], [event["detail"] for event in shown["events"]]


def mark_undeliverable(workspace: Workspace, address: str) -> None:
    store = Store.open(workspace.database)
    try:
        store.mark_undeliverable(address)
    finally:
        store.close()


def test_invite_to_a_contact_without_address_writes_nothing(dana: Workspace) -> None:
    dana.run("add", "No Body")
    before = stage_and_events(dana, "2")
    result = dana.run("schedule", "2", "2026-03-30 15:00", "--invite")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: No Body has no email address; add one with `coffeechat edit 2 --email "
        "ADDRESS`, or schedule without --invite\n"
    )
    assert meeting_files(dana) == []
    assert stage_and_events(dana, "2") == before
    assert maildir_drafts(dana) == []
    assert [
        a for a in json.loads(dana.run("agenda", "--json").stdout) if a["contact_id"] == 2
    ] == []


def test_invite_to_an_undeliverable_address_moves_nothing(dana: Workspace) -> None:
    assert dana.run("schedule", "dana", "2026-03-30 15:00").exit_code == 0
    [path] = meeting_files(dana)
    before = (path.read_bytes(), stage_and_events(dana, "dana"))
    mark_undeliverable(dana, "dana@acme.example")
    result = dana.run("schedule", "dana", "2026-03-31 10:00", "--invite")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Dana Lee's address dana@acme.example bounced; add another with "
        "`coffeechat edit 1 --email ADDRESS`, or schedule without --invite\n"
    )
    assert meeting_files(dana) == [path]
    assert (path.read_bytes(), stage_and_events(dana, "dana")) == before
    assert maildir_drafts(dana) == []


def test_cancel_without_an_invitation_drafts_no_email(dana: Workspace) -> None:
    dana.run("schedule", "dana", "2026-03-30 15:00")
    result = dana.run("schedule", "dana", "--cancel")
    assert result.exit_code == 0, result.output
    assert "Cancelled the meeting with Dana Lee on Mon 2026-03-30 15:00 CEST." in result.output
    assert (
        "No invitation was drafted for this meeting, so no cancellation email either: "
        "tell Dana Lee yourself, or add --invite to draft one." in result.output
    )
    assert "Invitation draft" not in result.output
    assert "coffeechat met" not in result.output
    assert "Next: `coffeechat schedule 1 WHEN` when you agree on another time." in result.output
    assert maildir_drafts(dana) == []
    assert vevent(meeting_files(dana)[0])["STATUS"] == "CANCELLED"


def test_cancel_after_an_invitation_drafts_the_cancellation(dana: Workspace) -> None:
    assert dana.run("schedule", "dana", "2026-03-30 15:00", "--invite").exit_code == 0
    # Moved without --invite: Dana holds the invitation, so the move and the cancel both
    # must reach her.
    assert dana.run("schedule", "dana", "2026-03-31 10:00").exit_code == 0
    result = dana.run("schedule", "dana", "--cancel")
    assert result.exit_code == 0, result.output
    assert "Cancellation draft written to Drafts: open your mail client to send it." in (
        result.output
    )
    assert "Invitation draft" not in result.output
    assert "coffeechat met" not in result.output
    drafts = [(itip_method(m), int(draft_event(m)["SEQUENCE"])) for m in maildir_drafts(dana)]
    assert sorted(drafts) == [("CANCEL", 2), ("REQUEST", 0), ("REQUEST", 1)]


def test_the_invitation_title_is_for_both_sides(dana: Workspace) -> None:
    # Dana's calendar shows the SUMMARY: the subject's words, not the user's own label
    # that describes her; the update and the cancel keep it, as they replace that event.
    assert dana.run("schedule", "dana", "2026-03-30 15:00", "--invite").exit_code == 0
    assert dana.run("schedule", "dana", "2026-03-31 10:00").exit_code == 0
    assert dana.run("schedule", "dana", "--cancel").exit_code == 0
    drafts = sorted(maildir_drafts(dana), key=lambda m: int(draft_event(m)["SEQUENCE"]))
    assert str(drafts[0]["Subject"]) == "Invitation: 20-minute chat, Alex Doe and Dana Lee"
    titles = [str(draft_event(m)["SUMMARY"]) for m in drafts]
    assert titles == ["20-minute chat, Alex Doe and Dana Lee"] * 3
    own = vevent(meeting_files(dana)[0])
    assert str(own["SUMMARY"]) == "Informational interview: Dana Lee (Acme)"


def draft_event(message: email.message.Message) -> icalendar.Event:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0]


def send_invitation(workspace: Workspace) -> icalendar.Event:
    """Schedule Dana's meeting with an invitation, and send it: it is in her calendar."""
    assert workspace.run("schedule", "dana", "2026-03-30 15:00", "--invite").exit_code == 0
    [draft] = maildir_drafts(workspace)
    mailbox.Maildir(workspace.maildir / ".Sent", create=False).add(draft.as_bytes())
    assert workspace.run("watch", "--once").exit_code == 0
    return draft_event(draft)


def test_the_invitation_is_in_utc_and_its_text_in_your_time(dana: Workspace) -> None:
    # Summer time in Berlin: 15:00 CEST is 13:00 UTC. The .ics gives the instant in UTC
    # (classic Outlook misreads icalendar's VTIMEZONEs); the text says what you typed.
    assert dana.run("schedule", "dana", "2026-03-30 15:00", "--invite").exit_code == 0
    [draft] = maildir_drafts(dana)
    [part] = [p for p in draft.walk() if p.get_content_type() == "text/calendar"]
    ics = part.get_payload(decode=True)
    assert b"\r\nDTSTART:20260330T130000Z\r\n" in ics
    assert b"VTIMEZONE" not in ics and b"TZID" not in ics
    [plain] = [p for p in draft.walk() if p.get_content_type() == "text/plain"]
    assert "When: Monday, March 30, 2026 at 15:00 CEST (UTC+02:00)" in plain.get_content()


def test_moving_an_invited_meeting_drafts_the_update(dana: Workspace) -> None:
    invited = send_invitation(dana)
    moved = dana.run("schedule", "dana", "2026-03-31 10:00")
    assert moved.exit_code == 0, moved.output
    assert moved.output.startswith("Moved: ")
    assert "Updated invitation draft written to Drafts: open your mail client to send it." in (
        moved.output
    )
    assert moved.stderr == ""
    # The same UID with a higher SEQUENCE: Dana's calendar moves the event (RFC 5546 §3.2.2).
    [update] = [m for m in maildir_drafts(dana) if int(draft_event(m)["SEQUENCE"]) == 1]
    assert itip_method(update) == "REQUEST"
    event = draft_event(update)
    assert event["UID"] == invited["UID"] == vevent(meeting_files(dana)[0])["UID"]
    assert event.decoded("DTSTART").isoformat() == "2026-03-31T08:00:00+00:00"  # 10:00 CEST
    # A new place alone is news too.
    placed = dana.run("schedule", "dana", "2026-03-31 10:00", "--location", "Blue Bottle")
    assert "Updated invitation draft written to Drafts" in placed.output
    assert len(maildir_drafts(dana)) == 3


def test_the_same_meeting_again_drafts_no_update(dana: Workspace) -> None:
    send_invitation(dana)
    # Nothing to send, so no mailbox either: a broken one does not stop a no-op.
    text = dana.config_path.read_text()
    dana.config_path.write_text(text.replace(str(dana.maildir), str(dana.root / "typo")))
    again = dana.run("schedule", "dana", "2026-03-30 15:00")
    assert again.exit_code == 0, again.output
    assert again.output.startswith("Nothing changed:")
    assert "draft" not in again.output
    dana.config_path.write_text(text)
    assert len(maildir_drafts(dana)) == 1


def test_moving_a_meeting_never_invited_drafts_nothing(dana: Workspace) -> None:
    dana.run("schedule", "dana", "2026-03-30 15:00")
    moved = dana.run("schedule", "dana", "2026-03-31 10:00")
    assert moved.exit_code == 0, moved.output
    assert "draft" not in moved.output
    assert maildir_drafts(dana) == []


def test_moving_an_invited_meeting_of_a_bounced_address_says_why_no_update(
    dana: Workspace,
) -> None:
    send_invitation(dana)
    mark_undeliverable(dana, "dana@acme.example")
    moved = dana.run("schedule", "dana", "2026-03-31 10:00")
    assert moved.exit_code == 0, moved.output
    assert (
        "No updated invitation email: Dana Lee's address dana@acme.example bounced; add "
        "another with `coffeechat edit 1 --email ADDRESS`." in moved.output
    )
    assert len(maildir_drafts(dana)) == 1


def test_an_unchanged_meeting_can_still_be_invited_to(dana: Workspace) -> None:
    # What the error after a failed invitation draft tells the user to run.
    dana.run("schedule", "dana", "2026-03-30 15:00")
    result = dana.run("schedule", "dana", "2026-03-30 15:00", "--invite")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Nothing changed:")
    assert "Invitation draft written to Drafts" in result.output
    [draft] = maildir_drafts(dana)
    [part] = [p for p in draft.walk() if p.get_content_type() == "text/calendar"]
    event = icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0]
    assert (itip_method(draft), int(event["SEQUENCE"])) == ("REQUEST", 0)


def test_cancel_with_invite_drafts_the_cancellation_anyway(dana: Workspace) -> None:
    dana.run("schedule", "dana", "2026-03-30 15:00")
    result = dana.run("schedule", "dana", "--cancel", "--invite")
    assert result.exit_code == 0, result.output
    assert "Cancellation draft written to Drafts" in result.output
    assert [itip_method(m) for m in maildir_drafts(dana)] == ["CANCEL"]


def test_a_new_invitation_warns_of_the_unsent_one_still_in_drafts(dana: Workspace) -> None:
    assert dana.run("schedule", "dana", "2026-03-30 15:00", "--invite").exit_code == 0
    moved = dana.run("schedule", "dana", "2026-03-31 10:00", "--invite")
    assert moved.exit_code == 0, moved.output
    assert moved.stderr == (
        "Warning: the earlier invitation to Dana Lee is still in Drafts, unsent: delete it, "
        "so that only this one goes out\n"
    )
    cancelled = dana.run("schedule", "dana", "--cancel")
    assert cancelled.exit_code == 0, cancelled.output
    assert cancelled.stderr == (
        "Warning: the invitation to Dana Lee is still in Drafts, unsent: delete it and this "
        "cancellation, and nothing needs to go out\n"
    )


def test_no_warning_once_the_earlier_invitation_was_sent(dana: Workspace) -> None:
    assert dana.run("schedule", "dana", "2026-03-30 15:00", "--invite").exit_code == 0
    [draft] = maildir_drafts(dana)
    # The user sends it: their mail client files the same message in Sent.
    mailbox.Maildir(dana.maildir / ".Sent", create=False).add(draft.as_bytes())
    assert dana.run("watch", "--once").exit_code == 0
    moved = dana.run("schedule", "dana", "2026-03-31 10:00", "--invite")
    assert moved.exit_code == 0, moved.output
    assert "Warning" not in moved.stderr


def test_invitation_with_proofreading_errors_saves_nothing_unless_forced(
    dana: Workspace,
) -> None:
    folder = dana.root / "my-templates"
    folder.mkdir()
    packaged = (templates_dir() / "invitation.txt.j2").read_text(encoding="utf-8")
    (folder / "invitation.txt.j2").write_text(
        packaged.replace("I look forward to it", "I look forwrad to it"), encoding="utf-8"
    )
    text = dana.config_path.read_text().replace('templates = ""', f'templates = "{folder}"')
    dana.config_path.write_text(text)
    refused = dana.run("schedule", "dana", "2026-03-30 15:00", "--invite")
    assert refused.exit_code == 1
    assert "invitation for Dana Lee:" in refused.stderr and "forwrad" in refused.stderr
    assert f"fix the template ({folder / 'invitation.txt.j2'}), or pass --force" in (refused.stderr)
    assert meeting_files(dana) == [] and maildir_drafts(dana) == []
    assert json.loads(dana.run("show", "dana", "--json").stdout)["stage"] == "identified"
    forced = dana.run("schedule", "dana", "2026-03-30 15:00", "--invite", "--force")
    assert forced.exit_code == 0, forced.output
    assert len(meeting_files(dana)) == 1 and len(maildir_drafts(dana)) == 1


def accept_invitation(workspace: Workspace, invited: icalendar.Event) -> None:
    """Dana's calendar accepts the invitation: an iTIP REPLY arrives in INBOX."""
    calendar_answer(workspace, invited)
    assert stored_answer(workspace) == "ACCEPTED"


def calendar_answer(
    workspace: Workspace,
    invited: icalendar.Event,
    *,
    sequence: int | None = None,
    with_sequence: bool = True,
    sender: str = "Dana Lee <dana@acme.example>",
    message_id: str = "<accepted-1@acme.example>",
    watch: bool = True,
) -> None:
    """An iTIP REPLY accepting `invited` (at its SEQUENCE unless `sequence`; with none if
    not `with_sequence`) arrives in INBOX from `sender`, and `watch --once` reads it."""
    if sequence is None:
        sequence = int(invited["SEQUENCE"])
    name, address = email.utils.parseaddr(sender)
    reply = email.message.EmailMessage()
    reply["From"] = sender
    reply["To"] = "Alex Doe <alex.doe@example.org>"
    reply["Subject"] = "Accepted: Informational interview: Dana Lee (Acme)"
    reply["Message-ID"] = message_id
    reply["Date"] = "Fri, 27 Mar 2026 09:30:00 +0100"
    reply.set_content(f"{name} has accepted this invitation.")
    calendar = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example Calendar//EN\r\n"
        "METHOD:REPLY\r\nBEGIN:VEVENT\r\n"
        f"UID:{invited['UID']}\r\nDTSTAMP:20260327T083000Z\r\n"
        + (f"SEQUENCE:{sequence}\r\n" if with_sequence else "")
        + "ORGANIZER:mailto:alex.doe@example.org\r\n"
        f"ATTENDEE;PARTSTAT=ACCEPTED;CN={name}:mailto:{address}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    reply.add_alternative(
        calendar.encode(), maintype="text", subtype="calendar", params={"method": "REPLY"}
    )
    mailbox.Maildir(workspace.maildir, create=False).add(reply.as_bytes())
    if watch:
        assert workspace.run("watch", "--once").exit_code == 0


def stored_answer(workspace: Workspace) -> str:
    store = Store.open(workspace.database)
    try:
        meeting = store.latest_meeting(1)
        assert meeting is not None
        return str(meeting["partstat"])
    finally:
        store.close()


def latest_draft(workspace: Workspace) -> email.message.Message:
    return max(maildir_drafts(workspace), key=lambda m: int(draft_event(m)["SEQUENCE"]))


def test_a_new_time_asks_again_for_an_answer(dana: Workspace) -> None:
    accept_invitation(dana, send_invitation(dana))
    moved = dana.run("schedule", "dana", "2026-03-31 10:00")
    assert moved.exit_code == 0, moved.output
    # RFC 5546 §2.1.4: a new DTSTART/DTEND is significant; the answer was to the old time.
    assert stored_answer(dana) == "NEEDS-ACTION"
    attendee = draft_event(latest_draft(dana))["ATTENDEE"]
    assert (attendee.params["PARTSTAT"], attendee.params["RSVP"]) == ("NEEDS-ACTION", "TRUE")
    # Reset, the answer no longer proves the invitation; the drafted update does.
    cancelled = dana.run("schedule", "dana", "--cancel")
    assert "Cancellation draft written to Drafts" in cancelled.output


def test_a_new_place_keeps_the_answer(dana: Workspace) -> None:
    accept_invitation(dana, send_invitation(dana))
    placed = dana.run("schedule", "dana", "2026-03-30 15:00", "--location", "Blue Bottle")
    assert "Updated invitation draft written to Drafts" in placed.output
    # Not in RFC 5546's significant changes: the update tells, and Dana's calendar keeps
    # her answer rather than asking again.
    assert stored_answer(dana) == "ACCEPTED"
    attendee = draft_event(latest_draft(dana))["ATTENDEE"]
    assert (attendee.params["PARTSTAT"], attendee.params["RSVP"]) == ("ACCEPTED", "TRUE")


def test_a_new_time_not_sent_keeps_the_answer_and_the_invitation(dana: Workspace) -> None:
    accept_invitation(dana, send_invitation(dana))
    mark_undeliverable(dana, "dana@acme.example")
    moved = dana.run("schedule", "dana", "2026-03-31 10:00")
    assert "No updated invitation email" in moved.output
    # No update reaches Dana: her calendar holds the old version, with her answer to it.
    assert stored_answer(dana) == "ACCEPTED"


def watch_one_pass(
    store: Store, config: Any, *, on_change: Any, on_pass: Any = None, **_: Any
) -> None:
    """`watch_forever` for a test: one real pass, its changes reported, then Ctrl-C."""
    import signal

    from coffeechat.clock import now
    from coffeechat.watcher import connected, run_pass

    with connected(config) as mailbox:
        changes = run_pass(store, mailbox, config, now=now(config)).changes
    for change in changes:
        on_change(change)
    if changes and on_pass is not None:
        on_pass(changes)
    signal.raise_signal(signal.SIGINT)


@pytest.mark.parametrize("watch", [["watch", "--once"], ["watch"]])
def test_the_answer_reaches_the_meeting_file_as_it_does_the_feed(
    dana: Workspace, monkeypatch: pytest.MonkeyPatch, watch: list[str]
) -> None:
    # A user who imported the file `schedule` printed and subscribed to the feed holds the
    # event twice: the file must not keep NEEDS-ACTION and the older DTSTAMP once the feed
    # shows Dana's acceptance.
    invited = send_invitation(dana)
    [path] = meeting_files(dana)
    before = vevent(path)
    assert before["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-27T10:00:00+01:00")
    monkeypatch.setattr("coffeechat.watcher.watch_forever", watch_one_pass)
    calendar_answer(dana, invited, watch=False)
    result = dana.run(*watch)
    assert result.exit_code == 0, result.output
    assert stored_answer(dana) == "ACCEPTED"
    feed = icalendar.Calendar.from_ical((dana.root / "calendar" / "coffeechat.ics").read_bytes())
    [in_feed] = feed.walk("VEVENT")
    own = vevent(path)
    assert own["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert own["DTSTAMP"].dt == datetime(2026, 3, 27, 9, 0, tzinfo=UTC) > before["DTSTAMP"].dt
    assert own.to_ical() == in_feed.to_ical()


def test_an_answer_not_counted_leaves_the_meeting_file_alone(
    dana: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    invited = send_invitation(dana)  # SEQUENCE 0
    assert dana.run("schedule", "dana", "2026-03-31 10:00").exit_code == 0  # SEQUENCE 1
    [path] = meeting_files(dana)
    before = path.read_bytes()
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-27T10:00:00+01:00")
    # An answer to the old time, and one from someone else: neither is Dana's answer now.
    calendar_answer(dana, invited, sequence=0, message_id="<late@acme.example>")
    assert dana.run("add", "Ben Okafor", "--email", "ben@globex.example").exit_code == 0
    calendar_answer(dana, invited, sequence=1, sender="Ben Okafor <ben@globex.example>")
    assert stored_answer(dana) == "NEEDS-ACTION"
    assert path.read_bytes() == before


def test_a_late_answer_to_the_old_time_is_not_an_answer_to_the_new_one(dana: Workspace) -> None:
    invited = send_invitation(dana)  # SEQUENCE 0
    assert dana.run("schedule", "dana", "2026-03-31 10:00").exit_code == 0  # SEQUENCE 1
    # Dana's calendar accepts the first time, and the answer arrives after the move.
    calendar_answer(dana, invited, sequence=0, message_id="<late@acme.example>")
    # RFC 5546 §2.1.5: a REPLY to an older SEQUENCE is for an outdated version.
    assert stored_answer(dana) == "NEEDS-ACTION"
    stage, details = stage_and_events(dana, "dana")
    assert stage == "scheduled"
    assert details[-1] == (
        "calendar answer: accepted, to version 0 of the invitation, not the current one (1): "
        "not counted as an answer to it"
    )
    assert dana.run("watch", "--once").exit_code == 0  # read once, logged once
    assert stage_and_events(dana, "dana") == (stage, details)
    # So the next update, a new place, still asks for an answer to the new time.
    placed = dana.run("schedule", "dana", "2026-03-31 10:00", "--location", "Blue Bottle")
    assert "Updated invitation draft written to Drafts" in placed.output
    update = latest_draft(dana)
    attendee = draft_event(update)["ATTENDEE"]
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    # Her calendar's answer to the update it holds does count.
    calendar_answer(dana, draft_event(update), message_id="<current@acme.example>")
    assert stored_answer(dana) == "ACCEPTED"


def test_a_late_acceptance_does_not_bring_back_a_cancelled_meeting(dana: Workspace) -> None:
    # She had replied before the meeting: the cancel puts her back there, and the late
    # acceptance must not move her on to scheduled again.
    assert dana.run("stage", "dana", "replied").exit_code == 0
    invited = send_invitation(dana)
    assert dana.run("schedule", "dana", "--cancel").exit_code == 0  # SEQUENCE 1
    calendar_answer(dana, invited, sequence=0)
    store = Store.open(dana.database)
    try:
        assert store.meeting(str(invited["UID"]))["partstat"] == "NEEDS-ACTION"
    finally:
        store.close()
    stage, details = stage_and_events(dana, "dana")
    assert stage == "replied"
    assert details[-1].startswith("calendar answer: accepted, to version 0 of the invitation")


def test_an_answer_without_sequence_is_to_version_0(dana: Workspace) -> None:
    invited = send_invitation(dana)
    assert dana.run("schedule", "dana", "2026-03-31 10:00").exit_code == 0
    calendar_answer(dana, invited, with_sequence=False)
    assert stored_answer(dana) == "NEEDS-ACTION"


def test_an_answer_to_someone_elses_meeting_changes_it_not(dana: Workspace) -> None:
    assert dana.run("add", "Ben Okafor", "--email", "ben@globex.example").exit_code == 0
    invited = send_invitation(dana)
    # Ben's calendar answers with the UID of Dana's meeting (a forwarded invitation).
    calendar_answer(dana, invited, sender="Ben Okafor <ben@globex.example>")
    assert stored_answer(dana) == "NEEDS-ACTION"
    stage, details = stage_and_events(dana, "ben")
    assert stage == "identified"
    assert details[-1].startswith("calendar answer: accepted, to a meeting that is not theirs")


def test_the_update_says_it_is_one_and_what_changed(dana: Workspace) -> None:
    send_invitation(dana)
    [invitation] = maildir_drafts(dana)
    assert str(invitation["Subject"]) == "Invitation: 20-minute chat, Alex Doe and Dana Lee"
    assert dana.run("schedule", "dana", "2026-03-31 10:00").exit_code == 0
    update = latest_draft(dana)
    # What Google and Outlook say, so Dana sees a change and not a second meeting.
    assert str(update["Subject"]) == "Updated invitation: 20-minute chat, Alex Doe and Dana Lee"
    body = update.get_body(("plain",)).get_content()
    assert (
        "Our conversation has moved from Monday, March 30, 2026 at 15:00 CEST (UTC+02:00) to "
        "Tuesday, March 31, 2026 at 10:00 CEST (UTC+02:00)." in body
    )
    assert "When: Tuesday, March 31, 2026 at 10:00 CEST (UTC+02:00)" in body


def test_an_empty_location_clears_it(dana: Workspace) -> None:
    dana.run("schedule", "dana", "2026-03-30 15:00", "--location", "https://meet.example/abc")
    result = dana.run("schedule", "dana", "2026-03-30 15:00", "--location", "")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "Location cleared: Informational interview: Dana Lee (Acme), Mon 2026-03-30 15:00 "
        "CEST, 20 minutes.\n"
    )
    event = vevent(meeting_files(dana)[0])
    assert "LOCATION" not in event and "URL" not in event
    assert int(event["SEQUENCE"]) == 1
    assert stage_and_events(dana, "dana")[1][-1] == (
        "meeting on Mon 2026-03-30 15:00 CEST, location cleared"
    )
    # Nothing left to clear: the same meeting again.
    again = dana.run("schedule", "dana", "2026-03-30 15:00", "--location", " ")
    assert again.output.startswith("Nothing changed:")


def test_a_new_time_and_a_cleared_location_say_both(dana: Workspace) -> None:
    dana.run("schedule", "dana", "2026-03-30 15:00", "--location", "Café Einstein")
    result = dana.run("schedule", "dana", "2026-03-31 10:00", "--location", "")
    assert result.output.startswith(
        "Moved, location cleared: Informational interview: Dana Lee (Acme), Tue 2026-03-31 "
        "10:00 CEST, 20 minutes.\n"
    )


def test_a_cleared_location_reaches_an_invited_contact(dana: Workspace) -> None:
    assert (
        dana.run("schedule", "dana", "2026-03-30 15:00", "--location", "Café Einstein").exit_code
        == 0
    )
    send_invitation(dana)
    cleared = dana.run("schedule", "dana", "2026-03-30 15:00", "--location", "")
    assert "Updated invitation draft written to Drafts" in cleared.output
    update = latest_draft(dana)
    # A REQUEST replaces the whole event (RFC 5546 §3.2.2): no LOCATION clears it.
    assert "LOCATION" not in draft_event(update)
    body = update.get_body(("plain",)).get_content()
    assert (
        "We no longer meet at Café Einstein: the place is to be agreed; the time stays the "
        "same." in body
    )


def test_met_adds_a_referral_known_only_by_name(dana: Workspace) -> None:
    """ "I'll introduce you": a name without an address is a contact to find, as `add` allows."""
    result = dana.run("met", "dana", "--referral", "Kim Park")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:3] == [
        "Added Kim Park (id 2), referred by Dana Lee; no email address yet.",
        "  Once you have it: `coffeechat edit 2 --email ADDRESS`.",
    ]
    kim = json.loads(dana.run("show", "2", "--json").stdout)
    assert (kim["name"], kim["emails"], kim["stage"], kim["referred_by"]) == (
        "Kim Park",
        [],
        "identified",
        1,
    )
    assert json.loads(dana.run("show", "dana", "--json").stdout)["stage"] == "met"
    draft = dana.run("draft", "outreach", "2", "--dry-run")
    assert draft.exit_code == 1
    assert draft.stderr == (
        "Error: Kim Park has no email address; add one with `coffeechat edit 2 --email ADDRESS`\n"
    )
    assert dana.run("edit", "2", "--email", "kim@gamma.example").exit_code == 0
    draft = dana.run("draft", "outreach", "2", "--dry-run")
    assert draft.exit_code == 0, draft.output
    assert "Dana Lee" in draft.output  # the outreach names who suggested them


def test_met_links_a_name_only_referral_to_the_one_contact_of_that_name(dana: Workspace) -> None:
    dana.run("add", "José Núñez")
    dana.run("add", "Josefina Núñez-Ruiz", "--email", "josefina@beta.example")
    result = dana.run("met", "dana", "--referral", " jose   NUNEZ ", "--referral", "Núñez")
    assert result.exit_code == 0, result.output
    assert "Linked José Núñez (id 2) as referred by Dana Lee; no email address yet." in (
        result.output
    )
    # A part of a name is not the same person: "Núñez" is someone new.
    assert "Added Núñez (id 4), referred by Dana Lee; no email address yet." in result.output
    contacts = {c["id"]: c for c in json.loads(dana.run("list", "--json").stdout)}
    assert len(contacts) == 4
    assert contacts[2]["referred_by"] == contacts[4]["referred_by"] == 1
    assert contacts[3]["referred_by"] is None


def test_a_name_only_referral_matching_several_contacts_is_refused(dana: Workspace) -> None:
    dana.run("add", "Sam Roe", "--email", "sam@beta.example")
    dana.run("add", "Sam Roe", "--email", "sam.roe@gamma.example")
    result = dana.run("met", "dana", "--referral", "sam roe")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the referral 'sam roe' matches 2 contacts (2: Sam Roe <sam@beta.example>; "
        "3: Sam Roe <sam.roe@gamma.example>); give the address, like "
        '"Sam Roe <sam@beta.example>", or add someone new with '
        '`coffeechat add "Sam Roe" --referred-by 1`\n'
    )
    assert json.loads(dana.run("show", "dana", "--json").stdout)["stage"] == "identified"


def test_a_name_only_referral_to_the_contact_met_is_refused(dana: Workspace) -> None:
    result = dana.run("met", "dana", "--referral", "dana lee")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the referral 'dana lee' is Dana Lee, the contact you met; a referral is "
        "someone else: give their address if they share the name\n"
    )
    assert json.loads(dana.run("show", "dana", "--json").stdout)["stage"] == "identified"


@pytest.mark.parametrize(
    "bad",
    [
        "Bob <not-an-address>",
        "Bob <bob@localhost>",
        "Bob Smith bob@beta.example",
        "Bob Smith, bob@beta.example",  # parseaddr reads the address "Bob" from this one
        "Bob Smith <>",
    ],
)
def test_a_malformed_referral_is_quoted_whole_with_the_forms_that_work(
    dana: Workspace, bad: str
) -> None:
    result = dana.run("met", "dana", "--referral", bad)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: cannot read the referral {bad!r} as a name and an email address; write it "
        'like "Sam Roe <sam@example.org>", or the name alone ("Sam Roe") when you have no '
        "address yet\n"
    )
    assert json.loads(dana.run("show", "dana", "--json").stdout)["stage"] == "identified"


def test_the_thank_you_clock_starts_when_the_meeting_ended(
    dana: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Recorded three days late, the meeting of Monday 15:00-15:20: the thank-you is 18 h
    # past the 48 h, as the agenda says, not on time because `met` was typed late.
    assert dana.run("schedule", "dana", "2026-03-30 15:00").exit_code == 0
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-04-02T10:00:00+02:00")
    assert dana.run("met", "dana", "--advice", "Learn SQL first.").exit_code == 0
    draft = dana.run("draft", "thank-you", "dana", "--dry-run")
    assert "this thank-you is 18 h later than the 48 h advised" in draft.stderr, draft.stderr


def test_a_long_meeting_is_scheduled_with_a_warning(dana: Workspace) -> None:
    result = dana.run("schedule", "dana", "2026-03-30 15:00", "--minutes", "60")
    assert result.exit_code == 0
    assert "60 minutes is long for an informational interview" in result.stderr
    shorter = dana.run("schedule", "dana", "2026-03-30 15:00", "--minutes", "30")
    assert "is long" not in shorter.stderr


@pytest.mark.parametrize("again", [("--cancel",), ("2026-03-31 10:00",)], ids=["cancel", "move"])
def test_an_invitation_sent_under_a_new_message_id_is_not_called_unsent(
    dana: Workspace, again: tuple[str, ...]
) -> None:
    """Mail clients often send a draft under a Message-ID of their own. `watch` still sees
    the invitation go out (by its subject); the cancel must not then say it is unsent and
    ask the user to delete the cancellation, which would leave Dana's calendar holding a
    meeting that is off."""
    assert dana.run("schedule", "dana", "2026-03-30 15:00", "--invite").exit_code == 0
    drafts = mailbox.Maildir(dana.maildir / ".Drafts", create=False)
    [(key, draft)] = list(drafts.items())
    del draft["Message-ID"]
    draft["Message-ID"] = "<sent-by-the-client@mail.example.org>"
    mailbox.Maildir(dana.maildir / ".Sent", create=False).add(draft)
    drafts.remove(key)
    watched = dana.run("watch", "--once")
    assert "invitation sent" in watched.output

    result = dana.run("schedule", "dana", *again)

    assert result.exit_code == 0, result.output
    assert "draft written to Drafts" in result.stdout
    assert "still in Drafts" not in result.stderr


@pytest.mark.parametrize(
    ("before", "steps"),
    [
        ("contacted", [("stage", "dana", "contacted")]),
        ("replied", [("stage", "dana", "contacted"), ("stage", "dana", "replied")]),
        ("identified", []),
        ("drafted", [("stage", "dana", "drafted")]),
    ],
)
def test_cancel_puts_back_the_stage_from_before_the_meeting(
    dana: Workspace, before: str, steps: list[tuple[str, ...]]
) -> None:
    """A cancelled meeting undoes the move to scheduled and no more: a contact who never
    replied is not said to have replied (the agenda would ask to answer a reply that is
    not there)."""
    for step in steps:
        assert dana.run(*step).exit_code == 0
    assert dana.run("schedule", "dana", "2026-03-30 15:00").exit_code == 0
    assert dana.run("schedule", "dana", "2026-03-31 10:00").exit_code == 0  # moved, still one
    assert dana.run("schedule", "dana", "--cancel").exit_code == 0
    stage, details = stage_and_events(dana, "dana")
    assert stage == before
    assert details[-1] == "meeting on Tue 2026-03-31 10:00 CEST cancelled"


def test_cancel_of_a_second_coffee_goes_back_to_keeping_in_touch(dana: Workspace) -> None:
    assert dana.run("stage", "dana", "met").exit_code == 0
    assert dana.run("stage", "dana", "keeping-in-touch").exit_code == 0
    assert dana.run("schedule", "dana", "2026-06-30 15:00").exit_code == 0
    assert dana.run("schedule", "dana", "--cancel").exit_code == 0
    assert stage_and_events(dana, "dana")[0] == "keeping-in-touch"


@pytest.mark.parametrize("side_exit", ["declined", "no-response"])
def test_cancel_after_a_side_exit_is_replied(dana: Workspace, side_exit: str) -> None:
    """Out of a side exit and into a meeting, the contact answered after all: the
    cancel leaves them replied, not back in the exit the meeting proved wrong."""
    dana.run("stage", "dana", "contacted")
    dana.run("stage", "dana", side_exit)
    assert dana.run("schedule", "dana", "2026-03-30 15:00").exit_code == 0
    assert dana.run("schedule", "dana", "--cancel").exit_code == 0
    assert stage_and_events(dana, "dana")[0] == "replied"
