"""Realistic test data for the benchmarks, made fast.

The mailbox is written as Maildir files straight into the user's folder under the
Dovecot mail dir, before Dovecot has indexed it: 50,000 files take a few seconds, where
50,000 APPENDs would take minutes. Dovecot then indexes them on the first SELECT, as it
would after a migration from another server.

The mail is mostly what fills a real inbox (newsletters, colleagues' threads,
notifications, receipts) and about 1 % from the contacts in the database: threaded and
unthreaded replies, and out-of-office answers, so the scan exercises every path the
tracker takes on a real mailbox, including the extra FETCH of a whole auto-reply.
"""

from __future__ import annotations

import csv
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from coffeechat.models import NewContact
from coffeechat.pipeline import Stage
from coffeechat.store import Store, fold

ME_NAME = "Alex Doe"
ME_EMAIL = "alex.doe@example.org"  # not the example identity, which watch refuses
OUTREACH_SUBJECT = "Coffee chat about your work at {company}?"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST = _words(
    "Jane Carla Ben Samir Dieter Aiko Maria Tomás Olu Priya Noah Elena Kwame Lena Mateo "
    "Yuki Fatima Lars Ines Omar Hana Diego Zara Felix Amara Jonas Mei Ravi Sofia Kenji "
    "Leila Pavel Nora Emeka Chloe Arjun Greta Malik Rosa Ivan"
)
LAST = _words(
    "Rivera Okafor Lindqvist Haddad Schmidt Tanaka Rossi Nunez Adeyemi Sharma Cohen "
    "Petrova Mensah Fischer Garcia Sato Rahman Berg Moreau Aziz Kim Lopez Novak Weber "
    "Diallo Jensen Chen Patel Costa Mori Farah Horvat Walsh Eze Martin Iyer Larsen Bakr "
    "Silva Volkov"
)
COMPANIES = (
    "Acme Analytics",
    "Northwind Labs",
    "Globex Health",
    "Initech",
    "Umbrella Robotics",
    "Stark Logistics",
    "Wayne Energy",
    "Hooli Cloud",
    "Pied Piper",
    "Vandelay Imports",
    "Soylent Foods",
    "Cyberdyne Systems",
    "Tyrell Design",
    "Wonka Industries",
    "Aperture Lab",
)
ROLES = (
    "Product Manager",
    "UX Researcher",
    "Data Scientist",
    "Staff Engineer",
    "Design Lead",
    "Engineering Manager",
    "Policy Analyst",
    "Program Director",
    "Consultant",
    "Founder",
)
NEWSLETTERS = (
    ("The Weekly Brief", "news@brief.example.net", "brief.example.net"),
    ("Product Digest", "digest@productdigest.example.org", "productdigest.example.org"),
    ("City Events", "hello@cityevents.example.com", "cityevents.example.com"),
    ("Alumni Network", "alumni@university.example.edu", "university.example.edu"),
    ("Data Elixir", "team@dataelixir.example.com", "dataelixir.example.com"),
)
NOTIFIERS = (
    ("GitHub", "notifications@github.example.com", "Re: [acme/api] Fix pagination (#{n})"),
    ("Jira", "jira@acme.atlassian.example.net", "[JIRA] (OPS-{n}) Rotate the staging keys"),
    ("Calendar", "calendar-notification@google.example.com", "Updated invitation: Standup #{n}"),
    ("Bank", "alerts@bank.example.com", "Your statement {n} is ready"),
)
COLLEAGUE_TOPICS = (
    "Q3 planning",
    "Offsite agenda",
    "Hiring loop for the data role",
    "Budget review",
    "Design crit notes",
    "Customer escalation",
    "Roadmap draft v{n}",
    "Lunch on Friday?",
)
PARAGRAPH = (
    "Thanks for the update. I had a look at the numbers and they mostly line up with what "
    "we discussed last week; the one open question is how we account for the pilot "
    "customers, who were billed on the old plan until the end of the quarter. "
)
REPLY_BODY = (
    "Hi Alex,\n\nThanks for reaching out, and for mentioning {referrer}. I would be glad to "
    "talk about how I got into this field. Would Tuesday or Thursday afternoon work for a "
    "twenty-minute call?\n\nBest,\n{name}\n"
)
AUTO_REPLY_BODY = (
    "I am out of the office until {back} with limited access to email. For anything "
    "urgent, please contact my colleague.\n"
)


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    company: str
    role: str

    @property
    def outreach_id(self) -> str:
        """The Message-ID of the outreach the user sent this contact (known to the db)."""
        local = self.email.split("@")[0]
        return f"<outreach.{local}@example.com>"


def names(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """`count` (first, last) pairs, distinct while there are enough combinations.

    A middle initial multiplies the combinations (40 x 26 x 40), so 30,000 people are not
    mostly namesakes, which real address books are not either.
    """
    combos = len(FIRST) * 26 * len(LAST)
    picks = (
        rng.sample(range(combos), count)
        if count <= combos
        else [rng.randrange(combos) for _ in range(count)]
    )
    found = []
    for pick in picks:
        first, rest = FIRST[pick % len(FIRST)], pick // len(FIRST)
        initial, last = chr(ord("A") + rest % 26), LAST[rest // 26]
        found.append((f"{first} {initial}.", last))
    return found


def people(count: int, *, seed: int, domain_prefix: str = "") -> list[Person]:
    """`count` distinct people with plausible names, companies and unique addresses."""
    rng = random.Random(seed)
    found = []
    for index, (first, last) in enumerate(names(count, rng)):
        company = rng.choice(COMPANIES)
        domain = domain_prefix + company.lower().replace(" ", "") + ".example.com"
        local = fold(f"{first}{last}").replace(" ", ".")  # ASCII: what most servers take
        email = f"{local}.{index}@{domain}"
        found.append(Person(f"{first} {last}", email, company, rng.choice(ROLES)))
    return found


@dataclass(frozen=True)
class Seeded:
    raw: bytes
    at: datetime
    kind: str  # newsletter | colleague | notification | receipt | reply | auto-reply


def _headers(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"{name}: {value}\n" for name, value in pairs)


def _transport(rng: random.Random, at: datetime, domain: str) -> list[tuple[str, str]]:
    """The headers a real message carries that a scan never asks for (Dovecot skips them)."""
    hops = []
    for hop in range(3):
        moment = format_datetime(at - timedelta(seconds=hop * 2))
        hops.append(
            (
                "Received",
                f"from mx{hop}.{domain} (mx{hop}.{domain} [192.0.2.{rng.randint(1, 254)}])\n"
                f"\tby mail.example.com (Postfix) with ESMTPS id {rng.getrandbits(40):X}\n"
                f"\tfor <{ME_EMAIL}>; {moment}",
            )
        )
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789"
    signature = "".join(rng.choice(alphabet) for _ in range(340))
    hops.append(
        (
            "DKIM-Signature",
            f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=s1;\n"
            "\th=from:to:subject:date:message-id;\n"
            "\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\n"
            f"\tb={signature[:70]}\n\t {signature[70:140]}\n\t {signature[140:]}",
        )
    )
    return hops


def _plain(pairs: list[tuple[str, str]], body: str) -> bytes:
    pairs += [
        ("MIME-Version", "1.0"),
        ("Content-Type", 'text/plain; charset="utf-8"'),
        ("Content-Transfer-Encoding", "8bit"),
    ]
    return (_headers(pairs) + "\n" + body).encode()


def _alternative(pairs: list[tuple[str, str]], text: str, boundary: str) -> bytes:
    paragraphs = "".join(f"<p>{line}</p>" for line in text.split("\n\n"))
    html = f"<html><body>{paragraphs}</body></html>"
    pairs += [
        ("MIME-Version", "1.0"),
        ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
    ]
    body = (
        f"--{boundary}\nContent-Type: text/plain; charset=utf-8\n\n{text}\n"
        f"--{boundary}\nContent-Type: text/html; charset=utf-8\n\n{html}\n--{boundary}--\n"
    )
    return (_headers(pairs) + "\n" + body).encode()


def inbox_messages(
    size: int, contacts: list[Person], *, now: datetime, seed: int
) -> Iterator[Seeded]:
    """`size` messages, oldest first, spread over the last 300 days.

    About 1 % come from `contacts` (two thirds threaded under their outreach, the rest
    unthreaded or out-of-office answers); the rest is the everyday mail around them.
    """
    rng = random.Random(seed)
    colleagues = people(25, seed=seed + 1, domain_prefix="work-")
    threads: dict[str, list[str]] = {}
    start = now - timedelta(days=300)
    step = timedelta(days=300) / max(size, 1)
    for index in range(size):
        at = (start + step * index).replace(microsecond=0)
        date = format_datetime(at)
        message_id = f"<{index}.{rng.getrandbits(48):x}@mail.bench.example>"
        roll = rng.random()
        if contacts and roll < 0.01:
            contact = rng.choice(contacts)
            yield _from_contact(rng, contact, at, date, message_id)
            continue
        if roll < 0.36:
            title, sender, domain = rng.choice(NEWSLETTERS)
            pairs = [
                ("From", f'"{title}" <{sender}>'),
                ("To", ME_EMAIL),
                ("Date", date),
                ("Message-ID", message_id),
                ("Subject", f"{title} #{index}: this week"),
                ("List-Id", f"<{title.lower().replace(' ', '-')}.{domain}>"),
                ("List-Unsubscribe", f"<https://{domain}/unsubscribe?u={index}>"),
                ("Precedence", "bulk"),
            ]
            text = (PARAGRAPH * rng.randint(2, 6)).strip()
            raw = _alternative(_transport(rng, at, domain) + pairs, text, f"b{index}")
            yield Seeded(raw, at, "newsletter")
        elif roll < 0.76:
            colleague = rng.choice(colleagues)
            topic = rng.choice(COLLEAGUE_TOPICS).format(n=rng.randint(1, 9))
            chain = threads.setdefault(topic, [])
            pairs = [
                ("From", f"{colleague.name} <{colleague.email}>"),
                ("To", ME_EMAIL),
                ("Cc", ", ".join(p.email for p in rng.sample(colleagues, 2))),
                ("Date", date),
                ("Message-ID", message_id),
                ("Subject", ("Re: " if chain else "") + topic),
            ]
            if chain:
                pairs += [("In-Reply-To", chain[-1]), ("References", " ".join(chain[-10:]))]
            chain.append(message_id)
            body = f"Hi Alex,\n\n{PARAGRAPH * rng.randint(1, 3)}\n\n{colleague.name}\n"
            yield Seeded(
                _plain(_transport(rng, at, "work.example.com") + pairs, body), at, "colleague"
            )
        elif roll < 0.94:
            name, sender, subject = rng.choice(NOTIFIERS)
            pairs = [
                ("From", f"{name} <{sender}>"),
                ("To", ME_EMAIL),
                ("Date", date),
                ("Message-ID", message_id),
                ("Subject", subject.format(n=rng.randint(100, 9999))),
                ("Auto-Submitted", "auto-generated"),
                ("X-Auto-Response-Suppress", "All"),
            ]
            yield Seeded(
                _plain(_transport(rng, at, sender.split("@")[1]) + pairs, PARAGRAPH.strip() + "\n"),
                at,
                "notification",
            )
        else:
            pairs = [
                ("From", "Orders <orders@shop.example.com>"),
                ("To", ME_EMAIL),
                ("Date", date),
                ("Message-ID", message_id),
                ("Subject", f"Your order {rng.randint(10**6, 10**7)} has shipped"),
            ]
            yield Seeded(
                _plain(
                    _transport(rng, at, "shop.example.com") + pairs, "Your parcel is on its way.\n"
                ),
                at,
                "receipt",
            )


def _from_contact(
    rng: random.Random, contact: Person, at: datetime, date: str, message_id: str
) -> Seeded:
    sender = f"{contact.name} <{contact.email}>"
    subject = "Re: " + OUTREACH_SUBJECT.format(company=contact.company)
    roll = rng.random()
    pairs = [
        ("From", sender),
        ("To", f"{ME_NAME} <{ME_EMAIL}>"),
        ("Date", date),
        ("Message-ID", message_id),
    ]
    if roll < 0.15:
        back = (at + timedelta(days=7)).strftime("%B %d, %Y")
        pairs += [
            ("Subject", f"Out of office: {subject[4:]}"),
            ("Auto-Submitted", "auto-replied"),
            ("X-Autoreply", "yes"),
            ("In-Reply-To", contact.outreach_id),
        ]
        return Seeded(_plain(pairs, AUTO_REPLY_BODY.format(back=back)), at, "auto-reply")
    pairs.append(("Subject", subject))
    if roll < 0.8:
        pairs += [("In-Reply-To", contact.outreach_id), ("References", contact.outreach_id)]
    body = REPLY_BODY.format(referrer="Sam", name=contact.name.split()[0])
    return Seeded(
        _plain(_transport(rng, at, contact.email.split("@")[1]) + pairs, body), at, "reply"
    )


def reply_message(contact: Person, *, at: datetime, serial: int) -> bytes:
    """A threaded reply from `contact` to their outreach, as the latency test delivers it."""
    pairs = [
        ("From", f"{contact.name} <{contact.email}>"),
        ("To", f"{ME_NAME} <{ME_EMAIL}>"),
        ("Date", format_datetime(at)),
        ("Message-ID", f"<latency.{serial}.{at.timestamp():.0f}@mail.bench.example>"),
        ("Subject", "Re: " + OUTREACH_SUBJECT.format(company=contact.company)),
        ("In-Reply-To", contact.outreach_id),
        ("References", contact.outreach_id),
    ]
    body = REPLY_BODY.format(referrer="Sam", name=contact.name.split()[0])
    return _plain(pairs, body).replace(b"\n", b"\r\n")


# ---------------------------------------------------------------- writing


def write_maildir(
    folder: Path, messages: Iterator[Seeded], *, owner: tuple[int, int] | None, host: str = "bench"
) -> dict[str, int]:
    """Write `messages` into the Maildir `folder` (its cur/ dir), as Dovecot would store them.

    File names carry the delivery time, so Dovecot hands out UIDs in date order, and the
    sizes (S=, W=), so it need not read a file to answer RFC822.SIZE; mtime is the
    internal date that SEARCH SINCE compares. Returns how many of each kind were written.
    """
    for sub in ("cur", "new", "tmp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    cur = folder / "cur"
    pid = os.getpid()
    for serial, seeded in enumerate(messages):
        stamp = seeded.at.timestamp()
        size, vsize = len(seeded.raw), len(seeded.raw) + seeded.raw.count(b"\n")
        name = f"{int(stamp)}.M{serial:06d}P{pid}.{host},S={size},W={vsize}:2,S"
        path = cur / name
        with open(path, "wb") as handle:
            handle.write(seeded.raw)
        os.utime(path, (stamp, stamp))
        counts[seeded.kind] = counts.get(seeded.kind, 0) + 1
    if owner is not None:
        chown_tree(folder, owner)
    return counts


def chown_tree(root: Path, owner: tuple[int, int]) -> None:
    """Give Dovecot's mail user the files (it refuses mail owned by root)."""
    uid, gid = owner
    os.chown(root, uid, gid)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, gid)


# ---------------------------------------------------------------- the database


def seed_contacts(
    store: Store, contacts: list[Person], *, stage: Stage, sent_outreach: bool
) -> list[int]:
    """Add `contacts` at `stage`; with `sent_outreach`, record the outreach they reply to."""
    ids = []
    at = "2026-01-05T09:00:00+00:00"
    with store.transaction():
        for person in contacts:
            contact = store.add_contact(
                NewContact(person.name, (person.email,), company=person.company, role=person.role),
                at=at,
            )
            if stage != Stage.IDENTIFIED:
                store.move(contact, stage, "seeded by the benchmark", "bench", at=at, manual=True)
            if sent_outreach:
                store.record_message(
                    person.outreach_id,
                    contact.id,
                    direction="sent",
                    kind="outreach",
                    subject=OUTREACH_SUBJECT.format(company=person.company),
                    at=at,
                )
            ids.append(contact.id)
    return ids


def contacts_database(
    path: Path, contacts: list[Person], *, stage: Stage, sent_outreach: bool
) -> Path:
    """`seed_contacts` into the database at `path` (created when missing); returns `path`."""
    store = Store.open(path)
    try:
        seed_contacts(store, contacts, stage=stage, sent_outreach=sent_outreach)
    finally:
        store.close()
    return path


def linkedin_export(path: Path, rows: int, *, seed: int) -> None:
    """A Connections.csv as LinkedIn writes it: the Notes preamble, then one row a person.

    About one in five rows has an email address (LinkedIn shows only the addresses that
    members allow), as in real exports.
    """
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(
            'Notes:\n"When exporting your connection data, you may notice that some of the '
            'email addresses are missing."\n\n'
        )
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(
            [
                "First Name",
                "Last Name",
                "URL",
                "Email Address",
                "Company",
                "Position",
                "Connected On",
            ]
        )
        day = datetime(2015, 1, 1, tzinfo=UTC)
        for index, (first, last) in enumerate(names(rows, rng)):
            local = fold(f"{first}{last}").replace(" ", ".")
            email = f"{local}.{index}@mail.example.org" if rng.random() < 0.2 else ""
            connected = (day + timedelta(hours=index * 2)).strftime("%d %b %Y")
            writer.writerow(
                [
                    first,
                    last,
                    f"https://www.linkedin.com/in/{local.replace('.', '-')}-{index}",
                    email,
                    rng.choice(COMPANIES),
                    rng.choice(ROLES),
                    connected,
                ]
            )
