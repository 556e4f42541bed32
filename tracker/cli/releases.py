"""``tracker releases`` (stored releases, newest first, as a table, JSON or CSV) and ``tracker labs``.

``tracker releases --format json`` prints the same release objects as ``GET /releases``
(``tracker.store.serialize.release_to_dict``).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from tracker.cli.app import (
    app,
    check_lab,
    console,
    err_console,
    esc,
    handle_errors,
    hint_if_never_polled,
    load_context,
    open_store,
    parse_day,
)
from tracker.domain import ArtifactKind
from tracker.errors import UsageError


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def shorten_list(items: list[str], width: int = 40) -> str:
    """Join ``items`` with ", " in at most ``width`` characters, cutting only between items.

    ``["0.6B", "1.7B", ..., "235B-A22B"]`` -> ``"0.6B, 1.7B, 4B, 8B, 14B, … +3"`` (the ellipsis
    and how many items were left out). At least one item is kept, even if it is longer.
    """
    joined = ", ".join(items)
    if len(joined) <= width:
        return joined
    for keep in range(len(items) - 1, 0, -1):
        text = f"{', '.join(items[:keep])}, … +{len(items) - keep}"
        if len(text) <= width:
            return text
    return f"{items[0]}, … +{len(items) - 1}"


CSV_COLUMNS = (
    "id",
    "lab",
    "lab_name",
    "country",
    "title",
    "kind",
    "released_at",
    "first_seen_at",
    "baseline",
    "url",
    "artifacts",
    "sizes",
    "papers",
)


@app.command()
@handle_errors
def releases(
    lab: Annotated[str | None, typer.Option(help="lab slug, e.g. qwen")] = None,
    country: Annotated[str | None, typer.Option(help="ISO country code, e.g. CN")] = None,
    kind: Annotated[str | None, typer.Option(help="model, paper or code")] = None,
    since: Annotated[str | None, typer.Option(help="released on/after DATE (UTC), e.g. 2025-04-28")] = None,
    until: Annotated[str | None, typer.Option(help="released before DATE (UTC)")] = None,
    limit: Annotated[int, typer.Option(min=1, help="at most N releases")] = 50,
    format: Annotated[OutputFormat, typer.Option("--format", "-f", help="table, json or csv")] = OutputFormat.table,
) -> None:
    """List stored releases, newest first."""
    # SQLAlchemy and the models: only the commands that query pay for them.
    from tracker.store.queries import ReleaseFilter, list_releases
    from tracker.store.serialize import ordered_size_labels, release_to_dict

    ctx = load_context()
    lab = lab.lower() if lab else None
    if kind is not None and kind not in {k.value for k in ArtifactKind}:
        raise UsageError(f"--kind must be one of {', '.join(k.value for k in ArtifactKind)}, got {kind!r}")
    flt = ReleaseFilter(
        lab=lab,
        country=country,
        kind=kind,
        since=parse_day(since, "--since"),
        until=parse_day(until, "--until"),
        limit=limit + 1,
    )
    if flt.since and flt.until and flt.since >= flt.until:
        raise UsageError("--since must be before --until")
    store = open_store(ctx.settings)
    with store.transaction(write=False) as session:
        check_lab(session, ctx.watchlist, lab)
        rows = [release_to_dict(r) for r in list_releases(session=session, flt=flt)]
        if not rows:
            hint_if_never_polled(session, ctx.settings)
    truncated = len(rows) > limit
    rows = rows[:limit]
    if format == OutputFormat.json:
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    if format == OutputFormat.csv:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    **row,
                    "baseline": str(row["baseline"]).lower(),
                    "artifacts": " ".join(a["name"] for a in row["artifacts"]),
                    "sizes": " ".join(ordered_size_labels(row["artifacts"])),
                    "papers": " ".join(p["arxiv_id"] for p in row["papers"]),
                }
            )
        sys.stdout.write(buf.getvalue())
        return
    title = f"{len(rows)} release(s)" + (
        f", newest first; more exist (use --limit N, now {limit})" if truncated else ""
    )
    table = Table(title=title, title_justify="left")
    for col in ("released (UTC)", "lab", "title", "kind", "artifacts", "sizes", "how"):
        table.add_column(col)
    for row in rows:
        table.add_row(
            row["released_at"][:16].replace("T", " "),
            esc(row["lab"]),
            esc(row["title"]),
            esc(row["kind"]),
            str(len(row["artifacts"])),
            esc(shorten_list(ordered_size_labels(row["artifacts"]))),
            "baseline" if row["baseline"] else "[green]detected[/]",
        )
    if truncated:
        err_console.print(f"[yellow]showing the newest {limit}; more releases match (use --limit)[/]")
    console.print(table)


@app.command()
@handle_errors
def labs() -> None:
    """List watched labs: country, Hub orgs, arXiv queries, releases stored and the latest one."""
    from tracker.sources.arxiv_query import lab_queries
    from tracker.store.queries import lab_summaries  # SQLAlchemy: only the commands that query pay for it

    ctx = load_context()
    store = open_store(ctx.settings)
    with store.transaction(write=False) as session:
        stored = {lab.slug: (count, latest) for lab, count, latest in lab_summaries(session=session)}
    table = Table(title=f"{len(ctx.watchlist.labs)} watched lab(s) from {ctx.watchlist.source}", title_justify="left")
    for col in ("slug", "name", "country", "Hub orgs", "arXiv", "releases", "latest release (UTC)"):
        table.add_column(col)
    for lab in ctx.watchlist.labs:
        count, latest = stored.get(lab.slug, (0, None))
        table.add_row(
            esc(lab.slug),
            esc(lab.name),
            esc(lab.country),
            esc(", ".join(lab.hf_orgs)),
            str(len(lab_queries(lab, ctx.settings.papers.category_list))),
            str(count),
            latest.strftime("%Y-%m-%d %H:%M") if latest else "-",
        )
    console.print(table)
