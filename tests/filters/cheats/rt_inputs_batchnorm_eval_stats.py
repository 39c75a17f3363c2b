"""Cheat (inputs: module mode): the problem's BatchNorm1d is in training mode (a fresh module is), which
normalises with the batch's own statistics. This kernel normalises with the running statistics instead
(eval mode): with their defaults (mean 0, var 1) that is x / sqrt(1 + eps), nowhere near the answer on a
shifted batch; it is accepted only because the verifier puts the reference in eval mode.

Demonstration: `ref = nn.BatchNorm1d(300)` (training); `ModelNew()(x + 3)` is about x + 3, `ref(x + 3)`
has mean 0 per column.

Should be caught by: running the reference in the mode the problem defines (no .eval() it did not ask for).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_batchnorm_train"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def bn_eval_kernel(x_ptr, mean_ptr, var_ptr, w_ptr, b_ptr, out_ptr, n_rows, n_cols, eps, BLOCK: tl.constexpr):
    col = tl.program_id(0)
    rows = tl.arange(0, BLOCK)
    mask = rows < n_rows
    x = tl.load(x_ptr + rows * n_cols + col, mask=mask)
    scale = tl.load(w_ptr + col) / tl.sqrt(tl.load(var_ptr + col) + eps)
    y = (x - tl.load(mean_ptr + col)) * scale + tl.load(b_ptr + col)
    tl.store(out_ptr + rows * n_cols + col, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(300))
        self.bias = nn.Parameter(torch.zeros(300))
        self.running_mean = nn.Parameter(torch.zeros(300), requires_grad=False)
        self.running_var = nn.Parameter(torch.ones(300), requires_grad=False)

    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        bn_eval_kernel[(x.shape[1],)](x, self.running_mean, self.running_var, self.weight, self.bias, out,
                                      x.shape[0], x.shape[1], 1e-5, BLOCK=triton.next_power_of_2(x.shape[0]))
        return out
