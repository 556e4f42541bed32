"""POST /webhooks/huggingface: secret check, payload shapes, what is polled, and the push path end
to end (a signed call for a new repo -> a poll of its lab -> the release stored), both backends."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from tests.factories import lab, qwen, watchlist_toml
from tracker.api import create_app
from tracker.api.webhooks import MAX_BODY_BYTES
from tracker.config import Settings
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.queries import ReleaseFilter, list_releases
from tracker.watchlist import load_watchlist

SECRET = "s3cret-webhook"
WATCHLIST = watchlist_toml(qwen(), lab("zhipu", name="Zhipu AI", hf_orgs=["zai-org", "THUDM"]))
WAIT_S = 30.0


def hub_payload(
    name: str = "Qwen/Qwen3-8B",
    *,
    action: str = "create",
    scope: str = "repo",
    repo_type: str = "model",
    private: bool = False,
    **extra: object,
) -> dict:
    """A payload shaped like the Hub's (docs: huggingface.co/docs/hub/webhooks)."""
    return {
        "event": {"action": action, "scope": scope},
        "repo": {
            "type": repo_type,
            "name": name,
            "id": "6806ad1c2b1e8e2f3a4b5c6d",
            "private": private,
            "url": {"web": f"https://huggingface.co/{name}", "api": f"https://huggingface.co/api/models/{name}"},
            "owner": {"id": "64c8b5d4e5f6a7b8c9d0e1f2"},
            "headSha": "c379e821c9c95d613899e8c4343e4bfee2b0c600",
        },
        "webhook": {"id": "6390e855e30d9209411de93b", "version": 3},
        **extra,
    }


@pytest.fixture
def wl_settings(backend_settings: Settings, tmp_path: Path) -> Settings:
    path = tmp_path / "watchlist.toml"
    path.write_text(WATCHLIST)
    return backend_settings.model_copy(update={"watchlist": path, "webhook_secret": SecretStr(SECRET)})


@pytest.fixture
def client(wl_settings: Settings, store: Store) -> Iterator[tuple[TestClient, list[tuple[str, str]]]]:
    app = create_app(wl_settings, store=store)
    polls: list[tuple[str, str]] = []
    app.state.enqueue_poll = lambda source, lab: polls.append((source, lab))
    with TestClient(app) as test_client:
        yield test_client, polls


def _post(client: TestClient, payload: object, secret: str | None = SECRET) -> object:
    headers = {"X-Webhook-Secret": secret} if secret is not None else {}
    body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    return client.post("/webhooks/huggingface", content=body, headers=headers)


@pytest.mark.parametrize("secret", [None, "wrong", "", SECRET + "x"])
def test_it_rejects_a_missing_or_wrong_secret(client: tuple, secret: str | None) -> None:
    test_client, polls = client
    resp = _post(test_client, hub_payload(), secret=secret)
    assert resp.status_code == 401
    assert polls == []


def test_it_is_disabled_without_a_configured_secret(wl_settings: Settings, store: Store) -> None:
    app = create_app(wl_settings.model_copy(update={"webhook_secret": None}), store=store)
    polls: list = []
    app.state.enqueue_poll = lambda *a: polls.append(a)
    with TestClient(app) as test_client:
        resp = _post(test_client, hub_payload())
    assert resp.status_code == 503 and "TRACKER_WEBHOOK_SECRET" in resp.text
    assert polls == []


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"event": {}}', b"\xff\xfe"])
def test_it_rejects_malformed_payloads_with_400(client: tuple, body: bytes) -> None:
    test_client, polls = client
    assert _post(test_client, body).status_code == 400
    assert polls == []


def test_it_rejects_an_oversized_body_with_413(client: tuple) -> None:
    test_client, polls = client
    big = hub_payload(padding="x" * (MAX_BODY_BYTES + 1))
    assert _post(test_client, big).status_code == 413
    assert polls == []


@pytest.mark.parametrize(
    ("payload", "polled"),
    [
        (hub_payload("Qwen/Qwen3-8B"), [("hf", "qwen")]),
        (hub_payload("qwen/Qwen3-8B"), [("hf", "qwen")]),  # org names are case-insensitive
        (hub_payload("Qwen/Qwen3-8B", action="delete"), [("hf", "qwen")]),
        (
            hub_payload("Qwen/Qwen3-8B", scope="repo.config", action="update", updatedConfig={"private": False}),
            [("hf", "qwen")],
        ),
        (
            hub_payload(
                "Qwen/Qwen3-8B", scope="repo.config.visibility", action="update", updatedConfig={"private": False}
            ),
            [("hf", "qwen")],
        ),
        # a move: both the old and the new org's labs are polled (once each)
        (
            hub_payload("THUDM/GLM-4-9B", action="move", movedTo={"name": "zai-org/GLM-4-9B", "owner": {"id": "x"}}),
            [("hf", "zhipu")],
        ),
        (
            hub_payload("Qwen/Qwen3-8B", action="move", movedTo={"name": "zai-org/Qwen3-8B", "owner": {"id": "x"}}),
            [("hf", "qwen"), ("hf", "zhipu")],
        ),
    ],
)
def test_it_polls_the_lab_of_a_watched_org(client: tuple, payload: dict, polled: list) -> None:
    test_client, polls = client
    resp = _post(test_client, payload)
    assert resp.status_code == 202, resp.text
    assert resp.json() == {"status": "accepted", "polls": [list(p) for p in polled]}
    assert polls == polled


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (hub_payload("someone/cool-model"), "not watched"),
        (hub_payload("Qwen/some-dataset", repo_type="dataset"), "models only"),
        (hub_payload("Qwen/Qwen3-8B", private=True), "private"),
        (hub_payload("Qwen/Qwen3-8B", scope="repo.content", action="update"), "scope"),
        (hub_payload("Qwen/Qwen3-8B", scope="discussion", action="create"), "scope"),
        (
            hub_payload("Qwen/Qwen3-8B", scope="repo.config", action="update", updatedConfig={"xetEnabled": True}),
            "config change",
        ),
        (
            hub_payload("Qwen/Qwen3-8B", scope="repo.config", action="update", updatedConfig={"private": True}),
            "config change",
        ),
        (hub_payload("no-org-name"), "no org"),
    ],
)
def test_it_ignores_events_that_cannot_reveal_a_release(client: tuple, payload: dict, reason: str) -> None:
    test_client, polls = client
    resp = _post(test_client, payload)
    assert resp.status_code == 200
    assert resp.json()["status"] == "ignored" and reason in resp.json()["reason"]
    assert polls == []


def test_replayed_calls_are_harmless(client: tuple) -> None:
    test_client, polls = client
    for _ in range(3):
        assert _post(test_client, hub_payload()).status_code == 202
    assert polls == [("hf", "qwen")] * 3  # each is one idempotent poll, serialised by the unit's lock


def test_the_enqueue_factory_of_create_app_is_built_on_the_first_call_then_reused(
    wl_settings: Settings, store: Store
) -> None:
    """The console script's factory builds a Celery app: an API that gets no webhook call never pays for it."""
    built: list[Settings] = []
    polls: list[tuple[str, str]] = []

    def factory(settings: Settings):  # type: ignore[no-untyped-def]
        built.append(settings)
        return lambda source, lab: polls.append((source, lab))

    app = create_app(wl_settings, store=store, enqueue_factory=factory)
    with TestClient(app) as test_client:
        assert built == []
        first = _post(test_client, hub_payload("Qwen/Qwen3-8B"))
        second = _post(test_client, hub_payload("zai-org/GLM-4.5"))
    assert (first.status_code, second.status_code) == (202, 202)
    assert built == [wl_settings]
    assert polls == [("hf", "qwen"), ("hf", "zhipu")]


def test_a_signed_call_for_a_new_repo_gets_it_detected_within_seconds(wl_settings: Settings, store: Store) -> None:
    with ReplayServer(now=datetime(2025, 4, 27, tzinfo=UTC)) as hub:
        # The API polls with the real clock while the hub serves 2025: every repo would look
        # years old to the org-move rule (tracker.grouping.moves), so its age threshold is lifted.
        update = {"hf_endpoint": hub.hf_endpoint, "arxiv_endpoint": hub.arxiv_endpoint, "move_min_age_days": 36500.0}
        settings = wl_settings.model_copy(update=update)
        watchlist = load_watchlist(settings.watchlist)
        poll_once(settings, store, watchlist, sources=["hf"], labs=["qwen"], clock=hub.clock.now)  # baseline
        hub.set_now(datetime(2025, 4, 29, tzinfo=UTC))  # Qwen3 is public now; no poll is scheduled
        hub.reset_stats()
        app = create_app(settings, store=store)  # no enqueue_poll: the API polls in its own thread
        with TestClient(app) as test_client:
            resp = _post(
                test_client,
                hub_payload("Qwen/Qwen3-8B", scope="repo.config", action="update", updatedConfig={"private": False}),
            )
            assert resp.status_code == 202, resp.text
            deadline = time.monotonic() + WAIT_S
            detected: list = []
            while time.monotonic() < deadline and not detected:
                with store.transaction() as session:
                    detected = [
                        r.title for r in list_releases(session=session, flt=ReleaseFilter(lab="qwen", baseline=False))
                    ]
                time.sleep(0.1)
    assert "Qwen3" in detected, f"no detection after the webhook: {hub.stats()}"


def test_a_move_is_recorded_for_the_destination_lab(client: tuple, store: Store) -> None:
    """``repo.move`` is the authoritative move signal: the destination lab's poll state keeps it."""
    from tracker.pipeline.moves import MOVES_KEY
    from tracker.store.queries import get_source_state

    test_client, _ = client
    payload = hub_payload("Old-Lab/GLM-4-9B", action="move", movedTo={"name": "zai-org/GLM-4-9B", "owner": {"id": "x"}})
    assert _post(test_client, payload).status_code == 202
    assert _post(test_client, payload).status_code == 202  # a duplicate call changes nothing
    with store.transaction() as session:
        state = get_source_state(session=session, source="hf", lab_slug="zhipu")
        assert state is not None and state.cursor[MOVES_KEY] == {"zai-org/glm-4-9b": "Old-Lab/GLM-4-9B"}
