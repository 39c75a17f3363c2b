"""Honest: exact GELU in the style of unsloth: libdevice's `erf` imported the way unsloth does it
(`triton.language.extra.libdevice`, with `tl.extra.cuda.libdevice` the same functions), one kernel with
the block size fixed at module level, the launcher working on a flattened view. The CPU interpreter cannot
run libdevice, so on CPU it is unverified, never rejected.

PROBLEM gelu; EXPECTED accepted on a GPU, EXPECTED_CPU unverified (interpreter_limit).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.language.extra import libdevice

PROBLEM = "gelu"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", "static", "interpreter_limit")
DEVICE = "gpu"

BLOCK_SIZE = 1024
ROOT_HALF = tl.constexpr(0.7071067811865476)


@triton.jit
def _exact_gelu_kernel(e, h, n_elements, BLOCK_SIZE: tl.constexpr):
    block_idx = tl.program_id(0)
    offsets = block_idx * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    e_row = tl.load(e + offsets, mask=mask, other=0).to(tl.float32)
    f_row = 0.5 * e_row * (libdevice.erf(e_row * ROOT_HALF) + 1.0)
    tl.store(h + offsets, f_row.to(h.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        e = x.contiguous().view(-1)
        n_elements = e.numel()
        h = torch.empty((n_elements,), dtype=x.dtype, device=x.device)
        grid = lambda meta: (triton.cdiv(n_elements, meta["BLOCK_SIZE"]),)  # noqa: E731
        _exact_gelu_kernel[grid](e, h, n_elements, BLOCK_SIZE=BLOCK_SIZE)
        return h.view(x.shape)
