"""Attention ("attention"): scaled dot-product attention (plain, causal, cross), grouped-query attention
and attention written out as softmax(q k^T / sqrt(d)) v.

Key sequences have at least two positions: with one key the softmax is the constant 1 and the output is
`v` whatever `q` and `k` are.
"""

from __future__ import annotations

from generators.specs.problem import In, OpDef
from generators.specs.shapes import BATCH, HEAD_DIM, HEADS, SEQ, Dim

_B = Dim("batch", BATCH)
_H = Dim("heads", HEADS)
_S = Dim("seq", SEQ, min_size=2)
_D = Dim("head_dim", HEAD_DIM)
_QKV = (In("q", "batch heads seq head_dim"), In("k", "batch heads seq head_dim"), In("v", "batch heads seq head_dim"))

OPS = [
    OpDef(name="sdpa", family="attention", doc="scaled dot-product attention softmax(q k^T / sqrt(d)) v over "
          "(batch, heads, seq, head_dim) tensors", dims=(_B, _H, _S, _D), inputs=_QKV,
          output="batch heads seq head_dim", forward="F.scaled_dot_product_attention(q, k, v)", scratch=("batch heads seq seq",)),
    OpDef(name="sdpa_causal", family="attention", doc="causal scaled dot-product attention (each query attends to "
          "itself and earlier keys)", dims=(_B, _H, _S, _D), inputs=_QKV, output="batch heads seq head_dim",
          forward="F.scaled_dot_product_attention(q, k, v, is_causal=True)", scratch=("batch heads seq seq",)),
    OpDef(name="cross_attention", family="attention", doc="scaled dot-product attention of {q_seq} queries over "
          "{kv_seq} keys and values", dims=(_B, _H, Dim("q_seq", SEQ), Dim("kv_seq", SEQ, min_size=2), _D),
          inputs=(In("q", "batch heads q_seq head_dim"), In("k", "batch heads kv_seq head_dim"),
                  In("v", "batch heads kv_seq head_dim")), output="batch heads q_seq head_dim",
          forward="F.scaled_dot_product_attention(q, k, v)", scratch=("batch heads q_seq kv_seq",)),
    OpDef(name="gqa", family="attention", doc="grouped-query attention: {q_heads} query heads share {kv_heads} key "
          "and value heads ({group} queries per group), causal",
          dims=(_B, Dim("kv_heads", (1, 2, 4, 8)), Dim("group", (2, 4, 8), edge=False), _S, _D),
          derive=lambda d: {"q_heads": d["kv_heads"] * d["group"]},
          inputs=(In("q", "batch q_heads seq head_dim"), In("k", "batch kv_heads seq head_dim"),
                  In("v", "batch kv_heads seq head_dim")), output="batch q_heads seq head_dim",
          forward="k = k.repeat_interleave({group}, dim=1)\nv = v.repeat_interleave({group}, dim=1)\n"
                  "return F.scaled_dot_product_attention(q, k, v, is_causal=True)",
          scratch=("batch q_heads seq seq", "batch q_heads seq head_dim", "batch q_heads seq head_dim")),
    OpDef(name="attention_explicit", family="attention", doc="attention written out: softmax(q k^T / sqrt(d)) v",
          dims=(_B, _H, _S, _D), inputs=_QKV, output="batch heads seq head_dim",
          forward="scores = torch.matmul(q, k.transpose(-2, -1)) * (q.shape[-1] ** -0.5)\n"
                  "return torch.matmul(torch.softmax(scores, dim=-1), v)", scratch=("batch heads seq seq",) * 2),
]
