"""The spreadsheet export, read back with the csv module."""

from __future__ import annotations

import csv
import io
import stat
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from coffeechat_fixtures import ME, Workspace

from coffeechat.export import HEADER, export_csv, export_csv_file
from coffeechat.models import NewContact
from coffeechat.pipeline import Stage
from coffeechat.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "coffeechat.sqlite")
    yield opened
    opened.close()


def read_back(store: Store, **options: object) -> list[dict[str, str]]:
    out = io.StringIO(newline="")
    written = export_csv(store, out, **options)  # type: ignore[arg-type]
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert written == len(rows)
    return rows


def seed(store: Store) -> tuple[int, int, int]:
    """Maria (met, with notes, a reply, a follow-up), who referred Ōta; and a formula name."""
    maria = store.add_contact(
        NewContact(
            name='María "Mia" López, PhD',
            emails=("maria@example.org", "mia@home.example"),
            company="Acme, Inc.",
            role="VP Research",
            linkedin_url="https://www.linkedin.com/in/maria",
            tags=("alumni", "research"),
            how_met="LinkedIn",
        ),
        at="2024-03-01T09:00:00+00:00",
    )
    ota = store.add_contact(
        NewContact(name="Kenji Ōta", emails=("kenji@example.jp",), referred_by=maria.id),
        at="2024-03-02T09:00:00+00:00",
    )
    evil = store.add_contact(
        NewContact(name='=HYPERLINK("http://evil.example","x")', emails=("e@example.net",)),
        at="2024-03-03T09:00:00+00:00",
    )
    maria = store.move(maria, Stage.CONTACTED, "sent", "<a@x>", at="2024-03-04T10:00:00+00:00")
    store.record_message(
        "<a@x>",
        maria.id,
        direction="sent",
        kind="outreach",
        subject="Hello",
        at="2024-03-04T10:00:00+00:00",
    )
    store.record_message(
        "<f@x>",
        maria.id,
        direction="sent",
        kind="follow-up",
        subject="Re: Hello",
        at="2024-03-11T10:00:00+00:00",
    )
    store.record_message(
        "<oo@x>",
        maria.id,
        direction="received",
        kind="auto-reply",
        subject="Out of office",
        at="2024-03-12T10:00:00+00:00",
    )
    store.record_message(
        "<r@x>",
        maria.id,
        direction="received",
        kind="reply",
        subject="Re: Hello",
        at="2024-03-13T08:00:00-07:00",
    )
    store.db["meetings"].insert(
        {
            "uid": "m1@coffeechat",
            "contact_id": maria.id,
            "start": "2024-03-20T17:00:00+00:00",
            "end": "2024-03-20T17:20:00+00:00",
            "created": "x",
            "updated": "x",
        }
    )
    store.db["meetings"].insert(
        {
            "uid": "m0@coffeechat",
            "contact_id": maria.id,
            "start": "2024-03-25T17:00:00+00:00",
            "end": "2024-03-25T17:20:00+00:00",
            "status": "CANCELLED",
            "created": "x",
            "updated": "x",
        }
    )
    maria = store.move(maria, Stage.REPLIED, "reply", "<r@x>", at="2024-03-13T15:00:00+00:00")
    maria = store.move(maria, Stage.MET, "met", "met", at="2024-03-20T18:00:00+00:00")
    store.add_event(
        maria.id,
        "meeting-notes",
        None,
        None,
        'Talked about research careers;\nsaid: apply in "spring"',
        "met",
        at="2024-03-20T18:00:00+00:00",
    )
    store.add_note(maria, "Send her the paper", at="2024-03-21T08:00:00+00:00")
    return maria.id, ota.id, evil.id


def test_export_round_trip(store: Store) -> None:
    maria_id, ota_id, _ = seed(store)

    rows = read_back(store, check_in_days=90, tz=UTC)

    assert tuple(rows[0].keys()) == HEADER
    maria, ota, evil = rows
    assert maria["ID"] == str(maria_id)
    assert maria["Name"] == 'María "Mia" López, PhD'
    assert maria["Emails"] == "maria@example.org; mia@home.example"
    assert maria["Company"] == "Acme, Inc."
    assert maria["Tags"] == "alumni; research"
    assert maria["Stage"] == "met"
    assert maria["First contacted"] == "2024-03-04 10:00"
    assert maria["Last reply"] == "2024-03-13 15:00"  # not the auto-reply
    assert maria["Meeting date"] == "2024-03-20 17:00"  # not the cancelled one
    assert maria["Discussion summary"] == (
        '2024-03-20: Talked about research careers;\nsaid: apply in "spring"\n'
        "2024-03-21: Send her the paper"
    )
    assert maria["Referrals"] == "Kenji Ōta"
    assert (maria["Follow-ups"], maria["Last follow-up"]) == ("1", "2024-03-11 10:00")
    assert maria["Next check-in"] == "2024-06-18"  # the meeting + 90 days
    assert ota["ID"] == str(ota_id)
    assert ota["Referred by"] == 'María "Mia" López, PhD'
    assert (ota["First contacted"], ota["Follow-ups"], ota["Next check-in"]) == ("", "", "")
    assert evil["Name"] == '\'=HYPERLINK("http://evil.example","x")'


def test_next_check_in_is_empty_when_unknown(store: Store) -> None:
    seed(store)

    maria = read_back(store, tz=UTC)[0]

    assert maria["Next check-in"] == ""


def test_empty_database_writes_the_header_only(store: Store) -> None:
    out = io.StringIO(newline="")

    assert export_csv(store, out, tz=UTC) == 0
    assert out.getvalue() == ",".join(HEADER) + "\r\n"


def test_export_file_is_private_with_a_bom(store: Store, tmp_path: Path) -> None:
    seed(store)
    path = tmp_path / "contacts.csv"

    assert export_csv_file(store, path, tz=UTC) == 3

    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfID,Name,")  # UTF-8 BOM, for Excel
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with path.open(encoding="utf-8-sig", newline="") as handle:
        names = [row["Name"] for row in csv.DictReader(handle)]
    assert names[1] == "Kenji Ōta"


@pytest.mark.parametrize("kind", ["csv", "json", "ics"])
def test_export_to_a_missing_folder_is_an_error_and_creates_nothing(
    workspace: Workspace, kind: str
) -> None:
    # A typo in a folder the user typed must not quietly become a new folder tree.
    missing = workspace.root / "no-such-dir"
    target = missing / f"x.{kind}"

    result = workspace.run("export", kind, str(target))

    assert result.exit_code == 1
    assert "Wrote" not in result.output
    assert result.stderr.startswith(
        f"Error: cannot write {target}: the folder {missing} does not exist; "
        "create it first, or check the spelling"
    )
    assert not missing.exists()


def meet_late_in_new_york(store: Store) -> int:
    """A meeting at 21:00 in New York on 4 December 2026: 02:00 on the 5th in UTC."""
    dana = store.add_contact(
        NewContact(name="Dana Lee", emails=("dana@acme.example",)),
        at="2026-11-20T15:00:00+00:00",
    )
    store.db["meetings"].insert(
        {
            "uid": "late@coffeechat",
            "contact_id": dana.id,
            "start": "2026-12-05T02:00:00+00:00",
            "end": "2026-12-05T02:20:00+00:00",
            "created": "x",
            "updated": "x",
        }
    )
    dana = store.move(dana, Stage.MET, "met", "met", at="2026-12-05T02:30:00+00:00")
    store.add_event(
        dana.id, "meeting-notes", None, None, "Talked UX", "met", at="2026-12-05T02:30:00+00:00"
    )
    return dana.id


def test_dates_and_times_are_in_the_users_time_zone(store: Store) -> None:
    """The user met on the evening of the 4th; a UTC export said the 5th, and dated the
    check-in from it."""
    meet_late_in_new_york(store)

    (dana,) = read_back(store, check_in_days=90, tz=ZoneInfo("America/New_York"))

    assert dana["Meeting date"] == "2026-12-04 21:00"
    assert dana["Discussion summary"] == "2026-12-04: Talked UX"
    assert dana["Next check-in"] == "2027-03-04"  # the 4th + 90 days, not the 5th's
    assert dana["Updated"] == "2026-12-04 21:30"


def test_export_csv_uses_the_configured_time_zone(workspace: Workspace) -> None:
    workspace.set_me(ME.replace("[me]\n", "").replace("Europe/Berlin", "America/New_York"))
    opened = Store.open(workspace.database)
    try:
        meet_late_in_new_york(opened)
    finally:
        opened.close()

    result = workspace.run("export", "csv")

    assert result.exit_code == 0, result.output
    (dana,) = csv.DictReader(io.StringIO(result.stdout, newline=""))
    assert (dana["Meeting date"], dana["Next check-in"]) == ("2026-12-04 21:00", "2027-03-04")
