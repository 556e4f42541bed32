"""Lab cadence end to end on replayed real history (SQLite and PostgreSQL): the weekly pulse, quiet and
burst alerts, statuses in ``tracker cadence`` and ``GET /stats/cadence``.

The replay hub serves the packaged corpus at a settable "now"; tracker polls it with the
production code path, so every live release is dated by the daily (or 4-day) poll that first saw
it, and baseline history by the Hub's ``createdAt``.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from tests.factories import add_adoption_history, add_lab, add_release, add_snapshot, packaged
from tests.fakes import RecordingNotifier
from tests.slack_server import SlackServer
from tracker.analytics.status import CadenceRules
from tracker.briefings import pulse as pulse_mod
from tracker.briefings.cadence_alerts import check_cadence, run_check
from tracker.config import Settings
from tracker.notify.slack.blocks import render_text
from tracker.outbox.content import build_alert
from tracker.outbox.deliver import deliver_due, deliver_one
from tracker.outbox.inline import process_outbox
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.models import Delivery, Event, Lab, Release
from tracker.watchlist import Subscription, Watchlist, load_watchlist

UTC_ZONE = ZoneInfo("UTC")


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _only(*slugs: str, channel: str = "console:") -> Watchlist:
    return packaged(*slugs, subscriptions=[Subscription(channel=channel, kinds=("model", "paper"))])


def _events(store: Store, type_: str) -> list[Event]:
    with store.transaction() as session:
        return list(session.scalars(select(Event).where(Event.type == type_).order_by(Event.id)))


class FilesSlackServer(SlackServer):
    """The fake Slack plus the files API of ``files_upload_v2``: ``files.getUploadURLExternal``,
    the raw upload POST, ``files.completeUploadExternal`` (a file message in the thread)."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.uploads: dict[str, bytes] = {}
        self.files: dict[str, dict[str, Any]] = {}

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        path = urlsplit(req.path).path
        if path.startswith("/upload/"):
            data = req.rfile.read(int(req.headers.get("Content-Length") or 0))
            with self._lock:
                self.uploads[path.rsplit("/", 1)[1]] = data
            self._reply(req, 200, "OK - uploaded", {})
            return
        super()._handle(req)

    def _api_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{len(self.files) + 1:05d}"
        self.files[file_id] = {"filename": args.get("filename"), "length": int(args.get("length") or 0)}
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _api_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        files = json.loads(files) if isinstance(files, str) else files
        ch = self._channel(args.get("channel_id"), by_name=False)
        if isinstance(ch, dict):
            return ch
        shared = []
        for f in files:
            if f["id"] not in self.uploads:
                return {"ok": False, "error": "file_not_found"}
            self.files[f["id"]].update(title=f.get("title"), channel=ch.id, thread_ts=args.get("thread_ts"))
            shared.append({"id": f["id"], "title": f.get("title")})
        ch.messages.append(
            {
                "type": "message",
                "ts": self._next_ts(),
                "text": "",
                "files": shared,
                "thread_ts": args.get("thread_ts"),
                "user": "U0BOT",
            }
        )
        return {"ok": True, "files": shared}


# --------------------------------------------------------------------------- the pulse


def _replay_week_18(store: Store, settings: Settings) -> Settings:
    """Baseline on 2025-04-27 (every lab, Hub), then one poll a day up to 2025-05-05 00:00 UTC."""
    with ReplayServer(now=_utc(2025, 4, 27)) as hub:
        settings = settings.model_copy(update={"hf_endpoint": hub.hf_endpoint, "arxiv_endpoint": hub.arxiv_endpoint})
        watchlist = load_watchlist()
        poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        while hub.now() < _utc(2025, 5, 5):
            hub.set_now(hub.now() + timedelta(days=1))
            poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
    return settings


def test_pulse_of_the_week_of_2025_04_28_matches_the_corpus_and_is_sent_once(
    store: Store, backend_settings: Settings
) -> None:
    with FilesSlackServer(channels={"C0MODELS": "models"}) as slack:
        settings = _replay_week_18(
            store,
            backend_settings.model_copy(
                update={
                    "slack_bot_token": SecretStr("xoxb-test-token"),
                    "slack_channel": "C0MODELS",
                    "slack_api_url": slack.api_url,
                    "slack_min_interval_s": 0.0,
                    "dashboard_url": "https://tracker.example.org",
                }
            ),
        )
        now = _utc(2025, 5, 5, 9, 30)  # Monday after the week, the default pulse moment + 30 min
        assert pulse_mod.due_pulse_week(now, weekday=0, hour=9, tz=UTC_ZONE) == "2025-W18"
        with store.transaction() as session:
            pulse = pulse_mod.build_pulse(session=session, week="2025-W18", tz=UTC_ZONE, now=now, rules=CadenceRules())
            # expected numbers straight from the stored releases
            start, end = _utc(2025, 4, 28), _utc(2025, 5, 5)
            rows = session.execute(
                select(Lab.slug, Lab.country, Release.title, Release.released_at)
                .join(Release, Release.lab_id == Lab.id)
                .where(Release.kind == "model")
            ).all()
        week = [r for r in rows if start <= r.released_at < end]
        trailing = [r for r in rows if start - timedelta(weeks=12) <= r.released_at < start]
        assert pulse.total == len(week)
        assert {w.lab: w.releases for w in pulse.labs} == dict(Counter(r.slug for r in week))
        assert {c.country: c.releases for c in pulse.countries if c.releases} == dict(Counter(r.country for r in week))
        trailing_by_country = Counter(r.country for r in trailing)
        for c in pulse.countries:
            assert c.trailing_releases == trailing_by_country[c.country]
            assert c.trailing_share == pytest.approx(trailing_by_country[c.country] / len(trailing))
        # ... and hand-counted from timeline.jsonl (public between Apr 28 20:40 and May 1 00:00 UTC):
        # Qwen3 + Qwen2.5-Omni-3B, Llama-Guard-4 + Llama-Prompt-Guard-2, MiMo-7B, DeepSeek-Prover-V2,
        # Phi-4-reasoning, and the Qwen3 AWQ repos of May 2: published more than 48 h after the Qwen3
        # launch, they are a new release (a wave of Qwen3, linked by family_release_id).
        assert pulse.total == 8
        assert {w.lab: w.releases for w in pulse.labs} == {
            "qwen": 3,
            "meta": 2,
            "deepseek": 1,
            "microsoft": 1,
            "xiaomi": 1,
        }
        assert next(w for w in pulse.labs if w.lab == "qwen").titles == ("Qwen3", "Qwen2.5-Omni", "Qwen3")
        assert {c.country: c.releases for c in pulse.countries if c.releases} == {"CN": 5, "US": 3}
        assert pulse.complete and pulse.as_of == end

        run = pulse_mod.schedule_pulse(store, settings=settings, watchlist=load_watchlist(), clock=lambda: now)
        assert run is not None and run.week == "2025-W18" and len(run.delivery_ids) == 1
        outcome = deliver_one(store, run.delivery_ids[0], settings=settings, clock=lambda: now)
        assert outcome.sent, outcome.error
        top = slack.top_level("C0MODELS")
        assert len(top) == 1
        shown = render_text(top[0]["blocks"])
        assert "Weekly pulse · 2025-W18" in shown
        assert "8 open-weight releases from 5 labs, Apr 28 – May 4, 2025 (UTC)" in shown
        assert "🇨🇳 CN 5 · 62%" in shown and "🇺🇸 US 3 · 38%" in shown
        assert "• Qwen 🇨🇳 3: Qwen3, Qwen2.5-Omni, Qwen3" in shown
        assert "Cadence chart and history on the dashboard (https://tracker.example.org/)" in shown
        # the chart went up with the files API, as a reply in the pulse's thread
        ((file_id, meta),) = slack.files.items()
        assert slack.uploads[file_id].startswith(b"\x89PNG\r\n\x1a\n")
        assert meta["thread_ts"] == top[0]["ts"] and meta["filename"] == "tracker-pulse-2025-W18.png"

        # Re-running the schedule (the crontab entry, the hourly catch-up, a manual --send) sends nothing twice.
        for later in (now, now + timedelta(hours=1), now + timedelta(hours=20)):
            again = pulse_mod.schedule_pulse(
                store, settings=settings, watchlist=load_watchlist(), clock=lambda later=later: later
            )
            assert again is not None and again.delivery_ids == [] and again.existing == ["slack:default"]
        assert (
            pulse_mod.schedule_pulse(
                store, settings=settings, watchlist=load_watchlist(), clock=lambda: now + timedelta(days=2)
            )
            is None
        )  # past the catch-up window
        assert deliver_one(store, run.delivery_ids[0], settings=settings, clock=lambda: now).status == "skipped"
        assert deliver_due(store, settings=settings, clock=lambda: now + timedelta(hours=2)) == []
        assert len(slack.top_level("C0MODELS")) == 1 and len(slack.files) == 1
        with store.transaction() as session:
            keys = list(session.scalars(select(Delivery.idempotency_key).where(Delivery.kind == "pulse")))
        assert keys == ["pulse:slack:default:2025-W18"]


def test_pulse_is_sent_without_the_chart_when_the_upload_is_refused(store: Store, backend_settings: Settings) -> None:
    with FilesSlackServer(channels={"C0MODELS": "models"}) as slack:
        settings = backend_settings.model_copy(
            update={
                "slack_bot_token": SecretStr("xoxb-test-token"),
                "slack_channel": "C0MODELS",
                "slack_api_url": slack.api_url,
                "slack_min_interval_s": 0.0,
            }
        )
        slack.fail_next("files.getUploadURLExternal", error="missing_scope")
        now = _utc(2025, 5, 5, 9)
        run = pulse_mod.create_pulse_deliveries(
            store, settings=settings, watchlist=load_watchlist(), week="2025-W18", now=now
        )
        outcome = deliver_one(store, run.delivery_ids[0], settings=settings, clock=lambda: now)
        assert outcome.sent
        with store.transaction() as session:
            row = session.get(Delivery, run.delivery_ids[0])
            assert row.status == "sent" and "missing_scope" in row.external_ref["chart_error"]
        assert "0 open-weight releases" in render_text(slack.top_level("C0MODELS")[0]["blocks"])


# --------------------------------------------------------------------------- quiet and burst


def _replay_with_checks(
    store: Store,
    settings: Settings,
    watchlist: Watchlist,
    *,
    start: datetime,
    until: datetime,
    step: timedelta,
    notifier: RecordingNotifier,
) -> list[datetime]:
    """Baseline at ``start``; then every ``step``: poll, check twice, dispatch and deliver twice."""
    checks = []
    with ReplayServer(now=start) as hub:
        settings = settings.model_copy(update={"hf_endpoint": hub.hf_endpoint, "arxiv_endpoint": hub.arxiv_endpoint})
        poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        while hub.now() < until:
            now = hub.set_now(hub.now() + step)
            poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
            for _ in range(2):  # the hourly task and a manual `tracker cadence-check` at the same moment
                run_check(store, settings=settings, now=now)
                process_outbox(
                    store,
                    settings=settings,
                    watchlist=watchlist,
                    notifier_for=lambda ch: notifier,
                    clock=lambda now=now: now,
                )
            checks.append(now)
    return checks


def test_quiet_alert_fires_once_per_silence_spell_and_the_next_release_says_how_long(
    store: Store, backend_settings: Settings
) -> None:
    # NVIDIA: Nemotron 70B (2024-10), the Llama-Nemotron v1 launch (Nano + Super, 2025-03-18), Ultra
    # 253B public 2025-04-07, then nothing until OpenReasoning-Nemotron on 2025-07-18. With only three
    # releases on record the default rules (4+ releases) call NVIDIA "new"; this case uses k = 1 and
    # a 3-release minimum so that the corpus's own silence is long enough to alert.
    notifier = RecordingNotifier()
    settings = backend_settings.model_copy(update={"quiet_min_releases": 3, "quiet_factor_k": 1.0})
    checks = _replay_with_checks(
        store,
        settings,
        _only("nvidia"),
        start=_utc(2025, 3, 20),
        until=_utc(2025, 7, 28),
        step=timedelta(days=4),
        notifier=notifier,
    )
    quiet = _events(store, "lab_quiet")
    assert len(quiet) == 1, [e.dedupe_key for e in quiet]
    with store.transaction() as session:
        releases = list(session.scalars(select(Release).where(Release.kind == "model").order_by(Release.released_at)))
    before = [r for r in releases if r.released_at < _utc(2025, 7, 1)]
    assert [r.title for r in before][-1] == "Llama-3_1-Nemotron-Ultra-v1"  # the Ultra 253B launch
    last = before[-1]
    gaps = sorted((b.released_at - a.released_at).total_seconds() / 86400 for a, b in itertools.pairwise(before))
    assert len(before) == 3 and len(gaps) == 2
    threshold = 1 * max((gaps[0] + gaps[1]) / 2, 7.0)  # k x median gap (2 gaps: their mean)
    assert 85 < threshold < 90  # (154 + 21) / 2 days
    first_quiet_check = next(t for t in checks if (t - last.released_at).total_seconds() / 86400 > threshold)
    event = quiet[0]
    assert event.dedupe_key == f"quiet:nvidia:{last.id}"
    assert event.created_at == first_quiet_check
    assert event.payload["last_release"]["title"] == "Llama-3_1-Nemotron-Ultra-v1"
    assert event.payload["quiet_after_days"] == pytest.approx(threshold, abs=0.01)
    with store.transaction() as session:
        message = build_alert(session=session, event=session.get(Event, event.id))
    assert message.headline.startswith("Cadence · NVIDIA (Nemotron) · quiet for ")

    # the release that ends the silence says how long it was; the next one (on cadence) does not
    detected = {e.payload["title"]: e for e in _events(store, "release_detected")}
    breaker = detected["OpenReasoning-Nemotron"]
    silent = breaker.payload["silent_for_days"]
    spell = next(r for r in releases if r.title == "OpenReasoning-Nemotron").released_at - last.released_at
    assert silent == pytest.approx(spell.total_seconds() / 86400, abs=0.1) and 100 <= silent <= 104
    assert detected["Llama-3_3-Nemotron-Super-v1_5"].payload["silent_for_days"] is None
    with store.transaction() as session:
        shown = build_alert(session=session, event=session.get(Event, breaker.id))
    assert shown.silent_for_days == silent and f"first release in {silent:.0f} days" in shown.headline

    # delivered once, although the check and the outbox ran twice at every step
    cadence_sends = [o for o in notifier.sent if o.message is not None and o.message.event == "lab_quiet"]
    assert len(cadence_sends) == 1 and max(notifier.counts().values()) == 1


def test_burst_alert_fires_once_per_week(store: Store, backend_settings: Settings) -> None:
    # Qwen, 2025-09-22..26: Qwen3-Omni and Qwen-Image-Edit-2509 (Sep 22), Qwen3-VL (Sep 23), Qwen3Guard (Sep 26).
    notifier = RecordingNotifier()
    checks = _replay_with_checks(
        store,
        backend_settings,
        _only("qwen"),
        start=_utc(2025, 9, 15),
        until=_utc(2025, 10, 6),
        step=timedelta(days=1),
        notifier=notifier,
    )
    bursts = _events(store, "lab_burst")
    assert [e.dedupe_key for e in bursts] == ["burst:qwen:2025-W39"]
    event = bursts[0]
    assert event.created_at == _utc(2025, 9, 24)  # the third launch in 7 days was first seen that day
    assert [w["title"] for w in event.payload["window"]] == ["Qwen3-Omni", "Qwen-Image-Edit-2509", "Qwen3-VL"]
    # still >= 3 in the 7 days up to Monday Sep 29 (ISO week 40): the same burst, no second alert
    with store.transaction() as session:
        from tracker.analytics.status import lab_statuses

        assert lab_statuses(session=session, now=_utc(2025, 9, 29), rules=CadenceRules())["qwen"].status == "bursting"
    assert _utc(2025, 9, 29) in checks
    sends = [o for o in notifier.sent if o.message is not None and o.message.event == "lab_burst"]
    assert len(sends) == 1 and sends[0].message.title == "3 releases in 7 days"


# --------------------------------------------------------------------------- CLI and API


def test_cadence_cli_and_api_include_statuses(store: Store, backend_settings: Settings) -> None:
    from tracker.api import create_app

    # NVIDIA has three releases on record by June (Oct 2024, the v1 launch on Mar 18, Ultra created
    # Apr 6): rules of k = 0.5 and a 3-release minimum make its 72-day silence "quiet".
    rules_env = {"TRACKER_QUIET_FACTOR_K": "0.5", "TRACKER_QUIET_MIN_RELEASES": "3"}
    settings = backend_settings.model_copy(update={"quiet_factor_k": 0.5, "quiet_min_releases": 3})
    notifier = RecordingNotifier()
    _replay_with_checks(
        store,
        settings,
        _only("qwen", "nvidia"),
        start=_utc(2025, 6, 1),
        until=_utc(2025, 6, 17),
        step=timedelta(days=8),
        notifier=notifier,
    )
    with TestClient(create_app(settings, store=store)) as client:
        body = client.get("/stats/cadence", params={"as_of": "2025-06-17T00:00:00Z"}).json()
        by_lab = {item["lab"]: item for item in body["labs"]}
        assert (
            by_lab["nvidia"]["status"] == "quiet" and 40 < by_lab["nvidia"]["quiet_after_days"] < 48
        )  # 0.5 x median of 2 gaps
        assert by_lab["qwen"]["status"] == "on_cadence" and by_lab["qwen"]["releases_7d"] == 0
        csv = client.get("/stats/cadence", params={"as_of": "2025-06-17T00:00:00Z", "format": "csv"}).text
        assert csv.splitlines()[0].endswith(",status") and "quiet" in csv
    if backend_settings.database_url is None:  # the CLI reads the SQLite file of TRACKER_DATA_DIR
        from tests.integration.test_cli import run_tracker

        result = run_tracker(
            ["cadence", "--as-of", "2025-06-17T00:00:00Z"],
            {"TRACKER_DATA_DIR": str(backend_settings.data_dir), **rules_env},
        )
        assert result.returncode == 0, result.stderr
        rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.count("│") > 3}
        assert rows["nvidia"].rstrip(" │").endswith("quiet") and rows["qwen"].rstrip(" │").endswith("on cadence")
        pulse = run_tracker(
            ["pulse", "--week", "2025-W24", "--as-of", "2025-06-17T00:00:00Z"],
            {"TRACKER_DATA_DIR": str(backend_settings.data_dir), **rules_env},
        )
        assert pulse.returncode == 0, pulse.stderr
        assert "Weekly pulse · 2025-W24" in pulse.stdout and "Quiet: NVIDIA" in pulse.stdout


def _lab_with_old_silence(session, *, baseline_at):  # type: ignore[no-untyped-def]
    """A lab that shipped every 10 days and then went silent 200 days before 2025-09-01."""
    from tracker.store.models import Lab, Release, SourceState

    lab = Lab(slug="silentlab", name="Silent Lab", country="CN")
    session.add(lab)
    session.flush()
    last = datetime(2025, 2, 13, tzinfo=UTC)
    for i in range(6):
        at = last - timedelta(days=10 * i)
        session.add(
            Release(
                lab_id=lab.id,
                family=f"f{i}",
                title=f"F{i}",
                kind="model",
                url="u",
                released_at=at,
                first_seen_at=at,
                baseline=True,
            )
        )
    session.add(
        SourceState(source="hf", lab_slug="silentlab", baseline_at=baseline_at, consecutive_failures=0, cursor={})
    )
    session.flush()


def test_a_silence_older_than_tracker_itself_is_not_alerted(store: Store) -> None:
    now = datetime(2025, 9, 1, tzinfo=UTC)
    with store.transaction() as session:
        _lab_with_old_silence(session, baseline_at=now - timedelta(days=1))  # fresh install
        summary = check_cadence(session=session, now=now, rules=CadenceRules())
    assert summary.statuses["silentlab"].status == "quiet"
    assert summary.quiet == [], "a fresh install must not announce silences its baseline already shows"


def test_a_silence_that_began_while_watching_is_alerted(store: Store) -> None:
    now = datetime(2025, 9, 1, tzinfo=UTC)
    with store.transaction() as session:
        _lab_with_old_silence(session, baseline_at=datetime(2025, 1, 1, tzinfo=UTC))
        summary = check_cadence(session=session, now=now, rules=CadenceRules())
    assert len(summary.quiet) == 1 and summary.quiet[0].startswith("quiet:silentlab:")


def test_the_pulse_names_recent_releases_with_their_relative_adoption(store: Store) -> None:
    from tracker.notify.slack.pulse_blocks import pulse_content

    now = _utc(2025, 5, 5)  # the pulse of 2025-W18 (Apr 28 - May 4), complete
    with store.transaction() as session:
        fresh = add_adoption_history(session, add_lab(session), released_at=_utc(2025, 4, 25), age_days=10.0)
        meta = add_lab(session, "meta", name="Meta", country="US")
        lonely = add_release(session, meta, "Lonely-8B", repos=("meta/Lonely-8B",), at=_utc(2025, 4, 30))
        add_snapshot(session, lonely.artifacts[0], _utc(2025, 5, 4), all_time=5000)  # no peers of its size
        old = add_release(session, meta, "Old-70B", repos=("meta/Old-70B",), at=_utc(2025, 3, 1))
        add_snapshot(session, old.artifacts[0], _utc(2025, 3, 11), all_time=900)  # too old to be named; a peer
        fresh_title = fresh.title
    with store.transaction() as session:
        pulse = pulse_mod.build_pulse(session=session, week="2025-W18", tz=UTC_ZONE, now=now, rules=CadenceRules())

    line = (
        "Adopted 3.2× faster than a typical 10–100B release (downloads at 10 days, "
        "against the median of 4 earlier 10–100B releases at the same age)"  # Old-70B is a peer too
    )
    assert [(a.title, a.ratio, a.sentence) for a in pulse.adoption] == [(fresh_title, 3.2, line)]
    assert pulse.to_dict()["adoption"][0]["sentence"] == line
    shown = render_text(pulse_content(pulse).blocks)
    assert "Adoption" in shown and f"{fresh_title}: {line}" in shown and "Lonely-8B:" not in shown
