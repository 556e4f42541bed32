"""Evaluate an arXiv ``search_query`` against recorded entries, as the arXiv API would.

Supported (arXiv API User's Manual, "Details of Query Construction"): field prefixes ``au:``,
``ti:``, ``abs:``, ``cat:``, ``all:``; a value in double quotes (a phrase) or one bare word;
``AND``, ``OR``, ``ANDNOT`` (AND and ANDNOT bind tighter than OR) and parentheses. Matching is
word-based and case-insensitive: a phrase matches when its words appear in a row in one author's
name (``au:``) or in the title/abstract; ``cat:cs.*`` matches every ``cs.`` category. A query the
grammar does not cover raises ``ValueError``; the hub then answers an empty feed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["EntryText", "compile_query", "entry_text"]

_ATOM = "{http://www.w3.org/2005/Atom}"
_TOKEN = re.compile(r'\s*(\(|\)|ANDNOT\b|AND\b|OR\b|[a-z]+:"[^"]*"|[a-z]+:[^\s()"]+)')
_WORD = re.compile(r"[\w.@-]+")


@dataclass(frozen=True, slots=True)
class EntryText:
    """The searchable fields of one entry: authors, categories, title, abstract."""

    authors: tuple[str, ...]
    categories: tuple[str, ...]
    title: str
    summary: str


def entry_text(entry_xml: str) -> EntryText:
    """Read the searchable fields from one ``<entry>`` element's text (default namespace Atom)."""
    el = ET.fromstring(entry_xml.strip().replace("<entry>", '<entry xmlns="http://www.w3.org/2005/Atom">', 1))
    return EntryText(
        authors=tuple((a.findtext(f"{_ATOM}name") or "") for a in el.findall(f"{_ATOM}author")),
        categories=tuple(c.get("term", "") for c in el.findall(f"{_ATOM}category")),
        title=" ".join((el.findtext(f"{_ATOM}title") or "").split()),
        summary=" ".join((el.findtext(f"{_ATOM}summary") or "").split()),
    )


def _words(text: str) -> list[str]:
    return [w.strip(".").casefold() for w in _WORD.findall(text.replace(".", ". ")) if w.strip(".")]


def _phrase_in(phrase: list[str], text: str) -> bool:
    words = _words(text)
    n = len(phrase)
    return n > 0 and any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


Predicate = Callable[[EntryText], bool]


def _term(token: str) -> Predicate:
    field, _, value = token.partition(":")
    value = value.strip('"')
    if field == "cat":
        if value.endswith(".*"):
            prefix = value[:-1]
            return lambda e: any(c.startswith(prefix) for c in e.categories)
        return lambda e: value in e.categories
    phrase = _words(value)
    if field == "au":
        return lambda e: any(_phrase_in(phrase, a) for a in e.authors)
    if field == "ti":
        return lambda e: _phrase_in(phrase, e.title)
    if field == "abs":
        return lambda e: _phrase_in(phrase, e.summary)
    if field == "all":
        return lambda e: any(_phrase_in(phrase, t) for t in (e.title, e.summary, *e.authors))
    raise ValueError(f"unsupported arXiv field {field!r}")


class _Parser:
    def __init__(self, query: str):
        self.tokens: list[str] = []
        pos = 0
        query = query.strip()
        while pos < len(query):
            m = _TOKEN.match(query, pos)
            if not m:
                raise ValueError(f"cannot parse arXiv query at {query[pos : pos + 30]!r}")
            self.tokens.append(m.group(1))
            pos = m.end()
            while pos < len(query) and query[pos].isspace():
                pos += 1
        self.i = 0

    def _peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            raise ValueError("arXiv query ends too early")
        self.i += 1
        return token

    def expr(self) -> Predicate:
        left = self.conj()
        while self._peek() == "OR":
            self._take()
            right = self.conj()
            left = (lambda a, b: lambda e: a(e) or b(e))(left, right)
        return left

    def conj(self) -> Predicate:
        left = self.atom()
        while self._peek() in ("AND", "ANDNOT"):
            negate = self._take() == "ANDNOT"
            right = self.atom()
            if negate:
                left = (lambda a, b: lambda e: a(e) and not b(e))(left, right)
            else:
                left = (lambda a, b: lambda e: a(e) and b(e))(left, right)
        return left

    def atom(self) -> Predicate:
        token = self._take()
        if token == "(":
            inner = self.expr()
            if self._take() != ")":
                raise ValueError("unbalanced parentheses in arXiv query")
            return inner
        if token in (")", "AND", "OR", "ANDNOT"):
            raise ValueError(f"unexpected {token!r} in arXiv query")
        return _term(token)


def compile_query(query: str) -> Predicate:
    """Compile ``query`` into a predicate on :class:`EntryText`.

    Raises:
        ValueError: the query uses syntax this evaluator does not cover.
    """
    parser = _Parser(query)
    predicate = parser.expr()
    if parser._peek() is not None:
        raise ValueError(f"unexpected {parser._peek()!r} in arXiv query")
    return predicate
