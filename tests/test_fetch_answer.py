"""The reader of UID FETCH answers (mail/fetch_answer.py), on byte streams written as
servers write them. Against Dovecot, every fetch in test_imap.py and test_sync.py goes
through it."""

from __future__ import annotations

import imaplib
import io
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coffeechat.mail.fetch_answer import read_fetch_answers

TAG = b"ABCD7"


@dataclass
class Answer:
    status: str
    text: str
    literals: dict[int, bytes]
    news: bool


def answer(raw: bytes, tag: bytes = TAG) -> tuple[Answer, bytes]:
    """The answer to the one FETCH `tag`, and what is left for the next command."""
    stream = io.BytesIO(raw)
    literals: dict[int, bytes] = {}
    reading = read_fetch_answers(stream.readline, stream.read, tag, literals)
    return Answer(*reading.ended[tag], literals, reading.news), stream.read()


def test_literals_are_matched_to_their_uid_wherever_the_server_puts_it() -> None:
    result, left = answer(
        b"* 1 FETCH (UID 7 BODY[HEADER.FIELDS (FROM)] {9}\r\nFrom: a\r\n)\r\n"
        b"* 2 FETCH (FLAGS (\\Seen))\r\n"  # an unsolicited flag change: no literal
        b"* 3 FETCH (BODY[HEADER.FIELDS (FROM)] {9}\r\nFrom: b\r\n UID 9)\r\n"
        b"* 4 FETCH (BODY[] {0}\r\n)\r\n"  # no UID at all: cannot be placed
        b"ABCD7 OK Fetch completed (0.001 + 0.000 secs).\r\n"
        b"* 5 EXISTS\r\n"
    )
    assert result.literals == {7: b"From: a\r\n", 9: b"From: b\r\n"}
    assert (result.status, result.text) == ("OK", "Fetch completed (0.001 + 0.000 secs).")
    assert not result.news
    assert left == b"* 5 EXISTS\r\n"  # after the tagged line: not this command's


def test_a_literal_that_looks_like_protocol_is_read_as_data() -> None:
    body = b"ABCD7 OK not the end\r\n* 9 EXISTS\r\n{3}\r\n"
    result, left = answer(
        b"* 1 FETCH (UID 4 BODY[] {%d}\r\n%s)\r\nABCD7 OK done\r\n" % (len(body), body)
    )
    assert result.literals == {4: body}
    assert not result.news
    assert left == b""


def test_news_during_the_answer_is_reported() -> None:
    for news in (b"* 51 EXISTS", b"* 3 EXPUNGE", b"* 1 RECENT", b"* 51 exists"):
        result, _ = answer(news + b"\r\n* 1 FETCH (UID 4 BODY[] {1}\r\nx)\r\nABCD7 OK done\r\n")
        assert result.news, news
        assert result.literals == {4: b"x"}


def test_a_second_literal_on_the_same_response_is_skipped_in_step() -> None:
    result, left = answer(
        b"* 1 FETCH (UID 4 BODY[1] {2}\r\nab BODY[2] {3}\r\ncde)\r\n"
        b"* 2 FETCH (UID 5 BODY[1] {1}\r\nf)\r\n"
        b"ABCD7 OK done\r\nnext\r\n"
    )
    assert result.literals == {4: b"ab", 5: b"f"}
    assert left == b"next\r\n"


def test_a_refusal_is_returned_with_the_servers_words() -> None:
    result, _ = answer(b"ABCD7 NO [SERVERBUG] Internal error occurred.\r\n")
    assert (result.status, result.text) == ("NO", "[SERVERBUG] Internal error occurred.")
    result, _ = answer(b"ABCD7 bad Error in IMAP command UID FETCH: Invalid uidset\r\n")
    assert result.status == "BAD"


def test_another_commands_tag_does_not_end_the_answer() -> None:
    result, _ = answer(b"ABCD70 OK not ours\r\n* 1 FETCH (UID 2 BODY[] {1}\r\nz)\r\nABCD7 OK\r\n")
    assert result.literals == {2: b"z"}
    assert result.status == "OK"


@pytest.mark.parametrize(
    "raw",
    [
        b"",  # hung up before answering
        b"* 1 FETCH (UID 4 BODY[] {10}\r\nshort",  # in the middle of a literal
        b"* 1 FETCH (UID 4 BODY[] {1}\r\nx",  # before the end of the response
        b"* 1 FETCH (UID 4 BODY[] {1}\r\nx)\r\nABCD7 OK",  # an unterminated last line
        b"* BYE Server shutting down.\r\nABCD7 OK\r\n",
    ],
)
def test_a_broken_connection_is_an_abort_as_in_imaplib(raw: bytes) -> None:
    with pytest.raises(imaplib.IMAP4.abort):
        answer(raw)


@given(
    st.lists(
        st.tuples(st.integers(1, 2**32 - 1), st.binary(max_size=200), st.booleans()),
        max_size=20,
        unique_by=lambda message: message[0],
    ),
    st.lists(st.sampled_from([b"* 2 FETCH (FLAGS (\\Seen))", b"* OK Still here"]), max_size=5),
)
def test_any_literals_come_back_whole(
    messages: list[tuple[int, bytes, bool]], noise: list[bytes]
) -> None:
    raw = b"".join(line + b"\r\n" for line in noise)
    for seq, (uid, value, uid_after) in enumerate(messages, 1):
        if uid_after:
            raw += b"* %d FETCH (BODY[] {%d}\r\n%s UID %d)\r\n" % (seq, len(value), value, uid)
        else:
            raw += b"* %d FETCH (UID %d BODY[] {%d}\r\n%s)\r\n" % (seq, uid, len(value), value)
    result, left = answer(raw + b"ABCD7 OK done\r\n")
    assert result.literals == {uid: value for uid, value, _ in messages}
    assert left == b""


def test_interleaved_answers_of_pipelined_fetches_are_filed_by_uid() -> None:
    # Dovecot runs pipelined FETCHes side by side: the responses of ABCD8 (whole
    # messages) come among those of ABCD7 (headers), and ABCD8 may end first.
    stream = io.BytesIO(
        b"* 1 FETCH (UID 7 BODY[HEADER.FIELDS (FROM)] {9}\r\nFrom: a\r\n)\r\n"
        b"* 3 FETCH (UID 9 BODY[] {4}\r\nbody)\r\n"
        b"ABCD8 OK Fetch completed.\r\n"
        b"* 2 FETCH (UID 8 BODY[HEADER.FIELDS (FROM)] {9}\r\nFrom: b\r\n)\r\n"
        b"ABCD7 NO [SERVERBUG] partly.\r\n"
        b"* 4 FETCH (UID 10 BODY[] {1}\r\nx)\r\nABCD9 OK done\r\n"
    )
    literals: dict[int, bytes] = {}
    reading = read_fetch_answers(stream.readline, stream.read, b"ABCD7", literals)
    assert reading.ended == {
        b"ABCD8": ("OK", "Fetch completed."),
        b"ABCD7": ("NO", "[SERVERBUG] partly."),
    }
    assert literals == {7: b"From: a\r\n", 9: b"body", 8: b"From: b\r\n"}
    reading = read_fetch_answers(stream.readline, stream.read, b"ABCD9", literals)
    assert reading.ended == {b"ABCD9": ("OK", "done")}
    assert literals[10] == b"x" and stream.read() == b""


def test_only_a_line_ending_in_a_brace_count_announces_a_literal() -> None:
    # "12}" without its "{", or "{1x}", is text: reading it as a literal would swallow
    # the next response whole.
    result, left = answer(
        b"* OK 12}\r\n* OK {1x}\r\n* 1 FETCH (UID 4 BODY[] {1}\r\nx)\r\nABCD7 OK done\r\n"
    )
    assert result.literals == {4: b"x"}
    assert left == b""
