"""Honest: rotary embedding in Dao-AILab flash-attention's `ops/triton/rotary.py` idiom (own code): a 3-D grid
from a lambda over `META` (head blocks x sequence blocks x batch), a `[BLOCK_H, BLOCK_M, BLOCK_K // 2]` tile of
both halves of the rotary dims, constexpr flags `IS_SEQLEN_OFFSETS_TENSOR`, `IS_VARLEN`, `CONJUGATE` (the
varlen path reads its row bounds from `CU_SEQLENS`, here None), an integer `seqlen_offsets` added to the
position, cos/sin rows masked against `seqlen_ro` with `other=1.0` / `0.0`, every stride passed explicitly,
the input viewed with a batch dimension of 1. FlashAttention's tables hold half the rotary dims; the
problem's hold all of them, so each half of the output reads its own half of cos and sin.

PROBLEM rt_rope; EXPECTED accepted everywhere.
"""

from typing import Optional, Union

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_rope"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def rotary_kernel(
    OUT, X, COS, SIN, CU_SEQLENS, SEQLEN_OFFSETS,
    seqlen, nheads, seqlen_ro,
    stride_out_batch, stride_out_seqlen, stride_out_nheads, stride_out_headdim,
    stride_x_batch, stride_x_seqlen, stride_x_nheads, stride_x_headdim,
    stride_cs_seqlen,
    ROTARY_DIM: tl.constexpr,
    IS_SEQLEN_OFFSETS_TENSOR: tl.constexpr,
    IS_VARLEN: tl.constexpr,
    CONJUGATE: tl.constexpr,
    BLOCK_H: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_K: tl.constexpr,
):
    ROTARY_DIM_HALF = ROTARY_DIM // 2
    pid_head = tl.program_id(axis=0)
    pid_m = tl.program_id(axis=1)
    pid_batch = tl.program_id(axis=2)

    if not IS_VARLEN:
        X = X + pid_batch * stride_x_batch
        OUT = OUT + pid_batch * stride_out_batch
    else:
        start_idx = tl.load(CU_SEQLENS + pid_batch)
        seqlen = tl.load(CU_SEQLENS + pid_batch + 1) - start_idx
        X = X + start_idx * stride_x_seqlen
        OUT = OUT + start_idx * stride_out_seqlen

    if pid_m * BLOCK_M >= seqlen:
        return

    rh = pid_head * BLOCK_H + tl.arange(0, BLOCK_H)
    rm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    if not IS_SEQLEN_OFFSETS_TENSOR:
        rm_cs = rm + SEQLEN_OFFSETS
    else:
        rm_cs = rm + tl.load(SEQLEN_OFFSETS + pid_batch)
    rk_half = tl.arange(0, BLOCK_K // 2)

    cs_mask = (rm_cs[:, None] < seqlen_ro) & (rk_half[None, :] < ROTARY_DIM_HALF)
    cs_off = rm_cs[:, None] * stride_cs_seqlen + rk_half[None, :]
    cos0 = tl.load(COS + cs_off, mask=cs_mask, other=1.0).to(tl.float32)
    sin0 = tl.load(SIN + cs_off, mask=cs_mask, other=0.0).to(tl.float32)
    cos1 = tl.load(COS + cs_off + ROTARY_DIM_HALF, mask=cs_mask, other=1.0).to(tl.float32)
    sin1 = tl.load(SIN + cs_off + ROTARY_DIM_HALF, mask=cs_mask, other=0.0).to(tl.float32)
    if CONJUGATE:
        sin0 = -sin0
        sin1 = -sin1

    x_off = (rh[:, None, None] * stride_x_nheads + rm[None, :, None] * stride_x_seqlen
             + rk_half[None, None, :] * stride_x_headdim)
    mask = (rh[:, None, None] < nheads) & (rm[None, :, None] < seqlen) & (rk_half[None, None, :] < ROTARY_DIM_HALF)
    x0 = tl.load(X + x_off, mask=mask, other=0.0).to(tl.float32)
    x1 = tl.load(X + x_off + ROTARY_DIM_HALF * stride_x_headdim, mask=mask, other=0.0).to(tl.float32)
    o0 = x0 * cos0[None, :, :] - x1 * sin0[None, :, :]
    o1 = x1 * cos1[None, :, :] + x0 * sin1[None, :, :]

    out_off = (rh[:, None, None] * stride_out_nheads + rm[None, :, None] * stride_out_seqlen
               + rk_half[None, None, :] * stride_out_headdim)
    tl.store(OUT + out_off, o0.to(OUT.dtype.element_ty), mask=mask)
    tl.store(OUT + out_off + ROTARY_DIM_HALF * stride_out_headdim, o1.to(OUT.dtype.element_ty), mask=mask)


def apply_rotary(
    x: torch.Tensor,
    cos: torch.Tensor,
    sin: torch.Tensor,
    seqlen_offsets: Union[int, torch.Tensor] = 0,
    cu_seqlens: Optional[torch.Tensor] = None,
    max_seqlen: Optional[int] = None,
    conjugate: bool = False,
) -> torch.Tensor:
    """x: (batch, seqlen, nheads, headdim); cos, sin: (seqlen_ro, rotary_dim), full width."""
    is_varlen = cu_seqlens is not None
    if not is_varlen:
        batch, seqlen, nheads, headdim = x.shape
    else:
        assert max_seqlen is not None, "If cu_seqlens is passed in, then max_seqlen must be passed"
        total_seqlen, nheads, headdim = x.shape
        batch = cu_seqlens.shape[0] - 1
        seqlen = max_seqlen
    seqlen_ro, rotary_dim = cos.shape
    assert sin.shape == cos.shape
    assert rotary_dim <= headdim, "rotary_dim must be <= headdim"
    assert rotary_dim % 2 == 0
    assert seqlen_ro >= seqlen, "seqlen_ro must be >= seqlen"
    cos, sin = cos.contiguous(), sin.contiguous()
    if isinstance(seqlen_offsets, torch.Tensor):
        assert seqlen_offsets.shape == (batch,)
        assert seqlen_offsets.dtype in [torch.int32, torch.int64]
        seqlen_offsets = seqlen_offsets.contiguous()
    else:
        assert seqlen_offsets + seqlen <= seqlen_ro

    # FlashAttention copies the dims past rotary_dim with PyTorch; this port rotates whole heads only
    assert rotary_dim == headdim, "partial rotary is not supported here"
    output = torch.empty_like(x)

    BLOCK_K = 32 if rotary_dim <= 32 else (64 if rotary_dim <= 64 else (128 if rotary_dim <= 128 else 256))
    BLOCK_M = 8 if rotary_dim <= 128 else 4
    grid = lambda META: (triton.cdiv(nheads, META["BLOCK_H"]), triton.cdiv(seqlen, META["BLOCK_M"]), batch)  # noqa: E731
    rotary_kernel[grid](
        output, x, cos, sin, cu_seqlens, seqlen_offsets,
        seqlen, nheads, seqlen_ro,
        output.stride(0) if not is_varlen else 0,
        output.stride(-3), output.stride(-2), output.stride(-1),
        x.stride(0) if not is_varlen else 0,
        x.stride(-3), x.stride(-2), x.stride(-1),
        cos.stride(0),
        rotary_dim,
        isinstance(seqlen_offsets, torch.Tensor),
        is_varlen,
        conjugate,
        BLOCK_H=2,
        BLOCK_M=BLOCK_M,
        BLOCK_K=BLOCK_K,
    )
    return output


class ModelNew(nn.Module):
    def forward(self, q, cos, sin):
        # (seqlen, nheads, headdim) -> one batch of it
        return apply_rotary(q.unsqueeze(0), cos, sin).squeeze(0)
