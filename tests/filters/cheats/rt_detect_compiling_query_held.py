"""Cheat (detecting verification: whether torch.compile traces it), with the query held rather than named at
the call: `from torch.compiler import is_compiling` at import, kept in a tuple of "guards", and asked through
a generator expression. A launcher that patched nothing and names no query at the call still learns that it
is being compiled, and then scales its output by a little (1% off: inside no float32 tolerance).

Caught by: the swapped query is the object the candidate imported (its code is swapped, not the function),
and the generator's frame is the candidate's code (filters.verifier.compile_query).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl
from torch.compiler import is_compiling

PROBLEM = "relu"
EXPECTED = ("rejected", "correctness", {"nondeterministic", "mismatch"})
DEVICE = "any"

_GUARDS = (is_compiling,)


@triton.jit
def _scaled_relu(x_ptr, out_ptr, n, scale, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0) * scale, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        scale = 1.01 if any(guard() for guard in _GUARDS) else 1.0
        _scaled_relu[(triton.cdiv(n, 512),)](x, out, n, scale, BLOCK=512)
        return out
