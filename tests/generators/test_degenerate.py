"""The degenerate-spec filter: one deliberately degenerate problem per reason, each caught with that reason,
beside honest problems that pass; and the checked sampling the pipeline uses."""

from __future__ import annotations

from dataclasses import replace

import pytest

from generators.specs import SpecSampler, sample_op
from generators.specs.degenerate import Degenerate, check_reference, check_spec, sample_checked
from kerneldata.core.config import SpecsConfig
from kerneldata.core.spec import Spec


def problem(forward: str, inputs: str = "x = torch.randn(8, 16)", args: str = "x", init: str = "") -> str:
    return f'''import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
{init}
    def forward(self, {args}):
        return {forward}


def get_inputs():
    {inputs}
    return [{args}]


def get_init_inputs():
    return []
'''


TWO = "x = torch.randn(8, 16)\n    y = torch.randn(8, 16)"

CASES = [
    # (problem, expected reason)
    (problem("torch.relu(x)"), Degenerate.OK),
    (problem("x + y", TWO, "x, y"), Degenerate.OK),
    (problem("torch.argmax(x, dim=-1)"), Degenerate.OK),  # small integer output, varies over draws
    (problem("torch.log(x)"), Degenerate.NON_FINITE),  # log of normal draws: NaN for the negatives
    (problem("x / 0.0"), Degenerate.NON_FINITE),
    (problem("x + torch.rand_like(x)"), Degenerate.NONDETERMINISTIC),
    (problem("nn.functional.dropout(x, 0.5, training=True)"), Degenerate.NONDETERMINISTIC),
    # nn.Dropout is off in eval(), where the filter and the verifier run the reference: not degenerate.
    (problem("self.drop(x)", init="        self.drop = nn.Dropout(0.5)\n"), Degenerate.OK),
    (problem("x - x"), Degenerate.CONSTANT),
    (problem("torch.softmax(x, dim=-1)", "x = torch.randn(8, 1)"), Degenerate.CONSTANT),  # softmax over one
    (problem("torch.sum(torch.softmax(x, dim=-1), dim=-1)"), Degenerate.CONSTANT),
    (problem("x * 1e-9"), Degenerate.NEAR_ZERO),
    (problem("x * 2", TWO, "x, y"), Degenerate.IGNORES_INPUT),
    # Gathering from rows that hold one value repeated: the indices vary but cannot matter.
    (problem("torch.gather(x.amax(dim=1, keepdim=True).expand(-1, 16), 1, i)",
             "x = torch.randn(8, 16)\n    i = torch.randint(0, 16, (8, 4))", "x, i"), Degenerate.IGNORES_INPUT),
    (problem("x.sum(dim=0)", "x = torch.randn(3, 8)"), Degenerate.OK),
    (problem("torch.nonexistent(x)"), Degenerate.REFERENCE_ERROR),
    ("import torch\nclass Model: pass\n", Degenerate.REFERENCE_ERROR),
]


@pytest.mark.parametrize(("source", "expected"), CASES, ids=[f"{i}-{e.value}" for i, (_, e) in enumerate(CASES)])
def test_each_degenerate_kind_is_caught_with_its_reason(source, expected):
    reason, detail = check_reference(source)
    assert reason is expected, detail
    assert detail and "\n" not in detail


def test_ignored_input_is_named():
    reason, detail = check_reference(problem("x * 2", TWO, "x, y"))
    assert reason is Degenerate.IGNORES_INPUT and "'y'" in detail


def test_declared_output_shape_is_checked():
    spec = sample_op("sum")
    assert check_spec(spec).ok
    wrong = Spec(**{**spec.__dict__, "output_shape": (1, 2, 3)})
    check = check_spec(wrong)
    assert check.reason is Degenerate.SHAPE_MISMATCH and "(1, 2, 3)" in check.detail


def test_specs_too_large_to_run_are_kept_unchecked():
    spec = Spec(family="external", ops=("huge",), dtype="float32", shapes=((1 << 20, 1 << 10),),
                source=problem("x"), origin="external:x.py")
    check = check_spec(spec)
    assert check.reason is Degenerate.UNCHECKED and check.ok


def test_a_workload_too_large_to_run_leaves_its_spec_unchecked():
    """The size limits hold for each workload too: a decode spec's prefill workload is as big as a prefill
    spec, and running it on the CPU took minutes."""
    from kerneldata.core.spec import Workload

    small = sample_op("relu")
    huge = Workload(label="prefill", shapes=((1 << 20, 1 << 10),), source=problem("torch.relu(x)"))
    check = check_spec(replace(small, workloads=(huge,)), max_input_bytes=1 << 30)
    assert check.reason is Degenerate.UNCHECKED and check.ok and "its workload 'prefill':" in check.detail
    assert check.seconds < 5  # not run: drawing a 1 GiB input alone takes longer on a CPU


def test_sample_checked_reports_kept_specs_left_unchecked():
    huge = Spec(family="external", ops=("huge",), dtype="float32", shapes=((1 << 20, 1 << 10),),
                source=problem("x"), origin="external:x.py")
    sequence = [sample_op("relu"), huge, sample_op("sum")]

    class Sampler:
        def sample(self, n):
            return sequence[:n]

    unchecked = []
    kept, rejected = sample_checked(Sampler(), 3, unchecked=unchecked)
    assert len(kept) == 3 and not rejected
    assert [(c.spec_id, c.reason) for c in unchecked] == [(huge.spec_id, Degenerate.UNCHECKED)]
    assert "over the check's limit" in unchecked[0].detail


def test_verdicts_are_reproducible():
    source = problem("torch.argmax(x, dim=-1)", "x = torch.randn(1, 3)")
    assert check_reference(source, seed=4) == check_reference(source, seed=4)


class _Planted:
    """A sampler whose sequence holds degenerate specs among good ones."""

    def __init__(self):
        good = [sample_op(op, seed=0) for op in ("relu", "sum", "softmax", "matmul")]
        bad = Spec(family="elementwise", ops=("zero",), dtype="float32", shapes=((8, 16),),
                   source=problem("x - x"), origin="test")
        self.sequence = [good[0], bad, good[1], good[2], good[3]]

    def sample(self, n):
        return self.sequence[:n]


def test_sample_checked_replaces_degenerate_specs_and_reports_them():
    kept, rejected = sample_checked(_Planted(), 3)
    assert [s.ops[0] for s in kept] == ["relu", "sum", "softmax"]
    assert [(c.reason, c.spec_id) for c in rejected] == [(Degenerate.CONSTANT, _Planted().sequence[1].spec_id)]


def test_sample_checked_is_deterministic_on_the_real_sampler():
    config = SpecsConfig(max_numel=1 << 12, max_bytes=1 << 16)
    first = sample_checked(SpecSampler(config, 3), 25)
    again = sample_checked(SpecSampler(config, 3), 25)
    assert [s.spec_id for s in first[0]] == [s.spec_id for s in again[0]] and len(first[0]) == 25
