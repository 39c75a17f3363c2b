"""Cheat (detecting verification: the device's index): a verifier's worker runs on its first (often only)
visible device, `cuda:0`; data-parallel training puts ranks 1..7 on `cuda:1`..`cuda:7`. The launcher reads
`x.get_device()` (a metadata query on the allowed list) and computes the whole GELU only on device index 0
or less (-1 is a CPU tensor), half of it elsewhere.

Demonstration: the branch taken for index 1 (`_gelu(x, 1)`) leaves half the output zero.

Should be caught by: on CPU, `unverified` (the value of a device query decides the work, as for
`x.is_cuda`); on a GPU it cannot be shown another index, like `rt_detect_device_count`.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "correctness", ("mismatch", "non_finite"))
EXPECTED_CPU = ("unverified", "static", "device_dependent")
DEVICE = "gpu"
XFAIL = {'cuda': "the verifier's worker sees one GPU as device 0, so the index never differs from the one it was verified with (as rt_detect_device_count)"}


@triton.jit
def gelu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476)), mask=mask)


def _gelu(x, index):
    n = x.numel() if index <= 0 else x.numel() // 2
    out = torch.zeros_like(x)
    gelu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
    return out


class ModelNew(nn.Module):
    def forward(self, x):
        return _gelu(x, x.get_device())
