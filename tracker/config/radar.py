"""The radar settings: discovery of emerging labs from the Hub's global listings.

Durations are seconds. The radar spends its own request budget, per cycle, on the global
listings (trending, newest, most liked) and on the relation tags of trending repos; release
polling of watched orgs never counts against it and never waits for it.
"""

from __future__ import annotations

from tracker.config.fields import SettingsGroup, setting


class RadarSettings(SettingsGroup):
    """radar: emerging labs not on the watchlist"""

    enabled: bool = setting(
        True, env="radar_enabled", doc="Watch the Hub's global listings for emerging labs outside the watchlist."
    )
    requests_per_cycle: int = setting(
        4,
        env="radar_requests_per_cycle",
        ge=0,
        le=50,
        doc="Hub requests one radar cycle may spend on global listings; release polling never counts against it.",
    )
    interval: float = setting(900.0, env="radar_interval", gt=0, doc="Seconds between two radar cycles (beat).")
    alert_score: float = setting(
        60.0,
        env="radar_alert_score",
        ge=0,
        le=100,
        doc="Score (0-100) at which a candidate lab is 'on the radar': listed in the pulse and digest, alerted once.",
    )
    alerts: bool = setting(
        False,
        env="radar_alerts",
        doc="Post one alert per org (Slack and the other alert channels) when a candidate crosses the alert score.",
    )
