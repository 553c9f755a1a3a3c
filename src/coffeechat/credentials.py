"""Where the IMAP password comes from: `mail.password_command`, else the OS keyring.

The password never lives in the config file, the database or a log line. `keyring` is
imported inside the functions: it discovers its backends at import time, which is slow
and unneeded for every command that does not touch the mailbox.
"""

from __future__ import annotations

import shlex
import subprocess
from typing import Any

from coffeechat.config import Mail
from coffeechat.errors import CredentialsError

SERVICE = "coffeechat"
# Long enough to type a passphrase into gpg's pinentry (`pass show ...`).
PASSWORD_COMMAND_TIMEOUT_SECONDS = 60.0


def keyring_user(mail: Mail) -> str:
    """The keyring entry's user name: one entry per account and server."""
    return f"{mail.username}@{mail.host}"


def get_password(mail: Mail) -> str:
    """The password for `mail`: from mail.password_command when set, else the keyring."""
    if mail.password_command:
        return run_password_command(mail.password_command)
    keyring, errors = _keyring()
    user = keyring_user(mail)
    _require_backend(keyring, mail)
    try:
        password = keyring.get_password(SERVICE, user)
    except errors.NoKeyringError as err:
        raise CredentialsError(_no_backend_message(mail)) from err
    except errors.KeyringError as err:
        raise CredentialsError(
            f"cannot read the password for {user} from the keyring ({err}); unlock your "
            f"keyring and try again, or set mail.password_command"
        ) from err
    if not password:
        raise CredentialsError(
            f"no password stored for {user}; run `coffeechat login` to store it in the "
            f"keyring, or set mail.password_command to a command that prints it"
        )
    return str(password)


def store_password(mail: Mail, password: str) -> None:
    """Save `password` for `mail` in the OS keyring (what `coffeechat login` does)."""
    user = keyring_user(mail)
    if not password:
        raise CredentialsError(f"refusing to store an empty password for {user}")
    keyring, errors = _keyring()
    _require_backend(keyring, mail)
    try:
        keyring.set_password(SERVICE, user, password)
    except errors.NoKeyringError as err:
        raise CredentialsError(_no_backend_message(mail)) from err
    except errors.KeyringError as err:
        raise CredentialsError(
            f"cannot store the password for {user} in the keyring ({err}); unlock your "
            f"keyring and try again, or set mail.password_command instead"
        ) from err


def require_keyring(mail: Mail) -> None:
    """Fail, with the fix, when there is no usable OS keyring: before asking for a password."""
    keyring, _errors = _keyring()
    _require_backend(keyring, mail)


def check_and_store_password(mail: Mail, password: str) -> None:
    """Log in to the server once with `password`; store it in the keyring only if that works.

    A typo stored silently would surface only at the next `draft` or `watch`.
    """
    from coffeechat.errors import LoginFailed, MailError
    from coffeechat.mail.imap import ImapMailbox

    try:
        ImapMailbox.connect(mail, password=password).close()
    except LoginFailed as err:
        raise CredentialsError(
            f"{err.reason}; nothing was stored: run `coffeechat login` again with the "
            f"right password"
        ) from err
    except MailError as err:
        then = f"{err.fix}, then run" if err.fix else "run"
        raise CredentialsError(
            f"cannot check the password, so it was not stored: {err.reason}; {then} "
            f"`coffeechat login` again"
        ) from err
    store_password(mail, password)


# Tokens a shell would act on; without a shell they reach the program as arguments.
SHELL_OPERATORS = frozenset({"|", "||", "&&", ";", ">", ">>", "<", "&"})


def password_command_problem(command: str) -> str | None:
    """Why `command` cannot work as mail.password_command, or None. Checked without running
    it: running it may prompt (gpg's pinentry), and init is not the moment for that."""
    import shutil

    try:
        argv = shlex.split(command)
    except ValueError as err:
        return f"cannot parse `{command}`: {err}"
    if not argv:
        return 'it is empty; give a command that prints the password, e.g. "pass show mail/you"'
    operator = next((arg for arg in argv if arg in SHELL_OPERATORS), None)
    if operator:
        return (
            f"it runs without a shell, so {operator!r} would reach {argv[0]} as an argument; "
            "wrap it: sh -c '...'"
        )
    if shutil.which(argv[0]) is None:
        return f"no such program {argv[0]!r}; install it or fix the command"
    return None


def run_password_command(command: str, timeout: float = PASSWORD_COMMAND_TIMEOUT_SECONDS) -> str:
    """The first line `command` prints. Run as argv (shlex.split), never through a shell.

    Errors name the command but never quote its output: that could be the password.
    """
    try:
        argv = shlex.split(command)
    except ValueError as err:
        raise CredentialsError(f"mail.password_command: cannot parse `{command}`: {err}") from err
    if not argv:
        raise CredentialsError("mail.password_command is empty; set it or remove it")
    try:
        # stdin and stderr stay the terminal's, so gpg/pass can prompt and explain failures.
        done = subprocess.run(
            argv, stdout=subprocess.PIPE, timeout=timeout, check=False, text=False
        )
    except FileNotFoundError as err:
        raise CredentialsError(
            f"mail.password_command: no such program {argv[0]!r} (from `{command}`); "
            f"install it or fix the command"
        ) from err
    except PermissionError as err:
        raise CredentialsError(
            f"mail.password_command: {argv[0]!r} is not executable (from `{command}`)"
        ) from err
    except subprocess.TimeoutExpired:
        raise CredentialsError(
            f"mail.password_command `{command}` did not finish within {timeout:g} s; "
            f"run it yourself to see why"
        ) from None  # TimeoutExpired may carry the partial output
    if done.returncode != 0:
        raise CredentialsError(
            f"mail.password_command `{command}` failed with exit status {done.returncode}; "
            f"run it yourself to see why"
        )
    lines = done.stdout.decode("utf-8", errors="replace").splitlines()
    password = lines[0].strip() if lines else ""
    if not password:
        raise CredentialsError(
            f"mail.password_command `{command}` printed nothing; it must print the password "
            f"on its first line"
        )
    return password


def _keyring() -> tuple[Any, Any]:
    import keyring
    import keyring.errors

    return keyring, keyring.errors


def keyring_available() -> bool:
    """Whether keyring found a backend that can keep a password (what `login` needs)."""
    keyring, _errors = _keyring()
    return _usable(keyring)


def _usable(keyring: Any) -> bool:
    from keyring.backends import chainer, fail, null

    backend = keyring.get_keyring()
    empty_chain = isinstance(backend, chainer.ChainerBackend) and not backend.backends
    # The null backend "stores" by dropping the password: as good as none.
    return not (isinstance(backend, fail.Keyring | null.Keyring) or empty_chain)


def _require_backend(keyring: Any, mail: Mail) -> None:
    """Fail early, with the fix, when keyring found no usable backend."""
    if not _usable(keyring):
        raise CredentialsError(_no_backend_message(mail))


def _no_backend_message(mail: Mail) -> str:
    return (
        f"no OS keyring is available to hold the password for {keyring_user(mail)}: "
        f"install and unlock one (GNOME Keyring or KWallet via Secret Service, macOS "
        f"Keychain, Windows Credential Locker), or set mail.password_command to a command "
        f'that prints the password, e.g. password_command = "pass show mail/{mail.username}"'
    )
