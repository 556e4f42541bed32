"""Console notifier for demos and development (``console:`` channel): logs and prints each alert."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from tracker.config import Settings
from tracker.external import printable
from tracker.notify.base import Outgoing, SendResult

log = logging.getLogger(__name__)


class ConsoleNotifier:
    """Writes one line per delivery to a stream (stdout by default) and the log.

    Args:
        stream (TextIO, optional): where to print; None means ``sys.stdout`` at send time.
    """

    name = "console"

    def __init__(self, stream: TextIO | None = None):
        self._stream = stream

    @classmethod
    def from_settings(cls, settings: Settings, *, target: str = "") -> ConsoleNotifier:
        """Build the console notifier (``target`` is ignored; ``console:`` and ``console:stdout`` are the same)."""
        return cls()

    def send(self, out: Outgoing) -> SendResult:
        """Print ``[delivery <id>] <headline> <url>``, control characters made visible (``printable``:
        a Hub name cannot move the terminal's cursor); never fails."""
        if out.message is not None:
            text = f"{out.message.headline} {out.message.url}".rstrip()
        else:
            text = f"{out.kind}: {out.payload}"
        line = f"[delivery {out.delivery_id}] {printable(text)}"
        log.info("console: %s", line)
        print(line, file=self._stream or sys.stdout, flush=True)
        return SendResult(external_ref={"console": True})

    def find_sent(self, out: Outgoing) -> SendResult | None:
        """The console keeps no record: None (a resend prints the line again)."""
        return None
