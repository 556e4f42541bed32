"""What a repo's Hub tags and pipeline tag say about it: variant kinds and quantization.

Native-precision tags (``fp8``, ``mxfp4``, ``8-bit`` on ``DeepSeek-V3``, ``Kimi-K2``,
``gpt-oss-120b``) do **not** make a repo "quantized"; only derivative evidence does
(``base_model:quantized:...``, ``gguf``, ``awq``, ``gptq``, ``bitsandbytes``). Otherwise every
flagship that ships FP8 weights would be filed as a quantized variant.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tracker.domain import VariantKind
from tracker.grouping.vocabulary import ADAPTER_TAGS, DERIVATIVE_QUANT_TAGS, PIPELINE_KINDS, PRECISION_TAGS

__all__ = ["kinds_from_tags", "quantization_from_tags"]


def _is_derivative(tags: Iterable[str]) -> bool:
    """True when tags prove the weights are a quantized copy of another repo."""
    return any(t.startswith("base_model:quantized:") or t in DERIVATIVE_QUANT_TAGS or t == "bitsandbytes" for t in tags)


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
