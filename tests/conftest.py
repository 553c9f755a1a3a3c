"""Shared pytest fixtures.

`dovecot` is one real Dovecot for the whole session (see tests/dovecot.py); isolate tests
with `dovecot.new_user()` or the `imap_account` fixture, never by restarting it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from dovecot import Dovecot, DovecotUnavailable, start_dovecot

# The isolated home, config and CLI runner every test gets (tests/coffeechat_fixtures.py).
pytest_plugins = ["coffeechat_fixtures"]


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """A running Dovecot on free loopback ports; any username logs in with its password.

    A missing or broken Dovecot FAILS every test that uses it (never skips): a green run
    must mean the IMAP code was exercised against a real server.
    """
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(start_dovecot())
        except DovecotUnavailable as err:
            pytest.fail(str(err), pytrace=False)
        yield server


@pytest.fixture
def imap_account(dovecot: Dovecot) -> tuple[Dovecot, str]:
    """The session's server and a fresh username whose mailbox is empty."""
    return dovecot, dovecot.new_user()
