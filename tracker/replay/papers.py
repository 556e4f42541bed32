"""The arXiv half of the corpus: each paper's feed entry and versions, shown as of a time.

``arxiv/_manifest.json`` lists one recorded feed per lab query; ``arxiv/papers.json`` and the
timeline's ``arxiv_paper`` events say when each paper's v1 appeared and when its latest version
replaced it. Before that, a paper shows as v1 (its v1 title, ``updated`` = its submission).
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tracker.replay.clock import parse_time

__all__ = ["ArxivEntry", "PaperHistory", "load_papers", "normalize_query"]

_ATOM = "{http://www.w3.org/2005/Atom}"


def normalize_query(q: str) -> str:
    """Collapse whitespace, so that a query matches however it was spaced."""
    return " ".join(q.split())


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
class PaperHistory:
    """One paper's v1 and latest version, as recorded (times aware UTC)."""

    arxiv_id: str
    lab: str | None
    at: datetime  # v1 submission (visibility)
    title_v1: str
    latest_version: int
    latest_updated: datetime
    entry_xml: str  # latest version's entry text from the feed file
    latest_title: str

    def shown(self, now: datetime) -> ArxivEntry | None:
        """The entry a feed shows at ``now``: None before v1, v1 until the latest version is out."""
        if self.at > now:
            return None
        if self.latest_version <= 1 or self.latest_updated <= now:
            return ArxivEntry(
                self.arxiv_id,
                self.latest_version,
                self.latest_title,
                self.at,
                self.latest_updated,
                self.lab,
                self.entry_xml,
            )
        text = self.entry_xml
        text = re.sub(rf"(arxiv\.org/(?:abs|pdf)/{re.escape(self.arxiv_id)})v\d+", r"\1v1", text)
        text = re.sub(
            r"<title>.*?</title>",
            lambda _m: f"<title>{html.escape(self.title_v1, quote=False)}</title>",
            text,
            count=1,
            flags=re.S,
        )
        text = re.sub(r"<updated>.*?</updated>", f"<updated>{_iso_z(self.at)}</updated>", text, count=1)
        return ArxivEntry(self.arxiv_id, 1, self.title_v1, self.at, self.at, self.lab, text)


def _iso_z(dt: datetime) -> str:
    return parse_time(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_papers(
    root: Path, timeline: list[dict[str, Any]], labs: list[dict[str, Any]]
) -> tuple[dict[str, list[PaperHistory]], dict[str, PaperHistory]]:
    """Parse the recorded arXiv feeds into paper histories.

    Args:
        root (Path): the corpus folder.
        timeline (list[dict]): the timeline events (``arxiv_paper`` ones are used).
        labs (list[dict]): ``labs.json``; a lab's ``arxiv_query`` also finds its feed's papers.

    Returns:
        tuple: ``(papers by normalized query, papers by arXiv id without version)``.
    """
    manifest = json.loads((root / "arxiv/_manifest.json").read_text(encoding="utf-8"))
    papers_meta = {p["arxiv_id"]: p for p in json.loads((root / "arxiv/papers.json").read_text(encoding="utf-8"))}
    events = {e["arxiv_id"]: e for e in timeline if e["event"] == "arxiv_paper"}
    lab_query = {lab["slug"]: lab.get("arxiv_query") for lab in labs}
    by_query: dict[str, list[PaperHistory]] = {}
    by_id: dict[str, PaperHistory] = {}
    for m in manifest:
        raw = (root / m["file"]).read_text(encoding="utf-8")
        papers: list[PaperHistory] = []
        for block in re.findall(r"[ \t]*<entry>.*?</entry>", raw, flags=re.S):
            paper = _paper(block, events, papers_meta, m.get("lab"))
            if paper is not None:
                papers.append(paper)
                by_id[paper.arxiv_id] = paper
        queries = {normalize_query(m["search_query"])}
        if lab_query.get(m.get("lab")):
            queries.add(normalize_query(lab_query[m["lab"]]))
        for q in queries:
            by_query[q] = papers
    return by_query, by_id


def _paper(
    block: str, events: dict[str, dict[str, Any]], papers_meta: dict[str, dict[str, Any]], feed_lab: str | None
) -> PaperHistory | None:
    """Build one paper's history from its feed entry text; None when the entry has no arXiv id."""
    el = ET.fromstring(block.strip().replace("<entry>", '<entry xmlns="http://www.w3.org/2005/Atom">', 1))
    id_url = el.findtext(f"{_ATOM}id", "")
    mm = re.search(r"/abs/(.+?)v(\d+)$", id_url)
    if not mm:
        return None
    arxiv_id, version = mm.group(1), int(mm.group(2))
    ev = events.get(arxiv_id, {})
    meta = papers_meta.get(arxiv_id, {})
    title = " ".join((el.findtext(f"{_ATOM}title") or "").split())
    published = parse_time(el.findtext(f"{_ATOM}published") or ev["at"])
    updated = parse_time(el.findtext(f"{_ATOM}updated") or ev.get("at"))
    return PaperHistory(
        arxiv_id=arxiv_id,
        lab=ev.get("lab") or meta.get("lab") or feed_lab,
        at=parse_time(ev["at"]) if ev else published,
        title_v1=ev.get("title") or meta.get("title_v1") or title,
        latest_version=int(ev.get("latest_version") or version),
        latest_updated=parse_time(ev["latest_updated"]) if ev.get("latest_updated") else updated,
        entry_xml=block,
        latest_title=title,
    )
