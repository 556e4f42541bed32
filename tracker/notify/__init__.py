"""Notifiers: one small transport per channel kind, chosen from settings and subscriptions.

notify is the bottom of the delivery stack: it renders channel-neutral content
(``tracker.notify.content``) for one channel and sends it, and knows nothing of the database,
the outbox or how the content was built.

* ``base``: the contract: ``Outgoing`` (one delivery handed to a notifier), ``SendResult``,
  ``ThreadRef`` and the ``Notifier`` protocol (``send`` raises ``DeliveryError`` with
  ``permanent`` and ``retry_after``; ``find_sent`` finds an unrecorded earlier send).
* ``registry``: ``build_notifier``, ``channel_problem``, ``resolve_channel``.
* transports: ``slack``, ``email``, ``webhook`` (JSON), ``console``.

The contract and the registry are re-exported here.
"""

from tracker.notify.base import Notifier, Outgoing, SendResult, ThreadRef
from tracker.notify.registry import NOTIFIERS, build_notifier, channel_problem, resolve_channel

__all__ = [
    "NOTIFIERS",
    "Notifier",
    "Outgoing",
    "SendResult",
    "ThreadRef",
    "build_notifier",
    "channel_problem",
    "resolve_channel",
]
