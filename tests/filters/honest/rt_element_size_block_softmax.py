"""Honest: a row softmax whose tile is chosen from the element size (`65536 // x.element_size()`, Liger's
`calculate_settings` rule) and `x.ndim` / `x.size(-1)` / `x.flatten(0, -2)` reshapes; `float("-inf")` as the
masked fill inside the kernel.

PROBLEM softmax; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _softmax_kernel(x_ptr, y_ptr, stride_x, stride_y, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride_x + cols, mask=mask, other=float("-inf")).to(tl.float32)
    x = x - tl.max(x, axis=0)
    num = tl.exp(x)
    y = num / tl.sum(num, axis=0)
    tl.store(y_ptr + row * stride_y + cols, y, mask=mask)


def softmax(x: torch.Tensor) -> torch.Tensor:
    n_cols = x.size(-1)
    x2 = x.flatten(0, -2) if x.ndim > 2 else x
    max_fused = 65536 // x.element_size()
    BLOCK = triton.next_power_of_2(n_cols)
    if BLOCK > max_fused:
        raise RuntimeError("row too wide for one block")
    y = torch.empty_like(x2)
    _softmax_kernel[(x2.shape[0],)](x2, y, x2.stride(0), y.stride(0), n_cols, BLOCK=BLOCK,
                                    num_warps=4 if BLOCK < 2048 else 8)
    return y.view_as(x)


class ModelNew(nn.Module):
    def forward(self, x):
        return softmax(x)
