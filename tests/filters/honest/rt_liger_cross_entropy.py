"""Honest: per-row cross-entropy in Liger-Kernel's idiom (own code): one program per row (int64), an online
max / sum-of-exponentials over column blocks, then loss = logsumexp - logit[target]; `ignore_index` handled
as the reference does (loss 0).

PROBLEM rt_cross_entropy (logits fp32, targets int64); EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_cross_entropy"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _cross_entropy_kernel(X_ptr, X_stride, Y_ptr, loss_ptr, n_cols, ignore_index, BLOCK_SIZE: tl.constexpr):
    program_id = tl.program_id(0).to(tl.int64)
    X_ptr += program_id * X_stride
    y = tl.load(Y_ptr + program_id)
    if y == ignore_index:
        tl.store(loss_ptr + program_id, 0.0)
        return
    m = float("-inf")
    d = 0.0
    for i in range(0, n_cols, BLOCK_SIZE):
        offsets = i + tl.arange(0, BLOCK_SIZE)
        X_block = tl.load(X_ptr + offsets, mask=offsets < n_cols, other=float("-inf")).to(tl.float32)
        block_max = tl.max(X_block, axis=0)
        m_new = tl.maximum(m, block_max)
        d = d * tl.exp(m - m_new) + tl.sum(tl.exp(X_block - m_new), axis=0)
        m = m_new
    lse = m + tl.log(d)
    x_y = tl.load(X_ptr + y).to(tl.float32)
    tl.store(loss_ptr + program_id, lse - x_y)


def cross_entropy_forward(logits, target, ignore_index=-100):
    n_rows, n_cols = logits.shape
    BLOCK_SIZE = min(65536 // 2, triton.next_power_of_2(n_cols), 128)
    loss = torch.empty(n_rows, dtype=torch.float32, device=logits.device)
    _cross_entropy_kernel[(n_rows,)](logits, logits.stride(0), target, loss, n_cols, ignore_index,
                                     BLOCK_SIZE=BLOCK_SIZE, num_warps=8)
    return loss


class ModelNew(nn.Module):
    def forward(self, logits, target):
        return cross_entropy_forward(logits.contiguous(), target.contiguous())
