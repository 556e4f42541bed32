"""``tracker mute TARGET [--for 7d]`` / ``tracker unmute TARGET``: hold back alerts on every channel.

TARGET is a repo (``Qwen/Qwen3-8B``), a release family (``qwen3``) or a lab slug (``qwen``);
``tracker mute`` alone lists the mutes in force (``tracker subscriptions`` lists them too). A
muted alert gets no delivery on any channel, now or after the mute ends.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tracker.cli.app import app, console, handle_errors, load_context, open_store
from tracker.domain import utcnow


def print_mutes(mutes: list) -> None:  # type: ignore[type-arg]
    """``muted: qwen3 (until 2025-05-05 12:00 UTC)``, one line each, or ``no mutes``."""
    if not mutes:
        console.print("no mutes", highlight=False)
    for m in mutes:
        until = f"until {m.until:%Y-%m-%d %H:%M} UTC" if m.until else "until `tracker unmute`"
        console.print(f"muted: {m.target} ({until})", markup=False, highlight=False)


@app.command()
@handle_errors
def mute(
    target: Annotated[str | None, typer.Argument(help="a repo (Org/Name), a release family or a lab slug")] = None,
    for_: Annotated[
        str | None, typer.Option("--for", help="how long: 30m, 12h, 7d, 2w (default: until unmuted)")
    ] = None,
) -> None:
    """Hold back alerts about a repo, family or lab on every channel; alone, list the mutes."""
    from tracker.outbox.mutes import active_mutes, parse_duration, set_mute

    duration = parse_duration(for_) if for_ is not None else None
    store = open_store(load_context().settings)
    now = utcnow()
    with store.transaction(write=target is not None) as session:
        if target is None:
            print_mutes(active_mutes(session=session, now=now))
            return
        info = set_mute(session=session, target=target, until=now + duration if duration else None, now=now)
    print_mutes([info])


@app.command()
@handle_errors
def unmute(target: Annotated[str, typer.Argument(help="what `tracker mute` muted")]) -> None:
    """Lift a mute; alerts about the target go out again (those held back stay unsent)."""
    from tracker.outbox.mutes import remove_mute

    store = open_store(load_context().settings)
    with store.transaction() as session:
        removed = remove_mute(session=session, target=target)
    if not removed:
        console.print(f"{target} was not muted", markup=False, highlight=False)
        raise typer.Exit(1)
    console.print(f"unmuted: {target.lower()}", markup=False, highlight=False)
