"""Email digests: select and build one period's content, and create its keyed deliveries.

A digest covers one **period** (a day or an ISO week in ``TRACKER_DIGEST_TIMEZONE``, the last
*completed* one at a given time). Its content, built read-only in one session, lists the
period's new releases grouped by lab (through THE subscription filter), its papers, the cadence
story from ``tracker.analytics`` and the numbers behind the cadence chart. Each email
subscription gets one ``Delivery`` (kind ``digest``) per period, keyed so that a retried or
duplicated digest task never sends twice; the content is frozen into the delivery's ``payload``
and rendered by the email transport (``tracker.notify.email``) at send time.

Modules:

* ``periods``: ``Period``, ``period_for`` (the last completed day or week) and ``zone``.
* ``tracker.notify.content.digest``: the digest's JSON-serialisable content (``Digest`` and
  its parts: ``LabGroup``, ``DigestRelease``, ``DigestLink``, ``DigestPaper``, ``CadenceRow``,
  ``CountryShare``), which the email transport renders.
* ``releases``: the period's releases and papers as the digest lists them (``release_passes``,
  sizes, licence, variants, links).
* ``cadence``: the cadence section (``build_cadence_rows``, country shares) and its chart
  (``chart_cadences``, ``render_chart``).
* ``build``: ``build_digest`` (every section, in order) and its opening sentences
  (``build_lead``).
* ``sending``: ``create_digest_deliveries`` / ``send_digests``, the delivery key
  (``digest_key``) and the unsubscribe link.

Every public name is re-exported here, so ``from tracker.briefings.digest import X`` and ``digest.X`` keep
working.
"""

from tracker.briefings.digest.build import SILENT_LABS, build_digest, build_lead
from tracker.briefings.digest.cadence import (
    CADENCE_KINDS,
    CHART_WEEKS,
    TRAILING_WEEKS,
    build_cadence_rows,
    chart_cadences,
    render_chart,
)
from tracker.briefings.digest.periods import DAILY, PERIODS, WEEKLY, Period, period_for, zone
from tracker.briefings.digest.releases import ARXIV_ABS_URL, release_passes
from tracker.briefings.digest.sending import (
    DigestRun,
    create_digest_deliveries,
    digest_key,
    send_digests,
    unsubscribe_url,
)
from tracker.notify.content import (
    CadenceRow,
    CountryShare,
    Digest,
    DigestLink,
    DigestPaper,
    DigestRelease,
    LabGroup,
)

__all__ = [
    "ARXIV_ABS_URL",
    "CADENCE_KINDS",
    "CHART_WEEKS",
    "DAILY",
    "PERIODS",
    "SILENT_LABS",
    "TRAILING_WEEKS",
    "WEEKLY",
    "CadenceRow",
    "CountryShare",
    "Digest",
    "DigestLink",
    "DigestPaper",
    "DigestRelease",
    "DigestRun",
    "LabGroup",
    "Period",
    "build_cadence_rows",
    "build_digest",
    "build_lead",
    "chart_cadences",
    "create_digest_deliveries",
    "digest_key",
    "period_for",
    "release_passes",
    "render_chart",
    "send_digests",
    "unsubscribe_url",
    "zone",
]
