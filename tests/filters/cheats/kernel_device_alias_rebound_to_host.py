"""Cheat: kernels may call a module-level name bound to a jit function (flash-linear-attention's
`div = div_normal`), so bind such a name to a jit function at import and, in a module-level branch, to a host
function, which the CPU interpreter would then run inside the kernel on its tensors (a GPU kernel cannot call
host code: the kernel the GPU compiles is not the one the interpreter checked).

PROBLEM relu. Caught by the static gate: a name is a device-function alias only where every binding of it
is a jit function; this one is host code called in a kernel.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", {"outside_vocabulary", "cross_call_state", "monkeypatch"})
DEVICE = "any"


@triton.jit
def _device_pick(x):
    return tl.maximum(x, 0.0)


def _host_pick(x):
    return x * (x > 0)


pick = _device_pick
if triton.cdiv(3, 2) == 2:  # always, at import
    pick = _host_pick


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, pick(tl.load(x_ptr + offsets, mask=mask)), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        n = x.numel()
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK_SIZE=1024)
        return out
