"""Follow-up and notice rendering for Slack (pure): escaped external text, durations as people
say them, the withdrawn state on the parent message, the report link."""

from __future__ import annotations

import json

import pytest

from tracker.notify.content import Link, Message
from tracker.notify.slack.blocks import fmt_public_for, release_content, render_text
from tracker.notify.slack.follow_ups import notice_content, reply_content, stand_alone_content

EVIL = "Qwen3 <!channel> <https://evil.example|click> & co"


def _message(event: str = "paper_linked", **fields: object) -> Message:
    values: dict = {
        "event": event,
        "lab": "qwen",
        "lab_name": "Qwen (Alibaba Cloud)",
        "country": "CN",
        "kind": "model",
        "title": "Qwen3",
        "artifact": "",
        "url": "",
        "release_url": "https://huggingface.co/Qwen/Qwen3-8B",
        "variant_count": 2,
    }
    return Message(**{**values, **fields})


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0 min"), (41 * 60, "41 min"), (5 * 3600, "5 h"), (3 * 86400, "3 days")]
)
def test_how_long_a_withdrawn_release_was_public(seconds: int, text: str) -> None:
    assert fmt_public_for(seconds) == text


def test_external_text_in_follow_ups_and_notices_is_escaped() -> None:
    report = _message(note=f"Technical report: {EVIL} (arXiv 2505.09388)", linked=Link(EVIL, "https://arxiv.org/abs/1"))
    notice = _message("org_move", title=f"3 repos moved into {EVIL}", facts=(f"from {EVIL}",))
    for content in (reply_content(report), stand_alone_content(report), notice_content(notice)):
        raw = json.dumps(content.blocks) + content.text
        assert "<!channel>" not in raw and "<https://evil.example|" not in raw
        assert "&lt;!channel&gt;" in raw


def test_the_parent_shows_the_withdrawal_and_the_report() -> None:
    gone = release_content(_message("release_withdrawn", withdrawn_after_s=41 * 60))
    shown = render_text(gone.blocks)
    assert "Qwen · Qwen3 (withdrawn)" in shown and "Withdrawn after 41 min" in shown
    assert gone.text.endswith("(withdrawn after 41 min)")
    back = release_content(_message("release_restored"))
    assert "withdrawn" not in render_text(back.blocks).lower()
    linked = release_content(_message(reports=(Link("Qwen3 Technical Report", "https://arxiv.org/abs/2505.09388"),)))
    assert "Technical report: Qwen3 Technical Report (https://arxiv.org/abs/2505.09388)" in render_text(linked.blocks)
