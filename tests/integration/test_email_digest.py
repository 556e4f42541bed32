"""Email digests end to end: a replayed month of real history -> the weekly digest task -> a real
SMTP server on loopback (aiosmtpd) -> the received MIME parsed and checked. Plus SMTP failure
handling (4xx then OK, server down), STARTTLS / implicit TLS and the wrong-port traps.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from tests.factories import (
    add_adoption_history,
    add_lab,
    add_release,
    add_snapshot,
    qwen,
    subscription,
    write_watchlist,
)
from tests.fakes import FakeClock, add_alert_event
from tests.smtp_server import SmtpServer
from tracker.briefings import digest as dg
from tracker.config import Settings
from tracker.errors import DeliveryError
from tracker.notify import Outgoing
from tracker.notify.email.notifier import EmailNotifier
from tracker.notify.email.smtp import parse_smtp_url
from tracker.outbox.deliver import deliver_one
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.models import Delivery, Release
from tracker.watchlist import Subscription, Watchlist, load_watchlist

SENDER = "tracker digests <digest@tracker.example.org>"
READER = "reader@example.org"
#: Labs replayed (the rest of the watchlist adds poll time, not coverage).
REPLAY_LABS = ("qwen", "deepseek", "meta", "xiaomi", "microsoft", "nvidia", "moonshot", "zhipu", "mistral")
CHINESE = "通义千问-中文测试-7B"
SCRIPT = "Evil<script>alert(1)</script>"


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _mail_settings(base: Settings, smtp: SmtpServer, **extra: Any) -> Settings:
    return base.model_copy(
        update={
            "smtp_url": SecretStr(smtp.url()),
            "email_from": SENDER,
            "smtp_ca_file": smtp.ca_file,
            "smtp_timeout_s": 5.0,
            **extra,
        }
    )


def _watchlist(labs: tuple[str, ...] | None = None, **sub: Any) -> Watchlist:
    full = load_watchlist()
    chosen = full.labs if labs is None else tuple(full.lab(s) for s in labs)
    return Watchlist(
        labs=chosen, subscriptions=(Subscription(channel=f"email:{READER}", digest="weekly", **sub),), source="test"
    )


def _listed_titles(text: str) -> Counter[str]:
    """Release and paper titles listed in the text part (``  * <title>`` lines)."""
    return Counter(m.group(1) for m in re.finditer(r"^  \* (.+)$", text, flags=re.M))


def test_weekly_digest_of_a_replayed_month_arrives_once_over_starttls(
    store: Store, backend_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers.app import create_celery
    from workers.schedule import DELIVER_TASK, DIGEST_TASK

    watchlist = _watchlist(REPLAY_LABS)
    with ReplayServer(now=_utc(2025, 4, 1)) as hub:
        settings = backend_settings.model_copy(
            update={"hf_endpoint": hub.hf_endpoint, "arxiv_endpoint": hub.arxiv_endpoint}
        )
        poll_once(settings, store, watchlist, clock=hub.clock.now)  # baseline
        day = _utc(2025, 4, 1)
        while day < _utc(2025, 5, 5):
            day += timedelta(days=1)
            hub.set_now(day)
            reports = poll_once(settings, store, watchlist, clock=hub.clock.now)
            assert all(r.status == "ok" for r in reports), [(r.source, r.lab, r.error) for r in reports]
    with store.transaction() as session:  # fixture releases the corpus week lacks: a Chinese name, markup
        add_alert_event(session, lab="qwen", title=CHINESE, name=f"Qwen/{CHINESE}", now=_utc(2025, 4, 30, 9))
        add_alert_event(session, lab="deepseek", title=SCRIPT, name="deepseek-ai/Evil-7B", now=_utc(2025, 5, 2, 9))
        week = session.scalars(
            select(Release).where(Release.released_at >= _utc(2025, 4, 28), Release.released_at < _utc(2025, 5, 5))
        ).all()
        # a report that joined its launch is listed under the launch, not as an item of its own
        expected = {r.title for r in week if r.merged_into_id is None}
        reports = {r.title: session.get(Release, r.merged_into_id).title for r in week if r.merged_into_id is not None}
    assert {"Qwen3", "DeepSeek-Prover-V2", "MiMo", CHINESE, SCRIPT} <= expected

    with SmtpServer(tmp_path, mode="starttls") as smtp:
        settings = _mail_settings(
            backend_settings, smtp, digest_unsubscribe_url="https://tracker.example.org/unsubscribe/{subscription_id}"
        )
        app = create_celery(settings, watchlist)
        queued: list[tuple[str, list[Any]]] = []
        monkeypatch.setattr(app, "send_task", lambda name, args=(), **kw: queued.append((name, list(args))))
        first = app.tasks[DIGEST_TASK].apply(args=["weekly", "2025-05-05T08:00:00Z"]).result
        second = app.tasks[DIGEST_TASK].apply(args=["weekly", "2025-05-05T09:00:00Z"]).result  # a duplicate run
        assert first["created"] == 1 and second["created"] == 0 and second["existing"] == 1
        for name, args in list(queued):  # every queued send, including the duplicate's re-queue
            assert name == DELIVER_TASK
            app.tasks[DELIVER_TASK].apply(args=args)
        assert len(queued) == 2, "the second run re-queues the still-pending delivery (claimed once)"
        received = list(smtp.messages)

    assert len(received) == 1, "one digest per subscription and period"
    mail = received[0]
    assert mail.rcpt_tos == [READER] and mail.mail_from == "digest@tracker.example.org"
    assert all(len(line) <= 998 for line in mail.raw.split(b"\r\n"))
    msg = mail.parsed()
    with store.transaction() as session:
        delivery = session.scalars(select(Delivery).where(Delivery.kind == "digest")).one()
        assert delivery.status == "sent" and delivery.attempts == 1
        assert delivery.idempotency_key == f"digest:{delivery.subscription_id}:weekly:2025-04-28T00:00:00Z"
        assert delivery.external_ref["message_id"] == msg["Message-ID"]
        delivery_id, subscription_id = delivery.id, delivery.subscription_id
    assert f".{delivery_id}." in msg["Message-ID"]
    assert msg["Date"] is not None and msg["To"] == READER and msg["From"] == SENDER
    assert msg["List-Unsubscribe"] == f"<https://tracker.example.org/unsubscribe/{subscription_id}>"
    assert "week 18" in msg["Subject"] and "Qwen3" in msg["Subject"]

    assert msg.get_content_type() == "multipart/alternative"
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text is not None and html is not None, "both parts"
    text_body, html_body = (part.get_content().replace("\r\n", "\n") for part in (text, html))
    listed = _listed_titles(text_body)
    for title in expected:  # every release of the week, once (models by lab, papers in their section)
        assert listed[" ".join(title.split())] == 1, (title, listed)
    assert not set(listed) - {" ".join(t.split()) for t in expected}, "nothing from outside the week"
    for title, launch in reports.items():  # under its launch, when the launch is listed (and followed)
        if " ".join(launch.split()) in listed:
            assert text_body.count(f"Technical report: {title}:") == 1, (title, launch)
    assert html_body.count(">Qwen3</a>") == 1
    assert CHINESE in text_body and CHINESE in html_body
    assert "Evil&lt;script&gt;alert(1)&lt;/script&gt;" in html_body and "<script>" not in html_body
    assert SCRIPT in text_body  # plain text needs no escaping
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1
    cid = images[0]["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html_body
    assert images[0].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "CADENCE" in text_body and "Longest silent" in text_body


def _digest_delivery(store: Store, settings: Settings, clock: FakeClock) -> int:
    with store.transaction() as session:
        add_alert_event(session, now=_utc(2025, 4, 29, 9))
    run = dg.create_digest_deliveries(
        store, settings=settings, watchlist=_watchlist(("qwen",)), period_kind="weekly", at=clock(), clock=clock
    )
    (delivery_id,) = run.created
    return delivery_id


def test_smtp_451_is_retried_with_backoff_and_recorded(
    store: Store, backend_settings: Settings, tmp_path: Path
) -> None:
    clock = FakeClock(_utc(2025, 5, 5, 8))
    with SmtpServer(tmp_path, mode="plain", data_replies=["451 4.3.0 greylisted, try again later"]) as smtp:
        settings = _mail_settings(backend_settings, smtp)
        delivery_id = _digest_delivery(store, settings, clock)
        first = deliver_one(store, delivery_id, settings=settings, clock=clock)
        assert first.status == "pending" and "451" in (first.error or "") and smtp.messages == []
        assert first.next_attempt_at is not None and first.next_attempt_at >= clock()
        with store.transaction() as session:
            row = session.get(Delivery, delivery_id)
            assert row.status == "pending" and row.attempts == 1 and "greylisted" in (row.last_error or "")
        early = (
            deliver_one(store, delivery_id, settings=settings, clock=clock) if first.next_attempt_at > clock() else None
        )
        assert early is None or early.status == "skipped"  # not due yet: nothing sent before the backoff
        clock.now = first.next_attempt_at + timedelta(seconds=1)
        second = deliver_one(store, delivery_id, settings=settings, clock=clock)
        assert second.status == "sent" and len(smtp.messages) == 1 and smtp.attempts == 2
    with store.transaction() as session:
        row = session.get(Delivery, delivery_id)
        assert row.status == "sent" and row.attempts == 2 and row.last_error is None


def test_smtp_down_is_retried_then_failed_with_a_clear_reason(
    store: Store, backend_settings: Settings, tmp_path: Path
) -> None:
    clock = FakeClock(_utc(2025, 5, 5, 8))
    with SmtpServer(tmp_path, mode="plain") as smtp:  # a port that was just closed
        port = smtp.port
    settings = backend_settings.model_copy(
        update={
            "smtp_url": SecretStr(f"smtp://127.0.0.1:{port}?tls=off"),
            "email_from": SENDER,
            "delivery_max_attempts": 2,
        }
    )
    delivery_id = _digest_delivery(store, settings, clock)
    first = deliver_one(store, delivery_id, settings=settings, clock=clock)
    assert first.status == "pending" and first.next_attempt_at is not None
    clock.now = first.next_attempt_at + timedelta(seconds=1)
    second = deliver_one(store, delivery_id, settings=settings, clock=clock)
    assert second.status == "failed"
    with store.transaction() as session:
        row = session.get(Delivery, delivery_id)
        assert row.status == "failed" and row.attempts == 2
        assert f"127.0.0.1:{port}" in row.last_error and "refused" in row.last_error.lower()


def _outgoing() -> Outgoing:
    period = dg.period_for("weekly", _utc(2025, 5, 5, 8))
    digest = dg.Digest(
        period="weekly",
        start="2025-04-28T00:00:00Z",
        end="2025-05-05T00:00:00Z",
        timezone="UTC",
        label=period.label,
        generated_at="2025-05-05T08:00:00Z",
        lead="A quiet week.",
    )
    return Outgoing(
        delivery_id=9,
        idempotency_key="digest:1:weekly:2025-04-28T00:00:00Z",
        kind="digest",
        channel=f"email:{READER}",
        payload={"digest": digest.to_dict()},
    )


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")  # implicit TLS is TLS
@pytest.mark.parametrize("mode", ["starttls", "implicit"])
def test_tls_modes_deliver(tmp_path: Path, settings: Settings, mode: str) -> None:
    with SmtpServer(tmp_path, mode=mode, credentials=("me", "s3cret")) as smtp:
        configured = _mail_settings(settings, smtp, smtp_url=SecretStr(smtp.url("me", "s3cret")))
        result = EmailNotifier.from_settings(configured, target=READER).send(_outgoing())
        assert len(smtp.messages) == 1
    assert result.external_ref["message_id"] == smtp.messages[0].parsed()["Message-ID"]


def test_wrong_password_is_permanent(tmp_path: Path, settings: Settings) -> None:
    with SmtpServer(tmp_path, mode="starttls", credentials=("me", "s3cret")) as smtp:
        configured = _mail_settings(settings, smtp, smtp_url=SecretStr(smtp.url("me", "wrong")))
        with pytest.raises(DeliveryError, match=r"authentication refused") as err:
            EmailNotifier.from_settings(configured, target=READER).send(_outgoing())
    assert err.value.permanent and smtp.messages == []


def test_implicit_tls_against_a_starttls_port_is_a_clear_permanent_error(tmp_path: Path, settings: Settings) -> None:
    with SmtpServer(tmp_path, mode="starttls") as smtp:
        url = SecretStr(f"smtps://127.0.0.1:{smtp.port}")
        with pytest.raises(DeliveryError, match=r"TLS handshake failed.*use smtp://") as err:
            EmailNotifier.from_settings(_mail_settings(settings, smtp, smtp_url=url), target=READER).send(_outgoing())
    assert err.value.permanent


def test_starttls_against_an_implicit_tls_port_names_smtps(tmp_path: Path, settings: Settings) -> None:
    with SmtpServer(tmp_path, mode="implicit") as smtp:
        url = SecretStr(f"smtp://127.0.0.1:{smtp.port}")
        configured = _mail_settings(settings, smtp, smtp_url=url, smtp_timeout_s=1.0)
        with pytest.raises(DeliveryError, match=r"smtps://"):
            EmailNotifier.from_settings(configured, target=READER).send(_outgoing())
    assert parse_smtp_url(url.get_secret_value()).starttls


def test_a_server_without_starttls_is_refused_unless_tls_is_off(tmp_path: Path, settings: Settings) -> None:
    with SmtpServer(tmp_path, mode="plain") as smtp:
        url = SecretStr(f"smtp://127.0.0.1:{smtp.port}")  # STARTTLS required, the server has none
        with pytest.raises(DeliveryError, match=r"does not offer STARTTLS") as err:
            EmailNotifier.from_settings(_mail_settings(settings, smtp, smtp_url=url), target=READER).send(_outgoing())
        assert err.value.permanent and smtp.messages == []
        EmailNotifier.from_settings(_mail_settings(settings, smtp), target=READER).send(_outgoing())
        assert len(smtp.messages) == 1


def test_cli_preview_writes_html_and_chart_and_send_delivers_once(tmp_path: Path, settings: Settings) -> None:
    from typer.testing import CliRunner

    from tracker.cli.app import app

    store = Store.open(settings)
    with store.transaction() as session:
        add_alert_event(session, title=CHINESE, name=f"Qwen/{CHINESE}", now=_utc(2025, 4, 29, 9))
    store.dispose()
    watchlist = write_watchlist(
        tmp_path / "watchlist.toml", qwen(), subscriptions=[subscription(f"email:{READER}", digest="weekly")]
    )
    runner = CliRunner()
    with SmtpServer(tmp_path, mode="plain") as smtp:
        env = {
            "TRACKER_DATA_DIR": str(tmp_path),
            "TRACKER_WATCHLIST": str(watchlist),
            "TRACKER_SMTP_URL": smtp.url(),
            "TRACKER_EMAIL_FROM": SENDER,
        }
        out = tmp_path / "preview" / "digest.html"
        out.parent.mkdir()  # the command never creates directories (a typo would make one)
        result = runner.invoke(
            app, ["digest", "--period", "weekly", "--preview", str(out), "--at", "2025-05-05"], env=env
        )
        assert result.exit_code == 0, result.output
        assert smtp.messages == [], "a preview sends nothing"
        html = out.read_text(encoding="utf-8")
        assert CHINESE in html and 'src="digest.png"' in html
        assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
        for _ in range(2):
            result = runner.invoke(app, ["digest", "--period", "weekly", "--send", "--at", "2025-05-05"], env=env)
            assert result.exit_code == 0, result.output
        assert len(smtp.messages) == 1
        assert "0 created, 1 already existed" in result.output


def test_a_digest_release_says_how_fast_it_was_adopted_only_when_a_ratio_exists(store: Store) -> None:
    from tracker.notify.email.render import render_digest

    period = dg.period_for("weekly", _utc(2025, 5, 5, 8))  # 2025-04-28 .. 2025-05-05
    with store.transaction() as session:
        fresh = add_adoption_history(session, add_lab(session), released_at=_utc(2025, 4, 29), age_days=6.0)
        lonely = add_release(
            session, add_lab(session, "meta", name="Meta", country="US"), "Lonely-8B", at=_utc(2025, 4, 30)
        )
        add_snapshot(session, lonely.artifacts[0], _utc(2025, 5, 4), all_time=5000)  # no peers of its size: no ratio
        fresh_id, lonely_id = fresh.id, lonely.id
    with store.transaction() as session:
        digest = dg.build_digest(session=session, period=period, now=_utc(2025, 5, 5, 8))

    by_id = {r.id: r for g in digest.groups for r in g.releases}
    line = (
        "Adopted 3.2× faster than a typical 10–100B release (downloads at 6 days, "
        "against the median of 3 earlier 10–100B releases at the same age)"
    )
    assert by_id[fresh_id].adoption == line and by_id[lonely_id].adoption is None
    rendered = render_digest({"digest": digest.to_dict(), "unsubscribe_url": None})
    assert f"    {line}.\n" in rendered.text and rendered.text.count("Adopted ") == 1
    assert f'<div class="adoption" style="font-size:13px;color:#1a7f37;">{line}.</div>' in rendered.html
    assert rendered.html.count('class="adoption"') == 1
