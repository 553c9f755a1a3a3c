"""A student's three weeks, end to end: the CLI against a real Dovecot, the clock pinned.

One module-scoped fixture plays the whole journey once, the way a user lives it: import
five contacts, draft the outreach, send two of the drafts from a "mail client" (one keeps
our Message-ID, one gets a new one, as some clients do; so do the thank-you and the
follow-up later), receive a threaded reply, an out-of-office with a return date and a
bounce, schedule and invite, receive the calendar answer, meet, thank, and come back three
weeks later for the agenda, a check-in, a follow-up, a late reply and the report. Every
command's output is kept; the tests below check what the user would see at each step
(stages, agenda lines, draft text, report figures), not the database.

The mail client and the other people are simulated over a second IMAP connection: sending
is appending the draft to Sent (with \\Seen) and deleting it from Drafts; a contact's
answer is an APPEND to INBOX.
"""

from __future__ import annotations

import email
import email.policy
import imaplib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import test_draft
from click.testing import Result
from coffeechat_fixtures import isolate_home, make_workspace
from dovecot import Dovecot

TZ = ZoneInfo("Europe/Berlin")
ME = "alex.doe@example.org"
CHECK_IN_DAYS = 14  # "every few months", shortened so that three weeks cross it

CSV = """\
Name,Email,Company,Title
Dana Lee,dana.lee@acme.example,Acme,UX Research Lead
Marco Rossi,marco.rossi@globex.example,Globex,Data Engineer
Ben Okafor,ben.okafor@umbrella.example,Umbrella,Analyst
Priya Natarajan,priya@initech.example,Initech,Product Manager
Carla Moreau,carla.moreau@hooli.example,Hooli,Designer
"""
NOTES = "Tired; a reorg is coming. Her team may hire in spring."
ADVICE = "Research ops is the best entry point."
REFERRAL = "Sam Roe <sam.roe@acme.example>"
UPDATE = "I joined the research operations group at my university, as you suggested."


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Day `day` of March 2026 (Monday the 2nd is day 0), Berlin time."""
    return datetime(2026, 3, 2 + day, hour, minute, tzinfo=TZ)


class Client:
    """The user's mail client and the rest of the world, on a second IMAP connection."""

    def __init__(self, dovecot: Dovecot, user: str) -> None:
        self.dovecot, self.user = dovecot, user

    def _connect(self) -> imaplib.IMAP4_SSL:
        imap = imaplib.IMAP4_SSL(
            self.dovecot.host, self.dovecot.port, ssl_context=self.dovecot.ssl_context()
        )
        imap.login(self.user, self.dovecot.password)
        return imap

    def messages_flags(self, folder: str) -> list[tuple[EmailMessage, str]]:
        """Every message in `folder` with its flags, read without setting \\Seen."""
        with self._connect() as imap:
            imap.select(folder, readonly=True)
            _, data = imap.uid("SEARCH", "ALL")
            found = []
            for uid in data[0].split():
                _, fetched = imap.uid("FETCH", uid, "(FLAGS BODY.PEEK[])")
                head, raw = fetched[0]
                message = email.message_from_bytes(raw, policy=email.policy.default)
                assert isinstance(message, EmailMessage)
                found.append((message, head.decode()))
            return found

    def messages(self, folder: str) -> list[EmailMessage]:
        return [message for message, _ in self.messages_flags(folder)]

    def deliver(self, folder: str, message: EmailMessage | bytes, when: datetime) -> None:
        raw = message if isinstance(message, bytes) else message.as_bytes()
        flags = "(\\Seen)" if folder == "Sent" else ""
        with self._connect() as imap:
            imap.append(folder, flags, imaplib.Time2Internaldate(when.timestamp()), raw)

    def draft_to(self, address: str) -> EmailMessage:
        """The one draft in Drafts addressed to `address`."""
        [draft] = [m for m in self.messages("Drafts") if m["To"].addresses[0].addr_spec == address]
        return draft

    def send(self, address: str, when: datetime, *, new_message_id: bool = False) -> EmailMessage:
        """Send the draft to `address` as a mail client does: to Sent, out of Drafts.

        Some clients keep the draft's Message-ID, others mint their own on sending.
        """
        draft = self.draft_to(address)
        draft_id = str(draft["Message-ID"])
        sent = email.message_from_bytes(draft.as_bytes(), policy=email.policy.default)
        assert isinstance(sent, EmailMessage)
        del sent["Date"]
        sent["Date"] = format_datetime(when)
        if new_message_id:
            del sent["Message-ID"]
            sent["Message-ID"] = make_msgid(domain="mail.client.example")
        self.deliver("Sent", sent, when)
        with self._connect() as imap:
            imap.select("Drafts")
            _, data = imap.uid("SEARCH", "HEADER", "Message-ID", draft_id)
            for uid in data[0].split():
                imap.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
            imap.expunge()
        return sent


def letter(
    sender: str,
    subject: str,
    body: str,
    when: datetime,
    *,
    reply_to: EmailMessage | None = None,
    **headers: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = f"Alex Doe <{ME}>"
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].rstrip(">"))
    if reply_to is not None:
        message["In-Reply-To"] = str(reply_to["Message-ID"])
        message["References"] = str(reply_to["Message-ID"])
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def bounce(original: EmailMessage, when: datetime) -> bytes:
    """A Postfix delivery-status report (RFC 3464) quoting `original`'s headers."""
    address = original["To"].addresses[0].addr_spec
    quoted = "".join(
        f"{name}: {original[name]}\n" for name in ("From", "To", "Subject", "Message-ID", "Date")
    )
    return (
        "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n"
        f"To: {ME}\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        f"Date: {format_datetime(when)}\n"
        f"Message-ID: {make_msgid(domain='mx.example.net')}\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n'
        "\n--b\nContent-Type: text/plain; charset=us-ascii\n\n"
        "Your message could not be delivered to one or more recipients.\n\n"
        f"<{address}>: host mx.umbrella.example said: 550 5.1.1 User unknown\n\n"
        "--b\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.net\n\n"
        f"Final-Recipient: rfc822; {address}\n"
        "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n\n"
        f"--b\nContent-Type: text/rfc822-headers\n\n{quoted}\n--b--\n"
    ).encode()


def accepted(invitation: EmailMessage, when: datetime) -> EmailMessage:
    """Dana's calendar app accepting `invitation`: an iTIP REPLY (RFC 5546)."""
    from icalendar import Calendar

    [part] = [p for p in invitation.walk() if p.get_content_type() == "text/calendar"]
    request = Calendar.from_ical(part.get_content())
    [event] = request.walk("VEVENT")
    stamp = when.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")
    start = event.decoded("DTSTART").astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")
    reply = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example Calendar//EN\r\n"
        "METHOD:REPLY\r\nBEGIN:VEVENT\r\n"
        f"UID:{event['UID']}\r\nDTSTAMP:{stamp}\r\nDTSTART:{start}\r\n"
        f"SEQUENCE:{int(event.get('SEQUENCE', 0))}\r\nORGANIZER:mailto:{ME}\r\n"
        "ATTENDEE;PARTSTAT=ACCEPTED;CN=Dana Lee:mailto:dana.lee@acme.example\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    message = letter(
        "Dana Lee <dana.lee@acme.example>",
        f"Accepted: {invitation['Subject']}",
        "Dana Lee has accepted this invitation.",
        when,
    )
    message.add_alternative(
        reply.encode(), maintype="text", subtype="calendar", params={"method": "REPLY"}
    )
    return message


@dataclass
class Journey:
    """What the user saw: each step's CLI output, the drafts as their mail client shows
    them, the stages `list --json` printed after a step, and the mailbox at the end."""

    out: dict[str, Result] = field(default_factory=dict)
    drafts: dict[str, EmailMessage] = field(default_factory=dict)
    stages: dict[str, dict[str, str]] = field(default_factory=dict)
    sent: dict[str, EmailMessage] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    folders: dict[str, list[tuple[EmailMessage, str]]] = field(default_factory=dict)

    def text(self, step: str) -> str:
        result = self.out[step]
        assert result.exit_code == 0, f"{step}: {result.output}"
        return result.output

    def json(self, step: str) -> Any:
        return json.loads(self.text(step))

    def agenda(self, step: str) -> list[tuple[str, str, str, str]]:
        """Each agenda item as (when, kind, name, command), as printed (the line between
        the head and the command says why it is due)."""
        lines = self.text(step).splitlines()
        items = []
        for head, why, command in zip(lines[::3], lines[1::3], lines[2::3], strict=True):
            match = re.fullmatch(r"(\S.*?)\s{2,}(\S+)\s+(.+?)\s*", head)
            assert match, head
            assert why.strip(), head
            items.append((*match.groups(), command.strip()))
        return items


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return " ".join(str(part.get_content()).split())


@pytest.fixture(scope="module")
def journey(dovecot: Dovecot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journey]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_home(tmp_path_factory.mktemp("home"), monkeypatch)
        root = tmp_path_factory.mktemp("journey")
        space = make_workspace(root)
        user = dovecot.new_user()
        test_draft.use_imap(space, dovecot, user)
        text = space.config_path.read_text()
        text = re.sub(
            r"(?m)^check_in_every_days = \d+$", f"check_in_every_days = {CHECK_IN_DAYS}", text
        )
        space.config_path.write_text(text)
        client = Client(dovecot, user)
        seen = Journey()

        def clock(moment: datetime) -> None:
            monkeypatch.setenv("COFFEECHAT_NOW", moment.isoformat())

        def run(step: str, *args: str) -> None:
            seen.out[step] = space.run(*args)

        def stages(step: str) -> None:
            listed = json.loads(space.run("list", "--json").stdout)
            seen.stages[step] = {c["name"].split()[0].lower(): c["stage"] for c in listed}

        # Day 0, Monday 2 March, 09:00: five people, five outreach drafts.
        clock(at(0, 9))
        (root / "people.csv").write_text(CSV)
        run("import", "import", "csv", str(root / "people.csv"))
        run("outreach", "draft", "outreach", "dana", "marco", "ben", "priya", "carla")
        seen.folders["drafts-day0"] = [(m, "") for m in client.messages("Drafts")]
        seen.drafts["outreach-carla"] = client.draft_to("carla.moreau@hooli.example")
        stages("drafted")

        # 10:00: two of them sent from the mail client; Marco's gets a new Message-ID.
        clock(at(0, 10))
        seen.drafts["outreach-dana"] = client.draft_to("dana.lee@acme.example")
        seen.drafts["outreach-marco"] = client.draft_to("marco.rossi@globex.example")
        seen.sent["dana"] = client.send("dana.lee@acme.example", at(0, 10))
        seen.sent["marco"] = client.send(
            "marco.rossi@globex.example", at(0, 10), new_message_id=True
        )
        run("watch-sent", "watch", "--once")
        stages("sent")

        # Day 1, Tuesday 14:00: a threaded reply, an out-of-office (from Monday), a bounce
        # quoting Ben's outreach (pasted into the university webmail and sent from there).
        clock(at(1, 14))
        dana_reply = letter(
            "Dana Lee <dana.lee@acme.example>",
            f"Re: {seen.sent['dana']['Subject']}",
            "Hi Alex,\n\nHappy to talk. Thursday afternoon works for me.\n\nDana\n",
            at(1, 13, 40),
            reply_to=seen.sent["dana"],
        )
        client.deliver("INBOX", dana_reply, at(1, 13, 40))
        out_of_office = letter(
            "Marco Rossi <marco.rossi@globex.example>",
            f"Automatic reply: {seen.sent['marco']['Subject']}",
            "I am out of the office until March 16, 2026 with limited access to email.\n",
            at(0, 10, 1),
            reply_to=seen.sent["marco"],
            Auto_Submitted="auto-replied",
        )
        client.deliver("INBOX", out_of_office, at(0, 10, 1))
        seen.drafts["outreach-ben"] = client.draft_to("ben.okafor@umbrella.example")
        client.deliver("INBOX", bounce(seen.drafts["outreach-ben"], at(1, 9)), at(1, 9))
        run("watch-replies", "watch", "--once")
        stages("replies")
        run("agenda-day1", "agenda")

        # 15:00: a meeting on Thursday at 16:00, with an invitation; Dana accepts at 18:00.
        clock(at(1, 15))
        run(
            "schedule",
            "schedule",
            "dana",
            "2026-03-05 16:00",
            "--location",
            "Café Einstein, Unter den Linden",
            "--invite",
        )
        seen.drafts["invitation"] = client.draft_to("dana.lee@acme.example")
        invitation = client.send("dana.lee@acme.example", at(1, 15, 5))
        client.deliver("INBOX", accepted(invitation, at(1, 18)), at(1, 18))
        clock(at(1, 18, 30))
        run("watch-accepted", "watch", "--once")
        stages("accepted")
        run("agenda-accepted", "agenda")
        run("met-too-early", "met", "dana", "--advice", ADVICE)
        [ics] = (root / "calendar").glob("coffeechat-1-*.ics")
        seen.files["ics"] = ics.read_text()

        # Day 3, Thursday 17:00: they met at 16:00; the thank-you.
        clock(at(3, 17))
        run("met", "met", "dana", "--notes", NOTES, "--advice", ADVICE, "--referral", REFERRAL)
        stages("met")
        run("agenda-met", "agenda")
        run("thank-you", "draft", "thank-you", "dana")
        seen.drafts["thank-you"] = client.draft_to("dana.lee@acme.example")

        # Day 4, Friday 09:00: the thank-you is sent, and seen.
        clock(at(4, 9))
        client.send("dana.lee@acme.example", at(4, 9), new_message_id=True)
        run("watch-thanked", "watch", "--once")
        stages("thanked")
        run("agenda-thanked", "agenda")

        # Day 21, Monday 23 March, 09:00: three weeks on, past the check-in interval.
        clock(at(21, 9))
        run("agenda-day21", "agenda")
        run("agenda-day21-json", "agenda", "--json")
        run("check-in-blank", "draft", "check-in", "dana")
        run("check-in", "draft", "check-in", "dana", "--update", UPDATE)
        seen.drafts["check-in"] = client.draft_to("dana.lee@acme.example")
        run("follow-up", "draft", "follow-up", "marco")
        seen.drafts["follow-up"] = client.draft_to("marco.rossi@globex.example")
        run("outreach-sam", "draft", "outreach", "sam")
        seen.drafts["outreach-sam"] = client.draft_to("sam.roe@acme.example")

        # 10:00: the check-in and the follow-up are sent. Carla answers at last: on day 0
        # the student had pasted her draft into the university webmail and sent it from
        # there (no copy in this Sent, the draft left in Drafts); her reply cites it.
        clock(at(21, 10))
        carla_reply = letter(
            "Carla Moreau <carla.moreau@hooli.example>",
            f"Re: {seen.drafts['outreach-carla']['Subject']}",
            "Hi Alex,\n\nSorry for the slow answer. Happy to talk next week.\n\nCarla\n",
            at(21, 9, 50),
            reply_to=seen.drafts["outreach-carla"],
        )
        client.deliver("INBOX", carla_reply, at(21, 9, 50))
        client.send("dana.lee@acme.example", at(21, 10))
        client.send("marco.rossi@globex.example", at(21, 10), new_message_id=True)
        run("watch-day21", "watch", "--once")
        run("watch-again", "watch", "--once")
        stages("day21")
        run("agenda-day21-after", "agenda")
        run("report", "report")
        run("report-json", "report", "--json")
        run("show-dana", "show", "dana", "--json")
        run("show-ben", "show", "ben", "--json")
        for folder in ("Drafts", "Sent", "INBOX"):
            seen.folders[folder] = [(m, flags) for m, flags in client.messages_flags(folder)]
        yield seen


# ---------------------------------------------------------------- day 0: identify, arrange


def test_five_imported_and_five_outreach_drafts(journey: Journey) -> None:
    assert "Imported people.csv: 5 added, 0 merged, 0 unchanged, 0 skipped." in journey.text(
        "import"
    )
    assert journey.text("outreach").startswith("5 draft(s) written to Drafts in ")
    assert set(journey.stages["drafted"].values()) == {"drafted"}
    drafts = journey.folders["drafts-day0"]
    assert sorted(m["To"].addresses[0].addr_spec for m, _ in drafts) == [
        "ben.okafor@umbrella.example",
        "carla.moreau@hooli.example",
        "dana.lee@acme.example",
        "marco.rossi@globex.example",
        "priya@initech.example",
    ]
    dana = journey.drafts["outreach-dana"]
    assert str(dana["Subject"]) == "A question about your work at Acme"
    assert body(dana).startswith("Hi Dana, ")
    assert "information and advice, not a job" in body(dana)
    assert "20 minutes" in body(dana)


def test_a_sent_draft_is_contacted_whatever_message_id_the_client_gave_it(
    journey: Journey,
) -> None:
    assert journey.sent["dana"]["Message-ID"] == journey.drafts["outreach-dana"]["Message-ID"]
    assert journey.sent["marco"]["Message-ID"] != journey.drafts["outreach-marco"]["Message-ID"]
    assert journey.text("watch-sent").splitlines() == [
        '10:00 Dana Lee  drafted → contacted  "A question about your work at Acme"',
        '10:00 Marco Rossi  drafted → contacted  "A question about your work at Globex"',
        "Scanned Sent and INBOX: 2 stage change(s), 0 other event(s).",
        "Next: `coffeechat agenda` for what is due.",
    ]
    assert journey.stages["sent"] == {
        "dana": "contacted",
        "marco": "contacted",
        "ben": "drafted",
        "priya": "drafted",
        "carla": "drafted",
    }


# ---------------------------------------------------------------- day 1: what came back


def test_a_reply_an_out_of_office_and_a_bounce(journey: Journey) -> None:
    assert journey.text("watch-replies").splitlines() == [
        '13:40 Dana Lee  contacted → replied  "Re: A question about your work at Acme"',
        "2026-03-02 10:01 Marco Rossi  auto-reply: “Automatic reply: A question about your "
        "work at Globex”; back on 2026-03-16 (stays contacted)",
        # The bounce quotes the Message-ID of Ben's draft: it was sent, and it bounced.
        '09:00 Ben Okafor  drafted → bounced  "Undelivered Mail Returned to Sender"',
        "Scanned Sent and INBOX: 2 stage change(s), 1 other event(s).",
        "Next: `coffeechat agenda` for what is due.",
    ]
    assert journey.stages["replies"] == {
        "dana": "replied",
        "marco": "contacted",
        "ben": "bounced",
        "priya": "drafted",
        "carla": "drafted",
    }


def test_agenda_on_day_1(journey: Journey) -> None:
    # Tue 14:00. The drafts written Mon 09:00 are due to be sent two days on (Wed);
    # Dana's reply (Tue 13:40) is to be answered within a day (Wed); Marco's follow-up,
    # a week after Monday's outreach, waits until the day after he is back (Tue 17 Mar).
    assert journey.agenda("agenda-day1") == [
        ("tomorrow", "send-draft", "Priya Natarajan", "coffeechat show 4"),
        ("tomorrow", "send-draft", "Carla Moreau", "coffeechat show 5"),
        ("by tomorrow", "answer", "Dana Lee", "coffeechat schedule 1 WHEN"),
        ("in 14 days", "follow-up", "Marco Rossi", "coffeechat draft follow-up 2"),
    ]


# ---------------------------------------------------------------- the meeting


def test_schedule_with_an_invitation_and_its_acceptance(journey: Journey) -> None:
    lines = journey.text("schedule").splitlines()
    assert lines[0] == (
        "Scheduled: Informational interview: Dana Lee (Acme), Thu 2026-03-05 16:00 CET, 20 minutes."
    )
    assert "Invitation draft written to Drafts: open your mail client to send it." in lines
    invitation = journey.drafts["invitation"]
    text = body(invitation)
    assert "When: Thursday, March 5, 2026 at 16:00 CET (UTC+01:00)" in text
    assert "Where: Café Einstein, Unter den Linden" in text
    [calendar] = [p for p in invitation.walk() if p.get_content_type() == "text/calendar"]
    assert calendar.get_param("method") == "REQUEST"
    assert journey.text("watch-accepted").splitlines() == [
        "15:05 Dana Lee  invitation sent: “Invitation: 20-minute chat, Alex Doe and Dana Lee” "
        "(stays scheduled)",
        "18:00 Dana Lee  calendar answer: accepted (stays scheduled)",
        "Scanned Sent and INBOX: 0 stage change(s), 2 other event(s).",
        "Next: `coffeechat agenda` for what is due.",
    ]
    assert journey.stages["accepted"]["dana"] == "scheduled"
    ics = journey.files["ics"].replace("\r\n ", "").replace("\n ", "")
    assert "DTSTART:20260305T150000Z" in ics
    assert "PARTSTAT=ACCEPTED" in ics
    # Answered by the invitation: no more "answer Dana", the meeting instead.
    assert journey.agenda("agenda-accepted") == [
        ("tomorrow", "send-draft", "Priya Natarajan", "coffeechat show 4"),
        ("tomorrow", "send-draft", "Carla Moreau", "coffeechat show 5"),
        ("in 2 days", "meeting", "Dana Lee", "coffeechat show 1"),
        ("in 14 days", "follow-up", "Marco Rossi", "coffeechat draft follow-up 2"),
    ]


def test_met_before_the_meeting_is_refused_with_the_fix(journey: Journey) -> None:
    # Tue 18:30, the meeting is Thursday: recording it now would start the thank-you clock.
    early = journey.out["met-too-early"]
    assert early.exit_code == 1
    assert early.stderr == (
        "Error: Dana Lee's meeting is still ahead, on Thu 2026-03-05 16:00 CET: record it "
        "after it happens; if you met earlier, add --when with when you did, and if the "
        "meeting moved, run `coffeechat schedule 1 WHEN` first\n"
    )
    assert journey.stages["accepted"]["dana"] == "scheduled"


# ---------------------------------------------------------------- day 3-4: met, thanked


def test_met_adds_the_referral(journey: Journey) -> None:
    assert journey.text("met").splitlines() == [
        "Dana Lee is now met.",
        "Added Sam Roe (id 6), referred by Dana Lee.",
        "Next: `coffeechat draft thank-you 1` (within 48 hours).",
    ]
    assert journey.stages["met"]["dana"] == "met"
    assert journey.stages["met"]["sam"] == "identified"
    # Thu 17:00: the meeting ended at 16:20, so the thank-you is due Sat 16:20; Sam is
    # due once that window has passed (Sat 17:00); the drafts are a day late.
    assert journey.agenda("agenda-met") == [
        ("overdue by 1 day", "send-draft", "Priya Natarajan", "coffeechat show 4"),
        ("overdue by 1 day", "send-draft", "Carla Moreau", "coffeechat show 5"),
        ("by Saturday", "thank-you", "Dana Lee", "coffeechat draft thank-you 1"),
        ("in 2 days", "referral", "Sam Roe", "coffeechat draft outreach 6"),
        ("in 12 days", "follow-up", "Marco Rossi", "coffeechat draft follow-up 2"),
    ]
    # Each item says why it is due, not only in --json.
    assert "you met on Thu 2026-03-05; thank within 48 hours" in journey.text("agenda-met")


def _private(text: str) -> list[str]:
    """The words of the private notes that a draft must never carry."""
    return [word for word in ("reorg", "Tired", "hire in spring") if word in text]


def test_the_thank_you_quotes_the_advice_names_the_referral_never_the_notes(
    journey: Journey,
) -> None:
    thanks = journey.drafts["thank-you"]
    text = body(thanks)
    assert str(thanks["Subject"]) == "Thank you for your time, Dana"
    assert text.startswith("Hi Dana, Thank you for taking the time to talk with me.")
    assert f'your advice: "{ADVICE}"' in text
    assert "suggesting I speak with Sam Roe" in text
    assert _private(thanks.as_string()) == []
    assert journey.text("watch-thanked").splitlines() == [
        '09:00 Dana Lee  met → thanked  "Thank you for your time, Dana"',
        "Scanned Sent and INBOX: 1 stage change(s), 0 other event(s).",
        "Next: `coffeechat agenda` for what is due.",
    ]
    # Fri 09:00: thanked, so no thank-you item; the next check-in 14 days from now.
    assert journey.agenda("agenda-thanked") == [
        ("overdue by 2 days", "send-draft", "Priya Natarajan", "coffeechat show 4"),
        ("overdue by 2 days", "send-draft", "Carla Moreau", "coffeechat show 5"),
        ("tomorrow", "referral", "Sam Roe", "coffeechat draft outreach 6"),
        ("in 11 days", "follow-up", "Marco Rossi", "coffeechat draft follow-up 2"),
        (
            "in 14 days",
            "check-in",
            "Dana Lee",
            'coffeechat draft check-in 1 --update "[what you did since you spoke]"',
        ),
    ]


# ---------------------------------------------------------------- day 21: three weeks on


def test_agenda_three_weeks_on_says_what_is_due_and_it_is_true(journey: Journey) -> None:
    # Mon 23 Mar 09:00. Every item checked against the journey by hand:
    assert journey.agenda("agenda-day21") == [
        # drafted Mon 2 Mar 09:00, due Wed 4 Mar 09:00, never sent
        ("overdue by 19 days", "send-draft", "Priya Natarajan", "coffeechat show 4"),
        ("overdue by 19 days", "send-draft", "Carla Moreau", "coffeechat show 5"),
        # suggested Thu 5 Mar 17:00, 48 hours later is Sat 7 Mar
        ("overdue by 16 days", "referral", "Sam Roe", "coffeechat draft outreach 6"),
        # back on Mon 16 Mar, so due Tue 17 Mar; no real answer since
        ("overdue by 6 days", "follow-up", "Marco Rossi", "coffeechat draft follow-up 2"),
        # thanked Fri 6 Mar 09:00, every 14 days: Fri 20 Mar
        (
            "overdue by 3 days",
            "check-in",
            "Dana Lee",
            'coffeechat draft check-in 1 --update "[what you did since you spoke]"',
        ),
    ]
    due = {(item["kind"], item["name"]): item for item in journey.json("agenda-day21-json")}
    assert due["follow-up", "Marco Rossi"]["due"] == "2026-03-17T09:00:00+01:00"
    assert "out of office until 2026-03-16" in due["follow-up", "Marco Rossi"]["detail"]
    assert due["check-in", "Dana Lee"]["due"] == "2026-03-20T09:00:00+01:00"
    assert due["check-in", "Dana Lee"]["detail"] == (
        "last in touch on Fri 2026-03-06; check in every 14 days"
    )
    # Nothing for Ben: his address bounced.
    assert not any(name == "Ben Okafor" for _, name in due)


def test_the_check_in_quotes_the_advice_and_the_update_never_the_notes(
    journey: Journey,
) -> None:
    # Without --update, the blank for it stops the draft, and the error says what to add.
    blank = journey.out["check-in-blank"]
    assert blank.exit_code == 1
    assert blank.stderr == (
        "Error: proofreading found errors in the check-in for Dana Lee; nothing was written. "
        "Tell them what came of their advice with --update TEXT, or pass --force to write "
        "the draft and fill in the blank in your mail client\n"
    )
    check_in = journey.drafts["check-in"]
    text = body(check_in)
    assert text.startswith("Hi Dana, ")
    assert f'your advice: "{ADVICE}"' in text
    assert UPDATE in text
    assert _private(check_in.as_string()) == []


def test_the_follow_up_answers_the_message_marco_received(journey: Journey) -> None:
    follow_up = journey.drafts["follow-up"]
    # Threaded on the Message-ID Marco's copy carries (the client's), not the draft's.
    assert follow_up["In-Reply-To"] == journey.sent["marco"]["Message-ID"]
    assert str(follow_up["Subject"]) == "Re: A question about your work at Globex"
    # Sent Monday 2 March 10:00, followed up Monday 23 March 09:00: three weeks on the
    # calendar, though an hour short of 21 x 24 h.
    assert body(follow_up).startswith("Hi Marco, I wrote 21 days ago, and I wanted to follow")


def test_the_referral_outreach_names_who_suggested_it(journey: Journey) -> None:
    sam = journey.drafts["outreach-sam"]
    assert str(sam["Subject"]) == "Dana Lee suggested I get in touch"
    assert body(sam).startswith("Hi Sam, Dana Lee suggested I contact you")


def test_sent_check_in_and_follow_up(journey: Journey) -> None:
    assert journey.text("watch-day21").splitlines() == [
        '10:00 Dana Lee  thanked → keeping-in-touch  "A quick update since we spoke"',
        "10:00 Marco Rossi  follow-up sent: “Re: A question about your work at Globex” "
        "(stays contacted)",
        # Her reply cites the outreach we drafted: it went out, and this answers it.
        '09:50 Carla Moreau  drafted → replied  "Re: A question about your work at Hooli"',
        "Scanned Sent and INBOX: 2 stage change(s), 1 other event(s).",
        "Next: `coffeechat agenda` for what is due.",
    ]
    # Run again, it finds nothing new: nothing counts twice.
    assert journey.text("watch-again").splitlines()[0] == (
        "Scanned Sent and INBOX: 0 stage change(s), 0 other event(s)."
    )
    assert journey.stages["day21"] == {
        "dana": "keeping-in-touch",
        "marco": "contacted",
        "ben": "bounced",
        "priya": "drafted",
        "carla": "replied",
        "sam": "drafted",
    }
    assert journey.agenda("agenda-day21-after") == [
        ("overdue by 19 days", "send-draft", "Priya Natarajan", "coffeechat show 4"),
        ("by tomorrow", "answer", "Carla Moreau", "coffeechat schedule 5 WHEN"),
        ("in 2 days", "send-draft", "Sam Roe", "coffeechat show 6"),
        # one follow-up only: a week after it, let it rest
        ("in 7 days", "no-response", "Marco Rossi", "coffeechat stage 2 no-response"),
        (
            "in 14 days",
            "check-in",
            "Dana Lee",
            'coffeechat draft check-in 1 --update "[what you did since you spoke]"',
        ),
    ]


# ---------------------------------------------------------------- the report


def test_report_adds_up(journey: Journey) -> None:
    # Now: Priya and Sam drafted; Marco contacted; Carla replied; Dana keeping in touch;
    # Ben bounced.
    report = journey.json("report-json")
    assert report["stages"] == {
        "identified": 0,
        "drafted": 2,
        "contacted": 1,
        "replied": 1,
        "scheduled": 0,
        "met": 0,
        "thanked": 0,
        "keeping-in-touch": 1,
        "declined": 0,
        "bounced": 1,
        "no-response": 0,
    }
    assert sum(report["stages"].values()) == 6
    # Ever: six people, all six drafted. Written to: Dana and Marco (seen in Sent), and
    # Ben and Carla, whose outreach went out from the webmail: the bounce and the reply
    # that cite it prove it. Replied: Dana and Carla. Dana alone met and was thanked.
    assert report["reached"] == {
        "identified": 6,
        "drafted": 6,
        "contacted": 4,
        "replied": 2,
        "scheduled": 1,
        "met": 1,
        "thanked": 1,
        "keeping-in-touch": 1,
        "declined": 0,
        "bounced": 1,
        "no-response": 0,
    }
    # The rate: of the three written to whose mail arrived (Ben's bounced), Dana and Carla
    # answered (Marco's out-of-office is no answer): 2 of 3.
    assert (report["contacted"], report["replied"], report["reply_rate"]) == (3, 2, 0.667)
    # Only Dana's wait can be timed: sent Mon 10:00, answered Tue 13:40, 1.15 days.
    # When Carla's outreach went out, the mailbox does not say.
    assert report["median_days_to_reply"] == 1.2
    assert report["meetings_held"] == 1
    # The meeting ended Thu 16:20; thanked Fri 09:00, within 48 hours.
    assert (report["thank_yous"], report["thank_yous_on_time"]) == (1, 1)
    # Sam is a referral, drafted to but not yet written to.
    assert (report["referrals_gained"], report["referrals_written_to"]) == (1, 0)
    text = journey.text("report")
    for line in (
        "Reply rate: 67% (2 of 3 contacted)",
        "Median time to reply: 1.2 days",
        "Meetings held: 1",
        "Thank-yous: 1 (1 on time)",
        "Referrals: 1 gained, 0 written to",
        "└── Dana Lee (keeping-in-touch)",
        "    └── Sam Roe (drafted)",
    ):
        assert line in text.splitlines()
    rows = {
        line.split()[0]: tuple(int(n) for n in line.split()[1:3])
        for line in text.splitlines()
        if line and line.split()[0] in report["stages"]
    }
    assert rows == {s: (report["stages"][s], report["reached"][s]) for s in report["stages"]}


# ---------------------------------------------------------------- nothing lost


def test_every_move_is_on_the_timeline_with_its_cause(journey: Journey) -> None:
    dana = journey.json("show-dana")
    moves = [e for e in dana["events"] if e["to_stage"] != e["from_stage"]]
    assert [e["to_stage"] for e in moves] == [
        "identified",
        "drafted",
        "contacted",
        "replied",
        "scheduled",
        "met",
        "thanked",
        "keeping-in-touch",
    ]
    assert all(e["detail"] for e in moves)
    ben = journey.json("show-ben")
    assert [e["to_stage"] for e in ben["events"] if e["to_stage"] != e["from_stage"]] == [
        "identified",
        "drafted",
        "bounced",
    ]


def test_the_mailbox_keeps_everything_and_inbox_stays_unread(journey: Journey) -> None:
    drafts = sorted(m["To"].addresses[0].addr_spec for m, _ in journey.folders["Drafts"])
    # The unsent outreach (Ben's and Carla's too: they went from the webmail) and Sam's.
    assert drafts == [
        "ben.okafor@umbrella.example",
        "carla.moreau@hooli.example",
        "priya@initech.example",
        "sam.roe@acme.example",
    ]
    assert len(journey.folders["Sent"]) == 6
    inbox = journey.folders["INBOX"]
    assert len(inbox) == 5
    assert not any("\\Seen" in flags for _, flags in inbox)
