"""Importers: LinkedIn Connections.csv, generic CSV and vCard; plans, merges, all-or-nothing."""

from __future__ import annotations

import csv
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from coffeechat_fixtures import Workspace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coffeechat.errors import ImportFileError
from coffeechat.importers import (
    IGNORED,
    ImportSummary,
    apply_import,
    normalize_linkedin_url,
    parse,
    parse_csv,
    parse_linkedin,
    parse_vcard,
    plan_import,
)
from coffeechat.models import NewContact
from coffeechat.store import Store, normalize_name

DATA = Path(__file__).parent / "data" / "import"
NOW = "2024-06-01T12:00:00+00:00"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "coffeechat.sqlite")
    yield opened
    opened.close()


def run(store: Store, kind: str, name: str, *, skip_bad: bool = False) -> ImportSummary:
    parsed = parse(kind, DATA / name)
    return apply_import(store, plan_import(store, parsed), skip_bad=skip_bad, now=NOW)


def counts(store: Store) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        for table in ("contacts", "emails", "events")
    )


# ---------------------------------------------------------------- LinkedIn


def test_linkedin_three_line_preamble_bom_crlf(store: Store) -> None:
    parsed = parse_linkedin(DATA / "linkedin_preamble_3_lines_bom_crlf.csv")

    assert parsed.problems == []
    assert [row.line for row in parsed.rows] == [5, 6, 7]  # Notes:, note, blank, header
    jane, zoe, raj = (row.contact for row in parsed.rows)
    assert jane == NewContact(
        name="Jane Doe",
        company="Acme Corp",
        role="Product Manager",
        linkedin_url="https://www.linkedin.com/in/jane-doe-1a2b3c",
        how_met="LinkedIn",
        connected_on="2024-03-12",
    )
    assert zoe.name == "Zoë Ångström"
    assert zoe.emails == ("zoe@example.com",)
    assert zoe.company == "Widgets, Inc."
    assert zoe.role == 'Head of "Design"'
    assert zoe.linkedin_url == "https://www.linkedin.com/in/zoe-angstrom"
    assert raj.connected_on == "2022-12-28"
    assert parsed.mapping["Position"] == "role"

    first = run(store, "linkedin", "linkedin_preamble_3_lines_bom_crlf.csv")
    assert first == ImportSummary(added=3, merged=0, unchanged=0, skipped=0)
    contacts = store.contacts()
    assert [c.name for c in contacts] == ["Jane Doe", "Zoë Ångström", "Raj Patel"]
    assert contacts[1].emails == ("zoe@example.com",)
    events = store.events(contacts[0].id)
    assert [(e.kind, e.to_stage, e.cause, e.at) for e in events] == [
        ("stage", "identified", "import linkedin linkedin_preamble_3_lines_bom_crlf.csv", NOW)
    ]
    before = counts(store)

    again = run(store, "linkedin", "linkedin_preamble_3_lines_bom_crlf.csv")

    assert again == ImportSummary(added=0, merged=0, unchanged=3, skipped=0)
    assert counts(store) == before


def test_linkedin_five_line_preamble_finds_the_header(store: Store) -> None:
    parsed = parse_linkedin(DATA / "linkedin_preamble_5_lines.csv")

    assert [row.line for row in parsed.rows] == [7, 8, 9]
    assert [row.contact.name for row in parsed.rows] == ["Jane Doe", "Zoë Ångström", "Raj Patel"]
    # The same people as the 3-line export: importing both adds them once.
    run(store, "linkedin", "linkedin_preamble_3_lines_bom_crlf.csv")
    assert run(store, "linkedin", "linkedin_preamble_5_lines.csv").added == 0


def test_linkedin_export_without_url_column(store: Store) -> None:
    parsed = parse_linkedin(DATA / "linkedin_no_url_column.csv")

    assert parsed.problems == []
    assert [(r.line, r.contact.name, r.contact.linkedin_url) for r in parsed.rows] == [
        (4, "Ana Lima", ""),
        (5, "Tom Berg", ""),
    ]
    assert parsed.rows[0].contact.role == "Researcher"  # mapped by name, not position
    assert parsed.rows[0].contact.company == "Fiocruz"
    assert "URL" not in parsed.mapping
    assert run(store, "linkedin", "linkedin_no_url_column.csv").added == 2
    # Tom has neither address nor URL: his unique name still matches on re-import.
    again = run(store, "linkedin", "linkedin_no_url_column.csv")
    assert again == ImportSummary(added=0, merged=0, unchanged=2, skipped=0)


def test_bad_rows_are_reported_by_line_and_nothing_changes(store: Store) -> None:
    parsed = parse_linkedin(DATA / "linkedin_bad_rows.csv")
    assert [(p.line, p.message) for p in parsed.problems] == [
        (6, "no name"),
        (8, "invalid email address 'lee.at.example.com'"),
    ]
    plan = plan_import(store, parsed)

    with pytest.raises(ImportFileError) as caught:
        apply_import(store, plan, skip_bad=False)

    message = str(caught.value)
    assert "linkedin_bad_rows.csv:6: no name" in message
    assert "linkedin_bad_rows.csv:8: invalid email address" in message
    assert "--skip-bad" in message
    assert counts(store) == (0, 0, 0)


def test_skip_bad_imports_the_good_rows(store: Store) -> None:
    summary = run(store, "linkedin", "linkedin_bad_rows.csv", skip_bad=True)

    assert summary == ImportSummary(added=2, merged=0, unchanged=0, skipped=2)
    assert [c.name for c in store.contacts()] == ["Jane Doe", "Raj Patel"]


def test_line_break_in_a_name_is_a_bad_row(store: Store) -> None:
    parsed = parse_linkedin(DATA / "linkedin_line_break_in_name.csv")

    assert [p.line for p in parsed.problems] == [5]  # where the quoted field starts
    assert "line break" in parsed.problems[0].message
    assert [(r.line, r.contact.name) for r in parsed.rows] == [(7, "Raj Patel")]


def test_a_csv_that_is_not_a_linkedin_export(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("Name,Email\nJane,jane@example.com\n", encoding="utf-8")

    with pytest.raises(ImportFileError, match=r"people\.csv: no header row with 'First Name'"):
        parse_linkedin(path)


def test_unreadable_files_name_the_file_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"missing\.csv: no such file"):
        parse("csv", tmp_path / "missing.csv")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("Name\nJosé\n".encode("latin-1"))
    with pytest.raises(ImportFileError, match=r"latin1\.csv: not UTF-8.*save it as UTF-8"):
        parse("csv", latin1)
    binary = tmp_path / "photo.vcf"
    binary.write_bytes(b"\x89PNG\r\n\x00\x00")
    with pytest.raises(ImportFileError, match=r"photo\.vcf: a binary file"):
        parse("vcard", binary)
    with pytest.raises(ImportFileError, match="unknown import kind"):
        parse("xlsx", latin1)


def test_bad_connected_on_and_extra_fields_are_row_problems(tmp_path: Path) -> None:
    path = tmp_path / "Connections.csv"
    path.write_text(
        "First Name,Last Name,Connected On\n"
        "Ana,Lima,someday\n"
        "Tom,Berg,17 Aug 2020,unquoted, comma\n"
        "Eva,Kim,2021-05-04\n",
        encoding="utf-8",
    )

    parsed = parse_linkedin(path)

    assert [(p.line, p.message.split(" ")[0]) for p in parsed.problems] == [
        (2, "Connected"),
        (3, "5"),
    ]
    assert "double quotes" in parsed.problems[1].message
    assert parsed.rows[0].contact.connected_on == "2021-05-04"


# ---------------------------------------------------------------- merging


def test_merge_by_email_fills_empty_fields_and_never_overwrites(store: Store) -> None:
    jane = store.add_contact(
        NewContact(name="Jane Doe", emails=("jane@acme.example",), role="Director")
    )
    parsed = parse_csv(DATA / "csv_other_column_names.csv")
    plan = plan_import(store, parsed)

    lines = list(plan.lines())
    assert lines[0].startswith(
        "csv_other_column_names.csv:2: merge into Jane Doe (id 1), matched by email address: "
        "adds company, linkedin_url, how_met, address jane.doe@gmail.example, "
        "tags alumni, product, referred_by Raj Patel (line 3)"
    )
    assert lines[1] == "csv_other_column_names.csv:3: add Raj Patel"
    assert lines[-1] == "csv_other_column_names.csv: would add 1, merge 1, leave 0 unchanged"
    assert counts(store) == (1, 1, 1)  # planning wrote nothing

    summary = apply_import(store, plan, skip_bad=False, now=NOW)

    assert summary == ImportSummary(added=1, merged=1, unchanged=0, skipped=0)
    merged = store.get(jane.id)
    raj = store.resolve("Raj Patel")
    assert merged.name == "Jane Doe"  # not the file's "Doe, Jane"
    assert merged.role == "Director"  # the user's value stays
    assert merged.company == "Acme Corp"
    assert merged.emails == ("jane@acme.example", "jane.doe@gmail.example")
    assert merged.tags == ("alumni", "product")
    assert merged.how_met == "conference"
    assert merged.referred_by == raj.id
    imports = store.events(jane.id, kind="import")
    assert len(imports) == 1
    assert imports[0].cause == "import csv csv_other_column_names.csv"
    assert "line 2" in imports[0].detail
    assert "jane.doe@gmail.example" in imports[0].detail
    assert run(store, "csv", "csv_other_column_names.csv").added == 0


def test_merge_by_linkedin_url(store: Store) -> None:
    run(store, "linkedin", "linkedin_preamble_3_lines_bom_crlf.csv")

    summary = run(store, "linkedin", "linkedin_later_export_with_emails.csv")

    assert summary == ImportSummary(added=0, merged=2, unchanged=0, skipped=0)
    jane = store.resolve("Jane Doe")
    assert jane.emails == ("jane@acme.example",)
    assert jane.role == "Product Manager"  # not the later "Senior PM"
    raj = store.resolve("Raj Patel")
    assert (raj.company, raj.role, raj.emails) == ("Globex", "Analyst", ("raj@example.net",))
    assert [e.kind for e in store.events(raj.id)] == ["stage", "import"]
    assert store.contact_id_for_linkedin("https://www.linkedin.com/in/rajpatel") == raj.id


def test_duplicates_within_a_file_merge_into_one(store: Store) -> None:
    plan = plan_import(store, parse_csv(DATA / "csv_duplicates_in_file.csv"))

    assert [(row.line, row.action, row.same_as_line) for row in plan.rows] == [
        (2, "add", None),
        (3, "merge", 2),
        (4, "unchanged", 2),
    ]
    assert apply_import(store, plan, skip_bad=False).added == 1
    (jane,) = store.contacts()
    assert jane.emails == ("jane@acme.example", "jd@home.example")
    assert (jane.company, jane.role) == ("Acme Corp", "PM")


def test_an_address_of_another_contact_is_left_out_and_said(store: Store, tmp_path: Path) -> None:
    store.add_contact(NewContact(name="Ana Lima", emails=("ana@example.org",)))
    store.add_contact(NewContact(name="Shared Inbox", emails=("team@example.org",)))
    text = (DATA / "csv_first_last_semicolons.csv").read_text(encoding="utf-8")
    other = tmp_path / "ana.csv"
    other.write_text(text.replace("ana@example.org", "ana@example.org,team@example.org"))

    plan = plan_import(store, parse_csv(other))

    (row,) = plan.rows
    assert row.action == "merge"
    assert "team@example.org belongs to Shared Inbox (id 2), left out" in row.notes


def test_unknown_referrer_is_a_note_not_a_failure(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "referrals.csv"
    path.write_text("Name,Referred by\nEva Kim,Nobody Known\n", encoding="utf-8")

    plan = plan_import(store, parse_csv(path))

    assert "referred by 'Nobody Known': no contact by that name, left empty" in next(plan.lines())
    apply_import(store, plan, skip_bad=False)
    assert store.resolve("Eva Kim").referred_by is None


def test_apply_is_all_or_nothing(store: Store) -> None:
    plan = plan_import(store, parse_linkedin(DATA / "linkedin_later_export_with_emails.csv"))
    # Someone adds Raj's address between the plan and the import.
    store.add_contact(NewContact(name="R. Patel", emails=("raj@example.net",)))
    before = counts(store)

    with pytest.raises(ImportFileError, match="changed while importing"):
        apply_import(store, plan, skip_bad=False)

    assert counts(store) == before


# ---------------------------------------------------------------- generic CSV


def test_csv_mapping_is_reported(tmp_path: Path) -> None:
    parsed = parse_csv(DATA / "csv_other_column_names.csv")

    assert parsed.mapping == {
        "Full Name": "name",
        "E-mail": "emails",
        "Organization": "company",
        "Job Title": "role",
        "LinkedIn URL": "linkedin_url",
        "Tags": "tags",
        "How Met": "how_met",
        "Referred By": "referred_by",
        "Phone": IGNORED,
    }
    assert "CSV column 'Job Title' -> role" in parsed.mapping_lines()
    assert "CSV column 'Phone' -> ignored" in parsed.mapping_lines()
    jane = parsed.rows[0]
    assert jane.contact.name == "Doe, Jane"
    assert jane.contact.emails == ("jane@acme.example", "jane.doe@gmail.example")
    assert jane.referrer == "Raj Patel"


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("csv_unterminated_quote_at_end.csv", 2),
        # Without strict parsing, Ben's and Cy's rows became part of one name.
        ("csv_unterminated_quote_swallows_rows.csv", 3),
    ],
)
def test_an_unterminated_quote_refuses_the_file(name: str, line: int) -> None:
    with pytest.raises(ImportFileError) as caught:
        parse_csv(DATA / name)
    assert str(caught.value) == (
        f'{DATA / name}:{line}: unterminated quote (a " that is never closed, so the rest of '
        f"the file would be read as one value); close the quote or remove it"
    )


def test_text_after_a_closing_quote_refuses_the_file() -> None:
    """'"Dana" Lee' was read as 'Dana Lee': a guess at what a broken quote meant."""
    with pytest.raises(ImportFileError, match=r"text_after_closing_quote\.csv:2: not readable"):
        parse_csv(DATA / "csv_text_after_closing_quote.csv")


def test_cli_import_of_an_unterminated_quote_imports_nothing(workspace: Workspace) -> None:
    path = DATA / "csv_unterminated_quote_at_end.csv"
    for extra in ((), ("--dry-run",), ("--skip-bad",)):
        result = workspace.run("import", "csv", str(path), *extra)
        assert result.exit_code == 1, extra
        assert result.stderr.startswith(f"Error: {path}:2: unterminated quote"), extra
    assert workspace.run("list", "--json").stdout.strip() == "[]"


def test_cli_dry_run_fails_like_the_import_on_bad_rows(workspace: Workspace) -> None:
    path = str(DATA / "linkedin_bad_rows.csv")
    real = workspace.run("import", "linkedin", path)
    dry = workspace.run("import", "linkedin", path, "--dry-run")
    assert real.exit_code == dry.exit_code == 1
    assert real.stderr.splitlines()[-1] == dry.stderr.splitlines()[-1]
    assert dry.stderr.splitlines()[-1].startswith(
        "Error: linkedin_bad_rows.csv has 2 bad row(s): linkedin_bad_rows.csv:6: no name"
    )
    assert "Dry run" not in dry.output


def test_cli_dry_run_with_skip_bad_lists_what_would_be_skipped(workspace: Workspace) -> None:
    path = str(DATA / "linkedin_bad_rows.csv")
    dry = workspace.run("import", "linkedin", path, "--dry-run", "--skip-bad")
    assert dry.exit_code == 0, dry.output
    assert "linkedin_bad_rows.csv:6: would skip: no name" in dry.stderr
    assert "would add 2, merge 0, leave 0 unchanged, 2 bad row(s)" in dry.stdout
    assert workspace.run("list", "--json").stdout.strip() == "[]"
    real = workspace.run("import", "linkedin", path, "--skip-bad")
    assert "linkedin_bad_rows.csv:6: skipped: no name" in real.stderr
    assert "2 added" in real.stdout


def test_csv_semicolons_and_first_last_columns() -> None:
    parsed = parse_csv(DATA / "csv_first_last_semicolons.csv")

    (row,) = parsed.rows
    assert (row.contact.name, row.contact.emails, row.contact.role) == (
        "Ana Lima",
        ("ana@example.org",),
        "Researcher",
    )
    assert parsed.mapping["first name"] == "name (first part)"


def test_csv_without_a_name_column() -> None:
    with pytest.raises(ImportFileError) as caught:
        parse_csv(DATA / "csv_no_name_column.csv")

    message = str(caught.value)
    assert "csv_no_name_column.csv: no name column" in message
    assert "columns found: 'Email', 'Company'" in message
    assert "Name, Full Name, or First Name and Last Name" in message


def test_names_only_csv_reimports_unchanged(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("Name,Company\nEva Kim,\nEva Kim,Acme\n", encoding="utf-8")

    assert run(store, "csv", str(path)).added == 1
    assert store.resolve("Eva Kim").company == "Acme"
    assert run(store, "csv", str(path)) == ImportSummary(0, 0, 2, 0)


@pytest.mark.parametrize(
    ("stored", "in_file"),
    [
        ("Jose Alvarez", "José Álvarez"),
        ("José Álvarez", "jose alvarez"),
        ("Søren Kierkegaard", "Soren Kierkegaard"),
        ("Lukasz Zolw", "Łukasz Żółw"),
    ],
)
def test_a_name_match_ignores_accents_and_case_and_keeps_the_stored_name(
    store: Store, tmp_path: Path, stored: str, in_file: str
) -> None:
    """`coffeechat show jose` finds José (Store.resolve folds); an import must match him too."""
    known = store.add_contact(NewContact(name=stored, emails=()))
    path = tmp_path / "names.csv"
    path.write_text(f"Name,Company\n{in_file},Acme\n", encoding="utf-8")

    plan = plan_import(store, parse_csv(path))

    assert next(plan.lines()) == (
        f"names.csv:2: merge into {stored} (id {known.id}), matched by name {in_file!r} "
        f"(the contact keeps its spelling): adds company"
    )
    assert apply_import(store, plan, skip_bad=False, now=NOW).added == 0
    (contact,) = store.contacts()
    assert (contact.name, contact.company) == (stored, "Acme")
    unchanged = next(plan_import(store, parse_csv(path)).lines())
    assert unchanged == (
        f"names.csv:2: unchanged, already {stored} (id {known.id}), matched by name "
        f"{in_file!r} (the contact keeps its spelling)"
    )


def test_a_name_match_spelled_the_same_says_no_more(store: Store, tmp_path: Path) -> None:
    store.add_contact(NewContact(name="José Álvarez", emails=()))
    path = tmp_path / "names.csv"
    path.write_text("Name\nJosé Álvarez\n", encoding="utf-8")

    (line, _) = plan_import(store, parse_csv(path)).lines()

    assert line == "names.csv:2: unchanged, already José Álvarez (id 1), matched by name"


def test_rows_of_one_file_match_by_name_across_accents(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("Name,Company\nJosé Álvarez,\nJOSE ALVAREZ,Acme\n", encoding="utf-8")

    plan = plan_import(store, parse_csv(path))

    assert [(row.action, row.same_as_line) for row in plan.rows] == [("add", None), ("merge", 2)]
    apply_import(store, plan, skip_bad=False, now=NOW)
    (contact,) = store.contacts()
    assert (contact.name, contact.company) == ("José Álvarez", "Acme")


def test_a_referrer_name_matches_across_accents(store: Store, tmp_path: Path) -> None:
    jose = store.add_contact(NewContact(name="José Álvarez", emails=("jose@example.org",)))
    path = tmp_path / "referrals.csv"
    path.write_text("Name,Referred by\nEva Kim,jose alvarez\n", encoding="utf-8")

    apply_import(store, plan_import(store, parse_csv(path)), skip_bad=False, now=NOW)

    assert store.resolve("Eva Kim").referred_by == jose.id


def test_a_namesake_note_names_the_contact_as_stored(store: Store, tmp_path: Path) -> None:
    store.add_contact(NewContact(name="Jose Alvarez", emails=("jose@old.example",)))
    path = tmp_path / "people.csv"
    path.write_text("Name,Email\nJosé Álvarez,jose@new.example\n", encoding="utf-8")

    plan = plan_import(store, parse_csv(path))

    # An address of its own: maybe another person, so added beside, with a word about it.
    assert plan.notes() == ["people.csv:2: same name as Jose Alvarez (id 1)"]


CSV_NOTES = DATA / "csv_notes_column_multiline.csv"
PRIYA_CSV_NOTES = ["Met at the alumni mixer;\nknows the design team", "Prefers mornings"]


def test_csv_notes_columns_become_notes_once(store: Store) -> None:
    parsed = parse_csv(CSV_NOTES)
    priya, eva = parsed.rows
    assert parsed.mapping["Notes"] == parsed.mapping["Note 2"] == "notes"
    # A quoted cell's CRLF as one newline, as for a vCard NOTE; an empty cell is no note.
    assert list(priya.contact_notes) == PRIYA_CSV_NOTES
    assert eva.contact_notes == ()

    run(store, "csv", CSV_NOTES.name)
    found = store.resolve("priya@example.org")
    assert [e.detail for e in store.events(found.id, "note")] == PRIYA_CSV_NOTES
    assert [e.cause for e in store.events(found.id, "note")] == ["import csv " + CSV_NOTES.name] * 2

    # Importing the same file again changes nothing and does not double the notes.
    assert run(store, "csv", CSV_NOTES.name) == ImportSummary(0, 0, 2, 0)
    assert [e.detail for e in store.events(found.id, "note")] == PRIYA_CSV_NOTES


@pytest.mark.parametrize("header", ["Notes", "note", "NOTES", "Comments", "Comment"])
def test_csv_note_header_spellings(tmp_path: Path, header: str) -> None:
    path = tmp_path / "people.csv"
    path.write_text(f"Name,{header}\nEva Kim,Knows the hiring manager\n", encoding="utf-8")

    parsed = parse_csv(path)

    assert parsed.mapping[header] == "notes"
    assert parsed.rows[0].contact_notes == ("Knows the hiring manager",)


def test_csv_note_merges_into_a_known_contact_without_repeating_one(store: Store) -> None:
    priya = store.add_contact(NewContact(name="Priya N.", emails=("priya@example.org",)))
    store.add_note(priya, "Prefers mornings", at="2024-05-01T09:00:00+00:00")  # by hand

    plan = plan_import(store, parse_csv(CSV_NOTES))
    assert [(r.action, r.changes) for r in plan.rows] == [("merge", ("note",)), ("add", ())]
    apply_import(store, plan, skip_bad=False, now=NOW)

    assert [e.detail for e in store.events(priya.id, "note")] == [
        "Prefers mornings",
        PRIYA_CSV_NOTES[0],
    ]


_cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=30
).filter(lambda s: s == s.strip())
_rows = st.lists(
    st.tuples(
        _cell_text.filter(bool),
        st.lists(
            st.from_regex(r"[a-z0-9]{1,8}@[a-z]{1,8}\.(org|com)", fullmatch=True),
            max_size=2,
            unique=True,
        ),
        _cell_text,
        _cell_text,
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_rows)
def test_csv_rows_round_trip(rows: list[tuple[str, list[str], str, str]]) -> None:
    """Names with commas, quotes and any Unicode survive csv.writer -> parse_csv."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "people.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["Name", "Email", "Company", "Title"])
            for name, emails, company, role in rows:
                writer.writerow([name, "; ".join(emails), company, role])

        parsed = parse_csv(path)

    assert parsed.problems == []
    got = [
        (r.contact.name, list(r.contact.emails), r.contact.company, r.contact.role)
        for r in parsed.rows
    ]
    # Names are stored with each run of spaces (no-break ones too) made one space.
    assert got == [(normalize_name(name), *rest) for name, *rest in rows]
    assert [r.line for r in parsed.rows] == list(range(2, len(rows) + 2))


# ---------------------------------------------------------------- vCard


def test_vcard_21_quoted_printable_with_two_emails() -> None:
    parsed = parse_vcard(DATA / "vcard21_quoted_printable_two_emails.vcf")

    assert parsed.problems == []
    (row,) = parsed.rows
    assert row.line == 1
    assert row.contact.name == "Jürgen Müller"
    assert row.contact.emails == ("juergen@example.de", "j.mueller@firma.example")
    assert (row.contact.company, row.contact.role) == ("Firma GmbH", "Ingenieur")
    assert parsed.mapping["NOTE"] == "notes"
    assert row.contact_notes == ("Met at\nthe fair",)  # a CRLF in the note, as one newline


def test_vcard_30_cards_linkedin_url_and_n_only_name() -> None:
    parsed = parse_vcard(DATA / "vcard30_two_cards_linkedin_url.vcf")

    zoe, chidi = parsed.rows
    assert (zoe.line, chidi.line) == (1, 13)
    assert zoe.contact.name == "Zoë Ångström"
    assert zoe.contact.emails == ("zoe@widgets.example", "zoe@example.com")  # PREF first
    assert zoe.contact.company == "Widgets, Inc."
    assert zoe.contact.linkedin_url == "https://www.linkedin.com/in/zoe-angstrom"
    assert zoe.contact.tags == ("alumni", "design")
    assert chidi.contact.name == "Dr. Chidi Okafor"


def test_vcard_40_pref_and_categories(store: Store) -> None:
    parsed = parse_vcard(DATA / "vcard40_pref_and_categories.vcf")

    (row,) = parsed.rows
    assert row.contact.emails == ("ana@example.org", "ana.home@example.org")
    assert row.contact.linkedin_url == "https://www.linkedin.com/in/analima"
    assert row.contact.tags == ("research", "alumni")
    # The same Ana as the LinkedIn export (by address): a merge, not a second Ana.
    run(store, "linkedin", "linkedin_no_url_column.csv")
    summary = apply_import(store, plan_import(store, parsed), skip_bad=False)
    assert (summary.added, summary.merged) == (0, 1)
    ana = store.resolve("Ana Lima")
    assert ana.emails == ("ana@example.org", "ana.home@example.org")
    assert ana.linkedin_url == "https://www.linkedin.com/in/analima"


VCARD_NOTE = DATA / "vcard30_note_with_escapes_and_phone.vcf"
PRIYA_NOTE = "Met at the alumni mixer; very friendly, knows\nthe design team"


def test_vcard_note_is_kept_as_a_note_once(store: Store) -> None:
    parsed = parse_vcard(VCARD_NOTE)
    (row,) = parsed.rows
    assert row.contact_notes == (PRIYA_NOTE,)  # \; \, and \n unescaped (RFC 6350 3.4)
    assert [k for k, v in parsed.mapping.items() if v == IGNORED] == ["TEL", "ADR", "BDAY"]

    apply_import(store, plan_import(store, parsed), skip_bad=False, now=NOW)
    priya = store.resolve("priya@example.org")
    assert [e.detail for e in store.events(priya.id, "note")] == [PRIYA_NOTE]

    # Importing the same card again changes nothing and does not double the note.
    again = apply_import(store, plan_import(store, parse_vcard(VCARD_NOTE)), skip_bad=False)
    assert (again.added, again.merged, again.unchanged) == (0, 0, 1)
    assert [e.detail for e in store.events(priya.id, "note")] == [PRIYA_NOTE]


def test_vcard_note_merges_into_a_known_contact(store: Store) -> None:
    priya = store.add_contact(NewContact(name="Priya N.", emails=("priya@example.org",)))

    plan = plan_import(store, parse_vcard(VCARD_NOTE))
    assert [(r.action, r.changes) for r in plan.rows] == [("merge", ("note",))]
    apply_import(store, plan, skip_bad=False, now=NOW)

    assert [e.detail for e in store.events(priya.id, "note")] == [PRIYA_NOTE]


def test_cli_vcard_import_names_the_properties_it_left_out(workspace: Workspace) -> None:
    result = workspace.run("import", "vcard", str(VCARD_NOTE))

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "vCard properties not imported: TEL, ADR, BDAY"
    assert result.stdout.count("not imported") == 1
    assert "Met at the alumni mixer; very friendly, knows" in workspace.run("show", "priya").stdout


def test_a_broken_card_is_a_bad_row_with_its_line() -> None:
    parsed = parse_vcard(DATA / "vcard_one_broken_card.vcf")

    assert [r.contact.name for r in parsed.rows] == ["Good Person"]
    assert [p.line for p in parsed.problems] == [6, 10]
    assert parsed.problems[0].message.startswith("cannot read this vCard")
    assert parsed.problems[1].message == "no name"


def test_a_file_without_cards(tmp_path: Path) -> None:
    path = tmp_path / "notes.vcf"
    path.write_text("hello\n", encoding="utf-8")

    with pytest.raises(ImportFileError, match=r"notes\.vcf: no BEGIN:VCARD"):
        parse_vcard(path)


# ---------------------------------------------------------------- helpers and scale


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("https://www.linkedin.com/in/jane/", "https://www.linkedin.com/in/jane"),
        ("HTTP://WWW.LinkedIn.com/in/Jane?trk=abc", "https://www.linkedin.com/in/Jane"),
        # One profile, however the host is spelled: LinkedIn sends them all to www.
        ("linkedin.com/in/jane", "https://www.linkedin.com/in/jane"),
        ("https://uk.linkedin.com/in/jane/", "https://www.linkedin.com/in/jane"),
        ("", ""),
    ],
)
def test_normalize_linkedin_url(url: str, normal: str) -> None:
    assert normalize_linkedin_url(url) == normal


@pytest.mark.slow
def test_thirty_thousand_rows_import_in_bulk(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "Connections.csv"
    lines = [
        '\ufeffNotes:\r\n"Some addresses are missing."\r\n\r\n',
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\r\n",
    ]
    lines += [
        f"Per{i},Son,https://www.linkedin.com/in/p-{i},{f'p{i}@example.com' if i % 5 == 0 else ''}"
        f",Co {i % 300},Role,{1 + i % 28} Mar 2024\r\n"
        for i in range(30_000)
    ]
    path.write_text("".join(lines), encoding="utf-8", newline="")

    started = time.perf_counter()
    summary = apply_import(store, plan_import(store, parse_linkedin(path)), skip_bad=False)
    elapsed = time.perf_counter() - started

    assert summary.added == 30_000
    assert counts(store) == (30_000, 6_000, 30_000)
    # The bench holds the 2 s line on a quiet machine; this only catches a per-row query.
    assert elapsed < 15
    again = apply_import(store, plan_import(store, parse_linkedin(path)), skip_bad=False)
    assert again.unchanged == 30_000


def test_notes_are_listed_for_after_the_import(store: Store) -> None:
    run(store, "linkedin", "linkedin_preamble_3_lines_bom_crlf.csv")

    plan = plan_import(store, parse_csv(DATA / "csv_other_column_names.csv"))

    # Raj has an address now but none before: a namesake, and an ambiguous referrer.
    assert plan.notes() == [
        "csv_other_column_names.csv:2: referred by 'Raj Patel': 2 contacts by that name, "
        "left empty",
        "csv_other_column_names.csv:3: same name as Raj Patel (id 3)",
    ]


def test_imported_names_collapse_runs_of_whitespace(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text(
        "Name,Email\n  Mary   O'Brien ,mary@acme.com\nEva\u00a0\u00a0Kim,\n", encoding="utf-8"
    )
    store.add_contact(NewContact("Eva Kim", ()))
    assert run(store, "csv", str(path)).added == 1  # Eva Kim is the one already stored
    assert [c.name for c in store.contacts()] == ["Eva Kim", "Mary O'Brien"]


def test_csv_google_contacts_export() -> None:
    """Google Contacts puts several values in one cell joined by ' ::: ' and names the
    employer 'Organization Name'; the second address and the company were lost."""
    parsed = parse_csv(DATA / "csv_google_contacts.csv")

    (row,) = parsed.rows
    contact = row.contact
    assert contact.emails == ("ole@y.example", "ole@home.example")
    assert (contact.company, contact.role) == ("Yco", "Data Engineer")
    assert contact.tags == ("* myContacts", "Alumni")
    assert parsed.mapping["Organization Name"] == "company"
    assert parsed.mapping["Organization Title"] == "role"
    assert parsed.mapping["Organization Department"] == IGNORED


def test_a_profile_added_without_www_merges_with_the_linkedin_export(store: Store) -> None:
    """`add --linkedin linkedin.com/in/...` and LinkedIn's own https://www.linkedin.com/in/...
    are one person: the import added a second Zoë, with only a same-name warning."""
    store.add_contact(
        NewContact(name="Zoë Ångström", linkedin_url="https://linkedin.com/in/zoe-angstrom"),
        cause="add",
    )
    run(store, "linkedin", "linkedin_preamble_5_lines.csv")
    [zoe] = [c for c in store.contacts() if c.name == "Zoë Ångström"]
    assert zoe.emails == ("zoe@example.com",)
