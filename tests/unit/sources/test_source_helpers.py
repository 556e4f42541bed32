"""The helpers the sources share: tracker.sources._fields, _scopes and _xml."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tracker.config import Settings
from tracker.domain import SourceKind, SourceResult
from tracker.errors import ParseError, RateLimitedError
from tracker.http import Response, make_client
from tracker.sources import _fields as fields
from tracker.sources import _scopes as scopes
from tracker.sources import _xml as xml

FEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "feeds"
ITEM = {
    "name": "x",
    "n": 3,
    "flag": True,
    "at": "2025-04-29T03:10:52.000Z",
    "tags": ["a", "b"],
    "blank": "",
    "bool_n": True,
    "many": "many",
}


# _fields ---------------------------------------------------------------------------------------


def test_readers_return_values_and_none_for_missing_keys() -> None:
    assert fields.opt_str(ITEM, "name", "item") == "x"
    assert fields.opt_int(ITEM, "n", "item") == 3
    assert fields.opt_bool(ITEM, "flag", "item") is True
    assert fields.opt_datetime(ITEM, "at", "item") == datetime(2025, 4, 29, 3, 10, 52, tzinfo=UTC)
    assert fields.str_list(ITEM, "tags", "item") == ("a", "b")
    for reader in (fields.opt_str, fields.opt_int, fields.opt_bool, fields.opt_datetime):
        assert reader({"k": None}, "k", "item") is None
        assert reader({}, "k", "item") is None
    assert fields.str_list({}, "tags", "item") == ()


@pytest.mark.parametrize(
    ("reader", "key", "message"),
    [
        (fields.opt_str, "n", "Hub model a/b: field 'n' should be a string, got 3"),
        (fields.opt_int, "bool_n", "field 'bool_n' should be an integer, got True"),
        (fields.opt_int, "many", "field 'many' should be an integer, got 'many'"),
        (fields.opt_bool, "name", "field 'name' should be true/false"),
        (fields.opt_datetime, "name", "field 'name' should be an ISO-8601 date, got 'x'"),
        (fields.opt_datetime, "blank", "field 'blank' should be an ISO-8601 date"),
        (fields.str_list, "name", "field 'name' should be a list of strings"),
    ],
)
def test_wrong_types_are_parse_errors_naming_item_and_field(reader, key: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        reader(ITEM, key, "Hub model a/b")


def test_blank_is_none_and_name_override() -> None:
    assert fields.opt_str(ITEM, "blank", "item") == ""
    assert fields.opt_str(ITEM, "blank", "item", blank_is_none=True) is None
    assert fields.opt_int(ITEM, "blank", "item", blank_is_none=True) is None
    assert fields.opt_datetime(ITEM, "blank", "item", blank_is_none=True) is None
    with pytest.raises(ParseError, match=r"field 'paper.upvotes' should be an integer"):
        fields.opt_int(ITEM, "many", "daily paper 1", name="paper.upvotes")


def test_load_json_quotes_the_start_of_a_bad_body() -> None:
    assert fields.load_json(b"[1]", "listing") == [1]
    with pytest.raises(ParseError, match=r"listing: not valid JSON .*body starts '<!DOCTYPE html>"):
        fields.load_json(b"<!DOCTYPE html><html>", "listing")


# _xml ------------------------------------------------------------------------------------------


def test_feed_root_accepts_atom_rss_and_a_custom_root_set() -> None:
    assert xml.feed_root((FEEDS / "atom.xml").read_bytes(), where="f").tag == xml.ATOM + "feed"
    assert xml.feed_root((FEEDS / "rss.xml").read_bytes(), where="f").tag == "rss"
    with pytest.raises(ParseError, match=r"arXiv: response root is <rss>, not an Atom <feed>"):
        xml.feed_root(
            (FEEDS / "rss.xml").read_bytes(), where="arXiv", roots={xml.ATOM + "feed"}, expected="an Atom <feed>"
        )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ((FEEDS / "html_200.html").read_bytes(), "f: response is an HTML page, not an RSS or Atom feed"),
        ((FEEDS / "billion_laughs.xml").read_bytes(), "DOCTYPE"),
        ("Rate exceeded.", "not well-formed XML .*body starts 'Rate exceeded.'"),
        (b"<html><body/></html>", "root is <html>"),
    ],
)
def test_feed_root_refuses_unsafe_or_non_feed_documents(document: bytes | str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        xml.feed_root(document, where="f")


def test_feedparser_parse_refuses_a_count_mismatch() -> None:
    body = (FEEDS / "atom.xml").read_bytes()
    count = len(xml.feed_root(body, where="f").findall(xml.ATOM + "entry"))
    assert len(xml.feedparser_parse(body, where="f", expected_entries=count).entries) == count
    with pytest.raises(ParseError, match=r"the two parsers disagree"):
        xml.feedparser_parse(body, where="f", expected_entries=count + 1)


# _scopes ---------------------------------------------------------------------------------------


def _result() -> SourceResult:
    return SourceResult(source=SourceKind.FEEDS, lab="lab")


async def _respond(status: int, content: bytes = b"") -> Response:
    return Response(url="http://x", status_code=status, headers=httpx.Headers(), content=content)


async def _rate_limited() -> Response:
    raise RateLimitedError("slow down", url="http://x", retry_after=30.0)


def test_fetch_scope_records_complete_not_modified_and_failed() -> None:
    result = _result()
    parsed: list[bytes] = []

    def parse(response: Response) -> list[bytes]:
        parsed.append(response.content)
        return [response.content]

    async def run() -> list[object]:
        return [
            await scopes.fetch_scope(result, "s:ok", _respond(200, b"x"), parse),
            await scopes.fetch_scope(result, "s:304", _respond(304), parse),
            await scopes.fetch_scope(result, "s:http", _rate_limited(), parse),
            await scopes.fetch_scope(
                result, "s:bad", _respond(200, b"y"), lambda r: (_ for _ in ()).throw(ParseError("bad body"))
            ),
        ]

    assert asyncio.run(run()) == [[b"x"], None, None, None]
    assert parsed == [b"x"]  # a 304 is never parsed
    assert result.complete_scopes == {"s:ok"} and result.not_modified_scopes == {"s:304"}
    assert [(f.scope, f.error, f.retry_after) for f in result.failures] == [
        ("s:http", "slow down", 30.0),
        ("s:bad", "bad body", None),
    ]


def test_gather_scopes_keeps_order_and_marks_only_successes_complete() -> None:
    result = _result()

    async def ok(value: int) -> int:
        await asyncio.sleep(0)
        return value

    async def fail(scope: str) -> int:
        raise ParseError(f"{scope} broke")

    values = asyncio.run(scopes.gather_scopes(result, [("a", fail("a")), ("b", ok(2)), ("c", fail("c")), ("d", ok(4))]))
    assert values == [None, 2, None, 4]
    assert result.complete_scopes == {"b", "d"}
    assert [f.scope for f in result.failures] == ["a", "c"]


def test_run_scope_records_a_failure_but_never_marks_complete() -> None:
    result = _result()

    async def pages() -> tuple[list[int], bool]:
        return [1], False

    assert asyncio.run(scopes.run_scope(result, "q", pages())) == ([1], False)
    assert asyncio.run(scopes.run_scope(result, "r", _rate_limited())) is None
    assert result.complete_scopes == set() and [f.scope for f in result.failures] == ["r"]


def test_count_requests_fills_the_result_counters(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, http_max_retries=1)
    result = _result()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(304 if request.url.path == "/same" else 200, content=b"")

    async def run() -> None:
        async with make_client(settings, transport=httpx.MockTransport(handler)) as client:
            await client.get("http://93.184.216.34/outside")  # not counted: before the block
            with scopes.count_requests(client, result):
                await client.get("http://93.184.216.34/new")
                await client.get("http://93.184.216.34/same", conditional=True)

    asyncio.run(run())
    assert (result.requests, result.not_modified) == (2, 1)


@pytest.mark.parametrize("value", ["1999-06-29T00:00:00Z", "2099-01-01T00:00:00Z"])
def test_opt_datetime_treats_an_implausible_date_as_unknown(value, caplog):
    assert fields.opt_datetime({"createdAt": value}, "createdAt", "Hub repo x/y") is None
    assert "Hub repo x/y: field 'createdAt'" in caplog.text and "implausible" in caplog.text


@pytest.mark.parametrize("value", [2**63, -(2**60), 10**30])
def test_opt_int_out_of_json_range_is_unknown_not_a_database_error(value, caplog):
    assert fields.opt_int({"downloads": value}, "downloads", "Hub repo x/y") is None
    assert "Hub repo x/y: field 'downloads'" in caplog.text and "out of range" in caplog.text
    assert fields.opt_int({"downloads": 2**53 - 1}, "downloads", "Hub repo x/y") == 2**53 - 1
