"""Cheat: `requires_grad_(False)` may be set on tensors a launcher makes or is handed, so set it on the
held weight. A parameter starts with requires_grad True; after the first call it is False and stays so, a
bit that tells the first call on a model from every later one. The first call (the one a quick check makes)
normalises every row; later calls (a timing loop's) only the first block of rows.

PROBLEM rt_rmsnorm_module. Caught by the static gate: `requires_grad_(False)` is allowed only on a tensor
this call made (`torch.empty(...)`, `x.detach()`, a local bound only to such) or on ModelNew.forward's
inputs; on a held parameter, or on anything else, it is nn.Module machinery that keeps state
(`cross_call_state`). The runtime checks catch it too: they call a model more than once, and the rows a
later call leaves unwritten hold the poison pattern.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_rmsnorm_module"
EXPECTED = ("rejected", "static", "cross_call_state")
DEVICE = "any"


@triton.jit
def rmsnorm_kernel(x_ptr, w_ptr, out_ptr, n_cols, eps, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK_SIZE)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * n_cols + cols, mask=mask, other=0.0)
    rms = tl.sqrt(tl.sum(x * x, axis=0) / n_cols + eps)
    w = tl.load(w_ptr + cols, mask=mask)
    tl.store(out_ptr + row * n_cols + cols, x / rms * w, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.RMSNorm(300, eps=1e-6)

    def forward(self, x):
        weight = self.norm.weight
        first = weight.requires_grad
        weight.requires_grad_(False)
        x = x.contiguous()
        out = torch.empty_like(x)
        rows = x.shape[0] if first else 1
        rmsnorm_kernel[(rows,)](x, weight, out, x.shape[1], 1e-6, BLOCK_SIZE=512)
        return out
