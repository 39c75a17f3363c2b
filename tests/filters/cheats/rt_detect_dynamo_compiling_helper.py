"""Cheat (detecting verification: whether torch.compile traces it): a helper of the candidate's own asks
`torch.compiler.is_dynamo_compiling()` (the query FlashAttention's launchers use) and the launcher skips the
last block of rows whenever the helper says a graph is being traced, which only a user's torch.compile does.
A verifier that never told the candidate so saw every row computed.

Caught by: one of the three calls held to the reference answers True to the candidate's code, the helper
included (filters.verifier.compile_query decides by the asking code's file, not its function).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "correctness", {"nondeterministic", "mismatch"})
DEVICE = "any"


@triton.jit
def _relu_rows(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0), mask=mask)


def _in_graph() -> bool:
    return torch.compiler.is_dynamo_compiling()


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.zeros_like(x)
        n = x.numel()
        blocks = triton.cdiv(n, 256)
        if _in_graph() and blocks > 1:
            blocks -= 1
        _relu_rows[(blocks,)](x, out, n, BLOCK=256)
        return out
