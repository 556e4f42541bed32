"""Paper attribution: evidence only (team author, two known people, the lab as the title's subject, a repo tag).

Every paper here is invented: a lab "Acme AI (Rocket)" with a team "Acme Team" and people whose
names are common enough to have namesakes.
"""

from __future__ import annotations

import pytest

from tracker.grouping.attribution import ATTRIBUTED, REJECTED, attribute, lab_identity, normalize_person
from tracker.watchlist import LabConfig

LAB = LabConfig(
    slug="acme",
    name="Acme AI (Rocket)",
    country="US",
    hf_orgs=("AcmeAI",),
    arxiv_teams=("Acme Team",),
    arxiv_authors=("Jin Xu", "An Yang", "Z. Z. Ren"),
)
IDENT = lab_identity(LAB)
FAMILIES = {"rocket3", "orbit-vl"}


def decide(title: str, authors: list[str], *, tagged_by: tuple[str, ...] = ()) -> tuple[str, tuple[str, ...]]:
    result = attribute(title=title, authors=authors, ident=IDENT, family_keys=FAMILIES, tagged_by=tagged_by)
    return result.decision, result.evidence


def test_a_namesake_fine_tuning_the_labs_model_is_not_attributed() -> None:
    # One known name (a namesake) and a title that uses the lab's model as a base: no evidence.
    decision, evidence = decide(
        "Efficient Legal Question Answering by Fine-tuning Rocket3-8B on Court Records",
        ["Jin Xu", "Maria Gonzalez", "Peter Novak"],
    )
    assert decision == REJECTED
    assert evidence == ("one known author only: 'Jin Xu' (a namesake as likely as not)",)


@pytest.mark.parametrize(
    "title",
    [
        "LexRocket: Legal Reasoning Built on Rocket3",  # the subject is LexRocket; Rocket3 is its base
        "Distilling Rocket3 into Small Models for Edge Devices",  # a sentence: no subject name
        "On the Safety of Open Models",
    ],
)
def test_a_family_outside_the_titles_subject_is_not_evidence(title: str) -> None:
    decision, _ = decide(title, ["Jin Xu", "Someone Else"])
    assert decision == REJECTED


def test_a_team_author_report_is_attributed() -> None:
    decision, evidence = decide("Scaling Laws for Sparse Attention", ["Acme Team", "Alice Smith", "Bob Lee"])
    assert decision == ATTRIBUTED
    assert evidence == ("team author 'Acme Team'",)


def test_team_names_compare_without_case_dots_or_spacing() -> None:
    assert decide("Untitled Work", ["acme  TEAM"])[0] == ATTRIBUTED
    assert normalize_person("Z.Z. Ren") == normalize_person("Z. Z.  Ren") == "z z ren"


def test_a_report_tagged_by_a_lab_repo_is_attributed_whatever_its_authors() -> None:
    decision, evidence = decide("A Study of Things", ["Nobody Known"], tagged_by=("AcmeAI/Rocket3-8B",))
    assert decision == ATTRIBUTED
    assert evidence == ("arxiv tag on AcmeAI/Rocket3-8B",)


def test_two_known_people_are_evidence_one_is_not() -> None:
    assert decide("Better Reward Models", ["Jin Xu", "Z.Z. Ren", "Other Person"])[0] == ATTRIBUTED
    assert decide("Better Reward Models", ["Jin Xu", "Jin Xu"])[0] == REJECTED  # the same person twice


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Rocket3 Technical Report", "family 'rocket3' is the subject of the title"),
        ("Orbit-VL: Seeing Further", "family 'orbit-vl' is the subject of the title"),
        ("Rocket-Image Technical Report", "lab name 'rocket' is the subject of the title"),
        ("Acme K2: Open Agentic Intelligence", "lab name 'acme' is the subject of the title"),
    ],
)
def test_the_lab_or_a_family_as_the_titles_subject_is_evidence(title: str, expected: str) -> None:
    decision, evidence = decide(title, ["Unknown Author"])
    assert decision == ATTRIBUTED
    assert evidence == (expected,)


def test_a_lab_name_must_end_at_a_word_or_version_boundary() -> None:
    # "Rocketry" is another word, not the lab's name followed by a version.
    assert decide("Rocketry Technical Report", ["Unknown Author"])[0] == REJECTED


def test_generic_words_of_a_lab_name_are_not_names() -> None:
    # "AI" in "Acme AI" names no one: a report titled "AI: ..." is not the lab's.
    assert "ai" not in IDENT.names
    assert decide("AI: A Modern Approach", ["Unknown Author"])[0] == REJECTED


def test_a_lab_with_only_free_queries_takes_their_names_as_people() -> None:
    lab = LabConfig(slug="beta", name="Beta", country="US", arxiv_queries=('au:"Beta Team" OR au:"Jin Xu"',))
    ident = lab_identity(lab)
    assert ident.teams == frozenset() and ident.people == {"beta team", "jin xu"}
    one = attribute(title="Some Paper", authors=["Beta Team"], ident=ident)
    assert one.decision == REJECTED  # a query string cannot say which name is a team
    assert attribute(title="Some Paper", authors=["Beta Team", "Jin Xu"], ident=ident).attributed
