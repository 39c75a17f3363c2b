"""Mixture-of-experts routing and expert compute ("moe"): router scores (softmax as Mixtral and Qwen-MoE,
sigmoid as DeepSeek-V3) with top-k selection and renormalised weights; tokens gathered into expert order
(the permute before the expert GEMMs); the weighted scatter back (the combine after them); and the grouped
GEMM over experts on expert-sorted rows.

Each problem has one output tensor, so the router returns its top-k weights scattered into a dense
(tokens, experts) matrix (zero where an expert was not chosen): the same information as (weights, ids),
and a wrong id or weight shows in it. Router logits are float32 `scores`: in half precision two of 64
logits are equal often enough that top-k's choice between them (and so the output) would be arbitrary.
Expert assignments are drawn distinct per token (`torch.rand(...).argsort()`), as top-k yields them.
"""

from __future__ import annotations

from generators.specs.problem import In, OpDef
from generators.specs.shapes import HIDDEN, Dim

_TOKENS = Dim("tokens", (1, 4, 16, 64, 128, 256, 512, 1024, 2048, 4096))
# At least as many experts as the largest top-k.
_EXPERTS = Dim("experts", (8, 16, 32, 64, 128, 256), edge=False)
# A permute or combine of one token, or of one choice per token over two tokens, can come out the same
# whatever the experts are; more tokens make the expert order matter.
_TOKENS2 = Dim("tokens", (4, 16, 64, 128, 256, 512, 1024, 2048, 4096), min_size=3)
_TOPK = Dim("topk", (1, 2, 4, 6, 8), edge=False)
_HIDDEN = Dim("hidden", HIDDEN)
# Every token choosing every expert would make the expert order the same whatever the ids: fewer.
_FEWER_TOPK = Dim("topk", lambda d: [k for k in (1, 2, 4, 6, 8) if k < d["experts"]], edge=False)
_EXPERT_IDS = "torch.rand(TOKENS, EXPERTS).argsort(dim=-1)[:, :TOPK]"


def _router(name: str, score: str, what: str) -> OpDef:
    return OpDef(name=name, family="moe", doc=f"{what} router: {score} scores of ({{tokens}}, {{experts}}) logits, "
                 "the top {topk} experts per token and their scores renormalised to sum to one, as a dense "
                 "(tokens, experts) matrix of combine weights",
                 dims=(_TOKENS, _EXPERTS, _TOPK),
                 inputs=(In("logits", "tokens experts", "scores"),), output="tokens experts", dtypes=("float32",),
                 forward=f"scores = {score}(logits{', dim=-1' if score == 'torch.softmax' else ''})\n"
                         "weights, ids = torch.topk(scores, {topk}, dim=-1)\n"
                         "weights = weights / weights.sum(dim=-1, keepdim=True)\n"
                         "return torch.zeros_like(scores).scatter(1, ids, weights)")


OPS = [
    _router("moe_router_softmax", "torch.softmax", "a Mixtral-style softmax"),
    _router("moe_router_sigmoid", "torch.sigmoid", "a DeepSeek-V3-style sigmoid"),
    OpDef(name="moe_permute", family="moe", doc="the MoE permute: each token's row copied once per chosen expert "
          "({topk} of {experts}), the copies ordered by expert (stable, so by token within an expert), ready "
          "for the expert GEMMs", dims=(_TOKENS2, _EXPERTS, _FEWER_TOPK, _HIDDEN),
          derive=lambda d: {"assignments": d["tokens"] * d["topk"]},
          inputs=(In("x", "tokens hidden"), In("expert_ids", "tokens topk", "index:experts", draw=_EXPERT_IDS)),
          output="assignments hidden",
          forward="order = torch.argsort(expert_ids.flatten(), stable=True)\n"
                  "return x[order // expert_ids.shape[1]]"),
    OpDef(name="moe_combine", family="moe", doc="the MoE combine: expert outputs in expert order (as the permute "
          "left them) scattered back to their tokens and summed with the router's weights, {topk} per token",
          dims=(_TOKENS2, _EXPERTS, _FEWER_TOPK, _HIDDEN), derive=lambda d: {"assignments": d["tokens"] * d["topk"]},
          inputs=(In("y", "assignments hidden"), In("expert_ids", "tokens topk", "index:experts", draw=_EXPERT_IDS),
                  In("weights", "tokens topk", "probabilities")), output="tokens hidden",
          forward="order = torch.argsort(expert_ids.flatten(), stable=True)\n"
                  "unsorted = torch.empty_like(y)\n"
                  "unsorted[order] = y\n"
                  "per_choice = unsorted.view(expert_ids.shape[0], expert_ids.shape[1], -1)\n"
                  "return (per_choice.float() * weights.float().unsqueeze(-1)).sum(dim=1).to(y.dtype)"),
    OpDef(name="grouped_gemm", family="moe", doc="the grouped GEMM of MoE experts: rows of x sorted by expert, "
          "expert e's rows (offsets[e] to offsets[e + 1]) times its own ({hidden}, {ffn}) weight",
          dims=(Dim("tokens", (4, 16, 64, 128, 256, 512, 1024, 2048, 4096)),
                Dim("experts", (2, 4, 8, 16, 32, 64), edge=False), Dim("hidden", (16, 32) + HIDDEN),
                Dim("ffn", (16, 32, 64, 128, 256, 512, 768, 1024, 1408, 2048, 4096, 14336))),
          derive=lambda d: {"bounds": d["experts"] + 1},
          inputs=(In("x", "tokens hidden"), In("w", "experts hidden ffn"), In("offsets", "bounds", "offsets:tokens")),
          output="tokens ffn",
          forward="out = torch.empty(x.shape[0], w.shape[2], dtype=x.dtype, device=x.device)\n"
                  "for e in range(w.shape[0]):\n"
                  "    start, end = int(offsets[e]), int(offsets[e + 1])\n"
                  "    out[start:end] = x[start:end] @ w[e]\n"
                  "return out"),
]
