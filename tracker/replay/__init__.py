"""Replay of recorded Hugging Face Hub / arXiv history as a local HTTP server.

* :class:`Corpus` (``tracker.replay.corpus``): the packaged corpus, queried "as of now".
* :func:`create_app` (``tracker.replay.hub``) over a :class:`ReplayClock` (``tracker.replay.clock``):
  the ASGI app.
* ``ReplayServer`` (``tracker.replay.server``): that app on a free local port. Import it from its
  module: re-exporting it here would import ``tracker.replay.server`` with the package, so
  ``python -m tracker.replay.server`` would run a second copy of an already imported module.

No ``tracker`` command imports this package at start-up (``tracker demo`` imports it in its body).
"""

from tracker.replay.clock import ReplayClock
from tracker.replay.corpus import CORPUS_DIR, Corpus
from tracker.replay.hub import create_app
from tracker.replay.papers import ArxivEntry

__all__ = ["CORPUS_DIR", "ArxivEntry", "Corpus", "ReplayClock", "create_app"]
