"""The digest's cadence section and its chart.

Content items 3 and 4 of ``tracker.briefings.digest.build``, from ``tracker.analytics`` (model releases
only): releases this period per lab against that lab's trailing 8-week weekly average
(``rate_8w`` as of the period start: the 8 weeks *before* the period), days since each lab's
last release (as of the period end), the share of model releases by country in the period, and
releases per ISO week (UTC weeks) per lab over the 12 weeks ending with the period, drawn by
``tracker.analytics.charts.cadence_chart``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from tracker import analytics
from tracker.briefings.digest.periods import Period
from tracker.domain import as_utc
from tracker.notify.content import CadenceRow, CountryShare, Digest
from tracker.store.models import Lab

#: Weeks of history in the chart and in each lab's cadence row.
CHART_WEEKS = 12
#: Trailing window, in weeks, of the "usual" weekly rate a period is compared with.
TRAILING_WEEKS = 8
#: Release kinds counted as "shipping" in the cadence section.
CADENCE_KINDS = analytics.DEFAULT_CADENCE_KINDS


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
        rows.append(
            CadenceRow(
                lab=slug,
                lab_name=lab.name,
                country=lab.country,
                this_period=this_period,
                usual_per_week=round(usual, 3),
                days_since_last=None if at_end.days_since_last is None else round(at_end.days_since_last, 2),
                trend=_trend(this_period, usual, period_days),
                weekly=[(w.week, w.start.isoformat(), w.releases) for w in at_end.weekly],
            )
        )
    rows.sort(key=lambda r: (-r.this_period, r.days_since_last if r.days_since_last is not None else 1e9, r.lab))
    return rows


def country_shares(session: Session, period: Period) -> list[CountryShare]:
    """Share of the period's model releases by country (every stored lab), largest first."""
    months = analytics.country_release_share(session=session, since=period.start, until=period.end, kinds=CADENCE_KINDS)
    counts: Counter[str] = Counter()
    for m in months:
        counts.update(m.counts)
    total = sum(counts.values())
    return [CountryShare(c, n, n / total) for c, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


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
        out.append(
            analytics.Cadence(
                lab=c.lab,
                as_of=as_of,
                releases=sum(w.releases for w in weekly),
                first_release_at=None,
                last_release_at=None,
                weekly=weekly,
                gaps_days=(),
                median_gap_days=None,
                longest_gap_days=None,
                days_since_last=c.days_since_last,
                rates={TRAILING_WEEKS: c.usual_per_week},
                streak_weeks=0,
            )
        )
    return out


def render_chart(digest: Digest) -> bytes:
    """Return the digest's cadence chart as PNG bytes (``tracker.analytics.charts.cadence_chart``)."""
    # Imported here: matplotlib takes about a second to import (python -X importtime), and only a
    # digest actually created draws it (most digest runs find it created already, or no subscriber).
    from tracker.analytics.charts import cadence_chart

    weeks = len(digest.cadence[0].weekly) if digest.cadence else CHART_WEEKS
    return cadence_chart(
        chart_cadences(digest),
        "png",  # type: ignore[return-value]
        title=f"Model releases per ISO week, last {weeks} weeks",
    )
