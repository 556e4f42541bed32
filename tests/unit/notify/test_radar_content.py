"""Radar content from outside data: Hub links only from valid ids, numbers and text clamped,
country never guessed; the subscription rule of the radar alert."""

from __future__ import annotations

import json

import pytest

from tracker.notify.apprise_notifier import render
from tracker.notify.base import Outgoing
from tracker.notify.content.radar import RadarLine, arxiv_link, hub_link, radar_line
from tracker.notify.email.render import render_email
from tracker.notify.webhook import encode_payload
from tracker.outbox.radar_content import build_radar_message, radar_passes

HUB = "https://huggingface.co"


@pytest.mark.parametrize(
    ("value", "repo", "expected"),
    [
        ("some-org", False, f"{HUB}/some-org"),
        ("Org_1.x", False, f"{HUB}/Org_1.x"),
        ("org/Model-7B.v2", True, f"{HUB}/org/Model-7B.v2"),
        ("org/name", False, None),  # an org is one part
        ("org", True, None),  # a repo id has two
        ("org/name/extra", True, None),
        ("../etc", False, None),
        ("a..b", False, None),
        ("a--b", False, None),
        ("-leading", False, None),
        (".hidden", False, None),
        ("javascript:alert(1)", False, None),
        ("org name", False, None),
        ('org"onmouseover="x', False, None),
        ("x" * 97, False, None),
        ("x" * 96, False, f"{HUB}/{'x' * 96}"),
        ("", False, None),
        (None, True, None),
    ],
)
def test_hub_link_only_from_valid_ids(value: str | None, repo: bool, expected: str | None) -> None:
    assert hub_link(HUB, value, repo=repo) == expected


def test_hub_link_needs_a_plain_http_base() -> None:
    assert hub_link("http://127.0.0.1:8080/", "org", repo=False) == "http://127.0.0.1:8080/org"
    for base in ("javascript:alert(1)//", "ftp://hub", "https://hub.test/a b", ""):
        assert hub_link(base, "org", repo=False) is None


def test_arxiv_link() -> None:
    assert arxiv_link("2505.09388") == "https://arxiv.org/abs/2505.09388"
    assert arxiv_link("2505.09388v2") == "https://arxiv.org/abs/2505.09388v2"
    assert arxiv_link("2505.09388/../x") is None and arxiv_link(None) is None


def test_radar_line_clamps_outside_values_and_never_guesses_a_country() -> None:
    line = radar_line(
        {
            "org": "  Lab \n" + "y" * 300,
            "score": 140,
            "first_seen_at": "2025-04-28T00:00:00Z",
            "best_repo_likes": -5,
            "best_repo_downloads": 10**20,
            "trending_rank": "3",
            "derivatives": "many",
            "country": "China",
            "reasons": [
                {"code": "a", "points": "nan", "text": "low"},
                {"code": "b", "points": 30, "text": "x" * 1000},
                "not a reason",
                {"code": "", "points": 1, "text": ""},
            ]
            * 5,
        },
        hub_url=HUB,
    )
    assert len(line.org) == 100 and line.org.startswith("Lab y") and line.org.endswith("…")
    assert line.org_url is None  # the clamped name has a space: not a Hub org
    assert line.score == 100.0
    assert line.best_repo_likes is None and line.best_repo_downloads is None
    assert line.trending_rank == 3 and line.derivatives == 0
    assert line.country is None
    assert len(line.reasons) == 8 and line.reasons[0].points == 30 and len(line.reasons[0].text) == 300
    assert RadarLine.from_dict(line.to_dict()) == line
    assert radar_line({"org": "x", "first_seen_at": "", "country": "fr"}, hub_url=HUB).country == "FR"
    terminal = radar_line(
        {"org": "Org\x1b[2J", "first_seen_at": "", "reasons": [{"code": "t", "points": 1, "text": "a\x07b\x9bc"}]},
        hub_url=HUB,
    )
    assert terminal.org == "Org\\x1b[2J" and terminal.org_url is None
    assert terminal.reasons[0].text == "a\\x07b\\x9bc"


def test_radar_message_says_why_and_links_safely() -> None:
    payload = radar_line(
        {
            "org": "NewLab",
            "score": 71.6,
            "first_seen_at": "2025-04-28T00:00:00Z",
            "best_repo_id": "NewLab/M-7B",
            "arxiv_id": "2505.00001",
            "reasons": [{"code": "trending", "points": 40, "text": "#2 on trending"}],
        },
        hub_url=HUB,
    ).to_dict()
    message = build_radar_message(9, payload)
    assert message.headline == "Radar · NewLab · on the radar, score 72/100"
    assert message.url == f"{HUB}/NewLab/M-7B" and message.lab == "" and message.country == ""
    assert message.facts[0] == "#2 on trending" and "country unknown" in message.facts
    assert [link.url for link in message.links] == [
        f"{HUB}/NewLab",
        f"{HUB}/NewLab/M-7B",
        "https://arxiv.org/abs/2505.00001",
    ]
    broken = build_radar_message(10, {"org": "<x>"})
    assert broken.lab_name == "<x>" and broken.url == ""


@pytest.mark.parametrize(
    ("filters", "country", "passes"),
    [
        ({}, None, True),
        ({"labs": ["*"], "kinds": ["model", "paper"]}, None, True),
        ({"labs": ["qwen"]}, None, False),
        ({"countries": ["CN"]}, None, False),
        ({"countries": ["CN"]}, "CN", True),
        ({"countries": ["CN"]}, "FR", False),
        ({"kinds": ["paper"]}, None, False),
        ({"kinds": ["instruct"]}, None, False),
        ({"min_params_b": 7}, None, False),
        ({"significance": 0.5}, None, False),
        ({"licences": ["mit"]}, None, False),
    ],
)
def test_who_gets_radar_alerts(filters: dict, country: str | None, passes: bool) -> None:
    assert radar_passes(filters, country) is passes


def test_text_channels_render_the_radar_alert() -> None:
    payload = radar_line(
        {"org": "NewLab", "score": 66, "first_seen_at": "", "reasons": [{"code": "t", "points": 66, "text": "why"}]},
        hub_url=HUB,
    ).to_dict()
    out = Outgoing(
        delivery_id=3,
        idempotency_key="event:1:1",
        kind="alert",
        channel="webhook:x",
        message=build_radar_message(1, payload),
    )
    body = json.loads(encode_payload(out))
    assert body["headline"] == "Radar · NewLab · on the radar, score 66/100"
    assert body["message"]["event"] == "radar_crossed" and body["message"]["url"] == f"{HUB}/NewLab"
    title, text = render(out)
    assert title == "NewLab: on the radar, score 66/100" and "why" in text and f"{HUB}/NewLab" in text


def test_email_alert_of_a_hostile_org_is_escaped_and_names_no_country() -> None:
    hostile = '<a href="https://evil.test">click</a>'
    payload = radar_line(
        {"org": hostile, "score": 61, "first_seen_at": "", "reasons": [{"code": "t", "points": 61, "text": hostile}]},
        hub_url=HUB,
    ).to_dict()
    email = render_email("alert", {"m": build_radar_message(2, payload)})
    assert hostile not in email.html and "&lt;a href=&#34;https://evil.test&#34;&gt;" in email.html
    assert 'evil.test"' not in email.html and "()" not in email.html
    assert email.subject.startswith("Radar · ") and "country unknown" in email.text
