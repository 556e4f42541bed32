"""How a setting is declared: its ``TRACKER_*`` name, its comment, and the one flat-name table.

Settings are grouped by concern (``settings.http.timeout``), but the environment stays flat
(``TRACKER_HTTP_TIMEOUT``): operators' ``.env`` files and compose files keep working. Each field
declares its flat name with ``setting(...)``; ``flat_settings(Settings)`` walks the model and
derives the table every other use goes through (reading the environment, flat keyword arguments,
error messages naming the variable, ``.env.example``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

ENV_PREFIX = "TRACKER_"


class SettingsGroup(BaseModel):
    """Base of the nested settings groups: plain models, validated like the top level.

    The first line of a group's docstring is its section title in ``.env.example``.
    """

    model_config = ConfigDict(extra="ignore", validate_default=True)


def setting(default: Any = None, *, env: str, doc: str, also: tuple[str, ...] = (), **constraints: Any) -> Any:
    """Declare a grouped setting (a pydantic ``Field``) with its flat environment name.

    Args:
        default: the value when the variable is unset.
        env (str): the flat name, ``TRACKER_`` and case dropped (``"hf_endpoint"``); also the
            keyword ``Settings(hf_endpoint=...)`` accepts and the name errors report.
        doc (str): the comment of the setting in ``.env.example`` (say units: seconds, days).
        also (tuple[str, ...]): other variables read when ``TRACKER_<ENV>`` is unset
            (``"HF_ENDPOINT"``), in priority order.
        **constraints: pydantic ``Field`` constraints (``ge``, ``gt``, ``le``...).
    """
    return Field(default, description=doc, json_schema_extra={"env": env, "also": list(also)}, **constraints)


@dataclass(frozen=True, slots=True)
class FlatSetting:
    """One setting as the environment names it.

    Attributes:
        flat (str): ``"hf_endpoint"``: the variable name without ``TRACKER_``, lower-cased.
        group (str, optional): the group field of ``Settings`` (``"hub"``); None at the top level.
        field (str): the field inside the group (``"endpoint"``), or the top-level field.
        env_names (tuple[str, ...]): variables read, in priority order (``TRACKER_HF_ENDPOINT``,
            ``HF_ENDPOINT``).
        doc (str): the comment of the setting.
    """

    flat: str
    group: str | None
    field: str
    env_names: tuple[str, ...]
    doc: str

    @property
    def path(self) -> str:
        """Attribute path from ``Settings``: ``"hub.endpoint"``, or ``"data_dir"``."""
        return f"{self.group}.{self.field}" if self.group else self.field


@functools.cache
def flat_settings(model: type[BaseModel]) -> tuple[FlatSetting, ...]:
    """Every setting of ``model`` (a ``Settings`` class), in declaration order.

    Top-level fields are named by their field name; fields of ``SettingsGroup`` members by the
    ``env`` they declared with ``setting``.

    Raises:
        TypeError: a grouped field was declared without ``setting`` (it has no flat name).
    """
    rows: list[FlatSetting] = []
    for name, info in model.model_fields.items():
        group = info.annotation
        if isinstance(group, type) and issubclass(group, SettingsGroup):
            for field, inner in group.model_fields.items():
                extra = inner.json_schema_extra if isinstance(inner.json_schema_extra, dict) else {}
                if "env" not in extra:
                    raise TypeError(f"{group.__name__}.{field} needs setting(env=...): its TRACKER_* name")
                flat = str(extra["env"])
                env_names = (ENV_PREFIX + flat.upper(), *(str(a) for a in extra.get("also") or ()))
                rows.append(FlatSetting(flat, name, field, env_names, inner.description or ""))
        else:
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            env_names = (ENV_PREFIX + name.upper(), *(str(a) for a in extra.get("also") or ()))
            rows.append(FlatSetting(name, None, name, env_names, info.description or ""))
    return tuple(rows)


def _http_url(value: str) -> str:
    value = value.strip()
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"must be an http(s) URL, got {value!r}")
    return value


def _iana_zone(value: str) -> str:
    value = value.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {value!r} (e.g. UTC, Europe/Paris, Asia/Shanghai)") from None
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]
"""An ``http(s)://`` URL, surrounding spaces dropped (endpoints and API bases)."""

IanaZone = Annotated[str, AfterValidator(_iana_zone)]
"""An IANA time zone name (``Europe/Paris``), surrounding spaces dropped."""
