"""The IMAP backend against the real Dovecot of the `dovecot` fixture (no fakes; a bare
socket only for server behaviour Dovecot cannot be made to show on cue).

What the backend wrote is read back with the stdlib's imaplib and email parser, so a test
never trusts the code under test to check itself.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import imaplib
import logging
import re
import socket
import threading
import time
import traceback
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from dovecot import Dovecot, free_port

from coffeechat.config import Mail
from coffeechat.errors import LoginFailed, MailError, MailUnreachable
from coffeechat.mail import imap as imap_module
from coffeechat.mail import open_mailbox
from coffeechat.mail.imap import (
    FolderInfo,
    ImapMailbox,
    choose_folder,
    expand_uid_set,
    header_fetch_item,
    is_activity,
    parse_appenduid,
)

SUBJECT = "Café chat — a quick question about Zürich?"
BODY = "Hola José,\n\nwould you have 20 minutes for a coffee next week?\n\nAlex\n"


def draft(to: str = "José Núñez <jose@example.org>", subject: str = SUBJECT) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Alex Doe <alex@example.com>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.com")
    message.set_content(BODY)
    return message


def raw_message(
    subject: str,
    *,
    extra: str = "",
    body: str = "hello\r\n",
    written: datetime = datetime(2024, 6, 3, 10, tzinfo=UTC),
) -> bytes:
    return (
        "From: Sam Lee <sam@example.org>\r\n"
        "To: Alex Doe <alex@example.com>\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '-')}@example.org>\r\n"
        f"Date: {format_datetime(written)}\r\n"
        f"{extra}"
        "\r\n"
        f"{body}"
    ).encode()


@contextlib.contextmanager
def stdlib_client(server: Dovecot, user: str) -> Iterator[imaplib.IMAP4_SSL]:
    """An independent client (stdlib imaplib) to check what the backend did."""
    client = imaplib.IMAP4_SSL(server.host, server.port, ssl_context=server.ssl_context())
    client.login(user, server.password)
    try:
        yield client
    finally:
        client.logout()


def read_back(server: Dovecot, user: str, folder: str) -> dict[int, tuple[set[str], bytes]]:
    """UID -> (flags, full message) for every message in `folder`, without setting \\Seen."""
    with stdlib_client(server, user) as client:
        client.select(f'"{folder}"', readonly=True)
        _, data = client.uid("SEARCH", "ALL")
        uids = [int(u) for u in data[0].split()]
        messages = {}
        for uid in uids:
            _, parts = client.uid("FETCH", str(uid), "(FLAGS BODY.PEEK[])")
            meta, content = parts[0]
            # \Recent is per-session (RFC 3501 2.3.2), not something anyone stored.
            flags = {f.decode() for f in imaplib.ParseFlags(meta)} - {"\\Recent"}
            messages[uid] = (flags, content)
        return messages


def flags_of(server: Dovecot, user: str, folder: str) -> dict[int, set[str]]:
    return {uid: flags for uid, (flags, _) in read_back(server, user, folder).items()}


@pytest.fixture
def account(imap_account: tuple[Dovecot, str]) -> Iterator[tuple[Dovecot, str, ImapMailbox]]:
    server, user = imap_account
    mailbox = ImapMailbox.connect(server.mail(user), password=server.password)
    yield server, user, mailbox
    mailbox.close()


# --- connecting -----------------------------------------------------------------------


def test_tls_login_with_the_configured_ca(imap_account: tuple[Dovecot, str]) -> None:
    server, user = imap_account
    with ImapMailbox.connect(server.mail(user), password=server.password) as mailbox:
        assert mailbox.inbox_folder() == "INBOX"
        assert mailbox.has_idle()


def test_starttls_connect(imap_account: tuple[Dovecot, str]) -> None:
    server, user = imap_account
    mail = server.mail(user, security="starttls", port=server.starttls_port)
    with ImapMailbox.connect(mail, password=server.password) as mailbox:
        assert mailbox.drafts_folder() == "Drafts"


def test_plain_is_allowed_to_loopback(imap_account: tuple[Dovecot, str]) -> None:
    server, user = imap_account
    mail = server.mail(user, security="plain", port=server.starttls_port)
    with ImapMailbox.connect(mail, password=server.password) as mailbox:
        assert mailbox.sent_folder() == "Sent"


def test_plain_to_a_remote_host_is_refused_before_connecting(dovecot: Dovecot) -> None:
    mail = dovecot.mail("alex", security="plain", host="imap.example.com", port=143)
    with pytest.raises(MailError) as info:
        ImapMailbox.connect(mail, password=dovecot.password)
    assert str(info.value).startswith(
        "refusing to send the password unencrypted to imap.example.com"
    )


def test_wrong_password_names_user_host_and_port_but_never_the_password(
    imap_account: tuple[Dovecot, str], caplog: pytest.LogCaptureFixture
) -> None:
    server, user = imap_account
    wrong = "Wr0ng-" + server.password
    caplog.set_level(logging.DEBUG)
    with pytest.raises(MailError) as info:
        ImapMailbox.connect(server.mail(user), password=wrong)
    message = str(info.value)
    # The server's words, decoded; and since mail.password_command is set (server.mail
    # sets it), the fix is that command: a password stored by `coffeechat login` is unused.
    assert message == (
        f"login failed for {user} at {server.host}:{server.port} ([AUTHENTICATIONFAILED] "
        "Authentication failed.); check that mail.password_command prints the right "
        "password on its first line (while it is set, `coffeechat login` is not used)"
    )
    assert isinstance(info.value, LoginFailed)
    shown = "".join(traceback.format_exception(info.value)) + caplog.text
    assert wrong not in shown
    assert server.password not in shown


def test_wrong_password_from_the_keyring_says_to_log_in_again(
    imap_account: tuple[Dovecot, str],
) -> None:
    server, user = imap_account
    with pytest.raises(LoginFailed) as info:
        ImapMailbox.connect(server.mail(user, password_command=""), password="wrong")
    assert str(info.value) == (
        f"login failed for {user} at {server.host}:{server.port} ([AUTHENTICATIONFAILED] "
        "Authentication failed.); run `coffeechat login` to store the right password"
    )


def test_password_is_not_logged_on_success(
    imap_account: tuple[Dovecot, str], caplog: pytest.LogCaptureFixture
) -> None:
    server, user = imap_account
    caplog.set_level(logging.DEBUG)
    ImapMailbox.connect(server.mail(user), password=server.password).close()
    assert "LOGIN" in caplog.text  # the imap conversation was logged ...
    assert server.password not in caplog.text  # ... without the secret


def test_unknown_ca_points_at_mail_ca_file(dovecot: Dovecot) -> None:
    with pytest.raises(MailError) as info:
        ImapMailbox.connect(dovecot.mail("alex", ca_file=""), password=dovecot.password)
    message = str(info.value)
    assert f"cannot verify the TLS certificate of {dovecot.host}:{dovecot.port}" in message
    assert "mail.ca_file" in message
    assert not isinstance(info.value, MailUnreachable)  # a setting to fix, not a retry


def test_ca_file_that_did_not_sign_names_the_file(dovecot: Dovecot, tmp_path: Path) -> None:
    # "set mail.ca_file" is no help to a user whose mail.ca_file is set, to the wrong CA.
    import trustme

    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    with pytest.raises(MailError) as info:
        ImapMailbox.connect(dovecot.mail("alex", ca_file=str(other_ca)), password=dovecot.password)
    message = str(info.value)
    assert f"cannot verify the TLS certificate of {dovecot.host}:{dovecot.port}" in message
    assert message.endswith(
        f"mail.ca_file is {str(other_ca)!r}: check that it is the PEM file of the CA that "
        "signed the server's certificate, and that mail.host is the name on the certificate"
    )
    assert not isinstance(info.value, MailUnreachable)


def test_unreadable_ca_file_names_the_setting(dovecot: Dovecot, tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate\n")
    with pytest.raises(MailError, match=r"^mail\.ca_file: cannot load") as info:
        ImapMailbox.connect(dovecot.mail("alex", ca_file=str(bad)), password=dovecot.password)
    assert not isinstance(info.value, MailUnreachable)


def test_connection_refused_names_host_and_port(dovecot: Dovecot) -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(MailError) as info:
        ImapMailbox.connect(dovecot.mail("alex", port=port), password=dovecot.password)
    assert str(info.value) == (
        f"cannot connect to 127.0.0.1:{port} (Connection refused); check mail.host and mail.port"
    )
    assert info.value.reason == f"cannot connect to 127.0.0.1:{port} (Connection refused)"
    assert isinstance(info.value, MailUnreachable)  # the server may be restarting


def test_a_silent_server_times_out(dovecot: Dovecot) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel accepts, nobody ever greets
        port = silent.getsockname()[1]
        mail = dovecot.mail("alex", port=port, timeout_seconds=1)
        with pytest.raises(MailUnreachable, match=rf"^timed out connecting to 127\.0\.0\.1:{port}"):
            ImapMailbox.connect(mail, password=dovecot.password)


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_a_timeout_says_how_long_it_waited(dovecot: Dovecot, security: str) -> None:
    # Over starttls the wait for a greeting is followed by a TLS probe of the same length:
    # the message said "after 1 s" when the user had waited two.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel accepts, nobody ever greets
        port = silent.getsockname()[1]
        mail = dovecot.mail("alex", port=port, security=security, timeout_seconds=1)
        started = time.monotonic()
        with pytest.raises(MailUnreachable) as info:
            ImapMailbox.connect(mail, password=dovecot.password)
        waited = time.monotonic() - started
    said = re.search(r"after (\d+) s", info.value.reason)
    assert said is not None, info.value.reason
    assert abs(int(said[1]) - waited) <= 0.5 + 0.1, (said[0], waited)


@pytest.mark.parametrize("security", ["starttls", "plain"])
def test_a_tls_port_is_named_as_such_without_waiting_for_the_timeout(
    dovecot: Dovecot, security: str
) -> None:
    # The server waits for a TLS handshake and the client for a greeting: the silence
    # prompts a handshake on the side, which the port answers.
    mail = dovecot.mail("alex", security=security, timeout_seconds=30)
    started = time.monotonic()
    with pytest.raises(MailError) as info:
        ImapMailbox.connect(mail, password=dovecot.password)
    assert time.monotonic() - started < imap_module.GREETING_SECONDS + 5
    assert str(info.value) == (
        f"{dovecot.host}:{dovecot.port} expects TLS from the start: it sent no IMAP greeting "
        'but answered a TLS handshake; set mail.security = "tls"'
    )
    assert not isinstance(info.value, MailUnreachable)  # watch stops: a setting to change


def test_tls_to_the_cleartext_port_explains_the_port(dovecot: Dovecot) -> None:
    mail = dovecot.mail("alex", port=dovecot.starttls_port)
    with pytest.raises(MailError, match=r"TLS handshake with .* failed.*mail\.port") as info:
        ImapMailbox.connect(mail, password=dovecot.password)
    assert not isinstance(info.value, MailUnreachable)


@contextlib.contextmanager
def scripted_server(
    greeting: bytes, login_answer: bytes | None, delay: float = 0.0
) -> Iterator[int]:
    """A server on loopback that greets (after `delay` seconds), answers CAPABILITY, and
    answers LOGIN with `login_answer` ("{tag}" is replaced), or hangs up at it when None:
    what Dovecot cannot be made to do on cue."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve(conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as lines, contextlib.suppress(OSError, ValueError):
            time.sleep(delay)
            conn.sendall(greeting)
            for line in lines:
                tag, command = line.split()[:2]
                if command.upper() == b"CAPABILITY":
                    conn.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n")
                elif login_answer is not None:
                    conn.sendall(login_answer.replace(b"{tag}", tag))
                else:
                    return

    def accept() -> None:
        with contextlib.suppress(OSError):  # the listener closed
            while True:
                threading.Thread(target=serve, args=(listener.accept()[0],), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


@pytest.mark.parametrize(
    ("greeting", "login_answer", "reason"),
    [
        # RFC 3501 7.1.5: a BYE greeting turns the client away, e.g. too many connections.
        (b"* BYE Too many connections\r\n", None, "{where} closed the connection (* BYE "),
        # imapclient reports a hang-up during LOGIN as a LoginError, as if refused.
        (b"* OK ready\r\n", None, "lost the connection to {where} while logging in as alex"),
        # RFC 5530: the password check itself is down, not the password wrong.
        (
            b"* OK ready\r\n",
            b"{tag} NO [UNAVAILABLE] Temporary authentication failure.\r\n",
            "{where} cannot log in alex right now ([UNAVAILABLE] Temporary authentication",
        ),
    ],
    ids=["bye-greeting", "hang-up-at-login", "login-unavailable"],
)
def test_a_server_that_turns_us_away_for_now_is_worth_a_retry(
    greeting: bytes, login_answer: bytes | None, reason: str
) -> None:
    with scripted_server(greeting, login_answer) as port:
        mail = Mail(backend="imap", host="127.0.0.1", port=port, security="plain", username="alex")
        with pytest.raises(MailUnreachable) as info:
            ImapMailbox.connect(mail, password="secret")
    assert info.value.reason.startswith(reason.format(where=f"127.0.0.1:{port}"))
    assert "secret" not in str(info.value)


def test_a_server_slow_to_greet_is_not_taken_for_a_tls_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # It greets after the short wait: the handshake on the side gets no TLS answer, so
    # the connection is tried again with the whole timeout, and the login goes through.
    monkeypatch.setattr(imap_module, "GREETING_SECONDS", 0.2)
    with scripted_server(b"* OK slow\r\n", b"{tag} OK logged in\r\n", delay=0.6) as port:
        mail = Mail(backend="imap", host="127.0.0.1", port=port, security="plain", username="alex")
        ImapMailbox.connect(mail, password="secret").close()


def test_open_mailbox_uses_the_config_and_its_password_command(
    imap_account: tuple[Dovecot, str], tmp_path: Path
) -> None:
    server, user = imap_account
    mailbox = open_mailbox(server.config(tmp_path, user))
    try:
        assert mailbox.drafts_folder() == "Drafts"
    finally:
        mailbox.close()


def test_close_twice_is_harmless(account: tuple[Dovecot, str, ImapMailbox]) -> None:
    _, _, mailbox = account
    mailbox.close()
    mailbox.close()


# --- folders --------------------------------------------------------------------------


def test_folders_found_by_special_use(account: tuple[Dovecot, str, ImapMailbox]) -> None:
    _, _, mailbox = account
    assert mailbox.drafts_folder() == "Drafts"
    assert mailbox.sent_folder() == "Sent"
    flags = {f.name: f.flags for f in mailbox.folders()}
    assert "\\drafts" in flags["Drafts"]


def test_folder_override_wins(imap_account: tuple[Dovecot, str]) -> None:
    server, user = imap_account
    with stdlib_client(server, user) as client:
        client.create('"Outreach Drafts"')
    mail = server.mail(user, drafts_folder="Outreach Drafts", sent_folder="Trash")
    with ImapMailbox.connect(mail, password=server.password) as mailbox:
        assert mailbox.drafts_folder() == "Outreach Drafts"
        assert mailbox.sent_folder() == "Trash"
        result = mailbox.append_drafts([draft()])
    assert result[0].folder == "Outreach Drafts"
    assert len(read_back(server, user, "Outreach Drafts")) == 1


def test_a_missing_override_folder_names_the_setting(imap_account: tuple[Dovecot, str]) -> None:
    server, user = imap_account
    mail = server.mail(user, drafts_folder="Nope")
    with (
        ImapMailbox.connect(mail, password=server.password) as mailbox,
        pytest.raises(MailError, match=r"^mail\.drafts_folder: there is no folder 'Nope'"),
    ):
        mailbox.drafts_folder()


def folder(name: str, *flags: str) -> FolderInfo:
    return FolderInfo(name, frozenset(f.lower() for f in flags))


def test_choose_folder_prefers_special_use_then_names_in_order() -> None:
    names = imap_module.SENT_NAMES
    assert choose_folder([folder("Sent"), folder("Gesendet", "\\Sent")], "\\Sent", names) == (
        "Gesendet"
    )
    assert choose_folder([folder("INBOX.Sent"), folder("Sent Items")], "\\Sent", names) == (
        "Sent Items"
    )
    assert choose_folder([folder("sent items")], "\\Sent", names) == "sent items"
    assert choose_folder([folder("[Gmail]/Drafts")], "\\Drafts", imap_module.DRAFTS_NAMES) == (
        "[Gmail]/Drafts"
    )
    assert choose_folder([folder("INBOX")], "\\Sent", names) is None


# --- drafts ---------------------------------------------------------------------------


def test_append_draft_round_trips_non_ascii_and_flags(
    account: tuple[Dovecot, str, ImapMailbox],
) -> None:
    server, user, mailbox = account
    message = draft()
    [result] = mailbox.append_drafts([message])
    assert result.folder == "Drafts"
    assert result.message_id == message["Message-ID"]

    stored = read_back(server, user, "Drafts")
    assert list(stored) == [result.uid]  # the APPENDUID the server reported
    flags, content = stored[result.uid]
    assert {"\\Draft", "\\Seen"} <= flags
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert str(parsed["From"]) == "Alex Doe <alex@example.com>"
    assert str(parsed["To"]) == "José Núñez <jose@example.org>"
    assert str(parsed["Subject"]) == SUBJECT
    assert parsed["Message-ID"] == message["Message-ID"]
    assert parsed.get_content().replace("\r\n", "\n") == BODY
    assert b"\n" not in content.replace(b"\r\n", b"")  # CRLF only (RFC 3501 2.2)
    assert mailbox.has_message_id("Drafts", message["Message-ID"])


def test_several_drafts_go_in_one_multiappend_in_order(
    account: tuple[Dovecot, str, ImapMailbox], caplog: pytest.LogCaptureFixture
) -> None:
    server, user, mailbox = account
    messages = [draft(subject=f"Draft {n}") for n in range(4)]
    caplog.set_level(logging.DEBUG, logger="imapclient")
    results = mailbox.append_drafts(messages)
    appends = [r for r in caplog.messages if " APPEND " in r and r.startswith(">")]
    assert len(appends) == 1  # one MULTIAPPEND command (RFC 3502), not four APPENDs
    assert [r.message_id for r in results] == [m["Message-ID"] for m in messages]
    uids = [r.uid for r in results]
    assert all(uid is not None for uid in uids) and uids == sorted(uids)
    stored = read_back(server, user, "Drafts")
    assert set(stored) == set(uids)
    for result, message in zip(results, messages, strict=True):
        assert result.uid is not None
        flags, content = stored[result.uid]
        assert "\\Draft" in flags
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert str(parsed["Subject"]) == message["Subject"]


def test_many_drafts_span_several_multiappend_batches(
    account: tuple[Dovecot, str, ImapMailbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, user, mailbox = account
    monkeypatch.setattr(imap_module, "MULTIAPPEND_BATCH", 2)
    results = mailbox.append_drafts([draft(subject=f"Batch {n}") for n in range(5)])
    assert len({r.uid for r in results}) == 5
    assert len(read_back(server, user, "Drafts")) == 5


def test_a_draft_without_message_id_gets_one(account: tuple[Dovecot, str, ImapMailbox]) -> None:
    _, _, mailbox = account
    message = draft()
    del message["Message-ID"]
    [result] = mailbox.append_drafts([message])
    assert result.message_id.endswith("@example.com>")
    assert "Message-ID" not in message  # the caller's message is left alone
    assert mailbox.has_message_id("Drafts", result.message_id)


def test_has_message_id_is_exact(account: tuple[Dovecot, str, ImapMailbox]) -> None:
    _, _, mailbox = account
    mailbox.append("INBOX", raw_message("hello there"))
    assert mailbox.has_message_id("INBOX", "<hello-there@example.org>")
    assert not mailbox.has_message_id("INBOX", "<there@example.org>")  # a substring
    assert not mailbox.has_message_id("INBOX", "<other@example.org>")
    assert not mailbox.has_message_id("Drafts", "<hello-there@example.org>")
    assert not mailbox.has_message_id("INBOX", "")


def test_append_returns_the_uid(account: tuple[Dovecot, str, ImapMailbox]) -> None:
    server, user, mailbox = account
    first = mailbox.append("INBOX", raw_message("one"), ["\\Seen"])
    second = mailbox.append("INBOX", raw_message("two"))
    assert first is not None and second == first + 1
    assert flags_of(server, user, "INBOX") == {first: {"\\Seen"}, second: set()}


def test_append_to_a_missing_folder_is_a_mail_error(
    account: tuple[Dovecot, str, ImapMailbox],
) -> None:
    server, _, mailbox = account
    with pytest.raises(MailError, match=rf"^{server.host}:{server.port} refused appending"):
        mailbox.append("No Such Folder", raw_message("x"))


# --- reading --------------------------------------------------------------------------


def test_folder_state_tracks_uidnext(account: tuple[Dovecot, str, ImapMailbox]) -> None:
    _, _, mailbox = account
    before = mailbox.folder_state("INBOX")
    assert before.name == "INBOX" and before.uidvalidity > 0
    uid = mailbox.append("INBOX", raw_message("count me"))
    after = mailbox.folder_state("INBOX")
    assert after.uidvalidity == before.uidvalidity
    assert after.uidnext == before.uidnext + 1 == (uid or 0) + 1


def test_fetch_headers_returns_only_the_header_fields_and_leaves_mail_unseen(
    account: tuple[Dovecot, str, ImapMailbox],
) -> None:
    server, user, mailbox = account
    uid = mailbox.append(
        "INBOX", raw_message("the news", extra="X-Private: keep out\r\n", body="SECRET BODY\r\n")
    )
    batches = list(mailbox.fetch_headers("INBOX", 0))
    assert len(batches) == 1
    [fetched] = batches[0]
    assert (fetched.folder, fetched.uid) == ("INBOX", uid)
    parsed = email.message_from_bytes(fetched.headers, policy=email.policy.default)
    assert parsed["Subject"] == "the news"
    assert parsed["Message-ID"] == "<the-news@example.org>"
    assert parsed["From"] == "Sam Lee <sam@example.org>"
    assert b"X-Private" not in fetched.headers
    assert b"SECRET BODY" not in fetched.headers
    assert flags_of(server, user, "INBOX") == {uid: set()}  # still unread


def test_fetch_headers_batches_and_resumes_after_a_uid(
    account: tuple[Dovecot, str, ImapMailbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, mailbox = account
    monkeypatch.setattr(imap_module, "FETCH_BATCH", 2)
    uids = [mailbox.append("INBOX", raw_message(f"message {n}")) for n in range(5)]
    batches = list(mailbox.fetch_headers("INBOX", 0))
    assert [[m.uid for m in batch] for batch in batches] == [uids[0:2], uids[2:4], uids[4:5]]
    assert [m.uid for batch in mailbox.fetch_headers("INBOX", uids[2] or 0) for m in batch] == (
        uids[3:]
    )
    # "n:*" matches the last message even when n is past it: nothing new means nothing.
    assert list(mailbox.fetch_headers("INBOX", uids[-1] or 0)) == []


def test_whole_messages_asked_for_behind_header_batches_come_back_with_their_own_uids(
    account: tuple[Dovecot, str, ImapMailbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A scan asks for a batch's whole messages while the next header batches are still
    # on the wire, and reads them later: Dovecot interleaves the answers.
    _, _, mailbox = account
    monkeypatch.setattr(imap_module, "FETCH_BATCH", 2)
    uids = [
        mailbox.append("INBOX", raw_message(f"message {n}", body=f"body {n}\r\n")) for n in range(7)
    ]
    batches = mailbox.fetch_headers("INBOX", 0)
    first = next(batches)
    asked = [mailbox.ask_parts("INBOX", [m.uid], "") for m in first]
    assert [m.uid for batch in batches for m in batch] == uids[2:]
    for n, (message, answer) in enumerate(zip(first, asked, strict=True)):
        whole = answer()
        assert list(whole) == [message.uid] and whole[message.uid].endswith(
            f"body {n}\r\n".encode()
        )
    assert b"Subject: message 1" in first[1].headers


def test_the_next_batch_asked_ahead_survives_any_use_of_the_connection_between_batches(
    account: tuple[Dovecot, str, ImapMailbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each batch's FETCH is sent while the caller still works on the one before; whatever
    # the caller does meanwhile (other folders, whole messages, a search) must get its
    # own answer, and the batch its own.
    _, _, mailbox = account
    monkeypatch.setattr(imap_module, "FETCH_BATCH", 2)
    sent = mailbox.sent_folder()
    uids = [mailbox.append("INBOX", raw_message(f"message {n}")) for n in range(7)]
    sent_uid = mailbox.append(sent, raw_message("in sent", body="SENT BODY\r\n"))
    assert sent_uid is not None and None not in uids
    seen: list[list[int]] = []
    for batch in mailbox.fetch_headers("INBOX", 0):
        seen.append([m.uid for m in batch])
        assert all(b"Subject: message " in m.headers for m in batch)
        whole = mailbox.fetch_parts(sent, [sent_uid], "")
        assert list(whole) == [sent_uid] and whole[sent_uid].endswith(b"SENT BODY\r\n")
        assert list(mailbox.fetch_parts("INBOX", [uids[6]], "")) == [uids[6]]
        assert mailbox.folder_state(sent).uidnext == sent_uid + 1
        assert mailbox.has_message_id("INBOX", "<message-6@example.org>")
    assert seen == [uids[0:2], uids[2:4], uids[4:6], uids[6:7]]

    # A reader that stops early leaves a FETCH unread: the next command still works...
    batches = mailbox.fetch_headers("INBOX", 0)
    assert [m.uid for m in next(batches)] == uids[0:2]
    whole = mailbox.fetch_parts("INBOX", [uids[5]], "")
    assert list(whole) == [uids[5]] and whole[uids[5]].endswith(b"hello\r\n")
    batches = mailbox.fetch_headers("INBOX", 0)
    next(batches)
    del batches
    # ...and so does closing, without waiting for a LOGOUT that answers after the batch.
    started = time.monotonic()
    mailbox.close()
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("esearch", [True, False], ids=["esearch", "plain-search"])
def test_searches_find_the_same_uids_with_ranges_or_a_list(
    account: tuple[Dovecot, str, ImapMailbox], monkeypatch: pytest.MonkeyPatch, esearch: bool
) -> None:
    # Dovecot answers ESEARCH (RFC 4731) in ranges ("UID ALL 1:3,5"); a server without it
    # lists every UID. Gaps (expunged mail) and searches that find nothing included.
    server, user, mailbox = account
    for n in range(8):
        written = datetime(2020 if n < 3 else 2024, 6, 3, tzinfo=UTC)
        mailbox.append("INBOX", raw_message(f"message {n}", written=written))
    with stdlib_client(server, user) as client:
        client.select("INBOX")
        client.uid("STORE", "2,6", "+FLAGS.SILENT", "(\\Deleted)")
        client.expunge()
    if not esearch:
        has = mailbox._client.has_capability
        monkeypatch.setattr(mailbox._client, "has_capability", lambda c: c != "ESEARCH" and has(c))
    mailbox._refresh("INBOX")
    assert mailbox._search("UID", "1:*") == [1, 3, 4, 5, 7, 8]
    assert mailbox._search("UID", "4:8", "SENTSINCE", "1-Jan-2024") == [4, 5, 7, 8]
    assert mailbox._search("UID", "1:8", "FROM", "nobody@example.net") == []
    assert list(mailbox.fetch_correspondence("INBOX", ["sam@example.org"], 5)) != []


def test_a_folder_without_gaps_is_read_without_searching_it_first(
    account: tuple[Dovecot, str, ImapMailbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, user, mailbox = account
    for n in range(5):
        mailbox.append("INBOX", raw_message(f"message {n}"))
    searched: list[tuple[str, ...]] = []
    search = mailbox._search
    monkeypatch.setattr(mailbox, "_search", lambda *c: searched.append(c) or search(*c))

    def uids_read(after: int) -> list[int]:
        until = mailbox.folder_state("INBOX").uidnext - 1
        return [m.uid for b in mailbox.fetch_headers("INBOX", after, until_uid=until) for m in b]

    assert uids_read(1) == [2, 3, 4, 5]  # 5 messages below UIDNEXT 6: UIDs 1 to 5
    assert searched == []
    with stdlib_client(server, user) as client:  # a gap: UID 3 expunged
        client.select("INBOX")
        client.uid("STORE", "3", "+FLAGS.SILENT", "(\\Deleted)")
        client.expunge()
    assert uids_read(0) == [1, 2, 4, 5]
    assert searched == [("UID", "1:5")]


def test_fetch_headers_since_days_limits_the_backfill(
    account: tuple[Dovecot, str, ImapMailbox],
) -> None:
    _, _, mailbox = account
    with stdlib_client(*account[:2]) as client:
        for subject, day in (
            ("old", datetime(2020, 1, 2, tzinfo=UTC)),
            ("recent", datetime(2024, 6, 1, tzinfo=UTC)),
        ):
            message = raw_message(subject, written=day)
            client.append("INBOX", None, imaplib.Time2Internaldate(day), message)
    got = [
        m.headers
        for batch in mailbox.fetch_headers("INBOX", 0, since_days=30, today=date(2024, 6, 10))
        for m in batch
    ]
    assert len(got) == 1 and b"Subject: recent" in got[0]
    assert sum(len(b) for b in mailbox.fetch_headers("INBOX", 0)) == 2


@pytest.mark.parametrize("first", ["old", "recent"])
def test_recent_mail_before_old_mail_moved_in_later_is_in_the_backfill(
    account: tuple[Dovecot, str, ImapMailbox], monkeypatch: pytest.MonkeyPatch, first: str
) -> None:
    # Dates do not always rise with UIDs: an archive moved (or imapsync'ed) into the folder
    # keeps its old dates under new UIDs. Three messages of last week, followed by such an
    # archive, are in the window all the same; a search that trusts a few sampled dates to
    # bound the window skipped them, with the replies among them. A folder that begins with
    # old mail is searched by date on the server; one that begins inside the window is
    # read whole, and each message kept or dropped by its own Date.
    _, _, mailbox = account
    monkeypatch.setattr(imap_module, "FETCH_BATCH", 4)
    searches: list[tuple[str, ...]] = []
    search = mailbox._search
    monkeypatch.setattr(mailbox, "_search", lambda *c: searches.append(c) or search(*c))
    old, recent = datetime(2020, 1, 2, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)
    written = [{"old": old, "recent": recent}[first]]
    written += [old] * 6 + [recent] * 3 + [old] * 11 + [recent] * 3
    with stdlib_client(*account[:2]) as client:
        for n, day in enumerate(written):
            message = raw_message(f"m{n}", written=day)
            client.append("INBOX", None, imaplib.Time2Internaldate(day), message)
    got = [
        m.headers.split(b"Subject: m")[1].split(b"\r\n")[0].decode()
        for batch in mailbox.fetch_headers("INBOX", 0, since_days=30, today=date(2024, 6, 10))
        for m in batch
    ]
    assert got == ["0"] * (first == "recent") + ["7", "8", "9", "21", "22", "23"]
    assert any("SENTSINCE" in criteria for criteria in searches) == (first == "old")


def test_fetch_headers_survives_other_calls_between_batches(
    account: tuple[Dovecot, str, ImapMailbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, mailbox = account
    monkeypatch.setattr(imap_module, "FETCH_BATCH", 1)
    for n in range(2):
        mailbox.append("INBOX", raw_message(f"inbox {n}"))
    mailbox.append_drafts([draft()])
    seen: list[str] = []
    for batch in mailbox.fetch_headers("INBOX", 0):
        seen.extend(m.folder for m in batch)
        assert not mailbox.has_message_id("Drafts", "<nothing@example.org>")
    assert seen == ["INBOX", "INBOX"]


def test_fetch_parts_reads_without_setting_seen(account: tuple[Dovecot, str, ImapMailbox]) -> None:
    server, user, mailbox = account
    uid = mailbox.append("INBOX", raw_message("part", body="just the text\r\n"))
    assert uid is not None
    other = mailbox.append("INBOX", raw_message("other", body="more text\r\n"))
    assert other is not None
    assert mailbox.fetch_parts("INBOX", [uid], "TEXT") == {uid: b"just the text\r\n"}
    assert mailbox.fetch_parts("INBOX", [uid, other, uid + 100], "1") == {
        uid: b"just the text\r\n",
        other: b"more text\r\n",
    }
    assert mailbox.fetch_parts("INBOX", [], "TEXT") == {}
    assert flags_of(server, user, "INBOX") == {uid: set(), other: set()}
    with pytest.raises(ValueError, match="not an IMAP body section"):
        mailbox.fetch_parts("INBOX", [uid], "TEXT] FLAGS")


def test_a_missing_folder_is_a_mail_error(account: tuple[Dovecot, str, ImapMailbox]) -> None:
    _, _, mailbox = account
    with pytest.raises(MailError, match="refused opening folder 'Nowhere'"):
        mailbox.folder_state("Nowhere")


# --- IDLE -----------------------------------------------------------------------------


def test_idle_wait_times_out_quietly(account: tuple[Dovecot, str, ImapMailbox]) -> None:
    _, _, mailbox = account
    assert mailbox.idle_wait("INBOX", timeout=0.2) is False
    # The connection is usable again afterwards, and IDLE can be re-issued.
    assert mailbox.folder_state("INBOX").uidnext == 1
    assert mailbox.idle_wait("INBOX", timeout=0.1) is False


def test_close_after_ctrl_c_mid_command_does_not_wait_for_the_server(
    imap_account: tuple[Dovecot, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C can land while IDLE is starting: the server then waits for DONE, and a
    polite LOGOUT would wait out mail.timeout_seconds for an answer that never comes."""
    server, user = imap_account
    mailbox = ImapMailbox.connect(server.mail(user), password=server.password)
    real_idle = mailbox._client.idle

    def idle_then_interrupted() -> None:
        real_idle()
        raise KeyboardInterrupt

    monkeypatch.setattr(mailbox._client, "idle", idle_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        mailbox.idle_wait("INBOX", timeout=5)
    started = time.monotonic()
    mailbox.close()
    assert time.monotonic() - started < 1


def test_idle_wait_reports_new_mail(account: tuple[Dovecot, str, ImapMailbox]) -> None:
    server, user, mailbox = account
    other = ImapMailbox.connect(server.mail(user), password=server.password)

    def deliver() -> None:
        time.sleep(0.3)  # ordering, not timing logic: let the IDLE start first
        other.append("INBOX", raw_message("new mail"))

    thread = threading.Thread(target=deliver)
    thread.start()
    try:
        started = time.monotonic()
        assert mailbox.idle_wait("INBOX", timeout=10) is True
        assert time.monotonic() - started < 9
    finally:
        thread.join()
        other.close()
    assert [m.uid for b in mailbox.fetch_headers("INBOX", 0) for m in b] == [1]


def test_a_scan_with_nothing_arriving_leaves_no_news(
    account: tuple[Dovecot, str, ImapMailbox],
) -> None:
    """The message count an EXAMINE reports is not news: the wait after a scan waits."""
    _, _, mailbox = account
    for n in range(2):
        mailbox.append("INBOX", raw_message(f"inbox {n}"))
    mailbox.folder_state("INBOX")
    assert sum(len(batch) for batch in mailbox.fetch_headers("INBOX", 0)) == 2
    started = time.monotonic()
    assert mailbox.idle_wait("INBOX", timeout=0.5) is False
    assert time.monotonic() - started >= 0.4


def test_mail_announced_during_a_fetch_is_not_lost_to_the_next_wait(
    account: tuple[Dovecot, str, ImapMailbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server tells of new mail once, maybe in the middle of a scan's FETCH: the next
    wait must still report it instead of sleeping through it."""
    server, user, mailbox = account
    monkeypatch.setattr(imap_module, "FETCH_BATCH", 1)
    for n in range(2):
        mailbox.append("INBOX", raw_message(f"inbox {n}"))
    batches = mailbox.fetch_headers("INBOX", 0)
    next(batches)
    with stdlib_client(server, user) as client:
        client.append("INBOX", None, None, raw_message("arrives mid-scan"))
    assert len(list(batches)) == 1  # the scan ends where it began: 2 messages
    started = time.monotonic()
    assert mailbox.idle_wait("INBOX", timeout=5) is True
    assert time.monotonic() - started < 1


# --- pure helpers ---------------------------------------------------------------------


def test_uid_sets_and_appenduid() -> None:
    assert expand_uid_set("7") == [7]
    assert expand_uid_set("3:5,9") == [3, 4, 5, 9]
    assert expand_uid_set("5:3") == [3, 4, 5]
    assert parse_appenduid(b"[APPENDUID 1717 4:6] Append completed.") == [4, 5, 6]
    assert parse_appenduid("[appenduid 1 2] ok") == [2]
    assert parse_appenduid(b"Append completed.") == []


def test_header_fetch_item_peeks() -> None:
    item = header_fetch_item(("From", "Message-ID"))
    assert item == "BODY.PEEK[HEADER.FIELDS (FROM MESSAGE-ID)]"


def test_idle_keepalives_are_not_activity() -> None:
    assert not is_activity((b"OK", b"Still here"))
    assert is_activity((3, b"EXISTS"))
    assert is_activity((2, b"EXPUNGE"))
