"""Which release an artifact joins and what the release is called.

* ``membership``: the grouping decision (join release X as a variant, or start one with this
  family key and title), shared by the pipeline and ``regroup``.
* ``families``: families, variants and sizes read from repo names and tags; built on
  ``vocabulary`` (word tables), ``tokens`` (the role of one name token), ``tags`` (Hub tags) and
  the core ``tracker.sizes``.
* ``enrich``: the post-pass after a poll: ``lineage`` (base-model links, parameter counts),
  ``papers`` (paper links) and ``significance`` (the release score).
* ``regroup``: rebuild stored releases after a rule change.
"""
