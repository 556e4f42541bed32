"""Sources: one module per place tracker watches, each exposing ``async poll(client, settings, lab)``.

Adding a source is one module plus one line here: write ``tracker/sources/<name>.py`` with a
module-level ``poll`` matching ``Source`` (fetch + parse only, no database access) and
``applies(lab) -> bool`` (does this lab configure anything for the source?), then add its slug
and dotted module path to ``SOURCES``. Modules are imported lazily, on first use (like
healthchecks' ``TRANSPORTS``), so importing ``tracker.sources`` stays cheap. Which sources are
polled by default is a setting (``TRACKER_SOURCES``, see ``Settings.enabled_sources``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol, cast

from tracker.errors import ConfigError

if TYPE_CHECKING:
    from tracker.config import Settings
    from tracker.domain import SourceResult
    from tracker.http import HttpClient
    from tracker.watchlist import LabConfig

__all__ = ["DEFAULT_SOURCES", "SOURCES", "Source", "applies", "get_source"]

SOURCES: dict[str, str] = {
    "hf": "tracker.sources.huggingface",
    "arxiv": "tracker.sources.arxiv",
    "modelscope": "tracker.sources.modelscope",
    "github": "tracker.sources.github",
    "feeds": "tracker.sources.feeds",
    "daily_papers": "tracker.sources.daily_papers",
}
"""Source slug (as in ``tracker poll --source``) -> dotted path of the module implementing it."""

DEFAULT_SOURCES: tuple[str, ...] = ("hf", "arxiv")
"""Sources polled by default (``TRACKER_SOURCES``' default); the others are opt-in."""


class Source(Protocol):
    """What a source module provides (a module satisfies this Protocol structurally)."""

    async def poll(self, client: HttpClient, settings: Settings, lab: LabConfig) -> SourceResult:
        """Poll every scope of ``lab`` for this source (Hub orgs, arXiv queries...).

        Returns:
            SourceResult: observations, complete scopes and per-scope failures; a failing scope
            never prevents the others from completing.
        """
        ...


def get_source(slug: str) -> Source:
    """Import and return the source module registered under ``slug``.

    Args:
        slug (str): a key of ``SOURCES`` (``hf``, ``arxiv``).

    Returns:
        Source: the module, which has an async ``poll(client, settings, lab)``.

    Raises:
        ConfigError: unknown slug (the message lists the known ones).
    """
    try:
        path = SOURCES[slug]
    except KeyError:
        known = ", ".join(sorted(DEFAULT_SOURCES))
        optional = ", ".join(sorted(set(SOURCES) - set(DEFAULT_SOURCES)))
        raise ConfigError(
            f"unknown source {slug!r}; known sources: {known}; opt-in (TRACKER_SOURCES): {optional}"
        ) from None
    return cast("Source", importlib.import_module(path))


# Watchlist field that makes a lab poll a source whose module has no ``applies`` of its own.
_LAB_FIELD = {"hf": "hf_orgs", "arxiv": "arxiv_queries"}


def applies(slug: str, lab: LabConfig) -> bool:
    """Return whether ``lab`` has anything to poll for source ``slug``.

    Uses the module's ``applies(lab)`` when it defines one (``modelscope``: ``modelscope_orgs``;
    ``github``: ``github``; ``feeds``: ``feeds``; ``daily_papers``: ``hf_orgs``), else the
    lab's ``hf_orgs`` / arXiv teams, authors or queries.

    Raises:
        ConfigError: unknown slug.
    """
    module = get_source(slug)
    check = getattr(module, "applies", None)
    if callable(check):
        return bool(check(lab))
    if slug == "arxiv":
        return bool(lab.arxiv_queries or lab.arxiv_teams or lab.arxiv_authors)
    return bool(getattr(lab, _LAB_FIELD.get(slug, ""), ()))
