"""``tracker adoption``'s tables: a figure that is not known yet shows as ``-``, never ``None``."""

from __future__ import annotations

import pytest

from tracker.cli.adoption import _show_adoption


def test_an_unknown_adoption_count_is_a_dash(capsys: pytest.CaptureFixture[str]) -> None:
    data = {
        "group": "country",
        "months": ["2025-04"],
        "source": "test",
        "series": {"CN": {"monthly": {"2025-04": 10}, "cumulative": {"2025-04": 10}}},
        "share_monthly": {"CN": 1.0},
        "share_cumulative": {"CN": 1.0},
        "basis": {"snapshots": 1, "days": 1.0},
        "crossovers": [],
        "releases": [
            {
                "title": "Fam-A",
                "lab": "lab-a",
                "bucket": None,
                "age_days": 2.0,
                "adoption_count": None,
                "relative_downloads": None,
                "peers": 0,
            },
            {
                "title": "Fam-B",
                "lab": "lab-b",
                "bucket": "<10B",
                "age_days": 3.0,
                "adoption_count": 0,
                "relative_downloads": 1.25,
                "peers": 4,
            },
        ],
    }
    derivs = {"counts_by_country": {}, "share_by_country": {}, "basis": {"derivatives": 0}}

    _show_adoption(data, derivs)

    rows = {line.split("│")[1].strip(): line for line in capsys.readouterr().out.splitlines() if "Fam-" in line}
    assert "None" not in rows["Fam-A"]
    assert [c.strip() for c in rows["Fam-A"].split("│")[3:6]] == ["-", "2.0", "-"]
    assert [c.strip() for c in rows["Fam-B"].split("│")[3:7]] == ["<10B", "3.0", "0", "1.2x"]
