"""Honest: GEGLU's exact (erf) gating in unsloth's idiom (own code): the two halves flattened, one 1-D program
per BLOCK_SIZE elements, computed in fp32 with `tl.math.erf` and cast back to the output's element type,
`triton.cdiv` for the grid, a module-level block size and a constexpr 1/sqrt(2).

PROBLEM rt_geglu; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_geglu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

MAX_FUSED_SIZE = 1024
INV_SQRT2 = tl.constexpr(0.7071067811865476)


@triton.jit
def _exact_geglu_forward_kernel(gate_ptr, up_ptr, h_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    block_idx = tl.program_id(0)
    offsets = block_idx * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    e = tl.load(gate_ptr + offsets, mask=mask, other=0).to(tl.float32)
    g = tl.load(up_ptr + offsets, mask=mask, other=0)
    # f = 1/2 * e * (1 + erf(1/sqrt(2) * e))
    f = 0.5 * e * (tl.math.erf(INV_SQRT2 * e) + 1.0)
    f = f.to(g.dtype)
    tl.store(h_ptr + offsets, f * g, mask=mask)


def geglu_exact_forward(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    gate = gate.contiguous()
    up = up.contiguous()
    h = torch.empty(gate.shape, dtype=gate.dtype, device=gate.device)
    n_elements = gate.numel()
    grid = lambda meta: (triton.cdiv(n_elements, meta["BLOCK_SIZE"]),)  # noqa: E731
    _exact_geglu_forward_kernel[grid](gate, up, h, n_elements, BLOCK_SIZE=MAX_FUSED_SIZE)
    return h


class ModelNew(nn.Module):
    def forward(self, a, b):
        return geglu_exact_forward(a, b)
