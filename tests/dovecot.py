"""A throwaway Dovecot IMAP server for tests and benchmarks.

`start_dovecot()` writes a private config into a fresh temp dir, starts
`dovecot -F -c <dir>/dovecot.conf` on two free loopback ports (implicit TLS and
STARTTLS), waits until both greet, and stops it afterwards (the pattern of
simpkins/amt's tests/lib/imap_server.py). The server certificate comes from a test CA
made with `trustme`, so clients verify TLS for real against `ca_file`.

Any username logs in with the one fixture password (`passdb static`), and each user gets
its own empty Maildir, so `new_user()` isolates a test without restarting the server.
"""

from __future__ import annotations

import contextlib
import dataclasses
import grp
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coffeechat.config import Config, Mail, Me, Paths

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 15.0
STOP_TIMEOUT_SECONDS = 10.0
INSTALL_HINT = (
    "the dovecot binary was not found (looked on PATH and in /usr/sbin); the IMAP tests "
    "need a real Dovecot: run `scripts/test` (it installs it), or `apt-get install dovecot-imapd`"
)

# The special-use folders (RFC 6154) every test user gets, created on first login.
SPECIAL_FOLDERS: tuple[tuple[str, str], ...] = (
    ("Drafts", "\\Drafts"),
    ("Sent", "\\Sent"),
    ("Trash", "\\Trash"),
    ("Junk", "\\Junk"),
)


class DovecotUnavailable(RuntimeError):
    """Dovecot is not installed, or it would not start."""


@dataclass(frozen=True)
class Dovecot:
    """A running test server. Every username logs in with `password`."""

    host: str
    port: int  # implicit TLS (imaps)
    starttls_port: int  # cleartext greeting, STARTTLS before LOGIN
    password: str
    ca_file: Path  # PEM of the test CA that signed the server certificate
    log_file: Path
    version: str

    def new_user(self) -> str:
        """A fresh unique username: its mailbox is empty until the first login."""
        return f"user-{secrets.token_hex(6)}@example.test"

    def maildir(self, user: str) -> Path:
        """Where `user`'s mail is kept on disk: INBOX here, other folders below it."""
        return self.log_file.parent / "mail" / user

    def ssl_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only the test CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def mail(self, user: str, **overrides: Any) -> Mail:
        """IMAP settings for `user` over implicit TLS; `overrides` replace any field."""
        mail = Mail(
            backend="imap",
            host=self.host,
            port=self.port,
            security="tls",
            username=user,
            ca_file=str(self.ca_file),
            # So open_mailbox(config) works without a keyring; argv, never a shell.
            password_command=f"printf %s {self.password}",
            timeout_seconds=10,
        )
        return dataclasses.replace(mail, **overrides)

    def config(self, tmp_path: Path, user: str, **mail_overrides: Any) -> Config:
        """A coffeechat Config for `user` whose files all live under `tmp_path`."""
        return Config(
            me=Me(name="Alex Doe", email="alex.doe@example.org", timezone="UTC"),
            mail=self.mail(user, **mail_overrides),
            paths=Paths(
                database=str(tmp_path / "coffeechat.db"),
                calendar_dir=str(tmp_path / "calendar"),
            ),
        )


def find_binary() -> str | None:
    """The dovecot executable; /usr/sbin is often missing from a non-root PATH."""
    found = shutil.which("dovecot")
    if found:
        return found
    fallback = Path("/usr/sbin/dovecot")
    return str(fallback) if fallback.is_file() and os.access(fallback, os.X_OK) else None


def dovecot_version(binary: str) -> str:
    """E.g. "2.3.19.1" from `dovecot --version` ("2.3.19.1 (9b53102964)")."""
    out = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, timeout=10, check=True
    ).stdout
    match = re.match(r"\s*(\d+(?:\.\d+)+)", out)
    if not match:
        raise DovecotUnavailable(f"cannot read the version from `dovecot --version`: {out!r}")
    return match.group(1)


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class _Accounts:
    """Which system users Dovecot's processes run as."""

    login_user: str  # imap-login: must not be root
    internal_user: str  # auth and other unprivileged helpers
    internal_group: str  # group of the internal sockets (stats-writer, dict, ...)
    mail_user: str  # owns the Maildirs: Dovecot refuses uid 0 for mail access
    mail_group: str
    first_valid_uid: int


def _accounts() -> _Accounts:
    if os.geteuid() != 0:
        # Unprivileged: Dovecot cannot switch users, so everything runs as us.
        me = pwd.getpwuid(os.geteuid())
        group = grp.getgrgid(os.getegid()).gr_name
        return _Accounts(
            login_user=me.pw_name,
            internal_user=me.pw_name,
            internal_group=group,
            mail_user=me.pw_name,
            mail_group=group,
            first_valid_uid=1,
        )
    # As root (CI): imap-login refuses to run as root and mail access refuses uid 0, so
    # use the users the Debian package creates: dovenull for logins, dovecot for the rest.
    try:
        login = pwd.getpwnam("dovenull")
        internal = pwd.getpwnam("dovecot")
    except KeyError as err:
        raise DovecotUnavailable(
            f"running as root, but the system user {err} that dovecot-core creates is "
            "missing; reinstall dovecot-core"
        ) from err
    group = grp.getgrgid(internal.pw_gid).gr_name
    return _Accounts(
        login_user=login.pw_name,
        internal_user=internal.pw_name,
        internal_group=group,
        mail_user=internal.pw_name,
        mail_group=group,
        first_valid_uid=min(login.pw_uid, internal.pw_uid),
    )


def _namespace_block() -> str:
    mailboxes = "".join(
        f"  mailbox {name} {{\n    special_use = {flag}\n    auto = subscribe\n  }}\n"
        for name, flag in SPECIAL_FOLDERS
    )
    return "namespace inbox {\n  inbox = yes\n  separator = /\n" + mailboxes + "}\n"


def _services_block(port: int, starttls_port: int) -> str:
    # chroot is emptied because an unprivileged master cannot chroot its children.
    return f"""\
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {HOST}
    port = {starttls_port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # No penalty socket, no auth penalty: the wrong-password tests must not slow down
  # every later login from 127.0.0.1 by up to 15 s.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


def render_config(
    *,
    version: str,
    workdir: Path,
    port: int,
    starttls_port: int,
    password: str,
    accounts: _Accounts,
    instance: str,
) -> str:
    """The complete dovecot.conf: 2.3 syntax, or 2.4 syntax for Dovecot >= 2.4."""
    mail_dir = workdir / "mail"
    home_dir = workdir / "home"
    pem = workdir / "server.pem"
    common = f"""\
instance_name = {instance}
protocols = imap
listen = {HOST}
base_dir = {workdir / "run"}
state_dir = {workdir / "state"}
log_path = {workdir / "dovecot.log"}
info_log_path = {workdir / "dovecot.log"}
ssl = yes
auth_mechanisms = plain login
# A wrong password answers at once instead of after the default 2 s: keeps tests fast.
auth_failure_delay = 0
default_login_user = {accounts.login_user}
default_internal_user = {accounts.internal_user}
default_internal_group = {accounts.internal_group}
first_valid_uid = {accounts.first_valid_uid}
first_valid_gid = 1
mail_fsync = never
"""
    if _version_tuple(version) >= (2, 4):
        # Written from the 2.4 documentation; only 2.3 has been run here (see the report).
        specific = f"""\
dovecot_config_version = {version}
dovecot_storage_version = {version}
{common}\
ssl_server_cert_file = {pem}
ssl_server_key_file = {pem}
auth_allow_cleartext = yes
mail_driver = maildir
mail_path = {mail_dir}/%{{user}}
mail_home = {home_dir}/%{{user}}
mailbox_list_layout = fs
mail_uid = {accounts.mail_user}
mail_gid = {accounts.mail_group}
passdb static {{
  password = {password}
}}
userdb static {{
}}
"""
    else:
        specific = f"""\
{common}\
ssl_cert = <{pem}
ssl_key = <{pem}
disable_plaintext_auth = no
# LAYOUT=fs: folders are plain directories named like the IMAP folders ("Drafts").
mail_location = maildir:{mail_dir}/%u:LAYOUT=fs
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={accounts.mail_user} gid={accounts.mail_group} home={home_dir}/%u
}}
"""
    return specific + _namespace_block() + _services_block(port, starttls_port)


def _greets(port: int, *, tls_context: ssl.SSLContext | None) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0) as raw:
            if tls_context is not None:
                with tls_context.wrap_socket(raw, server_hostname=HOST) as tls:
                    return tls.recv(64).startswith(b"* OK")
            return raw.recv(64).startswith(b"* OK")
    except OSError:
        return False


def _log_tail(log_file: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_SECONDS)


def _prepare_workdir(workdir: Path, accounts: _Accounts) -> Path:
    import trustme

    # Dovecot's unprivileged processes must reach the config, certificate and mail dirs.
    workdir.chmod(0o755)
    for name in ("run", "state", "mail", "home"):
        (workdir / name).mkdir()
    if os.geteuid() == 0:
        uid = pwd.getpwnam(accounts.mail_user).pw_uid
        gid = grp.getgrnam(accounts.mail_group).gr_gid
        for name in ("mail", "home"):
            os.chown(workdir / name, uid, gid)
    ca = trustme.CA()
    ca.issue_cert(HOST, "localhost").private_key_and_cert_chain_pem.write_to_path(
        str(workdir / "server.pem")
    )
    ca_file = workdir / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return ca_file


@contextlib.contextmanager
def start_dovecot(workdir: Path | None = None, attempts: int = 3) -> Iterator[Dovecot]:
    """Run a private Dovecot for the duration of the `with` block.

    `workdir` must not exist yet (a fresh temp dir by default; removed afterwards only
    when it was made here). Raises DovecotUnavailable when dovecot is missing or will not
    start; the message quotes the end of its log.
    """
    binary = find_binary()
    if binary is None:
        raise DovecotUnavailable(INSTALL_HINT)
    version = dovecot_version(binary)
    accounts = _accounts()
    owned = workdir is None
    # Not pytest's tmp_path: its 0700 parents would lock out Dovecot's unprivileged users.
    root = Path(tempfile.mkdtemp(prefix="coffeechat-dovecot-")) if workdir is None else workdir
    root.mkdir(parents=True, exist_ok=True)
    try:
        ca_file = _prepare_workdir(root, accounts)
        password = secrets.token_hex(12)
        log_file = root / "dovecot.log"
        # A port picked free can be taken before Dovecot binds it: retry with new ones.
        for attempt in range(1, attempts + 1):
            port, starttls_port = free_port(), free_port()
            conf = root / "dovecot.conf"
            conf.write_text(
                render_config(
                    version=version,
                    workdir=root,
                    port=port,
                    starttls_port=starttls_port,
                    password=password,
                    accounts=accounts,
                    instance=f"coffeechat-test-{root.name}",
                ),
                encoding="utf-8",
            )
            with (root / "stdout.log").open("wb") as stdout_log:
                process = subprocess.Popen(
                    [binary, "-F", "-c", str(conf)],
                    cwd=root,
                    stdin=subprocess.DEVNULL,
                    stdout=stdout_log,
                    stderr=subprocess.STDOUT,
                )
            server = Dovecot(HOST, port, starttls_port, password, ca_file, log_file, version)
            try:
                if _wait_ready(process, server):
                    yield server
                    return
            finally:
                _stop(process)
            if attempt == attempts:
                stdout = (root / "stdout.log").read_text(errors="replace")
                raise DovecotUnavailable(
                    f"dovecot {version} did not start on {HOST}:{port}/{starttls_port} "
                    f"(config {conf}):\n{stdout}\n{_log_tail(log_file)}"
                )
    finally:
        if owned:
            shutil.rmtree(root, ignore_errors=True)


def _wait_ready(process: subprocess.Popen[bytes], server: Dovecot) -> bool:
    """Poll both listeners until they greet; False when Dovecot exited or never greeted."""
    context = server.ssl_context()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if _greets(server.port, tls_context=context) and _greets(
            server.starttls_port, tls_context=None
        ):
            return True
        time.sleep(0.05)
    return False
