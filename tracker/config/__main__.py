"""``python -m tracker.config``: print ``.env.example`` as rendered from ``Settings``."""

from __future__ import annotations

import sys

from tracker.config.env_example import render
from tracker.config.settings import Settings

sys.stdout.write(render(Settings))
