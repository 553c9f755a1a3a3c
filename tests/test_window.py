"""The backfill window (mail/window.py): which header blocks were written before a day."""

from __future__ import annotations

from datetime import date

from coffeechat.mail.window import written_before

SINCE = date(2024, 6, 10)


def block(date_line: str) -> bytes:
    return f"From: sam@example.org\r\n{date_line}Subject: hi\r\n\r\n".encode()


def test_each_block_is_judged_by_the_day_its_date_names() -> None:
    blocks = {
        1: block("Date: Mon, 10 Jun 2024 00:00:01 +1400\r\n"),  # the first day of the window
        2: block("Date: Sun, 9 Jun 2024 23:59:59 -1200\r\n"),  # the day before, whatever zone
        3: block("DATE:  9 jun 2024 10:00 +0000\r\n"),  # no weekday, any case
        4: block("Date: Fri, 02 Jan 98 10:00:00 +0000\r\n"),  # an obsolete two-digit year
        5: block("Date: 1 Jul 2024 10:00:00 +0000\r\n"),
        6: block("Date: Wed, 12 Jun 24 10:00:00 +0000\r\n"),  # 2024, not 1924
    }
    assert written_before(SINCE, blocks) == {2, 3, 4}


def test_a_date_that_cannot_be_read_keeps_the_message_in_the_window() -> None:
    blocks = {
        1: block(""),  # no Date at all
        2: block("Date: 31 Feb 2020 10:00:00 +0000\r\n"),
        3: block("Date: yesterday\r\n"),
        4: block("X-Date: Fri, 02 Jan 2015 10:00:00 +0000\r\n"),  # another field
    }
    assert written_before(SINCE, blocks) == set()


def test_a_date_in_the_subject_is_not_the_messages() -> None:
    blocks = {1: block("Subject: Date: 1 Jan 2001\r\nDate: 1 Jul 2024 10:00:00 +0000\r\n")}
    assert written_before(SINCE, blocks) == set()
