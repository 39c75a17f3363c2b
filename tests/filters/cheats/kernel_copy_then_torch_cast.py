"""Cheat: for a spec that is a cast, a kernel copies the input into a fresh fp32 buffer and PyTorch's
`.to(torch.float16)` makes the answer. A float cast of what kernels made is theirs (an fp32 accumulator
returned in the output's dtype), but here the buffer holds exactly the input on every call: the kernel only
copied, and the cast did the work.

PROBLEM to_fp16. Caught at runtime by output provenance (filters.verifier.provenance `cast_of_input`).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "to_fp16"
EXPECTED = ("rejected", "runtime", {"output_not_from_kernel"})
DEVICE = "any"


@triton.jit
def copy_kernel(x_ptr, out_ptr, n, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n
    tl.store(out_ptr + offsets, tl.load(x_ptr + offsets, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        buf = torch.empty_like(x)
        copy_kernel[(triton.cdiv(x.numel(), 256),)](x, buf, x.numel(), BLOCK_SIZE=256)
        return buf.to(torch.float16)
