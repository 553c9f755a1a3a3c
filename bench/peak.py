"""Run one coffeechat command in this process and write its peak memory to a file.

    python -m bench.peak OUT_FILE [coffeechat arguments...]

OUT_FILE receives the process's peak resident set in KiB (VmHWM) when the command exits,
whatever its exit code. Measured from inside because a child's ru_maxrss on Linux can
be its parent's (see bench.scan_child.peak_kib).
"""

from __future__ import annotations

import atexit
import sys
from pathlib import Path

from bench.scan_child import peak_kib


def main(argv: list[str]) -> None:
    out = Path(argv[0])
    atexit.register(lambda: out.write_text(str(peak_kib())))
    from coffeechat.cli import main as coffeechat

    coffeechat(args=argv[1:], prog_name="coffeechat")


if __name__ == "__main__":
    main(sys.argv[1:])
