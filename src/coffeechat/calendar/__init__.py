"""Calendar files: reading WHEN, meeting events and invitations, the reminder feed.

Pure functions build `icalendar.Calendar` objects; only `write_calendar` touches disk.
Inside this package `calendar` means coffeechat.calendar: never `import calendar` here
expecting the standard library module.
"""

from coffeechat.calendar.events import (
    PRODID,
    DueAction,
    MeetingSpec,
    action_uid,
    as_status,
    build_feed,
    build_meeting_calendar,
    invitation_summary,
    is_link,
    meeting_uid,
    summary_for,
)
from coffeechat.calendar.files import feed_path, meeting_path, write_calendar
from coffeechat.calendar.invite import invitation_message
from coffeechat.calendar.when import parse_when, show

__all__ = [
    "PRODID",
    "DueAction",
    "MeetingSpec",
    "action_uid",
    "as_status",
    "build_feed",
    "build_meeting_calendar",
    "feed_path",
    "invitation_message",
    "invitation_summary",
    "is_link",
    "meeting_path",
    "meeting_uid",
    "parse_when",
    "show",
    "summary_for",
    "write_calendar",
]
