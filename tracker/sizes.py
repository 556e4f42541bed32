"""Parameter counts from size labels: the size-token grammar of open-weight model names.

Pure functions, no I/O and no imports from tracker: release grouping reads sizes out of repo
names (``tracker.grouping.families``) and release serialisation orders size labels by them
(``tracker.store.serialize``), so the grammar lives below both.

Units: every parameter count is in **billions** (``0.6`` for ``0.6B``, ``0.086`` for ``86M``,
``1000.0`` for ``1T``).

Size tokens (a name is split on ``-``):

* size: ``8B`` ``0.6B`` ``120b`` ``86M`` ``1T`` -> total parameters and the label;
* active: ``A22B`` ``A3B`` (after a size, or alone) -> active parameters;
* experts: ``16E`` ``128E`` right after a size -> that size is *active*, the total is unknown;
* mixture: ``8x22B`` -> label only, total and active None (experts x size over-counts the
  shared layers, so it is not a fact);
* effective: ``E4B`` (Gemma 3n) -> label only, total and active None;
* context: ``1M`` ``128k`` ``80k`` (an ``M`` after a size or below 10, any ``k``) -> consumed,
  no count; a ``T`` after a size (``2B-4T``) is a training-token count, not parameters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["looks_like_size", "parse_params", "scan_sizes"]

_SIZE_RE = re.compile(r"^(\d+(?:\.\d+)?)([bmt])$", re.I)
_ACTIVE_RE = re.compile(r"^a(\d+(?:\.\d+)?)b$", re.I)
_EXPERTS_RE = re.compile(r"^(\d+)e$", re.I)
_MIXTURE_RE = re.compile(r"^(\d+)x(\d+(?:\.\d+)?)([bm])$", re.I)
_EFFECTIVE_RE = re.compile(r"^E(\d+(?:\.\d+)?)B$")
_CONTEXT_RE = re.compile(r"^\d+k$", re.I)
_UNIT_B = {"b": 1.0, "m": 0.001, "t": 1000.0}


def _billions(number: str, unit: str) -> float:
    """Return ``number`` with ``unit`` (b, m, t; any case) as a float count of billions."""
    return round(float(number) * _UNIT_B[unit.lower()], 6)


def _is_context_m(value: str) -> bool:
    """True when an ``<n>M`` token (seen before any size) is a context length: ``1M``, ``4M``."""
    return float(value) < 10


def looks_like_size(token: str) -> bool:
    """True for tokens that can only be a size (used to let a bare ``"8B"`` parse)."""
    return bool(
        _SIZE_RE.match(token) or _ACTIVE_RE.match(token) or _MIXTURE_RE.match(token) or _EFFECTIVE_RE.match(token)
    )


def scan_sizes(tokens: Sequence[str]) -> tuple[float | None, float | None, str | None, set[int]]:
    """Find the size tokens of a name split on ``-`` (the first token is a size only if it looks like one).

    Args:
        tokens: ``["Qwen3", "235B", "A22B", "Instruct", "2507"]``.

    Returns:
        (total_b, active_b, label, indexes): parameters in billions (None when unknown), the
        label as written with upper-case units (``"235B-A22B"``, None without a size), and the
        indexes of every token consumed as size or context.
    """
    total: float | None = None
    active: float | None = None
    parts: list[str] = []
    used: set[int] = set()
    seen = False
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if i == 0 and not looks_like_size(tok):
            i += 1  # the first token of a name is never a size (unless it is only a size)
            continue
        if _CONTEXT_RE.match(tok):
            used.add(i)
        elif m := _EFFECTIVE_RE.match(tok):
            if not seen:  # Gemma 3n "E4B": effective size, raw totals are larger
                parts.append(f"E{m.group(1)}B")
                seen = True
            used.add(i)
        elif m := _MIXTURE_RE.match(tok):
            if not seen:
                parts.append(f"{m.group(1)}x{m.group(2)}{m.group(3).upper()}")
                seen = True
            used.add(i)
        elif m := _SIZE_RE.match(tok):
            number, unit = m.groups()
            unit_l = unit.lower()
            if seen or (unit_l == "m" and _is_context_m(number)):
                used.add(i)  # context length (1M) or training tokens (4T) after the size
            else:
                seen = True
                used.add(i)
                label = f"{number}{unit.upper()}"
                nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
                if e := _EXPERTS_RE.match(nxt):
                    active = _billions(number, unit)
                    parts.append(f"{label}-{e.group(1)}E")
                    used.add(i + 1)
                    i += 1
                else:
                    total = _billions(number, unit)
                    parts.append(label)
                    if a := _ACTIVE_RE.match(nxt):
                        active = _billions(a.group(1), "b")
                        parts.append(f"A{a.group(1)}B")
                        used.add(i + 1)
                        i += 1
        elif a := _ACTIVE_RE.match(tok):
            if not seen:
                active = _billions(a.group(1), "b")
                parts.append(f"A{a.group(1)}B")
                seen = True
            used.add(i)
        i += 1
    return total, active, ("-".join(parts) or None), used


def parse_params(text: str) -> tuple[float | None, float | None, str | None]:
    """Read parameter counts from a size token sequence or a whole repo name.

    ``"235B-A22B"`` -> ``(235.0, 22.0, "235B-A22B")``; ``"0.6B"`` -> ``(0.6, None, "0.6B")``;
    ``"86M"`` -> ``(0.086, None, "86M")``; ``"17B-16E"`` -> ``(None, 17.0, "17B-16E")``;
    ``"8x22B"`` -> ``(None, None, "8x22B")``; ``"1M"`` / ``"128k"`` -> ``(None, None, None)``.
    Dates (``2507``), versions (``V3``, ``v1``, ``4.5``) and ``4bit`` are never sizes.

    Args:
        text: ``"235B-A22B"``, ``"Qwen3-30B-A3B-Instruct-2507"`` or ``"Qwen/Qwen3-8B"``.

    Returns:
        (total_b, active_b, label): billions or None, and the size label or None.
    """
    name = text.rsplit("/", 1)[-1].strip()
    total, active, label, _ = scan_sizes([t for t in name.split("-") if t])
    return total, active, label
