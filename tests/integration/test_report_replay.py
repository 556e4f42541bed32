"""The monthly report on a replayed year equals an independent computation from the hub's answers.

The replay hub serves counters that grow over replayed time and third-party derivatives by
base-model filter (synthetic, ``tracker.replay.adoption``). Each month tracker polls and runs its
adoption step; the test meanwhile asks the hub itself, over plain HTTP, what it shows, and computes
the shares and crossovers its own simple way. The report must say the same.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import httpx
import pytest

from tests.factories import packaged
from tracker.adoption.cycle import adoption_once
from tracker.briefings.report import build_report
from tracker.config import Settings
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store

LABS = ("qwen", "deepseek", "meta", "google", "openai", "mistral")
STEPS = [datetime(2024, 12, 28, tzinfo=UTC)] + [datetime(2025, m, 28, tzinfo=UTC) for m in range(1, 13)]
MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


class Independent:
    """What the hub showed, month by month, in the test's own bookkeeping."""

    def __init__(self, hub: ReplayServer, orgs: dict[str, str]) -> None:
        self.hub, self.orgs = hub, orgs  # org (as the watchlist spells it) -> country
        self.http = httpx.Client(base_url=hub.url)
        self.monthly: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.all_time: dict[str, tuple[str, int]] = {}  # repo _id -> (country, last all-time)
        self.cumulative: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.derivatives: dict[str, tuple[str, str]] = {}  # repo id -> (country, createdAt month)

    def _get(self, **params: object) -> list[dict]:
        return self.http.get("/api/models", params={"limit": 1000, **params}).json()

    def observe(self, month: str) -> None:
        """Counters as the hub shows them now (no repo of these labs is ever deleted or renamed)."""
        for org, country in self.orgs.items():
            for it in self._get(author=org, **{"expand[]": ["downloads", "downloadsAllTime"]}):
                self.monthly[month][country] += it["downloads"]
                self.all_time[it["_id"]] = (country, it["downloadsAllTime"])
        for country, value in self.all_time.values():
            self.cumulative[month][country] += value

    def observe_derivatives(self) -> None:
        """Every repo naming a watched repo as its base, from another org than the base's own."""
        for org, country in self.orgs.items():
            for it in self._get(author=org):
                for d in self._get(filter=f"base_model:{it['id']}", **{"expand[]": ["author", "createdAt"]}):
                    if d["author"].lower() != org.lower():
                        self.derivatives.setdefault(d["id"].lower(), (country, d["createdAt"][:7]))

    def derivative_counts(self, month: str) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for country, created in self.derivatives.values():
            if created == month:
                out[country] += 1
        return out


def _share(values: dict[str, int]) -> dict[str, float]:
    total = sum(values.values())
    return {k: v / total for k, v in values.items() if total}


def _first_pass(series: dict[str, dict[str, int]], a: str, b: str) -> str | None:
    was_behind = False
    for m in MONTHS:
        va, vb = series[m].get(a, 0), series[m].get(b, 0)
        if va > vb and was_behind:
            return m
        if vb > 0 and va <= vb:
            was_behind = True
    return None


@pytest.mark.timeout(900)
@pytest.mark.parametrize("backend_settings", ["sqlite"], indirect=True)
def test_report_shares_and_crossover_equal_an_independent_computation(store: Store, backend_settings: Settings) -> None:
    watchlist = packaged(*LABS)
    orgs = {org: lab.country for lab in watchlist.labs for org in lab.hf_orgs}
    with ReplayServer(now=STEPS[0]) as hub:
        settings = backend_settings.model_copy(update={"hf_endpoint": hub.hf_endpoint, "sources": "hf"}, deep=True)
        settings.adoption.requests_per_cycle = 10_000
        settings.adoption.window_days = 3650.0
        settings.adoption.rescan_s = 3600.0
        independent = Independent(hub, orgs)
        for step in STEPS:
            hub.set_now(step)
            poll_once(settings, store, watchlist, clock=hub.clock.now)
            report = adoption_once(settings, store, clock=hub.clock.now)
            assert not report.failures and report.deferred == 0
            independent.observe(step.strftime("%Y-%m"))
        independent.observe_derivatives()
        with store.transaction() as session:
            built = build_report(session, "2025-12", now=datetime(2026, 1, 2, tzinfo=UTC))

    month = "2025-12"
    assert built["downloads"]["months"] == MONTHS
    assert built["downloads"]["share_monthly"] == pytest.approx(_share(independent.monthly[month]))
    assert built["downloads"]["share_cumulative"] == pytest.approx(_share(independent.cumulative[month]))
    for m in MONTHS:
        assert {c: v[m] for c, v in built["downloads"]["monthly_by_country"].items() if v[m]} == {
            c: v for c, v in independent.monthly[m].items() if v
        }, m
    for m in MONTHS:
        assert built["derivatives"]["counts_by_country"][m] == dict(independent.derivative_counts(m)), m
    assert built["derivatives"]["share_by_country"] == pytest.approx(_share(independent.derivative_counts(month)))
    crossed = {(c["series"], c["country"], c["passed"]): c["month"] for c in built["downloads"]["crossovers"]}
    for kind, series in (("monthly", independent.monthly), ("cumulative", independent.cumulative)):
        for a, b in (("CN", "US"), ("US", "CN")):
            assert crossed.get((kind, a, b)) == _first_pass(series, a, b), (kind, a, b)
    assert any(c["month"] for c in built["downloads"]["crossovers"]), "the replayed year has a crossover to find"
