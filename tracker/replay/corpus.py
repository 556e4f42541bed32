"""The recorded corpus (Hugging Face Hub listings + arXiv feeds) replayed as of a given time.

The packaged folder :data:`CORPUS_DIR` holds snapshots (``hf/models/<org>.json``,
``hf/model_info/``, ``arxiv/query_<lab>.xml``) and ``timeline.jsonl``, which says when each
repo became public, was updated, renamed or deleted and when each paper appeared.
:class:`Corpus` combines the two: it answers "what would the Hub / arXiv have shown at time
``now``?". All times are timezone-aware UTC :class:`datetime.datetime` objects; a naive datetime
passed in is taken as UTC. The replay rules are in ``tracker.replay.repos`` (Hub) and
``tracker.replay.papers`` (arXiv).
"""

from __future__ import annotations

import bisect
import copy
import functools
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tracker.replay.arxiv_search import EntryText, compile_query, entry_text
from tracker.replay.clock import parse_time
from tracker.replay.papers import ArxivEntry, PaperHistory, load_papers, normalize_query
from tracker.replay.repos import RepoHistory, load_repos, org_of

__all__ = ["CORPUS_DIR", "Corpus"]

#: The packaged corpus folder (``tracker/replay/corpus``).
CORPUS_DIR: Path = Path(__file__).resolve().parent / "corpus"


@dataclass
class Corpus:
    """The parsed corpus; immutable after :meth:`load` and safe to share between threads."""

    root: Path
    timeline: list[dict[str, Any]] = field(default_factory=list)
    _labs: list[dict[str, Any]] = field(default_factory=list, repr=False)
    _repos: dict[str, RepoHistory] = field(default_factory=dict, repr=False)
    _by_org: dict[str, list[RepoHistory]] = field(default_factory=dict, repr=False)
    _papers_by_query: dict[str, list[PaperHistory]] = field(default_factory=dict, repr=False)
    _papers: dict[str, PaperHistory] = field(default_factory=dict, repr=False)
    _texts: dict[str, EntryText] = field(default_factory=dict, repr=False)
    _event_times: list[datetime] = field(default_factory=list, repr=False)
    _change_times: list[datetime] = field(default_factory=list, repr=False)
    _listing_cache: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict, repr=False)
    _by_tag: dict[str, list[RepoHistory]] = field(default_factory=dict, repr=False)
    _cache_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, root: Path = CORPUS_DIR) -> Corpus:
        """Parse the corpus at ``root`` (default: the packaged one). Cached per resolved path."""
        return _load_cached(str(Path(root).resolve()))

    @classmethod
    def _parse(cls, root: Path) -> Corpus:
        self = cls(root=root)
        self._labs = json.loads((root / "labs.json").read_text(encoding="utf-8"))
        with (root / "timeline.jsonl").open(encoding="utf-8") as fh:
            self.timeline = [json.loads(line) for line in fh if line.strip()]
        self.timeline.sort(key=lambda e: parse_time(e["at"]))
        self._event_times = [parse_time(e["at"]) for e in self.timeline]
        self._repos = load_repos(root, self.timeline)
        self._index_repos()
        self._papers_by_query, self._papers = load_papers(root, self.timeline, self._labs)
        return self

    def _index_repos(self) -> None:
        """Index repos by every org they were ever under, and collect the times a listing changes."""
        changes: set[datetime] = set()
        for repo in self._repos.values():
            for org in {org_of(n) for n in repo.all_names()}:
                self._by_org.setdefault(org, []).append(repo)
            changes.update(t for t, _ in repo.names)
            changes.update(t for t, _ in repo.updates)
            changes.update(t for t in (repo.public_at, repo.deleted_at) if t is not None)
            for tag in {str(t).lower() for t in repo.item.get("tags") or ()}:
                self._by_tag.setdefault(tag, []).append(repo)
        self._change_times = sorted(changes)

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
        out = [
            repo.view(repo.item, now)
            for repo in self._by_org.get(org, ())
            if repo.visible(now) and org_of(repo.name_at(now)) == org
        ]
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
        for repo in self._by_org.get(org_of(repo_id), ()):
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
        for repo in self._by_org.get(org_of(repo_id), ()):
            if repo.visible(now) and repo.name_at(now) == repo_id:
                return repo.view(repo.info if repo.info is not None else repo.item, now)
        return None

    def start_of(self, object_id: str) -> datetime | None:
        """When a repo went public (its public event, else its ``createdAt``), or None if unknown.

        Synthetic counters (``tracker.replay.adoption``) grow from this time.
        """
        repo = self._repos.get(object_id)
        if repo is None:
            return None
        if repo.public_at is not None:
            return repo.public_at
        created = repo.item.get("createdAt")
        return parse_time(created) if isinstance(created, str) else None

    def find_visible(self, repo_id: str, now: datetime) -> dict[str, Any] | None:
        """The listing item of the repo named ``repo_id`` (any case) at ``now``, or None (read-only)."""
        now = parse_time(now)
        org = org_of(repo_id)
        for known in self._by_org:
            if known.lower() != org.lower():
                continue
            for item in self.listing_view(known, now):
                if item["id"].lower() == repo_id.lower():
                    return item
        return None

    def tagged(self, tag: str, now: datetime) -> list[dict[str, Any]]:
        """Fresh listing items visible at ``now`` whose tags include ``tag`` (any case), any org."""
        now = parse_time(now)
        return [repo.view(repo.item, now) for repo in self._by_tag.get(tag.lower(), ()) if repo.visible(now)]

    def arxiv_entries(self, search_query: str, now: datetime) -> list[ArxivEntry]:
        """Papers a lab's arXiv query returns at ``now``, newest submission first.

        A query equal (whitespace-normalized) to one from ``arxiv/_manifest.json`` or a lab's
        ``arxiv_query`` in ``labs.json`` returns what arXiv returned; any other is evaluated against
        every recorded paper (``tracker.replay.arxiv_search``; unsupported syntax -> ``[]``). A paper is shown
        once its v1 is out; as its latest version after ``latest_updated``, as v1 before.
        """
        now = parse_time(now)
        papers = self._papers_by_query.get(normalize_query(search_query))
        if papers is None:
            papers = self._search(search_query)
        return self._shown(papers, now)

    def _search(self, search_query: str) -> list[PaperHistory]:
        """Every recorded paper a query the corpus did not record matches (``arxiv_search``)."""
        try:
            match = compile_query(search_query)
        except ValueError:
            return []
        with self._cache_lock:
            if not self._texts:
                self._texts.update({i: entry_text(p.entry_xml) for i, p in self._papers.items()})
        return [p for i, p in self._papers.items() if match(self._texts[i])]

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
    def _shown(papers: list[PaperHistory], now: datetime) -> list[ArxivEntry]:
        shown = [e for e in (p.shown(now) for p in papers) if e is not None]
        shown.sort(key=lambda e: (e.published, e.arxiv_id), reverse=True)
        return shown

    def span(self) -> tuple[datetime, datetime]:
        """The first and last timeline event times (UTC): what the recordings cover."""
        return self._event_times[0], self._event_times[-1]

    def events_between(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Timeline events (raw dicts, times as ISO strings) with ``start < at <= end``, in order."""
        start, end = parse_time(start), parse_time(end)
        return [copy.deepcopy(ev) for ev, at in zip(self.timeline, self._event_times, strict=True) if start < at <= end]


@functools.lru_cache(maxsize=8)
def _load_cached(root: str) -> Corpus:
    return Corpus._parse(Path(root))
