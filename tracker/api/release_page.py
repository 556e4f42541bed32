"""``GET /release/{id}``: one release as a page: its relative adoption when there is one, its variants
and sizes, papers, lineage, and the alert events it produced with each delivery's channel and status
(the dashboard links here)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from tracker import __version__
from tracker.adoption.relative import adoption_sentence, relative_by_release
from tracker.api.dashboard import error_page, templates
from tracker.api.deps import SessionDep
from tracker.domain import utcnow
from tracker.store.models import ArtifactLink, Delivery, Event
from tracker.store.queries import get_release
from tracker.store.serialize import release_to_dict

router = APIRouter(tags=["dashboard"])


def _alerts(session: Any, release_id: int) -> list[dict[str, Any]]:
    """Events of the release, oldest first, each with its deliveries ``(channel, status)``."""
    events = list(session.scalars(select(Event).where(Event.release_id == release_id).order_by(Event.id)))
    deliveries: dict[int, list[tuple[str, str]]] = {}
    if events:
        rows = session.execute(
            select(Delivery.event_id, Delivery.channel, Delivery.status)
            .where(Delivery.event_id.in_([e.id for e in events]))
            .order_by(Delivery.id)
        )
        for event_id, channel, state in rows:
            deliveries.setdefault(event_id, []).append((channel, state))
    return [
        {
            "type": e.type,
            "at": f"{e.created_at:%Y-%m-%d %H:%M}",
            "artifact": ((e.payload or {}).get("artifact") or {}).get("name", ""),
            "deliveries": deliveries.get(e.id, []),
        }
        for e in events
    ]


@router.get("/release/{release_id}", response_class=HTMLResponse, include_in_schema=False)
def release_page(release_id: int, session: SessionDep) -> HTMLResponse:
    """The release page; a 404 page for an unknown id."""
    release = get_release(session=session, release_id=release_id)
    if release is None:  # a person followed a link: a page, like the dashboard's bad filters
        why = "no stored release has this id (`tracker regroup` can merge releases into others)"
        return error_page(
            [("release", why, str(release_id))], status_code=404, title="no such release", heading="No such release"
        )
    data = release_to_dict(release)
    names = {a.id: a.name for a in release.artifacts}
    links = session.scalars(
        select(ArtifactLink).where(ArtifactLink.artifact_id.in_(list(names))).order_by(ArtifactLink.id)
    )
    lineage = [(names[link.artifact_id], link.relation or "derived from", link.base_repo_id) for link in links]
    # as of now: downloads against earlier releases of its size at the same age (None: too little history)
    adoption = adoption_sentence(relative_by_release(session, [release_id], now=utcnow()).get(release_id))
    html = (
        templates()
        .get_template("release.html")
        .render(r=data, lineage=lineage, alerts=_alerts(session, release_id), adoption=adoption, version=__version__)
    )
    return HTMLResponse(html)
