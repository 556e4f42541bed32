"""``queries.list_release_dicts`` (the ``GET /releases`` path, built from column rows)
returns exactly ``serialize.release_to_dict`` over ``list_releases`` (ORM objects), on both
backends: artifacts, own and linked papers (deduplicated, ``via``), models linked to a paper
release (newest first, once each), every filter and the keyset cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from tracker.store import Store
from tracker.store.models import Artifact, Lab, Release, ReleasePaper
from tracker.store.queries import ReleaseFilter, list_release_dicts, list_releases
from tracker.store.serialize import release_to_dict

T0 = datetime(2025, 5, 1, 12, tzinfo=UTC)


def _fill(store: Store) -> None:
    releases, artifacts = [], []

    def release(rid: int, lab: int, kind: str, hours: float, **extra: object) -> None:
        at = T0 + timedelta(hours=hours)
        releases.append(
            {
                "id": rid,
                "lab_id": lab,
                "family": f"F{rid}",
                "title": f"Release {rid}",
                "kind": kind,
                "url": f"https://hub.test/{rid}",
                "released_at": at,
                "first_seen_at": at + timedelta(minutes=5),
                "baseline": rid % 3 == 0,
                "significance": None,
                "derivative": None,
                "new_base": None,
                "adoption_count": None,
                **extra,
            }
        )

    def artifact(aid: int, rid: int, lab: int, source: str, name: str, **extra: object) -> None:
        kind = "paper" if source == "arxiv" else "model"
        artifacts.append(
            {
                "id": aid,
                "source": source,
                "external_id": f"ext{aid}",
                "kind": kind,
                "lab_id": lab,
                "release_id": rid,
                "name": name,
                "org": None if kind == "paper" else f"org{lab}",
                "url": f"https://src.test/{aid}",
                "created_at": T0 - timedelta(days=aid),
                "first_seen_at": T0,
                "baseline": False,
                "kinds": extra.pop("kinds", []),
                "attrs": extra.pop("attrs", {"tags": ["x"] * 3}),
                "version": None,
                "size_label": None,
                "params_total_b": None,
                "params_active_b": None,
                "quantization": None,
                "withdrawn_at": None,
                **extra,
            }
        )

    release(1, 1, "model", 0, significance=0.7, derivative=False, new_base=True, adoption_count=4)
    artifact(1, 1, 1, "hf", "org1/Alpha-7B-Instruct", kinds=["instruct"], size_label="7B", params_total_b=7.0)
    artifact(
        2,
        1,
        1,
        "hf",
        "org1/Alpha-480B-A35B-FP8",
        kinds=["base"],
        size_label="480B-A35B",
        params_total_b=480.0,
        params_active_b=35.0,
        quantization="fp8",
    )
    release(2, 1, "paper", 1)  # the paper of releases 1 and 3
    artifact(3, 2, 1, "arxiv", "Alpha: a technical report", version=2, attrs={"authors": ["A. One", "B. Two"]})
    release(3, 1, "model", 2)  # same time as 4: ties broken by id
    artifact(4, 3, 1, "hf", "org1/Alpha-1.5B", size_label="1.5B", params_total_b=1.5)
    release(4, 2, "model", 2)
    artifact(5, 4, 2, "hf", "org2/Beta-70B", size_label="70B", params_total_b=70.0, withdrawn_at=T0 + timedelta(days=1))
    release(5, 2, "paper", 3)  # its own paper, also linked by tag to itself and to release 4
    artifact(6, 5, 2, "arxiv", "Beta report", version=1, attrs={})
    release(6, 2, "code", 4)
    artifact(7, 6, 2, "github", "org2/beta-tools")
    for rid in range(7, 30):  # a longer history to page through
        release(rid, 1 + rid % 2, "model", -rid)
        artifact(100 + rid, rid, 1 + rid % 2, "hf", f"org/Model-{rid}-8B", size_label="8B", params_total_b=8.0)
    links = [(1, 3, "tag"), (3, 3, "title"), (1, 6, "title"), (5, 6, "tag"), (4, 6, "tag"), (2, 6, "title")]
    with store.engine.begin() as conn:
        conn.execute(
            insert(Lab),
            [
                {"id": 1, "slug": "alpha", "name": "Alpha AI", "country": "CN"},
                {"id": 2, "slug": "beta", "name": "Beta Labs", "country": "FR"},
            ],
        )
        conn.execute(insert(Release), releases)
        conn.execute(insert(Artifact), artifacts)
        conn.execute(insert(ReleasePaper), [{"release_id": r, "paper_id": p, "via": v} for r, p, v in links])


FILTERS = [
    ReleaseFilter(),
    ReleaseFilter(limit=3),
    ReleaseFilter(lab="beta"),
    ReleaseFilter(country="FR"),
    ReleaseFilter(kind="paper"),
    ReleaseFilter(kind="code"),
    ReleaseFilter(q="alpha"),
    ReleaseFilter(q="report"),
    ReleaseFilter(min_params=100),
    ReleaseFilter(baseline=True),
    ReleaseFilter(since=T0, until=T0 + timedelta(hours=3)),
    ReleaseFilter(after=(T0 + timedelta(hours=2), 4), limit=5),
    ReleaseFilter(lab="alpha", q="nothing-like-this"),
]


@pytest.mark.parametrize("flt", FILTERS, ids=range(len(FILTERS)))
def test_release_dicts_equal_the_orm_serialisation(store: Store, flt: ReleaseFilter) -> None:
    _fill(store)
    with store.transaction() as session:
        expected = [release_to_dict(r) for r in list_releases(session=session, flt=flt)]
        got = list_release_dicts(session=session, flt=flt)
    assert got == expected
    assert [list(d) for d in got] == [list(d) for d in expected]  # same key order in the JSON


def test_release_dicts_carry_papers_and_models(store: Store) -> None:
    _fill(store)
    with store.transaction() as session:
        by_id = {d["id"]: d for d in list_release_dicts(session=session)}
    assert [(p["arxiv_id"], p["via"], p["authors"]) for p in by_id[1]["papers"]] == [
        ("ext3", "tag", ["A. One", "B. Two"]),
        ("ext6", "title", []),
    ]
    assert [(p["arxiv_id"], p["via"]) for p in by_id[5]["papers"]] == [("ext6", "self")]  # own paper, once
    # paper release 5: models linked to its paper, newest first, itself excluded
    assert [(m["id"], m["via"]) for m in by_id[5]["models"]] == [(4, "tag"), (2, "title"), (1, "title")]
    assert [m["id"] for m in by_id[2]["models"]] == [3, 1] and by_id[1]["models"] == []
    assert by_id[4]["artifacts"][0]["withdrawn_at"] == "2025-05-02T12:00:00Z"
    assert by_id[1]["artifacts"][1]["variant"] == {
        "kinds": ["base"],
        "size_label": "480B-A35B",
        "params_total_b": 480.0,
        "params_active_b": 35.0,
        "quantization": "fp8",
    }
