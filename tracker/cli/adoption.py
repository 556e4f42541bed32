"""``tracker adoption`` (downloads, derivatives and relative adoption) and ``tracker report`` (monthly).

Figures come from ``tracker.adoption.summary`` and ``tracker.briefings.report``, the same code as
``/stats/adoption``, ``/stats/derivatives`` and ``/reports/YYYY-MM``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tracker.cli.app import (
    app,
    as_of_or_now,
    check_lab,
    check_parent,
    console,
    handle_errors,
    load_context,
    open_store,
    write_output,
)
from tracker.domain import utcnow
from tracker.errors import ConfigError, UsageError


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _show_adoption(data: dict[str, Any], derivs: dict[str, Any]) -> None:
    last = data["months"][-1]
    table = Table(title=f"Downloads by {data['group']}, {last} (source: {data['source']})", title_justify="left")
    for col in (data["group"], "30-day downloads", "share", "cumulative", "share", "new derivatives", "share"):
        table.add_column(col, justify="left" if col == data["group"] else "right")
    new = derivs["counts_by_" + data["group"]].get(last, {})
    dshare = derivs["share_by_" + data["group"]]
    for key, s in sorted(data["series"].items(), key=lambda kv: -kv[1]["cumulative"].get(last, 0)):
        table.add_row(
            key,
            f"{s['monthly'].get(last, 0):,}",
            _pct(data["share_monthly"].get(key)),
            f"{s['cumulative'].get(last, 0):,}",
            _pct(data["share_cumulative"].get(key)),
            str(new.get(key, 0)),
            _pct(dshare.get(key)),
        )
    console.print(table)
    b = data["basis"]
    console.print(
        f"based on {b['snapshots']} snapshots over {b['days']} days; {derivs['basis']['derivatives']} derivatives"
    )
    for c in data["crossovers"]:
        console.print(f"crossover: {c[data['group']]} passed {c['passed']} (cumulative) in {c['month']}")
    rel = Table(title="Recent releases", title_justify="left")
    for col in ("release", "lab", "size", "age (d)", "adoption 48 h", "relative downloads", "peers"):
        rel.add_column(col)
    for r in data["releases"][:15]:
        ratio = "-" if r["relative_downloads"] is None else f"{r['relative_downloads']:.1f}x"
        rel.add_row(
            r["title"],
            r["lab"],
            r["bucket"] or "-",
            str(r["age_days"]),
            "-" if r["adoption_count"] is None else str(r["adoption_count"]),
            ratio,
            str(r["peers"]),
        )
    console.print(rel)


@app.command()
@handle_errors
def adoption(
    lab: Annotated[str | None, typer.Option(help="one lab slug")] = None,
    country: Annotated[str | None, typer.Option(help="one country code (CN, US...)")] = None,
    months: Annotated[int, typer.Option(min=1, max=60, help="months of history")] = 12,
    as_of: Annotated[str | None, typer.Option(help="as of this date/datetime (UTC; default now)")] = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="first run one adoption cycle (Hub requests within its budget)")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON (adoption and derivatives)")] = False,
) -> None:
    """Downloads, derivatives and relative adoption by country, or by lab within --lab/--country."""
    from tracker.adoption.summary import adoption_summary, derivative_summary  # SQLAlchemy: only here

    ctx = load_context()
    store = open_store(ctx.settings)
    if refresh:
        from tracker.adoption.cycle import adoption_once

        report = adoption_once(ctx.settings, store)
        console.print(
            f"adoption cycle: {report.requests} requests (budget {report.budget}), {report.bases_scanned} bases, "
            f"{report.orgs_counted} orgs, {report.derivatives_new} new derivatives, {report.deferred} deferred",
            highlight=False,
        )
    now = as_of_or_now(as_of)
    with store.transaction(write=False) as session:
        lab = check_lab(session, ctx.watchlist, lab)
        data = adoption_summary(session, now=now, months=months, lab=lab, country=country)
        derivs = derivative_summary(session, now=now, months=months, lab=lab, country=country)
    if as_json:
        typer.echo(json.dumps({"adoption": data, "derivatives": derivs}, indent=2, ensure_ascii=False))
        return
    _show_adoption(data, derivs)


@app.command()
@handle_errors
def report(
    month: Annotated[str, typer.Option(help="the month, YYYY-MM")],
    out: Annotated[
        Path | None, typer.Option(help="write report-YYYY-MM.html, .json and .csv into this directory")
    ] = None,
    send: Annotated[
        bool, typer.Option("--send", help="email it to every digest subscription (once per month per subscription)")
    ] = False,
) -> None:
    """The monthly "state of open weights" report: HTML with charts, JSON and CSV; --send emails it."""
    from tracker.briefings.report import build_report, parse_month
    from tracker.briefings.report.render import render_csv, render_html, render_json

    try:
        month = parse_month(month)
    except ConfigError as exc:
        raise UsageError(f"--month: {exc}") from None
    if out is None and not send:
        raise UsageError("nothing to do: pass --out DIR and/or --send")
    if out is not None:
        check_parent(out, option="--out")  # creates DIR itself, never a misspelt parent
    ctx = load_context()
    store = open_store(ctx.settings)
    if out is not None:
        with store.transaction(write=False) as session:
            built = build_report(session, month, now=utcnow())
        out.mkdir(exist_ok=True)
        for ext, body in (("html", render_html(built)), ("json", render_json(built)), ("csv", render_csv(built))):
            write_output(out / f"report-{month}.{ext}", body, option="--out")
        console.print(f"wrote {out}/report-{month}.html, .json and .csv", highlight=False)
    if send:
        from tracker.briefings.report.sending import send_reports

        run, outcomes = send_reports(store, settings=ctx.settings, watchlist=ctx.watchlist, month=month)
        sent = sum(1 for o in outcomes if o.sent)
        console.print(
            f"report {month}: {len(run.created)} new deliveries, {run.existing} already existed, {sent} sent",
            highlight=False,
        )
        for channel, why in run.skipped.items():
            console.print(f"  skipped {channel}: {why}", highlight=False)
