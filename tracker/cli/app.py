"""The ``tracker`` Typer app and the helpers its commands share (errors, context, output, store).

The commands live in one module per group (``tracker.cli.poll``, ``tracker.cli.releases``, ...)
and register on ``app`` when ``tracker.cli`` imports them.

Exit codes: 0 success; 1 the work failed (e.g. every source failed); 2 bad configuration
(watchlist, settings, unknown lab). Expected failures print one readable line, never a traceback.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from tracker.config import Settings
from tracker.domain import utcnow
from tracker.errors import ConfigError, TrackerError
from tracker.external import PrintableLogFilter, printable
from tracker.watchlist import Watchlist, load_watchlist

if TYPE_CHECKING:
    from tracker.store import Store

app = typer.Typer(
    name="tracker",
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

# Piped output (not a terminal) gets wide tables instead of rich's 80-column default, and error
# lines are never hard-wrapped, so scripts and logs read whole lines.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


def esc(value: object) -> str:
    """Return ``value`` as literal text inside rich markup (a table cell, an f-string printed).

    Names, titles, URLs and error bodies come from outside: ``x/Model-[/]-7B`` or an upstream
    error ``[/] maintenance`` must print as they are, never be read as markup (``MarkupError``)
    or style the line, and its control characters (an ESC sequence) are shown, not obeyed. Every
    command interpolating such text into rich output passes it here.
    """
    return escape(printable(value))


def handle_errors(func: F) -> F:
    """Turn tracker's expected errors into one red line and an exit code (2 config, 1 other)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
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
    """Name the environment variable of a settings error (aliases like HF_ENDPOINT keep theirs)."""
    name = "_".join(str(p) for p in loc).upper()
    return name if name.startswith(("TRACKER_", "HF_")) else f"TRACKER_{name}"


def load_context(**overrides: Any) -> Context:
    """Build Settings (with ``overrides``) and load the watchlist.

    Raises:
        ConfigError: invalid settings or watchlist.
    """
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(f"{_env_name(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid settings: {problems}") from None
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # outside text in log arguments stays one line
        if not any(isinstance(f, PrintableLogFilter) for f in handler.filters):
            handler.addFilter(PrintableLogFilter())
    for noisy in ("httpx", "httpcore", "alembic"):  # one line per request drowns the summary; ours say what matters
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    return Context(settings=settings, watchlist=load_watchlist(settings.watchlist))


def write_output(path: Path, body: str | bytes, *, option: str) -> None:
    """Write ``body`` (text as UTF-8, or bytes) to the file a command option named.

    Raises:
        ConfigError: the file cannot be written (missing directory, permissions...), naming
            ``option`` and the path.
    """
    try:
        if isinstance(body, str):
            path.write_text(body, encoding="utf-8")
        else:
            path.write_bytes(body)
    except OSError as exc:
        raise ConfigError(f"cannot write {option} {path}: {exc.strerror or exc}") from None


def open_store(settings: Settings) -> Store:
    """Open the configured database (the embedded SQLite one upgrades itself).

    Raises:
        ConfigError: bad URL, or a server database behind the code's migrations.
        StoreUnavailableError: the database cannot be reached or opened.
    """
    from tracker.store import Store  # SQLAlchemy and the models: only commands that query pay for them

    return Store.open(settings)


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
        raise ConfigError(f"{name} must be a date like 2025-04-28 (or an ISO datetime), got {value!r}") from None


def as_of_or_now(as_of: str | None) -> datetime:
    """Return the ``--as-of`` option's time (aware UTC), or now when the option is not given.

    Raises:
        ConfigError: ``as_of`` is neither a date nor an ISO datetime.
    """
    return parse_day(as_of, "--as-of") or utcnow()


def main() -> None:
    """Console-script entry point."""
    app()
