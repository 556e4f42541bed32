"""``POST /webhooks/huggingface``: Hub webhook calls trigger an immediate poll of the repo's lab.

The Hub (docs: huggingface.co/docs/hub/webhooks) POSTs JSON with ``event.action`` /
``event.scope``, ``repo.type`` / ``repo.name`` (``org/name``) / ``repo.id`` / ``repo.private``,
``movedTo.name`` on moves and ``updatedConfig`` on ``repo.config`` events, and sends the
webhook's secret verbatim in ``X-Webhook-Secret`` (no HMAC). This endpoint:

* answers 503 when ``TRACKER_WEBHOOK_SECRET`` is unset (the endpoint is off), 401 when the header
  is missing or wrong (compared in constant time), 413 for a body over ``MAX_BODY_BYTES``, 400
  for malformed JSON or a payload without ``event``/``repo``: nothing is enqueued in those cases;
* acts on model repos of watched orgs for the events that make a release visible or change its
  identity: scope ``repo`` with ``create``, ``move``, ``delete`` (and ``update``), and
  ``repo.config`` updates that set ``private`` to false (the usual way a launch happens). A
  narrower scope (``repo.config.x``) counts as its parent, as the Hub docs advise;
* enqueues one poll per watched lab concerned (both the old and the new org of a move) through
  ``app.state.enqueue_poll(source, lab_slug)`` and answers 202 with the polls; everything else
  gets 200 with ``{"status": "ignored", "reason": ...}``.

Webhooks are capped (1,000 triggers a day per webhook) and can be missed, so polling stays the
source of truth; a webhook only makes the next poll happen now. Replayed or duplicated calls are
harmless: a poll is idempotent and the per-unit lock (``tracker.ops.locks``) stops two at once.

The enqueue callable is built on the first call by ``app.state.enqueue_factory`` (``create_app``'s
``enqueue_factory``). ``tracker serve`` passes the one ``workers.cli`` installs, which queues
``tracker.poll.source`` when a broker is configured; without one the API polls in a background
thread of its own process (then dispatches and delivers like ``tracker poll``).
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tracker.config import Settings
from tracker.store import Store
from tracker.watchlist import Watchlist

log = logging.getLogger(__name__)

router = APIRouter(tags=["webhooks"])

#: Larger than any Hub webhook payload (a few KB); a bigger body is refused with 413.
MAX_BODY_BYTES = 64 * 1024
SECRET_HEADER = "X-Webhook-Secret"
REPO_ACTIONS = frozenset({"create", "move", "delete", "update"})

EnqueuePoll = Callable[[str, str], None]
EnqueueFactory = Callable[[Settings], EnqueuePoll | None]


def poll_in_thread(settings: Settings, store: Store, watchlist: Watchlist) -> EnqueuePoll:
    """Return an ``enqueue_poll`` that polls in a daemon thread of this process (no worker needed).

    The thread polls the unit under its poll lock (``poll_once``), then dispatches and delivers
    the outbox inline.
    """

    def run(source: str, lab: str) -> None:
        # The pipeline and the senders (~0.6 s): loaded on the first webhook poll, not at API start-up.
        from tracker.outbox.inline import process_outbox
        from tracker.pipeline import poll_once

        try:
            reports = poll_once(settings, store, watchlist, sources=[source], labs=[lab])
            if reports and all(r.skipped for r in reports):
                log.info("webhook poll %s/%s skipped: %s", source, lab, reports[0].skipped)
                return
            process_outbox(store, settings=settings, watchlist=watchlist)
        except Exception:  # a background thread has no caller: log it (polling catches up anyway)
            log.exception("webhook-triggered poll of %s/%s failed", source, lab)

    def enqueue(source: str, lab: str) -> None:
        threading.Thread(target=run, args=(source, lab), name=f"webhook-poll-{source}-{lab}", daemon=True).start()

    return enqueue


def _enqueue_for(request: Request) -> EnqueuePoll:
    state = request.app.state
    enqueue = getattr(state, "enqueue_poll", None)
    if enqueue is None:
        factory = getattr(state, "enqueue_factory", None)
        enqueue = factory(state.settings) if factory is not None else None
        if enqueue is None:
            enqueue = poll_in_thread(state.settings, state.store, state.watchlist)
        state.enqueue_poll = enqueue
    return enqueue


def _check_secret(settings: Settings, given: str | None) -> None:
    if settings.api.webhook_secret is None or not settings.api.webhook_secret.get_secret_value():
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the Hugging Face webhook is disabled: set TRACKER_WEBHOOK_SECRET"
        )
    expected = settings.api.webhook_secret.get_secret_value().encode()
    if given is None or not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"missing or wrong {SECRET_HEADER}")


async def _read_capped(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"body over {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"body over {MAX_BODY_BYTES} bytes")
    return bytes(body)


def _parse(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"malformed JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("event"), dict) or not isinstance(data.get("repo"), dict):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "not a Hub webhook payload: 'event' and 'repo' objects expected"
        )
    return data


def _relevance(data: dict[str, Any]) -> str | None:
    """Return why the event is ignored, or None when it may reveal or change a release."""
    event, repo = data["event"], data["repo"]
    action, scope = str(event.get("action", "")), str(event.get("scope", ""))
    if repo.get("type") != "model":
        return f"{repo.get('type')!r} repos are not tracked (models only)"
    if scope == "repo":
        if action not in REPO_ACTIONS:
            return f"repo action {action!r} does not concern releases"
        if action in ("create", "update") and repo.get("private") is True:
            return "private repo (it is polled once it becomes public)"
        return None
    if scope == "repo.config" or scope.startswith("repo.config."):
        updated = data.get("updatedConfig")
        if isinstance(updated, dict) and updated.get("private") is False:
            return None
        return "config change other than making the repo public"
    return f"scope {scope!r} does not concern releases"


def _orgs(data: dict[str, Any]) -> list[str]:
    names = [data["repo"].get("name")]
    moved = data.get("movedTo")
    if isinstance(moved, dict):
        names.append(moved.get("name"))
    orgs = []
    for name in names:
        if isinstance(name, str) and "/" in name:
            org = name.split("/", 1)[0]
            if org.lower() not in (o.lower() for o in orgs):
                orgs.append(org)
    return orgs


def _move_of(data: dict[str, Any]) -> tuple[str, str] | None:
    """``(old repo id, new repo id)`` of a ``repo.move`` event, or None (other events, bad names)."""
    event, moved = data["event"], data.get("movedTo")
    if event.get("scope") != "repo" or event.get("action") != "move" or not isinstance(moved, dict):
        return None
    old, new = data["repo"].get("name"), moved.get("name")
    if not (isinstance(old, str) and isinstance(new, str) and "/" in old and "/" in new):
        return None
    return old[:300], new[:300]


def _note_move(request: Request, lab_slug: str, old: str, new: str) -> None:
    from tracker.pipeline.moves import note_move  # the API process pays for the pipeline only here

    with request.app.state.store.transaction() as session:
        note_move(session, lab_slug=lab_slug, old_name=old, new_name=new)


@router.post("/webhooks/huggingface", status_code=status.HTTP_202_ACCEPTED)
async def huggingface_webhook(request: Request) -> JSONResponse:
    """Receive a Hugging Face Hub webhook call and poll the repo's lab now."""
    settings: Settings = request.app.state.settings
    _check_secret(settings, request.headers.get(SECRET_HEADER))
    data = _parse(await _read_capped(request))
    reason = _relevance(data)
    orgs = _orgs(data)
    if reason is None and not orgs:
        reason = "repo.name has no org ('org/name' expected)"
    labs_by_org = request.app.state.watchlist.labs_for_org()
    labs = []
    for org in orgs:
        lab = labs_by_org.get(org.lower())
        if lab is not None and lab.slug not in labs:
            labs.append(lab.slug)
    if reason is None and not labs:
        reason = f"org {', '.join(orgs)} is not watched"
    if reason is not None:
        log.info("Hub webhook ignored (%s): %s", data["repo"].get("name"), reason)
        return JSONResponse({"status": "ignored", "reason": reason}, status_code=status.HTTP_200_OK)
    moved = _move_of(data)
    if moved is not None and (lab := labs_by_org.get(moved[1].split("/", 1)[0].lower())) is not None:
        # authoritative: the destination lab's next poll stores the repo as moved, not launched
        await run_in_threadpool(_note_move, request, lab.slug, *moved)
    enqueue = _enqueue_for(request)
    for slug in labs:
        await run_in_threadpool(enqueue, "hf", slug)  # a broker publish may block briefly
    event = data["event"]
    log.info(
        "Hub webhook %s/%s for %s: polling %s",
        event.get("scope"),
        event.get("action"),
        data["repo"].get("name"),
        ", ".join(labs),
    )
    return JSONResponse(
        {"status": "accepted", "polls": [["hf", slug] for slug in labs]}, status_code=status.HTTP_202_ACCEPTED
    )
