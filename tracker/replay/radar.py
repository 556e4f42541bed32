"""The replay hub's global listings (trending, newest, most liked) and their synthetic noise.

``GET /api/models`` without ``author`` or ``filter`` lists the whole replayed Hub: every corpus
org's visible repos (watched labs, unwatched ones, the quantizer ``unsloth``) plus the
**synthetic** noise below, with counters grown to the hub's now (``tracker.replay.adoption``) and
a **synthetic** ``trendingScore`` (``trending_score``: a launch peaks within a day and fades over
weeks; the Hub's trending score is also driven by recent likes, its exact formula is not public).

Synthetic noise (never a real account; every org name starts with ``noise-``), one round every
``ROUND_DAYS`` days from the first corpus launch, built on the round's *base*: the most-liked
corpus repo that went public in the previous ``ROUND_DAYS`` days (else the latest one before):

* ``noise-merges-{0,1}``: a merge of the base (``base_model:merge:<base>``), 400 likes;
* ``noise-finetunes-{0,1,2}``: three fine-tunes of the base launched together, citing a paper
  (``base_model:finetune:<base>``, ``arxiv:``), 150 likes each;
* ``noise-quants``: a GGUF quantization (``base_model:quantized:<base>``), 60 likes;
* ``noise-mirror-{0..3}``: a re-upload under the base's own name, no base model tag, an hour
  after the base went public, 120 likes;
* ``noise-user-NNNN-J``: three personal accounts with one repo each and 2 likes.

Recorded likes and downloads are the "mature" values ``grown`` ramps up to over 30 days, so the
merges and fine-tunes trend as high as real launches: the radar must exclude them by rule.
"""

from __future__ import annotations

import functools
import hashlib
import math
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tracker.replay.adoption import grown
from tracker.replay.clock import format_hub_time, parse_time
from tracker.replay.corpus import Corpus

__all__ = ["NOISE_PREFIX", "ROUND_DAYS", "global_items", "noise_catalog", "trending_score"]

NOISE_PREFIX = "noise-"
_LAST: list[Any] = []
_LAST_LOCK = threading.Lock()
ROUND_DAYS = 3.0
_TRENDING_DAYS = 7.0


def trending_score(item: dict[str, Any], start: datetime | None, now: datetime) -> int:
    """Synthetic trending score: ``L * 0.3 * min(1, age / 0.5 d) * exp(-age / 7 d)``.

    ``L`` is the recorded likes, ``age`` the days since ``start`` (None: an old repo, 0). A launch
    peaks half a day after it goes public and fades over weeks, as hf.co's trending list does.
    """
    if start is None:
        return 0
    age = (parse_time(now) - parse_time(start)).total_seconds() / 86_400
    if age < 0:
        return 0
    likes = item.get("likes") if isinstance(item.get("likes"), int) else 0
    return round(likes * 0.3 * min(1.0, age / 0.5) * math.exp(-age / _TRENDING_DAYS))


def _item(repo_id: str, created: datetime, likes: int, downloads: int, tags: list[str]) -> dict[str, Any]:
    digest = hashlib.sha1(repo_id.encode()).hexdigest()
    org = repo_id.split("/", 1)[0]
    return {
        "_id": f"{int(created.timestamp()):08x}" + digest[:16],
        "id": repo_id,
        "author": org,
        "gated": False,
        "lastModified": format_hub_time(created),
        "likes": likes,
        "trendingScore": 0,
        "private": False,
        "disabled": False,
        "sha": digest,
        "downloads": downloads,
        "tags": [*tags, "region:us"],
        "pipeline_tag": "text-generation",
        "library_name": "transformers",
        "createdAt": format_hub_time(created),
        "modelId": repo_id,
    }


def _launches(corpus: Corpus) -> list[tuple[datetime, str, int]]:
    """``(public time, repo id, recorded likes)`` of every corpus repo's public event, in time order."""
    out = []
    for event in corpus.timeline:
        if event.get("event") != "hf_model_public" or not event.get("repo_id"):
            continue
        at = parse_time(event["at"])
        item = corpus.find_visible(event["repo_id"], at)
        if item is not None and not any(str(t).startswith("base_model:") for t in item.get("tags") or ()):
            out.append((at, item["id"], int(item.get("likes") or 0)))
    return out


def _round(k: int, at: datetime, base: str) -> list[tuple[dict[str, Any], datetime]]:
    name = base.split("/", 1)[1]
    out = [
        (
            _item(
                f"noise-merges-{k % 2}/{name}-slerp-merge-{k}",
                at,
                400,
                2_000,
                [f"base_model:{base}", f"base_model:merge:{base}", "merge", "mergekit"],
            ),
            at,
        )
    ]
    for j in range(3):
        created = at + timedelta(hours=j)
        tags = [f"base_model:{base}", f"base_model:finetune:{base}", f"arxiv:2501.{k % 10000:05d}"]
        out.append((_item(f"noise-finetunes-{k % 3}/{name}-sft-{k}-{j}", created, 150, 5_000, tags), created))
    out.append(
        (
            _item(
                f"noise-quants/{name}-GGUF-{k}",
                at,
                60,
                30_000,
                ["gguf", f"base_model:{base}", f"base_model:quantized:{base}"],
            ),
            at,
        )
    )
    mirror = at + timedelta(hours=1)
    out.append((_item(f"noise-mirror-{k % 4}/{name}", mirror, 120, 8_000, []), mirror))
    for j in range(3):
        created = at + timedelta(hours=2 * j)
        out.append((_item(f"noise-user-{k:04d}-{j}/my-model-{k}-{j}", created, 2, 10, []), created))
    return out


def noise_catalog(corpus: Corpus) -> tuple[tuple[dict[str, Any], datetime], ...]:
    """Every synthetic noise repo ``(listing item, public time)`` over the corpus's span (cached per corpus folder)."""
    return _catalog(str(corpus.root))


@functools.lru_cache(maxsize=4)
def _catalog(root: str) -> tuple[tuple[dict[str, Any], datetime], ...]:
    launches = _launches(Corpus.load(Path(root)))
    if not launches:
        return ()
    out: list[tuple[dict[str, Any], datetime]] = []
    at, end, k = launches[0][0], launches[-1][0] + timedelta(days=30), 0
    step = timedelta(days=ROUND_DAYS)
    while at <= end:
        recent = [x for x in launches if at - step < x[0] <= at]
        before = [x for x in launches if x[0] <= at]
        if recent or before:
            base = max(recent, key=lambda x: (x[2], x[1]))[1] if recent else before[-1][1]
            out += _round(k, at, base)
        at, k = at + step, k + 1
    return tuple(out)


def global_items(corpus: Corpus, now: datetime) -> list[dict[str, Any]]:
    """Every repo public at ``now``: corpus orgs and synthetic noise, grown, with ``trendingScore``.

    Shared dicts, read-only for callers: a cycle's listings at one ``now`` are built once.
    """
    now = parse_time(now)
    key = (str(corpus.root), now)
    with _LAST_LOCK:
        if _LAST and _LAST[0] == key:
            return _LAST[1]
    out = _build(corpus, now)
    with _LAST_LOCK:
        _LAST[:] = [key, out]
    return out


def _build(corpus: Corpus, now: datetime) -> list[dict[str, Any]]:
    out = []
    for org in corpus.orgs():
        for item in corpus.listing_view(org, now):
            start = corpus.start_of(item["_id"])
            if start is None and isinstance(item.get("createdAt"), str):
                start = parse_time(item["createdAt"])
            out.append({**grown(item, start, now), "trendingScore": trending_score(item, start, now)})
    for item, start in noise_catalog(corpus):
        if start <= now:
            out.append({**grown(item, start, now), "trendingScore": trending_score(item, start, now)})
    out.sort(key=lambda it: (it.get("createdAt") or "", it["_id"]), reverse=True)
    return out
