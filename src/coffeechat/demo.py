"""`coffeechat demo`: a whole networking season in a throwaway folder, in seconds.

It runs the real commands, in-process, against a local Maildir and its own database
and config, with the clock pinned (`COFFEECHAT_NOW`) and moved forward between steps.
Only the other people are simulated: the demo sends nothing, it plays the user's mail
client (moving a draft to Sent) and their contacts (delivering replies, an
out-of-office, a bounce and a calendar answer to INBOX).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid
from mailbox import Maildir
from pathlib import Path
from zoneinfo import ZoneInfo

from coffeechat.config import load, render_example
from coffeechat.errors import UserError
from coffeechat.fileutil import write_atomically
from coffeechat.mail.base import Mailbox
from coffeechat.mail.maildir import MaildirMailbox
from coffeechat.resources import data_file
from coffeechat.store import Store

TIMEZONE = "America/New_York"
# Not alex@example.com: that is the example identity, which draft and schedule refuse.
ME_NAME, ME_EMAIL = "Alex Doe", "alex.doe@example.org"
# The seeds' "brief introduction of yourself": the demo's drafts show it in use.
ME_INTRO = "I am finishing a master's in human-computer interaction and exploring UX research."


class Season:
    """The demo's world: its folder, its pinned clock, its mailbox."""

    def __init__(self, root: Path, first_day: date, say: Callable[[str], None]) -> None:
        self.root = root
        self.first_day = first_day
        self.now = datetime.combine(first_day, time(9, 0), ZoneInfo(TIMEZONE))
        self.say = say
        self.config_path = root / "config.toml"
        self.maildir = root / "Mail"
        self.database = root / "coffeechat.db"
        self.calendar = root / "calendar"

    # ------------------------------------------------------------ setting up

    def write_config(self, mail_section: str | None = None) -> None:
        """The demo's own config; `mail_section` replaces [mail] (the IMAP journey test)."""
        text = render_example(
            {
                ("me", "name"): ME_NAME,
                ("me", "email"): ME_EMAIL,
                ("me", "timezone"): TIMEZONE,
                ("me", "intro"): ME_INTRO,
                ("mail", "backend"): "maildir",
                ("mail", "maildir"): str(self.maildir),
                ("paths", "database"): str(self.database),
                ("paths", "calendar_dir"): str(self.calendar),
            }
        )
        if mail_section is not None:
            start, end = text.index("[mail]"), text.index("[outreach]")
            text = text[:start] + mail_section.rstrip() + "\n\n" + text[end:]
        write_atomically(self.config_path, text)

    # ------------------------------------------------------------ time

    def day(self, number: int, hour: int = 9, minute: int = 0) -> None:
        """Move the clock to day `number` of the season (day 0 is the first), local time."""
        moment = time(hour, minute)
        self.now = datetime.combine(
            self.first_day + timedelta(days=number), moment, ZoneInfo(TIMEZONE)
        )
        self.say("")
        self.say(f"── Day {number}: {self.now:%A %d %B, %H:%M} " + "─" * 30)

    # ------------------------------------------------------------ the real commands

    def run(self, *args: str) -> None:
        from coffeechat.cli import main

        self.say("")
        self.say("$ coffeechat " + shlex.join(args))
        with _environment(
            COFFEECHAT_CONFIG=str(self.config_path), COFFEECHAT_NOW=self.now.isoformat()
        ):
            try:
                main.main(args=list(args), prog_name="coffeechat", standalone_mode=False)
            except SystemExit as stop:
                if stop.code not in (0, None):
                    raise UserError(
                        f"the demo stopped: `coffeechat {shlex.join(args)}` failed"
                    ) from None

    # ------------------------------------------------------------ the simulated world

    @contextmanager
    def mailbox(self) -> Iterator[Mailbox]:
        """The configured mailbox (the local Maildir, or IMAP in the journey test)."""
        from coffeechat.mail import open_mailbox

        with contextlib.closing(open_mailbox(load(self.config_path))) as box:
            yield box

    def send_drafts(self, *names: str) -> list[EmailMessage]:
        """Play the user's mail client: send each contact's newest draft.

        As a mail client does, the message goes to Sent and the draft leaves Drafts;
        otherwise the sent drafts would look unsent to anyone opening Drafts.
        """
        sent = []
        store = Store.open(self.database)
        try:
            with self.mailbox() as box:
                drafts = box.drafts_folder()
                for name in names:
                    contact = store.resolve(name)
                    draft = store.messages(contact.id, direction="draft")[-1]
                    message = _find(box, drafts, draft["message_id"])
                    del message["Date"]
                    message["Date"] = format_datetime(self.now)
                    box.append(box.sent_folder(), message.as_bytes(), flags=("\\Seen",))
                    sent.append(message)
            with self.mailbox() as box:
                for message in sent:
                    _discard(box, drafts, str(message["Message-ID"]))
        finally:
            store.close()
        self.say(
            f"(simulated) You review the drafts in your mail client and send them: "
            f"{', '.join(names)}."
        )
        return sent

    def deliver(self, message: EmailMessage | bytes, note: str) -> None:
        """Play a contact's mail server: a message arrives in INBOX."""
        raw = message if isinstance(message, bytes) else message.as_bytes()
        with self.mailbox() as box:
            box.append(box.inbox_folder(), raw)
        self.say(f"(simulated) {note}")

    def letter(
        self,
        sender: str,
        subject: str,
        body: str,
        *,
        reply_to: EmailMessage | None = None,
        **headers: str,
    ) -> EmailMessage:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = f"{ME_NAME} <{ME_EMAIL}>"
        message["Subject"] = subject
        message["Date"] = format_datetime(self.now)
        message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].rstrip(">"))
        if reply_to is not None:
            message["In-Reply-To"] = reply_to["Message-ID"]
            message["References"] = reply_to["Message-ID"]
        for name, value in headers.items():
            message[name.replace("_", "-")] = value
        message.set_content(body)
        return message


def bounce_for(season: Season, original: EmailMessage, address: str) -> bytes:
    """A Postfix-style delivery-status report (RFC 3464) for `address`."""
    boundary = "demo-report-boundary"
    quoted = "".join(
        f"{name}: {value}\n"
        for name, value in original.items()
        if name in ("From", "To", "Subject", "Message-ID", "Date")
    )
    return (
        "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n"
        f"To: {ME_EMAIL}\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        f"Date: {format_datetime(season.now)}\n"
        f"Message-ID: {make_msgid(domain='mx.example.net')}\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\n'
        "\n"
        f"--{boundary}\n"
        "Content-Type: text/plain; charset=us-ascii\n\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients.\n\n"
        f"<{address}>: host mx.umbrella.example said: 550 5.1.1 User unknown\n\n"
        f"--{boundary}\n"
        "Content-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.net\n\n"
        f"Final-Recipient: rfc822; {address}\n"
        "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n\n"
        f"--{boundary}\n"
        "Content-Type: text/rfc822-headers\n\n"
        f"{quoted}\n"
        f"--{boundary}--\n"
    ).encode()


def calendar_reply(season: Season, contact_name: str, contact_email: str) -> EmailMessage:
    """The contact's calendar app accepting the invitation: an iTIP REPLY (RFC 5546)."""
    from icalendar import Calendar

    uid, start = _meeting_of(season, contact_email)
    calendar = Calendar.from_ical(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example Calendar//EN\r\n"
        "METHOD:REPLY\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:{season.now.astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M%SZ}\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nSEQUENCE:0\r\n"
        f"ORGANIZER:mailto:{ME_EMAIL}\r\n"
        f"ATTENDEE;PARTSTAT=ACCEPTED;CN={contact_name}:mailto:{contact_email}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    message = season.letter(
        f"{contact_name} <{contact_email}>",
        f"Accepted: Informational interview: {contact_name}",
        f"{contact_name} has accepted this invitation.",
    )
    message.add_alternative(
        calendar.to_ical(), maintype="text", subtype="calendar", params={"method": "REPLY"}
    )
    return message


def _find(box: Mailbox, folder: str, message_id: str) -> EmailMessage:
    """A message in `folder` by its Message-ID, read whole."""
    import email

    for batch in box.fetch_headers(folder, 0):
        for fetched in batch:
            headers = email.message_from_bytes(fetched.headers, policy=default_policy)
            if headers["Message-ID"] == message_id:
                raw = box.fetch_parts(folder, [fetched.uid], "")[fetched.uid]
                message = email.message_from_bytes(raw, policy=default_policy)
                assert isinstance(message, EmailMessage)
                return message
    raise UserError(f"the demo lost its draft {message_id}")


def _discard(box: Mailbox, folder: str, message_id: str) -> None:
    """Play the mail client deleting a draft it has sent.

    Not through the Mailbox interface, which has no delete on purpose: coffeechat itself
    never removes mail. The demo's simulated client reaches under it instead: the files
    of its own throwaway Maildir, or the IMAP connection (the journey test's).
    """
    if isinstance(box, MaildirMailbox):
        drafts = Maildir(box.root, create=False).get_folder(folder)
        for key, message in drafts.items():
            if str(message["Message-ID"]).strip() == message_id:
                drafts.remove(key)
        return
    from coffeechat.mail.imap import ImapMailbox

    assert isinstance(box, ImapMailbox)
    client = box._client  # a fresh connection, closed right after: no state of its to keep
    client.select_folder(folder)
    uids = client.search(["HEADER", "Message-ID", message_id])
    if uids:
        client.delete_messages(uids)
        client.expunge()


def _meeting_of(season: Season, address: str) -> tuple[str, datetime]:
    store = Store.open(season.database)
    try:
        meeting = store.latest_meeting(store.resolve(address).id)
    finally:
        store.close()
    assert meeting is not None
    return meeting["uid"], datetime.fromisoformat(meeting["start"])


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def coffeechat_command(program: str, on_path: str | None, python: str) -> str:
    """How to run this coffeechat again from the user's shell, for the demo's closing hint.

    `program` is the running program (`sys.argv[0]`), `on_path` what `shutil.which`
    finds, `python` the running interpreter. The bare name only when PATH finds this very
    program: the README's quick start runs `.venv/bin/coffeechat demo`, after which a bare
    `coffeechat` is "command not found", or another install.
    """
    if Path(program).name == "__main__.py":  # `python -m coffeechat`
        return f"{shlex.quote(python)} -m coffeechat"
    if on_path is not None and os.path.realpath(on_path) == os.path.realpath(program):
        return "coffeechat"
    return shlex.quote(os.path.abspath(program))


def prepare_folder(directory: Path | None) -> Path:
    if directory is None:
        import tempfile

        return Path(tempfile.mkdtemp(prefix="coffeechat-demo-"))
    if directory.exists() and any(directory.iterdir()):
        raise UserError(
            f"{directory} is not empty; give `coffeechat demo --dir` a new or empty folder"
        )
    try:
        # The folder itself may be new, but not its parent: that is usually a typo.
        directory.mkdir(exist_ok=True)
    except FileNotFoundError as err:
        raise UserError(
            f"cannot create {directory}: the folder {directory.parent} does not exist; "
            "create it first, or check the spelling"
        ) from err
    return directory


def run_demo(
    directory: Path | None,
    say: Callable[[str], None],
    *,
    today: datetime,
    mail_section: str | None = None,
) -> Path:
    """Play the season; return the folder that holds its Maildir, calendar and database."""
    root = prepare_folder(directory)
    season = Season(root, today.astimezone(ZoneInfo(TIMEZONE)).date(), say)
    season.write_config(mail_section)
    if mail_section is None:
        MaildirMailbox.create(season.maildir, load(season.config_path).mail)
    Store.open(season.database).close()
    shutil.copyfile(data_file("demo-connections.csv"), root / "Connections.csv")
    say(f"A networking season in {root}: your config, database, Maildir and calendar.")
    play(season)
    return root


def play(s: Season) -> None:
    s.day(0)
    s.say("Identify people: you export your LinkedIn connections.")
    s.run("import", "linkedin", str(s.root / "Connections.csv"))
    s.run("list")
    s.say("")
    s.say("Arrange the interviews: one short, proofread email each.")
    s.run("draft", "outreach", "dana", "--dry-run")
    s.run("draft", "outreach", "dana", "marco", "ben", "carla")
    sent = {
        message["To"].addresses[0].username: message
        for message in s.send_drafts("dana", "marco", "ben", "carla")
    }
    s.run("watch", "--once")

    s.day(2, 8, 30)
    s.deliver(
        s.letter(
            "Dana Lee <dana.lee@acme.example>",
            "Re: " + sent["dana.lee"]["Subject"],
            "Hi Alex,\n\nHappy to talk. Thursday morning works for me.\n\nDana\n",
            reply_to=sent["dana.lee"],
        ),
        "Dana replies.",
    )
    s.deliver(
        s.letter(
            "Marco Rossi <marco.rossi@globex.example>",
            "Automatic reply: " + sent["marco.rossi"]["Subject"],
            f"I am out of the office until {(s.now + timedelta(days=7)):%B %d, %Y} "
            "with limited access to email.\n",
            reply_to=sent["marco.rossi"],
            Auto_Submitted="auto-replied",
        ),
        "Marco's out-of-office answers.",
    )
    s.deliver(
        bounce_for(s, sent["ben.okafor"], "ben.okafor@umbrella.example"), "Ben's address bounces."
    )
    s.deliver(
        s.letter(
            "Carla Moreau <carla.moreau@hooli.example>",
            "Re: " + sent["carla.moreau"]["Subject"],
            "Hi Alex,\n\nThank you for writing. I'm afraid this quarter is too busy "
            "for me. Good luck!\n\nCarla\n",
            reply_to=sent["carla.moreau"],
        ),
        "Carla replies.",
    )
    s.run("watch", "--once")
    s.say("")
    s.say("Carla said no, kindly: you record it.")
    s.run("stage", "carla", "declined")

    s.say("")
    s.say("Prepare, and put the meeting in both calendars.")
    s.run("show", "dana", "--prep")
    meeting = s.now + timedelta(days=2)
    s.run(
        "schedule",
        "dana",
        f"{meeting:%Y-%m-%d} 10:30",
        "--location",
        "Blue Bottle Coffee, 3rd Street",
        "--invite",
    )
    s.send_drafts("dana")

    s.day(3, 7, 45)
    s.deliver(
        calendar_reply(s, "Dana Lee", "dana.lee@acme.example"),
        "Dana accepts the invitation in her calendar.",
    )
    s.run("watch", "--once")

    s.day(4, 11, 30)
    s.say("Conduct the interview, then follow up within 48 hours.")
    s.run(
        "met",
        "dana",
        "--notes",
        "Read 'Just Enough Research' first. Her team is hiring in spring.",
        "--advice",
        "Research ops is the best entry point.",
        "--referral",
        "Sam Roe <sam.roe@acme.example>",
    )
    s.run("draft", "thank-you", "dana")
    s.send_drafts("dana")
    s.run("watch", "--once")
    s.say("")
    s.say("Follow the referral: Sam's outreach names Dana.")
    s.run("draft", "outreach", "sam", "--dry-run")
    s.run("draft", "outreach", "sam")

    s.day(10)
    s.run("agenda")
    s.run("draft", "follow-up", "marco")
    s.send_drafts("marco")
    s.run("watch", "--once")

    s.day(18)
    s.say("No answer to the one polite follow-up: Marco goes quiet.")
    s.run("watch", "--once")

    s.day(96)
    s.say("Stay in touch every few months.")
    s.run("agenda")
    s.say("Tell Dana what came of her advice; your meeting notes stay private.")
    s.run(
        "draft",
        "check-in",
        "dana",
        "--update",
        'I read "Just Enough Research" first, as you suggested, and I now help run '
        "research operations for a design team at my university.",
    )
    s.send_drafts("dana")
    s.run("watch", "--once")

    s.day(97)
    s.run("report")
    s.run("export", "csv", str(s.root / "contacts.csv"))
    s.run("export", "ics")
