"""The weekly pulse's content, built read-only from the stored releases, and its chart.

For an ISO week in a time zone (``tracker.briefings.pulse.weeks``):

* **releases this week** by lab and by country: releases of the counted kinds (``model`` by
  default, one per launch, like ``tracker.analytics``) with ``start <= released_at < end`` and
  ``released_at <= as_of`` (``as_of`` = the earlier of the week's end and "now": a week in
  progress is counted so far);
* **country share against the trailing average**: a country's share this week
  (``country releases / all releases``) next to its pooled share over the ``trailing_weeks``
  (default 12) ISO weeks before (``country releases in them / all releases in them``), and the
  difference in percentage points;
* **each lab's status** as of ``as_of`` (``tracker.analytics.status``: bursting, quiet, on
  cadence, new);
* **adoption**: model releases of the ``ADOPTION_DAYS`` days up to ``as_of`` whose relative
  adoption has a ratio as of ``as_of`` (``tracker.adoption.relative``: downloads against the
  median of earlier releases of the same size bucket at the same age), fastest first, at most
  ``ADOPTION_LINES``; none when no release has enough history;
* **new on the radar**: orgs outside the watchlist whose radar score first reached the alert
  score this week (``start <= crossed_at <= as_of``; ``tracker.briefings.radar``);
* **the cadence chart** (``tracker.analytics.charts.cadence_chart``: releases per UTC ISO week
  per lab over the 12 weeks up to ``as_of``).

The content is ``tracker.notify.content.Pulse``, which the transports render.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import analytics
from tracker.adoption.relative import adoption_sentence, relative_by_release
from tracker.analytics import DEFAULT_CADENCE_KINDS
from tracker.analytics.status import CadenceRules, lab_statuses
from tracker.briefings.pulse.weeks import parse_week, week_bounds
from tracker.briefings.radar import new_on_radar
from tracker.config.groups import DEFAULT_HF_ENDPOINT
from tracker.domain import as_utc
from tracker.notify.content import AdoptionLine, CountryWeek, LabWeek, Pulse, PulseRules
from tracker.store.models import Lab, Release

#: ISO weeks before the pulse week that make the trailing average.
TRAILING_WEEKS = 12
#: ISO weeks of the cadence chart in the pulse.
CHART_WEEKS = 12
#: Releases this many days old or younger are candidates for the adoption lines (relative
#: adoption compares downloads at an age of at most 30 days).
ADOPTION_DAYS = 30
#: At most this many adoption lines.
ADOPTION_LINES = 5
#: ``as_of`` itself is inside the week counted so far (the radar's bound is exclusive).
_JUST_AFTER = timedelta(microseconds=1)


def build_pulse(
    *,
    session: Session,
    week: str,
    tz: ZoneInfo,
    now: datetime,
    rules: CadenceRules,
    trailing_weeks: int = TRAILING_WEEKS,
    kinds: Collection[str] | None = DEFAULT_CADENCE_KINDS,
    hub_url: str = DEFAULT_HF_ENDPOINT,
) -> Pulse:
    """Build the pulse of one ISO week from the stored releases (read only).

    Args:
        session (Session): read only. week (str): ``2025-W18`` (in ``tz``). tz (ZoneInfo).
        now (datetime): the current time (UTC); later releases are not counted.
        rules (CadenceRules): status thresholds. trailing_weeks (int): weeks of the average.
        kinds: release kinds counted (None = all).
        hub_url (str): the base of the radar section's Hub links (``settings.hub.web_base``).

    Returns:
        Pulse: see the module docstring for the formulas.

    Raises:
        ConfigError: a bad week key.
    """
    start, end = week_bounds(week, tz)
    year, num = parse_week(week)
    trailing_start = datetime.combine(
        date.fromisocalendar(year, num, 1) - timedelta(weeks=trailing_weeks), time(0), tzinfo=tz
    ).astimezone(UTC)
    as_of = min(end, as_utc(now))
    stmt = (
        select(Lab.slug, Lab.name, Lab.country, Release.title, Release.released_at)
        .join(Release, Release.lab_id == Lab.id)
        .where(Release.released_at >= trailing_start, Release.released_at < end, Release.released_at <= as_of)
        .order_by(Release.released_at, Release.id)
    )
    if kinds is not None:
        stmt = stmt.where(Release.kind.in_(list(kinds)))
    per_lab: dict[str, list[str]] = defaultdict(list)
    lab_info: dict[str, tuple[str, str]] = {}
    this_week: Counter[str] = Counter()
    trailing: Counter[str] = Counter()
    for slug, name, country, title, at in session.execute(stmt):
        if as_utc(at) >= start:
            per_lab[slug].append(title)
            lab_info[slug] = (name, country)
            this_week[country] += 1
        else:
            trailing[country] += 1
    total, trailing_total = sum(this_week.values()), sum(trailing.values())
    labs = _lab_weeks(per_lab, lab_info)
    countries = _country_weeks(this_week, trailing)
    statuses = lab_statuses(session=session, now=as_of, rules=rules, kinds=kinds)
    names = dict(session.execute(select(Lab.slug, Lab.name)).all())
    return Pulse(
        week=week,
        timezone=tz.key,
        start=start,
        end=end,
        as_of=as_of,
        total=total,
        labs=labs,
        countries=countries,
        statuses=tuple(statuses.values()),
        lab_names=names,
        trailing_weeks=trailing_weeks,
        trailing_total=trailing_total,
        kinds=tuple(kinds) if kinds is not None else None,
        rules=PulseRules(quiet_factor_k=rules.quiet_factor_k, burst_min_releases=rules.burst_min_releases),
        adoption=_adoption_lines(session, as_of),
        radar=tuple(new_on_radar(session, start=start, end=min(end, as_of + _JUST_AFTER), hub_url=hub_url)),
    )


def _adoption_lines(session: Session, as_of: datetime) -> tuple[AdoptionLine, ...]:
    """Recent model releases with a relative-adoption ratio as of ``as_of``, fastest first."""
    stmt = (
        select(Release.id, Release.title, Lab.name)
        .join(Lab, Lab.id == Release.lab_id)
        .where(
            Release.kind == "model",
            Release.merged_into_id.is_(None),
            Release.withdrawn_at.is_(None),
            Release.released_at >= as_of - timedelta(days=ADOPTION_DAYS),
            Release.released_at <= as_of,
        )
    )
    recent = {i: (title, lab) for i, title, lab in session.execute(stmt)}
    lines = []
    for release_id, rel in relative_by_release(session, recent, now=as_of).items():
        sentence = adoption_sentence(rel)
        if sentence is not None and rel.downloads_ratio is not None:
            title, lab = recent[release_id]
            lines.append(AdoptionLine(lab, title, rel.downloads_ratio, sentence))
    lines.sort(key=lambda a: (-a.ratio, a.lab_name, a.title))
    return tuple(lines[:ADOPTION_LINES])


def _lab_weeks(per_lab: dict[str, list[str]], lab_info: dict[str, tuple[str, str]]) -> tuple[LabWeek, ...]:
    """Each lab's releases of the week (titles in release order), busiest lab first."""
    weeks = (
        LabWeek(slug, lab_info[slug][0], lab_info[slug][1], len(titles), tuple(titles))
        for slug, titles in per_lab.items()
    )
    return tuple(sorted(weeks, key=lambda w: (-w.releases, w.lab)))


def _country_weeks(this_week: Counter[str], trailing: Counter[str]) -> tuple[CountryWeek, ...]:
    """Each country's releases and share this week and over the trailing weeks, most releases first."""
    total, trailing_total = sum(this_week.values()), sum(trailing.values())
    weeks = (
        CountryWeek(
            c,
            this_week[c],
            this_week[c] / total if total else 0.0,
            trailing[c],
            trailing[c] / trailing_total if trailing_total else None,
        )
        for c in set(this_week) | set(trailing)
    )
    return tuple(sorted(weeks, key=lambda c: (-c.releases, -c.trailing_releases, c.country)))


def build_chart_png(*, session: Session, pulse: Pulse) -> bytes:
    """The cadence chart of the pulse: releases per UTC ISO week per lab, 12 weeks to ``as_of`` (PNG bytes)."""
    # Imported here: matplotlib takes about a second to import (python -X importtime), and most
    # users of the pulse (``tracker pulse`` without --chart, schedule checks) never draw it.
    from tracker.analytics import charts

    last = min(pulse.as_of, pulse.end - timedelta(microseconds=1))  # the pulse week is the last column
    cadences = analytics.lab_cadences(session=session, now=last, weeks=CHART_WEEKS, kinds=pulse.kinds)
    cadences = [c for c in cadences if any(w.releases for w in c.weekly)] or cadences
    title = f"Releases per ISO week, 12 weeks to {pulse.week}"
    return charts.cadence_chart(cadences, "png", title=title)  # type: ignore[return-value]
