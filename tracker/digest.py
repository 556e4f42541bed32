"""Email digests: select and build one period's content, and create its keyed deliveries.

A digest covers one **period**: a day (local midnight to midnight) or an ISO week (Monday 00:00
to the next Monday 00:00), in the time zone ``TRACKER_DIGEST_TIMEZONE`` (IANA name, default UTC);
its bounds are stored and compared in UTC. ``period_for`` returns the last *completed* period at
a given time: a weekly digest sent on Monday morning covers the week that just ended.

Content (``build_digest``, read-only, one session):

1. new releases whose ``released_at`` falls in the period, grouped by lab (most active lab
   first): title, sizes, MoE total/active, licence (Hub ``license:`` tag), variant count and
   breakdown, links (Hub repo or search, arXiv); a release is included when one of its live
   artifacts passes the subscription's filter (``tracker.subscriptions.matches``, THE filter
   every channel uses; quantized-only re-uploads therefore stay out unless asked for);
2. papers (releases of kind ``paper``) of the period;
3. the cadence story from ``tracker.analytics`` (model releases only, the labs the subscription
   follows): releases this period per lab against that lab's trailing 8-week weekly average
   (``rate_8w`` as of the period start: the 8 weeks *before* the period), days since each lab's
   last release (as of the period end), the longest-silent labs, and the share of model
   releases by country in the period (every watched lab);
4. the numbers behind the chart: releases per ISO week (UTC weeks) per lab over the 12 weeks
   ending with the period, drawn by ``tracker.charts.cadence_chart``.

An empty period gives a short "quiet" digest, or none when ``TRACKER_DIGEST_SEND_EMPTY`` is
false. ``create_digest_deliveries`` creates one ``Delivery`` (kind ``digest``) per email
subscription with that digest period, keyed ``digest:<subscription id>:<period>:<start ISO>``,
so a retried or duplicated digest task never sends twice; the content is frozen into the
delivery's ``payload`` and rendered by ``tracker.notify.email`` at send time.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import analytics
from tracker.config import Settings
from tracker.domain import as_utc, utcnow
from tracker.errors import ConfigError
from tracker.store.models import Artifact, Delivery, Lab, Release
from tracker.subscriptions import AlertFacts, matches

log = logging.getLogger(__name__)

DAILY, WEEKLY = "daily", "weekly"
PERIODS = (DAILY, WEEKLY)
#: Weeks of history in the chart and in each lab's cadence row.
CHART_WEEKS = 12
#: Trailing window, in weeks, of the "usual" weekly rate a period is compared with.
TRAILING_WEEKS = 8
#: How many of the longest-silent labs the digest names.
SILENT_LABS = 3
#: Release kinds counted as "shipping" in the cadence section.
CADENCE_KINDS = analytics.DEFAULT_CADENCE_KINDS
ARXIV_ABS_URL = "https://arxiv.org/abs/{}"


# --------------------------------------------------------------------------- periods


def zone(name: str) -> ZoneInfo:
    """Return the IANA time zone ``name`` (``UTC``, ``Europe/Paris``).

    Raises:
        ConfigError: unknown zone.
    """
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {name!r} (TRACKER_DIGEST_TIMEZONE): {exc}") from None


@dataclass(frozen=True, slots=True)
class Period:
    """One digest period.

    Attributes:
        kind (str): ``daily`` | ``weekly``.
        start / end (datetime): bounds in UTC, start inclusive, end exclusive (local midnights).
        timezone (str): the IANA zone the bounds were computed in.
    """

    kind: str
    start: datetime
    end: datetime
    timezone: str = "UTC"

    @property
    def local_start(self) -> datetime:
        """``start`` in the period's time zone."""
        return self.start.astimezone(zone(self.timezone))

    @property
    def local_last_day(self) -> date:
        """The last local day of the period (``end`` minus one day)."""
        return (self.end.astimezone(zone(self.timezone)) - timedelta(days=1)).date()

    @property
    def label(self) -> str:
        """``week 18 · 28 Apr – 4 May 2025`` or ``Thu 1 May 2025`` (local dates)."""
        first, last = self.local_start.date(), self.local_last_day
        if self.kind == DAILY:
            return f"{first:%a} {first.day} {first:%b %Y}"
        same_month = (first.year, first.month) == (last.year, last.month)
        head = f"{first.day}" if same_month else f"{first.day} {first:%b}" + ("" if first.year == last.year else f" {first.year}")
        return f"week {first.isocalendar()[1]} · {head} – {last.day} {last:%b %Y}"

    @property
    def noun(self) -> str:
        """``week`` or ``day`` (for sentences: "a quiet week")."""
        return "week" if self.kind == WEEKLY else "day"


def period_for(kind: str, at: datetime, tz: str = "UTC") -> Period:
    """Return the last completed ``kind`` period at ``at`` (it ends at or before ``at``).

    Args:
        kind (str): ``daily`` | ``weekly``.
        at (datetime): the moment the digest is made (aware, or naive UTC).
        tz (str): IANA time zone of the period boundaries.

    Returns:
        Period: bounds in UTC. Daily: the local day before ``at``'s local day. Weekly: the
        Monday-to-Monday local week before the week containing ``at``.

    Raises:
        ConfigError: unknown ``kind`` or time zone.
    """
    if kind not in PERIODS:
        raise ConfigError(f"digest period must be daily or weekly, got {kind!r}")
    tzinfo = zone(tz)
    today = as_utc(at).astimezone(tzinfo).date()
    end_day = today if kind == DAILY else today - timedelta(days=today.weekday())
    start_day = end_day - timedelta(days=1 if kind == DAILY else 7)

    def midnight(d: date) -> datetime:  # local midnight of each day on its own: DST-correct
        return datetime(d.year, d.month, d.day, tzinfo=tzinfo).astimezone(UTC)

    return Period(kind, midnight(start_day), midnight(end_day), tz)


def digest_key(subscription_id: int, period: Period) -> str:
    """Return the delivery idempotency key ``digest:<subscription id>:<kind>:<start ISO UTC>``.

    The kind is part of the key so that a subscription switched from daily to weekly cannot
    collide with the daily digest that started on the same Monday.
    """
    return f"digest:{subscription_id}:{period.kind}:{period.start.isoformat().replace('+00:00', 'Z')}"


# --------------------------------------------------------------------------- content


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
        trend (str): ``above`` | ``usual`` | ``below`` | ``none`` (see ``_trend``).
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

    @property
    def release_count(self) -> int:
        """Releases listed (papers not included)."""
        return sum(len(g.releases) for g in self.groups)

    @property
    def empty(self) -> bool:
        """True when the period has neither releases nor papers for this subscription."""
        return not self.groups and not self.papers

    @property
    def noun(self) -> str:
        """``week`` or ``day``."""
        return "week" if self.period == WEEKLY else "day"

    def top_releases(self, n: int = 3) -> list[DigestRelease]:
        """The ``n`` releases with the most repos (ties: earliest id first), for the subject line."""
        releases = [r for g in self.groups for r in g.releases]
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
            return DigestRelease(**{**r, "links": [DigestLink(**link) for link in r.get("links", [])]})

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
        )


def _iso(value: datetime) -> str:
    return as_utc(value).isoformat().replace("+00:00", "Z")


def _fmt_b(value: float) -> str:
    return f"{value:g}B"


def release_passes(filters: Mapping[str, Any], release: Release) -> bool:
    """Return True when one of the release's live artifacts passes ``filters`` (THE filter).

    Facts per artifact: the lab's slug and country, the release kind, the artifact's variant
    kinds, total parameters (billions), the release significance and the artifact's licence
    (Hub ``license:`` tag in ``Artifact.attrs``).
    """
    live = [a for a in release.artifacts if a.withdrawn_at is None] or list(release.artifacts)
    base = dict(lab=release.lab.slug, country=release.lab.country, kind=release.kind,
                significance=release.significance)
    if not live:
        return matches(filters, AlertFacts(**base))
    return any(matches(filters, AlertFacts(**base, variant_kinds=tuple(a.kinds or ()),
                                           params_total_b=a.params_total_b,
                                           licence=(a.attrs or {}).get("license")))
               for a in live)


def _variant_summary(models: Sequence[Artifact]) -> list[str]:
    kinds: Counter[str] = Counter()
    quants: Counter[str] = Counter()
    for a in models:
        kinds.update(k for k in a.kinds or () if k != "quantized")
        if a.quantization:
            quants[a.quantization] += 1
    return ([f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))]
            + [f"{n} {q}" for q, n in sorted(quants.items(), key=lambda kv: (-kv[1], kv[0]))])


def _hub_search(models: Sequence[Artifact]) -> DigestLink | None:
    """A Hub search link covering a multi-repo launch (``?search=<common prefix>``)."""
    hub = [a for a in models if a.source == "hf" and a.url.endswith("/" + a.name)]
    if len(hub) < 2:
        return None
    names = sorted(a.name for a in hub)
    lo, hi, i = names[0], names[-1], 0
    while i < min(len(lo), len(hi)) and lo[i] == hi[i]:
        i += 1
    prefix = lo[:i].rstrip("-_. ")
    if "/" not in prefix:
        return None
    base = hub[0].url[: -len(hub[0].name) - 1]
    return DigestLink(f"all {len(hub)} repos", f"{base}/models?search={quote(prefix, safe='')}")


def _digest_release(session: Session, release: Release) -> DigestRelease:
    from tracker.store.queries import papers_for_release

    live = [a for a in release.artifacts if a.withdrawn_at is None]
    models = [a for a in live if a.kind != "paper"]
    sized = sorted({(a.params_total_b, a.params_active_b or 0.0, a.size_label) for a in models
                    if a.params_total_b is not None and a.size_label})
    sizes = list(dict.fromkeys(label for _, _, label in sized))
    moe_sizes = [(t, act) for t, act, _ in sized if act]
    moe = f"{_fmt_b(moe_sizes[-1][0])} total / {_fmt_b(moe_sizes[-1][1])} active" if moe_sizes else None
    lead = next((a for a in live if a.url == release.url), live[0] if live else None)
    licence = ((lead.attrs or {}).get("license") if lead else None) or next(
        ((a.attrs or {}).get("license") for a in models if (a.attrs or {}).get("license")), None)
    links: list[DigestLink] = []
    if lead is not None and lead.kind != "paper":
        links.append(DigestLink(lead.name, lead.url))
    if (search := _hub_search(models)) is not None:
        links.append(search)
    papers = [p for p, _ in papers_for_release(session=session, release_id=release.id)]
    links.extend(DigestLink(f"arXiv {p.external_id}", p.url) for p in papers[:2])
    if not papers:
        tagged = list(dict.fromkeys(i for a in models for i in (a.attrs or {}).get("arxiv_ids") or ()))
        links.extend(DigestLink(f"arXiv {i}", ARXIV_ABS_URL.format(i)) for i in tagged[:2])
    return DigestRelease(id=release.id, title=release.title, kind=release.kind, url=release.url,
                         released_at=_iso(release.released_at), sizes=sizes, moe=moe, licence=licence,
                         variant_count=len(live), variant_summary=_variant_summary(models), links=links)


def _digest_paper(release: Release) -> DigestPaper:
    paper = next((a for a in release.artifacts if a.kind == "paper"), None)
    authors = list((paper.attrs or {}).get("authors") or []) if paper else []
    return DigestPaper(title=release.title, url=paper.url if paper else release.url,
                       arxiv_id=paper.external_id if paper else "", lab=release.lab.slug,
                       lab_name=release.lab.name, authors=authors[:3], more_authors=max(0, len(authors) - 3))


def _lab_followed(filters: Mapping[str, Any], lab: Lab) -> bool:
    labs = filters.get("labs") or ()
    if labs and "*" not in labs and lab.slug not in labs:
        return False
    countries = {c.upper() for c in filters.get("countries") or ()}
    return not countries or lab.country.upper() in countries


def _trend(this_period: int, usual_per_week: float, period_days: float) -> str:
    """Classify a lab's period against its usual pace (``expected`` = usual rate x period length).

    ``above``: at least 2 releases and more than 1.5 x expected + 0.5; ``below``: the lab
    usually ships at least one release in a period this long (expected >= 1) and shipped less
    than half of it; ``usual``: it shipped otherwise; ``none``: nothing shipped and nothing
    expected.
    """
    expected = usual_per_week * period_days / 7
    if this_period >= 2 and this_period > expected * 1.5 + 0.5:
        return "above"
    if expected >= 1 and this_period < expected * 0.5:
        return "below"
    return "usual" if this_period else "none"


def build_cadence_rows(
    times: Mapping[str, Sequence[datetime]], labs: Mapping[str, Lab], period: Period
) -> list[CadenceRow]:
    """Build the cadence rows of ``labs`` from their model release times (pure).

    Args:
        times: lab slug -> ``released_at`` of its releases (any order; later ones ignored).
        labs: lab slug -> Lab row (name, country), the labs to include.
        period (Period): the digest period.

    Returns:
        list[CadenceRow]: most releases this period first, then fewest days since last, then slug.
    """
    rows = []
    period_days = (period.end - period.start).total_seconds() / analytics.DAY_S
    as_of_end = period.end - timedelta(microseconds=1)  # the period's last instant (its ISO week last)
    for slug, lab in labs.items():
        ts = times.get(slug, [])
        before = analytics.build_cadence(slug, ts, now=period.start - timedelta(microseconds=1), weeks=1)
        at_end = analytics.build_cadence(slug, ts, now=as_of_end, weeks=CHART_WEEKS)
        this_period = sum(1 for t in ts if period.start <= as_utc(t) < period.end)
        usual = before.rates[TRAILING_WEEKS]
        rows.append(CadenceRow(
            lab=slug, lab_name=lab.name, country=lab.country, this_period=this_period,
            usual_per_week=round(usual, 3),
            days_since_last=None if at_end.days_since_last is None else round(at_end.days_since_last, 2),
            trend=_trend(this_period, usual, period_days),
            weekly=[(w.week, w.start.isoformat(), w.releases) for w in at_end.weekly],
        ))
    rows.sort(key=lambda r: (-r.this_period, r.days_since_last if r.days_since_last is not None else 1e9, r.lab))
    return rows


def _country_shares(session: Session, period: Period) -> list[CountryShare]:
    months = analytics.country_release_share(session=session, since=period.start, until=period.end,
                                             kinds=CADENCE_KINDS)
    counts: Counter[str] = Counter()
    for m in months:
        counts.update(m.counts)
    total = sum(counts.values())
    return [CountryShare(c, n, n / total) for c, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def build_lead(digest: Digest) -> str:
    """Return the digest's opening sentences (pure): counts, the biggest launch, who ran hot or cold."""
    if digest.empty:
        silent = digest.silent[0] if digest.silent else None
        tail = (f" {silent.lab_name} has now been silent for {silent.days_since_last:.0f} days."
                if silent and silent.days_since_last is not None else "")
        return f"A quiet {digest.noun}: no new releases or papers from the labs you follow.{tail}"
    parts = []
    n, labs = digest.release_count, len(digest.groups)
    if n:
        parts.append(f"{_plural(n, 'new release')} from {_plural(labs, 'lab')}"
                     + (f" and {_plural(len(digest.papers), 'paper')}" if digest.papers else "") + f" this {digest.noun}.")
    else:
        parts.append(f"No new model releases this {digest.noun}, but {_plural(len(digest.papers), 'paper')}.")
    releases = [(g, r) for g in digest.groups for r in g.releases]
    if releases:
        g, r = max(releases, key=lambda gr: (gr[1].variant_count, -gr[1].id))
        if r.variant_count > 1:
            span = f", {r.sizes[0]} to {r.sizes[-1]}" if len(r.sizes) > 1 else ""
            parts.append(f"The biggest launch: {g.lab_name}'s {r.title} ({r.variant_count} repos{span}).")
    hot = [c for c in digest.cadence if c.trend == "above"]
    if hot:
        c = hot[0]
        parts.append(f"{c.lab_name} shipped {c.this_period} against a usual {c.usual_per_week:.1f} per week.")
    return " ".join(parts)


def build_digest(
    *,
    session: Session,
    period: Period,
    filters: Mapping[str, Any] | None = None,
    lab_slugs: Iterable[str] | None = None,
    now: datetime | None = None,
) -> Digest:
    """Build one period's digest for a subscription's ``filters`` (read-only).

    Args:
        session (Session): an open session (never committed).
        period (Period): from ``period_for``.
        filters (Mapping, optional): the subscription's filter dict (``tracker.subscriptions``);
            None or empty = everything (quantized-only releases excepted).
        lab_slugs (Iterable[str], optional): the watched labs (watchlist) for the cadence
            section; None = every stored lab.
        now (datetime, optional): recorded as ``generated_at`` (UTC); defaults to now.

    Returns:
        Digest: see the module docstring for each section.
    """
    from tracker.store.queries import ReleaseFilter, list_releases

    filters = dict(filters or {})
    rows = [r for r in list_releases(session=session, flt=ReleaseFilter(since=period.start, until=period.end))
            if r.artifacts and not all(a.withdrawn_at is not None for a in r.artifacts)]
    rows = [r for r in rows if release_passes(filters, r)]
    rows.sort(key=lambda r: (r.released_at, r.id))
    groups: dict[str, LabGroup] = {}
    papers = []
    for r in rows:
        if r.kind == "paper":
            papers.append(_digest_paper(r))
            continue
        group = groups.setdefault(r.lab.slug, LabGroup(r.lab.slug, r.lab.name, r.lab.country))
        group.releases.append(_digest_release(session, r))
    ordered = sorted(groups.values(), key=lambda g: (-len(g.releases), -max(x.variant_count for x in g.releases), g.lab))

    wanted = set(lab_slugs) if lab_slugs is not None else None
    labs = {lab.slug: lab for lab in session.scalars(select(Lab).order_by(Lab.slug))
            if (wanted is None or lab.slug in wanted) and _lab_followed(filters, lab)}
    times = analytics.load_release_times(session=session, kinds=CADENCE_KINDS, until=period.end)
    cadence = build_cadence_rows(times, labs, period)
    silent = sorted((c for c in cadence if c.days_since_last is not None),
                    key=lambda c: (-(c.days_since_last or 0), c.lab))[:SILENT_LABS]
    digest = Digest(
        period=period.kind, start=_iso(period.start), end=_iso(period.end), timezone=period.timezone,
        label=period.label, generated_at=_iso(now or utcnow()), groups=ordered, papers=papers,
        cadence=cadence, silent=silent, countries=_country_shares(session, period),
    )
    return Digest(**{**{f: getattr(digest, f) for f in digest.__dataclass_fields__}, "lead": build_lead(digest)})


def chart_cadences(digest: Digest) -> list[analytics.Cadence]:
    """Return the digest's chart rows as ``analytics.Cadence`` objects for ``charts.cadence_chart``.

    Only the labs with at least one release in the chart's weeks are drawn. Only ``lab`` and
    ``weekly`` are meaningful in the returned objects (the chart reads nothing else).
    """
    out = []
    as_of = datetime.fromisoformat(digest.end.replace("Z", "+00:00"))
    for c in digest.cadence:
        weekly = tuple(analytics.WeekCount(w, date.fromisoformat(d), n) for w, d, n in c.weekly)
        if not any(w.releases for w in weekly):
            continue
        out.append(analytics.Cadence(
            lab=c.lab, as_of=as_of, releases=sum(w.releases for w in weekly), first_release_at=None,
            last_release_at=None, weekly=weekly, gaps_days=(), median_gap_days=None, longest_gap_days=None,
            days_since_last=c.days_since_last, rates={TRAILING_WEEKS: c.usual_per_week}, streak_weeks=0))
    return out


def render_chart(digest: Digest) -> bytes:
    """Return the digest's cadence chart as PNG bytes (``tracker.charts.cadence_chart``)."""
    from tracker.charts import cadence_chart

    weeks = len(digest.cadence[0].weekly) if digest.cadence else CHART_WEEKS
    return cadence_chart(chart_cadences(digest), "png",  # type: ignore[return-value]
                         title=f"Model releases per ISO week, last {weeks} weeks")


# --------------------------------------------------------------------------- deliveries


def unsubscribe_url(settings: Settings, *, subscription_id: int, email: str) -> str | None:
    """Return ``TRACKER_DIGEST_UNSUBSCRIBE_URL`` with ``{subscription_id}`` and ``{email}`` filled
    in (URL-quoted), or None when no link is configured."""
    template = settings.digest_unsubscribe_url
    if not template:
        return None
    return template.replace("{subscription_id}", str(subscription_id)).replace("{email}", quote(email, safe=""))


@dataclass(slots=True)
class DigestRun:
    """What ``create_digest_deliveries`` did.

    Attributes:
        period (Period): the period covered.
        created (list[int]): deliveries created by this run (to send).
        pending (list[int]): deliveries of this period that already existed and are still
            pending (a retry after a failure; sending them again is safe: they are claimed).
        existing (int): subscriptions whose digest for the period already existed.
        skipped (dict[str, str]): channels that got no digest, and why.
    """

    period: Period
    created: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)
    existing: int = 0
    skipped: dict[str, str] = field(default_factory=dict)


def create_digest_deliveries(
    store: Any,
    *,
    settings: Settings,
    watchlist: Any,
    period_kind: str,
    at: datetime | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> DigestRun:
    """Create one keyed ``digest`` delivery per email subscription with digest ``period_kind``.

    Safe to run any number of times for the same period: the key
    ``digest:<subscription id>:<kind>:<start>`` exists once, so a repeated or concurrent run
    creates nothing more (and builds no content for it). One transaction.

    Args:
        store (Store): the database.
        settings (Settings): digest time zone, quiet-period setting, unsubscribe link, and the
            channel checks (``tracker.notify.channel_problem``: SMTP configured).
        watchlist (Watchlist): its subscriptions are synced first; its labs are the cadence labs.
        period_kind (str): ``daily`` | ``weekly``.
        at (datetime, optional): when the digest is made (UTC); the last period completed by
            then is covered. Defaults to ``clock()``.
        clock (callable, optional): returns the current UTC time (``created_at``).

    Returns:
        DigestRun: the period and the deliveries to send.

    Raises:
        ConfigError: unknown period kind or time zone.
    """
    from tracker.deliveries import PENDING, create_delivery
    from tracker.notify import channel_problem
    from tracker.subscriptions import list_active, sync_subscriptions

    now = clock()
    period = period_for(period_kind, at or now, settings.digest_timezone)
    run = DigestRun(period)
    with store.transaction() as session:
        sync_subscriptions(session=session, subscriptions=watchlist.subscriptions, now=now)
        subs = [s for s in list_active(session=session) if s.digest == period_kind]
        for sub in subs:
            key = digest_key(sub.id, period)
            found = session.scalars(select(Delivery).where(Delivery.idempotency_key == key)).first()
            if found is not None:
                run.existing += 1
                if found.status == PENDING:
                    run.pending.append(found.id)
                continue
            if not sub.channel.startswith("email:"):
                run.skipped[sub.channel] = "digests are sent by email only"
                continue
            problem = channel_problem(settings, sub.channel)
            if problem is not None:
                run.skipped[sub.channel] = problem
                log.warning("no %s digest for %s: %s", period_kind, sub.channel, problem)
                continue
            digest = build_digest(session=session, period=period, filters=sub.filters,
                                  lab_slugs=[lab.slug for lab in watchlist.labs], now=now)
            if digest.empty and not settings.digest_send_empty:
                run.skipped[sub.channel] = f"nothing new this {period.noun} (TRACKER_DIGEST_SEND_EMPTY is off)"
                continue
            payload = {"digest": digest.to_dict(),
                       "unsubscribe_url": unsubscribe_url(settings, subscription_id=sub.id,
                                                          email=sub.channel.partition(":")[2])}
            row = create_delivery(session=session, idempotency_key=key, kind="digest", channel=sub.channel,
                                  now=now, subscription_id=sub.id, payload=payload)
            if row is None:  # a concurrent run created it first
                run.existing += 1
                continue
            session.flush()
            run.created.append(row.id)
            log.info("%s digest %s for %s: %d releases, %d papers (delivery %d)", period_kind, period.label,
                     sub.channel, digest.release_count, len(digest.papers), row.id)
    return run


def send_digests(
    store: Any,
    *,
    settings: Settings,
    watchlist: Any,
    period_kind: str,
    at: datetime | None = None,
    clock: Callable[[], datetime] = utcnow,
    notifier_for: Callable[[str], Any] | None = None,
) -> tuple[DigestRun, list[Any]]:
    """Create the period's digest deliveries and send them now, in this process (``tracker digest --send``).

    A failed send stays ``pending`` with a backoff (``tracker.deliver``); a worker's sweep or
    the next ``--send`` retries it.

    Returns:
        tuple[DigestRun, list[DeliveryOutcome]]: what was created, and one outcome per send tried.
    """
    from tracker.deliver import deliver_one

    run = create_digest_deliveries(store, settings=settings, watchlist=watchlist, period_kind=period_kind,
                                   at=at, clock=clock)
    outcomes = [deliver_one(store, i, settings=settings, notifier_for=notifier_for, clock=clock)
                for i in run.created + run.pending]
    return run, outcomes
