"""The question bank: what to ask in an informational interview, by topic."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from coffeechat.errors import ConfigError, UserError
from coffeechat.models import Contact
from coffeechat.resources import data_file
from coffeechat.store import Store
from coffeechat.store.core import NOTE_KINDS
from coffeechat.text import did_you_mean


@dataclass(frozen=True)
class Topic:
    key: str
    title: str
    questions: tuple[str, ...]


def load_bank(user_file: Path | None = None) -> list[Topic]:
    """The packaged questions, with the user's own appended topic by topic."""
    topics = _read(data_file("questions.toml"))
    if user_file is None:
        return topics
    if not user_file.is_file():
        raise ConfigError(
            f'{user_file}: paths.questions names no such file; fix the path or set it to ""'
        )
    by_key = {topic.key: topic for topic in topics}
    for extra in _read(user_file):
        if extra.key in by_key:
            base = by_key[extra.key]
            by_key[extra.key] = Topic(base.key, base.title, base.questions + extra.questions)
        else:
            by_key[extra.key] = extra
    return list(by_key.values())


def _read(path: Path) -> list[Topic]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: cannot read the questions: {err}") from err
    topics = []
    for key, table in raw.items():
        questions = table.get("questions") if isinstance(table, dict) else None
        if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
            raise ConfigError(f"{path}: {key}.questions: expected a list of strings")
        topics.append(Topic(key, str(table.get("title", key)), tuple(questions)))
    return topics


def select(bank: list[Topic], topic: str | None) -> list[Topic]:
    if topic is None:
        return bank
    chosen = [t for t in bank if topic.lower() in (t.key, t.title.lower())]
    if not chosen:
        chosen = [t for t in bank if topic.lower() in t.key or topic.lower() in t.title.lower()]
    if not chosen:
        fix = did_you_mean(topic, [t.key for t in bank])
        raise UserError(f"no question topic {topic!r}; {fix}")
    return chosen


def preparation_questions(bank: list[Topic], per_topic: int = 2) -> list[str]:
    """A short list for one meeting: the first questions of each topic (15-30 minutes)."""
    return [q for topic in bank for q in topic.questions[:per_topic]]


def preparation_sheet(
    store: Store, contact: Contact, bank: list[Topic], *, intro: str = "", tz: tzinfo | None = None
) -> str:
    """One page to read before the conversation (the seeds' "Prepare for the interview").

    `intro` is the user's `me.intro`: the seeds ask for "a brief introduction of yourself",
    so the sheet shows the one the drafts use, or where to write it.
    """
    lines = [f"Preparing to meet {contact.name}"]
    role = ", ".join(part for part in (contact.role, contact.company) if part)
    if role:
        lines.append(f"  {role}")
    if contact.email:
        lines.append(f"  {contact.email}")
    if contact.linkedin_url:
        lines.append(f"  {contact.linkedin_url}")
    lines.append("")
    if contact.referred_by:
        referrer = store.get(contact.referred_by)
        lines.append(f"Referred by {referrer.name}: mention them, and thank them afterwards.")
    elif contact.how_met:
        lines.append(f"How you know them: {contact.how_met}")
    meeting = store.latest_meeting(contact.id)
    if meeting:
        where = f" at {meeting['location']}" if meeting["location"] else ""
        # In the user's zone (me.timezone), not the machine's: a laptop set to UTC said
        # "14:30 UTC" for a meeting the calendar and `show` call 15:30 CET.
        start = datetime.fromisoformat(meeting["start"]).astimezone(tz)
        lines.append(f"Meeting: {start:%a %Y-%m-%d %H:%M %Z}{where}")
    notes = [e.detail for e in store.events(contact.id) if e.kind in NOTE_KINDS]
    if notes:
        lines += ["", "Your notes:"] + [f"  - {note}" for note in notes]
    lines += [
        "",
        "Open with a short introduction of yourself and what you hope to learn;",
        "say you are looking for information and advice, not a job; keep to the time.",
    ]
    intro = " ".join(intro.split())
    if intro:
        lines.append(f"Your introduction: {intro}")
    else:
        lines.append("(Write yours once: set me.intro in your config; the outreach uses it too.)")
    lines += ["", "Questions:"]
    for topic in bank:
        lines.append(f"  {topic.title}")
        lines += [f"    - {question}" for question in topic.questions[:2]]
    # The thank-you promises each referral "I will ... mention that you sent me": the seeds
    # ask leave first ("When I call him/her, may I use your name?").
    lines += [
        "",
        "Before you leave: who else should I talk to, and may I mention your name? "
        "May I follow up later?",
    ]
    return "\n".join(lines)
