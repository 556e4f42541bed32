"""Digest periods, content selection, email rendering and MIME building, SMTP URLs, beat entries."""

from __future__ import annotations

import email
import pickle
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.fakes import add_alert_event
from tracker.briefings import digest as dg
from tracker.config import Settings
from tracker.errors import ConfigError
from tracker.notify import Outgoing, channel_problem
from tracker.notify.email.mime import build_email, header_text, message_id
from tracker.notify.email.notifier import EmailNotifier
from tracker.notify.email.render import render_digest
from tracker.notify.email.smtp import parse_smtp_url
from tracker.store import Store
from tracker.watchlist import Subscription, Watchlist, load_watchlist


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------- periods


def test_period_for_weekly_is_the_last_completed_iso_week() -> None:
    p = dg.period_for("weekly", _utc(2025, 5, 5, 8), "UTC")  # Monday morning
    assert (p.start, p.end) == (_utc(2025, 4, 28), _utc(2025, 5, 5))
    assert p.label == "week 18 · 28 Apr – 4 May 2025"
    assert dg.period_for("weekly", _utc(2025, 5, 11, 23, 59), "UTC") == p  # still that week until Monday


def test_period_for_daily_is_yesterday_in_the_digest_timezone() -> None:
    p = dg.period_for("daily", _utc(2025, 5, 1, 1), "UTC")
    assert (p.start, p.end) == (_utc(2025, 4, 30), _utc(2025, 5, 1))
    # 2025-05-01 01:00 UTC is 09:00 in Shanghai: yesterday there is 30 April, 00:00 CST = 16:00 UTC the day before
    sh = dg.period_for("daily", _utc(2025, 5, 1, 1), "Asia/Shanghai")
    assert (sh.start, sh.end) == (_utc(2025, 4, 29, 16), _utc(2025, 4, 30, 16))
    assert sh.label == "Wed 30 Apr 2025"


def test_weekly_period_across_a_dst_change_is_167_hours_stored_in_utc() -> None:
    p = dg.period_for("weekly", _utc(2025, 4, 1, 12), "Europe/Paris")  # the week of 30 March (CET -> CEST)
    assert p.start == _utc(2025, 3, 23, 23)  # Monday 24 March 00:00 CET
    assert p.end == _utc(2025, 3, 30, 22)  # Monday 31 March 00:00 CEST
    assert p.end - p.start == timedelta(hours=167)


def test_period_for_rejects_unknown_kind_and_zone() -> None:
    with pytest.raises(ConfigError):
        dg.period_for("monthly", _utc(2025, 5, 1))
    with pytest.raises(ConfigError):
        dg.period_for("daily", _utc(2025, 5, 1), "Mars/Olympus")
    with pytest.raises(ValueError):
        Settings(_env_file=None, digest_timezone="Mars/Olympus")


def test_digest_key_names_subscription_kind_and_period_start() -> None:
    p = dg.period_for("weekly", _utc(2025, 5, 5, 8))
    assert dg.digest_key(7, p) == "digest:7:weekly:2025-04-28T00:00:00Z"
    daily = dg.period_for("daily", _utc(2025, 4, 29, 8))  # also starts Monday 28 April
    assert dg.digest_key(7, daily) != dg.digest_key(7, p)


# --------------------------------------------------------------------------- cadence rows (pure)


def test_cadence_rows_compare_the_period_with_the_8_weeks_before() -> None:
    from tracker.store.models import Lab

    period = dg.period_for("weekly", _utc(2025, 5, 5, 8))
    before = [period.start - timedelta(days=7 * i + 1) for i in range(8)]  # one a week for 8 weeks: 1.0/wk
    times = {
        "steady": [*before, period.start + timedelta(days=1)],
        "burst": [period.start + timedelta(hours=h) for h in (1, 2, 3)],
        "stalled": before[:8] + before[:8],  # 2/wk usually, nothing this week
        "silent": [period.start - timedelta(days=100)],
    }
    labs = {slug: Lab(slug=slug, name=slug.title(), country="CN") for slug in times}
    rows = {r.lab: r for r in dg.build_cadence_rows(times, labs, period)}
    assert (rows["steady"].this_period, rows["steady"].usual_per_week, rows["steady"].trend) == (1, 1.0, "usual")
    assert (rows["burst"].this_period, rows["burst"].usual_per_week, rows["burst"].trend) == (3, 0.0, "above")
    assert (rows["stalled"].this_period, rows["stalled"].usual_per_week, rows["stalled"].trend) == (0, 2.0, "below")
    assert rows["silent"].trend == "none"
    assert rows["silent"].days_since_last == pytest.approx(107, abs=0.01)
    assert len(rows["steady"].weekly) == dg.CHART_WEEKS and rows["steady"].weekly[-1][2] == 1
    assert [r.lab for r in dg.build_cadence_rows(times, labs, period)][:2] == ["burst", "steady"]


# --------------------------------------------------------------------------- content from the store


def _seed(session, period: dg.Period) -> None:  # type: ignore[no-untyped-def]
    inside = period.start + timedelta(days=2)
    add_alert_event(session, lab="qwen", title="千问3-中文测试", name="Qwen/千问3-中文测试-7B", now=inside)
    add_alert_event(
        session,
        lab="deepseek",
        title="Evil<script>alert(1)</script>",
        name="deepseek-ai/Evil-7B",
        now=inside + timedelta(hours=1),
    )
    add_alert_event(
        session, lab="qwen", title="Qwen3-8B-AWQ", name="Qwen/Qwen3-8B-AWQ", kinds=("instruct", "quantized"), now=inside
    )  # a quantized-only re-upload
    add_alert_event(
        session,
        lab="meta",
        country="US",
        title="Llama-Old",
        name="meta/Llama-Old",
        now=period.start - timedelta(hours=1),
    )  # before the period
    add_alert_event(
        session,
        lab="qwen",
        kind="paper",
        title="Qwen3 Technical\n Report",
        name="2505.09388",
        kinds=(),
        params_total_b=None,
        now=inside,
    )


def test_build_digest_selects_the_period_groups_by_lab_and_applies_the_filter(store: Store) -> None:
    period = dg.period_for("weekly", _utc(2025, 5, 5, 8))
    with store.transaction() as session:
        _seed(session, period)
    with store.transaction() as session:
        everything = dg.build_digest(session=session, period=period, now=_utc(2025, 5, 5, 8))
        qwen_only = dg.build_digest(session=session, period=period, filters={"labs": ["qwen"]})
        papers_only = dg.build_digest(session=session, period=period, filters={"kinds": ["paper"]})
        next_week = dg.build_digest(session=session, period=dg.period_for("weekly", _utc(2025, 5, 12, 8)))

    titles = [r.title for g in everything.groups for r in g.releases]
    assert sorted(titles) == sorted(["千问3-中文测试", "Evil<script>alert(1)</script>"])
    assert [p.title for p in everything.papers] == ["Qwen3 Technical\n Report"]
    assert everything.release_count == 2 and "2 new releases from 2 labs and 1 paper" in everything.lead
    assert {c.country: c.releases for c in everything.countries} == {"CN": 3}  # model releases, AWQ included
    assert [r.title for g in qwen_only.groups for r in g.releases] == ["千问3-中文测试"]
    assert {c.lab for c in qwen_only.cadence} == {"qwen"}
    assert papers_only.groups == [] and len(papers_only.papers) == 1
    assert next_week.empty and next_week.lead.startswith("A quiet week")
    assert dg.Digest.from_dict(everything.to_dict()) == everything


def test_create_digest_deliveries_is_keyed_by_subscription_and_period(store: Store, backend_settings: Settings) -> None:
    settings = backend_settings.model_copy(
        update={
            "smtp_url": SecretStr("smtp://127.0.0.1:2525?tls=off"),
            "email_from": "tracker <tracker@example.org>",
            "digest_unsubscribe_url": "https://t.example/u?s={subscription_id}&e={email}",
        }
    )
    watchlist = Watchlist(
        labs=load_watchlist().labs,
        subscriptions=(
            Subscription(channel="email:ann@example.org", digest="weekly"),
            Subscription(channel="email:bob@example.org", digest="daily"),
            Subscription(channel="email:quiet@example.org", labs=("mistral",), digest="weekly"),
            Subscription(channel="slack:#x", digest="weekly"),
        ),
        source="test",
    )
    period = dg.period_for("weekly", _utc(2025, 5, 5, 8))
    with store.transaction() as session:
        _seed(session, period)
    first = dg.create_digest_deliveries(
        store,
        settings=settings,
        watchlist=watchlist,
        period_kind="weekly",
        at=_utc(2025, 5, 5, 8),
        clock=lambda: _utc(2025, 5, 5, 8),
    )
    again = dg.create_digest_deliveries(
        store,
        settings=settings,
        watchlist=watchlist,
        period_kind="weekly",
        at=_utc(2025, 5, 5, 9),
        clock=lambda: _utc(2025, 5, 5, 9),
    )
    assert len(first.created) == 2  # ann, and quiet (a "quiet week" digest)
    assert "slack:#x" in first.skipped
    assert again.created == [] and again.existing == 2 and sorted(again.pending) == sorted(first.created)

    from tracker.store.models import Delivery

    with store.transaction() as session:
        rows = {d.channel: d for d in session.query(Delivery).all()}
        assert rows["email:ann@example.org"].idempotency_key.endswith(":weekly:2025-04-28T00:00:00Z")
        assert rows["email:ann@example.org"].kind == "digest"
        assert rows["email:quiet@example.org"].payload["digest"]["groups"] == []
        assert rows["email:ann@example.org"].payload["unsubscribe_url"].endswith("&e=ann%40example.org")

    no_quiet = settings.model_copy(update={"digest_send_empty": False})
    later = dg.create_digest_deliveries(
        store,
        settings=no_quiet,
        watchlist=watchlist,
        period_kind="weekly",
        at=_utc(2025, 5, 12, 8),
        clock=lambda: _utc(2025, 5, 12, 8),
    )
    assert later.created == [] and "nothing new" in later.skipped["email:quiet@example.org"]


# --------------------------------------------------------------------------- rendering and MIME


def _payload() -> dict:
    period = dg.period_for("weekly", _utc(2025, 5, 5, 8))
    digest = dg.Digest(
        period="weekly",
        start="2025-04-28T00:00:00Z",
        end="2025-05-05T00:00:00Z",
        timezone="UTC",
        label=period.label,
        generated_at="2025-05-05T08:00:00Z",
        groups=[
            dg.LabGroup(
                "qwen",
                "Qwen 通义",
                "CN",
                [
                    dg.DigestRelease(
                        1,
                        "千问3 <script>alert(1)</script>",
                        "model",
                        "https://hf.co/Qwen/x",
                        "2025-04-29T00:00:00Z",
                        sizes=["8B"],
                        licence="apache-2.0",
                        variant_count=1,
                    ),
                    dg.DigestRelease(2, "Long" + "x" * 3000, "model", "https://hf.co/Qwen/y", "2025-04-29T00:00:00Z"),
                ],
            )
        ],
        papers=[dg.DigestPaper("A title\r\nBcc: victim@example.org", "https://arxiv.org/abs/1", "1", "qwen", "Qwen")],
        cadence=[dg.CadenceRow("qwen", "Qwen 通义", "CN", 2, 0.5, 1.0, "above", [("2025-W18", "2025-04-28", 2)])],
    )
    digest = dg.Digest(
        **{**{f: getattr(digest, f) for f in digest.__dataclass_fields__}, "lead": dg.build_lead(digest)}
    )
    return {"digest": digest.to_dict(), "unsubscribe_url": "https://t.example/unsub?s=1"}


def _parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def test_html_part_is_escaped_and_text_part_is_not() -> None:
    rendered = render_digest(_payload())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html and "<script>" not in rendered.html
    assert "千问3 <script>alert(1)</script>" in rendered.text
    assert 'src="cid:cadence-chart"' in rendered.html
    assert "\n" not in rendered.subject and rendered.subject.startswith("2 new releases")


def test_build_email_has_both_parts_inline_chart_and_safe_headers() -> None:
    out = Outgoing(
        delivery_id=42, idempotency_key="digest:1:weekly:x", kind="digest", channel="email:a@b.org", payload=_payload()
    )
    rendered = render_digest(out.payload)
    evil = rendered.__class__(
        subject="Qwen3 Technical\r\nBcc: victim@example.org\n Report 千问", text=rendered.text, html=rendered.html
    )
    msg = build_email(
        evil,
        sender="tracker\n <tracker@example.org>",
        to="a@b.org",
        msg_id=message_id(out, "tracker <tracker@example.org>"),
        date=_utc(2025, 5, 5, 8),
        images={"cadence-chart": b"\x89PNG fake"},
        unsubscribe_url="https://t.example/u\r\nX: y",
    )
    raw = msg.as_bytes()
    assert all(len(line) <= 998 for line in raw.split(b"\r\n")), "an SMTP line exceeds 998 octets"
    parsed = _parse(raw)
    assert parsed["Bcc"] is None and parsed["X"] is None  # nothing injected
    assert parsed["Subject"] == "Qwen3 Technical Bcc: victim@example.org Report 千问"
    assert parsed["Message-ID"].startswith("<tracker.digest.42.") and parsed["Message-ID"].endswith("@example.org>")
    assert parsed["Date"].datetime == _utc(2025, 5, 5, 8)
    assert parsed["List-Unsubscribe"] == "<https://t.example/u X: y>"
    assert parsed.get_content_type() == "multipart/alternative"
    plain = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert plain is not None and html is not None, "both parts, always"
    assert "千问3" in plain.get_content() and "Long" + "x" * 3000 in plain.get_content()
    images = [p for p in parsed.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"] == "<cadence-chart>"
    assert images[0].get_content() == b"\x89PNG fake"
    assert "cid:cadence-chart" in html.get_content()


def test_header_text_collapses_every_line_break() -> None:
    assert header_text("a\r\nb\nc\rd\u2028e\tf  g") == "a b c d e f g"
    assert header_text("x" * 200, limit=10) == "x" * 9 + "…"


# --------------------------------------------------------------------------- SMTP URL and channel checks


def test_parse_smtp_url_defaults_and_credentials() -> None:
    u = parse_smtp_url("smtp://me%40corp:p%3Ass@mail.example.org")
    assert (u.scheme, u.host, u.port, u.username, u.password, u.starttls) == (
        "smtp",
        "mail.example.org",
        587,
        "me@corp",
        "p:ss",
        True,
    )
    s = parse_smtp_url("smtps://mail.example.org")
    assert (s.port, s.implicit_tls) == (465, True)
    assert parse_smtp_url("smtp://localhost:1025?tls=off").starttls is False


@pytest.mark.parametrize(
    "url, words",
    [
        ("http://mail.example.org", "smtp://"),
        ("smtp://mail.example.org:465", "smtps://"),
        ("smtps://mail.example.org?tls=off", "always TLS"),
        ("smtp://", "no host"),
    ],
)
def test_parse_smtp_url_rejects_wrong_combinations_clearly(url: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words.replace("?", r"\?")):
        parse_smtp_url(url)


def test_email_channel_needs_smtp_and_from(tmp_path: Path) -> None:
    bare = Settings(_env_file=None, data_dir=tmp_path)
    assert "TRACKER_SMTP_URL" in (channel_problem(bare, "email:a@example.org") or "")
    ready = bare.model_copy(
        update={"smtp_url": SecretStr("smtp://mail.example.org"), "email_from": "t <t@example.org>"}
    )
    assert channel_problem(ready, "email:a@example.org") is None
    assert "address" in (channel_problem(ready, "email:a@example.org\r\nBcc: b@example.org") or "")
    assert "address" in (channel_problem(ready, "email:a@example.org,b@example.org") or "")
    from tracker.notify import build_notifier

    assert isinstance(build_notifier(ready, "email:a@example.org"), EmailNotifier)


# --------------------------------------------------------------------------- beat entries


def test_digest_beat_entries_run_at_the_local_hour_on_the_digest_queue(tmp_path: Path) -> None:
    from celery import Celery

    from workers.schedule import DIGEST_QUEUE, DIGEST_TASK, build_schedule

    settings = Settings(_env_file=None, data_dir=tmp_path, digest_timezone="Europe/Paris", digest_hour=8)
    schedule = build_schedule(settings, load_watchlist())
    daily, weekly = schedule["digest:daily"], schedule["digest:weekly"]
    assert daily["task"] == weekly["task"] == DIGEST_TASK
    assert (daily["args"], weekly["args"]) == (["daily"], ["weekly"])
    assert daily["options"]["queue"] == weekly["options"]["queue"] == DIGEST_QUEUE

    app = Celery(set_as_current=False)
    app.conf.update(timezone="UTC", enable_utc=True)
    cron = pickle.loads(pickle.dumps(weekly["schedule"]))  # beat persists its schedule
    assert cron.tz_name == "Europe/Paris"
    last = _utc(2025, 3, 24, 7)  # Monday 24 March 08:00 CET
    for now, due in ((_utc(2025, 3, 31, 5, 59), False), (_utc(2025, 3, 31, 6, 0, 5), True)):  # 08:00 CEST = 06:00 UTC
        cron.nowfun, cron.app = (lambda n=now: n), app
        assert cron.is_due(last)[0] is due, now


def test_email_alert_for_a_subscription_without_digest_has_both_parts() -> None:
    from tracker.notify.email.smtp import SmtpUrl
    from tracker.outbox.content import build_message

    message = build_message(
        5,
        "release_detected",
        {
            "lab": "qwen",
            "lab_name": "Qwen",
            "country": "CN",
            "title": "Qwen3 <b>",
            "kind": "model",
            "artifact": {"name": "Qwen/Qwen3-8B", "url": "https://hf.co/Qwen/Qwen3-8B", "size_label": "8B"},
        },
    )
    notifier = EmailNotifier(
        url=SmtpUrl("smtp", "127.0.0.1", 2525),
        sender="t <t@example.org>",
        to="a@example.org",
        clock=lambda: _utc(2025, 5, 5, 8),
    )
    out = Outgoing(
        delivery_id=3, idempotency_key="event:5:1", kind="alert", channel="email:a@example.org", message=message
    )
    parsed = _parse(notifier.build(out).as_bytes())
    assert parsed["Subject"] == "New release · Qwen · Qwen3 <b>: Qwen/Qwen3-8B"
    assert "Qwen3 &lt;b&gt;" in parsed.get_body(("html",)).get_content()
    assert "8B" in parsed.get_body(("plain",)).get_content()
    with pytest.raises(Exception, match="cannot send kind"):
        notifier.build(Outgoing(delivery_id=4, idempotency_key="x", kind="pulse", channel="email:a@example.org"))
