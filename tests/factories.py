"""Builders for test inputs: watchlists (TOML text, files, ``Watchlist``, ``LabConfig``),
``Settings`` and ``Observation``.

The defaults are what most tests share (the Qwen lab on the Hub, a data dir of the test's own,
no arXiv throttle), so a test spells out only what it is about. TOML is rendered from plain
values, so a test that needs a user's watchlist file reads as data, not as a template.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tracker.config import Settings
from tracker.domain import ArtifactKind, Observation, SourceKind
from tracker.watchlist import LabConfig, Subscription, Watchlist, load_watchlist, parse_watchlist

#: The arXiv author query the packaged watchlist uses for Qwen (the replay corpus answers it).
QWEN_AUTHORS = (
    'au:"Qwen" OR au:"Zhenru Zhang" OR au:"An Yang" OR au:"Shuai Bai" OR au:"Jin Xu" '
    'OR au:"Yanzhao Zhang" OR au:"Chenfei Wu"'
)


# ------------------------------------------------------------------------------ watchlist TOML


def toml_value(value: Any) -> str:
    """One TOML value: a string, number, boolean or a list of them (JSON's spelling is TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML spelling for {value!r}")


def lab(slug: str = "qwen", *, name: str = "Qwen", country: str = "CN", **keys: Any) -> dict[str, Any]:
    """A ``[[labs]]`` table as a dict: ``slug``, ``name``, ``country`` and any other key given.

    ``lab()`` alone is the Qwen lab with no source; see ``qwen`` for the one on the Hub.
    """
    return {"slug": slug, "name": name, "country": country, **keys}


def qwen(**keys: Any) -> dict[str, Any]:
    """The Qwen lab watching the ``Qwen`` Hub org; ``keys`` override or add (``name=...``)."""
    return lab(**{"hf_orgs": ["Qwen"], **keys})


def subscription(channel: str, **keys: Any) -> dict[str, Any]:
    """A ``[[subscriptions]]`` table as a dict: ``channel`` and any filter key given."""
    return {"channel": channel, **keys}


def watchlist_toml(
    *labs: Mapping[str, Any], subscriptions: Iterable[Mapping[str, Any]] = (), extends: str | None = None
) -> str:
    """A watchlist file's text: ``extends`` (if any), then the labs, then the subscriptions."""
    parts = [f"extends = {toml_value(extends)}\n"] if extends else []
    for table, rows in (("labs", labs), ("subscriptions", subscriptions)):
        for row in rows:
            parts.append(f"[[{table}]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in row.items()))
    return "\n".join(parts)


def write_watchlist(path: Path, *labs: Mapping[str, Any], subscriptions: Iterable[Mapping[str, Any]] = ()) -> Path:
    """Write ``watchlist_toml(*labs, subscriptions=...)`` to ``path`` (UTF-8) and return ``path``."""
    path.write_text(watchlist_toml(*labs, subscriptions=subscriptions), encoding="utf-8")
    return path


def make_watchlist(
    *labs: Mapping[str, Any], subscriptions: Iterable[Mapping[str, Any]] = (), source: str = "test.toml"
) -> Watchlist:
    """A ``Watchlist`` parsed (and validated) from ``watchlist_toml(*labs, subscriptions=...)``.

    Raises:
        ConfigError: the tables are not a valid watchlist.
    """
    return parse_watchlist(watchlist_toml(*labs, subscriptions=subscriptions), source=source)


def packaged(*slugs: str, subscriptions: Iterable[Subscription] = ()) -> Watchlist:
    """The packaged watchlist's labs ``slugs`` only (in that order), with ``subscriptions``."""
    full = load_watchlist()
    return Watchlist(labs=tuple(full.lab(s) for s in slugs), subscriptions=tuple(subscriptions), source="test")


def lab_config(**fields: Any) -> LabConfig:
    """A ``LabConfig`` for Qwen (``slug="qwen"``, ``name="Qwen"``, ``country="CN"``) plus ``fields``."""
    return LabConfig(**{"slug": "qwen", "name": "Qwen", "country": "CN", **fields})


# ------------------------------------------------------------------------------ settings


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """``Settings`` kept in ``data_dir`` that ignore any ``.env`` file; ``overrides`` set fields.

    ``TRACKER_*`` environment variables still apply, as for any Settings (tests that start
    processes clear them).
    """
    return Settings(_env_file=None, data_dir=data_dir, **overrides)


def offline_settings(data_dir: Path, **overrides: Any) -> Settings:
    """``make_settings`` aimed at unroutable ``*.test`` hosts, with no arXiv throttle and 2 retries."""
    defaults: dict[str, Any] = {
        "hf_endpoint": "http://hub.test",
        "arxiv_endpoint": "http://arxiv.test/api/query",
        "arxiv_min_interval": 0,
        "http_max_retries": 2,
    }
    return make_settings(data_dir, **{**defaults, **overrides})


# ------------------------------------------------------------------------------ observations


def observation(name: str = "Qwen/Qwen3-8B", external_id: str | None = None, **fields: Any) -> Observation:
    """A Hub model ``Observation`` of repo id ``name``; ``fields`` override any attribute.

    Defaults: ``external_id`` ``id-<name>``, ``org`` the repo id's owner, ``url`` on
    ``http://hub.test``, ``attrs`` ``{"tags": []}``.
    """
    values: dict[str, Any] = {
        "source": SourceKind.HF,
        "external_id": external_id or f"id-{name}",
        "name": name,
        "org": name.split("/")[0],
        "url": f"http://hub.test/{name}",
        "kind": ArtifactKind.MODEL,
        "attrs": {"tags": []},
    }
    return Observation(**{**values, **fields})
