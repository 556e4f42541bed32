"""The settings groups of release rules: how a launch is grouped, and how papers join launches.

Durations are in the unit their name says (hours, days, seconds). Every one of these rules is
described with its evidence in the README ("How releases are grouped and scored").
"""

from __future__ import annotations

from tracker.config.fields import SettingsGroup, setting


class GroupingSettings(SettingsGroup):
    """grouping of launches"""

    wave_gap_hours: float = setting(
        48.0,
        env="wave_gap_hours",
        gt=0,
        doc=(
            "Hours after a release went public within which repos of its family join it as variants; "
            "later ones form a new wave: a release of their own, linked to the family and announced."
        ),
    )
    launch_window_hours: float = setting(
        6.0,
        env="launch_window_hours",
        ge=0,
        doc=(
            "Hours within which repos of different names join one launch when another signal says so: a "
            "shared arXiv id no older release cites, a base_model link to the launch, or one name extending "
            "the other with the same revision."
        ),
    )
    move_min_age_days: float = setting(
        90.0,
        env="move_min_age_days",
        gt=0,
        doc=(
            "A repo new to a watched org but created more than this many days before tracker first saw it, "
            "with public traction (likes or downloads), moved in from another org: history, not news."
        ),
    )
    withdrawal_grace_s: float = setting(
        3600.0,
        env="withdrawal_grace_s",
        ge=0,
        doc=(
            "Seconds a release must stay fully withdrawn before its alert is edited to say so; a repo "
            "restored within it changes nothing visible."
        ),
    )


class PaperSettings(SettingsGroup):
    """papers and launches"""

    categories: str = setting(
        "cs.*,eess.*,stat.ML",
        env="arxiv_categories",
        doc=(
            "arXiv categories the watchlist's author and team queries are restricted to (comma-separated, "
            "cat: syntax): a namesake's physics paper never reaches attribution."
        ),
    )
    hold_s: float = setting(
        7200.0,
        env="paper_hold_s",
        ge=0,
        doc=(
            "Seconds a paper with no launch yet waits before it is announced on its own; weights that "
            "arrive meanwhile absorb it (one post for both)."
        ),
    )
    launch_before_days: float = setting(
        14.0,
        env="paper_launch_before_days",
        ge=0,
        doc="A paper published up to this many days before a launch's weights is that launch's report.",
    )
    launch_after_days: float = setting(
        60.0,
        env="paper_launch_after_days",
        ge=0,
        doc="A paper published up to this many days after a launch's weights is that launch's report.",
    )
    broadcast_after_days: float | None = setting(
        7.0,
        env="report_broadcast_after_days",
        ge=0,
        doc=(
            "A report joining its launch more than this many days after the weights is also broadcast to "
            "the channel (Slack reply_broadcast), not only replied in the launch's thread. Unset: never."
        ),
    )

    @property
    def category_list(self) -> tuple[str, ...]:
        """``categories`` as a tuple (``"cs.*, eess.*"`` -> ``("cs.*", "eess.*")``), in order."""
        return tuple(dict.fromkeys(c.strip() for c in self.categories.split(",") if c.strip()))
