"""Honest: per-row cross-entropy the way lightning-thunder's Triton cross-entropy executor splits it (own
code): a log-softmax kernel writes the fp32 log-probabilities into a scratch buffer, then an NLL kernel picks
each row's target entry by pointer arithmetic (`tl.load(logp + row * stride + target)`) and negates it; the
scratch buffer is allocated with `x.new_empty` and the loss buffer with `torch.empty`.

PROBLEM rt_cross_entropy (reduction "none"); EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_cross_entropy"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def log_softmax_forward(output_ptr, input_ptr, input_row_stride, output_row_stride, n_cols,
                        BLOCK_SIZE: tl.constexpr):
    row_idx = tl.program_id(0).to(tl.int64)
    col_offsets = tl.arange(0, BLOCK_SIZE)
    mask = col_offsets < n_cols
    row = tl.load(input_ptr + row_idx * input_row_stride + col_offsets, mask=mask, other=-float("inf"))
    row = row.to(tl.float32)
    row_minus_max = row - tl.max(row, axis=0)
    log_denominator = tl.log(tl.sum(tl.exp(row_minus_max), axis=0))
    tl.store(output_ptr + row_idx * output_row_stride + col_offsets, row_minus_max - log_denominator, mask=mask)


@triton.jit
def nll_loss_forward(loss_ptr, logp_ptr, target_ptr, logp_row_stride, n_rows, BLOCK_ROWS: tl.constexpr):
    rows = tl.program_id(0) * BLOCK_ROWS + tl.arange(0, BLOCK_ROWS)
    mask = rows < n_rows
    target = tl.load(target_ptr + rows, mask=mask, other=0)
    picked = tl.load(logp_ptr + rows.to(tl.int64) * logp_row_stride + target, mask=mask, other=0.0)
    tl.store(loss_ptr + rows, -picked, mask=mask)


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    logits = logits.contiguous()
    target = target.contiguous()
    n_rows, n_cols = logits.shape
    logp = logits.new_empty((n_rows, n_cols), dtype=torch.float32)
    log_softmax_forward[(n_rows,)](logp, logits, logits.stride(0), logp.stride(0), n_cols,
                                   BLOCK_SIZE=triton.next_power_of_2(n_cols))
    loss = torch.empty((n_rows,), dtype=logits.dtype, device=logits.device)
    BLOCK_ROWS = 16
    nll_loss_forward[(triton.cdiv(n_rows, BLOCK_ROWS),)](loss, logp, target, logp.stride(0), n_rows,
                                                         BLOCK_ROWS=BLOCK_ROWS)
    return loss


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, logits, target):
        return cross_entropy(logits, target)
