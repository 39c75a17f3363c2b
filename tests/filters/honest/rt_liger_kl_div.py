"""Honest: KL divergence in Liger-Kernel's idiom (own code): one program per row computes
sum(p * (log p - log q)) with p == 0 contributing 0, a per-row loss buffer, the batchmean reduction a second
tiny kernel (the host never sums tensor values).

PROBLEM rt_kl_div; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_kl_div"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def kl_div_rows_kernel(log_q_ptr, p_ptr, loss_ptr, n_cols, stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    log_q = tl.load(log_q_ptr + row * stride + cols, mask=mask, other=0.0).to(tl.float32)
    p = tl.load(p_ptr + row * stride + cols, mask=mask, other=0.0).to(tl.float32)
    pointwise = tl.where(p > 0, p * (tl.log(tl.where(p > 0, p, 1.0)) - log_q), 0.0)
    tl.store(loss_ptr + row, tl.sum(pointwise, axis=0))


@triton.jit
def batchmean_kernel(loss_ptr, out_ptr, n_rows, BLOCK: tl.constexpr):
    rows = tl.arange(0, BLOCK)
    losses = tl.load(loss_ptr + rows, mask=rows < n_rows, other=0.0)
    tl.store(out_ptr, tl.sum(losses, axis=0) / n_rows)


class ModelNew(nn.Module):
    def forward(self, log_q, p):
        log_q, p = log_q.contiguous(), p.contiguous()
        n_rows, n_cols = log_q.shape
        row_losses = torch.empty(n_rows, dtype=torch.float32, device=log_q.device)
        kl_div_rows_kernel[(n_rows,)](log_q, p, row_losses, n_cols, log_q.stride(0),
                                      BLOCK=triton.next_power_of_2(n_cols))
        out = torch.empty((), dtype=log_q.dtype, device=log_q.device)
        batchmean_kernel[(1,)](row_losses, out, n_rows, BLOCK=triton.next_power_of_2(n_rows))
        return out
