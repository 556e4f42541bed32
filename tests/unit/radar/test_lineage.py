"""A repo's lineage from its Hub tags and name: original, derivative, re-upload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.radar.lineage import Earlier, classify
from tracker.sources.hf_global import GlobalRepo

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def global_repo(repo_id: str, bases=(), hours: float = 0) -> GlobalRepo:
    return GlobalRepo(
        repo_id=repo_id,
        org=repo_id.split("/")[0],
        object_id="x",
        rank=1,
        created_at=T0 + timedelta(hours=hours),
        likes=1,
        downloads=1,
        trending_score=None,
        bases=tuple(bases),
        arxiv_ids=(),
        pipeline_tag=None,
    )


def test_relation_tags_of_another_org_make_a_derivative() -> None:
    got = classify(global_repo("u/m", [(None, "lab/Base"), ("merge", "lab/Base")]), {})
    assert (got.relation, got.base_repo_id) == ("merge", "lab/Base")
    assert classify(global_repo("u/m", [(None, "lab/Base")]), {}).relation == "derived"


def test_a_base_model_in_the_same_org_is_the_labs_own_lineage() -> None:
    assert classify(global_repo("Lab/Chat", [("finetune", "lab/Base")]), {}).relation == "original"


def test_same_name_as_an_earlier_popular_repo_of_another_org_is_a_reupload() -> None:
    earlier = {"big-model": [Earlier("lab/Big-Model", "lab", T0, likes=500)]}
    got = classify(global_repo("mirror/Big-Model", hours=5), earlier)
    assert (got.relation, got.base_repo_id) == ("reupload", "lab/Big-Model")
    assert classify(global_repo("first/Big-Model", hours=-5), earlier).relation == "original", "the earlier one wins"


def test_a_watched_labs_artifact_counts_without_likes_but_a_strangers_quiet_repo_does_not() -> None:
    watched = {"m": [Earlier("lab/m", "lab", T0, likes=None)]}
    assert classify(global_repo("x/m", hours=1), watched).relation == "reupload"
    quiet = {"test-model": [Earlier("a/test-model", "a", T0, likes=2)]}
    assert classify(global_repo("b/test-model", hours=1), quiet).relation == "original"
