"""Write/admin endpoints, all behind ``Authorization: Bearer <TRACKER_API_TOKEN>`` (``AdminDep``).

* ``GET /admin/deliveries?status=failed``: deliveries by status, newest first.
* ``POST /admin/deliveries/requeue`` (``{"ids": [...]}`` or ``{"all_failed": true}``) and
  ``POST /admin/deliveries/{id}/requeue``: put ``failed`` deliveries back to ``pending``, due now,
  with a fresh attempt budget (``attempts`` = 0; ``last_error`` kept for the record), through
  ``tracker.outbox.deliver.requeue_failed`` (as ``tracker deliveries retry``). Only ``failed`` rows move
  (compare-and-set on the status, as in ``tracker.outbox.deliveries``): a ``sent``,
  ``sending`` or ``unknown`` delivery is never re-queued, so nothing can be sent twice from here.
* ``GET /admin/subscriptions``, ``POST /admin/subscriptions`` (``origin = "api"``),
  ``POST /admin/subscriptions/{id}/disable``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tracker.api.deps import AdminDep, SessionDep, WriteSessionDep, get_store
from tracker.domain import utcnow
from tracker.outbox.deliveries import FAILED, PENDING, SENDING, SENT, UNKNOWN
from tracker.store import Store
from tracker.store.models import Delivery, Subscription
from tracker.store.serialize import iso
from tracker.watchlist import CHANNEL_SCHEMES

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[AdminDep])

ORIGIN_API = "api"
DISABLED_BY_API = "disabled through the API"
STATUSES = (PENDING, SENDING, SENT, FAILED, UNKNOWN)


def delivery_to_dict(d: Delivery) -> dict[str, Any]:
    """Return a delivery row as JSON (times ISO-8601 UTC)."""
    return {
        "id": d.id,
        "idempotency_key": d.idempotency_key,
        "kind": d.kind,
        "channel": d.channel,
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": iso(d.next_attempt_at),
        "sent_at": iso(d.sent_at),
        "last_error": d.last_error,
        "event_id": d.event_id,
        "subscription_id": d.subscription_id,
        "created_at": iso(d.created_at),
    }


def subscription_to_dict(s: Subscription) -> dict[str, Any]:
    """Return a subscription row as JSON."""
    return {
        "id": s.id,
        "channel": s.channel,
        "filters": s.filters or {},
        "digest": s.digest,
        "origin": s.origin,
        "created_at": iso(s.created_at),
        "disabled_at": iso(s.disabled_at),
        "disabled_reason": s.disabled_reason,
    }


@router.get("/deliveries")
def list_deliveries(
    session: SessionDep,
    status_: Annotated[str, Query(alias="status", description=f"one of {', '.join(STATUSES)}")] = FAILED,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Deliveries with one status, newest first."""
    if status_ not in STATUSES:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, f"status must be one of {', '.join(STATUSES)}")
    rows = session.scalars(select(Delivery).where(Delivery.status == status_).order_by(Delivery.id.desc()).limit(limit))
    return {"items": [delivery_to_dict(d) for d in rows]}


class RequeueRequest(BaseModel):
    """Which failed deliveries to re-queue: explicit ``ids`` or ``all_failed``."""

    model_config = ConfigDict(extra="forbid")
    ids: list[int] = Field(default_factory=list, max_length=10_000)
    all_failed: bool = False

    @model_validator(mode="after")
    def _one_of(self) -> RequeueRequest:
        if bool(self.ids) == self.all_failed:
            raise ValueError("give either a non-empty 'ids' list or 'all_failed': true")
        return self


def requeue(store: Store, ids: list[int] | None) -> list[int]:
    """Move ``failed`` deliveries (all, or those in ``ids``) back to ``pending``, due now, with
    ``attempts`` reset (``tracker.outbox.deliver.requeue_failed``, the same as ``tracker deliveries retry``).

    Returns:
        list[int]: the ids that moved (others were not failed or do not exist).
    """
    from tracker.outbox.deliver import requeue_failed  # the senders (~90 ms): not at API start-up

    return requeue_failed(store, ids=ids)


StoreDep = Annotated[Store, Depends(get_store)]


@router.post("/deliveries/requeue")
def requeue_deliveries(body: RequeueRequest, store: StoreDep) -> dict[str, Any]:
    """Re-queue failed deliveries: ``{"requeued": [ids]}``."""
    return {"requeued": requeue(store, None if body.all_failed else body.ids)}


@router.post("/deliveries/{delivery_id}/requeue")
def requeue_delivery(delivery_id: int, store: StoreDep) -> dict[str, Any]:
    """Re-queue one failed delivery; 404 when unknown, 409 when it is not ``failed``."""
    moved = requeue(store, [delivery_id])
    with store.transaction(write=False) as session:
        row = session.get(Delivery, delivery_id)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"delivery {delivery_id} not found")
        if not moved:
            raise HTTPException(status.HTTP_409_CONFLICT, f"delivery {delivery_id} is {row.status}, not failed")
        return delivery_to_dict(row)


@router.get("/subscriptions")
def list_subscriptions(session: SessionDep) -> dict[str, Any]:
    """Every subscription (watchlist and API), by id."""
    return {"items": [subscription_to_dict(s) for s in session.scalars(select(Subscription).order_by(Subscription.id))]}


class SubscriptionCreate(BaseModel):
    """A new subscription: channel plus the filters of ``tracker.outbox.subscriptions`` (missing = any)."""

    model_config = ConfigDict(extra="forbid")
    channel: str = Field(min_length=3, max_length=500, examples=["slack:#model-releases"])
    labs: list[str] = Field(default_factory=lambda: ["*"])
    countries: list[str] = Field(default_factory=list)
    kinds: list[str] = Field(default_factory=list)
    min_params_b: float | None = Field(default=None, ge=0)
    significance: float | None = None
    licences: list[str] = Field(default_factory=list)
    digest: str | None = None

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str) -> str:
        if ":" not in v or v.split(":", 1)[0] not in CHANNEL_SCHEMES:
            raise ValueError(f"must start with one of {', '.join(s + ':' for s in CHANNEL_SCHEMES)}")
        return v

    @field_validator("digest")
    @classmethod
    def _digest(cls, v: str | None) -> str | None:
        if v is not None and v not in ("daily", "weekly"):
            raise ValueError("must be 'daily' or 'weekly'")
        return v

    def filters(self) -> dict[str, Any]:
        """The JSON filter dict (only the keys that restrict)."""
        out: dict[str, Any] = {}
        if self.labs and "*" not in self.labs:
            out["labs"] = self.labs
        for key in ("countries", "kinds", "licences"):
            if getattr(self, key):
                out[key] = [x.upper() if key == "countries" else x for x in getattr(self, key)]
        for key in ("min_params_b", "significance"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@router.post("/subscriptions", status_code=status.HTTP_201_CREATED)
def create_subscription(body: SubscriptionCreate, session: WriteSessionDep) -> dict[str, Any]:
    """Create a subscription (``origin = "api"``); 409 when the channel already has one."""
    row = Subscription(
        channel=body.channel, filters=body.filters(), digest=body.digest, origin=ORIGIN_API, created_at=utcnow()
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise HTTPException(status.HTTP_409_CONFLICT, f"a subscription for {body.channel!r} already exists") from None
    return subscription_to_dict(row)


@router.post("/subscriptions/{subscription_id}/disable")
def disable_subscription(subscription_id: int, session: WriteSessionDep) -> dict[str, Any]:
    """Disable a subscription (kept for its delivery history); 404 when unknown."""
    row = session.get(Subscription, subscription_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"subscription {subscription_id} not found")
    if row.disabled_at is None:
        row.disabled_at, row.disabled_reason = utcnow(), DISABLED_BY_API
        session.flush()
    return subscription_to_dict(row)
