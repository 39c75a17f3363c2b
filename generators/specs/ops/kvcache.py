"""Serving attention and KV-cache management ("kvcache"): decode attention (one query token per sequence
over a long cache, grouped-query heads), variable-length causal attention over packed sequences
(`cu_seqlens`, as flash-attention's varlen API takes them), appending new keys to a paged cache through a
slot mapping (vLLM's `reshape_and_cache`) and gathering a sequence's pages through a block table.

The caches are inputs and the problems are functional: the reference returns a new cache rather than
writing into its input, because the verifier requires inputs to be unchanged. Slots written by one append
are distinct (`torch.randperm`), as a serving engine's are: with repeated slots the result would depend on
which write lands last. Block tables may repeat pages (prefix sharing does).
"""

from __future__ import annotations

from generators.specs.problem import In, OpDef
from generators.specs.shapes import BATCH, HEAD_DIM, SEQ, Dim

_B = Dim("batch", BATCH)
_KV_HEADS = Dim("kv_heads", (1, 2, 4, 8))
_GROUP = Dim("group", (1, 2, 4, 8), edge=False)
_D = Dim("head_dim", HEAD_DIM + (256,))
_KV_LEN = Dim("kv_len", SEQ + (16384, 32768), min_size=2)
_BLOCK = Dim("block_size", (1, 8, 16, 32), edge=False)
_PAGES = Dim("num_blocks", (2, 4, 16, 64, 256, 1024, 4096), min_size=2)
_POW2_PAGES = tuple(2 ** i for i in range(1, 13))


def _append_pages(d) -> list[int]:
    """Page counts with at least twice as many slots as new tokens (a cache the append fills entirely
    would not depend on its old contents) and at most 32 times as many, or two pages: an append of one
    token to a vast cache changes too little of the output for half precision to tell it was done."""
    slots = lambda n: n * d["block_size"]  # noqa: E731
    return [n for n in _POW2_PAGES if slots(n) >= 2 * d["tokens"] and (slots(n) <= 32 * d["tokens"] or n == 2)]


_CACHE = "num_blocks block_size kv_heads head_dim"

OPS = [
    OpDef(name="decode_attention", family="kvcache", doc="decode attention: one query token per sequence, "
          "{q_heads} query heads over {kv_heads} key/value heads ({group} per group) and a cache of {kv_len} "
          "positions", dims=(_B, _KV_HEADS, _GROUP, _KV_LEN, _D),
          derive=lambda d: {"q_heads": d["kv_heads"] * d["group"]},
          inputs=(In("q", "batch q_heads head_dim"), In("k", "batch kv_heads kv_len head_dim"),
                  In("v", "batch kv_heads kv_len head_dim")), output="batch q_heads head_dim",
          forward="k = k.repeat_interleave({group}, dim=1)\nv = v.repeat_interleave({group}, dim=1)\n"
                  "return F.scaled_dot_product_attention(q.unsqueeze(2), k, v).squeeze(2)",
          scratch=("batch q_heads kv_len head_dim", "batch q_heads kv_len head_dim")),
    OpDef(name="varlen_attention", family="kvcache", doc="causal attention over {seqs} sequences packed into "
          "({tokens}, heads, head_dim) tensors, sequence i spanning rows cu_seqlens[i] to cu_seqlens[i + 1]",
          dims=(Dim("seqs", (1, 2, 3, 4, 8, 16), min_size=1, edge=False),
                Dim("tokens", (16, 64, 128, 256, 512, 1024, 4096), edge=False), Dim("heads", (1, 2, 4, 8, 16, 32)),
                _D),
          derive=lambda d: {"bounds": d["seqs"] + 1},
          inputs=(In("q", "tokens heads head_dim"), In("k", "tokens heads head_dim"), In("v", "tokens heads head_dim"),
                  In("cu_seqlens", "bounds", "offsets:tokens")), output="tokens heads head_dim",
          forward="out = torch.zeros_like(q)\n"
                  "for i in range(cu_seqlens.numel() - 1):\n"
                  "    start, end = int(cu_seqlens[i]), int(cu_seqlens[i + 1])\n"
                  "    if end > start:\n"
                  "        qi, ki, vi = (t[start:end].transpose(0, 1) for t in (q, k, v))\n"
                  "        out[start:end] = F.scaled_dot_product_attention(qi, ki, vi, is_causal=True).transpose(0, 1)\n"
                  "return out", scratch=("heads tokens tokens",)),
    OpDef(name="kv_cache_append", family="kvcache", doc="a paged KV cache of {num_blocks} blocks of "
          "{block_size} slots with {tokens} new keys written to the distinct slots slot_mapping names (vLLM's "
          "reshape_and_cache), returned as a new cache",
          dims=(Dim("tokens", (1, 2, 4, 8, 16, 64, 256, 1024)), _BLOCK, _KV_HEADS, _D,
                Dim("num_blocks", _append_pages, min_size=2, edge=False)),
          derive=lambda d: {"slots": d["num_blocks"] * d["block_size"]},
          inputs=(In("cache", _CACHE), In("key", "tokens kv_heads head_dim"),
                  In("slot_mapping", "tokens", "index:slots", draw="torch.randperm({bound})[:{dims}]")),
          output=_CACHE,
          forward="out = cache.clone()\nout.view(-1, *cache.shape[2:])[slot_mapping] = key\nreturn out"),
    OpDef(name="paged_kv_gather", family="kvcache", doc="each sequence's keys gathered from a paged cache "
          "through its block table: ({batch}, {blocks_per_seq}) page numbers into {num_blocks} pages of "
          "{block_size} slots", dims=(_B, Dim("blocks_per_seq", (1, 2, 4, 8, 16, 64)), _PAGES, _BLOCK, _KV_HEADS, _D),
          derive=lambda d: {"seq_slots": d["blocks_per_seq"] * d["block_size"]},
          inputs=(In("cache", _CACHE), In("block_table", "batch blocks_per_seq", "index:num_blocks")),
          output="batch seq_slots kv_heads head_dim", forward="cache[block_table].flatten(1, 2)"),
]
