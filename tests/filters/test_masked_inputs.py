"""Inputs masked with -inf (filters.verifier.inputs, "masked with -inf"): positions a softmax must give no
weight, as a masked attention score row has; a kernel that sanitises them to 0 is wrong, one that turns
them into NaN where PyTorch finds a finite limit shows the user its failure and is judged on the rest."""

from __future__ import annotations

import torch

from filters.verifier.inputs import MASK_SHARE, TRANSFORMS
from filters.verifier.options import VerifyOptions
from filters.verifier.verify import verify
from kerneldata.core.outcomes import Reason, Status
from tests.filters import candidates as c

MASKED = TRANSFORMS["masked with -inf"][1]
OPTIONS = VerifyOptions(device="cpu", timeout_s=60, num_seeds=2, draw_key="tests/filters/test_masked_inputs")


def test_the_mask_takes_scattered_positions_by_value_and_keeps_the_layout():
    torch.manual_seed(0)
    x = torch.randn(64, 300)
    masked = MASKED(x)
    share = float(torch.isneginf(masked).float().mean())
    assert abs(share - MASK_SHARE) < 0.02
    assert torch.equal(masked[torch.isfinite(masked)], x[torch.isfinite(masked)])  # the rest untouched
    assert bool(torch.isfinite(masked).any(dim=1).all())  # no row masked whole
    assert torch.equal(torch.isneginf(MASKED(x.clone())), torch.isneginf(masked))  # a function of the values
    wide = torch.randn(64, 400)[:, :300]  # a row pitch wider than the row
    assert MASKED(wide).stride() == wide.stride()
    half = MASKED(x.half())
    assert half.dtype == torch.float16 and bool(torch.isneginf(half).any())


def _softmax_writing(at_masked: str) -> str:
    """The stable softmax candidate, with what it stores where its input was -inf replaced."""
    return c.STABLE_SOFTMAX.replace(
        "    tl.store(out_ptr + row * n_cols + offs, num / tl.sum(num, axis=0), mask=mask)",
        "    y = num / tl.sum(num, axis=0)\n"
        f"    y = tl.where(x == -float('inf'), {at_masked}, y)\n"
        "    tl.store(out_ptr + row * n_cols + offs, y, mask=mask)")


def test_nan_at_masked_positions_counts_the_call_for_nothing_and_a_finite_wrong_answer_is_rejected():
    # NaN where PyTorch gives 0: the user sees it; the other calls judge the kernel, which is right on them
    nan_there = verify(c.SOFTMAX_PROBLEM, _softmax_writing("float('nan')"), dtype="float32", atol=1e-5,
                       rtol=1e-5, options=OPTIONS)
    assert nan_there.status is Status.ACCEPTED, nan_there
    # a finite weight where PyTorch gives 0: a silent wrong answer
    weight_there = verify(c.SOFTMAX_PROBLEM, _softmax_writing("0.5"), dtype="float32", atol=1e-5, rtol=1e-5,
                          options=OPTIONS)
    assert weight_there.status is Status.REJECTED and weight_there.reason_code is Reason.MISMATCH, weight_there
    assert "masked with -inf" in weight_there.reason
