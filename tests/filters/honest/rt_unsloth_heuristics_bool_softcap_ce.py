"""Honest: cross entropy in Unsloth's idiom (own code): `@triton.heuristics({"DO_SOFTCAPPING": lambda args:
bool(args["DO_SOFTCAPPING"])})`, module globals `MAX_FUSED_SIZE : int = 65536` and `next_power_of_2 =
triton.next_power_of_2`, the row offset cast with `.to(tl.int64)` on a scalar argument, a log-sum-exp per row with `tl.log(tl.sum(tl.exp(x - m)))`, softcapping off.

PROBLEM rt_cross_entropy; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_cross_entropy"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

MAX_FUSED_SIZE : int = 65536
next_power_of_2 = triton.next_power_of_2


@triton.heuristics({"DO_SOFTCAPPING": lambda args: bool(args["DO_SOFTCAPPING"])})
@triton.jit
def _cross_entropy_forward(logits_ptr, logits_row_stride, loss_ptr, labels_ptr, VOCAB_SIZE,
                           BLOCK_SIZE: tl.constexpr, DO_SOFTCAPPING: tl.constexpr, SOFTCAP: tl.constexpr):
    row_idx = tl.program_id(0)
    logits_ptr += row_idx * logits_row_stride.to(tl.int64)
    col_offsets = tl.arange(0, BLOCK_SIZE)
    mask = col_offsets < VOCAB_SIZE
    label_idx = tl.load(labels_ptr + row_idx).to(tl.int32)
    logits = tl.load(logits_ptr + col_offsets, mask=mask, other=-float("inf")).to(tl.float32)
    if DO_SOFTCAPPING:
        logits = SOFTCAP * tl.sigmoid(2.0 * logits / SOFTCAP) * 2.0 - SOFTCAP
    c = tl.max(logits, 0)
    logsumexp = c + tl.log(tl.sum(tl.exp(logits - c), 0))
    x = tl.sum(tl.where(col_offsets == label_idx, logits, 0.0), 0)
    tl.store(loss_ptr + row_idx, logsumexp - x)


class ModelNew(nn.Module):
    def forward(self, logits, labels):
        n_rows, vocab_size = logits.shape
        block_size = next_power_of_2(vocab_size)
        assert block_size <= MAX_FUSED_SIZE
        losses = torch.empty(n_rows, dtype=torch.float32, device=logits.device)
        _cross_entropy_forward[(n_rows,)](logits, logits.stride(0), losses, labels, vocab_size,
                                          BLOCK_SIZE=block_size, DO_SOFTCAPPING=False, SOFTCAP=30.0,
                                          num_warps=8 if block_size >= 8192 else 4)
        return losses
