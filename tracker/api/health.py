"""``GET /healthz``: database reachable, and the health of every (source, lab) poll unit."""

from __future__ import annotations

from fastapi import APIRouter

from tracker.api.deps import SessionDep
from tracker.serialize import iso
from tracker.store.queries import list_source_states

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(session: SessionDep) -> dict:
    """Liveness plus per-source health: last success, last error, consecutive failures."""
    units = [
        {"source": s.source, "lab": s.lab_slug, "last_success_at": iso(s.last_success_at),
         "last_error_at": iso(s.last_error_at), "last_error": s.last_error,
         "consecutive_failures": s.consecutive_failures}
        for s in list_source_states(session=session)
    ]
    return {"status": "ok", "units": units}
