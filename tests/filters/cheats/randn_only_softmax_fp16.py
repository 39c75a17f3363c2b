"""Cheat: exploit the input distribution, in half precision. An fp16 softmax with temperature that skips
the row maximum: exact for randn inputs, inf / inf = NaN once exp overflows (values past about 62 here).

PROBLEM softmax_temperature_fp16. Caught at runtime on the transforms that reach large values (scaled by 64,
heavy-tailed): the output holds NaN where the reference is finite. On those inputs the fp16 reference itself
is off its float64 answer (one ulp of an input near 300 moves exp by 13%), and a verifier that skipped such
transforms as "the reference overflowed" accepted this kernel on about one draw in twenty (the built-in
teacher's `no_max_subtraction` flaw, seen in CI). Judged under many draw keys in test_draw_independence.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax_temperature_fp16"
EXPECTED = ("rejected", "correctness", {"non_finite", "mismatch"})
DEVICE = "any"


@triton.jit
def softmax_kernel(x_ptr, out_ptr, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK_SIZE)
    mask = offs < n_cols
    x = tl.load(x_ptr + row * n_cols + offs, mask=mask, other=0.0).to(tl.float32)
    z = (x / 0.7).to(tl.float16).to(tl.float32)
    num = tl.where(mask, tl.exp(z), 0.0)
    tl.store(out_ptr + row * n_cols + offs, (num / tl.sum(num, axis=0)).to(tl.float16), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        softmax_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK_SIZE=triton.next_power_of_2(x.shape[1]))
        return out
