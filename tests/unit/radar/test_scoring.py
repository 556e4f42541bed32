"""The radar score on invented orgs: a lab's launch crosses, noise of every kind never does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.radar.scoring import OrgEvidence, RepoEvidence, score_org

T0 = datetime(2026, 3, 1, tzinfo=UTC)
ALERT = 60.0


def repo(name: str, relation: str = "original", hours: float = 0, **kw: object) -> RepoEvidence:
    return RepoEvidence(repo_id=f"org/{name}", relation=relation, created_at=T0 + timedelta(hours=hours), **kw)


def test_a_launch_of_original_models_that_trends_crosses_with_reasons() -> None:
    repos = [
        repo("Flash-Base", likes=80, likes_growth=60, downloads_growth=3000, trending_rank=4, arxiv_id="2603.00001"),
        repo("Flash", hours=2, likes=40, likes_growth=30),
        repo("Flash-Mini", hours=30, likes=10, likes_growth=10),
    ]
    scored = score_org(OrgEvidence("org", repos, derivatives=0))
    codes = [r["code"] for r in scored.reasons]
    assert scored.score >= ALERT and scored.excluded is None
    points = [r["points"] for r in scored.reasons]
    assert points == sorted(points, reverse=True), "reasons are sorted by points"
    assert {"likes_growth", "arxiv", "launch", "downloads_growth"} <= set(codes)
    assert scored.score == sum(r["points"] for r in scored.reasons)
    assert scored.best is not None and scored.best.repo_id == "org/Flash-Base" and scored.trending_rank == 4


def test_the_score_is_clamped_to_100() -> None:
    repos = [
        repo(f"M{i}", likes=900, likes_growth=500, downloads_growth=90_000, trending_rank=1, arxiv_id="1")
        for i in range(3)
    ]
    assert score_org(OrgEvidence("org", repos, derivatives=50)).score == 100.0


def test_one_signal_alone_never_crosses() -> None:
    viral = score_org(
        OrgEvidence("org", [repo("Only", likes=5000, likes_growth=900, trending_rank=1), repo("b", likes=1)])
    )
    assert viral.score < ALERT, "an original repo that trends, with nothing else, is not yet a lab"


def test_derivatives_of_other_orgs_score_nothing_however_popular() -> None:
    for relation in ("finetune", "merge", "quantized", "adapter", "reupload", "derived"):
        repos = [
            repo(f"x-{i}", relation=relation, hours=i, likes=3000, likes_growth=800, trending_rank=1, arxiv_id="1")
            for i in range(4)
        ]
        scored = score_org(OrgEvidence("org", repos, derivatives=40))
        assert scored.score == 0.0 and scored.excluded == "derivatives_only", relation
        assert relation in scored.reasons[0]["text"]


def test_a_personal_account_with_one_quiet_repo_is_excluded_and_returns_with_traction() -> None:
    quiet = score_org(OrgEvidence("me", [repo("my-model", likes=3)]))
    assert quiet.excluded == "no_traction" and quiet.score == 0.0
    trending = score_org(OrgEvidence("me", [repo("my-model", likes=3, trending_rank=40)]))
    assert trending.excluded is None and 0 < trending.score < ALERT


def test_own_modeling_code_is_a_new_architecture_only_on_an_original_repo() -> None:
    own = score_org(OrgEvidence("org", [repo("Arch", likes=20, custom_code=True)]))
    assert {r["code"] for r in own.reasons} == {"base_model", "new_architecture"}
    copied = [repo("Own", likes=20), repo("ft", relation="finetune", custom_code=True)]
    assert "new_architecture" not in {r["code"] for r in score_org(OrgEvidence("org", copied)).reasons}


def test_only_original_repos_count_toward_traction() -> None:
    repos = [
        repo("Own", likes=5),
        repo("Qwen-ft", relation="finetune", likes=900, likes_growth=800, trending_rank=1, arxiv_id="1"),
    ]
    scored = score_org(OrgEvidence("org", repos))
    assert {r["code"] for r in scored.reasons} == {"base_model"}
    assert scored.best is not None and scored.best.repo_id == "org/Own"


def test_repos_spread_over_weeks_are_not_a_launch() -> None:
    repos = [repo(f"m{i}", hours=24 * 7 * i, likes=20) for i in range(4)]
    assert "launch" not in {r["code"] for r in score_org(OrgEvidence("org", repos)).reasons}
