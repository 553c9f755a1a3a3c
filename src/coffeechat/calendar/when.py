"""Read the WHEN of `coffeechat schedule` into an aware datetime in the user's time zone.

ISO forms are read exactly by the standard library; everything else ("tomorrow 3pm",
"next tuesday 10:30", "in 2 days at 9am") goes to dateparser.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from coffeechat.errors import CalendarError

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

# How far ahead of the clock a meeting that already happened may be: clock skew between
# the user's devices, or "met --when 10:30" typed at 10:28.
SKEW = timedelta(minutes=5)

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# "next tuesday 10:30": some dateparser versions return None or drop the time for
# "next <weekday> <time>" (scrapinghub/dateparser#573, #1147). When the library's answer
# is missing or lands on another weekday, we compute the date and let it read the rest.
_NEXT_WEEKDAY = re.compile(
    r"^next\s+(mon|tue|wed|thu|fri|sat|sun)(?:day|sday|nesday|rsday|urday|s|rs|r)?\.?"
    r"(?:\s+(?:at\s+)?(?P<rest>.+))?$",
    re.IGNORECASE,
)
# A bare ISO date-time, with or without seconds and offset: read exactly, no guessing.
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def parse_when(
    text: str,
    tz: ZoneInfo,
    now: datetime,
    *,
    allow_past: bool = False,
    allow_future: bool = True,
) -> datetime:
    """The future instant `text` names, as an aware datetime in `tz`.

    A time without an offset is wall-clock time in `tz` (the user's zone); one with an
    offset keeps its instant and is shown in `tz`. Raises CalendarError when the text
    cannot be read, names no time of day, has a numeric date that reads both month first
    and day first, falls in a daylight-saving gap, or is past.
    `allow_past=True` (for `coffeechat met --when`) reads "monday 3pm" as the last Monday
    and accepts a past time; `allow_future=False` then refuses a time more than SKEW ahead.
    """
    cleaned = " ".join(text.split())
    local_now = now.astimezone(tz)
    examples = _examples(local_now, past=not allow_future)
    if not cleaned:
        raise CalendarError(f"no time given; {examples}")
    if _ISO.match(cleaned):
        value = _from_iso(cleaned, tz, examples)
    else:
        value = _from_words(text, cleaned, tz, local_now, allow_past, examples)
    if value <= now and not allow_past:
        raise CalendarError(
            f'"{text}" is in the past ({show(value)}); give a time after {show(local_now)}, '
            f'like "tomorrow 3pm"'
        )
    if value > now + SKEW and not allow_future:
        raise CalendarError(
            f'"{text}" is in the future ({show(value)}); give a time before '
            f'{show(local_now)}, like "yesterday 3pm", or leave it out for now'
        )
    return value


def show(value: datetime) -> str:
    """A datetime as a person reads it: `Mon 2026-03-30 15:00 CEST`."""
    return value.strftime("%a %Y-%m-%d %H:%M %Z").strip()


def _examples(local_now: datetime, *, past: bool) -> str:
    """How to write a time, with examples valid at `local_now`: a fixed date in an
    error message is soon in the past, and a user who copies it is refused again."""
    # `met --when` wants a time that has happened; `schedule` one that has not.
    relative, week = ("yesterday", -7) if past else ("tomorrow", 7)
    day = local_now + timedelta(days=week)
    return f'write it like "{relative} 15:00" or "{day:%Y-%m-%d} 15:00"'


def localize(naive: datetime, tz: ZoneInfo) -> datetime:
    """Attach `tz` to a wall-clock time, refusing times the clocks skip (DST gap).

    An ambiguous time (the repeated hour in autumn) takes its first occurrence (fold=0).
    """
    aware = naive.replace(tzinfo=tz)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise CalendarError(
            f"{naive:%Y-%m-%d %H:%M} does not exist in {tz.key}: the clocks skip that hour "
            f"for daylight saving time; pick another time"
        )
    return aware


def _from_iso(cleaned: str, tz: ZoneInfo, examples: str) -> datetime:
    try:
        value = datetime.fromisoformat(cleaned)
    except ValueError as err:
        raise CalendarError(f'cannot read the time "{cleaned}"; {examples}') from err
    if value.tzinfo is None:
        return localize(value, tz)
    return value.astimezone(tz)


def _from_words(
    text: str, cleaned: str, tz: ZoneInfo, local_now: datetime, past: bool, examples: str
) -> datetime:
    parser = _parser(tz, local_now, past)
    found = _ask(parser, cleaned, tz)
    wanted = _NEXT_WEEKDAY.match(cleaned)
    if wanted and (found is None or found[0].weekday() != _WEEKDAYS.index(wanted[1].lower())):
        found = _next_weekday(parser, wanted, local_now.date(), tz)
    elif found is not None:
        _refuse_ambiguous(text, cleaned, found[0], tz, local_now, past)
    if found is None:
        raise CalendarError(f'cannot read the time "{text}"; {examples}')
    value, period = found
    if period != "time":
        raise CalendarError(
            f'"{text}" has no clear time of day (read as {value:%a %Y-%m-%d}); {examples}'
        )
    return localize(value.replace(second=0, microsecond=0), tz)


def _refuse_ambiguous(
    text: str, cleaned: str, month_first: datetime, tz: ZoneInfo, local_now: datetime, past: bool
) -> None:
    """Refuse a date that reads both ways ("12/01/2026": 1 December or 12 January).

    dateparser reads an all-numeric date month first for English, so a European
    "12/01/2026" would silently become 1 December. We ask dateparser again with the day
    first: when both orders give a date and the dates differ, only the user can say which
    they meant. Dates that read one way only ("31/12/2026", "1/1/2027", "1 Dec") pass.
    """
    day_first = _ask(_parser(tz, local_now, past, date_order="DMY"), cleaned, tz)
    if day_first is None or day_first[0].date() == month_first.date():
        return
    one, other = f"{month_first:%Y-%m-%d %H:%M}", f"{day_first[0]:%Y-%m-%d %H:%M}"
    raise CalendarError(
        f'"{text}" can be read month first ({one}) or day first ({other}); '
        f'write the date the ISO way, "{one}" or "{other}", or name the month'
    )


def _next_weekday(
    parser: DateDataParser, wanted: re.Match[str], today: date, tz: ZoneInfo
) -> tuple[datetime, str] | None:
    """The named weekday strictly after today, with the rest of the text as its time."""
    ahead = (_WEEKDAYS.index(wanted[1].lower()) - today.weekday() - 1) % 7 + 1
    day = today + timedelta(days=ahead)
    rest = wanted["rest"]
    if not rest:
        return datetime.combine(day, datetime.min.time()), "day"
    return _ask(parser, f"{day.isoformat()} {rest}", tz)


def _parser(
    tz: ZoneInfo, local_now: datetime, past: bool, *, date_order: str | None = None
) -> DateDataParser:
    # Imported here: dateparser takes a noticeable moment to import, and most commands
    # never read a date.
    from dateparser.date import DateDataParser

    settings: dict[str, Any] = {
        "PREFER_DATES_FROM": "past" if past else "future",
        "RELATIVE_BASE": local_now.replace(tzinfo=None),
        # TIMEZONE makes dateparser convert a text with its own offset ("15:00 UTC") to
        # the user's wall-clock time. We ask for naive results and attach the zone with
        # zoneinfo ourselves: with RETURN_AS_TIMEZONE_AWARE=True, dateparser 1.5 gives
        # "tomorrow 3pm" the offset of *today*, one hour off across a DST change
        # (tested in tests/test_calendar.py::test_parse_when_relative_across_dst).
        "TIMEZONE": tz.key,
        "RETURN_AS_TIMEZONE_AWARE": False,
        # "period" tells a day ("monday") from a time ("monday 3pm"): a meeting needs both.
        "RETURN_TIME_AS_PERIOD": True,
    }
    if date_order:  # only to check the other reading; English's own order is month first
        settings["DATE_ORDER"] = date_order
    # English only: the examples and messages are English, and language detection makes
    # an unreadable text take seconds and sometimes read "morgen 15 Uhr" as noon.
    return DateDataParser(languages=["en"], settings=settings)


def _ask(parser: DateDataParser, text: str, tz: ZoneInfo) -> tuple[datetime, str] | None:
    data = parser.get_date_data(text)
    value = data.date_obj
    if value is None:
        return None
    if value.tzinfo is not None:  # defensive: TIMEZONE should already have converted it
        value = value.astimezone(tz).replace(tzinfo=None)
    return value, str(data.period or "day")
