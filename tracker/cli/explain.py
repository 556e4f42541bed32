"""``tracker explain REPO|ARXIV_ID``: why a repo or a paper was (or was not) alerted.

Prints the verdict, the stored artifact and its release (how ``released_at`` was dated, the
wave or launch it belongs to), the signals that grouped the release's repos, for a paper every
lab query's decision with its evidence, and each outbox event with what every subscription did
(``tracker.outbox.explain``). ``--format json`` prints the same facts as one JSON object.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.markup import escape

from tracker.cli.app import app, console, handle_errors, load_context, open_store


class ExplainFormat(StrEnum):
    text = "text"
    json = "json"


def _line(label: str, value: Any) -> None:
    if value not in (None, "", [], {}):
        console.print(f"  [bold]{label}:[/] {escape(str(value))}", highlight=False)


def _print_release(release: dict[str, Any]) -> None:
    console.print(
        f"\n[bold]Release #{release['id']}[/] “{escape(release['title'])}” ({release['kind']}, {release['lab']})"
    )
    _line("released at", f"{release['released_at']} (from {release['released_at_source']})")
    _line("first seen", release["first_seen_at"])
    _line("baseline history", "yes: recorded on the first poll, never alerted" if release["baseline"] else None)
    _line("repos", release["repos"])
    _line("sizes", release["size_summary"])
    if release["wave_of"]:
        _line("wave of", f"#{release['wave_of']['id']} “{release['wave_of']['title']}”")
    if release["merged_into"]:
        _line("joined launch", f"#{release['merged_into']['id']} “{release['merged_into']['title']}”")
    _line("withdrawn at", release["withdrawn_at"])


def _print_events(events: list[dict[str, Any]]) -> None:
    if not events:
        return
    console.print("\n[bold]Events and deliveries[/]")
    for e in events:
        when = [f"written {e['created_at']}"]
        if e["not_before"]:
            when.append(f"held until {e['not_before']}")
        if e["cancelled_at"]:
            when.append(f"cancelled {e['cancelled_at']}")
        when.append(f"dispatched {e['dispatched_at']}" if e["dispatched_at"] else "not dispatched yet")
        console.print(f"  #{e['id']} {e['type']}: {', '.join(when)}", highlight=False)
        for d in e["deliveries"]:
            what = d["status"] + (" (folded into the release message)" if d["folded"] else "")
            what += f" at {d['sent_at']}" if d["sent_at"] else ""
            what += f": {d['error']}" if d["error"] else ""
            console.print(f"    {escape(d['channel'])}: {escape(what)}", highlight=False)
        for n in e["not_delivered"]:
            console.print(f"    {escape(n['channel'])}: nothing ({escape(n['why'])})", highlight=False)


@app.command()
@handle_errors
def explain(
    target: Annotated[str, typer.Argument(help="a Hub repo id (Qwen/Qwen3-8B) or an arXiv id (2505.09388)")],
    format: Annotated[ExplainFormat, typer.Option("--format", "-f", help="text or json")] = ExplainFormat.text,
) -> None:
    """Why a repo or paper was (or was not) alerted: its release, grouping signals, evidence, deliveries."""
    from tracker.outbox.explain import explain as gather  # SQLAlchemy: only the commands that query pay for it

    ctx = load_context()
    with open_store(ctx.settings).transaction(write=False) as session:
        found = gather(session, target)
    if found.kind == "repo" and found.artifact is None and "/" in found.target:
        org = found.target.split("/")[0]
        if org.lower() not in ctx.watchlist.labs_for_org():
            found.verdict += f" (no lab in {ctx.watchlist.source} watches the Hub org {org})"
    if format == ExplainFormat.json:
        sys.stdout.write(json.dumps(asdict(found), indent=2, ensure_ascii=False) + "\n")
        return
    console.print(f"[bold]{escape(found.target)}[/]: {escape(found.verdict)}", highlight=False)
    if found.artifact:
        a = found.artifact
        _line("first seen", a["first_seen_at"])
        _line("created at source", a["created_at"])
        _line("withdrawn at", a["withdrawn_at"])
    if found.release:
        _print_release(found.release)
    if found.grouped_by:
        console.print("\n[bold]Grouped by[/]")
        for g in found.grouped_by:
            console.print(f"  {escape(str(g.get('repo')))}: {escape(', '.join(map(str, g.get('signals') or [])))}")
    if found.candidates:
        console.print("\n[bold]Paper attribution[/]")
        for c in found.candidates:
            evidence = "; ".join(map(str, c["evidence"])) or "no evidence"
            console.print(f"  {c['lab']}: {c['decision']} ({escape(evidence)})", highlight=False)
    for link in found.links:
        _line("linked to", f"release #{link['id']} “{link['title']}” (via {link['via']})")
    _print_events(found.events)
