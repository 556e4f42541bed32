"""Lab cadence on hand-computed examples: statuses, dedupe keys, pulse weeks in time zones, the pulse
schedule, alert content and the pulse Block Kit (escaping and limits)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tracker.analytics.status import CadenceRules, LabStatus, Status, quiet_threshold_days, status_of
from tracker.briefings.cadence_alerts import burst_key
from tracker.briefings.pulse import due_pulse_week, parse_week, week_bounds
from tracker.config import Settings
from tracker.errors import ConfigError
from tracker.notify.content import AdoptionLine, CountryWeek, LabWeek, Pulse
from tracker.notify.slack.blocks import render_text
from tracker.notify.slack.mrkdwn import MAX_BLOCKS, SECTION_TEXT_MAX
from tracker.notify.slack.pulse_blocks import cadence_alert_content, pulse_content
from tracker.outbox.content import ALERT_EVENTS, build_cadence_message, build_message
from workers.schedule import build_schedule

RULES = CadenceRules()  # k = 3, min 4 releases, floor 7 days, burst 3 in 7 days
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def days(*offsets: float) -> list[datetime]:
    return [T0 + timedelta(days=d) for d in offsets]


def test_quiet_after_k_times_the_median_gap() -> None:
    # releases on days 0, 10, 20, 30: gaps 10, 10, 10 -> median 10 -> quiet after 3 x 10 = 30 days
    times = days(0, 10, 20, 30)
    assert status_of("lab", times, now=T0 + timedelta(days=59), rules=RULES).status == Status.ON_CADENCE
    at_threshold = status_of("lab", times, now=T0 + timedelta(days=60), rules=RULES)
    assert at_threshold.quiet_after_days == 30 and at_threshold.days_since_last == 30
    assert at_threshold.status == Status.ON_CADENCE  # strictly more than the threshold
    quiet = status_of("lab", times, now=T0 + timedelta(days=61), rules=RULES)
    assert quiet.status == Status.QUIET and quiet.days_since_last == 31
    # k is a setting: k = 2 -> quiet after 20 days
    assert status_of("lab", times, now=T0 + timedelta(days=51), rules=CadenceRules(quiet_factor_k=2)).status == "quiet"


def test_median_of_an_even_number_of_gaps_and_the_floor() -> None:
    # gaps 4, 6, 20, 30 -> median (6 + 20) / 2 = 13 -> 39 days
    assert status_of("l", days(0, 4, 10, 30, 60), now=T0 + timedelta(days=61), rules=RULES).quiet_after_days == 39
    # same-day launches: gaps 0, 0, 1 -> median 0 -> the floor: 3 x 7 = 21 days, not 0
    s = status_of("l", days(0, 0, 0, 1), now=T0 + timedelta(days=15), rules=RULES)
    assert s.median_gap_days == 0 and s.quiet_after_days == 21 and s.status == Status.ON_CADENCE
    assert status_of("l", days(0, 0, 0, 1), now=T0 + timedelta(days=23), rules=RULES).status == Status.QUIET
    assert quiet_threshold_days(0.0, 4, RULES) == 21
    assert quiet_threshold_days(None, 1, RULES) is None


def test_new_labs_never_trigger() -> None:
    three = days(0, 10, 20)
    s = status_of("new", three, now=T0 + timedelta(days=1000), rules=RULES)
    assert s.status == Status.NEW and s.quiet_after_days is None
    assert status_of("none", [], now=T0, rules=RULES).status == Status.NEW
    assert (
        status_of("new", three, now=T0 + timedelta(days=1000), rules=CadenceRules(quiet_min_releases=3)).status
        == Status.QUIET
    )


def test_bursting_is_three_releases_in_the_last_seven_days() -> None:
    now = T0 + timedelta(days=30)
    # days 23 (exactly 7 days before now: outside the window), 24, 26, 29
    times = days(0, 10, 23, 24, 26)
    assert status_of("q", times, now=now, rules=RULES).status == Status.ON_CADENCE  # only 24, 26 inside
    burst = status_of("q", [*times, T0 + timedelta(days=29)], now=now, rules=RULES)
    assert burst.status == Status.BURSTING and burst.releases_7d == 3
    assert burst.first_in_window_at == T0 + timedelta(days=24)
    assert (
        status_of("q", [*times, T0 + timedelta(days=29)], now=now, rules=CadenceRules(burst_min_releases=4)).status
        == Status.ON_CADENCE
    )
    # a new lab that bursts is bursting (bursting wins over "new")
    assert status_of("n", days(1, 2, 3), now=T0 + timedelta(days=4), rules=RULES).status == Status.BURSTING


def test_dedupe_keys_name_the_spell_and_the_burst_week() -> None:
    # 2025-09-28 is the Sunday of ISO week 39; 2025-09-29 the Monday of week 40
    assert burst_key("qwen", datetime(2025, 9, 28, 23, tzinfo=UTC)) == "burst:qwen:2025-W39"
    assert burst_key("qwen", datetime(2025, 9, 29, tzinfo=UTC)) == "burst:qwen:2025-W40"
    assert burst_key("x", datetime(2024, 12, 30, tzinfo=UTC)) == "burst:x:2025-W01"


def test_week_bounds_in_a_time_zone() -> None:
    utc = week_bounds("2025-W18", ZoneInfo("UTC"))
    assert utc == (datetime(2025, 4, 28, tzinfo=UTC), datetime(2025, 5, 5, tzinfo=UTC))
    shanghai = week_bounds("2025-W18", ZoneInfo("Asia/Shanghai"))  # UTC+8
    assert shanghai[0] == datetime(2025, 4, 27, 16, tzinfo=UTC)
    la = week_bounds("2025-W18", ZoneInfo("America/Los_Angeles"))  # PDT, UTC-7
    assert la == (datetime(2025, 4, 28, 7, tzinfo=UTC), datetime(2025, 5, 5, 7, tzinfo=UTC))
    # Paris switches to summer time on Sunday 2025-03-30: week 13 is one hour short
    paris = week_bounds("2025-W13", ZoneInfo("Europe/Paris"))
    assert paris == (datetime(2025, 3, 23, 23, tzinfo=UTC), datetime(2025, 3, 30, 22, tzinfo=UTC))
    with pytest.raises(ConfigError):
        parse_week("2025-18")
    with pytest.raises(ConfigError):
        parse_week("2025-W53")  # 2025 has 52 ISO weeks


def test_due_pulse_week_and_catch_up_window() -> None:
    utc = ZoneInfo("UTC")
    monday = datetime(2025, 5, 5, 9, tzinfo=UTC)
    assert due_pulse_week(monday, weekday=0, hour=9, tz=utc) == "2025-W18"
    assert due_pulse_week(monday + timedelta(hours=23), weekday=0, hour=9, tz=utc) == "2025-W18"
    assert due_pulse_week(monday + timedelta(hours=25), weekday=0, hour=9, tz=utc) is None
    assert due_pulse_week(monday - timedelta(minutes=1), weekday=0, hour=9, tz=utc) is None  # last moment > 1 day ago
    # Friday 17:00 in Shanghai covers the week in progress (the day before is Thursday)
    friday = datetime(2025, 5, 2, 9, 30, tzinfo=UTC)  # 17:30 in Shanghai
    assert due_pulse_week(friday, weekday=4, hour=17, tz=ZoneInfo("Asia/Shanghai")) == "2025-W18"


def test_schedule_has_the_pulse_crontab_and_the_cadence_check() -> None:
    from tracker.watchlist import load_watchlist

    settings = Settings(_env_file=None, pulse_weekday=4, pulse_hour=17, pulse_timezone="Asia/Shanghai")
    schedule = build_schedule(settings, load_watchlist())
    pulse = schedule["pulse:weekly"]
    assert pulse["task"] == "tracker.pulse.send"
    cron = pulse["schedule"]
    assert cron.hour == {17} and cron.day_of_week == {5} and cron.tz_name == "Asia/Shanghai"  # Friday
    assert schedule["cadence:check"]["task"] == "tracker.cadence.check"
    off = build_schedule(Settings(_env_file=None, pulse_enabled=False), load_watchlist())
    assert "pulse:weekly" not in off and "cadence:check" in off
    with pytest.raises(ValueError, match="unknown IANA time zone"):
        Settings(_env_file=None, pulse_timezone="Mars/Olympus")


def test_quiet_and_burst_alert_content() -> None:
    from tracker.domain import EventType

    assert EventType.LAB_QUIET in ALERT_EVENTS and EventType.LAB_BURST in ALERT_EVENTS
    quiet = build_cadence_message(
        7,
        "lab_quiet",
        {
            "lab": "nvidia",
            "lab_name": "NVIDIA <!channel>",
            "country": "US",
            "kind": "model",
            "releases": 4,
            "median_gap_days": 21.33,
            "days_since_last": 66.0,
            "quiet_after_days": 63.98,
            "quiet_factor_k": 3.0,
            "last_release": {"id": 4, "title": "Llama-3_1-Nemotron-v1", "released_at": "2025-04-09T00:00:00+00:00"},
        },
    )
    assert quiet.headline == "Cadence · NVIDIA <!channel> · quiet for 66 days"
    assert quiet.facts[0] == "last release: Llama-3_1-Nemotron-v1 on 2025-04-09"
    content = cadence_alert_content(quiet)
    shown = render_text(content.blocks)
    assert "[PING" not in shown and "<!channel>" not in str(content.blocks)  # escaped, never a mention
    assert "usually ships every 21.3 days (median gap); quiet after 64 days (3 × the median gap)" in shown
    burst = build_cadence_message(
        8,
        "lab_burst",
        {
            "lab": "qwen",
            "lab_name": "Qwen",
            "country": "CN",
            "releases_7d": 3,
            "median_gap_days": 15.0,
            "week": "2025-W39",
            "window": [{"title": "Qwen3-Omni", "released_at": "2025-09-23T00:00:00+00:00"}],
        },
    )
    assert burst.title == "3 releases in 7 days" and "Qwen3-Omni (2025-09-23)" in burst.facts[0]


def test_release_payload_silent_for_days_shows_in_the_alert() -> None:
    payload = {
        "lab": "nvidia",
        "lab_name": "NVIDIA",
        "title": "OpenReasoning-Nemotron",
        "artifact": {"name": "nvidia/OpenReasoning-Nemotron-32B"},
        "silent_for_days": 102.0,
    }
    message = build_message(1, "release_detected", payload)
    assert message.silent_for_days == 102.0 and "first release in 102 days" in message.facts
    assert message.headline.endswith("· first release in 102 days")
    assert build_message(1, "release_detected", {**payload, "silent_for_days": None}).silent_for_days is None


def _pulse(labs: int = 3, name: str = "Qwen") -> Pulse:
    start, end = week_bounds("2025-W18", ZoneInfo("UTC"))
    weeks = tuple(
        LabWeek(f"lab{i}", f"{name} {i} (Alibaba)", "CN", 2, (f"Model-{i}", f"Model-{i}-VL")) for i in range(labs)
    )
    statuses = (
        LabStatus("lab0", Status.BURSTING, end, 9, end, 1.0, 10.0, 30.0, 3),
        LabStatus("lab1", Status.QUIET, end, 9, start, 40.0, 10.0, 30.0, 0),
        LabStatus("lab2", Status.NEW, end, 1, start, 7.0, None, None, 0),
    )
    return Pulse(
        week="2025-W18",
        timezone="UTC",
        start=start,
        end=end,
        as_of=end,
        total=2 * labs,
        labs=weeks,
        countries=(CountryWeek("CN", 2 * labs, 1.0, 6, 0.6), CountryWeek("US", 0, 0.0, 4, 0.4)),
        statuses=statuses,
        lab_names={"lab0": "Qwen (Alibaba)", "lab1": "NVIDIA", "lab2": "New Lab"},
        trailing_total=10,
    )


def test_pulse_blocks_read_right() -> None:
    content = pulse_content(_pulse(), dashboard_url="https://tracker.example.org")
    shown = render_text(content.blocks)
    assert "6 open-weight releases from 3 labs, Apr 28 – May 4, 2025 (UTC)" in shown
    assert "🇨🇳 CN 6 · 100% (trailing average 60%, +40 pts)" in shown
    assert "🇺🇸 US 0 (trailing average 40%, −40 pts)" in shown
    assert "• Qwen 0 🇨🇳 2: Model-0, Model-0-VL" in shown
    assert ":fire: Bursting: Qwen (3 releases in 7 days)" in shown
    assert ":zzz: Quiet: NVIDIA (40 days silent, usually every 10)" in shown
    assert "New (too little history to judge): New Lab" in shown
    assert "Adoption" not in shown  # no release with a ratio: no section, no number
    assert content.text == "Weekly pulse 2025-W18: 6 releases from 3 labs (CN 6)"


def test_pulse_blocks_escape_and_stay_within_limits() -> None:
    content = pulse_content(_pulse(labs=400, name="<!channel> & <https://evil|x>"))
    assert len(content.blocks) <= MAX_BLOCKS
    for block in content.blocks:
        text = (block.get("text") or {}).get("text", "")
        assert len(text) <= SECTION_TEXT_MAX
    dumped = str(content.blocks)
    assert "<!channel>" not in dumped and "<https://evil" not in dumped
    shown = render_text(content.blocks)
    assert "[PING" not in shown and "more" in shown  # the lab list was cut with "… and N more"


def test_pulse_adoption_lines_are_escaped() -> None:
    line = AdoptionLine("<!channel> Lab", "Model <b>", 3.2, "Adopted 3.2× faster than a typical 10–100B release")
    pulse = _pulse()
    content = pulse_content(
        Pulse(**{**{f: getattr(pulse, f) for f in pulse.__dataclass_fields__}, "adoption": (line,)})
    )
    shown = render_text(content.blocks)
    assert "Model <b>: Adopted 3.2× faster than a typical 10–100B release" in shown
    assert "<!channel>" not in str(content.blocks) and "&lt;b&gt;" in str(content.blocks)
