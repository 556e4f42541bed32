"""Cadence statuses (on cadence / quiet / bursting / new) of each lab, from THE cadence model.

Built on ``tracker.analytics.formulas`` (one time per release, ``released_at`` in UTC, gaps in
days of 86 400 s). Only releases of the counted kinds (``model`` by default) are looked at;
``now`` is the "as of" time (UTC).

Formulas (settings in parentheses, ``tracker.config.Settings``):

* **quiet threshold**: ``quiet_after_days = k x max(median_gap_days, floor)`` with ``k`` =
  ``quiet_factor_k`` (default 3) and ``floor`` = ``quiet_gap_floor_days`` (default 7). The floor
  keeps labs that ship several families on the same day (median gap near 0) from being "quiet"
  after a few hours. None when the lab has fewer than ``quiet_min_releases`` (default 4)
  releases: a new lab never triggers.
* **bursting**: ``releases_7d`` = releases with ``now - 7 days < released_at <= now`` is at least
  ``burst_min_releases`` (default 3).
* **status**, first match wins: ``bursting``; ``quiet`` when ``days_since_last >
  quiet_after_days``; ``new`` when the history is too short to judge; otherwise ``on_cadence``.

``silent_for_days`` gives, when a quiet lab ships again, the length of the silence it broke
(the pipeline puts it in the ``release_detected`` payload).
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.analytics.formulas import DEFAULT_CADENCE_KINDS, Cadence, build_cadence
from tracker.domain import as_utc
from tracker.store.models import Lab, Release

if TYPE_CHECKING:
    from tracker.config import Settings

#: Days of the burst window (the issue fixes "n releases in 7 days").
BURST_WINDOW_DAYS = 7


class Status(enum.StrEnum):
    """A lab's cadence status; the value is what the API and CLI show."""

    BURSTING = "bursting"
    QUIET = "quiet"
    ON_CADENCE = "on_cadence"
    NEW = "new"  # too little history to judge (fewer than quiet_min_releases releases)

    @property
    def label(self) -> str:
        """Words for people: ``on cadence``, ``quiet``, ``bursting``, ``new``."""
        return self.value.replace("_", " ")


@dataclass(frozen=True, slots=True)
class CadenceRules:
    """The thresholds of the status formulas (see the module docstring).

    Attributes:
        quiet_factor_k (float): k in ``k x median gap``. quiet_min_releases (int): history needed.
        quiet_gap_floor_days (float): the smallest median gap used, in days.
        burst_min_releases (int): releases in 7 days that make a burst.
    """

    quiet_factor_k: float = 3.0
    quiet_min_releases: int = 4
    quiet_gap_floor_days: float = 7.0
    burst_min_releases: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> CadenceRules:
        """Read ``quiet_factor_k``, ``quiet_min_releases``, ``quiet_gap_floor_days``, ``burst_min_releases``."""
        return cls(
            quiet_factor_k=settings.cadence.quiet_factor_k,
            quiet_min_releases=settings.cadence.quiet_min_releases,
            quiet_gap_floor_days=settings.cadence.quiet_gap_floor_days,
            burst_min_releases=settings.cadence.burst_min_releases,
        )


@dataclass(frozen=True, slots=True)
class LabStatus:
    """One lab's status as of ``as_of``.

    Attributes:
        lab (str): slug. status (Status). as_of (datetime): UTC.
        releases (int): releases up to ``as_of``.
        last_release_at (datetime, optional): UTC; None without releases.
        days_since_last (float, optional): days since the last release.
        median_gap_days (float, optional): median gap (days); None with fewer than 2 releases.
        quiet_after_days (float, optional): the quiet threshold in days; None when the history
            is too short (fewer than ``quiet_min_releases`` releases).
        releases_7d (int): releases in the 7 days up to ``as_of``.
        first_in_window_at (datetime, optional): the earliest of those (dates a burst's week).
    """

    lab: str
    status: Status
    as_of: datetime
    releases: int
    last_release_at: datetime | None
    days_since_last: float | None
    median_gap_days: float | None
    quiet_after_days: float | None
    releases_7d: int
    first_in_window_at: datetime | None = None

    @property
    def reason(self) -> str:
        """One line explaining the status: ``silent 62 days; quiet after 61.2 (3 x median 20.4)``."""
        if self.status == Status.BURSTING:
            return f"{self.releases_7d} releases in the last {BURST_WINDOW_DAYS} days"
        if self.status == Status.NEW:
            return f"{self.releases} release{'s' if self.releases != 1 else ''} so far: too little history"
        since = "-" if self.days_since_last is None else f"{self.days_since_last:.0f}"
        return f"{since} days since the last release; quiet after {self.quiet_after_days:.0f}"

    def to_dict(self) -> dict[str, Any]:
        """``{"status", "quiet_after_days", "releases_7d"}`` (days rounded to 0.01), for the API."""
        return {
            "status": self.status.value,
            "quiet_after_days": None if self.quiet_after_days is None else round(self.quiet_after_days, 2),
            "releases_7d": self.releases_7d,
        }


def quiet_threshold_days(median_gap_days: float | None, releases: int, rules: CadenceRules) -> float | None:
    """Return ``k x max(median gap, floor)`` in days, or None with too little history (pure)."""
    if releases < rules.quiet_min_releases or median_gap_days is None:
        return None
    return rules.quiet_factor_k * max(median_gap_days, rules.quiet_gap_floor_days)


def classify(cadence: Cadence, released_at: Iterable[datetime], rules: CadenceRules) -> LabStatus:
    """Return a lab's status from its cadence and the same release times (pure).

    Args:
        cadence (Cadence): ``analytics.build_cadence`` of the lab as of ``cadence.as_of``.
        released_at (Iterable[datetime]): the release times the cadence was built from (UTC);
            times after ``cadence.as_of`` are ignored.
        rules (CadenceRules): the thresholds.

    Returns:
        LabStatus: see the module docstring for the formulas.
    """
    now = cadence.as_of
    window_start = now - timedelta(days=BURST_WINDOW_DAYS)
    recent = sorted(t for t in (as_utc(x) for x in released_at) if window_start < t <= now)
    threshold = quiet_threshold_days(cadence.median_gap_days, cadence.releases, rules)
    if len(recent) >= rules.burst_min_releases:
        status = Status.BURSTING
    elif threshold is not None and cadence.days_since_last is not None and cadence.days_since_last > threshold:
        status = Status.QUIET
    elif threshold is None:
        status = Status.NEW
    else:
        status = Status.ON_CADENCE
    return LabStatus(
        lab=cadence.lab,
        status=status,
        as_of=now,
        releases=cadence.releases,
        last_release_at=cadence.last_release_at,
        days_since_last=cadence.days_since_last,
        median_gap_days=cadence.median_gap_days,
        quiet_after_days=threshold,
        releases_7d=len(recent),
        first_in_window_at=recent[0] if recent else None,
    )


def status_of(lab: str, released_at: Iterable[datetime], *, now: datetime, rules: CadenceRules) -> LabStatus:
    """Build the cadence of ``released_at`` as of ``now`` and classify it (pure)."""
    times = list(released_at)
    return classify(build_cadence(lab, times, now=now, weeks=1), times, rules)


def lab_release_rows(
    session: Session, *, now: datetime, lab: str | None, kinds: Collection[str] | None
) -> dict[str, list[tuple[int, datetime, str]]]:
    """``(release id, released_at, title)`` per lab slug (every stored lab), oldest first."""
    labs_stmt = select(Lab.slug).order_by(Lab.slug)
    stmt = (
        select(Lab.slug, Release.id, Release.released_at, Release.title)
        .join(Release, Release.lab_id == Lab.id)
        .where(Release.released_at <= now)
        .order_by(Release.released_at, Release.id)
    )
    if lab:
        labs_stmt = labs_stmt.where(Lab.slug == lab)
        stmt = stmt.where(Lab.slug == lab)
    if kinds is not None:
        stmt = stmt.where(Release.kind.in_(list(kinds)))
    out: dict[str, list[tuple[int, datetime, str]]] = {slug: [] for slug in session.scalars(labs_stmt)}
    for slug, release_id, at, title in session.execute(stmt):
        out.setdefault(slug, []).append((release_id, as_utc(at), title))
    return out


def lab_statuses(
    *,
    session: Session,
    now: datetime,
    rules: CadenceRules,
    lab: str | None = None,
    kinds: Collection[str] | None = DEFAULT_CADENCE_KINDS,
) -> dict[str, LabStatus]:
    """Return every stored lab's status (or one lab's) as of ``now``, keyed by slug.

    Args:
        session (Session): read only. now (datetime): "as of" (UTC). rules (CadenceRules).
        lab (str, optional): one lab slug. kinds: release kinds counted (None = all).
    """
    now = as_utc(now)
    rows = lab_release_rows(session, now=now, lab=lab, kinds=kinds)
    return {
        slug: status_of(slug, [at for _, at, _ in items], now=now, rules=rules) for slug, items in sorted(rows.items())
    }


def silent_for_days(
    session: Session,
    *,
    lab_id: int,
    release_id: int,
    at: datetime,
    rules: CadenceRules,
    kinds: Collection[str] = DEFAULT_CADENCE_KINDS,
) -> float | None:
    """Return how long a quiet lab had been silent when a new release broke the silence.

    The lab's releases before ``at`` (other than ``release_id``) are classified as of ``at``;
    when that status is ``quiet``, the result is the days since the previous release.

    Args:
        session (Session): an open session (the new release may be flushed, not committed).
        lab_id (int): the lab row. release_id (int): the new release (excluded).
        at (datetime): the new release's ``released_at`` (UTC).
        rules (CadenceRules): the thresholds. kinds: release kinds counted (``model``).

    Returns:
        float | None: days (86 400 s each); None when the lab was not quiet (or is new).
    """
    at = as_utc(at)
    times = [
        as_utc(t)
        for t in session.scalars(
            select(Release.released_at).where(
                Release.lab_id == lab_id,
                Release.id != release_id,
                Release.released_at <= at,
                Release.kind.in_(list(kinds)),
            )
        )
    ]
    if not times:
        return None
    status = status_of("", times, now=at, rules=rules)
    return status.days_since_last if status.status == Status.QUIET else None
