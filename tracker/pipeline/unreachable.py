"""Which hosts a poll could not reach, and what a user should check for each.

``tracker poll`` prints one line per host; the worker logs one line per host and poll cycle
(``workers.tasks``). Both name the setting that points at the host, when one does.
"""

from __future__ import annotations

from collections.abc import Iterable

from tracker.config import Settings
from tracker.http import host_key
from tracker.pipeline.report import PollReport

#: Settings naming the endpoint of a host, for the hint printed when that host is unreachable.
ENDPOINT_SETTINGS: tuple[tuple[str, str], ...] = (
    ("hf_endpoint", "TRACKER_HF_ENDPOINT"),
    ("arxiv_endpoint", "TRACKER_ARXIV_ENDPOINT"),
    ("modelscope_endpoint", "TRACKER_MODELSCOPE_ENDPOINT"),
    ("github_api_url", "TRACKER_GITHUB_API_URL"),
    ("github_url", "TRACKER_GITHUB_URL"),
)


def check_hint(host: str, settings: Settings) -> str:
    """What to check when ``host`` (a ``host_key``) is unreachable: ``your network or TRACKER_HF_ENDPOINT``."""
    names = [env for attr, env in ENDPOINT_SETTINGS if host_key(str(settings.lookup(attr))) == host]
    return " or ".join(["your network", *names])


def unreachable_hosts(reports: Iterable[PollReport]) -> dict[str, tuple[str, set[str], set[str]]]:
    """``{host: (first error, labs, sources)}`` over ``reports``; empty when every host answered."""
    hosts: dict[str, tuple[str, set[str], set[str]]] = {}
    for r in reports:
        for host, error in r.unreachable.items():
            _, labs, sources = hosts.setdefault(host, (error, set(), set()))
            labs.add(r.lab)
            sources.add(r.source)
    return hosts
