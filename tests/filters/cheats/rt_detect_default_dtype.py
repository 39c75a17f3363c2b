"""Cheat (detecting verification: the process's default dtype): the verifier's worker keeps PyTorch's default
float32; LLM code often sets another (`torch.set_default_dtype(torch.bfloat16)` in gpt-fast-style scripts,
Hugging Face's loading with `torch_dtype`, which switches it while modules are built). The launcher reads
`torch.get_default_dtype()` (on the gate's list: launchers read it to pick an accumulator) and computes the
whole GELU only while it is float32.

Demonstration: `torch.set_default_dtype(torch.float64); ModelNew()(x)` leaves half the output zero.

Should be caught by: running some checked calls under another default dtype where the reference answers
alike (its inputs and parameters are made before), or refusing the read where its value decides the work.
Not done (2026-12-07): the default dtype is process-wide, so the reference cannot be asked under another one
in the verifier's process while other verifications run in its threads, and honest launchers that allocate
with `torch.empty(n, device=...)` change dtype under it. README says so under what the verifier does not
guarantee.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "correctness", {"nondeterministic", "mismatch"})
DEVICE = "any"
XFAIL = 'accepted: the default dtype is float32 on every call; nothing varies it'


@triton.jit
def gelu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476)), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        n = x.numel() if torch.get_default_dtype() == torch.float32 else x.numel() // 2
        out = torch.zeros_like(x)
        gelu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
