"""Events -> subscriptions -> keyed deliveries -> claim -> send.

``dispatch`` turns outbox events into deliveries, ``deliveries`` holds the Delivery row verbs
(create by idempotency key, claim by compare-and-set, record), ``deliver`` sends one delivery,
``subscriptions`` syncs the watchlist's channels and holds the one filter, ``inline`` runs
dispatch and delivery in-process for ``tracker poll``.
"""
