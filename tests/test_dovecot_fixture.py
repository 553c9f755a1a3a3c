"""The test server itself: real TLS verification, STARTTLS, and the special-use folders."""

from __future__ import annotations

import imaplib
import re
import ssl
from pathlib import Path

import pytest
from dovecot import Dovecot

# A LIST line: (attributes) "delimiter" name
LIST_LINE = r'\((?P<flags>[^)]*)\) "(?P<delim>[^"]*)" (?P<name>.+)'


def _folders(client: imaplib.IMAP4) -> dict[str, set[str]]:
    status, lines = client.list()
    assert status == "OK"
    folders: dict[str, set[str]] = {}
    for line in lines:
        assert isinstance(line, bytes)
        match = re.fullmatch(LIST_LINE, line.decode())
        assert match, line
        folders[match["name"].strip('"')] = set(match["flags"].split())
    return folders


def test_tls_login_verifies_the_test_ca_and_lists_special_use_folders(
    imap_account: tuple[Dovecot, str],
) -> None:
    server, user = imap_account
    context = ssl.create_default_context(cafile=str(server.ca_file))
    with imaplib.IMAP4_SSL(server.host, server.port, ssl_context=context) as client:
        client.login(user, server.password)
        folders = _folders(client)
    assert "\\Drafts" in folders["Drafts"]
    assert "\\Sent" in folders["Sent"]
    assert "\\Trash" in folders["Trash"]
    assert "\\Junk" in folders["Junk"]
    assert "INBOX" in folders


def test_tls_without_the_test_ca_is_rejected(dovecot: Dovecot) -> None:
    context = ssl.create_default_context(cafile=None, capath=None, cadata=None)
    # The system store does not know the throwaway CA.
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(dovecot.host, dovecot.port, ssl_context=context)


def test_starttls_port_offers_starttls_and_upgrades(imap_account: tuple[Dovecot, str]) -> None:
    server, user = imap_account
    with imaplib.IMAP4(server.host, server.starttls_port) as client:
        assert "STARTTLS" in client.capabilities
        client.starttls(ssl_context=server.ssl_context())
        status, _ = client.login(user, server.password)
        assert status == "OK"


def test_wrong_password_is_refused(imap_account: tuple[Dovecot, str]) -> None:
    server, user = imap_account
    with (
        imaplib.IMAP4_SSL(server.host, server.port, ssl_context=server.ssl_context()) as client,
        pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"),
    ):
        client.login(user, "not-" + server.password)


def test_new_users_are_isolated(dovecot: Dovecot) -> None:
    first, second = dovecot.new_user(), dovecot.new_user()
    assert first != second
    context = dovecot.ssl_context()
    with imaplib.IMAP4_SSL(dovecot.host, dovecot.port, ssl_context=context) as client:
        client.login(first, dovecot.password)
        client.append("Drafts", "(\\Draft)", None, b"Subject: only for the first\r\n\r\nhi\r\n")
    with imaplib.IMAP4_SSL(dovecot.host, dovecot.port, ssl_context=context) as client:
        client.login(second, dovecot.password)
        status, data = client.select("Drafts", readonly=True)
        assert (status, data) == ("OK", [b"0"])


def test_config_helper_points_at_the_server(dovecot: Dovecot, tmp_path: Path) -> None:
    user = dovecot.new_user()
    config = dovecot.config(tmp_path, user)
    assert config.mail.backend == "imap"
    assert (config.mail.host, config.mail.port, config.mail.username) == (
        dovecot.host,
        dovecot.port,
        user,
    )
    assert config.mail.ca_file == str(dovecot.ca_file)
    assert config.database_path == tmp_path / "coffeechat.db"
    assert dovecot.config(tmp_path, user, security="starttls").mail.security == "starttls"


def test_a_missing_binary_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import dovecot as dovecot_module

    monkeypatch.setattr(dovecot_module, "find_binary", lambda: None)
    with (
        pytest.raises(dovecot_module.DovecotUnavailable) as info,
        dovecot_module.start_dovecot(),
    ):
        pass
    assert "run `scripts/test`" in str(info.value)
    assert "apt-get install dovecot-imapd" in str(info.value)


def test_the_config_matches_the_installed_version(dovecot: Dovecot) -> None:
    import dovecot as dovecot_module

    binary = dovecot_module.find_binary()
    assert binary is not None
    assert dovecot.version == dovecot_module.dovecot_version(binary)
    assert dovecot.log_file.is_file()
