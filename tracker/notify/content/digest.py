"""A digest's content: plain, JSON-serialisable dataclasses (strings raw, unescaped).

``Digest`` holds one period's content for one subscription (releases grouped by lab, papers,
the cadence rows, the longest-silent labs, the country shares, the orgs new on the radar and
the lead sentences); its
``to_dict`` is frozen into ``Delivery.payload["digest"]`` when the delivery is created
(``tracker.briefings.digest``) and ``from_dict`` rebuilds it at send time for the email
templates (``tracker.notify.email.render``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from tracker.notify.content.radar import RadarLine


@dataclass(frozen=True, slots=True)
class DigestLink:
    """A labelled link (raw text; templates escape)."""

    label: str
    url: str


@dataclass(frozen=True, slots=True)
class DigestRelease:
    """One release as the digest lists it (strings raw, unescaped).

    Attributes:
        id (int): release id. title (str): release title (``Qwen3``). kind (str): model | code | ...
        url (str): the release's main link. released_at (str): ISO-8601 UTC.
        sizes (list[str]): distinct size labels, smallest first (``0.6B``, ``30B-A3B``).
        moe (str, optional): ``235B total / 22B active`` for the largest MoE size.
        licence (str, optional): Hub ``license:`` tag of the lead repo (or any repo).
        variant_count (int): live repos in the release.
        variant_summary (list[str]): counts by kind and quantization (``6 base``, ``8 FP8``).
        links (list[DigestLink]): Hub repo / Hub search / arXiv.
        reports (list[DigestLink]): technical reports that joined the launch (label: the title).
        update (str, optional): set when the release came out before the period and is listed
            for what it gained in it (``technical report``, ``2 new repos``); None for a new release.
        adoption (str, optional): its relative adoption as a sentence, as of the period's end
            (``tracker.adoption.relative.adoption_sentence``); None when there is no ratio.
    """

    id: int
    title: str
    kind: str
    url: str
    released_at: str
    sizes: list[str] = field(default_factory=list)
    moe: str | None = None
    licence: str | None = None
    variant_count: int = 0
    variant_summary: list[str] = field(default_factory=list)
    links: list[DigestLink] = field(default_factory=list)
    reports: list[DigestLink] = field(default_factory=list)
    update: str | None = None
    adoption: str | None = None


@dataclass(frozen=True, slots=True)
class LabGroup:
    """A lab's releases of the period. lab: slug; lab_name; country (ISO alpha-2)."""

    lab: str
    lab_name: str
    country: str
    releases: list[DigestRelease] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DigestPaper:
    """A paper of the period (arXiv). authors: the first three; more_authors: how many more."""

    title: str
    url: str
    arxiv_id: str
    lab: str
    lab_name: str
    authors: list[str] = field(default_factory=list)
    more_authors: int = 0


@dataclass(frozen=True, slots=True)
class CadenceRow:
    """One lab in the cadence section (model releases).

    Attributes:
        lab / lab_name / country: the lab.
        this_period (int): model releases with ``released_at`` in the period.
        usual_per_week (float): releases per week over the 8 weeks before the period (``rate_8w``).
        days_since_last (float, optional): days from the lab's last release to the period end;
            None when it has none stored.
        trend (str): ``above`` | ``usual`` | ``below`` | ``none`` (``tracker.briefings.digest.cadence``).
        weekly (list[tuple[str, str, int]]): ``(ISO week, Monday ISO date, releases)`` for the
            12 ISO weeks (UTC) ending with the period, oldest first (the chart's row).
    """

    lab: str
    lab_name: str
    country: str
    this_period: int
    usual_per_week: float
    days_since_last: float | None
    trend: str
    weekly: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CountryShare:
    """Share of the period's model releases by country: count and fraction (0..1)."""

    country: str
    releases: int
    share: float


@dataclass(frozen=True, slots=True)
class Digest:
    """A period's digest content for one subscription, JSON-serialisable (``to_dict``/``from_dict``).

    Attributes:
        period (str): ``daily`` | ``weekly``. start / end (str): ISO-8601 UTC bounds.
        timezone (str): IANA zone of the bounds. label (str): ``week 18 · 28 Apr – 4 May 2025``.
        generated_at (str): ISO-8601 UTC.
        groups (list[LabGroup]): releases by lab, most releases first.
        papers (list[DigestPaper]): papers of the period.
        cadence (list[CadenceRow]): the followed labs, most releases this period first.
        silent (list[CadenceRow]): the longest-silent labs (most days since the last release).
        countries (list[CountryShare]): model releases by country in the period, largest first.
        lead (str): one or two sentences summing up the period.
        radar (list[RadarLine]): orgs outside the watchlist that crossed the radar's alert score
            in the period ("New on the radar"; empty: the section is absent).
    """

    period: str
    start: str
    end: str
    timezone: str
    label: str
    generated_at: str
    groups: list[LabGroup] = field(default_factory=list)
    papers: list[DigestPaper] = field(default_factory=list)
    cadence: list[CadenceRow] = field(default_factory=list)
    silent: list[CadenceRow] = field(default_factory=list)
    countries: list[CountryShare] = field(default_factory=list)
    lead: str = ""
    radar: list[RadarLine] = field(default_factory=list)

    @property
    def release_count(self) -> int:
        """New releases listed (papers and earlier releases listed for an ``update`` not included)."""
        return sum(1 for g in self.groups for r in g.releases if r.update is None)

    @property
    def update_count(self) -> int:
        """Earlier releases listed for what they gained in the period (a report, new repos)."""
        return sum(1 for g in self.groups for r in g.releases if r.update is not None)

    @property
    def empty(self) -> bool:
        """True when the period has neither releases nor papers for this subscription."""
        return not self.groups and not self.papers

    @property
    def noun(self) -> str:
        """``week`` or ``day``."""
        return "week" if self.period == "weekly" else "day"

    def top_releases(self, n: int = 3) -> list[DigestRelease]:
        """The ``n`` releases with the most repos (ties: earliest id first), for the subject line."""
        releases = [r for g in self.groups for r in g.releases if r.update is None]
        return sorted(releases, key=lambda r: (-r.variant_count, r.id))[:n]

    def to_dict(self) -> dict[str, Any]:
        """Return the digest as plain JSON values (stored in ``Delivery.payload["digest"]``)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Digest:
        """Rebuild a digest from ``to_dict`` output (a delivery payload).

        Raises:
            KeyError / TypeError: the payload is not a digest.
        """

        def rel(r: Mapping[str, Any]) -> DigestRelease:
            return DigestRelease(
                **{
                    **r,
                    "links": [DigestLink(**link) for link in r.get("links", [])],
                    "reports": [DigestLink(**link) for link in r.get("reports", [])],
                }
            )

        def row(c: Mapping[str, Any]) -> CadenceRow:
            return CadenceRow(**{**c, "weekly": [tuple(w) for w in c.get("weekly", [])]})

        return cls(
            **{k: data[k] for k in ("period", "start", "end", "timezone", "label", "generated_at")},
            groups=[LabGroup(**{**g, "releases": [rel(r) for r in g["releases"]]}) for g in data.get("groups", [])],
            papers=[DigestPaper(**p) for p in data.get("papers", [])],
            cadence=[row(c) for c in data.get("cadence", [])],
            silent=[row(c) for c in data.get("silent", [])],
            countries=[CountryShare(**c) for c in data.get("countries", [])],
            lead=data.get("lead", ""),
            radar=[RadarLine.from_dict(x) for x in data.get("radar", [])],
        )
