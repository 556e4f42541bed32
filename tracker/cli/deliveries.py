"""``tracker deliveries``: list deliveries (``--failed`` for the ones that gave up) and retry them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tracker.cli.app import app, console, err_console, esc, handle_errors, load_context, open_store
from tracker.errors import UsageError

deliveries_app = typer.Typer(help="Alert deliveries: list them, retry failed ones.", invoke_without_command=True)
app.add_typer(deliveries_app, name="deliveries")

STATUS_COLORS = {"sent": "green", "pending": "yellow", "sending": "cyan", "unknown": "magenta", "failed": "red"}


@deliveries_app.callback()
@handle_errors
def list_deliveries(
    ctx: typer.Context,
    failed: Annotated[bool, typer.Option("--failed", help="only deliveries that gave up (status failed)")] = False,
    limit: Annotated[int, typer.Option(min=1, help="at most N deliveries, newest first")] = 50,
) -> None:
    """List deliveries, newest first: status, attempts, channel, what was sent and the last error."""
    if ctx.invoked_subcommand is not None:
        return
    # SQLAlchemy and the models: only the commands that query pay for them.
    from sqlalchemy import select

    from tracker.store.models import Delivery, Event

    settings = load_context().settings
    store = open_store(settings)
    with store.transaction(write=False) as session:
        stmt = select(Delivery, Event).outerjoin(Event, Event.id == Delivery.event_id)
        if failed:
            stmt = stmt.where(Delivery.status == "failed")
        rows = list(session.execute(stmt.order_by(Delivery.id.desc()).limit(limit)))
    title = f"{len(rows)} {'failed ' if failed else ''}deliver{'y' if len(rows) == 1 else 'ies'}"
    table = Table(title=title, title_justify="left")
    for col in ("id", "status", "attempts", "channel", "what", "created (UTC)", "next / sent (UTC)", "last error"):
        table.add_column(col, justify="right" if col in ("id", "attempts") else "left")
    for delivery, event in rows:
        payload = (event.payload or {}) if event is not None else {}
        art = (payload.get("artifact") or {}).get("name", "")
        what = f"{payload.get('lab', '')} {payload.get('title', '')}: {art}".strip() if event else delivery.kind
        when = delivery.sent_at if delivery.status == "sent" else delivery.next_attempt_at
        color = STATUS_COLORS.get(delivery.status, "white")
        table.add_row(
            str(delivery.id),
            f"[{color}]{delivery.status}[/]",
            str(delivery.attempts),
            esc(delivery.channel),
            esc(what),
            f"{delivery.created_at:%Y-%m-%d %H:%M}",
            f"{when:%Y-%m-%d %H:%M:%S}" if when else "-",
            esc((delivery.last_error or "")[:80]),
        )
    console.print(table)


@deliveries_app.command("retry")
@handle_errors
def retry(
    ids: Annotated[list[int] | None, typer.Argument(help="delivery ids to retry")] = None,
    all_failed: Annotated[bool, typer.Option("--all-failed", help="retry every failed delivery")] = False,
    send: Annotated[
        bool, typer.Option("--send", help="send them now in this process instead of leaving them to the worker")
    ] = False,
) -> None:
    """Re-queue failed deliveries (attempts reset; the worker's sweep or `--send` sends them)."""
    if not ids and not all_failed:
        raise UsageError("name delivery ids, or pass --all-failed")
    if ids and all_failed:
        raise UsageError("pass delivery ids or --all-failed, not both")
    # The outbox, SQLAlchemy and the models: only the commands that query pay for them.
    from sqlalchemy import select

    from tracker.outbox.deliver import deliver_one, requeue_failed
    from tracker.store.models import Delivery

    settings = load_context().settings
    store = open_store(settings)
    requeued = requeue_failed(store, ids=None if all_failed else list(ids or []))
    missing = sorted(set(ids or []) - set(requeued))
    if missing:
        with store.transaction(write=False) as session:
            status = dict(session.execute(select(Delivery.id, Delivery.status).where(Delivery.id.in_(missing))).all())
        not_found = [i for i in missing if i not in status]
        left = [f"{i} ({status[i]})" for i in missing if i in status]
        if not_found:
            console.print(f"[yellow]not found:[/] {', '.join(map(str, not_found))}", highlight=False)
        if left:
            console.print(f"[yellow]not failed (left alone):[/] {esc(', '.join(left))}", highlight=False)
    console.print(
        f"re-queued {len(requeued)} deliver{'y' if len(requeued) == 1 else 'ies'}"
        + (f": {', '.join(map(str, requeued))}" if requeued else ""),
        highlight=False,
    )
    failed = bool(missing)  # named deliveries that could not be re-queued: the asked-for work was not done
    if send:
        for delivery_id in requeued:
            outcome = deliver_one(store, delivery_id, settings=settings)
            failed = failed or bool(outcome.error)
            console.print(
                f"  delivery {delivery_id}: {outcome.status}" + (f" ({esc(outcome.error)})" if outcome.error else ""),
                highlight=False,
            )
    if failed:
        err_console.print("[bold red]error:[/] not every delivery asked for was re-queued (and sent)", highlight=False)
        raise typer.Exit(1)
