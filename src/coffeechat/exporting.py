"""`coffeechat export`: the spreadsheet, a full JSON dump, or the calendar feed."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from coffeechat.config import Config
from coffeechat.fileutil import write_atomically
from coffeechat.store import Store


def export_json(store: Store) -> str:
    """Every contact with its events, in the documented `show --json` shape."""
    return (
        json.dumps(
            [
                {**contact.to_json(), "events": [e.to_json() for e in store.events(contact.id)]}
                for contact in store.contacts()
            ],
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )


def export_to(store: Store, config: Config, kind: str, file: Path | None) -> Path | None:
    """Write the export to `file` (atomically) or standard output; return the path written."""
    if kind == "ics":
        from coffeechat.agenda import write_feed

        return write_feed(store, config, file)
    if kind == "csv":
        from coffeechat.export import export_csv, export_csv_file

        cadence = config.outreach.check_in_every_days
        if file is not None:
            # A file gets the BOM spreadsheets need to read accented names right.
            export_csv_file(store, file, tz=config.tz, check_in_days=cadence)
            return file
        buffer = io.StringIO(newline="")
        export_csv(store, buffer, tz=config.tz, check_in_days=cadence)
        text = buffer.getvalue()
    else:
        text = export_json(store)
    if file is None:
        sys.stdout.write(text)
        return None
    write_atomically(file, text)
    return file
