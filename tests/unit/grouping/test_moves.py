"""Repos moved into a watched org (tracker.grouping.moves): invented cases around the thresholds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.grouping.moves import moved_in

NOW = datetime(2025, 7, 28, 6, tzinfo=UTC)
MIN_AGE = timedelta(days=90)
OLD = NOW - timedelta(days=600)


def _moved(attrs: dict, created_at: datetime | None = OLD) -> list[str] | None:  # type: ignore[type-arg]
    return moved_in(name="acme/a", attrs=attrs, created_at=created_at, now=NOW, min_age=MIN_AGE)


def _attrs(modified_days_ago: float, likes: int = 12, downloads: int = 0) -> dict:  # type: ignore[type-arg]
    modified = NOW - timedelta(days=modified_days_ago)
    return {"last_modified": modified.isoformat(), "likes": likes, "downloads": downloads}


def test_old_repo_with_traction_moved_in() -> None:
    signals = moved_in(
        name="acme/old-7b", attrs=_attrs(300), created_at=NOW - timedelta(days=600), now=NOW, min_age=MIN_AGE
    )
    assert signals == ["created 600 days before", "last commit 300 days before", "likes 12"]


def test_repo_created_long_ago_in_private_but_committed_now_is_a_launch() -> None:
    assert (
        moved_in(name="acme/new-7b", attrs=_attrs(0.1), created_at=NOW - timedelta(days=400), now=NOW, min_age=MIN_AGE)
        is None
    )


def test_no_traction_or_recent_creation_is_no_move() -> None:
    old = NOW - timedelta(days=600)
    assert moved_in(name="acme/a", attrs=_attrs(300, likes=0), created_at=old, now=NOW, min_age=MIN_AGE) is None
    assert (
        moved_in(name="acme/a", attrs=_attrs(300), created_at=NOW - timedelta(days=30), now=NOW, min_age=MIN_AGE)
        is None
    )
    assert (
        moved_in(
            name="acme/a", attrs={"last_modified": "garbage", "likes": 5}, created_at=old, now=NOW, min_age=MIN_AGE
        )
        is None
    )
    assert moved_in(
        name="acme/a", attrs=_attrs(300, likes=0, downloads=900), created_at=old, now=NOW, min_age=MIN_AGE
    ) == [
        "created 600 days before",
        "last commit 300 days before",
        "downloads 900",
    ]


def test_webhook_move_is_authoritative() -> None:
    signals = moved_in(
        name="New-Org/Fresh-7B",
        attrs=_attrs(0),
        created_at=NOW,
        now=NOW,
        min_age=MIN_AGE,
        announced={"new-org/fresh-7b": "Old-Org/Fresh-7B"},
    )
    assert signals == ["webhook repo.move from Old-Org/Fresh-7B"]
