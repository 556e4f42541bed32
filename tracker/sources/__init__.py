"""Sources: one module per place tracker watches, each exposing ``async poll(client, settings, lab)``.

Adding a source is one module plus one line here: write ``tracker/sources/<name>.py`` with a
module-level ``poll`` matching ``Source`` (fetch + parse only, no database access), then add its
slug and dotted module path to ``SOURCES``. Modules are imported lazily, on first use (like
healthchecks' ``TRANSPORTS``), so importing ``tracker.sources`` stays cheap.
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

__all__ = ["SOURCES", "Source", "get_source"]

SOURCES: dict[str, str] = {
    "hf": "tracker.sources.huggingface",
    "arxiv": "tracker.sources.arxiv",
}
"""Source slug (as in ``tracker poll --source``) -> dotted path of the module implementing it."""


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
        known = ", ".join(sorted(SOURCES))
        raise ConfigError(f"unknown source {slug!r}; known sources: {known}") from None
    return cast("Source", importlib.import_module(path))
