"""Tests for the pure detection code (:mod:`tracker.pipeline.detect`): no database, no clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.domain import ArtifactKind, KnownArtifact, Observation, SourceKind, SourceResult
from tracker.pipeline.detect import New, Renamed, Restored, Revised, Seen, Withdrawn, diff, history_flags

NOW = datetime(2025, 7, 1, tzinfo=UTC)


def _repo(external_id: str, name: str, **extra: object) -> Observation:
    return Observation(
        source=SourceKind.HF,
        external_id=external_id,
        name=name,
        org=name.split("/")[0],
        url=f"https://huggingface.co/{name}",
        kind=ArtifactKind.MODEL,
        **extra,
    )  # type: ignore[arg-type]


def _paper(arxiv_id: str, title: str, version: int = 1, **extra: object) -> Observation:
    return Observation(
        source=SourceKind.ARXIV,
        external_id=arxiv_id,
        name=title,
        org=None,
        url=f"https://arxiv.org/abs/{arxiv_id}",
        kind=ArtifactKind.PAPER,
        version=version,
        **extra,
    )  # type: ignore[arg-type]


def _known(external_id: str, name: str, org: str | None, **extra: object) -> KnownArtifact:
    return KnownArtifact(id=hash(external_id) % 1000, external_id=external_id, name=name, org=org, **extra)  # type: ignore[arg-type]


def _result(
    *observations: Observation,
    complete: set[str] = frozenset(),
    source: SourceKind = SourceKind.HF,
) -> SourceResult:
    return SourceResult(source=source, lab="qwen", observations=list(observations), complete_scopes=set(complete))


# ------------------------------------------------------------------------------ diff


def test_an_id_never_stored_is_new_whatever_its_creation_time() -> None:
    old = _repo("a1", "Qwen/Qwen3-8B", created_at=NOW - timedelta(days=400))
    assert diff(_result(old, complete={"hf:Qwen"}), {}) == [New(old)]


def test_a_known_artifact_listed_again_unchanged_is_seen() -> None:
    obs = _repo("a1", "Qwen/Qwen3-8B", attrs={"downloads": 12})
    known = _known("a1", "Qwen/Qwen3-8B", "Qwen")
    assert diff(_result(obs, complete={"hf:qwen"}), {"a1": known}) == [Seen(known, obs)]


def test_the_same_id_under_a_new_name_or_org_is_renamed_not_new() -> None:
    renamed = _repo("a1", "Qwen/Qwen3-8B-Instruct")
    moved = _repo("a2", "zai-org/GLM-4.5")
    known = {"a1": _known("a1", "Qwen/Qwen3-8B", "Qwen"), "a2": _known("a2", "THUDM/GLM-4.5", "THUDM")}
    changes = diff(_result(renamed, moved), known)
    assert changes == [Renamed(known["a1"], renamed), Renamed(known["a2"], moved)]


def test_a_paper_listed_again_under_the_same_title_is_seen() -> None:
    known = _known("p1", "Qwen3 Technical Report", None)
    paper = _paper("p1", "Qwen3 Technical Report")
    assert diff(_result(paper, source=SourceKind.ARXIV), {"p1": known}) == [Seen(known, paper)]


def test_a_withdrawn_artifact_listed_again_is_restored() -> None:
    obs = _repo("a1", "Qwen/Qwen3-8B")
    known = _known("a1", "Qwen/Qwen3-8B", "Qwen", withdrawn=True)
    assert diff(_result(obs), {"a1": known}) == [Restored(known, obs)]


def test_a_higher_arxiv_version_is_revised_and_may_retitle() -> None:
    v2 = _paper("2505.09388", "Qwen3 Technical Report (v2 title)", version=2)
    known = _known("2505.09388", "Qwen3 Technical Report", None, version=1)
    assert diff(_result(v2, source=SourceKind.ARXIV), {"2505.09388": known}) == [Revised(known, v2)]


def test_a_lower_or_equal_version_is_not_a_revision() -> None:
    v1 = _paper("2505.09388", "Qwen3 Technical Report", version=1)
    known = _known("2505.09388", "Qwen3 Technical Report", None, version=2)
    assert diff(_result(v1, source=SourceKind.ARXIV), {"2505.09388": known}) == [Seen(known, v1)]


def test_missing_from_a_complete_listing_of_its_scope_is_withdrawn() -> None:
    gone = _known("a2", "Qwen/Qwen3-Gone", "Qwen")
    listed = _repo("a1", "Qwen/Qwen3-8B")
    known = {"a1": _known("a1", "Qwen/Qwen3-8B", "Qwen"), "a2": gone}
    changes = diff(_result(listed, complete={"hf:Qwen"}), known)
    assert changes == [Seen(known["a1"], listed), Withdrawn(gone)]


def test_nothing_is_withdrawn_from_a_failed_or_partial_listing() -> None:
    known = {"a2": _known("a2", "Qwen/Qwen3-Gone", "Qwen")}
    assert diff(_result(), known) == []  # the scope failed: no complete listing
    other_scope = {"a3": _known("a3", "Qwen-Other/Model", "Qwen-Other")}
    assert diff(_result(complete={"hf:qwen"}), other_scope) == []  # listed completely: another scope


def test_an_already_withdrawn_artifact_is_not_withdrawn_again() -> None:
    known = {"a2": _known("a2", "Qwen/Qwen3-Gone", "Qwen", withdrawn=True)}
    assert diff(_result(complete={"hf:qwen"}), known) == []


def test_papers_are_never_withdrawn() -> None:
    known = {"2505.09388": _known("2505.09388", "Qwen3 Technical Report", None, version=1)}
    result = _result(complete={"arxiv:qwen", "arxiv:none"}, source=SourceKind.ARXIV)
    assert diff(result, known) == []


# ------------------------------------------------------------------------------ history or news


def _flags(obs: Observation, baselined: set[str], arxiv_scopes: set[str] = frozenset()) -> tuple[bool, bool]:
    return history_flags(
        obs, baselined=baselined, lab_arxiv_scopes=set(arxiv_scopes), now=NOW, backfill=timedelta(days=30)
    )


def test_first_listing_of_a_scope_is_history() -> None:
    obs = _repo("a1", "Qwen/Qwen3-8B", created_at=NOW - timedelta(days=1))
    assert _flags(obs, baselined=set()) == (True, False)
    assert _flags(obs, baselined={"hf:qwen"}) == (False, False)


def test_a_repo_created_long_ago_that_just_became_public_is_news() -> None:
    obs = _repo("a1", "Qwen/Qwen3-8B", created_at=NOW - timedelta(days=400))
    assert _flags(obs, baselined={"hf:qwen"}) == (False, False)


def test_a_paper_is_history_until_every_query_of_the_lab_is_baselined() -> None:
    paper = _paper("2507.00001", "A New Paper", created_at=NOW - timedelta(days=2))
    scopes = {"arxiv:au:qwen", "arxiv:ti:qwen3"}
    assert _flags(paper, baselined={"arxiv:au:qwen"}, arxiv_scopes=scopes) == (True, False)
    assert _flags(paper, baselined=scopes, arxiv_scopes=scopes) == (False, False)


def test_an_old_paper_found_late_is_history_but_not_a_first_listing() -> None:
    late = _paper("2301.00001", "Old Work", created_at=NOW - timedelta(days=31))
    scopes = {"arxiv:au:qwen"}
    assert _flags(late, baselined=scopes, arxiv_scopes=scopes) == (False, True)
    assert _flags(late, baselined=set(), arxiv_scopes=scopes) == (True, False)  # first listing wins


def test_a_source_named_scope_decides_the_first_listing() -> None:
    post = Observation(
        source=SourceKind.FEEDS,
        external_id="e1",
        name="Qwen3: Think Deeper",
        org=None,
        url="https://qwenlm.github.io/blog/qwen3/",
        kind=ArtifactKind.POST,
        scope="feeds:https://qwenlm.github.io/blog/index.xml",
    )
    assert _flags(post, baselined=set()) == (True, False)
    assert _flags(post, baselined={"feeds:https://qwenlm.github.io/blog/index.xml"}) == (False, False)
