"""The shared test builders (tests/factories.py) say what a hand-written watchlist file would."""

from __future__ import annotations

import pytest

from tests.factories import QWEN_AUTHORS, lab, make_watchlist, observation, packaged, qwen, subscription, watchlist_toml
from tracker.domain import ArtifactKind, SourceKind
from tracker.watchlist import LabConfig, Subscription, parse_watchlist


def test_watchlist_toml_is_the_file_a_user_would_write() -> None:
    text = watchlist_toml(
        qwen(name="Qwen (Alibaba Cloud)", arxiv_queries=[QWEN_AUTHORS], poll_interval=60),
        subscriptions=[subscription("webhook:http://x/hook?big", min_params_b=100)],
    )
    by_hand = parse_watchlist(
        f"""
[[labs]]
slug = "qwen"
name = "Qwen (Alibaba Cloud)"
country = "CN"
hf_orgs = ["Qwen"]
arxiv_queries = ['{QWEN_AUTHORS}']
poll_interval = 60

[[subscriptions]]
channel = "webhook:http://x/hook?big"
min_params_b = 100
""",
        source="t",
    )
    rendered = parse_watchlist(text, source="t")
    assert (rendered.labs, rendered.subscriptions) == (by_hand.labs, by_hand.subscriptions)


def test_values_keep_quotes_backslashes_and_non_ascii() -> None:
    wl = make_watchlist(lab("x", name='通义 "Qwen" \\ team', hf_orgs=["x-org"]))
    assert wl.lab("x") == LabConfig(slug="x", name='通义 "Qwen" \\ team', country="CN", hf_orgs=("x-org",))
    with pytest.raises(TypeError):
        watchlist_toml(lab("x", bogus={"nested": 1}))


def test_packaged_subset_and_observation_defaults() -> None:
    wl = packaged("qwen", "deepseek", subscriptions=[Subscription(channel="console:")])
    assert [lab.slug for lab in wl.labs] == ["qwen", "deepseek"] and wl.subscriptions[0].channel == "console:"
    obs = observation("zai-org/GLM-4.6")
    assert (obs.source, obs.kind, obs.org, obs.external_id) == (
        SourceKind.HF,
        ArtifactKind.MODEL,
        "zai-org",
        "id-zai-org/GLM-4.6",
    )
