"""Printing for people and for programs: rich tables on a terminal, stable JSON otherwise.

rich respects NO_COLOR and plain (non-TTY) output by itself; nothing here writes raw ANSI.
rich is imported lazily so that `coffeechat --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from coffeechat.models import Contact, Event

_console: Console | None = None
_err_console: Console | None = None


def console() -> Console:
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(highlight=False, soft_wrap=True)
    return _console


def err_console() -> Console:
    global _err_console
    if _err_console is None:
        from rich.console import Console

        _err_console = Console(stderr=True, highlight=False, soft_wrap=True)
    return _err_console


def say(text: str = "", style: str | None = None) -> None:
    """A line for the user. Markup is off: contact names may contain [brackets]."""
    console().print(text, style=style, markup=False)


def warn(text: str) -> None:
    err_console().print(f"Warning: {text}", style="yellow", markup=False)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def local_time(at: str, tz: tzinfo | None = None) -> str:
    """A stored UTC time as wall-clock time in `tz` (default: the machine's), to the minute."""
    from datetime import datetime

    return datetime.fromisoformat(at).astimezone(tz).strftime("%Y-%m-%d %H:%M")


def contacts_table(rows: Sequence[Sequence[str]]) -> None:
    """Aligned columns under a bold header, written in one go (see `Store.listing`).

    Not a rich Table: rich measures every cell and takes seconds for 10,000 contacts,
    and a list that long is for grep and less anyway.
    """
    import click

    header = ("id", "name", "company", "role", "stage", "email")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    layout = "  ".join(f"{{:<{width}}}" for width in widths)
    click.echo(click.style(layout.format(*header).rstrip(), bold=True))
    sys.stdout.write("".join(layout.format(*row).rstrip() + "\n" for row in rows))


def contact_details(
    contact: Contact,
    referrer: Contact | None,
    referrals: Iterable[Contact],
    events: Sequence[Event],
    tz: tzinfo | None = None,
) -> None:
    from rich.table import Table

    say(f"{contact.name}  (id {contact.id})", style="bold")
    facts = [
        ("stage", contact.stage.value),
        (
            "email",
            ", ".join(
                f"{a} (undeliverable)" if a in contact.bad_emails else a for a in contact.emails
            ),
        ),
        ("company", contact.company),
        ("role", contact.role),
        ("linkedin", contact.linkedin_url),
        ("tags", ", ".join(contact.tags)),
        ("how met", contact.how_met),
        ("connected on", contact.connected_on),
        ("referred by", f"{referrer.name} (id {referrer.id})" if referrer else ""),
        # Not "referred": beside "referred by" it read as the opposite, who referred them.
        ("introduced you to", ", ".join(f"{c.name} (id {c.id})" for c in referrals)),
        ("check in every", f"{contact.check_in_days} days" if contact.check_in_days else ""),
    ]
    for label, value in facts:
        if value:
            say(f"  {label:<19}{value}")
    if not events:
        return
    say()
    table = Table(box=None, pad_edge=False, header_style="bold", title_justify="left")
    table.add_column("when", no_wrap=True)
    table.add_column("what", no_wrap=True)
    table.add_column("detail", overflow="fold")
    for event in _fold(events):
        what = event.kind
        if event.to_stage and event.from_stage:
            what = f"{event.from_stage} → {event.to_stage}"
        elif event.to_stage:
            what = event.to_stage
        table.add_row(local_time(event.at, tz), what, event.detail)
    console().print(table)


def _fold(events: Sequence[Event]) -> list[Event]:
    """Show a message and the stage change it caused as one line (same cause, same time)."""
    folded: list[Event] = []
    for event in events:
        previous = folded[-1] if folded else None
        if (
            previous is not None
            and event.kind == "stage"
            and event.cause
            and (previous.cause, previous.at) == (event.cause, event.at)
        ):
            folded[-1] = event
        else:
            folded.append(event)
    return folded
