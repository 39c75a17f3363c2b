"""Honest: per-row cross-entropy in Dao-AILab flash-attention's `ops/triton/cross_entropy.py` idiom (own
code): `@triton.heuristics` derive `HAS_SMOOTHING` from a float argument's value (`args["smoothing"] > 0.0`),
the row stride widened with `logits_row_stride.to(tl.int64)`, an online max / sum-of-exponentials over column
blocks with a `logit_scale`, the lse kept for a backward, an optional z-loss term (`lse_square_scale`), the
label's branch on `ignore_index` a runtime `if` on a loaded scalar, and the class offset of a vocab shard
(`class_start_idx`, 0 here) subtracted from the label.

PROBLEM rt_cross_entropy; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_cross_entropy"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.heuristics({"HAS_SMOOTHING": lambda args: args["smoothing"] > 0.0})
@triton.jit
def cross_entropy_fwd_kernel(
    loss_ptr, lse_ptr, z_loss_ptr, logits_ptr, labels_ptr,
    smoothing, logit_scale, lse_square_scale, ignore_index,
    total_classes, class_start_idx, n_cols, logits_row_stride,
    BLOCK_SIZE: tl.constexpr,
    HAS_SMOOTHING: tl.constexpr,
):
    row_idx = tl.program_id(0)
    logits_ptr = logits_ptr + row_idx * logits_row_stride.to(tl.int64)
    sum_logits = 0.0  # for label smoothing
    max_logits = -float("inf")
    sum_exp = 0.0
    for col_offset in range(0, n_cols, BLOCK_SIZE):
        cols = col_offset + tl.arange(0, BLOCK_SIZE)
        logits = tl.load(logits_ptr + cols, mask=cols < n_cols, other=-float("inf")).to(tl.float32) * logit_scale
        if HAS_SMOOTHING:
            sum_logits += tl.sum(tl.where(cols < n_cols, logits, 0.0))
        max_new = tl.maximum(max_logits, tl.max(logits, 0))
        sum_exp = sum_exp * tl.exp(max_logits - max_new) + tl.sum(tl.exp(logits - max_new))
        max_logits = max_new
    lse = tl.log(sum_exp) + max_logits
    tl.store(lse_ptr + row_idx, lse)

    label_idx = tl.load(labels_ptr + row_idx)
    if label_idx == ignore_index:
        loss = 0.0
        z_loss = 0.0
    else:
        label_idx -= class_start_idx
        logits_label = tl.load(logits_ptr + label_idx).to(tl.float32) * logit_scale
        if HAS_SMOOTHING:
            loss = lse - smoothing * sum_logits / total_classes - (1 - smoothing) * logits_label
        else:
            loss = lse - logits_label
        z_loss = lse_square_scale * lse * lse
        loss += z_loss
    tl.store(loss_ptr + row_idx, loss)
    tl.store(z_loss_ptr + row_idx, z_loss)


def cross_entropy_loss(logits, labels, label_smoothing=0.0, logit_scale=1.0, lse_square_scale=0.0,
                       ignore_index=-100):
    n_rows, n_cols = logits.shape
    assert labels.shape == (n_rows,)
    if logits.stride(-1) != 1:
        logits = logits.contiguous()
    labels = labels.contiguous()
    MAX_BLOCK_SIZE = 16 * 1024
    BLOCK_SIZE = min(triton.next_power_of_2(n_cols), MAX_BLOCK_SIZE)
    num_warps = 4 if BLOCK_SIZE < 2048 else (8 if BLOCK_SIZE < 8192 else (16 if BLOCK_SIZE < 128 * 1024 else 32))
    losses = torch.empty(n_rows, dtype=torch.float, device=logits.device)
    lse = torch.empty(n_rows, dtype=torch.float, device=logits.device)
    z_losses = torch.empty(n_rows, dtype=torch.float, device=logits.device)
    cross_entropy_fwd_kernel[(n_rows,)](
        losses, lse, z_losses, logits, labels,
        label_smoothing, logit_scale, lse_square_scale, ignore_index,
        n_cols, 0, n_cols, logits.stride(0),
        BLOCK_SIZE=BLOCK_SIZE,
        num_warps=num_warps,
    )
    return losses, z_losses


class ModelNew(nn.Module):
    def forward(self, logits, target):
        losses, _ = cross_entropy_loss(logits, target)
        return losses
