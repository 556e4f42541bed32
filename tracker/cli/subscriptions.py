"""``tracker subscriptions``: each subscription with its filter, state and last delivery;
``tracker subscriptions test NAME`` sends a sample alert through that channel.

NAME is the subscription's channel as the watchlist writes it (``slack:default``,
``apprise:ntfy://ntfy.sh/topic``) or its id from the list. The sample goes straight through the
channel's notifier (no delivery row, nothing recorded): it checks credentials and formatting.
Exit codes of ``test``: 0 sent; 1 the channel refused it or could not be reached; 2 the channel
cannot be served with the current settings, or no subscription has that name.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from tracker.cli.app import app, console, err_console, esc, handle_errors, load_context, open_store
from tracker.domain import utcnow
from tracker.errors import ConfigError, UsageError

subscriptions_app = typer.Typer(
    help="Subscriptions: list them with their filter and last delivery; send a test.", invoke_without_command=True
)
app.add_typer(subscriptions_app, name="subscriptions")


def _rows(ctx: Any) -> list[dict[str, Any]]:
    """Every subscription (watchlist synced first) with its problem and last delivery."""
    from sqlalchemy import func, select

    from tracker.notify import channel_problem
    from tracker.outbox.subscriptions import sync_subscriptions
    from tracker.store.models import Delivery, Subscription

    store = open_store(ctx.settings)
    with store.transaction() as session:
        sync_subscriptions(session=session, subscriptions=ctx.watchlist.subscriptions, now=utcnow())
        grouped = select(Delivery.subscription_id, func.max(Delivery.id)).group_by(Delivery.subscription_id)
        last_ids: dict[int, int] = dict(session.execute(grouped).all())
        last = {d.id: d for d in session.scalars(select(Delivery).where(Delivery.id.in_(list(last_ids.values()))))}
        rows = []
        for sub in session.scalars(select(Subscription).order_by(Subscription.id)):
            delivery = last.get(last_ids.get(sub.id, -1))
            rows.append(
                {
                    "id": sub.id,
                    "channel": sub.channel,
                    "filters": sub.filters or {},
                    "digest": sub.digest,
                    "origin": sub.origin,
                    "problem": sub.disabled_reason if sub.disabled_at else channel_problem(ctx.settings, sub.channel),
                    "disabled": sub.disabled_at is not None,
                    "last": None
                    if delivery is None
                    else {"status": delivery.status, "at": delivery.sent_at or delivery.created_at},
                }
            )
    store.dispose()
    return rows


@subscriptions_app.callback()
@handle_errors
def list_subscriptions(ctx: typer.Context) -> None:
    """List subscriptions: channel, filter, digest, whether it can be served, last delivery."""
    if ctx.invoked_subcommand is not None:
        return
    rows = _rows(load_context())
    table = Table(title=f"{len(rows)} subscription{'s' if len(rows) != 1 else ''}", title_justify="left")
    for col in ("id", "channel", "filter", "digest", "state", "last delivery (UTC)"):
        table.add_column(col, justify="right" if col == "id" else "left")
    for r in rows:
        state = "[red]disabled[/]" if r["disabled"] else "[yellow]not served[/]" if r["problem"] else "[green]active[/]"
        if r["problem"]:
            state += f": {esc(r['problem'])}"
        last = r["last"]
        table.add_row(
            str(r["id"]),
            esc(r["channel"]),
            json.dumps(r["filters"], sort_keys=True) if r["filters"] else "everything (no quantized re-uploads)",
            r["digest"] or "-",
            state,
            f"{last['status']} {last['at']:%Y-%m-%d %H:%M}" if last else "never",
        )
    console.print(table)
    from tracker.cli.mute import print_mutes
    from tracker.outbox.mutes import active_mutes

    store = open_store(load_context().settings)
    with store.transaction(write=False) as session:
        print_mutes(active_mutes(session=session, now=utcnow()))
    store.dispose()


def sample_outgoing(channel: str) -> Any:
    """A sample release alert every channel can render (kind ``alert``, delivery id 0)."""
    from tracker.domain import EventType
    from tracker.notify.base import Outgoing
    from tracker.notify.content import Message

    now = utcnow()
    message = Message(
        event=EventType.RELEASE_DETECTED.value,
        lab="tracker",
        lab_name="tracker (test message)",
        country="",
        kind="model",
        title="Sample-1",
        artifact="tracker/Sample-1-8B-Instruct",
        url="https://huggingface.co/models",
        facts=("8B", "a test from `tracker subscriptions test`: no release was detected"),
        idempotency_key=f"test-{now:%Y%m%dT%H%M%S}",
        first_seen_at=now,
    )
    return Outgoing(
        delivery_id=0,
        idempotency_key=f"test:{channel}:{now.isoformat()}",
        kind="alert",
        channel=channel,
        message=message,
    )


@subscriptions_app.command("test")
@handle_errors
def test_subscription(
    name: Annotated[str, typer.Argument(help="the subscription's channel or id (see `tracker subscriptions`)")],
) -> None:
    """Send a sample alert to one subscription's channel and say what is wrong if it fails."""
    from tracker.errors import DeliveryError
    from tracker.notify import build_notifier, channel_problem

    ctx = load_context()
    channels = {sub.channel for sub in ctx.watchlist.subscriptions}
    by_id = {str(r["id"]): r["channel"] for r in _rows(ctx)}
    channels |= set(by_id.values())
    channel = by_id.get(name, name)
    if channel not in channels:
        known = ", ".join(sorted(channels)) or "none"
        raise UsageError(f"no subscription {name!r}; subscriptions: {known}")
    problem = channel_problem(ctx.settings, channel)
    if problem is not None:
        raise ConfigError(f"{channel} cannot be served: {problem}")
    try:
        build_notifier(ctx.settings, channel).send(sample_outgoing(channel))
    except DeliveryError as exc:
        kind = "permanent" if exc.permanent else "transient, worth retrying"
        err_console.print(f"[bold red]test failed ({kind}):[/] {esc(exc)}", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"[green]sent[/] a sample alert to {esc(channel)}", highlight=False)
