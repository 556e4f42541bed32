"""Plain, frozen data shared by every layer: what sources observe and what detection decides.

Nothing here does I/O. Times are timezone-aware UTC ``datetime`` objects everywhere.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime (naive values are taken to be UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class SourceKind(enum.StrEnum):
    """Where an artifact was observed; the value is stored in the database."""

    HF = "hf"
    ARXIV = "arxiv"
    MODELSCOPE = "modelscope"  # ModelScope model hub (modelscope.cn)
    GITHUB = "github"  # GitHub releases, tags and new repos
    FEEDS = "feeds"  # lab blogs and news (RSS/Atom)
    DAILY_PAPERS = "daily_papers"  # Hugging Face daily papers (artifacts are stored as "arxiv")


class ArtifactKind(enum.StrEnum):
    """What an artifact is; a release's kind is the kind of its first artifact."""

    MODEL = "model"
    PAPER = "paper"
    CODE = "code"
    POST = "post"  # a blog or news entry


class VariantKind(enum.StrEnum):
    """What a variant is; the lowercase value is what the API and the database carry."""

    BASE = "base"
    INSTRUCT = "instruct"
    THINKING = "thinking"
    CODER = "coder"
    VISION = "vision"
    OMNI = "omni"
    AUDIO = "audio"
    EMBEDDING = "embedding"
    RERANKER = "reranker"
    IMAGE_GENERATION = "image-generation"
    VIDEO_GENERATION = "video-generation"
    DISTILL = "distill"
    ADAPTER = "adapter"
    QUANTIZED = "quantized"
    GUARD = "guard"
    MATH = "math"
    PROVER = "prover"
    OCR = "ocr"
    TTS = "tts"


class EventType(enum.StrEnum):
    """Domain events written to the outbox in the same transaction as the data they describe."""

    RELEASE_DETECTED = "release_detected"  # a new release (model launch or paper)
    VARIANT_ADDED = "variant_added"  # a new artifact attached to an existing release
    ARTIFACT_RENAMED = "artifact_renamed"  # same stable id, new name (repo rename / org move)
    ARTIFACT_WITHDRAWN = "artifact_withdrawn"  # vanished from a complete listing
    ARTIFACT_RESTORED = "artifact_restored"  # a withdrawn artifact is listed again
    PAPER_REVISED = "paper_revised"  # a new arXiv version of a known paper
    LAB_QUIET = "lab_quiet"  # a lab silent for longer than k x its median gap (tracker.briefings.cadence_alerts)
    LAB_BURST = "lab_burst"  # a lab with >= n releases in 7 days (tracker.briefings.cadence_alerts)
    RELEASE_WITHDRAWN = "release_withdrawn"  # every artifact of an announced release was withdrawn
    RELEASE_RESTORED = "release_restored"  # a release announced as withdrawn is listed again
    ORG_MOVE = "org_move"  # established repos moved into a watched org: one notice, never release alerts
    PAPER_LINKED = "paper_linked"  # a technical report joined its launch (edit the launch's alert, reply)
    LAUNCH_LINKED = "launch_linked"  # weights arrived for a paper announced before them (reply in its thread)
    RADAR_CROSSED = "radar_crossed"  # an org outside the watchlist reached the radar's alert score (once per org)


class ReleasedAtSource(enum.StrEnum):
    """What a release's ``released_at`` rests on; the value is stored in the database.

    Only a live detection knows when a thing became public (the first poll that saw it); history
    recorded on tracker's first listing of a scope is dated by what the source says, which for a
    Hub repo is its creation, often private and days or weeks before it went public.
    """

    FIRST_SEEN = "first_seen"  # the first poll that listed it (a live detection)
    CREATED_AT = "created_at"  # the source's creation time (Hub createdAt): public at or after it
    PUBLISHED = "published"  # the source's publication time (arXiv v1, a feed entry's date)
    UNKNOWN = "unknown"  # nothing better than tracker's own first sight, which came much later


@dataclass(frozen=True, slots=True)
class Observation:
    """One artifact as a source shows it right now.

    Attributes:
        source (SourceKind): which source saw it.
        external_id (str): the source's stable identity: the Hub's ``_id`` (an ObjectId that
            survives renames and org moves), or the arXiv id without its version (``2505.09388``).
        name (str): the current display name: the Hub repo id (``Qwen/Qwen3-8B``) or the paper title.
        org (str, optional): the Hub org (``author``); None for papers.
        url (str): a human URL for the artifact.
        kind (ArtifactKind): model, paper, code.
        created_at (datetime, optional): the source's creation time (Hub ``createdAt``, arXiv
            ``published`` of v1), UTC. Not when it became public: Hub repos are often created
            privately days or weeks earlier.
        version (int, optional): arXiv version number (latest seen); None elsewhere.
        attrs (Mapping): source facts kept as JSON (tags, sha, gated, licence, pipeline tag,
            authors, categories, downloads, likes...).
        scope (str, optional): the poll scope that listed it (``github:releases:QwenLM/Qwen3``,
            ``feeds:<url>``), used to decide baseline; None means ``<source>:<org>`` (Hub-style).
    """

    source: SourceKind
    external_id: str
    name: str
    org: str | None
    url: str
    kind: ArtifactKind
    created_at: datetime | None = None
    version: int | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)
    scope: str | None = None


@dataclass(frozen=True, slots=True)
class ScopeFailure:
    """One part of a poll (a Hub org, an arXiv query) that failed after retries.

    Attributes:
        scope (str): ``hf:Qwen`` or ``arxiv:<query>``.
        error (str): the reason, readable by a user.
        retry_after (float, optional): seconds the source asked us to wait, when it did.
        partial (bool): what was fetched before the failure was kept (an arXiv query whose later
            page stayed empty); the scope is still incomplete, so nothing is withdrawn from it.
    """

    scope: str
    error: str
    retry_after: float | None = None
    partial: bool = False


@dataclass(slots=True)
class SourceResult:
    """What one poll of one source for one lab returned.

    Attributes:
        source (SourceKind): the source polled.
        lab (str): the lab slug.
        observations (list[Observation]): artifacts seen (deduplicated by ``external_id``).
        complete_scopes (set[str]): scopes listed completely (every page fetched). Only artifacts
            whose scope is complete can be declared withdrawn.
        failures (list[ScopeFailure]): scopes that failed; nothing about them is concluded.
        requests (int): HTTP requests made (including retries).
        not_modified (int): requests answered 304 Not Modified.
        not_modified_scopes (set[str]): scopes answered 304 as a whole: nothing was parsed and
            nothing is concluded about them (they are neither complete nor failed).
        validators (dict, optional): conditional-request validators to keep, by request URL
            (``{"etag": ..., "last_modified": ...}``); None when the source made no conditional
            request. The pipeline stores them in ``SourceState.cursor["validators"]``.
    """

    source: SourceKind
    lab: str
    observations: list[Observation] = field(default_factory=list)
    complete_scopes: set[str] = field(default_factory=set)
    failures: list[ScopeFailure] = field(default_factory=list)
    requests: int = 0
    not_modified: int = 0
    not_modified_scopes: set[str] = field(default_factory=set)
    validators: dict[str, dict[str, str]] | None = None

    @property
    def all_not_modified(self) -> bool:
        """True when every scope answered 304 and nothing failed: nothing to parse or store."""
        return bool(self.not_modified_scopes) and not (self.failures or self.complete_scopes or self.observations)

    @property
    def ok(self) -> bool:
        """True when at least one scope succeeded or nothing failed."""
        return not self.failures or bool(self.complete_scopes)


@dataclass(frozen=True, slots=True)
class KnownArtifact:
    """The stored facts detection needs about one artifact.

    Attributes:
        id (int): database id.
        external_id (str): stable source id.
        name (str): current stored name.
        org (str, optional): current stored org (Hub), None for papers.
        withdrawn (bool): whether it is currently marked withdrawn.
        version (int, optional): latest arXiv version stored.
    """

    id: int
    external_id: str
    name: str
    org: str | None
    withdrawn: bool = False
    version: int | None = None


def scope_of(source: SourceKind | str, org: str | None) -> str | None:
    """Return the listing scope an artifact belongs to (``hf:qwen``, lowercased), or None.

    Papers (no org) have no listing scope: arXiv queries overlap and drift, so a paper missing
    from a query result is never taken as withdrawn.
    """
    if org is None:
        return None
    return f"{source}:{org}".lower()
