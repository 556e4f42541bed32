"""``tracker radar adopt``: write a radar org into the user's watchlist file, mark it adopted.

Only the user's file (``TRACKER_WATCHLIST``) is ever written, never the packaged default. A
missing file is created as ``extends = "default"`` plus the new lab, so the user keeps every
packaged lab; an existing file gets one ``[[labs]]`` block appended (its comments and order are
kept). The result is validated by the watchlist loader before it replaces the file. The next poll
of the org records its existing repos as baseline (the first listing of a scope never alerts).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from sqlalchemy.orm import Session

from tracker.errors import ConfigError
from tracker.store.models import RadarCandidate
from tracker.store.queries.radar import get_radar_candidate
from tracker.watchlist import Watchlist, load_watchlist

__all__ = ["Adopted", "adopt_org"]


@dataclass(frozen=True, slots=True)
class Adopted:
    """The org written (Hub spelling), the lab slug, the file and whether it was created."""

    org: str
    slug: str
    path: Path
    created: bool


def _target(path: Path | None) -> Path:
    if path is None:
        raise ConfigError(
            "TRACKER_WATCHLIST is not set, so tracker reads its packaged watchlist, which `radar adopt` never "
            'edits. Point TRACKER_WATCHLIST at your own file (created with extends = "default" if missing) '
            "and run again."
        )
    packaged = Path(str(resources.files("tracker").joinpath("watchlist.toml"))).resolve()
    if Path(path).expanduser().resolve() == packaged:
        raise ConfigError(f"{path} is tracker's packaged watchlist; copy it or start your own file")
    return Path(path).expanduser()


def _block(row: RadarCandidate, slug: str, name: str, country: str, now: datetime) -> str:
    """A ``[[labs]]`` TOML block; strings as JSON literals (valid TOML basic strings)."""
    return (
        f"\n# adopted from the radar on {now:%Y-%m-%d}: score {row.score:.0f}\n"
        "[[labs]]\n"
        f"slug = {json.dumps(slug)}\n"
        f"name = {json.dumps(name)}\n"
        f"country = {json.dumps(country)}\n"
        f"hf_orgs = [{json.dumps(row.org)}]\n"
    )


def _write_checked(target: Path, text: str) -> None:
    """Write ``text`` beside ``target``, load it as a watchlist, then replace ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".watchlist-", suffix=".toml", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        load_watchlist(Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def adopt_org(
    session: Session,
    *,
    org: str,
    slug: str,
    country: str,
    name: str | None,
    watchlist: Watchlist,
    watchlist_path: Path | None,
    now: datetime,
) -> Adopted:
    """Append ``org`` as lab ``slug`` to the user's watchlist and mark its candidate adopted.

    Args:
        org: the org as the radar lists it (any case). slug: the new lab's slug. country: ISO
            3166-1 alpha-2, the user's decision. name: display name (default: the org).
        watchlist: the loaded watchlist (to refuse an org or slug it already has).
        watchlist_path: ``settings.watchlist``. now: UTC, written in the block's comment.

    Raises:
        ConfigError: no user watchlist, the packaged file, an org not on the radar, an org or slug
            already watched, or a block the watchlist loader rejects (the file is left as it was).
    """
    target = _target(watchlist_path)
    row = get_radar_candidate(session=session, org=org)
    if row is None:
        raise ConfigError(f"{org!r} is not on the radar (see `tracker radar`)")
    if row.org_key in watchlist.labs_for_org():
        raise ConfigError(f"{row.org!r} is already watched by lab {watchlist.labs_for_org()[row.org_key].slug!r}")
    if any(lab.slug == slug for lab in watchlist.labs):
        raise ConfigError(f"lab slug {slug!r} is already in {watchlist.source}; choose another --lab")
    created = not target.exists()
    try:
        old = "" if created else target.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read watchlist {target}: {exc.strerror or exc}") from exc
    head = 'extends = "default"\n' if created else ("" if old.endswith("\n") or not old else "\n")
    _write_checked(target, old + head + _block(row, slug, name or row.org, country, now))
    row.status, row.country, row.updated_at = "adopted", country, now
    session.flush()
    return Adopted(org=row.org, slug=slug, path=target, created=created)
