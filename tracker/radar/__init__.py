"""The radar: emerging labs outside the watchlist, found in the Hub's global listings.

* ``lineage``: original model or derivative of another org's (base-model tags, re-uploads).
* ``scoring``: the documented points per reason and the noise exclusions (pure).
* ``sightings``: repos, counter snapshots and derivative edges as stored rows (bounded).
* ``rescore``: evidence per org -> ``RadarCandidate`` rows, ``crossed_at`` set once.
* ``adopt``: write an org into the user's watchlist file.

The budgeted step that fetches and stores is ``tracker.pipeline.radar``.
"""
