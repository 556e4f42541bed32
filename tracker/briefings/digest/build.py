"""Build one period's digest for a subscription (read-only, one session).

Content (``build_digest``):

1. new releases whose ``released_at`` falls in the period, grouped by lab (most active lab
   first): title, sizes, MoE total/active, licence (Hub ``license:`` tag), variant count and
   breakdown, links (Hub repo or search, arXiv), its relative adoption as of the period's end
   when it has a ratio (``tracker.adoption.relative``: downloads against the median of earlier
   releases of its size bucket at the same age; no line otherwise); a release is included when one of its live
   artifacts passes the subscription's filter (``tracker.outbox.subscriptions.matches``, THE filter
   every channel uses; quantized-only re-uploads therefore stay out unless asked for), with the
   technical reports that joined each launch; withdrawn releases are dropped. An earlier launch
   that gained a report or repos in the period is listed too, marked with what it gained
   (``update``): that is how email readers, who get one email per release, learn of them;
2. papers (releases of kind ``paper``) of the period, except reports that joined their launch;
3. the cadence story from ``tracker.analytics`` (model releases only, the labs the subscription
   follows): releases this period per lab against that lab's trailing 8-week weekly average
   (``rate_8w`` as of the period start: the 8 weeks *before* the period), days since each lab's
   last release (as of the period end), the longest-silent labs, and the share of model
   releases by country in the period (every watched lab);
4. new on the radar: orgs outside the watchlist whose radar score first reached the alert score
   in the period, for subscriptions that follow no particular lab (``tracker.briefings.radar``);
5. the numbers behind the chart: releases per ISO week (UTC weeks) per lab over the 12 weeks
   ending with the period, drawn by ``tracker.analytics.charts.cadence_chart``.

An empty period gives a short "quiet" digest (``build_lead``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import analytics
from tracker.adoption.relative import adoption_sentence, relative_by_release
from tracker.briefings.digest.cadence import CADENCE_KINDS, build_cadence_rows, country_shares
from tracker.briefings.digest.periods import Period, iso_z
from tracker.briefings.digest.releases import (
    digest_paper,
    digest_release,
    lab_followed,
    release_passes,
    updated_in_period,
)
from tracker.briefings.radar import new_on_radar
from tracker.config.groups import DEFAULT_HF_ENDPOINT
from tracker.domain import utcnow
from tracker.notify.content import Digest, LabGroup
from tracker.store.models import Lab, Release
from tracker.store.queries import ReleaseFilter, list_releases

#: How many of the longest-silent labs the digest names.
SILENT_LABS = 3


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def build_lead(digest: Digest) -> str:
    """Return the digest's opening sentences (pure): counts, the biggest launch, who ran hot or cold."""
    if digest.empty:
        silent = digest.silent[0] if digest.silent else None
        tail = (
            f" {silent.lab_name} has now been silent for {silent.days_since_last:.0f} days."
            if silent and silent.days_since_last is not None
            else ""
        )
        return f"A quiet {digest.noun}: no new releases or papers from the labs you follow.{tail}"
    parts = []
    n, labs = digest.release_count, len(digest.groups)
    if n:
        parts.append(
            f"{_plural(n, 'new release')} from {_plural(labs, 'lab')}"
            + (f" and {_plural(len(digest.papers), 'paper')}" if digest.papers else "")
            + f" this {digest.noun}."
        )
    elif digest.papers:
        parts.append(f"No new model releases this {digest.noun}, but {_plural(len(digest.papers), 'paper')}.")
    else:
        parts.append(f"No new model releases this {digest.noun}.")
    if updates := digest.update_count:
        have = "release has" if updates == 1 else "releases have"
        parts.append(f"{updates} earlier {have} news (technical reports, new repos).")
    releases = [(g, r) for g in digest.groups for r in g.releases if r.update is None]
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
    hub_url: str = DEFAULT_HF_ENDPOINT,
) -> Digest:
    """Build one period's digest for a subscription's ``filters`` (read-only).

    Args:
        session (Session): an open session (never committed).
        period (Period): from ``period_for``.
        filters (Mapping, optional): the subscription's filter dict (``tracker.outbox.subscriptions``);
            None or empty = everything (quantized-only releases excepted).
        lab_slugs (Iterable[str], optional): the watched labs (watchlist) for the cadence
            section; None = every stored lab.
        now (datetime, optional): recorded as ``generated_at`` (UTC); defaults to now. Relative
            adoption is measured as of the earlier of it and the period's end.
        hub_url (str): the base of the radar section's Hub links (``settings.hub.web_base``).

    Returns:
        Digest: see the module docstring for each section.
    """
    filters = dict(filters or {})
    rows = [
        r
        for r in list_releases(session=session, flt=ReleaseFilter(since=period.start, until=period.end))
        if r.artifacts and not all(a.withdrawn_at is not None for a in r.artifacts) and r.withdrawn_at is None
    ]
    # a report that joined its launch is listed under the launch, not as a paper of its own
    rows = [r for r in rows if r.merged_into_id is None]
    updates = updated_in_period(session, period, {r.id for r in rows})
    rows += [r for r in (session.get(Release, i) for i in updates) if r is not None]
    rows = [r for r in rows if release_passes(filters, r)]
    rows.sort(key=lambda r: (r.released_at, r.id))
    as_of = min(period.end, now or utcnow())
    relative = relative_by_release(session, [r.id for r in rows if r.kind != "paper"], now=as_of)
    groups: dict[str, LabGroup] = {}
    papers = []
    for r in rows:
        if r.kind == "paper":
            papers.append(digest_paper(r))
            continue
        group = groups.setdefault(r.lab.slug, LabGroup(r.lab.slug, r.lab.name, r.lab.country))
        adoption = adoption_sentence(relative.get(r.id))
        group.releases.append(digest_release(session, r, updates.get(r.id), adoption))
    ordered = sorted(
        groups.values(), key=lambda g: (-len(g.releases), -max(x.variant_count for x in g.releases), g.lab)
    )

    wanted = set(lab_slugs) if lab_slugs is not None else None
    labs = {
        lab.slug: lab
        for lab in session.scalars(select(Lab).order_by(Lab.slug))
        if (wanted is None or lab.slug in wanted) and lab_followed(filters, lab)
    }
    times = analytics.load_release_times(session=session, kinds=CADENCE_KINDS, until=period.end)
    cadence = build_cadence_rows(times, labs, period)
    silent = sorted(
        (c for c in cadence if c.days_since_last is not None), key=lambda c: (-(c.days_since_last or 0), c.lab)
    )[:SILENT_LABS]
    digest = Digest(
        period=period.kind,
        start=iso_z(period.start),
        end=iso_z(period.end),
        timezone=period.timezone,
        label=period.label,
        generated_at=iso_z(now or utcnow()),
        groups=ordered,
        papers=papers,
        cadence=cadence,
        silent=silent,
        countries=country_shares(session, period),
        radar=new_on_radar(session, start=period.start, end=period.end, hub_url=hub_url, filters=filters),
    )
    return Digest(**{**{f: getattr(digest, f) for f in digest.__dataclass_fields__}, "lead": build_lead(digest)})
