"""The honest-kernel error model for half-precision outputs (filters.verifier.truth.beyond_honest_error, used by
filters.verifier.comparison.compare_error_model): an fp16 accumulator is refused at every inner size, honest fp32
accumulation in any order is not."""

from __future__ import annotations

import pytest
import torch

from filters.verifier.truth import (
    ATOMIC_ACCUMULATION_UNITS, atomic_units, beyond_honest_error, float64_truth, too_far, ulp,
)
from filters.verifier.comparison import compare_error_model
from kerneldata.core.outcomes import Reason


class MatMul(torch.nn.Module):
    def forward(self, a, b):
        return a @ b


def _fp16_accumulated(a, b):
    acc = torch.zeros(a.shape[0], b.shape[1], dtype=torch.float16)
    for k in range(a.shape[1]):
        acc = (acc.float() + a[:, k:k + 1].float() * b[k:k + 1, :].float()).half()
    return acc


def _fp32_blocked(a, b, block=4):
    return sum(a[:, i:i + block].float() @ b[i:i + block, :].float() for i in range(0, a.shape[1], block)).half()


def _draw(k, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(64, k, generator=generator).half(), torch.randn(k, 64, generator=generator).half()]


@pytest.mark.parametrize("k", [32, 64, 512])
def test_fp16_accumulator_refused_over_many_terms(k):
    a, b = _draw(k)
    expected = [MatMul()(a, b)]
    verdict = compare_error_model(MatMul(), [a, b], [_fp16_accumulated(a, b)], expected)
    assert verdict is not None and verdict.reason_code is Reason.LOWERED_PRECISION, verdict


@pytest.mark.parametrize("k", [2, 4, 16, 64, 512])
def test_fp32_accumulation_in_another_order_passes(k):
    a, b = _draw(k, seed=1)
    expected = [MatMul()(a, b)]
    assert compare_error_model(MatMul(), [a, b], [_fp32_blocked(a, b)], expected) is None
    assert compare_error_model(MatMul(), [a, b], [expected[0].clone()], expected) is None


def test_fp32_outputs_are_left_to_the_tolerances():
    a, b = (x.float() for x in _draw(16))
    assert compare_error_model(MatMul(), [a, b], [torch.zeros(64, 64)], [a @ b]) is None


def test_ulp_of_fp16():
    values = torch.tensor([1.0, 1.5, 2.0, 1e-8, 1e6], dtype=torch.float64)
    assert ulp(values, torch.float16).tolist()[:3] == [2 ** -10, 2 ** -10, 2 ** -9]
    assert ulp(values, torch.float16)[3] == 2 ** -24  # subnormal spacing
    assert ulp(values, torch.float16)[4] == float("inf")  # beyond fp16: no allowance needed (non-finite)


def test_a_few_ill_conditioned_elements_cost_nothing():
    assert not too_far(2, 4096) and not too_far(819, 4096) and too_far(820, 4096) and too_far(4, 16)


def test_truth_is_the_model_in_float64():
    a, b = _draw(8)
    truth = float64_truth(MatMul(), [a, b])
    assert truth.outputs[0].dtype == torch.float64


class MatMulThenScale(torch.nn.Module):
    """Rounds to fp16 between its two steps, as PyTorch does: the reference is itself several ulps from the
    truth at some elements."""

    def forward(self, a, b):
        return (a @ b) * 3.0 - 0.5


def test_a_kernel_rounding_where_the_reference_does_passes_and_so_does_a_fused_one():
    a, b = _draw(64, seed=2)
    expected = [MatMulThenScale()(a, b)]
    mirrored = (_fp32_blocked(a, b) * 3.0 - 0.5)  # fp16 intermediate, like the reference
    fused = ((sum(a[:, i:i + 4].float() @ b[i:i + 4, :].float() for i in range(0, 64, 4))) * 3.0 - 0.5).half()
    for candidate in (mirrored, fused):
        assert compare_error_model(MatMulThenScale(), [a, b], [candidate], expected) is None
    cheat = _fp16_accumulated(a, b) * 3.0 - 0.5
    assert compare_error_model(MatMulThenScale(), [a, b], [cheat], expected) is not None


def test_flash_attention_rounding_its_probabilities_to_fp16_passes():
    """An honest flash-attention kernel computes the scores and softmax in fp32, rounds the probabilities to
    fp16 and multiplies by V with fp32 accumulation: beyond one ulp at a few percent of the outputs."""
    generator = torch.Generator().manual_seed(3)
    q, k, v = (torch.randn(64, 64, generator=generator).half() for _ in range(3))
    reference = torch.nn.functional.scaled_dot_product_attention
    expected = [reference(q[None], k[None], v[None])[0]]
    probabilities = torch.softmax(q.float() @ k.float().T / 8.0, dim=-1).half()
    flash = (probabilities.float() @ v.float()).half()

    class SDPA(torch.nn.Module):
        def forward(self, q, k, v):
            return reference(q[None], k[None], v[None])[0]

    assert compare_error_model(SDPA(), [q, k, v], [flash], expected) is None


class IndexAdd(torch.nn.Module):
    def forward(self, x, index, src):
        return x.index_add(0, index, src)


def _index_add_inputs(seed=4):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(64, 5, generator=generator).half()
    index = torch.randint(0, 64, (1024,), generator=generator)
    return [x, index, torch.randn(1024, 5, generator=generator).half()]


def _fp16_atomic_adds(x, index, src, seed=5):
    """What a kernel adding each source row into its output row with fp16 atomics computes: every add
    rounded to fp16, in the order the GPU happens to run them (here a random one)."""
    out = x.clone()
    for row in torch.randperm(len(index), generator=torch.Generator().manual_seed(seed)).tolist():
        out[index[row]] = (out[index[row]].float() + src[row].float()).half()
    return out


def test_an_atomic_scatter_in_fp16_passes_only_as_an_atomic_kernel():
    """CPU PyTorch accumulates index_add in fp32; a kernel adding with fp16 atomics (as Inductor's and
    PyTorch's own CUDA index_add do) rounds at every add. That is allowed to a kernel that adds atomically,
    and nowhere else: the same outputs from a kernel without atomics are an fp16 accumulator."""
    inputs = _index_add_inputs()
    expected = [IndexAdd()(*inputs)]
    scattered = [_fp16_atomic_adds(*inputs)]
    assert compare_error_model(IndexAdd(), inputs, scattered, expected, atomic_units=atomic_units(16)) is None
    verdict = compare_error_model(IndexAdd(), inputs, scattered, expected)
    assert verdict is not None and verdict.reason_code is Reason.LOWERED_PRECISION
    # The allowance is the rounding of an fp16 accumulation, not a free pass: ten fp16 ulps off is refused.
    sloppy = [(scattered[0].float() * (1 + 10 * 2 ** -10)).half()]
    assert compare_error_model(IndexAdd(), inputs, sloppy, expected, atomic_units=atomic_units(16)) is not None


def test_the_atomic_allowance_follows_the_adds_each_element_received():
    # One atomic add per element stores, it does not accumulate: no allowance; then one rounding per add
    # after the first, up to ATOMIC_ACCUMULATION_UNITS.
    assert atomic_units(0) == atomic_units(1) == 0
    assert atomic_units(2) == 1
    assert atomic_units(16) == atomic_units(1000) == ATOMIC_ACCUMULATION_UNITS


def test_a_kernel_no_less_precise_than_the_reference_passes():
    """Where the reference rounds in between (here: its fp16 index_add summed in another order than the
    kernel's), a kernel with an error of the same size passes even where its errors fall on other elements."""
    inputs = _index_add_inputs(seed=6)
    x, index, src = inputs

    class SequentialHalf(torch.nn.Module):
        def forward(self, x, index, src):
            return _fp16_atomic_adds(x, index, src, seed=7)

    expected = [SequentialHalf()(x, index, src)]
    other_order = [_fp16_atomic_adds(x, index, src, seed=8)]
    assert not torch.equal(expected[0], other_order[0])
    # The per-element model alone refuses it: its errors are not where the reference's are.
    assert too_far(*beyond_honest_error(float64_truth(SequentialHalf(), inputs), expected, other_order))
    assert compare_error_model(SequentialHalf(), inputs, other_order, expected) is None
