"""Release families, variant kinds and parameter counts read from Hub repo names (and tags).

Pure functions only: no I/O, no database, no clock. Everything is driven by the word tables of
``tracker.grouping.vocabulary``, so a new suffix is one table entry, not a new branch. The work is
split by concern: sizes (``tracker.sizes``, shared with release serialisation), the role of one
token (``tracker.grouping.tokens``), Hub tags (``tracker.grouping.tags``); this module reads a
whole name into :class:`NameFacts`, combines it with the tags (:func:`classify`) and derives the
keys releases are grouped by. Its public names are the API the rest of tracker imports.

Units: every parameter count is in **billions** (``0.6`` for ``0.6B``, ``0.086`` for ``86M``,
``1000.0`` for ``1T``).

How a name is read
------------------
The repo name (organisation dropped) is split on ``-`` into tokens and each token gets a role:

* size: ``8B`` ``0.6B`` ``120b`` ``86M`` ``1T`` -> ``params_total_b`` and the label;
* active: ``A22B`` ``A3B`` (after a size, or alone) -> ``params_active_b``;
* experts: ``16E`` ``128E`` right after a size -> that size is *active*, the total is unknown;
* mixture: ``8x22B`` -> label only, total and active None;
* effective: ``E4B`` (Gemma 3n) -> label only, total and active None;
* context: ``1M`` ``128k`` ``80k`` (an ``M`` after a size or below 10, any ``k``) -> dropped;
* date: ``2507`` ``0528`` ``0414`` ``1210`` ``20241220`` -> ``revision``;
* quant: ``FP8`` ``AWQ`` ``GPTQ`` ``Int4`` ``GGUF`` ``MLX`` ``bnb`` ``4bit`` -> ``quantization``
  and kind quantized;
* variant: ``Base`` ``pt`` ``Instruct`` ``Chat`` ``it`` ``Thinking`` ``Reasoning`` -> kind,
  stripped from the family;
* tier: ``Air`` ``Flash`` ``Mini`` ``Nano`` ``Lite`` ``Small`` ... -> ``size_label`` when there is
  no numeric size, stripped from the family;
* stage: ``RL`` ``SFT`` ``PPO`` ``Zero`` ``Gen`` -> stripped, no kind;
* format: ``PT`` (upper case: PyTorch weights) ``Paddle`` ``HF`` -> stripped, no kind;
* distill: ``Distill`` -> kept, and the family ends after it;
* name/version: ``Qwen3`` ``VL`` ``Coder`` ``V3.1`` ``4.5`` ``Terminus`` -> kept in the family.

The family is the run of *name/version* tokens (tiers skipped) up to the first size, variant,
quant, date, context, stage or format token. Later name tokens (``MiMo-7B-RL``,
``Qwen3-Omni-30B-A3B-Captioner``) never join the family. A version token that comes *after* the
size (``Mistral-7B-Instruct-v0.3``, ``...-49B-v1_5``) is the refresh of that line and becomes
``revision`` when no dated revision is present.

Decisions (see the tests for the full table)
--------------------------------------------
* Product-line words right after the version stay in the family because they are separate
  launches: ``Qwen3-Coder``, ``Qwen3-VL``, ``Qwen3-Omni``, ``Qwen3-Next``, ``Qwen3-Embedding``,
  ``Qwen3Guard-Gen`` -> ``Qwen3Guard`` (``Gen``/``Stream`` are stripped), ``Qwen-Image``,
  ``DeepSeek-V3.1-Terminus``, ``DeepSeek-V3.2-Exp`` (``Exp`` kept: it is how the launch is named).
* ``DeepSeek-R1-Distill-Qwen-7B`` -> family ``DeepSeek-R1-Distill`` (the student name ``Qwen`` is
  dropped), kind distill. ``DeepSeek-R1-0528-Qwen3-8B`` -> family ``DeepSeek-R1``, revision
  ``0528`` (it shipped with R1-0528) and kind distill (a known base-model stem after the family).
* ``DeepSeek-R1-Zero`` -> family ``DeepSeek-R1`` (shipped with R1; ``Zero`` is a training stage).
* Dated revisions split releases: ``release_key`` = family + ``-`` + revision
  (``Qwen3-235B-A22B-Instruct-2507`` -> ``Qwen3-2507``; ``Qwen3-8B`` -> ``Qwen3``).
* Tier words (``Air`` ``Flash`` ``Mini`` ...) are siblings of one launch: ``GLM-4.5-Air`` ->
  family ``GLM-4.5``, size_label ``Air``; ``Ling-flash-2.0`` -> ``Ling-2.0``;
  ``GLM-4.6V-Flash`` -> ``GLM-4.6V``. Exception table: after the brand ``Mistral`` the words
  ``Small``/``Medium``/``Large`` are product lines (``Mistral-Small-3.1``).
* ``GLM-4.5V``/``glm-4v``/``InternVL3``/``deepseek-vl2`` carry vision in the token itself and stay
  separate families from the text line.
* ``Llama-4-Maverick-17B-128E``: ``Maverick``/``Scout`` are tiers of one launch (family
  ``Llama-4``); ``17B-128E`` = 17B active, 128 experts, total unknown (None).
* ``8x22B`` (Mixtral style): label kept, total and active None (experts x size over-counts the
  shared layers, so it is not a fact).
* ``PT`` in upper case is Baidu's "PyTorch weights" suffix (``ERNIE-4.5-0.3B-PT`` is a post-trained
  model); lower-case ``pt`` is Google's "pretrained" (base) suffix (``gemma-3-27b-pt``).
* ``2B-4T`` (``bitnet-b1.58-2B-4T``): a ``T`` after a size is a training-token count, not params;
  ``Ling-1T`` alone is 1000B.
* Tags: native-precision tags (``fp8``, ``mxfp4``, ``8-bit`` on ``DeepSeek-V3``, ``Kimi-K2``,
  ``gpt-oss-120b``) do **not** make a repo "quantized"; only derivative evidence does
  (``base_model:quantized:...``, ``gguf``, ``awq``, ``gptq``, ``bitsandbytes``). Otherwise every
  flagship that ships FP8 weights would be filed as a quantized variant.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from tracker.domain import VariantKind
from tracker.grouping.tags import kinds_from_tags, quantization_from_tags
from tracker.grouping.tokens import is_version, quant_label, token_kinds, token_role
from tracker.grouping.vocabulary import FOREIGN_BASE_RE
from tracker.sizes import parse_params, scan_sizes

__all__ = [
    "NameFacts",
    "VariantKind",
    "classify",
    "family_key",
    "family_match_key",
    "kinds_from_tags",
    "launch_match_key",
    "parse_params",
    "parse_repo_name",
    "quantization_from_tags",
]


@dataclass(frozen=True, slots=True)
class NameFacts:
    """Facts read from one repo name (and, through :func:`classify`, its tags).

    Attributes:
        family: display stem of the release family, as spelled in the name
            (``"Qwen3"``, ``"DeepSeek-V3.1"``, ``"GLM-4.5"``, ``"gpt-oss"``).
        kinds: sorted unique :class:`VariantKind` values (plain strings).
        size_label: the size as written, unit upper-cased (``"235B-A22B"``, ``"8B"``,
            ``"17B-16E"``, ``"86M"``), or a tier word when there is no number (``"Air"``).
        params_total_b: total parameters in billions (235.0 for ``235B-A22B``), None if unknown.
        params_active_b: active parameters in billions for MoE names (22.0 for ``A22B``), else None.
        quantization: quantization label (``"FP8"``, ``"AWQ"``, ``"GPTQ-Int4"``, ``"GGUF"``,
            ``"bnb-4bit"``), None when the weights are not a quantized derivative.
        revision: dated revision (``"2507"``, ``"0528"``, ``"20241220"``) or, failing that, a
            version written after the size (``"v0.3"``, ``"v1_5"``); None otherwise.
    """

    family: str
    kinds: tuple[str, ...]
    size_label: str | None
    params_total_b: float | None
    params_active_b: float | None
    quantization: str | None
    revision: str | None

    @property
    def release_key(self) -> str:
        """Family plus revision: the key one launch shares (``"Qwen3-2507"`` vs ``"Qwen3"``)."""
        return f"{self.family}-{self.revision}" if self.revision else self.family

    @property
    def release_match_key(self) -> str:
        """:attr:`release_key` normalised with :func:`launch_match_key`, for grouping."""
        return launch_match_key(self.release_key)


def parse_repo_name(name: str) -> NameFacts:
    """Read family, variant kinds, size, quantization and revision from a repo name.

    Args:
        name: ``"Qwen/Qwen3-8B-FP8"`` or ``"Qwen3-8B-FP8"`` (the organisation is ignored).

    Returns:
        The :class:`NameFacts`; ``kinds`` holds only what the name says (may be empty).

    Raises:
        ValueError: the name (without organisation) is blank.

    Examples:
        ``Qwen3-235B-A22B-Instruct-2507`` -> family ``Qwen3``, revision ``2507``, 235B/22B,
        kinds (instruct); ``GLM-4.5-Air-FP8`` -> family ``GLM-4.5``, size_label ``Air``,
        quantization ``FP8``, kinds (quantized).
    """
    stem = name.strip().rsplit("/", 1)[-1].strip()
    if not any(t for t in stem.split("-")):
        raise ValueError(f"not a repo name: {name!r}")
    return _parse_stem(stem)


@functools.lru_cache(maxsize=65536)
def _parse_stem(stem: str) -> NameFacts:
    """:func:`parse_repo_name` of a name without its organisation (cached: the fetch stage,
    grouping and significance read the same repos' facts, with and without the org)."""
    tokens = [t for t in stem.split("-") if t]
    total, active, size_label, size_idx = scan_sizes(tokens)

    family: list[str] = [tokens[0]]
    kinds: set[VariantKind] = set(token_kinds(tokens[0]))
    tiers: list[str] = []
    quant_parts: list[str] = []
    date: str | None = None
    late_version: str | None = None
    open_family = True
    for i in range(1, len(tokens)):
        tok = tokens[i]
        kinds |= token_kinds(tok)
        if i in size_idx:
            open_family = False
            continue
        role = token_role(tok, tokens[i - 1])
        if role == "tier":
            tiers.append(tok)
        elif role == "quant":
            quant_parts.append(tok)
            open_family = False
        elif role == "date":
            date = date or tok
            open_family = False
        elif role == "distill":
            if open_family:
                family.append(tok)
            open_family = False
        elif role in ("variant", "stage", "format"):
            open_family = False
        elif open_family:
            family.append(tok)
        elif is_version(tok) and size_label:
            late_version = late_version or tok
        elif FOREIGN_BASE_RE.match(tok):
            kinds.add(VariantKind.DISTILL)

    quantization = quant_label(quant_parts)
    if quantization:
        kinds.add(VariantKind.QUANTIZED)
    if size_label is None and tiers:
        size_label = "-".join(tiers)
    return NameFacts(
        family="-".join(family),
        kinds=tuple(sorted(str(k) for k in kinds)),
        size_label=size_label,
        params_total_b=total,
        params_active_b=active,
        quantization=quantization,
        revision=date or late_version,
    )


def family_key(name: str) -> str:
    """Return the display family stem of a repo name (``"Qwen/Qwen3-8B-FP8"`` -> ``"Qwen3"``)."""
    return parse_repo_name(name).family


_DIGIT_UNDERSCORE_RE = re.compile(r"(?<=\d)_(?=\d)")

#: Lines built on another lab's base whose names carry that base's version
#: (``Llama-3.1-Nemotron-Nano``, ``Llama-3_3-Nemotron-Super``): the base version is not part of
#: the launch, so it is dropped from the match key (``llama-nemotron``). Casefolded line words.
BASE_VERSIONED_LINES: frozenset[str] = frozenset({"nemotron"})

_BASE_VERSION_RE = re.compile(r"^(?P<base>qwen|llama|mistral|gemma|phi)-?\d+(?:\.\d+)*-(?P<line>[a-z]+)(?=-|$)")


def family_match_key(family: str) -> str:
    """Normalise a family (or release key) for grouping.

    Casefolds, turns ``_`` between digits into ``.`` (``InternVL3_5`` == ``InternVL3.5``,
    ``Llama-3_1`` == ``Llama-3.1``), and any other ``_`` or whitespace into ``-``.
    """
    key = _DIGIT_UNDERSCORE_RE.sub(".", family.strip().casefold())
    key = re.sub(r"[\s_]+", "-", key)
    return re.sub(r"-{2,}", "-", key)


def launch_match_key(release_key: str) -> str:
    """:func:`family_match_key` of a release key, for grouping launches.

    Also drops the base version of :data:`BASE_VERSIONED_LINES`: ``Llama-3_3-Nemotron-v1`` and
    ``Llama-3.1-Nemotron-v1`` -> ``llama-nemotron-v1`` (Nano and Super shipped as one launch).
    """
    key = family_match_key(release_key)
    if (m := _BASE_VERSION_RE.match(key)) and m.group("line") in BASE_VERSIONED_LINES:
        key = f"{m.group('base')}-{m.group('line')}{key[m.end() :]}"
    return key


def classify(name: str, tags: Sequence[str] = (), pipeline_tag: str | None = None) -> NameFacts:
    """Combine what the name and the tags say.

    Kinds are the union of :func:`parse_repo_name` and :func:`kinds_from_tags`; quantization
    comes from the name, else from :func:`quantization_from_tags` (and then adds "quantized").
    """
    facts = parse_repo_name(name)
    kinds = set(facts.kinds) | kinds_from_tags(tags, pipeline_tag)
    quantization = facts.quantization or quantization_from_tags(tags)
    if quantization:
        kinds.add(str(VariantKind.QUANTIZED))
    return NameFacts(
        family=facts.family,
        kinds=tuple(sorted(kinds)),
        size_label=facts.size_label,
        params_total_b=facts.params_total_b,
        params_active_b=facts.params_active_b,
        quantization=quantization,
        revision=facts.revision,
    )
