"""``tracker rehearse``: what each subscription would have received during a real week, offline.

The replay hub serves the recorded week (the Qwen3 launch by default, as ``tracker demo``); the
real pipeline polls it into a temporary database, the real fan-out applies your watchlist's
subscriptions, filters and mutes, and the real delivery path hands each delivery to a recording
transport that renders it as its channel would (``tracker.notify.rehearsal``). Channels that are
not configured are rehearsed as if they were (a placeholder Slack token, SMTP relay and sender):
the point is to see what they would get. Nothing is sent anywhere.
"""

from __future__ import annotations

import logging
import tempfile
from collections import defaultdict
from datetime import timedelta
from typing import Annotated

import typer

from tracker.cli.app import app, console, esc, handle_errors, load_context, open_store, parse_day
from tracker.errors import UsageError
from tracker.external import printable

#: Placeholders that let unconfigured channels be rehearsed (never used to send).
PLACEHOLDERS = {
    "slack_bot_token": "xoxb-rehearsal",
    "slack_channel": "#rehearsal",
    "smtp_url": "smtp://rehearsal.invalid:25",
    "email_from": "tracker@rehearsal.invalid",
}


@app.command()
@handle_errors
def rehearse(
    start: Annotated[str, typer.Option(help="replay 'now' for the baseline poll (UTC)")] = "2025-04-27T00:00:00Z",
    end: Annotated[str, typer.Option(help="replay until this time (UTC)")] = "2025-05-04T00:00:00Z",
    step_hours: Annotated[float, typer.Option(min=0.5, help="hours of replay time between polls")] = 12,
    full: Annotated[bool, typer.Option("--full", help="print each message in full, not one line each")] = False,
) -> None:
    """Replay a real week and show exactly what each subscription would have received (sends nothing)."""
    from tracker.notify.rehearsal import Recorder
    from tracker.outbox.inline import process_outbox
    from tracker.pipeline import poll_once
    from tracker.replay.server import ReplayServer

    begin, finish = parse_day(start, "--start"), parse_day(end, "--end")
    assert begin and finish
    if finish <= begin:
        raise UsageError(f"--end must be after --start (got --start {start}, --end {end})")
    real = load_context()
    logging.getLogger("tracker").setLevel(logging.WARNING)  # the report below says what was sent
    placeholders = {k: v for k, v in PLACEHOLDERS.items() if not _configured(real.settings, k)}
    recorder = Recorder()
    with tempfile.TemporaryDirectory(prefix="tracker-rehearse-") as tmp, ReplayServer(now=begin) as hub:
        ctx = load_context(
            data_dir=tmp,
            database_url=None,
            broker_url=None,
            hf_endpoint=hub.hf_endpoint,
            arxiv_endpoint=hub.arxiv_endpoint,
            hf_web_url="https://huggingface.co",
            arxiv_min_interval=0,
            **placeholders,
        )
        store = open_store(ctx.settings)
        poll_once(ctx.settings, store, ctx.watchlist, clock=hub.clock.now)  # baseline: history, no alerts
        now = begin
        while now < finish:
            now = hub.set_now(min(now + timedelta(hours=step_hours), finish))
            poll_once(ctx.settings, store, ctx.watchlist, clock=hub.clock.now)
            process_outbox(store, settings=ctx.settings, watchlist=ctx.watchlist, notifier_for=recorder.notifier)
        store.dispose()
    _print(recorder, [s.channel for s in real.watchlist.subscriptions], full=full, begin=begin, finish=finish)


def _configured(settings: object, flat: str) -> bool:
    from tracker.config import flat_settings

    row = next(r for r in flat_settings(type(settings)) if r.flat == flat)  # type: ignore[arg-type]
    group = getattr(settings, row.group) if row.group else settings
    return getattr(group, row.field) is not None


def _print(recorder: object, channels: list[str], *, full: bool, begin: object, finish: object) -> None:
    by_channel: dict[str, list] = defaultdict(list)  # type: ignore[type-arg]
    for item in recorder.received:  # type: ignore[attr-defined]
        by_channel[item.channel].append(item)
    console.print(f"[bold]Rehearsal[/] {begin:%Y-%m-%d} → {finish:%Y-%m-%d} (nothing was sent)", highlight=False)
    for channel in dict.fromkeys([*channels, *by_channel]):
        items = by_channel.get(channel, [])
        console.print(f"\n[bold]{esc(channel)}[/]: {len(items)} message(s)", highlight=False)
        for item in items:
            console.print(f"  {printable(item.summary)}", markup=False, highlight=False)
            if full:
                console.print(
                    "    " + printable(item.text, keep_newlines=True).replace("\n", "\n    "),
                    markup=False,
                    highlight=False,
                )
