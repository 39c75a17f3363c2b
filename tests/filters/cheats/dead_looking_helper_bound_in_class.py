"""Cheat (code the gate takes for dead): module-level functions nothing references are not checked (a kernel
file's own tests and benchmarks, which never run in a verification). This one does the work in PyTorch and is
reached without a call by its name in forward: bound as a class attribute of ModelNew (`compute = _test_gelu`,
a staticmethod by another spelling) and called as `self.compute(x)`.

Should be caught by: the exemption holding only for a function whose name is loaded nowhere, nor used as an
attribute name (`torch_outside_kernel` on its body).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


@triton.jit
def copy_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=mask), mask=mask)


def _test_gelu(x):
    return F.gelu(x)


class ModelNew(nn.Module):
    compute = staticmethod(_test_gelu)

    def forward(self, x):
        out = torch.empty_like(x)
        copy_kernel[(triton.cdiv(x.numel(), 1024),)](self.compute(x), out, x.numel(), BLOCK=1024)
        return out
