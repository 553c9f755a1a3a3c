"""`parse_referral`: what `met --referral` accepts; `conversation_ended`: the thank-you clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coffeechat.errors import UserError
from coffeechat.journey import Referral, conversation_ended, parse_referral
from coffeechat.store import normalize_name

# Names as people type them: letters, spaces, and the punctuation names carry ("O'Brien",
# "Smith, Bob", "Kim (Acme)"); no <, > or @, which make it an address.
NAMES = st.text(
    st.characters(categories=["L", "M", "Zs"], include_characters=" .,'-()\"&"),
    min_size=1,
).filter(lambda text: text.strip())


@given(NAMES)
def test_a_name_alone_is_kept_whole(name: str) -> None:
    assert parse_referral(name) == Referral(normalize_name(name), None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sam Roe <SAM@beta.example>", Referral("Sam Roe", "sam@beta.example")),
        ('"Roe, Sam" <sam@beta.example>', Referral("Roe, Sam", "sam@beta.example")),
        ("sam@beta.example", Referral("sam", "sam@beta.example")),
        ("  Bob   Smith ", Referral("Bob Smith", None)),
    ],
)
def test_the_forms_that_work(text: str, expected: Referral) -> None:
    assert parse_referral(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "Bob\nSmith"])
def test_an_empty_name_or_a_line_break_is_refused(text: str) -> None:
    with pytest.raises(UserError):
        parse_referral(text)


def test_the_conversation_ends_with_the_meeting_it_records() -> None:
    start = datetime(2026, 3, 30, 13, 0, tzinfo=UTC)
    end = start + timedelta(minutes=20)
    meeting = [(start, end)]
    assert conversation_ended(start + timedelta(days=2), meeting) == end  # `met` typed late
    assert conversation_ended(start, meeting) == end  # `met --when` gives the start
    assert conversation_ended(start - timedelta(minutes=3), meeting) == end  # clock skew
    # a meeting that had not started when `met` was recorded is another conversation
    assert conversation_ended(start - timedelta(days=1), meeting) == start - timedelta(days=1)
    assert conversation_ended(start, []) == start  # no meeting planned: the move's time
    assert conversation_ended(None, meeting) == end
    assert conversation_ended(None, []) is None
    # a second `met` months later: the meeting was the first conversation's
    later = start + timedelta(days=90)
    assert conversation_ended(later, meeting, since=start + timedelta(hours=1)) == later
    assert conversation_ended(later, meeting, since=start - timedelta(days=1)) == end
