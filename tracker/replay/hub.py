"""The replay hub: an ASGI app serving the corpus as the Hugging Face Hub and arXiv APIs would.

Every answer is as of the :class:`ReplayClock`'s "now" (aware UTC). The endpoints, one module each:

* ``tracker.replay.hf_api``: ``GET /api/models`` (listings, ``Link`` pagination) and
  ``GET /api/models/{org}/{name}`` (one model; a former name answers 307).
* ``tracker.replay.arxiv_api``: ``GET /api/query``, arXiv's Atom feed.
* ``tracker.replay.extra_sources``: ModelScope, GitHub, lab blogs and the Hub's daily papers.
* ``tracker.replay.control``: ``/_replay/clock``, ``/_replay/faults``, ``/_replay/stats``
  (never delayed, faulted or counted).

The app's :class:`HubState` (``tracker.replay.state``: faults, request counts, latency) is at
``app.state.replay``.
"""

from __future__ import annotations

from starlette.applications import Starlette

from tracker.replay.arxiv_api import arxiv_routes
from tracker.replay.clock import ReplayClock
from tracker.replay.control import control_routes
from tracker.replay.corpus import Corpus
from tracker.replay.extra_sources import extra_routes
from tracker.replay.hf_api import hf_routes
from tracker.replay.state import HubState

__all__ = ["create_app"]


def create_app(
    corpus: Corpus, clock: ReplayClock, *, latency_s: float = 0.0, synthetic_orgs: int = 0, synthetic_repos: int = 3
) -> Starlette:
    """Build the replay hub ASGI app (Starlette) over ``corpus`` as of ``clock.now()``.

    ``latency_s`` (seconds) delays every Hub and arXiv API answer with ``asyncio.sleep``;
    ``synthetic_orgs=N`` adds orgs ``synth-0000``..``synth-{N-1:04d}`` with a few always-visible
    items each (``synthetic_repos`` of them). The :class:`HubState` (faults, stats) is at ``app.state.replay``.
    """
    state = HubState(
        corpus=corpus,
        clock=clock,
        latency_s=float(latency_s),
        synthetic_orgs=int(synthetic_orgs),
        synthetic_repos=int(synthetic_repos),
    )
    app = Starlette(routes=[*hf_routes(), *arxiv_routes(), *control_routes(), *extra_routes()])
    app.state.replay = state
    return app
