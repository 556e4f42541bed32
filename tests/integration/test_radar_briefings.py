""" "New on the radar" in the weekly pulse (Slack) and the digest (email), on both backends: present
with the orgs that crossed the alert score in the period, escaped, absent when none did."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.factories import T0, add_radar_candidate
from tracker.analytics.status import CadenceRules
from tracker.briefings import digest as dg
from tracker.briefings import pulse as pulse_mod
from tracker.notify.content import Digest
from tracker.notify.email.render import render_digest
from tracker.notify.slack.blocks import render_text
from tracker.notify.slack.pulse_blocks import pulse_content
from tracker.store import Store

HUB = "https://huggingface.co"
HOSTILE = "<img src=x onerror=alert(1)>"


def _seed(store: Store) -> None:
    with store.transaction() as session:
        add_radar_candidate(session, "NewLab", score=75, country="FR")  # crossed in W18 (T0 = Apr 28 21:00)
        add_radar_candidate(session, "AdoptedLab", score=65, status="adopted", crossed_at=T0 + timedelta(days=2))
        add_radar_candidate(session, "OldNews", score=90, crossed_at=T0 - timedelta(days=6))  # W17 (Apr 22)
        add_radar_candidate(session, "Noise", score=99, status="excluded")
        add_radar_candidate(session, "Below", score=50, crossed_at=None)
        add_radar_candidate(
            session,
            "Hostile.Org",
            score=61,
            reasons=[{"code": "x", "points": 61, "text": f"liked {HOSTILE} <!channel>"}],
            best_repo_id=f"Hostile.Org/{HOSTILE}",
        )


def _pulse(store: Store, week: str):  # type: ignore[no-untyped-def]
    with store.transaction() as session:
        return pulse_mod.build_pulse(
            session=session,
            week=week,
            tz=ZoneInfo("UTC"),
            now=datetime(2025, 5, 20, tzinfo=UTC),
            rules=CadenceRules(),
            hub_url=HUB,
        )


def test_pulse_lists_the_week_s_new_radar_orgs_and_leaves_the_section_out_otherwise(store: Store) -> None:
    _seed(store)
    pulse = _pulse(store, "2025-W18")
    assert [line.org for line in pulse.radar] == ["NewLab", "AdoptedLab", "Hostile.Org"]
    assert json.loads(json.dumps(pulse.to_dict()))["radar"][0]["org_url"] == f"{HUB}/NewLab"
    content = pulse_content(pulse)
    shown = render_text(content.blocks)
    assert "New on the radar" in shown
    assert "NewLab (https://huggingface.co/NewLab) 🇫🇷 75/100" in shown
    raw = json.dumps(content.blocks)
    assert HOSTILE not in raw and "<!channel>" not in raw and "&lt;!channel&gt;" in raw
    assert "OldNews" not in shown and "Noise" not in shown and "Below" not in shown

    assert [line.org for line in _pulse(store, "2025-W17").radar] == ["OldNews"]
    quiet = _pulse(store, "2025-W20")
    assert quiet.radar == () and "New on the radar" not in render_text(pulse_content(quiet).blocks)


def test_digest_section_follows_the_period_and_the_subscription_filter(store: Store) -> None:
    _seed(store)
    period = dg.period_for("weekly", datetime(2025, 5, 5, 8, tzinfo=UTC))
    with store.transaction() as session:
        everything = dg.build_digest(session=session, period=period, now=period.end, hub_url=HUB)
        qwen_only = dg.build_digest(session=session, period=period, filters={"labs": ["qwen"]}, hub_url=HUB)
        in_france = dg.build_digest(session=session, period=period, filters={"countries": ["FR"]}, hub_url=HUB)
        next_week = dg.build_digest(
            session=session, period=dg.period_for("weekly", datetime(2025, 5, 12, 8, tzinfo=UTC)), hub_url=HUB
        )
    assert [line.org for line in everything.radar] == ["NewLab", "AdoptedLab", "Hostile.Org"]
    assert qwen_only.radar == [], "a subscription to some labs hears of no org outside them"
    assert [line.org for line in in_france.radar] == ["NewLab"], "a country filter passes only a known country"
    assert next_week.radar == []

    payload = {"digest": everything.to_dict(), "unsubscribe_url": None}
    assert Digest.from_dict(json.loads(json.dumps(payload["digest"]))).radar == everything.radar
    email = render_digest(payload, chart_src=None)
    for part in (email.html, email.text):
        assert "NewLab" in part and "country unknown" in part
    assert "New on the radar" in email.html and "NEW ON THE RADAR" in email.text
    assert HOSTILE not in email.html and "&lt;img src=x onerror=alert(1)&gt;" in email.html
    assert f'href="{HUB}/NewLab"' in email.html and f"{HUB}/Hostile.Org/" not in email.html
    empty = render_digest({"digest": next_week.to_dict(), "unsubscribe_url": None}, chart_src=None)
    assert "New on the radar" not in empty.html and "NEW ON THE RADAR" not in empty.text
