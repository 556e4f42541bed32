"""The monthly "state of open weights" report: figures, charts, HTML/JSON/CSV, and its email.

* ``build``: the report's figures for one month, each with its source and the history it rests on.
* ``render``: HTML (charts inline as SVG), JSON and CSV of a built report; the charts.
* ``sending``: the monthly email to digest subscribers, once per month per subscription.
"""

from tracker.briefings.report.build import build_report, parse_month

__all__ = ["build_report", "parse_month"]
