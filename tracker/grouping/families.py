"""Release families, variant kinds and parameter counts read from Hub repo names (and tags).

Pure functions only: no I/O, no database, no clock. Everything is driven by the module-level
tables below, so a new suffix is one table entry, not a new branch.

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

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tracker.domain import VariantKind

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


# --------------------------------------------------------------------------------------------
# Tables (casefolded keys unless said otherwise)
# --------------------------------------------------------------------------------------------

#: Generic variant words: stripped from the family, recorded as a kind.
VARIANT_WORDS: dict[str, VariantKind] = {
    "base": VariantKind.BASE,
    "instruct": VariantKind.INSTRUCT,
    "chat": VariantKind.INSTRUCT,
    "it": VariantKind.INSTRUCT,
    "thinking": VariantKind.THINKING,
    "reasoning": VariantKind.THINKING,
    "rumination": VariantKind.THINKING,
}

#: Case-sensitive words whose meaning depends on the case (checked before the casefolded tables).
CASE_SENSITIVE_WORDS: dict[str, str] = {
    "pt": "variant:base",  # Google: pretrained
    "PT": "format",  # Baidu: PyTorch weights of a post-trained model
}

#: Sibling-size words of one launch: stripped from the family, kept as size_label if no number.
TIER_WORDS: frozenset[str] = frozenset(
    {
        "air", "flash", "mini", "nano", "lite", "tiny", "small", "medium", "large", "plus",
        "super", "ultra", "max", "maverick", "scout", "behemoth",
    }
)  # fmt: skip

#: Brands after which a tier word is a product line and stays in the family.
TIER_PRODUCT_LINES: dict[str, frozenset[str]] = {
    "mistral": frozenset({"small", "medium", "large"}),
}

#: Training-stage and sub-variant words: stripped from the family, no kind.
STAGE_WORDS: frozenset[str] = frozenset(
    {"sft", "rl", "ppo", "dpo", "grpo", "rlhf", "zero", "gen", "stream",
     "chimera"}  # Hunyuan-MT-Chimera: the ensemble model shipped with Hunyuan-MT
)

#: Packaging words: stripped from the family, no kind.
FORMAT_WORDS: frozenset[str] = frozenset({"hf", "paddle", "bf16", "fp16", "fp32"})

#: Quantization tokens -> canonical spelling (``intN`` handled by :data:`_INT_RE`).
QUANT_WORDS: dict[str, str] = {
    "fp8": "FP8",
    "fp4": "FP4",
    "mxfp4": "MXFP4",
    "nvfp4": "NVFP4",
    "awq": "AWQ",
    "gptq": "GPTQ",
    "gguf": "GGUF",
    "mlx": "MLX",
    "bnb": "bnb",
    "4bit": "4bit",
    "8bit": "8bit",
    "3bit": "3bit",
    "6bit": "6bit",
    "qat": "QAT",
    "w4a16": "W4A16",
    "w8a8": "W8A8",
    "w4a8": "W4A8",
    "w8a16": "W8A16",
    "exl2": "EXL2",
}

#: Product-line word that keeps its place in the family but ends it (student names follow).
DISTILL_WORD = "distill"

#: Exact product words -> kinds (the token stays in the family).
PRODUCT_WORDS: dict[str, tuple[VariantKind, ...]] = {
    "coder": (VariantKind.CODER,),
    "vl": (VariantKind.VISION,),
    "vision": (VariantKind.VISION,),
    "omni": (VariantKind.OMNI,),
    "multimodal": (VariantKind.OMNI,),
    "audio": (VariantKind.AUDIO,),
    "voice": (VariantKind.AUDIO,),
    "speech": (VariantKind.AUDIO,),
    "asr": (VariantKind.AUDIO,),
    "tts": (VariantKind.TTS,),
    "reranker": (VariantKind.RERANKER,),
    "rerank": (VariantKind.RERANKER,),
    "math": (VariantKind.MATH,),
    "prover": (VariantKind.PROVER,),
    "distill": (VariantKind.DISTILL,),
    "lora": (VariantKind.ADAPTER,),
    "adapter": (VariantKind.ADAPTER,),
    "i2v": (VariantKind.VIDEO_GENERATION,),
    "t2v": (VariantKind.VIDEO_GENERATION,),
}

#: Patterns searched inside every token (for glued names such as ``Qwen3Guard``, ``InternVL3``).
KIND_PATTERNS: tuple[tuple[re.Pattern[str], VariantKind], ...] = (
    (re.compile(r"guard", re.I), VariantKind.GUARD),
    (re.compile(r"embedding", re.I), VariantKind.EMBEDDING),
    (re.compile(r"image", re.I), VariantKind.IMAGE_GENERATION),
    (re.compile(r"video", re.I), VariantKind.VIDEO_GENERATION),
    (re.compile(r"(?:^|[^a-z])ocr|ocr(?:[^a-z]|$)", re.I), VariantKind.OCR),
    (re.compile(r"coder$", re.I), VariantKind.CODER),
    (re.compile(r"vl\d*(?:[._]\d+)*$", re.I), VariantKind.VISION),  # InternVL3, deepseek-vl2
    (re.compile(r"^\d+(?:\.\d+)?v$", re.I), VariantKind.VISION),  # GLM-4.5V, glm-4v
)

#: Brand prefixes whose product is a known modality (prefix of a casefolded token).
BRAND_KINDS: tuple[tuple[str, tuple[VariantKind, ...]], ...] = (
    ("cogview", (VariantKind.IMAGE_GENERATION,)),
    ("cogvideo", (VariantKind.VIDEO_GENERATION,)),
    ("janus", (VariantKind.VISION, VariantKind.IMAGE_GENERATION)),
    ("paligemma", (VariantKind.VISION,)),
    ("qvq", (VariantKind.VISION, VariantKind.THINKING)),
    ("qwq", (VariantKind.THINKING,)),
    ("magistral", (VariantKind.THINKING,)),
    ("devstral", (VariantKind.CODER,)),
    ("voxtral", (VariantKind.AUDIO,)),
    ("whisper", (VariantKind.AUDIO,)),
    ("vibevoice", (VariantKind.TTS,)),
)

#: Stems of other labs' base models; seen after the family they mark a distilled student.
FOREIGN_BASE_RE = re.compile(r"^(?:qwen|llama|mistral|gemma|phi)\d*(?:[._]\d+)*$", re.I)

#: Hub pipeline tags -> kinds.
PIPELINE_KINDS: dict[str, tuple[VariantKind, ...]] = {
    "text-to-image": (VariantKind.IMAGE_GENERATION,),
    "image-to-image": (VariantKind.IMAGE_GENERATION,),
    "unconditional-image-generation": (VariantKind.IMAGE_GENERATION,),
    "text-to-video": (VariantKind.VIDEO_GENERATION,),
    "image-to-video": (VariantKind.VIDEO_GENERATION,),
    "feature-extraction": (VariantKind.EMBEDDING,),
    "sentence-similarity": (VariantKind.EMBEDDING,),
    "text-ranking": (VariantKind.RERANKER,),
    "image-text-to-text": (VariantKind.VISION,),
    "image-to-text": (VariantKind.VISION,),
    "visual-question-answering": (VariantKind.VISION,),
    "video-text-to-text": (VariantKind.VISION,),
    "any-to-any": (VariantKind.OMNI,),
    "automatic-speech-recognition": (VariantKind.AUDIO,),
    "audio-text-to-text": (VariantKind.AUDIO,),
    "audio-to-audio": (VariantKind.AUDIO,),
    "text-to-audio": (VariantKind.AUDIO,),
    "text-to-speech": (VariantKind.TTS,),
}

#: Tags that prove a repo is a quantized derivative -> quantization label.
DERIVATIVE_QUANT_TAGS: dict[str, str] = {
    "gguf": "GGUF",
    "awq": "AWQ",
    "gptq": "GPTQ",
    "exl2": "EXL2",
}

#: Precision tags -> label, used only when the repo is otherwise known to be a derivative.
PRECISION_TAGS: dict[str, str] = {
    "fp8": "FP8",
    "mxfp4": "MXFP4",
    "nvfp4": "NVFP4",
    "4-bit": "4bit",
    "8-bit": "8bit",
}

#: Tags that mark an adapter.
ADAPTER_TAGS: frozenset[str] = frozenset({"lora", "peft"})

_SIZE_RE = re.compile(r"^(\d+(?:\.\d+)?)([bmt])$", re.I)
_ACTIVE_RE = re.compile(r"^a(\d+(?:\.\d+)?)b$", re.I)
_EXPERTS_RE = re.compile(r"^(\d+)e$", re.I)
_MIXTURE_RE = re.compile(r"^(\d+)x(\d+(?:\.\d+)?)([bm])$", re.I)
_EFFECTIVE_RE = re.compile(r"^E(\d+(?:\.\d+)?)B$")
_CONTEXT_RE = re.compile(r"^\d+k$", re.I)
_DATE4_RE = re.compile(r"^\d{4}$")
_DATE8_RE = re.compile(r"^20\d{6}$")
_VERSION_RE = re.compile(r"^v\d+(?:[._]\d+)*$", re.I)
_INT_RE = re.compile(r"^int(\d+)$", re.I)
_GGML_RE = re.compile(r"^(?:i?q\d(?:_[0-9a-z]+)*)$", re.I)  # q4_0, q4_k_m, iq2_xxs
_UNIT_B = {"b": 1.0, "m": 0.001, "t": 1000.0}


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


def _billions(number: str, unit: str) -> float:
    """Return ``number`` with ``unit`` (b, m, t; any case) as a float count of billions."""
    return round(float(number) * _UNIT_B[unit.lower()], 6)


def _is_context_m(value: str) -> bool:
    """True when an ``<n>M`` token (seen before any size) is a context length: ``1M``, ``4M``."""
    return float(value) < 10


def _scan_sizes(tokens: Sequence[str]) -> tuple[float | None, float | None, str | None, set[int]]:
    """Find the size tokens of a name.

    Returns:
        (total_b, active_b, label, indexes): parameters in billions, the label as written with
        upper-case units, and the indexes of every token consumed as size or context.
    """
    total: float | None = None
    active: float | None = None
    parts: list[str] = []
    used: set[int] = set()
    seen = False
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if i == 0 and not _looks_like_size(tok):
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
    total, active, label, _ = _scan_sizes([t for t in name.split("-") if t])
    return total, active, label


def _looks_like_size(token: str) -> bool:
    """True for tokens that can only be a size (used to let a bare ``"8B"`` parse)."""
    return bool(
        _SIZE_RE.match(token)
        or _ACTIVE_RE.match(token)
        or _MIXTURE_RE.match(token)
        or _EFFECTIVE_RE.match(token)
    )


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


def _is_date(token: str) -> bool:
    """True for a dated revision: YYMM (23..39, 01..12), MMDD, or YYYYMMDD."""
    if _DATE8_RE.match(token):
        return 1 <= int(token[4:6]) <= 12 and 1 <= int(token[6:8]) <= 31
    if not _DATE4_RE.match(token):
        return False
    a, b = int(token[:2]), int(token[2:])
    yymm = 23 <= a <= 39 and 1 <= b <= 12
    mmdd = 1 <= a <= 12 and 1 <= b <= 31
    return yymm or mmdd


def _quant_label(parts: Sequence[str]) -> str | None:
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


def _is_quant(token: str) -> bool:
    """True for a quantization token (``FP8``, ``Int4``, ``q4_0``, ``bnb``, ``4bit``...)."""
    return token.casefold() in QUANT_WORDS or bool(_INT_RE.match(token) or _GGML_RE.match(token))


def _token_kinds(token: str) -> set[VariantKind]:
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


def _role(token: str, previous: str) -> str:
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
    if _is_quant(token):
        return "quant"
    if _is_date(token):
        return "date"
    if low in TIER_WORDS and low not in TIER_PRODUCT_LINES.get(previous.casefold(), ()):
        return "tier"
    if low == DISTILL_WORD:
        return "distill"
    return "name"


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
    tokens = [t for t in stem.split("-") if t]
    if not tokens:
        raise ValueError(f"not a repo name: {name!r}")
    total, active, size_label, size_idx = _scan_sizes(tokens)

    family: list[str] = [tokens[0]]
    kinds: set[VariantKind] = set(_token_kinds(tokens[0]))
    tiers: list[str] = []
    quant_parts: list[str] = []
    date: str | None = None
    late_version: str | None = None
    open_family = True
    for i in range(1, len(tokens)):
        tok = tokens[i]
        kinds |= _token_kinds(tok)
        if i in size_idx:
            open_family = False
            continue
        role = _role(tok, tokens[i - 1])
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
        elif _VERSION_RE.match(tok) and size_label:
            late_version = late_version or tok
        elif FOREIGN_BASE_RE.match(tok):
            kinds.add(VariantKind.DISTILL)

    quantization = _quant_label(quant_parts)
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

_BASE_VERSION_RE = re.compile(
    r"^(?P<base>qwen|llama|mistral|gemma|phi)-?\d+(?:\.\d+)*-(?P<line>[a-z]+)(?=-|$)"
)


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
        key = f"{m.group('base')}-{m.group('line')}{key[m.end():]}"
    return key


# --------------------------------------------------------------------------------------------
# Tags
# --------------------------------------------------------------------------------------------


def _is_derivative(tags: Iterable[str]) -> bool:
    """True when tags prove the weights are a quantized copy of another repo."""
    return any(
        t.startswith("base_model:quantized:") or t in DERIVATIVE_QUANT_TAGS or t == "bitsandbytes"
        for t in tags
    )


def quantization_from_tags(tags: Sequence[str]) -> str | None:
    """Quantization label from Hub tags, only for quantized derivatives.

    ``gguf`` -> ``GGUF``; ``awq`` -> ``AWQ``; ``gptq`` -> ``GPTQ``; ``bitsandbytes`` + ``4-bit`` ->
    ``bnb-4bit``; with ``base_model:quantized:...``: ``fp8`` -> ``FP8``, ``mxfp4`` -> ``MXFP4``,
    ``4-bit`` -> ``4bit``. Native precision tags alone (``fp8`` on ``DeepSeek-V3``) give None.
    """
    lowered = [t.casefold() for t in tags]
    if not _is_derivative(lowered):
        return None
    for tag, label in DERIVATIVE_QUANT_TAGS.items():
        if tag in lowered:
            return label
    if "bitsandbytes" in lowered:
        bits = "8bit" if "8-bit" in lowered and "4-bit" not in lowered else "4bit"
        return f"bnb-{bits}"
    for tag, label in PRECISION_TAGS.items():
        if tag in lowered:
            return label
    return None


def kinds_from_tags(tags: Sequence[str], pipeline_tag: str | None) -> set[str]:
    """Variant kinds implied by Hub tags and the pipeline tag.

    ``text-to-image`` -> image-generation; ``feature-extraction``/``sentence-similarity`` ->
    embedding; ``image-text-to-text`` -> vision; ``any-to-any`` -> omni; quantized-derivative
    evidence (``base_model:quantized:...``, ``gguf``, ``awq``, ``gptq``, ``bitsandbytes``) ->
    quantized; ``base_model:adapter:...``/``lora``/``peft`` -> adapter. A bare ``fp8``/``mxfp4``
    tag is the native precision of an original release and adds nothing.

    Returns:
        A set of :class:`VariantKind` values (plain strings).
    """
    lowered = [t.casefold() for t in tags]
    kinds: set[str] = set()
    for tag in [*lowered, (pipeline_tag or "").casefold()]:
        kinds.update(str(k) for k in PIPELINE_KINDS.get(tag, ()))
        if tag.startswith("base_model:adapter:") or tag in ADAPTER_TAGS:
            kinds.add(str(VariantKind.ADAPTER))
    if _is_derivative(lowered):
        kinds.add(str(VariantKind.QUANTIZED))
    return kinds


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
