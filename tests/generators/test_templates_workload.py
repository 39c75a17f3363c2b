"""The built-in teacher on workload specs (`specs.source: workloads`: single ATen calls and fused chains
captured from a real architecture, here Llama 3.1 8B in decode, CPU scale): it answers the single calls it
has templates for (float elementwise, last-dim reductions, mm) and the row-wise chains (RMSNorm, SwiGLU's
silu * mul) with code, declines the rest with the reason in `teacher_meta.declined`, and its answers are judged as claimed by the real verifier (CPU, interpreter),
one small spec per kind of call."""

import collections
import json

import pytest

from bench.verify_templates import verify_variants
from generators.specs.workloads.architectures import ARCHITECTURES, REGIMES
from generators.specs.workloads.capture import trace
from generators.specs.workloads.cost import get_roofline
from generators.specs.workloads.records import dedup, records_from_trace
from generators.specs.workloads.render import render_record, renderable
from generators.teachers.builtin import BuiltinTeacher, Decline, variants_for
from generators.teachers.templates.chain import is_chain
from generators.teachers.templates.workload import _plan
from kerneldata.core.config import TeacherConfig


@pytest.fixture(scope="module")
def workload_rows() -> list[dict]:
    arch = ARCHITECTURES["llama-3.1-8b"]
    records = records_from_trace(trace(arch, REGIMES["decode"], cpu=False), trace(arch, REGIMES["decode"], cpu=True),
                                 model=arch.name, regime="decode", layer_weights=arch.layer_weights,
                                 roofline=get_roofline("H200"))
    rows = []
    for record in dedup(records):
        if not renderable(record)[0]:
            continue
        try:
            rows.append(render_record(record, scale="cpu").to_row())
        except ValueError:  # no CPU-scaled counterpart
            continue
    return rows


def test_single_calls_get_code_and_the_rest_a_reason(workload_rows):
    teacher = BuiltinTeacher(TeacherConfig(samples_per_spec=2), seed=0)
    answered, reasons = collections.Counter(), collections.Counter()
    for row in workload_rows:
        candidates = teacher.generate(row)
        meta = [json.loads(c["teacher_meta"]) for c in candidates]
        if candidates[0]["code"] is None:
            assert len(candidates) == 1 and meta[0]["declined"]
            reasons["chain" if "fused chain" in meta[0]["declined"] else "other"] += 1
        else:
            assert all(c["code"] for c in candidates) and all("declined" not in m for m in meta)
            answered["+".join(row["ops"])] += len(candidates)
    # Llama decode's single float calls: the projections, the SwiGLU product, RoPE's pieces, RMSNorm's pieces.
    assert {"mm", "mul", "add", "silu", "rsqrt", "mean"} <= set(answered), answered
    # Its RMSNorm chains, with and without the residual add (templates/chain.py); RoPE's cat is declined.
    assert {"_to_copy+pow+mean+add+rsqrt+mul+_to_copy+mul", "add+_to_copy+pow+mean+add+rsqrt+mul+_to_copy+mul"} \
        <= set(answered), answered
    assert reasons["chain"] > 0, reasons
    assert sum(answered.values()) >= 2 * 15, answered


def test_workload_answers_are_judged_as_claimed(workload_rows):
    """The smallest answered spec of each kind of call, every variant (correct and flawed), one seed. (Chains
    have their own tests: tests/generators/test_template_chain.py.)"""
    smallest: dict[str, dict] = {}
    for row in workload_rows:
        if is_chain(row):
            continue
        try:
            variants_for(row)
        except Decline:
            continue
        kind = _plan(row)["kind"]
        size = sum(_numel(shape) for shape in row["shapes"])
        if kind not in smallest or size < sum(_numel(s) for s in smallest[kind]["shapes"]):
            smallest[kind] = row
    assert set(smallest) == {"unary", "scalar", "binary", "rows", "matmul"}, set(smallest)
    outcomes = verify_variants(list(smallest.values()), num_seeds=1, timeout_s=600)
    wrong = [o for o in outcomes if not o.as_expected]
    assert not wrong, "\n".join(f"{o.ops} {o.dtype} {o.variant}: {o.status} ({o.reason})" for o in wrong)
    assert len({o.variant for o in outcomes if o.flaw is None}) >= 6  # two structures per kind


def _numel(shape) -> int:
    total = 1
    for d in shape:
        total *= d
    return total
