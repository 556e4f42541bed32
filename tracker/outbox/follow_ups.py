"""Who gets a follow-up of an announced release, who gets an org-move notice, and when email waits.

* **Follow-ups** (``release_withdrawn``, ``release_restored``, ``paper_linked``,
  ``launch_linked``) change a message readers already have: they go only to the subscriptions
  that were sent (or are being sent) the release's own alert, never to a channel that never saw
  it. Email gets none of them: a sent email cannot be edited, so withdrawals and reports reach
  email readers through the digest (``tracker.briefings.digest``) instead of one more email.
  A ``paper_linked`` delivery records in its payload whether the reply is also broadcast to the
  channel: when the report came more than ``settings.papers.broadcast_after_days`` after the
  weights (the launch's thread is then old, and few readers look at it); and ``in_parent`` when
  the channel's release message was not sent before the report joined: that message, built at
  send time, already shows the report, so there is nothing to reply (a report of the same hour
  as its weights makes no second post).
* **Org moves** (``org_move``): one informational notice per subscription that follows the lab
  owning the org (its ``labs`` and ``countries`` filters; the moved repos are not releases, so
  size, kind and licence filters do not apply).
* **Email fold**: a per-alert email subscription gets ONE email per release. Its delivery is due
  ``settings.delivery.email_fold_s`` seconds after the release was first seen, so the email,
  built at send time, lists every variant found in that window; variants found later are listed
  by the digest. No email is ever created per variant.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.config import Settings
from tracker.domain import EventType, as_utc
from tracker.notify.content import FOLLOW_UP_EVENTS
from tracker.outbox import deliveries as dl
from tracker.outbox.fanout import Audience, FanOut, Skip
from tracker.store.models import Delivery, Event, Release, Subscription
from tracker.watchlist import Watchlist

FOLLOW_UP_TYPES = frozenset(t.value for t in FOLLOW_UP_EVENTS)
NOTICE_TYPES = frozenset({EventType.ORG_MOVE.value})

#: Why an email subscription gets no separate follow-up (logged once per run).
EMAIL_FOLLOW_UP = "email: withdrawals and reports are listed in the digest, not sent as more emails"
#: Why an email subscription gets no separate variant email (logged once per run).
EMAIL_VARIANT = "email: one email per release; later variants are listed in the digest"


def is_email(channel: str) -> bool:
    """True for an ``email:`` subscription channel."""
    return channel.startswith("email:")


def announced_to(session: Session, release_id: int | None) -> dict[int, datetime | None]:
    """The subscriptions that were sent (or are being sent) the release's own alert: id -> when
    it was sent (UTC; None while it is not sent yet)."""
    if release_id is None:
        return {}
    stmt = (
        select(Delivery.subscription_id, Delivery.sent_at)
        .join(Event, Event.id == Delivery.event_id)
        .where(
            Event.release_id == release_id,
            Event.type == EventType.RELEASE_DETECTED,
            Delivery.kind == "alert",
            Delivery.status != dl.FAILED,
            Delivery.subscription_id.is_not(None),
        )
    )
    return {i: sent for i, sent in session.execute(stmt) if i is not None}


def _follow_up_payload(event: Event, settings: Settings) -> dict[str, Any]:
    if event.type != EventType.PAPER_LINKED:
        return {}
    days = settings.papers.broadcast_after_days
    try:
        after_s = float((event.payload or {}).get("after_launch_s") or 0)
    except (TypeError, ValueError):
        after_s = 0.0
    return {"broadcast": days is not None and after_s > days * 86400}


def fan_out_follow_up(audience: Audience, session: Session, event: Event, *, settings: Settings) -> FanOut:
    """Create the deliveries of one follow-up event (see the module docstring); never to email."""
    told = announced_to(session, event.release_id)
    frozen = _follow_up_payload(event, settings)
    written = as_utc(event.created_at)

    def payload(sub: Subscription) -> dict[str, Any] | Skip:
        if is_email(sub.channel):
            return Skip(EMAIL_FOLLOW_UP)
        if event.type != EventType.PAPER_LINKED:
            return dict(frozen)
        sent = told.get(sub.id)
        return {**frozen, "in_parent": sent is None or as_utc(sent) >= written}

    return audience.fan_out(
        kind="alert",
        key=lambda sub: f"event:{event.id}:{sub.id}",
        event_id=event.id,
        passes=lambda sub: sub.id in told,
        payload=payload,
    )


def follows_lab(filters: Mapping[str, Any], slug: str, country: str) -> bool:
    """True when a subscription's ``labs`` and ``countries`` filters let in the lab ``slug``."""
    labs = filters.get("labs") or ()
    if labs and "*" not in labs and slug not in labs:
        return False
    countries = {str(c).upper() for c in filters.get("countries") or ()}
    return not countries or country.upper() in countries


def fan_out_notice(audience: Audience, event: Event, *, watchlist: Watchlist) -> FanOut:
    """Create one org-move notice per subscription following the org's lab; none when no watched
    lab owns the org (a notice about an org nobody watches is noise)."""
    org = str((event.payload or {}).get("org") or "").lower()
    lab = watchlist.labs_for_org().get(org)
    if lab is None:
        return FanOut()
    return audience.fan_out(
        kind="alert",
        key=lambda sub: f"event:{event.id}:{sub.id}",
        event_id=event.id,
        passes=lambda sub: follows_lab(sub.filters or {}, lab.slug, lab.country),
    )


def email_alert_payload(event: Event) -> Skip | None:
    """``Skip`` for an email delivery of a variant (folded into the release email or the digest)."""
    return Skip(EMAIL_VARIANT) if event.type == EventType.VARIANT_ADDED else None


def hold_email_alerts(session: Session, run: FanOut, event: Event, *, settings: Settings, now: datetime) -> None:
    """Make the email deliveries of a release alert due ``email_fold_s`` after its first sight."""
    fold = settings.delivery.email_fold_s
    if event.type != EventType.RELEASE_DETECTED or not fold or event.release_id is None:
        return
    release = session.get(Release, event.release_id)
    start = as_utc(release.first_seen_at) if release is not None else now
    due = max(now, start + timedelta(seconds=fold))
    for channel, delivery_id in run.created.items():
        if is_email(channel):
            row = session.get(Delivery, delivery_id)
            if row is not None:
                row.next_attempt_at = due
