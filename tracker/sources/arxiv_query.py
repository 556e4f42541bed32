"""Build a lab's arXiv ``search_query`` strings from its watchlist entry and the category setting.

arXiv API query syntax (arXiv API User's Manual, "Details of Query Construction"): field prefixes
``au:`` (author), ``cat:`` (subject category), ``ti:``, ``abs:``; a phrase in double quotes;
Boolean ``AND``, ``OR``, ``ANDNOT`` and parentheses for grouping. A category term may end in
``.*`` to take a whole archive (``cat:cs.*``).

The lab's team names and known people (``arxiv_teams`` + ``arxiv_authors``) make one query,
restricted to ``settings.papers.categories``, so that a namesake's physics or biology paper never
comes back at all; attribution (``tracker.grouping.attribution``) then decides on what does.
A lab's free ``arxiv_queries`` are sent as written, after it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tracker.watchlist import LabConfig

__all__ = ["author_query", "clean_categories", "lab_queries"]

# An arXiv archive with an optional subject class or ``.*`` (``cs``, ``cs.CL``, ``cs.*``,
# ``stat.ML``, ``astro-ph.GA``); anything else would change the query's meaning.
_CATEGORY = re.compile(r"^[a-z][a-z-]*(?:\.(?:[A-Za-z][A-Za-z-]*|\*))?$")
# Characters that would end or escape the quoted phrase of a name.
_UNSAFE_IN_PHRASE = re.compile(r'["\\()]')


def clean_categories(categories: Sequence[str]) -> tuple[str, ...]:
    """Keep the well-formed category terms (``cs.*``, ``stat.ML``), in order, once each."""
    return tuple(dict.fromkeys(c.strip() for c in categories if _CATEGORY.match(c.strip())))


def author_query(names: Sequence[str], categories: Sequence[str]) -> str | None:
    """``(au:"A" OR au:"B") AND (cat:cs.* OR cat:stat.ML)``, or None when there is no usable name.

    Quotes, backslashes and parentheses inside a name are dropped (they would break the phrase);
    with no usable category the query is the author part alone.
    """
    clean = [" ".join(_UNSAFE_IN_PHRASE.sub(" ", n).split()) for n in names]
    clean = list(dict.fromkeys(n for n in clean if n))
    if not clean:
        return None
    authors = " OR ".join(f'au:"{n}"' for n in clean)
    cats = clean_categories(categories)
    if not cats:
        return authors
    return f"({authors}) AND ({' OR '.join(f'cat:{c}' for c in cats)})"


def lab_queries(lab: LabConfig, categories: Sequence[str]) -> tuple[str, ...]:
    """Every ``search_query`` to run for ``lab``: its team/people query, then its free queries.

    Args:
        lab: the watched lab (``arxiv_teams``, ``arxiv_authors``, ``arxiv_queries``).
        categories: ``settings.papers.category_list`` (``("cs.*", "eess.*", "stat.ML")``).

    Returns:
        tuple[str, ...]: distinct queries in a stable order (the poll scopes are ``arxiv:<query>``).
    """
    queries: list[str] = []
    built = author_query([*lab.arxiv_teams, *lab.arxiv_authors], categories)
    if built:
        queries.append(built)
    queries.extend(q for q in lab.arxiv_queries if q.strip())
    return tuple(dict.fromkeys(queries))
