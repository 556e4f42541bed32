"""Block Kit builders, looked at as a reader would: blocks rendered to text (snapshot style).

The Qwen3 message is built from the real launch replayed from the corpus (poll 2025-04-27 for
the baseline, then 2025-04-29) with ``build_alert`` on an embedded SQLite store. Hostile names
and oversized texts check escaping and Block Kit limits.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.factories import packaged
from tracker.config import Settings
from tracker.notify.content import Link, Message, PaperFacts, Variant
from tracker.notify.slack.blocks import alert_content, release_content, render_text, variant_content
from tracker.notify.slack.mrkdwn import (
    FIELD_MAX,
    HEADER_MAX,
    MAX_BLOCKS,
    SECTION_TEXT_MAX,
    escape,
    fit_blocks,
    link,
    section,
    truncate,
)
from tracker.notify.slack.pacing import ChannelPacer
from tracker.outbox.content import build_alert
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.models import Event

HOSTILE = "<!channel> <@U123> <!here> <#C0GENERAL> <https://evil.test|click> &amp; friends"
ENTITY_OK = re.compile(r"&(?!(amp|lt|gt);)")


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every text string in the blocks (header, section text, fields, context elements)."""
    out = []
    for b in blocks:
        if "text" in b:
            out.append(b["text"]["text"])
        out += [f["text"] for f in b.get("fields", [])]
        out += [e["text"] for e in b.get("elements", []) if "text" in e]
    return out


def assert_within_limits(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= MAX_BLOCKS
    for b in blocks:
        if b["type"] == "header":
            assert b["text"]["type"] == "plain_text" and 1 <= len(b["text"]["text"]) <= HEADER_MAX
        if b["type"] == "section":
            if "text" in b:
                assert 1 <= len(b["text"]["text"]) <= SECTION_TEXT_MAX
            assert len(b.get("fields", [])) <= 10
            assert all(len(f["text"]) <= FIELD_MAX for f in b.get("fields", []))
    for t in texts(blocks):
        assert not ENTITY_OK.search(t), f"broken escape in {t[-40:]!r}"
        assert t.count("<") == t.count(">"), f"broken link in {t[-60:]!r}"


def assert_pings_no_one(raw: str) -> None:
    for special in ("<!", "<@", "<#", "<https://evil"):
        assert special not in raw, f"{special!r} would be interpreted by Slack in {raw!r}"


# --------------------------------------------------------------------------- the real launch


@pytest.fixture(scope="module")
def qwen3_messages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Message]:
    """Messages built from the replayed Qwen3 launch: the release and one same-poll variant."""
    data_dir: Path = tmp_path_factory.mktemp("qwen3")
    watchlist = packaged("qwen")
    with ReplayServer(now=_utc(2025, 4, 27)) as hub:
        settings = Settings(
            _env_file=None,
            data_dir=data_dir,
            hf_endpoint=hub.hf_endpoint,
            arxiv_endpoint=hub.arxiv_endpoint,
            arxiv_min_interval=0,
        )
        store = Store.open(settings)
        poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        hub.set_now(_utc(2025, 4, 29))
        poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        with store.transaction() as session:
            events = list(session.scalars(select(Event).order_by(Event.id)))
            release = next(e for e in events if e.type == "release_detected" and e.payload["title"] == "Qwen3")
            variant = next(e for e in events if e.type == "variant_added" and e.release_id == release.release_id)
            msgs = {
                "release": build_alert(session=session, event=release),
                "variant": build_alert(session=session, event=variant),
                "hub": hub.hf_endpoint,
            }
        store.dispose()
    return msgs  # type: ignore[return-value]


QWEN3_SNAPSHOT = """\
Qwen · Qwen3
════════════
🇨🇳 New open-weight release from Qwen (Alibaba Cloud) · 22 repos
Sizes:                0.6B · 1.7B · 4B · 8B · 14B · 32B
MoE (total / active): 30B / 3B · 235B / 22B
Licence:              apache-2.0
Modality:             text-generation
Base model:           new base model
Access:               open, not gated
Variants:             22 repos: 6 base, 8 FP8
🔗 Qwen/Qwen3-235B-A22B (HUB/Qwen/Qwen3-235B-A22B)  ·  all 22 repos on the Hub (HUB/models?search=Qwen%2FQwen3)  ·  arXiv 2505.09388 (https://arxiv.org/abs/2505.09388)
First seen 2025-04-29 00:00 UTC  ·  Qwen/Qwen3-235B-A22B was created 2025-04-16, 12 days before going public  ·  tracker"""


def test_qwen3_release_renders_as_one_readable_message(qwen3_messages: dict[str, Any]) -> None:
    message: Message = qwen3_messages["release"]
    content = release_content(message)
    rendered = render_text(content.blocks).replace(qwen3_messages["hub"], "HUB")
    assert rendered == QWEN3_SNAPSHOT, "\n" + rendered
    assert content.text == "Qwen (Alibaba Cloud) released Qwen3: 22 repos, 0.6B–235B, apache-2.0"
    assert_within_limits(content.blocks)
    # the facts the issue asks for, as data too
    assert message.variant_count == 22 and message.license == "apache-2.0" and message.new_base is True
    assert [(s.params_total_b, s.params_active_b) for s in message.sizes if s.params_active_b] == [(30, 3), (235, 22)]


def test_same_poll_variant_is_folded_into_the_release_message(qwen3_messages: dict[str, Any]) -> None:
    variant: Message = qwen3_messages["variant"]
    assert variant.in_parent is True  # the release message built after this poll already lists it
    assert len(variant.batch) == 22
    # the parent built from a variant's message is the same release message
    assert render_text(release_content(variant).blocks) == render_text(
        release_content(qwen3_messages["release"]).blocks
    )


# --------------------------------------------------------------------------- synthetic messages


def _message(**overrides: Any) -> Message:
    base: dict[str, Any] = {
        "event": "release_detected",
        "lab": "qwen",
        "lab_name": "Qwen (Alibaba Cloud)",
        "country": "CN",
        "kind": "model",
        "title": "Qwen3",
        "artifact": "Qwen/Qwen3-8B",
        "url": "https://huggingface.co/Qwen/Qwen3-8B",
        "release_url": "https://huggingface.co/Qwen/Qwen3-8B",
        "variant_count": 1,
        "sizes": (
            Variant("Qwen/Qwen3-8B", "https://huggingface.co/Qwen/Qwen3-8B", size_label="8B", params_total_b=8.0),
        ),
        "license": "apache-2.0",
        "pipeline_tag": "text-generation",
        "new_base": True,
        "gated": False,
        "links": (Link("Qwen/Qwen3-8B", "https://huggingface.co/Qwen/Qwen3-8B"),),
        "first_seen_at": _utc(2025, 4, 29),
        "created_at": _utc(2025, 4, 27, 20),
    }
    base.update(overrides)
    return Message(**base)


def test_hostile_names_render_as_text_and_ping_no_one() -> None:
    message = _message(
        title=f"Qwen3 {HOSTILE}",
        artifact=f"Qwen/{HOSTILE}",
        lab_name=f"Lab {HOSTILE}",
        license=HOSTILE,
        pipeline_tag=HOSTILE,
        base_model=HOSTILE,
        variant_summary=(HOSTILE,),
        variant_count=2,
        links=(
            Link(HOSTILE, "https://huggingface.co/Qwen/x"),
            Link("evil", "javascript:alert(1)"),
            Link("pipe", "https://huggingface.co/a|b><!channel>"),
        ),
        batch=(Variant(f"Qwen/{HOSTILE}", "https://huggingface.co/x", kinds=(HOSTILE,), quantization=HOSTILE),),
        event="variant_added",
        artifact_first_seen_at=_utc(2025, 5, 3),
        artifact_created_at=_utc(2025, 5, 1),
    )
    for content in (release_content(message), variant_content(message), variant_content(message, follow_up=True)):
        raw = "\n".join([*texts(content.blocks), content.text])
        assert_pings_no_one(raw)
        assert_within_limits(content.blocks)
        rendered = render_text(content.blocks)
        assert "[PING" not in rendered
        assert "<!channel> <@U123> <!here> <#C0GENERAL> <https://evil.test|click> &amp; friends" in rendered
    raw_release = "\n".join(texts(release_content(message).blocks))
    assert "&amp;amp; friends" in raw_release  # a literal "&amp;" stays visible as typed
    assert "<javascript:" not in raw_release and "evil" in raw_release  # shown as a label, not a link
    assert "<https://huggingface.co/a%7Cb%3E%3C!channel%3E|pipe>" in raw_release  # cannot close the link early
    links = re.findall(r"<([^|>]+)\|", raw_release)
    assert links and all(u.startswith("https://huggingface.co/") for u in links), links


def test_hostile_paper_renders_escaped() -> None:
    paper = PaperFacts(
        arxiv_id="2505.00001",
        authors=(HOSTILE, "B"),
        primary_category="cs.CL",
        summary=HOSTILE * 3,
        pdf_url="https://arxiv.org/pdf/2505.00001v1",
        version=1,
    )
    content = alert_content(
        _message(kind="paper", title=HOSTILE, paper=paper, release_url="https://arxiv.org/abs/2505.00001")
    )
    assert_pings_no_one("\n".join([*texts(content.blocks), content.text]))
    assert HOSTILE in render_text(content.blocks)


PAPER_SNAPSHOT = """\
📄 Qwen3 Technical Report (https://arxiv.org/abs/2505.09388)
An Yang, Anfeng Li, Baosong Yang, Beichen Zhang et al. · cs.CL · arXiv 2505.09388v1
In this work, we present Qwen3, the latest version of the Qwen model family.
🇨🇳 Qwen (Alibaba Cloud)  ·  published 2025-05-14  ·  first seen 2025-05-15 00:00 UTC  ·  PDF (https://arxiv.org/pdf/2505.09388v1)"""


def test_paper_gets_a_compact_layout() -> None:
    paper = PaperFacts(
        arxiv_id="2505.09388",
        version=1,
        primary_category="cs.CL",
        authors=("An Yang", "Anfeng Li", "Baosong Yang", "Beichen Zhang", "Binyuan Hui"),
        summary="In this work, we present Qwen3,\n  the latest version of the Qwen model family.",
        pdf_url="https://arxiv.org/pdf/2505.09388v1",
        published_at=_utc(2025, 5, 14, 17),
    )
    content = alert_content(
        _message(
            kind="paper",
            title="Qwen3 Technical Report",
            paper=paper,
            release_url="https://arxiv.org/abs/2505.09388",
            first_seen_at=_utc(2025, 5, 15),
        )
    )
    assert render_text(content.blocks) == PAPER_SNAPSHOT, "\n" + render_text(content.blocks)
    assert len(content.blocks) == 3


def test_long_titles_and_texts_are_truncated_within_limits_without_broken_escapes() -> None:
    title = ("A&B<C>" * 40)[:200]
    summary = ("x&y<z> " * 2000)[:10_000]
    message = _message(
        title=title,
        artifact=title,
        lab_name=title,
        license=summary,
        base_model=summary,
        links=(Link(summary, "https://huggingface.co/" + "a" * 5000),),
        paper=None,
        variant_count=400,
        batch=tuple(
            Variant(f"Qwen/{title}-{i}", f"https://huggingface.co/q/{i}", quantization="GGUF") for i in range(400)
        ),
        event="variant_added",
    )
    for content in (release_content(message), variant_content(message)):
        assert_within_limits(content.blocks)
        assert len(content.text) <= 3000
    header = release_content(message).blocks[0]["text"]["text"]
    assert len(header) <= HEADER_MAX and header.endswith("…")
    reply = variant_content(message).blocks[0]["text"]["text"]
    assert re.search(r"… and \d+ more$", reply)
    paper = PaperFacts(arxiv_id="1", summary=summary, authors=tuple(summary.split()[:500]))
    content = alert_content(_message(kind="paper", title=summary, paper=paper))
    assert_within_limits(content.blocks)


@pytest.mark.parametrize("limit", range(1, 80))
def test_truncate_never_splits_an_entity_or_a_link(limit: int) -> None:
    text = escape("a&b<c>d") + " " + link("https://x.test/p?a=1&b=2", "a <label>") + escape(" &&&")
    cut = truncate(text, limit)
    assert len(cut) <= max(limit, 1)
    assert not ENTITY_OK.search(cut), cut
    assert cut.count("<") == cut.count(">"), cut


def test_fit_blocks_keeps_fifty() -> None:
    blocks = fit_blocks([section(str(i)) for i in range(80)])
    assert len(blocks) == MAX_BLOCKS
    assert blocks[-1]["type"] == "context" and "31 more" in blocks[-1]["elements"][0]["text"]


def test_link_only_for_http_urls() -> None:
    assert link("javascript:alert(1)", "x<y") == "x&lt;y"
    assert link("https://a.test/x|y>z", "l|m") == "<https://a.test/x%7Cy%3Ez|l¦m>"


def test_pacer_spaces_a_burst_per_channel() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)

    pacer = ChannelPacer(1.0, clock=lambda: now[0], sleep=sleep)
    waits = [pacer.wait("C1") for _ in range(20)]
    assert waits == [float(i) for i in range(20)]  # the 20th message goes out 19 s after the first
    assert pacer.wait("C2") == 0  # another channel is not held up
    now[0] += 30
    assert pacer.wait("C1") == 0
