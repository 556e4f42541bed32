"""The dashboard's radar section and the radar page in a real headless Chromium: hostile org names
and reasons stay text (no script runs, no element is injected), Hub links go only to valid ids."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api_server import served_api
from tests.factories import add_radar_candidate, make_settings
from tests.integration.test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS
from tracker.store import Store

#: Skipped like the dashboard's browser test when scripts/test could not provide chromium (it says why).
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("TRACKER_TEST_SKIP_BROWSER")), reason=os.environ.get("TRACKER_TEST_SKIP_BROWSER", "")
)
INJECTED = '<img id="pwned" src="x" onerror="window.__pwned = 1">'


@pytest.fixture
def radar_url(tmp_path: Path) -> Iterator[str]:
    settings = make_settings(tmp_path, hf_web_url="https://huggingface.co")
    store = Store.open(settings)
    with store.transaction() as session:
        add_radar_candidate(session, "NewLab", score=81, country="KR")
        add_radar_candidate(
            session,
            f"Org{INJECTED}",
            score=70,
            best_repo_id=f"Org/{INJECTED}",
            reasons=[{"code": "trending", "points": 70, "text": f"trending {INJECTED}"}],
        )
    with served_api(settings, store) as url:
        yield url


def test_radar_in_headless_chromium_shows_hostile_text_as_text(radar_url: str) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), "install Debian's chromium (apt-get install -y chromium); scripts/test does"
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            for path in ("/", "/radar?format=html"):
                assert (response := page.goto(radar_url + path)) is not None and response.status == 200
                rows = page.locator("tr.radar-candidate")
                assert rows.count() == 2
                assert page.eval_on_selector_all("tr.radar-candidate", "rs => rs.map(r => r.dataset.org)") == [
                    "NewLab",
                    f"Org{INJECTED}",
                ]
                assert page.locator("#pwned").count() == 0 and page.evaluate("window.__pwned") is None
                assert INJECTED in rows.nth(1).inner_text(), "the hostile name is shown, as text"
                hrefs = page.eval_on_selector_all("tr.radar-candidate a", "as => as.map(a => a.href)")
                assert "https://huggingface.co/NewLab" in hrefs and "https://huggingface.co/NewLab/Model-7B" in hrefs
                assert all(h.startswith("https://huggingface.co/NewLab") for h in hrefs)
                assert "KR" in rows.nth(0).inner_text() and "unknown" in rows.nth(1).inner_text()
        finally:
            browser.close()
