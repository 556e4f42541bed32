"""The ``tracker`` Typer app and the helpers its commands share (errors, context, output, store).

The commands live in one module per group (``tracker.cli.poll``, ``tracker.cli.releases``, ...)
and register on ``app`` when ``tracker.cli`` imports them.

Exit codes: 0 success; 1 the work failed (e.g. every source failed, a send failed, named
deliveries not retried); 2 bad configuration (watchlist, settings, unknown lab) or usage.
Expected failures print one readable line, never a traceback, and never a secret (URL passwords
and tokens are masked).
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from tracker.config import Settings
from tracker.domain import utcnow
from tracker.errors import ConfigError, TrackerError, UsageError, redact, validation_message
from tracker.external import PrintableLogFilter, printable
from tracker.watchlist import Watchlist, load_watchlist

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tracker.store import Store

#: ``tracker --help`` lists these first, in a newcomer's order (try, run, query, alert, operate);
#: commands not named here follow in registration order.
HELP_ORDER = (
    "poll", "run", "demo", "rehearse", "releases", "papers", "labs", "explain", "status", "serve",
    "subscriptions", "mute", "unmute", "digest", "pulse", "cadence", "cadence-check", "adoption",
    "report", "radar", "stats", "chart", "deliveries", "slack", "worker", "beat", "db", "regroup",
)  # fmt: skip


class _HelpOrderGroup(typer.core.TyperGroup):
    """The root command group, listing its commands in ``HELP_ORDER``."""

    def list_commands(self, ctx: Any) -> list[str]:
        """Command names: ``HELP_ORDER`` first, then any other in registration order."""
        names = super().list_commands(ctx)
        rank = {name: i for i, name in enumerate(HELP_ORDER)}
        return sorted(names, key=lambda n: rank.get(n, len(rank)))


app = typer.Typer(
    name="tracker",
    cls=_HelpOrderGroup,
    help=(
        "Track open-weight AI model releases (DeepSeek, Qwen, Zhipu, MiniMax, Moonshot and more) "
        "on the Hugging Face Hub and arXiv: detect launches, alert, and query the history.\n\n"
        "Start with `tracker poll` (the first poll records existing models as history and "
        "alerts nothing), then `tracker releases`. `tracker demo` replays a real release week "
        "offline. Configuration comes from TRACKER_* environment variables or a .env file."
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


def _plain_type(self: Any, ctx: Any) -> str | None:
    """Click's own metavar (TEXT, INTEGER, [daily|weekly]) instead of Typer's ``<str>`` tags; flags show none."""
    if getattr(self, "is_flag", False):
        return None
    if self.metavar is not None:
        return str(self.metavar)
    shown = typer.core.TyperOption.display_type(self, ctx).strip("<>")
    shown = shown.removeprefix("list[").removesuffix("]")
    names = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "path": "PATH", "file": "PATH", "directory": "DIR"}
    return names.get(shown, f"[{shown}]" if "|" in shown else shown.upper())


typer.core.TyperOption.display_type_rich = _plain_type  # type: ignore[method-assign]
typer.core.TyperArgument.display_type_rich = _plain_type  # type: ignore[method-assign]


def _version(value: bool) -> None:
    if value:
        from tracker import __version__

        console.print(f"tracker {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")
    ] = False,
) -> None:
    """Track open-weight AI model releases (see `tracker --help`)."""


# Piped output (not a terminal) gets wide tables instead of rich's 80-column default, and error
# lines are never hard-wrapped, so scripts and logs read whole lines.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])
#: Secret values of the loaded settings (tokens, URLs with passwords), masked in every error line.
_secrets: set[str] = set()


def esc(value: object) -> str:
    """Return ``value`` as literal text inside rich markup (a table cell, an f-string printed).

    Names, titles, URLs and error bodies come from outside: ``x/Model-[/]-7B`` or an upstream
    error ``[/] maintenance`` must print as they are, never be read as markup (``MarkupError``)
    or style the line, and its control characters (an ESC sequence) are shown, not obeyed. Every
    command interpolating such text into rich output passes it here. Passwords in URLs and the
    loaded settings' secrets (``_secrets``) are masked on the way.
    """
    return escape(printable(redact(str(value), _secrets)))


def handle_errors(func: F) -> F:
    """Turn tracker's expected errors into one red line and an exit code (2 config, 1 other)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UsageError as exc:
            err_console.print(f"[bold red]usage error:[/] {esc(exc)}", highlight=False)
            raise typer.Exit(2) from None
        except ConfigError as exc:
            err_console.print(f"[bold red]configuration error:[/] {esc(exc)}", highlight=False)
            raise typer.Exit(2) from None
        except TrackerError as exc:
            err_console.print(f"[bold red]error:[/] {esc(exc)}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


@dataclass
class Context:
    """What every command needs, built once from the environment."""

    settings: Settings
    watchlist: Watchlist


def _env_name(loc: tuple[Any, ...]) -> str:
    """Name the environment variable of a settings error: the one the user set when both the
    ``TRACKER_`` name and an alias (``HF_ENDPOINT``) are read, else the ``TRACKER_`` name."""
    name = "_".join(str(p) for p in loc).upper()
    if name.startswith("TRACKER_"):
        return name
    if name.startswith("HF_") and name in os.environ and f"TRACKER_{name}" not in os.environ:
        return name
    return f"TRACKER_{name}"


def load_context(*, warn_unknown: bool = True, **overrides: Any) -> Context:
    """Build Settings (with ``overrides``) and load the watchlist.

    ``warn_unknown=False`` skips the unknown-``TRACKER_*`` warnings, for a second context built in
    the same command (they were printed with the first).

    Raises:
        ConfigError: invalid settings or watchlist.
    """
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(f"{_env_name(e['loc'])}: {validation_message(e)}" for e in exc.errors())
        raise ConfigError(f"invalid settings: {problems}") from None
    _remember_secrets(settings)
    if warn_unknown:
        _warn_unknown_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # outside text in log arguments stays one line
        if not any(isinstance(f, PrintableLogFilter) for f in handler.filters):
            handler.addFilter(PrintableLogFilter())
    # one line per request (or per chart axis) drowns the summary; ours say what matters
    for noisy in ("httpx", "httpcore", "alembic", "matplotlib"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    return Context(settings=settings, watchlist=load_watchlist(settings.watchlist))


def _remember_secrets(value: Any) -> None:
    """Collect every SecretStr value of ``value`` (settings and their groups) into ``_secrets``."""
    from pydantic import BaseModel, SecretStr

    if isinstance(value, SecretStr):
        _secrets.add(value.get_secret_value())
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _remember_secrets(getattr(value, name))


def _warn_unknown_settings() -> None:
    """Warn (stderr) about TRACKER_* variables of the environment and ./.env that no setting reads."""
    from dotenv import dotenv_values

    from tracker.config.unknown import unknown_settings_warnings

    dotenv = dotenv_values(".env") if Path(".env").is_file() else {}
    for line in unknown_settings_warnings(os.environ, dotenv):
        err_console.print(f"[yellow]warning:[/] {line}", highlight=False)


def write_output(path: Path, body: str | bytes, *, option: str) -> None:
    """Write ``body`` (text as UTF-8, or bytes) to the file a command option named.

    Raises:
        ConfigError: the file cannot be written (missing directory, permissions...), naming
            ``option`` and the path.
    """
    check_parent(path, option=option)
    try:
        if isinstance(body, str):
            path.write_text(body, encoding="utf-8")
        else:
            path.write_bytes(body)
    except OSError as exc:
        raise ConfigError(f"cannot write {option} {path}: {exc.strerror or exc}") from None


def check_parent(path: Path, *, option: str) -> None:
    """Refuse an output path whose directory does not exist (never create directories for a typo).

    Raises:
        UsageError: the parent directory is missing or not a directory.
    """
    parent = path.expanduser().parent
    if not parent.is_dir():
        raise UsageError(f"{option} {path}: directory {parent} does not exist")


def open_store(settings: Settings) -> Store:
    """Open the configured database (the embedded SQLite one upgrades itself).

    Raises:
        ConfigError: bad URL, or a server database behind the code's migrations.
        StoreUnavailableError: the database cannot be reached or opened.
    """
    from tracker.store import Store  # SQLAlchemy and the models: only commands that query pay for them

    return Store.open(settings)


def check_lab(session: Session, watchlist: Watchlist, lab: str | None) -> str | None:
    """The ``--lab`` option lower-cased, or None when not given.

    A lab no longer watched keeps its history, so stored slugs count as known too.

    Raises:
        UsageError: neither watched nor stored, listing the known slugs (a typo would otherwise
            print an empty table).
    """
    if lab is None:
        return None
    from sqlalchemy import select

    from tracker.store.models import Lab

    slug = lab.lower()
    known = set(session.scalars(select(Lab.slug))) | {cfg.slug for cfg in watchlist.labs}
    if slug not in known:
        raise UsageError(f"unknown lab {lab!r}; known labs: {', '.join(sorted(known))}")
    return slug


def hint_if_never_polled(session: Session, settings: Settings) -> bool:
    """Say on stderr that nothing was ever polled into this database, and what to run; True if so.

    An empty table after ``pip install`` reads as "tracker found nothing"; the usual cause is
    that no poll has run against this database (or ``TRACKER_DATA_DIR`` points elsewhere).
    """
    from sqlalchemy import select

    from tracker.store.models import SourceState

    if session.scalars(select(SourceState.id).limit(1)).first() is not None:
        return False
    err_console.print(
        f"[yellow]note:[/] nothing has been polled into {esc(settings.resolved_database_url)} yet: run "
        "`tracker poll` (the first poll records what exists as history), or try `tracker demo --data-dir DIR`",
        highlight=False,
    )
    return True


def parse_day(value: str | None, name: str) -> datetime | None:
    """Parse a command option's date (midnight UTC) or ISO datetime (naive taken as UTC).

    Args:
        value (str, optional): ``2025-04-28`` or ``2025-04-28T12:00:00Z``; None passes through.
        name (str): the option, e.g. ``--since``, named in the error.

    Returns:
        datetime | None: an aware UTC datetime, or None when ``value`` is None.

    Raises:
        ConfigError: ``value`` is neither a date nor an ISO datetime.
    """
    if value is None:
        return None
    try:
        if "T" in value:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
    except ValueError:
        raise UsageError(f"{name} must be a date like 2025-04-28 (or an ISO datetime), got {value!r}") from None


def as_of_or_now(as_of: str | None) -> datetime:
    """Return the ``--as-of`` option's time (aware UTC), or now when the option is not given.

    Raises:
        ConfigError: ``as_of`` is neither a date nor an ISO datetime.
    """
    return parse_day(as_of, "--as-of") or utcnow()


def main() -> None:
    """Console-script entry point."""
    app()
