"""Builders for test inputs: watchlists (TOML text, files, ``Watchlist``, ``LabConfig``),
``Settings``, ``Observation``, and history rows inserted directly (labs, releases with their
artifacts, outbox events) for tests of what happens after detection.

The defaults are what most tests share (the Qwen lab on the Hub, a data dir of the test's own,
no arXiv throttle), so a test spells out only what it is about. TOML is rendered from plain
values, so a test that needs a user's watchlist file reads as data, not as a template.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tracker.config import Settings
from tracker.domain import ArtifactKind, Observation, SourceKind
from tracker.pipeline.events import detection_payload
from tracker.sizes import parse_params
from tracker.store.models import Artifact, DownloadSnapshot, Event, Lab, RadarCandidate, Release
from tracker.watchlist import LabConfig, Subscription, Watchlist, load_watchlist, parse_watchlist

#: The arXiv author query the packaged watchlist uses for Qwen (the replay corpus answers it).
QWEN_AUTHORS = (
    'au:"Qwen" OR au:"Zhenru Zhang" OR au:"An Yang" OR au:"Shuai Bai" OR au:"Jin Xu" '
    'OR au:"Yanzhao Zhang" OR au:"Chenfei Wu"'
)


# ------------------------------------------------------------------------------ watchlist TOML


def toml_value(value: Any) -> str:
    """One TOML value: a string, number, boolean or a list of them (JSON's spelling is TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML spelling for {value!r}")


def lab(slug: str = "qwen", *, name: str = "Qwen", country: str = "CN", **keys: Any) -> dict[str, Any]:
    """A ``[[labs]]`` table as a dict: ``slug``, ``name``, ``country`` and any other key given.

    ``lab()`` alone is the Qwen lab with no source; see ``qwen`` for the one on the Hub.
    """
    return {"slug": slug, "name": name, "country": country, **keys}


def qwen(**keys: Any) -> dict[str, Any]:
    """The Qwen lab watching the ``Qwen`` Hub org; ``keys`` override or add (``name=...``)."""
    return lab(**{"hf_orgs": ["Qwen"], **keys})


def subscription(channel: str, **keys: Any) -> dict[str, Any]:
    """A ``[[subscriptions]]`` table as a dict: ``channel`` and any filter key given."""
    return {"channel": channel, **keys}


def watchlist_toml(
    *labs: Mapping[str, Any], subscriptions: Iterable[Mapping[str, Any]] = (), extends: str | None = None
) -> str:
    """A watchlist file's text: ``extends`` (if any), then the labs, then the subscriptions."""
    parts = [f"extends = {toml_value(extends)}\n"] if extends else []
    for table, rows in (("labs", labs), ("subscriptions", subscriptions)):
        for row in rows:
            parts.append(f"[[{table}]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in row.items()))
    return "\n".join(parts)


def write_watchlist(path: Path, *labs: Mapping[str, Any], subscriptions: Iterable[Mapping[str, Any]] = ()) -> Path:
    """Write ``watchlist_toml(*labs, subscriptions=...)`` to ``path`` (UTF-8) and return ``path``."""
    path.write_text(watchlist_toml(*labs, subscriptions=subscriptions), encoding="utf-8")
    return path


def make_watchlist(
    *labs: Mapping[str, Any], subscriptions: Iterable[Mapping[str, Any]] = (), source: str = "test.toml"
) -> Watchlist:
    """A ``Watchlist`` parsed (and validated) from ``watchlist_toml(*labs, subscriptions=...)``.

    Raises:
        ConfigError: the tables are not a valid watchlist.
    """
    return parse_watchlist(watchlist_toml(*labs, subscriptions=subscriptions), source=source)


def packaged(*slugs: str, subscriptions: Iterable[Subscription] = ()) -> Watchlist:
    """The packaged watchlist's labs ``slugs`` only (in that order), with ``subscriptions``."""
    full = load_watchlist()
    return Watchlist(labs=tuple(full.lab(s) for s in slugs), subscriptions=tuple(subscriptions), source="test")


def lab_config(**fields: Any) -> LabConfig:
    """A ``LabConfig`` for Qwen (``slug="qwen"``, ``name="Qwen"``, ``country="CN"``) plus ``fields``."""
    return LabConfig(**{"slug": "qwen", "name": "Qwen", "country": "CN", **fields})


# ------------------------------------------------------------------------------ settings


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """``Settings`` kept in ``data_dir`` that ignore any ``.env`` file; ``overrides`` set fields.

    ``TRACKER_*`` environment variables still apply, as for any Settings (tests that start
    processes clear them).
    """
    return Settings(_env_file=None, data_dir=data_dir, **overrides)


def offline_settings(data_dir: Path, **overrides: Any) -> Settings:
    """``make_settings`` aimed at unroutable ``*.test`` hosts, with no arXiv throttle and 2 retries."""
    defaults: dict[str, Any] = {
        "hf_endpoint": "http://hub.test",
        "arxiv_endpoint": "http://arxiv.test/api/query",
        "arxiv_min_interval": 0,
        "http_max_retries": 2,
    }
    return make_settings(data_dir, **{**defaults, **overrides})


# ------------------------------------------------------------------------------ observations


def observation(name: str = "Qwen/Qwen3-8B", external_id: str | None = None, **fields: Any) -> Observation:
    """A Hub model ``Observation`` of repo id ``name``; ``fields`` override any attribute.

    Defaults: ``external_id`` ``id-<name>``, ``org`` the repo id's owner, ``url`` on
    ``http://hub.test``, ``attrs`` ``{"tags": []}``.
    """
    values: dict[str, Any] = {
        "source": SourceKind.HF,
        "external_id": external_id or f"id-{name}",
        "name": name,
        "org": name.split("/")[0],
        "url": f"http://hub.test/{name}",
        "kind": ArtifactKind.MODEL,
        "attrs": {"tags": []},
    }
    return Observation(**{**values, **fields})


# ------------------------------------------------------------------------------ history rows

#: A fixed time the history builders date rows by unless told otherwise (UTC).
T0 = datetime(2025, 4, 28, 21, 0, tzinfo=UTC)
#: The Hub base URL of the artifacts the history builders insert.
HUB = "https://huggingface.co"


def add_lab(session: Session, slug: str = "qwen", *, name: str = "Qwen (Alibaba Cloud)", country: str = "CN") -> Lab:
    """Insert a ``labs`` row (flushed, so it has an id)."""
    row = Lab(slug=slug, name=name, country=country)
    session.add(row)
    session.flush()
    return row


def add_release(
    session: Session,
    lab: Lab,
    title: str = "Qwen3",
    *,
    repos: Iterable[str] = ("Qwen/Qwen3-8B",),
    at: datetime = T0,
    kind: str = "model",
    hub: str = HUB,
    **fields: Any,
) -> Release:
    """Insert a release first seen at ``at`` with one Hub artifact per repo id (sizes parsed from
    the names) or, for ``kind="paper"``, one arXiv artifact per id in ``repos``; ``fields`` set
    any other ``Release`` column (``withdrawn_at``, ``family_release_id``, ``attrs``...)."""
    repos = list(repos)
    url = f"https://arxiv.org/abs/{repos[0]}" if kind == "paper" else f"{hub}/{repos[0]}"
    release = Release(
        lab_id=lab.id,
        family=title,
        title=title,
        kind=kind,
        url=url,
        released_at=at,
        first_seen_at=at,
        **{"released_at_source": "first_seen", "attrs": {}, **fields},
    )
    session.add(release)
    session.flush()
    for name in repos:
        add_artifact(session, release, name, at=at, hub=hub)
    return release


def add_artifact(
    session: Session,
    release: Release,
    name: str,
    *,
    at: datetime = T0,
    hub: str = "https://huggingface.co",
    **fields: Any,
) -> Artifact:
    """Insert one artifact of ``release``: a Hub repo ``name``, or an arXiv id for a paper release."""
    paper = release.kind == "paper"
    total_b, active_b, label = (None, None, None) if paper else parse_params(name.split("/")[-1])
    row = Artifact(
        source="arxiv" if paper else "hf",
        external_id=name if paper else f"id-{name}",
        kind="paper" if paper else "model",
        lab_id=release.lab_id,
        release_id=release.id,
        name=release.title if paper else name,
        org=None if paper else name.split("/")[0],
        url=f"https://arxiv.org/abs/{name}" if paper else f"{hub}/{name}",
        created_at=at,
        first_seen_at=at,
        kinds=[],
        size_label=label,
        params_total_b=total_b,
        params_active_b=active_b,
        attrs={},
        **fields,
    )
    session.add(row)
    session.flush()
    session.refresh(release)
    return row


def add_event(
    session: Session,
    type: str,
    release: Release | None = None,
    *,
    artifact: Artifact | None = None,
    payload: Mapping[str, Any] | None = None,
    at: datetime = T0,
    **fields: Any,
) -> Event:
    """Insert an undispatched outbox event. ``release_detected`` / ``variant_added`` get the
    pipeline's payload for ``artifact`` (default: the release's first) unless ``payload`` is given;
    ``fields`` set ``not_before``, ``cancelled_at``, ``dedupe_key``..."""
    if payload is None and release is not None and type in ("release_detected", "variant_added"):
        artifact = artifact or release.artifacts[0]
        payload = detection_payload(release.lab, release, artifact, created_to_public_s=None, silent_for_days=None)
    row = Event(
        type=type,
        release_id=release.id if release is not None else None,
        artifact_id=artifact.id if artifact is not None else None,
        payload=dict(payload or {}),
        created_at=at,
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def add_radar_candidate(
    session: Session,
    org: str = "NewLab",
    *,
    score: float = 72.0,
    crossed_at: datetime | None = T0,
    first_seen_at: datetime = T0 - timedelta(days=3),
    reasons: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> RadarCandidate:
    """Insert a radar candidate (what the radar cycle writes): ``org`` with a top repo
    ``<org>/Model-7B``, 2 reasons, unknown country; ``fields`` set any other column."""
    values: dict[str, Any] = {
        "best_repo_id": f"{org}/Model-7B",
        "best_repo_likes": 420,
        "best_repo_downloads": 12_000,
        "trending_rank": 4,
        "repos": 3,
        "derivatives": 5,
        "status": "candidate",
        "last_seen_at": first_seen_at + timedelta(days=2),
        "updated_at": first_seen_at + timedelta(days=2),
        **fields,
    }
    row = RadarCandidate(
        org=org,
        org_key=org.lower(),
        score=score,
        reasons=reasons
        if reasons is not None
        else [
            {"code": "trending", "points": 40.0, "text": f"{org}/Model-7B is #4 on the Hub's trending list"},
            {"code": "derivatives", "points": 32.0, "text": "5 third-party fine-tunes and quantizations"},
        ],
        first_seen_at=first_seen_at,
        crossed_at=crossed_at,
        **values,
    )
    session.add(row)
    session.flush()
    return row


def add_snapshot(session: Session, artifact: Artifact, at: datetime, *, all_time: int, downloads: int = 0) -> None:
    """Insert one download snapshot of ``artifact`` taken at ``at`` (``downloadsAllTime`` = ``all_time``)."""
    session.add(
        DownloadSnapshot(
            artifact_id=artifact.id, taken_at=at, downloads=downloads, likes=0, downloads_all_time=all_time
        )
    )
    session.flush()


def add_adoption_history(
    session: Session, lab: Lab, *, released_at: datetime, age_days: float = 14.0, downloads: int = 320
) -> Release:
    """A 30B model release at ``released_at`` with ``downloads`` at ``age_days``, after three earlier
    30B releases of ``lab`` that each had 100 downloads at that age: its relative adoption at that
    age is ``downloads / 100`` (3.2 by default), over 3 peers in the 10-100B bucket."""
    age = timedelta(days=age_days)
    for i in range(3):
        at = released_at - timedelta(days=60 * (i + 1))
        peer = add_release(session, lab, f"Peer{i}-30B", repos=(f"{lab.slug}/Peer{i}-30B",), at=at)
        add_snapshot(session, peer.artifacts[0], at + age, all_time=100)
    release = add_release(session, lab, "Fresh-30B", repos=(f"{lab.slug}/Fresh-30B",), at=released_at)
    add_snapshot(session, release.artifacts[0], released_at + age, all_time=downloads)
    return release
