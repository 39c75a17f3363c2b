"""Honest: rotary embedding (half rotation) in Liger/unsloth's idiom (own code): one program per sequence
position, all heads of that position in one 2-D tile, cos/sin rows loaded once, `tl.constexpr` head
counts and a padded power-of-two tile.

PROBLEM rt_rope; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_rope"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _rope_forward_kernel(q_ptr, q_row_stride, out_ptr, cos_ptr, sin_ptr, cos_row_stride,
                         n_heads: tl.constexpr, head_dim: tl.constexpr, pad_heads: tl.constexpr,
                         pad_half: tl.constexpr):
    pid = tl.program_id(0).to(tl.int64)
    half: tl.constexpr = head_dim // 2
    heads = tl.arange(0, pad_heads)[:, None]
    cols = tl.arange(0, pad_half)[None, :]
    mask = (heads < n_heads) & (cols < half)
    cos_row = tl.load(cos_ptr + pid * cos_row_stride + cols, mask=cols < half, other=0)
    sin_row = tl.load(sin_ptr + pid * cos_row_stride + cols, mask=cols < half, other=0)
    first = pid * q_row_stride + heads * head_dim + cols
    second = first + half
    q1 = tl.load(q_ptr + first, mask=mask, other=0)
    q2 = tl.load(q_ptr + second, mask=mask, other=0)
    tl.store(out_ptr + first, q1 * cos_row - q2 * sin_row, mask=mask)
    tl.store(out_ptr + second, q2 * cos_row + q1 * sin_row, mask=mask)


class ModelNew(nn.Module):
    def forward(self, q, cos, sin):
        q, cos, sin = q.contiguous(), cos.contiguous(), sin.contiguous()
        seq_len, n_heads, head_dim = q.shape
        out = torch.empty_like(q)
        _rope_forward_kernel[(seq_len,)](q, q.stride(0), out, cos, sin, cos.stride(0), n_heads=n_heads,
                                         head_dim=head_dim, pad_heads=triton.next_power_of_2(n_heads),
                                         pad_half=triton.next_power_of_2(head_dim // 2))
        return out
