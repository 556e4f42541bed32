"""``GET /healthz``: database reachable, and the health of every (source, lab) poll unit."""

from __future__ import annotations

from fastapi import APIRouter

from tracker.api.deps import SessionDep, SettingsDep
from tracker.ops.health import check_broker, check_database
from tracker.store.queries import list_source_states
from tracker.store.serialize import iso

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(session: SessionDep, settings: SettingsDep) -> dict:
    """Liveness plus per-source health: last success, last error, consecutive failures.

    ``checks`` says whether the database and the broker answer (``{"ok": bool, "error": str?}``);
    ``status`` is ``degraded`` when one does not (HTTP 200 still: the API itself is up).
    """
    checks = {"database": check_database(session), "broker": check_broker(settings)}
    units = [
        {
            "source": s.source,
            "lab": s.lab_slug,
            "last_success_at": iso(s.last_success_at),
            "last_error_at": iso(s.last_error_at),
            "last_error": s.last_error,
            "consecutive_failures": s.consecutive_failures,
        }
        for s in list_source_states(session=session)
    ]
    status = "ok" if all(c["ok"] for c in checks.values()) else "degraded"
    return {"status": status, "checks": checks, "units": units}
