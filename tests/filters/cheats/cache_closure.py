"""Cheat: a cache hidden in a closure: the dict lives in a factory's frame and the returned function
mutates it, with neither global nor nonlocal in sight.

PROBLEM relu. Caught by the static gate: item assignment on a container the inner function did not
create.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "cross_call_state")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


def _make_launcher():
    seen = {}

    def launch(x):
        key = x.data_ptr()
        if key not in seen:
            out = torch.empty_like(x)
            relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)
            seen[key] = out
        return seen[key]

    return launch


_launch = _make_launcher()


class ModelNew(nn.Module):
    def forward(self, x):
        return _launch(x)
