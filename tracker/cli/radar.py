"""``tracker radar`` (emerging labs outside the watchlist) and ``tracker radar adopt`` (watch one).

The table reads the same rows as ``/radar`` (``store.queries.list_radar``); every name and
reason comes from the Hub and is escaped before Rich prints it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from tracker.cli.app import app, console, esc, handle_errors, load_context, open_store
from tracker.domain import utcnow

radar_app = typer.Typer(
    help="Emerging labs outside your watchlist, found in the Hub's trending, newest and most-liked listings.",
    invoke_without_command=True,
)
app.add_typer(radar_app, name="radar")


def _show(rows: list[dict[str, Any]], alert: float) -> None:
    table = Table(title=f"On the radar (alert score {alert:.0f})", title_justify="left")
    for col in ("org", "score", "reasons", "first seen", "best repo", "derivatives", "country"):
        table.add_column(col, justify="right" if col in ("score", "derivatives") else "left")
    for r in rows:
        reasons = "; ".join(f"{x.get('text', '')} (+{x.get('points', 0):.0f})" for x in r["reasons"][:4])
        score = f"{r['score']:.0f}" + ("" if r["status"] == "candidate" else f" ({r['status']})")
        table.add_row(
            esc(r["org"]),
            score,
            esc(reasons or r["excluded_reason"] or "-"),
            r["first_seen_at"][:16].replace("T", " "),
            esc(r["best_repo_id"] or "-"),
            str(r["derivatives"]),
            esc(r["country"] or "?"),
        )
    console.print(table)
    if not rows:
        console.print("nothing on the radar yet: it fills as the radar cycle runs (tracker radar --refresh)")


@radar_app.callback()
@handle_errors
def radar(
    ctx: typer.Context,
    min_score: Annotated[float, typer.Option(min=0, max=100, help="only candidates scoring at least this")] = 0.0,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="rows")] = 30,
    all_rows: Annotated[bool, typer.Option("--all", help="also adopted and excluded orgs")] = False,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="first run one radar cycle (Hub requests within its budget)")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Candidate labs: score, reasons, first seen, best repo, derivatives (highest score first)."""
    if ctx.invoked_subcommand is not None:
        return
    from tracker.store.queries import list_radar
    from tracker.store.serialize import radar_to_dict

    context = load_context()
    store = open_store(context.settings)
    if refresh:
        from tracker.pipeline.radar import radar_once

        report = radar_once(context.settings, store, context.watchlist)
        console.print(
            f"radar cycle: {report.requests} requests (budget {report.budget}), {report.repos} repos, "
            f"{report.scored} orgs scored, {report.excluded} excluded as noise, {len(report.failures)} failures",
            highlight=False,
        )
    statuses = ("candidate", "adopted", "excluded") if all_rows else ("candidate",)
    with store.transaction(write=False) as session:
        found = list_radar(session=session, min_score=min_score, statuses=statuses, limit=limit)
        rows = [radar_to_dict(c) for c in found]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    _show(rows, context.settings.radar.alert_score)


@radar_app.command()
@handle_errors
def adopt(
    org: Annotated[str, typer.Argument(help="the org as `tracker radar` lists it")],
    lab: Annotated[str, typer.Option("--lab", help="the new lab's slug (lowercase, digits, dashes)")],
    country: Annotated[str, typer.Option("--country", help="ISO 3166-1 alpha-2 code, e.g. CN (your decision)")],
    name: Annotated[str | None, typer.Option(help="display name (default: the org)")] = None,
) -> None:
    """Add ORG to your watchlist file (TRACKER_WATCHLIST) as lab --lab; its next poll is a silent baseline."""
    from tracker.radar.adopt import adopt_org

    context = load_context()
    store = open_store(context.settings)
    with store.transaction() as session:
        done = adopt_org(
            session,
            org=org,
            slug=lab,
            country=country.upper(),
            name=name,
            watchlist=context.watchlist,
            watchlist_path=context.settings.watchlist,
            now=utcnow(),
        )
    verb = "created" if done.created else "updated"
    console.print(
        f"{verb} {esc(done.path)}: lab {esc(done.slug)} watches {esc(done.org)}. The next poll records its "
        "existing repos as baseline (no alerts); restart workers so beat schedules it.",
        highlight=False,
    )
