import os
import sqlite3
import stat
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coffeechat.errors import (
    AmbiguousContact,
    ContactNotFound,
    StageError,
    StoreError,
    UsageMistake,
)
from coffeechat.models import NewContact
from coffeechat.pipeline import Stage
from coffeechat.store import MIGRATIONS, Store, fold, normalize_name


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "db" / "coffeechat.db")


def test_database_is_private_wal_and_migrated(tmp_path: Path) -> None:
    path = tmp_path / "coffeechat.db"
    store = Store.open(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
    names = [r[0] for r in store.db.execute("SELECT name FROM _migrations ORDER BY name")]
    assert names == [name for name, _ in MIGRATIONS]
    store.close()
    Store.open(path).close()  # reopening applies nothing twice


def test_email_lookups_use_an_index(store: Store) -> None:
    plan = store.db.execute(
        "EXPLAIN QUERY PLAN SELECT contact_id FROM emails WHERE address = ?", ["x"]
    ).fetchall()
    assert any("USING" in row[-1] and "INDEX" in row[-1] for row in plan)


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a coffeechat database"):
        Store.open(path)


def _read_only_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """Open every database read-only, as sqlite does for a file or folder without write
    permission (chmod cannot show it: the tests may run as root, who may write anyway)."""
    connect = sqlite3.connect

    def read_only(path: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        return connect(f"file:{path}?mode=ro", *args, uri=True, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect", read_only)


def test_a_read_only_database_is_not_called_foreign(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A read-only data folder: sqlite cannot set up WAL. The database is fine; moving it
    # away, as "not a coffeechat database" advised, would hide the user's contacts.
    path = tmp_path / "coffeechat.db"
    path.touch()
    _read_only_connections(monkeypatch)
    with pytest.raises(StoreError) as caught:
        Store.open(path)
    message = str(caught.value)
    assert "not a coffeechat database" not in message
    assert "move it away" not in message
    assert f"{path}: cannot write the database (read-only)" in message
    assert f"chmod u+w {tmp_path} {path}*" in message


def test_missing_database_without_create(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="run `coffeechat init`"):
        Store.open(tmp_path / "none.db", create=False)


def test_add_and_resolve(store: Store) -> None:
    dana = store.add_contact(NewContact("Dana Lee", ("Dana@Acme.com", "dana@home.org"), "Acme"))
    store.add_contact(NewContact("Dan Brown", ("dan@x.org",)))
    store.add_contact(NewContact("Sam Dana", ()))
    assert dana.emails == ("dana@acme.com", "dana@home.org")
    assert store.resolve(str(dana.id)).id == dana.id
    assert store.resolve("DANA@acme.com").id == dana.id
    assert store.resolve("dana@home.org").id == dana.id
    assert store.resolve("lee").id == dana.id
    with pytest.raises(AmbiguousContact) as caught:
        store.resolve("da")
    assert "Dana Lee" in str(caught.value) and "Dan Brown" in str(caught.value)
    with pytest.raises(ContactNotFound):
        store.resolve("nobody")
    with pytest.raises(ContactNotFound):
        store.resolve("99")


def test_resolve_prefers_a_whole_word_to_a_match_inside_a_word(store: Store) -> None:
    """`show ana` beside two Dana Lees meant Ana Souza, not "matches 3 contacts"."""
    store.add_contact(NewContact("Dana Lee", ("dana@acme.example",)))
    store.add_contact(NewContact("Dana Lee", ("dana@globex.example",)))
    ana = store.add_contact(NewContact("Ana Souza", ()))
    dan = store.add_contact(NewContact("Dan Brown", ()))
    assert store.resolve("ana").id == ana.id
    assert store.resolve("ANA SOUZA").id == ana.id
    assert store.resolve("souza").id == ana.id
    assert store.resolve("dan").id == dan.id  # "Dan", not the "Dan" of "Dana"
    with pytest.raises(AmbiguousContact) as caught:
        store.resolve("lee")  # two whole-word matches: still the user's choice
    assert str(caught.value) == (
        "'lee' matches 2 contacts (1: Dana Lee <dana@acme.example>; "
        "2: Dana Lee <dana@globex.example>); use the id or the email address"
    )


def test_resolve_prefers_the_exact_name_beyond_the_first_ten_matches(store: Store) -> None:
    for n in range(12):
        store.add_contact(NewContact(f"Sam Roe{n}", ()))
    sam = store.add_contact(NewContact("Sam Roe", ()))
    assert store.resolve("sam roe").id == sam.id
    with pytest.raises(AmbiguousContact) as caught:
        store.resolve("sam")
    assert str(caught.value).startswith("'sam' matches 13 contacts (1: Sam Roe0; ")
    assert str(caught.value).endswith("10: Sam Roe9 and 3 more); use the id or the email address")


@pytest.mark.parametrize("who", ["", "   ", "\t"])
def test_resolve_refuses_an_empty_who(store: Store, who: str) -> None:
    # A blank is a part of every name: it used to match every contact.
    store.add_contact(NewContact("Dana Lee", ()))
    with pytest.raises(UsageMistake) as caught:
        store.resolve(who)
    assert str(caught.value) == "WHO is empty: give a name, an email address or an id"


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("José Álvarez", "jose alvarez"),
        ("Søren Kierkegaard", "soren kierkegaard"),
        ("Łukasz Żółw", "lukasz zolw"),
        ("Æsa Œuvre", "aesa oeuvre"),
        ("Straße", "strasse"),
        ("Jane O'Neil-Smith", "jane o'neil-smith"),
    ],
)
def test_fold_spells_names_plainly(text: str, folded: str) -> None:
    assert fold(text) == folded


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_fold_of_ascii_is_its_casefold(text: str) -> None:
    """fold skips its Unicode steps for ASCII text (most names, 30,000 on an import):
    NFKD and the letter table change nothing there, so the result must not change."""
    full = unicodedata.normalize("NFKD", text.casefold())
    assert fold(text) == "".join(ch for ch in full if not unicodedata.combining(ch))


def test_an_address_belongs_to_one_contact(store: Store) -> None:
    store.add_contact(NewContact("Dana Lee", ("dana@acme.com",)))
    with pytest.raises(Exception, match="already belongs to Dana Lee"):
        store.add_contact(NewContact("Other", ("dana@acme.com",)))
    assert len(store.contacts()) == 1


def test_move_writes_an_event_and_refuses_illegal_moves(store: Store) -> None:
    dana = store.add_contact(NewContact("Dana Lee", ("dana@acme.com",)))
    dana = store.move(dana, Stage.CONTACTED, "sent", "<m1@x>")
    with pytest.raises(StageError):
        store.move(dana, Stage.THANKED, "no", "test")
    assert store.get(dana.id).stage is Stage.CONTACTED
    events = store.events(dana.id)
    assert [(e.from_stage, e.to_stage, e.cause) for e in events] == [
        (None, "identified", "add"),
        ("identified", "contacted", "<m1@x>"),
    ]
    forced = store.move(dana, Stage.THANKED, "by hand", "stage command", manual=True)
    assert forced.stage is Stage.THANKED


def test_failed_transaction_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.add_contact(NewContact("Half", ("half@x.org",)))
        raise RuntimeError("boom")
    assert store.contacts() == []


def test_relaxed_durability_ends_with_the_block_even_when_it_fails(store: Store) -> None:
    def synchronous() -> int:
        return int(store.db.execute("PRAGMA synchronous").fetchone()[0])

    assert synchronous() == 2  # FULL: what the user types waits for the disk
    with pytest.raises(RuntimeError), store.relaxed_durability():
        assert synchronous() == 1  # NORMAL: a commit in WAL mode skips the fsync
        with store.transaction():
            store.add_contact(NewContact("Scanned", ("s@x.org",)))
        raise RuntimeError("the scan failed")
    assert synchronous() == 2
    assert [c.name for c in store.contacts()] == ["Scanned"]  # committed, not undone


def test_busy_database_waits_instead_of_failing(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    first = Store.open(path)
    second = Store.open(path)
    first.add_contact(NewContact("A", ("a@x.org",)))
    assert [c.name for c in second.contacts()] == ["A"]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_messages_are_never_doubled(store: Store) -> None:
    dana = store.add_contact(NewContact("Dana Lee", ("dana@acme.com",)))
    assert store.record_message(
        "<a@x>",
        dana.id,
        direction="sent",
        kind="outreach",
        subject="Hi",
        at="2026-01-01T10:00:00+00:00",
    )
    assert not store.record_message(
        "<a@x>",
        dana.id,
        direction="sent",
        kind="outreach",
        subject="Hi",
        at="2026-01-01T10:00:00+00:00",
    )
    store.record_message(
        "<b@x>",
        dana.id,
        direction="received",
        kind="reply",
        subject="Re: Hi",
        at="2026-01-02T10:00:00+00:00",
    )
    last = store.last_exchange(dana.id)
    assert last is not None and last["message_id"] == "<b@x>"


def test_listing_agrees_with_the_contacts_it_summarises(store: Store) -> None:
    """`list` reads its columns with SQL; they must say what `Contact` says."""
    dana = store.add_contact(NewContact("Dana Lee", ("dana@old.example", "dana@new.example")))
    store.mark_undeliverable("dana@old.example")  # the first address bounced
    sam = store.add_contact(NewContact("Sam Roe", (), company="Beta", role="CTO"))
    store.add_contact(NewContact("Ana Diaz", ("ana@x.example",), company="X"))
    store.move(sam, Stage.CONTACTED, "test", "test", manual=True)
    for stage in (None, Stage.CONTACTED, Stage.IDENTIFIED, Stage.MET):
        expected = [
            (str(c.id), c.name, c.company, c.role, c.stage.value, c.email)
            for c in store.contacts(stage)
        ]
        assert store.listing(stage) == expected
    assert store.listing()[0][5] == "dana@new.example" == store.get(dana.id).email


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("  Mary   O'Brien ", "Mary O'Brien"), ("Ana\u00a0\u2003Lima", "Ana Lima"), ("Bo", "Bo")],
)
def test_names_are_stored_with_single_spaces(store: Store, typed: str, stored: str) -> None:
    assert normalize_name(typed) == stored
    contact = store.add_contact(NewContact(typed, ()))
    assert contact.name == stored
    store.update_contact(contact.id, name=f" {typed}  Jr ")
    assert store.get(contact.id).name == f"{stored} Jr"


def test_contacts_named_matches_whole_names_case_and_accents_aside(store: Store) -> None:
    jose = store.add_contact(NewContact("José Núñez", ()))
    store.add_contact(NewContact("Josefina Núñez-Ruiz", ()))
    assert [c.id for c in store.contacts_named("  JOSE   nunez ")] == [jose.id]
    assert store.contacts_named("Núñez") == []  # a part of a name is not the name
    assert store.contacts_named("   ") == []


def test_followed_up_finds_the_contacts_in_a_stage_sent_a_follow_up(store: Store) -> None:
    by_mail, by_hand, waiting, answered = (
        store.add_contact(NewContact(name, (f"{name.lower()}@x.example",)))
        for name in ("Ana", "Ben", "Cy", "Di")
    )
    for contact in (by_mail, by_hand, waiting, answered):
        store.move(contact, Stage.CONTACTED, "outreach sent", "test")
    store.move(store.get(answered.id), Stage.REPLIED, "they answered", "test")
    for contact, kind in ((by_mail, "follow-up"), (waiting, "outreach"), (answered, "follow-up")):
        store.record_message(
            f"<{contact.id}-{kind}@x.example>",
            contact.id,
            direction="sent",
            kind=kind,
            subject="Coffee chat?",
            at="2026-03-02T09:00:00+00:00",
        )
    store.add_event(by_hand.id, "follow-up", None, None, "followed up by phone")
    found = store.followed_up(Stage.CONTACTED)
    assert [c.name for c in found] == ["Ana", "Ben"]
