"""CLI parity with the history API: ``tracker cadence``, ``tracker stats countries``, ``tracker chart``.

Numbers come from ``tracker.analytics`` (formulas in its docstring) and charts from
``tracker.analytics.charts`` (the same code as the dashboard's).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tracker.cli.app import app, as_of_or_now, console, esc, handle_errors, load_context, open_store, write_output
from tracker.errors import UsageError

stats_app = typer.Typer(help="History statistics: country shares.", no_args_is_help=True)
app.add_typer(stats_app, name="stats")


class KindOption(StrEnum):
    model = "model"
    paper = "paper"
    code = "code"
    any = "any"


class ChartName(StrEnum):
    cadence = "cadence"
    countries = "countries"


def _kinds(kind: KindOption) -> tuple[str, ...] | None:
    return None if kind == KindOption.any else (kind.value,)


def _cadences(lab: str | None, weeks: int, kind: KindOption, as_of: str | None) -> list[Any]:
    # Analytics, SQLAlchemy: only the commands that query pay for them.
    from tracker import analytics
    from tracker.store.queries import get_lab_by_slug

    ctx = load_context()
    store = open_store(ctx.settings)
    with store.transaction(write=False) as session:
        if lab and get_lab_by_slug(session=session, slug=lab) is None:
            raise UsageError(f"--lab: no stored lab {lab!r} (see `tracker labs`)")
        return analytics.lab_cadences(
            session=session, now=as_of_or_now(as_of), weeks=weeks, lab=lab, kinds=_kinds(kind)
        )


def _statuses(lab: str | None, kind: KindOption, as_of: str | None) -> dict[str, Any]:
    """Return each lab's cadence status (``tracker.analytics.status.lab_statuses``), by slug."""
    from tracker.analytics.status import CadenceRules, lab_statuses  # SQLAlchemy: only when queried

    ctx = load_context()
    with open_store(ctx.settings).transaction(write=False) as session:
        return lab_statuses(
            session=session,
            now=as_of_or_now(as_of),
            rules=CadenceRules.from_settings(ctx.settings),
            lab=lab,
            kinds=_kinds(kind),
        )


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


@app.command()
@handle_errors
def cadence(
    lab: Annotated[str | None, typer.Option(help="one lab slug (default: every lab)")] = None,
    weeks: Annotated[int, typer.Option(min=1, max=520, help="ISO weeks of releases per week shown")] = 8,
    kind: Annotated[KindOption, typer.Option(help="release kind counted")] = KindOption.model,
    as_of: Annotated[str | None, typer.Option(help="as of this UTC date/datetime (default now)")] = None,
) -> None:
    """How often each lab ships: releases per ISO week, gaps, days since the last release, streak."""
    cadences = _cadences(lab, weeks, kind, as_of)
    cadences.sort(key=lambda c: (-c.rates[12], c.lab))
    weeks_shown = [w.week.split("-")[1] for w in cadences[0].weekly] if cadences else []
    table = Table(
        title=f"Cadence of {kind.value} releases (UTC, ISO weeks; last week in progress)", title_justify="left"
    )
    table.add_column("lab", no_wrap=True)
    for w in weeks_shown:
        table.add_column(w, justify="right")
    for col in ("/wk 12w", "med gap d", "max gap d", "since d", "streak"):
        table.add_column(col, justify="right")
    table.add_column("status")  # as the cadence alerts classify it: bursting / quiet / on cadence / new
    statuses = _statuses(lab, kind, as_of)
    for c in cadences:
        table.add_row(
            esc(c.lab),
            *[str(w.releases) if w.releases else "[dim]·[/]" for w in c.weekly],
            _fmt(c.rates[12], 2),
            _fmt(c.median_gap_days),
            _fmt(c.longest_gap_days),
            _fmt(c.days_since_last),
            str(c.streak_weeks),
            statuses[c.lab].status.label if c.lab in statuses else "-",
        )
    console.print(table)


@stats_app.command("countries")
@handle_errors
def stats_countries(
    months: Annotated[int, typer.Option(min=1, max=120, help="calendar months, the current one included")] = 6,
    kind: Annotated[KindOption, typer.Option(help="release kind counted")] = KindOption.model,
    as_of: Annotated[str | None, typer.Option(help="as of this UTC date/datetime (default now)")] = None,
) -> None:
    """Share of releases by country per month, and share of downloads where snapshots exist."""
    from tracker import analytics  # SQLAlchemy: only the commands that query pay for it

    ctx = load_context()
    store = open_store(ctx.settings)
    now = as_of_or_now(as_of)
    since, until = analytics.month_start(now, months_back=months - 1), analytics.month_start(now, months_back=-1)
    with store.transaction(write=False) as session:
        shares = analytics.country_release_share(session=session, since=since, until=until, kinds=_kinds(kind))
        _, downloads = analytics.country_download_share(session=session, since=since, until=until)
    countries = sorted(
        {c for m in shares for c in m.counts}, key=lambda c: (-sum(m.counts.get(c, 0) for m in shares), c)
    )
    table = Table(title=f"Share of {kind.value} releases by country per month (UTC)", title_justify="left")
    table.add_column("month")
    table.add_column("releases", justify="right")
    for c in countries:
        table.add_column(c, justify="right")
    for m in shares:
        table.add_row(
            m.month,
            str(m.total),
            *[f"{100 * m.shares[c]:.0f}% ({m.counts[c]})" if c in m.counts else "-" for c in countries],
        )
    console.print(table)
    if downloads.total:
        console.print(
            "Downloads (Hub, last 30 days, latest snapshot per repo): "
            + ", ".join(f"{c} {100 * s:.1f}%" for c, s in downloads.shares.items()),
            highlight=False,
        )
    else:
        console.print("No download snapshots in this period yet.")


@app.command()
@handle_errors
def chart(
    name: Annotated[ChartName, typer.Argument(help="cadence or countries")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output file: .png or .svg")],
    lab: Annotated[str | None, typer.Option(help="cadence: one lab (bars) instead of all (heatmap)")] = None,
    weeks: Annotated[int, typer.Option(min=1, max=104, help="cadence: ISO weeks")] = 12,
    months: Annotated[int, typer.Option(min=1, max=60, help="countries: months")] = 12,
    kind: Annotated[KindOption, typer.Option(help="release kind counted")] = KindOption.model,
    as_of: Annotated[str | None, typer.Option(help="as of this UTC date/datetime (default now)")] = None,
) -> None:
    """Draw the cadence or country-share chart to a PNG or SVG file (matplotlib)."""
    # Analytics and matplotlib (~1 s): only this command pays for them.
    from tracker import analytics
    from tracker.analytics import charts

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise UsageError(f"--out must end in .png or .svg, got {out.name!r}")
    if name == ChartName.cadence:
        body = charts.cadence_chart(_cadences(lab, weeks, kind, as_of), fmt)  # type: ignore[arg-type]
    else:
        ctx = load_context()
        store = open_store(ctx.settings)
        now = as_of_or_now(as_of)
        since, until = analytics.month_start(now, months_back=months - 1), analytics.month_start(now, months_back=-1)
        with store.transaction(write=False) as session:
            shares = analytics.country_release_share(session=session, since=since, until=until, kinds=_kinds(kind))
        body = charts.countries_chart(shares, fmt)  # type: ignore[arg-type]
    write_output(out, body, option="--out")
    console.print(f"wrote {esc(out)}")
