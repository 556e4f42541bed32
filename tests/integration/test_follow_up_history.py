"""A launch's later life in the history views: the Atom entry of a launch gets a new ``updated``
(not a second entry) when its report joins, and a withdrawn release is marked in the feed and on
the dashboard. Rows are inserted directly (tests/factories.py); both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from fastapi.testclient import TestClient

from tests.factories import T0, add_lab, add_release
from tracker.api import create_app
from tracker.config import Settings
from tracker.store import Store
from tracker.store.models import Release, ReleasePaper


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


@pytest.mark.parametrize("linked", [True, False], ids=["linked", "merged-only"])
def test_a_report_updates_its_launchs_entry_and_a_withdrawal_is_marked(
    store: Store, backend_settings: Settings, linked: bool
) -> None:
    report_at = T0 + timedelta(days=16)
    with store.transaction() as session:
        qwen = add_lab(session)
        launch = add_release(session, qwen, "Qwen3", repos=["Qwen/Qwen3-8B", "Qwen/Qwen3-32B"])
        leak = add_release(session, qwen, "Qwen3-Leak", repos=["Qwen/Qwen3-Leak-7B"], at=T0 + timedelta(days=1))
        leak.withdrawn_at = T0 + timedelta(days=1, minutes=41)
        for a in leak.artifacts:
            a.withdrawn_at = leak.withdrawn_at
        launch_id = launch.id
    with TestClient(create_app(backend_settings, store=store)) as client:
        before = feedparser.parse(client.get("/feeds/releases.atom").content)
        entry = next(e for e in before.entries if e.title.endswith(": Qwen3"))
        assert _parse(entry.updated) == _parse(entry.published) == T0

        with store.transaction() as session:  # the report joins its launch 16 days later
            launch = session.get(Release, launch_id)
            report = add_release(
                session, launch.lab, "Qwen3 Technical Report", repos=["2505.09388"], kind="paper", at=report_at
            )
            report.merged_into_id = launch_id
            if linked:  # also linked as the launch's paper (ReleasePaper), as an arxiv: tag would
                session.add(ReleasePaper(release_id=launch_id, paper_id=report.artifacts[0].id, via="title"))

        after = feedparser.parse(client.get("/feeds/releases.atom").content)
        assert not after.bozo
        same = [e for e in after.entries if e.id == entry.id]
        assert len(same) == 1, "the launch's entry is updated, not duplicated"
        assert _parse(same[0].updated) == report_at and _parse(same[0].published) == T0
        assert same[0].summary.count("Paper: Qwen3 Technical Report https://arxiv.org/abs/2505.09388") == 1
        assert _parse(after.feed.updated) >= report_at

        gone = next(e for e in after.entries if "Qwen3-Leak" in e.title)
        assert gone.title.endswith("Qwen3-Leak (withdrawn)") and "every repo was deleted" in gone.summary

        page = client.get("/", params={"as_of": "2025-06-30T00:00:00Z"}).text
        row = page[page.index("Qwen3-Leak") - 400 : page.index("Qwen3-Leak") + 400]
        assert 'class="release withdrawn"' in row and ">withdrawn</span>" in row
