"""The adoption settings: derivative counting on the Hub and the monthly report.

Durations are seconds unless the name says days. The request budget is per adoption cycle and is
spent only by the adoption step, after release polling: it never delays or replaces a listing.
"""

from __future__ import annotations

from tracker.config.fields import SettingsGroup, setting


class AdoptionSettings(SettingsGroup):
    """adoption and the monthly report"""

    enabled: bool = setting(
        True, env="adoption_enabled", doc="Count derivatives and all-time downloads of recent releases on the Hub."
    )
    window_days: float = setting(
        90.0, env="adoption_window_days", gt=0, doc="Days: releases this recent get their derivatives counted."
    )
    requests_per_cycle: int = setting(
        20,
        env="adoption_requests_per_cycle",
        ge=0,
        doc=(
            "Hub requests one adoption cycle may spend (derivative listings and all-time download listings); "
            "release polling never counts against it."
        ),
    )
    interval: float = setting(
        3600.0, env="adoption_interval", gt=0, doc="Seconds between two adoption cycles (beat schedule)."
    )
    rescan_s: float = setting(
        21_600.0,
        env="adoption_rescan_s",
        gt=0,
        doc="Seconds before one base model's derivatives are listed again (oldest scanned first).",
    )
    max_pages: int = setting(
        3, env="adoption_max_pages", ge=1, le=100, doc="Listing pages read per base model and scan (1000 items a page)."
    )
    report_day: int = setting(
        1, env="report_day", ge=1, le=28, doc="Day of the month the report of the previous month is emailed."
    )
