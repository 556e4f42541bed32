"""The recorded corpus (Hugging Face Hub listings + arXiv feeds) replayed as of a given time.

The packaged folder :data:`CORPUS_DIR` holds snapshots (``hf/models/<org>.json``,
``hf/model_info/``, ``arxiv/query_<lab>.xml``) and ``timeline.jsonl``, which says when each
repo became public, was updated, renamed or deleted and when each paper appeared.
:class:`Corpus` combines the two: it answers "what would the Hub / arXiv have shown at time
``now``?". All times are timezone-aware UTC :class:`datetime.datetime` objects; a naive datetime
passed in is taken as UTC.

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

import bisect
import copy
import functools
import threading
import html
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = [
    "CORPUS_DIR",
    "ArxivEntry",
    "Corpus",
    "format_hub_time",
    "parse_time",
]

#: The packaged corpus folder (``tracker/replay/corpus``).
CORPUS_DIR: Path = Path(__file__).resolve().parent / "corpus"

_ATOM = "{http://www.w3.org/2005/Atom}"
_FAR_PAST = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_time(value: str | datetime) -> datetime:
    """Parse an ISO-8601 string (``Z`` or offset, optional fraction) to an aware UTC datetime.

    Datetimes pass through; naive ones are taken as UTC.
    """
    if isinstance(value, datetime):
        dt = value
    else:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def format_hub_time(dt: datetime) -> str:
    """Format a datetime the way the Hub does: ``2025-04-29T00:00:00.000Z`` (UTC, milliseconds)."""
    dt = parse_time(dt)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _iso_z(dt: datetime) -> str:
    return parse_time(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def _org_of(repo_id: str) -> str:
    return repo_id.split("/", 1)[0]


def _normalize_query(q: str) -> str:
    return " ".join(q.split())


@dataclass
class _Repo:
    """Everything known about one ``_id``: newest snapshot item plus its timeline."""

    _id: str
    item: dict[str, Any]  # newest listing snapshot (or synthesized item)
    public_at: datetime | None  # None: no timeline event, visible always
    public_sha: str | None
    deleted_at: datetime | None
    names: list[tuple[datetime, str]]  # (since, repo_id), ascending
    updates: list[tuple[datetime, str]]  # (at, sha), ascending
    info: dict[str, Any] | None = None  # hf/model_info entry, if any

    def visible(self, now: datetime) -> bool:
        if self.public_at is not None and self.public_at > now:
            return False
        return not (self.deleted_at is not None and self.deleted_at <= now)

    def name_at(self, now: datetime) -> str:
        current = self.names[0][1]
        for since, repo_id in self.names:
            if since <= now:
                current = repo_id
            else:
                break
        return current

    def all_names(self) -> set[str]:
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
            out["author"] = _org_of(repo_id)
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


@dataclass
class ArxivEntry:
    """One paper as an arXiv feed shows it at some time.

    ``xml`` is the ``<entry>...</entry>`` element text in the corpus file's exact formatting,
    already rewritten to the shown version (id/links/title/updated for a v1 view).
    ``published`` is the v1 submission time, ``updated`` the shown version's time (aware UTC).
    """

    arxiv_id: str  # without version, e.g. "2412.19437"
    version: int
    title: str
    published: datetime
    updated: datetime
    lab: str | None
    xml: str

    @property
    def versioned_id(self) -> str:
        """``2412.19437v2``."""
        return f"{self.arxiv_id}v{self.version}"


@dataclass
class _Paper:
    arxiv_id: str
    lab: str | None
    at: datetime  # v1 submission (visibility)
    title_v1: str
    latest_version: int
    latest_updated: datetime
    entry_xml: str  # latest version's entry text from the feed file
    latest_title: str

    def shown(self, now: datetime) -> ArxivEntry | None:
        if self.at > now:
            return None
        if self.latest_version <= 1 or self.latest_updated <= now:
            return ArxivEntry(self.arxiv_id, self.latest_version, self.latest_title, self.at,
                              self.latest_updated, self.lab, self.entry_xml)
        text = self.entry_xml
        text = re.sub(rf"(arxiv\.org/(?:abs|pdf)/{re.escape(self.arxiv_id)})v\d+", r"\1v1", text)
        text = re.sub(r"<title>.*?</title>", lambda _m: f"<title>{html.escape(self.title_v1, quote=False)}</title>",
                      text, count=1, flags=re.S)
        text = re.sub(r"<updated>.*?</updated>", f"<updated>{_iso_z(self.at)}</updated>", text, count=1)
        return ArxivEntry(self.arxiv_id, 1, self.title_v1, self.at, self.at, self.lab, text)


def _synth_item(ev: dict[str, Any]) -> dict[str, Any]:
    """Minimal Hub listing item (Hub key order) for a repo that is only in the timeline."""
    return {
        "_id": ev["_id"],
        "id": ev["repo_id"],
        "author": _org_of(ev["repo_id"]),
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


@dataclass
class Corpus:
    """The parsed corpus; immutable after :meth:`load` and safe to share between threads."""

    root: Path
    timeline: list[dict[str, Any]] = field(default_factory=list)
    _labs: list[dict[str, Any]] = field(default_factory=list, repr=False)
    _repos: dict[str, _Repo] = field(default_factory=dict, repr=False)
    _by_org: dict[str, list[_Repo]] = field(default_factory=dict, repr=False)
    _papers_by_query: dict[str, list[_Paper]] = field(default_factory=dict, repr=False)
    _papers: dict[str, _Paper] = field(default_factory=dict, repr=False)
    _event_times: list[datetime] = field(default_factory=list, repr=False)
    _change_times: list[datetime] = field(default_factory=list, repr=False)
    _listing_cache: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict, repr=False)
    _cache_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, root: Path = CORPUS_DIR) -> "Corpus":
        """Parse the corpus at ``root`` (default: the packaged one). Cached per resolved path."""
        return _load_cached(str(Path(root).resolve()))

    @classmethod
    def _parse(cls, root: Path) -> "Corpus":
        self = cls(root=root)
        self._labs = json.loads((root / "labs.json").read_text(encoding="utf-8"))
        with (root / "timeline.jsonl").open(encoding="utf-8") as fh:
            self.timeline = [json.loads(line) for line in fh if line.strip()]
        self.timeline.sort(key=lambda e: parse_time(e["at"]))
        self._event_times = [parse_time(e["at"]) for e in self.timeline]
        self._load_hf(root)
        self._load_arxiv(root)
        return self

    def _load_hf(self, root: Path) -> None:
        manifest = json.loads((root / "hf/models/_manifest.json").read_text(encoding="utf-8"))
        snap_at = {Path(m["file"]).name: parse_time(m["snapshot_at"]) for m in manifest}
        newest: dict[str, tuple[datetime, dict[str, Any]]] = {}
        for path in sorted((root / "hf/models").glob("*.json")):
            if path.name.startswith("_"):
                continue
            when = snap_at.get(path.name, _FAR_PAST)
            for item in json.loads(path.read_text(encoding="utf-8")):
                prev = newest.get(item["_id"])
                if prev is None or when > prev[0]:
                    newest[item["_id"]] = (when, item)

        by_id: dict[str, list[dict[str, Any]]] = {}
        for ev in self.timeline:
            if ev.get("_id") and ev["event"].startswith("hf_model_"):
                by_id.setdefault(ev["_id"], []).append(ev)
        org_renames: dict[tuple[str, str], datetime] = {}
        for ev in self.timeline:
            if ev["event"] == "hf_model_renamed":
                key = (_org_of(ev["old_repo_id"]), _org_of(ev["repo_id"]))
                org_renames.setdefault(key, parse_time(ev["at"]))

        for _id in set(newest) | set(by_id):
            events = by_id.get(_id, [])
            public = next((e for e in events if e["event"] == "hf_model_public"), None)
            if _id in newest:
                item = newest[_id][1]
            elif public is not None:
                item = _synth_item(public)
            else:  # only updates/renames without a public event or listing: nothing to show
                continue
            deleted = next((e for e in events if e["event"] == "hf_model_deleted"), None)
            if public is not None:
                names = [(parse_time(public["at"]), public["repo_id"])]
            else:
                names = [(_FAR_PAST, item["id"])]
            for e in events:
                if e["event"] == "hf_model_renamed":
                    names.append((parse_time(e["at"]), e["repo_id"]))
            if item["id"] != names[-1][1]:
                # Snapshot id not explained by the timeline: infer the rename time.
                old, new = names[-1][1], item["id"]
                at = org_renames.get((_org_of(old), _org_of(new)))
                if at is None:
                    at = next((parse_time(e["at"]) for e in events if e.get("repo_id") == new),
                              newest[_id][0] if _id in newest else names[-1][0])
                names.append((max(at, names[-1][0]), new))
            names.sort(key=lambda p: p[0])
            repo = _Repo(
                _id=_id,
                item=item,
                public_at=parse_time(public["at"]) if public else None,
                public_sha=public.get("sha") if public else None,
                deleted_at=parse_time(deleted["at"]) if deleted else None,
                names=names,
                updates=[(parse_time(e["at"]), e["sha"]) for e in events
                         if e["event"] == "hf_model_updated" and e.get("sha")],
            )
            self._repos[_id] = repo

        info_dir = root / "hf/model_info"
        if info_dir.is_dir():
            for path in sorted(info_dir.glob("*.json")):
                if path.name.startswith("_"):
                    continue
                info = json.loads(path.read_text(encoding="utf-8"))
                repo = self._repos.get(info.get("_id", ""))
                if repo is not None:
                    repo.info = info

        changes: set[datetime] = set()
        for repo in self._repos.values():
            for org in {_org_of(n) for n in repo.all_names()}:
                self._by_org.setdefault(org, []).append(repo)
            changes.update(t for t, _ in repo.names)
            changes.update(t for t, _ in repo.updates)
            changes.update(t for t in (repo.public_at, repo.deleted_at) if t is not None)
        self._change_times = sorted(changes)

    def _load_arxiv(self, root: Path) -> None:
        manifest = json.loads((root / "arxiv/_manifest.json").read_text(encoding="utf-8"))
        papers_meta = {p["arxiv_id"]: p for p in
                       json.loads((root / "arxiv/papers.json").read_text(encoding="utf-8"))}
        events = {e["arxiv_id"]: e for e in self.timeline if e["event"] == "arxiv_paper"}
        lab_query = {lab["slug"]: lab.get("arxiv_query") for lab in self._labs}
        for m in manifest:
            path = root / m["file"]
            raw = path.read_text(encoding="utf-8")
            papers: list[_Paper] = []
            for block in re.findall(r"[ \t]*<entry>.*?</entry>", raw, flags=re.S):
                el = ET.fromstring(block.strip().replace(
                    "<entry>", '<entry xmlns="http://www.w3.org/2005/Atom">', 1))
                id_url = el.findtext(f"{_ATOM}id", "")
                mm = re.search(r"/abs/(.+?)v(\d+)$", id_url)
                if not mm:
                    continue
                arxiv_id, version = mm.group(1), int(mm.group(2))
                ev = events.get(arxiv_id, {})
                meta = papers_meta.get(arxiv_id, {})
                title = " ".join((el.findtext(f"{_ATOM}title") or "").split())
                published = parse_time(el.findtext(f"{_ATOM}published") or ev["at"])
                updated = parse_time(el.findtext(f"{_ATOM}updated") or ev.get("at"))
                paper = _Paper(
                    arxiv_id=arxiv_id,
                    lab=ev.get("lab") or meta.get("lab") or m.get("lab"),
                    at=parse_time(ev["at"]) if ev else published,
                    title_v1=ev.get("title") or meta.get("title_v1") or title,
                    latest_version=int(ev.get("latest_version") or version),
                    latest_updated=parse_time(ev["latest_updated"]) if ev.get("latest_updated") else updated,
                    entry_xml=block,
                    latest_title=title,
                )
                papers.append(paper)
                self._papers[arxiv_id] = paper
            queries = {_normalize_query(m["search_query"])}
            if lab_query.get(m.get("lab")):
                queries.add(_normalize_query(lab_query[m["lab"]]))
            for q in queries:
                self._papers_by_query[q] = papers

    # ------------------------------------------------------------------ queries
    def labs(self) -> list[dict[str, Any]]:
        """The watched labs from ``labs.json`` (list of dicts: slug, name, country, hf_orgs, ...)."""
        return copy.deepcopy(self._labs)

    def orgs(self) -> list[str]:
        """Every Hub org that ever holds a repo in the corpus (current and former names)."""
        return sorted(self._by_org)

    def visible_models(self, org: str, now: datetime) -> list[dict[str, Any]]:
        """Hub listing items for ``author=org`` as of ``now`` (aware UTC), createdAt descending.

        Each item is a fresh dict in the Hub's key order (``_id, id, author, gated, lastModified,
        likes, trendingScore, private, disabled, sha, downloads, tags, pipeline_tag,
        library_name, createdAt, modelId, siblings``) with ``id``/``modelId``/``author`` and
        ``sha``/``lastModified`` as of ``now``. Unknown org -> ``[]``.
        """
        return copy.deepcopy(self.listing_view(org, now))

    def listing_view(self, org: str, now: datetime) -> list[dict[str, Any]]:
        """Like :meth:`visible_models` but returns shared, cached dicts: read-only for callers.

        The answer only changes at timeline event times, so it is cached per (org, epoch).
        """
        now = parse_time(now)
        key = (org, bisect.bisect_right(self._change_times, now))
        with self._cache_lock:
            hit = self._listing_cache.get(key)
        if hit is not None:
            return hit
        out = [repo.view(repo.item, now) for repo in self._by_org.get(org, ())
               if repo.visible(now) and _org_of(repo.name_at(now)) == org]
        out.sort(key=lambda it: (it.get("createdAt") or "", it["_id"]), reverse=True)
        with self._cache_lock:
            if len(self._listing_cache) > 4096:
                self._listing_cache.clear()
            self._listing_cache[key] = out
        return out

    def resolve(self, repo_id: str, now: datetime) -> str | None:
        """The id a repo has at ``now`` if ``repo_id`` is its current or a former name, else None.

        Lets the hub answer an old name after a rename with a redirect, as the real Hub does.
        """
        now = parse_time(now)
        for repo in self._by_org.get(_org_of(repo_id), ()):
            if repo_id in repo.all_names() and repo.visible(now):
                current = repo.name_at(now)
                since = next(s for s, n in repo.names if n == repo_id)
                if since <= now:
                    return current
        return None

    def model_info(self, repo_id: str, now: datetime) -> dict[str, Any] | None:
        """The single-model endpoint body for ``repo_id`` at ``now``, or None.

        Returns the ``hf/model_info`` entry (id/author/sha/lastModified as of ``now``) when the repo
        is visible under exactly that id at ``now``; a listing-shaped item when it is visible but
        has no model_info file; None when not visible (not yet public, deleted, or the id is
        not its name at ``now``).
        """
        now = parse_time(now)
        for repo in self._by_org.get(_org_of(repo_id), ()):
            if repo.visible(now) and repo.name_at(now) == repo_id:
                return repo.view(repo.info if repo.info is not None else repo.item, now)
        return None

    def arxiv_entries(self, search_query: str, now: datetime) -> list[ArxivEntry]:
        """Papers a lab's arXiv query returns at ``now``, newest submission first.

        ``search_query`` must equal (whitespace-normalized) a query from ``arxiv/_manifest.json``
        or a lab's ``arxiv_query`` in ``labs.json``; anything else -> ``[]``. A paper is shown
        once its v1 is out; as its latest version after ``latest_updated``, as v1 before.
        """
        now = parse_time(now)
        papers = self._papers_by_query.get(_normalize_query(search_query), [])
        return self._shown(papers, now)

    def arxiv_by_ids(self, arxiv_ids: list[str], now: datetime) -> list[ArxivEntry]:
        """Visible papers by id (version suffix ignored), in the given order (arXiv ``id_list``)."""
        now = parse_time(now)
        out = []
        for raw in arxiv_ids:
            base = re.sub(r"v\d+$", "", raw.strip())
            paper = self._papers.get(base)
            entry = paper.shown(now) if paper else None
            if entry is not None:
                out.append(entry)
        return out

    @staticmethod
    def _shown(papers: list[_Paper], now: datetime) -> list[ArxivEntry]:
        shown = [e for e in (p.shown(now) for p in papers) if e is not None]
        shown.sort(key=lambda e: (e.published, e.arxiv_id), reverse=True)
        return shown

    def events_between(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Timeline events (raw dicts, times as ISO strings) with ``start < at <= end``, in order."""
        start, end = parse_time(start), parse_time(end)
        return [copy.deepcopy(ev) for ev, at in zip(self.timeline, self._event_times)
                if start < at <= end]


@functools.lru_cache(maxsize=8)
def _load_cached(root: str) -> Corpus:
    return Corpus._parse(Path(root))
