"""``tracker regroup [--dry-run]``: rebuild model releases from the current family rules.

Domain logic in ``tracker.grouping.regroup``; this module only opens the store, runs it in one
transaction and prints what moved. No alert is sent (no outbox event is written).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from tracker.cli.app import app, console, esc, handle_errors, load_context, open_store


@app.command("regroup")
@handle_errors
def regroup_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would move; write nothing.")] = False,
) -> None:
    """Rebuild release membership of stored model artifacts from the current rules (no alerts)."""
    from tracker.grouping.regroup import LiveRules, regroup  # SQLAlchemy: only this command pays for it

    ctx = load_context()
    store = open_store(ctx.settings)
    window = timedelta(days=ctx.settings.polling.family_window_days)
    with store.transaction(write=not dry_run) as session:
        report = regroup(
            session,
            window=window,
            rules=LiveRules.from_settings(ctx.settings),
            watchlist=ctx.watchlist,
            dry_run=dry_run,
        )  # a dry run only reads
    verb = "would move" if dry_run else "moved"
    for move in report.moves:
        target = f"#{move.to_release}" if move.to_release is not None else "new"
        console.print(f"{esc(move.name)}: #{move.from_release} -> {target} {esc(move.to_title)}")
    for title in report.created:
        console.print(f"new release: {esc(title)}")
    if report.deleted:
        console.print(f"deleted empty releases: {', '.join(f'#{i}' for i in report.deleted)}")
    if report.kept_empty:
        console.print(
            "kept without model artifacts (events, Slack threads or other artifacts refer to them): "
            + ", ".join(f"#{i}" for i in report.kept_empty)
        )
    console.print(
        f"{report.artifacts} model artifacts in {report.releases} releases; {verb} {len(report.moves)}"
        f"{'' if report.changed else ' (nothing to change)'}"
    )
