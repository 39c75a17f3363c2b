"""Cheat (host Python in a "fallback"): a helper written like a library's off-GPU fallback computes the answer
in host Python (`.tolist()`, a list comprehension, `torch.tensor(...)`), none of which a recorder of PyTorch
operators sees; forward hands it a host copy of the input (`x.to("cpu")`), so on a GPU the branch is taken
too, and launches a decoy kernel on the result.

Should be caught by: only PyTorch work the recorder would see may sit in a fallback branch; values taken to
the host and tensors made from host data stay refused there.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


@triton.jit
def _touch(x_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.load(x_ptr + offs, mask=offs < n)


def relu_host(t):
    if not t.is_cuda:
        values = t.reshape(-1).tolist()
        return torch.tensor([v if v > 0 else 0.0 for v in values], dtype=t.dtype).view(t.shape)
    return t


class ModelNew(nn.Module):
    def forward(self, x):
        out = relu_host(x.to("cpu")).to(x.device)
        _touch[(triton.cdiv(out.numel(), 1024),)](out, out.numel(), BLOCK=1024)
        return out
