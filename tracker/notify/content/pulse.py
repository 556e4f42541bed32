"""The weekly pulse's content: plain data about one ISO week's releases and every lab's status.

Built from the store by ``tracker.briefings.pulse`` and rendered by
``tracker.notify.slack.pulse_blocks``. A lab's cadence status is shown through
``LabStatusView``, the few facts a pulse names (``tracker.analytics.status.LabStatus`` provides
them), so rendering needs nothing from the analytics that computed them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from tracker.notify.content.radar import RadarLine

#: The cadence statuses a pulse groups labs by (the values of ``tracker.analytics.status.Status``).
BURSTING, QUIET, ON_CADENCE, NEW = "bursting", "quiet", "on_cadence", "new"


class LabStatusView(Protocol):
    """One lab's cadence status as a pulse shows it.

    Attributes:
        lab (str): slug. status (str): ``bursting`` | ``quiet`` | ``on_cadence`` | ``new``.
        releases_7d (int): releases in the 7 days up to the pulse's ``as_of``.
        days_since_last (float, optional): days since the lab's last release.
        median_gap_days (float, optional): the lab's median gap between releases, in days.
    """

    @property
    def lab(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def releases_7d(self) -> int: ...

    @property
    def days_since_last(self) -> float | None: ...

    @property
    def median_gap_days(self) -> float | None: ...

    def to_dict(self) -> dict[str, Any]:
        """``{"status", "quiet_after_days", "releases_7d"}`` (the JSON shape of ``tracker pulse``)."""
        ...


@dataclass(frozen=True, slots=True)
class PulseRules:
    """The status thresholds a pulse states in its footer (defaults: tracker's default cadence rules).

    Attributes:
        quiet_factor_k (float): quiet = silent for more than k x the median gap.
        burst_min_releases (int): releases in 7 days that make a burst.
    """

    quiet_factor_k: float = 3.0
    burst_min_releases: int = 3


@dataclass(frozen=True, slots=True)
class LabWeek:
    """One lab's releases in the pulse week.

    Attributes:
        lab / lab_name / country: slug, display name, ISO 3166-1 alpha-2 code.
        releases (int): releases this week. titles (tuple[str, ...]): their titles, oldest first.
    """

    lab: str
    lab_name: str
    country: str
    releases: int
    titles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AdoptionLine:
    """A recent release's relative adoption as the pulse names it (strings raw, unescaped).

    Attributes:
        lab_name (str): display name. title (str): release title.
        ratio (float): downloads against the median of earlier releases of its size at the same age.
        sentence (str): ``tracker.adoption.relative.adoption_sentence`` (bucket, age and peers named).
    """

    lab_name: str
    title: str
    ratio: float
    sentence: str


@dataclass(frozen=True, slots=True)
class CountryWeek:
    """One country's releases this week against its trailing share.

    Attributes:
        country (str): ISO code. releases (int): this week.
        share (float): ``releases / pulse total`` (0 when the week has none).
        trailing_releases (int): releases in the trailing weeks.
        trailing_share (float, optional): pooled share over the trailing weeks; None when they
            have no release at all.
    """

    country: str
    releases: int
    share: float
    trailing_releases: int
    trailing_share: float | None

    @property
    def delta_pts(self) -> float | None:
        """``100 x (share - trailing_share)``, percentage points; None without a trailing share."""
        return None if self.trailing_share is None else 100 * (self.share - self.trailing_share)


@dataclass(frozen=True, slots=True)
class Pulse:
    """The weekly pulse content (pure data; ``tracker.notify.slack.pulse_blocks`` renders it).

    Attributes:
        week (str): ISO week key in ``timezone``. timezone (str): IANA name.
        start / end (datetime): the week's bounds, UTC. as_of (datetime): ``min(end, now)``, UTC.
        total (int): releases this week. labs (tuple[LabWeek, ...]): labs with releases, most first.
        countries (tuple[CountryWeek, ...]): every country seen this week or in the trailing
            weeks, most releases this week first.
        statuses (tuple[LabStatusView, ...]): every stored lab's status as of ``as_of``, by slug.
        lab_names (dict[str, str]): slug -> display name, for every lab in ``statuses``.
        trailing_weeks (int): weeks of the trailing average. trailing_total (int): releases in them.
        kinds (tuple[str, ...], optional): release kinds counted (None = all).
        rules (PulseRules): the status thresholds used (stated in the footer).
        adoption (tuple[AdoptionLine, ...]): recent releases with a relative-adoption ratio,
            fastest first (empty when none has enough history).
        radar (tuple[RadarLine, ...]): orgs outside the watchlist that crossed the radar's alert
            score this week, highest score first (empty: the section is absent).
    """

    week: str
    timezone: str
    start: datetime
    end: datetime
    as_of: datetime
    total: int
    labs: tuple[LabWeek, ...]
    countries: tuple[CountryWeek, ...]
    statuses: tuple[LabStatusView, ...]
    lab_names: dict[str, str] = field(default_factory=dict)
    trailing_weeks: int = 12
    trailing_total: int = 0
    kinds: tuple[str, ...] | None = ("model",)
    rules: PulseRules = field(default_factory=PulseRules)
    adoption: tuple[AdoptionLine, ...] = ()
    radar: tuple[RadarLine, ...] = ()

    @property
    def complete(self) -> bool:
        """True when the week is over at ``as_of``."""
        return self.as_of >= self.end

    def to_dict(self) -> dict[str, Any]:
        """A JSON shape of the pulse (``tracker pulse --format json``)."""
        return {
            "week": self.week,
            "timezone": self.timezone,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "as_of": self.as_of.isoformat(),
            "complete": self.complete,
            "total": self.total,
            "labs": [
                {
                    "lab": w.lab,
                    "lab_name": w.lab_name,
                    "country": w.country,
                    "releases": w.releases,
                    "titles": list(w.titles),
                }
                for w in self.labs
            ],
            "countries": [
                {
                    "country": c.country,
                    "releases": c.releases,
                    "share": round(c.share, 4),
                    "trailing_releases": c.trailing_releases,
                    "trailing_share": None if c.trailing_share is None else round(c.trailing_share, 4),
                }
                for c in self.countries
            ],
            "statuses": [{"lab": s.lab, **s.to_dict()} for s in self.statuses],
            "trailing_weeks": self.trailing_weeks,
            "trailing_total": self.trailing_total,
            "adoption": [
                {"lab_name": a.lab_name, "title": a.title, "ratio": a.ratio, "sentence": a.sentence}
                for a in self.adoption
            ],
            "radar": [line.to_dict() for line in self.radar],
        }
