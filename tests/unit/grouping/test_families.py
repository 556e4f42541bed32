"""Table and property tests for :mod:`tracker.grouping.families`, built from the replay corpus's real names.

The names below were copied from ``tracker/replay/corpus/hf/models/*.json`` (``id``) and
``timeline.jsonl`` (``repo_id``); the tests read no file.
"""

from __future__ import annotations

import pytest

from tracker.grouping.families import (
    NameFacts,
    VariantKind,
    classify,
    family_key,
    family_match_key,
    kinds_from_tags,
    parse_params,
    parse_repo_name,
    quantization_from_tags,
)

# Every repo name in tracker/replay/corpus/hf/models/*.json and timeline.jsonl (copied).
CORPUS_NAMES: tuple[str, ...] = (
    "ByteDance-Seed/BAGEL-7B-MoT",
    "ByteDance-Seed/Seed-Coder-8B-Base",
    "ByteDance-Seed/Seed-Coder-8B-Instruct",
    "ByteDance-Seed/Seed-Coder-8B-Reasoning",
    "ByteDance-Seed/Seed-OSS-36B-Base",
    "ByteDance-Seed/Seed-OSS-36B-Base-woSyn",
    "ByteDance-Seed/Seed-OSS-36B-Instruct",
    "ByteDance-Seed/Seed-X-Instruct-7B",
    "ByteDance-Seed/Seed-X-PPO-7B",
    "ByteDance-Seed/UI-TARS-1.5-7B",
    "MiniMaxAI/MiniMax-M1-40k",
    "MiniMaxAI/MiniMax-M1-80k",
    "MiniMaxAI/MiniMax-M2",
    "MiniMaxAI/MiniMax-M2.1",
    "MiniMaxAI/MiniMax-Text-01",
    "MiniMaxAI/MiniMax-VL-01",
    "OpenGVLab/InternVL3-78B",
    "OpenGVLab/InternVL3-8B",
    "OpenGVLab/InternVL3_5-241B-A28B",
    "OpenGVLab/InternVL3_5-8B",
    "Qwen/QVQ-72B-Preview",
    "Qwen/QwQ-32B",
    "Qwen/QwQ-32B-AWQ",
    "Qwen/QwQ-32B-GGUF",
    "Qwen/QwQ-32B-Preview",
    "Qwen/Qwen-Image",
    "Qwen/Qwen-Image-Edit",
    "Qwen/Qwen-Image-Edit-2509",
    "Qwen/Qwen2-Audio-7B-Instruct",
    "Qwen/Qwen2-VL-7B-Instruct",
    "Qwen/Qwen2.5-0.5B-Instruct",
    "Qwen/Qwen2.5-14B-Instruct-1M",
    "Qwen/Qwen2.5-72B-Instruct",
    "Qwen/Qwen2.5-7B-Instruct",
    "Qwen/Qwen2.5-7B-Instruct-1M",
    "Qwen/Qwen2.5-Coder-32B-Instruct",
    "Qwen/Qwen2.5-Math-7B-Instruct",
    "Qwen/Qwen2.5-Math-PRM-72B",
    "Qwen/Qwen2.5-Math-PRM-7B",
    "Qwen/Qwen2.5-Omni-3B",
    "Qwen/Qwen2.5-Omni-7B",
    "Qwen/Qwen2.5-VL-32B-Instruct",
    "Qwen/Qwen2.5-VL-3B-Instruct",
    "Qwen/Qwen2.5-VL-72B-Instruct",
    "Qwen/Qwen2.5-VL-72B-Instruct-AWQ",
    "Qwen/Qwen2.5-VL-7B-Instruct",
    "Qwen/Qwen2.5-VL-7B-Instruct-AWQ",
    "Qwen/Qwen3-0.6B",
    "Qwen/Qwen3-0.6B-Base",
    "Qwen/Qwen3-0.6B-FP8",
    "Qwen/Qwen3-1.7B",
    "Qwen/Qwen3-1.7B-Base",
    "Qwen/Qwen3-1.7B-FP8",
    "Qwen/Qwen3-14B",
    "Qwen/Qwen3-14B-AWQ",
    "Qwen/Qwen3-14B-Base",
    "Qwen/Qwen3-14B-FP8",
    "Qwen/Qwen3-235B-A22B",
    "Qwen/Qwen3-235B-A22B-FP8",
    "Qwen/Qwen3-235B-A22B-GPTQ-Int4",
    "Qwen/Qwen3-235B-A22B-Instruct-2507",
    "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",
    "Qwen/Qwen3-235B-A22B-Thinking-2507",
    "Qwen/Qwen3-235B-A22B-Thinking-2507-FP8",
    "Qwen/Qwen3-30B-A3B",
    "Qwen/Qwen3-30B-A3B-Base",
    "Qwen/Qwen3-30B-A3B-FP8",
    "Qwen/Qwen3-30B-A3B-GGUF",
    "Qwen/Qwen3-30B-A3B-Instruct-2507",
    "Qwen/Qwen3-30B-A3B-Instruct-2507-FP8",
    "Qwen/Qwen3-30B-A3B-Thinking-2507",
    "Qwen/Qwen3-30B-A3B-Thinking-2507-FP8",
    "Qwen/Qwen3-32B",
    "Qwen/Qwen3-32B-AWQ",
    "Qwen/Qwen3-32B-FP8",
    "Qwen/Qwen3-32B-GGUF",
    "Qwen/Qwen3-4B",
    "Qwen/Qwen3-4B-Base",
    "Qwen/Qwen3-4B-FP8",
    "Qwen/Qwen3-4B-Instruct-2507",
    "Qwen/Qwen3-4B-Instruct-2507-FP8",
    "Qwen/Qwen3-4B-Thinking-2507",
    "Qwen/Qwen3-8B",
    "Qwen/Qwen3-8B-AWQ",
    "Qwen/Qwen3-8B-Base",
    "Qwen/Qwen3-8B-FP8",
    "Qwen/Qwen3-8B-GGUF",
    "Qwen/Qwen3-Coder-30B-A3B-Instruct",
    "Qwen/Qwen3-Coder-30B-A3B-Instruct-FP8",
    "Qwen/Qwen3-Coder-480B-A35B-Instruct",
    "Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8",
    "Qwen/Qwen3-Embedding-0.6B",
    "Qwen/Qwen3-Embedding-4B",
    "Qwen/Qwen3-Embedding-8B",
    "Qwen/Qwen3-Next-80B-A3B-Instruct",
    "Qwen/Qwen3-Next-80B-A3B-Instruct-FP8",
    "Qwen/Qwen3-Next-80B-A3B-Thinking",
    "Qwen/Qwen3-Omni-30B-A3B-Captioner",
    "Qwen/Qwen3-Omni-30B-A3B-Instruct",
    "Qwen/Qwen3-Omni-30B-A3B-Thinking",
    "Qwen/Qwen3-Reranker-0.6B",
    "Qwen/Qwen3-Reranker-4B",
    "Qwen/Qwen3-Reranker-8B",
    "Qwen/Qwen3-VL-235B-A22B-Instruct",
    "Qwen/Qwen3-VL-235B-A22B-Thinking",
    "Qwen/Qwen3-VL-30B-A3B-Instruct",
    "Qwen/Qwen3-VL-30B-A3B-Thinking",
    "Qwen/Qwen3-VL-4B-Instruct",
    "Qwen/Qwen3-VL-4B-Thinking",
    "Qwen/Qwen3-VL-8B-Instruct",
    "Qwen/Qwen3-VL-8B-Thinking",
    "Qwen/Qwen3Guard-Gen-0.6B",
    "Qwen/Qwen3Guard-Gen-8B",
    "Qwen/WorldPM-72B",
    "THUDM/CogVideoX-5b",
    "THUDM/CogView4-6B",
    "THUDM/GLM-4-32B-0414",
    "THUDM/GLM-4-32B-Base-0414",
    "THUDM/GLM-4-9B-0414",
    "THUDM/GLM-4.1V-9B-Base",
    "THUDM/GLM-4.1V-9B-Thinking",
    "THUDM/GLM-Z1-32B-0414",
    "THUDM/GLM-Z1-9B-0414",
    "THUDM/GLM-Z1-Rumination-32B-0414",
    "THUDM/chatglm3-6b",
    "THUDM/cogagent-9b-20241220",
    "THUDM/glm-4-9b",
    "THUDM/glm-4-9b-chat",
    "THUDM/glm-4-voice-9b",
    "THUDM/glm-4v-9b",
    "THUDM/glm-edge-4b-chat",
    "XiaomiMiMo/MiMo-7B-Base",
    "XiaomiMiMo/MiMo-7B-RL",
    "XiaomiMiMo/MiMo-7B-RL-0530",
    "XiaomiMiMo/MiMo-7B-RL-Zero",
    "XiaomiMiMo/MiMo-7B-SFT",
    "XiaomiMiMo/MiMo-Audio-7B-Base",
    "XiaomiMiMo/MiMo-Audio-7B-Instruct",
    "XiaomiMiMo/MiMo-V2-Flash",
    "XiaomiMiMo/MiMo-V2-Flash-Base",
    "XiaomiMiMo/MiMo-VL-7B-RL",
    "XiaomiMiMo/MiMo-VL-7B-RL-2508",
    "XiaomiMiMo/MiMo-VL-7B-SFT",
    "baidu/ERNIE-4.5-0.3B-PT",
    "baidu/ERNIE-4.5-21B-A3B-Base-PT",
    "baidu/ERNIE-4.5-21B-A3B-PT",
    "baidu/ERNIE-4.5-21B-A3B-Thinking",
    "baidu/ERNIE-4.5-300B-A47B-Base-PT",
    "baidu/ERNIE-4.5-300B-A47B-PT",
    "baidu/ERNIE-4.5-300B-A47B-Paddle",
    "baidu/ERNIE-4.5-VL-28B-A3B-PT",
    "baidu/ERNIE-4.5-VL-28B-A3B-Thinking",
    "baidu/ERNIE-4.5-VL-424B-A47B-PT",
    "deepseek-ai/DeepSeek-Coder-V2-Instruct",
    "deepseek-ai/DeepSeek-Coder-V2-Lite-Instruct",
    "deepseek-ai/DeepSeek-Prover-V1.5-RL",
    "deepseek-ai/DeepSeek-Prover-V2-671B",
    "deepseek-ai/DeepSeek-Prover-V2-7B",
    "deepseek-ai/DeepSeek-R1",
    "deepseek-ai/DeepSeek-R1-0528",
    "deepseek-ai/DeepSeek-R1-0528-Qwen3-8B",
    "deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
    "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
    "deepseek-ai/DeepSeek-R1-Zero",
    "deepseek-ai/DeepSeek-V2-Chat",
    "deepseek-ai/DeepSeek-V2-Lite-Chat",
    "deepseek-ai/DeepSeek-V2.5",
    "deepseek-ai/DeepSeek-V2.5-1210",
    "deepseek-ai/DeepSeek-V3",
    "deepseek-ai/DeepSeek-V3-0324",
    "deepseek-ai/DeepSeek-V3-Base",
    "deepseek-ai/DeepSeek-V3.1",
    "deepseek-ai/DeepSeek-V3.1-Base",
    "deepseek-ai/DeepSeek-V3.1-Terminus",
    "deepseek-ai/DeepSeek-V3.2-Exp",
    "deepseek-ai/DeepSeek-V3.2-Exp-Base",
    "deepseek-ai/Janus-1.3B",
    "deepseek-ai/Janus-Pro-1B",
    "deepseek-ai/Janus-Pro-7B",
    "deepseek-ai/JanusFlow-1.3B",
    "deepseek-ai/deepseek-coder-6.7b-instruct",
    "deepseek-ai/deepseek-llm-7b-chat",
    "deepseek-ai/deepseek-math-7b-rl",
    "deepseek-ai/deepseek-vl-7b-chat",
    "deepseek-ai/deepseek-vl2",
    "deepseek-ai/deepseek-vl2-small",
    "deepseek-ai/deepseek-vl2-tiny",
    "google/embeddinggemma-300m",
    "google/gemma-2-9b-it",
    "google/gemma-3-12b-it",
    "google/gemma-3-1b-it",
    "google/gemma-3-270m",
    "google/gemma-3-270m-it",
    "google/gemma-3-27b-it",
    "google/gemma-3-27b-it-qat-q4_0-gguf",
    "google/gemma-3-27b-pt",
    "google/gemma-3-4b-it",
    "google/medgemma-27b-text-it",
    "google/medgemma-4b-it",
    "google/paligemma2-3b-pt-224",
    "google/vaultgemma-1b",
    "inclusionAI/Ling-1T",
    "inclusionAI/Ling-flash-2.0",
    "inclusionAI/Ling-lite",
    "inclusionAI/Ling-lite-1.5",
    "inclusionAI/Ling-mini-2.0",
    "inclusionAI/Ling-plus",
    "inclusionAI/Ring-1T",
    "inclusionAI/Ring-1T-preview",
    "inclusionAI/Ring-flash-2.0",
    "inclusionAI/Ring-lite",
    "internlm/Intern-S1",
    "internlm/Intern-S1-FP8",
    "internlm/Intern-S1-mini",
    "internlm/internlm2_5-7b-chat",
    "internlm/internlm3-8b-instruct",
    "meta-llama/Llama-3.1-8B-Instruct",
    "meta-llama/Llama-3.2-11B-Vision-Instruct",
    "meta-llama/Llama-3.2-1B-Instruct",
    "meta-llama/Llama-3.3-70B-Instruct",
    "meta-llama/Llama-4-Maverick-17B-128E",
    "meta-llama/Llama-4-Maverick-17B-128E-Instruct",
    "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8",
    "meta-llama/Llama-4-Scout-17B-16E",
    "meta-llama/Llama-4-Scout-17B-16E-Instruct",
    "meta-llama/Llama-Guard-4-12B",
    "meta-llama/Llama-Prompt-Guard-2-86M",
    "microsoft/MAI-DS-R1",
    "microsoft/Phi-3.5-mini-instruct",
    "microsoft/Phi-4-mini-flash-reasoning",
    "microsoft/Phi-4-mini-instruct",
    "microsoft/Phi-4-mini-reasoning",
    "microsoft/Phi-4-multimodal-instruct",
    "microsoft/Phi-4-reasoning",
    "microsoft/Phi-4-reasoning-plus",
    "microsoft/VibeVoice-1.5B",
    "microsoft/WizardLM-2-7B",
    "microsoft/WizardLM-2-8x22B",
    "microsoft/bitnet-b1.58-2B-4T",
    "microsoft/phi-4",
    "mistralai/Devstral-Small-2505",
    "mistralai/Devstral-Small-2507",
    "mistralai/Magistral-Small-2506",
    "mistralai/Magistral-Small-2507",
    "mistralai/Magistral-Small-2509",
    "mistralai/Ministral-8B-Instruct-2410",
    "mistralai/Mistral-7B-Instruct-v0.3",
    "mistralai/Mistral-Nemo-Instruct-2407",
    "mistralai/Mistral-Small-24B-Base-2501",
    "mistralai/Mistral-Small-24B-Instruct-2501",
    "mistralai/Mistral-Small-3.1-24B-Instruct-2503",
    "mistralai/Mistral-Small-3.2-24B-Instruct-2506",
    "mistralai/Voxtral-Mini-3B-2507",
    "mistralai/Voxtral-Small-24B-2507",
    "moonshotai/Kimi-Audio-7B",
    "moonshotai/Kimi-Audio-7B-Instruct",
    "moonshotai/Kimi-Dev-72B",
    "moonshotai/Kimi-K2-Base",
    "moonshotai/Kimi-K2-Instruct",
    "moonshotai/Kimi-K2-Instruct-0905",
    "moonshotai/Kimi-VL-A3B-Instruct",
    "moonshotai/Kimi-VL-A3B-Thinking",
    "moonshotai/Kimi-VL-A3B-Thinking-2506",
    "moonshotai/Moonlight-16B-A3B",
    "moonshotai/Moonlight-16B-A3B-Instruct",
    "nvidia/Llama-3.1-Nemotron-70B-Instruct-HF",
    "nvidia/Llama-3.1-Nemotron-Nano-8B-v1",
    "nvidia/Llama-3_1-Nemotron-Ultra-253B-v1",
    "nvidia/Llama-3_3-Nemotron-Super-49B-v1",
    "nvidia/Llama-3_3-Nemotron-Super-49B-v1_5",
    "nvidia/NVIDIA-Nemotron-Nano-9B-v2",
    "nvidia/OpenReasoning-Nemotron-32B",
    "openai/gpt-oss-120b",
    "openai/gpt-oss-20b",
    "openai/gpt-oss-safeguard-120b",
    "openai/gpt-oss-safeguard-20b",
    "openai/whisper-large-v3",
    "openai/whisper-large-v3-turbo",
    "tencent/Hunyuan-0.5B-Instruct",
    "tencent/Hunyuan-1.8B-Instruct",
    "tencent/Hunyuan-4B-Instruct",
    "tencent/Hunyuan-7B-Instruct",
    "tencent/Hunyuan-A13B-Instruct",
    "tencent/Hunyuan-A13B-Instruct-FP8",
    "tencent/Hunyuan-MT-7B",
    "tencent/Hunyuan-MT-Chimera-7B",
    "tencent/Hunyuan3D-2",
    "tencent/Hunyuan3D-2.1",
    "tencent/HunyuanImage-2.1",
    "tencent/HunyuanImage-3.0",
    "tencent/HunyuanVideo",
    "tencent/HunyuanVideo-1.5",
    "tencent/HunyuanVideo-I2V",
    "tencent/HunyuanWorld-1",
    "tencent/Tencent-Hunyuan-Large",
    "unsloth/DeepSeek-R1-GGUF",
    "unsloth/DeepSeek-V3.1-Terminus-GGUF",
    "unsloth/Kimi-K2-Instruct-0905-GGUF",
    "unsloth/Qwen3-30B-A3B-Base-bnb-4bit",
    "unsloth/Qwen3-30B-A3B-GGUF",
    "unsloth/Qwen3-30B-A3B-bnb-4bit",
    "zai-org/CogVideoX-5b",
    "zai-org/CogView4-6B",
    "zai-org/GLM-4-32B-0414",
    "zai-org/GLM-4-32B-Base-0414",
    "zai-org/GLM-4-9B-0414",
    "zai-org/GLM-4.1V-9B-Base",
    "zai-org/GLM-4.1V-9B-Thinking",
    "zai-org/GLM-4.5",
    "zai-org/GLM-4.5-Air",
    "zai-org/GLM-4.5-Air-Base",
    "zai-org/GLM-4.5-Air-FP8",
    "zai-org/GLM-4.5-Base",
    "zai-org/GLM-4.5-FP8",
    "zai-org/GLM-4.5V",
    "zai-org/GLM-4.5V-FP8",
    "zai-org/GLM-4.6",
    "zai-org/GLM-4.6-FP8",
    "zai-org/GLM-4.6V",
    "zai-org/GLM-4.6V-FP8",
    "zai-org/GLM-4.6V-Flash",
    "zai-org/GLM-Z1-32B-0414",
    "zai-org/GLM-Z1-9B-0414",
    "zai-org/GLM-Z1-Rumination-32B-0414",
    "zai-org/chatglm3-6b",
    "zai-org/cogagent-9b-20241220",
    "zai-org/glm-4-9b",
    "zai-org/glm-4-9b-chat",
    "zai-org/glm-4-voice-9b",
    "zai-org/glm-4v-9b",
    "zai-org/glm-edge-4b-chat",
)

B, I, T = "base", "instruct", "thinking"  # noqa: E741 (the table reads as kind initials)
Q, V, D = "quantized", "vision", "distill"

# name, family, release_key, kinds (exact, from the name only), size_label, total_b, active_b,
# quantization, revision
NAME_TABLE: list[tuple] = [
    # Qwen3 launch (2025-04-28): sizes, -Base, -FP8, MoE, AWQ/GPTQ/GGUF
    ("Qwen/Qwen3-0.6B", "Qwen3", "Qwen3", (), "0.6B", 0.6, None, None, None),
    ("Qwen/Qwen3-0.6B-Base", "Qwen3", "Qwen3", (B,), "0.6B", 0.6, None, None, None),
    ("Qwen/Qwen3-8B-FP8", "Qwen3", "Qwen3", (Q,), "8B", 8.0, None, "FP8", None),
    ("Qwen/Qwen3-14B-AWQ", "Qwen3", "Qwen3", (Q,), "14B", 14.0, None, "AWQ", None),
    ("Qwen/Qwen3-32B-GGUF", "Qwen3", "Qwen3", (Q,), "32B", 32.0, None, "GGUF", None),
    ("Qwen/Qwen3-30B-A3B-Base", "Qwen3", "Qwen3", (B,), "30B-A3B", 30.0, 3.0, None, None),
    ("Qwen/Qwen3-235B-A22B", "Qwen3", "Qwen3", (), "235B-A22B", 235.0, 22.0, None, None),
    ("Qwen/Qwen3-235B-A22B-GPTQ-Int4", "Qwen3", "Qwen3", (Q,), "235B-A22B", 235.0, 22.0, "GPTQ-Int4", None),
    # dated refresh -2507: same family, another release
    ("Qwen/Qwen3-235B-A22B-Instruct-2507", "Qwen3", "Qwen3-2507", (I,), "235B-A22B", 235.0, 22.0, None, "2507"),
    ("Qwen/Qwen3-235B-A22B-Thinking-2507-FP8", "Qwen3", "Qwen3-2507", (Q, T), "235B-A22B", 235.0, 22.0, "FP8", "2507"),
    ("Qwen/Qwen3-4B-Instruct-2507", "Qwen3", "Qwen3-2507", (I,), "4B", 4.0, None, None, "2507"),
    # product lines launched separately keep their word
    (
        "Qwen/Qwen3-Coder-480B-A35B-Instruct",
        "Qwen3-Coder",
        "Qwen3-Coder",
        ("coder", I),
        "480B-A35B",
        480.0,
        35.0,
        None,
        None,
    ),
    (
        "Qwen/Qwen3-Coder-30B-A3B-Instruct-FP8",
        "Qwen3-Coder",
        "Qwen3-Coder",
        ("coder", I, Q),
        "30B-A3B",
        30.0,
        3.0,
        "FP8",
        None,
    ),
    ("Qwen/Qwen3-VL-235B-A22B-Thinking", "Qwen3-VL", "Qwen3-VL", (T, V), "235B-A22B", 235.0, 22.0, None, None),
    ("Qwen/Qwen3-Omni-30B-A3B-Captioner", "Qwen3-Omni", "Qwen3-Omni", ("omni",), "30B-A3B", 30.0, 3.0, None, None),
    ("Qwen/Qwen3-Next-80B-A3B-Instruct", "Qwen3-Next", "Qwen3-Next", (I,), "80B-A3B", 80.0, 3.0, None, None),
    ("Qwen/Qwen3-Embedding-0.6B", "Qwen3-Embedding", "Qwen3-Embedding", ("embedding",), "0.6B", 0.6, None, None, None),
    ("Qwen/Qwen3-Reranker-4B", "Qwen3-Reranker", "Qwen3-Reranker", ("reranker",), "4B", 4.0, None, None, None),
    ("Qwen/Qwen3Guard-Gen-0.6B", "Qwen3Guard", "Qwen3Guard", ("guard",), "0.6B", 0.6, None, None, None),
    ("Qwen/Qwen-Image", "Qwen-Image", "Qwen-Image", ("image-generation",), None, None, None, None, None),
    (
        "Qwen/Qwen-Image-Edit-2509",
        "Qwen-Image-Edit",
        "Qwen-Image-Edit-2509",
        ("image-generation",),
        None,
        None,
        None,
        None,
        "2509",
    ),
    ("Qwen/Qwen2.5-VL-72B-Instruct-AWQ", "Qwen2.5-VL", "Qwen2.5-VL", (I, Q, V), "72B", 72.0, None, "AWQ", None),
    ("Qwen/Qwen2.5-Omni-7B", "Qwen2.5-Omni", "Qwen2.5-Omni", ("omni",), "7B", 7.0, None, None, None),
    ("Qwen/Qwen2-Audio-7B-Instruct", "Qwen2-Audio", "Qwen2-Audio", ("audio", I), "7B", 7.0, None, None, None),
    ("Qwen/Qwen2.5-Math-PRM-72B", "Qwen2.5-Math-PRM", "Qwen2.5-Math-PRM", ("math",), "72B", 72.0, None, None, None),
    # -1M is context, not parameters
    ("Qwen/Qwen2.5-7B-Instruct-1M", "Qwen2.5", "Qwen2.5", (I,), "7B", 7.0, None, None, None),
    ("Qwen/Qwen2.5-14B-Instruct-1M", "Qwen2.5", "Qwen2.5", (I,), "14B", 14.0, None, None, None),
    ("Qwen/QwQ-32B-Preview", "QwQ", "QwQ", (T,), "32B", 32.0, None, None, None),
    ("Qwen/QVQ-72B-Preview", "QVQ", "QVQ", (T, V), "72B", 72.0, None, None, None),
    # DeepSeek
    ("deepseek-ai/DeepSeek-V3", "DeepSeek-V3", "DeepSeek-V3", (), None, None, None, None, None),
    ("deepseek-ai/DeepSeek-V3-0324", "DeepSeek-V3", "DeepSeek-V3-0324", (), None, None, None, None, "0324"),
    ("deepseek-ai/DeepSeek-V3.1-Base", "DeepSeek-V3.1", "DeepSeek-V3.1", (B,), None, None, None, None, None),
    (
        "deepseek-ai/DeepSeek-V3.1-Terminus",
        "DeepSeek-V3.1-Terminus",
        "DeepSeek-V3.1-Terminus",
        (),
        None,
        None,
        None,
        None,
        None,
    ),
    (
        "deepseek-ai/DeepSeek-V3.2-Exp-Base",
        "DeepSeek-V3.2-Exp",
        "DeepSeek-V3.2-Exp",
        (B,),
        None,
        None,
        None,
        None,
        None,
    ),
    ("deepseek-ai/DeepSeek-V2.5-1210", "DeepSeek-V2.5", "DeepSeek-V2.5-1210", (), None, None, None, None, "1210"),
    ("deepseek-ai/DeepSeek-V2-Lite-Chat", "DeepSeek-V2", "DeepSeek-V2", (I,), "Lite", None, None, None, None),
    ("deepseek-ai/DeepSeek-R1", "DeepSeek-R1", "DeepSeek-R1", (), None, None, None, None, None),
    ("deepseek-ai/DeepSeek-R1-Zero", "DeepSeek-R1", "DeepSeek-R1", (), None, None, None, None, None),
    ("deepseek-ai/DeepSeek-R1-0528", "DeepSeek-R1", "DeepSeek-R1-0528", (), None, None, None, None, "0528"),
    ("deepseek-ai/DeepSeek-R1-0528-Qwen3-8B", "DeepSeek-R1", "DeepSeek-R1-0528", (D,), "8B", 8.0, None, None, "0528"),
    (
        "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
        "DeepSeek-R1-Distill",
        "DeepSeek-R1-Distill",
        (D,),
        "7B",
        7.0,
        None,
        None,
        None,
    ),
    (
        "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B",
        "DeepSeek-R1-Distill",
        "DeepSeek-R1-Distill",
        (D,),
        "1.5B",
        1.5,
        None,
        None,
        None,
    ),
    (
        "deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
        "DeepSeek-R1-Distill",
        "DeepSeek-R1-Distill",
        (D,),
        "70B",
        70.0,
        None,
        None,
        None,
    ),
    (
        "deepseek-ai/DeepSeek-Prover-V2-671B",
        "DeepSeek-Prover-V2",
        "DeepSeek-Prover-V2",
        ("prover",),
        "671B",
        671.0,
        None,
        None,
        None,
    ),
    (
        "deepseek-ai/DeepSeek-Coder-V2-Lite-Instruct",
        "DeepSeek-Coder-V2",
        "DeepSeek-Coder-V2",
        ("coder", I),
        "Lite",
        None,
        None,
        None,
        None,
    ),
    (
        "deepseek-ai/deepseek-coder-6.7b-instruct",
        "deepseek-coder",
        "deepseek-coder",
        ("coder", I),
        "6.7B",
        6.7,
        None,
        None,
        None,
    ),
    ("deepseek-ai/deepseek-math-7b-rl", "deepseek-math", "deepseek-math", ("math",), "7B", 7.0, None, None, None),
    ("deepseek-ai/deepseek-vl2-tiny", "deepseek-vl2", "deepseek-vl2", (V,), "tiny", None, None, None, None),
    ("deepseek-ai/Janus-Pro-7B", "Janus-Pro", "Janus-Pro", ("image-generation", V), "7B", 7.0, None, None, None),
    # Zhipu / Z.ai
    ("zai-org/GLM-4.5", "GLM-4.5", "GLM-4.5", (), None, None, None, None, None),
    ("zai-org/GLM-4.5-Air", "GLM-4.5", "GLM-4.5", (), "Air", None, None, None, None),
    ("zai-org/GLM-4.5-Air-Base", "GLM-4.5", "GLM-4.5", (B,), "Air", None, None, None, None),
    ("zai-org/GLM-4.5-Air-FP8", "GLM-4.5", "GLM-4.5", (Q,), "Air", None, None, "FP8", None),
    ("zai-org/GLM-4.5V", "GLM-4.5V", "GLM-4.5V", (V,), None, None, None, None, None),
    ("zai-org/GLM-4.5V-FP8", "GLM-4.5V", "GLM-4.5V", (Q, V), None, None, None, "FP8", None),
    ("zai-org/GLM-4.6V-Flash", "GLM-4.6V", "GLM-4.6V", (V,), "Flash", None, None, None, None),
    ("zai-org/GLM-4.1V-9B-Thinking", "GLM-4.1V", "GLM-4.1V", (T, V), "9B", 9.0, None, None, None),
    ("zai-org/GLM-4-32B-Base-0414", "GLM-4", "GLM-4-0414", (B,), "32B", 32.0, None, None, "0414"),
    ("zai-org/GLM-Z1-Rumination-32B-0414", "GLM-Z1", "GLM-Z1-0414", (T,), "32B", 32.0, None, None, "0414"),
    ("zai-org/glm-4-9b-chat", "glm-4", "glm-4", (I,), "9B", 9.0, None, None, None),
    ("zai-org/glm-4v-9b", "glm-4v", "glm-4v", (V,), "9B", 9.0, None, None, None),
    ("zai-org/glm-4-voice-9b", "glm-4-voice", "glm-4-voice", ("audio",), "9B", 9.0, None, None, None),
    ("zai-org/cogagent-9b-20241220", "cogagent", "cogagent-20241220", (), "9B", 9.0, None, None, "20241220"),
    ("zai-org/CogView4-6B", "CogView4", "CogView4", ("image-generation",), "6B", 6.0, None, None, None),
    ("zai-org/CogVideoX-5b", "CogVideoX", "CogVideoX", ("video-generation",), "5B", 5.0, None, None, None),
    # Moonshot
    ("moonshotai/Kimi-K2-Instruct", "Kimi-K2", "Kimi-K2", (I,), None, None, None, None, None),
    ("moonshotai/Kimi-K2-Instruct-0905", "Kimi-K2", "Kimi-K2-0905", (I,), None, None, None, None, "0905"),
    ("moonshotai/Kimi-VL-A3B-Thinking-2506", "Kimi-VL", "Kimi-VL-2506", (T, V), "A3B", None, 3.0, None, "2506"),
    ("moonshotai/Moonlight-16B-A3B-Instruct", "Moonlight", "Moonlight", (I,), "16B-A3B", 16.0, 3.0, None, None),
    ("moonshotai/Kimi-Audio-7B-Instruct", "Kimi-Audio", "Kimi-Audio", ("audio", I), "7B", 7.0, None, None, None),
    # MiniMax: -40k/-80k are thinking budgets, not parameters
    ("MiniMaxAI/MiniMax-M1-80k", "MiniMax-M1", "MiniMax-M1", (), None, None, None, None, None),
    ("MiniMaxAI/MiniMax-M1-40k", "MiniMax-M1", "MiniMax-M1", (), None, None, None, None, None),
    ("MiniMaxAI/MiniMax-M2.1", "MiniMax-M2.1", "MiniMax-M2.1", (), None, None, None, None, None),
    ("MiniMaxAI/MiniMax-VL-01", "MiniMax-VL-01", "MiniMax-VL-01", (V,), None, None, None, None, None),
    # Xiaomi
    ("XiaomiMiMo/MiMo-7B-RL", "MiMo", "MiMo", (), "7B", 7.0, None, None, None),
    ("XiaomiMiMo/MiMo-7B-RL-0530", "MiMo", "MiMo-0530", (), "7B", 7.0, None, None, "0530"),
    ("XiaomiMiMo/MiMo-V2-Flash", "MiMo-V2", "MiMo-V2", (), "Flash", None, None, None, None),
    ("XiaomiMiMo/MiMo-VL-7B-RL-2508", "MiMo-VL", "MiMo-VL-2508", (V,), "7B", 7.0, None, None, "2508"),
    ("XiaomiMiMo/MiMo-Audio-7B-Base", "MiMo-Audio", "MiMo-Audio", ("audio", B), "7B", 7.0, None, None, None),
    # Tencent
    ("tencent/Hunyuan-A13B-Instruct-FP8", "Hunyuan", "Hunyuan", (I, Q), "A13B", None, 13.0, "FP8", None),
    ("tencent/Hunyuan-1.8B-Instruct", "Hunyuan", "Hunyuan", (I,), "1.8B", 1.8, None, None, None),
    ("tencent/Hunyuan-MT-7B", "Hunyuan-MT", "Hunyuan-MT", (), "7B", 7.0, None, None, None),
    (
        "tencent/HunyuanImage-3.0",
        "HunyuanImage-3.0",
        "HunyuanImage-3.0",
        ("image-generation",),
        None,
        None,
        None,
        None,
        None,
    ),
    (
        "tencent/HunyuanVideo-I2V",
        "HunyuanVideo-I2V",
        "HunyuanVideo-I2V",
        ("video-generation",),
        None,
        None,
        None,
        None,
        None,
    ),
    ("tencent/Hunyuan3D-2.1", "Hunyuan3D-2.1", "Hunyuan3D-2.1", (), None, None, None, None, None),
    # Baidu: upper-case PT = PyTorch weights (not base), Paddle = other format
    ("baidu/ERNIE-4.5-300B-A47B-PT", "ERNIE-4.5", "ERNIE-4.5", (), "300B-A47B", 300.0, 47.0, None, None),
    ("baidu/ERNIE-4.5-300B-A47B-Base-PT", "ERNIE-4.5", "ERNIE-4.5", (B,), "300B-A47B", 300.0, 47.0, None, None),
    ("baidu/ERNIE-4.5-300B-A47B-Paddle", "ERNIE-4.5", "ERNIE-4.5", (), "300B-A47B", 300.0, 47.0, None, None),
    ("baidu/ERNIE-4.5-0.3B-PT", "ERNIE-4.5", "ERNIE-4.5", (), "0.3B", 0.3, None, None, None),
    ("baidu/ERNIE-4.5-VL-424B-A47B-PT", "ERNIE-4.5-VL", "ERNIE-4.5-VL", (V,), "424B-A47B", 424.0, 47.0, None, None),
    ("baidu/ERNIE-4.5-21B-A3B-Thinking", "ERNIE-4.5", "ERNIE-4.5", (T,), "21B-A3B", 21.0, 3.0, None, None),
    # inclusionAI: 1T = 1000B; tiers before the version
    ("inclusionAI/Ling-1T", "Ling", "Ling", (), "1T", 1000.0, None, None, None),
    ("inclusionAI/Ring-1T-preview", "Ring", "Ring", (), "1T", 1000.0, None, None, None),
    ("inclusionAI/Ling-flash-2.0", "Ling-2.0", "Ling-2.0", (), "flash", None, None, None, None),
    ("inclusionAI/Ling-mini-2.0", "Ling-2.0", "Ling-2.0", (), "mini", None, None, None, None),
    ("inclusionAI/Ling-lite-1.5", "Ling-1.5", "Ling-1.5", (), "lite", None, None, None, None),
    # InternLM / OpenGVLab
    ("internlm/Intern-S1", "Intern-S1", "Intern-S1", (), None, None, None, None, None),
    ("internlm/Intern-S1-mini", "Intern-S1", "Intern-S1", (), "mini", None, None, None, None),
    ("internlm/Intern-S1-FP8", "Intern-S1", "Intern-S1", (Q,), None, None, None, "FP8", None),
    ("OpenGVLab/InternVL3-78B", "InternVL3", "InternVL3", (V,), "78B", 78.0, None, None, None),
    ("OpenGVLab/InternVL3_5-241B-A28B", "InternVL3_5", "InternVL3_5", (V,), "241B-A28B", 241.0, 28.0, None, None),
    ("internlm/internlm2_5-7b-chat", "internlm2_5", "internlm2_5", (I,), "7B", 7.0, None, None, None),
    # ByteDance Seed
    ("ByteDance-Seed/Seed-OSS-36B-Base-woSyn", "Seed-OSS", "Seed-OSS", (B,), "36B", 36.0, None, None, None),
    ("ByteDance-Seed/Seed-Coder-8B-Reasoning", "Seed-Coder", "Seed-Coder", ("coder", T), "8B", 8.0, None, None, None),
    ("ByteDance-Seed/Seed-X-Instruct-7B", "Seed-X", "Seed-X", (I,), "7B", 7.0, None, None, None),
    ("ByteDance-Seed/Seed-X-PPO-7B", "Seed-X", "Seed-X", (), "7B", 7.0, None, None, None),
    ("ByteDance-Seed/UI-TARS-1.5-7B", "UI-TARS-1.5", "UI-TARS-1.5", (), "7B", 7.0, None, None, None),
    # Meta: 17B-16E = 17B active, 16 experts, total unknown
    ("meta-llama/Llama-4-Maverick-17B-128E-Instruct", "Llama-4", "Llama-4", (I,), "17B-128E", None, 17.0, None, None),
    (
        "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8",
        "Llama-4",
        "Llama-4",
        (I, Q),
        "17B-128E",
        None,
        17.0,
        "FP8",
        None,
    ),
    ("meta-llama/Llama-4-Scout-17B-16E", "Llama-4", "Llama-4", (), "17B-16E", None, 17.0, None, None),
    ("meta-llama/Llama-Guard-4-12B", "Llama-Guard-4", "Llama-Guard-4", ("guard",), "12B", 12.0, None, None, None),
    (
        "meta-llama/Llama-Prompt-Guard-2-86M",
        "Llama-Prompt-Guard-2",
        "Llama-Prompt-Guard-2",
        ("guard",),
        "86M",
        0.086,
        None,
        None,
        None,
    ),
    ("meta-llama/Llama-3.2-11B-Vision-Instruct", "Llama-3.2", "Llama-3.2", (I, V), "11B", 11.0, None, None, None),
    ("meta-llama/Llama-3.3-70B-Instruct", "Llama-3.3", "Llama-3.3", (I,), "70B", 70.0, None, None, None),
    # OpenAI
    ("openai/gpt-oss-120b", "gpt-oss", "gpt-oss", (), "120B", 120.0, None, None, None),
    ("openai/gpt-oss-20b", "gpt-oss", "gpt-oss", (), "20B", 20.0, None, None, None),
    (
        "openai/gpt-oss-safeguard-20b",
        "gpt-oss-safeguard",
        "gpt-oss-safeguard",
        ("guard",),
        "20B",
        20.0,
        None,
        None,
        None,
    ),
    ("openai/whisper-large-v3", "whisper-v3", "whisper-v3", ("audio",), "large", None, None, None, None),
    (
        "openai/whisper-large-v3-turbo",
        "whisper-v3-turbo",
        "whisper-v3-turbo",
        ("audio",),
        "large",
        None,
        None,
        None,
        None,
    ),
    # Google: -it instruct, lower-case -pt base, m sizes
    ("google/gemma-3-27b-it", "gemma-3", "gemma-3", (I,), "27B", 27.0, None, None, None),
    ("google/gemma-3-27b-pt", "gemma-3", "gemma-3", (B,), "27B", 27.0, None, None, None),
    ("google/gemma-3-270m", "gemma-3", "gemma-3", (), "270M", 0.27, None, None, None),
    ("google/gemma-3-27b-it-qat-q4_0-gguf", "gemma-3", "gemma-3", (I, Q), "27B", 27.0, None, "QAT-Q4_0-GGUF", None),
    ("google/embeddinggemma-300m", "embeddinggemma", "embeddinggemma", ("embedding",), "300M", 0.3, None, None, None),
    ("google/paligemma2-3b-pt-224", "paligemma2", "paligemma2", (B, V), "3B", 3.0, None, None, None),
    ("google/medgemma-27b-text-it", "medgemma", "medgemma", (I,), "27B", 27.0, None, None, None),
    # Microsoft: mini/plus are tiers, reasoning is thinking, 2B-4T = 4T training tokens
    ("microsoft/phi-4", "phi-4", "phi-4", (), None, None, None, None, None),
    ("microsoft/Phi-4-reasoning", "Phi-4", "Phi-4", (T,), None, None, None, None, None),
    ("microsoft/Phi-4-reasoning-plus", "Phi-4", "Phi-4", (T,), "plus", None, None, None, None),
    ("microsoft/Phi-4-mini-instruct", "Phi-4", "Phi-4", (I,), "mini", None, None, None, None),
    ("microsoft/Phi-4-mini-flash-reasoning", "Phi-4", "Phi-4", (T,), "mini-flash", None, None, None, None),
    (
        "microsoft/Phi-4-multimodal-instruct",
        "Phi-4-multimodal",
        "Phi-4-multimodal",
        (I, "omni"),
        None,
        None,
        None,
        None,
        None,
    ),
    ("microsoft/bitnet-b1.58-2B-4T", "bitnet-b1.58", "bitnet-b1.58", (), "2B", 2.0, None, None, None),
    ("microsoft/WizardLM-2-8x22B", "WizardLM-2", "WizardLM-2", (), "8x22B", None, None, None, None),
    ("microsoft/VibeVoice-1.5B", "VibeVoice", "VibeVoice", ("tts",), "1.5B", 1.5, None, None, None),
    ("microsoft/MAI-DS-R1", "MAI-DS-R1", "MAI-DS-R1", (), None, None, None, None, None),
    # Mistral: dated revisions, Mistral-Small is a product line, Mini/Small tiers elsewhere
    (
        "mistralai/Mistral-Small-3.1-24B-Instruct-2503",
        "Mistral-Small-3.1",
        "Mistral-Small-3.1-2503",
        (I,),
        "24B",
        24.0,
        None,
        None,
        "2503",
    ),
    (
        "mistralai/Mistral-Small-24B-Base-2501",
        "Mistral-Small",
        "Mistral-Small-2501",
        (B,),
        "24B",
        24.0,
        None,
        None,
        "2501",
    ),
    ("mistralai/Mistral-7B-Instruct-v0.3", "Mistral", "Mistral-v0.3", (I,), "7B", 7.0, None, None, "v0.3"),
    ("mistralai/Ministral-8B-Instruct-2410", "Ministral", "Ministral-2410", (I,), "8B", 8.0, None, None, "2410"),
    ("mistralai/Magistral-Small-2509", "Magistral", "Magistral-2509", (T,), "Small", None, None, None, "2509"),
    ("mistralai/Devstral-Small-2505", "Devstral", "Devstral-2505", ("coder",), "Small", None, None, None, "2505"),
    ("mistralai/Voxtral-Mini-3B-2507", "Voxtral", "Voxtral-2507", ("audio",), "3B", 3.0, None, None, "2507"),
    ("mistralai/Voxtral-Small-24B-2507", "Voxtral", "Voxtral-2507", ("audio",), "24B", 24.0, None, None, "2507"),
    # NVIDIA: -v1 / -v1_5 after the size are refreshes
    (
        "nvidia/Llama-3_3-Nemotron-Super-49B-v1",
        "Llama-3_3-Nemotron",
        "Llama-3_3-Nemotron-v1",
        (),
        "49B",
        49.0,
        None,
        None,
        "v1",
    ),
    (
        "nvidia/Llama-3_3-Nemotron-Super-49B-v1_5",
        "Llama-3_3-Nemotron",
        "Llama-3_3-Nemotron-v1_5",
        (),
        "49B",
        49.0,
        None,
        None,
        "v1_5",
    ),
    (
        "nvidia/Llama-3.1-Nemotron-70B-Instruct-HF",
        "Llama-3.1-Nemotron",
        "Llama-3.1-Nemotron",
        (I,),
        "70B",
        70.0,
        None,
        None,
        None,
    ),
    ("nvidia/NVIDIA-Nemotron-Nano-9B-v2", "NVIDIA-Nemotron", "NVIDIA-Nemotron-v2", (), "9B", 9.0, None, None, "v2"),
    # third-party re-uploads parse like the originals
    ("unsloth/Qwen3-30B-A3B-bnb-4bit", "Qwen3", "Qwen3", (Q,), "30B-A3B", 30.0, 3.0, "bnb-4bit", None),
    ("unsloth/Qwen3-30B-A3B-Base-bnb-4bit", "Qwen3", "Qwen3", (B, Q), "30B-A3B", 30.0, 3.0, "bnb-4bit", None),
    ("unsloth/Kimi-K2-Instruct-0905-GGUF", "Kimi-K2", "Kimi-K2-0905", (I, Q), None, None, None, "GGUF", "0905"),
    (
        "unsloth/DeepSeek-V3.1-Terminus-GGUF",
        "DeepSeek-V3.1-Terminus",
        "DeepSeek-V3.1-Terminus",
        (Q,),
        None,
        None,
        None,
        "GGUF",
        None,
    ),
]


@pytest.mark.parametrize(
    ("name", "family", "release_key", "kinds", "size_label", "total", "active", "quant", "rev"),
    NAME_TABLE,
    ids=[row[0] for row in NAME_TABLE],
)
def test_parse_repo_name_table(name, family, release_key, kinds, size_label, total, active, quant, rev) -> None:
    """Each real corpus name yields exactly the documented facts."""
    facts = parse_repo_name(name)
    assert facts.family == family
    assert facts.release_key == release_key
    assert facts.kinds == tuple(sorted(set(kinds)))
    assert facts.size_label == size_label
    assert facts.params_total_b == total
    assert facts.params_active_b == active
    assert facts.quantization == quant
    assert facts.revision == rev


def test_table_is_big_and_unique() -> None:
    """The table covers many distinct real names."""
    names = [row[0] for row in NAME_TABLE]
    assert len(names) == len(set(names))
    assert len(names) >= 60
    assert set(names) <= set(CORPUS_NAMES)


def test_org_is_optional() -> None:
    """``Qwen/Qwen3-8B-FP8`` and ``Qwen3-8B-FP8`` parse the same."""
    assert parse_repo_name("Qwen/Qwen3-8B-FP8") == parse_repo_name("Qwen3-8B-FP8")
    assert family_key("Qwen/Qwen3-8B-FP8") == "Qwen3"


@pytest.mark.parametrize("bad", ["", "   ", "Qwen/", "---"])
def test_blank_name_is_an_error(bad: str) -> None:
    """A name with nothing to parse is rejected, not turned into an empty family."""
    with pytest.raises(ValueError):
        parse_repo_name(bad)


# --- synthetic suffixes the brief names (not in the corpus) -------------------------------------
SYNTHETIC: list[tuple[str, str, str | None, tuple[str, ...]]] = [
    # name, family, quantization, kinds
    ("Qwen3-8B-MLX", "Qwen3", "MLX", (Q,)),
    ("Qwen3-8B-mlx-4bit", "Qwen3", "MLX-4bit", (Q,)),
    ("Qwen3-8B-4bit", "Qwen3", "4bit", (Q,)),
    ("Qwen3-8B-8bit", "Qwen3", "8bit", (Q,)),
    ("Qwen3-8B-INT8", "Qwen3", "INT8", (Q,)),
    ("Qwen3-8B-W4A16", "Qwen3", "W4A16", (Q,)),
    ("Qwen2.5-7B-Instruct-GPTQ-Int8", "Qwen2.5", "GPTQ-Int8", (I, Q)),
    ("gpt-oss-120b-MXFP4", "gpt-oss", "MXFP4", (Q,)),
    ("Llama-3.3-70B-Instruct-NVFP4", "Llama-3.3", "NVFP4", (I, Q)),
    ("Qwen3-8B-LoRA", "Qwen3", None, ("adapter",)),
    ("DeepSeek-OCR", "DeepSeek-OCR", None, ("ocr",)),
    ("Mixtral-8x22B-Instruct-v0.1", "Mixtral", None, (I,)),
    ("gemma-3n-E4B-it", "gemma-3n", None, (I,)),
    ("Qwen3-TTS-Flash", "Qwen3-TTS", None, ("tts",)),
]


@pytest.mark.parametrize(("name", "family", "quant", "kinds"), SYNTHETIC, ids=[r[0] for r in SYNTHETIC])
def test_synthetic_suffixes(name: str, family: str, quant: str | None, kinds: tuple) -> None:
    """Quantization and adapter suffixes that the corpus does not happen to contain."""
    facts = parse_repo_name(name)
    assert facts.family == family
    assert facts.quantization == quant
    assert facts.kinds == tuple(sorted(kinds))


# --- parse_params --------------------------------------------------------------------------------
PARAMS: list[tuple[str, float | None, float | None, str | None]] = [
    ("235B-A22B", 235.0, 22.0, "235B-A22B"),
    ("30B-A3B", 30.0, 3.0, "30B-A3B"),
    ("480B-A35B", 480.0, 35.0, "480B-A35B"),
    ("0.6B", 0.6, None, "0.6B"),
    ("1.5B", 1.5, None, "1.5B"),
    ("7B", 7.0, None, "7B"),
    ("120b", 120.0, None, "120B"),
    ("27b", 27.0, None, "27B"),
    ("86M", 0.086, None, "86M"),
    ("1T", 1000.0, None, "1T"),
    ("17B-16E", None, 17.0, "17B-16E"),
    ("17B-128E", None, 17.0, "17B-128E"),
    ("8x22B", None, None, "8x22B"),
    ("8x7B", None, None, "8x7B"),
    ("A3B", None, 3.0, "A3B"),
    ("E4B", None, None, "E4B"),
    ("2B-4T", 2.0, None, "2B"),
    ("7B-1M", 7.0, None, "7B"),
    # never sizes: dates, context, versions, bit widths
    ("2507", None, None, None),
    ("0528", None, None, None),
    ("1M", None, None, None),
    ("128k", None, None, None),
    ("80k", None, None, None),
    ("V3", None, None, None),
    ("v1", None, None, None),
    ("4.5", None, None, None),
    ("8bit", None, None, None),
    ("4bit", None, None, None),
    # whole names work too
    ("Qwen/Qwen3-30B-A3B-Instruct-2507-FP8", 30.0, 3.0, "30B-A3B"),
    ("Qwen2.5-7B-Instruct-1M", 7.0, None, "7B"),
    ("MiniMax-M1-80k", None, None, None),
    ("Llama-Prompt-Guard-2-86M", 0.086, None, "86M"),
]


@pytest.mark.parametrize(("text", "total", "active", "label"), PARAMS, ids=[p[0] for p in PARAMS])
def test_parse_params(text: str, total, active, label) -> None:
    """Size tokens give billions; dates, context, versions and bit widths give nothing."""
    assert parse_params(text) == (total, active, label)


# --- launches ------------------------------------------------------------------------------------
QWEN3_LAUNCH_2025_04_28 = (
    "Qwen/Qwen3-0.6B", "Qwen/Qwen3-0.6B-Base", "Qwen/Qwen3-0.6B-FP8",
    "Qwen/Qwen3-1.7B", "Qwen/Qwen3-1.7B-Base", "Qwen/Qwen3-1.7B-FP8",
    "Qwen/Qwen3-4B", "Qwen/Qwen3-4B-Base", "Qwen/Qwen3-4B-FP8",
    "Qwen/Qwen3-8B", "Qwen/Qwen3-8B-Base", "Qwen/Qwen3-8B-FP8",
    "Qwen/Qwen3-14B", "Qwen/Qwen3-14B-Base", "Qwen/Qwen3-14B-FP8",
    "Qwen/Qwen3-32B", "Qwen/Qwen3-32B-FP8",
    "Qwen/Qwen3-30B-A3B", "Qwen/Qwen3-30B-A3B-Base", "Qwen/Qwen3-30B-A3B-FP8",
    "Qwen/Qwen3-235B-A22B", "Qwen/Qwen3-235B-A22B-FP8",
    "unsloth/Qwen3-30B-A3B-GGUF", "unsloth/Qwen3-30B-A3B-bnb-4bit",
    "unsloth/Qwen3-30B-A3B-Base-bnb-4bit",
)  # fmt: skip

QWEN3_2507 = (
    "Qwen/Qwen3-235B-A22B-Instruct-2507", "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",
    "Qwen/Qwen3-235B-A22B-Thinking-2507", "Qwen/Qwen3-235B-A22B-Thinking-2507-FP8",
    "Qwen/Qwen3-30B-A3B-Instruct-2507", "Qwen/Qwen3-30B-A3B-Instruct-2507-FP8",
    "Qwen/Qwen3-30B-A3B-Thinking-2507", "Qwen/Qwen3-30B-A3B-Thinking-2507-FP8",
    "Qwen/Qwen3-4B-Instruct-2507", "Qwen/Qwen3-4B-Instruct-2507-FP8",
    "Qwen/Qwen3-4B-Thinking-2507",
)  # fmt: skip


def test_qwen3_launch_shares_one_release_key() -> None:
    """Every repo of the 2025-04-28 Qwen3 launch (and its re-uploads) groups as "Qwen3"."""
    assert {parse_repo_name(n).release_key for n in QWEN3_LAUNCH_2025_04_28} == {"Qwen3"}
    sizes = {parse_repo_name(n).size_label for n in QWEN3_LAUNCH_2025_04_28}
    assert sizes == {"0.6B", "1.7B", "4B", "8B", "14B", "32B", "30B-A3B", "235B-A22B"}


def test_qwen3_2507_is_its_own_release() -> None:
    """The -2507 refresh shares "Qwen3-2507", same family, different release from "Qwen3"."""
    facts = [parse_repo_name(n) for n in QWEN3_2507]
    assert {f.release_key for f in facts} == {"Qwen3-2507"}
    assert {f.family for f in facts} == {"Qwen3"}
    assert {f.revision for f in facts} == {"2507"}
    assert parse_repo_name("Qwen/Qwen3-8B").release_key == "Qwen3"


@pytest.mark.parametrize(
    "group",
    [
        ("zai-org/GLM-4.5", "zai-org/GLM-4.5-Air", "zai-org/GLM-4.5-Base",
         "zai-org/GLM-4.5-Air-Base", "zai-org/GLM-4.5-FP8", "zai-org/GLM-4.5-Air-FP8"),
        ("meta-llama/Llama-4-Maverick-17B-128E", "meta-llama/Llama-4-Scout-17B-16E-Instruct",
         "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8"),
        ("deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-R1-Zero", "unsloth/DeepSeek-R1-GGUF"),
        ("mistralai/Voxtral-Mini-3B-2507", "mistralai/Voxtral-Small-24B-2507"),
        ("deepseek-ai/DeepSeek-R1-0528", "deepseek-ai/DeepSeek-R1-0528-Qwen3-8B"),
        ("zai-org/GLM-Z1-32B-0414", "zai-org/GLM-Z1-9B-0414", "zai-org/GLM-Z1-Rumination-32B-0414"),
        ("inclusionAI/Ling-flash-2.0", "inclusionAI/Ling-mini-2.0"),
        ("microsoft/phi-4", "microsoft/Phi-4-mini-instruct", "microsoft/Phi-4-reasoning"),
        ("nvidia/Llama-3.1-Nemotron-Nano-8B-v1", "nvidia/Llama-3_1-Nemotron-Ultra-253B-v1",
         "nvidia/Llama-3_3-Nemotron-Super-49B-v1"),  # the base version is not the launch
        ("tencent/Hunyuan-MT-7B", "tencent/Hunyuan-MT-Chimera-7B"),
    ],
)  # fmt: skip
def test_launch_siblings_share_release_match_key(group: tuple[str, ...]) -> None:
    """Siblings of one launch (tiers, stages, base/FP8) group under one normalised key."""
    assert len({parse_repo_name(n).release_match_key for n in group}) == 1


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Qwen/Qwen3-8B", "Qwen/Qwen3-VL-8B-Instruct"),
        ("Qwen/Qwen3-30B-A3B", "Qwen/Qwen3-Coder-30B-A3B-Instruct"),
        ("Qwen/Qwen3-8B", "Qwen/Qwen3-Embedding-8B"),
        ("Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-VL-7B-Instruct"),
        ("zai-org/GLM-4.5", "zai-org/GLM-4.5V"),
        ("zai-org/GLM-4.6", "zai-org/GLM-4.6V-Flash"),
        ("deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"),
        ("deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-R1-0528"),
        ("deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-V3-0324"),
        ("deepseek-ai/DeepSeek-V3.1", "deepseek-ai/DeepSeek-V3.1-Terminus"),
        ("deepseek-ai/DeepSeek-V3.1", "deepseek-ai/DeepSeek-V3.2-Exp"),
        ("moonshotai/Kimi-K2-Instruct", "moonshotai/Kimi-K2-Instruct-0905"),
        ("openai/gpt-oss-120b", "openai/gpt-oss-safeguard-120b"),
        ("mistralai/Mistral-Small-3.1-24B-Instruct-2503",
         "mistralai/Mistral-Small-3.2-24B-Instruct-2506"),
        ("nvidia/Llama-3_3-Nemotron-Super-49B-v1", "nvidia/Llama-3_3-Nemotron-Super-49B-v1_5"),
        ("meta-llama/Llama-Guard-4-12B", "meta-llama/Llama-4-Scout-17B-16E"),
    ],
)  # fmt: skip
def test_separate_launches_have_different_release_keys(a: str, b: str) -> None:
    """Product lines and dated refreshes never collapse into the base line's release."""
    assert parse_repo_name(a).release_match_key != parse_repo_name(b).release_match_key


# --- family_match_key ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("family", "key"),
    [
        ("Qwen3", "qwen3"),
        ("phi-4", "phi-4"),
        ("Phi-4", "phi-4"),
        ("GLM 4.5", "glm-4.5"),
        ("InternVL3_5", "internvl3.5"),
        ("InternVL3.5", "internvl3.5"),
        ("Llama-3_1-Nemotron", "llama-3.1-nemotron"),
        ("Seed_OSS", "seed-oss"),
        ("  DeepSeek-V3.1  ", "deepseek-v3.1"),
    ],
)
def test_family_match_key(family: str, key: str) -> None:
    """Casefold; ``_`` between digits is a dot; other ``_`` and spaces are dashes."""
    assert family_match_key(family) == key


def test_match_key_groups_case_variants() -> None:
    """``phi-4`` and ``Phi-4-reasoning`` group, ``glm-4-9b`` and ``GLM-4-9B-0414`` do not."""
    assert family_match_key(family_key("microsoft/phi-4")) == family_match_key(family_key("microsoft/Phi-4-reasoning"))
    assert (
        parse_repo_name("zai-org/glm-4-9b").release_match_key
        != parse_repo_name("zai-org/GLM-4-9B-0414").release_match_key
    )


# --- tags ----------------------------------------------------------------------------------------
def test_kinds_from_pipeline_tags() -> None:
    """Pipeline tags map to modalities."""
    assert kinds_from_tags([], "text-to-image") == {"image-generation"}
    assert kinds_from_tags([], "text-to-video") == {"video-generation"}
    assert kinds_from_tags([], "feature-extraction") == {"embedding"}
    assert kinds_from_tags(["sentence-similarity"], None) == {"embedding"}
    assert kinds_from_tags([], "text-ranking") == {"reranker"}
    assert kinds_from_tags([], "image-text-to-text") == {"vision"}
    assert kinds_from_tags([], "any-to-any") == {"omni"}
    assert kinds_from_tags([], "automatic-speech-recognition") == {"audio"}
    assert kinds_from_tags([], "text-to-speech") == {"tts"}
    assert kinds_from_tags([], "text-generation") == set()
    assert kinds_from_tags([], None) == set()


def test_kinds_from_quantization_and_adapter_tags() -> None:
    """Derivative evidence means quantized; adapter tags mean adapter."""
    assert kinds_from_tags(["gguf"], "text-generation") == {"quantized"}
    assert kinds_from_tags(["4-bit", "awq"], None) == {"quantized"}
    assert kinds_from_tags(["4-bit", "gptq"], None) == {"quantized"}
    assert kinds_from_tags(["4-bit", "bitsandbytes"], None) == {"quantized"}
    assert kinds_from_tags(["base_model:quantized:Qwen/Qwen3-8B", "fp8"], None) == {"quantized"}
    assert kinds_from_tags(["base_model:adapter:Qwen/Qwen3-8B"], None) == {"adapter"}
    assert kinds_from_tags(["peft", "lora"], None) == {"adapter"}
    assert kinds_from_tags(["base_model:finetune:Qwen/Qwen3-8B"], None) == set()


def test_native_precision_tags_are_not_quantized() -> None:
    """``fp8``/``mxfp4`` on an original (DeepSeek-V3, gpt-oss) is its precision, not a derivative."""
    assert kinds_from_tags(["fp8"], "text-generation") == set()
    assert kinds_from_tags(["8-bit", "mxfp4"], "text-generation") == set()
    assert quantization_from_tags(["fp8"]) is None


@pytest.mark.parametrize(
    ("tags", "label"),
    [
        (["gguf", "imatrix", "base_model:quantized:deepseek-ai/DeepSeek-R1"], "GGUF"),
        (["base_model:quantized:Qwen/Qwen3-8B", "4-bit", "awq"], "AWQ"),
        (["base_model:quantized:Qwen/Qwen3-235B-A22B", "4-bit", "gptq"], "GPTQ"),
        (["base_model:quantized:Qwen/Qwen3-30B-A3B", "4-bit", "bitsandbytes"], "bnb-4bit"),
        (["base_model:quantized:Qwen/Qwen3-8B", "fp8"], "FP8"),
        (["base_model:quantized:openai/gpt-oss-20b", "mxfp4"], "MXFP4"),
        (["base_model:quantized:x/y"], None),
        (["8-bit", "mxfp4"], None),
        ([], None),
    ],
)  # fmt: skip
def test_quantization_from_tags(tags: list[str], label: str | None) -> None:
    """Only quantized derivatives get a quantization label from tags."""
    assert quantization_from_tags(tags) == label


def test_classify_combines_name_and_tags() -> None:
    """Kinds are a union; quantization comes from the name first, then the tags."""
    v3 = classify("deepseek-ai/DeepSeek-V3", ["transformers", "deepseek_v3", "fp8"], "text-generation")
    assert v3.kinds == () and v3.quantization is None and v3.family == "DeepSeek-V3"

    oss = classify("openai/gpt-oss-120b", ["gpt_oss", "8-bit", "mxfp4"], "text-generation")
    assert oss.kinds == () and oss.quantization is None and oss.params_total_b == 120.0

    fp8 = classify("Qwen/Qwen3-8B-FP8", ["base_model:quantized:Qwen/Qwen3-8B", "fp8"], "text-generation")
    assert fp8.quantization == "FP8" and fp8.kinds == ("quantized",)

    image = classify("Qwen/Qwen-Image", ["diffusers", "text-to-image"], "text-to-image")
    assert image.kinds == ("image-generation",)

    glm = classify("zai-org/GLM-4.5V", ["glm4v_moe"], "image-text-to-text")
    assert glm.kinds == ("vision",) and glm.family == "GLM-4.5V"

    maverick = classify("meta-llama/Llama-4-Maverick-17B-128E-Instruct", ["llama4"], "image-text-to-text")
    assert maverick.kinds == ("instruct", "vision")
    assert (maverick.params_total_b, maverick.params_active_b) == (None, 17.0)

    tagged_only = classify("someone/Qwen3-8B-quant", ["gguf", "base_model:quantized:Qwen/Qwen3-8B"], None)
    assert tagged_only.quantization == "GGUF" and "quantized" in tagged_only.kinds

    embed = classify("Qwen/Qwen3-Embedding-8B", ["sentence-transformers"], "feature-extraction")
    assert embed.kinds == ("embedding",)

    whisper = classify("openai/whisper-large-v3", [], "automatic-speech-recognition")
    assert whisper.kinds == ("audio",)


def test_classify_without_tags_equals_parse() -> None:
    """With no tags, classify is parse_repo_name."""
    for name in CORPUS_NAMES:
        assert classify(name) == parse_repo_name(name)


def test_variant_kind_values() -> None:
    """Values are the lowercase strings the API carries."""
    assert VariantKind.IMAGE_GENERATION == "image-generation"
    assert VariantKind.VIDEO_GENERATION.value == "video-generation"
    assert {k.value for k in VariantKind} >= {"base", "instruct", "thinking", "quantized", "tts"}
    assert all(k.value == k.value.lower() for k in VariantKind)


def test_namefacts_is_frozen() -> None:
    """NameFacts is immutable and hashable."""
    facts = parse_repo_name("Qwen/Qwen3-8B")
    with pytest.raises(AttributeError):
        facts.family = "x"  # type: ignore[misc]
    assert hash(facts) == hash(parse_repo_name("Qwen3-8B"))
    assert isinstance(facts, NameFacts)


# --- properties over every corpus name ----------------------------------------------------------
_KIND_VALUES = {k.value for k in VariantKind}


@pytest.mark.parametrize("name", CORPUS_NAMES)
def test_every_corpus_name_parses(name: str) -> None:
    """Invariants that hold for every real name."""
    facts = parse_repo_name(name)
    assert facts.family
    assert name.split("/", 1)[1].startswith(facts.family.split("-", 1)[0])
    assert facts.release_key.startswith(facts.family)
    assert facts.kinds == tuple(sorted(set(facts.kinds)))
    assert set(facts.kinds) <= _KIND_VALUES
    assert (facts.quantization is not None) == ("quantized" in facts.kinds)
    if facts.params_total_b is not None:
        assert facts.params_total_b > 0 and facts.size_label
    if facts.params_total_b is not None and facts.params_active_b is not None:
        assert facts.params_active_b < facts.params_total_b
    if facts.size_label and facts.size_label[0].isdigit():
        assert parse_params(facts.size_label) == (facts.params_total_b, facts.params_active_b, facts.size_label)
    # the family is a fixed point: no size, quantization or revision left in it
    again = parse_repo_name(facts.family)
    assert again.family == facts.family
    assert again.params_total_b is None and again.params_active_b is None
    assert again.quantization is None and again.revision is None
    assert family_match_key(family_match_key(facts.family)) == family_match_key(facts.family)


def test_no_corpus_name_mistakes_dates_context_or_versions_for_sizes() -> None:
    """No size label contains a date, a context length, a token count or a bit width."""
    forbidden = ("2507", "0528", "0324", "0905", "2503", "1M", "80k", "40k", "4T", "bit", "V3")
    for name in CORPUS_NAMES:
        label = parse_repo_name(name).size_label or ""
        assert not any(bad in label for bad in forbidden), (name, label)
    dated = [n for n in CORPUS_NAMES if parse_repo_name(n).revision]
    assert len(dated) >= 40
    for name in dated:
        facts = parse_repo_name(name)
        assert facts.revision and facts.revision in name
        if facts.params_total_b is not None:
            assert str(int(facts.params_total_b)) != facts.revision.lstrip("0v")
