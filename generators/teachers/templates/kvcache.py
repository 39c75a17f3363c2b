'''Serving templates ("kvcache"): decode attention, variable-length causal attention, paged KV-cache
append and paged gather.

Decode attention gives one program to each (sequence, query head): the single query against the cache in
blocks of keys with an online softmax, reading key/value head `head // group` (no copy of the shared
heads). Variable-length attention gives one program to each (sequence, head, block of queries): it reads
its sequence's bounds from `cu_seqlens`, stops at its causal diagonal, and programs past the end of a
short sequence return at once (the grid is sized for the longest possible sequence, the total, so the
launcher never reads `cu_seqlens` on the host). The append copies the cache and then writes each new key
to its slot (slots are distinct, so the writes do not race); the gather copies whole page rows.

Each op has a second structure (issue 17): split-KV decode (chunks of the cache in parallel, then a merge
kernel that rescales the chunks' partial softmaxes); variable-length attention with one program per
(sequence, head) looping over its query blocks; the append written once per output element (a kernel
records each slot's token, then tiles of slots read the new key or the old row); the gather with one
program per block-table entry that reads its page number once. A flaw is drawn in either structure where
its edited text occurs in both (all but the in-place append, which is the copy-then-write structure's).
'''

from __future__ import annotations

import random

from generators.teachers.templates.base import fill, launch_warps, next_power_of_2
from generators.teachers.templates.single import Built, Sub, group

FLAWS: dict[str, tuple[str, float]] = {
    # Query head h reads key/value head h % kv_heads (interleaved) where GQA groups heads: h // group.
    "gqa_head_interleaved": ("query heads are mapped to key/value heads by modulo instead of by group", 0.25),
    "unscaled_scores": ("the scores q k^T are not divided by sqrt(head_dim)", 0.15),
    "missing_causal_mask": ("causal attention without the causal mask: queries see later keys", 0.3),
    # vLLM's reshape_and_cache writes the cache in place; the problem returns a new cache and keeps its input.
    "append_in_place": ("writes the new keys into the input cache instead of the returned copy", 0.25),
    # The page number used as a row index: the page's base row is page * block_size.
    "page_without_stride": ("the physical page number is added as a row offset, without the page size", 0.25),
}


def _decode(dims, rng: random.Random, dtype: str) -> Built:
    block_d = next_power_of_2(dims["head_dim"])
    block_n = rng.choice([n for n in (16, 32, 64, 128) if n * block_d <= 8192] or [16])
    warps = launch_warps(rng, block_n * block_d)
    kernel = fill("""
        @triton.jit
        def decode_attention_kernel(
            q_ptr,  # (batch, q_heads, head_dim), contiguous
            k_ptr, v_ptr,  # (batch, kv_heads, kv_len, head_dim), contiguous
            out_ptr,  # (batch, q_heads, head_dim)
            n_q_heads, n_kv_heads, group, kv_len, head_dim, sm_scale,
            BLOCK_N: tl.constexpr,  # keys per step
            BLOCK_D: tl.constexpr,  # head_dim padded to a power of two
        ):
            pid = tl.program_id(axis=0)  # one (sequence, query head)
            batch = pid // n_q_heads
            kv_head = (pid % n_q_heads) // group
            dims = tl.arange(0, BLOCK_D)
            dim_ok = dims < head_dim
            q = tl.load(q_ptr + pid * head_dim + dims, mask=dim_ok, other=0.0).to(tl.float32)
            kv_base = (batch * n_kv_heads + kv_head) * kv_len * head_dim
            m = float("-inf")  # running maximum score
            l = 0.0  # running sum of exp(score - m)
            acc = tl.zeros([BLOCK_D], dtype=tl.float32)
            for start in range(0, kv_len, BLOCK_N):
                keys = start + tl.arange(0, BLOCK_N)
                ok = (keys[:, None] < kv_len) & dim_ok[None, :]
                offsets = kv_base + keys[:, None] * head_dim + dims[None, :]
                k = tl.load(k_ptr + offsets, mask=ok, other=0.0).to(tl.float32)
                s = tl.sum(k * q[None, :], axis=1) * sm_scale
                s = tl.where(keys < kv_len, s, float("-inf"))
                m_new = tl.maximum(m, tl.max(s, axis=0))  # finite: every block holds a real key
                alpha = tl.exp(m - m_new)
                p = tl.exp(s - m_new)
                v = tl.load(v_ptr + offsets, mask=ok, other=0.0).to(tl.float32)
                acc = acc * alpha + tl.sum(p[:, None] * v, axis=0)
                l = l * alpha + tl.sum(p, axis=0)
                m = m_new
            tl.store(out_ptr + pid * head_dim + dims, (acc / l).to(out_ptr.dtype.element_ty), mask=dim_ok)
        """)
    launcher = fill("""
        def decode_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
            assert q.dim() == 3 and k.dim() == 4 and k.shape == v.shape, "q (b, q_heads, d), k and v (b, kv_heads, len, d)"
            assert q.shape[1] % k.shape[1] == 0, "query heads must be a multiple of key/value heads"
            q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
            batch, n_q_heads, head_dim = q.shape
            out = torch.empty_like(q)
            grid = (batch * n_q_heads,)
            decode_attention_kernel[grid](q, k, v, out, n_q_heads, k.shape[1], n_q_heads // k.shape[1], k.shape[2], head_dim, head_dim ** -0.5, BLOCK_N=<<n>>, BLOCK_D=<<d>>, num_warps=<<w>>)
            return out
        """, n=block_n, d=block_d, w=warps)
    return Built((kernel, launcher), {"BLOCK_N": block_n, "BLOCK_D": block_d, "num_warps": warps},
                 f"One program per (sequence, query head) streams the cache in blocks of {block_n} keys with an "
                 "online softmax, reading the shared key/value head in place.", "q, k, v", "decode_attention(q, k, v)")



def _decode_split(dims, rng: random.Random, dtype: str) -> Built:
    """Split-KV decode (flash-decoding): the cache of each (sequence, query head) is cut into up to NUM_SPLITS
    chunks of whole key blocks, one program each, each writing its running maximum, sum and unnormalised
    output; a second kernel merges the chunks. Parallel over the cache when batch x heads is small."""
    block_d = next_power_of_2(dims["head_dim"])
    block_n = rng.choice([n for n in (16, 32, 64) if n * block_d <= 8192] or [16])
    splits = rng.choice((2, 4, 8))
    warps = launch_warps(rng, block_n * block_d)
    kernel = fill("""
        @triton.jit
        def decode_split_kernel(
            q_ptr,  # (batch, q_heads, head_dim), contiguous
            k_ptr, v_ptr,  # (batch, kv_heads, kv_len, head_dim), contiguous
            m_ptr, l_ptr,  # (batch * q_heads, n_splits) fp32 running maximum and sum of each chunk
            acc_ptr,  # (batch * q_heads, n_splits, head_dim) fp32 unnormalised output of each chunk
            n_q_heads, n_kv_heads, group, kv_len, head_dim, sm_scale, chunk, n_splits,
            BLOCK_N: tl.constexpr,  # keys per step
            BLOCK_D: tl.constexpr,  # head_dim padded to a power of two
        ):
            pid = tl.program_id(axis=0)  # one (sequence, query head)
            split = tl.program_id(axis=1)  # one chunk of its keys
            batch = pid // n_q_heads
            kv_head = (pid % n_q_heads) // group
            dims = tl.arange(0, BLOCK_D)
            dim_ok = dims < head_dim
            q = tl.load(q_ptr + pid * head_dim + dims, mask=dim_ok, other=0.0).to(tl.float32)
            kv_base = (batch * n_kv_heads + kv_head) * kv_len * head_dim
            key_start = split * chunk
            key_end = tl.minimum(key_start + chunk, kv_len)
            m = float("-inf")
            l = 0.0
            acc = tl.zeros([BLOCK_D], dtype=tl.float32)
            for start in range(key_start, key_end, BLOCK_N):
                keys = start + tl.arange(0, BLOCK_N)
                ok = (keys[:, None] < key_end) & dim_ok[None, :]
                offsets = kv_base + keys[:, None] * head_dim + dims[None, :]
                k = tl.load(k_ptr + offsets, mask=ok, other=0.0).to(tl.float32)
                s = tl.sum(k * q[None, :], axis=1) * sm_scale
                s = tl.where(keys < key_end, s, float("-inf"))
                m_new = tl.maximum(m, tl.max(s, axis=0))  # finite: every chunk and block holds a real key
                alpha = tl.exp(m - m_new)
                p = tl.exp(s - m_new)
                v = tl.load(v_ptr + offsets, mask=ok, other=0.0).to(tl.float32)
                acc = acc * alpha + tl.sum(p[:, None] * v, axis=0)
                l = l * alpha + tl.sum(p, axis=0)
                m = m_new
            part = pid * n_splits + split
            tl.store(m_ptr + part, m)
            tl.store(l_ptr + part, l)
            tl.store(acc_ptr + part * head_dim + dims, acc, mask=dim_ok)


        @triton.jit
        def decode_merge_kernel(
            m_ptr, l_ptr, acc_ptr,  # the chunks' partial results
            out_ptr,  # (batch, q_heads, head_dim)
            n_splits, head_dim,
            BLOCK_S: tl.constexpr,  # chunks padded to a power of two
            BLOCK_D: tl.constexpr,
        ):
            pid = tl.program_id(axis=0)
            parts = tl.arange(0, BLOCK_S)
            part_ok = parts < n_splits
            dims = tl.arange(0, BLOCK_D)
            dim_ok = dims < head_dim
            m = tl.load(m_ptr + pid * n_splits + parts, mask=part_ok, other=float("-inf"))
            l = tl.load(l_ptr + pid * n_splits + parts, mask=part_ok, other=0.0)
            acc = tl.load(acc_ptr + (pid * n_splits + parts)[:, None] * head_dim + dims[None, :],
                          mask=part_ok[:, None] & dim_ok[None, :], other=0.0)
            # Rescale every chunk to the overall maximum; padding chunks weigh exp(-inf) = 0.
            scale = tl.exp(m - tl.max(m, axis=0))
            total = tl.sum(l * scale, axis=0)
            out = tl.sum(acc * scale[:, None], axis=0) / total
            tl.store(out_ptr + pid * head_dim + dims, out.to(out_ptr.dtype.element_ty), mask=dim_ok)
        """)
    launcher = fill("""
        def decode_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
            assert q.dim() == 3 and k.dim() == 4 and k.shape == v.shape, "q (b, q_heads, d), k and v (b, kv_heads, len, d)"
            assert q.shape[1] % k.shape[1] == 0, "query heads must be a multiple of key/value heads"
            q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
            batch, n_q_heads, head_dim = q.shape
            kv_len = k.shape[2]
            # Chunks of whole key blocks, at most <<splits>> of them, none empty.
            chunk = <<n>> * triton.cdiv(triton.cdiv(kv_len, <<n>>), <<splits>>)
            n_splits = triton.cdiv(kv_len, chunk)
            m = torch.empty((batch * n_q_heads, n_splits), device=q.device, dtype=torch.float32)
            l = torch.empty_like(m)
            acc = torch.empty((batch * n_q_heads, n_splits, head_dim), device=q.device, dtype=torch.float32)
            decode_split_kernel[(batch * n_q_heads, n_splits)](q, k, v, m, l, acc, n_q_heads, k.shape[1], n_q_heads // k.shape[1], kv_len, head_dim, head_dim ** -0.5, chunk, n_splits, BLOCK_N=<<n>>, BLOCK_D=<<d>>, num_warps=<<w>>)
            out = torch.empty_like(q)
            decode_merge_kernel[(batch * n_q_heads,)](m, l, acc, out, n_splits, head_dim, BLOCK_S=<<s>>, BLOCK_D=<<d>>)
            return out
        """, n=block_n, d=block_d, w=warps, splits=splits, s=next_power_of_2(splits))
    return Built((kernel, launcher), {"BLOCK_N": block_n, "BLOCK_D": block_d, "NUM_SPLITS": splits, "num_warps": warps},
                 f"The cache of each (sequence, query head) is split into up to {splits} chunks, one program each, "
                 f"streaming blocks of {block_n} keys with an online softmax; a second kernel merges the chunks.",
                 "q, k, v", "decode_attention(q, k, v)")


def _varlen(dims, rng: random.Random, dtype: str) -> Built:
    block_d = max(next_power_of_2(dims["head_dim"]), 16)
    block = rng.choice((16, 32))
    warps = rng.choice((1, 2, 4))
    pv = ("acc += tl.dot(p, v, input_precision=\"ieee\")" if dtype == "float32"
          else "acc += tl.dot(p.to(v.dtype), v)")
    scores = ("s = tl.dot(q, k, input_precision=\"ieee\") * sm_scale" if dtype == "float32"
              else "s = tl.dot(q, k).to(tl.float32) * sm_scale")
    kernel = fill("""
        @triton.jit
        def varlen_attention_kernel(
            q_ptr, k_ptr, v_ptr, out_ptr,  # (tokens, heads, head_dim), contiguous
            cu_seqlens_ptr,  # (seqs + 1,) int64 sequence bounds
            n_heads, head_dim, sm_scale,
            BLOCK_M: tl.constexpr,  # queries per program
            BLOCK_N: tl.constexpr,  # keys per step
            BLOCK_D: tl.constexpr,  # head_dim padded to a power of two >= 16
        ):
            seq = tl.program_id(axis=0)
            head = tl.program_id(axis=1)
            block_m = tl.program_id(axis=2)
            start = tl.load(cu_seqlens_ptr + seq)
            end = tl.load(cu_seqlens_ptr + seq + 1)
            first = start + block_m * BLOCK_M
            if first < end:  # programs past this sequence's end have nothing to do
                rows = first + tl.arange(0, BLOCK_M)
                dims = tl.arange(0, BLOCK_D)
                row_stride = n_heads * head_dim
                q = tl.load(q_ptr + rows[:, None] * row_stride + head * head_dim + dims[None, :],
                            mask=(rows[:, None] < end) & (dims[None, :] < head_dim), other=0.0)
                m_i = tl.full([BLOCK_M], float("-inf"), tl.float32)
                l_i = tl.zeros([BLOCK_M], dtype=tl.float32)
                acc = tl.zeros([BLOCK_M, BLOCK_D], dtype=tl.float32)
                # Causal: keys from the sequence's start up to the last query of this block.
                key_end = tl.minimum(end, first + BLOCK_M)
                for key_start in range(start, key_end, BLOCK_N):
                    cols = key_start + tl.arange(0, BLOCK_N)
                    k = tl.load(k_ptr + cols[None, :] * row_stride + head * head_dim + dims[:, None],
                                mask=(cols[None, :] < key_end) & (dims[:, None] < head_dim), other=0.0)
                    <<scores>>
                    visible = (cols[None, :] <= rows[:, None]) & (cols[None, :] < key_end)
                    s = tl.where(visible, s, float("-inf"))
                    # Each real query sees its own key, so m_new is finite on its row from its first block.
                    m_new = tl.maximum(m_i, tl.max(s, axis=1))
                    m_safe = tl.where(m_new == float("-inf"), 0.0, m_new)
                    alpha = tl.exp(m_i - m_safe)
                    p = tl.exp(s - m_safe[:, None])
                    l_i = l_i * alpha + tl.sum(p, axis=1)
                    v = tl.load(v_ptr + cols[:, None] * row_stride + head * head_dim + dims[None, :],
                                mask=(cols[:, None] < key_end) & (dims[None, :] < head_dim), other=0.0)
                    acc = acc * alpha[:, None]
                    <<pv>>
                    m_i = m_new
                l_safe = tl.where(l_i == 0.0, 1.0, l_i)  # padding rows only
                tl.store(out_ptr + rows[:, None] * row_stride + head * head_dim + dims[None, :],
                         (acc / l_safe[:, None]).to(out_ptr.dtype.element_ty),
                         mask=(rows[:, None] < end) & (dims[None, :] < head_dim))
        """, scores=scores, pv=pv)
    launcher = fill("""
        def varlen_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, cu_seqlens: torch.Tensor) -> torch.Tensor:
            assert q.dim() == 3 and q.shape == k.shape == v.shape, "q, k, v (tokens, heads, head_dim)"
            q, k, v, cu_seqlens = q.contiguous(), k.contiguous(), v.contiguous(), cu_seqlens.contiguous()
            n_tokens, n_heads, head_dim = q.shape
            # Every row belongs to a sequence, and the reference's rows outside all sequences are zero:
            # zero-filled output keeps that true for empty inputs too.
            out = torch.zeros_like(q)
            # Sized for the longest possible sequence (all tokens): no host read of cu_seqlens.
            grid = (cu_seqlens.numel() - 1, n_heads, triton.cdiv(n_tokens, <<m>>))
            varlen_attention_kernel[grid](q, k, v, out, cu_seqlens, n_heads, head_dim, head_dim ** -0.5, BLOCK_M=<<m>>, BLOCK_N=<<m>>, BLOCK_D=<<d>>, num_warps=<<w>>)
            return out
        """, m=block, d=block_d, w=warps)
    return Built((kernel, launcher), {"BLOCK_M": block, "BLOCK_N": block, "BLOCK_D": block_d, "num_warps": warps},
                 f"Each program takes {block} queries of one sequence and head, reads the sequence's bounds from "
                 "cu_seqlens, and runs a causal online softmax over its keys.", "q, k, v, cu_seqlens",
                 "varlen_attention(q, k, v, cu_seqlens)")



def _varlen_seq_loop(dims, rng: random.Random, dtype: str) -> Built:
    """Variable-length attention with one program per (sequence, head) that walks its sequence's query
    blocks in turn: the grid is exactly sequences x heads, with no idle programs past a short sequence's end."""
    block_d = max(next_power_of_2(dims["head_dim"]), 16)
    block = rng.choice((16, 32))
    warps = rng.choice((1, 2, 4))
    pv = ("acc += tl.dot(p, v, input_precision=\"ieee\")" if dtype == "float32"
          else "acc += tl.dot(p.to(v.dtype), v)")
    scores = ("s = tl.dot(q, k, input_precision=\"ieee\") * sm_scale" if dtype == "float32"
              else "s = tl.dot(q, k).to(tl.float32) * sm_scale")
    kernel = fill("""
        @triton.jit
        def varlen_attention_seq_kernel(
            q_ptr, k_ptr, v_ptr, out_ptr,  # (tokens, heads, head_dim), contiguous
            cu_seqlens_ptr,  # (seqs + 1,) int64 sequence bounds
            n_heads, head_dim, sm_scale,
            BLOCK_M: tl.constexpr,  # queries per step
            BLOCK_N: tl.constexpr,  # keys per step
            BLOCK_D: tl.constexpr,  # head_dim padded to a power of two >= 16
        ):
            seq = tl.program_id(axis=0)
            head = tl.program_id(axis=1)
            start = tl.load(cu_seqlens_ptr + seq)
            end = tl.load(cu_seqlens_ptr + seq + 1)
            dims = tl.arange(0, BLOCK_D)
            row_stride = n_heads * head_dim
            # This sequence's query blocks in turn; each is a causal online softmax over its keys.
            for first in range(start, end, BLOCK_M):
                rows = first + tl.arange(0, BLOCK_M)
                q = tl.load(q_ptr + rows[:, None] * row_stride + head * head_dim + dims[None, :],
                            mask=(rows[:, None] < end) & (dims[None, :] < head_dim), other=0.0)
                m_i = tl.full([BLOCK_M], float("-inf"), tl.float32)
                l_i = tl.zeros([BLOCK_M], dtype=tl.float32)
                acc = tl.zeros([BLOCK_M, BLOCK_D], dtype=tl.float32)
                key_end = tl.minimum(end, first + BLOCK_M)  # causal: no key past the block's last query
                for key_start in range(start, key_end, BLOCK_N):
                    cols = key_start + tl.arange(0, BLOCK_N)
                    k = tl.load(k_ptr + cols[None, :] * row_stride + head * head_dim + dims[:, None],
                                mask=(cols[None, :] < key_end) & (dims[:, None] < head_dim), other=0.0)
                    <<scores>>
                    visible = (cols[None, :] <= rows[:, None]) & (cols[None, :] < key_end)
                    s = tl.where(visible, s, float("-inf"))
                    m_new = tl.maximum(m_i, tl.max(s, axis=1))
                    m_safe = tl.where(m_new == float("-inf"), 0.0, m_new)  # padding rows only
                    alpha = tl.exp(m_i - m_safe)
                    p = tl.exp(s - m_safe[:, None])
                    l_i = l_i * alpha + tl.sum(p, axis=1)
                    v = tl.load(v_ptr + cols[:, None] * row_stride + head * head_dim + dims[None, :],
                                mask=(cols[:, None] < key_end) & (dims[None, :] < head_dim), other=0.0)
                    acc = acc * alpha[:, None]
                    <<pv>>
                    m_i = m_new
                l_safe = tl.where(l_i == 0.0, 1.0, l_i)
                tl.store(out_ptr + rows[:, None] * row_stride + head * head_dim + dims[None, :],
                         (acc / l_safe[:, None]).to(out_ptr.dtype.element_ty),
                         mask=(rows[:, None] < end) & (dims[None, :] < head_dim))
        """, scores=scores, pv=pv)
    launcher = fill("""
        def varlen_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, cu_seqlens: torch.Tensor) -> torch.Tensor:
            assert q.dim() == 3 and q.shape == k.shape == v.shape, "q, k, v (tokens, heads, head_dim)"
            q, k, v, cu_seqlens = q.contiguous(), k.contiguous(), v.contiguous(), cu_seqlens.contiguous()
            n_tokens, n_heads, head_dim = q.shape
            # Rows outside every sequence are zero in the reference: zero-filled output keeps them so.
            out = torch.zeros_like(q)
            grid = (cu_seqlens.numel() - 1, n_heads)
            varlen_attention_seq_kernel[grid](q, k, v, out, cu_seqlens, n_heads, head_dim, head_dim ** -0.5, BLOCK_M=<<m>>, BLOCK_N=<<m>>, BLOCK_D=<<d>>, num_warps=<<w>>)
            return out
        """, m=block, d=block_d, w=warps)
    return Built((kernel, launcher), {"BLOCK_M": block, "BLOCK_N": block, "BLOCK_D": block_d, "num_warps": warps},
                 f"One program per (sequence, head) reads the sequence's bounds from cu_seqlens and walks its queries "
                 f"in blocks of {block}, each with a causal online softmax over its keys.", "q, k, v, cu_seqlens",
                 "varlen_attention(q, k, v, cu_seqlens)")


def _append(dims, rng: random.Random, dtype: str) -> Built:
    block = rng.choice((128, 256, 512, 1024))
    warps = launch_warps(rng, block)
    kernel = fill("""
        @triton.jit
        def copy_kernel(src_ptr, dst_ptr, n, BLOCK_SIZE: tl.constexpr):
            offsets = tl.program_id(axis=0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
            valid = offsets < n
            tl.store(dst_ptr + offsets, tl.load(src_ptr + offsets, mask=valid), mask=valid)


        @triton.jit
        def write_slots_kernel(
            key_ptr,  # (tokens, kv_heads * head_dim), contiguous
            slot_ptr,  # (tokens,) int64 distinct slots
            cache_ptr,  # (slots, kv_heads * head_dim), contiguous
            row_size,
            BLOCK_SIZE: tl.constexpr,
        ):
            token = tl.program_id(axis=0)
            cols = tl.program_id(axis=1) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
            valid = cols < row_size
            slot = tl.load(slot_ptr + token)  # int64
            tl.store(cache_ptr + slot * row_size + cols, tl.load(key_ptr + token * row_size + cols, mask=valid), mask=valid)
        """)
    launcher = fill("""
        def kv_cache_append(cache: torch.Tensor, key: torch.Tensor, slot_mapping: torch.Tensor) -> torch.Tensor:
            assert cache.dim() == 4 and key.shape == (slot_mapping.shape[0],) + cache.shape[2:], "cache (blocks, block_size, kv_heads, d), key (tokens, kv_heads, d)"
            cache, key, slot_mapping = cache.contiguous(), key.contiguous(), slot_mapping.contiguous()
            out = torch.empty_like(cache)
            copy_kernel[(triton.cdiv(cache.numel(), <<b>>),)](cache, out, cache.numel(), BLOCK_SIZE=<<b>>, num_warps=<<w>>)
            row_size = cache.shape[2] * cache.shape[3]
            # Launched after the copy on the same stream: the new keys land on top of it.
            write_slots_kernel[(key.shape[0], triton.cdiv(row_size, <<b>>))](key, slot_mapping, out, row_size, BLOCK_SIZE=<<b>>, num_warps=<<w>>)
            return out
        """, b=block, w=warps)
    return Built((kernel, launcher), {"BLOCK_SIZE": block, "num_warps": warps},
                 "One kernel copies the cache; a second writes each new key row to its slot.",
                 "cache, key, slot_mapping", "kv_cache_append(cache, key, slot_mapping)")



def _append_by_slot(dims, rng: random.Random, dtype: str) -> Built:
    """The append written once per output element: a small kernel records which token (if any) each slot
    receives, then 2-D tiles of slots read either that token's key row or the cache's own row."""
    block_n = rng.choice((32, 64, 128, 256))
    block_m = rng.choice([m for m in (1, 2, 4, 8, 16) if m * block_n <= 2048])
    warps = launch_warps(rng, block_m * block_n)
    kernel = fill("""
        @triton.jit
        def slot_owner_kernel(slot_ptr, owner_ptr, n_tokens, BLOCK_SIZE: tl.constexpr):
            # owner[slot_mapping[t]] = t; slots are distinct, so no two tokens write one entry.
            tokens = tl.program_id(axis=0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
            valid = tokens < n_tokens
            slots = tl.load(slot_ptr + tokens, mask=valid, other=0)  # int64
            tl.store(owner_ptr + slots, tokens.to(tl.int64), mask=valid)


        @triton.jit
        def append_rows_kernel(
            cache_ptr,  # (slots, kv_heads * head_dim), contiguous
            key_ptr,  # (tokens, kv_heads * head_dim), contiguous
            owner_ptr,  # (slots,) int64 token written to each slot, -1 for none
            out_ptr,  # (slots, kv_heads * head_dim)
            n_slots, row_size,
            BLOCK_M: tl.constexpr,  # slots per program
            BLOCK_N: tl.constexpr,  # elements of a row per program
        ):
            slots = tl.program_id(axis=0) * BLOCK_M + tl.arange(0, BLOCK_M)
            cols = tl.program_id(axis=1) * BLOCK_N + tl.arange(0, BLOCK_N)
            slot_ok = slots < n_slots
            owner = tl.load(owner_ptr + slots, mask=slot_ok, other=-1)
            valid = slot_ok[:, None] & (cols[None, :] < row_size)
            new = owner[:, None] >= 0
            kept = owner[:, None] < 0
            old_values = tl.load(cache_ptr + slots[:, None] * row_size + cols[None, :], mask=valid & kept)
            new_values = tl.load(key_ptr + owner[:, None] * row_size + cols[None, :], mask=valid & new)
            tl.store(out_ptr + slots[:, None] * row_size + cols[None, :], tl.where(new, new_values, old_values), mask=valid)
        """)
    launcher = fill("""
        def kv_cache_append(cache: torch.Tensor, key: torch.Tensor, slot_mapping: torch.Tensor) -> torch.Tensor:
            assert cache.dim() == 4 and key.shape == (slot_mapping.shape[0],) + cache.shape[2:], "cache (blocks, block_size, kv_heads, d), key (tokens, kv_heads, d)"
            cache, key, slot_mapping = cache.contiguous(), key.contiguous(), slot_mapping.contiguous()
            n_slots, row_size = cache.shape[0] * cache.shape[1], cache.shape[2] * cache.shape[3]
            owner = torch.full((n_slots,), -1, device=cache.device, dtype=torch.int64)
            n_tokens = slot_mapping.shape[0]
            slot_owner_kernel[(triton.cdiv(n_tokens, 128),)](slot_mapping, owner, n_tokens, BLOCK_SIZE=128)
            out = torch.empty_like(cache)
            grid = (triton.cdiv(n_slots, <<m>>), triton.cdiv(row_size, <<n>>))
            append_rows_kernel[grid](cache, key, owner, out, n_slots, row_size, BLOCK_M=<<m>>, BLOCK_N=<<n>>, num_warps=<<w>>)
            return out
        """, m=block_m, n=block_n, w=warps)
    return Built((kernel, launcher), {"BLOCK_M": block_m, "BLOCK_N": block_n, "num_warps": warps},
                 f"A small kernel records which token each slot receives; then each program writes a {block_m}x{block_n} "
                 "tile of slots once, from the new key row or from the cache.",
                 "cache, key, slot_mapping", "kv_cache_append(cache, key, slot_mapping)")


def _gather(dims, rng: random.Random, dtype: str) -> Built:
    block_n = rng.choice((32, 64, 128, 256))
    block_m = rng.choice([m for m in (1, 2, 4, 8) if m * block_n <= 1024])
    warps = launch_warps(rng, block_m * block_n)
    kernel = fill("""
        @triton.jit
        def paged_gather_kernel(
            cache_ptr,  # (num_blocks * block_size, row_size), contiguous
            table_ptr,  # (batch, blocks_per_seq) int64 page numbers, contiguous
            out_ptr,  # (batch * blocks_per_seq * block_size, row_size)
            n_rows, row_size, block_size, blocks_per_seq,
            BLOCK_M: tl.constexpr,  # output rows (slots) per program
            BLOCK_N: tl.constexpr,  # elements of a row per program
        ):
            rows = tl.program_id(axis=0) * BLOCK_M + tl.arange(0, BLOCK_M)
            cols = tl.program_id(axis=1) * BLOCK_N + tl.arange(0, BLOCK_N)
            row_ok = rows < n_rows
            page_of_row = rows // block_size  # which (sequence, page) entry of the block table
            page = tl.load(table_ptr + page_of_row, mask=row_ok, other=0)  # int64
            src = page * block_size + rows % block_size
            valid = row_ok[:, None] & (cols[None, :] < row_size)
            values = tl.load(cache_ptr + src[:, None] * row_size + cols[None, :], mask=valid)
            tl.store(out_ptr + rows[:, None] * row_size + cols[None, :], values, mask=valid)
        """)
    launcher = fill("""
        def paged_kv_gather(cache: torch.Tensor, block_table: torch.Tensor) -> torch.Tensor:
            assert cache.dim() == 4 and block_table.dim() == 2, "cache (blocks, block_size, kv_heads, d), block_table (batch, pages)"
            cache, block_table = cache.contiguous(), block_table.contiguous()
            batch, pages = block_table.shape
            block_size, row_size = cache.shape[1], cache.shape[2] * cache.shape[3]
            out = torch.empty((batch, pages * block_size, cache.shape[2], cache.shape[3]), device=cache.device, dtype=cache.dtype)
            n_rows = batch * pages * block_size
            grid = (triton.cdiv(n_rows, <<m>>), triton.cdiv(row_size, <<n>>))
            paged_gather_kernel[grid](cache, block_table, out, n_rows, row_size, block_size, pages, BLOCK_M=<<m>>, BLOCK_N=<<n>>, num_warps=<<w>>)
            return out
        """, m=block_m, n=block_n, w=warps)
    return Built((kernel, launcher), {"BLOCK_M": block_m, "BLOCK_N": block_n, "num_warps": warps},
                 f"Each program copies a {block_m}x{block_n} tile of slots, each slot's page read from the block table.",
                 "cache, block_table", "paged_kv_gather(cache, block_table)")



def _gather_by_page(dims, rng: random.Random, dtype: str) -> Built:
    """The paged gather with one program per (block-table entry, column block): the page number is read once
    and the page's rows are copied in tiles of BLOCK_M slots."""
    block_n = rng.choice((32, 64, 128, 256))
    block_m = rng.choice([m for m in (1, 2, 4, 8, 16) if m * block_n <= 2048])
    warps = launch_warps(rng, block_m * block_n)
    kernel = fill("""
        @triton.jit
        def paged_gather_page_kernel(
            cache_ptr,  # (num_blocks * block_size, row_size), contiguous
            table_ptr,  # (batch * blocks_per_seq,) int64 page numbers, contiguous
            out_ptr,  # (batch * blocks_per_seq * block_size, row_size)
            row_size, block_size,
            BLOCK_M: tl.constexpr,  # slots of the page per step
            BLOCK_N: tl.constexpr,  # elements of a row per program
        ):
            entry = tl.program_id(axis=0)  # one (sequence, page) entry of the block table
            cols = tl.program_id(axis=1) * BLOCK_N + tl.arange(0, BLOCK_N)
            page = tl.load(table_ptr + entry)  # int64, read once for the whole page
            for first in range(0, block_size, BLOCK_M):
                slot = first + tl.arange(0, BLOCK_M)
                rows = entry * block_size + slot  # output rows
                src = page * block_size + rows % block_size
                valid = (slot[:, None] < block_size) & (cols[None, :] < row_size)
                values = tl.load(cache_ptr + src[:, None] * row_size + cols[None, :], mask=valid)
                tl.store(out_ptr + rows[:, None] * row_size + cols[None, :], values, mask=valid)
        """)
    launcher = fill("""
        def paged_kv_gather(cache: torch.Tensor, block_table: torch.Tensor) -> torch.Tensor:
            assert cache.dim() == 4 and block_table.dim() == 2, "cache (blocks, block_size, kv_heads, d), block_table (batch, pages)"
            cache, block_table = cache.contiguous(), block_table.contiguous()
            batch, pages = block_table.shape
            block_size, row_size = cache.shape[1], cache.shape[2] * cache.shape[3]
            out = torch.empty((batch, pages * block_size, cache.shape[2], cache.shape[3]), device=cache.device, dtype=cache.dtype)
            grid = (batch * pages, triton.cdiv(row_size, <<n>>))
            paged_gather_page_kernel[grid](cache, block_table, out, row_size, block_size, BLOCK_M=<<m>>, BLOCK_N=<<n>>, num_warps=<<w>>)
            return out
        """, m=block_m, n=block_n, w=warps)
    return Built((kernel, launcher), {"BLOCK_M": block_m, "BLOCK_N": block_n, "num_warps": warps},
                 f"One program per block-table entry reads its page number once and copies the page's rows in "
                 f"{block_m}x{block_n} tiles.", "cache, block_table", "paged_kv_gather(cache, block_table)")


_FLAWS = {
    "decode_attention": (
        Sub("gqa_head_interleaved", (("kv_head = (pid % n_q_heads) // group", "kv_head = (pid % n_q_heads) % n_kv_heads"),),
            lambda dims, s: dims["group"] > 1 and dims["kv_heads"] > 1),
        Sub("unscaled_scores", (("s = tl.sum(k * q[None, :], axis=1) * sm_scale", "s = tl.sum(k * q[None, :], axis=1)"),),
            lambda dims, s: dims["head_dim"] > 1),
    ),
    "varlen_attention": (Sub("missing_causal_mask", (("visible = (cols[None, :] <= rows[:, None]) & (cols[None, :] < key_end)",
                                                      "visible = cols[None, :] < key_end"),)),),
    "kv_cache_append": (Sub("append_in_place", (("](key, slot_mapping, out, row_size", "](key, slot_mapping, cache, row_size"),)),),
    "paged_kv_gather": (Sub("page_without_stride", (("src = page * block_size + rows % block_size",
                                                     "src = page + rows % block_size"),),
                            lambda dims, s: dims["block_size"] > 1),),
}

# Two structures per op (issue 17); a flaw is drawn in whichever structure holds its edited text.
GROUPS = (group("kvcache", {
    "decode_attention": {"program_per_head": _decode, "split_kv": _decode_split},
    "varlen_attention": {"query_block_grid": _varlen, "sequence_loop": _varlen_seq_loop},
    "kv_cache_append": {"copy_then_write": _append, "by_slot": _append_by_slot},
    "paged_kv_gather": {"slot_tiles": _gather, "by_page": _gather_by_page},
}, flaws=_FLAWS),)
