"""Misspelt settings: ``TRACKER_*`` variables no setting reads, each with the closest known name.

pydantic-settings ignores unknown variables (``extra="ignore"``), so ``TRACKER_SLAK_CHANNEL=#x``
would silently leave Slack unconfigured; the CLI warns about such names instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from tracker.config.fields import ENV_PREFIX, flat_settings
from tracker.config.settings import Settings

#: TRACKER_* variables read by something other than Settings: the test suite and scripts/test
#: (TRACKER_TEST_*, TRACKER_UPDATE_SCREENSHOT) and docker-compose.yml's published ports.
NOT_SETTINGS_PREFIXES = ("TRACKER_TEST_",)
NOT_SETTINGS = frozenset({"TRACKER_UPDATE_SCREENSHOT", "TRACKER_API_PORT", "TRACKER_FLOWER_PORT"})


def known_env_names() -> frozenset[str]:
    """Every environment name a setting reads (``TRACKER_*`` plus aliases such as ``HF_TOKEN``)."""
    return frozenset(name for row in flat_settings(Settings) for name in row.env_names)


def unknown_settings(names: Iterable[str]) -> list[tuple[str, str | None]]:
    """The ``TRACKER_*`` names among ``names`` that no setting reads, with the closest known one.

    Args:
        names (iterable of str): variable names (``os.environ`` and the ``.env`` file's keys);
            compared case-insensitively, as pydantic-settings does.

    Returns:
        list[tuple[str, str | None]]: ``(name, suggestion or None)`` sorted by name.
    """
    known = known_env_names()
    out = []
    for name in sorted(set(names)):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in known or upper in NOT_SETTINGS:
            continue
        if upper.startswith(NOT_SETTINGS_PREFIXES):
            continue
        close = difflib.get_close_matches(upper, sorted(known), n=1, cutoff=0.75)
        out.append((name, close[0] if close else None))
    return out


def unknown_settings_warnings(environ: Mapping[str, str], dotenv_names: Iterable[str] = ()) -> list[str]:
    """One warning line per unknown ``TRACKER_*`` variable of ``environ`` and the ``.env`` file."""
    return [
        f"unknown setting {name} is ignored" + (f" (did you mean {close}?)" if close else "")
        for name, close in unknown_settings([*environ, *dotenv_names])
    ]
