"""Settings for tracker, read from the environment (prefix ``TRACKER_``) or a ``.env`` file.

* ``settings``: ``Settings``, grouped by concern, read from flat variables.
* ``groups``: one model per concern (``HubSettings``, ``HttpSettings``...), with each setting's
  ``TRACKER_*`` name, default, bounds and comment.
* ``fields``: how a setting is declared, and ``flat_settings``: the flat-name table derived from
  the model.
* ``env_example``: ``.env.example`` rendered from the model (``python -m tracker.config``).
"""

from __future__ import annotations

from tracker.config.adoption import AdoptionSettings
from tracker.config.fields import FlatSetting, SettingsGroup, flat_settings
from tracker.config.groups import (
    DEFAULT_ARXIV_ENDPOINT,
    DEFAULT_HF_ENDPOINT,
    DEFAULT_SLACK_API_URL,
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
from tracker.config.settings import Settings

__all__ = [
    "DEFAULT_ARXIV_ENDPOINT",
    "DEFAULT_HF_ENDPOINT",
    "DEFAULT_SLACK_API_URL",
    "AdoptionSettings",
    "ApiSettings",
    "ArxivSettings",
    "CadenceSettings",
    "DeliverySettings",
    "DigestSettings",
    "EmailSettings",
    "FeedsSettings",
    "FlatSetting",
    "GitHubSettings",
    "GroupingSettings",
    "HttpSettings",
    "HubSettings",
    "ModelScopeSettings",
    "PaperSettings",
    "PollingSettings",
    "PulseSettings",
    "RadarSettings",
    "Settings",
    "SettingsGroup",
    "SlackSettings",
    "WorkerSettings",
    "flat_settings",
]
