"""The bulk baseline (``tracker.pipeline.baseline``) stores exactly what one-by-one storing stores.

The same history is ingested twice on each backend, once through the bulk page path and once
with every repo stored by ``NewArtifacts.add`` (the plain path), and the stored releases (title,
family, kind, dates, flags, attrs, wave link) and artifacts (release membership, variant facts)
are compared. The history: two Hub orgs from the corpus, then invented pages built to hit each
rule (family window edges, repos with no creation time, dated revisions, sizes, quantizations),
and a second org of the lab whose page joins and redates releases the first one started.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.factories import lab_config, observation
from tracker.config import Settings
from tracker.domain import Observation, SourceKind, SourceResult
from tracker.pipeline import apply as apply_module
from tracker.pipeline import apply_result
from tracker.sources.huggingface import parse_listing, to_observation
from tracker.store import Store
from tracker.store.models import Artifact, Base, Release

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hf"
NOW = datetime(2025, 12, 1, 12, tzinfo=UTC)
LAB = lab_config(slug="glm", name="GLM", country="CN", hf_orgs=("zai-org", "MiniMaxAI", "acme", "acme-mirror"))


def _corpus(org: str) -> list[Observation]:
    models = parse_listing((FIXTURES / f"{org}.json").read_bytes(), org=org)
    return [to_observation(m, endpoint="https://huggingface.co") for m in models]


def _invented() -> list[Observation]:
    """Repos of one org made to cross each grouping rule (names and times invented)."""
    t0 = datetime(2025, 3, 1, tzinfo=UTC)
    specs: list[tuple[str, datetime | None]] = [
        ("acme/Nova-8B", t0),
        ("acme/Nova-70B-Instruct", t0 + timedelta(days=2)),
        ("acme/Nova-8B-FP8", t0 + timedelta(days=3)),
        ("acme/Nova-8B-GGUF", t0 + timedelta(days=200)),  # far outside the family window: its own release
        ("acme/Nova-2507-30B-A3B", t0 + timedelta(days=150)),  # a dated revision is its own launch
        ("acme/Nova-2507-235B-A22B-Thinking", t0 + timedelta(days=150, hours=5)),
        ("acme/Orbit-Embedding-0.6B", None),  # no creation time: grouped at the poll time
        ("acme/Orbit-Reranker-4B", None),
        ("acme/orbit-embedding-8b", t0 + timedelta(days=30)),
        ("acme/Zeta-v1_5-7B", t0 + timedelta(days=10)),
        ("acme/Zeta-7B", t0 + timedelta(days=11)),
    ]
    tags = {"acme/Nova-70B-Instruct": ["text-generation", "base_model:finetune:acme/Nova-8B"]}
    return [observation(name, created_at=at, attrs={"tags": tags.get(name, ["text-generation"])}) for name, at in specs]


def _mirror() -> list[Observation]:
    """A second org of the lab listed later: its repos join (and, older, redate) the first org's releases."""
    t0 = datetime(2025, 3, 1, tzinfo=UTC)
    specs = [
        ("acme-mirror/Nova-8B-AWQ", t0 - timedelta(days=1)),
        ("acme-mirror/Nova-1B", t0 + timedelta(days=205)),
        ("acme-mirror/Zeta-7B-Int4", t0 + timedelta(days=10, hours=12)),  # older: redates Zeta
        ("acme-mirror/Comet-3B", t0 + timedelta(days=12)),
    ]
    return [observation(name, created_at=at) for name, at in specs]


def _result(org: str, observations: list[Observation]) -> SourceResult:
    return SourceResult(source=SourceKind.HF, lab=LAB.slug, observations=observations, complete_scopes={f"hf:{org}"})


def _plain(arrivals: Any, observations: list[Observation], report: Any) -> None:
    for obs in observations:
        arrivals.add(obs, baseline=True, report=report)
    arrivals.announce(report)  # as the live path ends a unit: each launch settled over its members


def _ingest(store: Store, settings: Settings) -> None:
    pages = [
        ("zai-org", _corpus("zai-org")),
        ("MiniMaxAI", _corpus("MiniMaxAI")),
        ("acme", _invented()),
        ("acme-mirror", _mirror()),
    ]
    for i, (org, observations) in enumerate(pages):
        with store.transaction() as session:
            report = apply_result(
                session, settings=settings, lab=LAB, result=_result(org, observations), now=NOW + timedelta(hours=i)
            )
            assert report.error is None and report.baseline and report.detections == []


def _artifact_row(a: Artifact) -> tuple:
    return (a.id, a.external_id, a.name, a.release_id, a.kinds, a.size_label, a.params_total_b, a.quantization, a.attrs)


def _stored(store: Store) -> tuple[list[tuple], list[tuple]]:
    with store.transaction() as session:
        releases = [
            (
                r.id,
                r.title,
                r.family,
                r.kind,
                r.released_at,
                r.first_seen_at,
                r.baseline,
                r.released_at_source,
                r.attrs,
                r.family_release_id,
                r.significance,
                r.derivative,
                r.new_base,
            )
            for r in session.scalars(select(Release).order_by(Release.id))
        ]
        artifacts = [_artifact_row(a) for a in session.scalars(select(Artifact).order_by(Artifact.id))]
    return releases, artifacts


def test_bulk_baseline_stores_what_one_by_one_storing_stores(
    store: Store, backend_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingest(store, backend_settings)
    bulk = _stored(store)
    with store.transaction() as session:  # start again from an empty history
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
    # ... and store every repo one by one
    monkeypatch.setattr(apply_module, "store_baseline_page", _plain)
    _ingest(store, backend_settings)
    plain = _stored(store)
    offset_r = plain[0][0][0] - bulk[0][0][0]
    offset_a = plain[1][0][0] - bulk[1][0][0]

    def shift_release(row: tuple) -> tuple:
        family_release = row[9] - offset_r if row[9] is not None else None
        return (row[0] - offset_r, *row[1:9], family_release, *row[10:])

    assert len(bulk[0]) > 20 and len(bulk[1]) == 30 + len(_corpus("MiniMaxAI")) + 11 + 4
    assert [shift_release(r) for r in plain[0]] == bulk[0]
    assert [(a[0] - offset_a, a[1], a[2], a[3] - offset_r, *a[4:]) for a in plain[1]] == bulk[1]
    # the second org's page joined releases the first one started (the existing-release path)
    assert any(len({a[2].split("/")[0] for a in bulk[1] if a[3] == r[0]}) > 1 for r in bulk[0])
