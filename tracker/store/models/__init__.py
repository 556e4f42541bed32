"""SQLAlchemy 2.0 typed ORM models, one module per concern; every model is importable from here.

* ``base``: the declarative base (naming convention, UTC datetimes, JSON columns).
* ``catalog``: labs, releases, artifacts, release-paper links.
* ``outbox``: events, subscriptions, deliveries, Slack parent messages.
* ``polling``: the state of each (source, lab) poll unit.
* ``intelligence``: lineage links, paper candidates, download snapshots, history stamps.
* ``adoption``: third-party derivatives and their counts over time.
* ``mutes``: repos, families and labs whose alerts are held back.
* ``radar``: candidate labs found outside the watchlist, the repos, snapshots and derivatives behind them.
"""

from tracker.store.models.adoption import Derivative, DerivativeCount
from tracker.store.models.base import NAMING_CONVENTION, Base, UTCDateTime
from tracker.store.models.catalog import Artifact, Lab, Release, ReleasePaper
from tracker.store.models.intelligence import ArtifactLink, DownloadSnapshot, PaperCandidate, ReleaseChange
from tracker.store.models.mutes import Mute
from tracker.store.models.outbox import Delivery, Event, SlackThread, Subscription
from tracker.store.models.polling import SourceState
from tracker.store.models.radar import RADAR_STATUSES, RadarCandidate, RadarDerivative, RadarRepo, RadarSnapshot

__all__ = [
    "NAMING_CONVENTION",
    "RADAR_STATUSES",
    "Artifact",
    "ArtifactLink",
    "Base",
    "Delivery",
    "Derivative",
    "DerivativeCount",
    "DownloadSnapshot",
    "Event",
    "Lab",
    "Mute",
    "PaperCandidate",
    "RadarCandidate",
    "RadarDerivative",
    "RadarRepo",
    "RadarSnapshot",
    "Release",
    "ReleaseChange",
    "ReleasePaper",
    "SlackThread",
    "SourceState",
    "Subscription",
    "UTCDateTime",
]
