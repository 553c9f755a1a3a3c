"""The calendar core: WHEN parsing, meeting files, invitations, the reminder feed.

Every calendar produced here is parsed back with icalendar and expanded with
recurring_ical_events, the way a calendar client would read it; one test imports the
feed into khal.
"""

from __future__ import annotations

import email
import email.policy
import importlib.util
import os
import re
import stat
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from hypothesis import example, given, settings
from hypothesis import strategies as st

from coffeechat.calendar import (
    PRODID,
    DueAction,
    MeetingSpec,
    action_uid,
    build_feed,
    build_meeting_calendar,
    feed_path,
    invitation_message,
    invitation_summary,
    meeting_path,
    meeting_uid,
    parse_when,
    summary_for,
    write_calendar,
)
from coffeechat.calendar.events import common_name, ical_text
from coffeechat.errors import CalendarError

BERLIN = ZoneInfo("Europe/Berlin")
# A Thursday, three days before the spring DST change in Europe (2026-03-29).
NOW = datetime(2026, 3, 26, 12, 0, tzinfo=BERLIN)
TRICKY_NAME = 'Smith, Jr.; "Bob"'
NOTES = (
    "Questions:\n- How did you start?\n- Who else should I talk to; and why?\n\n"
    'Notes: "met at PyCon", 50% sure\\'
)


def make_spec(**changes: Any) -> MeetingSpec:
    spec = MeetingSpec(
        uid=meeting_uid(12, "alex@example.com", "3f9a"),
        sequence=0,
        start=datetime(2026, 3, 30, 15, 0, tzinfo=BERLIN),
        minutes=20,
        summary=summary_for("Dana Lee", "Acme"),
        organizer_name="Alex Doe",
        organizer_email="alex@example.com",
        attendee_name="Dana Lee",
        attendee_email="dana@acme.example",
        dtstamp=datetime(2026, 3, 20, 9, 0, tzinfo=BERLIN),
        location="Café Einstein, Unter den Linden 42",
        description=NOTES,
        alarm_minutes=30,
        created=datetime(2026, 3, 20, 9, 0, tzinfo=BERLIN),
        contact_id=12,
    )
    return replace(spec, **changes)


def reparse(cal: icalendar.Calendar) -> icalendar.Calendar:
    """Serialize and read back, as a client would."""
    return icalendar.Calendar.from_ical(cal.to_ical())


def only_event(cal: icalendar.Calendar) -> icalendar.Event:
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def expand(cal: icalendar.Calendar, start: date, end: date) -> list[icalendar.Event]:
    return list(recurring_ical_events.of(cal).between(start, end))


# ---------------------------------------------------------------- parse_when


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-03 15:00", datetime(2026, 12, 3, 15, 0, tzinfo=BERLIN)),
        ("2026-12-03T15:00", datetime(2026, 12, 3, 15, 0, tzinfo=BERLIN)),
        ("2026-12-03T15:00+01:00", datetime(2026, 12, 3, 15, 0, tzinfo=BERLIN)),
        # an offset keeps the instant; the result is shown in the user's zone
        ("2026-07-03T15:00-05:00", datetime(2026, 7, 3, 22, 0, tzinfo=BERLIN)),
        ("2026-07-03T13:00Z", datetime(2026, 7, 3, 15, 0, tzinfo=BERLIN)),
        ("tomorrow 3pm", datetime(2026, 3, 27, 15, 0, tzinfo=BERLIN)),
        ("  Tomorrow   at 3pm ", datetime(2026, 3, 27, 15, 0, tzinfo=BERLIN)),
        ("next tuesday 10:30", datetime(2026, 3, 31, 10, 30, tzinfo=BERLIN)),
        ("next tue at 9am", datetime(2026, 3, 31, 9, 0, tzinfo=BERLIN)),
        ("in 2 days at 9am", datetime(2026, 3, 28, 9, 0, tzinfo=BERLIN)),
        ("monday 10:00", datetime(2026, 3, 30, 10, 0, tzinfo=BERLIN)),
        ("next month 3pm", datetime(2026, 4, 26, 15, 0, tzinfo=BERLIN)),  # not a Monday
    ],
)
def test_parse_when(text: str, expected: datetime) -> None:
    value = parse_when(text, BERLIN, NOW)
    assert value == expected
    assert value.utcoffset() == expected.utcoffset()  # the right side of the DST change
    assert value.tzinfo == BERLIN


def test_parse_when_relative_across_dst() -> None:
    # Saturday before the change: dateparser's own aware result would keep +01:00 for
    # "tomorrow", one hour off. Wall-clock time is what the user means.
    now = datetime(2026, 3, 28, 16, 0, tzinfo=BERLIN)
    tomorrow = parse_when("tomorrow 3pm", BERLIN, now)
    assert tomorrow.astimezone(UTC) == datetime(2026, 3, 29, 13, 0, tzinfo=UTC)
    monday = parse_when("in 2 days at 9am", BERLIN, now)
    assert monday.astimezone(UTC) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def test_parse_when_does_not_depend_on_the_machine_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        assert parse_when("tomorrow 3pm", BERLIN, NOW) == datetime(2026, 3, 27, 15, tzinfo=BERLIN)
        assert parse_when("2026-12-03 15:00", BERLIN, NOW).hour == 15
    finally:
        monkeypatch.undo()
        time.tzset()


def test_parse_when_now_in_another_zone() -> None:
    # `now` may come in UTC; "tomorrow" is still the user's tomorrow.
    now = datetime(2026, 3, 26, 23, 30, tzinfo=UTC)  # already Friday 00:30 in Berlin
    assert parse_when("tomorrow 3pm", BERLIN, now) == datetime(2026, 3, 28, 15, tzinfo=BERLIN)


def test_parse_when_next_weekday_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Older dateparser returns nothing for "next <weekday> <time>"; we compute the day."""
    from dateparser.date import DateDataParser

    real = DateDataParser.get_date_data

    def old_dateparser(self: DateDataParser, text: str, *args: Any, **kwargs: Any) -> Any:
        return real(self, "gibberish qqq" if text.lower().startswith("next") else text)

    monkeypatch.setattr(DateDataParser, "get_date_data", old_dateparser)
    assert parse_when("next tuesday 10:30", BERLIN, NOW) == datetime(
        2026, 3, 31, 10, 30, tzinfo=BERLIN
    )
    # "next thursday" on a Thursday is a week away, never today
    assert parse_when("next thursday at 9am", BERLIN, NOW) == datetime(
        2026, 4, 2, 9, 0, tzinfo=BERLIN
    )
    with pytest.raises(CalendarError, match="no clear time of day"):
        parse_when("next friday", BERLIN, NOW)
    with pytest.raises(CalendarError, match="cannot read the time"):
        parse_when("next month 3pm", BERLIN, NOW)  # "mon" + "th" is no weekday


def test_parse_when_past_shows_the_resolved_time() -> None:
    with pytest.raises(CalendarError) as err:
        parse_when("yesterday 3pm", BERLIN, NOW)
    message = str(err.value)
    assert '"yesterday 3pm" is in the past' in message
    assert "2026-03-25 15:00" in message
    with pytest.raises(CalendarError, match="in the past"):
        parse_when("2026-03-26 11:59", BERLIN, NOW)
    with pytest.raises(CalendarError, match="in the past"):
        parse_when("2026-03-26 12:00", BERLIN, NOW)  # now itself is not the future


def test_parse_when_allow_past_for_a_meeting_that_happened() -> None:
    assert parse_when("yesterday 3pm", BERLIN, NOW, allow_past=True) == datetime(
        2026, 3, 25, 15, 0, tzinfo=BERLIN
    )
    # "monday" then means the Monday that was
    assert parse_when("monday 10:00", BERLIN, NOW, allow_past=True) == datetime(
        2026, 3, 23, 10, 0, tzinfo=BERLIN
    )
    assert parse_when("2026-03-01 09:30", BERLIN, NOW, allow_past=True).day == 1
    with pytest.raises(CalendarError, match="cannot read the time"):
        parse_when("garbage", BERLIN, NOW, allow_past=True)


def test_parse_when_refuses_the_future_for_a_meeting_that_happened() -> None:
    with pytest.raises(CalendarError) as err:
        parse_when("2026-03-27 09:30", BERLIN, NOW, allow_past=True, allow_future=False)
    assert str(err.value) == (
        '"2026-03-27 09:30" is in the future (Fri 2026-03-27 09:30 CET); give a time '
        'before Thu 2026-03-26 12:00 CET, like "yesterday 3pm", or leave it out for now'
    )
    with pytest.raises(CalendarError, match='"tomorrow 3pm" is in the future'):
        parse_when("tomorrow 3pm", BERLIN, NOW, allow_past=True, allow_future=False)
    # a few minutes ahead is clock skew, not the future
    ahead = parse_when("2026-03-26 12:04", BERLIN, NOW, allow_past=True, allow_future=False)
    assert ahead == datetime(2026, 3, 26, 12, 4, tzinfo=BERLIN)
    with pytest.raises(CalendarError, match="in the future"):
        parse_when("2026-03-26 12:06", BERLIN, NOW, allow_past=True, allow_future=False)


@pytest.mark.parametrize(
    ("text", "month_first", "day_first"),
    [
        ("12/01/2026 3pm", "2026-12-01 15:00", "2026-01-12 15:00"),
        ("3pm 12/01/2026", "2026-12-01 15:00", "2026-01-12 15:00"),
        ("05.06.2026 15:00", "2026-05-06 15:00", "2026-06-05 15:00"),
        ("05-06-2026 15:00", "2026-05-06 15:00", "2026-06-05 15:00"),
    ],
)
def test_parse_when_refuses_an_ambiguous_numeric_date(
    text: str, month_first: str, day_first: str
) -> None:
    with pytest.raises(CalendarError) as err:
        parse_when(text, BERLIN, NOW)
    assert str(err.value) == (
        f'"{text}" can be read month first ({month_first}) or day first ({day_first}); '
        f'write the date the ISO way, "{month_first}" or "{day_first}", or name the month'
    )
    with pytest.raises(CalendarError, match="month first"):
        parse_when(text, BERLIN, NOW, allow_past=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31/12/2026 14:00", datetime(2026, 12, 31, 14, 0, tzinfo=BERLIN)),  # no 31st month
        ("12/31/2026 14:00", datetime(2026, 12, 31, 14, 0, tzinfo=BERLIN)),
        ("1/1/2027 9am", datetime(2027, 1, 1, 9, 0, tzinfo=BERLIN)),  # both readings agree
        ("1 December 2026 3pm", datetime(2026, 12, 1, 15, 0, tzinfo=BERLIN)),
        ("Dec 1 2026 3pm", datetime(2026, 12, 1, 15, 0, tzinfo=BERLIN)),
    ],
)
def test_parse_when_reads_an_unambiguous_date(text: str, expected: datetime) -> None:
    assert parse_when(text, BERLIN, NOW) == expected


@pytest.mark.parametrize("text", ["garbage", "soonish", "blah 3", "", "   "])
def test_parse_when_garbage(text: str) -> None:
    with pytest.raises(CalendarError) as err:
        parse_when(text, BERLIN, NOW)
    # The ISO example is a week from NOW, so it never goes stale.
    assert 'write it like "tomorrow 15:00" or "2026-04-02 15:00"' in str(err.value)
    if text.strip():
        assert str(err.value) == (
            f'cannot read the time "{text}"; write it like "tomorrow 15:00" or "2026-04-02 15:00"'
        )


@pytest.mark.parametrize(
    "now",
    [NOW, datetime(2031, 12, 30, 23, 59, tzinfo=BERLIN), datetime(2026, 10, 24, 3, tzinfo=BERLIN)],
)
@pytest.mark.parametrize("past", [False, True])
def test_the_examples_in_an_error_are_accepted_as_given(now: datetime, past: bool) -> None:
    """A user who copies an example from the error must not be refused (it once named a
    fixed date that was soon in the past)."""
    with pytest.raises(CalendarError) as err:
        parse_when("whenever", BERLIN, now, allow_past=past, allow_future=not past)
    examples = re.findall(r'"([^"]+)"', str(err.value).split("write it like")[1])
    assert len(examples) == 2
    for text in examples:
        parse_when(text, BERLIN, now, allow_past=past, allow_future=not past)


@pytest.mark.parametrize("text", ["next friday", "2026-12-03", "monday"])
def test_parse_when_needs_a_time_of_day(text: str) -> None:
    with pytest.raises(CalendarError, match="no clear time of day"):
        parse_when(text, BERLIN, NOW)


def test_parse_when_refuses_the_dst_gap() -> None:
    with pytest.raises(CalendarError, match="does not exist in Europe/Berlin"):
        parse_when("2026-03-29 02:30", BERLIN, NOW)


# ---------------------------------------------------------------- meeting files


def test_meeting_calendar_fields() -> None:
    cal = reparse(build_meeting_calendar(make_spec()))
    assert str(cal["PRODID"]) == PRODID == "-//coffeechat//coffeechat//EN"
    assert str(cal["VERSION"]) == "2.0"
    assert "METHOD" not in cal
    event = only_event(cal)
    assert str(event["UID"]) == "coffeechat-12-3f9a@example.com"
    assert event["DTSTAMP"].dt == datetime(2026, 3, 20, 8, 0, tzinfo=UTC)
    assert event["DTSTAMP"].to_ical() == b"20260320T080000Z"  # UTC form, RFC 5545 §3.8.7.2
    assert event["DTSTART"].to_ical() == b"20260330T130000Z"  # 15:00 CEST, see below
    assert "TZID" not in event["DTSTART"].params
    assert event["DTEND"].dt - event["DTSTART"].dt == timedelta(minutes=20)
    assert str(event["SUMMARY"]) == "Informational interview: Dana Lee (Acme)"
    assert str(event["LOCATION"]) == "Café Einstein, Unter den Linden 42"
    assert "URL" not in event
    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:alex@example.com"
    assert organizer.params["CN"] == "Alex Doe"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:dana@acme.example"
    assert dict(attendee.params) == {
        "CN": "Dana Lee",
        "PARTSTAT": "NEEDS-ACTION",
        "ROLE": "REQ-PARTICIPANT",
        "SCHEDULE-AGENT": "CLIENT",
    }
    assert str(event["DESCRIPTION"]) == NOTES
    assert str(event["STATUS"]) == "CONFIRMED"
    assert int(event["SEQUENCE"]) == 0
    alarms = event.walk("VALARM")
    assert len(alarms) == 1
    assert str(alarms[0]["ACTION"]) == "DISPLAY"
    assert alarms[0]["TRIGGER"].dt == timedelta(minutes=-30)
    assert alarms[0]["TRIGGER"].to_ical() == b"-PT30M"
    assert str(alarms[0]["DESCRIPTION"])


@pytest.mark.parametrize(
    ("start", "utc"),
    [
        # the day after the spring change: CEST, UTC+2
        (datetime(2026, 3, 30, 15, 0), datetime(2026, 3, 30, 13, 0, tzinfo=UTC)),
        # the day after the autumn change: CET, UTC+1
        (datetime(2026, 10, 26, 15, 0), datetime(2026, 10, 26, 14, 0, tzinfo=UTC)),
        # the days before
        (datetime(2026, 3, 28, 15, 0), datetime(2026, 3, 28, 14, 0, tzinfo=UTC)),
        (datetime(2026, 10, 24, 15, 0), datetime(2026, 10, 24, 13, 0, tzinfo=UTC)),
    ],
)
def test_meeting_lands_at_the_right_instant_across_dst(start: datetime, utc: datetime) -> None:
    spec = make_spec(start=start.replace(tzinfo=BERLIN))
    text = build_meeting_calendar(spec).to_ical()
    cal = icalendar.Calendar.from_ical(text)
    [event] = expand(cal, start.date(), start.date() + timedelta(days=1))
    assert event["DTSTART"].dt.astimezone(UTC) == utc
    assert event["DTEND"].dt.astimezone(UTC) == utc + timedelta(minutes=20)
    assert f"DTSTART:{utc:%Y%m%dT%H%M%SZ}".encode() in text


def test_tricky_names_and_notes_round_trip() -> None:
    spec = make_spec(
        summary=summary_for(TRICKY_NAME, "Acme, Inc.; Berlin"),
        attendee_name=TRICKY_NAME,
        organizer_name='Alex "Al" Doe; PhD',
        description=NOTES,
    )
    event = only_event(reparse(build_meeting_calendar(spec)))
    assert str(event["SUMMARY"]) == f"Informational interview: {TRICKY_NAME} (Acme, Inc.; Berlin)"
    assert event["ATTENDEE"].params["CN"] == TRICKY_NAME
    assert event["ORGANIZER"].params["CN"] == 'Alex "Al" Doe; PhD'
    assert str(event["DESCRIPTION"]) == NOTES


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_what_goes_to_the_contact_leaves_out_your_notes_and_alarm(method: str) -> None:
    # The DESCRIPTION holds the questions you prepared and your notes on them; the alarm
    # is your reminder. Both stay in your own file.
    spec = make_spec(status="CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event = only_event(reparse(build_meeting_calendar(spec, method)))
    assert "DESCRIPTION" not in event
    assert event.walk("VALARM") == []
    own = only_event(reparse(build_meeting_calendar(make_spec())))
    assert str(own["DESCRIPTION"]) == NOTES and own.walk("VALARM")


@pytest.mark.parametrize("name", ["\\", "Ann\\", "x\\;y", "DOM\\ann", "Ann\x00\u2028Lee"])
def test_backslashes_and_controls_in_names_cannot_break_the_line(name: str) -> None:
    spec = make_spec(summary=summary_for(name, ""), attendee_name=name)
    event = only_event(reparse(build_meeting_calendar(spec, "REQUEST")))
    assert "\\" not in event["ATTENDEE"].params["CN"]
    assert event["ATTENDEE"].params["CN"] == common_name(name)
    assert event["ATTENDEE"].params["RSVP"] == "TRUE"
    assert event["ATTENDEE"].params["ROLE"] == "REQ-PARTICIPANT"
    # TEXT escapes "\\" (§3.3.11)
    assert str(event["SUMMARY"]) == invitation_summary(20, "Alex Doe", name)


def test_backslash_n_in_text_stays_one_line() -> None:
    # icalendar alone would turn the literal "\\N" into a line break
    notes = "Files in C:\\Users\\Nadia\\Notes"
    spec = make_spec(description=notes, location="Room \\N1")
    event = only_event(reparse(build_meeting_calendar(spec)))
    assert "\n" not in str(event["DESCRIPTION"])
    assert str(event["DESCRIPTION"]).replace("\u2060", "") == notes
    assert str(event["LOCATION"]).replace("\u2060", "") == "Room \\N1"


def test_link_location_is_also_the_url() -> None:
    event = only_event(
        reparse(build_meeting_calendar(make_spec(location="https://meet.example/abc")))
    )
    assert str(event["LOCATION"]) == "https://meet.example/abc"
    assert str(event["URL"]) == "https://meet.example/abc"


def test_reschedule_keeps_uid_and_raises_sequence() -> None:
    first = make_spec()
    moved = first.rescheduled(
        datetime(2026, 4, 2, 11, 0, tzinfo=BERLIN), datetime(2026, 3, 25, 8, 0, tzinfo=BERLIN)
    )
    a = only_event(reparse(build_meeting_calendar(first, "REQUEST")))
    b = only_event(reparse(build_meeting_calendar(moved, "REQUEST")))
    assert str(a["UID"]) == str(b["UID"])
    assert int(b["SEQUENCE"]) == int(a["SEQUENCE"]) + 1
    assert b["DTSTART"].dt == datetime(2026, 4, 2, 11, 0, tzinfo=BERLIN)
    assert b["DTSTAMP"].dt > a["DTSTAMP"].dt


def test_the_attendee_carries_their_answer_and_is_asked_to_reply() -> None:
    # The organizer's copy, and an update that keeps the answer (a new place), show it;
    # only the update asks for a reply (the user's own copy asks nobody anything).
    answered = make_spec(attendee_partstat="ACCEPTED")
    attendee = only_event(reparse(build_meeting_calendar(answered)))["ATTENDEE"]
    assert (attendee.params["PARTSTAT"], attendee.params.get("RSVP")) == ("ACCEPTED", None)
    attendee = only_event(reparse(build_meeting_calendar(answered, "REQUEST")))["ATTENDEE"]
    assert (attendee.params["PARTSTAT"], attendee.params["RSVP"]) == ("ACCEPTED", "TRUE")
    attendee = only_event(reparse(build_meeting_calendar(make_spec(), "REQUEST")))["ATTENDEE"]
    assert (attendee.params["PARTSTAT"], attendee.params["RSVP"]) == ("NEEDS-ACTION", "TRUE")


def test_methods_request_and_cancel() -> None:
    spec = make_spec(sequence=1)
    request = reparse(build_meeting_calendar(spec, "REQUEST"))
    assert str(request["METHOD"]) == "REQUEST"
    assert str(only_event(request)["STATUS"]) == "CONFIRMED"
    cancelled = spec.cancelled(datetime(2026, 3, 27, 8, 0, tzinfo=BERLIN))
    cancel = reparse(build_meeting_calendar(cancelled, "CANCEL"))
    assert str(cancel["METHOD"]) == "CANCEL"
    event = only_event(cancel)
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == spec.uid
    assert int(event["SEQUENCE"]) == 2
    assert event.walk("VALARM") == []  # no alarm for a meeting that will not happen
    # CANCEL forces the status even when the caller forgot
    forced = only_event(reparse(build_meeting_calendar(spec, "CANCEL")))
    assert str(forced["STATUS"]) == "CANCELLED"


def test_invitations_have_a_title_for_both_sides() -> None:
    # The contact's calendar shows the invitation's SUMMARY as the event's title: the
    # user's own label would describe Dana to herself. It is the email subject's words, and
    # the same in the update and the cancel, which replace the event Dana holds.
    spec = make_spec()
    later = datetime(2026, 3, 21, 9, 0, tzinfo=BERLIN)
    moved = spec.rescheduled(datetime(2026, 3, 31, 10, 0, tzinfo=BERLIN), later)
    sent = [
        build_meeting_calendar(spec, "REQUEST"),
        build_meeting_calendar(moved, "REQUEST"),
        build_meeting_calendar(moved.cancelled(later), "CANCEL"),
    ]
    titles = [str(only_event(reparse(cal))["SUMMARY"]) for cal in sent]
    assert titles == ["20-minute chat, Alex Doe and Dana Lee"] * 3
    # The user's own file and the feed keep the user's label.
    assert str(only_event(reparse(build_meeting_calendar(spec)))["SUMMARY"]) == spec.summary
    [event] = [e for e in build_feed([spec], [], NOW).walk("VEVENT")]
    assert str(event["SUMMARY"]) == "Informational interview: Dana Lee (Acme)"


@pytest.mark.parametrize("copy", ["meeting-file", "feed"])
def test_your_own_copy_never_asks_a_server_to_invite(copy: str) -> None:
    # Imported into a CalDAV server that schedules implicitly (RFC 6638 §3.2: Nextcloud,
    # Fastmail, iCloud), a file with ORGANIZER and ATTENDEE would make the server email
    # the contact an invitation, private DESCRIPTION and all. SCHEDULE-AGENT=CLIENT
    # (RFC 6638 §7.1) tells it the client handles scheduling; nothing asks for a reply.
    own = build_meeting_calendar(make_spec())
    cal = reparse(own if copy == "meeting-file" else build_feed([make_spec()], [action()], NOW))
    assert "METHOD" not in cal
    [event] = [e for e in cal.walk("VEVENT") if "ORGANIZER" in e]
    assert event["ORGANIZER"].params["SCHEDULE-AGENT"] == "CLIENT"
    attendee = event["ATTENDEE"]
    assert attendee.params["SCHEDULE-AGENT"] == "CLIENT"
    assert "RSVP" not in attendee.params
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"  # the answer is still shown
    assert str(event["DESCRIPTION"]) == NOTES


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_invitations_leave_scheduling_to_the_contact(method: str) -> None:
    # An iTIP message is the scheduling: SCHEDULE-AGENT belongs to stored objects only.
    event = only_event(reparse(build_meeting_calendar(make_spec(), method)))
    assert "SCHEDULE-AGENT" not in event["ORGANIZER"].params
    assert "SCHEDULE-AGENT" not in event["ATTENDEE"].params
    assert event["ATTENDEE"].params["RSVP"] == "TRUE"


def assert_summer_meeting_in_utc(text: bytes) -> icalendar.Calendar:
    """The 15:00-15:20 Berlin summer meeting written in UTC, with no time zone to resolve."""
    assert b"\r\nDTSTART:20260706T130000Z\r\n" in text
    assert b"\r\nDTEND:20260706T132000Z\r\n" in text
    assert b"TZID" not in text
    cal = icalendar.Calendar.from_ical(text)
    assert cal.walk("VTIMEZONE") == []
    assert cal.get_missing_tzids() == set()
    return cal


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_invitations_give_the_time_in_utc(method: str) -> None:
    # icalendar's VTIMEZONEs list each change as RDATE, which classic Outlook ignores
    # (MS-STANOICAL §2.2.47): it would show a summer meeting an hour off. UTC needs no
    # VTIMEZONE, and every client shows it in the reader's own zone.
    summer = make_spec(start=datetime(2026, 7, 6, 15, 0, tzinfo=BERLIN))
    cal = assert_summer_meeting_in_utc(build_meeting_calendar(summer, method).to_ical())
    event = only_event(cal)
    assert event["DTSTART"].dt == datetime(2026, 7, 6, 15, 0, tzinfo=BERLIN)
    assert event["DTEND"].dt - event["DTSTART"].dt == timedelta(minutes=20)


@pytest.mark.parametrize("copy", ["meeting-file", "feed"])
def test_your_own_copy_gives_the_time_in_utc_too(copy: str) -> None:
    # Classic Outlook reads the user's own file and the feed with the same RDATE-blind
    # VTIMEZONE code as an invitation; UTC also keeps the instant the invitation gives.
    summer = make_spec(start=datetime(2026, 7, 6, 15, 0, tzinfo=BERLIN))
    own = build_meeting_calendar(summer)
    text = (own if copy == "meeting-file" else build_feed([summer], [action()], NOW)).to_ical()
    assert_summer_meeting_in_utc(text)


def test_invitation_needs_an_attendee() -> None:
    spec = make_spec(attendee_email="")
    assert "ATTENDEE" not in only_event(reparse(build_meeting_calendar(spec)))
    with pytest.raises(CalendarError, match="no email address"):
        build_meeting_calendar(spec, "REQUEST")


def test_utc_start_needs_no_vtimezone_and_no_alarm_when_off() -> None:
    spec = make_spec(start=datetime(2026, 5, 4, 13, 0, tzinfo=UTC), alarm_minutes=None)
    text = build_meeting_calendar(spec).to_ical()
    assert b"DTSTART:20260504T130000Z" in text
    assert b"VTIMEZONE" not in text
    assert b"VALARM" not in text


def test_spec_validation() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_spec(start=datetime(2026, 5, 4, 13, 0))
    with pytest.raises(CalendarError, match="at least a minute"):
        make_spec(minutes=0)
    with pytest.raises(ValueError, match="status"):
        make_spec(status="MAYBE")
    with pytest.raises(CalendarError, match="not an email address"):
        build_meeting_calendar(make_spec(attendee_email="dana at acme"))


def test_meeting_uid_and_summary() -> None:
    assert meeting_uid(12, "Alex@Example.COM", "3f9a") == "coffeechat-12-3f9a@example.com"
    assert meeting_uid(12, "alex@example.com", "3f9a") == meeting_uid(
        12, "alex@example.com", "3f9a"
    )
    assert meeting_uid(3, "no-at-sign", "a/b c") == "coffeechat-3-a-b-c@coffeechat.invalid"
    assert summary_for("Dana Lee", "Acme") == "Informational interview: Dana Lee (Acme)"
    assert summary_for("Dana  Lee\n", "") == "Informational interview: Dana Lee"


# ---------------------------------------------------------------- invitation_message


def draft() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Alex Doe <alex@example.com>"
    message["To"] = "Dana Lee <dana@acme.example>"
    message["Subject"] = "Coffee on Monday?"
    message["Message-ID"] = "<abc.123@example.com>"
    message["Date"] = "Thu, 26 Mar 2026 12:00:00 +0100"
    message["X-Coffeechat-Kind"] = "invitation"
    message.set_content("Hi Dana,\n\nthe invitation is attached.\n\nAlex\n")
    return message


def test_invitation_mime_tree() -> None:
    cal_bytes = build_meeting_calendar(make_spec(), "REQUEST").to_ical()
    built = invitation_message(draft(), cal_bytes, "REQUEST")
    # Read it back from bytes, as the receiving client does.
    message = email.message_from_bytes(built.as_bytes(), policy=email.policy.default)
    tree = [(part.get_content_type(), part.get_content_disposition()) for part in message.walk()]
    assert tree == [
        ("multipart/mixed", None),
        ("multipart/alternative", None),
        ("text/plain", None),
        ("text/calendar", None),
        ("application/ics", "attachment"),
    ]
    for header in ("From", "To", "Subject", "Message-ID", "Date", "X-Coffeechat-Kind"):
        assert message[header] == draft()[header]
    parts = list(message.walk())
    assert parts[2].get_content() == "Hi Dana,\n\nthe invitation is attached.\n\nAlex\n"
    inline, attachment = parts[3], parts[4]
    assert inline.get_param("method") == "REQUEST"
    assert str(inline.get_param("charset")).upper() == "UTF-8"
    assert attachment.get_filename() == "invite.ics"
    assert inline.get_payload(decode=True) == cal_bytes == attachment.get_payload(decode=True)
    assert b"\r\n" in inline.get_payload(decode=True)  # CRLF survives (base64)
    inner = icalendar.Calendar.from_ical(inline.get_payload(decode=True))
    assert str(inner["METHOD"]) == inline.get_param("method")
    assert message["MIME-Version"] == "1.0"
    assert all(part["MIME-Version"] is None for part in parts[1:])


def test_invitation_cancel_and_mismatch() -> None:
    spec = make_spec()
    cancel = build_meeting_calendar(spec.cancelled(spec.dtstamp), "CANCEL").to_ical()
    message = invitation_message(draft(), cancel, "cancel")
    assert [
        p.get_param("method") for p in message.walk() if p.get_content_type() == "text/calendar"
    ] == ["CANCEL"]
    with pytest.raises(CalendarError, match="METHOD:CANCEL but the invitation is a REQUEST"):
        invitation_message(draft(), cancel, "REQUEST")
    plain = build_meeting_calendar(spec).to_ical()
    with pytest.raises(CalendarError, match=r"METHOD:\(none\)"):
        invitation_message(draft(), plain, "REQUEST")
    with pytest.raises(ValueError, match="text/plain"):
        invitation_message(invitation_message(draft(), cancel, "CANCEL"), cancel, "CANCEL")


# ---------------------------------------------------------------- the feed


def action(
    kind: str = "follow-up",
    due: datetime | None = None,
    cid: int = 7,
    cycle: str = "20260301T090000Z",
) -> DueAction:
    return DueAction(
        kind=kind,  # type: ignore[arg-type]
        contact_id=cid,
        contact_name="Dana Lee",
        due=due or datetime(2026, 3, 28, 10, 0, tzinfo=BERLIN),
        command=f"coffeechat draft {kind} {cid}",
        detail="no reply since Sun 2026-03-01",
        cycle=cycle,
    )


def test_feed_meetings_and_actions() -> None:
    live = make_spec()
    gone = make_spec(uid="coffeechat-13-x@example.com", status="CANCELLED")
    later = action("check-in", datetime(2026, 6, 1, 10, 0, tzinfo=BERLIN), cid=8)
    overdue = action("thank-you", datetime(2026, 3, 20, 10, 0, tzinfo=BERLIN), cid=9)
    skipped = action("meeting", datetime(2026, 3, 30, 15, 0, tzinfo=BERLIN), cid=12)
    cal = reparse(build_feed([live, gone], [action(), later, overdue, skipped], NOW))
    assert str(cal["X-WR-CALNAME"]) == "coffeechat"
    assert "METHOD" not in cal
    uids = sorted(str(e["UID"]) for e in cal.walk("VEVENT"))
    assert uids == sorted(
        [
            live.uid,
            "coffeechat-follow-up-7-20260301T090000Z@coffeechat",
            "coffeechat-check-in-8-20260301T090000Z@coffeechat",
            "coffeechat-thank-you-9-20260301T090000Z@coffeechat",
        ]
    )
    events = {str(e["UID"]): e for e in expand(cal, date(2026, 3, 1), date(2026, 7, 1))}
    follow_up = events[action().uid]
    assert follow_up["DTSTART"].dt == date(2026, 3, 28)  # all-day on the due day
    assert follow_up["DTEND"].dt == date(2026, 3, 29)
    assert str(follow_up["SUMMARY"]) == "Follow up with: Dana Lee"
    assert "Run: coffeechat draft follow-up 7" in str(follow_up["DESCRIPTION"])
    assert str(follow_up["TRANSP"]) == "TRANSPARENT"
    [alarm] = follow_up.walk("VALARM")
    assert alarm["TRIGGER"].dt == datetime(2026, 3, 28, 9, 0, tzinfo=BERLIN)
    # overdue: shown today, not lost in the past
    assert events[overdue.uid]["DTSTART"].dt == NOW.date()
    assert "Due Fri 2026-03-20 10:00" in str(events[overdue.uid]["DESCRIPTION"])
    assert events[live.uid]["DTSTART"].dt.astimezone(UTC) == datetime(2026, 3, 30, 13, tzinfo=UTC)
    assert cal.get_missing_tzids() == set()


@pytest.mark.parametrize(
    ("due", "trigger"),
    [
        (datetime(2026, 3, 28, 10, 0, tzinfo=BERLIN), "20260328T080000Z"),  # 09:00 CET
        (datetime(2026, 4, 2, 18, 0, tzinfo=BERLIN), "20260402T070000Z"),  # 09:00 CEST
        (datetime(2026, 3, 20, 10, 0, tzinfo=BERLIN), "20260326T080000Z"),  # overdue: today
    ],
)
def test_reminder_alarm_is_an_absolute_utc_time(due: datetime, trigger: str) -> None:
    # RFC 5545 §3.8.6.3 allows TRIGGER:PT9H from an all-day start (09:00 local), but
    # Outlook (MS-OXCICAL §2.1.3.1.1.20.62) takes its absolute value as minutes *before*
    # the start and rings at 15:00 the day before. 09:00 in the user's zone, as UTC.
    text = build_feed([], [action(due=due)], NOW).to_ical()
    assert f"\r\nTRIGGER;VALUE=DATE-TIME:{trigger}\r\n".encode() in text
    [alarm] = only_event(icalendar.Calendar.from_ical(text)).walk("VALARM")
    assert alarm["TRIGGER"].params["VALUE"] == "DATE-TIME"
    assert "RELATED" not in alarm["TRIGGER"].params
    assert alarm["TRIGGER"].dt == datetime.strptime(trigger, "%Y%m%dT%H%M%S%z")


def test_feed_uids_are_stable() -> None:
    first = build_feed([make_spec()], [action()], NOW)
    second = build_feed([make_spec()], [action()], NOW + timedelta(days=3))
    uids = [sorted(str(e["UID"]) for e in c.walk("VEVENT")) for c in (first, second)]
    assert uids[0] == uids[1]
    assert action_uid("follow-up", 7, "2026-03-01T09:00:00+00:00") == (
        "coffeechat-follow-up-7-2026-03-01T09-00-00-00-00@coffeechat"
    )
    assert action(cycle="a").uid != action(cycle="b").uid


def test_empty_feed_is_valid() -> None:
    cal = reparse(build_feed([], [], NOW))
    assert cal.walk("VEVENT") == []
    assert str(cal["PRODID"]) == PRODID


# ---------------------------------------------------------------- files


def test_write_calendar_atomic_and_private(tmp_path: Path) -> None:
    folder = tmp_path / "cal"
    spec = make_spec()
    path = write_calendar(meeting_path(folder, spec.uid), build_meeting_calendar(spec))
    assert path == folder / "coffeechat-12-3f9a@example.com.ics"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert path.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    assert str(only_event(icalendar.Calendar.from_ical(path.read_bytes()))["UID"]) == spec.uid
    # overwrite in place, no temp files left behind
    write_calendar(path, build_meeting_calendar(spec.cancelled(spec.dtstamp), "CANCEL"))
    assert b"STATUS:CANCELLED" in path.read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == [path.name]
    assert feed_path(folder) == folder / "coffeechat.ics"


def test_write_calendar_unwritable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(CalendarError, match="calendar folder"):
        write_calendar(blocker / "x.ics", build_feed([], [], NOW))


@pytest.mark.parametrize(
    "uid", ["../../etc/passwd", ".hidden", "a/b", "x" * 300, "", "coffeechat", "é@ü"]
)
def test_meeting_path_is_safe(tmp_path: Path, uid: str) -> None:
    path = meeting_path(tmp_path, uid)
    assert path.parent == tmp_path
    assert path.suffix == ".ics"
    assert not path.name.startswith(".")
    assert len(path.name) < 160
    assert path != feed_path(tmp_path)


def test_meeting_path_distinct_uids_distinct_files(tmp_path: Path) -> None:
    uids = ["a/b", "a_b", "a:b", "a b"]
    assert len({meeting_path(tmp_path, u) for u in uids}) == len(uids)


# ---------------------------------------------------------------- round trips (hypothesis)

# Printable text of any script, no control characters but the line break in notes.
_chars = st.characters(blacklist_categories=("Cs", "Cc"))
names = st.text(_chars, min_size=1, max_size=40).map(lambda s: " ".join(s.split())).filter(bool)
notes = st.lists(st.text(_chars, max_size=40), max_size=5).map("\n".join)


@settings(max_examples=150, deadline=None)
@given(name=names, company=st.text(_chars, max_size=20), description=notes)
# A note that is a WORD JOINER itself (found by hypothesis): the file keeps it, like any text.
@example(name="Dana", company="", description="\u2060")
def test_text_values_round_trip(name: str, company: str, description: str) -> None:
    spec = make_spec(
        summary=summary_for(name, company),
        attendee_name=name,
        organizer_name=name,
        description=description,
    )
    event = only_event(reparse(build_meeting_calendar(spec)))  # the file that has notes
    assert str(event["SUMMARY"]) == ical_text(summary_for(name, company))
    # a CN keeps the name, but for "\\" and unprintable characters (see common_name)
    cn = common_name(name)
    assert cn == name.replace("\\", "/") or not name.isprintable()
    assert event["ATTENDEE"].params.get("CN") == (cn or None)
    assert event["ORGANIZER"].params.get("CN") == (cn or None)
    assert str(event["ATTENDEE"]) == "mailto:dana@acme.example"
    assert event["ATTENDEE"].params["SCHEDULE-AGENT"] == "CLIENT"
    if description:
        assert str(event["DESCRIPTION"]) == ical_text(description)
        # ical_text only adds WORD JOINERs (after a backslash before "N"); the user's own
        # joiners are kept, so compare without any rather than strip only one side.
        assert str(event["DESCRIPTION"]).replace("\u2060", "") == description.replace("\u2060", "")


# ---------------------------------------------------------------- khal


def _khal_available() -> bool:
    return importlib.util.find_spec("khal") is not None


@pytest.mark.skipif(
    not _khal_available(),
    reason="khal is not installed (it is in the `test` extra: pip install -e '.[test]')",
)
@pytest.mark.parametrize(
    ("local_zone", "spring", "autumn"),
    [
        # 15:00 Berlin the day after each DST change, seen from three zones
        ("UTC", "2026-03-30 13:00|2026-03-30 13:20", "2026-10-26 14:00|2026-10-26 14:20"),
        ("Europe/Berlin", "2026-03-30 15:00|2026-03-30 15:20", "2026-10-26 15:00|2026-10-26 15:20"),
        # New York changes on other days (8 March, 1 November)
        (
            "America/New_York",
            "2026-03-30 09:00|2026-03-30 09:20",
            "2026-10-26 10:00|2026-10-26 10:20",
        ),
    ],
)
def test_khal_imports_the_feed(tmp_path: Path, local_zone: str, spring: str, autumn: str) -> None:
    spring_meeting = make_spec(summary=summary_for(TRICKY_NAME, "Acme"))
    autumn_meeting = make_spec(
        uid=meeting_uid(13, "alex@example.com", "b7"),
        start=datetime(2026, 10, 26, 15, 0, tzinfo=BERLIN),
        summary=summary_for("Kai Ng", ""),
    )
    reminder = action(due=datetime(2026, 4, 2, 10, 0, tzinfo=BERLIN))
    feed = write_calendar(
        feed_path(tmp_path / "out"), build_feed([spring_meeting, autumn_meeting], [reminder], NOW)
    )
    home = tmp_path / "home"
    vdir = tmp_path / "khal-calendar"
    vdir.mkdir()
    config = tmp_path / "khal.conf"
    config.write_text(
        textwrap.dedent(f"""\
        [calendars]
        [[coffeechat]]
        path = {vdir}
        type = calendar
        [locale]
        timeformat = %H:%M
        dateformat = %Y-%m-%d
        longdateformat = %Y-%m-%d
        datetimeformat = %Y-%m-%d %H:%M
        longdatetimeformat = %Y-%m-%d %H:%M
        local_timezone = {local_zone}
        default_timezone = {local_zone}
        [default]
        default_calendar = coffeechat
        [sqlite]
        path = {tmp_path / "khal.db"}
        """)
    )
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "TZ": "Asia/Tokyo",  # neither the feed's zone nor khal's: it must not matter
    }

    def khal(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "khal", "-c", str(config), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    khal("import", "--batch", str(feed))
    assert len(list(vdir.glob("*.ics"))) == 3
    listed = khal(
        "list", "--format", "{start}|{end}|{title}", "--day-format", "", "2026-03-01", "2026-12-31"
    )
    lines = [line for line in listed.splitlines() if line.strip()]
    assert f"{spring}|{spring_meeting.summary}" in lines
    assert f"{autumn}|{autumn_meeting.summary}" in lines
    assert "2026-04-02|2026-04-02|Follow up with: Dana Lee" in lines
