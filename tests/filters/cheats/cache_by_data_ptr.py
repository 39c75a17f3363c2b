"""Cheat: memoise on the input's address: a timing loop that reuses one input tensor gets the first
output back without any kernel work. (Also correct-looking whenever the allocator hands back the same
address for new inputs with the same values, which it does not.)

PROBLEM gelu. Caught by the static gate: setdefault/item assignment on a module-level dict.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "static", "cross_call_state")
DEVICE = "any"

_BY_ADDRESS = {}


@triton.jit
def gelu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476)), mask=mask)


def _gelu(x):
    out = torch.empty_like(x)
    gelu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)
    return out


class ModelNew(nn.Module):
    def forward(self, x):
        key = (x.data_ptr(), x.shape, x.stride())
        cached = _BY_ADDRESS.get(key)
        if cached is None:
            cached = _gelu(x)
            _BY_ADDRESS[key] = cached
        return cached
