"""Honest: a launcher with two paths, picked by `torch.compiler.is_compiling()` as vLLM's and SGLang's layers
do: under torch.compile it calls its kernel through a registered `torch.library.custom_op` (with a fake
implementation, so the graph can see through it), in eager mode it launches the kernel directly, skipping
the dispatcher's overhead. Both paths compute the same ReLU, so the call that tells the candidate it is
being compiled (filters.verifier.compile_query) must accept it.

PROBLEM relu; EXPECTED accepted.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0), mask=mask)


def _launch(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    n = x.numel()
    _relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
    return out


@torch.library.custom_op("kdcase::compile_path_relu", mutates_args=())
def relu_op(x: torch.Tensor) -> torch.Tensor:
    return _launch(x)


@relu_op.register_fake
def _(x):
    return torch.empty_like(x)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        if torch.compiler.is_compiling():
            return relu_op(x)  # an opaque node in the traced graph
        return _launch(x)
