"""The one alert filter (tracker.outbox.subscriptions.matches), watchlist filters and channel resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.config import Settings
from tracker.notify import channel_problem, resolve_channel
from tracker.outbox.subscriptions import AlertFacts, filters_of, matches
from tracker.watchlist import Subscription, load_watchlist

QWEN_8B = AlertFacts(
    lab="qwen", country="CN", kind="model", variant_kinds=("instruct",), params_total_b=8.0, licence="apache-2.0"
)
QWEN_FP8 = AlertFacts(
    lab="qwen",
    country="CN",
    kind="model",
    variant_kinds=("instruct", "quantized"),
    params_total_b=8.0,
    licence="apache-2.0",
)
PAPER = AlertFacts(lab="deepseek", country="CN", kind="paper")
LLAMA = AlertFacts(
    lab="meta",
    country="US",
    kind="model",
    variant_kinds=("base",),
    params_total_b=400.0,
    licence="llama4",
    significance=0.9,
)


@pytest.mark.parametrize(
    ("filters", "facts", "expected"),
    [
        ({}, QWEN_8B, True),
        ({}, PAPER, True),
        ({"labs": ["*"]}, LLAMA, True),
        ({"labs": ["qwen"]}, QWEN_8B, True),
        ({"labs": ["qwen"]}, LLAMA, False),
        ({"countries": ["cn"]}, QWEN_8B, True),
        ({"countries": ["CN"]}, LLAMA, False),
        # release kinds
        ({"kinds": ["model"]}, QWEN_8B, True),
        ({"kinds": ["model"]}, PAPER, False),
        ({"kinds": ["paper"]}, PAPER, True),
        ({"kinds": ["model", "paper"]}, PAPER, True),
        # variant kinds restrict models; papers pass only when their kind is named too
        ({"kinds": ["instruct"]}, QWEN_8B, True),
        ({"kinds": ["thinking"]}, QWEN_8B, False),
        ({"kinds": ["base"]}, LLAMA, True),
        ({"kinds": ["instruct"]}, PAPER, False),
        ({"kinds": ["paper", "instruct"]}, PAPER, True),
        ({"kinds": ["paper", "instruct"]}, LLAMA, False),
        # quantized re-uploads pass only when asked for by name
        ({}, QWEN_FP8, False),
        ({"kinds": ["model", "paper"]}, QWEN_FP8, False),
        ({"kinds": ["quantized"]}, QWEN_FP8, True),
        ({"kinds": ["model", "quantized"]}, QWEN_FP8, True),
        # parameters in billions; unknown does not pass a threshold
        ({"min_params_b": 8}, QWEN_8B, True),
        ({"min_params_b": 30}, QWEN_8B, False),
        ({"min_params_b": 1}, PAPER, False),
        # significance: None (not scored) passes only without a threshold
        ({"significance": 0.5}, LLAMA, True),
        ({"significance": 0.95}, LLAMA, False),
        ({"significance": 0.1}, QWEN_8B, False),
        # licences, case-insensitive; unknown does not pass
        ({"licences": ["Apache-2.0", "mit"]}, QWEN_8B, True),
        ({"licences": ["mit"]}, QWEN_8B, False),
        ({"licences": ["mit"]}, PAPER, False),
        # every key must pass
        ({"labs": ["qwen"], "kinds": ["instruct"], "min_params_b": 7, "countries": ["CN"]}, QWEN_8B, True),
        ({"labs": ["qwen"], "kinds": ["instruct"], "min_params_b": 9}, QWEN_8B, False),
    ],
)
def test_matches(filters: dict, facts: AlertFacts, expected: bool) -> None:
    assert matches(filters, facts) is expected


def test_filters_of_keeps_only_restricting_keys() -> None:
    assert filters_of(Subscription(channel="slack:#x")) == {}
    sub = Subscription(
        channel="slack:#x",
        labs=("qwen", "deepseek"),
        countries=("cn",),
        kinds=("Model",),
        min_params_b=7.0,
        significance=0.5,
    )
    assert filters_of(sub) == {
        "labs": ["deepseek", "qwen"],
        "countries": ["CN"],
        "kinds": ["model"],
        "min_params_b": 7.0,
        "significance": 0.5,
    }


def test_default_subscription_is_everything_but_quantized() -> None:
    default = load_watchlist().subscriptions[0]
    assert default.channel == "slack:default"
    filters = filters_of(default)
    assert matches(filters, QWEN_8B) and matches(filters, PAPER) and matches(filters, LLAMA)
    assert not matches(filters, QWEN_FP8)


def test_default_subscription_needs_only_a_token_and_a_channel(tmp_path: Path) -> None:
    bare = Settings(_env_file=None, data_dir=tmp_path)
    assert "TRACKER_SLACK_BOT_TOKEN" in (channel_problem(bare, "slack:default") or "")
    token_only = bare.model_copy(update={"slack_bot_token": "xoxb-1"})
    assert "TRACKER_SLACK_CHANNEL" in (channel_problem(token_only, "slack:default") or "")
    ready = token_only.model_copy(update={"slack_channel": "#model-releases"})
    assert channel_problem(ready, "slack:default") is None
    assert resolve_channel("slack:default", ready) == "slack:#model-releases"
    assert resolve_channel("slack:#other", ready) == "slack:#other"


def test_channel_problem_per_scheme(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert channel_problem(settings, "console:") is None
    assert channel_problem(settings, "webhook:https://example.org/hook") is None
    assert "http" in (channel_problem(settings, "webhook:ftp://x") or "")
    assert "not configured yet" in (channel_problem(settings, "email:a@example.org") or "")
    assert (
        channel_problem(settings.model_copy(update={"slack_webhook_url": "https://hooks.slack.com/x"}), "slack:default")
        is None
    )
