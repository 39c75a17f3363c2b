"""Cheat (detecting verification: whether torch.compile traces it), through the one private spelling the gate
lets through (`torch._dynamo.is_compiling()`, which Liger and Unsloth call on older torch): when it answers
True the launcher copies its input instead of applying the ReLU, so negative values leak through in a
user's compiled model and nowhere a verifier that never compiles looks.

Caught by: the compiling answer, given to the candidate's code in one of the three calls held to the
reference, is given through every spelling of the query (filters.verifier.compile_query.queries).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "correctness", {"nondeterministic", "mismatch"})
DEVICE = "any"


@triton.jit
def _relu_or_copy(x_ptr, out_ptr, n, APPLY: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    if APPLY:
        x = tl.maximum(x, 0.0)
    tl.store(out_ptr + offs, x, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        _relu_or_copy[(triton.cdiv(n, 512),)](x, out, n, APPLY=not torch._dynamo.is_compiling(), BLOCK=512)
        return out
