"""Adoption: how much the world uses what the labs release.

* ``derivatives``: third-party derivatives (quantized, finetune, adapter, merge) of watched
  models, from the Hub's ``base_model:`` relation tags; their counts over time; ``adoption_count``.
* ``counters``: all-time downloads (``downloadsAllTime``) on the download snapshots.
* ``cycle``: the adoption step, run after release polling within its own request budget.
* ``series``: monthly and cumulative download series per release, lab and country; crossovers.
* ``shares``: the share of new derivatives built on each lab's and country's models, per month.
* ``relative``: relative adoption, a release against the median of its size bucket at the same age.

Domain logic only: no Celery, no HTTP server. The request-spending step (``cycle``) goes through
``tracker.http`` and ``tracker.sources.hf_adoption``.
"""
