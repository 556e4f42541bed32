"""GitHub source: releases and tags of watched repos, new public repos of watched orgs.

A lab's watchlist ``github`` entries are orgs (``QwenLM``) or repos (``QwenLM/Qwen3``).

API facts used here:

* Repo feeds (Atom 1.0, no API quota): ``{github_url}/{owner}/{repo}/releases.atom`` and
  ``/tags.atom``, the latest 10 entries each. An entry's ``<id>`` is
  ``tag:github.com,2008:Repository/<repo id>/<tag>``, ``<link rel="alternate">`` points to
  ``/releases/tag/<tag>``, ``<title>`` is the release title (the tag name in the tags feed),
  ``<updated>`` the release/tag time. A tag that has a release appears in both feeds: one
  artifact, the release's facts win.
* Org repos (REST, docs.github.com "List organization repositories"):
  ``GET {github_api_url}/orgs/{org}/repos?type=public&sort=created&direction=desc&per_page=100``,
  a JSON array of repos with ``id`` (stable across renames), ``full_name``, ``name``,
  ``html_url``, ``description``, ``created_at`` (ISO-8601 Z), ``fork``, ``archived``; a user
  account answers 404 there and is listed through ``/users/{user}/repos`` instead. Only the newest
  page is read (new repos are what matters), so a repo missing from it is never "withdrawn".
* REST requests send ``Accept: application/vnd.github+json``, ``X-GitHub-Api-Version`` and,
  when ``TRACKER_GITHUB_TOKEN`` is set, ``Authorization: Bearer`` (only to the API host). Every
  request is conditional (``If-None-Match``): a 304 is not counted against the rate limit and
  costs no parsing. Rate limits: ``X-RateLimit-Remaining``/``X-RateLimit-Reset`` (epoch seconds);
  a 403/429 with ``Remaining: 0`` is a ``RateLimitedError`` (see ``tracker.http``), and once
  ``Remaining`` reaches 0 the remaining REST scopes of this poll are skipped as failures.

Artifacts are ``code`` artifacts without an org (nothing is concluded from a partial listing);
``attrs["family_hints"]`` carry the release title and the repo name, which the pipeline uses to
attach a release ``Qwen3`` of ``QwenLM/Qwen3`` to the lab's Qwen3 model release.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, unquote

from tracker.config import Settings
from tracker.domain import ArtifactKind, Observation, SourceKind, SourceResult
from tracker.errors import ParseError, RateLimitedError, SourceHTTPError
from tracker.external import wait_seconds
from tracker.http import HttpClient, Response
from tracker.sources._fields import load_json, opt_bool, opt_datetime, opt_str
from tracker.sources._scopes import count_requests, fetch_scope
from tracker.sources.feeds import FeedEntry, parse_feed
from tracker.watchlist import LabConfig

__all__ = ["GitHubRepo", "applies", "parse_repos", "poll", "release_observation", "repo_observation"]

_API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


def applies(lab: LabConfig) -> bool:
    """True when the lab lists GitHub orgs or repos."""
    return bool(lab.github)


@dataclass(frozen=True, slots=True)
class GitHubRepo:
    """One repo of a REST listing.

    Attributes:
        repo_id (int): ``id``, stable across renames and transfers.
        full_name (str): ``full_name`` (``QwenLM/Qwen3``).
        html_url (str): ``html_url``.
        created_at (datetime, optional): ``created_at``, UTC.
        description (str, optional): ``description``.
        fork (bool): ``fork``. archived (bool): ``archived``.
    """

    repo_id: int
    full_name: str
    html_url: str
    created_at: datetime | None = None
    description: str | None = None
    fork: bool = False
    archived: bool = False


def parse_repos(body: bytes, *, where: str) -> list[GitHubRepo]:
    """Parse a REST repo listing (a JSON array of repo objects).

    Raises:
        ParseError: not JSON (HTML error page, truncated body), not an array, an item that is not
            an object, or ``id``/``full_name``/``html_url`` missing or of the wrong type.
    """
    data = load_json(body, where)
    if not isinstance(data, list):
        raise ParseError(f"{where}: expected a JSON array of repos, got {type(data).__name__}")
    repos: list[GitHubRepo] = []
    for index, item in enumerate(data):
        at = f"{where} item #{index}"
        if not isinstance(item, Mapping):
            raise ParseError(f"{at}: expected a JSON object, got {type(item).__name__}")
        repo_id = item.get("id")
        full_name = item.get("full_name")
        html_url = item.get("html_url")
        if not isinstance(repo_id, int) or isinstance(repo_id, bool):
            raise ParseError(f"{at}: field 'id' is missing or not an integer")
        if not isinstance(full_name, str) or "/" not in full_name or not isinstance(html_url, str):
            raise ParseError(f"{at}: fields 'full_name'/'html_url' are missing or not strings")
        repos.append(
            GitHubRepo(
                repo_id=repo_id,
                full_name=full_name,
                html_url=html_url,
                created_at=opt_datetime(item, "created_at", at, blank_is_none=True),
                description=opt_str(item, "description", at),
                fork=bool(opt_bool(item, "fork", at)),
                archived=bool(opt_bool(item, "archived", at)),
            )
        )
    return repos


def _tag_of(entry: FeedEntry) -> str:
    """The tag name of a releases/tags feed entry (from its id, else its link)."""
    if "/" in entry.entry_id and entry.entry_id.startswith("tag:github.com"):
        return entry.entry_id.split("/", 2)[-1]
    if entry.link and "/releases/tag/" in entry.link:
        return unquote(entry.link.split("/releases/tag/", 1)[1])
    if entry.link and "/tree/" in entry.link:
        return unquote(entry.link.split("/tree/", 1)[1])
    return entry.entry_id


def release_observation(entry: FeedEntry, *, repo: str, feed: str, web_url: str) -> Observation:
    """Turn a ``releases.atom``/``tags.atom`` entry into a ``code`` Observation.

    Args:
        entry (FeedEntry): the feed entry.
        repo (str): ``owner/repo``.
        feed (str): ``releases`` or ``tags``.
        web_url (str): ``settings.github.url`` (fallback link).

    Returns:
        Observation: ``external_id`` = ``owner/repo@tag``, ``name`` = ``owner/repo <title>``,
        ``created_at`` = entry time, scope ``github:<feed>:<owner/repo>``, attrs with repo, tag,
        title, kind (release/tag) and ``family_hints`` = [title, repo name].
    """
    tag = _tag_of(entry)
    title = entry.title or tag
    return Observation(
        source=SourceKind.GITHUB,
        external_id=f"{repo}@{tag}"[:200],
        name=f"{repo} {title}",
        org=None,
        url=entry.link or f"{web_url.rstrip('/')}/{repo}/releases/tag/{quote(tag, safe='')}",
        kind=ArtifactKind.CODE,
        created_at=entry.published_at,
        attrs={
            "repo": repo,
            "tag": tag,
            "title": title,
            "github_kind": "release" if feed == "releases" else "tag",
            "summary": entry.summary,
            "family_hints": [title, repo.split("/", 1)[1]],
        },
        scope=f"github:{feed}:{repo}",
    )


def repo_observation(repo: GitHubRepo, *, org: str) -> Observation:
    """Turn a new repo of a watched org into a ``code`` Observation (id ``repo:<id>``)."""
    return Observation(
        source=SourceKind.GITHUB,
        external_id=f"repo:{repo.repo_id}",
        name=repo.full_name,
        org=None,
        url=repo.html_url,
        kind=ArtifactKind.CODE,
        created_at=repo.created_at,
        attrs={
            "repo": repo.full_name,
            "github_kind": "repo",
            "description": repo.description,
            "archived": repo.archived,
            "family_hints": [repo.full_name.split("/", 1)[1]],
        },
        scope=f"github:repos:{org}",
    )


class _Budget:
    """REST rate-limit state seen in this poll (``X-RateLimit-Remaining``/``-Reset``)."""

    def __init__(self) -> None:
        self.remaining: int | None = None
        self.reset_at: float | None = None

    def note(self, response: Response) -> None:
        remaining = response.headers.get("X-RateLimit-Remaining", "").strip()
        reset = response.headers.get("X-RateLimit-Reset", "").strip()
        if remaining.isdigit():
            self.remaining = int(remaining)
        if reset.isdigit():
            self.reset_at = float(reset)

    def check(self, url: str) -> None:
        if self.remaining == 0:
            wait = (
                wait_seconds(max(0.0, self.reset_at - time.time()), what="X-RateLimit-Reset") if self.reset_at else None
            )
            raise RateLimitedError(
                f"GitHub API rate limit exhausted in this poll; skipped {url}"
                + (f" (resets in {wait:.0f}s)" if wait is not None else ""),
                url=url,
                retry_after=wait,
            )


async def _list_repos(client: HttpClient, settings: Settings, org: str, budget: _Budget) -> Response:
    headers = dict(_API_HEADERS)
    if settings.github.token is not None and settings.github.token.get_secret_value():
        headers["Authorization"] = f"Bearer {settings.github.token.get_secret_value()}"
    params = {"type": "public", "sort": "created", "direction": "desc", "per_page": 100}
    base = settings.github.api_url.rstrip("/")
    url = f"{base}/orgs/{quote(org, safe='')}/repos"
    budget.check(url)
    try:
        response = await client.get(url, params=params, headers=headers, conditional=True)
    except SourceHTTPError as exc:
        if exc.status_code != 404:
            raise
        url = f"{base}/users/{quote(org, safe='')}/repos"  # a user account, not an org
        budget.check(url)
        params = {"type": "owner", "sort": "created", "direction": "desc", "per_page": 100}
        response = await client.get(url, params=params, headers=headers, conditional=True)
    budget.note(response)
    return response


async def poll(client: HttpClient, settings: Settings, lab: LabConfig) -> SourceResult:
    """Poll the lab's GitHub repos (release and tag feeds) and orgs (newest repos).

    Scopes: ``github:releases:<owner/repo>``, ``github:tags:<owner/repo>``, ``github:repos:<org>``.
    Each fails alone; a 304 puts it in ``not_modified_scopes``. Forks are skipped.

    Returns:
        SourceResult: ``code`` observations (one per tag, the release's facts preferred over
        the tag's), complete / not-modified scopes, failures, counters.
    """
    result = SourceResult(source=SourceKind.GITHUB, lab=lab.slug)
    chosen: dict[str, Observation] = {}
    budget = _Budget()
    web = settings.github.url.rstrip("/")
    with count_requests(client, result):
        for entry in lab.github:
            target = entry.strip().strip("/")
            if "/" in target:
                for feed in ("releases", "tags"):
                    url = f"{web}/{target}/{feed}.atom"
                    entries = await fetch_scope(
                        result,
                        f"github:{feed}:{target}",
                        client.get(url, conditional=True),
                        lambda response, feed=feed, url=url: parse_feed(
                            response.content,
                            where=f"GitHub {feed} feed {url}",
                            content_type=response.headers.get("Content-Type"),
                        ),
                    )
                    for item in entries or ():
                        obs = release_observation(item, repo=target, feed=feed, web_url=web)
                        if feed == "releases" or obs.external_id not in chosen:
                            chosen[obs.external_id] = obs
            else:
                repos = await fetch_scope(
                    result,
                    f"github:repos:{target}",
                    _list_repos(client, settings, target, budget),
                    lambda response, target=target: parse_repos(response.content, where=f"GitHub repos of {target}"),
                )
                for repo in repos or ():
                    if not repo.fork:
                        obs = repo_observation(repo, org=target)
                        chosen.setdefault(obs.external_id, obs)
    result.observations = list(chosen.values())
    return result
