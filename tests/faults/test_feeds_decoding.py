"""Broken feeds: decode what can be decoded, keep the good entries, never guess a date.

Real ``tracker poll`` runs against a local blog server. One feed carries a raw ``0xFF`` byte,
another the HTML entities ``&nbsp;``/``&rsquo;`` RSS feeds use without declaring them, a third
dates its posts ``2016/6/29`` (feedparser reads it as the 1st of the current month), 1999 and
2031. Before, the first two were refused wholesale on every poll (new posts never detected)
and the third's dates were stored as facts. A fourth lab's feed is fine and must be unaffected.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.factories import lab, write_watchlist
from tests.faults.conftest import run_tracker
from tests.faults.servers_text import SourceServer, assert_clean, poll_env
from tracker.config import Settings
from tracker.store import Store
from tracker.store.models import Artifact

pytestmark = pytest.mark.slow  # real tracker processes


def rss(*items: tuple[str, str, str], encoding: str = "utf-8") -> bytes:
    """An RSS 2.0 document; items are ``(guid, title, pubDate)`` already in their raw, final form."""
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>https://blog.example/{guid}</link>"
        f"<pubDate>{date}</pubDate></item>"
        for guid, title, date in items
    )
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>Blog</title>'
        f"{body}</channel></rss>"
    ).encode(encoding, errors="surrogateescape")


GOOD_DATE = "Mon, 30 Nov 2026 10:00:00 GMT"


def _feeds(stage: int) -> dict[str, bytes]:
    later = stage > 1
    bad_byte = rss(("b1", "Launch notes", GOOD_DATE), *([("b2", "Caf\udcff 2.0 is out", GOOD_DATE)] if later else []))
    entities = rss(
        ("e1", "Hello&nbsp;world", GOOD_DATE), *([("e2", "Nova&rsquo;s 7B &amp; more", GOOD_DATE)] if later else [])
    )
    dated = [
        ("d1", "Slashed", "2016/6/29"),
        ("d2", "Ancient", "Fri, 01 Jan 1999 00:00:00 GMT"),
        ("d3", "Future", "Wed, 01 Jan 2031 00:00:00 GMT"),
        ("d4", "Fine", GOOD_DATE),
    ]
    dates = rss(("d0", "Old post", GOOD_DATE), *(dated if later else []))
    fine = rss(("f1", "Calm post", GOOD_DATE), *([("f2", "Calm news", GOOD_DATE)] if later else []))
    return {"bad_byte.xml": bad_byte, "entities.xml": entities, "dates.xml": dates, "fine.xml": fine}


def test_broken_feeds_are_decoded_good_entries_kept_and_dates_never_guessed(
    store: Store, backend_settings: Settings, tmp_path: Path
) -> None:
    with SourceServer() as blog:
        watchlist = write_watchlist(
            tmp_path / "watchlist.toml",
            lab("broken", name="Broken", feeds=[f"{blog.url}/feeds/bad_byte.xml", f"{blog.url}/feeds/entities.xml"]),
            lab("dated", name="Dated Blog", feeds=[f"{blog.url}/feeds/dates.xml"]),
            lab("calm", name="Calm Blog", feeds=[f"{blog.url}/feeds/fine.xml"]),
        )
        env = poll_env(
            backend_settings,
            watchlist,
            "feeds",
            TRACKER_ALLOW_PRIVATE_FEEDS="true",
        )
        blog.feeds = _feeds(1)
        baseline = run_tracker(env, "poll")
        assert_clean(baseline)
        assert baseline.returncode == 0, baseline.stdout + baseline.stderr
        blog.feeds = _feeds(2)
        second = run_tracker(env, "poll")

    assert_clean(second)
    assert second.returncode == 0, second.stdout + second.stderr
    assert " failed " not in second.stdout and " partial " not in second.stdout, second.stdout
    assert "bad_byte.xml: 1 undecodable byte(s) replaced; parsed the repaired feed" in second.stderr
    assert "entities.xml: 2 HTML entities or bare '&' repaired; parsed the repaired feed" in second.stderr
    with store.transaction() as session:
        posts = {a.attrs["entry_id"]: (a.name, a.created_at, a.attrs) for a in session.scalars(select(Artifact))}
    assert set(posts) == {"b1", "b2", "e1", "e2", "d0", "d1", "d2", "d3", "d4", "f1", "f2"}  # nothing lost
    assert posts["b2"][0] == "Caf\ufffd 2.0 is out" and posts["e2"][0] == "Nova\u2019s 7B & more"
    assert posts["e1"][0] == "Hello world"  # the no-break space, whitespace collapsed
    for guid in ("d1", "d2", "d3"):  # unknown, flagged, never a guessed or implausible fact
        _, created_at, attrs = posts[guid]
        assert created_at is None and attrs["date_problems"], (guid, created_at, attrs)
    assert posts["d4"][1] is not None and "date_problems" not in posts["d4"][2]
    assert "2016/6/29" in second.stderr  # the log says which date was refused
