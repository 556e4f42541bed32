"""The dashboard in a real headless Chromium (Debian's /usr/bin/chromium driven by playwright).

A replayed history (baseline 2025-07-20, daily polls to 2025-08-01) is served by the real app
under uvicorn on a free loopback port; the test loads ``/``, checks the replayed releases and the
charts are shown, applies a filter through the form, and takes a screenshot (``docs/dashboard.png``
with TRACKER_UPDATE_SCREENSHOT=1).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.api_server import served_api
from tracker.config import Settings
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.watchlist import load_watchlist

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
#: The README's screenshot; rewritten only with TRACKER_UPDATE_SCREENSHOT=1 (a test run leaves the
#: work tree alone and saves its screenshot under pytest's tmp_path instead).
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"
AS_OF = "2025-08-01"

#: scripts/test sets this (with the reason, also printed in a banner) when it could neither find
#: nor install chromium; a bare `pytest` without chromium still fails, loudly.
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("TRACKER_TEST_SKIP_BROWSER")),
    reason=os.environ.get("TRACKER_TEST_SKIP_BROWSER", ""),
)


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over a replayed history, served by uvicorn in a thread; yields its base URL."""
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("dashboard"), arxiv_min_interval=0)
    store = Store.open(settings)
    with ReplayServer(now=datetime(2025, 7, 10, tzinfo=UTC)) as hub:
        polling = settings.model_copy(update={"hf_endpoint": hub.hf_endpoint, "arxiv_endpoint": hub.arxiv_endpoint})
        watchlist = load_watchlist()
        poll_once(polling, store, watchlist, sources=["hf"], clock=hub.clock.now)
        now = hub.now()
        while now < datetime(2025, 8, 1, tzinfo=UTC):
            now = hub.set_now(now + timedelta(days=1))
            poll_once(polling, store, watchlist, sources=["hf"], clock=hub.clock.now)
    with served_api(settings, store) as url:
        yield url


def test_dashboard_in_headless_chromium(dashboard_url: str, tmp_path: Path) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), "install Debian's chromium (apt-get install -y chromium); scripts/test does"
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            response = page.goto(f"{dashboard_url}/?as_of={AS_OF}")
            assert response is not None and response.status == 200
            assert page.title() == "tracker: open-weight model releases"
            rows = page.locator("#releases tr.release")
            assert rows.count() > 10
            text = page.locator("#releases").inner_text()
            for title in ("Qwen3-Coder", "Qwen3-2507", "GLM-4.5", "Magistral-Small-2507", "Kimi-K2"):
                assert title in text, f"{title} (replayed in July 2025) is not on the page"
            assert "2025-07-29" in text  # GLM-4.5: public 07-28 11:40, first seen by the 07-29 poll
            for chart in ("#cadence-chart", "#countries-chart"):  # the SVG charts loaded and rendered
                width = page.eval_on_selector(chart, "img => img.complete ? img.naturalWidth : 0")
                assert width > 200, f"{chart} did not render"
            assert page.locator("#cadence-table").inner_text().count("qwen") == 1
            assert page.locator("a[href^='/feeds/releases.atom']").count() >= 1
            assert page.locator("a[href='/docs']").count() >= 1
            shot = SCREENSHOT if os.environ.get("TRACKER_UPDATE_SCREENSHOT") == "1" else tmp_path / "dashboard.png"
            page.screenshot(path=str(shot), full_page=False)
            assert shot.stat().st_size > 10_000, "the screenshot is empty"

            # Filter through the form: one lab.
            page.select_option("#filter-lab", "mistral")
            with page.expect_navigation():
                page.click("#apply")
            assert "lab=mistral" in page.url and f"as_of={AS_OF}" in page.url
            labs = set(page.eval_on_selector_all("#releases tr.release", "rows => rows.map(r => r.dataset.lab)"))
            assert labs == {"mistral"}
            assert "Magistral-Small-2507" in page.locator("#releases").inner_text()
            assert page.locator("#filter-lab").input_value() == "mistral"

            # And a country filter from the URL.
            page.goto(f"{dashboard_url}/?as_of={AS_OF}&country=US&kind=model")
            countries = set(
                page.eval_on_selector_all("#releases tr.release", "rows => rows.map(r => r.dataset.country)")
            )
            assert countries == {"US"}
        finally:
            browser.close()


def test_docs_render_offline_and_a_bad_filter_is_a_page_in_chromium(dashboard_url: str) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            outside: list[str] = []

            def only_local(route, request) -> None:  # type: ignore[no-untyped-def]
                if request.url.startswith(dashboard_url):
                    route.continue_()
                else:  # offline: anything but the app itself fails
                    outside.append(request.url)
                    route.abort()

            page.route("**/*", only_local)
            page.goto(f"{dashboard_url}/docs")
            page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
            assert "tracker" in page.locator(".swagger-ui .info .title").inner_text()
            assert outside == [], f"/docs asked the network for {outside}"

            response = page.goto(f"{dashboard_url}/?as_of={AS_OF}&kind=nonsense")
            assert response is not None and response.status == 422
            assert page.locator("h1").inner_text() == "That filter does not work"
            assert "kind" in page.locator("#problems").inner_text()
            page.click("#back")
            assert page.locator("#releases tr.release").count() > 0

            page.goto(f"{dashboard_url}/?as_of={AS_OF}")
            first = page.eval_on_selector_all("#releases tr.release", "rows => rows.map(r => r.dataset.id)")
            if page.locator("#older").count():  # more than one page of history
                page.click("#older")
                second = page.eval_on_selector_all("#releases tr.release", "rows => rows.map(r => r.dataset.id)")
                assert second and not set(first) & set(second)
                assert "as_of=" in page.url and page.locator("#newest").count() == 1
        finally:
            browser.close()
