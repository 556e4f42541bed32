"""Channel-neutral radar content: an org outside the watchlist that shows a lab's traction.

``RadarLine`` is what every face shows of one radar candidate (``/radar``, the dashboard, the
"New on the radar" section of the pulse and the digest, the one-time radar alert). Strings are
raw external text (org and repo names from the Hub, reason texts built from them): every
renderer escapes them for its own format. Links are built here only from ids that match the
Hub's naming rules (``hub_link``), so a hostile name never becomes a URL.

Sources of the rules: Hugging Face Hub repo ids are ``<org>/<name>``, each part letters, digits,
``-``, ``_`` and ``.``, at most 96 characters, not starting with ``-`` or ``.`` and without
``--`` or ``..`` (the Hub's ``validate_repo_id``); arXiv identifiers are ``YYMM.NNNNN`` with
an optional version (arXiv's "Understanding the arXiv identifier").
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from tracker.external import printable

#: One part of a Hub repo id (org or name); see the module docstring.
_HUB_PART = r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}"
_HUB_ORG = re.compile(rf"^{_HUB_PART}$")
_HUB_REPO = re.compile(rf"^{_HUB_PART}/{_HUB_PART}$")
_ARXIV_ID = re.compile(r"^\d{4}\.\d{4,5}(v\d{1,3})?$")
_HTTP_BASE = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~/-]*)?$")

#: Clamps for outside text (characters) and for the reasons kept per candidate.
ORG_MAX = 100
REPO_MAX = 200
REASON_TEXT_MAX = 300
REASONS_MAX = 8

ARXIV_ABS_URL = "https://arxiv.org/abs/{}"


def clamp_text(value: Any, limit: int) -> str:
    """``value`` as one line of at most ``limit`` characters (``…`` when cut); '' for None.

    Control characters are shown as ``\\xNN`` (``tracker.external.printable``), so a name with an
    ESC sequence cannot drive a terminal showing the pulse, an alert or the radar table.
    """
    text = printable(" ".join(str(value if value is not None else "").split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def valid_hub_id(value: str | None, *, repo: bool) -> bool:
    """True when ``value`` is a Hub org name (``repo=False``) or repo id ``org/name`` (``repo=True``)."""
    if not value or ".." in value or "--" in value:
        return False
    return bool((_HUB_REPO if repo else _HUB_ORG).match(value))


def hub_link(base: str, value: str | None, *, repo: bool) -> str | None:
    """The Hub page of an org or repo (``https://huggingface.co/<value>``), or None when
    ``value`` is not a valid Hub id or ``base`` is not a plain http(s) URL."""
    base = (base or "").rstrip("/")
    if not _HTTP_BASE.match(base) or not valid_hub_id(value, repo=repo):
        return None
    return f"{base}/{value}"


def arxiv_link(arxiv_id: str | None) -> str | None:
    """``https://arxiv.org/abs/<id>`` for a well-formed arXiv id, else None."""
    return ARXIV_ABS_URL.format(arxiv_id) if arxiv_id and _ARXIV_ID.match(arxiv_id) else None


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 <= number < 2**53 else None


def _points(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return round(number, 1) if math.isfinite(number) else 0.0


@dataclass(frozen=True, slots=True)
class RadarReason:
    """One reason of a radar score: ``code`` (``trending``, ``base_model``...), ``points`` it
    adds (0-100 scale) and ``text`` (raw, built from outside data)."""

    code: str
    points: float
    text: str

    @classmethod
    def parse(cls, raw: Any) -> RadarReason | None:
        """A reason from the stored JSON (``{"code", "points", "text"}``), clamped; None when unusable."""
        if not isinstance(raw, Mapping):
            return None
        text = clamp_text(raw.get("text"), REASON_TEXT_MAX)
        code = clamp_text(raw.get("code"), 40)
        if not text and not code:
            return None
        return cls(code=code, points=_points(raw.get("points")), text=text or code)


@dataclass(frozen=True, slots=True)
class RadarLine:
    """One radar candidate as the faces show it (JSON-serialisable; strings raw, unescaped).

    Attributes:
        org (str): the Hub org as the Hub spells it (clamped to ``ORG_MAX``).
        org_url (str, optional): its Hub page; None when the name is not a valid Hub org.
        score (float): 0-100. status (str): candidate | adopted | excluded.
        first_seen_at (str): ISO-8601 UTC. crossed_at (str, optional): when the score first
            reached the alert score (ISO-8601 UTC); None when it never did.
        best_repo_id (str, optional) / best_repo_url (str, optional): the org's repo with the
            most traction and its Hub page (None when the id is not a valid Hub repo id).
        best_repo_likes / best_repo_downloads (int, optional): likes and 30-day downloads.
        trending_rank (int, optional): best rank in the Hub's trending listing (1 = top).
        repos (int): repos seen. derivatives (int): third-party repos naming one as base model.
        arxiv_id (str, optional) / arxiv_url (str, optional): a linked technical report.
        country (str, optional): ISO 3166-1 alpha-2 when evidence says so; None = unknown.
        reasons (list[RadarReason]): highest points first, at most ``REASONS_MAX``.
    """

    org: str
    score: float
    first_seen_at: str
    status: str = "candidate"
    org_url: str | None = None
    crossed_at: str | None = None
    best_repo_id: str | None = None
    best_repo_url: str | None = None
    best_repo_likes: int | None = None
    best_repo_downloads: int | None = None
    trending_rank: int | None = None
    repos: int = 0
    derivatives: int = 0
    arxiv_id: str | None = None
    arxiv_url: str | None = None
    country: str | None = None
    reasons: list[RadarReason] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (the ``/radar`` item shape, frozen into digest and event payloads)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RadarLine:
        """Rebuild from ``to_dict`` output; unknown keys are ignored, reasons re-parsed.

        Raises:
            KeyError: ``org``, ``score`` or ``first_seen_at`` missing.
        """
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data and k != "reasons"}
        reasons = [r for r in (RadarReason.parse(x) for x in data.get("reasons") or ()) if r is not None]
        return cls(
            **{**known, "org": data["org"], "score": data["score"], "first_seen_at": data["first_seen_at"]},
            reasons=reasons,
        )

    def facts(self) -> list[str]:
        """Short plain-text facts behind the score, for alerts and briefings (raw, unescaped)."""
        out = []
        if self.trending_rank is not None:
            out.append(f"#{self.trending_rank} on the Hub's trending list")
        if self.best_repo_id:
            numbers = [
                f"{self.best_repo_likes:,} likes" if self.best_repo_likes is not None else "",
                f"{self.best_repo_downloads:,} downloads (30 days)" if self.best_repo_downloads is not None else "",
            ]
            numbers = [n for n in numbers if n]
            out.append(f"top repo {self.best_repo_id}" + (f": {', '.join(numbers)}" if numbers else ""))
        if self.derivatives:
            out.append(f"{self.derivatives} third-party derivative{'s' if self.derivatives != 1 else ''}")
        if self.arxiv_id:
            out.append(f"technical report arXiv {self.arxiv_id}")
        return out


def radar_line(data: Mapping[str, Any], *, hub_url: str) -> RadarLine:
    """Build a ``RadarLine`` from a candidate's stored fields (a mapping of the
    ``radar_candidates`` columns, datetimes as ISO strings), clamping and validating outside text.

    Args:
        data: ``org``, ``score``, ``first_seen_at``, ``crossed_at``, ``best_repo_id``... as
            stored; missing optional keys are None.
        hub_url (str): the base of Hub links shown to people (``TRACKER_HF_WEB_URL``).
    """
    org = clamp_text(data.get("org"), ORG_MAX)
    repo = clamp_text(data.get("best_repo_id"), REPO_MAX) or None
    arxiv_id = clamp_text(data.get("arxiv_id"), 32) or None
    country = str(data.get("country") or "").strip().upper()
    reasons = [r for r in (RadarReason.parse(x) for x in data.get("reasons") or ()) if r is not None]
    reasons.sort(key=lambda r: -r.points)
    return RadarLine(
        org=org,
        org_url=hub_link(hub_url, org, repo=False),
        score=max(0.0, min(100.0, _points(data.get("score")))),
        first_seen_at=str(data.get("first_seen_at") or ""),
        crossed_at=str(data["crossed_at"]) if data.get("crossed_at") else None,
        status=clamp_text(data.get("status") or "candidate", 16),
        best_repo_id=repo,
        best_repo_url=hub_link(hub_url, repo, repo=True),
        best_repo_likes=_int(data.get("best_repo_likes")),
        best_repo_downloads=_int(data.get("best_repo_downloads")),
        trending_rank=_int(data.get("trending_rank")),
        repos=_int(data.get("repos")) or 0,
        derivatives=_int(data.get("derivatives")) or 0,
        arxiv_id=arxiv_id,
        arxiv_url=arxiv_link(arxiv_id),
        country=country if re.fullmatch(r"[A-Z]{2}", country) else None,
        reasons=reasons[:REASONS_MAX],
    )
