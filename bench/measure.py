"""Each figure: time coffeechat and its baseline in the same run, return a table row.

Every timed thing runs `repeats` times, interleaved with its baseline so that a slow
moment of the machine hits both, and the median is reported. The command-line figures
run the installed `coffeechat` in a subprocess, with a private HOME, as a user would.
"""

from __future__ import annotations

import contextlib
import cProfile
import dataclasses
import imaplib
import io
import json
import os
import pstats
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from bench.imapcount import count_commands
from bench.report import Row, at_most, median, ms, p95, ratio_at_least
from bench.seed import Person, reply_message
from coffeechat.config import Config
from coffeechat.store import Store

# Per reply: long enough to see a wake-up missed by IDLE (poll_seconds, below) as a
# number in the table rather than as a hang.
WATCH_POLL_SECONDS = 10
NOTHING_NEW_PASSES = 11


@dataclass(frozen=True)
class Account:
    """A Dovecot user and how to reach it, for coffeechat (config) and for raw imaplib."""

    host: str
    port: int
    user: str
    password: str
    ca_file: Path
    config: Config  # in-process coffeechat settings; paths.database is replaced per run

    def imap(self) -> imaplib.IMAP4_SSL:
        import ssl

        context = ssl.create_default_context(cafile=str(self.ca_file))
        client = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=context)
        client.login(self.user, self.password)
        return client

    def with_database(self, path: Path) -> Config:
        paths = dataclasses.replace(
            self.config.paths, database=str(path), calendar_dir=str(path.parent / "calendar")
        )
        return dataclasses.replace(self.config, paths=paths)

    def toml(self, database: Path) -> str:
        """The config file the CLI reads for this account and database."""
        me = self.config.me
        return (
            f'[me]\nname = "{me.name}"\nemail = "{me.email}"\ntimezone = "{me.timezone}"\n\n'
            f'[mail]\nbackend = "imap"\nhost = "{self.host}"\nport = {self.port}\n'
            f'security = "tls"\nusername = "{self.user}"\nca_file = "{self.ca_file}"\n'
            f'password_command = "printf %s {self.password}"\n'
            f"backfill_days = {self.config.mail.backfill_days}\n"
            f"poll_seconds = {WATCH_POLL_SECONDS}\n\n"
            f'[paths]\ndatabase = "{database}"\ncalendar_dir = "{database.parent / "calendar"}"\n'
        )


@dataclass
class Cli:
    """Runs the installed `coffeechat` with a private home, never the user's."""

    command: list[str]
    env: dict[str, str]
    workdir: Path

    @classmethod
    def make(cls, workdir: Path) -> Cli:
        home = workdir / "home"
        home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("COFFEECHAT_")}
        env.update(HOME=str(home), NO_COLOR="1")
        env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # never the real one
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            env[name] = str(home / name.lower())
        script = shutil.which("coffeechat", path=str(Path(sys.executable).parent))
        command = [script] if script else [sys.executable, "-m", "coffeechat"]
        return cls(command, env, workdir)

    def config_file(self, account: Account, database: Path, name: str) -> Path:
        path = self.workdir / f"{name}.toml"
        path.write_text(account.toml(database), encoding="utf-8")
        return path

    def run(
        self, config: Path | None, *args: str
    ) -> tuple[float, subprocess.CompletedProcess[str]]:
        argv = [*self.command, *(["--config", str(config)] if config else []), *args]
        started = time.perf_counter()
        done = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=600)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:6])} ... exited {done.returncode}:\n{done.stderr}")
        return elapsed, done


def copy_database(template: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, target)
    return target


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- first scan


def raw_header_fetch(account: Account, folder: str = "INBOX") -> tuple[float, int]:
    """The baseline: login, EXAMINE, UID FETCH of the same fields in the same batches."""
    from coffeechat.mail.imap import FETCH_BATCH, header_fetch_item

    item = header_fetch_item()
    started = time.perf_counter()
    client = account.imap()
    client.select(folder, readonly=True)
    _, data = client.response("UIDNEXT")
    uidnext = int(data[0]) if data and data[0] else 1
    fetched = 0
    for low in range(1, uidnext, FETCH_BATCH):
        high = min(low + FETCH_BATCH - 1, uidnext - 1)
        _, rows = client.uid("FETCH", f"{low}:{high}", f"({item})")
        fetched += sum(1 for row in rows if isinstance(row, tuple))
    client.logout()
    return time.perf_counter() - started, fetched


def first_body_fetch(account: Account, repeats: int, folder: str = "INBOX") -> tuple[float, float]:
    """A server cost that the header-only baseline never pays: medians of the first and of
    the second whole-message FETCH of a session (a scan fetches auto-replies and bounces
    whole). Dovecot serves header fields from its cache but must find each message's file
    for a body, and in a fresh session over a big Maildir the first look re-reads the
    folder's file list (dovecot-uidlist and the cur/ directory)."""
    first, second = [], []
    for run in range(repeats):
        client = account.imap()
        client.select(folder, readonly=True)
        _, data = client.response("UIDNEXT")
        middle = (int(data[0]) if data and data[0] else 2) // 2 + run * 2
        for uid, times in ((middle, first), (middle + 1, second)):
            started = time.perf_counter()
            client.uid("FETCH", str(uid), "(BODY.PEEK[])")
            times.append(time.perf_counter() - started)
        client.logout()
    return median(first), median(second)


def coffeechat_scan(
    account: Account, database: Path, profile: cProfile.Profile | None = None
) -> tuple[float, int]:
    """Login and the first scan of INBOX into `database`: the time, and how many changes."""
    from coffeechat.mail import open_mailbox
    from coffeechat.sync import scan_folders

    config = account.with_database(database)
    store = Store.open(database)
    try:
        if profile:
            profile.enable()
        started = time.perf_counter()
        mailbox = open_mailbox(config)
        try:
            changes = scan_folders(
                store,
                mailbox,
                [(mailbox.inbox_folder(), "inbox")],
                my_address=config.me.email,
                backfill_days=config.mail.backfill_days,
            )
        finally:
            mailbox.close()
        elapsed = time.perf_counter() - started
        if profile:
            profile.disable()
    finally:
        store.close()
    return elapsed, len(changes)


def first_scan(
    account: Account,
    template: Path,
    workdir: Path,
    *,
    size: int,
    repeats: int,
) -> tuple[Row, Path, int]:
    """Row, the scanned database (for later figures), and how many changes it recorded."""
    _say(f"first scan: warming Dovecot's index and cache for {size:,} messages")
    warm, fetched = raw_header_fetch(account)
    _say(f"  warm-up fetch {ms(warm)} ({fetched:,} messages)")
    # Both sides are timed warm: the first scan of a process also imports the parser
    # modules, a one-time cost and not the scan's throughput.
    cold, _ = coffeechat_scan(account, copy_database(template, workdir / "warm-up" / "c.db"))
    _say(f"  warm-up scan {ms(cold)}")
    ours, theirs = [], []
    changes = 0
    scanned = workdir / "scan-0" / "coffeechat.db"
    for run in range(repeats):
        base, count = raw_header_fetch(account)
        theirs.append(base)
        scanned = copy_database(template, workdir / f"scan-{run}" / "coffeechat.db")
        seconds, changes = coffeechat_scan(account, scanned)
        ours.append(seconds)
        _say(
            f"  run {run + 1}: coffeechat {ms(seconds)} ({changes} changes), "
            f"raw imaplib {ms(base)} ({count:,} messages)"
        )
    row = ratio_at_least(
        f"first scan of a {size:,}-message INBOX", median(ours), median(theirs), 0.8
    )
    return row, scanned, changes


def first_scan_far_away(
    account: Account, template: Path, workdir: Path, *, round_trip_ms: float, repeats: int
) -> Row:
    """The first scan and its baseline through `bench.delay`, as against a server
    `round_trip_ms` away: no target, but where waiting on the server shows."""
    from dovecot import free_port

    port = free_port()
    relay = subprocess.Popen(
        [sys.executable, "-m", "bench.delay", str(port), str(account.port), str(round_trip_ms / 2)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert relay.stdout is not None
        if relay.stdout.readline().strip() != "ready":
            raise RuntimeError(f"bench.delay did not start (exit {relay.wait()})")
        mail = dataclasses.replace(account.config.mail, port=port)
        config = dataclasses.replace(account.config, mail=mail)
        far = dataclasses.replace(account, port=port, config=config)
        ours, theirs = [], []
        for run in range(repeats):
            theirs.append(raw_header_fetch(far)[0])
            database = copy_database(template, workdir / f"far-{run}" / "coffeechat.db")
            ours.append(coffeechat_scan(far, database)[0])
            _say(
                f"  {round_trip_ms:g} ms away, run {run + 1}: coffeechat {ms(ours[-1])}, "
                f"raw imaplib {ms(theirs[-1])}"
            )
    finally:
        relay.terminate()
        relay.wait()
    mine, base = median(ours), median(theirs)
    return Row(
        f"first scan, server {round_trip_ms:g} ms away (round trip)",
        ms(mine),
        ms(base),
        base / mine,
    )


def profile_scan(account: Account, template: Path, workdir: Path, top: int = 25) -> str:
    """cProfile of one first scan, by own time: where coffeechat spends it."""
    profile = cProfile.Profile()
    coffeechat_scan(
        account, copy_database(template, workdir / "profile" / "coffeechat.db"), profile
    )
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def peak_memory(cli: Cli, account: Account, template: Path, workdir: Path, size: int) -> Row:
    """Peak RSS of a process doing the first scan, against the same process not scanning."""
    peaks = {}
    for mode in ("--no-scan", "--scan"):
        database = copy_database(template, workdir / f"memory{mode}" / "coffeechat.db")
        config = cli.config_file(account, database, f"memory{mode}")
        done = subprocess.run(
            [sys.executable, "-m", "bench.scan_child", str(config), mode],
            env=cli.env,
            capture_output=True,
            text=True,
            timeout=900,
            cwd=Path(__file__).resolve().parent.parent,
        )
        if done.returncode != 0:
            raise RuntimeError(f"bench.scan_child {mode} failed:\n{done.stderr}")
        peaks[mode] = json.loads(done.stdout.strip().splitlines()[-1])["maxrss_kib"] / 1024
    row = at_most(f"peak memory during the {size:,}-message scan", peaks["--scan"], 150, unit="MB")
    return dataclasses.replace(
        row,
        baseline=f"{peaks['--no-scan']:.0f} MB (same process, no scan)",
        ratio=peaks["--no-scan"] / peaks["--scan"],
    )


# ---------------------------------------------------------------- nothing new


def nothing_new(account: Account, scanned: Path, workdir: Path) -> list[Row]:
    """A pass over Sent and INBOX when nothing arrived: its time and its IMAP commands."""
    from coffeechat.mail import open_mailbox
    from coffeechat.watcher import run_pass

    database = copy_database(scanned, workdir / "nothing-new" / "coffeechat.db")
    config = account.with_database(database)
    store = Store.open(database)
    mailbox = open_mailbox(config)
    counter = count_commands(mailbox)
    try:
        now = datetime.now(UTC)
        run_pass(store, mailbox, config, now=now)  # Sent's first scan; INBOX has nothing new
        fresh = counter.summary()
        times, counts, summary, detail = [], [], "", ""
        for _ in range(NOTHING_NEW_PASSES):
            counter.reset()
            started = time.perf_counter()
            result = run_pass(store, mailbox, config, now=now)
            times.append(time.perf_counter() - started)
            counts.append(counter.total)
            summary = counter.summary()
            detail = ", ".join(f"{name} ×{n}" for name, n in sorted(counter.names.items()))
            assert not [c for c in result.changes if c.kind != "no-response"], result.changes
    finally:
        mailbox.close()
        store.close()
    client = account.imap()
    client.select("INBOX", readonly=True)
    noops = []
    for _ in range(NOTHING_NEW_PASSES):
        started = time.perf_counter()
        client.noop()
        noops.append(time.perf_counter() - started)
    client.logout()
    folders = 2
    timed = at_most(
        "scan with nothing new (Sent + INBOX)", median(times), 0.050, baseline=median(noops)
    )
    timed = dataclasses.replace(timed, baseline=f"{ms(median(noops))} (one NOOP)")
    per_folder = max(counts) / folders
    commands = Row(
        "scan with nothing new: IMAP commands per folder after login",
        f"{per_folder:g} ({detail} for Sent + INBOX)",
        "1 (NOOP)",
        1 / per_folder if per_folder else None,
        "≤ 2",
        per_folder <= 2,
        "" if per_folder <= 2 else f"{per_folder - 2:g} over",
    )
    _say(
        f"nothing new: median {ms(median(times))}, commands {summary}; first pass on a "
        f"fresh connection: {fresh}"
    )
    return [timed, commands]


# ---------------------------------------------------------------- latency under watch


def _reader(stream: IO[str], lines: queue.Queue[tuple[float, str]]) -> None:
    for line in stream:
        lines.put((time.perf_counter(), line))


class RawIdler(threading.Thread):
    """A bare imapclient connection in IDLE on INBOX: when the server itself reports mail.

    Dovecot waits a moment before it tells an IDLE client about a change (it batches
    them), so this is the floor any watcher can reach, whatever it does.
    """

    def __init__(self, account: Account) -> None:
        super().__init__(daemon=True)
        import ssl

        from imapclient import IMAPClient

        context = ssl.create_default_context(cafile=str(account.ca_file))
        self.client = IMAPClient(account.host, port=account.port, ssl=True, ssl_context=context)
        self.client.login(account.user, account.password)
        self.client.select_folder("INBOX", readonly=True)
        self.seen: queue.Queue[float] = queue.Queue()
        self._stop_now = threading.Event()
        self.client.idle()

    def run(self) -> None:
        while not self._stop_now.is_set():
            for response in self.client.idle_check(timeout=0.2):
                if len(response) > 1 and response[1] == b"EXISTS":
                    self.seen.put(time.perf_counter())

    def stop(self) -> None:
        self._stop_now.set()
        self.join(timeout=5)
        try:
            self.client.idle_done()
            self.client.logout()
        except Exception:  # the server may have closed it already; nothing to keep
            self.client.shutdown()


def reply_latency(
    cli: Cli, account: Account, scanned: Path, workdir: Path, repliers: Sequence[Person]
) -> Row:
    """APPEND a reply from a second connection; time until `watch --json` reports it."""
    database = copy_database(scanned, workdir / "watch" / "coffeechat.db")
    config = cli.config_file(account, database, "watch")
    stderr_path = workdir / "watch" / "stderr.log"
    with stderr_path.open("w") as stderr:
        watcher = subprocess.Popen(
            [*cli.command, "--config", str(config), "watch", "--json"],
            env=cli.env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    lines: queue.Queue[tuple[float, str]] = queue.Queue()
    threading.Thread(target=_reader, args=(watcher.stdout, lines), daemon=True).start()
    latencies: list[float] = []
    appends: list[float] = []
    raw_wakes: list[float] = []
    missed = 0
    idler: RawIdler | None = None
    try:
        _wait(lambda: _cursor(database, "Sent") is not None or watcher.poll() is not None, 120)
        if watcher.poll() is not None:
            raise RuntimeError(f"coffeechat watch exited:\n{stderr_path.read_text()}")
        idler = RawIdler(account)
        idler.start()
        time.sleep(1.0)  # the pass ends with the silence sweep, then IDLE starts
        client = account.imap()
        for serial, person in enumerate(repliers):
            raw = reply_message(person, at=datetime.now(UTC).replace(microsecond=0), serial=serial)
            started = time.perf_counter()
            client.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)
            appends.append(time.perf_counter() - started)
            with contextlib.suppress(queue.Empty):
                raw_wakes.append(idler.seen.get(timeout=WATCH_POLL_SECONDS) - started)
            try:
                seen, line = lines.get(timeout=WATCH_POLL_SECONDS + 5)
            except queue.Empty:
                missed += 1
                latencies.append(float(WATCH_POLL_SECONDS + 5))
                continue
            change = json.loads(line)
            if change.get("name") != person.name or change.get("to_stage") != "replied":
                raise RuntimeError(f"watch reported {line!r} for the reply from {person.name}")
            latencies.append(seen - started)
            time.sleep(0.5)  # replies arrive apart; let the watcher go back into IDLE
        client.logout()
    finally:
        if idler is not None:
            idler.stop()
        watcher.send_signal(signal.SIGINT)
        try:
            watcher.wait(timeout=15)
        except subprocess.TimeoutExpired:
            watcher.kill()
            watcher.wait()
    wake = f"; a bare IDLE client woke after {ms(median(raw_wakes))}" if raw_wakes else ""
    _say(
        f"latency: median {ms(median(latencies))}, p95 {ms(p95(latencies))}, max "
        f"{ms(max(latencies))}; APPEND median {ms(median(appends))}{wake}; missed {missed}"
    )
    row = at_most(
        f"reply-to-stage latency under `watch` (IDLE), p95 of {len(repliers)}",
        p95(latencies),
        1.0,
        baseline=median(appends),
        extra=f" (median {ms(median(latencies))})",
    )
    return dataclasses.replace(row, baseline=f"{ms(median(appends))} (APPEND{wake})")


def _cursor(database: Path, folder: str) -> tuple[int, int] | None:
    if not database.exists():
        return None
    store = Store.open(database, create=False)
    try:
        return store.cursor(folder)
    finally:
        store.close()


def _wait(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise RuntimeError(f"not ready within {seconds} s")


# ---------------------------------------------------------------- drafts


def drafts(
    cli: Cli, account: Account, template: Path, workdir: Path, *, count: int, repeats: int
) -> tuple[Row, str]:
    """`coffeechat draft outreach` for `count` contacts against `count` raw APPENDs."""
    from coffeechat.drafting import plan_drafts
    from coffeechat.mail.imap import message_bytes

    store = Store.open(copy_database(template, workdir / "plan" / "coffeechat.db"))
    try:
        config = account.with_database(Path(store.path or ""))
        contacts = store.contacts()
        started = time.perf_counter()
        plans = plan_drafts(store, config, "outreach", contacts, now=datetime.now(UTC))
        planned = time.perf_counter() - started
    finally:
        store.close()
    raws = [message_bytes(plan.message) for plan in plans]
    ids = [str(contact.id) for contact in contacts]
    ours, theirs = [], []
    for run in range(repeats):
        client = None
        started = time.perf_counter()
        client = account.imap()
        for raw in raws:
            client.append("Drafts", "(\\Draft \\Seen)", None, raw)
        client.logout()
        theirs.append(time.perf_counter() - started)
        database = copy_database(template, workdir / f"draft-{run}" / "coffeechat.db")
        config_path = cli.config_file(account, database, f"draft-{run}")
        seconds, done = cli.run(config_path, "draft", "outreach", *ids)
        if f"{count} draft(s) written" not in done.stdout:
            raise RuntimeError(f"coffeechat draft wrote something else:\n{done.stdout}")
        ours.append(seconds)
        _say(f"drafts run {run + 1}: coffeechat draft {ms(seconds)}, raw APPENDs {ms(theirs[-1])}")
    row = ratio_at_least(
        f"{count} drafts in one `draft` command", median(ours), median(theirs), 1.0
    )
    note = (
        f"in-process plan_drafts (render + proofread {count}, warm-up included) took {ms(planned)}"
    )
    return row, note


# ---------------------------------------------------------------- the command line


def help_time(cli: Cli, runs: int) -> Row:
    ours, theirs = [], []
    for _ in range(runs):
        theirs.append(_wall([sys.executable, "-c", "pass"], cli.env))
        ours.append(cli.run(None, "--help")[0])
    row = at_most("`coffeechat --help` wall time", median(ours), 0.150, baseline=median(theirs))
    return dataclasses.replace(row, baseline=f"{ms(median(theirs))} (python -c pass)")


def _wall(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, capture_output=True, check=True, timeout=60)
    return time.perf_counter() - started


def list_time(cli: Cli, account: Account, database: Path, count: int, repeats: int) -> Row:
    config = cli.config_file(account, database, "list")
    times = []
    for _ in range(repeats):
        seconds, done = cli.run(config, "list")
        if done.stdout.count("\n") < count:
            raise RuntimeError(f"coffeechat list printed {done.stdout.count(chr(10))} lines")
        times.append(seconds)
    return at_most(f"`coffeechat list` with {count:,} contacts", median(times), 0.300)


def import_time(
    cli: Cli, account: Account, empty: Path, export: Path, workdir: Path, rows: int, repeats: int
) -> Row:
    figure = f"import of a {rows:,}-row LinkedIn export"
    import importlib.util

    if importlib.util.find_spec("coffeechat.importers") is None:
        return Row(figure, "not measured: importers missing")
    times = []
    for run in range(repeats):
        database = copy_database(empty, workdir / f"import-{run}" / "coffeechat.db")
        config = cli.config_file(account, database, f"import-{run}")
        seconds, done = cli.run(config, "import", "linkedin", str(export))
        if f"{rows} added" not in done.stdout:
            raise RuntimeError(f"coffeechat import said:\n{done.stdout}{done.stderr}")
        times.append(seconds)
    return at_most(figure, median(times), 2.0)


# ---------------------------------------------------------------- scale (issue 7)


def scale_row(cli: Cli, figure: str, config: Path, *args: str) -> tuple[Row, str]:
    """One command at full size, run once: its wall time and peak memory, and its stdout."""
    out = cli.workdir / "peak-kib.txt"
    argv = [sys.executable, "-m", "bench.peak", str(out), "--config", str(config), *args]
    started = time.perf_counter()
    done = subprocess.run(
        argv,
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=Path(__file__).resolve().parent.parent,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        command = " ".join(args[:2])
        raise RuntimeError(f"coffeechat {command} exited {done.returncode}:\n{done.stderr}")
    peak = int(out.read_text()) / 1024
    _say(f"{figure}: {ms(seconds)}, {peak:.0f} MB")
    return Row(figure, f"{ms(seconds)}, {peak:.0f} MB peak", target="works", met=True), done.stdout


def _config_on_a_copy(cli: Cli, account: Account, template: Path, workdir: Path, name: str) -> Path:
    """A config for `account` on a fresh copy of the seeded database `template`."""
    database = copy_database(template, workdir / name / "coffeechat.db")
    return cli.config_file(account, database, name)


def scale_list(cli: Cli, account: Account, database: Path, *, figure: str, count: int) -> Row:
    config = cli.config_file(account, database, "scale-list")
    row, out = scale_row(cli, figure, config, "list")
    if out.count("\n") < count:
        raise RuntimeError(f"coffeechat list printed {out.count(chr(10))} lines for {count}")
    return row


def scale_watch(
    cli: Cli,
    account: Account,
    template: Path,
    workdir: Path,
    *,
    figure: str,
    changes: int,
) -> Row:
    config = _config_on_a_copy(cli, account, template, workdir, "scale-watch")
    row, out = scale_row(cli, figure, config, "watch", "--once")
    # The INBOX's changes, and also the no-response sweep's (contacted long ago).
    if len(out.splitlines()) < changes:
        raise RuntimeError(f"watch --once reported {len(out.splitlines())} changes, not {changes}")
    return row


def scale_drafts(
    cli: Cli,
    account: Account,
    template: Path,
    workdir: Path,
    *,
    figure: str,
    count: int,
) -> Row:
    config = _config_on_a_copy(cli, account, template, workdir, "scale-drafts")
    ids = [str(n) for n in range(1, count + 1)]
    row, out = scale_row(cli, figure, config, "draft", "outreach", *ids)
    if f"{count} draft(s) written" not in out:
        raise RuntimeError(f"coffeechat draft said:\n{out[-500:]}")
    client = account.imap()
    try:
        client.select("Drafts", readonly=True)
        _, data = client.search(None, "ALL")
    finally:
        client.logout()
    if len(data[0].split()) != count:
        raise RuntimeError(f"Drafts holds {len(data[0].split())} messages, not {count}")
    return row


def empty_database(path: Path) -> Path:
    Store.open(path).close()
    return path


def rows_or_error(figure: str, measure: Callable[[], Any]) -> Any:
    """Run one figure; a failure becomes a row that says so, and the others still run."""
    try:
        return measure()
    except Exception as err:  # one broken figure must not hide the others
        _say(f"{figure}: FAILED: {type(err).__name__}: {err}")
        return Row(figure, f"FAILED: {type(err).__name__}: {str(err).splitlines()[0][:80]}")
