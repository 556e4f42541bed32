"""Safe parsing of Atom/RSS responses, shared by the arXiv and feed (blog, GitHub) sources.

Two stages, for a body that is untrusted input:

1. ``feed_root``: the gate. The standard library's ElementTree through ``defusedxml`` refuses any
   DTD (so an HTML page with a DOCTYPE is named as such), entity declarations (billion laughs)
   and external references, and the root must be a feed element: anything else (an HTML page
   served with 200, a plain-text "Rate exceeded.") is a ``ParseError``, never "a feed with no
   entries".
2. ``feedparser_parse``: only then does ``feedparser`` (whose loose parser can expand entities)
   read the body, and its entry count must match the tree's. feedparser's ``bozo`` flag is only
   logged: it is set by harmless things (a wrong declared charset) and misses an HTML page parsed
   leniently, so the gate decides.

What each source accepts as a root, how it decodes the body and how it reads the entries stay
in the source modules.
"""

from __future__ import annotations

import io
import logging
import xml.etree.ElementTree as ET
from collections.abc import Collection, Mapping

import defusedxml
import defusedxml.ElementTree as DET
import feedparser

from tracker.errors import ParseError

log = logging.getLogger(__name__)

__all__ = ["ATOM", "FEED_ROOTS", "RDF", "feed_root", "feedparser_parse"]

ATOM = "{http://www.w3.org/2005/Atom}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"

FEED_ROOTS = frozenset({ATOM + "feed", "rss", RDF + "RDF"})
"""Root tags of Atom 1.0 (``<feed>``), RSS 2.0 (``<rss>``) and RSS 1.0 (``<rdf:RDF>``)."""


def feed_root(
    document: bytes | str, *, where: str, roots: Collection[str] = FEED_ROOTS, expected: str = "an RSS or Atom feed"
) -> ET.Element:
    """Parse ``document`` with defusedxml and return its root, which must be a feed element.

    Args:
        document (bytes | str): the response body; bytes are decoded by the XML parser (the XML
            declaration names the encoding), a str is taken as already decoded.
        where (str): how to name the response in errors (``feed https://lab.example/rss``).
        roots (Collection[str], optional): accepted root tags in ElementTree's ``{uri}name``
            form; defaults to ``FEED_ROOTS``.
        expected (str, optional): what ``roots`` means, for errors (``an Atom <feed>``).

    Returns:
        ET.Element: the root element, for cross-checks against feedparser.

    Raises:
        ParseError: any DOCTYPE (named "an HTML page" when it declares html; DTDs are refused),
            entity declarations or external references (refused, never expanded), a body that
            is not well-formed XML (the message quotes its start), or a root not in ``roots``.
    """
    try:
        root = DET.fromstring(document, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden as exc:
        kind = "an HTML page" if "html" in (exc.name or "").lower() else "a document with a DOCTYPE"
        raise ParseError(f"{where}: response is {kind}, not {expected} (DTDs are refused)") from exc
    except defusedxml.DefusedXmlException as exc:
        raise ParseError(f"{where}: response declares entities or external references; refused ({exc})") from exc
    except ET.ParseError as exc:
        start = document[:80]
        text = start.decode("utf-8", errors="replace") if isinstance(start, bytes) else start
        snippet = " ".join(text.split())
        raise ParseError(f"{where}: response is not well-formed XML ({exc}); body starts {snippet!r}") from exc
    if root.tag not in roots:
        raise ParseError(f"{where}: response root is <{root.tag}>, not {expected}")
    return root


def feedparser_parse(
    body: bytes, *, where: str, expected_entries: int, headers: Mapping[str, str] | None = None
) -> feedparser.FeedParserDict:
    """Run feedparser on a body that passed ``feed_root`` and check it saw every entry.

    Args:
        body (bytes): the body, as bytes (feedparser reads a ``str`` as a URL or file name).
        where (str): how to name the document in errors.
        expected_entries (int): the number of entries the gate's tree holds.
        headers (Mapping[str, str], optional): response headers for feedparser
            (``content-type``, which can pin the encoding).

    Returns:
        feedparser.FeedParserDict: the parsed document (``entries``, ``feed``, ``namespaces``).

    Raises:
        ParseError: feedparser and the tree disagree on the number of entries.
    """
    parsed = feedparser.parse(io.BytesIO(body), response_headers=dict(headers) if headers else None)
    if parsed.get("bozo"):
        log.debug("feedparser flagged %s as bozo (not an error by itself): %r", where, parsed.get("bozo_exception"))
    if len(parsed.entries) != expected_entries:
        raise ParseError(
            f"{where}: feedparser found {len(parsed.entries)} entries but the XML has "
            f"{expected_entries}; refusing a document the two parsers disagree on"
        )
    return parsed
