"""The role of one token of a repo name (the name split on ``-``), read from the word tables.

Roles: variant, stage, format, quant, date, tier, distill or name (sizes are read first by
``tracker.sizes.scan_sizes``). ``tracker.grouping.families`` walks a name's tokens with these
to build its family, kinds, quantization and revision.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tracker.domain import VariantKind
from tracker.grouping.vocabulary import (
    BRAND_KINDS,
    CASE_SENSITIVE_WORDS,
    DISTILL_WORD,
    FORMAT_WORDS,
    KIND_PATTERNS,
    PRODUCT_WORDS,
    QUANT_WORDS,
    STAGE_WORDS,
    TIER_PRODUCT_LINES,
    TIER_WORDS,
    VARIANT_WORDS,
)

__all__ = ["is_date", "is_quant", "is_version", "quant_label", "token_kinds", "token_role"]

_DATE4_RE = re.compile(r"^\d{4}$")
_DATE8_RE = re.compile(r"^20\d{6}$")
_VERSION_RE = re.compile(r"^v\d+(?:[._]\d+)*$", re.I)
_INT_RE = re.compile(r"^int(\d+)$", re.I)
_GGML_RE = re.compile(r"^(?:i?q\d(?:_[0-9a-z]+)*)$", re.I)  # q4_0, q4_k_m, iq2_xxs


def is_version(token: str) -> bool:
    """True for a version token written with a ``v`` (``v0.3``, ``V3``, ``v1_5``)."""
    return bool(_VERSION_RE.match(token))


def is_date(token: str) -> bool:
    """True for a dated revision: YYMM (23..39, 01..12), MMDD, or YYYYMMDD."""
    if _DATE8_RE.match(token):
        return 1 <= int(token[4:6]) <= 12 and 1 <= int(token[6:8]) <= 31
    if not _DATE4_RE.match(token):
        return False
    a, b = int(token[:2]), int(token[2:])
    yymm = 23 <= a <= 39 and 1 <= b <= 12
    mmdd = 1 <= a <= 12 and 1 <= b <= 31
    return yymm or mmdd


def quant_label(parts: Sequence[str]) -> str | None:
    """Join canonical quantization tokens: ``GPTQ-Int4``, ``bnb-4bit``, ``MLX-4bit``, ``INT8``."""
    out: list[str] = []
    for tok in parts:
        if m := _INT_RE.match(tok):
            out.append(f"Int{m.group(1)}" if out else f"INT{m.group(1)}")
        elif _GGML_RE.match(tok):
            out.append(tok.upper())
        else:
            out.append(QUANT_WORDS[tok.casefold()])
    return "-".join(out) or None


def is_quant(token: str) -> bool:
    """True for a quantization token (``FP8``, ``Int4``, ``q4_0``, ``bnb``, ``4bit``...)."""
    return token.casefold() in QUANT_WORDS or bool(_INT_RE.match(token) or _GGML_RE.match(token))


def token_kinds(token: str) -> set[VariantKind]:
    """Kinds a single token announces (variant words, product words, glued patterns, brands)."""
    low = token.casefold()
    kinds: set[VariantKind] = set()
    if CASE_SENSITIVE_WORDS.get(token) == "variant:base":
        kinds.add(VariantKind.BASE)
    elif token not in CASE_SENSITIVE_WORDS and low in VARIANT_WORDS:
        kinds.add(VARIANT_WORDS[low])
    kinds.update(PRODUCT_WORDS.get(low, ()))
    kinds.update(kind for pattern, kind in KIND_PATTERNS if pattern.search(token))
    for prefix, brand_kinds in BRAND_KINDS:
        if low.startswith(prefix):
            kinds.update(brand_kinds)
    return kinds


def token_role(token: str, previous: str) -> str:
    """Role of a non-size token: variant, stage, format, quant, date, tier, distill or name."""
    if token in CASE_SENSITIVE_WORDS:
        return CASE_SENSITIVE_WORDS[token].split(":", 1)[0]
    low = token.casefold()
    if low in VARIANT_WORDS:
        return "variant"
    if low in STAGE_WORDS:
        return "stage"
    if low in FORMAT_WORDS:
        return "format"
    if is_quant(token):
        return "quant"
    if is_date(token):
        return "date"
    if low in TIER_WORDS and low not in TIER_PRODUCT_LINES.get(previous.casefold(), ()):
        return "tier"
    if low == DISTILL_WORD:
        return "distill"
    return "name"
