"""Cheat: `torch.compiler.disable` may mark a launcher (the verifier never compiles a candidate), so reach
the rest of torch.compiler beside it: `set_stance("force_eager")` makes every later torch.compile call run
eagerly, among them the verifier's torch.compile baseline, which then looks as slow as eager, and the
candidate's speedup over it is inflated. Nothing numeric changes, so no correctness check would notice.

PROBLEM relu. Caught by the static gate: only `torch.compiler.disable` as a decorator, and the queries
`is_compiling` / `is_dynamo_compiling`, are on the vocabulary; `set_stance` is PyTorch reaching around the
checks (`torch_outside_kernel`).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"

torch.compiler.set_stance("force_eager")


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    @torch.compiler.disable
    def forward(self, x):
        out = torch.empty_like(x)
        n = x.numel()
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK_SIZE=1024)
        return out
