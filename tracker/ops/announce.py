"""Say a thing once per window across every worker process: ``first_in_window``.

A poll cycle is many tasks in several processes (and hosts); "huggingface.co is unreachable"
should be logged once per cycle, not once per unit. The first caller of a key in a window wins:
with a Redis broker through ``SET NX EX`` (shared by every host), otherwise through a marker file
in ``<data_dir>/announce/`` created with ``O_EXCL`` (one host: the embedded broker), replaced once
it is older than the window.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path

from tracker.config import Settings
from tracker.ops.redis import shared_client, uses_redis

log = logging.getLogger(__name__)

KEY_PREFIX = "tracker:announce:"


def first_in_window(settings: Settings, key: str, window_s: float) -> bool:
    """True for the first caller of ``key`` in a window of ``window_s`` seconds, False for the rest.

    Args:
        settings (Settings): the broker URL picks Redis or the marker files in ``data_dir``.
        key (str): what is announced (``unreachable:huggingface.co``); any text.
        window_s (float): seconds (at least 1) before the key may be announced again.

    Returns:
        bool: whether to announce. When the shared mark cannot be taken (Redis down, unwritable
        directory) it answers True: saying a thing twice beats never saying it.
    """
    window = max(1, int(window_s))
    if uses_redis(settings):
        try:
            return bool(shared_client(settings.resolved_broker_url).set(KEY_PREFIX + key, "1", nx=True, ex=window))
        except Exception as exc:  # redis.RedisError and network errors: announce rather than stay silent
            log.debug("announce mark %s not taken (%s)", key, exc)
            return True
    directory = settings.ensure_data_dir() / "announce"
    path = directory / hashlib.sha256(key.encode()).hexdigest()[:32]
    try:
        directory.mkdir(exist_ok=True)
        if _fresh(path, window):
            return False
        path.unlink(missing_ok=True)  # expired: the next O_EXCL create decides who announces
    except OSError as exc:
        log.debug("announce mark %s not taken (%s)", key, exc)
        return True
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:  # another process announced in between
        return False
    except OSError as exc:
        log.debug("announce mark %s not taken (%s)", key, exc)
    return True


def _fresh(path: Path, window: int) -> bool:
    """True when the mark at ``path`` exists and is younger than ``window`` seconds."""
    try:
        return time.time() - path.stat().st_mtime < window
    except FileNotFoundError:
        return False
