"""The benchmark harness: its smoke run against its own Dovecot, and its pure helpers.

No timing is asserted: the smoke run proves that every figure can be measured and is
printed, so the full run (`python -m bench`) does not break unnoticed.
"""

from __future__ import annotations

import os
import socket
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import SMOKE, sizes_for  # noqa: E402
from bench.imapcount import command_name  # noqa: E402
from bench.report import SECTION, Row, at_most, p95, ratio_at_least, replace_section  # noqa: E402

FIGURES = (
    "first scan of a 200-message INBOX",
    "first scan, server 10 ms away (round trip)",
    "scan with nothing new (Sent + INBOX)",
    "scan with nothing new: IMAP commands per folder after login",
    "reply-to-stage latency under `watch` (IDLE), p95 of 3",
    "5 drafts in one `draft` command",
    "`coffeechat --help` wall time",
    "`coffeechat list` with 200 contacts",
    "import of a 300-row LinkedIn export",
    "scale: `coffeechat list`, 200 contacts",
    "scale: `coffeechat watch --once`, 200-message INBOX",
    "scale: `coffeechat draft outreach`, 7 drafts",
    "peak memory during the 200-message scan",
)


@pytest.mark.slow
def test_smoke_run_prints_every_figure(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert rows[0].split("|")[1].strip() == "figure"
    figures = [row.split("|")[1].strip() for row in rows[2:]]
    assert figures == list(FIGURES)
    assert "FAILED" not in done.stdout, done.stderr
    assert "machine: " in done.stdout and "Dovecot" in done.stdout
    # --write was not given: BENCHMARKS.md is the user's, untouched by a smoke run.
    assert "wrote the" not in done.stdout


def test_smoke_sizes_are_small_and_size_overrides_the_mailbox() -> None:
    assert SMOKE.messages == 200 and SMOKE.contacts == 20 and SMOKE.drafts == 5
    assert SMOKE.replies == 3
    sizes = sizes_for(False, 10_000)
    assert (sizes.messages, sizes.contacts) == (10_000, 100)


def test_section_is_added_then_replaced_leaving_other_sections() -> None:
    other = "# Benchmarks\n\n## Proofreading corpus\n\nfigures\n"
    once = replace_section(other, "first")
    assert once == other + f"\n{SECTION}\n\nfirst\n"
    with_after = once + "\n## Later section\n\nkept\n"
    twice = replace_section(with_after, "second")
    assert "first" not in twice
    assert twice.startswith(other)
    assert f"{SECTION}\n\nsecond\n\n## Later section\n\nkept\n" in twice


def test_section_in_an_empty_file_gets_the_title() -> None:
    assert replace_section("", "body").startswith("# Benchmarks\n\n" + SECTION)


def test_p95_is_the_nearest_rank() -> None:
    assert p95([float(n) for n in range(1, 51)]) == 48.0
    assert p95([0.5, 0.7, 2.0]) == 2.0
    assert p95([0.3]) == 0.3


def test_rows_say_whether_and_by_how_much_a_target_is_missed() -> None:
    assert at_most("x", 0.2, 0.150).cells()[-1] == "NO (33 % over)"
    assert at_most("x", 0.1, 0.150).cells()[-1] == "yes"
    slow = ratio_at_least("scan", measured=2.0, baseline=1.0, minimum=0.8)
    assert slow.cells()[3:] == ("0.50", "ratio ≥ 0.8", "NO (60 % too slow)")
    near = ratio_at_least("scan", measured=1.3, baseline=1.014, minimum=0.8)
    assert near.cells()[-1] == "NO (3 % too slow)"
    drafts = ratio_at_least("drafts", measured=2.4, baseline=0.24, minimum=1.0)
    assert drafts.cells()[-1] == "NO (10.0× too slow)"
    assert Row("import", "not measured: importers missing").cells()[-1] == "—"


class _Echo(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        while line := self.rfile.readline():
            self.wfile.write(line)


def test_the_relay_holds_each_way_and_keeps_the_order() -> None:
    from dovecot import free_port

    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo) as echo:
        threading.Thread(target=echo.serve_forever, daemon=True).start()
        port = free_port()
        relay = subprocess.Popen(
            [sys.executable, "-m", "bench.delay", str(port), str(echo.server_address[1]), "50"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert relay.stdout is not None and relay.stdout.readline() == "ready\n"
            with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
                started = time.monotonic()
                client.sendall(b"one\ntwo\n")
                answer = b""
                while len(answer) < 8 and (more := client.recv(100)):
                    answer += more
                assert answer == b"one\ntwo\n"
                assert time.monotonic() - started >= 0.1  # 50 ms there, 50 ms back
        finally:
            relay.terminate()
            relay.wait()
            echo.shutdown()


@pytest.mark.parametrize(
    ("line", "tag", "name"),
    [
        (b"A12 UID FETCH 1:500 (BODY.PEEK[HEADER])\r\n", b"A12", "UID FETCH"),
        (b"A3 EXAMINE INBOX\r\n", b"A3", "EXAMINE"),
        (b"A4 noop\r\n", b"A4", "NOOP"),
        (b"A41 NOOP\r\n", b"A4", None),  # another command's tag
        (b"literal bytes", b"A4", None),
    ],
)
def test_command_name_reads_the_tagged_line(line: bytes, tag: bytes, name: str | None) -> None:
    assert command_name(line, tag) == name
