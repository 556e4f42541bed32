"""The ``tracker`` command line (Typer + rich).

Exit codes: 0 success; 1 the work failed (e.g. every source failed); 2 bad configuration
(watchlist, settings, unknown lab). Expected failures print one readable line, never a traceback.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from tracker.config import Settings
from tracker.errors import ConfigError, TrackerError
from tracker.watchlist import Watchlist, load_watchlist

app = typer.Typer(
    name="tracker",
    help=(
        "Track open-weight AI model releases (DeepSeek, Qwen, Zhipu, MiniMax, Moonshot and more) "
        "on the Hugging Face Hub and arXiv: detect launches, alert, and query the history.\n\n"
        "Start with `tracker poll` (the first poll records existing models as history and "
        "alerts nothing), then `tracker releases`. `tracker demo` replays a real release week "
        "offline. Configuration comes from TRACKER_* environment variables or a .env file."
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")

# Piped output (not a terminal) gets wide tables instead of rich's 80-column default, and error
# lines are never hard-wrapped, so scripts and logs read whole lines.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn tracker's expected errors into one red line and an exit code (2 config, 1 other)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            err_console.print(f"[bold red]configuration error:[/] {exc}", markup=True, highlight=False)
            raise typer.Exit(2) from None
        except TrackerError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


@dataclass
class Context:
    """What every command needs, built once from the environment."""

    settings: Settings
    watchlist: Watchlist


def _env_name(loc: tuple[Any, ...]) -> str:
    """Name the environment variable of a settings error (aliases like HF_ENDPOINT keep theirs)."""
    name = "_".join(str(p) for p in loc).upper()
    return name if name.startswith(("TRACKER_", "HF_")) else f"TRACKER_{name}"


def load_context(**overrides: Any) -> Context:
    """Build Settings (with ``overrides``) and load the watchlist.

    Raises:
        ConfigError: invalid settings or watchlist.
    """
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_env_name(e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore", "alembic"):  # one line per request drowns the summary; ours say what matters
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    return Context(settings=settings, watchlist=load_watchlist(settings.watchlist))


def write_output(path: Path, body: str | bytes, *, option: str) -> None:
    """Write ``body`` (text as UTF-8, or bytes) to the file a command option named.

    Raises:
        ConfigError: the file cannot be written (missing directory, permissions...), naming
            ``option`` and the path.
    """
    try:
        if isinstance(body, str):
            path.write_text(body, encoding="utf-8")
        else:
            path.write_bytes(body)
    except OSError as exc:
        raise ConfigError(f"cannot write {option} {path}: {exc.strerror or exc}") from None


def open_store(settings: Settings):  # type: ignore[no-untyped-def]
    """Open the configured database (the embedded SQLite one upgrades itself)."""
    from tracker.store import Store

    return Store.open(settings)


# --------------------------------------------------------------------------- poll


def describe_detection(d: Any) -> str:
    """One line per detection: ``NEW RELEASE qwen      Qwen3: Qwen/Qwen3-8B``."""
    what = "NEW RELEASE" if d.event == "release_detected" else "  + variant"
    subject = f"paper: {d.title}" if d.title == d.artifact else f"{d.title}: {d.artifact}"
    return f"{what} [cyan]{d.lab:9}[/] {subject}"


def render_poll(reports: list[Any], *, out: Console = console) -> None:
    """Print the per-source summary table and the detections of a poll cycle."""
    table = Table(title="Poll summary", title_justify="left")
    for col in ("source", "lab", "status", "requests", "304", "new", "releases", "variants",
                "renamed", "withdrawn", "note"):
        table.add_column(col, justify="right" if col in ("requests", "304", "new", "releases", "variants",
                                                          "renamed", "withdrawn") else "left")
    colors = {"ok": "green", "partial": "yellow", "failed": "red", "skipped": "cyan"}
    for r in reports:
        note = r.skipped or r.error or "; ".join(f"{f.scope}: {f.error}" for f in r.failures)
        if r.baseline and not note:
            note = "baseline recorded (not alerted)"
        if r.backfilled and not note:
            note = f"{r.backfilled} old paper(s) found late: stored as history, not alerted"
        table.add_row(r.source, r.lab, f"[{colors[r.status]}]{r.status}[/]", str(r.requests),
                      str(r.not_modified), str(r.new_artifacts), str(r.new_releases), str(r.variants), str(r.renamed),
                      str(r.withdrawn), note)
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
        out.print(f"  {describe_detection(d)}  {d.url}", highlight=False)


#: Settings naming the endpoint of a host, for the hint printed when that host is unreachable.
ENDPOINT_SETTINGS: tuple[tuple[str, str], ...] = (
    ("hf_endpoint", "TRACKER_HF_ENDPOINT"),
    ("arxiv_endpoint", "TRACKER_ARXIV_ENDPOINT"),
    ("modelscope_endpoint", "TRACKER_MODELSCOPE_ENDPOINT"),
    ("github_api_url", "TRACKER_GITHUB_API_URL"),
    ("github_url", "TRACKER_GITHUB_URL"),
)


def describe_unreachable(reports: list[Any], settings: Settings) -> list[str]:
    """One line per host a poll could not reach, naming what was not polled and what to check.

    ``"huggingface.co unreachable (network error: Connection refused): 17 labs not polled (hf);
    check your network or TRACKER_HF_ENDPOINT"``. Empty when every host answered.
    """
    from tracker.http import host_key

    hosts: dict[str, tuple[str, set[str], set[str]]] = {}  # host -> (error, labs, sources)
    for r in reports:
        for host, error in r.unreachable.items():
            _, labs, sources = hosts.setdefault(host, (error, set(), set()))
            labs.add(r.lab)
            sources.add(r.source)
    lines = []
    for host, (error, labs, sources) in hosts.items():
        names = [env for attr, env in ENDPOINT_SETTINGS if host_key(str(getattr(settings, attr))) == host]
        hint = " or ".join(["your network", *names]) if names else "your network"
        lines.append(f"{host} unreachable ({error}): {len(labs)} lab{'s' if len(labs) != 1 else ''} "
                     f"not polled ({', '.join(sorted(sources))}); check {hint}")
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
    from collections import Counter

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    totals = Counter(source for source, _ in units)
    with Progress(SpinnerColumn(), TextColumn("polling {task.fields[source]}"), BarColumn(),
                  MofNCompleteColumn(), TextColumn("units{task.fields[note]}"), TimeElapsedColumn(),
                  console=out, transient=True) as progress:
        tasks = {source: progress.add_task("", total=total, source=source, note="")
                 for source, total in totals.items()}

        def on_report(report: Any) -> None:
            task = tasks.get(report.source)
            if task is None:
                return
            note = f" ({', '.join(report.unreachable)} unreachable)" if report.unreachable else None
            progress.update(task, advance=1, **({"note": note} if note else {}))

        yield on_report


#: Printed (stderr) when Ctrl-C stops ``tracker poll`` while polling; the exit code is 130.
INTERRUPTED_POLL = ("interrupted: nothing half-written (each unit is stored in its own transaction); "
                    "units already stored are kept; run tracker poll again")
#: Printed when Ctrl-C stops ``tracker poll`` while it sends alerts; the exit code is 130.
INTERRUPTED_ALERTS = ("interrupted while sending alerts: the poll is stored; alerts not yet sent go out "
                      "with the next tracker poll (or the worker)")


@app.command()
@handle_errors
def poll(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="hf, arxiv, modelscope, github, feeds, daily_papers (repeatable); default TRACKER_SOURCES")] = None,
    lab: Annotated[list[str] | None, typer.Option("--lab", "-l", help="lab slug (repeatable); default all")] = None,
) -> None:
    """Poll the sources once now, store what is new and send alerts; print a summary.

    Exits 0 when at least one source succeeded, 1 when all failed, 2 on bad configuration.
    """
    from tracker.outbox.inline import process_outbox
    from tracker.pipeline import poll_once, poll_units_for

    ctx = load_context()
    store = open_store(ctx.settings)
    units = poll_units_for(ctx.watchlist, sources=source, labs=lab, enabled=ctx.settings.enabled_sources)
    try:
        with poll_progress(units, out=err_console) as on_report:
            reports = poll_once(ctx.settings, store, ctx.watchlist, sources=source, labs=lab, on_report=on_report)
    except KeyboardInterrupt:  # each unit is stored in its own transaction: none is half-written
        err_console.print(INTERRUPTED_POLL, markup=False, highlight=False)
        raise typer.Exit(130) from None
    render_poll(reports)
    for line in describe_unreachable(reports, ctx.settings):
        err_console.print(f"[bold yellow]{line}[/]", highlight=False)
    try:
        summary = process_outbox(store, settings=ctx.settings, watchlist=ctx.watchlist)
    except KeyboardInterrupt:  # deliveries are rows: unsent (or interrupted) ones are retried later
        err_console.print(INTERRUPTED_ALERTS, markup=False, highlight=False)
        raise typer.Exit(130) from None
    for error in summary.errors:
        err_console.print(f"[yellow]alert not delivered:[/] {error}", highlight=False)
    if reports and all(r.status == "failed" for r in reports):
        raise typer.Exit(1)


# --------------------------------------------------------------------------- releases


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _parse_day(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        if "T" in value:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
    except ValueError:
        raise ConfigError(f"{name} must be a date like 2025-04-28 (or an ISO datetime), got {value!r}") from None


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


CSV_COLUMNS = ("id", "lab", "lab_name", "country", "title", "kind", "released_at", "first_seen_at",
               "baseline", "url", "artifacts", "sizes")


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
    from tracker.store.serialize import ordered_size_labels, release_to_dict
    from tracker.store.queries import ReleaseFilter, list_releases

    from tracker.domain import ArtifactKind
    from tracker.store.queries import lab_summaries

    ctx = load_context()
    lab = lab.lower() if lab else None
    if kind is not None and kind not in {k.value for k in ArtifactKind}:
        raise ConfigError(f"--kind must be one of {', '.join(k.value for k in ArtifactKind)}, got {kind!r}")
    flt = ReleaseFilter(lab=lab, country=country, kind=kind, since=_parse_day(since, "--since"),
                        until=_parse_day(until, "--until"), limit=limit + 1)
    if flt.since and flt.until and flt.since >= flt.until:
        raise ConfigError("--since must be before --until")
    store = open_store(ctx.settings)
    with store.transaction() as session:
        if lab is not None:  # a lab no longer watched keeps its history: accept stored slugs too
            known = {lab_row.slug for lab_row, _, _ in lab_summaries(session=session)}
            known |= {cfg.slug for cfg in ctx.watchlist.labs}
            if lab not in known:
                raise ConfigError(f"unknown lab {lab!r}; known labs: {', '.join(sorted(known))}")
        rows = [release_to_dict(r) for r in list_releases(session=session, flt=flt)]
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
            writer.writerow({**row, "baseline": str(row["baseline"]).lower(), "artifacts": " ".join(a["name"] for a in row["artifacts"]),
                             "sizes": " ".join(ordered_size_labels(row["artifacts"]))})
        sys.stdout.write(buf.getvalue())
        return
    title = f"{len(rows)} release(s)" + (f", newest first; more exist (use --limit N, now {limit})" if truncated else "")
    table = Table(title=title, title_justify="left")
    for col in ("released (UTC)", "lab", "title", "kind", "artifacts", "sizes", "how"):
        table.add_column(col)
    for row in rows:
        table.add_row(row["released_at"][:16].replace("T", " "), row["lab"], row["title"], row["kind"],
                      str(len(row["artifacts"])), shorten_list(ordered_size_labels(row["artifacts"])),
                      "baseline" if row["baseline"] else "[green]detected[/]")
    if truncated:
        err_console.print(f"[yellow]showing the newest {limit}; more releases match (use --limit)[/]")
    console.print(table)


# --------------------------------------------------------------------------- labs


@app.command()
@handle_errors
def labs() -> None:
    """List watched labs: country, Hub orgs, arXiv queries, releases stored and the latest one."""
    from tracker.store.queries import lab_summaries

    ctx = load_context()
    store = open_store(ctx.settings)
    with store.transaction() as session:
        stored = {lab.slug: (count, latest) for lab, count, latest in lab_summaries(session=session)}
    table = Table(title=f"{len(ctx.watchlist.labs)} watched lab(s) from {ctx.watchlist.source}",
                  title_justify="left")
    for col in ("slug", "name", "country", "Hub orgs", "arXiv", "releases", "latest release (UTC)"):
        table.add_column(col)
    for lab in ctx.watchlist.labs:
        count, latest = stored.get(lab.slug, (0, None))
        table.add_row(lab.slug, lab.name, lab.country, ", ".join(lab.hf_orgs),
                      str(len(lab.arxiv_queries)), str(count),
                      latest.strftime("%Y-%m-%d %H:%M") if latest else "-")
    console.print(table)


# --------------------------------------------------------------------------- db


@db_app.command("upgrade")
@handle_errors
def db_upgrade() -> None:
    """Apply database migrations (Alembic) up to the newest revision."""
    from tracker.store import Store
    from tracker.store import db as store_db

    ctx = load_context()
    store = Store.open(ctx.settings, migrate=False)
    try:
        store_db.upgrade(store.engine)
    except Exception as exc:  # connection refused, permissions...: say which database
        raise TrackerError(f"migrating {store.engine.url.render_as_string(hide_password=True)} failed: {exc}") from exc
    console.print(f"database at revision {store_db.current_revision(store.engine)}")


# --------------------------------------------------------------------------- serve


@app.command()
@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Serve the REST API, feeds, dashboard and the Hugging Face webhook endpoint (uvicorn)."""
    import uvicorn

    from tracker.api import create_app

    ctx = load_context()
    uvicorn.run(create_app(ctx.settings), host=host, port=port, log_level=ctx.settings.log_level.lower())


# --------------------------------------------------------------------------- demo


@app.command()
@handle_errors
def demo(
    start: Annotated[str, typer.Option(help="replay 'now' for the baseline poll (UTC)")] = "2025-04-27T00:00:00Z",
    end: Annotated[str, typer.Option(help="replay until this time (UTC)")] = "2025-05-04T00:00:00Z",
    step_hours: Annotated[float, typer.Option(min=0.5, help="hours of replay time between polls")] = 12,
    data_dir: Annotated[str | None, typer.Option(help="keep the demo database here (default: a temp dir)")] = None,
) -> None:
    """Replay a real release week offline (the Qwen3 launch by default) and show the detections.

    A local replay hub serves recorded Hugging Face Hub and arXiv history as of a moving clock;
    tracker polls it like the real services: a baseline first, then each new release as it appears.
    """
    import tempfile
    from datetime import timedelta

    from tracker.pipeline import poll_once
    from tracker.replay.server import ReplayServer

    begin, finish = _parse_day(start, "--start"), _parse_day(end, "--end")
    assert begin and finish
    if finish <= begin:
        raise ConfigError(f"--end must be after --start (got --start {start}, --end {end})")
    tmp = tempfile.TemporaryDirectory(prefix="tracker-demo-") if data_dir is None else None
    with ReplayServer(now=begin) as hub:
        ctx = load_context(
            data_dir=data_dir or tmp.name,  # type: ignore[union-attr]
            database_url=None,
            hf_endpoint=hub.hf_endpoint,
            arxiv_endpoint=hub.arxiv_endpoint,
            hf_web_url="https://huggingface.co",  # stored links point at the real Hub, not the replay port
            arxiv_min_interval=0,
            watchlist=None,
        )
        store = open_store(ctx.settings)
        console.print(f"[bold]Replay hub[/] at {hub.url}; database {ctx.settings.resolved_database_url}")
        console.print(f"[bold]Baseline poll[/] as of {begin:%Y-%m-%d %H:%M} UTC: existing models are history, not alerts")
        reports = poll_once(ctx.settings, store, ctx.watchlist, clock=hub.clock.now)
        baseline = sum(r.new_artifacts for r in reports)
        console.print(f"  recorded {baseline} artifacts as baseline across {len(reports)} poll units")
        now, step, total = begin, timedelta(hours=step_hours), 0
        while now < finish:
            now = min(now + step, finish)
            hub.set_now(now)
            reports = poll_once(ctx.settings, store, ctx.watchlist, clock=hub.clock.now)
            detections = [d for r in reports for d in r.detections]
            total += len(detections)
            console.print(f"[bold]{now:%Y-%m-%d %H:%M} UTC[/]: {len(detections)} detection(s)")
            for d in detections:
                console.print(f"  {describe_detection(d)}", highlight=False)
            failed = [r for r in reports if r.status != "ok"]
            for r in failed:
                console.print(f"  [yellow]{r.source}/{r.lab}: {r.status} {r.error or ''}[/]")
        console.print(f"[bold]{total} detections[/] between {begin:%Y-%m-%d} and {finish:%Y-%m-%d}.")
        as_of = f"{finish:%Y-%m-%d}" if finish.time() == time.min else finish.strftime("%Y-%m-%dT%H:%M:%SZ")
        where = data_dir or "DIR"
        if not data_dir:
            console.print("The demo database was temporary: rerun with --data-dir DIR to keep it.", highlight=False)
        console.print(f"Explore it: TRACKER_DATA_DIR={where} tracker releases --lab qwen", highlight=False,
                      soft_wrap=True)
        console.print(f"Cadence, stats and charts of the demo history need --as-of {as_of} (the replay's end):",
                      highlight=False)
        console.print(f"  TRACKER_DATA_DIR={where} tracker cadence --as-of {as_of}", highlight=False, soft_wrap=True)
        store.dispose()
    if tmp is not None:
        tmp.cleanup()


def main() -> None:
    """Console-script entry point."""
    app()
