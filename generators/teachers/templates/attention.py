"""Attention templates ("attention"): scaled dot-product attention, causal or not, cross attention
(queries and keys of different lengths), grouped-query attention (a key/value head per group of query
heads) and attention written out as softmax(q k^T / sqrt(d)) v, after the Triton tutorial 06 forward pass.

Each program takes BLOCK_M queries of one (batch, head) and walks the keys in blocks of BLOCK_N: `flash`
keeps a running maximum, sum and output rescaled as it goes (one pass over the keys); `two_pass` first
finds each query's maximum and sum, then accumulates the normalised probabilities times v (twice the
q k^T work, no rescaling). The head dim is padded to a power of two (>= 16, the smallest tl.dot) with
masked loads; a causal program stops at its diagonal block. fp32 products use input_precision="ieee";
16-bit inputs multiply on the tensor cores with fp32 accumulation, the probabilities cast to v's dtype.
"""

from __future__ import annotations

import random

from generators.specs import OPS
from generators.teachers.templates.base import Draft, Group, Variant, fill, model_new, module, next_power_of_2
from generators.teachers.templates.reference import registry_dims

FLAWS: dict[str, tuple[str, float]] = {
    "unscaled_scores": ("the scores q k^T are not divided by sqrt(head_dim)", 0.15),
    "missing_causal_mask": ("causal attention without the causal mask: queries see later keys", 0.3),
}
# op -> (causal, query-length dim, key-length dim, kv head group dim or None)
_OPS = {
    "sdpa": (False, "seq", "seq", None),
    "sdpa_causal": (True, "seq", "seq", None),
    "cross_attention": (False, "q_seq", "kv_seq", None),
    "gqa": (True, "seq", "seq", "group"),
    "attention_explicit": (False, "seq", "seq", None),
}

_KERNEL = '''
    @triton.jit
    def attention_kernel(
        q_ptr, k_ptr, v_ptr, out_ptr,  # (batch, heads, seq, head_dim); k and v may have fewer heads
        stride_qb, stride_qh, stride_qs, stride_qd,
        stride_kb, stride_kh, stride_ks, stride_kd,
        stride_vb, stride_vh, stride_vs, stride_vd,
        stride_ob, stride_oh, stride_os, stride_od,
        n_heads,  # query heads
        kv_group,  # query heads per key/value head (1 without grouping)
        seq_q, seq_kv, head_dim,
        sm_scale,  # 1 / sqrt(head_dim)
        IS_CAUSAL: tl.constexpr,
        BLOCK_M: tl.constexpr,  # queries per program
        BLOCK_N: tl.constexpr,  # keys per step
        BLOCK_D: tl.constexpr,  # head_dim padded to a power of two >= 16
    ):
        start_m = tl.program_id(axis=0)
        batch_head = tl.program_id(axis=1)
        batch = batch_head // n_heads
        head = batch_head % n_heads
        kv_head = head // kv_group  # query head h reads key/value head h // group
        offs_m = start_m * BLOCK_M + tl.arange(0, BLOCK_M)
        offs_n = tl.arange(0, BLOCK_N)
        offs_d = tl.arange(0, BLOCK_D)
        q_base = q_ptr + batch * stride_qb + head * stride_qh
        k_base = k_ptr + batch * stride_kb + kv_head * stride_kh
        v_base = v_ptr + batch * stride_vb + kv_head * stride_vh
        # Padding rows and head-dim lanes load 0: they add nothing to the products.
        q = tl.load(q_base + offs_m[:, None] * stride_qs + offs_d[None, :] * stride_qd,
                    mask=(offs_m[:, None] < seq_q) & (offs_d[None, :] < head_dim), other=0.0)
        <<key_limit>>
        <<passes>>
        out_base = out_ptr + batch * stride_ob + head * stride_oh
        tl.store(out_base + offs_m[:, None] * stride_os + offs_d[None, :] * stride_od,
                 acc.to(out_ptr.dtype.element_ty), mask=(offs_m[:, None] < seq_q) & (offs_d[None, :] < head_dim))
    '''
_SCORES = '''
    cols = start_n + offs_n
    # k is read transposed, (BLOCK_D, BLOCK_N), so that q @ k is the (BLOCK_M, BLOCK_N) block of scores.
    k = tl.load(k_base + cols[None, :] * stride_ks + offs_d[:, None] * stride_kd,
                mask=(cols[None, :] < seq_kv) & (offs_d[:, None] < head_dim), other=0.0)
    <<scores>>
    <<mask>>
    '''
_FLASH = '''
    # Online softmax: a running maximum m_i and sum l_i per query, the output rescaled as the maximum grows.
    m_i = tl.full([BLOCK_M], float("-inf"), tl.float32)
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32)
    acc = tl.zeros([BLOCK_M, BLOCK_D], dtype=tl.float32)
    for start_n in range(0, key_limit, BLOCK_N):
        <<scores>>
        # Key 0 is visible to every query, so m_new is finite from the first block on.
        m_new = tl.maximum(m_i, tl.max(s, axis=1))
        alpha = tl.exp(m_i - m_new)
        p = tl.exp(s - m_new[:, None])
        l_i = l_i * alpha + tl.sum(p, axis=1)
        v = tl.load(v_base + cols[:, None] * stride_vs + offs_d[None, :] * stride_vd,
                    mask=(cols[:, None] < seq_kv) & (offs_d[None, :] < head_dim), other=0.0)
        <<pv>>
        m_i = m_new
    acc = acc / l_i[:, None]
    '''
_TWO_PASS = '''
    # Pass 1: each query's maximum score and sum of exp(score - maximum).
    m_i = tl.full([BLOCK_M], float("-inf"), tl.float32)
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32)
    for start_n in range(0, key_limit, BLOCK_N):
        <<scores>>
        m_new = tl.maximum(m_i, tl.max(s, axis=1))
        l_i = l_i * tl.exp(m_i - m_new) + tl.sum(tl.exp(s - m_new[:, None]), axis=1)
        m_i = m_new
    # Pass 2: the normalised probabilities times v, with no rescaling.
    acc = tl.zeros([BLOCK_M, BLOCK_D], dtype=tl.float32)
    for start_n in range(0, key_limit, BLOCK_N):
        <<scores>>
        p = tl.exp(s - m_i[:, None]) / l_i[:, None]
        v = tl.load(v_base + cols[:, None] * stride_vs + offs_d[None, :] * stride_vd,
                    mask=(cols[:, None] < seq_kv) & (offs_d[None, :] < head_dim), other=0.0)
        <<pv>>
    '''


def check(spec_row: dict) -> None:
    registry_dims(spec_row, spec_row["ops"][0])


def _render(spec_row: dict, rng: random.Random, structure: str, flaw: str | None) -> Draft:
    op = spec_row["ops"][0]
    causal, q_dim, kv_dim, group_dim = _OPS[op]
    dims = registry_dims(spec_row, op)
    seq_q, seq_kv, head_dim = dims[q_dim], dims[kv_dim], dims["head_dim"]
    fp32 = spec_row["dtype"] == "float32"
    block_d = next_power_of_2(max(head_dim, 16))
    block_m = rng.choice([b for b in (16, 32, 64, 128) if b <= max(16, next_power_of_2(seq_q))])
    block_n = rng.choice([b for b in (16, 32, 64) if b <= max(16, next_power_of_2(seq_kv)) and b * block_d <= 8192])
    num_warps = rng.choice((4, 8) if block_m * block_d >= 4096 else (2, 4))
    num_stages = rng.choice((1, 2, 3))
    precision = ', input_precision="ieee"' if fp32 else ""
    scale = "" if flaw == "unscaled_scores" else " * sm_scale"
    scores = f"s = tl.dot(q, k{precision}){scale}"
    masked = causal and flaw != "missing_causal_mask"
    mask = ("# Keys past the end, and for causal attention keys after the query, get -inf.\n"
            "visible = (cols[None, :] < seq_kv)" + (" & (cols[None, :] <= offs_m[:, None])" if masked else "") +
            '\ns = tl.where(visible, s, float("-inf"))')
    pv = (f"acc += tl.dot(p, v{precision})" if fp32 else
          "# The probabilities in v's dtype for the tensor cores; the sum stays fp32.\n"
          "acc += tl.dot(p.to(v.dtype), v)")
    if structure == "flash":
        pv = pv.replace("acc += ", "acc = acc * alpha[:, None] + ")
    key_limit = ("# A causal program needs no key past its last query.\n"
                 "key_limit = min((start_m + 1) * BLOCK_M, seq_kv) if IS_CAUSAL else seq_kv")
    score_code = fill(_SCORES, scores=scores, mask=mask)
    passes = fill(_FLASH if structure == "flash" else _TWO_PASS, scores=score_code, pv=pv)
    kernel = fill(_KERNEL, key_limit=key_limit, passes=passes)
    grouped = group_dim is not None
    prep = ['assert q.dim() == 4 and k.dim() == 4 and v.dim() == 4, "q, k, v are (batch, heads, seq, head_dim)"',
            "batch, n_heads, seq_q, head_dim = q.shape",
            "kv_heads, seq_kv = k.shape[1], k.shape[2]",
            'assert v.shape == k.shape and k.shape[3] == head_dim, "k and v must match, with q\'s head_dim"']
    if grouped:
        prep.append('assert n_heads % kv_heads == 0, "query heads must be a multiple of key/value heads"')
        prep.append("kv_group = n_heads // kv_heads  # query heads sharing one key/value head")
    else:
        prep.append('assert kv_heads == n_heads, "one key/value head per query head"')
        prep.append("kv_group = 1")
    launcher = fill('''
        def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
            <<prep>>
            out = torch.empty((batch, n_heads, seq_q, head_dim), device=q.device, dtype=q.dtype)
            sm_scale = head_dim ** -0.5
            BLOCK_D = triton.next_power_of_2(max(head_dim, 16))
            grid = (triton.cdiv(seq_q, <<block_m>>), batch * n_heads)
            attention_kernel[grid](
                q, k, v, out,
                q.stride(0), q.stride(1), q.stride(2), q.stride(3),
                k.stride(0), k.stride(1), k.stride(2), k.stride(3),
                v.stride(0), v.stride(1), v.stride(2), v.stride(3),
                out.stride(0), out.stride(1), out.stride(2), out.stride(3),
                n_heads, kv_group, seq_q, seq_kv, head_dim, sm_scale,
                IS_CAUSAL=<<causal>>, BLOCK_M=<<block_m>>, BLOCK_N=<<block_n>>, BLOCK_D=BLOCK_D,
                num_warps=<<warps>>, num_stages=<<stages>>,
            )
            return out
        ''', prep="\n".join(prep), block_m=block_m, block_n=block_n, causal=masked, warps=num_warps,
        stages=num_stages)
    doc = OPS[op].doc.format(**dims)
    code = module(kernel, launcher, model_new(f"Computes {doc} with a Triton kernel.", "q, k, v", "attention(q, k, v)"))
    how = ("an online softmax (running maximum, sum and rescaled output)" if structure == "flash" else
           "two passes over the keys (first the maximum and sum, then the normalised probabilities times v)")
    prose = (f"Each program takes {block_m} queries of one (batch, head) and walks the keys in blocks of {block_n} "
             f"with {how}; the head dim is padded to {block_d}"
             + (", and a causal program stops at its diagonal." if causal else ".")
             + (f" Query head h reads key/value head h // {dims[group_dim]}." if grouped else ""))
    params = {"structure": structure, "BLOCK_M": block_m, "BLOCK_N": block_n, "BLOCK_D": block_d,
              "num_warps": num_warps, "num_stages": num_stages}
    return Draft(variant=flaw or structure, flaw=flaw, params=params, code=code, prose=prose)


def _variants() -> tuple[Variant, ...]:
    def correct(structure):
        return Variant(structure, lambda s: True, lambda s, rng: _render(s, rng, structure, None))

    def flawed(name, applies):
        return Variant(name, applies, lambda s, rng: _render(s, rng, rng.choice(("flash", "two_pass")), name),
                       flaw=name)

    return (
        correct("flash"),
        correct("two_pass"),
        flawed("unscaled_scores", lambda s: True),
        # With one query the causal mask hides nothing.
        flawed("missing_causal_mask", lambda s: _OPS[s["ops"][0]][0] and registry_dims(s, s["ops"][0])["seq"] > 1),
    )


GROUPS = (Group("attention", tuple(_OPS), check, _variants()),)
