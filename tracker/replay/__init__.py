"""Replay of recorded Hugging Face Hub / arXiv history as a local HTTP server.

* :class:`Corpus` (``tracker.replay.corpus``): the packaged corpus, queried "as of now".
* :func:`create_app`, :class:`ReplayClock` (``tracker.replay.hub``): the ASGI app.
* :class:`ReplayServer` (``tracker.replay.server``): that app on a free local port.

Names are imported lazily so ``python -m tracker.replay.server`` runs cleanly and importing
the package does not pull in uvicorn/starlette.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["CORPUS_DIR", "ArxivEntry", "Corpus", "ReplayClock", "ReplayServer", "create_app"]

_WHERE = {
    "CORPUS_DIR": "tracker.replay.corpus",
    "ArxivEntry": "tracker.replay.corpus",
    "Corpus": "tracker.replay.corpus",
    "ReplayClock": "tracker.replay.hub",
    "create_app": "tracker.replay.hub",
    "ReplayServer": "tracker.replay.server",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'tracker.replay' has no attribute {name!r}")
