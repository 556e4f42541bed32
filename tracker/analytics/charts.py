"""Charts of the cadence model (matplotlib, no pyplot, no display): PNG bytes or SVG text.

* ``cadence_chart``: releases per ISO week per lab over the cadence window, a heatmap with one row
  per lab (the count in each cell), or bars for a single lab.
* ``countries_chart``: share of releases by country per month, 100 % stacked bars with the month's
  total on top.

The same figure code produces both formats (``fmt="png"`` -> bytes, ``fmt="svg"`` -> str), so the
dashboard, the CLI (``tracker chart``) and the email digest draw identical charts. Figures are
built on ``matplotlib.figure.Figure`` directly (the Agg canvas), never through pyplot's global
state, so rendering is safe in API worker threads.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Literal, overload

from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from tracker.analytics import Cadence, MonthShare

ChartFormat = Literal["png", "svg"]
#: Fixed colours per country (others cycle through ``_OTHER_COLOURS``).
COUNTRY_COLOURS = {
    "CN": "#d62728",
    "US": "#1f77b4",
    "FR": "#2ca02c",
    "GB": "#9467bd",
    "DE": "#8c564b",
    "JP": "#e377c2",
    "KR": "#17becf",
    "AE": "#bcbd22",
    "CA": "#ff7f0e",
}
_OTHER_COLOURS = ("#7f7f7f", "#aec7e8", "#ffbb78", "#98df8a", "#c5b0d5")
_CMAP = LinearSegmentedColormap.from_list("cadence", ["#f4f6f8", "#9ecae1", "#2171b5", "#08306b"])
_DPI = 110


@overload
def render(fig: Figure, fmt: Literal["png"]) -> bytes: ...
@overload
def render(fig: Figure, fmt: Literal["svg"]) -> str: ...
def render(fig: Figure, fmt: ChartFormat) -> bytes | str:
    """Render ``fig`` as PNG bytes or SVG text (deterministic ids, no creation date).

    Raises:
        ValueError: an unknown format.
    """
    if fmt not in ("png", "svg"):
        raise ValueError(f"chart format must be png or svg, got {fmt!r}")
    buf = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "tracker", "svg.fonttype": "none"}):
        fig.savefig(buf, format=fmt, dpi=_DPI, bbox_inches="tight", metadata=metadata)
    data = buf.getvalue()
    return data.decode("utf-8") if fmt == "svg" else data


def cadence_figure(cadences: Sequence[Cadence], *, title: str | None = None) -> Figure:
    """Build the releases-per-ISO-week figure: a heatmap (labs x weeks) or, for one lab, bars.

    Args:
        cadences: from ``tracker.analytics.lab_cadences`` (same ``weeks`` each). Labs are drawn
            most active first (releases in the window), then by slug.
        title (str, optional): defaults to "Releases per ISO week".
    """
    title = title or "Releases per ISO week"
    weeks = [w.week for w in cadences[0].weekly] if cadences else []
    if len(cadences) == 1:
        c = cadences[0]
        fig = Figure(figsize=(max(4.0, 0.45 * len(weeks) + 1.5), 2.8))
        ax = fig.add_subplot()
        counts = [w.releases for w in c.weekly]
        bars = ax.bar(range(len(counts)), counts, color="#2171b5")
        ax.bar_label(bars, labels=[str(n) if n else "" for n in counts], fontsize=8)
        ax.set_xticks(range(len(weeks)), [w.split("-")[1] for w in weeks], fontsize=8, rotation=0)
        ax.set_ylabel("releases")
        ax.set_ylim(0, max([*counts, 1]) * 1.25)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_title(f"{title}: {c.lab}", loc="left", fontsize=11)
        return fig
    ordered = sorted(cadences, key=lambda c: (-sum(w.releases for w in c.weekly), c.lab))
    grid = [[w.releases for w in c.weekly] for c in ordered]
    fig = Figure(figsize=(max(5.0, 0.42 * len(weeks) + 2.2), max(1.8, 0.3 * len(ordered) + 1.2)))
    ax = fig.add_subplot()
    if not ordered:
        ax.text(0.5, 0.5, "no releases stored yet", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    top = max(max(row) for row in grid) or 1
    ax.imshow(grid, aspect="auto", cmap=_CMAP, vmin=0, vmax=max(top, 3))
    for y, row in enumerate(grid):
        for x, n in enumerate(row):
            if n:
                ax.text(
                    x,
                    y,
                    str(n),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if n >= max(top, 3) * 0.55 else "#08306b",
                )
    ax.set_yticks(range(len(ordered)), [c.lab for c in ordered], fontsize=8)
    ax.set_xticks(range(len(weeks)), [w.split("-")[1] for w in weeks], fontsize=8)
    ax.set_xlabel(f"ISO week ({weeks[0]} .. {weeks[-1]})", fontsize=8)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title, loc="left", fontsize=11)
    return fig


def _country_colour(country: str, others: dict[str, str]) -> str:
    if country in COUNTRY_COLOURS:
        return COUNTRY_COLOURS[country]
    if country not in others:
        others[country] = _OTHER_COLOURS[len(others) % len(_OTHER_COLOURS)]
    return others[country]


def countries_figure(shares: Sequence[MonthShare], *, title: str | None = None) -> Figure:
    """Build the share-by-country figure: one 100 % stacked bar per month, total on top.

    Args:
        shares: from ``tracker.analytics.country_release_share`` (or download share), oldest first.
        title (str, optional): defaults to "Share of releases by country".
    """
    title = title or "Share of releases by country"
    fig = Figure(figsize=(max(5.0, 0.55 * len(shares) + 2.5), 3.2))
    ax = fig.add_subplot()
    countries = sorted(
        {c for m in shares for c in m.counts}, key=lambda c: (-sum(m.counts.get(c, 0) for m in shares), c)
    )
    others: dict[str, str] = {}
    bottoms = [0.0] * len(shares)
    for country in countries:
        values = [100 * m.shares.get(country, 0.0) for m in shares]
        ax.bar(
            range(len(shares)),
            values,
            bottom=bottoms,
            color=_country_colour(country, others),
            label=country,
            width=0.75,
        )
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    for x, m in enumerate(shares):
        ax.text(x, 102, str(m.total), ha="center", va="bottom", fontsize=7, color="#444")
    ax.set_xticks(range(len(shares)), [m.month for m in shares], fontsize=8, rotation=45, ha="right")
    ax.set_ylim(0, 112)
    ax.set_ylabel("% of releases (n on top)", fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    if countries:
        ax.legend(
            loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False, title="country", title_fontsize=8
        )
    else:
        ax.text(0.5, 0.5, "no releases in this period", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(title, loc="left", fontsize=11)
    return fig


def cadence_chart(cadences: Sequence[Cadence], fmt: ChartFormat = "png", *, title: str | None = None) -> bytes | str:
    """Return the cadence chart as PNG bytes or SVG text (see ``cadence_figure``)."""
    return render(cadence_figure(cadences, title=title), fmt)  # type: ignore[call-overload]


def countries_chart(shares: Sequence[MonthShare], fmt: ChartFormat = "png", *, title: str | None = None) -> bytes | str:
    """Return the country-share chart as PNG bytes or SVG text (see ``countries_figure``)."""
    return render(countries_figure(shares, title=title), fmt)  # type: ignore[call-overload]
