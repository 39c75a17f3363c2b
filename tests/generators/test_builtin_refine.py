"""BuiltinTeacher.refine_batch: a flawed parent gets its fix (checked by the real verifier on CPU), an
accepted one a faster-minded variant, an unexplained failure a fresh design; deterministic, no repeats."""

from __future__ import annotations

import json
import random

import pytest

from filters.verifier.options import VerifyOptions
from filters.verifier.verify import verify
from generators.extract import extract_code
from generators.refine import feedback
from generators.specs import OPS, problem_from_op, render as render_problem
from generators.teachers.base import RefineRequest
from generators.teachers.builtin import BuiltinTeacher, render
from kerneldata.core.config import TeacherConfig
from kerneldata.core.outcomes import Reason, Status, Verdict
from kerneldata.core.schema import CANDIDATE_SCHEMA, table_from_rows

CPU = VerifyOptions(device="cpu", timeout_s=120, num_seeds=1)
SUM = render_problem(problem_from_op(OPS["sum"], {"rows": 8, "cols": 1500}, "float32", {}), "test").to_row()
MATMUL = render_problem(problem_from_op(OPS["matmul"], {"m": 48, "k": 40, "n": 24}, "float32", {}), "test").to_row()


def teacher(seed: int = 0) -> BuiltinTeacher:
    return BuiltinTeacher(TeacherConfig(samples_per_spec=4), seed=seed)


def parent_row(spec: dict, variant: str, verdict: Verdict, *, seed: int = 3) -> dict:
    """A turn-0 row of the builtin teacher for `variant` (rendered with a fixed rng), judged by `verdict`."""
    row = teacher().generate(spec)[0]
    draft = render(spec, random.Random(seed), variant=variant)
    completion = f"{draft.prose}\n\n```python\n{draft.code}```\n"
    meta = {"template": "builtin-templates-v1", "variant": draft.variant, "flaw": draft.flaw, **draft.params}
    return {**row, "code": draft.code, "completion": completion, "teacher_meta": json.dumps(meta),
            "candidate_id": f"parent-{variant}", **verdict.to_row(), "device": "cpu", "hardware": "cpu"}


def request(parent: dict, spec: dict, num_samples: int = 1, tried: tuple = ()) -> RefineRequest:
    return RefineRequest(spec, parent, feedback(parent, target_speedup=1.5), num_samples, tried)


def judge(spec: dict, code: str) -> Verdict:
    return verify(spec["reference_code"], code, dtype=spec["dtype"], atol=spec["atol"], rtol=spec["rtol"],
                  options=CPU, input_domains=spec["input_domains"])


def test_a_flawed_reduction_is_fixed_and_the_fix_passes_the_verifier():
    flawed = render(SUM, random.Random(3), variant="fixed_block")
    verdict = judge(SUM, flawed.code)
    assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.MISMATCH
    parent = parent_row(SUM, "fixed_block", verdict)
    (child,) = teacher().refine_batch([request(parent, SUM)])
    meta = json.loads(child["teacher_meta"])
    assert (meta["answer"], meta["variant"], meta["flaw"]) == ("fix", "looped", None)
    # The fix keeps what it can of the parent (the best of DRAWS draws of the fix): its block or its warps.
    parent_meta = json.loads(parent["teacher_meta"])
    assert meta["BLOCK_SIZE"] == parent_meta["BLOCK_SIZE"] or meta["num_warps"] == parent_meta["num_warps"]
    assert judge(SUM, child["code"]).status is Status.ACCEPTED
    # The completion answers the feedback in prose, then gives the code.
    assert child["completion"].startswith("The verifier reports: ")
    assert "loops over each row in column tiles" in child["completion"]
    assert extract_code(child["completion"]) == (child["code"], "ok")
    assert (child["turn"], child["parent_id"], child["sample_index"]) == (1, parent["candidate_id"], 0)
    assert child["prompt"] == request(parent, SUM).messages()
    assert table_from_rows([child], CANDIDATE_SCHEMA).num_rows == 1


def test_a_tf32_matmul_left_unverified_on_cpu_gets_the_ieee_dot():
    flawed = render(MATMUL, random.Random(5), variant="tf32_dot")
    verdict = judge(MATMUL, flawed.code)
    assert verdict.status is Status.UNVERIFIED and verdict.reason_code is Reason.INTERPRETER_LIMIT
    parent = parent_row(MATMUL, "tf32_dot", verdict, seed=5)
    (child,) = teacher().refine_batch([request(parent, MATMUL)])
    meta, parent_meta = json.loads(child["teacher_meta"]), json.loads(parent["teacher_meta"])
    assert meta["answer"] == "fix" and meta["dot"] == "ieee" and meta["structure"] == parent_meta["structure"]
    assert 'input_precision="ieee"' in child["code"]
    assert judge(MATMUL, child["code"]).status is Status.ACCEPTED


def test_an_accepted_parent_gets_a_different_parameterisation():
    parent = parent_row(SUM, "looped", Verdict.accept("ok.", max_abs_err=1e-6, max_rel_err=1e-7))
    children = teacher().refine_batch([request(parent, SUM, num_samples=6)])
    assert len(children) == 6
    assert len({c["code"] for c in children} | {parent["code"]}) == 7
    for child in children:
        meta = json.loads(child["teacher_meta"])
        # No speed was measured (CPU): no claim that the new version is faster.
        assert meta["answer"] == "variant" and meta["flaw"] is None
        assert child["completion"].startswith("The kernel passes every check; its speed was not measured here")
        assert "faster." not in child["completion"].split("\n\n")[0].replace("which version is faster", "")
    # Some small steps (same loop structure, other tiles or warps), some other structures.
    structures = {json.loads(c["teacher_meta"])["structure"] for c in children}
    assert "looped" in structures and len(structures) >= 2
    parent_meta = json.loads(parent["teacher_meta"])
    for step in [c for c in children if json.loads(c["teacher_meta"])["structure"] == "looped"]:
        meta = json.loads(step["teacher_meta"])
        changed = [key for key in ("BLOCK_SIZE", "num_warps") if meta[key] != parent_meta[key]]
        assert changed and all(f"{key} {parent_meta[key]} -> " in step["completion"] for key in changed)


def test_a_faster_rewrite_is_offered_only_where_speed_was_measured():
    parent = parent_row(SUM, "looped", Verdict.accept("ok.", max_abs_err=1e-6, max_rel_err=1e-7))
    timed = {**parent, "speedup_vs_eager": 1.25}
    (child,) = teacher().refine_batch([request(timed, SUM)])
    assert json.loads(child["teacher_meta"])["answer"] == "faster"
    assert child["completion"].startswith("The kernel passes every check at 1.25x PyTorch eager. To make it faster, ")


@pytest.mark.parametrize("teacher_name", ["builtin", "openai"])
def test_a_failure_it_cannot_attribute_gets_a_fresh_correct_design(teacher_name):
    verdict = Verdict.reject(Reason.TIMEOUT, "the candidate ran past the wall-clock limit.")
    parent = {**parent_row(SUM, "single_pass", verdict), "teacher": teacher_name}
    (child,) = teacher().refine_batch([request(parent, SUM)])
    meta = json.loads(child["teacher_meta"])
    assert meta["answer"] == "fresh" and meta["flaw"] is None and child["code"] != parent["code"]
    assert "`timeout`" in child["completion"]


def test_deterministic_for_seed_and_parent_and_no_repeats_of_tried_codes():
    parent = parent_row(SUM, "looped", Verdict.accept("ok.", max_abs_err=1e-6, max_rel_err=1e-7))
    first = teacher().refine_batch([request(parent, SUM, num_samples=3)])
    assert first == teacher().refine_batch([request(parent, SUM, num_samples=3)])
    assert [c["code"] for c in first] != [c["code"] for c in teacher(seed=1).refine_batch([request(parent, SUM, 3)])]
    tried = tuple(c["code"] for c in first)
    again = teacher().refine_batch([request(parent, SUM, num_samples=3, tried=tried)])
    assert not {c["code"] for c in again} & set(tried)
    # Two requests for one spec in one call do not answer each other's codes either.
    other = parent_row(SUM, "single_pass", Verdict.accept("ok.", max_abs_err=1e-6, max_rel_err=1e-7))
    both = teacher().refine_batch([request(parent, SUM, 4), request(other, SUM, 4)])
    assert len({c["code"] for c in both}) == 8


def test_no_answer_for_a_spec_without_templates():
    # Convolutions are the one family without templates.
    dims = {"batch": 1, "in_channels": 3, "out_channels": 8, "kernel": 3, "stride": 1, "height": 8, "width": 8}
    conv = render_problem(problem_from_op(OPS["conv2d"], dims, "float32", {}), "t").to_row()
    declined = teacher().generate(conv)[0]
    assert not declined["code"] and "no template" in json.loads(declined["teacher_meta"])["declined"]
    parent = {**declined, **Verdict.reject(Reason.NO_CODE, "no code.").to_row(), "device": "cpu", "hardware": "cpu"}
    assert teacher().refine_batch([request(parent, conv)]) == []
