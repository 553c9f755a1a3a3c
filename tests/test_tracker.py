"""Tests for coffeechat.tracker: header parsing, classification, reports, return dates, decide.

The fixtures in tests/data/mail are modelled on what the real systems send (Postfix, Exchange
Online and on-premises, Gmail, Sieve vacation, Lotus Notes, Google Calendar), one case each.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import getaddresses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coffeechat.pipeline import Stage
from coffeechat.tracker import (
    FULL_MESSAGE,
    IMAP_SECTIONS,
    Classification,
    Kind,
    ParsedHeaders,
    answers_current,
    classify,
    decide,
    message_text,
    normalize_message_id,
    parse_delivery_status,
    parse_headers,
    parse_itip_reply,
    read_bounce,
    read_return_date,
    refine,
)
from coffeechat.tracker.headers import _simple_pairs

MAIL = Path(__file__).parent / "data" / "mail"
ME = frozenset({"alex@example.com"})
CONTACTS = {
    "jane.rivera@acme.example": 1,
    "jane.r@acme.example": 1,
    "ben.okafor@globex.example": 2,
    "b.okafor@globex.example": 2,
    "carla@initech.example": 3,
    "sam.lee@oldcorp.example": 4,
    "dieter.hoffmann@beispiel.example": 5,
    "anais@societe.example": 6,
    # Only in the quoted original of bounce_exchange2003_text.eml: must never be reported.
    "ben@okafor.example": 7,
}
KNOWN = {
    "<outreach-1.coffeechat@example.com>": 1,
    "<outreach-2.coffeechat@example.com>": 2,
    "<outreach-3.coffeechat@example.com>": 3,
    "<outreach-4.coffeechat@example.com>": 4,
    "<outreach-5.coffeechat@example.com>": 6,
    "<outreach-6.coffeechat@example.com>": 5,
    "<CAJx8KzX9pQm2wEr5tYu7iOp1aSd3fGh4jKl@mail.gmail.com>": 1,  # Jane's first reply
}


H = ParsedHeaders
OUTREACH = "<outreach-{}.coffeechat@example.com>"


def run(name: str, role: str = "inbox") -> tuple[Classification, ...]:
    headers = parse_headers((MAIL / name).read_bytes())
    return classify(
        headers,
        folder_role=role,
        my_addresses=ME,
        known_message_ids=KNOWN,
        contact_for_address=CONTACTS.get,
    )


def run_refined(name: str, role: str = "inbox") -> tuple[Classification, ...]:
    raw = (MAIL / name).read_bytes()
    out: list[Classification] = []
    for c in run(name, role):
        if c.needs_part:
            out.extend(
                refine(c, raw, contact_for_address=CONTACTS.get, known_message_ids=KNOWN,
                       my_addresses=ME)
            )  # fmt: skip
        else:
            out.append(c)
    return tuple(out)


# (fixture, folder role, kind from the headers alone, contact, needs the whole message?)
HEADER_CASES = [
    ("autoreply_rfc3834.eml", "inbox", Kind.AUTO_REPLY, 3, True),
    ("autoreply_exchange_outlook.eml", "inbox", Kind.AUTO_REPLY, 2, True),
    ("autoreply_gmail_vacation.eml", "inbox", Kind.AUTO_REPLY, 1, True),
    ("autoreply_german_subject.eml", "inbox", Kind.AUTO_REPLY, 5, True),
    ("autoreply_french_subject.eml", "inbox", Kind.AUTO_REPLY, 6, True),
    ("bounce_postfix.eml", "inbox", Kind.BOUNCE, None, True),
    ("bounce_exchange.eml", "inbox", Kind.BOUNCE, 2, True),
    ("bounce_gmail.eml", "inbox", Kind.BOUNCE, 1, False),
    ("bounce_exchange2003_text.eml", "inbox", Kind.BOUNCE, None, True),
    ("delay_postfix.eml", "inbox", Kind.BOUNCE, None, True),
    ("reply_threaded.eml", "inbox", Kind.REPLY, 1, False),
    ("reply_unthreaded.eml", "inbox", Kind.REPLY, 3, False),
    ("reply_other_address.eml", "inbox", Kind.REPLY, 1, False),
    ("reply_outlook_suppress_header.eml", "inbox", Kind.REPLY, 2, False),
    ("reply_subject_auto_word.eml", "inbox", Kind.REPLY, 5, False),
    ("itip_reply_accepted.eml", "inbox", Kind.ITIP_REPLY, 1, True),
    ("itip_reply_declined.eml", "inbox", Kind.ITIP_REPLY, 2, True),
    ("itip_subject_without_calendar.eml", "inbox", Kind.ITIP_REPLY, 3, True),
    ("mailing_list.eml", "inbox", Kind.IGNORE, None, False),
    ("newsletter_unknown.eml", "inbox", Kind.IGNORE, None, False),
    ("read_receipt.eml", "inbox", Kind.IGNORE, None, False),
    ("sent_own_vacation.eml", "sent", Kind.IGNORE, None, False),
]


@pytest.mark.parametrize(("name", "role", "kind", "contact", "needs"), HEADER_CASES)
def test_fixture_classified_from_headers(
    name: str, role: str, kind: Kind, contact: int | None, needs: bool
) -> None:
    (result,) = run(name, role)
    assert (result.kind, result.contact_id) == (kind, contact), result.detail
    assert result.needs_part == (FULL_MESSAGE if needs else None)


def test_every_fixture_is_covered() -> None:
    named = {case[0] for case in HEADER_CASES} | {"sent_outreach.eml"}
    assert named == {p.name for p in MAIL.glob("*.eml")}


def test_sent_to_two_contacts_gives_one_classification_each() -> None:
    results = run("sent_outreach.eml", "sent")
    assert [(c.kind, c.contact_id, c.address) for c in results] == [
        (Kind.SENT, 1, "jane.rivera@acme.example"),
        (Kind.SENT, 2, "ben.okafor@globex.example"),
    ]
    assert results[0].message_id == "<outreach-1.coffeechat@example.com>"
    assert results[0].at == datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def test_sent_copy_of_our_draft_names_its_contact_even_at_a_new_address() -> None:
    headers = ParsedHeaders(message_id="<outreach-3.coffeechat@example.com>", to=("c@new.example",))
    (result,) = classify(
        headers, folder_role="sent", my_addresses=ME, known_message_ids=KNOWN,
        contact_for_address=CONTACTS.get,
    )  # fmt: skip
    assert (result.kind, result.contact_id, result.address) == (Kind.SENT, 3, "c@new.example")
    assert result.address_is_new


def test_reply_from_another_address_in_the_thread_reports_the_address() -> None:
    (result,) = run("reply_other_address.eml")
    assert result.address_is_new
    assert result.address == "jane.rivera.home@mailbox.example"
    assert "thread" in result.detail


def test_thread_reply_with_the_contact_in_copy_is_someone_else_writing() -> None:
    headers = ParsedHeaders(
        from_addr="sam.roe@acme.example",
        to=("alex@example.com", "jane.rivera@acme.example"),
        in_reply_to="<outreach-1.coffeechat@example.com>",
    )
    (result,) = classify(
        headers, folder_role="inbox", my_addresses=ME, known_message_ids=KNOWN,
        contact_for_address=CONTACTS.get,
    )  # fmt: skip
    assert (result.kind, result.contact_id, result.address_is_new) == (Kind.REPLY, 1, False)
    assert "in copy" in result.detail


def test_known_sender_wins_over_the_thread_of_another_contact() -> None:
    # Jane introduced Ben in her thread; Ben answers in it: the reply is Ben's.
    headers = ParsedHeaders(
        from_addr="ben.okafor@globex.example", in_reply_to="<outreach-1.coffeechat@example.com>"
    )
    (result,) = classify(
        headers, folder_role="inbox", my_addresses=ME, known_message_ids=KNOWN,
        contact_for_address=CONTACTS.get,
    )  # fmt: skip
    assert (result.kind, result.contact_id, result.address_is_new) == (Kind.REPLY, 2, False)


def test_message_from_the_user_in_inbox_is_ignored() -> None:
    headers = ParsedHeaders(from_addr="alex@example.com", to=("jane.rivera@acme.example",))
    (result,) = classify(
        headers, folder_role="inbox", my_addresses=ME, known_message_ids=KNOWN,
        contact_for_address=CONTACTS.get,
    )  # fmt: skip
    assert result.kind is Kind.IGNORE


def test_daemon_in_a_known_thread_is_not_a_new_address() -> None:
    headers = ParsedHeaders(
        from_addr="mailer-daemon@mail.example.com",
        subject="Delayed Mail (still being retried)",
        in_reply_to="<outreach-1.coffeechat@example.com>",
    )
    (result,) = classify(
        headers, folder_role="inbox", my_addresses=ME, known_message_ids=KNOWN,
        contact_for_address=CONTACTS.get,
    )  # fmt: skip
    assert result.kind is Kind.IGNORE


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("auto_submitted", "auto-replied", Kind.AUTO_REPLY),
        ("auto_submitted", "auto-generated", Kind.AUTO_REPLY),
        ("auto_submitted", "auto-notified; owner-email=x@y", Kind.AUTO_REPLY),
        ("auto_submitted", "no", Kind.REPLY),
        ("auto_submitted", "No (written by a person)", Kind.REPLY),
        ("x_autoreply", "yes", Kind.AUTO_REPLY),
        ("x_autorespond", "On", Kind.AUTO_REPLY),
        ("precedence", "auto_reply", Kind.AUTO_REPLY),
        ("precedence", "bulk", Kind.AUTO_REPLY),
        ("precedence", "junk", Kind.AUTO_REPLY),
        ("precedence", "list", Kind.IGNORE),
        ("list_id", "<x.lists.example>", Kind.IGNORE),
        ("x_auto_response_suppress", "All", Kind.REPLY),  # not proof on its own
        ("x_auto_response_suppress", "OOF, AutoReply", Kind.REPLY),
    ],
)
def test_auto_reply_headers(field: str, value: str, kind: Kind) -> None:
    values: dict[str, str] = {field: value}
    headers = ParsedHeaders(from_addr="jane.rivera@acme.example", subject="Re: coffee", **values)
    (result,) = classify(
        headers, folder_role="inbox", my_addresses=ME, known_message_ids=KNOWN,
        contact_for_address=CONTACTS.get,
    )  # fmt: skip
    assert result.kind is kind


@pytest.mark.parametrize(
    ("subject", "in_reply_to", "auto"),
    [
        ("Automatic reply: Coffee", None, True),
        ("Out of Office: Coffee", None, True),
        ("Out of Office AutoReply: Coffee", None, True),
        ("[Auto-Reply] Coffee", None, True),
        ("AutoReply: Coffee", None, True),
        ("Abwesenheitsnotiz: Kaffee", None, True),
        ("Automatische Antwort: Kaffee", None, True),
        ("Réponse automatique : Café", None, True),
        ("Risposta automatica: Caffè", None, True),
        ("Respuesta automática: Café", None, True),
        ("Resposta automática: Café", None, True),
        ("Automatisch antwoord: Koffie", None, True),
        ("Autosvar: Kaffe", None, True),
        ("自动回复: 咖啡", None, True),
        ("自动回复：咖啡", None, True),
        ("Auto: Coffee", "<outreach-1.coffeechat@example.com>", True),
        ("Auto: Frage zum Leasing", None, False),  # a German subject about a car
        ("Out of office plans for the team", None, False),
        ("Re: Automatic reply: Coffee", None, False),  # a person quoting one
        ("Re: Coffee", None, False),
    ],
)
def test_auto_reply_subjects(subject: str, in_reply_to: str | None, auto: bool) -> None:
    headers = ParsedHeaders(
        from_addr="jane.rivera@acme.example", subject=subject, in_reply_to=in_reply_to
    )
    (result,) = classify(
        headers, folder_role="inbox", my_addresses=ME, known_message_ids=KNOWN,
        contact_for_address=CONTACTS.get,
    )  # fmt: skip
    assert result.kind is (Kind.AUTO_REPLY if auto else Kind.REPLY)


def test_auto_reply_from_an_unknown_sender_is_ignored() -> None:
    headers = ParsedHeaders(
        from_addr="someone@elsewhere.example",
        subject="Automatic reply: hi",
        auto_submitted="auto-replied",
    )
    (result,) = classify(
        headers, folder_role="inbox", my_addresses=ME, known_message_ids=KNOWN,
        contact_for_address=CONTACTS.get,
    )  # fmt: skip
    assert result.kind is Kind.IGNORE


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        (H(from_addr="postmaster@x.example", subject="Undeliverable: Coffee"), Kind.BOUNCE),
        (H(from_addr="mailer-daemon@x.example", subject="Mail delivery failed: returning"),
         Kind.BOUNCE),
        (H(from_addr="a@x.example", subject="Undelivered Mail Returned to Sender",
           return_path="<>"), Kind.BOUNCE),
        # A person's subject that merely starts like a report is not one.
        (H(from_addr="carla@initech.example", subject="Undeliverable parcels: a question"),
         Kind.REPLY),
        (H(from_addr="mailer-daemon@x.example", subject="Delivery Status Notification (Delay)"),
         Kind.IGNORE),
        (H(from_addr="x@y.example", x_failed_recipients=("nobody@z.example",)), Kind.IGNORE),
    ],
)  # fmt: skip
def test_bounce_detection_from_headers(headers: ParsedHeaders, kind: Kind) -> None:
    (result,) = classify(
        headers, folder_role="inbox", my_addresses=ME, known_message_ids=KNOWN,
        contact_for_address=CONTACTS.get,
    )  # fmt: skip
    assert result.kind is kind


def test_gmail_bounce_is_complete_from_headers() -> None:
    (result,) = run("bounce_gmail.eml")
    assert result.bounced_addresses == ("jane.r@acme.example",)
    assert result.original_message_id == "<outreach-1.coffeechat@example.com>"


@pytest.mark.parametrize(
    ("name", "contact", "addresses", "original"),
    [
        ("bounce_postfix.eml", 4, ("sam.lee@oldcorp.example",), OUTREACH.format(4)),
        ("bounce_exchange.eml", 2, ("ben.okafor@globex.example",), OUTREACH.format(2)),
        ("bounce_exchange2003_text.eml", 2, ("b.okafor@globex.example",), None),
    ],
)  # fmt: skip
def test_bounce_refined_from_the_whole_report(
    name: str, contact: int, addresses: tuple[str, ...], original: str | None
) -> None:
    (result,) = run_refined(name)
    assert result.kind is Kind.BOUNCE
    assert (result.contact_id, result.bounced_addresses) == (contact, addresses)
    assert result.original_message_id == original
    assert result.needs_part is None


def test_bounce_detail_carries_the_status_code() -> None:
    (result,) = run_refined("bounce_postfix.eml")
    assert "5.1.1" in result.detail


def test_delay_warning_is_not_a_bounce() -> None:
    (result,) = run_refined("delay_postfix.eml")
    assert result.kind is Kind.IGNORE
    assert "delayed" in result.detail


def test_bounce_of_an_unknown_address_in_our_thread_goes_to_the_thread_contact() -> None:
    report = (
        (MAIL / "bounce_exchange.eml")
        .read_bytes()
        .replace(b"rfc822;ben.okafor@globex.example", b"rfc822;old-alias@globex.example")
    )
    (c,) = classify(
        parse_headers(report), folder_role="inbox", my_addresses=ME, known_message_ids=KNOWN,
        contact_for_address=CONTACTS.get,
    )  # fmt: skip
    (result,) = refine(c, report, contact_for_address=CONTACTS.get, known_message_ids=KNOWN)
    assert (result.kind, result.contact_id) == (Kind.BOUNCE, 2)
    assert result.bounced_addresses == ("old-alias@globex.example",)


def test_parse_delivery_status_reads_every_recipient() -> None:
    part = (
        b"Reporting-MTA: dns; mx.example.com\r\n\r\n"
        b"Final-Recipient: rfc822; <A@Example.com>\r\nAction: failed\r\nStatus: 5.1.1 (bad)\r\n"
        b"Diagnostic-Code: smtp; 550 user\r\n unknown\r\n\r\n"
        b"Original-Recipient: rfc822;b@example.com\r\nAction: delayed\r\nStatus: 4.4.7\r\n"
        # No blank line before the next recipient (seen from some MTAs).
        b"Final-Recipient: utf-8; c@example.com\r\nAction: Failed\r\nStatus: 5.2.2\r\n"
    )
    status = parse_delivery_status(part)
    assert status.reporting_mta == "mx.example.com"
    assert [(r.address, r.action, r.status) for r in status.recipients] == [
        ("a@example.com", "failed", "5.1.1"),
        ("b@example.com", "delayed", "4.4.7"),
        ("c@example.com", "failed", "5.2.2"),
    ]
    assert status.recipients[0].diagnostic == "smtp; 550 user unknown"
    assert status.failed == ("a@example.com", "c@example.com")


def test_parse_delivery_status_tolerates_its_own_mime_headers() -> None:
    part = b"Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822;x@y.z\nAction: failed"
    assert parse_delivery_status(part).failed == ("x@y.z",)


def test_read_bounce_of_the_gmail_report() -> None:
    report = read_bounce((MAIL / "bounce_gmail.eml").read_bytes())
    assert report.failed == ("jane.r@acme.example",)
    assert report.original_message_id == "<outreach-1.coffeechat@example.com>"
    assert report.status is not None and report.status.recipients[0].status == "5.1.1"


def test_itip_reply_accepted() -> None:
    (result,) = run_refined("itip_reply_accepted.eml")
    assert (result.kind, result.contact_id, result.partstat) == (Kind.ITIP_REPLY, 1, "ACCEPTED")
    assert result.event_uid == "meeting-7f3a2c@coffeechat.example.com"


def test_itip_reply_reads_the_sequence_it_answers() -> None:
    raw = (MAIL / "itip_reply_declined.eml").read_bytes()
    reply = parse_itip_reply(raw.replace(b"SEQUENCE:0", b"SEQUENCE:3"))
    assert reply is not None and reply.sequence == 3
    (result,) = run_refined("itip_reply_accepted.eml")
    assert result.sequence == 0


@pytest.mark.parametrize("line", [b"", b"SEQUENCE:later\n"])
def test_itip_reply_without_a_readable_sequence_answers_version_0(line: bytes) -> None:
    # RFC 5545 §3.8.7.4: a missing SEQUENCE is 0.
    raw = (MAIL / "itip_reply_declined.eml").read_bytes().replace(b"SEQUENCE:0\n", line)
    reply = parse_itip_reply(raw)
    assert reply is not None
    assert (reply.partstat, reply.sequence) == ("DECLINED", 0)


@pytest.mark.parametrize(
    ("answered", "current", "counts"), [(0, 0, True), (0, 1, False), (2, 1, True), (1, 1, True)]
)
def test_an_answer_counts_only_for_the_current_version(
    answered: int, current: int, counts: bool
) -> None:
    # RFC 5546 §2.1.5: a REPLY to a lower SEQUENCE than the organizer's is outdated.
    assert answers_current(answered, current) is counts


def test_itip_reply_declined_top_level_calendar() -> None:
    reply = parse_itip_reply((MAIL / "itip_reply_declined.eml").read_bytes())
    assert reply is not None
    assert (reply.attendee_email, reply.partstat) == ("ben.okafor@globex.example", "DECLINED")


def test_itip_subject_without_calendar_is_a_reply() -> None:
    (result,) = run_refined("itip_subject_without_calendar.eml")
    assert (result.kind, result.contact_id, result.partstat) == (Kind.REPLY, 3, None)


def test_itip_request_is_not_a_reply() -> None:
    raw = (MAIL / "itip_reply_declined.eml").read_bytes()
    raw = raw.replace(b"METHOD:REPLY", b"METHOD:REQUEST")
    assert parse_itip_reply(raw) is None


@pytest.mark.parametrize(
    ("name", "returns"),
    [
        ("autoreply_rfc3834.eml", date(2026, 3, 9)),
        ("autoreply_exchange_outlook.eml", date(2026, 3, 9)),
        ("autoreply_gmail_vacation.eml", date(2026, 3, 12)),
        ("autoreply_german_subject.eml", date(2026, 3, 6)),
        ("autoreply_french_subject.eml", date(2026, 3, 16)),
    ],
)
def test_auto_reply_return_date_from_the_whole_message(name: str, returns: date) -> None:
    (result,) = run_refined(name)
    assert (result.kind, result.returns, result.needs_part) == (Kind.AUTO_REPLY, returns, None)


def test_message_text_decodes_quoted_printable_latin1() -> None:
    text = message_text((MAIL / "autoreply_german_subject.eml").read_bytes())
    assert text.startswith("Abwesenheitsnotiz:")
    assert "nicht im Büro" in text


RECEIVED = datetime(2026, 2, 20, 9, 0, tzinfo=timezone(timedelta(hours=-8)))  # a Friday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I will be back on Monday, March 3.", date(2026, 3, 3)),
        ("I am out of the office until March 3rd, 2026 with limited access.", date(2026, 3, 3)),
        ("I'll return on 3/3.", date(2026, 3, 3)),
        ("Returning 3/4 — please expect delays.", date(2026, 3, 4)),
        ("I'm away with limited access to email until Mar 10.", date(2026, 3, 10)),
        # A word after the day is not a month: "until March 9 with", not "9 with".
        ("I am out of the office until March 9 with limited access.", date(2026, 3, 9)),
        ("Back on March 9 and will reply then.", date(2026, 3, 9)),
        ("I am away until 9 March and back after that.", date(2026, 3, 9)),
        ("Back in the office on Monday.", date(2026, 2, 23)),
        ("On leave through the 2nd of March.", date(2026, 3, 2)),
        ("Out from 16 Feb to 27 February.", date(2026, 2, 27)),
        ("I return 2026-03-05.", date(2026, 3, 5)),
        ("Ich bin bis zum 3.3.2026 nicht erreichbar.", date(2026, 3, 3)),
        ("Ich bin bis 3. März nicht im Büro.", date(2026, 3, 3)),
        ("Ab dem 4.3. bin ich wieder da.", date(2026, 3, 4)),
        ("Je suis absente jusqu'au 3 mars.", date(2026, 3, 3)),
        ("Je serai de retour le 4 mars 2026.", date(2026, 3, 4)),
        ("Estaré fuera hasta el 3 de marzo.", date(2026, 3, 3)),
        ("Sono fuori ufficio fino al 3 marzo.", date(2026, 3, 3)),
        ("Ik ben afwezig tot en met 3 maart.", date(2026, 3, 3)),
        ("Estarei ausente até 3 de março.", date(2026, 3, 3)),
        ("Back on January 5.", date(2027, 1, 5)),  # next occurrence, not last January
        ("Back on Sept. 7th.", date(2026, 9, 7)),
        ("Ich bin bis 3. Marz nicht da.", date(2026, 3, 3)),  # written without the umlaut
        ("Ich bin bis 3. Maerz nicht da.", date(2026, 3, 3)),
        ("Absent jusqu'au 2 févr. 2027.", date(2027, 2, 2)),
        ("Absent jusqu'au 2 jui.", None),  # juin or juillet: not a guess
        ("Back on Tuesday, March 5.", date(2026, 3, 5)),  # the date wins over the weekday
        ("Back on February 20.", None),  # the day it arrived, not next year's
        ("I was back on February 2, 2026.", None),  # in the past
        ("I am back 20.2.2026.", None),  # the day it was received is not after it
        ("Thank you for your message, I will answer soon.", None),
        ("Please call me at 3.45 until noon.", None),
        ("", None),
    ],
)
def test_read_return_date(text: str, expected: date | None) -> None:
    assert read_return_date(text, RECEIVED) == expected


S = Stage


@pytest.mark.parametrize(
    ("kind", "current", "draft_kind", "partstat", "target"),
    [
        (Kind.SENT, S.IDENTIFIED, None, None, S.CONTACTED),
        (Kind.SENT, S.DRAFTED, "outreach", None, S.CONTACTED),
        (Kind.SENT, S.NO_RESPONSE, "follow-up", None, S.CONTACTED),
        (Kind.SENT, S.BOUNCED, None, None, S.CONTACTED),
        (Kind.SENT, S.CONTACTED, "follow-up", None, None),
        (Kind.SENT, S.REPLIED, None, None, None),  # an old outreach seen late
        (Kind.SENT, S.DECLINED, None, None, None),
        (Kind.SENT, S.MET, "thank-you", None, S.THANKED),
        (Kind.SENT, S.SCHEDULED, "thank-you", None, None),
        (Kind.SENT, S.THANKED, "thank-you", None, None),
        (Kind.SENT, S.MET, None, None, None),  # a message after the meeting is not outreach
        (Kind.SENT, S.THANKED, "check-in", None, S.KEEPING_IN_TOUCH),
        (Kind.SENT, S.MET, "check-in", None, S.KEEPING_IN_TOUCH),
        (Kind.SENT, S.KEEPING_IN_TOUCH, "check-in", None, None),
        (Kind.REPLY, S.CONTACTED, None, None, S.REPLIED),
        (Kind.REPLY, S.IDENTIFIED, None, None, None),  # never written to: see below
        (Kind.REPLY, S.NO_RESPONSE, None, None, S.REPLIED),
        (Kind.REPLY, S.BOUNCED, None, None, S.REPLIED),
        (Kind.REPLY, S.DECLINED, None, None, S.REPLIED),
        (Kind.REPLY, S.REPLIED, None, None, None),
        (Kind.REPLY, S.SCHEDULED, None, None, None),
        (Kind.REPLY, S.MET, None, None, None),
        (Kind.BOUNCE, S.DRAFTED, None, None, S.BOUNCED),
        (Kind.BOUNCE, S.CONTACTED, None, None, S.BOUNCED),
        (Kind.BOUNCE, S.REPLIED, None, None, None),
        (Kind.BOUNCE, S.SCHEDULED, None, None, None),
        (Kind.BOUNCE, S.BOUNCED, None, None, None),
        (Kind.ITIP_REPLY, S.SCHEDULED, None, "ACCEPTED", None),
        (Kind.ITIP_REPLY, S.REPLIED, None, "ACCEPTED", S.SCHEDULED),
        (Kind.ITIP_REPLY, S.CONTACTED, None, "TENTATIVE", S.SCHEDULED),
        (Kind.ITIP_REPLY, S.REPLIED, None, "DECLINED", None),
        (Kind.ITIP_REPLY, S.MET, None, "ACCEPTED", None),
        (Kind.AUTO_REPLY, S.CONTACTED, None, None, None),
        (Kind.IGNORE, S.CONTACTED, None, None, None),
    ],
)
def test_decide(
    kind: Kind, current: Stage, draft_kind: str | None, partstat: str | None, target: Stage | None
) -> None:
    classification = Classification(kind=kind, contact_id=1, partstat=partstat)
    assert decide(classification, current, draft_kind=draft_kind) == target


@pytest.mark.parametrize("current", [S.IDENTIFIED, S.DRAFTED])
def test_mail_from_a_contact_never_written_to_is_a_reply_only_in_our_thread(
    current: Stage,
) -> None:
    # A friend's "happy holidays" is not an answer to an outreach never sent; a message
    # citing ours proves the outreach went out (its sent copy was missed).
    unthreaded = Classification(kind=Kind.REPLY, contact_id=1)
    threaded = Classification(kind=Kind.REPLY, contact_id=1, threaded=True)
    assert decide(unthreaded, current) is None
    assert decide(threaded, current) == S.REPLIED


def test_mail_dated_before_the_user_wrote_answers_nothing_unless_it_cites_our_message() -> None:
    # A former coworker's mail from last spring, read by the first scan's backfill, is no
    # answer to the outreach sent this week.
    wrote = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    before, after = wrote - timedelta(days=90), wrote + timedelta(hours=2)
    old = Classification(kind=Kind.REPLY, contact_id=1, at=before)
    assert decide(old, S.CONTACTED, written_at=wrote) is None
    assert decide(old, S.CONTACTED) == S.REPLIED  # nothing known of when they were written to
    new = Classification(kind=Kind.REPLY, contact_id=1, at=after)
    assert decide(new, S.CONTACTED, written_at=wrote) == S.REPLIED
    # Citing our message proves it answers us, whatever the sender's clock says.
    cited = Classification(kind=Kind.REPLY, contact_id=1, at=before, threaded=True)
    assert decide(cited, S.CONTACTED, written_at=wrote) == S.REPLIED
    # A sender's clock a few minutes behind ours does not make a reply old.
    skewed = Classification(kind=Kind.REPLY, contact_id=1, at=wrote - timedelta(minutes=3))
    assert decide(skewed, S.CONTACTED, written_at=wrote) == S.REPLIED
    # An old bounce is about an older message: the address may work now.
    old_bounce = Classification(kind=Kind.BOUNCE, contact_id=1, at=before)
    assert decide(old_bounce, S.CONTACTED, written_at=wrote) is None
    ours = Classification(kind=Kind.BOUNCE, contact_id=1, at=before, threaded=True)
    assert decide(ours, S.CONTACTED, written_at=wrote) == S.BOUNCED


def test_parse_headers_decodes_and_normalises() -> None:
    raw = (
        b"From: =?utf-8?Q?J=C3=B6rg_M=C3=BCller?= <Joerg@Example.COM>\r\n"
        b'To: a@x.example, "B, C" <B@x.example>\r\nCc: a@x.example, undisclosed-recipients:;\r\n'
        b"Date: Tue, 3 Mar 2026 10:00:00 -0000\r\n"
        b"Message-ID:\r\n  <abc@host.example>\r\n"
        b"In-Reply-To: <p1@h> (Jane's message of Monday)\r\n"
        b"References: <r1@h>\r\n\t<r2@h> junk <r 3@h>\r\n"
        b"Subject: =?utf-8?B?R3LDvMOfZQ==?= =?utf-8?B?IGF1cw==?= Berlin\r\n"
        b'Content-Type: Multipart/Report; Report-Type="delivery-status"; boundary=x\r\n'
        b"Return-Path: <>\r\n"
        b"X-Failed-Recipients: One@x.example, two@x.example\r\n\r\n"
    )
    h = parse_headers(raw)
    assert (h.from_addr, h.from_name) == ("joerg@example.com", "Jörg Müller")
    assert h.to == ("a@x.example", "b@x.example")
    assert h.date == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    assert h.message_id == "<abc@host.example>"
    assert h.in_reply_to == "<p1@h>"
    assert h.references == ("<r1@h>", "<r2@h>", "<r3@h>")
    assert h.subject == "Grüße aus Berlin"
    assert h.content_type == "multipart/report"
    assert h.content_params["report-type"] == "delivery-status"
    assert h.return_path == "<>"
    assert h.x_failed_recipients == ("one@x.example", "two@x.example")
    assert h.thread_ids == ("<p1@h>", "<r3@h>", "<r2@h>", "<r1@h>")


def test_parse_headers_reads_raw_utf8_headers() -> None:
    raw = "From: Zoë <zoe@x.example>\nSubject: Café ☕\n\n".encode()
    h = parse_headers(raw)
    assert (h.from_name, h.subject) == ("Zoë", "Café ☕")


def test_parse_headers_reads_raw_8bit_headers_that_are_not_utf8_as_windows_1252() -> None:
    # Old mailers put Latin-1 or Windows-1252 bytes in headers unencoded; read as UTF-8
    # the name and the subject shown in `watch` came out as "Zo\ufffd" and "Caf\ufffd".
    raw = "From: Zoë <zoe@x.example>\nSubject: Café – 5 €\n\n".encode("cp1252")
    h = parse_headers(raw)
    assert (h.from_name, h.from_addr, h.subject) == ("Zoë", "zoe@x.example", "Café – 5 €")


def test_parse_headers_survives_bad_input() -> None:
    raw = (
        b"From: \x00<a@b.example>\nSubject: =?bogus?Q?x?= =?utf-8?B?####?= =?x-unknown?Q?caf=E9?=\n"
        b"Date: yesterday-ish\nContent-Type: ;;;\nTo: " + b"(" * 20_000 + b"\n\n"
    )
    h = parse_headers(raw)
    assert h.from_addr == "a@b.example"
    assert h.date is None
    assert h.content_type == "text/plain"
    assert "caf" in h.subject


# Address lists built of ordinary pieces and of pieces that getaddresses treats in ways
# of its own: the fast path for simple lists must answer as it does for the first, and
# wherever it answers at all for the second.
_ORDINARY = st.sampled_from(["jane", "Q.", "O'Brien", "=?utf-8?q?J=C3=A9?=", "é", "x+y", "b.c"])
_ODD = st.text(alphabet='a.\xa0\x0b"(),:;<>@[]\\', min_size=1, max_size=5)


def _address_lists(words: st.SearchStrategy[str], commas: list[str]) -> st.SearchStrategy[str]:
    blank = st.sampled_from([" ", "  ", "\t", " \t "])
    addr = st.builds("{}@{}".format, words, words)
    named = st.builds(
        lambda name, gap, addr: gap.join(name) + gap + "<" + addr + ">",
        st.lists(words, max_size=3),
        st.one_of(st.just(""), blank),
        addr,
    )
    items = st.lists(st.one_of(addr, named), max_size=3)
    return st.builds(lambda items, comma: comma.join(items), items, st.sampled_from(commas))


@given(_address_lists(_ORDINARY.filter(lambda w: w != "Q."), [",", ", ", " ,\t"]).filter(bool))
def test_ordinary_address_lists_are_read_as_getaddresses_reads_them(value: str) -> None:
    assert _simple_pairs(value) == getaddresses([value])


@given(_address_lists(st.one_of(_ORDINARY, _ODD), [",", ", ", ",,", " "]))
def test_odd_address_lists_are_read_as_getaddresses_reads_them_or_left_to_it(value: str) -> None:
    simple = _simple_pairs(value)
    if simple is not None:
        assert simple == getaddresses([value])


@pytest.mark.parametrize(
    "value",
    [
        "jane@b.example",
        "Jane Doe <jane@b.example>",
        "Aiko Q. Martin<aiko@b.example>, bo@c.example ,\tCé Dé <c.d+x@e-f.example>",
        "=?utf-8?q?J=C3=A9?= <a@b.example>",
    ],
)
def test_everyday_address_lists_take_the_fast_path(value: str) -> None:
    assert _simple_pairs(value) == getaddresses([value])


@pytest.mark.parametrize(
    "value", ['"Doe, Jane" <j@b.example>', "j@b.example (Jane)", "team: a@b.example;", "a@b,", ""]
)
def test_other_address_lists_are_left_to_getaddresses(value: str) -> None:
    assert _simple_pairs(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<a@b>", "<a@b>"),
        ("  <a@b>  (comment)", "<a@b>"),
        ("a@b", "<a@b>"),
        ("<a @b>", "<a@b>"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_normalize_message_id(value: str | None, expected: str | None) -> None:
    assert normalize_message_id(value) == expected


def test_full_message_section_is_the_whole_message() -> None:
    assert IMAP_SECTIONS[FULL_MESSAGE] == ""


def test_classify_path_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "from coffeechat.tracker import classify, parse_headers\n"
        "for f in __import__('pathlib').Path(sys.argv[1]).glob('*.eml'):\n"
        "    classify(parse_headers(f.read_bytes()), folder_role='inbox',\n"
        "             my_addresses=frozenset(), known_message_ids={},\n"
        "             contact_for_address=lambda a: 1)\n"
        "print(sorted(m for m in ('dateparser', 'icalendar') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(MAIL)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# --- never raises -------------------------------------------------------------------------

_FIELD_NAMES = st.sampled_from(
    ["From", "To", "Cc", "Date", "Message-ID", "In-Reply-To", "References", "Subject",
     "Content-Type", "Auto-Submitted", "Precedence", "X-Autoreply", "List-Id", "Return-Path",
     "X-Failed-Recipients", "X-Auto-Response-Suppress"]
)  # fmt: skip
_NASTY = st.sampled_from(
    ["=?bogus?Q?x?=", "=?utf-8?B?####?=", "=?utf-8?Q?=ZZ?=", "=?x?B?=?=", "\x00", "<<>>", "<",
     "@", "\"unterminated", "(((", ";;;=", "multipart/report; report-type=delivery-status",
     "text/calendar; method=REPLY", "auto-replied", "mailer-daemon@x", "Undeliverable:",
     "Automatic reply:", "rfc822;", "\udcff", "\u202e", "a" * 300]
)  # fmt: skip
_VALUES = st.lists(st.one_of(_NASTY, st.text(max_size=40)), max_size=6).map("".join)
_HEADER_BLOCKS = st.lists(st.tuples(_FIELD_NAMES, _VALUES), max_size=12).map(
    lambda items: (
        "".join(f"{k}: {v}\r\n" for k, v in items).encode("utf-8", "surrogatepass") + b"\r\n"
    )
)


def _classify_everything(raw: bytes) -> None:
    headers = parse_headers(raw)
    assert isinstance(headers, ParsedHeaders)
    for role in ("inbox", "sent"):
        for c in classify(
            headers, folder_role=role, my_addresses=ME,
            known_message_ids=KNOWN, contact_for_address=lambda a: 1 if "@" in a else None,
        ):  # fmt: skip
            forced = [c] + [Classification(kind=k, at=headers.date) for k in Kind]
            for candidate in forced:
                refine(candidate, raw, contact_for_address=CONTACTS.get, known_message_ids=KNOWN)
    parse_delivery_status(raw)
    read_bounce(raw)
    parse_itip_reply(raw)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2_000))
def test_random_bytes_never_raise(raw: bytes) -> None:
    _classify_everything(raw)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_HEADER_BLOCKS)
def test_malformed_headers_never_raise(raw: bytes) -> None:
    _classify_everything(raw)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    boundary=st.sampled_from(["b", "", '"', "--", "x" * 80]),
    body=st.lists(st.one_of(_NASTY, st.text(max_size=60)), max_size=8).map("\n".join),
    close=st.booleans(),
)
def test_broken_multipart_reports_never_raise(boundary: str, body: str, close: bool) -> None:
    raw = (
        "From: mailer-daemon@x.example\nSubject: Undeliverable: x\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\n\n'
        f"--{boundary}\nContent-Type: message/delivery-status\n\n{body}\n"
        f"--{boundary}\nContent-Type: text/rfc822-headers\n\n{body}\n"
        f"--{boundary}\nContent-Type: text/calendar; method=REPLY\n\nBEGIN:VCALENDAR\n{body}\n"
        + (f"--{boundary}--\n" if close else "")
    ).encode("utf-8", "surrogatepass")
    _classify_everything(raw)


def test_huge_header_line_is_fast_and_safe() -> None:
    raw = b"Subject: " + b"=?utf-8?B?####?= " * 6_000 + b"\nTo: " + b"a@b.c, " * 15_000 + b"\n\n"
    start = datetime.now()
    _classify_everything(raw)
    assert datetime.now() - start < timedelta(seconds=5)
