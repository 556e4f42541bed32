"""The ``tracker`` command line (Typer + rich): ``app`` and its command modules.

Importing this package registers every command on ``tracker.cli.app.app``: each module below
decorates its functions with that app, and ``tracker --help`` lists them in this order. Heavy
imports stay inside the command functions so that ``tracker --help`` stays fast.
"""

from tracker.cli import (  # noqa: F401  (imported for their command registrations)
    adoption,
    cadence_alerts,
    db,
    deliveries,
    demo,
    digest,
    explain,
    mute,
    papers,
    poll,
    radar,
    regroup,
    rehearse,
    releases,
    serve,
    slack,
    stats,
    status,
    subscriptions,
)
from tracker.cli.app import app, main

__all__ = ["app", "main"]
