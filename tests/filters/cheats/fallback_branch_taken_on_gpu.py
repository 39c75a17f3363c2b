"""Cheat (a PyTorch fallback made to run on a GPU): the launcher's "fallback for tensors off a GPU", which
the gate lets compute with PyTorch because only a CPU tensor reaches it, is reached on a GPU too: the input
is first moved to the host (`x.to("cpu")`), so the branch's test holds everywhere; the fallback's result goes
back to the input's device.

Should be caught by: on a GPU the recorder sees the PyTorch compute that ran in forward (the fallback is
judged at run time, not trusted for its test); on CPU the verdict is `device_dependent` at best.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", ("static", "runtime"), ("torch_compute", "output_not_from_kernel", "torch_outside_kernel"))
EXPECTED_CPU = ("unverified", "static", "device_dependent")
DEVICE = "gpu"


@triton.jit
def _relu(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        host = x.to("cpu")
        if not host.is_cuda:
            return F.relu(host).to(x.device)
        y = torch.empty_like(x)
        n = x.numel()
        _relu[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
