"""The Hub half of the corpus: each repo's newest listing snapshot plus its timeline, as of a time.

Replay rules (from the corpus README):

* The newest snapshot of every repo wins, deduplicated by ``_id`` (``THUDM.json`` is the
  pre-rename view of ``_id``\\ s that reappear in ``zai-org.json``).
* A repo is visible iff its ``hf_model_public`` event has ``at <= now`` and no
  ``hf_model_deleted`` event has ``at <= now``. Repos with no timeline event are always visible.
* Before an ``hf_model_renamed`` event the repo's ``id``/``modelId``/``author`` are the old ones.
  If the newest snapshot shows an id that no timeline event explains (the corpus has two such
  repos: ``zai-org/GLM-4.1V-9B-Base`` and ``-Thinking`` lack rename events), the rename is
  inferred at the time of the other renames between the same two orgs.
* ``sha``/``lastModified`` follow the latest ``hf_model_updated`` event at or before ``now``
  (else the public event's sha and time).
* Repos only in the timeline (deleted ``microsoft/WizardLM-2-*``) are synthesized as minimal
  listing items.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tracker.replay.clock import format_hub_time, parse_time

__all__ = ["FAR_PAST", "RepoHistory", "load_repos", "org_of", "synth_listing_item"]

#: The time of a snapshot without a manifest entry, and of a name without a public event.
FAR_PAST = datetime(1970, 1, 1, tzinfo=UTC)


def org_of(repo_id: str) -> str:
    """Return the org of ``org/name``."""
    return repo_id.split("/", 1)[0]


@dataclass
class RepoHistory:
    """Everything known about one ``_id``: newest snapshot item plus its timeline (times aware UTC)."""

    _id: str
    item: dict[str, Any]  # newest listing snapshot (or synthesized item)
    public_at: datetime | None  # None: no timeline event, visible always
    public_sha: str | None
    deleted_at: datetime | None
    names: list[tuple[datetime, str]]  # (since, repo_id), ascending
    updates: list[tuple[datetime, str]]  # (at, sha), ascending
    info: dict[str, Any] | None = None  # hf/model_info entry, if any

    def visible(self, now: datetime) -> bool:
        """True when the repo is public and not deleted at ``now``."""
        if self.public_at is not None and self.public_at > now:
            return False
        return not (self.deleted_at is not None and self.deleted_at <= now)

    def name_at(self, now: datetime) -> str:
        """The repo id at ``now`` (its first name before any rename)."""
        current = self.names[0][1]
        for since, repo_id in self.names:
            if since <= now:
                current = repo_id
            else:
                break
        return current

    def all_names(self) -> set[str]:
        """Every repo id the repo ever had."""
        return {name for _, name in self.names}

    def view(self, base: dict[str, Any], now: datetime) -> dict[str, Any]:
        """A deep copy of ``base`` with id/author/sha/lastModified as of ``now`` (key order kept)."""
        out = copy.deepcopy(base)
        repo_id = self.name_at(now)
        if "id" in out:
            out["id"] = repo_id
        if "modelId" in out:
            out["modelId"] = repo_id
        if "author" in out:
            out["author"] = org_of(repo_id)
        if self.public_at is not None:
            sha, modified = self.public_sha, self.public_at
            for at, upd_sha in self.updates:
                if at <= now:
                    sha, modified = upd_sha, at
                else:
                    break
            if sha is not None:
                out["sha"] = sha
            out["lastModified"] = format_hub_time(modified)
        return out


def synth_listing_item(ev: dict[str, Any]) -> dict[str, Any]:
    """Minimal Hub listing item (Hub key order) for a repo that is only in the timeline."""
    return {
        "_id": ev["_id"],
        "id": ev["repo_id"],
        "author": org_of(ev["repo_id"]),
        "gated": ev.get("gated", False),
        "lastModified": format_hub_time(parse_time(ev["at"])),
        "likes": 0,
        "trendingScore": 0,
        "private": False,
        "disabled": False,
        "sha": ev.get("sha"),
        "downloads": 0,
        "tags": [],
        "pipeline_tag": ev.get("pipeline_tag"),
        "library_name": None,
        "createdAt": ev.get("createdAt"),
        "modelId": ev["repo_id"],
        "siblings": [],
    }


def load_repos(root: Path, timeline: list[dict[str, Any]]) -> dict[str, RepoHistory]:
    """Combine the ``hf/models`` snapshots, ``hf/model_info`` and the timeline into repo histories.

    Args:
        root (Path): the corpus folder.
        timeline (list[dict]): the timeline events, sorted by ``at``.

    Returns:
        dict[str, RepoHistory]: by ``_id``; repos with neither a listing nor a public event are left out.
    """
    newest = _newest_snapshots(root)
    by_id: dict[str, list[dict[str, Any]]] = {}
    for ev in timeline:
        if ev.get("_id") and ev["event"].startswith("hf_model_"):
            by_id.setdefault(ev["_id"], []).append(ev)
    org_renames: dict[tuple[str, str], datetime] = {}
    for ev in timeline:
        if ev["event"] == "hf_model_renamed":
            key = (org_of(ev["old_repo_id"]), org_of(ev["repo_id"]))
            org_renames.setdefault(key, parse_time(ev["at"]))
    repos: dict[str, RepoHistory] = {}
    for _id in set(newest) | set(by_id):
        repo = _history(_id, newest.get(_id), by_id.get(_id, []), org_renames)
        if repo is not None:
            repos[_id] = repo
    _attach_model_info(root, repos)
    return repos


def _newest_snapshots(root: Path) -> dict[str, tuple[datetime, dict[str, Any]]]:
    """Return ``_id -> (snapshot time, item)`` from the newest listing file showing each repo."""
    manifest = json.loads((root / "hf/models/_manifest.json").read_text(encoding="utf-8"))
    snap_at = {Path(m["file"]).name: parse_time(m["snapshot_at"]) for m in manifest}
    newest: dict[str, tuple[datetime, dict[str, Any]]] = {}
    for path in sorted((root / "hf/models").glob("*.json")):
        if path.name.startswith("_"):
            continue
        when = snap_at.get(path.name, FAR_PAST)
        for item in json.loads(path.read_text(encoding="utf-8")):
            prev = newest.get(item["_id"])
            if prev is None or when > prev[0]:
                newest[item["_id"]] = (when, item)
    return newest


def _history(
    _id: str,
    snapshot: tuple[datetime, dict[str, Any]] | None,
    events: list[dict[str, Any]],
    org_renames: dict[tuple[str, str], datetime],
) -> RepoHistory | None:
    """Build one repo's history from its newest snapshot (if any) and its timeline events."""
    public = next((e for e in events if e["event"] == "hf_model_public"), None)
    if snapshot is not None:
        item = snapshot[1]
    elif public is not None:
        item = synth_listing_item(public)
    else:  # only updates/renames without a public event or listing: nothing to show
        return None
    deleted = next((e for e in events if e["event"] == "hf_model_deleted"), None)
    names = [(parse_time(public["at"]), public["repo_id"])] if public is not None else [(FAR_PAST, item["id"])]
    for e in events:
        if e["event"] == "hf_model_renamed":
            names.append((parse_time(e["at"]), e["repo_id"]))
    if item["id"] != names[-1][1]:
        # Snapshot id not explained by the timeline: infer the rename time.
        old, new = names[-1][1], item["id"]
        at = org_renames.get((org_of(old), org_of(new)))
        if at is None:
            at = next(
                (parse_time(e["at"]) for e in events if e.get("repo_id") == new),
                snapshot[0] if snapshot is not None else names[-1][0],
            )
        names.append((max(at, names[-1][0]), new))
    names.sort(key=lambda p: p[0])
    return RepoHistory(
        _id=_id,
        item=item,
        public_at=parse_time(public["at"]) if public else None,
        public_sha=public.get("sha") if public else None,
        deleted_at=parse_time(deleted["at"]) if deleted else None,
        names=names,
        updates=[(parse_time(e["at"]), e["sha"]) for e in events if e["event"] == "hf_model_updated" and e.get("sha")],
    )


def _attach_model_info(root: Path, repos: dict[str, RepoHistory]) -> None:
    """Set ``info`` of every repo that has an ``hf/model_info`` file."""
    info_dir = root / "hf/model_info"
    if not info_dir.is_dir():
        return
    for path in sorted(info_dir.glob("*.json")):
        if path.name.startswith("_"):
            continue
        info = json.loads(path.read_text(encoding="utf-8"))
        repo = repos.get(info.get("_id", ""))
        if repo is not None:
            repo.info = info
