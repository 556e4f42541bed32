"""``tracker pulse`` (the weekly pulse: preview, chart, send) and ``tracker cadence-check`` (quiet/burst alerts).

Content comes from ``tracker.briefings.pulse`` and ``tracker.briefings.cadence_alerts`` (formulas in their
docstrings); sending goes through the delivery rows (``pulse:<channel>:<ISO week>``, event dedupe
keys), so running either command twice sends nothing twice.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tracker.cli.app import app, as_of_or_now, console, esc, handle_errors, load_context, open_store, write_output


class PulseFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
@handle_errors
def pulse(
    week: Annotated[
        str | None, typer.Option(help="ISO week, e.g. 2025-W18 (default: the week before today's pulse)")
    ] = None,
    preview: Annotated[
        bool, typer.Option("--preview", help="print the pulse as a reader sees it (the default)")
    ] = False,
    send: Annotated[
        bool, typer.Option("--send", help="send it to every alert subscription (once per channel and week)")
    ] = False,
    chart: Annotated[Path | None, typer.Option("--chart", help="also write the cadence chart PNG to this file")] = None,
    format: Annotated[PulseFormat, typer.Option("--format", "-f", help="text or json")] = PulseFormat.text,
    as_of: Annotated[str | None, typer.Option(help="as of this UTC date/datetime (default now)")] = None,
) -> None:
    """The weekly pulse: releases by lab and country, each lab's cadence status, the chart."""
    # Analytics, briefings and the outbox (SQLAlchemy, matplotlib): only this command pays for them.
    from tracker.analytics.status import CadenceRules
    from tracker.briefings import pulse as pulse_mod
    from tracker.notify.slack.blocks import render_text
    from tracker.notify.slack.pulse_blocks import pulse_content
    from tracker.outbox.deliver import deliver_one

    ctx = load_context()
    settings = ctx.settings
    store = open_store(settings)
    now = as_of_or_now(as_of)
    tz = pulse_mod.zone(settings.pulse.timezone)
    week = week or pulse_mod.default_week(now, tz)
    pulse_mod.parse_week(week)
    with store.transaction(write=False) as session:
        rules, hub = CadenceRules.from_settings(settings), settings.hub.web_base
        content = pulse_mod.build_pulse(session=session, week=week, tz=tz, now=now, rules=rules, hub_url=hub)
        png = pulse_mod.build_chart_png(session=session, pulse=content) if chart else None
    if chart and png is not None:
        write_output(chart, png, option="--chart")
    if format == PulseFormat.json:
        console.print_json(json.dumps(content.to_dict()))
    elif preview or not send:
        console.print(
            render_text(pulse_content(content, dashboard_url=settings.api.dashboard_url).blocks),
            markup=False,
            highlight=False,
        )
    if chart:
        console.print(f"wrote {esc(chart)}")
    if not send:
        return
    run = pulse_mod.create_pulse_deliveries(store, settings=settings, watchlist=ctx.watchlist, week=week, now=now)
    for channel, why in run.skipped_channels.items():
        console.print(f"{channel}: not sent: {why}", markup=False, highlight=False)
    for channel in run.existing:
        console.print(
            f"{esc(channel)}: the {week} pulse was already created (sent once per channel and week)", highlight=False
        )
    for delivery_id in run.delivery_ids:
        outcome = deliver_one(store, delivery_id, settings=settings)
        console.print(
            f"delivery {delivery_id}: {outcome.status}" + (f" ({esc(outcome.error)})" if outcome.error else ""),
            highlight=False,
        )
    if not run.delivery_ids and not run.existing:
        if run.skipped_channels:
            console.print(
                "pulse not sent: no subscription's channel is configured (set the settings named "
                "above, or add a [[subscriptions]] entry with a configured channel to the watchlist)",
                markup=False,
                highlight=False,
            )
        else:
            console.print(
                "pulse not sent: the watchlist has no Slack, webhook or console subscription (add a "
                "[[subscriptions]] entry; email subscriptions get the cadence in their digests)",
                markup=False,
                highlight=False,
            )


@app.command("cadence-check")
@handle_errors
def cadence_check(
    send: Annotated[
        bool, typer.Option("--send", help="dispatch and deliver the alerts now (no worker needed)")
    ] = False,
    as_of: Annotated[str | None, typer.Option(help="as of this UTC date/datetime (default now)")] = None,
) -> None:
    """Preview the quiet/burst alerts due now; with --send write them (each fires once) and deliver them."""
    from tracker.briefings.cadence_alerts import run_check  # SQLAlchemy: only this command pays for it

    ctx = load_context()
    store = open_store(ctx.settings)
    summary = run_check(store, settings=ctx.settings, now=as_of_or_now(as_of), dry_run=not send)
    for status in summary.statuses.values():
        if status.status.value in ("quiet", "bursting"):
            console.print(f"{esc(status.lab)}: {status.status.label} ({esc(status.reason)})", highlight=False)
    due = esc(", ".join(summary.quiet + summary.burst) or "none")
    if not send:
        console.print(
            f"preview: {summary.events} new alert(s) due: {due}; nothing written (--send writes and delivers them)",
            highlight=False,
        )
        return
    console.print(f"{summary.events} new alert(s): {due}", highlight=False)
    if send:
        from tracker.outbox.inline import process_outbox  # the senders (~50 ms): only with --send

        out = process_outbox(store, settings=ctx.settings, watchlist=ctx.watchlist)
        console.print(
            f"sent {out.sent} message(s)" + (f"; errors: {esc('; '.join(out.errors))}" if out.errors else ""),
            highlight=False,
        )
        if out.errors:
            raise typer.Exit(1)
