"""``tracker digest``: preview or send the daily/weekly email digest.

The chart alone is ``tracker chart cadence --out FILE.png`` (``tracker.cli.stats``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from tracker.cli.app import (
    app,
    check_parent,
    console,
    err_console,
    esc,
    handle_errors,
    load_context,
    open_store,
    parse_day,
)
from tracker.domain import utcnow
from tracker.errors import UsageError


class PeriodOption(StrEnum):
    daily = "daily"
    weekly = "weekly"


def _refuse_unfinished(period: Any, now: datetime) -> None:
    """Refuse to send a period that has not ended: it would go out partial and be marked sent forever.

    Raises:
        UsageError: ``period.end`` (UTC) is after ``now``.
    """
    if period.end > now:
        raise UsageError(
            f"--send --at: the {period.kind} period {period.label} ends {period.end:%Y-%m-%d %H:%M} UTC, "
            "not yet; a digest is sent once per period, so it is sent only after the period has ended "
            "(use --preview to see it so far)"
        )


@app.command()
@handle_errors
def digest(
    period: Annotated[PeriodOption, typer.Option(help="daily or weekly")] = PeriodOption.weekly,
    preview: Annotated[
        Path | None, typer.Option(help="write the HTML to FILE (and the chart PNG next to it); sends nothing")
    ] = None,
    send: Annotated[
        bool, typer.Option("--send", help="send the period's digest to every email subscription now (once per period)")
    ] = False,
    at: Annotated[
        str | None, typer.Option(help="as of this date/datetime (UTC; default now): the last period completed by then")
    ] = None,
    lab: Annotated[
        list[str] | None, typer.Option("--lab", help="preview only: restrict to these lab slugs (repeatable)")
    ] = None,
) -> None:
    """Preview (--preview out.html) or send (--send) the daily/weekly email digest."""
    from tracker.briefings import digest as dg  # SQLAlchemy, matplotlib: only this command pays for them

    if preview is None and not send:
        raise UsageError("nothing to do: pass --preview FILE.html and/or --send")
    if preview is not None:
        check_parent(preview, option="--preview")
    ctx = load_context()
    when = parse_day(at, "--at") or utcnow()
    if send:
        _refuse_unfinished(dg.period_for(period.value, when, ctx.settings.digest.timezone), utcnow())
    store = open_store(ctx.settings)
    if preview is not None:
        from tracker.notify.email.render import render_digest  # the email templates (~50 ms): preview only

        if preview.suffix.lower() not in (".html", ".htm"):
            raise UsageError(f"--preview must end in .html, got {preview.name!r}")
        p = dg.period_for(period.value, when, ctx.settings.digest.timezone)
        filters = {"labs": sorted(lab)} if lab else {}
        with store.transaction(write=False) as session:
            content = dg.build_digest(
                session=session,
                period=p,
                filters=filters,
                lab_slugs=[x.slug for x in ctx.watchlist.labs],
                now=when,
                hub_url=ctx.settings.hub.web_base,
            )
        chart = preview.with_suffix(".png")
        payload = {"digest": content.to_dict(), "unsubscribe_url": None}
        rendered = render_digest(payload, chart_src=chart.name)
        preview.write_text(rendered.html, encoding="utf-8")
        chart.write_bytes(dg.render_chart(content))
        console.print(f"[bold]Subject:[/] {esc(rendered.subject)}", highlight=False)
        console.print(
            f"wrote {preview} and {chart} ({content.release_count} releases, {len(content.papers)} papers, {p.label})",
            highlight=False,
        )
    if send:
        run, outcomes = dg.send_digests(
            store, settings=ctx.settings, watchlist=ctx.watchlist, period_kind=period.value, at=when
        )
        for channel, why in run.skipped.items():
            err_console.print(f"[yellow]no digest for {esc(channel)}:[/] {esc(why)}", highlight=False)
        sent = sum(1 for o in outcomes if o.sent)
        console.print(
            f"{period.value} digest {run.period.label}: {len(run.created)} created, "
            f"{run.existing} already existed, {sent} sent",
            highlight=False,
        )
        failed = [o for o in outcomes if o.error]
        for o in failed:
            err_console.print(f"[red]delivery {o.delivery_id} {o.status}:[/] {esc(o.error)}", highlight=False)
        if failed:
            raise typer.Exit(1)
