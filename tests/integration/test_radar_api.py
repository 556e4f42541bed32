"""``GET /radar`` (JSON and the page) and the dashboard's radar section, on both backends."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.factories import T0, add_radar_candidate
from tracker.api import create_app
from tracker.config import Settings
from tracker.store import Store

HOSTILE = '<script>alert("x")</script>'


def _web(settings: Settings, **more: object) -> Settings:
    """Hub links shown to people point at the real Hub (the test settings' API is a ``.test`` host)."""
    return settings.model_copy(update={"hf_web_url": "https://huggingface.co", **more})


def _seed(store: Store) -> None:
    with store.transaction() as session:
        add_radar_candidate(session, "NewLab", score=81.5, country="CN")
        add_radar_candidate(session, "QuietOrg", score=35.0, crossed_at=None, trending_rank=None)
        add_radar_candidate(session, "GoneOrg", score=90.0, status="excluded", excluded_reason="mirror")
        add_radar_candidate(
            session,
            f"Bad{HOSTILE}Org",
            score=64.0,
            best_repo_id=f"x/{HOSTILE}",
            arxiv_id="javascript:alert(1)",
            reasons=[{"code": "trending", "points": 64, "text": f"trending {HOSTILE} <!channel>"}],
            first_seen_at=T0 - timedelta(days=1),
        )


def test_radar_json_lists_candidates_with_reasons_links_and_unknown_country(
    store: Store, backend_settings: Settings
) -> None:
    _seed(store)
    with TestClient(create_app(_web(backend_settings), store=store)) as client:
        body = client.get("/radar").json()
        assert body["enabled"] is True and body["alert_score"] == 60.0
        orgs = [item["org"] for item in body["items"]]
        assert orgs == ["NewLab", f"Bad{HOSTILE}Org", "QuietOrg"], "candidates only, highest score first"
        top = body["items"][0]
        assert top["score"] == 81.5 and top["country"] == "CN"
        assert top["org_url"] == "https://huggingface.co/NewLab"
        assert top["best_repo_url"] == "https://huggingface.co/NewLab/Model-7B"
        assert top["first_seen_at"].startswith("2025-04-25T21:00") and top["first_seen_at"].endswith("Z")
        assert top["crossed_at"].startswith("2025-04-28T21:00")
        assert [r["code"] for r in top["reasons"]] == ["trending", "derivatives"]
        assert top["derivatives"] == 5 and top["trending_rank"] == 4
        hostile = body["items"][1]
        assert hostile["country"] is None, "no evidence, no country"
        assert hostile["org_url"] is None and hostile["best_repo_url"] is None, "no link from an invalid Hub id"
        assert hostile["arxiv_url"] is None

        assert [i["org"] for i in client.get("/radar", params={"min_score": 70}).json()["items"]] == ["NewLab"]
        assert [i["org"] for i in client.get("/radar", params={"status": "excluded"}).json()["items"]] == ["GoneOrg"]
        assert len(client.get("/radar", params={"status": "all", "limit": 2}).json()["items"]) == 2
        for bad in ({"min_score": 101}, {"limit": 0}, {"status": "maybe"}, {"min_score": "high"}):
            assert client.get("/radar", params=bad).status_code == 422, bad

        schema = client.get("/openapi.json").json()
        params = {p["name"] for p in schema["paths"]["/radar"]["get"]["parameters"]}
        assert {"min_score", "limit", "status", "format"} <= params
        assert "RadarCandidateOut" in schema["components"]["schemas"]


def test_radar_page_and_dashboard_escape_outside_text(store: Store, backend_settings: Settings) -> None:
    _seed(store)
    with TestClient(create_app(_web(backend_settings), store=store)) as client:
        for url in ("/radar?format=html", "/"):
            page = client.get(url)
            assert page.status_code == 200
            html = page.text
            assert HOSTILE not in html and "<!channel>" not in html
            assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
            assert 'href="https://huggingface.co/NewLab"' in html
            assert 'href="https://huggingface.co/NewLab/Model-7B"' in html
            assert "javascript:" not in html
            assert 'data-org="NewLab"' in html and "GoneOrg" not in html
            assert "unknown" in html  # the hostile org's country


def test_radar_empty_state_says_why(store: Store, backend_settings: Settings) -> None:
    with TestClient(create_app(_web(backend_settings), store=store)) as client:
        assert client.get("/radar").json()["items"] == []
        assert "No org outside the watchlist shows a lab" in client.get("/radar?format=html").text
        assert 'id="radar-empty"' in client.get("/").text
    off = _web(backend_settings, radar_enabled=False)
    with TestClient(create_app(off, store=store)) as client:
        assert "The radar is off" in client.get("/radar?format=html").text
