"""``GET /radar``: the radar's candidates, orgs outside the watchlist whose Hub repos show a lab's traction.

JSON by default (documented in OpenAPI by the response model), or ``format=html`` for the radar
page of the dashboard (the dashboard's own radar section shows the top few and links here).
Every item is a ``tracker.notify.content.RadarLine``: its score (0-100) and reasons, when it was
first seen and when it crossed the alert score, its top repo with a Hub link built only from a
valid repo id, third-party derivatives, a linked report, and its country or null (unknown unless
evidence says so; never guessed). Scores come from the radar cycle (``tracker radar``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from tracker import __version__
from tracker.api.dashboard import radar_candidates, templates
from tracker.api.deps import SessionDep, SettingsDep
from tracker.store.models.radar import RADAR_STATUSES

router = APIRouter(tags=["radar"])

StatusParam = Literal["candidate", "adopted", "excluded", "all"]


class RadarReasonOut(BaseModel):
    """One reason of a score: ``code``, the ``points`` it adds (0-100 scale), ``text`` (outside data)."""

    code: str
    points: float
    text: str


class RadarCandidateOut(BaseModel):
    """One org on the radar (see ``tracker.notify.content.RadarLine``); times are ISO-8601 UTC."""

    org: str = Field(description="the Hub org as the Hub spells it")
    org_url: str | None = Field(description="its Hub page; null when the name is not a valid Hub org")
    score: float = Field(ge=0, le=100)
    status: str = Field(description="candidate | adopted | excluded")
    first_seen_at: str
    crossed_at: str | None = Field(description="when the score first reached the alert score; null if never")
    best_repo_id: str | None
    best_repo_url: str | None = Field(description="the top repo's Hub page (valid repo ids only)")
    best_repo_likes: int | None
    best_repo_downloads: int | None = Field(description="30-day downloads when last seen")
    trending_rank: int | None = Field(description="best rank in the Hub's trending listing (1 = top)")
    repos: int
    derivatives: int = Field(description="other orgs' repos naming one of its repos as base model")
    arxiv_id: str | None
    arxiv_url: str | None
    country: str | None = Field(description="ISO 3166-1 alpha-2 when evidence says so; null = unknown")
    reasons: list[RadarReasonOut]


class RadarOut(BaseModel):
    """``GET /radar``: the radar's settings and its candidates, highest score first."""

    enabled: bool
    alert_score: float
    items: list[RadarCandidateOut]


@router.get("/radar", response_model=RadarOut, responses={200: {"content": {"text/html": {}}}})
def get_radar(
    session: SessionDep,
    settings: SettingsDep,
    min_score: Annotated[float | None, Query(ge=0, le=100, description="only candidates scoring at least this")] = None,
    status: Annotated[StatusParam, Query(description="candidate (default), adopted, excluded or all")] = "candidate",
    limit: Annotated[int, Query(ge=1, le=500, description="maximum candidates")] = 50,
    format: Annotated[Literal["json", "html"], Query(description="json, or html for the dashboard page")] = "json",
) -> Any:
    """Orgs outside the watchlist whose Hub repos show a lab's traction, with the score's reasons."""
    statuses = RADAR_STATUSES if status == "all" else (status,)
    lines = radar_candidates(
        session, hub_url=settings.hub.web_base, limit=limit, min_score=min_score, statuses=statuses
    )
    if format == "html":
        html = (
            templates()
            .get_template("radar.html")
            .render(
                lines=lines,
                enabled=settings.radar.enabled,
                alert_score=settings.radar.alert_score,
                interval_min=round(settings.radar.interval / 60),
                status=status,
                min_score=min_score,
                version=__version__,
            )
        )
        return HTMLResponse(html)
    return {
        "enabled": settings.radar.enabled,
        "alert_score": settings.radar.alert_score,
        "items": [line.to_dict() for line in lines],
    }
