"""``.env.example``, rendered from the model: every setting with its default and its comment.

Regenerate it after adding or changing a setting (a unit test compares the file with this)::

    python -m tracker.config > .env.example
"""

from __future__ import annotations

import textwrap
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from tracker.config.fields import SettingsGroup, flat_settings

WIDTH = 100

HEADER = """\
# tracker settings: copy to `.env` (read by `tracker` and by every docker compose service) and edit.
# Every setting is an environment variable TRACKER_<NAME>; unset lines keep the default shown.
# Durations are seconds unless the name says days; times are UTC unless a *_TIMEZONE is given.
# Generated from tracker/config (Settings): `python -m tracker.config > .env.example`."""

TOP_LEVEL_TITLE = "storage, broker and logging"


def _shown(value: Any) -> str:
    """A default as it would be written in ``.env``: ``true``, ``3``, ``0.5``, empty for none."""
    if value is None or value is PydanticUndefined:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _heading(title: str) -> str:
    return f"# --- {title} ".ljust(WIDTH, "-")


def _comment(text: str) -> list[str]:
    return textwrap.wrap(
        text, width=WIDTH, initial_indent="# ", subsequent_indent="# ", break_long_words=False, break_on_hyphens=False
    )


def _default(model: type[BaseModel], field: str) -> Any:
    info = model.model_fields[field]
    return None if info.default_factory is not None else info.default


def _group(model: type[BaseModel], group: str) -> type[SettingsGroup]:
    annotation = model.model_fields[group].annotation
    if not (isinstance(annotation, type) and issubclass(annotation, SettingsGroup)):
        raise TypeError(f"{model.__name__}.{group} is not a settings group")
    return annotation


def render(model: type[BaseModel]) -> str:
    """Return the text of ``.env.example`` for ``model`` (``Settings``), sections in field order.

    Top-level fields form the first section; each group follows under the first line of its
    docstring. Each setting is its comment (aliases such as ``HF_TOKEN`` named) then a commented
    ``# TRACKER_NAME=<default>`` line; a default computed at run time (``data_dir``) is left empty.
    """
    sections: dict[str | None, list[str]] = {}
    for row in flat_settings(model):
        owner = model if row.group is None else _group(model, row.group)
        doc = row.doc + (f" ({' and '.join(row.env_names[1:])} also works.)" if len(row.env_names) > 1 else "")
        lines = sections.setdefault(row.group, [])
        lines += _comment(doc)
        lines.append(f"# {row.env_names[0]}={_shown(_default(owner, row.field))}")
    out = [HEADER]
    for group, lines in sections.items():
        title = TOP_LEVEL_TITLE if group is None else (_group(model, group).__doc__ or group).strip().splitlines()[0]
        out += ["", _heading(title), *lines]
    return "\n".join(out) + "\n"
