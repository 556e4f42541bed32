"""The word tables that drive reading a repo name and its Hub tags (casefolded keys unless said otherwise).

Data only: a new suffix, tier word or brand is one table entry here, not a new branch in
``tracker.grouping.tokens`` (which gives each token its role) or ``tracker.grouping.families``
(which reads the whole name). The reasons behind the entries are in the families module docstring.
"""

from __future__ import annotations

import re

from tracker.domain import VariantKind

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
    {
        "sft",
        "rl",
        "ppo",
        "dpo",
        "grpo",
        "rlhf",
        "zero",
        "gen",
        "stream",
        "chimera",
    }  # Hunyuan-MT-Chimera: the ensemble model shipped with Hunyuan-MT
)

#: Packaging words: stripped from the family, no kind.
FORMAT_WORDS: frozenset[str] = frozenset({"hf", "paddle", "bf16", "fp16", "fp32"})

#: Quantization tokens -> canonical spelling (``intN`` and GGML ``q4_k_m`` are read by ``tracker.grouping.tokens``).
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
