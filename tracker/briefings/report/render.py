"""The report as a reader gets it: HTML with its charts inline (SVG), JSON, CSV; the charts alone.

Each chart is titled with its period and its source, so a chart copied out of the page still
says what it shows. Charts are built on ``matplotlib.figure.Figure`` (no pyplot state) through
``tracker.analytics.charts.render``. HTML is rendered by Jinja2 with autoescaping: every name in
it (labs, release titles) comes from outside and is shown escaped.
"""

from __future__ import annotations

import csv
import io
import json
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from matplotlib.figure import Figure

from tracker.analytics.charts import COUNTRY_COLOURS, ChartFormat, render
from tracker.briefings.report.build import headlines

__all__ = ["downloads_chart", "render_csv", "render_html", "render_json", "share_chart"]

_OTHER = ("#7f7f7f", "#aec7e8", "#ffbb78", "#98df8a", "#c5b0d5", "#c49c94")


def _colour(key: str, i: int) -> str:
    return COUNTRY_COLOURS.get(key, _OTHER[i % len(_OTHER)])


def downloads_chart(report: dict[str, Any], *, cumulative: bool, fmt: ChartFormat = "svg") -> str | bytes:
    """Downloads by country per month (lines), crossover months marked with a dashed line."""
    d = report["downloads"]
    first = (d["basis"]["first"] or "")[:7]
    months = [m for m in d["months"] if m >= first] or d["months"]  # no flat zeros before the history
    data = d["cumulative_by_country"] if cumulative else d["monthly_by_country"]
    fig = Figure(figsize=(8, 3.6))
    ax = fig.subplots()
    for i, (country, values) in enumerate(sorted(data.items(), key=lambda kv: -kv[1].get(months[-1], 0))):
        ys = [values.get(m, 0) / 1e6 for m in months]
        ax.plot(months, ys, marker="o", label=country, color=_colour(country, i))
    kind = "cumulative" if cumulative else "monthly"
    for cross in d["crossovers"]:
        if cross["series"] == kind and cross["month"] in months:
            ax.axvline(months.index(cross["month"]), color="#444", linestyle="--", linewidth=1)
            ax.annotate(
                f"{cross['country']} passes {cross['passed']}",
                (months.index(cross["month"]), ax.get_ylim()[1] * 0.92),
                fontsize=8,
                ha="left",
            )
    ax.set_ylabel("downloads (millions)")
    ax.set_title(
        f"{'Cumulative' if cumulative else 'Monthly'} Hugging Face downloads by country, {months[0]} to {months[-1]}\n"
        f"source: Hub {'downloadsAllTime' if cumulative else 'downloads (30 days)'}, "
        f"{d['basis']['snapshots']} snapshots over {d['basis']['days']} days",
        fontsize=9,
    )
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    if ax.get_legend_handles_labels()[0]:  # an empty month has no series to name
        ax.legend(fontsize=8, ncols=4)
    ax.grid(alpha=0.3)
    return render(fig, fmt)  # type: ignore[call-overload]


def share_chart(report: dict[str, Any], *, fmt: ChartFormat = "svg") -> str | bytes:
    """Share of new derivatives by the base model's country, per month (100 % stacked bars)."""
    d = report["derivatives"]
    months = d["months"]
    counts = d["counts_by_country"]
    countries = sorted({c for m in months for c in counts.get(m, {})})
    fig = Figure(figsize=(8, 3.4))
    ax = fig.subplots()
    bottom = [0.0] * len(months)
    for i, country in enumerate(countries):
        values = []
        for m in months:
            total = sum(counts.get(m, {}).values())
            values.append(100 * counts.get(m, {}).get(country, 0) / total if total else 0)
        ax.bar(months, values, bottom=bottom, label=country, color=_colour(country, i))
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("% of new derivatives")
    ax.set_title(
        f"Share of new derivatives by base model's country, {months[0]} to {months[-1]}\n"
        f"source: Hub base_model relation tags, {d['basis']['derivatives']} derivatives",
        fontsize=9,
    )
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    if ax.get_legend_handles_labels()[0]:  # an empty month has no series to name
        ax.legend(fontsize=8, ncols=4)
    return render(fig, fmt)  # type: ignore[call-overload]


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("tracker.briefings.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda x: "-" if x is None else f"{100 * x:.1f}%"
    env.filters["num"] = lambda x: "-" if x is None else f"{x:,.0f}"
    env.filters["ratio"] = lambda x: "-" if x is None else f"{x:.1f}x"
    return env


def render_html(report: dict[str, Any]) -> str:
    """The report page: figures, tables and charts (inline SVG), each with its source and basis."""
    charts = {
        "cumulative": downloads_chart(report, cumulative=True),
        "monthly": downloads_chart(report, cumulative=False),
        "derivatives": share_chart(report),
    }
    return _environment().get_template("report.html").render(r=report, charts=charts, lede=headlines(report))


def render_json(report: dict[str, Any]) -> str:
    """The report as indented JSON (what ``/reports/YYYY-MM.json`` serves)."""
    return json.dumps(report, indent=2, sort_keys=False, ensure_ascii=False)


def render_csv(report: dict[str, Any]) -> str:
    """One row per figure: ``figure, group, month, value, source`` (spreadsheet-ready)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["figure", "group", "month", "value", "source"])
    month = report["month"]
    rel, dl, dv = report["releases"], report["downloads"], report["derivatives"]
    for lab, n in rel["by_lab"].items():
        w.writerow(["releases_by_lab", lab, month, n, rel["source"]])
    for country, n in rel["by_country"].items():
        w.writerow(["releases_by_country", country, month, n, rel["source"]])
    for name in ("monthly_by_country", "cumulative_by_country"):
        for country, values in dl[name].items():
            for m, v in values.items():
                w.writerow([f"downloads_{name}", country, m, v, dl["source"]])
    for name in ("share_monthly", "share_cumulative"):
        for country, v in dl[name].items():
            w.writerow([f"download_{name}", country, month, round(v, 6), dl["source"]])
    for c in dl["crossovers"]:
        w.writerow([f"crossover_{c['series']}", f"{c['country']}>{c['passed']}", c["month"], "", dl["source"]])
    for name in ("share_by_country", "share_by_lab"):
        for group, v in dv[name].items():
            w.writerow([f"derivative_{name}", group, month, round(v, 6), dv["source"]])
    for row in report["adoption"]["top_relative"]:
        w.writerow(["relative_adoption", row["title"], month, row["ratio"], report["adoption"]["source"]])
    return buf.getvalue()
