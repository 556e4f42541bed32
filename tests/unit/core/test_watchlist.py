"""Watchlist loading: the packaged default, user files replacing or extending it, and errors
that name the file, the lab (or subscription) and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.errors import ConfigError
from tracker.watchlist import load_watchlist, parse_watchlist

LAB = 'slug = "x"\nname = "X"\ncountry = "CN"\n'


def test_packaged_watchlist_covers_the_required_labs() -> None:
    wl = load_watchlist()
    orgs = {org for lab in wl.labs for org in lab.hf_orgs}
    for org in (
        "deepseek-ai",
        "Qwen",
        "zai-org",
        "THUDM",
        "MiniMaxAI",
        "moonshotai",
        "meta-llama",
        "google",
        "mistralai",
        "openai",
        "microsoft",
        "nvidia",
    ):
        assert org in orgs
    assert all(lab.arxiv_teams for lab in wl.labs if lab.tier == "primary")
    assert wl.lab("zhipu").country == "CN" and wl.lab("meta").country == "US"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (f"[[labs]]\n{LAB}hf_org = ['Qwen']\n", ["lab 'x'", "'hf_org'", "unknown key"]),
        (f"[[labs]]\n{LAB}hf_orgs = 'Qwen'\n", ["lab 'x'", "'hf_orgs'"]),
        ('[[labs]]\nslug = "x"\nname = "X"\ncountry = "China"\n', ["lab 'x'", "'country'", "alpha-2"]),
        ('[[labs]]\nslug = "X Y"\nname = "X"\ncountry = "CN"\n', ["'slug'", "lowercase"]),
        (f"[[labs]]\n{LAB}\n[[labs]]\n{LAB}", ["lab 'x'", "duplicate slug"]),
        ("[[labs]\n", ["invalid TOML", "line 1"]),
        (f"[[labs]]\n{LAB}[[subscriptions]]\nchannel = 'irc:#x'\n", ["subscription 'irc:#x'", "'channel'"]),
        (f"[[labs]]\n{LAB}[[subscriptions]]\nchannel = 'slack:#x'\nkinds = ['papers']\n", ["'kinds'", "'papers'"]),
        (
            f"[[labs]]\n{LAB}[[subscriptions]]\nchannel = 'email:not-an-address'\n",
            ["subscription 'email:not-an-address'", "'channel'", "email:team@example.org"],
        ),
        (f"[[labs]]\n{LAB}[[subscriptions]]\nchannel = 'email:a@b.org, c@d.org'\n", ["'channel'", "one address"]),
        (
            f"[[labs]]\n{LAB}hf_orgs = ['Qwen']\n"
            "[[labs]]\nslug = 'y'\nname = 'Y'\ncountry = 'CN'\nhf_orgs = ['qwen']\n",
            ["lab 'y'", "already watched by lab 'x'"],
        ),
    ],
)
def test_invalid_watchlist_errors_name_file_lab_and_key(tmp_path: Path, toml: str, expected: list[str]) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_watchlist(path)
    message = str(err.value)
    assert "mine.toml" in message
    for part in expected:
        assert part in message, message


def test_email_subscription_with_an_address_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(f"[[labs]]\n{LAB}[[subscriptions]]\nchannel = 'email:team@example.org'\ndigest = 'weekly'\n")
    assert [s.channel for s in load_watchlist(path).subscriptions] == ["email:team@example.org"]


def test_subscription_naming_an_unknown_lab_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(f"[[labs]]\n{LAB}[[subscriptions]]\nchannel = 'slack:#x'\nlabs = ['nope']\n")
    with pytest.raises(ConfigError, match="unknown lab 'nope'"):
        load_watchlist(path)


def test_user_file_replaces_the_default(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(f"[[labs]]\n{LAB}hf_orgs = ['x-org']\n")
    wl = load_watchlist(path)
    assert [lab.slug for lab in wl.labs] == ["x"]


def test_extends_default_adds_and_overrides_labs(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(
        'extends = "default"\n[[labs]]\nslug = "qwen"\nname = "Qwen only HF"\ncountry = "CN"\n'
        'hf_orgs = ["Qwen"]\n[[labs]]\nslug = "stepfun"\nname = "StepFun"\ncountry = "CN"\n'
        'hf_orgs = ["stepfun-ai"]\n'
    )
    wl = load_watchlist(path)
    assert wl.lab("qwen").name == "Qwen only HF" and wl.lab("qwen").arxiv_queries == ()
    assert wl.lab("stepfun").hf_orgs == ("stepfun-ai",)
    assert wl.lab("deepseek").hf_orgs == ("deepseek-ai",)


def test_unknown_lab_lookup_lists_known_labs() -> None:
    wl = parse_watchlist(f"[[labs]]\n{LAB}", source="t")
    with pytest.raises(ConfigError, match="known labs: x"):
        wl.lab("nope")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read watchlist"):
        load_watchlist(tmp_path / "absent.toml")
