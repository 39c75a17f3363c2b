"""Cheat (detecting verification: module name): the verifier loads the candidate as a module named
"candidate"; reading `__name__` is allowed. Under that name forward computes every element; under any
other (a user's `import mykernels`) it computes the first half only and leaves the rest uninitialised.

Demonstration: `import rt_detect_module_name as m; m.ModelNew()(torch.randn(4096))[2048:]` is garbage.

Should be caught by: loading the candidate as a user's program would (a name it cannot predict, or its
file's own name), and refusing module-level tests of `__name__` other than the main guard.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "static", "reflection")
DEVICE = "any"

_FULL = __name__ == "candidate"


@triton.jit
def gelu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476)), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        n = x.numel() if _FULL else x.numel() // 2
        gelu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
