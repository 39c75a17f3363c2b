"""Honest: an in-place activation in the style of Liger-Kernel's launchers, which make their working copy
with `.contiguous()` and let the kernel overwrite it (here on a transposed view, so `.contiguous()` copies),
then hand back the view the caller expects. Every element of the copy is rewritten by the kernel.

PROBLEM relu_t; EXPECTED accepted (on a GPU, where no store is seen, as a copy the kernel received after
PyTorch's last write: `provenance.CopyCoverage`; accepted on an H100 at 0c0689e).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu_t"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("accepted", "correctness", "ok")
DEVICE = "gpu"


@triton.jit
def _relu_inplace_kernel(X_ptr, n_cols, X_row_stride, BLOCK_SIZE: tl.constexpr):
    row_idx = tl.program_id(0).to(tl.int64)
    X_ptr += row_idx * X_row_stride
    col_offsets = tl.arange(0, BLOCK_SIZE)
    mask = col_offsets < n_cols
    X_row = tl.load(X_ptr + col_offsets, mask=mask, other=0.0)
    tl.store(X_ptr + col_offsets, tl.maximum(X_row, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        # the problem's output is relu(x.t()); work on a contiguous copy of the transposed view
        X = x.t().contiguous()
        n_rows, n_cols = X.shape
        BLOCK_SIZE = triton.next_power_of_2(n_cols)
        _relu_inplace_kernel[(n_rows,)](X, n_cols, X.stride(0), BLOCK_SIZE=BLOCK_SIZE, num_warps=4)
        return X
