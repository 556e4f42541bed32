"""``tracker papers``: stored papers (arXiv), newest first, with the launch each report joined.

A technical report folded into its launch is not listed again by ``tracker releases`` (the launch
carries it); this command lists every stored paper, reports included, as a table, JSON or CSV.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tracker.cli.app import (
    app,
    check_lab,
    console,
    handle_errors,
    hint_if_never_polled,
    load_context,
    open_store,
    parse_day,
)
from tracker.cli.releases import OutputFormat
from tracker.errors import UsageError

PAPER_COLUMNS = ("arxiv_id", "version", "lab", "title", "published_at", "url", "release_id", "launch_id", "launch")


@app.command()
@handle_errors
def papers(
    lab: Annotated[str | None, typer.Option(help="lab slug, e.g. qwen")] = None,
    since: Annotated[str | None, typer.Option(help="v1 published on/after DATE (UTC)")] = None,
    until: Annotated[str | None, typer.Option(help="v1 published before DATE (UTC)")] = None,
    q: Annotated[str | None, typer.Option(help="case-insensitive substring of the title")] = None,
    limit: Annotated[int, typer.Option(min=1, help="at most N papers")] = 50,
    format: Annotated[OutputFormat, typer.Option("--format", "-f", help="table, json or csv")] = OutputFormat.table,
) -> None:
    """List stored papers, newest first, and the launch each technical report joined."""
    from tracker.store.models import Release
    from tracker.store.queries import list_papers
    from tracker.store.serialize import paper_to_dict

    ctx = load_context()
    flt_since, flt_until = parse_day(since, "--since"), parse_day(until, "--until")
    if flt_since and flt_until and flt_since >= flt_until:
        raise UsageError("--since must be before --until")
    store = open_store(ctx.settings)
    with store.transaction(write=False) as session:
        rows = []
        slug = check_lab(session, ctx.watchlist, lab)
        for a in list_papers(session=session, lab=slug, since=flt_since, until=flt_until, q=q, limit=limit):
            launch_id = a.release.merged_into_id
            launch = session.get(Release, launch_id) if launch_id else None
            rows.append(
                {
                    **paper_to_dict(a),
                    "lab": a.release.lab.slug,
                    "release_id": a.release_id,
                    "launch_id": launch_id,
                    "launch": launch.title if launch else None,
                }
            )
        if not rows:
            hint_if_never_polled(session, ctx.settings)
    if format == OutputFormat.json:
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    if format == OutputFormat.csv:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=PAPER_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.write(buf.getvalue())
        return
    table = Table(title=f"{len(rows)} paper(s), newest first", title_justify="left")
    for col in ("published (UTC)", "lab", "arXiv", "title", "joined launch"):
        table.add_column(col)
    for row in rows:
        table.add_row(
            (row["published_at"] or "")[:16].replace("T", " "),
            row["lab"],
            row["arxiv_id"],
            escape(row["title"]),
            escape(row["launch"]) if row["launch"] else "-",
        )
    console.print(table)
