"""The exceptions coffeechat raises on purpose.

A `UserError` is something the user can fix; the CLI prints its message as one
`Error: ...` line and exits 1, with no traceback. Anything else is a bug.
"""


class CoffeechatError(Exception):
    """Base class of every error coffeechat raises deliberately."""


class UserError(CoffeechatError):
    """A problem the user can fix; the message says what and how."""


class ConfigError(UserError):
    """The configuration file is missing, unreadable or invalid."""


class StoreError(UserError):
    """The database cannot be opened or is not a coffeechat database."""


class UsageMistake(UserError):
    """The command was called wrongly (an empty WHO, say): the CLI shows it as a usage
    error, with the command's usage line and exit 2, as click does for its own checks."""


class ContactNotFound(UserError):
    """WHO matched no contact."""


class AmbiguousContact(UserError):
    """WHO matched more than one contact."""


class StageError(UserError):
    """A stage change that the pipeline does not allow."""


class ImportFileError(UserError):
    """An import file (LinkedIn, CSV, vCard) is unreadable or has bad rows."""


class TemplateError(UserError):
    """A template is missing, broken, or refers to an undefined value."""


class ProofreadError(UserError):
    """A draft has proofreading errors and --force was not given."""


class HeaderInjectionError(UserError):
    """A value bound for a mail header contains a line break."""


class CredentialsError(UserError):
    """No password could be obtained or stored."""


class MailError(UserError):
    """The mailbox (IMAP server or Maildir) failed or refused an operation.

    `reason` says what happened and `fix` what to do about it, joined by "; " in the
    message. The fix is advice for a command that gives up; `watch`, which retries a
    `MailUnreachable` by itself, prints only the reason then.
    """

    def __init__(self, reason: str, fix: str = "") -> None:
        super().__init__(f"{reason}; {fix}" if fix else reason)
        self.reason = reason
        self.fix = fix


class CalendarError(UserError):
    """A date could not be read or a calendar file could not be written."""


class MaildirMissing(MailError):
    """mail.maildir names no folder: a path to correct, not a connection to retry."""


class LoginFailed(MailError):
    """The server refused the username and password: a password to fix, not a retry."""


class MailUnreachable(MailError):
    """The server could not be reached, hung up, or timed out: a later try may work.

    `watch` retries these and only these; every other MailError names a setting or a
    password to change, which no amount of waiting fixes.
    """
