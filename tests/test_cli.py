"""The contact commands as a user runs them: exit codes, exact errors, JSON shape."""

import json
import re
import subprocess
import sys
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import pytest
import trustme
from click.testing import CliRunner, Result
from coffeechat_fixtures import Workspace
from dovecot import Dovecot
from test_credentials import MemoryKeyring

from coffeechat.cli import main
from coffeechat.config import load


def test_every_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    for name, command in main.commands.items():
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.help and "Example:" in command.help, f"{name} lacks help or an example"


def test_help_lists_the_contract_commands() -> None:
    result = CliRunner().invoke(main, ["--help"])
    for name in (
        "init",
        "login",
        "add",
        "list",
        "show",
        "stage",
        "note",
        "import",
        "export",
        "draft",
        "proofread",
    ):
        assert f"  {name}" in result.output


def test_python_dash_m_works() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "coffeechat", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "coffeechat" in result.stdout


def test_help_and_list_import_no_heavy_libraries(workspace: Workspace) -> None:
    code = (
        "import sys\n"
        "from coffeechat.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "heavy = ['imapclient', 'icalendar', 'jinja2', 'spellchecker', 'proselint', 'dateparser']\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    for args in (["--help"], ["--config", str(workspace.config_path), "list"]):
        result = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
        )
        assert result.stdout.strip().endswith("[]"), (args, result.stdout, result.stderr)


@pytest.mark.parametrize("command", sorted(main.commands))
def test_readme_commands_table_names_every_option(command: str) -> None:
    # Before, the IMAP options a non-default server needs were in no example or table,
    # and then `add --linkedin`/`--how-met` and `edit --linkedin` were missing.
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    (row,) = [line for line in readme.splitlines() if re.match(rf"\| `{command}[ `]", line)]
    for param in main.commands[command].params:  # --help is not among them
        for flag in param.opts:
            if flag.startswith("-"):
                assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", row), flag


def test_init_refuses_to_overwrite(workspace: Workspace) -> None:
    result = workspace.run("init", "--maildir", str(workspace.maildir))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {workspace.config_path}: a config file already exists; "
        f"edit it, or pass --force to replace it\n"
    )


def test_bad_config_is_one_error_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[mail]\nport = "abc"\n')
    result = CliRunner().invoke(main, ["--config", str(config), "list"])
    assert result.exit_code == 1
    assert result.stderr == (f'Error: {config}: mail.port: expected an integer, got "abc"\n')


def test_add_list_show_note_stage(workspace: Workspace) -> None:
    result = workspace.run(
        "add",
        "Dana Lee",
        "--email",
        "dana@acme.com",
        "--company",
        "Acme",
        "--role",
        "UX Lead",
        "--tag",
        "design",
    )
    assert result.exit_code == 0, result.output
    assert "Added Dana Lee (id 1)" in result.output
    workspace.run("add", "Sam Roe", "--email", "sam@beta.org", "--referred-by", "dana")
    listed = json.loads(workspace.run("list", "--json").stdout)
    assert [c["name"] for c in listed] == ["Dana Lee", "Sam Roe"]
    assert listed[1]["referred_by"] == 1
    assert set(listed[0]) >= {"id", "name", "emails", "company", "role", "stage", "referred_by"}
    assert workspace.run("note", "dana", "Prefers mornings").exit_code == 0
    moved = workspace.run("stage", "dana", "contacted")
    assert moved.output.strip() == "Dana Lee: identified → contacted"
    shown = json.loads(workspace.run("show", "dana@acme.com", "--json").stdout)
    assert shown["stage"] == "contacted"
    kinds = [(e["kind"], e["to_stage"]) for e in shown["events"]]
    assert kinds == [("stage", "identified"), ("note", None), ("stage", "contacted")]
    assert set(shown["events"][0]) >= {"at", "kind", "from_stage", "to_stage", "detail"}
    table = workspace.run("list").output
    assert "Dana Lee" in table and "contacted" in table
    text = workspace.run("show", "dana").output
    assert "Prefers mornings" in text and "introduced you to  Sam Roe" in text


def test_show_says_whom_a_contact_introduced_you_to(workspace: Workspace) -> None:
    # Before, Dana's referrals were listed as "referred Sam Roe", which reads as the
    # opposite: that Sam referred Dana. The JSON keeps its keys.
    workspace.run("add", "Dana Lee", "--email", "dana@acme.com")
    workspace.run("add", "Sam Roe", "--email", "sam@beta.org", "--referred-by", "dana")
    dana = workspace.run("show", "dana").output.splitlines()
    assert "  introduced you to  Sam Roe (id 2)" in dana
    assert not [line for line in dana if line.startswith("  referred ")]
    sam = workspace.run("show", "sam").output.splitlines()
    assert "  referred by        Dana Lee (id 1)" in sam
    assert json.loads(workspace.run("show", "sam", "--json").stdout)["referred_by"] == 1


INTRO = "I am a senior at State studying economics and exploring product management."


def test_the_outreach_to_a_former_coworker_introduces_you(workspace: Workspace) -> None:
    workspace.set_me(f'name = "Alex Doe"\nemail = "alex.doe@example.org"\nintro = "{INTRO}"')
    workspace.run(
        "add", "Dana Lee", "--email", "dana@acme.com", "--company", "Acme", "--role",
        "Product Manager", "--how-met", "former coworker at Target",
    )  # fmt: skip
    result = workspace.run("draft", "outreach", "dana", "--dry-run")
    assert result.exit_code == 0, result.output
    assert (
        f"I hope you are doing well. {INTRO} I would value hearing how you came to your role "
        "as Product Manager."
    ) in result.output
    assert "found your name" not in result.output and "not met" not in result.output


def test_show_prep_reminds_you_of_your_introduction(workspace: Workspace) -> None:
    workspace.run("add", "Dana Lee", "--email", "dana@acme.com")
    sheet = workspace.run("show", "dana", "--prep").output
    assert "set me.intro in your config" in sheet
    workspace.set_me(f'name = "Alex Doe"\nemail = "alex.doe@example.org"\nintro = "{INTRO}"')
    sheet = workspace.run("show", "dana", "--prep").output
    assert f"Your introduction: {INTRO}" in sheet
    assert "set me.intro" not in sheet


def test_show_prep_gives_the_meeting_in_your_time_zone(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The workspace's me.timezone is Europe/Berlin; the machine's zone must not matter.
    monkeypatch.setenv("TZ", "America/New_York")
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-03-02T09:00:00+01:00")
    workspace.run("add", "Dana Lee", "--email", "dana@acme.com")
    assert workspace.run("schedule", "dana", "2026-03-10 15:30").exit_code == 0
    sheet = workspace.run("show", "dana", "--prep").output
    assert "Meeting: Tue 2026-03-10 15:30 CET" in sheet


def test_stage_refuses_illegal_moves_unless_forced(workspace: Workspace) -> None:
    workspace.run("add", "Dana Lee", "--email", "dana@acme.com")
    result = workspace.run("stage", "dana", "thanked")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot move from identified to thanked; ")
    assert "coffeechat stage dana thanked --force" in result.stderr
    assert workspace.run("stage", "dana", "thanked", "--force").exit_code == 0


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("José Núñez", "jose nunez"),
        ("Søren Kierkegaard", "soren"),
        ("Ægir Sæmundsson", "aegir saemundsson"),
        ("Chloë Lœw", "chloe loew"),
        ("Jürgen Groß", "gross"),
        ("Łukasz Wałęsa", "lukasz walesa"),
        ("Đorđe Þórsson", "dorde thorsson"),
        ("Sıla Yıldız", "sila yildiz"),
        ("İpek Aydın", "ipek aydin"),
    ],
)
def test_who_finds_a_name_typed_without_its_special_letters(
    workspace: Workspace, name: str, typed: str
) -> None:
    # An English keyboard types "soren" for Søren: the letters that do not decompose into
    # a base letter and an accent (ø, æ, ł, þ...) must match too.
    workspace.run("add", name, "--email", "someone@example.org")
    result = workspace.run("show", typed, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["name"] == name


def test_ambiguous_who_lists_candidates(workspace: Workspace) -> None:
    workspace.run("add", "Dana Lee", "--email", "dana@acme.com")
    workspace.run("add", "Dana Kim", "--email", "kim@acme.com")
    result = workspace.run("show", "dana")
    assert result.exit_code == 1
    assert "1: Dana Lee <dana@acme.com>" in result.stderr
    assert "2: Dana Kim <kim@acme.com>" in result.stderr


@pytest.mark.parametrize("bad", ["not-an-address", "a@b", "x@y.org\r\nBcc: z@w.org"])
def test_add_refuses_bad_addresses(workspace: Workspace, bad: str) -> None:
    result = workspace.run("add", "Dana", "--email", bad)
    assert result.exit_code == 1
    assert "is not an email address" in result.stderr
    assert json.loads(workspace.run("list", "--json").stdout) == []


def test_add_refuses_line_breaks_in_names(workspace: Workspace) -> None:
    result = workspace.run("add", "Dana\r\nBcc: x@y.org", "--email", "d@x.org")
    assert result.exit_code == 1
    assert "line break" in result.stderr


STAGES = (
    "identified, drafted, contacted, replied, scheduled, met, thanked, keeping-in-touch, "
    "declined, bounced, no-response"
)


# Before, a bad value for an option or argument that is no click.Choice exited 1, though
# the README says 2 means bad usage; and the message named neither the option nor a fix.
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["list", "--stage", "ghosted"],
            f"Invalid value for '--stage': unknown stage 'ghosted'; choose one of: {STAGES}",
        ),
        (
            ["list", "--stage", "contacts"],
            "Invalid value for '--stage': unknown stage 'contacts'; did you mean \"contacted\"?",
        ),
        (
            ["stage", "dana", "replyed"],
            "Invalid value for 'STAGE': unknown stage 'replyed'; did you mean \"replied\"?",
        ),
        (
            ["questions", "--topic", "jobs"],
            "Invalid value for '--topic': no question topic 'jobs'; choose one of: work, "
            "preparation, organization, industry, advice, next-contacts",
        ),
        (
            ["questions", "--topic", "advise"],
            "Invalid value for '--topic': no question topic 'advise'; did you mean \"advice\"?",
        ),
        (
            ["import", "linkedin", "nofile.csv"],
            "Invalid value for 'FILE': File 'nofile.csv' does not exist.",
        ),
    ],
    ids=["list-stage", "list-stage-close", "stage", "topic", "topic-close", "import-missing"],
)
def test_a_bad_value_is_a_usage_error_naming_it(
    workspace: Workspace, args: list[str], expected: str
) -> None:
    workspace.run("add", "Dana Lee", "--email", "dana@acme.example")
    result = workspace.run(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == f"Error: {expected}"


def test_stage_names_are_read_loosely(workspace: Workspace) -> None:
    workspace.run("add", "Dana Lee", "--email", "dana@acme.example")
    assert workspace.run("stage", "dana", "Contacted").exit_code == 0
    assert workspace.run("stage", "dana", "No Response").exit_code == 0
    assert (
        json.loads(workspace.run("list", "--stage", "no_response", "--json").stdout)[0]["name"]
        == "Dana Lee"
    )


def test_init_fills_in_who_you_are(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    config = tmp_path / "c.toml"
    result = CliRunner().invoke(
        main,
        [
            "--config",
            str(config),
            "init",
            "--name",
            "Zoë O'Brien",
            "--email",
            "zoe@example.org",
            "--intro",
            'I study "data science" at State\\Uni\n and explore UX research.',
            "--maildir",
            str(tmp_path / "Mail"),
            "--database",
            str(tmp_path / "c.db"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "You are Zoë O'Brien <zoe@example.org>, in Europe/Berlin." in result.output
    text = config.read_text()
    assert 'name = "Zoë O\'Brien"' in text and 'timezone = "Europe/Berlin"' in text
    # one line in the file, quotes and backslashes kept
    intro = 'I study "data science" at State\\Uni and explore UX research.'
    assert load(config).me.intro == intro
    assert "# Your name and address" in text  # the comments survive
    assert oct(config.stat().st_mode & 0o777) == "0o600"


def test_init_refuses_an_unknown_zone_and_writes_nothing(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    result = CliRunner().invoke(main, ["--config", str(config), "init", "--timezone", "Mars/Base"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--timezone': unknown time zone 'Mars/Base'; "
        'use an IANA name like "Europe/Berlin"'
    )
    assert not config.exists()


def test_init_force_with_a_misspelt_zone_names_the_option_and_keeps_the_config(
    workspace: Workspace,
) -> None:
    # Before, the error blamed config.toml's me.timezone, which the user never typed.
    before = workspace.config_path.read_text()
    result = workspace.run("init", "--force", "--timezone", "Europe/Berln")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--timezone': unknown time zone 'Europe/Berln'; "
        'did you mean "Europe/Berlin"?'
    )
    assert workspace.config_path.read_text() == before


def test_init_without_name_and_email_leaves_them_empty_and_says_so(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    maildir = tmp_path / "Mail"
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(main, ["--config", str(config), *args])

    result = run("init", "--maildir", str(maildir), "--database", str(tmp_path / "c.db"))
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"Warning: {config}: me.name and me.email are not set; add them under [me], "
        'e.g. name = "Your Name" and email = "you@example.com"\n'
    )
    assert "You are" not in result.stdout
    assert "Until it is set, `draft`, `schedule` and `watch` refuse to run" in result.stdout
    text = config.read_text()
    me = text[text.index("[me]") : text.index("[mail]")]
    assert '\nname = ""\n' in me and '\nemail = ""\n' in me
    # What does not write mail keeps working without an identity.
    assert run("add", "Ben Okafor", "--email", "ben@globex.example").exit_code == 0
    assert run("list").exit_code == 0
    assert run("show", "ben").exit_code == 0
    for args in (("draft", "outreach", "ben"), ("draft", "outreach", "ben", "--dry-run")):
        refused = run(*args)
        assert refused.exit_code == 1
        assert refused.stderr == (
            f"Error: {config}: me.name and me.email are not set; add them under [me], "
            'e.g. name = "Your Name" and email = "you@example.com"\n'
        )
    assert [p for sub in ("cur", "new") for p in (maildir / ".Drafts" / sub).glob("*")] == []
    assert json.loads(run("show", "ben", "--json").stdout)["stage"] == "identified"
    # With the address given, only what signs with the name waits for it.
    named = run("init", "--maildir", str(maildir), "--email", "me@uni.example", "--force")
    assert "Until it is set, `draft` and `schedule` refuse to run" in named.stdout


def test_init_creates_the_maildir(tmp_path: Path) -> None:
    """`init` is where a new Maildir is made; commands after it only open it."""
    maildir = tmp_path / "new" / "Mail"
    config = tmp_path / "c.toml"
    args = ["--config", str(config), "init", "--maildir", str(maildir)]
    result = CliRunner().invoke(main, [*args, "--database", str(tmp_path / "c.db")])
    assert result.exit_code == 0, result.output
    assert {p.name for p in maildir.iterdir()} >= {"cur", "new", "tmp", ".Drafts", ".Sent"}


def test_init_without_a_backend_creates_the_default_maildir(
    tmp_path: Path, isolated_home: Path
) -> None:
    config = tmp_path / "c.toml"
    result = CliRunner().invoke(main, ["--config", str(config), "init"])
    assert result.exit_code == 0, result.output
    assert (isolated_home / "Mail" / "coffeechat" / ".Drafts").is_dir()


def test_init_creates_the_config_folder(tmp_path: Path, isolated_home: Path) -> None:
    # Setting up is init's job: on a first run the platform config dir does not exist yet.
    result = CliRunner().invoke(main, ["init", "--database", str(tmp_path / "c.db")])
    assert result.exit_code == 0, result.output
    assert (isolated_home / "xdg_config_home" / "coffeechat" / "config.toml").is_file()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--imap-port", "143"],
            "--imap-port is only for IMAP, and no --imap-host was given; add --imap-host HOST "
            "--imap-user USER to use IMAP, or drop --imap-port to use a Maildir",
        ),
        (
            ["--imap-user", "jo", "--imap-port", "143"],
            "--imap-user and --imap-port are only for IMAP, and no --imap-host was given; "
            "add --imap-host HOST --imap-user USER to use IMAP, or drop --imap-user and "
            "--imap-port to use a Maildir",
        ),
        (
            ["--maildir", "Mail", "--imap-port", "143"],
            "--imap-port is only for IMAP, and no --imap-host was given; add --imap-host HOST "
            "--imap-user USER to use IMAP, or drop --imap-port to use a Maildir",
        ),
        (
            ["--maildir", "Mail", "--imap-host", "imap.example.org", "--imap-user", "jo"],
            "choose one backend: --maildir or --imap-host, not both",
        ),
        (
            ["--imap-host", "imap.example.org"],
            "--imap-host needs --imap-user (your login, usually your address)",
        ),
    ],
    ids=["port-alone", "user-and-port", "port-with-maildir", "both-backends", "host-no-user"],
)
def test_init_refuses_flags_of_two_backends_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: list[str], message: str
) -> None:
    # Before, `init --imap-port 143` wrote a Maildir config with port = 143 without a word.
    monkeypatch.chdir(tmp_path)  # so a relative --maildir that slipped through lands here
    config = tmp_path / "c.toml"
    result = CliRunner().invoke(main, ["--config", str(config), "init", *flags])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"Error: {message}"
    assert list(tmp_path.iterdir()) == []


def _init_imap(
    tmp_path: Path, *flags: str, backend: keyring.backend.KeyringBackend | None = None
) -> tuple[Result, Path]:
    """`init` with IMAP flags, on a machine with a working keyring unless `backend` says."""
    config = tmp_path / "c.toml"
    args = ["--config", str(config), "init", "--imap-host", "imap.uni.example"]
    args += ["--imap-user", "jo@uni.example", "--name", "Jo Student"]
    args += ["--database", str(tmp_path / "c.db"), *flags]
    previous = keyring.get_keyring()
    keyring.set_keyring(backend or MemoryKeyring())
    try:
        return CliRunner().invoke(main, args), config
    finally:
        keyring.set_keyring(previous)


def test_init_writes_security_ca_file_and_password_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, a server that needs any of these meant editing the config by hand.
    bin_dir = tmp_path / "bin"  # a `pass` to find on PATH; init checks, never runs it
    bin_dir.mkdir()
    (bin_dir / "pass").write_text("#!/bin/sh\nexit 1\n")
    (bin_dir / "pass").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    ca = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca))
    result, config = _init_imap(
        tmp_path,
        "--imap-port",
        "1143",
        "--imap-security",
        "starttls",
        "--imap-ca-file",
        str(ca),
        "--password-command",
        'pass show "mail/jo"',
    )
    assert result.exit_code == 0, result.output
    text = config.read_text()
    mail = text[text.index("[mail]") : text.index("[outreach]")]
    for line in (
        'backend = "imap"',
        "port = 1143",
        'security = "starttls"',
        f'ca_file = "{ca}"',
        'password_command = "pass show \\"mail/jo\\""',
    ):
        assert f"\n{line}\n" in mail, line
    assert "# For a server with a private or self-signed certificate" in mail  # comments survive
    assert "# tls (port 993) | starttls (port 143)" in mail


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--imap-security", "ssl"],
            "Invalid value for '--imap-security': 'ssl' is not one of 'tls', 'starttls', 'plain'.",
        ),
        (
            ["--imap-security", "plain"],
            "Invalid value for '--imap-security': plain would send your password "
            "unencrypted to imap.uni.example; use tls or starttls (plain is allowed only "
            "to localhost)",
        ),
        (
            ["--imap-host", "imaps://imap.uni.example/"],
            "Invalid value for '--imap-host': give the server's name, not a URL: "
            "--imap-host imap.uni.example",
        ),
        (
            ["--imap-host", "imap.uni.example:993"],
            "Invalid value for '--imap-host': give the port on its own: "
            "--imap-host imap.uni.example --imap-port 993",
        ),
        (
            ["--imap-host", "imap uni.example"],
            "Invalid value for '--imap-host': 'imap uni.example' is not a host name; "
            "write it like imap.uni.example",
        ),
        (
            ["--imap-port", "99999"],
            "Invalid value for '--imap-port': 99999 is not in the range 1<=x<=65535.",
        ),
        (
            ["--email", "jo-at-uni"],
            "Invalid value for '--email': 'jo-at-uni' is not an email address; "
            "write it like jo@uni.example",
        ),
        (
            ["--name", "Jo\nBcc: x@y.example"],
            "Invalid value for '--name': it contains a line break or control character; remove it",
        ),
        (
            ["--password-command", "pass show\tmail/jo"],
            "Invalid value for '--password-command': it contains a line break or control "
            "character; remove it",
        ),
        (
            ["--imap-ca-file", "missing.pem"],
            "Invalid value for '--imap-ca-file': no such file 'missing.pem'",
        ),
        (
            ["--imap-ca-file", "notes.txt"],
            "Invalid value for '--imap-ca-file': cannot load 'notes.txt' as a CA "
            "certificate; give a PEM file",
        ),
        (
            ["--password-command", "pass show 'mail/jo"],
            "Invalid value for '--password-command': cannot parse `pass show 'mail/jo`: "
            "No closing quotation",
        ),
        (
            ["--password-command", "  "],
            "Invalid value for '--password-command': it is empty; give a command that "
            'prints the password, e.g. "pass show mail/you"',
        ),
        (
            ["--password-command", "no-such-program-cc show mail/jo"],
            "Invalid value for '--password-command': no such program "
            "'no-such-program-cc'; install it or fix the command",
        ),
        (
            ["--password-command", "gpg -dq pw.gpg | head -1"],
            "Invalid value for '--password-command': it runs without a shell, so '|' would "
            "reach gpg as an argument; wrap it: sh -c '...'",
        ),
    ],
    ids=[
        "unknown",
        "plain-remote",
        "host-url",
        "host-port",
        "host-space",
        "port-range",
        "email",
        "name-line-break",
        "command-tab",
        "ca-missing",
        "ca-not-pem",
        "cmd-quote",
        "cmd-empty",
        "cmd-missing",
        "cmd-pipe",
    ],
)
def test_init_refuses_a_bad_imap_option_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("not a certificate\n")
    result, _config = _init_imap(tmp_path, *flags)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == f"Error: {message}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize(
    "flags",
    [
        ["--imap-security", "starttls"],
        ["--imap-ca-file", "ca.pem"],
        ["--password-command", "pass show mail/jo"],
    ],
    ids=["security", "ca-file", "password-command"],
)
def test_init_refuses_imap_options_without_imap_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "c.toml"
    result = CliRunner().invoke(main, ["--config", str(config), "init", *flags])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: {flags[0]} is only for IMAP, and no --imap-host was given; add --imap-host "
        f"HOST --imap-user USER to use IMAP, or drop {flags[0]} to use a Maildir"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("flags", "port", "security", "said"),
    [
        ([], 993, "tls", []),
        (
            # Before, this wrote security = "tls" and the first command failed in the TLS
            # handshake (WRONG_VERSION_NUMBER): port 143 answers in cleartext.
            ["--imap-port", "143"],
            143,
            "starttls",
            [
                "Port 143 is the STARTTLS port (RFC 8314), so security is starttls; "
                "pass --imap-security to choose otherwise."
            ],
        ),
        (
            ["--imap-security", "starttls"],
            143,
            "starttls",
            [
                "STARTTLS uses port 143 (RFC 8314), so the port is 143; "
                "pass --imap-port to choose another."
            ],
        ),
        (["--imap-port", "1143", "--imap-security", "starttls"], 1143, "starttls", []),
    ],
    ids=["default", "port-143", "starttls", "both-given"],
)
def test_init_matches_port_and_security_and_says_so(
    tmp_path: Path, flags: list[str], port: int, security: str, said: list[str]
) -> None:
    result, config = _init_imap(tmp_path, *flags)
    assert result.exit_code == 0, result.output
    text = config.read_text()
    assert f"\nport = {port}\n" in text and f'\nsecurity = "{security}"\n' in text
    how = "with STARTTLS" if security == "starttls" else "over TLS"
    lines = result.stdout.splitlines()
    start = lines.index(f"Mail is read from imap.uni.example:{port} {how}.")
    assert lines[start + 1 : start + 1 + len(said)] == said
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("flags", "warning"),
    [
        (
            ["--imap-port", "143", "--imap-security", "tls"],
            "Warning: port 143 is the STARTTLS port (RFC 8314), not TLS; if the first "
            "connection fails with WRONG_VERSION_NUMBER, run init again with "
            "--imap-security starttls --force\n",
        ),
        (
            ["--imap-port", "993", "--imap-security", "starttls"],
            "Warning: port 993 is the implicit TLS port (RFC 8314), not STARTTLS; if the "
            "first connection times out, run init again with --imap-security tls --force\n",
        ),
    ],
    ids=["tls-on-143", "starttls-on-993"],
)
def test_init_keeps_a_mismatched_port_and_security_but_warns(
    tmp_path: Path, flags: list[str], warning: str
) -> None:
    result, config = _init_imap(tmp_path, *flags)
    assert result.exit_code == 0, result.output
    assert f'\nsecurity = "{flags[-1]}"\n' in config.read_text()
    assert result.stderr == warning


def test_init_with_a_password_command_does_not_send_you_to_login(tmp_path: Path) -> None:
    # Before, the next step was always `coffeechat login`, which fails without a keyring
    # and refuses when password_command is set. Contacts come before the first watch:
    # its first scan reads the backfill window once, for the contacts known then.
    result, _config = _init_imap(tmp_path, "--password-command", "printf %s secret")
    assert result.exit_code == 0, result.output
    assert "Next: `coffeechat login`" not in result.stdout
    assert result.stdout.splitlines()[-2:] == [
        "The password comes from mail.password_command; `coffeechat login` is not needed.",
        "Next: `coffeechat add NAME --email ADDRESS`, or `coffeechat import linkedin FILE`; "
        "then `coffeechat watch --once`.",
    ]


def test_init_without_a_password_command_sends_you_to_login(tmp_path: Path) -> None:
    result, _config = _init_imap(tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "Next: `coffeechat login` to store your password in the OS keyring."
    )


def test_init_without_a_keyring_or_password_command_says_so(tmp_path: Path) -> None:
    # `login` would only fail ("no OS keyring is available"): say it at init, with the fix.
    result, config = _init_imap(tmp_path, backend=keyring.backends.fail.Keyring())
    assert result.exit_code == 0, result.output
    assert "Next: `coffeechat login`" not in result.stdout
    assert result.stderr == (
        "Warning: there is no OS keyring on this machine, so `coffeechat login` cannot keep "
        f"the password; set password_command in {config} to a command that prints it "
        '(e.g. password_command = "pass show mail/jo@uni.example"), or run init again '
        "with --password-command and --force\n"
    )


def test_init_with_starttls_ca_file_and_password_command_reaches_the_server(
    tmp_path: Path, imap_account: tuple[Dovecot, str]
) -> None:
    """What init writes is what works: a real STARTTLS login, no keyring, no hand edits."""
    server, user = imap_account
    config = tmp_path / "c.toml"
    runner = CliRunner()
    args = ["--config", str(config), "init", "--imap-host", server.host, "--imap-user", user]
    args += ["--imap-port", str(server.starttls_port), "--imap-security", "starttls"]
    args += ["--imap-ca-file", str(server.ca_file), "--password-command"]
    args += [f"printf %s {server.password}", "--database", str(tmp_path / "c.db")]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    watched = runner.invoke(main, ["--config", str(config), "watch", "--once"])
    assert watched.exit_code == 0, watched.output
    assert watched.stdout.startswith("Scanned Sent and INBOX: 0 stage change(s)")


def test_init_refuses_a_folder_that_is_not_a_maildir_and_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "Documents"
    folder.mkdir()
    (folder / "cv.pdf").write_bytes(b"%PDF")
    config = tmp_path / "c.toml"
    result = CliRunner().invoke(main, ["--config", str(config), "init", "--maildir", str(folder)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {folder}: not a Maildir")
    assert not config.exists()
    assert [p.name for p in folder.iterdir()] == ["cv.pdf"]


def test_add_with_an_address_suggests_the_first_draft(workspace: Workspace) -> None:
    result = workspace.run("add", "Dana Lee", "--email", "dana@acme.com")
    assert result.output.splitlines()[-1] == (
        "Next: `coffeechat draft outreach 1` to write the first email."
    )


def test_add_without_an_address_suggests_adding_one_not_drafting(workspace: Workspace) -> None:
    """A referral often comes as a name only; `draft` would refuse it until `edit --email`."""
    result = workspace.run("add", "Nobody Yet", "--company", "Acme")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Added Nobody Yet (id 1), stage identified; no email address yet.",
        "Next: `coffeechat edit 1 --email ADDRESS` once you have their address; "
        "then `coffeechat draft outreach 1`.",
    ]
    draft = workspace.run("draft", "outreach", "1", "--dry-run")
    assert draft.exit_code == 1  # what the old hint led to
    assert workspace.run("edit", "1", "--email", "nobody@acme.com").exit_code == 0
    assert workspace.run("draft", "outreach", "1", "--dry-run").exit_code == 0


def test_edit_removes_an_address_and_refuses_one_that_is_not_theirs(workspace: Workspace) -> None:
    workspace.run("add", "Dana Lee", "--email", "dana@acme.com", "--email", "sam@acme.com")
    workspace.run("add", "Sam Roe", "--email", "sam.roe@acme.com")

    def emails(who: str) -> list[str]:
        return json.loads(workspace.run("show", who, "--json").stdout)["emails"]

    refused = workspace.run(
        "edit", "dana", "--name", "Dana K. Lee", "--remove-email", "sam.roe@acme.com"
    )
    assert refused.exit_code == 1
    assert "sam.roe@acme.com is not an address of Dana Lee" in refused.stderr
    # Nothing of the edit happened: not the name either.
    assert json.loads(workspace.run("show", "dana", "--json").stdout)["name"] == "Dana Lee"
    assert emails("sam") == ["sam.roe@acme.com"]

    taken = workspace.run("edit", "dana", "--name", "Dana K. Lee", "--email", "sam.roe@acme.com")
    assert taken.exit_code == 1
    assert json.loads(workspace.run("show", "dana", "--json").stdout)["name"] == "Dana Lee"

    assert workspace.run("edit", "dana", "--remove-email", "SAM@acme.com").exit_code == 0
    assert emails("dana") == ["dana@acme.com"]
    # The address is free again for the person it belongs to.
    assert workspace.run("edit", "sam", "--email", "sam@acme.com").exit_code == 0


def test_the_agendas_check_in_command_copied_as_is_is_refused_not_sent(
    workspace: Workspace,
) -> None:
    """The agenda's suggestion leaves the update to the user; pasted unchanged, its blank
    must stop the draft rather than reach the contact."""
    workspace.run("add", "Dana Lee", "--email", "dana@acme.com")
    workspace.run("stage", "dana", "keeping-in-touch", "--force")
    result = workspace.run(
        "draft", "check-in", "dana", "--update", "[what you did since you spoke]"
    )
    assert result.exit_code == 1
    assert "'[what you did since you spoke]' looks like a placeholder" in result.output


def test_a_read_only_database_is_one_error_line_naming_the_fix(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The file or its -wal/-shm lost write permission: listing works, a change must say
    # which files to make writable, not "unexpected OperationalError".
    import sqlite3

    workspace.run("add", "Dana Lee", "--email", "dana@acme.example")
    connect = sqlite3.connect

    def read_only(path: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        return connect(f"file:{path}?mode=ro", *args, uri=True, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect", read_only)
    assert workspace.run("list").exit_code == 0
    for args in (("add", "Sam Roe"), ("note", "dana", "hello"), ("stage", "dana", "declined")):
        result = workspace.run(*args)
        assert result.exit_code == 1, args
        db = workspace.database
        assert result.stderr.startswith(f"Error: {db}: cannot write the database (read-only)")
        assert "unexpected" not in result.stderr
    assert "Sam Roe" not in workspace.run("list").output


@pytest.mark.parametrize("text", ["", "   ", "\t \n"], ids=["empty", "spaces", "whitespace"])
def test_note_refuses_an_empty_note_and_adds_nothing(workspace: Workspace, text: str) -> None:
    # Before, `note dana ""` said "Note added" and left a blank row on the timeline.
    workspace.run("add", "Dana Lee", "--email", "dana@acme.com")
    result = workspace.run("note", "dana", text)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for 'TEXT': the note is empty; write what to remember, "
        'e.g. coffeechat note WHO "Prefers mornings"'
    )
    events = json.loads(workspace.run("show", "dana", "--json").stdout)["events"]
    assert [e["kind"] for e in events] == ["stage"]


def test_edit_without_options_is_a_usage_error_that_lists_them(workspace: Workspace) -> None:
    # Before, `edit dana` said "Updated Dana Lee (id 1)." though nothing changed.
    workspace.run("add", "Dana Lee", "--email", "dana@acme.com")
    result = workspace.run("edit", "dana")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: nothing to change; give one or more of --name, --email, --remove-email, "
        "--company, --role, --linkedin, --tag, --check-in-days"
    )
    events = json.loads(workspace.run("show", "dana", "--json").stdout)["events"]
    assert [e["kind"] for e in events] == ["stage"]


def test_edit_to_the_stored_values_says_nothing_changed(workspace: Workspace) -> None:
    workspace.run(
        "add", "Dana Lee", "--email", "dana@acme.com", "--company", "Acme", "--tag", "design"
    )
    same = workspace.run(
        "edit", "dana", "--name", "Dana Lee", "--email", "DANA@acme.com", "--company", "Acme",
        "--tag", "design",
    )  # fmt: skip
    assert same.exit_code == 0
    assert same.stdout == "Nothing changed: Dana Lee (id 1) already has those values.\n"
    events = json.loads(workspace.run("show", "dana", "--json").stdout)["events"]
    assert [e["kind"] for e in events] == ["stage"]

    partly = workspace.run("edit", "dana", "--name", "Dana Lee", "--role", "UX Lead")
    assert partly.stdout == "Updated Dana Lee (id 1): role.\n"
    events = json.loads(workspace.run("show", "dana", "--json").stdout)["events"]
    assert [e["detail"] for e in events if e["kind"] == "edit"] == ["changed role"]


@pytest.mark.parametrize(
    "args",
    [["show", ""], ["show", "  "], ["stage", " ", "contacted"], ["note", "", "Hi"],
     ["edit", "", "--role", "Lead"], ["add", "Sam Roe", "--referred-by", " "]],
    ids=["show", "show-blank", "stage", "note", "edit", "referred-by"],
)  # fmt: skip
def test_an_empty_who_is_a_usage_error_everywhere(workspace: Workspace, args: list[str]) -> None:
    # Before, `show ""` matched every contact: "'' matches 2 contacts (...)".
    workspace.run("add", "Dana Lee", "--email", "dana@acme.com")
    workspace.run("add", "Dan Brown", "--email", "dan@acme.com")
    result = workspace.run(*args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith(f"Usage: main {args[0]} ")
    assert result.stderr.splitlines()[-1] == (
        "Error: WHO is empty: give a name, an email address or an id"
    )
    assert len(json.loads(workspace.run("list", "--json").stdout)) == 2


def test_add_and_edit_collapse_runs_of_whitespace_in_names(workspace: Workspace) -> None:
    # Before, `add "  Mary   O'Brien "` stored "Mary   O'Brien".
    added = workspace.run("add", "  Mary \u00a0 O'Brien ", "--email", "mary@acme.com")
    assert added.stdout.startswith("Added Mary O'Brien (id 1), stage identified.")
    assert json.loads(workspace.run("show", "1", "--json").stdout)["name"] == "Mary O'Brien"
    same = workspace.run("edit", "1", "--name", "Mary  O'Brien")
    assert same.stdout.startswith("Nothing changed: Mary O'Brien (id 1)")
    assert workspace.run("edit", "1", "--name", " Mary   K.  O'Brien").exit_code == 0
    assert json.loads(workspace.run("show", "1", "--json").stdout)["name"] == "Mary K. O'Brien"


def test_add_refuses_a_second_contact_known_only_by_the_same_name(workspace: Workspace) -> None:
    """Without an address or profile there is nothing to tell two Sam Roes apart: a second
    `add` is a repeat, and three Sam Roes would end up in Dana's thank-you and report."""
    assert workspace.run("add", "Sam Roe", "--company", "Acme").exit_code == 0
    again = workspace.run("add", "sam  roe")
    assert again.exit_code == 1
    assert again.stderr == (
        "Error: Sam Roe is already a contact (id 1); change it with `coffeechat edit 1`, "
        "or give --email or --linkedin to add another person of that name\n"
    )
    assert [c["id"] for c in json.loads(workspace.run("list", "--json").stdout)] == [1]


def test_add_with_an_address_warns_of_a_contact_with_the_same_name(workspace: Workspace) -> None:
    workspace.run("add", "Dana Lee", "--email", "dana@acme.com")
    other = workspace.run("add", "Dana Lee", "--email", "dana@globex.com")
    assert other.exit_code == 0, other.output
    assert "Added Dana Lee (id 2)" in other.stdout
    assert other.stderr == "Warning: same name as Dana Lee (id 1) <dana@acme.com>\n"


def test_add_refuses_a_linkedin_profile_that_is_already_a_contact(workspace: Workspace) -> None:
    workspace.run("add", "Lee Park", "--linkedin", "https://www.linkedin.com/in/leepark")
    again = workspace.run(
        "add",
        "Lee Park",
        "--email",
        "lee@x.org",
        "--linkedin",
        "http://www.linkedin.com/in/leepark/",
    )
    assert again.exit_code == 1
    assert again.stderr == (
        "Error: https://www.linkedin.com/in/leepark already belongs to Lee Park (id 1); "
        "use `coffeechat show 1`\n"
    )
    assert len(json.loads(workspace.run("list", "--json").stdout)) == 1


def test_add_refuses_a_linkedin_value_that_is_not_a_url(workspace: Workspace) -> None:
    result = workspace.run("add", "Lee Park", "--linkedin", "notaurl")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --linkedin 'notaurl' is not a web address; "
        "write it like https://www.linkedin.com/in/lee-park\n"
    )
    assert json.loads(workspace.run("list", "--json").stdout) == []


def test_edit_checks_the_linkedin_url_as_add_does(workspace: Workspace) -> None:
    workspace.run("add", "Marco Rossi", "--linkedin", "https://www.linkedin.com/in/marcorossi")
    workspace.run("add", "Ana Souza", "--email", "ana@delta.example")
    taken = workspace.run("edit", "ana", "--linkedin", "https://www.linkedin.com/in/marcorossi/")
    assert taken.exit_code == 1
    assert taken.stderr == (
        "Error: https://www.linkedin.com/in/marcorossi already belongs to Marco Rossi (id 1); "
        "use `coffeechat show 1`\n"
    )
    assert workspace.run("edit", "ana", "--linkedin", "notaurl").exit_code == 1
    assert json.loads(workspace.run("show", "ana", "--json").stdout)["linkedin_url"] == ""
    # Their own profile again, spelled another way, is no change.
    same = workspace.run("edit", "marco", "--linkedin", "http://www.linkedin.com/in/marcorossi")
    assert same.exit_code == 0, same.output
    assert same.stdout.startswith("Nothing changed")
    assert workspace.run("edit", "marco", "--linkedin", "").exit_code == 0


def test_add_by_name_alone_beside_two_namesakes_adds_as_met_suggests(
    workspace: Workspace,
) -> None:
    """`met --referral "Sam Roe"` with two Sam Roes on file says to run `add "Sam Roe"`:
    with no one contact to be the same person, add warns instead of refusing."""
    workspace.run("add", "Sam Roe", "--email", "sam@acme.example")
    workspace.run("add", "Sam Roe", "--email", "sam@globex.example")
    third = workspace.run("add", "Sam Roe")
    assert third.exit_code == 0, third.output
    assert "Added Sam Roe (id 3)" in third.stdout
    assert third.stderr.splitlines() == [
        "Warning: same name as Sam Roe (id 1) <sam@acme.example>",
        "Warning: same name as Sam Roe (id 2) <sam@globex.example>",
    ]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            "pat@r.example, pat2@r.example",
            "Error: 'pat@r.example, pat2@r.example' is more than one email address; "
            "give each its own --email, like --email pat@r.example --email pat2@r.example",
        ),
        (
            "pat@r.example; Pat Two <pat2@r.example>",
            "Error: 'pat@r.example; Pat Two <pat2@r.example>' is more than one email "
            "address; give each its own --email, like --email pat@r.example --email "
            "pat2@r.example",
        ),
        (
            "pat@q.example ::: x",
            "Error: 'pat@q.example ::: x' is not an email address; write it like "
            "dana@example.com, or Dana Lee <dana@example.com>",
        ),
        (
            "Pat <pat@q.example> junk",
            "Error: 'Pat <pat@q.example> junk' is not an email address; write it like "
            "dana@example.com, or Dana Lee <dana@example.com>",
        ),
    ],
    ids=["comma", "semicolon-named", "google-separator", "trailing-junk"],
)
def test_add_and_edit_refuse_an_email_that_is_not_exactly_one_address(
    workspace: Workspace, given: str, message: str
) -> None:
    """parseaddr reads the first address of a list and drops the rest unsaid: "Added" with
    one address of two would be a contact the user believes reachable at both."""
    added = workspace.run("add", "Pat R", "--email", given)
    assert added.exit_code == 1, added.output
    assert added.stderr.splitlines() == [message]
    assert json.loads(workspace.run("list", "--json").stdout) == []

    workspace.run("add", "Pat R", "--email", "pat@old.example")
    edited = workspace.run("edit", "pat", "--email", given)
    assert edited.exit_code == 1, edited.output
    assert edited.stderr.splitlines() == [message]
    assert json.loads(workspace.run("show", "pat", "--json").stdout)["emails"] == [
        "pat@old.example"
    ]


@pytest.mark.parametrize(
    "given", ["Pat R <pat@r.example>", '"R, Pat" <pat@r.example>', "<pat@r.example>"]
)
def test_add_still_takes_one_address_with_a_name(workspace: Workspace, given: str) -> None:
    result = workspace.run("add", "Pat R", "--email", given)
    assert result.exit_code == 0, result.output
    assert json.loads(workspace.run("show", "pat", "--json").stdout)["emails"] == ["pat@r.example"]


def test_met_refuses_a_referral_of_two_addresses_and_records_nothing(
    workspace: Workspace,
) -> None:
    workspace.run("add", "Dana Lee", "--email", "dana@acme.com")
    result = workspace.run(
        "met", "dana", "--referral", "Sam Roe <sam@x.example>, Kim Poe <kim@x.example>"
    )
    assert result.exit_code == 1, result.output
    assert "cannot read the referral 'Sam Roe <sam@x.example>, Kim Poe <kim@x.example>'" in (
        result.stderr
    )
    assert "one --referral for each person" in result.stderr
    assert [c["name"] for c in json.loads(workspace.run("list", "--json").stdout)] == ["Dana Lee"]
    assert json.loads(workspace.run("show", "dana", "--json").stdout)["stage"] == "identified"


def _init_maildir(tmp_path: Path, *args: str) -> Result:
    """`init` of a Maildir setup in tmp_path, with more options."""
    return CliRunner().invoke(
        main,
        [
            "--config",
            str(tmp_path / "config.toml"),
            "init",
            "--maildir",
            str(tmp_path / "Mail"),
            *args,
        ],
    )


def test_init_refuses_two_addresses_for_me(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    result = _init_maildir(tmp_path, "--email", "jo@uni.example, jo@home.example")
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--email': 'jo@uni.example, jo@home.example' is more "
        "than one email address; give the one you write from, like jo@uni.example"
    )
    assert not config.exists()


def test_init_refuses_a_named_address_for_me(tmp_path: Path) -> None:
    """init writes --email into me.email as given: "Jo <jo@x>" there made the From line
    "Jo <Jo <jo@x>>"."""
    config = tmp_path / "config.toml"
    result = _init_maildir(tmp_path, "--email", "Jo S <jo@uni.example>")
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--email': give the address alone, like jo@uni.example; "
        "your name goes in --name"
    )
    assert not config.exists()


def test_init_refuses_a_name_that_is_not_utf8_and_creates_nothing(tmp_path: Path) -> None:
    # "Jo\udcff": how Python hands over the byte 0xff of a non-UTF-8 argument.
    result = _init_maildir(tmp_path, "--name", "Jo\udcff")
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        "Error: me.name: 'Jo\\udcff' holds a byte that is not UTF-8 text; retype it\n"
    )
    assert list(tmp_path.iterdir()) == []
