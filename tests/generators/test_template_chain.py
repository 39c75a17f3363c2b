"""The built-in teacher's row-wise chain templates (`generators.teachers.templates.chain`) on workload specs:
which recorded chains it answers and declines (over the real-scale yield specs where they are present), and
the truth of every variant under the real verifier (CPU, Triton interpreter) on small hand-written specs
that carry a second workload at another shape: each correct variant accepted there too, each flaw rejected."""

from __future__ import annotations

import json
import pathlib
import random
import re

import pytest

from generators.refine import feedback
from generators.teachers.base import RefineRequest
from generators.teachers.builtin import BuiltinTeacher, Decline, render, variants_for
from generators.teachers.builtin_refine import refine_rows
from generators.teachers.templates.chain import parse_chain
from kerneldata.core.config import TeacherConfig
from kerneldata.core.outcomes import Reason, Status, Verdict
from kerneldata.core.spec import TOLERANCES

YIELD_SPECS = pathlib.Path("/work/main/.gpurun/yield_specs.jsonl")

# ------------------------------------------------------------------------------------------ spec rows

_TEMPLATE = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """A fused chain (test)."""

    def __init__(self):
        super().__init__()

    def forward(self, {args}):
{body}


DTYPE = {dtype}


def get_inputs():
{inputs}
    return [{args}]


def get_init_inputs():
    return []
'''


def _reference(forward: str, inputs: dict[str, tuple[tuple, str, str]], dtype: str) -> str:
    """`inputs`: name -> (shape, dtype spelling, how: "randn" or "slice" (a view of a wider tensor))."""
    lines = []
    for name, (shape, spelled, how) in inputs.items():
        if how == "slice":  # the last dim sliced out of one twice as wide, as a fused projection's half
            wide = (*shape[:-1], 2 * shape[-1])
            lines.append(f"    {name} = torch.randn({wide}, dtype={spelled})[..., :{shape[-1]}]")
        else:
            lines.append(f"    {name} = torch.randn({shape}, dtype={spelled})")
    body = "\n".join("        " + line.strip() for line in forward.strip().splitlines())
    return _TEMPLATE.format(args=", ".join(inputs), body=body, dtype=f"torch.{dtype}", inputs="\n".join(lines))


def spec_row(name: str, forward: str, inputs: dict, dtype: str, other_shapes: list[tuple]) -> dict:
    """A workload spec row with a second workload whose inputs have `other_shapes`."""
    reference = _reference(forward, inputs, dtype)
    other = {n: (shape, spelled, how) for (n, (_, spelled, how)), shape in zip(inputs.items(), other_shapes)}
    atol, rtol = TOLERANCES[dtype]
    return {"spec_id": f"chain-test-{name}", "family": "workload",
            "ops": re.findall(r"aten\.(\w+)\.", forward), "dtype": dtype,
            "shapes": [list(shape) for shape, _, _ in inputs.values()], "reference_code": reference,
            "spec_origin": f"test:{name}", "atol": atol, "rtol": rtol, "input_domains": ["unspecified"] * len(inputs),
            "workloads": [{"label": "other", "shapes": [list(s) for s in other_shapes],
                           "reference_code": _reference(forward, other, dtype)}]}


RMSNORM = """
t0 = torch.ops.aten._to_copy.default(x0, dtype=torch.float32)
t1 = torch.ops.aten.pow.Tensor_Scalar(t0, 2)
t2 = torch.ops.aten.mean.dim(t1, [-1], True)
t3 = torch.ops.aten.add.Tensor(t2, 1e-05)
t4 = torch.ops.aten.rsqrt.default(t3)
t5 = torch.ops.aten.detach.default(t4)
t6 = torch.ops.aten.mul.Tensor(t0, t4)
t7 = torch.ops.aten._to_copy.default(t6, dtype=DTYPE)
t8 = torch.ops.aten.mul.Tensor(x1, t7)
return t8
"""
# Residual add + RMSNorm, returning the normed rows, the residual sum and the per-row rstd; a view that
# flattens the leading dims and a cast at the end, as some recorded chains have.
RESIDUAL_RMSNORM = """
t0 = torch.ops.aten.add.Tensor(x0, x1)
t1 = torch.ops.aten._to_copy.default(t0, dtype=torch.float32)
t2 = torch.ops.aten.pow.Tensor_Scalar(t1, 2)
t3 = torch.ops.aten.mean.dim(t2, [-1], True)
t4 = torch.ops.aten.add.Tensor(t3, 1e-06)
t5 = torch.ops.aten.rsqrt.default(t4)
t6 = torch.ops.aten.mul.Tensor(t1, t5)
t7 = torch.ops.aten._to_copy.default(t6, dtype=DTYPE)
t8 = torch.ops.aten.mul.Tensor(x2, t7)
t9 = torch.ops.aten.view.default(t8, [-1, 80])
t10 = torch.ops.aten._to_copy.default(t9, dtype=torch.float32)
return (t10, t0, t5)
"""
SILU_MUL = """
t0 = torch.ops.aten.silu.default(x0)
t1 = torch.ops.aten.mul.Tensor(x1, t0)
return t1
"""
GELU_TANH = """
t0 = torch.ops.aten.pow.Tensor_Scalar(x0, 3.0)
t1 = torch.ops.aten.mul.Tensor(t0, 0.044715)
t2 = torch.ops.aten.add.Tensor(x0, t1)
t3 = torch.ops.aten.mul.Tensor(t2, 0.7978845608028654)
t4 = torch.ops.aten.tanh.default(t3)
t5 = torch.ops.aten.detach.default(t4)
t6 = torch.ops.aten.add.Tensor(t4, 1.0)
t7 = torch.ops.aten.mul.Tensor(x1, t6)
return t7
"""
CAST = """
t0 = torch.ops.aten._to_copy.default(x0, dtype=torch.float32)
t1 = torch.ops.aten.add.Tensor(t0, 1.0)
t2 = torch.ops.aten.mul.Tensor(x1, t1)
t3 = torch.ops.aten._to_copy.default(t2, dtype=DTYPE, layout=torch.strided)
return t3
"""
# Scale-shift (a vector cast up, plus 1, times fp32 rows), cast down, residual add, RMSNorm without weight:
# vector values computed in the row kernel, mixed input dtypes, an fp32 output.
SCALE_SHIFT_RMSNORM = """
t0 = torch.ops.aten._to_copy.default(x0, dtype=torch.float32)
t1 = torch.ops.aten.add.Tensor(t0, 1.0)
t2 = torch.ops.aten.mul.Tensor(x1, t1)
t3 = torch.ops.aten._to_copy.default(t2, dtype=DTYPE, layout=torch.strided)
t4 = torch.ops.aten.add.Tensor(x2, t3)
t5 = torch.ops.aten._to_copy.default(t4, dtype=torch.float32)
t6 = torch.ops.aten.pow.Tensor_Scalar(t5, 2)
t7 = torch.ops.aten.mean.dim(t6, [-1], True)
t8 = torch.ops.aten.add.Tensor(t7, 1e-06)
t9 = torch.ops.aten.rsqrt.default(t8)
t10 = torch.ops.aten.detach.default(t9)
t11 = torch.ops.aten.mul.Tensor(t5, t9)
return t11
"""
# Two outputs of an elementwise chain, one through a clone.
SILU_MUL_TWO = """
t0 = torch.ops.aten.silu.default(x0)
t1 = torch.ops.aten.mul.Tensor(x1, t0)
t2 = torch.ops.aten.clone.default(t0, memory_format=torch.contiguous_format)
return (t1, t2)
"""
MUL_SUB = """
t0 = torch.ops.aten.mul.Tensor(x0, x1)
t1 = torch.ops.aten.sub.Tensor(x2, t0)
return t1
"""


def rmsnorm_row() -> dict:
    # fp16 (the interpreter cannot judge bf16): 6 rows of 96, padded to 128 (so a padded mean shows) and not
    # a multiple of 4 rows (so a floor-divided row grid drops rows); the other workload is decode-like.
    return spec_row("rmsnorm", RMSNORM, {"x0": ((2, 3, 96), "DTYPE", "randn"), "x1": ((96,), "DTYPE", "randn")},
                    "float16", [(5, 1, 96), (96,)])


def residual_rmsnorm_row() -> dict:
    return spec_row("residual-rmsnorm", RESIDUAL_RMSNORM,
                    {"x0": ((2, 3, 80), "DTYPE", "randn"), "x1": ((2, 3, 80), "DTYPE", "slice"),
                     "x2": ((80,), "DTYPE", "randn")}, "float16", [(3, 1, 80), (3, 1, 80), (80,)])


def silu_mul_row() -> dict:
    return spec_row("silu-mul", SILU_MUL, {"x0": ((2, 5, 56), "DTYPE", "slice"), "x1": ((2, 5, 56), "DTYPE", "slice")},
                    "float16", [(4, 1, 56), (4, 1, 56)])


def gelu_tanh_row() -> dict:
    return spec_row("gelu-tanh", GELU_TANH, {"x0": ((3, 100), "DTYPE", "randn"), "x1": ((3, 100), "DTYPE", "randn")},
                    "float32", [(1, 100), (1, 100)])


def cast_row() -> dict:
    return spec_row("cast", CAST, {"x0": ((48,), "DTYPE", "randn"), "x1": ((2, 3, 48), "torch.float32", "randn")},
                    "float16", [(48,), (4, 1, 48)])


def scale_shift_rmsnorm_row() -> dict:
    return spec_row("scale-shift-rmsnorm", SCALE_SHIFT_RMSNORM,
                    {"x0": ((72,), "DTYPE", "randn"), "x1": ((2, 3, 72), "torch.float32", "randn"),
                     "x2": ((2, 3, 72), "DTYPE", "randn")}, "float16", [(72,), (4, 1, 72), (4, 1, 72)])


def silu_mul_two_row() -> dict:
    return spec_row("silu-mul-two", SILU_MUL_TWO, {"x0": ((3, 40), "DTYPE", "randn"), "x1": ((3, 40), "DTYPE", "randn")},
                    "float16", [(1, 40), (1, 40)])


def mul_sub_row() -> dict:
    return spec_row("mul-sub", MUL_SUB, {"x0": ((2, 3, 8, 4), "DTYPE", "slice"), "x1": ((1, 1, 8, 4), "DTYPE", "randn"),
                                         "x2": ((2, 3, 8, 4), "DTYPE", "randn")},
                    "float32", [(3, 1, 1, 4), (1, 1, 1, 4), (3, 1, 1, 4)])


# ------------------------------------------------------------------------------------------ parsing

def test_chains_are_parsed_into_rows_vectors_and_per_row_scalars():
    chain = parse_chain(residual_rmsnorm_row())
    assert chain.reduces and chain.shape == (2, 3, 80) and (chain.n_rows, chain.n_cols) == (6, 80)
    kinds = {name: step.kind for name, step in chain.steps.items()}
    assert kinds["x2"] == "vector" and kinds["t3"] == "rowscalar" and kinds["t8"] == "row"
    assert chain.outputs == ("t10", "t0", "t5") and chain.steps["t10"].flat2d
    assert chain.steps["t7"].dtype == "float16" and chain.steps["t10"].dtype == "float32"
    assert not parse_chain(gelu_tanh_row()).reduces


@pytest.mark.parametrize("forward, why", [
    ("t0 = torch.ops.aten.sum.dim_IntList(x0, [1])\nt1 = torch.ops.aten.mul.Tensor(t0, 2)\nreturn t1",
     "reduce the last dim only"),
    ("t0 = torch.ops.aten.mean.dim(x0, [-1])\nt1 = torch.ops.aten.mul.Tensor(t0, 2)\nreturn t1", "keepdim"),
    ("t0 = torch.ops.aten.neg.default(x0)\nt1 = torch.ops.aten.transpose.int(t0, 0, 1)\nreturn t1",
     "aten.transpose.int has no chain template"),
    ("t0 = torch.ops.aten.mean.dim(x0, [-1], True)\nt1 = torch.ops.aten.view.default(t0, [24, 1])\nreturn t1",
     "views a value that is not full rows"),
    ("t0 = torch.ops.aten.neg.default(x0)\nt1 = torch.ops.aten.view.default(t0, [6, 32])\nreturn t1",
     "views that flatten the leading dims only"),
    ("t0 = torch.ops.aten.add.Tensor(x0, x1, alpha=2)\nt1 = torch.ops.aten.neg.default(t0)\nreturn t1",
     "do not model"),
    ("t0 = torch.ops.aten.pow.Tensor_Scalar(x0, 2.5)\nt1 = torch.ops.aten.neg.default(t0)\nreturn t1", "exponent"),
])
def test_what_the_templates_cannot_express_is_declined_in_one_line(forward, why):
    row = spec_row("declined", forward, {"x0": ((6, 4, 8), "DTYPE", "randn"), "x1": ((6, 4, 8), "DTYPE", "randn")},
                   "float32", [(2, 4, 8), (2, 4, 8)])
    with pytest.raises(Decline, match=why) as err:
        variants_for(row)
    assert "\n" not in str(err.value) and str(err.value).startswith("a fused chain")


def test_a_per_row_input_broadcast_is_declined_beside_a_reduction():
    forward = ("t0 = torch.ops.aten.mul.Tensor(x0, x1)\nt1 = torch.ops.aten.sum.dim_IntList(t0, [-1], True)\n"
               "return t1")
    row = spec_row("declined", forward, {"x0": ((6, 8), "DTYPE", "randn"), "x1": ((6, 1), "DTYPE", "randn")},
                   "float32", [(2, 8), (2, 1)])
    with pytest.raises(Decline, match="neither full rows"):
        variants_for(row)


def test_the_teacher_answers_the_real_workload_chains():
    """Over the 150 real-scale yield specs (when present): RMSNorm, residual + RMSNorm, silu * mul, tanh-GELU
    and the scale-shift casts are answered, with code; rotary, layer norm and masks are declined."""
    if not YIELD_SPECS.exists():
        pytest.skip(f"{YIELD_SPECS} is not on this machine")
    rows = [json.loads(line) for line in YIELD_SPECS.read_text().splitlines() if line.strip()]
    answered, declined = [], []
    for row in rows:
        try:
            variants_for(row)
            answered.append(">".join(op for op in row["ops"] if op != "detach"))
        except Decline as err:
            assert "\n" not in str(err)
            declined.append(">".join(row["ops"]))
    for chain in ("_to_copy>pow>mean>add>rsqrt>mul>_to_copy>mul", "add>_to_copy>pow>mean>add>rsqrt>mul>_to_copy>mul",
                  "silu>mul", "pow>mul>add>mul>tanh>add>mul", "_to_copy>add>mul>_to_copy",
                  "_to_copy>pow>mean>add>rsqrt>mul"):
        assert chain in answered, chain
    assert not any("cat" in ops or "layer_norm" in ops or "bitwise_and" in ops for ops in answered)
    assert len(answered) >= 85, len(answered)  # 88 of 150 when this test was written
    teacher = BuiltinTeacher(TeacherConfig(samples_per_spec=3), seed=0)
    for row in rows[:20]:
        for candidate in teacher.generate(row):
            meta = json.loads(candidate["teacher_meta"])
            assert (candidate["code"] is None) == ("declined" in meta)
            if candidate["code"] is not None:
                compile(candidate["code"], "candidate", "exec")


def test_kernels_read_shapes_at_run_time():
    """No size of the shown workload is baked into a kernel or launcher (the verifier checks others)."""
    row = rmsnorm_row()
    for variant in variants_for(row):
        code = render(row, random.Random(0), variant.name).code
        assert "96" not in code and "128" not in code, variant.name


# ------------------------------------------------------------------------------------------ the verifier

@pytest.fixture(scope="module")
def runtime():
    from filters.verifier.runtime import Runtime

    with Runtime("cpu") as rt:
        yield rt


def judge(row: dict, code: str, runtime) -> Verdict:
    from filters.verifier.options import VerifyOptions
    from filters.verifier.verify import verify

    options = VerifyOptions(device="cpu", num_seeds=1, min_speedup=0.0, baselines=("eager",), timeout_s=120)
    return verify(row["reference_code"], code, dtype=row["dtype"], atol=row["atol"], rtol=row["rtol"],
                  options=options, runtime=runtime, input_domains=row["input_domains"], workloads=row["workloads"])


def check_variants(row: dict, runtime, *, flaws: set[str], structures: set[str]) -> None:
    """Every applicable variant judged as claimed: correct accepted (on both workloads), flawed rejected."""
    variants = variants_for(row)
    assert {v.name for v in variants if v.flaw} == flaws
    assert {v.name for v in variants if not v.flaw} == structures
    wrong = []
    for variant in variants:
        draft = render(row, random.Random(f"test:{variant.name}"), variant.name)
        verdict = judge(row, draft.code, runtime)
        expected = Status.REJECTED if variant.flaw else Status.ACCEPTED
        if verdict.status is not expected:
            wrong.append(f"{variant.name}: {verdict.status.value} {verdict.reason_code} {verdict.reason}")
        if variant.flaw:
            assert verdict.reason_code in (Reason.MISMATCH, Reason.SHAPE_SPECIALISED, Reason.NON_FINITE), verdict
    assert not wrong, "\n".join(wrong)


def test_rmsnorm_variants_are_judged_as_claimed(runtime):
    check_variants(rmsnorm_row(), runtime, flaws={"padded_mean", "floor_row_grid", "half_precision_sum"},
                   structures={"single_pass", "looped"})


def test_residual_rmsnorm_with_several_outputs_is_judged_as_claimed(runtime):
    check_variants(residual_rmsnorm_row(), runtime, flaws={"padded_mean", "floor_row_grid", "half_precision_sum"},
                   structures={"single_pass", "looped"})


def test_a_half_precision_sum_fails_in_the_looped_structure_too(runtime):
    row = rmsnorm_row()
    draft = next(d for d in (render(row, random.Random(seed), "half_precision_sum") for seed in range(50))
                 if d.params["structure"] == "looped")
    assert "acc = tl.zeros([BLOCK_N], dtype=tl.float16)" in draft.code
    verdict = judge(row, draft.code, runtime)
    assert verdict.status is Status.REJECTED and "scaled by 64" in verdict.reason, verdict


def test_a_half_precision_sum_is_offered_only_where_it_shows():
    """Not in fp32 (no half type to sum in), not for rows too short to overflow, not for bf16 (its range
    holds the sum and one bf16 rounding of it is inside bf16's tolerance)."""
    assert "half_precision_sum" not in {v.name for v in variants_for(residual_rmsnorm_row() | {"dtype": "float32"})}
    short = spec_row("short", RMSNORM, {"x0": ((2, 3, 24), "DTYPE", "randn"), "x1": ((24,), "DTYPE", "randn")},
                     "float16", [(5, 1, 24), (24,)])
    assert "half_precision_sum" not in {v.name for v in variants_for(short)}
    # Squares of a product (the scale-shift chain): scaled inputs may overflow the reference's own fp16 product.
    assert "half_precision_sum" not in {v.name for v in variants_for(scale_shift_rmsnorm_row())}


def test_silu_mul_on_strided_inputs_is_judged_as_claimed(runtime):
    check_variants(silu_mul_row(), runtime, flaws={"floor_div_grid"}, structures={"flat_block", "grid_stride"})


def test_gelu_tanh_is_judged_as_claimed(runtime):
    check_variants(gelu_tanh_row(), runtime, flaws={"floor_div_grid"}, structures={"flat_block", "grid_stride"})


def test_cast_broadcast_vector_and_two_output_chains_are_accepted(runtime):
    for row in (cast_row(), mul_sub_row(), scale_shift_rmsnorm_row(), silu_mul_two_row()):
        for variant in variants_for(row):
            if variant.flaw:
                continue
            verdict = judge(row, render(row, random.Random(1), variant.name).code, runtime)
            assert verdict.status is Status.ACCEPTED, (row["spec_id"], variant.name, verdict.reason)


# ------------------------------------------------------------------------------------------ refinement

def test_refinement_fixes_a_flawed_chain_and_varies_an_accepted_one():
    """The refinement path answers chain parents like any template's: a flawed parent gets its structure
    without the flaw, an accepted one another correct variant; no crash on the new group."""
    row = rmsnorm_row()
    teacher = BuiltinTeacher(TeacherConfig(samples_per_spec=2), seed=0)
    base = teacher.generate(row)[0]
    answers = {}
    for variant, verdict in (("padded_mean", Verdict.reject(Reason.MISMATCH, "outputs differ.")),
                             ("single_pass", Verdict.accept("matches the reference."))):
        draft = render(row, random.Random(5), variant)
        meta = {"template": "builtin", "variant": draft.variant, "flaw": draft.flaw, **draft.params}
        parent = {**base, "code": draft.code, "teacher_meta": json.dumps(meta), "candidate_id": f"p-{variant}",
                  **verdict.to_row(), "device": "cpu", "hardware": "cpu"}
        request = RefineRequest(row, parent, feedback(parent, target_speedup=1.5), 1, ())
        (child,) = refine_rows([request], seed=0)
        answers[variant] = json.loads(child["teacher_meta"])
    assert (answers["padded_mean"]["answer"], answers["padded_mean"]["variant"]) == ("fix", "single_pass")
    assert answers["padded_mean"]["flaw"] is None and answers["single_pass"]["flaw"] is None
