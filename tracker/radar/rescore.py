"""Recompute radar candidates from stored sightings: evidence per org -> score -> candidate row.

Country is never guessed: it is the watchlist's country for the org (a lab the user adopted, or
an org of a lab in the packaged default watchlist, ``known_countries``), else None.
``crossed_at`` is set once, the first time a candidate's score reaches the alert score.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.radar.scoring import OrgEvidence, RepoEvidence, Scored, score_org
from tracker.radar.sightings import chunks
from tracker.store.models import RadarCandidate, RadarDerivative, RadarRepo, RadarSnapshot

__all__ = ["ACTIVE_S", "GROWTH_WINDOW_S", "RescoreReport", "rescore"]

#: Growth and trending are measured over this window (seconds).
GROWTH_WINDOW_S = 86_400.0
#: Orgs seen within this window are rescored every cycle (their growth and rank decay).
ACTIVE_S = 2 * 86_400.0


@dataclass
class RescoreReport:
    """Orgs rescored, how many are excluded as noise, and orgs that crossed the alert score now."""

    scored: int = 0
    excluded: int = 0
    crossed: list[str] | None = None


def _baselines(session: Session, since: datetime) -> dict[str, tuple[int | None, int | None]]:
    """Each repo's oldest snapshot counters at or after ``since``."""
    out: dict[str, tuple[int | None, int | None]] = {}
    stmt = (
        select(RadarSnapshot.repo_key, RadarSnapshot.likes, RadarSnapshot.downloads)
        .where(RadarSnapshot.taken_at >= since)
        .order_by(RadarSnapshot.taken_at.desc())
    )
    for key, likes, downloads in session.execute(stmt):
        out[key] = (likes, downloads)
    return out


def _repo_evidence(row: RadarRepo, base: tuple[int | None, int | None] | None, since: datetime) -> RepoEvidence:
    likes, downloads = row.likes or 0, row.downloads or 0
    if row.created_at is not None and row.created_at >= since:
        grown = (likes, downloads)  # created within the window: it started from zero
    elif base is not None:
        grown = (likes - (base[0] or 0), downloads - (base[1] or 0))
    else:
        grown = (0, 0)
    recent = row.trending_at is not None and row.trending_at >= since
    return RepoEvidence(
        repo_id=row.repo_id,
        relation=row.relation,
        created_at=row.created_at,
        likes=likes,
        downloads=downloads,
        likes_growth=max(0, grown[0]),
        downloads_growth=max(0, grown[1]),
        trending_rank=row.trending_rank if recent else None,
        arxiv_id=row.arxiv_id,
        custom_code=bool(row.custom_code),
    )


def _apply(
    row: RadarCandidate, scored: Scored, repos: list[RadarRepo], derivatives: int, alert: float, now: datetime
) -> bool:
    """Write ``scored`` onto ``row``; True when it crossed the alert score now."""
    row.score, row.reasons, row.updated_at = scored.score, scored.reasons, now
    row.first_seen_at = min(r.first_seen_at for r in repos)
    row.last_seen_at = max(r.last_seen_at for r in repos)
    row.repos, row.derivatives = len(repos), derivatives
    row.trending_rank, row.arxiv_id = scored.trending_rank, scored.arxiv_id
    if scored.best is not None:
        row.best_repo_id = scored.best.repo_id
        row.best_repo_likes, row.best_repo_downloads = scored.best.likes, scored.best.downloads
    if row.status == "adopted":
        return False
    row.status = "excluded" if scored.excluded else "candidate"
    row.excluded_reason = (scored.reasons[0]["text"][:200]) if scored.excluded else None
    if row.status == "candidate" and row.crossed_at is None and scored.score >= alert:
        row.crossed_at = now
        return True
    return False


def rescore(
    session: Session,
    *,
    now: datetime,
    alert_score: float,
    watched: Collection[str],
    known_countries: Mapping[str, str],
    orgs: Collection[str] = (),
) -> RescoreReport:
    """Rescore the orgs seen within ``ACTIVE_S`` (plus ``orgs``), skipping watched ones.

    Args:
        now: the cycle time (UTC). alert_score: 0-100 (``radar.alert_score``).
        watched: org keys (lower-cased) on the watchlist; a candidate row of one is marked adopted.
        known_countries: org key -> ISO country of the lab that owns it in the packaged watchlist.
        orgs: org keys to rescore even if not seen recently.

    Returns:
        RescoreReport: counts and the orgs that crossed the alert score in this call.
    """
    since = now - timedelta(seconds=GROWTH_WINDOW_S)
    active = set(
        session.scalars(select(RadarRepo.org_key).where(RadarRepo.last_seen_at >= now - timedelta(seconds=ACTIVE_S)))
    )
    keys = sorted((active | {o.lower() for o in orgs}) - {w.lower() for w in watched})
    baselines = _baselines(session, since)
    stmt = (
        select(RadarDerivative.base_org_key, func.count(func.distinct(RadarDerivative.repo_key)))
        .where(RadarDerivative.org_key != RadarDerivative.base_org_key)
        .group_by(RadarDerivative.base_org_key)
    )
    counts: dict[str, int] = {str(row[0]): int(row[1]) for row in session.execute(stmt)}
    report = RescoreReport(crossed=[])
    for chunk in chunks(keys):
        by_org: dict[str, list[RadarRepo]] = {}
        for repo in session.scalars(select(RadarRepo).where(RadarRepo.org_key.in_(chunk))):
            by_org.setdefault(repo.org_key, []).append(repo)
        rows = {c.org_key: c for c in session.scalars(select(RadarCandidate).where(RadarCandidate.org_key.in_(chunk)))}
        for key, repos in by_org.items():
            evidence = [_repo_evidence(r, baselines.get(r.repo_key), since) for r in repos]
            org = repos[0].repo_id.partition("/")[0]
            scored = score_org(OrgEvidence(org, evidence, counts.get(key, 0)))
            row = rows.get(key)
            if row is None:
                row = RadarCandidate(org=org[:200], org_key=key, first_seen_at=now, last_seen_at=now, reasons=[])
                row.status, row.repos, row.derivatives, row.score = "candidate", 0, 0, 0.0
                session.add(row)
            if row.status != "adopted":
                row.country = known_countries.get(key)
            if _apply(row, scored, repos, counts.get(key, 0), alert_score, now):
                report.crossed.append(org)
            report.scored += 1
            report.excluded += int(row.status == "excluded")
    watched_keys = [w.lower() for w in watched]
    for chunk in chunks(watched_keys):
        for row in session.scalars(select(RadarCandidate).where(RadarCandidate.org_key.in_(chunk))):
            row.status = "adopted"
    session.flush()
    return report
