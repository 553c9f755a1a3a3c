import os
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coffeechat.config import Config, load, render_example, require_identity, resolve_config_path
from coffeechat.errors import ConfigError
from coffeechat.resources import example_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_example_config_is_valid_and_has_every_key(tmp_path: Path) -> None:
    config = load(example_config())
    assert config.mail.backend == "maildir"
    assert config.outreach.follow_up_after_days == 7
    text = example_config().read_text()
    for section, cls in (
        ("me", config.me),
        ("mail", config.mail),
        ("outreach", config.outreach),
        ("paths", config.paths),
    ):
        assert f"[{section}]" in text
        for key in vars(cls):
            assert f"\n{key} = " in text, f"{section}.{key} missing from config.example.toml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[mail]\nport = "abc"\n', 'mail.port: expected an integer, got "abc"'),
        ('[mail]\nbackend = "pop3"\n', "mail.backend: unknown value 'pop3'; use \"imap\" or"),
        ('[me]\ntimezone = "Mars/Olympus"\n', "me.timezone: unknown time zone"),
        ('[mail]\nca_file = "/nonexistent/ca.pem"\n', "mail.ca_file: no such file"),
        ("[outreach]\nfollow_up_after_days = 0\n", "outreach.follow_up_after_days: must be"),
        (
            '[mail]\nbackend = "imap"\nhost = "imap.example.com"\nusername = "a"\n'
            'security = "plain"\n',
            'mail.security: "plain" would send your password',
        ),
        ('[proofread]\nwords = "abc"\n', "proofread.words: expected a list of strings"),
        ("[mail\n", "not valid TOML"),
    ],
)
def test_bad_values_name_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_missing_file_says_run_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="run `coffeechat init`"):
        load(tmp_path / "nope.toml")


def test_unknown_keys_warn(tmp_path: Path) -> None:
    path = write(tmp_path, "[mail]\nprot = 993\n[extra]\nx = 1\n")
    with pytest.warns(UserWarning) as record:
        load(path)
    messages = [str(w.message) for w in record]
    assert any("mail.prot: unknown key" in m for m in messages)
    assert any("unknown section [extra]" in m for m in messages)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[outreach]\nfolow_up_after_days = 3\n",
            "outreach.folow_up_after_days: unknown key ignored; "
            "did you mean outreach.follow_up_after_days?",
        ),
        (
            '[mail]\ntimezone = "Europe/Berlin"\n',
            "mail.timezone: unknown key ignored; did you mean me.timezone? It belongs in [me]",
        ),
        (
            "[outrech]\nmeeting_minutes = 15\n",
            "unknown section [outrech] ignored; did you mean [outreach]?",
        ),
    ],
)
def test_a_mistyped_key_names_the_key_it_was_meant_to_be(
    tmp_path: Path, text: str, expected: str
) -> None:
    # A typo silently drops the user's value for the default: the warning must name the
    # fix, as a wrong value's error does.
    path = write(tmp_path, text)
    with pytest.warns(UserWarning) as record:
        load(path)
    assert [str(w.message) for w in record] == [f"{path}: {expected}"]


def test_plain_is_allowed_to_loopback(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[mail]\nbackend = "imap"\nhost = "127.0.0.1"\nusername = "a"\n'
        'security = "plain"\nport = 143\n',
    )
    assert load(path).mail.security == "plain"


def test_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COFFEECHAT_CONFIG", str(tmp_path / "env.toml"))
    assert resolve_config_path("explicit.toml") == Path("explicit.toml")
    assert resolve_config_path(None) == tmp_path / "env.toml"
    monkeypatch.delenv("COFFEECHAT_CONFIG")
    default = resolve_config_path(None)
    assert default.name == "config.toml"
    assert str(default).startswith(os.environ["XDG_CONFIG_HOME"])


def test_paths_default_under_platform_dirs() -> None:
    config = Config()
    assert str(config.database_path).startswith(os.environ["XDG_DATA_HOME"])
    assert config.calendar_path == config.database_path.parent / "calendar"


def test_a_missing_identity_loads_empty_and_is_never_the_example(tmp_path: Path) -> None:
    config = load(write(tmp_path, '[me]\ntimezone = "UTC"\n'))
    assert (config.me.name, config.me.email) == ("", "")
    assert (Config().me.name, Config().me.email) == ("", "")


def test_the_example_config_leaves_the_identity_to_fill_in() -> None:
    config = load(example_config())
    with pytest.raises(ConfigError, match=r"me\.name and me\.email are not set"):
        require_identity(config)


YOU = 'e.g. name = "Your Name" and email = "you@example.com"'


@pytest.mark.parametrize(
    ("me", "expected"),
    [
        (
            'name = "Jo Student"',
            'me.email is not set; add it under [me], e.g. email = "you@example.com"',
        ),
        (
            'email = "jo@uni.example"',
            'me.name is not set; add it under [me], e.g. name = "Your Name"',
        ),
        ('name = " "\nemail = ""', f"me.name and me.email are not set; add them under [me], {YOU}"),
        (
            'name = "Jo Student"\nemail = "alex@example.com"',
            'me.email is still "alex@example.com", the example written by `coffeechat init`; '
            'put your own under [me], e.g. email = "you@example.com"',
        ),
        (
            'name = "Alex Doe"\nemail = "alex@example.com"',
            'me.name and me.email are still "Alex Doe <alex@example.com>", the example written '
            f"by `coffeechat init`; put your own under [me], {YOU}",
        ),
        (
            'email = "Alex@Example.com"',
            'me.name is not set; me.email is still "alex@example.com", the example written by '
            f"`coffeechat init`; put your own under [me], {YOU}",
        ),
    ],
)
def test_writing_mail_needs_your_own_identity(tmp_path: Path, me: str, expected: str) -> None:
    path = write(tmp_path, f"[me]\n{me}\n")
    config = load(path)  # reading the config never fails for the identity
    with pytest.raises(ConfigError) as caught:
        require_identity(config)
    assert str(caught.value) == f"{path}: {expected}"


def test_watch_needs_only_your_address(tmp_path: Path) -> None:
    config = load(write(tmp_path, '[me]\nemail = "jo@uni.example"\n'))
    require_identity(config, "email")
    with pytest.raises(ConfigError, match=r"me\.name is not set"):
        require_identity(config)
    require_identity(load(write(tmp_path, '[me]\nname = "Alex Doe"\nemail = "alex@uni.example"\n')))


def test_me_intro_is_optional_and_kept_as_written(tmp_path: Path) -> None:
    assert load(write(tmp_path, '[me]\nname = "Jo Student"\n')).me.intro == ""
    text = '[me]\nintro = """I study economics at State.\nI am exploring product management."""\n'
    intro = load(write(tmp_path, text)).me.intro
    # the draft joins the lines; the config keeps what the user wrote
    assert intro == "I study economics at State.\nI am exploring product management."
    with pytest.raises(ConfigError, match=r"me\.intro: expected a string in quotes"):
        load(write(tmp_path, "[me]\nintro = 3\n"))


# Any text a caller could pass, control characters included; no lone surrogates, which
# no TOML file (UTF-8) can hold.
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]))


@given(ANY_TEXT)
def test_render_example_writes_any_string_as_a_toml_string(value: str) -> None:
    """init refuses control characters up front, but the renderer must not depend on it:
    a raw line break or DEL inside "..." made a config that no longer loads."""
    text = render_example({("me", "name"): value, ("mail", "password_command"): value})
    parsed = tomllib.loads(text)
    assert parsed["me"]["name"] == value
    assert parsed["mail"]["password_command"] == value


@pytest.mark.parametrize("value", ["a\nb", "tab\there", "bell\x07", "del\x7f", 'q"\\', "\x1b[31m"])
def test_render_example_escapes_control_characters(value: str) -> None:
    text = render_example({("me", "name"): value})
    assert tomllib.loads(text)["me"]["name"] == value
    assert len(text.splitlines()) == len(render_example().splitlines())


def test_render_example_refuses_text_no_toml_file_can_hold() -> None:
    """A byte that is not UTF-8 in a command-line argument arrives as a lone surrogate:
    writing it failed with an unexpected UnicodeEncodeError, after init made the Maildir."""
    with pytest.raises(ConfigError) as caught:
        render_example({("me", "name"): "Jo\udcff"})
    assert str(caught.value) == (
        "me.name: 'Jo\\udcff' holds a byte that is not UTF-8 text; retype it"
    )
