"""Slack's overall deadline (Web API and webhook): a dripped answer (even its status line) fails within it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from slack_sdk.errors import SlackApiError

from tests.slack_server import SlackServer
from tracker.notify.slack.api import SlackApi, SlackWebhook
from tracker.notify.slack.deadline import DeadlineWebClient, DeadlineWebhookClient, SlackDeadlineExceeded
from tracker.notify.slack.errors import SlackDeliveryError
from tracker.notify.slack.mrkdwn import SlackContent
from tracker.notify.slack.pacing import ChannelPacer


@pytest.fixture
def drip_port() -> Iterator[int]:
    """A server that reads the request, then sends an HTTP answer one byte every 0.3 s (status line first)."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                answer = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'
                try:
                    for i in range(len(answer)):
                        if stop.is_set():
                            break
                        conn.sendall(answer[i : i + 1])
                        time.sleep(0.3)
                except OSError:  # the client cut the connection at its deadline
                    continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    listener.close()


def _client(port: int, deadline_s: float) -> DeadlineWebClient:
    return DeadlineWebClient(deadline_s=deadline_s, token="xoxb-t", base_url=f"http://127.0.0.1:{port}/api/", timeout=5)


def test_a_dripped_answer_fails_at_the_deadline_not_at_the_read_timeout(drip_port: int) -> None:
    started = time.monotonic()
    with pytest.raises(SlackDeadlineExceeded, match=r"no complete answer .* within 1 s"):
        _client(drip_port, 1.0).api_call("auth.test")
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 3.0, elapsed  # each byte comes well within the 5 s read timeout


def test_a_cut_off_post_has_an_unknown_outcome_and_a_cut_off_read_does_not(drip_port: int) -> None:
    api = SlackApi(_client(drip_port, 0.5), channel="C0MODELS", pacer=ChannelPacer(0))
    with pytest.raises(SlackDeliveryError) as post:
        api.call("chat.postMessage", "the alert", channel="C0MODELS", text="hi")
    with pytest.raises(SlackDeliveryError) as read:
        api.call("conversations.history", "reading the channel history", channel="C0MODELS")
    assert post.value.code == "deadline" and post.value.outcome_unknown and not post.value.permanent
    assert "no complete answer" in str(post.value)
    assert read.value.code == "deadline" and not read.value.outcome_unknown


def test_a_healthy_server_answers_through_the_deadline_client() -> None:
    with SlackServer(token="xoxb-t") as slack:
        client = DeadlineWebClient(deadline_s=5, token="xoxb-t", base_url=slack.api_url, timeout=5)
        assert client.auth_test()["ok"] is True
        slack.fail_next("auth.test", status=500, error="internal_error")
        with pytest.raises(SlackApiError) as failed:  # an error status's body is read under the deadline too
            client.auth_test()
    assert failed.value.response.status_code == 500 and failed.value.response["error"] == "internal_error"


def test_a_dripped_webhook_answer_fails_at_the_deadline_with_an_unknown_outcome(drip_port: int) -> None:
    hook = SlackWebhook(
        DeadlineWebhookClient(f"http://127.0.0.1:{drip_port}/webhook/T/B/x", deadline_s=0.5, timeout=5),
        pacer=ChannelPacer(0),
    )
    started = time.monotonic()
    with pytest.raises(SlackDeliveryError) as cut:
        hook.post(SlackContent(blocks=[], text="hi"), "the alert")
    assert time.monotonic() - started < 2.5
    assert cut.value.code == "deadline" and cut.value.outcome_unknown and "within 0.5 s" in str(cut.value)


def test_a_healthy_webhook_answers_through_the_deadline_client() -> None:
    with SlackServer() as slack:
        hook = SlackWebhook(DeadlineWebhookClient(slack.webhook_url, deadline_s=5, timeout=5), pacer=ChannelPacer(0))
        hook.post(SlackContent(blocks=[], text="hello"), "the alert")
        slack.fail_next("webhook", status=404, body="no_service")
        with pytest.raises(SlackDeliveryError) as gone:  # an error status's body still reaches the mapping
            hook.post(SlackContent(blocks=[], text="again"), "the alert")
    assert len(slack.webhook_messages) == 1 and gone.value.code == "no_service" and gone.value.permanent
