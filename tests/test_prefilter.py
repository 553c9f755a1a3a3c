"""The scan's byte-level pre-filter may skip only what classification would ignore."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coffeechat.tracker import Kind, classify, parse_headers
from coffeechat.tracker.prefilter import Mentions, might_concern

MAIL = Path(__file__).parent / "data" / "mail"
CONTACTS = {
    "jane.rivera@acme.example": 1,
    "ben.okafor@globex.example": 2,
    "carla@initech.example": 3,
    "dieter.hoffmann@beispiel.example": 4,
    "anais@societe.example": 5,
    "sam.lee@oldcorp.example": 6,
}
KNOWN = {"<outreach-1.coffeechat@example.com>": 1, "<outreach-2.coffeechat@example.com>": 2}
ME = frozenset({"alex@example.com"})


CONTACT_BYTES = {a.encode() for a in CONTACTS}
KNOWN_BYTES = {m.encode() for m in KNOWN}


def headers_of(raw: bytes) -> bytes:
    return raw.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]


@pytest.mark.parametrize("path", sorted(MAIL.glob("*.eml")), ids=lambda p: p.stem)
def test_never_skips_what_classification_keeps(path: Path) -> None:
    raw = headers_of(path.read_bytes())
    results = classify(
        parse_headers(raw),
        folder_role="inbox",
        my_addresses=ME,
        known_message_ids=KNOWN,
        contact_for_address=CONTACTS.get,
    )
    if any(r.kind != Kind.IGNORE for r in results):
        assert might_concern(raw, CONTACT_BYTES, KNOWN_BYTES)


def test_skips_ordinary_mail() -> None:
    raw = (
        b"From: Weekly Digest <digest@news.example.net>\r\nTo: alex@example.com\r\n"
        b"Subject: This week\r\nMessage-ID: <abc@news.example.net>\r\n"
    )
    assert not might_concern(raw, CONTACT_BYTES, KNOWN_BYTES)


def test_a_skipped_message_tells_what_it_was_looked_up_by() -> None:
    # Learning one of these later (an address, a Message-ID) is what could make the
    # message matter: the scan looks again only then.
    raw = (
        b"From: Bob <Bob@Corp.example>\r\nIn-Reply-To: <q@x>\r\n"
        b"References: <p@x>\r\n <q@x>\r\nSubject: <not@cited>\r\n"
    )
    looked_up: set[bytes] = set()
    assert not might_concern(raw, CONTACT_BYTES, KNOWN_BYTES, looked_up)
    assert {b"bob@corp.example", b"<p@x>", b"<q@x>"} <= looked_up
    assert b"<not@cited>" not in looked_up


def test_keeps_a_thread_reply_from_an_unknown_address() -> None:
    raw = (
        b"From: Jane <jane@home.example>\r\nIn-Reply-To:\r\n"
        b" <outreach-1.coffeechat@example.com>\r\n"
    )
    assert might_concern(raw, CONTACT_BYTES, KNOWN_BYTES)


@given(
    st.sampled_from(sorted(CONTACTS)),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
    st.booleans(),
)
def test_mail_from_a_contact_is_kept(address: str, name: str, folded: bool) -> None:
    fold = "\r\n " if folded else " "
    raw = f'Subject: hi\r\nFrom: "{name}"{fold}<{address.upper()}>\r\n'.encode()
    assert might_concern(raw, CONTACT_BYTES, KNOWN_BYTES)


@given(
    st.sampled_from(["In-Reply-To", "References", "REFERENCES"]),
    st.lists(st.sampled_from([" ", "\r\n\t", ",", "", "x", "<", ">", "(c)", "<other@x>"])),
    st.data(),
)
def test_a_reply_citing_a_known_message_is_kept_however_the_ids_are_written(
    field: str, separators: list[str], data: st.DataObject
) -> None:
    # Ids glued together, between commas, comments or stray brackets: RFC 5322 lets
    # clients write References loosely, and a known one must be found among them.
    known = data.draw(st.sampled_from(sorted(KNOWN)))
    value = "".join(separators[: len(separators) // 2]) + known
    value += "".join(separators[len(separators) // 2 :])
    raw = f"From: Jane <jane@home.example>\r\n{field}: {value}\r\n".encode()
    assert might_concern(raw, CONTACT_BYTES, KNOWN_BYTES)


def test_a_contact_only_in_cc_is_skipped_as_classification_ignores_it() -> None:
    raw = (
        b"From: Weekly Digest <digest@news.example.net>\r\n"
        b"Cc: Jane <jane.rivera@acme.example>\r\nSubject: hi\r\n"
    )
    assert not might_concern(raw, CONTACT_BYTES, KNOWN_BYTES)
    results = classify(
        parse_headers(raw),
        folder_role="inbox",
        my_addresses=ME,
        known_message_ids=KNOWN,
        contact_for_address=CONTACTS.get,
    )
    assert [r.kind for r in results] == [Kind.IGNORE]


def test_mentions_finds_blocks_after_the_learning_one_that_hold_a_token() -> None:
    blocks = [
        b"Message-ID: <Reply-1@Acme.example>\r\nFrom: jane.rivera@acme.example\r\n",
        b"From: bob@acme.example\r\nReferences: <reply-1@acme.example>\r\n",  # cites it
        b"From: news@shop.example\r\nSubject: sale\r\n",
        b"From: JANE.RIVERA@ACME.EXAMPLE\r\nIn-Reply-To: <x@y>\r\n<reply-1@acme.example>\r\n",
    ]
    mentions = Mentions(blocks)
    assert mentions.after(0, [b"<reply-1@acme.example>"]) == {1, 3}  # not 0: it taught it
    assert mentions.after(1, [b"<reply-1@acme.example>", b"jane.rivera@acme.example"]) == {3}
    assert mentions.after(3, [b"<reply-1@acme.example>"]) == set()  # nothing after the last
    assert mentions.after(0, [b"carla@initech.example"]) == set()


@given(st.lists(st.binary(max_size=40), min_size=1, max_size=8), st.data())
def test_mentions_agrees_with_a_search_of_each_block(
    blocks: list[bytes], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(blocks) - 1))
    token = data.draw(st.binary(min_size=1, max_size=4).filter(lambda t: b"\n" not in t))
    token = token.lower()
    expected = {i for i in range(index + 1, len(blocks)) if token in blocks[i].lower()}
    assert Mentions(blocks).after(index, [token]) == expected
