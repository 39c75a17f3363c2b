"""Honest: a tiled transpose (the shape of Triton tutorials' and FlagGems' `transpose` kernels): each program
loads a BLOCK x BLOCK tile of the input and stores it transposed into the output, so the kernel itself moves
every element to its new place. Beside it, the cheat rt_torch_transpose_after_kernel_copy copies the input
unchanged and leaves the transpose to PyTorch's `.t().contiguous()`.

PROBLEM transpose; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "transpose"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def transpose_kernel(x_ptr, out_ptr, rows, cols, stride_xr, stride_xc, BLOCK: tl.constexpr):
    r = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    c = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = (r[:, None] < rows) & (c[None, :] < cols)
    tile = tl.load(x_ptr + r[:, None] * stride_xr + c[None, :] * stride_xc, mask=mask)
    # out is (cols, rows), contiguous: element (c, r) sits at c * rows + r
    tl.store(out_ptr + c[None, :] * rows + r[:, None], tile, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        rows, cols = x.shape
        out = torch.empty((cols, rows), device=x.device, dtype=x.dtype)
        grid = (triton.cdiv(rows, 32), triton.cdiv(cols, 32))
        transpose_kernel[grid](x, out, rows, cols, x.stride(0), x.stride(1), BLOCK=32)
        return out
