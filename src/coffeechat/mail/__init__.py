"""One mailbox interface, two backends: IMAP (imapclient) and a local Maildir.

Commands never import a backend directly: `open_mailbox(config)` picks it, and imports
imapclient only when the IMAP backend is chosen (start-up cost, see issue 2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coffeechat.mail.base import AppendResult, FetchedMessage, FolderState, Mailbox

if TYPE_CHECKING:
    from coffeechat.config import Config

__all__ = ["AppendResult", "FetchedMessage", "FolderState", "Mailbox", "open_mailbox"]


def open_mailbox(config: Config) -> Mailbox:
    """Connect to (or open) the mailbox the config names."""
    if config.mail.backend == "imap":
        from coffeechat.credentials import get_password
        from coffeechat.mail.imap import ImapMailbox

        return ImapMailbox.connect(config.mail, password=get_password(config.mail))
    from coffeechat.mail.maildir import MaildirMailbox

    return MaildirMailbox.open(config.maildir_path, config.mail, config_file=config.source)
