"""Tests for the grouping decision (:mod:`tracker.grouping.membership`): pure, candidates passed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tracker.domain import ArtifactKind, Observation, SourceKind
from tracker.grouping.membership import (
    ReleaseIdentity,
    decide,
    grouping_time,
    identity_of,
    in_family_window,
    model_identity,
    observation_facts,
)

NOW = datetime(2025, 7, 21, tzinfo=UTC)
WINDOW = timedelta(days=14)


@dataclass
class Stored:
    """A candidate release as the store would return it."""

    family: str
    kind: str
    released_at: datetime


class Catalog:
    """The releases of one lab; ``find`` answers like ``queries.find_recent_release``."""

    def __init__(self, *releases: Stored):
        self.releases = list(releases)
        self.asked: list[tuple[str, str]] = []

    def find(self, family: str, kind: str, since: datetime) -> Stored | None:
        self.asked.append((family, kind))
        found = [r for r in self.releases if r.family == family and r.kind == kind and r.released_at >= since]
        return max(found, key=lambda r: r.released_at, default=None)


def _model(name: str, **extra: object) -> Observation:
    return Observation(
        source=SourceKind.HF,
        external_id=f"id-{name}",
        name=name,
        org=name.split("/")[0],
        url=f"https://huggingface.co/{name}",
        kind=ArtifactKind.MODEL,
        **extra,
    )  # type: ignore[arg-type]


def _identity(obs: Observation) -> ReleaseIdentity:
    return identity_of(obs, observation_facts(obs))


def test_model_identity_is_the_launch_key_and_title() -> None:
    assert _identity(_model("Qwen/Qwen3-235B-A22B-Instruct-2507-FP8")) == ReleaseIdentity(
        "qwen3-2507", "Qwen3-2507", "model"
    )
    assert _identity(_model("Qwen/Qwen3-8B")) == model_identity(observation_facts(_model("Qwen/Qwen3-8B")))


def test_a_variant_joins_the_newest_release_of_its_family_within_the_window() -> None:
    older = Stored("qwen3", "model", NOW - timedelta(days=80))
    launch = Stored("qwen3", "model", NOW - timedelta(days=3))
    catalog = Catalog(older, launch)
    decision = decide(_identity(_model("Qwen/Qwen3-8B-AWQ")), at=NOW, baseline=False, window=WINDOW, find=catalog.find)
    assert decision.release is launch and not decision.starts_release and not decision.redate
    assert catalog.asked == [("qwen3", "model")]


def test_past_the_window_the_artifact_starts_a_new_release() -> None:
    catalog = Catalog(Stored("qwen3", "model", NOW - WINDOW - timedelta(seconds=1)))
    decision = decide(_identity(_model("Qwen/Qwen3-8B")), at=NOW, baseline=False, window=WINDOW, find=catalog.find)
    assert decision.starts_release and decision.release is None
    assert (decision.identity.family, decision.identity.title, decision.at) == ("qwen3", "Qwen3", NOW)


def test_a_candidate_dated_after_the_window_is_not_joined() -> None:
    catalog = Catalog(Stored("qwen3", "model", NOW + WINDOW + timedelta(days=1)))
    decision = decide(_identity(_model("Qwen/Qwen3-8B")), at=NOW, baseline=True, window=WINDOW, find=catalog.find)
    assert decision.starts_release
    assert in_family_window(NOW + WINDOW, NOW, WINDOW) and not in_family_window(NOW + WINDOW * 2, NOW, WINDOW)


def test_baseline_history_older_than_the_release_redates_it() -> None:
    launch = Stored("qwen3", "model", NOW)
    created = NOW - timedelta(days=2)
    at = grouping_time(baseline=True, created_at=created, seen_at=NOW + timedelta(days=30))
    assert at == created
    decision = decide(
        _identity(_model("Qwen/Qwen3-8B-Base")), at=at, baseline=True, window=WINDOW, find=Catalog(launch).find
    )
    assert decision.release is launch and decision.redate
    live = decide(
        _identity(_model("Qwen/Qwen3-8B-Base")), at=at, baseline=False, window=WINDOW, find=Catalog(launch).find
    )
    assert live.release is launch and not live.redate


def test_grouping_time_of_a_detection_is_when_it_was_seen() -> None:
    assert grouping_time(baseline=False, created_at=NOW - timedelta(days=9), seen_at=NOW) == NOW
    assert grouping_time(baseline=True, created_at=None, seen_at=NOW) == NOW


def test_a_paper_is_a_release_of_its_own() -> None:
    paper = Observation(
        source=SourceKind.ARXIV,
        external_id="2505.09388",
        name="Qwen3 Technical Report",
        org=None,
        url="https://arxiv.org/abs/2505.09388",
        kind=ArtifactKind.PAPER,
        version=1,
    )
    identity = _identity(paper)
    assert identity == ReleaseIdentity("arxiv:2505.09388", "Qwen3 Technical Report", "paper")
    decision = decide(identity, at=NOW, baseline=False, window=WINDOW, find=Catalog().find)
    assert decision.starts_release


def test_a_code_release_joins_the_most_specific_model_family_it_names() -> None:
    gh = Observation(
        source=SourceKind.GITHUB,
        external_id="QwenLM/Qwen3-Coder@v1",
        name="QwenLM/Qwen3-Coder v1.0",
        org="QwenLM",
        url="https://github.com/QwenLM/Qwen3-Coder/releases/tag/v1.0",
        kind=ArtifactKind.CODE,
        attrs={"family_hints": ["Qwen3 and Qwen3-Coder", "QwenLM/Qwen3-Coder"]},
    )
    identity = _identity(gh)
    assert identity.model_families[0] == "qwen3-coder" and "qwen3" in identity.model_families
    qwen3 = Stored("qwen3", "model", NOW - timedelta(days=5))
    coder = Stored("qwen3-coder", "model", NOW - timedelta(days=1))
    decision = decide(identity, at=NOW, baseline=True, window=WINDOW, find=Catalog(qwen3, coder).find)
    assert decision.release is coder and not decision.redate, "another kind never dates the model launch"


def test_a_post_naming_no_stored_model_release_is_a_release_of_its_own() -> None:
    post = Observation(
        source=SourceKind.FEEDS,
        external_id="e1",
        name="Qwen3: Think Deeper, Act Faster",
        org=None,
        url="https://qwenlm.github.io/blog/qwen3/",
        kind=ArtifactKind.POST,
    )
    identity = _identity(post)
    assert (identity.family, identity.title, identity.kind) == ("qwen3", post.name, "post")
    catalog = Catalog(Stored("qwen3", "model", NOW - timedelta(days=30)))
    decision = decide(identity, at=NOW, baseline=False, window=WINDOW, find=catalog.find)
    assert decision.starts_release
    assert catalog.asked == [("qwen3", "model"), ("qwen3", "post")]


def test_a_post_naming_no_family_is_keyed_by_its_own_id() -> None:
    post = Observation(
        source=SourceKind.FEEDS,
        external_id="e2",
        name="Our year in review",
        org=None,
        url="https://qwenlm.github.io/blog/review/",
        kind=ArtifactKind.POST,
    )
    assert _identity(post) == ReleaseIdentity("feeds:e2", "Our year in review", "post")


# ------------------------------------------------------------------ live rules: waves and sibling launches

GAP = timedelta(hours=48)


@dataclass
class Live:
    """A stored release with the fields the live rules read."""

    family: str
    kind: str
    released_at: datetime
    first_seen_at: datetime | None = None
    baseline: bool = False
    withdrawn_at: datetime | None = None

    def __post_init__(self) -> None:
        self.first_seen_at = self.first_seen_at or self.released_at


def _live(catalog: Catalog, name: str, siblings=None):  # type: ignore[no-untyped-def]
    return decide(
        _identity(_model(name)),
        at=NOW,
        baseline=False,
        window=WINDOW,
        find=catalog.find,
        wave_gap=GAP,
        siblings=siblings,
    )


def test_within_the_wave_gap_a_repo_joins_with_its_reasons() -> None:
    launch = Live("qwen3", "model", NOW - timedelta(hours=47))
    decision = _live(Catalog(launch), "Qwen/Qwen3-8B-AWQ")  # type: ignore[arg-type]
    assert decision.release is launch and decision.signals == ("family qwen3", "window 47.0 h")


def test_after_the_wave_gap_a_repo_starts_a_wave_even_months_later() -> None:
    launch = Live("qwen3", "model", NOW - timedelta(days=120))
    decision = _live(Catalog(launch), "Qwen/Qwen3-8B-AWQ")  # type: ignore[arg-type]
    assert decision.starts_release and decision.wave_of is launch


def test_a_withdrawn_release_is_never_joined_nor_waved() -> None:
    gone = Live("zeta", "model", NOW - timedelta(hours=1), withdrawn_at=NOW - timedelta(minutes=20))
    decision = _live(Catalog(gone), "acme/Zeta-7B")  # type: ignore[arg-type]
    assert decision.starts_release and decision.wave_of is None


def test_a_baseline_release_gap_runs_from_when_it_was_first_listed() -> None:
    history = Live("zeta", "model", NOW - timedelta(days=9), first_seen_at=NOW - timedelta(days=1), baseline=True)
    assert _live(Catalog(history), "acme/Zeta-30B").release is history  # type: ignore[arg-type]


def test_a_new_name_joins_a_sibling_launch_only_with_signals() -> None:
    other = Live("deepseek-r1", "model", NOW - timedelta(minutes=30))
    unrelated = Live("janus", "model", NOW - timedelta(minutes=5))
    decision = _live(
        Catalog(), "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", lambda: [(unrelated, None), (other, ["arxiv:2501.12948"])]
    )
    assert decision.release is other and decision.signals == ("window 30 min", "arxiv:2501.12948")
    assert _live(Catalog(), "acme/Other-7B", lambda: [(unrelated, None)]).starts_release
