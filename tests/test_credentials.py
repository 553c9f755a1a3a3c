"""Passwords from mail.password_command and from the keyring (a real in-memory backend)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.backends.null
import pytest
from coffeechat_fixtures import Workspace
from dovecot import Dovecot, free_port
from test_draft import use_imap

from coffeechat.config import Mail
from coffeechat.credentials import (
    SERVICE,
    get_password,
    keyring_user,
    run_password_command,
    store_password,
)
from coffeechat.errors import CredentialsError

MAIL = Mail(backend="imap", host="imap.example.com", username="alex@example.com")


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A complete keyring backend that keeps passwords in a dict."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


@pytest.fixture
def use_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Install a backend for one test, then put the previous one back."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


def test_keyring_user_names_account_and_server() -> None:
    assert keyring_user(MAIL) == "alex@example.com@imap.example.com"


def test_keyring_round_trip(use_keyring: object) -> None:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    store_password(MAIL, "s3cret pass")
    assert backend.entries == {(SERVICE, "alex@example.com@imap.example.com"): "s3cret pass"}
    assert get_password(MAIL) == "s3cret pass"


def test_no_stored_password_says_to_log_in(use_keyring: object) -> None:
    keyring.set_keyring(MemoryKeyring())
    with pytest.raises(CredentialsError) as info:
        get_password(MAIL)
    assert str(info.value).startswith(
        "no password stored for alex@example.com@imap.example.com; run `coffeechat login`"
    )


def test_no_keyring_backend_says_what_to_do(use_keyring: object) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    for call in (lambda: get_password(MAIL), lambda: store_password(MAIL, "pw")):
        with pytest.raises(CredentialsError) as info:
            call()
        message = str(info.value)
        assert "no OS keyring is available" in message
        assert "install and unlock one" in message
        assert 'password_command = "pass show mail/alex@example.com"' in message


def test_empty_password_is_not_stored(use_keyring: object) -> None:
    keyring.set_keyring(MemoryKeyring())
    with pytest.raises(CredentialsError, match="empty password"):
        store_password(MAIL, "")


def test_password_command_prints_the_first_line() -> None:
    mail = Mail(backend="imap", host="h", username="u", password_command="printf ' pw 1 \\nx\\n'")
    assert get_password(mail) == "pw 1"


def test_password_command_is_not_run_through_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    # With a shell the `;` would run `touch`; as argv it is just text printf prints.
    command = f"printf %s 'a;b' ; touch {marker}"
    assert run_password_command(command) == "a;b;touch" + str(marker)
    assert not marker.exists()


def test_failing_password_command_names_the_command_not_its_output() -> None:
    command = "sh -c 'printf hunter%s 2; exit 3'"  # prints hunter2
    with pytest.raises(CredentialsError) as info:
        run_password_command(command)
    message = str(info.value)
    assert message == (
        f"mail.password_command `{command}` failed with exit status 3; run it yourself to see why"
    )
    assert "hunter2" not in message


def test_password_command_that_prints_nothing() -> None:
    with pytest.raises(CredentialsError, match="printed nothing"):
        run_password_command("printf ''")


def test_missing_program() -> None:
    with pytest.raises(CredentialsError, match="no such program 'no-such-program-xyz'"):
        run_password_command("no-such-program-xyz --flag")


def test_unbalanced_quotes() -> None:
    with pytest.raises(CredentialsError, match="cannot parse"):
        run_password_command("pass show 'mail")


def test_slow_password_command_times_out() -> None:
    command = f"{sys.executable} -c 'import time; time.sleep(5)'"
    with pytest.raises(CredentialsError, match=r"did not finish within 0\.2 s"):
        run_password_command(command, timeout=0.2)


# --- coffeechat login: checked against the real Dovecot, stored in a memory keyring -----


@pytest.fixture
def login_workspace(
    workspace: Workspace, imap_account: tuple[Dovecot, str], use_keyring: object
) -> tuple[Workspace, Dovecot, str]:
    """A workspace on the IMAP backend with no password_command: the keyring's case."""
    server, user = imap_account
    use_imap(workspace, server, user, password_command='""')
    return workspace, server, user


def test_login_checks_the_password_then_stores_it(
    login_workspace: tuple[Workspace, Dovecot, str],
) -> None:
    workspace, server, user = login_workspace
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    result = workspace.run("login", input=server.password + "\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(
        f"Password checked against {server.host} and stored in the OS keyring.\n"
    )
    assert backend.entries == {(SERVICE, f"{user}@{server.host}"): server.password}


def test_login_with_a_refused_password_stores_nothing(
    login_workspace: tuple[Workspace, Dovecot, str],
) -> None:
    workspace, server, user = login_workspace
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    result = workspace.run("login", input="not-the-password\n")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: login failed for {user} at {server.host}:{server.port} ([AUTHENTICATIONFAILED] "
        "Authentication failed.); nothing was stored: run `coffeechat login` again with the "
        "right password\n"
    )
    assert backend.entries == {}


def test_login_to_an_unreachable_server_stores_nothing(
    login_workspace: tuple[Workspace, Dovecot, str],
) -> None:
    workspace, server, user = login_workspace
    port = free_port()  # nothing listens there
    use_imap(workspace, server, user, password_command='""', port=str(port))
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    result = workspace.run("login", input=server.password + "\n")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: cannot check the password, so it was not stored: cannot connect to "
        f"127.0.0.1:{port} (Connection refused); check mail.host and mail.port, then run "
        "`coffeechat login` again\n"
    )
    assert backend.entries == {}


@pytest.mark.parametrize(
    "backend", [keyring.backends.fail.Keyring, keyring.backends.null.Keyring], ids=["fail", "null"]
)
def test_login_without_a_keyring_fails_before_asking(
    login_workspace: tuple[Workspace, Dovecot, str], backend: type
) -> None:
    workspace, server, user = login_workspace
    keyring.set_keyring(backend())
    result = workspace.run("login", input=server.password + "\n")
    assert result.exit_code == 1
    assert "IMAP password for" not in result.output  # never asked
    assert result.stderr.startswith(
        f"Error: no OS keyring is available to hold the password for {user}@{server.host}: "
    )


def test_login_refuses_when_password_command_is_set(
    login_workspace: tuple[Workspace, Dovecot, str],
) -> None:
    workspace, server, user = login_workspace
    use_imap(workspace, server, user, password_command='"pass show mail/me"')
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    result = workspace.run("login", input=server.password + "\n")
    assert result.exit_code == 1
    assert "IMAP password for" not in result.output
    assert result.stderr == (
        "Error: mail.password_command is set, so the password comes from that command and "
        "`coffeechat login` is not needed; to keep the password in the OS keyring instead, "
        'set password_command = "" and run `coffeechat login` again\n'
    )
    assert backend.entries == {}


def test_login_with_no_password_given_says_so(
    login_workspace: tuple[Workspace, Dovecot, str],
) -> None:
    workspace, _server, _user = login_workspace
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    result = workspace.run("login", input="")  # stdin closed before a password came
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: no password given; run `coffeechat login` again and type the password "
        "(it is not shown)\n"
    )
    assert backend.entries == {}
