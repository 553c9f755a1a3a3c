"""One first scan of INBOX in a process of its own, to read its peak memory.

    python -m bench.scan_child CONFIG [--no-scan]

Prints one JSON object: seconds, changes, and maxrss_kib (the peak resident set of this
process in KiB, VmHWM). `--no-scan` connects and loads the
scan context but fetches nothing: the floor a scan's memory is compared with.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def peak_kib() -> int:
    """This process's peak resident set, in KiB.

    VmHWM, not getrusage: on Linux ru_maxrss survives exec, so a child forked from a big
    parent reports the parent's size (the kernel keeps the old mm's high-water mark).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def main(argv: list[str]) -> int:
    from coffeechat.config import load
    from coffeechat.mail import open_mailbox
    from coffeechat.store import Store
    from coffeechat.sync import ScanContext, scan_folders

    config = load(Path(argv[0]))
    scan = "--no-scan" not in argv
    started = time.perf_counter()
    store = Store.open(config.database_path)
    mailbox = open_mailbox(config)
    changes = 0
    try:
        if scan:
            changes = len(
                scan_folders(
                    store,
                    mailbox,
                    [(mailbox.inbox_folder(), "inbox")],
                    my_address=config.me.email,
                    backfill_days=config.mail.backfill_days,
                )
            )
        else:
            ScanContext.load(store, config.me.email)  # the floor: a context, no fetch
    finally:
        mailbox.close()
        store.close()
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "changes": changes, "maxrss_kib": peak_kib()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
