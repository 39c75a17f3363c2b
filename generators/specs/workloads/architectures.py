"""The curated, versioned list of architectures and regimes that workloads are captured from.

Each `Architecture` names a `transformers` config class and model class and writes out the real published
hyperparameters of one checkpoint (from its `config.json` on the Hub, copied here so nothing downloads):
hidden size, heads, KV heads, head dim, intermediate size, vocabulary, experts. The model is built with
random weights from the config alone. Only `layers_built` decoder (or encoder) layers are built, with the
rest of the model (embeddings, final norm, head); `layer_weights` says how many real layers each built one
stands for, so a call inside `model.layers.0` runs `num_hidden_layers` times per forward. The DLRM-style
recommendation blocks (`recsys.py`) are listed here too, as small torch modules at production table sizes.

Regimes are named token shapes: `prefill` (a batch of long prompts; for encoders, vision and recsys models
the inference forward), `decode` (one new token per sequence with a long KV cache) and `train` (a training
forward with the loss). Each has its real shape and the CPU shape, stated in `REGIMES`.

The CPU scale rule (`cpu_config`): a second model is built for CPU-sized problems, with the same structure:
- widths (`hidden_size`, intermediate and expert sizes, LoRA ranks, vocabulary) are divided by W, rounded
  up to a multiple of 8;
- head counts (query, KV) are divided by G, the largest common divisor of them no larger than W, so the
  ratio heads / KV heads stays; an explicit head dim is kept; where the head dim is hidden / heads
  (`head_dim_from_hidden`), G = W so it stays too;
- W is the largest factor leaving `hidden_size / W >= CPU_HIDDEN` (a power of two, or a divisor of the head
  count where G must equal W); experts, top-k and layer counts are kept;
- tokens: batch, sequence and KV length become the regime's CPU shape; `cpu_overrides` set the rest (image
  and audio lengths) per architecture.
Records keep the real shapes; the CPU problem is the same call (same module path, same op, same occurrence)
in the CPU-scaled model. Bump `ARCHITECTURES_VERSION` when the list or a rule changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

ARCHITECTURES_VERSION = "2026-12.1"
CPU_HIDDEN = 256  # target hidden size of CPU-scaled models


@dataclass(frozen=True)
class Regime:
    name: str
    batch: int
    seq: int  # tokens per sequence this forward (1 for decode)
    kv_len: int  # tokens already in the KV cache (decode only)
    cpu_batch: int
    cpu_seq: int
    cpu_kv_len: int
    doc: str


REGIMES: dict[str, Regime] = {r.name: r for r in [
    Regime("prefill", batch=4, seq=8192, kv_len=0, cpu_batch=1, cpu_seq=64, cpu_kv_len=0,
           doc="a batch of 4 prompts of 8192 tokens (capped by the model's context); encoders, vision and "
               "recsys models: one inference forward"),
    Regime("decode", batch=64, seq=1, kv_len=8192, cpu_batch=2, cpu_seq=1, cpu_kv_len=128,
           doc="64 sequences, one new token each, 8192 tokens in the KV cache"),
    Regime("train", batch=8, seq=4096, kv_len=0, cpu_batch=2, cpu_seq=32, cpu_kv_len=0,
           doc="a training forward with the loss, 8 sequences of 4096 tokens (capped by the context)"),
]}


@dataclass(frozen=True)
class Architecture:
    name: str
    kind: str  # causal_lm | encoder | seq2seq | vision | speech | recsys
    config_class: str  # a transformers config class (or a recsys block name)
    model_class: str  # a transformers model class
    checkpoint: str  # whose config.json the hyperparameters are copied from
    hyper: dict  # the real hyperparameters
    layer_fields: tuple[str, ...]  # config fields holding layer counts
    layer_weights: dict[str, float]  # module path prefix of a built layer -> real layers it stands for
    widths: tuple[str, ...]  # fields divided by W on CPU
    heads: tuple[str, ...]  # fields divided by G on CPU
    layers_built: int = 1
    build: dict = field(default_factory=dict)  # config fields set only for the built model (layer types)
    head_dim_from_hidden: bool = False
    max_seq: int | None = None  # the model's context: regimes' sequence lengths are capped by it
    regimes: tuple[str, ...] = ("prefill", "decode", "train")
    cpu_overrides: dict = field(default_factory=dict)

    @property
    def num_layers(self) -> int:
        return sum(int(self.hyper[f]) for f in self.layer_fields)


_LM_WIDTHS = ("hidden_size", "intermediate_size", "vocab_size")
_LM_HEADS = ("num_attention_heads", "num_key_value_heads")


def _lm(name, config_class, model_class, checkpoint, hyper, *, widths=_LM_WIDTHS, heads=_LM_HEADS, **kw):
    weights = kw.pop("layer_weights", {"model.layers.0": hyper["num_hidden_layers"]})
    return Architecture(name, "causal_lm", config_class, model_class, checkpoint, hyper, ("num_hidden_layers",),
                        weights, widths, heads, **kw)


ARCHITECTURES: dict[str, Architecture] = {a.name: a for a in [
    _lm("llama-3.1-8b", "LlamaConfig", "LlamaForCausalLM", "meta-llama/Llama-3.1-8B",
        dict(hidden_size=4096, intermediate_size=14336, num_attention_heads=32, num_key_value_heads=8, head_dim=128,
             num_hidden_layers=32, vocab_size=128256, rms_norm_eps=1e-5, max_position_embeddings=131072,
             tie_word_embeddings=False), max_seq=131072),
    _lm("llama-3.1-70b", "LlamaConfig", "LlamaForCausalLM", "meta-llama/Llama-3.1-70B",
        dict(hidden_size=8192, intermediate_size=28672, num_attention_heads=64, num_key_value_heads=8, head_dim=128,
             num_hidden_layers=80, vocab_size=128256, rms_norm_eps=1e-5, max_position_embeddings=131072,
             tie_word_embeddings=False), max_seq=131072),
    _lm("qwen2.5-7b", "Qwen2Config", "Qwen2ForCausalLM", "Qwen/Qwen2.5-7B",
        dict(hidden_size=3584, intermediate_size=18944, num_attention_heads=28, num_key_value_heads=4,
             num_hidden_layers=28, vocab_size=152064, rms_norm_eps=1e-6, max_position_embeddings=131072,
             tie_word_embeddings=False), max_seq=131072, head_dim_from_hidden=True),
    _lm("qwen3-8b", "Qwen3Config", "Qwen3ForCausalLM", "Qwen/Qwen3-8B",
        dict(hidden_size=4096, intermediate_size=12288, num_attention_heads=32, num_key_value_heads=8, head_dim=128,
             num_hidden_layers=36, vocab_size=151936, rms_norm_eps=1e-6, max_position_embeddings=40960,
             tie_word_embeddings=False), max_seq=40960),
    _lm("mistral-7b-v0.3", "MistralConfig", "MistralForCausalLM", "mistralai/Mistral-7B-v0.3",
        dict(hidden_size=4096, intermediate_size=14336, num_attention_heads=32, num_key_value_heads=8, head_dim=128,
             num_hidden_layers=32, vocab_size=32768, rms_norm_eps=1e-5, max_position_embeddings=32768,
             sliding_window=None, tie_word_embeddings=False), max_seq=32768),
    _lm("mixtral-8x7b", "MixtralConfig", "MixtralForCausalLM", "mistralai/Mixtral-8x7B-v0.1",
        dict(hidden_size=4096, intermediate_size=14336, num_attention_heads=32, num_key_value_heads=8, head_dim=128,
             num_hidden_layers=32, vocab_size=32000, num_local_experts=8, num_experts_per_tok=2, rms_norm_eps=1e-5,
             max_position_embeddings=32768, sliding_window=None, tie_word_embeddings=False), max_seq=32768),
    _lm("qwen3-30b-a3b", "Qwen3MoeConfig", "Qwen3MoeForCausalLM", "Qwen/Qwen3-30B-A3B",
        dict(hidden_size=2048, intermediate_size=6144, moe_intermediate_size=768, num_attention_heads=32,
             num_key_value_heads=4, head_dim=128, num_hidden_layers=48, vocab_size=151936, num_experts=128,
             num_experts_per_tok=8, norm_topk_prob=True, decoder_sparse_step=1, mlp_only_layers=[],
             rms_norm_eps=1e-6, max_position_embeddings=40960, tie_word_embeddings=False),
        widths=(*_LM_WIDTHS, "moe_intermediate_size"), max_seq=40960),
    # DeepSeek-V3: multi-head latent attention (q and kv LoRA ranks, a rope part of the head) and 256 routed
    # experts with sigmoid scores in 8 groups; layers 0-2 dense, 3-60 MoE: built as one of each.
    _lm("deepseek-v3", "DeepseekV3Config", "DeepseekV3ForCausalLM", "deepseek-ai/DeepSeek-V3",
        dict(hidden_size=7168, intermediate_size=18432, moe_intermediate_size=2048, num_attention_heads=128,
             num_key_value_heads=128, num_hidden_layers=61, vocab_size=129280, n_routed_experts=256,
             n_shared_experts=1, num_experts_per_tok=8, n_group=8, topk_group=4, routed_scaling_factor=2.5,
             first_k_dense_replace=3, norm_topk_prob=True, q_lora_rank=1536, kv_lora_rank=512,
             qk_rope_head_dim=64, qk_nope_head_dim=128, v_head_dim=128, rms_norm_eps=1e-6,
             max_position_embeddings=163840, tie_word_embeddings=False),
        widths=(*_LM_WIDTHS, "moe_intermediate_size", "q_lora_rank", "kv_lora_rank"),
        layers_built=2, build=dict(first_k_dense_replace=1),
        layer_weights={"model.layers.0": 3, "model.layers.1": 58}, max_seq=163840),
    # Gemma 3: five sliding-window (1024) layers to one global layer; built as one of each.
    _lm("gemma-3-12b", "Gemma3TextConfig", "Gemma3ForCausalLM", "google/gemma-3-12b-pt (text model)",
        dict(hidden_size=3840, intermediate_size=15360, num_attention_heads=16, num_key_value_heads=8, head_dim=256,
             num_hidden_layers=48, vocab_size=262208, sliding_window=1024, rms_norm_eps=1e-6,
             query_pre_attn_scalar=256, max_position_embeddings=131072),
        layers_built=2, build=dict(layer_types=["sliding_attention", "full_attention"]),
        layer_weights={"model.layers.0": 40, "model.layers.1": 8}, max_seq=131072,
        cpu_overrides=dict(sliding_window=64)),  # below the CPU KV length, as 1024 is below the real one
    _lm("phi-3-mini", "Phi3Config", "Phi3ForCausalLM", "microsoft/Phi-3-mini-4k-instruct",
        dict(hidden_size=3072, intermediate_size=8192, num_attention_heads=32, num_key_value_heads=32,
             num_hidden_layers=32, vocab_size=32064, rms_norm_eps=1e-5, max_position_embeddings=4096,
             tie_word_embeddings=False), head_dim_from_hidden=True, max_seq=4096),
    Architecture("gpt2", "causal_lm", "GPT2Config", "GPT2LMHeadModel", "openai-community/gpt2",
                 dict(n_embd=768, n_head=12, n_layer=12, n_inner=3072, vocab_size=50257, n_positions=1024),
                 ("n_layer",), {"transformer.h.0": 12}, ("n_embd", "n_inner", "vocab_size"), ("n_head",),
                 head_dim_from_hidden=True, max_seq=1024),
    Architecture("bert-large", "encoder", "BertConfig", "BertForMaskedLM", "google-bert/bert-large-uncased",
                 dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
                      vocab_size=30522, max_position_embeddings=512),
                 ("num_hidden_layers",), {"bert.encoder.layer.0": 24}, _LM_WIDTHS, ("num_attention_heads",),
                 head_dim_from_hidden=True, max_seq=512, regimes=("prefill", "train")),
    Architecture("flan-t5-large", "seq2seq", "T5Config", "T5ForConditionalGeneration", "google/flan-t5-large",
                 dict(d_model=1024, d_kv=64, d_ff=2816, num_layers=24, num_decoder_layers=24, num_heads=16,
                      vocab_size=32128, feed_forward_proj="gated-gelu", tie_word_embeddings=False),
                 ("num_layers", "num_decoder_layers"), {"encoder.block.0": 24, "decoder.block.0": 24},
                 ("d_model", "d_ff", "vocab_size"), ("num_heads",), max_seq=512),
    Architecture("vit-base-16", "vision", "ViTConfig", "ViTForImageClassification", "google/vit-base-patch16-224",
                 dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
                      image_size=224, patch_size=16, num_labels=1000),
                 ("num_hidden_layers",), {"vit.encoder.layer.0": 12}, ("hidden_size", "intermediate_size"),
                 ("num_attention_heads",), head_dim_from_hidden=True, regimes=("prefill", "train"),
                 cpu_overrides=dict(image_size=64)),
    Architecture("siglip-so400m", "vision", "SiglipVisionConfig", "SiglipVisionModel",
                 "google/siglip-so400m-patch14-384 (vision tower)",
                 dict(hidden_size=1152, num_hidden_layers=27, num_attention_heads=16, intermediate_size=4304,
                      image_size=384, patch_size=14),
                 ("num_hidden_layers",), {"vision_model.encoder.layers.0": 27}, ("hidden_size", "intermediate_size"),
                 ("num_attention_heads",), head_dim_from_hidden=True, regimes=("prefill",),
                 cpu_overrides=dict(image_size=56)),
    Architecture("whisper-large-v3", "speech", "WhisperConfig", "WhisperForConditionalGeneration",
                 "openai/whisper-large-v3",
                 dict(d_model=1280, encoder_layers=32, decoder_layers=32, encoder_attention_heads=20,
                      decoder_attention_heads=20, encoder_ffn_dim=5120, decoder_ffn_dim=5120, num_mel_bins=128,
                      vocab_size=51866, max_source_positions=1500, max_target_positions=448),
                 ("encoder_layers", "decoder_layers"), {"model.encoder.layers.0": 32, "model.decoder.layers.0": 32},
                 ("d_model", "encoder_ffn_dim", "decoder_ffn_dim", "vocab_size"),
                 ("encoder_attention_heads", "decoder_attention_heads"), head_dim_from_hidden=True, max_seq=448,
                 cpu_overrides=dict(max_source_positions=32)),
    # DLRM-style recommendation blocks (recsys.py): MLPerf DLRM-DCNv2 on Criteo 1TB: 26 sparse features with
    # tables of up to 40M rows, embedding dim 128, a 13-feature dense input, bags of up to ~100 ids.
    Architecture("dlrm-criteo", "recsys", "DLRMBlock", "DLRMBlock", "MLPerf DLRM (Criteo 1TB) sizes",
                 dict(num_tables=26, rows_per_table=40_000_000, embedding_dim=128, num_dense=13,
                      bottom_mlp=[512, 256, 128], top_mlp=[1024, 1024, 512, 256, 1], ids_per_bag=20),
                 (), {}, ("rows_per_table",), (), regimes=("prefill", "train"),
                 cpu_overrides=dict(rows_per_table=1000, bottom_mlp=[64, 32, 16], top_mlp=[64, 32, 1],
                                    embedding_dim=16, num_tables=4)),
    Architecture("jagged-sequence-recsys", "recsys", "JaggedSequenceBlock", "JaggedSequenceBlock",
                 "user-history pooling as in production sequence recommenders",
                 dict(rows_per_table=10_000_000, embedding_dim=256, max_history=512, mean_history=128),
                 (), {}, ("rows_per_table",), (), regimes=("prefill", "train"),
                 cpu_overrides=dict(rows_per_table=1000, embedding_dim=32, max_history=16, mean_history=4)),
]}

# Batch sizes where tokens per sequence are fixed by the input (images, recommendation requests):
# kind -> regime -> (real batch, CPU batch).
FIXED_INPUT_BATCH = {
    "recsys": {"prefill": (8192, 4), "train": (65536, 8)},
    "vision": {"prefill": (64, 2), "train": (256, 2)},
}


def architecture(name: str) -> Architecture:
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ValueError(f"unknown architecture {name!r}; known: {', '.join(ARCHITECTURES)}") from None


def regime(name: str) -> Regime:
    try:
        return REGIMES[name]
    except KeyError:
        raise ValueError(f"unknown regime {name!r}; known: {', '.join(REGIMES)}") from None


def width_factor(arch: Architecture) -> tuple[int, int]:
    """(W, G) of the CPU scale rule (module docstring)."""
    hidden_field = arch.widths[0]
    hidden = int(arch.hyper[hidden_field])
    heads = [int(arch.hyper[f]) for f in arch.heads]
    common = math.gcd(*heads) if heads else 1
    if arch.head_dim_from_hidden:
        candidates = [d for d in range(1, common + 1) if common % d == 0 and hidden // d >= CPU_HIDDEN]
        w = max(candidates, default=1)
        return w, w
    w = 1
    while hidden % (2 * w) == 0 and hidden // (2 * w) >= CPU_HIDDEN:
        w *= 2
    g = max((d for d in range(1, min(common, w) + 1) if common % d == 0), default=1)
    return w, g


def real_config(arch: Architecture) -> dict:
    """The hyperparameters the real-shape model is built with (layer counts cut to `layers_built`)."""
    config = dict(arch.hyper)
    for f in arch.layer_fields:
        config[f] = arch.layers_built
    config.update(arch.build)
    return config


def cpu_config(arch: Architecture) -> dict:
    """The CPU-scaled model's hyperparameters (module docstring)."""
    config = real_config(arch)
    if arch.kind != "recsys":
        w, g = width_factor(arch)
        for f in arch.widths:
            if config.get(f) is not None:
                config[f] = max(8, (-(-int(config[f]) // w) + 7) // 8 * 8) if w > 1 else config[f]
        for f in arch.heads:
            config[f] = int(config[f]) // g
        # Special token ids of the real vocabulary may lie beyond the scaled one; the trace uses none of them.
        config.update(pad_token_id=None, bos_token_id=None, eos_token_id=None)
    config.update(arch.cpu_overrides)
    return config


def regime_shape(arch: Architecture, regime: Regime, *, cpu: bool) -> tuple[int, int, int]:
    """(batch, seq, kv_len) of `regime` for `arch`, sequence and KV capped by its context."""
    if arch.kind in FIXED_INPUT_BATCH:
        real, small = FIXED_INPUT_BATCH[arch.kind][regime.name]
        return (small if cpu else real), 1, 0
    batch, seq, kv = ((regime.cpu_batch, regime.cpu_seq, regime.cpu_kv_len) if cpu
                      else (regime.batch, regime.seq, regime.kv_len))
    if arch.max_seq is not None:
        seq, kv = min(seq, arch.max_seq), min(kv, arch.max_seq - seq)
    return batch, seq, kv
