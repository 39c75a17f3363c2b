"""Honest: per-row cross-entropy whose log-sum-exp is a `tl.reduce` over (max, sum-of-exp) pairs with a
@triton.jit combine that rescales the smaller partial (the LSE state merge of FlashInfer's and vLLM's
`merge_attn_states`, own code), and whose target logit is taken from the loaded row with `tl.gather`.

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
def _lse_combine(m_a, s_a, m_b, s_b):
    m = tl.maximum(m_a, m_b)
    # both partials empty (masked lanes): keep the sum at 0 instead of exp(-inf - -inf)
    scale_a = tl.where(m_a == m, 1.0, tl.exp(m_a - m))
    scale_b = tl.where(m_b == m, 1.0, tl.exp(m_b - m))
    return m, s_a * scale_a + s_b * scale_b


@triton.jit
def _cross_entropy_kernel(logits_ptr, target_ptr, loss_ptr, stride, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(logits_ptr + row * stride + cols, mask=mask, other=-float("inf")).to(tl.float32)
    ones = tl.where(mask, 1.0, 0.0)
    m, s = tl.reduce((x, ones), 0, _lse_combine)
    lse = m + tl.log(s)
    target = tl.load(target_ptr + row).to(tl.int32)
    idx = tl.zeros([1], dtype=tl.int32) + target
    picked = tl.sum(tl.gather(x, idx, 0), axis=0)
    tl.store(loss_ptr + row, lse - picked)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, logits, target):
        logits = logits.contiguous()
        n_rows, n_cols = logits.shape
        loss = torch.empty(n_rows, dtype=logits.dtype, device=logits.device)
        _cross_entropy_kernel[(n_rows,)](logits, target.contiguous(), loss, logits.stride(0), n_cols,
                                         BLOCK=triton.next_power_of_2(n_cols))
        return loss
