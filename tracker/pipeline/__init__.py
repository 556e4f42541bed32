"""The unit of work: poll (source, lab) -> detect -> store releases and outbox events.

One source result is applied in one database transaction: releases, artifacts, outbox events
and the poll unit's health are committed together or not at all. A failing org or query never
stops the others: its failure is recorded and nothing is concluded from it.

Baseline: the first successful listing of a scope (``hf:<org>``, ``arxiv:<query>``) records what
already exists as history (``baseline=True``, ``released_at`` from createdAt/published) and
writes no events, so nothing is alerted. Everything that appears afterwards is a detection, dated
by the poll that first saw it.

Modules:

* ``report``: ``PollReport`` (one unit's outcome) and ``Detection``.
* ``fetch``: ``fetch_unit``: one source for one lab, with conditional-request validators; and
  the model-info requests for new unsized Hub repos (``add_model_info_params``).
* ``detect``: pure diff of observations against stored state (new, renamed, withdrawn...) and
  whether a new artifact is history.
* ``arrivals``: new artifacts stored where ``tracker.grouping.membership`` puts them.
* ``known``: changes of known artifacts (renamed, restored, revised, withdrawn) applied.
* ``events``: the outbox events a poll writes and their payloads.
* ``snapshots``: download/like snapshots taken from listings already fetched.
* ``apply``: ``apply_result`` (detect + store one result) and ``store_unit`` (in one transaction).
* ``health``: poll health, and the listing fingerprint that lets an unchanged listing skip its
  transaction.
* ``radar``: the radar step (global Hub listings within a budget -> sightings -> candidate
  scores), run on its own beat entry, never inside a poll.
* ``cycle``: ``poll_units_for, ``poll_cycle`` (concurrent fetches, stores as results arrive)
  and ``poll_once``.
"""

from __future__ import annotations

from tracker.pipeline.apply import apply_result, store_unit
from tracker.pipeline.cycle import Clock, poll_cycle, poll_once, poll_units_for
from tracker.pipeline.fetch import fetch_unit
from tracker.pipeline.health import VOLATILE_ATTRS
from tracker.pipeline.report import Detection, PollReport

__all__ = [
    "VOLATILE_ATTRS",
    "Clock",
    "Detection",
    "PollReport",
    "apply_result",
    "fetch_unit",
    "poll_cycle",
    "poll_once",
    "poll_units_for",
    "store_unit",
]
