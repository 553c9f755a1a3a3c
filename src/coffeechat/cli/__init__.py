"""The command line: each command parses, calls one function of the core, and prints.

Heavy libraries (imapclient, icalendar, jinja2, the spell checker, even rich and
sqlite-utils) are imported inside the commands that need them, so `coffeechat --help`
starts fast.
"""

from __future__ import annotations

import sys
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from coffeechat import __version__
from coffeechat.errors import CoffeechatError, UsageMistake

if TYPE_CHECKING:
    from coffeechat.config import Config
    from coffeechat.store import Store

F = TypeVar("F", bound=Callable[..., Any])


class App:
    """What every command shares: where the config is, and the config and store once loaded."""

    def __init__(self, config_path: str | None, verbose: bool) -> None:
        self.config_path_option = config_path
        self.verbose = verbose
        self._config: Config | None = None
        self._store: Store | None = None

    @property
    def config_path(self) -> Path:
        from coffeechat.config import resolve_config_path

        return resolve_config_path(self.config_path_option)

    @property
    def config(self) -> Config:
        if self._config is None:
            from coffeechat.config import load

            self._config = load(self.config_path)
        return self._config

    @property
    def config_if_present(self) -> Config | None:
        """The config, or None when there is no config file (an invalid one still fails)."""
        return self.config if self.config_path.exists() else None

    @property
    def store(self) -> Store:
        if self._store is None:
            from coffeechat.store import Store

            self._store = Store.open(self.config.database_path, create=False)
        return self._store


pass_app = click.make_pass_decorator(App)


def json_option(func: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON (stable, documented in the README)."
    )(func)


def dry_run_option(func: F) -> F:
    return click.option(
        "--dry-run", is_flag=True, help="Show exactly what would be written, and write nothing."
    )(func)


def _fail(message: str) -> NoReturn:
    from coffeechat.output import err_console

    err_console().print(f"Error: {message}", markup=False, style="red")
    sys.exit(1)


class CoffeechatCommand(click.Command):
    """Shows a `UsageMistake` from the core as click shows its own: usage line, exit 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageMistake as err:
            raise click.UsageError(str(err), ctx) from err


class CoffeechatGroup(click.Group):
    """Turns our errors into one `Error:` line and exit 1; config warnings into `Warning:`."""

    command_class = CoffeechatCommand

    def invoke(self, ctx: click.Context) -> Any:
        def show_warning(message: Warning | str, *args: Any, **kwargs: Any) -> None:
            from coffeechat.output import warn

            warn(str(message))

        warnings.showwarning = show_warning
        try:
            return super().invoke(ctx)
        except CoffeechatError as err:  # UserError and the rest of ours: one line, no trace
            _fail(str(err))
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            _fail("interrupted")
        except Exception as err:
            _fail_if_read_only(ctx, err)
            verbose = isinstance(ctx.obj, App) and ctx.obj.verbose
            if verbose:
                traceback.print_exc()
            hint = "" if verbose else "; run again with --verbose to see the traceback"
            _fail(f"unexpected {type(err).__name__}: {err}{hint}")


def _fail_if_read_only(ctx: click.Context, err: Exception) -> None:
    """A write refused mid-command (the database or its -wal/-shm files are read-only):
    the user can fix that, so one `Error:` line naming the files, no traceback."""
    from coffeechat.store.core import is_read_only, read_only_error

    store = ctx.obj._store if isinstance(ctx.obj, App) else None
    if store is not None and store.path is not None and is_read_only(err):
        _fail(str(read_only_error(store.path)))


@click.group(cls=CoffeechatGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    envvar=None,
    help="Config file (else $COFFEECHAT_CONFIG, else the platform config dir).",
)
@click.option("--verbose", "-v", is_flag=True, help="Show tracebacks of unexpected errors.")
@click.version_option(__version__, prog_name="coffeechat")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """coffeechat: informational interviews, from first email to keeping in touch.

    Keeps your contacts and where each stands, writes proofread drafts into your own
    Drafts folder (it never sends mail), watches your mailbox for replies, and writes
    calendar files.

    Start with `coffeechat demo` to see the whole journey, or `coffeechat init`.
    """
    ctx.obj = App(config_path, verbose)


def _refresh_feed(app: App) -> None:
    """Rewrite the reminders feed after a change, so calendar apps see it at once."""
    from coffeechat.agenda import write_feed

    write_feed(app.store, app.config, None)


# The commands register themselves on `main` when their modules are imported.
from coffeechat.cli import contacts, journey, mail, setup  # noqa: E402

__all__ = ["App", "contacts", "journey", "mail", "main", "setup"]
