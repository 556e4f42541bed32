"""The weekly pulse: one message per ISO week about the rhythm of releases, sent once per channel.

Modules:

* ``weeks``: ISO weeks in the pulse time zone (``week_bounds``, ``parse_week``...) and when a
  pulse is due (``due_pulse_week``).
* ``build``: the week's content (``build_pulse``: releases by lab and country, country shares
  against the trailing average, every lab's cadence status) and its chart (``build_chart_png``).
  The content type is ``tracker.notify.content.Pulse``.
* ``sending``: the keyed pulse deliveries (``create_pulse_deliveries``, ``pulse_key``), their
  payload, and the schedule (``schedule_pulse``).

Every public name is re-exported here, so ``from tracker.briefings.pulse import X`` works.
"""

from tracker.briefings.pulse.build import CHART_WEEKS, TRAILING_WEEKS, build_chart_png, build_pulse
from tracker.briefings.pulse.sending import (
    PULSE_SCHEMES,
    PulseRun,
    create_pulse_deliveries,
    pulse_key,
    pulse_payload,
    schedule_pulse,
)
from tracker.briefings.pulse.weeks import (
    CATCH_UP_S,
    default_week,
    due_pulse_week,
    parse_week,
    week_bounds,
    week_key,
    week_of,
    zone,
)

__all__ = [
    "CATCH_UP_S",
    "CHART_WEEKS",
    "PULSE_SCHEMES",
    "TRAILING_WEEKS",
    "PulseRun",
    "build_chart_png",
    "build_pulse",
    "create_pulse_deliveries",
    "default_week",
    "due_pulse_week",
    "parse_week",
    "pulse_key",
    "pulse_payload",
    "schedule_pulse",
    "week_bounds",
    "week_key",
    "week_of",
    "zone",
]
