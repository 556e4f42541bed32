"""The history API over a replayed month, on SQLite and PostgreSQL.

A replay hub serves the packaged corpus; tracker takes its baseline on 2025-06-30 00:00 UTC and
then polls once a day up to 2025-08-01 00:00 UTC, so July 2025 is a month of live detections
(each dated by the daily poll that first saw it). The app is the real FastAPI app (TestClient).
"""

from __future__ import annotations

import csv
import io
import itertools
import statistics
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL
from tracker.api import create_app
from tracker.config import Settings
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store import db as store_db
from tracker.store.models import Delivery, DownloadSnapshot, Lab, Release
from tracker.watchlist import load_watchlist

TOKEN = "s3cret-token"
BASELINE_AT = datetime(2025, 6, 30, tzinfo=UTC)
END_AT = datetime(2025, 8, 1, tzinfo=UTC)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Store, TestClient]]:
    """A store with a replayed month (own database per backend) and a client of the app."""
    tmp: Path = tmp_path_factory.mktemp(f"history-{request.param}")
    settings = Settings(
        _env_file=None, data_dir=tmp, arxiv_min_interval=0, http_max_retries=2, api_token=SecretStr(TOKEN)
    )
    admin_engine = None
    db_name = f"tracker_api_{uuid.uuid4().hex[:10]}"
    if request.param == "postgresql":
        admin_engine = create_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
        try:
            with admin_engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{db_name}"'))
        except Exception as exc:
            pytest.fail(f"PostgreSQL is required at {POSTGRES_URL}: {exc}", pytrace=False)
        url = make_url(POSTGRES_URL).set(database=db_name).render_as_string(hide_password=False)
        settings = settings.model_copy(update={"database_url": url})
    store = Store.open(settings, migrate=False)
    store_db.upgrade(store.engine)
    try:
        with ReplayServer(now=BASELINE_AT) as hub:
            polling = settings.model_copy(update={"hf_endpoint": hub.hf_endpoint, "arxiv_endpoint": hub.arxiv_endpoint})
            watchlist = load_watchlist()
            poll_once(polling, store, watchlist, clock=hub.clock.now)
            now = BASELINE_AT
            while now < END_AT:
                now += timedelta(days=1)
                hub.set_now(now)
                poll_once(polling, store, watchlist, clock=hub.clock.now)
        with TestClient(create_app(settings, store=store)) as client:
            yield store, client
    finally:
        store.dispose()
        if admin_engine is not None:
            with admin_engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
            admin_engine.dispose()


def _all(client: TestClient, **params: object) -> list[dict]:
    body = client.get("/releases", params={"limit": 500, **params}).json()
    assert body["next_cursor"] is None, "the replayed month fits in one page of 500"
    return body["items"]


def _newest_first(items: list[dict]) -> bool:
    keys = [(r["released_at"], r["id"]) for r in items]
    return keys == sorted(keys, reverse=True)


# --------------------------------------------------------------------------- filters


def test_releases_are_newest_first_and_filters_match(history: tuple[Store, TestClient]) -> None:
    store, client = history
    everything = _all(client)
    with store.transaction() as session:
        # a report folded into its launch is listed with the launch, not again on its own
        assert len(everything) == session.scalar(select(func.count(Release.id)).where(Release.merged_into_id.is_(None)))
        papers = session.scalar(select(func.count(Release.id)).where(Release.kind == "paper"))
    assert _newest_first(everything)

    def expect(pred) -> list[int]:  # the oracle: filter the full list in Python
        return [r["id"] for r in everything if pred(r)]

    assert [r["id"] for r in _all(client, lab="qwen")] == expect(lambda r: r["lab"] == "qwen")
    assert [r["id"] for r in _all(client, country="fr")] == expect(lambda r: r["country"] == "FR")
    every_paper = _all(client, kind="paper")  # papers stay queryable, reports included
    assert len(every_paper) == papers and {r["id"] for r in every_paper} >= set(expect(lambda r: r["kind"] == "paper"))
    live = _all(client, baseline="false")
    assert [r["id"] for r in live] == expect(lambda r: not r["baseline"])
    assert {r["released_at"][:7] for r in live} <= {"2025-07", "2025-08"}
    july = _all(client, since="2025-07-01", until="2025-08-01")
    assert [r["id"] for r in july] == expect(lambda r: "2025-07-01" <= r["released_at"] < "2025-08-01")
    # q: case-insensitive, on the title ...
    coder = _all(client, q="CODER", lab="qwen")
    assert coder and all(
        "coder" in r["title"].lower() or any("coder" in a["name"].lower() for a in r["artifacts"]) for r in coder
    )
    assert "Qwen3-Coder" in {r["title"] for r in coder}
    # ... and on artifact names (the title of this release is "Qwen3-Thinking-2507")
    by_name = _all(client, q="a22b-thinking-2507-fp8")
    assert [r["title"] for r in by_name] == ["Qwen3-Thinking-2507"]
    assert _all(client, q="%") == [] or all("%" in r["title"] for r in _all(client, q="%")), (
        "LIKE wildcards are escaped"
    )
    big = _all(client, min_params=400)
    assert [r["id"] for r in big] == expect(
        lambda r: any((a["variant"]["params_total_b"] or 0) >= 400 for a in r["artifacts"])
    )
    assert "Qwen3-Coder" in {r["title"] for r in big}


def test_one_release_and_404(history: tuple[Store, TestClient]) -> None:
    _, client = history
    first = _all(client, lab="mistral")[0]
    one = client.get(f"/releases/{first['id']}")
    assert one.status_code == 200 and one.json() == first
    missing = client.get("/releases/987654321")
    assert missing.status_code == 404 and "987654321" in missing.json()["detail"]
    assert client.get("/labs/no-such-lab").status_code == 404
    assert client.get("/feeds/labs/no-such-lab.atom").status_code == 404


@pytest.mark.parametrize(
    ("params", "param", "words"),
    [
        ({"limit": 0}, "limit", "greater than or equal to 1"),
        ({"limit": 501}, "limit", "less than or equal to 500"),
        ({"since": "yesterday"}, "since", "date like 2025-04-28"),
        ({"since": "2025-07-02", "until": "2025-07-01"}, "until", "later than since"),
        ({"lab": "nope"}, "lab", "unknown lab 'nope'"),
        ({"country": "CHN"}, "country", "alpha-2"),
        ({"kind": "banana"}, "kind", "model, paper, code"),
        ({"cursor": "not-a-cursor"}, "cursor", "invalid cursor"),
        ({"min_params": -1}, "min_params", "greater than or equal to 0"),
        ({"format": "xml"}, "format", "'json' or 'csv'"),
    ],
)
def test_invalid_parameters_are_422_naming_the_parameter(
    history: tuple[Store, TestClient], params: dict, param: str, words: str
) -> None:
    _, client = history
    response = client.get("/releases", params=params)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert any(d["loc"][-1] == param and words in d["msg"] for d in detail), detail


def test_stats_and_labs_reject_bad_parameters(history: tuple[Store, TestClient]) -> None:
    _, client = history
    assert client.get("/stats/cadence", params={"kind": "banana"}).status_code == 422
    assert client.get("/stats/cadence", params={"weeks": 0}).status_code == 422
    assert client.get("/stats/cadence", params={"lab": "nope"}).status_code == 422
    assert client.get("/stats/countries", params={"as_of": "soon"}).status_code == 422
    assert client.get("/papers", params={"lab": "nope"}).status_code == 422


# --------------------------------------------------------------------------- pagination


def test_pagination_has_no_duplicates_or_gaps_while_releases_arrive(history: tuple[Store, TestClient]) -> None:
    store, client = history
    before = [r["id"] for r in _all(client)]
    with store.transaction() as session:
        qwen_id = session.scalar(select(Lab.id).where(Lab.slug == "qwen"))
        tie_at = session.get(Release, before[10]).released_at  # the time of a row on page 2
    inserted: list[int] = []

    def arrive(at: datetime, title: str) -> None:
        with store.transaction() as session:
            row = Release(
                lab_id=qwen_id,
                family=f"test-{title}",
                title=title,
                kind="model",
                url="https://example.test",
                released_at=at,
                first_seen_at=at,
                baseline=False,
            )
            session.add(row)
            session.flush()
            inserted.append(row.id)

    try:
        seen: list[int] = []
        cursor = None
        pages = 0
        while True:
            params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
            body = client.get("/releases", params=params).json()
            seen += [r["id"] for r in body["items"]]
            assert _newest_first(body["items"])
            pages += 1
            # New releases arrive between page fetches: a live one (newest), and one with the
            # same released_at as a row already paged past (a higher id sorts it before that row).
            arrive(_utc(2025, 8, 1, 0, pages), f"Arrival-{pages}")
            if pages == 2:
                arrive(tie_at, "Tie")
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)), "a release appeared on two pages"
        assert seen == before, "pages must continue exactly where the previous one stopped"
        assert pages == -(-len(before) // 7)
        # a fresh first page sees the arrivals on top
        top = client.get("/releases", params={"limit": 3}).json()["items"]
        assert [r["title"] for r in top] == [f"Arrival-{pages}", f"Arrival-{pages - 1}", f"Arrival-{pages - 2}"]
    finally:
        with store.transaction() as session:
            for release_id in inserted:
                session.delete(session.get(Release, release_id))


def test_csv_export_matches_json_page(history: tuple[Store, TestClient]) -> None:
    _, client = history
    page = client.get("/releases", params={"lab": "qwen", "limit": 5}).json()
    response = client.get("/releases", params={"lab": "qwen", "limit": 5, "format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(r["id"]) for r in rows] == [r["id"] for r in page["items"]]
    assert rows[0]["lab"] == "qwen" and rows[0]["released_at"] == page["items"][0]["released_at"]
    assert response.headers["x-next-cursor"] == page["next_cursor"]
    assert 'rel="next"' in response.headers["link"]
    labs_csv = client.get("/labs", params={"format": "csv"})
    assert "qwen" in labs_csv.text and labs_csv.text.startswith("slug,name,country")
    assert client.get("/papers", params={"format": "csv"}).text.startswith("arxiv_id,")


# --------------------------------------------------------------------------- labs, papers, stats


def test_labs_and_papers(history: tuple[Store, TestClient]) -> None:
    _, client = history
    labs = {lab["slug"]: lab for lab in client.get("/labs").json()["items"]}
    assert labs["qwen"]["country"] == "CN" and labs["qwen"]["watched"] and labs["qwen"]["releases"] > 0
    lab = client.get("/labs/mistral", params={"as_of": "2025-08-01T00:00:00Z", "weeks": 4}).json()
    assert lab["cadence"]["lab"] == "mistral" and lab["latest_releases"][0]["title"] == "Magistral-Small-2507"
    papers = client.get("/papers", params={"lab": "zhipu"}).json()["items"]
    assert papers and all(p["lab"] == "zhipu" for p in papers)
    published = [p["published_at"] for p in papers]
    assert published == sorted(published, reverse=True)
    assert any(p["title"].startswith("GLM-4.1V-Thinking") for p in papers)


# Mistral's model releases in the replayed store, from the corpus (hf/models/mistralai.json and
# timeline.jsonl): baseline history is dated by createdAt (the two Mistral-Small-*-2501 repos are
# one release, dated by the earlier); July's launches are dated by the daily poll after they went
# public (Devstral 07-10 14:00 -> 07-11; Voxtral 07-15 14:00 -> 07-16; Magistral 07-24 14:00 -> 07-25).
MISTRAL_MODEL_RELEASES = [
    _utc(2024, 5, 21, 10, 29, 0),
    _utc(2024, 7, 17, 22, 13, 28),
    _utc(2024, 10, 16, 6, 45, 10),
    _utc(2025, 1, 26, 14, 48, 8),
    _utc(2025, 3, 16, 10, 33, 21),
    _utc(2025, 5, 21, 6, 50, 7),
    _utc(2025, 6, 10, 3, 15, 18),
    _utc(2025, 6, 19, 17, 49, 7),
    _utc(2025, 7, 11),
    _utc(2025, 7, 16),
    _utc(2025, 7, 25),
]


def test_cadence_of_a_replayed_month_matches_hand_checked_numbers(history: tuple[Store, TestClient]) -> None:
    _, client = history
    stored = sorted(
        datetime.fromisoformat(r["released_at"].replace("Z", "+00:00"))
        for r in _all(client, lab="mistral", kind="model")
    )
    assert stored == MISTRAL_MODEL_RELEASES
    body = client.get("/stats/cadence", params={"lab": "mistral", "weeks": 4, "as_of": "2025-08-01T00:00:00Z"}).json()
    (c,) = body["labs"]
    # 2025-08-01 is a Friday in ISO week 2025-W31 (Mon 07-28).
    assert c["releases_per_week"] == [
        {"week": "2025-W28", "start": "2025-07-07", "releases": 1},  # Devstral 07-11
        {"week": "2025-W29", "start": "2025-07-14", "releases": 1},  # Voxtral 07-16
        {"week": "2025-W30", "start": "2025-07-21", "releases": 1},  # Magistral 07-25
        {"week": "2025-W31", "start": "2025-07-28", "releases": 0},  # in progress
    ]
    assert c["days_since_last"] == 7.0  # 07-25 00:00 -> 08-01 00:00
    assert c["streak_weeks"] == 3  # W28..W30; W27 (06-30..07-06) had none; W31 still in progress
    assert c["rate_4w"] == 0.75  # 3 releases after 07-04 00:00
    assert c["rate_8w"] == 0.625  # + 06-10 and 06-19 (after 06-06 00:00): 5 / 8
    assert c["rate_12w"] == 0.5  # + 05-21 (after 05-09 00:00): 6 / 12
    gaps = [(b - a).total_seconds() / 86400 for a, b in itertools.pairwise(MISTRAL_MODEL_RELEASES)]
    # the longest wait: Ministral-8B (2024-10-16) to Mistral-Small-2501 (2025-01-26): 102.3 days
    assert c["longest_gap_days"] == round(max(gaps), 2) == 102.34
    assert c["median_gap_days"] == round(statistics.median(gaps), 2)
    assert c["releases"] == 11 and c["last_release_at"] == "2025-07-25T00:00:00Z"
    assert client.get("/stats/cadence", params={"as_of": "2025-08-01", "format": "csv"}).text.startswith("lab,releases")


def test_country_share_of_july_and_download_share(history: tuple[Store, TestClient]) -> None:
    store, client = history
    body = client.get("/stats/countries", params={"months": 2, "as_of": "2025-07-31T23:59:59Z"}).json()
    june, july = body["releases"]
    assert (june["month"], july["month"]) == ("2025-06", "2025-07")
    # July's 17 model releases (all live detections): CN baidu x2, zhipu x2, moonshot, bytedance,
    # qwen x3 (a family's repos published > 48 h after its launch are a wave: a separate release),
    # internlm, tencent; US microsoft, nvidia x2; FR mistral x3. Shares are rounded to 4 places.
    assert july["counts"] == {"CN": 11, "FR": 3, "US": 3}
    assert july["total"] == 17 and july["shares"] == {"CN": 0.6471, "FR": 0.1765, "US": 0.1765}
    downloads = body["downloads"]
    assert [m["month"] for m in downloads["months"]] == ["2025-06", "2025-07"]
    latest = downloads["latest"]
    assert set(latest["counts"]) >= {"CN", "US", "FR"}
    assert abs(sum(latest["shares"].values()) - 1) < 1e-3
    with store.transaction() as session:  # oracle: each artifact's last snapshot in the window
        last = (
            select(DownloadSnapshot.artifact_id, func.max(DownloadSnapshot.taken_at).label("at"))
            .where(DownloadSnapshot.taken_at < _utc(2025, 8, 1))
            .group_by(DownloadSnapshot.artifact_id)
            .subquery()
        )
        total = session.scalar(
            select(func.sum(DownloadSnapshot.downloads)).join(
                last, (last.c.artifact_id == DownloadSnapshot.artifact_id) & (last.c.at == DownloadSnapshot.taken_at)
            )
        )
    assert latest["total"] == total


# --------------------------------------------------------------------------- snapshots


def test_download_snapshots_at_most_one_per_artifact_per_day(history: tuple[Store, TestClient]) -> None:
    store, _ = history
    with store.transaction() as session:
        rows = session.execute(
            select(DownloadSnapshot.artifact_id, DownloadSnapshot.taken_at).order_by(
                DownloadSnapshot.artifact_id, DownloadSnapshot.taken_at
            )
        ).all()
        assert rows, "the listings carried downloads/likes"
        per_artifact: dict[int, list[datetime]] = {}
        for artifact_id, taken_at in rows:
            per_artifact.setdefault(artifact_id, []).append(taken_at)
        for times in per_artifact.values():
            assert all(b - a >= timedelta(hours=24) for a, b in itertools.pairwise(times))
        # a repo present since the baseline has one snapshot per daily poll: 06-30 .. 08-01
        assert max(len(t) for t in per_artifact.values()) == 33


# --------------------------------------------------------------------------- admin


def test_admin_endpoints_require_the_token(history: tuple[Store, TestClient]) -> None:
    _, client = history
    for method, path in [
        ("get", "/admin/subscriptions"),
        ("post", "/admin/subscriptions"),
        ("get", "/admin/deliveries"),
        ("post", "/admin/deliveries/requeue"),
        ("post", "/admin/deliveries/1/requeue"),
        ("post", "/admin/subscriptions/1/disable"),
    ]:
        assert getattr(client, method)(path).status_code == 401, path
        wrong = getattr(client, method)(path, headers={"Authorization": "Bearer wrong"})
        assert wrong.status_code == 401, path


def test_admin_subscriptions_and_requeue(history: tuple[Store, TestClient]) -> None:
    store, client = history
    auth = {"Authorization": f"Bearer {TOKEN}"}
    created = client.post(
        "/admin/subscriptions",
        headers=auth,
        json={"channel": "webhook:https://hooks.example.test/x", "labs": ["qwen"], "min_params_b": 30},
    )
    assert created.status_code == 201, created.text
    sub = created.json()
    assert sub["origin"] == "api" and sub["filters"] == {"labs": ["qwen"], "min_params_b": 30}
    assert (
        client.post(
            "/admin/subscriptions", headers=auth, json={"channel": "webhook:https://hooks.example.test/x"}
        ).status_code
        == 409
    )
    bad = client.post("/admin/subscriptions", headers=auth, json={"channel": "pigeon:home"})
    assert bad.status_code == 422 and "must start with one of" in bad.text
    listed = client.get("/admin/subscriptions", headers=auth).json()["items"]
    assert sub["id"] in [s["id"] for s in listed]
    disabled = client.post(f"/admin/subscriptions/{sub['id']}/disable", headers=auth).json()
    assert disabled["disabled_at"] is not None and disabled["disabled_reason"] == "disabled through the API"

    now = datetime.now(UTC)
    with store.transaction() as session:
        rows = [
            Delivery(
                idempotency_key=f"test:{uuid.uuid4()}",
                kind="alert",
                channel="slack:#x",
                status=status,
                attempts=6,
                next_attempt_at=now - timedelta(days=1),
                created_at=now,
                payload={},
                external_ref={},
                last_error="boom",
            )
            for status in ("failed", "failed", "sent")
        ]
        session.add_all(rows)
        session.flush()
        failed_a, failed_b, sent = (r.id for r in rows)
    listed = client.get("/admin/deliveries", headers=auth, params={"status": "failed"}).json()["items"]
    assert {failed_a, failed_b} <= {d["id"] for d in listed}
    one = client.post(f"/admin/deliveries/{failed_a}/requeue", headers=auth).json()
    assert one["status"] == "pending" and one["attempts"] == 0 and one["last_error"] == "boom"
    assert datetime.fromisoformat(one["next_attempt_at"].replace("Z", "+00:00")) >= now - timedelta(seconds=5)
    assert client.post(f"/admin/deliveries/{sent}/requeue", headers=auth).status_code == 409
    assert client.post("/admin/deliveries/999999/requeue", headers=auth).status_code == 404
    bulk = client.post("/admin/deliveries/requeue", headers=auth, json={"all_failed": True}).json()
    assert failed_b in bulk["requeued"] and failed_a not in bulk["requeued"] and sent not in bulk["requeued"]
    assert client.post("/admin/deliveries/requeue", headers=auth, json={}).status_code == 422
    with store.transaction() as session:
        assert session.get(Delivery, sent).status == "sent"
        for row in session.scalars(select(Delivery).where(Delivery.idempotency_key.like("test:%"))):
            session.delete(row)
