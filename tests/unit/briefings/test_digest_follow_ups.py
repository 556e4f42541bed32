"""The digest and a launch's later life: reports listed under their launch (not as papers of
their own), an earlier launch that gained a report or repos in the period listed as an update,
withdrawn releases dropped. Rows are inserted directly (tests/factories.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.factories import add_artifact, add_lab, add_release
from tracker.briefings import digest as dg
from tracker.notify.content import Digest
from tracker.notify.email.render import render_digest
from tracker.store import Store

LAUNCH = datetime(2025, 4, 28, 21, tzinfo=UTC)  # the week before the digest's
WEEK = dg.period_for("weekly", datetime(2025, 5, 19, 8, tzinfo=UTC), "UTC")  # 12-18 May


def test_a_report_joins_its_launch_in_the_digest_of_its_week(store: Store) -> None:
    with store.transaction() as session:
        qwen = add_lab(session)
        launch = add_release(session, qwen, "Qwen3", repos=["Qwen/Qwen3-8B", "Qwen/Qwen3-32B"], at=LAUNCH)
        report_at = datetime(2025, 5, 14, 17, tzinfo=UTC)
        add_release(
            session,
            qwen,
            "Qwen3 Technical Report",
            repos=["2505.09388"],
            kind="paper",
            at=report_at,
            merged_into_id=launch.id,
        )
        standalone = add_release(
            session, qwen, "An architecture paper", repos=["2505.11111"], kind="paper", at=report_at
        )
        gone = add_release(session, qwen, "Qwen3-Leak", repos=["Qwen/Qwen3-Leak-7B"], at=report_at)
        gone.withdrawn_at = report_at + timedelta(minutes=40)
        old = add_release(session, qwen, "Qwen2.5-VL", repos=["Qwen/Qwen2.5-VL-7B"], at=LAUNCH - timedelta(days=30))
        add_artifact(session, old, "Qwen/Qwen2.5-VL-72B", at=report_at)
        session.flush()

        digest = dg.build_digest(session=session, period=WEEK, now=datetime(2025, 5, 19, 8, tzinfo=UTC))
        assert [p.title for p in digest.papers] == [standalone.title]
        listed = {r.title: r for g in digest.groups for r in g.releases}
        assert set(listed) == {"Qwen3", "Qwen2.5-VL"}  # the withdrawn release is dropped
        assert listed["Qwen3"].update == "technical report"
        assert [(x.label, x.url) for x in listed["Qwen3"].reports] == [
            ("Qwen3 Technical Report", "https://arxiv.org/abs/2505.09388")
        ]
        assert listed["Qwen2.5-VL"].update == "1 new repo"
        assert digest.release_count == 0 and digest.update_count == 2  # nothing new was released
        assert "No new model releases this week, but 1 paper. 2 earlier releases have news" in digest.lead

    again = Digest.from_dict(digest.to_dict())  # frozen into the delivery, rebuilt at send time
    text = render_digest({"digest": again.to_dict()}).text
    assert "Qwen3 (earlier release, new: technical report)" in text
    assert "Technical report: Qwen3 Technical Report: https://arxiv.org/abs/2505.09388" in text
    assert "Qwen3-Leak" not in text
