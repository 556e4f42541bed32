"""Load and validate the watchlist TOML into frozen ``Watchlist`` / ``LabConfig`` / ``Subscription``.

The packaged ``watchlist.toml`` is the default. A user file (``TRACKER_WATCHLIST``) replaces it,
or extends it when it says ``extends = "default"`` at the top: its labs then replace packaged labs
with the same slug and add the others.

Every error names the file, the lab (or subscription) and the key, and is a ``ConfigError``
(the CLI exits with code 2).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tracker.errors import ConfigError, validation_message

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_HF_ORG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
CHANNEL_SCHEMES = ("slack", "email", "webhook", "apprise", "console")

_EMAIL_ADDRESS = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[^@\s<>,;:\"()\[\]\\]+$")


def is_address(value: str) -> bool:
    """True for one plain ``local@domain.tld`` address (no display name, no list, no CR/LF)."""
    return bool(_EMAIL_ADDRESS.match(value))


class _LabModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: str
    name: str = Field(min_length=1)
    country: str
    tier: str = "primary"
    hf_orgs: tuple[str, ...] = ()
    modelscope_orgs: tuple[str, ...] = ()
    github: tuple[str, ...] = ()
    arxiv_queries: tuple[str, ...] = ()
    arxiv_teams: tuple[str, ...] = ()
    arxiv_authors: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    poll_interval: float | None = Field(default=None, gt=0)

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not _SLUG.match(v):
            raise ValueError("must be lowercase letters, digits and dashes (e.g. 'deepseek')")
        return v

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Z]{2}", v):
            raise ValueError("must be an ISO 3166-1 alpha-2 code in capitals, e.g. 'CN'")
        return v

    @field_validator("hf_orgs")
    @classmethod
    def _orgs(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for org in v:
            if not _HF_ORG.match(org):
                raise ValueError(f"{org!r} is not a Hugging Face org name")
        return v


class _SubscriptionModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: str
    labs: tuple[str, ...] = ("*",)
    countries: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    min_params_b: float | None = Field(default=None, ge=0)
    significance: float | None = None
    licences: tuple[str, ...] = ()
    digest: str | None = None

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str) -> str:
        scheme = v.split(":", 1)[0]
        if ":" not in v or scheme not in CHANNEL_SCHEMES:
            raise ValueError(f"must start with one of {', '.join(s + ':' for s in CHANNEL_SCHEMES)}")
        if scheme == "email" and not is_address(v.split(":", 1)[1]):
            raise ValueError("must be email: and one address like 'email:team@example.org'")
        return v

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        from tracker.domain import ArtifactKind, VariantKind

        known = [k.value for k in ArtifactKind] + [k.value for k in VariantKind]
        unknown = [k for k in v if k not in known]
        if unknown:
            raise ValueError(f"unknown kind(s) {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
        return v

    @field_validator("digest")
    @classmethod
    def _digest(cls, v: str | None) -> str | None:
        if v is not None and v not in ("daily", "weekly"):
            raise ValueError("must be 'daily' or 'weekly'")
        return v


class _WatchlistModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    extends: str | None = None
    labs: tuple[_LabModel, ...] = ()
    subscriptions: tuple[_SubscriptionModel, ...] = ()


@dataclass(frozen=True, slots=True)
class LabConfig:
    """A watched lab.

    Attributes:
        slug (str): stable key used in CLI/API filters (``qwen``).
        name (str): display name (``Qwen (Alibaba Cloud)``).
        country (str): ISO 3166-1 alpha-2 code (``CN``).
        tier (str): ``primary``, ``secondary`` or ``comparator``.
        hf_orgs (tuple[str, ...]): Hugging Face orgs, current and former (``zai-org``, ``THUDM``).
        arxiv_queries (tuple[str, ...]): extra arXiv ``search_query`` strings, sent as written.
        arxiv_teams (tuple[str, ...]): the lab's team author names on arXiv (``Qwen Team``,
            ``DeepSeek-AI``): one of them among a paper's authors attributes it to the lab.
        arxiv_authors (tuple[str, ...]): people who publish the lab's reports; one alone is never
            evidence (namesakes), two on one paper are.
        modelscope_orgs / github / feeds: other sources (optional).
        poll_interval (float, optional): seconds; overrides ``TRACKER_POLL_INTERVAL`` for this lab.
    """

    slug: str
    name: str
    country: str
    tier: str = "primary"
    hf_orgs: tuple[str, ...] = ()
    arxiv_queries: tuple[str, ...] = ()
    arxiv_teams: tuple[str, ...] = ()
    arxiv_authors: tuple[str, ...] = ()
    modelscope_orgs: tuple[str, ...] = ()
    github: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    poll_interval: float | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    """A channel and its filter: ``slack:#chan``, ``email:addr``, ``webhook:https://...``."""

    channel: str
    labs: tuple[str, ...] = ("*",)
    countries: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    min_params_b: float | None = None
    significance: float | None = None
    licences: tuple[str, ...] = ()
    digest: str | None = None


@dataclass(frozen=True, slots=True)
class Watchlist:
    """The labs to watch and the subscriptions to notify; ``source`` names the file(s) read."""

    labs: tuple[LabConfig, ...]
    subscriptions: tuple[Subscription, ...] = ()
    source: str = "<packaged watchlist.toml>"
    _by_slug: dict[str, LabConfig] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_slug.update({lab.slug: lab for lab in self.labs})

    def lab(self, slug: str) -> LabConfig:
        """Return the lab with ``slug``.

        Raises:
            ConfigError: no lab has that slug (the message lists the known ones).
        """
        try:
            return self._by_slug[slug]
        except KeyError:
            known = ", ".join(sorted(self._by_slug))
            raise ConfigError(f"unknown lab {slug!r} in {self.source}; known labs: {known}") from None

    def labs_for_org(self) -> dict[str, LabConfig]:
        """Map each watched Hugging Face org (case-insensitive key, lowercased) to its lab."""
        return {org.lower(): lab for lab in self.labs for org in lab.hf_orgs}


def _packaged_text() -> str:
    return resources.files("tracker").joinpath("watchlist.toml").read_text(encoding="utf-8")


def _format_validation_error(exc: ValidationError, data: dict[str, Any], where: str) -> str:
    lines = []
    for err in exc.errors():
        loc = list(err["loc"])
        label = ".".join(str(p) for p in loc)
        # Name the lab by slug (or the subscription by channel) rather than by list index.
        if len(loc) >= 2 and loc[0] in ("labs", "subscriptions") and isinstance(loc[1], int):
            items = data.get(loc[0]) or []
            item = items[loc[1]] if loc[1] < len(items) and isinstance(items[loc[1]], dict) else {}
            who = item.get("slug") or item.get("channel") or f"#{loc[1] + 1}"
            noun = "lab" if loc[0] == "labs" else "subscription"
            key = ".".join(str(p) for p in loc[2:]) or "(entry)"
            label = f"{noun} {who!r}, key {key!r}"
        elif loc:
            label = f"key {label!r}"
        lines.append(f"{label}: {validation_message(err)}")
    return f"{where}: " + "; ".join(lines)  # one line: the CLI prints one error line


def parse_watchlist(text: str, *, source: str) -> Watchlist:
    """Parse watchlist TOML text (an ``extends`` key is validated but not resolved here).

    Raises:
        ConfigError: see ``_parse``.
    """
    return _parse(text, source=source)[0]


def _parse(text: str, *, source: str) -> tuple[Watchlist, str | None]:
    """Parse watchlist TOML text.

    Args:
        text (str): the TOML document.
        source (str): the file name, used in error messages.

    Returns:
        tuple[Watchlist, str | None]: validated labs and subscriptions, and the ``extends`` value.

    Raises:
        ConfigError: invalid TOML (with line and column), unknown keys, wrong types, duplicate
            slugs, or subscriptions naming unknown labs.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from exc
    try:
        model = _WatchlistModel.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, data, source)) from None
    labs = tuple(LabConfig(**lab.model_dump()) for lab in model.labs)
    seen: set[str] = set()
    for lab in labs:
        if lab.slug in seen:
            raise ConfigError(f"{source}: lab {lab.slug!r}: duplicate slug")
        seen.add(lab.slug)
    _check_unique_orgs(labs, source)
    subs = tuple(Subscription(**s.model_dump()) for s in model.subscriptions)
    if model.extends not in (None, "default"):
        raise ConfigError(f"{source}: key 'extends': must be \"default\" when present")
    return Watchlist(labs=labs, subscriptions=subs, source=source), model.extends


def _check_unique_orgs(labs: tuple[LabConfig, ...], source: str) -> None:
    """Refuse a Hub org watched by two labs: its repos would belong to whichever polled first."""
    owner: dict[str, str] = {}
    for lab in labs:
        for org in lab.hf_orgs:
            other = owner.setdefault(org.lower(), lab.slug)
            if other != lab.slug:
                raise ConfigError(
                    f"{source}: lab {lab.slug!r}, key 'hf_orgs': org {org!r} is already watched by lab {other!r}"
                )


def _check_subscription_labs(wl: Watchlist) -> None:
    slugs = {lab.slug for lab in wl.labs}
    for sub in wl.subscriptions:
        for slug in sub.labs:
            if slug != "*" and slug not in slugs:
                raise ConfigError(f"{wl.source}: subscription {sub.channel!r}, key 'labs': unknown lab {slug!r}")


def load_watchlist(path: Path | None = None) -> Watchlist:
    """Load the watchlist: the packaged default, or ``path`` (replacing or extending it).

    Args:
        path (Path, optional): a user watchlist; None means the packaged ``watchlist.toml``.

    Raises:
        ConfigError: the file is missing, unreadable or invalid (see ``parse_watchlist``).
    """
    default = parse_watchlist(_packaged_text(), source="<packaged watchlist.toml>")
    if path is None:
        _check_subscription_labs(default)
        return default
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read watchlist {path}: {exc.strerror or exc}") from exc
    user, extends = _parse(text, source=str(path))
    if extends == "default":
        by_slug = {lab.slug: lab for lab in default.labs}
        by_slug.update({lab.slug: lab for lab in user.labs})
        _check_unique_orgs(tuple(by_slug.values()), f"{path} (extending the packaged watchlist)")
        user = Watchlist(
            labs=tuple(by_slug.values()),
            subscriptions=default.subscriptions + user.subscriptions,
            source=f"{path} (extending the packaged watchlist)",
        )
    _check_subscription_labs(user)
    return user
