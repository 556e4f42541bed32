"""Events -> subscriptions -> keyed deliveries -> claim -> send.

``content`` builds the channel-neutral alert of an outbox event from the store (what notify's
transports render); ``fanout`` turns the active subscriptions into keyed deliveries (alerts
here, digests and the pulse in ``tracker.briefings``); ``dispatch`` runs it for outbox events;
``deliveries`` holds the Delivery row verbs (create by idempotency key, claim by
compare-and-set, record); ``claim`` is the claim transaction and its release lock;
``outgoing`` builds what a notifier is handed; ``deliver`` sends one delivery and records the
outcome; ``subscriptions`` syncs the watchlist's channels and holds the one filter; ``inline``
runs dispatch and delivery in-process for ``tracker poll``.
"""
