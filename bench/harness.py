"""`python -m bench`: start Dovecot, seed it, measure every figure, print the table.

    python -m bench                 # the full run: 50,000 messages (about 3 minutes)
    python -m bench --smoke         # tiny sizes, every figure, well under 30 s
    python -m bench --size 10000    # another mailbox size
    python -m bench --write         # also update BENCHMARKS.md's section
    python -m bench --profile       # also print a cProfile of one first scan

Everything lives in a temp dir (Dovecot's config and mail, the databases, the CLI's
HOME) and is removed at the end; the real home and keyring are never touched.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from bench import measure, seed
from bench.report import (
    SECTION,
    Row,
    command_line,
    git_revision,
    machine,
    ms,
    render_table,
    write_section,
)
from coffeechat.pipeline import Stage

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "BENCHMARKS.md"


@dataclass(frozen=True)
class Sizes:
    messages: int
    contacts: int  # in the database; about 1 % of the mail comes from them
    replies: int  # delivered one by one to a running `watch`
    drafts: int
    scale_drafts: int  # drafts in one command for the scale figures (issue 7)
    list_contacts: int
    import_rows: int
    repeats: int  # runs of each timed thing; the median is reported
    help_runs: int


FULL = Sizes(50_000, 500, 50, 200, 500, 10_000, 30_000, 3, 10)
SMOKE = Sizes(200, 20, 3, 5, 7, 200, 300, 1, 3)


def sizes_for(smoke: bool, size: int | None) -> Sizes:
    chosen = SMOKE if smoke else FULL
    if size is not None:
        chosen = dataclasses.replace(chosen, messages=size, contacts=max(20, size // 100))
    return chosen


def _tests_dir() -> None:
    """tests/dovecot.py is the one Dovecot launcher; the bench reuses it, not a copy."""
    tests = str(ROOT / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)


def _mail_owner() -> tuple[int, int] | None:
    """As root Dovecot reads mail as its `dovecot` user (tests/dovecot.py): chown to it."""
    if os.geteuid() != 0:
        return None
    import pwd

    entry = pwd.getpwnam("dovecot")
    return entry.pw_uid, entry.pw_gid


def _account(server: object, user: str, workdir: Path) -> measure.Account:
    from dovecot import Dovecot

    assert isinstance(server, Dovecot)
    config = server.config(workdir, user)
    config = dataclasses.replace(
        config,
        mail=dataclasses.replace(config.mail, backfill_days=3650, timeout_seconds=120),
    )
    return measure.Account(server.host, server.port, user, server.password, server.ca_file, config)


def run(sizes: Sizes, *, profile: bool = False) -> tuple[list[Row], list[str], str]:
    """Every figure: the rows, notes for BENCHMARKS.md, and the machine line."""
    _tests_dir()
    from dovecot import start_dovecot

    workdir = Path(tempfile.mkdtemp(prefix="coffeechat-bench-"))
    notes: list[str] = []
    rows: list[Row] = []
    try:
        with start_dovecot() as server:
            cli = measure.Cli.make(workdir)
            now = datetime.now(UTC)

            # -- seeding: the mailbox, written as files before Dovecot indexes it
            user = server.new_user()
            account = _account(server, user, workdir)
            contacts = seed.people(sizes.contacts, seed=1)
            repliers = seed.people(sizes.replies, seed=2, domain_prefix="quiet-")
            started = time.perf_counter()
            counts = seed.write_maildir(
                server.maildir(user),
                seed.inbox_messages(sizes.messages, contacts, now=now, seed=3),
                owner=_mail_owner(),
            )
            mix = ", ".join(f"{kind} {n:,}" for kind, n in sorted(counts.items()))
            measure._say(
                f"seeded {sizes.messages:,} messages in "
                f"{time.perf_counter() - started:.1f} s: {mix}"
            )
            notes.append(f"INBOX mix: {mix}.")
            scan_template = seed.contacts_database(
                workdir / "templates" / "scan.db",
                contacts + repliers,
                stage=Stage.CONTACTED,
                sent_outreach=True,
            )
            row, scanned, changes = measure.first_scan(
                account, scan_template, workdir, size=sizes.messages, repeats=sizes.repeats
            )
            rows.append(row)
            rows.append(
                measure.rows_or_error(
                    "first scan, server 10 ms away",
                    lambda: measure.first_scan_far_away(
                        account, scan_template, workdir, round_trip_ms=10, repeats=sizes.repeats
                    ),
                )
            )
            body_first, body_next = measure.first_body_fetch(account, sizes.repeats)
            notes.append(
                f"First scan: {changes} changes recorded from {len(contacts)} contacts' mail. "
                f"It fetches the auto-replies and bounces whole, and Dovecot's first "
                f"whole-message FETCH of a session took {ms(body_first)} (the next "
                f"{ms(body_next)}): a cost of the server that the header-only baseline never pays."
            )
            if profile:
                print(measure.profile_scan(account, scan_template, workdir), file=sys.stderr)
            rows.extend(
                measure.rows_or_error(
                    "scan with nothing new", lambda: measure.nothing_new(account, scanned, workdir)
                )
                or []
            )
            rows.append(
                measure.rows_or_error(
                    "reply-to-stage latency under `watch` (IDLE)",
                    lambda: measure.reply_latency(cli, account, scanned, workdir, repliers),
                )
            )

            # -- drafts, for a user of their own
            drafts_account = _account(server, server.new_user(), workdir)
            drafts_template = seed.contacts_database(
                workdir / "templates" / "drafts.db",
                seed.people(sizes.drafts, seed=4),
                stage=Stage.IDENTIFIED,
                sent_outreach=False,
            )
            result = measure.rows_or_error(
                f"{sizes.drafts} drafts in one `draft` command",
                lambda: measure.drafts(
                    cli,
                    drafts_account,
                    drafts_template,
                    workdir,
                    count=sizes.drafts,
                    repeats=sizes.repeats,
                ),
            )
            if isinstance(result, Row):
                rows.append(result)
            else:
                rows.append(result[0])
                notes.append(f"Drafts: {result[1]}.")

            # -- the command line
            rows.append(
                measure.rows_or_error(
                    "`coffeechat --help` wall time", lambda: measure.help_time(cli, sizes.help_runs)
                )
            )
            list_db = seed.contacts_database(
                workdir / "templates" / "list.db",
                seed.people(sizes.list_contacts, seed=5),
                stage=Stage.IDENTIFIED,
                sent_outreach=False,
            )
            rows.append(
                measure.rows_or_error(
                    "`coffeechat list`",
                    lambda: measure.list_time(
                        cli, account, list_db, sizes.list_contacts, sizes.repeats
                    ),
                )
            )
            export = workdir / "Connections.csv"
            seed.linkedin_export(export, sizes.import_rows, seed=6)
            empty = measure.empty_database(workdir / "templates" / "empty.db")
            rows.append(
                measure.rows_or_error(
                    "LinkedIn import",
                    lambda: measure.import_time(
                        cli, account, empty, export, workdir, sizes.import_rows, sizes.repeats
                    ),
                )
            )
            # -- scale (issue 7): each big case once, through the command line
            scale_drafts_template = seed.contacts_database(
                workdir / "templates" / "scale-drafts.db",
                seed.people(sizes.scale_drafts, seed=7),
                stage=Stage.IDENTIFIED,
                sent_outreach=False,
            )
            scale_account = _account(server, server.new_user(), workdir)
            scale = (
                (
                    f"scale: `coffeechat list`, {sizes.list_contacts:,} contacts",
                    partial(measure.scale_list, cli, account, list_db, count=sizes.list_contacts),
                ),
                (
                    f"scale: `coffeechat watch --once`, {sizes.messages:,}-message INBOX",
                    partial(
                        measure.scale_watch, cli, account, scan_template, workdir, changes=changes
                    ),
                ),
                (
                    f"scale: `coffeechat draft outreach`, {sizes.scale_drafts} drafts",
                    partial(
                        measure.scale_drafts,
                        cli,
                        scale_account,
                        scale_drafts_template,
                        workdir,
                        count=sizes.scale_drafts,
                    ),
                ),
            )
            for figure, run_scale in scale:
                rows.append(measure.rows_or_error(figure, partial(run_scale, figure=figure)))
            rows.append(
                measure.rows_or_error(
                    "peak memory during the scan",
                    lambda: measure.peak_memory(
                        cli, account, scan_template, workdir, sizes.messages
                    ),
                )
            )
            return rows, notes, machine(server.version)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def section_body(rows: Sequence[Row], notes: Sequence[str], machine_line: str, command: str) -> str:
    """The generated part of the BENCHMARKS.md section: command, machine, table, notes."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = [
        f"Command: `{command}` (from the top of the repository; `--write` regenerates this "
        f'part up to "Analysis"). Measured {stamp} at commit {git_revision(ROOT)} on '
        f"{machine_line}.",
        "",
        "Ratio is baseline time / coffeechat time, so above 1 is faster than the baseline.",
        "",
        render_table(rows),
        "",
        *(f"- {note}" for note in notes),
    ]
    return "\n".join(lines)


ANALYSIS_MARK = "### Analysis"


def write_benchmarks(path: Path, body: str) -> None:
    """Replace the generated part of our section and keep its hand-written Analysis."""
    analysis = ""
    if path.exists():
        text = path.read_text(encoding="utf-8")
        start = text.find(SECTION + "\n")
        if start != -1:
            following = text.find("\n## ", start + len(SECTION))
            section = text[start:] if following == -1 else text[start : following + 1]
            mark = section.find(ANALYSIS_MARK)
            if mark != -1:
                analysis = section[mark:].strip()
    write_section(path, body + ("\n\n" + analysis if analysis else ""))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (the test suite's run)")
    parser.add_argument("--size", type=int, metavar="N", help="messages in the seeded INBOX")
    parser.add_argument(
        "--write", action="store_true", help=f"update the {SECTION!r} section of BENCHMARKS.md"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of one first scan to stderr"
    )
    args = parser.parse_args(argv)
    sizes = sizes_for(args.smoke, args.size)
    _tests_dir()
    from dovecot import DovecotUnavailable

    started = time.perf_counter()
    try:
        rows, notes, machine_line = run(sizes, profile=args.profile)
    except DovecotUnavailable as err:
        print(f"Error: {err}", file=sys.stderr)
        return 1
    print(render_table(rows))
    print()
    print(f"machine: {machine_line}")
    print(f"command: {command_line()}  ({time.perf_counter() - started:.0f} s)")
    for note in notes:
        print(f"note: {note}")
    if args.write:
        write_benchmarks(BENCHMARKS, section_body(rows, notes, machine_line, command_line()))
        print(f"wrote the {SECTION!r} section of {BENCHMARKS}")
    return 0
