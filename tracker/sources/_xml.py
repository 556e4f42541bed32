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

import codecs
import html.entities
import io
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Collection, Mapping

import defusedxml
import defusedxml.ElementTree as DET
import feedparser

from tracker.errors import ParseError

log = logging.getLogger(__name__)

__all__ = ["ATOM", "FEED_ROOTS", "RDF", "feed_root", "feedparser_parse", "gate_feed", "repair_feed"]

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


#: The five entities XML predefines; any other named entity is undeclared in a feed without a DTD.
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_ENTITY = re.compile(r"&(?:([A-Za-z][A-Za-z0-9]{0,31});|(#[0-9]{1,7};|#x[0-9A-Fa-f]{1,6};))?")
_CDATA = re.compile(r"(<!\[CDATA\[.*?\]\]>)", re.DOTALL)
_DECLARATION = re.compile(rb"^(\xef\xbb\xbf)?<\?xml[^>]*?encoding=[\"']([A-Za-z0-9._-]+)[\"']")


def _declared_encoding(body: bytes) -> str:
    match = _DECLARATION.match(body[:200])
    name = match.group(2).decode("ascii") if match else "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"


def _fix_entities(text: str) -> tuple[str, int]:
    """Replace HTML named entities by numeric references and escape bare ``&``, outside CDATA."""
    fixed = 0

    def one(match: re.Match[str]) -> str:
        nonlocal fixed
        name, numeric = match.group(1), match.group(2)
        if numeric or name in _XML_ENTITIES:
            return match.group(0)
        fixed += 1
        if name and name in html.entities.name2codepoint:
            return f"&#{html.entities.name2codepoint[name]};"
        return "&amp;" + (f"{name};" if name else "")  # unknown: keep its text visible

    parts = _CDATA.split(text)
    return "".join(p if p.startswith("<![CDATA[") else _ENTITY.sub(one, p) for p in parts), fixed


def repair_feed(body: bytes) -> tuple[bytes, list[str]]:
    """Repair the two faults real feeds have that XML refuses, and say what was repaired.

    * bytes invalid in the declared encoding (a raw ``0xFF`` in UTF-8) become U+FFFD;
    * HTML named entities (``&nbsp;``, ``&rsquo;``), undeclared in XML, become the characters
      they name (HTML5's table, ``html.entities``); a bare ``&`` becomes ``&amp;``.

    DOCTYPEs and entity declarations are left alone: the gate still refuses them.

    Returns:
        tuple[bytes, list[str]]: the document re-encoded as UTF-8 (its declaration says so), and
        one phrase per repair (``"3 undecodable byte(s) replaced"``); an empty list means nothing
        was repaired (the body is returned unchanged).
    """
    encoding = _declared_encoding(body)
    if encoding.startswith("utf-16") or encoding.startswith("utf-32"):
        return body, []  # wide encodings: nothing to repair byte-wise
    notes: list[str] = []
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        text = body.decode(encoding, errors="replace")
        bad = text.count("\ufffd") - body.decode(encoding, errors="ignore").count("\ufffd")
        notes.append(f"{bad} undecodable byte(s) replaced")
    text, fixed = _fix_entities(text.lstrip("\ufeff"))
    if fixed:
        notes.append(f"{fixed} HTML entit{'y' if fixed == 1 else 'ies'} or bare '&' repaired")
    if not notes:
        return body, []
    text = re.sub(r"^(<\?xml[^>]*?encoding=)[\"'][A-Za-z0-9._-]+[\"']", r'\1"utf-8"', text, count=1)
    return text.encode("utf-8"), notes


def gate_feed(body: bytes, *, where: str) -> tuple[ET.Element, bytes, list[str]]:
    """``feed_root`` on ``body``; when it is not well-formed, once more on ``repair_feed(body)``.

    Returns:
        tuple[ET.Element, bytes, list[str]]: the root, the bytes to hand feedparser (repaired or
        not) and the repairs made (logged as a warning naming the feed).

    Raises:
        ParseError: as ``feed_root`` (on the original error when repairing changed nothing or
            did not help).
    """
    try:
        return feed_root(body, where=where), body, []
    except ParseError as first:
        repaired, notes = repair_feed(body)
        if not notes:
            raise
        try:
            root = feed_root(repaired, where=where)
        except ParseError:
            raise first from None
    log.warning("%s: %s; parsed the repaired feed", where, "; ".join(notes))
    return root, repaired, notes
