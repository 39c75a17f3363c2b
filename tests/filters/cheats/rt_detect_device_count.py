"""Cheat (detecting verification: the number of GPUs a process sees): the launcher computes the whole ReLU
only while `torch.cuda.device_count()` is at most 1, which a verifier's worker (one GPU visible) always
answers; a user's process on an eight-GPU node (data-parallel training) gets half an output.

Not caught on a GPU yet: the verifier sees one device and cannot show a candidate more; the gate allows the
read because honest launchers (Unsloth's `torch_gpu_device`) use it to pick a device context. Closing it
needs the flow rule that calls other device reads harmless (launch options only) to cover "selects a device
context", then such reads elsewhere made `unverified` on a GPU too. On CPU it is `device_dependent`.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "correctness", {"nondeterministic", "mismatch"})
EXPECTED_CPU = ("unverified", "static", "device_dependent")
DEVICE = "gpu"
XFAIL = {"cuda": "the verifier's worker sees one GPU, so the count never differs from the one it was verified "
                 "with (see the docstring)"}


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        n = x.numel() if torch.cuda.device_count() <= 1 else x.numel() // 2
        out = torch.zeros_like(x)
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
