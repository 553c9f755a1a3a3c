"""Commands for the meeting and after: schedule, agenda, met, report, questions, demo."""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from coffeechat.cli import App, _refresh_feed, json_option, main, pass_app

if TYPE_CHECKING:
    from coffeechat.calendar import MeetingSpec
    from coffeechat.mail.base import Mailbox
    from coffeechat.models import Contact
    from coffeechat.scheduling import Held, Scheduled

# ---------------------------------------------------------------- calendar


@main.command()
@click.argument("who")
@click.argument("when", required=False)
@click.option(
    "--minutes", type=click.IntRange(min=1), help="Length (default outreach.meeting_minutes)."
)
@click.option(
    "--location",
    metavar="L",
    help='A place, or a video-call link; --location "" clears it (left out: kept).',
)
@click.option(
    "--invite",
    is_flag=True,
    help="Also draft an invitation email (METHOD:REQUEST); with --cancel, draft the "
    "cancellation even if coffeechat drafted no invitation.",
)
@click.option(
    "--cancel",
    is_flag=True,
    help="Cancel the meeting (and draft the METHOD:CANCEL if an invitation was drafted).",
)
@click.option("--force", is_flag=True, help="Write the email even with proofreading errors.")
@pass_app
def schedule(
    app: App,
    who: str,
    when: str | None,
    minutes: int | None,
    location: str | None,
    invite: bool,
    cancel: bool,
    force: bool,
) -> None:
    """Schedule (or move, or cancel) a meeting: an .ics file with an alarm.

    WHEN is read in your time zone: "tomorrow 3pm", "next tuesday 10:30", "3 dec 15:00",
    or YYYY-MM-DD HH:MM. A numeric date that reads both ways ("12/01") is refused: write
    it year first, or name the month.
    Scheduling again updates the same event (same UID; a new time or place raises
    its SEQUENCE) and, if the contact was invited, drafts the updated invitation.

    Example: coffeechat schedule dana "next tuesday 10:30" --location "Blue Bottle" --invite
    """
    from coffeechat import scheduling
    from coffeechat.calendar import parse_when, show
    from coffeechat.clock import now
    from coffeechat.config import require_identity
    from coffeechat.output import say

    if not cancel and not when:
        raise click.UsageError("WHEN is required (unless --cancel)")
    if cancel and when:  # silently ignoring WHEN would leave the user thinking it moved
        raise click.UsageError(
            "WHEN and --cancel do not go together: leave out --cancel to move the meeting, "
            "or WHEN to cancel it"
        )
    store, config = app.store, app.config
    require_identity(config)  # before logging in: the .ics names the user as ORGANIZER
    contact = store.resolve(who)
    moment = now(config)
    start = parse_when(when, config.tz, moment) if when else None
    if invite:  # the address first: no point logging in to draft to nobody
        scheduling.check_recipient(contact, cancel=cancel)
    if cancel:
        notify = scheduling.was_invited(store.latest_meeting(contact.id))
    else:
        assert start is not None
        notify = scheduling.sends_update(
            store, config, contact, start, minutes=minutes, location=location
        )
    mailbox = None
    if invite or notify:
        from coffeechat.mail import open_mailbox

        # Open it (log in, find Drafts) before anything is saved: a mailbox that cannot
        # take the draft stops the command while nothing has changed yet.
        mailbox = open_mailbox(config)
    with contextlib.ExitStack() as stack:
        if mailbox is not None:
            stack.callback(mailbox.close)
            mailbox.drafts_folder()
        if cancel:
            result = scheduling.cancel(
                store, config, contact, invite=invite, force=force, now=moment
            )
            say(f"Cancelled the meeting with {contact.name} on {show(result.spec.start)}.")
        else:
            assert start is not None
            result = scheduling.schedule(
                store,
                config,
                contact,
                start,
                minutes=minutes,
                location=location,
                invite=invite,
                force=force,
                now=moment,
            )
            where = result.spec.location
            place = f", at {where}" if "location" in result.changes and where else ""
            say(
                f"{_schedule_verb(result)}: {result.spec.summary}, {show(result.spec.start)}, "
                f"{result.spec.minutes} minutes{place}."
            )
            _warn_if_long(result.spec.minutes)
        say(f"Calendar file: {result.path}")
        if result.no_draft_reason:
            say(result.no_draft_reason)
        if result.draft is not None:
            assert mailbox is not None
            _write_meeting_draft(app, mailbox, result, moment)
    _refresh_feed(app)
    if cancel:
        say(f"Next: `coffeechat schedule {contact.id} WHEN` when you agree on another time.")
    else:
        say(
            "Next: `coffeechat agenda`; after the conversation, `coffeechat met "
            f"{contact.id} --notes ... --advice ...`."
        )


def _warn_if_long(minutes: int) -> None:
    """An informational interview asks for 15-30 minutes of a busy person's time: a
    longer meeting is allowed (they may offer it) but said, as the proofreader says it."""
    from coffeechat.output import warn
    from coffeechat.proofread.etiquette import LONGEST_ASK

    if minutes > LONGEST_ASK:
        warn(
            f"{minutes} minutes is long for an informational interview; ask for 15-"
            f"{LONGEST_ASK} minutes unless they offered more (--minutes)"
        )


def _schedule_verb(result: Scheduled) -> str:
    """Say what `schedule` did: a new meeting, or which of its time and place changed."""
    if not result.rescheduled:
        return "Scheduled"
    place = "new location" if result.spec.location else "location cleared"
    return {
        (): "Nothing changed",
        ("time",): "Moved",
        ("location",): place.capitalize(),
        ("time", "location"): f"Moved, {place}",
    }[result.changes]


def _write_meeting_draft(app: App, mailbox: Mailbox, result: Scheduled, moment: datetime) -> None:
    """Append the invitation or cancellation to Drafts, after the meeting is saved."""
    from coffeechat import scheduling
    from coffeechat.drafting import write_drafts
    from coffeechat.errors import UserError
    from coffeechat.output import say, warn
    from coffeechat.proofread import format_finding

    assert result.draft is not None
    cancelled = result.spec.status == "CANCELLED"
    label = "Updated invitation" if result.update else "Invitation"
    if cancelled:
        label = "Cancellation"
    unsent = scheduling.unsent_invitation(app.store, result.spec.uid)
    for finding in result.draft.findings:
        say(format_finding(result.draft.label, finding))
    try:
        [outcome] = write_drafts(app.store, mailbox, [result.draft], now=moment)
    except UserError as err:
        # Every check passed and the meeting is saved; only the mail server failed.
        if cancelled:
            raise UserError(
                f"the meeting is cancelled, but the cancellation draft was not written: "
                f"{err}; tell {result.contact.name} yourself"
            ) from err
        raise UserError(
            f"the meeting is saved, but the invitation draft was not written: {err}; once "
            f"the mailbox works, run `coffeechat schedule {result.contact.id} "
            f'"{result.spec.start:%Y-%m-%d %H:%M}" --invite`'
        ) from err
    scheduling.invited(app.store, result, outcome.message_id)
    say(f"{label} draft written to {outcome.folder}: open your mail client to send it.")
    if unsent and cancelled:
        warn(
            f"the invitation to {result.contact.name} is still in Drafts, unsent: delete it "
            f"and this cancellation, and nothing needs to go out"
        )
    elif unsent:
        warn(
            f"the earlier invitation to {result.contact.name} is still in Drafts, unsent: "
            f"delete it, so that only this one goes out"
        )


@main.command()
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=14,
    show_default=True,
    help="Show what is due within this many days (overdue always shows).",
)
@json_option
@pass_app
def agenda(app: App, days: int, as_json: bool) -> None:
    """What is due, each with the command that does it.

    Answers to replies, referrals to write to, unsent drafts, follow-ups, meetings,
    thank-yous and check-ins.

    Example: coffeechat agenda --days 30
    """
    from coffeechat.agenda import DEADLINES, agenda_rows, due_actions, due_label
    from coffeechat.clock import now
    from coffeechat.output import print_json, say

    store, config = app.store, app.config
    moment = now(config)
    rows = agenda_rows(due_actions(store, config, moment), moment, days)
    if as_json:
        print_json(
            [
                {
                    "kind": a.kind,
                    "contact_id": a.contact_id,
                    "name": a.contact_name,
                    "due": a.due.isoformat(),
                    "command": a.command,
                    "detail": a.detail,
                }
                for a in rows
            ]
        )
        return
    if not rows:
        say(f"Nothing due in the next {days} days.")
        return
    for action in rows:
        when = due_label(action.due, moment, deadline=action.kind in DEADLINES)
        say(f"{when:<22} {action.kind:<12} {action.contact_name}")
        say(f"{'':<22} {action.detail}", style="dim")  # why it is due, in a few words
        say(f"{'':<22} {action.command}", style="cyan")


# ---------------------------------------------------------------- the meeting and after


@main.command()
@click.argument("who")
@click.option(
    "--notes", default="", metavar="TEXT", help="What you learned: private, never in an email."
)
@click.option(
    "--advice",
    default="",
    metavar="TEXT",
    help="One piece of their advice, in a sentence: the thank-you and the check-in quote it.",
)
@click.option(
    "--referral",
    "referrals",
    multiple=True,
    metavar='"Name <email>"',
    help="Someone they suggested you talk to (repeatable); the name alone when you have no "
    "address yet.",
)
@click.option(
    "--when",
    metavar="WHEN",
    help="When you met, not in the future (default: now); a planned meeting moves there.",
)
@pass_app
def met(
    app: App, who: str, notes: str, advice: str, referrals: tuple[str, ...], when: str | None
) -> None:
    """Record a conversation: notes, their advice, and the people they referred you to.

    Your --notes stay private; the --advice is what the thank-you and the check-in quote
    back to them ("I plan to follow your advice: ...").

    With --when, a meeting you had scheduled takes that time (keeping its length), so
    its calendar file, the export and the check-in clock say when you really met.

    A referral known only by name is added without an address (or linked to the one
    contact with that whole name); add the address later with `coffeechat edit`.

    Example: coffeechat met dana --notes "Loves design systems" --advice "Learn SQL first."
    --referral "Sam Roe <sam@x.org>"
    """
    from coffeechat.clock import now
    from coffeechat.journey import parse_referral, record_meeting, refuse_before_meeting
    from coffeechat.output import say

    store, config = app.store, app.config
    contact = store.resolve(who)
    parsed = [parse_referral(text) for text in referrals]
    moment = now(config)
    if when:
        from coffeechat.calendar import parse_when

        # A meeting you record has happened: a future time would count it as held early.
        moment = parse_when(when, config.tz, moment, allow_past=True, allow_future=False)
    else:
        refuse_before_meeting(store, contact, moment, config.tz)
    record = record_meeting(
        store,
        contact,
        when=moment,
        notes=notes,
        advice=advice,
        referrals=parsed,
        config=config if when else None,
    )
    say(f"{record.contact.name} is now {record.contact.stage.value}.")
    if record.moved is not None:
        _say_moved(app, record.contact, *record.moved)
    by = record.contact.name
    for person, line in (
        *((new, f"Added {new.name} (id {new.id}), referred by {by}") for new in record.added),
        *((old, f"Linked {old.name} (id {old.id}) as referred by {by}") for old in record.linked),
    ):
        if person.email:
            say(f"{line}.")
        else:  # a referral given by name only: `draft` waits for the address
            say(f"{line}; no email address yet.")
            say(f"  Once you have it: `coffeechat edit {person.id} --email ADDRESS`.")
    hours = config.outreach.thank_you_within_hours
    say(f"Next: `coffeechat draft thank-you {record.contact.id}` (within {hours} hours).")
    _refresh_feed(app)


def _say_moved(app: App, contact: Contact, held: Held, spec: MeetingSpec, path: Path) -> None:
    """What `met --when` did to the planned meeting, and what it did not do."""
    from coffeechat.calendar import show
    from coffeechat.clock import now
    from coffeechat.output import say, warn
    from coffeechat.scheduling import unsent_invitation

    say(
        f"Moved the meeting to when you met, {show(spec.start)} "
        f"(it was planned for {show(held.planned)})."
    )
    say(f"Calendar file: {path}")
    if held.planned > now(app.config):
        # The contact is `met` now, so `schedule` makes a new meeting, not a move of this one.
        say(
            f"If you still meet on {show(held.planned)} too, that is another meeting: run "
            f'`coffeechat schedule {contact.id} "{held.planned:%Y-%m-%d %H:%M}"`.'
        )
    if unsent_invitation(app.store, spec.uid):
        warn(
            f"the invitation to {contact.name} is still in Drafts, unsent: delete it, the "
            f"meeting has been held"
        )
    elif held.invited:
        # Nothing is drafted: an update for a meeting that is over would only confuse.
        say(
            f"{contact.name}'s calendar still shows the invitation for {show(held.planned)}: "
            f"no update is drafted for a meeting that is over."
        )


@main.command()
@json_option
@pass_app
def report(app: App, as_json: bool) -> None:
    """The funnel (contacts per stage, reply rate, time to reply, thank-yous on time), the
    referrals gained and written to, and who introduced whom.

    Example: coffeechat report --json
    """
    from coffeechat.output import print_json
    from coffeechat.report import build_report, print_report, report_json

    result, forest = build_report(app.store, app.config.outreach.thank_you_within_hours)
    if as_json:
        print_json(report_json(result, forest))
    else:
        print_report(result, forest)


@main.command()
@click.option(
    "--topic", metavar="T", help="work, preparation, organization, industry, advice, next-contacts."
)
@pass_app
def questions(app: App, topic: str | None) -> None:
    """Questions to prepare for an informational interview, by topic.

    Add your own in a TOML file named by paths.questions.

    Example: coffeechat questions --topic advice
    """
    from coffeechat.errors import UserError
    from coffeechat.output import say
    from coffeechat.questions import load_bank, select

    config = app.config_if_present  # the packaged bank needs no config
    user_file = config.questions_path if config else None
    bank = load_bank(user_file)
    try:
        chosen_topics = select(bank, topic)
    except UserError as err:  # no such topic: a bad value, named as click names its own
        raise click.BadParameter(str(err), param_hint="'--topic'") from None
    for chosen in chosen_topics:
        say(f"{chosen.title} ({chosen.key})", style="bold")
        for question in chosen.questions:
            say(f"  - {question}")
        say()


# ---------------------------------------------------------------- the demo


@main.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to put the demo (a new or empty folder; default: a temp folder).",
)
def demo(directory: Path | None) -> None:
    """Play a whole networking season on a throwaway Maildir, with no server and no prompt.

    Imports a LinkedIn export, drafts proofread outreach, simulates your sending and your
    contacts' replies, an out-of-office and a bounce, schedules a meeting with an
    invitation, records it with a referral, thanks, follows up and checks in. Your own
    config and database are not touched.

    Example: coffeechat demo --dir /tmp/coffeechat-demo
    """
    import shlex
    import shutil
    import sys
    from datetime import datetime

    from coffeechat.demo import coffeechat_command, run_demo
    from coffeechat.output import say

    root = run_demo(directory, say, today=datetime.now().astimezone())
    say("")
    say("Everything the demo made is yours to explore:", style="bold")
    mail = root / "Mail"
    say(f"  mail       {mail}   (a Maildir: open a folder with `mutt -f` or `neomutt -f`)")
    # Maildir++ keeps Drafts and Sent in dot-folders; `mutt -f Mail` alone shows only INBOX.
    folders = {
        mail / ".Drafts": "Drafts: Sam's outreach, not sent yet",
        mail / ".Sent": "Sent: what you sent, proofread",
        mail: "INBOX: the replies, an out-of-office, a bounce",
    }
    width = max(len(str(path)) for path in folders)
    for path, what in folders.items():
        say(f"               mutt -f {str(path).ljust(width)}   {what}")
    say(f"  calendar   {root / 'calendar'}   (.ics files: open or import in any calendar)")
    say(f"  contacts   {root / 'contacts.csv'}   (the spreadsheet)")
    say(f"  config     {root / 'config.toml'}")
    command = coffeechat_command(sys.argv[0], shutil.which("coffeechat"), sys.executable)
    config = shlex.quote(str(root / "config.toml"))
    say(f"Try: COFFEECHAT_CONFIG={config} {command} list")
    say("Start for real with `coffeechat init`.")
