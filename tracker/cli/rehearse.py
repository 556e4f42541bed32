"""``tracker rehearse``: what each subscription would have received during a real week, offline.

The replay hub serves the recorded week (the Qwen3 launch by default, as ``tracker demo``); the
real pipeline polls it into a temporary database, the real fan-out applies your watchlist's
subscriptions, filters and mutes, and the real delivery path hands each delivery to a recording
transport that renders it as its channel would (``tracker.notify.rehearsal``). Channels that are
not configured are rehearsed as if they were (a placeholder Slack token, SMTP relay and sender):
the point is to see what they would get. Nothing is sent anywhere.

Time is the replay's: held alerts (a paper waiting for its weights, an email waiting out its fold
window, a withdrawal its grace) become due at the first step after their hold, as they would at
the first poll after it live; a smaller ``--step-hours`` is closer to a live poll interval. Email
alerts of the last step are delivered after the replay's end plus the fold window.

Mutes (``tracker mute``) live in the user's database, not in the watchlist: the mutes in force
now are copied into the rehearsal's database without an end, so the fan-out holds their alerts
back for the whole replayed week as it would hold back live alerts today (``--ignore-mutes`` shows
the week without them). A user who never ran a command that creates the database has no mutes,
and the rehearsal does not create one to find out.
"""

from __future__ import annotations

import logging
import tempfile
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.app import app, console, err_console, esc, handle_errors, load_context, open_store, parse_day
from tracker.errors import ConfigError, TrackerError, UsageError
from tracker.external import printable

if TYPE_CHECKING:
    from tracker.config import Settings
    from tracker.outbox.mutes import MuteInfo
    from tracker.store import Store

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
    ignore_mutes: Annotated[
        bool, typer.Option("--ignore-mutes", help="rehearse as if nothing were muted (`tracker mute`)")
    ] = False,
) -> None:
    """Replay a real week and show exactly what each subscription would have received (sends nothing)."""
    from tracker.notify.rehearsal import Recorder
    from tracker.outbox.deliver import deliver_due
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
    mutes = [] if ignore_mutes else _mutes_in_force(real.settings)
    recorder, muted, errors = Recorder(), 0, []
    with tempfile.TemporaryDirectory(prefix="tracker-rehearse-") as tmp, ReplayServer(now=begin) as hub:
        ctx = load_context(
            warn_unknown=False,
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
        _copy_mutes(store, mutes)
        poll_once(ctx.settings, store, ctx.watchlist, clock=hub.clock.now)  # baseline: history, no alerts
        now = begin
        while now < finish:
            now = hub.set_now(min(now + timedelta(hours=step_hours), finish))
            poll_once(ctx.settings, store, ctx.watchlist, clock=hub.clock.now)
            run = process_outbox(
                store,
                settings=ctx.settings,
                watchlist=ctx.watchlist,
                notifier_for=recorder.notifier,
                clock=hub.clock.now,
            )
            muted += run.dispatch.muted
            errors += run.errors
        # An email alert found in the last step waits out its fold window after the replay's end.
        fold_end = finish + timedelta(seconds=ctx.settings.delivery.email_fold_s)
        last = deliver_due(store, settings=ctx.settings, notifier_for=recorder.notifier, clock=lambda: fold_end)
        errors += [f"delivery {o.delivery_id}: {o.error}" for o in last if o.error]
        store.dispose()
    _print(recorder, [s.channel for s in real.watchlist.subscriptions], full=full, begin=begin, finish=finish)
    _print_mutes(mutes, muted, ignored=ignore_mutes)
    if errors:  # a rehearsal that silently dropped a message would mislead: say so and fail
        for line in errors:
            err_console.print(f"[bold red]error:[/] not rehearsed: {esc(line)}", highlight=False)
        raise typer.Exit(1)


def _mutes_in_force(settings: Settings) -> list[MuteInfo]:
    """The user's mutes in force now, read from their database; none when it does not exist yet.

    Raises:
        ConfigError, TrackerError: the configured database cannot be opened (a rehearsal that
            silently left the user's mutes out would show alerts they will never get); the
            message says so and names ``--ignore-mutes``.
    """
    from sqlalchemy.engine import make_url

    from tracker.domain import utcnow
    from tracker.outbox.mutes import active_mutes

    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).expanduser().exists():
        return []  # never opened: nothing was ever muted, and opening it would create it
    why = "rehearse reads your mutes (tracker mute) there; --ignore-mutes rehearses without them"
    try:
        store = open_store(settings)
    except ConfigError as exc:
        raise ConfigError(f"{exc} ({why})") from None
    except TrackerError as exc:
        raise TrackerError(f"{exc} ({why})") from None
    try:
        with store.transaction() as session:
            return active_mutes(session=session, now=utcnow())
    finally:
        store.dispose()


def _copy_mutes(store: Store, mutes: list[MuteInfo]) -> None:
    """Mute each target in the rehearsal's database for the whole replayed week (no end)."""
    from tracker.domain import utcnow
    from tracker.outbox.mutes import set_mute

    with store.transaction() as session:
        for m in mutes:
            set_mute(session=session, target=m.target, until=None, now=utcnow())


def _print_mutes(mutes: list[MuteInfo], muted: int, *, ignored: bool) -> None:
    """Say which mutes shaped the rehearsal and how many alerts they held back."""
    if ignored:
        console.print("\nmutes ignored (--ignore-mutes)", highlight=False)
        return
    if not mutes:
        return
    names = ", ".join(m.target for m in mutes)
    console.print(
        f"\nmuted now (tracker mute): {esc(names)}; {muted} alert event(s) (releases, variants, follow-ups) "
        "held back on every channel (--ignore-mutes to see them)",
        highlight=False,
    )


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
            console.print(f"  {printable(item.summary)}", markup=False, highlight=False, soft_wrap=True)
            if full:
                console.print(
                    "    " + printable(item.text, keep_newlines=True).replace("\n", "\n    "),
                    markup=False,
                    highlight=False,
                )
