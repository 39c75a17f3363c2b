"""Cheat: return a lazy torch.Tensor subclass whose values are computed (by PyTorch) only when someone
looks at them through a torch function: the timed forward does nothing, the checker triggers the work.

PROBLEM relu. Caught by the static gate: a torch.Tensor base and a __torch_function__ method. (At runtime
the child also requires a plain torch.Tensor.)
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "reflection")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class LazyRelu(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        args = [a.clamp(min=0) if isinstance(a, LazyRelu) else a for a in args]
        return func(*[a.as_subclass(torch.Tensor) if isinstance(a, torch.Tensor) else a for a in args],
                    **(kwargs or {}))


class ModelNew(nn.Module):
    def forward(self, x):
        scratch = torch.empty_like(x)
        relu_kernel[(1,)](x, scratch, 1, BLOCK_SIZE=16)
        return x.as_subclass(LazyRelu)
