"""``tracker poll``: one poll cycle now, its summary table, the unreachable hosts, and the alerts.

Exit codes: 0 when at least one source succeeded, 1 when all failed, 2 on bad configuration,
130 when interrupted (Ctrl-C).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from tracker.cli.app import app, console, err_console, esc, handle_errors, load_context, open_store
from tracker.config import Settings


def describe_detection(d: Any) -> str:
    """One line per detection: ``NEW RELEASE qwen      Qwen3: Qwen/Qwen3-8B``."""
    what = "NEW RELEASE" if d.event == "release_detected" else "  + variant"
    subject = f"paper: {d.title}" if d.title == d.artifact else f"{d.title}: {d.artifact}"
    return f"{what} [cyan]{esc(f'{d.lab:9}')}[/] {esc(subject)}"


def render_poll(reports: list[Any], *, out: Console = console) -> None:
    """Print the per-source summary table and the detections of a poll cycle."""
    table = Table(title="Poll summary", title_justify="left")
    for col in (
        "source",
        "lab",
        "status",
        "requests",
        "304",
        "new",
        "releases",
        "variants",
        "renamed",
        "withdrawn",
        "note",
    ):
        table.add_column(
            col,
            justify="right"
            if col in ("requests", "304", "new", "releases", "variants", "renamed", "withdrawn")
            else "left",
        )
    colors = {"ok": "green", "partial": "yellow", "failed": "red", "skipped": "cyan"}
    for r in reports:
        note = r.skipped or r.error or "; ".join(f"{f.scope}: {f.error}" for f in r.failures)
        if r.status == "failed" and r.unreachable:  # one line per host below says why and what to check
            note = f"not polled: {', '.join(sorted(r.unreachable))} unreachable; see below the table"
        if r.baseline and not note:
            note = "baseline recorded (not alerted)"
        if r.backfilled and not note:
            note = f"{r.backfilled} old paper(s) found late: stored as history, not alerted"
        table.add_row(
            esc(r.source),
            esc(r.lab),
            f"[{colors[r.status]}]{r.status}[/]",
            str(r.requests),
            str(r.not_modified),
            str(r.new_artifacts),
            str(r.new_releases),
            str(r.variants),
            str(r.renamed),
            str(r.withdrawn),
            esc(note),
        )
    out.print(table)
    detections = [d for r in reports for d in r.detections]
    if reports and all(r.status == "failed" for r in reports):
        out.print("No source could be polled (see the notes above): nothing was checked for new releases.")
        return
    if not detections:
        out.print("No new releases detected.")
        return
    out.print(f"[bold]{len(detections)} detection(s):[/]")
    for d in detections:
        out.print(f"  {describe_detection(d)}  {esc(d.url)}", highlight=False)


def describe_unreachable(reports: list[Any], settings: Settings) -> list[str]:
    """One line per host a poll could not reach, naming what was not polled and what to check.

    ``"huggingface.co unreachable (network error: Connection refused): 17 labs not polled (hf);
    check your network or TRACKER_HF_ENDPOINT"``. Empty when every host answered.
    """
    from tracker.pipeline.unreachable import check_hint, unreachable_hosts

    hosts = unreachable_hosts(reports)
    lines = []
    for host, (error, labs, sources) in hosts.items():
        hint = check_hint(host, settings)
        lines.append(
            f"{host} unreachable ({error}): {len(labs)} lab{'s' if len(labs) != 1 else ''} "
            f"not polled ({', '.join(sorted(sources))}); check {hint}"
        )
    return lines


@contextmanager
def poll_progress(units: list[tuple[str, Any]], *, out: Console) -> Iterator[Callable[[Any], None] | None]:
    """Show "polling hf: 12/17 units" bars on ``out`` while polling, when it is a terminal.

    Yields:
        callable | None: ``on_report(report)`` to pass to ``poll_once``; None when ``out`` is not
        a terminal (piped output stays exactly the summary).
    """
    if not out.is_terminal or not units:
        yield None
        return
    totals = Counter(source for source, _ in units)
    with Progress(
        SpinnerColumn(),
        TextColumn("polling {task.fields[source]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("units{task.fields[note]}"),
        TimeElapsedColumn(),
        console=out,
        transient=True,
    ) as progress:
        tasks = {source: progress.add_task("", total=total, source=source, note="") for source, total in totals.items()}

        def on_report(report: Any) -> None:
            task = tasks.get(report.source)
            if task is None:
                return
            note = f" ({', '.join(report.unreachable)} unreachable)" if report.unreachable else None
            progress.update(task, advance=1, **({"note": note} if note else {}))

        yield on_report


#: Printed (stderr) when Ctrl-C stops ``tracker poll`` while polling; the exit code is 130.
INTERRUPTED_POLL = (
    "interrupted: nothing half-written (each unit is stored in its own transaction); "
    "units already stored are kept; run tracker poll again"
)
#: Printed when Ctrl-C stops ``tracker poll`` while it sends alerts; the exit code is 130.
INTERRUPTED_ALERTS = (
    "interrupted while sending alerts: the poll is stored; alerts not yet sent go out "
    "with the next tracker poll (or the worker)"
)


@app.command()
@handle_errors
def poll(
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            "-s",
            help="hf, arxiv, modelscope, github, feeds, daily_papers (repeatable); default TRACKER_SOURCES",
        ),
    ] = None,
    lab: Annotated[list[str] | None, typer.Option("--lab", "-l", help="lab slug (repeatable); default all")] = None,
) -> None:
    """Poll the sources once now, store what is new and send alerts; print a summary.

    Exits 0 when at least one source succeeded, 1 when all failed or alerts were due and none
    could be delivered, 2 on bad configuration.
    """
    # The pipeline and the outbox (SQLAlchemy, httpx, the sources): only this command pays for them.
    from tracker.outbox.inline import process_outbox
    from tracker.pipeline import poll_once, poll_units_for

    ctx = load_context()
    store = open_store(ctx.settings)
    units = poll_units_for(ctx.watchlist, sources=source, labs=lab, enabled=ctx.settings.polling.enabled_sources)
    try:
        with poll_progress(units, out=err_console) as on_report:
            reports = poll_once(ctx.settings, store, ctx.watchlist, sources=source, labs=lab, on_report=on_report)
    except KeyboardInterrupt:  # each unit is stored in its own transaction: none is half-written
        err_console.print(INTERRUPTED_POLL, markup=False, highlight=False)
        raise typer.Exit(130) from None
    render_poll(reports)
    for line in describe_unreachable(reports, ctx.settings):
        err_console.print(f"[bold yellow]{esc(line)}[/]", highlight=False)
    try:
        summary = process_outbox(store, settings=ctx.settings, watchlist=ctx.watchlist)
    except KeyboardInterrupt:  # deliveries are rows: unsent (or interrupted) ones are retried later
        err_console.print(INTERRUPTED_ALERTS, markup=False, highlight=False)
        raise typer.Exit(130) from None
    for error in summary.errors:
        err_console.print(f"[yellow]alert not delivered:[/] {esc(error)}", highlight=False)
    if reports and all(r.status == "failed" for r in reports):
        raise typer.Exit(1)
    if summary.errors and not summary.sent:  # alerts were due and none went out: the work failed
        err_console.print("[bold red]error:[/] no alert was delivered (see above)", highlight=False)
        raise typer.Exit(1)
