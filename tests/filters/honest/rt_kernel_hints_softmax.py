"""Honest: a row softmax written with the compiler hints production kernels carry (vLLM's, xformers' and
Liger-Kernel's): `tl.static_assert` on a block size, `eviction_policy` on loads and stores,
`tl.debug_barrier()` between the two passes, and `tl.device_assert` on a launch argument. None of them
changes what is computed.

PROBLEM softmax; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def softmax_kernel(x_ptr, out_ptr, n_cols, stride, BLOCK: tl.constexpr):
    tl.static_assert(BLOCK % 16 == 0, "BLOCK must be a multiple of 16")
    tl.device_assert(n_cols > 0, "empty rows")
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    # (`cache_modifier=".cg"` beside `evict_first` does not assemble for sm_90: ptxas refuses the pair, seen on an
    # H100 on 2026-12-07; the interpreter ignores both)
    x = tl.load(x_ptr + row * stride + cols, mask=mask, other=-float("inf"), eviction_policy="evict_first")
    x = x.to(tl.float32)
    shifted = x - tl.max(x, axis=0)
    tl.debug_barrier()
    num = tl.exp(shifted)
    out = num / tl.sum(num, axis=0)
    tl.store(out_ptr + row * stride + cols, out.to(out_ptr.dtype.element_ty), mask=mask,
             eviction_policy="evict_last")


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        block = max(16, triton.next_power_of_2(x.shape[-1]))
        softmax_kernel[(x.shape[0],)](x, out, x.shape[-1], x.stride(0), BLOCK=block)
        return out
