"""``tracker status``: the health of every (source, lab) poll unit and the deliveries by state.

Exit codes: 0 healthy; 1 when any unit has failed ``--max-failures`` polls in a row (default
``DEFAULT_MAX_FAILURES`` = 3, i.e. 15 minutes of failures at the default 300 s interval), so a cron
job or a container healthcheck can alert on it; 2 bad configuration.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tracker.cli.app import app, console, esc, handle_errors, hint_if_never_polled, load_context, open_store

DEFAULT_MAX_FAILURES = 3
STATE_COLORS = {"sent": "green", "pending": "yellow", "sending": "cyan", "unknown": "magenta", "failed": "red"}


def _when(value) -> str:  # type: ignore[no-untyped-def]
    return f"{value:%Y-%m-%d %H:%M:%S}" if value else "-"


def _print_incidents(units) -> None:  # type: ignore[no-untyped-def]
    """One line per failed or lost poll of the last day, newest first (they stay listed after recovery)."""
    from rich.markup import escape

    from tracker.domain import utcnow
    from tracker.pipeline.health import recent_incidents

    now = utcnow()
    lines = [
        (incident["at"], f"{unit.source}/{unit.lab_slug}", incident.get("kind", "?"), incident.get("detail", ""))
        for unit in units
        for incident in recent_incidents(unit.cursor, now)
    ]
    if not lines:
        return
    console.print(f"[bold]{len(lines)} failed or lost poll(s) in the last 24 h:[/]")
    for at, unit, kind, detail in sorted(lines, reverse=True):
        color = "magenta" if kind == "lost" else "yellow"
        console.print(f"  {escape(at[:19])}  {escape(unit)}  [{color}]{escape(kind)}[/]  {escape(detail[:160])}")


@app.command("status")
@handle_errors
def status(
    max_failures: Annotated[
        int, typer.Option("--max-failures", min=1, help="exit 1 when a unit has failed this many polls in a row")
    ] = DEFAULT_MAX_FAILURES,
) -> None:
    """Show each source/lab unit's last success, last error and consecutive failures, and delivery counts."""
    # The outbox, SQLAlchemy: only the commands that query pay for them.
    from tracker.outbox.deliveries import delivery_counts
    from tracker.store.queries import list_source_states

    settings = load_context().settings
    store = open_store(settings)
    with store.transaction(write=False) as session:
        units = list(list_source_states(session=session))
        counts = delivery_counts(session)
        if not units:
            hint_if_never_polled(session, settings)
    table = Table(title=f"{len(units)} poll units", title_justify="left")
    for col in ("source", "lab", "last success (UTC)", "last error (UTC)", "failures in a row", "last error"):
        table.add_column(col, justify="right" if col == "failures in a row" else "left")
    failing = []
    for unit in units:
        n = unit.consecutive_failures or 0
        if n >= max_failures:
            failing.append(f"{unit.source}/{unit.lab_slug}")
        color = "red" if n >= max_failures else ("yellow" if n else "green")
        table.add_row(
            esc(unit.source),
            esc(unit.lab_slug),
            _when(unit.last_success_at),
            _when(unit.last_error_at),
            f"[{color}]{n}[/]",
            esc((unit.last_error or "")[:100]) if n else "",
        )
    console.print(table)
    _print_incidents(units)
    deliveries = Table(title="deliveries by state", title_justify="left")
    for state in counts:
        deliveries.add_column(state, justify="right")
    deliveries.add_row(*(f"[{STATE_COLORS.get(s, 'white')}]{n}[/]" for s, n in counts.items()))
    console.print(deliveries)
    if failing:
        console.print(
            f"[bold red]{len(failing)} unit(s) failed {max_failures}+ polls in a row:[/] " + esc(", ".join(failing)),
            highlight=False,
        )
        raise typer.Exit(1)
