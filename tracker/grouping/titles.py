"""What a launch is called and how big it is, as a person reading the lab's repo names would write it.

Pure functions over repo names (the organisation is ignored). A repo's *display name* is its
name without the tokens that vary inside one launch: sizes (``8B``, ``235B-A22B``, ``17B-16E``,
``E4B``, ``8x22B``, training-token counts ``4T``), quantization and packaging suffixes
(``FP8``, ``AWQ``, ``GGUF``, ``q4_0``, ``PT``, ``Paddle``) and the generic post-training words
(``Instruct``, ``Chat``, ``it``, ``Base``, ``pt``), input resolutions after the size (``224``).
Every other word stays, in the lab's casing,
because it names what shipped: ``-reasoning``, ``-Thinking``, ``-Ultra``, ``-mini``, ``-Flash``,
``-preview``, ``-qat`` (quantization-aware *training* is a model), context lengths (``-1M``),
dated revisions and versions.

A launch's title is the display name of its first repo reduced to the words every repo of the
same family shares (``Qwen3-VL`` for ``Qwen3-VL-235B-A22B-Instruct`` and ``-Thinking``); repos of
other families that joined the launch (a reranker with its embedding models) do not change it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tracker.grouping.tokens import is_quant, token_role
from tracker.sizes import scan_sizes

__all__ = ["display_name", "format_params", "launch_title", "size_summary"]

#: Post-training words that vary between the repos of one launch: never part of its name.
GENERIC_WORDS: frozenset[str] = frozenset({"instruct", "chat", "it", "base"})

#: Quantization words that name a trained model rather than a packaging of one.
TRAINED_QUANT_WORDS: frozenset[str] = frozenset({"qat"})

_CONTEXT_RE = re.compile(r"^(?:\d+k|\d(?:\.\d+)?M)$", re.I)
#: A bare 3-digit number after the size is an input resolution (``paligemma2-3b-pt-224``/``-448``),
#: which varies inside a launch; dated revisions have four digits or more.
_RESOLUTION_RE = re.compile(r"^\d{3}$")


def _tokens(name: str) -> list[str]:
    return [t for t in name.strip().rsplit("/", 1)[-1].split("-") if t]


def _dropped(token: str, previous: str) -> bool:
    """True for a token that varies inside a launch (quantization, packaging, generic words)."""
    if token.casefold() in TRAINED_QUANT_WORDS:
        return False
    role = token_role(token, previous)
    if role == "format" or is_quant(token):
        return True
    return role == "variant" and (token.casefold() in GENERIC_WORDS or token == "pt")


def display_name(name: str) -> str:
    """A repo's name as a launch title: ``"Qwen/Qwen3-235B-A22B-Instruct-2507-FP8"`` -> ``"Qwen3-2507"``.

    Args:
        name: a Hub repo id or bare name (untrusted: only split and filtered, never evaluated).

    Returns:
        The kept words joined by ``-``; the bare name when every word would be dropped.
    """
    tokens = _tokens(name)
    _, _, _, size_idx = scan_sizes(tokens)
    after_size = min(size_idx, default=len(tokens))
    kept = [
        tok
        for i, tok in enumerate(tokens)
        if (i not in size_idx or _CONTEXT_RE.match(tok))
        and (i == 0 or not _dropped(tok, tokens[i - 1]))
        and not (i > after_size and _RESOLUTION_RE.match(tok))
    ]
    return "-".join(kept) or (tokens[0] if tokens else name)


def launch_title(first: str, same_family: Sequence[str] = ()) -> str:
    """The title of a launch: the first repo's display name, reduced to the words shared by
    every repo of its family (``same_family``, repo names, the first one may be among them).

    Words are compared case-insensitively and kept in the first repo's order and casing; the first
    word always stays (``Phi-4-reasoning`` + ``Phi-4-mini-reasoning`` -> ``Phi-4-reasoning``).
    """
    words = display_name(first).split("-")
    others = [{w.casefold() for w in display_name(n).split("-")} for n in same_family]
    kept = [w for i, w in enumerate(words) if i == 0 or all(w.casefold() in o for o in others)]
    return "-".join(kept)


def format_params(billions: float) -> str:
    """A parameter count as people write it: 358.338 -> ``"358B"``, 0.6 -> ``"0.6B"``, 0.086 -> ``"86M"``,
    1000.0 -> ``"1T"``, 7.61 -> ``"7.6B"`` (two significant digits below 10B, whole billions above)."""
    if billions >= 1000:
        return f"{billions / 1000:.3g}T"
    if billions >= 10:
        return f"{round(billions)}B"
    if billions >= 1:
        return f"{billions:.2g}B"
    return f"{round(billions * 1000)}M" if billions < 0.1 else f"{billions:.1g}B"


def size_summary(sizes: Sequence[tuple[str | None, float | None]]) -> str | None:
    """The sizes of a launch in one label.

    Args:
        sizes: ``(size label from the name, total parameters in billions)`` per repo; either may be
            None (a label without a number is a tier word such as ``Air``, never shown as a size).

    Returns:
        One size as written (``"235B-A22B"``), a range of totals (``"0.6B–32B"``), or None when
        no repo has a numeric size.
    """
    labels: dict[str, float | None] = {}
    for label, total in sizes:
        if label and any(c.isdigit() for c in label):
            labels.setdefault(label, total)
        elif total is not None:
            labels.setdefault(format_params(total), total)
    if not labels:
        return None
    if len(labels) == 1:
        return next(iter(labels))
    totals = sorted(t for t in labels.values() if t is not None)
    if len(totals) < 2 or totals[0] == totals[-1]:
        return ", ".join(labels)
    return f"{format_params(totals[0])}\u2013{format_params(totals[-1])}"
