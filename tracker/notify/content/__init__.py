"""What transports render: channel-neutral content, plain data with raw (unescaped) strings.

Transports (``tracker.notify.slack``, ``tracker.notify.email``, the JSON webhook, the console)
format these for their channel and know nothing of how they were built: alert and cadence-alert
content comes from ``tracker.outbox.content``, the digest from ``tracker.briefings.digest`` and
the weekly pulse from ``tracker.briefings.pulse``.

Modules: ``alert`` (``Message`` and its parts), ``digest`` (``Digest`` and its parts),
``pulse`` (``Pulse`` and its parts), ``radar`` (``RadarLine``: an org on the radar).
Every public name is re-exported here.
"""

from tracker.notify.content.alert import (
    CADENCE_EVENTS,
    FOLLOW_UP_EVENTS,
    FOLLOW_UP_HEADLINES,
    RADAR_EVENTS,
    Link,
    Message,
    PaperFacts,
    Variant,
)
from tracker.notify.content.digest import (
    CadenceRow,
    CountryShare,
    Digest,
    DigestLink,
    DigestPaper,
    DigestRelease,
    LabGroup,
)
from tracker.notify.content.pulse import AdoptionLine, CountryWeek, LabStatusView, LabWeek, Pulse, PulseRules
from tracker.notify.content.radar import RadarLine, RadarReason, hub_link, radar_line

__all__ = [
    "CADENCE_EVENTS",
    "FOLLOW_UP_EVENTS",
    "FOLLOW_UP_HEADLINES",
    "RADAR_EVENTS",
    "AdoptionLine",
    "CadenceRow",
    "CountryShare",
    "CountryWeek",
    "Digest",
    "DigestLink",
    "DigestPaper",
    "DigestRelease",
    "LabGroup",
    "LabStatusView",
    "LabWeek",
    "Link",
    "Message",
    "PaperFacts",
    "Pulse",
    "PulseRules",
    "RadarLine",
    "RadarReason",
    "Variant",
    "hub_link",
    "radar_line",
]
