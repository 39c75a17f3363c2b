"""Honest: half-rotation RoPE with Triton 3's shape ops (own code, the reshape/permute/`tl.split`/`tl.join`
idiom Triton 3 kernels use to unpack pairs, as openai/triton's triton_kernels do for packed activations):
each (position, head) row of the head dim is loaded whole, reshaped to (2, D/2), transposed and split into
its two halves, rotated, joined back and restored to the row's order.

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
def _rope_split_join_kernel(q_ptr, cos_ptr, sin_ptr, out_ptr, n_heads, stride_qs, stride_qh, stride_cs,
                            HEAD_DIM: tl.constexpr):
    HALF: tl.constexpr = HEAD_DIM // 2
    pid = tl.program_id(0)
    s = pid // n_heads
    h = pid % n_heads
    d = tl.arange(0, HEAD_DIM)
    q = tl.load(q_ptr + s * stride_qs + h * stride_qh + d)
    c = tl.load(cos_ptr + s * stride_cs + d)
    sn = tl.load(sin_ptr + s * stride_cs + d)
    q1, q2 = tl.split(tl.permute(tl.reshape(q, (2, HALF)), (1, 0)))
    c1, c2 = tl.split(tl.permute(tl.reshape(c, (2, HALF)), (1, 0)))
    s1, s2 = tl.split(tl.permute(tl.reshape(sn, (2, HALF)), (1, 0)))
    o1 = q1 * c1 - q2 * s1
    o2 = q2 * c2 + q1 * s2
    out = tl.reshape(tl.permute(tl.join(o1, o2), (1, 0)), (HEAD_DIM,))
    tl.store(out_ptr + s * stride_qs + h * stride_qh + d, out)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q, cos, sin):
        q, cos, sin = q.contiguous(), cos.contiguous(), sin.contiguous()
        seq, heads, head_dim = q.shape
        assert head_dim == triton.next_power_of_2(head_dim), f"head dim {head_dim} must be a power of two"
        out = torch.empty_like(q)
        _rope_split_join_kernel[(seq * heads,)](q, cos, sin, out, heads, q.stride(0), q.stride(1), cos.stride(0),
                                                HEAD_DIM=head_dim)
        return out
