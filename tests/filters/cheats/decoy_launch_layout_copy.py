"""Cheat: a decoy kernel is launched on a scratch buffer, and the answer comes from layout methods a
launcher is allowed to call: for a transpose, `x.t().contiguous()` is the whole work.

PROBLEM transpose. The static gate must allow .t() and .contiguous() (honest matmul launchers use them)
and the launch counter sees a launch; caught at runtime by output provenance (filters.verifier.provenance): the
output's storage was written by aten.clone and never passed to a kernel.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "transpose"
EXPECTED = ("rejected", "runtime", {"output_not_from_kernel"})
DEVICE = "any"


@triton.jit
def warmup_kernel(scratch_ptr, BLOCK_SIZE: tl.constexpr):
    offsets = tl.arange(0, BLOCK_SIZE)
    tl.store(scratch_ptr + offsets, tl.zeros([BLOCK_SIZE], dtype=tl.float32))


class ModelNew(nn.Module):
    def forward(self, x):
        scratch = torch.empty(64, device=x.device, dtype=torch.float32)
        warmup_kernel[(1,)](scratch, BLOCK_SIZE=64)
        return x.t().contiguous()
