"""Cancelling inputs (filters.verifier.inputs.cancelling): a contraction's partial sums run far above its
answer, so an accumulator below float32 shows at any inner size (issue 15 section 7)."""

from __future__ import annotations

import torch

from filters.verifier.inputs import CANCELLING_OFFSET, cancelling


def _partial_sums(a, b):
    """The running sums of a @ b over the inner dimension, in float64."""
    return torch.cumsum(a.double()[:, :, None] * b.double()[None, :, :], dim=1)


def test_partial_sums_run_far_above_the_answer_whichever_operand_is_lifted():
    torch.manual_seed(0)
    a, b = torch.randn(32, 64, dtype=torch.float16), torch.randn(64, 48, dtype=torch.float16)
    for first, second in ((a, b), (b.t().contiguous(), a.t().contiguous())):  # a @ b, and b.T @ a.T
        lifted, centred = cancelling([first, second], [True, True])
        answer = (lifted.double() @ centred.double()).abs().max()
        partial = _partial_sums(lifted, centred).abs().max()
        plain = (first.double() @ second.double()).abs().max()
        assert partial > 16 * answer  # what an fp16 accumulator rounds at, against what it must give
        assert answer < 4 * plain  # the answer keeps the plain product's scale (the tolerance's yardstick)
        assert abs(float(lifted.double().mean()) - CANCELLING_OFFSET * float(first.double().pow(2).mean().sqrt())) < 1


def test_centred_sums_vanish_along_every_dimension_and_layouts_are_kept():
    torch.manual_seed(1)
    fused = torch.randn(8, 96, dtype=torch.bfloat16)
    sliced = fused[:, 32:64]  # a row pitch wider than the row, as a slice of a fused projection
    weight = torch.randn(32, 16, dtype=torch.bfloat16).t()  # a transposed weight
    lifted, centred = cancelling([sliced, weight], [True, True])
    assert lifted.stride() == sliced.stride() and centred.stride() == weight.stride()
    for dim in (0, 1):
        assert centred.double().sum(dim).abs().max() < 0.1 * centred.double().abs().sum(dim).max()
    assert lifted.dtype == sliced.dtype and centred.dtype == weight.dtype


def test_nothing_to_cancel_without_two_eligible_float_operands():
    x, w = torch.randn(4, 4), torch.randn(4, 4)
    assert cancelling([x, w], [True, False]) is None
    assert cancelling([x, torch.arange(16).view(4, 4)], [True, True]) is None
    broadcast = torch.randn(1, 4).expand(4, 4)  # stride 0: cannot hold independent values
    assert cancelling([x, broadcast], [True, True]) is None
