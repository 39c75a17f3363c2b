"""Transformer building blocks real LLMs run ("llm"): rotary position embeddings as Llama applies them
(rotate-half), the gated MLP activations SwiGLU and GeGLU on a fused gate/up projection, the residual add
fused with RMSNorm, and cross-entropy over LLM vocabularies (up to 256k).

Shapes come from the models (head dims 64-256, FFN widths of Llama/Qwen/Gemma, vocabularies of GPT-2,
Llama 2/3, Qwen 2 and Gemma); the memory budget decides how much of them a draw takes, so a CPU config
(`specs.max_numel` of 64k) draws a small vocabulary or one token of a large one while a GPU config draws
the real ones. The rotary cos/sin tables are inputs, as in Hugging Face's and vLLM's kernels (a cache
computed once per model), so the kernel does no transcendental math the reference does not.
"""

from __future__ import annotations

from generators.specs.problem import In, OpDef
from generators.specs.shapes import BATCH, FFN, HEADS, HIDDEN, ROWS, SEQ, Dim

_TOKENS = Dim("tokens", tuple(sorted(set(ROWS) | set(BATCH) | set(SEQ))))
_HALF = Dim("half", (8, 16, 32, 40, 48, 64, 128), min_size=1)  # half a head dim: head_dim 16 to 256
_FFN = Dim("ffn", FFN + (1408, 5632, 9216, 18944, 28672), min_size=1)
# GPT-2, Llama 2, Mistral/Mixtral (32768), Llama 3 (128256), Qwen 2 (151936), Gemma (256000); small ones
# for CPU budgets.
LLM_VOCAB = (1024, 4096, 8192, 32000, 32768, 50257, 128256, 151936, 256000)


def _glu(name: str, activation: str, what: str) -> OpDef:
    return OpDef(name=name, family="llm", doc=f"{what}: the first half of the last dimension (the gate) through "
                 f"{activation}, times the second half (the up projection), on a ({{tokens}}, 2 x {{ffn}}) tensor",
                 dims=(_TOKENS, _FFN), derive=lambda d: {"ffn2": 2 * d["ffn"]},
                 inputs=(In("x", "tokens ffn2"),), output="tokens ffn",
                 forward=f"gate, up = x.chunk(2, dim=-1)\nreturn {activation}(gate) * up")


OPS = [
    OpDef(name="rotary_embedding", family="llm", doc="rotary position embeddings applied Llama's way (rotate "
          "half) to a (batch, seq, heads, head_dim) tensor, from (seq, head_dim / 2) cos and sin tables",
          dims=(Dim("batch", BATCH), Dim("seq", SEQ), Dim("heads", HEADS), _HALF),
          derive=lambda d: {"head_dim": 2 * d["half"]},
          inputs=(In("x", "batch seq heads head_dim"), In("cos", "seq half"), In("sin", "seq half")),
          output="batch seq heads head_dim",
          forward="cos = torch.cat([cos, cos], dim=-1)[None, :, None, :]\n"
                  "sin = torch.cat([sin, sin], dim=-1)[None, :, None, :]\n"
                  "x1, x2 = x.chunk(2, dim=-1)\n"
                  "return x * cos + torch.cat([-x2, x1], dim=-1) * sin"),
    _glu("swiglu", "F.silu", "SwiGLU (Llama, Qwen, Mistral MLPs)"),
    _glu("geglu", "F.gelu", "GeGLU (Gemma-style MLPs, exact erf GELU)"),
    OpDef(name="add_rms_norm", family="llm", doc="the residual add fused with RMSNorm: h = x + residual, then "
          "h / sqrt(mean(h^2) + eps) * weight; returns the normalised tensor stacked over the updated residual "
          "h, the two tensors a decoder layer passes on", dims=(_TOKENS, Dim("hidden", HIDDEN, min_size=2)),
          inputs=(In("x", "tokens hidden"), In("residual", "tokens hidden")), output="2 tokens hidden",
          forward="h = x + residual\n"
                  "normed = h * torch.rsqrt(torch.mean(h * h, dim=-1, keepdim=True) + 1e-6) * self.weight\n"
                  "return torch.stack([normed, h])",
          init_args=("hidden",), init="self.weight = nn.Parameter(1 + 0.1 * torch.randn(hidden, dtype=DTYPE))",
          params=("hidden",)),
    OpDef(name="cross_entropy_vocab", family="llm", doc="the mean cross-entropy of ({tokens}, {vocab}) language-"
          "model logits against next-token ids, the loss at the end of every LLM training step",
          dims=(Dim("tokens", (1, 2, 4, 8, 16, 64, 256, 1024, 4096, 8192)), Dim("vocab", LLM_VOCAB, min_size=2)),
          inputs=(In("logits", "tokens vocab"), In("target", "tokens", "index:vocab")), output="",
          forward="F.cross_entropy(logits, target)"),
]
