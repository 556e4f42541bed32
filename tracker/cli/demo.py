"""``tracker demo``: an offline replay of a real release week (the Qwen3 launch by default).

A local replay hub (``tracker.replay``) serves recorded Hugging Face Hub and arXiv history as of
a moving clock; the demo polls it like the real services, into a temporary database (or
``--data-dir``), and prints each step's detections.
"""

from __future__ import annotations

import tempfile
from datetime import time, timedelta
from typing import Annotated

import typer

from tracker.cli.app import app, console, esc, handle_errors, load_context, open_store, parse_day
from tracker.cli.poll import describe_detection
from tracker.errors import UsageError


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
    # The pipeline (SQLAlchemy, httpx) and the replay hub (uvicorn, Starlette): only this command pays for them.
    from tracker.pipeline import poll_once
    from tracker.replay.corpus import Corpus
    from tracker.replay.server import ReplayServer

    begin, finish = parse_day(start, "--start"), parse_day(end, "--end")
    assert begin and finish
    if finish <= begin:
        raise UsageError(f"--end must be after --start (got --start {start}, --end {end})")
    first, last = Corpus.load().span()
    if begin >= last or finish <= first:  # nothing would appear: an empty replay reads as "no releases"
        raise UsageError(
            f"the recordings cover {first:%Y-%m-%d} to {last:%Y-%m-%d}: "
            f"--start {begin:%Y-%m-%d} / --end {finish:%Y-%m-%d} replays nothing of them"
        )
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
        console.print(f"[bold]Replay hub[/] at {esc(hub.url)}; database {esc(ctx.settings.resolved_database_url)}")
        console.print(
            f"[bold]Baseline poll[/] as of {begin:%Y-%m-%d %H:%M} UTC: existing models are history, not alerts"
        )
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
                line = f"{r.source}/{r.lab}: {r.status} {r.error or ''}"
                console.print(f"  [yellow]{esc(line)}[/]")
        console.print(f"[bold]{total} detections[/] between {begin:%Y-%m-%d} and {finish:%Y-%m-%d}.")
        as_of = f"{finish:%Y-%m-%d}" if finish.time() == time.min else finish.strftime("%Y-%m-%dT%H:%M:%SZ")
        where = data_dir or "DIR"
        if not data_dir:
            console.print("The demo database was temporary: rerun with --data-dir DIR to keep it.", highlight=False)
        console.print(
            f"Explore it: TRACKER_DATA_DIR={where} tracker releases --lab qwen", highlight=False, soft_wrap=True
        )
        console.print(
            f"Cadence, adoption and digests of the demo history need the replay's end ({as_of}) as 'now':",
            highlight=False,
        )
        for hint in (f"cadence --as-of {as_of}", f"adoption --as-of {as_of}", f"digest --preview d.html --at {as_of}"):
            console.print(f"  TRACKER_DATA_DIR={where} tracker {hint}", highlight=False, soft_wrap=True)
        store.dispose()
    if tmp is not None:
        tmp.cleanup()
