"""Whether a repo new to a watched org moved in from another org instead of being launched.

When a lab renames its Hub org (THUDM -> zai-org) or transfers repos, the Hub keeps each repo's
``_id`` but lists it under the new org. A watcher of the old org sees a rename; a watcher of only
the new org sees repos it never saw, some of them years old. Those are history, not news.

Evidence, from the Hub's own fields (``tracker.sources.huggingface`` puts them in ``attrs``):

* **authoritative**: a Hub webhook ``repo.move`` named the repo's new id (``movedTo.name``); the
  old id gives the org it came from;
* **age**: its creation (``createdAt``) *and* its last commit (``lastModified``) are both more than
  ``grouping.move_min_age_days`` before tracker first saw it, and it already has public traction
  (likes or downloads). A launch, even of a repo created long ago in private, commits its model
  card and weights just before going public, so an old last commit means it was public elsewhere.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

__all__ = ["moved_in"]


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def moved_in(
    *,
    name: str,
    attrs: Mapping[str, Any],
    created_at: datetime | None,
    now: datetime,
    min_age: timedelta,
    announced: Mapping[str, str] | None = None,
) -> list[str] | None:
    """The signals that say repo ``name`` moved into its org, or None when it looks like a launch.

    Args:
        name: the repo id as now listed (``"zai-org/chatglm3-6b"``).
        attrs: the observation's attrs (``last_modified`` ISO-8601, ``likes``, ``downloads``).
        created_at: the Hub ``createdAt`` (UTC), None when unknown.
        now: when tracker first saw it (UTC).
        min_age: ``grouping.move_min_age_days`` as a timedelta.
        announced: new repo id (casefolded) -> old repo id, from Hub ``repo.move`` webhooks.

    Returns:
        ``["webhook repo.move from THUDM/chatglm3-6b"]`` or
        ``["created 640 days before", "last commit 310 days before", "likes 1200"]``; None.
    """
    old = (announced or {}).get(name.casefold())
    if old:
        return [f"webhook repo.move from {old}"]
    modified = _when(attrs.get("last_modified"))
    if created_at is None or modified is None:
        return None
    created_age, modified_age = now - created_at, now - modified
    traction = _count(attrs.get("likes")) or _count(attrs.get("downloads"))
    if created_age <= min_age or modified_age <= min_age or not traction:
        return None
    signal = f"likes {attrs['likes']}" if _count(attrs.get("likes")) else f"downloads {attrs['downloads']}"
    return [f"created {created_age.days} days before", f"last commit {modified_age.days} days before", signal]
