"""Tests for :mod:`tracker.grouping.lineage`: parameter sources, base-model resolution, release flags.

Storage tests take the ``store`` fixture (SQLite and PostgreSQL); names are real corpus names.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.grouping import lineage
from tracker.grouping.families import classify
from tracker.store import Store
from tracker.store.models import Artifact, ArtifactLink, Event, Lab, Release

T0 = datetime(2025, 7, 1, tzinfo=UTC)


# ------------------------------------------------------------------------------ parameters


def test_params_from_prefers_the_name() -> None:
    facts = classify("Qwen3-235B-A22B")
    assert lineage.params_from(facts, {"safetensors_total": 1}) == (235.0, "name")


def test_params_from_safetensors_when_the_name_has_no_size() -> None:
    facts = classify("DeepSeek-V3.1-Terminus")
    assert lineage.params_from(facts, {"safetensors_total": 684_531_386_000}) == (684.531, "safetensors")


@pytest.mark.parametrize(
    "attrs",
    [
        {},
        {"safetensors_total": None},
        {"safetensors_total": True},
        {"safetensors_total": 0},
        {"safetensors_total": "684531386000"},
    ],
)
def test_params_from_unknown(attrs: dict) -> None:
    assert lineage.params_from(classify("GLM-4.5"), attrs) == (None, None)


# ------------------------------------------------------------------------------ helpers


def _lab(session: Session, slug: str = "zhipu") -> Lab:
    lab = Lab(slug=slug, name=slug, country="CN")
    session.add(lab)
    session.flush()
    return lab


def _release(session: Session, lab: Lab, family: str, at: datetime) -> Release:
    release = Release(
        lab_id=lab.id, family=family.lower(), title=family, kind="model", url="u", released_at=at, first_seen_at=at
    )
    session.add(release)
    session.flush()
    return release


def _artifact(session: Session, release: Release, name: str, bases: list[str] = ()) -> Artifact:
    artifact = Artifact(
        source="hf",
        external_id=f"id-{name}",
        kind="model",
        lab_id=release.lab_id,
        release_id=release.id,
        name=name,
        org=name.split("/")[0],
        url="u",
        first_seen_at=release.released_at,
        attrs={"base_models": [{"relation": "finetune", "repo_id": b} for b in bases]},
    )
    session.add(artifact)
    session.flush()
    return artifact


# ------------------------------------------------------------------------------ resolution


def test_base_resolves_through_a_recorded_rename(store: Store) -> None:
    with store.transaction() as session:
        lab = _lab(session)
        old = _release(session, lab, "GLM-4.1V", T0)
        base = _artifact(session, old, "zai-org/GLM-4.1V-9B-Base")
        session.add(
            Event(
                type="artifact_renamed",
                artifact_id=base.id,
                created_at=T0,
                payload={"old_name": "THUDM/GLM-4.1V-9B-Base", "name": base.name},
            )
        )
        new = _release(session, lab, "GLM-4.5V", T0 + timedelta(days=40))
        child = _artifact(session, new, "zai-org/GLM-4.5V-Demo", ["THUDM/GLM-4.1V-9B-Base"])
        # lab orgs without THUDM: only the rename event can resolve it
        lineage.link_artifacts(session, [child], lab_orgs=["zai-org"])
        link = session.scalars(select(ArtifactLink).where(ArtifactLink.artifact_id == child.id)).one()
        assert link.base_artifact_id == base.id


def test_base_resolves_under_a_sibling_org_of_the_lab(store: Store) -> None:
    with store.transaction() as session:
        lab = _lab(session)
        rel = _release(session, lab, "GLM-4.1V", T0)
        base = _artifact(session, rel, "zai-org/GLM-4.1V-9B-Base")
        child = _artifact(session, rel, "zai-org/GLM-4.1V-9B-Thinking", ["THUDM/GLM-4.1V-9B-Base"])
        lineage.link_artifacts(session, [child], lab_orgs=["zai-org", "THUDM"])
        assert session.scalars(select(ArtifactLink.base_artifact_id)).one() == base.id


def test_pending_link_resolves_when_the_base_arrives(store: Store) -> None:
    with store.transaction() as session:
        lab = _lab(session, "qwen")
        rel = _release(session, lab, "Qwen3", T0)
        child = _artifact(session, rel, "Qwen/Qwen3-8B", ["Qwen/Qwen3-8B-Base"])
        lineage.link_artifacts(session, [child], lab_orgs=["Qwen"])
        assert session.scalars(select(ArtifactLink.base_artifact_id)).one() is None
        base = _artifact(session, rel, "Qwen/Qwen3-8B-Base")
        assert lineage.resolve_pending(session, [base], lab_orgs=["Qwen"]) == {rel.id}
        assert session.scalars(select(ArtifactLink.base_artifact_id)).one() == base.id


# ------------------------------------------------------------------------------ release flags


def test_flags_new_base_when_bases_stay_inside_the_launch(store: Store) -> None:
    with store.transaction() as session:
        lab = _lab(session, "qwen")
        rel = _release(session, lab, "Qwen3", T0)
        base = _artifact(session, rel, "Qwen/Qwen3-8B-Base")
        chat = _artifact(session, rel, "Qwen/Qwen3-8B", ["Qwen/Qwen3-8B-Base"])
        lineage.link_artifacts(session, [base, chat], lab_orgs=["Qwen"])
        session.refresh(rel)
        assert lineage.release_lineage(session, rel) == (False, True)


def test_flags_derivative_of_an_earlier_release_of_the_same_lab(store: Store) -> None:
    with store.transaction() as session:
        lab = _lab(session, "qwen")
        first = _release(session, lab, "Qwen3", T0)
        base = _artifact(session, first, "Qwen/Qwen3-8B-Base")
        later = _release(session, lab, "Qwen3-Embedding", T0 + timedelta(days=38))
        emb = _artifact(session, later, "Qwen/Qwen3-Embedding-8B", ["Qwen/Qwen3-8B-Base"])
        quant = _artifact(session, later, "Qwen/Qwen3-Embedding-8B-FP8", ["Qwen/Qwen3-Embedding-8B"])
        lineage.link_artifacts(session, [emb, quant], lab_orgs=["Qwen"])
        session.refresh(later)
        assert lineage.release_lineage(session, later) == (True, False)
        assert base.id in session.scalars(select(ArtifactLink.base_artifact_id)).all()


def test_flags_other_labs_base_is_neither(store: Store) -> None:
    with store.transaction() as session:
        qwen, deepseek = _lab(session, "qwen"), _lab(session, "deepseek")
        qrel = _release(session, qwen, "Qwen2.5", T0)
        _artifact(session, qrel, "Qwen/Qwen2.5-14B")
        rel = _release(session, deepseek, "DeepSeek-R1-Distill", T0 + timedelta(days=1))
        distill = _artifact(session, rel, "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B", ["Qwen/Qwen2.5-14B"])
        lineage.link_artifacts(session, [distill], lab_orgs=["deepseek-ai"])
        session.refresh(rel)
        assert lineage.release_lineage(session, rel) == (False, False)


def test_flags_unresolved_outside_base_is_not_new_base(store: Store) -> None:
    with store.transaction() as session:
        lab = _lab(session, "qwen")
        rel = _release(session, lab, "WorldPM", T0)
        pm = _artifact(session, rel, "Qwen/WorldPM-72B", ["Qwen/Qwen2.5-72B"])
        lineage.link_artifacts(session, [pm], lab_orgs=["Qwen"])
        session.refresh(rel)
        assert lineage.release_lineage(session, rel) == (False, False)
