"""Cadence statuses (on cadence / quiet / bursting) and the quiet and burst alerts built on them.

Everything here sits on top of ``tracker.analytics`` (THE cadence model: one time per release,
``released_at`` in UTC, gaps in days of 86 400 s). Only releases of the counted kinds (``model``
by default, like the cadence model) are looked at. ``now`` is the "as of" time (UTC).

Formulas (settings in parentheses, ``tracker.config.Settings``):

* **history**: ``releases`` = the lab's releases up to ``now``; ``median_gap_days`` = the median
  of the gaps between consecutive releases over the whole history (``analytics.build_cadence``).
* **quiet threshold**: ``quiet_after_days = k x max(median_gap_days, floor)`` with ``k`` =
  ``quiet_factor_k`` (default 3) and ``floor`` = ``quiet_gap_floor_days`` (default 7). The floor
  keeps labs that ship several families on the same day (median gap near 0) from being "quiet"
  after a few hours. None when the lab has fewer than ``quiet_min_releases`` (default 4)
  releases: a new lab never triggers.
* **bursting**: ``releases_7d`` = releases with ``now - 7 days < released_at <= now`` is at least
  ``burst_min_releases`` (default 3).
* **status**, first match wins: ``bursting``; ``quiet`` when ``days_since_last >
  quiet_after_days``; ``new`` when the history is too short to judge (fewer than
  ``quiet_min_releases`` releases); otherwise ``on_cadence``.

Alerts (``check_cadence``) are outbox events with a unique ``Event.dedupe_key``, so each fires
once however often the check runs, on any number of workers:

* ``lab_quiet`` keyed ``quiet:<lab>:<id of the last release before the silence>``: one alert per
  silence spell (the next release starts a new spell, with a new key).
* ``lab_burst`` keyed ``burst:<lab>:<ISO week of the first release in the 7-day window>`` (UTC):
  one alert per burst week; a burst that straddles a week boundary keeps the week it started in,
  so it is one story, while a lab still bursting a week later is news again.

The alerts' content (what a channel shows) is built from these payloads at send time by
``tracker.outbox.content.build_cadence_message``.

When a quiet lab ships again, ``silent_for_days`` (used by ``tracker.pipeline`` in the
``release_detected`` payload) gives the length of the silence it broke.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.analytics import DEFAULT_CADENCE_KINDS, iso_week, week_start
from tracker.analytics.status import BURST_WINDOW_DAYS, CadenceRules, LabStatus, Status, lab_release_rows, status_of
from tracker.domain import EventType, as_utc
from tracker.store.models import Event, Lab, SourceState

if TYPE_CHECKING:
    from tracker.config import Settings
    from tracker.store import Store

log = logging.getLogger(__name__)


@dataclass(slots=True)
class CheckSummary:
    """What one ``check_cadence`` run did.

    Attributes:
        statuses (dict[str, LabStatus]): every lab's status as of the check.
        quiet (list[str]) / burst (list[str]): dedupe keys of the events written by this run.
    """

    statuses: dict[str, LabStatus]
    quiet: list[str]
    burst: list[str]

    @property
    def events(self) -> int:
        """Events written by this run."""
        return len(self.quiet) + len(self.burst)


def quiet_key(lab: str, last_release_id: int) -> str:
    """``quiet:<lab>:<id of the last release before the silence>``."""
    return f"quiet:{lab}:{last_release_id}"


def burst_key(lab: str, first_in_window_at: datetime) -> str:
    """``burst:<lab>:<ISO week (UTC) of the first release in the 7-day window>``."""
    return f"burst:{lab}:{iso_week(week_start(first_in_window_at))}"


def _add_once(session: Session, event: Event, *, dry_run: bool = False) -> bool:
    """Insert ``event`` unless its ``dedupe_key`` exists (also against a concurrent writer).

    With ``dry_run`` nothing is inserted; the answer is whether it would have been.
    """
    if session.scalars(select(Event.id).where(Event.dedupe_key == event.dedupe_key)).first() is not None:
        return False
    if dry_run:
        return True
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        return False
    return True


def _lab_facts(lab: Lab) -> dict[str, Any]:
    return {"lab": lab.slug, "lab_name": lab.name, "country": lab.country, "kind": "model"}


def _r2(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def _watched_since(session: Session) -> dict[str, datetime]:
    """When tracker first recorded a baseline for each lab (earliest over its sources), UTC."""
    out: dict[str, datetime] = {}
    for state in session.scalars(select(SourceState).where(SourceState.baseline_at.is_not(None))):
        at = as_utc(state.baseline_at)
        out[state.lab_slug] = min(at, out.get(state.lab_slug, at))
    return out


def check_cadence(
    *,
    session: Session,
    now: datetime,
    rules: CadenceRules,
    kinds: Collection[str] = DEFAULT_CADENCE_KINDS,
    dry_run: bool = False,
) -> CheckSummary:
    """Write ``lab_quiet`` / ``lab_burst`` outbox events for labs whose status calls for one.

    Each event exists once (its ``dedupe_key``, see the module docstring), so running the
    check every hour, twice, or on two workers writes nothing new until a new spell or burst
    week begins. Events carry no ``release_id`` (they are about a lab, not one release: a Slack
    alert is a message of its own, never a reply in a release thread). Never commits.

    Args:
        session (Session): an open session inside the caller's transaction.
        now (datetime): "as of" (UTC). rules (CadenceRules): thresholds.
        kinds: release kinds counted (``model`` by default, like the cadence model).
        dry_run (bool): write nothing; the summary lists the keys that would be written.

    Returns:
        CheckSummary: every lab's status and the keys of the events written.

    The payloads: ``lab``, ``lab_name``, ``country``, ``kind`` ("model", for subscription
    filters), ``releases``, ``median_gap_days``, ``days_since_last``, ``quiet_after_days``,
    ``quiet_factor_k``; quiet adds ``last_release`` ``{"id", "title", "released_at"}``; burst adds
    ``releases_7d``, ``week`` and ``window`` (the releases ``{"id", "title", "released_at"}``).
    """
    now = as_utc(now)
    rows = lab_release_rows(session, now=now, lab=None, kinds=kinds)
    labs = {lab.slug: lab for lab in session.scalars(select(Lab))}
    summary = CheckSummary(statuses={}, quiet=[], burst=[])
    watched_since = _watched_since(session)
    add_once = functools.partial(_add_once, dry_run=dry_run)
    for slug, items in sorted(rows.items()):
        status = status_of(slug, [at for _, at, _ in items], now=now, rules=rules)
        summary.statuses[slug] = status
        if status.status not in (Status.QUIET, Status.BURSTING):
            continue
        base = {
            **_lab_facts(labs[slug]),
            "releases": status.releases,
            "median_gap_days": _r2(status.median_gap_days),
            "days_since_last": _r2(status.days_since_last),
            "quiet_after_days": _r2(status.quiet_after_days),
            "quiet_factor_k": rules.quiet_factor_k,
            "as_of": now.isoformat(),
        }
        if status.status == Status.QUIET:
            last_id, last_at, last_title = items[-1]
            key = quiet_key(slug, last_id)
            went_quiet_at = last_at + timedelta(days=status.quiet_after_days or 0)
            if slug in watched_since and went_quiet_at < watched_since[slug]:
                # The silence began before tracker watched this lab (a fresh install's baseline
                # already shows it): history, not news. The next silence alerts normally.
                continue
            payload = {**base, "last_release": {"id": last_id, "title": last_title, "released_at": last_at.isoformat()}}
            if add_once(
                session, Event(type=EventType.LAB_QUIET.value, payload=payload, created_at=now, dedupe_key=key)
            ):
                summary.quiet.append(key)
                log.info("cadence: %s is quiet (%s)", slug, status.reason)
        else:
            assert status.first_in_window_at is not None
            key = burst_key(slug, status.first_in_window_at)
            window = [
                {"id": rid, "title": title, "released_at": at.isoformat()}
                for rid, at, title in items
                if now - timedelta(days=BURST_WINDOW_DAYS) < at <= now
            ]
            payload = {**base, "releases_7d": status.releases_7d, "week": key.rsplit(":", 1)[1], "window": window}
            if add_once(
                session, Event(type=EventType.LAB_BURST.value, payload=payload, created_at=now, dedupe_key=key)
            ):
                summary.burst.append(key)
                log.info("cadence: %s is bursting (%s)", slug, status.reason)
    return summary


def run_check(store: Store, *, settings: Settings, now: datetime, dry_run: bool = False) -> CheckSummary:
    """Run ``check_cadence`` in its own transaction (what the periodic task and the CLI call).

    With ``dry_run`` nothing is written: the summary says which alerts would be (``quiet`` and
    ``burst`` keys), so a preview never uses up an alert.
    """
    with store.transaction() as session:
        return check_cadence(session=session, now=now, rules=CadenceRules.from_settings(settings), dry_run=dry_run)
