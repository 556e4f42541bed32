"""``tracker radar`` and ``tracker radar adopt`` on the replay hub: adopt, then a silent baseline, then alerts."""

from __future__ import annotations

import json
import tomllib
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from tests.integration.test_cli import run_tracker
from tests.integration.test_radar_replay import LAUNCH, radar_settings, run_until
from tracker.config import Settings
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.models import RadarCandidate
from tracker.watchlist import load_watchlist

USER_FILE = '# my labs\n[[labs]]\nslug = "qwen"\nname = "Qwen"\ncountry = "CN"\nhf_orgs = ["Qwen"]\n'


def _env(settings: Settings, hub: ReplayServer, watchlist: Path | None) -> dict[str, str]:
    env = {"TRACKER_DATA_DIR": str(settings.data_dir), "TRACKER_HF_ENDPOINT": hub.hf_endpoint}
    if watchlist is not None:
        env["TRACKER_WATCHLIST"] = str(watchlist)
    return env


def test_adopt_writes_the_user_file_then_baseline_then_the_next_launch_alerts(
    tmp_path: Path, settings: Settings
) -> None:
    user = tmp_path / "watchlist.toml"
    user.write_text(USER_FILE, encoding="utf-8")
    with ReplayServer(now=LAUNCH - timedelta(hours=6)) as hub:
        s = radar_settings(settings, hub)
        store = Store.open(s)
        watchlist = load_watchlist(user)
        run_until(s, store, watchlist, hub, LAUNCH + timedelta(days=1), step_h=6)

        shown = run_tracker(["radar", "--json"], _env(s, hub, user))
        assert shown.returncode == 0, shown.stderr
        rows = {r["org"]: r for r in json.loads(shown.stdout)}
        assert rows["XiaomiMiMo"]["score"] >= s.radar.alert_score and rows["XiaomiMiMo"]["reasons"]
        table = run_tracker(["radar"], _env(s, hub, user))
        assert "XiaomiMiMo" in table.stdout and "trending" in table.stdout

        refused = run_tracker(
            ["radar", "adopt", "XiaomiMiMo", "--lab", "xiaomi", "--country", "CN"], _env(s, hub, None)
        )
        assert refused.returncode != 0 and "TRACKER_WATCHLIST" in refused.stderr
        taken = run_tracker(["radar", "adopt", "XiaomiMiMo", "--lab", "qwen", "--country", "CN"], _env(s, hub, user))
        assert taken.returncode != 0 and "already" in taken.stderr
        done = run_tracker(["radar", "adopt", "xiaomimimo", "--lab", "xiaomi", "--country", "cn"], _env(s, hub, user))
        assert done.returncode == 0, done.stderr
        text = user.read_text(encoding="utf-8")
        assert text.startswith(USER_FILE), "the user's file is appended to, its comments kept"
        labs = {lab["slug"]: lab for lab in tomllib.loads(text)["labs"]}
        assert labs["xiaomi"]["hf_orgs"] == ["XiaomiMiMo"] and labs["xiaomi"]["country"] == "CN"
        with store.transaction() as session:
            row = session.scalars(select(RadarCandidate).where(RadarCandidate.org_key == "xiaomimimo")).one()
            assert row.status == "adopted" and row.country == "CN"

        adopted = load_watchlist(user)
        hub.set_now(LAUNCH + timedelta(days=2))
        first = poll_once(s, store, adopted, labs=["xiaomi"], clock=hub.clock.now)
        assert first[0].baseline and first[0].new_artifacts >= 4 and not first[0].detections, "no alert storm"
        hub.set_now(LAUNCH + timedelta(days=30))
        later = poll_once(s, store, adopted, labs=["xiaomi"], clock=hub.clock.now)
        assert later[0].detections, "the next launch (MiMo-VL) is alerted"
        assert all("MiMo-VL" in d.artifact or "0530" in d.artifact for d in later[0].detections)

        run_until(s, store, adopted, hub, hub.clock.now(), step_h=1)
        with store.transaction() as session:
            row = session.scalars(select(RadarCandidate).where(RadarCandidate.org_key == "xiaomimimo")).one()
            assert row.status == "adopted", "a watched org stays adopted, never a candidate again"


def _candidate(store: Store, org: str) -> None:
    now = LAUNCH
    with store.transaction() as session:
        session.add(
            RadarCandidate(
                org=org,
                org_key=org.lower(),
                score=70.0,
                reasons=[],
                first_seen_at=now,
                last_seen_at=now,
                repos=3,
                derivatives=0,
                status="candidate",
                updated_at=now,
            )
        )


def test_adopt_creates_a_missing_user_file_extending_the_default_and_refuses_bad_input(
    tmp_path: Path, store: Store
) -> None:
    from importlib import resources

    from tracker.errors import ConfigError
    from tracker.radar.adopt import adopt_org

    _candidate(store, "NewLab-AI")
    target = tmp_path / "conf" / "watchlist.toml"
    packaged = Path(str(resources.files("tracker").joinpath("watchlist.toml")))
    before = packaged.read_text(encoding="utf-8")
    default = load_watchlist()

    def adopt(**kw: object) -> object:
        args = {
            "org": "newlab-ai",
            "slug": "newlab",
            "country": "SG",
            "name": None,
            "watchlist": default,
            "watchlist_path": target,
            "now": LAUNCH,
            **kw,
        }
        with store.transaction() as session:
            return adopt_org(session, **args)  # type: ignore[arg-type]

    for bad, message in (
        ({"watchlist_path": None}, "TRACKER_WATCHLIST"),
        ({"watchlist_path": packaged}, "packaged"),
        ({"org": "never-seen"}, "not on the radar"),
        ({"slug": "qwen"}, "already"),
        ({"slug": "Bad Slug"}, "slug"),
        ({"country": "Singapore"}, "country"),
    ):
        try:
            adopt(**bad)
        except ConfigError as exc:
            assert message in str(exc), (bad, exc)
        else:
            raise AssertionError(f"{bad} was accepted")
        assert not target.exists(), "a refused adoption writes nothing"
    done = adopt()
    assert done.created and target.read_text(encoding="utf-8").startswith('extends = "default"')
    loaded = load_watchlist(target)
    assert loaded.lab("newlab").hf_orgs == ("NewLab-AI",) and loaded.lab("newlab").country == "SG"
    assert len(loaded.labs) == len(default.labs) + 1, "the packaged labs stay"
    assert packaged.read_text(encoding="utf-8") == before
    assert not list(target.parent.glob(".watchlist-*")), "no temporary file left behind"
