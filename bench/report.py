"""The results table, the machine it ran on, and the BENCHMARKS.md section they go into."""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SECTION = "## Performance (python -m bench)"
HEADER = ("figure", "measured", "baseline (same run)", "ratio", "target", "met?")


@dataclass(frozen=True)
class Row:
    """One figure. `ratio` is baseline / measured (above 1: faster than the baseline)."""

    figure: str
    measured: str
    baseline: str = "—"
    ratio: float | None = None
    target: str = "—"
    met: bool | None = None  # None: no target, or not measured
    shortfall: str = ""  # how far from the target, when missed

    def cells(self) -> tuple[str, ...]:
        ratio = "—" if self.ratio is None else f"{self.ratio:.2f}"
        if self.met is None:
            met = "—"
        elif self.met:
            met = "yes"
        else:
            met = f"NO ({self.shortfall})" if self.shortfall else "NO"
        return (self.figure, self.measured, self.baseline, ratio, self.target, met)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    """The nearest-rank 95th percentile: the value 95 % of samples are at or below."""
    ordered = sorted(values)
    rank = max(1, -(-95 * len(ordered) // 100))  # ceil(0.95 n)
    return ordered[rank - 1]


def at_most(
    figure: str,
    measured: float,
    limit: float,
    *,
    unit: str = "ms",
    baseline: float | None = None,
    extra: str = "",
) -> Row:
    """A row whose target is an upper bound on a time (seconds) or another quantity."""
    if unit == "ms":
        shown, target = ms(measured), f"≤ {ms(limit)}"
    else:
        shown, target = f"{measured:.0f} {unit}", f"≤ {limit:.0f} {unit}"
    met = measured <= limit
    shortfall = "" if met else f"{(measured / limit - 1) * 100:.0f} % over"
    base = "—" if baseline is None else ms(baseline)
    ratio = None if baseline is None or measured == 0 else baseline / measured
    return Row(figure, shown + extra, base, ratio, target, met, shortfall)


def ratio_at_least(figure: str, measured: float, baseline: float, minimum: float) -> Row:
    """A row whose target is baseline / measured ≥ `minimum` (both times in seconds)."""
    ratio = baseline / measured if measured else float("inf")
    met = ratio >= minimum
    shortfall = "" if met else _too_slow(minimum / ratio) if ratio else "no time"
    return Row(figure, ms(measured), ms(baseline), ratio, f"ratio ≥ {minimum:g}", met, shortfall)


def _too_slow(factor: float) -> str:
    """How much faster it must get: "3 % too slow" reads better than "1.0× too slow"."""
    return f"{(factor - 1) * 100:.0f} % too slow" if factor < 2 else f"{factor:.1f}× too slow"


def render_table(rows: Sequence[Row]) -> str:
    """A Markdown table, readable in a terminal too (columns padded)."""
    cells = [HEADER, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    rule = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([line(cells[0]), rule, *(line(c) for c in cells[1:])])


# ---------------------------------------------------------------- the machine


def machine(dovecot_version: str) -> str:
    """Cores, memory, Python and Dovecot: what a reader needs to compare figures."""
    memory = "unknown memory"
    try:
        meminfo = Path("/proc/meminfo").read_text()
        kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))  # type: ignore[union-attr]
        memory = f"{kib / 1024 / 1024:.0f} GiB memory"
    except (OSError, AttributeError, ValueError):
        pass
    cpu = platform.processor() or platform.machine()
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                cpu = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory}, Python {platform.python_version()}, "
        f"Dovecot {dovecot_version}, {platform.system()} {platform.release()}"
    )


def git_revision(root: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip()


# ---------------------------------------------------------------- BENCHMARKS.md


def replace_section(document: str, body: str) -> str:
    """`document` with our section (from its heading to the next `## `) set to `body`.

    The section is appended when missing; every other section is left byte for byte.
    """
    if not document.strip():
        document = "# Benchmarks\n"
    block = f"{SECTION}\n\n{body.strip()}\n"
    start = document.find(SECTION + "\n")
    if start == -1:
        return document.rstrip("\n") + "\n\n" + block
    following = document.find("\n## ", start + len(SECTION))
    rest = "" if following == -1 else document[following + 1 :]
    return document[:start] + block + ("\n" + rest if rest else "")


def write_section(path: Path, body: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    new = replace_section(text, body)
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, path)


def command_line() -> str:
    return "python -m bench " + " ".join(sys.argv[1:]) if sys.argv[1:] else "python -m bench"
