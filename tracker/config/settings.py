"""``Settings``: tracker's configuration, grouped by concern, read from flat ``TRACKER_*`` variables.

Settings are built once in an entry point (the CLI, the API app, the Celery app) and passed down
explicitly; nothing in tracker reads the environment at import time.

The environment stays flat (``TRACKER_HTTP_TIMEOUT``, ``HF_TOKEN``), and so do the keyword
arguments ``Settings(http_timeout=5)`` and ``settings.model_copy(update={"http_timeout": 5})``:
these names are what operators and tests know. One table (``flat_settings``, derived from the
model) routes each flat name to its group; reads are nested (``settings.http.timeout``). A
validation error names the flat setting (``loc == ("http_timeout",)``), so ``TRACKER_HTTP_TIMEOUT:
...`` messages stay what they were.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

import platformdirs
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from tracker.config.adoption import AdoptionSettings
from tracker.config.fields import FlatSetting, flat_settings
from tracker.config.groups import (
    ApiSettings,
    ArxivSettings,
    CadenceSettings,
    DeliverySettings,
    DigestSettings,
    EmailSettings,
    FeedsSettings,
    GitHubSettings,
    HttpSettings,
    HubSettings,
    ModelScopeSettings,
    PollingSettings,
    PulseSettings,
    SlackSettings,
    WorkerSettings,
)
from tracker.config.radar import RadarSettings
from tracker.config.releases import GroupingSettings, PaperSettings
from tracker.errors import ConfigError

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class Settings(BaseSettings):
    """Runtime configuration; every setting maps to ``TRACKER_<NAME>`` (``.env.example`` lists them).

    Top-level fields say where things live; the groups hold the rest, each documented field by
    field in ``tracker.config.groups`` (units included).

    Attributes:
        data_dir (Path): where embedded files live (SQLite database, kombu broker file, beat
            schedule). Defaults to the platform's user-data dir (``platformdirs``).
        database_url (str, optional): any SQLAlchemy URL. None means ``sqlite:///<data_dir>/tracker.db``.
        broker_url (str, optional): Celery broker URL. None means the server-less kombu
            SQLAlchemy transport ``sqla+sqlite:///<data_dir>/broker.db``.
        watchlist (Path, optional): user watchlist TOML; None means the packaged default.
        hub, arxiv, polling, http, slack, email, api, modelscope, github, feeds, worker: groups
            (``HubSettings``...), one per concern.
        log_level (str): DEBUG, INFO, WARNING, ERROR or CRITICAL.
        delivery, cadence, pulse, digest, grouping, papers, adoption, radar: more groups (``DeliverySettings``...).
    """

    model_config = SettingsConfigDict(env_prefix="TRACKER_", env_file=".env", env_file_encoding="utf-8", extra="ignore")

    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("tracker")),
        description=(
            "Where embedded files live (SQLite database, kombu broker file, beat schedule). "
            "Unset: the platform's user-data dir (~/.local/share/tracker on Linux)."
        ),
    )
    database_url: str | None = Field(
        None,
        description=(
            "Any SQLAlchemy URL, e.g. postgresql+psycopg://tracker:tracker@postgres:5432/tracker. "
            "Unset: sqlite:///<data_dir>/tracker.db."
        ),
    )
    broker_url: str | None = Field(
        None,
        description=(
            "Celery broker, e.g. redis://redis:6379/0. Unset: the server-less sqla+sqlite:///<data_dir>/broker.db. "
            "Redis also carries the poll locks, the shared rate limits and the /metrics poll counters."
        ),
    )
    watchlist: Path | None = Field(
        None,
        description=("Your watchlist TOML (labs, orgs, subscriptions). Unset: the packaged tracker/watchlist.toml."),
    )
    hub: HubSettings = Field(default_factory=HubSettings)
    arxiv: ArxivSettings = Field(default_factory=ArxivSettings)
    polling: PollingSettings = Field(default_factory=PollingSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    modelscope: ModelScopeSettings = Field(default_factory=ModelScopeSettings)
    github: GitHubSettings = Field(default_factory=GitHubSettings)
    feeds: FeedsSettings = Field(default_factory=FeedsSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING, ERROR or CRITICAL.")
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    cadence: CadenceSettings = Field(default_factory=CadenceSettings)
    pulse: PulseSettings = Field(default_factory=PulseSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    grouping: GroupingSettings = Field(default_factory=GroupingSettings)
    papers: PaperSettings = Field(default_factory=PaperSettings)
    adoption: AdoptionSettings = Field(default_factory=AdoptionSettings)
    radar: RadarSettings = Field(default_factory=RadarSettings)

    def __init__(self, **values: Any) -> None:
        """Read the environment and ``.env`` (unless ``_env_file=None``), then apply ``values``.

        Args:
            **values: settings by flat name (``hf_endpoint=...``), top-level field, or group
                (``hub=HubSettings(...)`` or a dict); pydantic-settings' ``_env_file`` and friends.

        Raises:
            pydantic.ValidationError: each error's ``loc`` is the flat setting name
                (``("http_timeout",)``), whether the value came from a variable or a keyword.
        """
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise _flat_locations(exc) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keyword arguments first, then the flat variables of the environment and of ``.env``."""
        return init_settings, FlatEnvSource(settings_cls, env_settings, dotenv_settings), file_secret_settings

    @model_validator(mode="before")
    @classmethod
    def _route_flat_names(cls, data: Any) -> Any:
        return route_flat_names(cls, data) if isinstance(data, dict) else data

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in _LOG_LEVELS:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """Copy, with ``update`` keyed by flat name (``{"http_timeout": 5}``), field or group.

        Like pydantic's ``model_copy``, values are not validated. A flat name replaces one field
        of a copy of its group; the original settings are never changed.
        """
        if not update:
            return super().model_copy(deep=deep)
        routed, grouped = _split_flat_names(type(self), update)
        for group, fields in grouped.items():
            base = routed.get(group, getattr(self, group))
            routed[group] = base.model_copy(update=fields)
        return super().model_copy(update=routed, deep=deep)

    def lookup(self, flat_name: str) -> Any:
        """The value of a setting by its flat name (``"hf_endpoint"`` -> ``self.hub.endpoint``).

        For tables keyed by ``TRACKER_*`` names, such as the endpoints a CLI hint names.

        Raises:
            AttributeError: no setting has that flat name.
        """
        row = _by_flat_name(type(self)).get(flat_name)
        if row is None:
            raise AttributeError(f"no setting named {flat_name!r} (TRACKER_{flat_name.upper()})")
        value: Any = self
        for part in row.path.split("."):
            value = getattr(value, part)
        return value

    @property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL to use: ``database_url`` or the embedded SQLite file."""
        return self.database_url or f"sqlite:///{self.data_dir / 'tracker.db'}"

    @property
    def resolved_broker_url(self) -> str:
        """The Celery broker URL: ``broker_url`` or the server-less kombu SQLAlchemy transport."""
        return self.broker_url or f"sqla+sqlite:///{self.data_dir / 'broker.db'}"

    def ensure_data_dir(self) -> Path:
        """Create ``data_dir`` if needed and return it.

        Raises:
            ConfigError: it exists as a file, or cannot be created.
        """
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"TRACKER_DATA_DIR {self.data_dir} is not a usable directory: {exc.strerror or exc}"
            ) from exc
        return self.data_dir


@functools.cache
def _by_flat_name(model: type[BaseModel]) -> dict[str, FlatSetting]:
    return {row.flat: row for row in flat_settings(model)}


def _split_flat_names(
    model: type[BaseModel], data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Split ``data`` into its other keys and its grouped flat names, by group then field."""
    table = _by_flat_name(model)
    rest: dict[str, Any] = {}
    grouped: dict[str, dict[str, Any]] = {}
    for key, value in data.items():
        row = table.get(key)
        if row is not None and row.group is not None:
            grouped.setdefault(row.group, {})[row.field] = value
        else:
            rest[key] = value
    return rest, grouped


def route_flat_names(model: type[BaseModel], data: Mapping[str, Any]) -> dict[str, Any]:
    """Move flat keys of ``data`` into their groups: ``{"http_timeout": 5}`` -> ``{"http": {"timeout": 5}}``.

    A group given whole (a dict, or a group model: its explicitly set fields) wins over flat keys
    for the same fields, so ``Settings(http=HttpSettings(timeout=5))`` is not undone by
    ``TRACKER_HTTP_TIMEOUT``; flat keys fill the group's other fields.
    """
    routed, grouped = _split_flat_names(model, data)
    for group, fields in grouped.items():
        given = routed.get(group)
        if isinstance(given, BaseModel):
            given = {name: getattr(given, name) for name in given.model_fields_set}
        if given is None or isinstance(given, Mapping):
            routed[group] = {**fields, **(given or {})}
    return routed


def _flat_locations(exc: ValidationError) -> ValidationError:
    """``exc`` with each grouped location (``("http", "timeout")``) replaced by its flat name."""
    by_path = {(row.group, row.field): row.flat for row in flat_settings(Settings) if row.group}
    errors = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        flat = by_path.get(loc[:2]) if len(loc) >= 2 else None
        details: dict[str, Any] = {
            "type": error["type"],
            "loc": (flat, *loc[2:]) if flat else loc,
            "input": error["input"],
        }
        if "ctx" in error:
            details["ctx"] = error["ctx"]
        errors.append(details)
    return ValidationError.from_exception_data(exc.title, errors)  # type: ignore[arg-type]


class FlatEnvSource(PydanticBaseSettingsSource):
    """The flat ``TRACKER_*`` variables (and ``HF_TOKEN``-style aliases) of the environment and ``.env``.

    Values are the raw strings, keyed by flat name; ``Settings`` routes them into their groups.
    A variable of the environment wins over ``.env``; within one, ``TRACKER_<NAME>`` wins over
    its aliases. pydantic-settings' own sources would look for ``TRACKER_HTTP`` (one JSON value
    per group) instead, so they only provide the parsed variables here.

    Args:
        settings_cls (type[BaseSettings]): the settings model (its ``flat_settings`` table).
        env (PydanticBaseSettingsSource): pydantic-settings' environment source (case rules applied).
        dotenv (PydanticBaseSettingsSource): its ``.env`` source (honours ``_env_file``).
    """

    def __init__(
        self, settings_cls: type[BaseSettings], env: PydanticBaseSettingsSource, dotenv: PydanticBaseSettingsSource
    ):
        super().__init__(settings_cls)
        self._layers = [getattr(dotenv, "env_vars", {}), getattr(env, "env_vars", {})]  # lowest priority first

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: ``__call__`` reads every setting at once through the flat table."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for variables in self._layers:
            for row in flat_settings(self.settings_cls):
                for name in row.env_names:
                    if name.lower() in variables:
                        values[row.flat] = variables[name.lower()]
                        break
        return values
