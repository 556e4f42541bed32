"""Synthetic adoption for the replay hub: counters that grow over replayed time, and derivatives.

The corpus records each repo's ``downloads`` (30 days) and ``likes`` once, at its snapshot time:
one moment, not a history. To replay a year of adoption the hub serves, **synthetically**:

* **Counters.** A repo is downloaded at a constant daily rate ``r = D / 30`` from its start
  (public event, else ``createdAt``, else always), ``D`` being its recorded 30-day
  ``downloads``. At age ``a`` days: ``downloads = round(r * min(a, 30))`` (the Hub's rolling 30
  days; equal to the recorded value from day 30 on, so the real figure is what a mature repo
  shows), ``downloadsAllTime = round(r * a)``, ``likes = round(L * min(1, a / 30))``.
* **Derivatives.** Each repo gets ``K = derivative_total(item)`` third-party derivatives, spread
  evenly over its first ``SPREAD_DAYS`` days, under orgs ``community-0`` .. ``community-7``
  (synthetic names, never a real user), named from the base's stable ``_id``; derivative ``i``
  has relation ``quantized`` (i % 10 < 5), ``finetune`` (< 8), ``adapter`` (8) or ``merge``
  (9), and the Hub's two tags
  ``base_model:<base>`` and ``base_model:<relation>:<base>``. Real derivatives of the corpus
  (``unsloth``'s uploads) are served as recorded, alongside.

Everything here is a pure function of the listing item and the time, so a test can recompute
any figure the hub serves.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta
from typing import Any

from tracker.replay.clock import format_hub_time, parse_time

__all__ = [
    "COMMUNITY_ORGS",
    "SPREAD_DAYS",
    "derivative_relation",
    "derivative_total",
    "grown",
    "synthetic_derivatives",
]

#: Days over which a repo's synthetic derivatives appear.
SPREAD_DAYS = 90.0
#: Synthetic derivative owners.
COMMUNITY_ORGS = tuple(f"community-{i}" for i in range(8))
_MAX_DERIVATIVES = 40


def _age_days(start: datetime | None, now: datetime) -> float:
    if start is None:
        return 3650.0
    return max(0.0, (parse_time(now) - parse_time(start)).total_seconds() / 86_400)


def grown(item: dict[str, Any], start: datetime | None, now: datetime) -> dict[str, Any]:
    """A copy of ``item`` with ``downloads``, ``downloadsAllTime`` and ``likes`` as of ``now``."""
    out = dict(item)
    age = _age_days(start, now)
    recorded = item.get("downloads") if isinstance(item.get("downloads"), int) else 0
    likes = item.get("likes") if isinstance(item.get("likes"), int) else 0
    rate = recorded / 30.0
    out["downloads"] = round(rate * min(age, 30.0))
    out["downloadsAllTime"] = round(rate * age)
    out["likes"] = round(likes * min(1.0, age / 30.0))
    return out


def derivative_total(item: dict[str, Any]) -> int:
    """How many synthetic derivatives a repo gets: more for repos with more recorded traction."""
    downloads = item.get("downloads") if isinstance(item.get("downloads"), int) else 0
    likes = item.get("likes") if isinstance(item.get("likes"), int) else 0
    score = math.log10(downloads + 1) * 4 + math.sqrt(max(likes, 0))
    return max(0, min(_MAX_DERIVATIVES, int(score)))


def derivative_relation(i: int) -> str:
    """Relation of synthetic derivative ``i``."""
    k = i % 10
    return "quantized" if k < 5 else "finetune" if k < 8 else "adapter" if k == 8 else "merge"


def synthetic_derivatives(base_id: str, item: dict[str, Any], start: datetime | None, now: datetime) -> list[dict]:
    """Listing items of ``base_id``'s synthetic derivatives public at ``now``, newest first.

    ``base_id`` is the base's repo id as the tags name it; ``item`` its listing item (traction);
    ``start`` when it went public (None: always public, derivatives dated from 2024-01-01).
    """
    total = derivative_total(item)
    origin = parse_time(start) if start is not None else parse_time("2024-01-01T00:00:00Z")
    now = parse_time(now)
    out = []
    for i in range(total):
        created = origin + timedelta(days=SPREAD_DAYS * (i + 1) / (total + 1))
        if created > now:
            break
        relation = derivative_relation(i)
        # keyed by the base's stable ``_id``: a renamed base keeps its derivatives' names
        digest = hashlib.sha1(f"{item['_id']}#{i}".encode()).hexdigest()
        org = COMMUNITY_ORGS[int(digest[:2], 16) % len(COMMUNITY_ORGS)]
        repo_id = f"{org}/derivative-{digest[:10]}-{relation}"
        out.append(
            {
                "_id": f"{int(created.timestamp()):08x}" + digest[:16],
                "id": repo_id,
                "author": org,
                "createdAt": format_hub_time(created),
                "lastModified": format_hub_time(created),
                "private": False,
                "downloads": 0,
                "likes": 0,
                "tags": [f"base_model:{base_id}", f"base_model:{relation}:{base_id}", "region:us"],
            }
        )
    out.reverse()
    return out
