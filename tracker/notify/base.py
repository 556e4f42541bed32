"""What a notifier is handed and what it reports: the transport contract every channel follows.

A notifier's ``send(out)`` raises ``DeliveryError`` (with ``permanent`` and ``retry_after``) on
failure and returns a ``SendResult`` on success; ``find_sent(out)`` tells whether an earlier,
unrecorded send of the same delivery reached the channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from tracker.notify.content import Message


@dataclass(frozen=True, slots=True)
class ThreadRef:
    """Where a release's parent message lives in one channel (Slack: channel id + ``ts``).

    Attributes:
        channel_id (str): the channel's id as the service returned it (``C0123``).
        ts (str): the parent message's timestamp, used as ``thread_ts`` for replies.
        variant_count (int): variants the parent currently shows (for ``chat.update``).
    """

    channel_id: str
    ts: str
    variant_count: int = 1


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One delivery handed to a notifier.

    Attributes:
        delivery_id (int): the Delivery row (also the de-duplication tag sent with the message:
            Slack ``metadata``, email ``Message-ID``).
        idempotency_key (str): the delivery's unique key.
        kind (str): ``alert`` (releases, variants and cadence alerts) | ``digest`` | ``pulse`` | ``test``.
        channel (str): the subscription channel (``slack:#models``, ``email:a@b``).
        message (Message, optional): the alert content (kind ``alert``; None when its event is gone).
        payload (dict): the content frozen for other kinds (a digest, a pulse's blocks and chart...).
        thread (ThreadRef, optional): the release's parent message in this channel, when one
            exists: a variant alert is then a thread reply (and the parent is updated).
    """

    delivery_id: int
    idempotency_key: str
    kind: str
    channel: str
    message: Message | None = None
    payload: dict = field(default_factory=dict)
    thread: ThreadRef | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    """What a notifier reports after a successful send.

    Attributes:
        external_ref (dict): ids the service returned (Slack ``{"channel", "ts"}``).
        thread (ThreadRef, optional): a new parent message to remember for later variants.
    """

    external_ref: dict = field(default_factory=dict)
    thread: ThreadRef | None = None


class Notifier(Protocol):
    """A channel transport (healthchecks-style): ``send`` raises ``DeliveryError`` on failure."""

    name: str

    def send(self, out: Outgoing) -> SendResult:
        """Deliver one message; raise ``DeliveryError(permanent=...)`` on failure."""

    def find_sent(self, out: Outgoing) -> SendResult | None:
        """Return the earlier send of this delivery if the service shows one, else None.

        Used when a worker died between sending and recording (status ``unknown``): Slack
        searches ``conversations.history`` for a message whose ``metadata`` carries the
        delivery id. Channels that cannot tell return None (at-least-once).
        """
