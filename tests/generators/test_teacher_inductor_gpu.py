"""The inductor teacher on a GPU, end to end: live torch.compile of sampled specs, conversion with the
autotuner's launch settings, and the real GPU verifier's verdict. Run on the device machine:
    python -m pytest -m gpu tests/generators/test_teacher_inductor_gpu.py
"""

from __future__ import annotations

import json

import pytest

from filters.verifier.options import VerifyOptions
from filters.verifier.runtime import Runtime
from filters.verifier.verify import verify
from generators.specs import OPS, problem_from_op, render
from kerneldata.core.config import TeacherConfig
from kerneldata.core.outcomes import Reason, Status

pytestmark = pytest.mark.gpu

# Correctness decides here: a compiled kernel may be no faster than eager on a small problem.
GPU = VerifyOptions(device="cuda", timeout_s=120, num_seeds=2, min_speedup=0.0, baselines=("eager",))


def spec(op: str, dims: dict, dtype: str = "float32") -> dict:
    return render(problem_from_op(OPS[op], dims, dtype, {}), "gpu-test").to_row()


@pytest.fixture(scope="module")
def teacher():
    from generators.teachers.inductor import InductorTeacher

    return InductorTeacher(TeacherConfig(kind="inductor", samples_per_spec=3), seed=0)


@pytest.fixture(scope="module")
def runtime():
    with Runtime("cuda") as shared:
        yield shared


def judge(row: dict, runtime) -> object:
    return verify(row["reference_code"], row["code"], dtype=row["dtype"], atol=row["atol"], rtol=row["rtol"],
                  options=GPU, runtime=runtime, input_domains=row["input_domains"])


@pytest.mark.parametrize(("op", "dims", "dtype"), [
    ("relu", {"rows": 512, "cols": 1024}, "float32"),
    ("softmax", {"rows": 256, "cols": 1000}, "float16"),
    ("layer_norm", {"tokens": 128, "hidden": 768}, "bfloat16"),
    ("sum", {"rows": 64, "cols": 5000}, "float32"),
])
def test_compiled_kernels_are_accepted_by_the_gpu_verifier(teacher, runtime, op, dims, dtype):
    row_spec = spec(op, dims, dtype)
    (row,) = teacher.generate_batch([row_spec])
    meta = json.loads(row["teacher_meta"])
    assert row["code"] is not None, meta.get("declined")
    assert meta["extern_calls"] == [] and meta["kernels"]
    assert set(meta["launch_source"].values()) == {"autotuner"}
    verdict = judge(row, runtime)
    assert verdict.status is Status.ACCEPTED, verdict.reason


def test_vendor_library_calls_are_marked_and_left_to_the_verifier(teacher, runtime):
    (row,) = teacher.generate_batch([spec("matmul", {"m": 256, "k": 256, "n": 256}, "float16")])
    meta = json.loads(row["teacher_meta"])
    assert meta["extern_calls"] == ["mm"] and "torch.mm(" in row["code"]
    verdict = judge(row, runtime)
    assert verdict.status is Status.REJECTED
    assert verdict.reason_code in {Reason.NO_TRITON_KERNEL, Reason.TORCH_OUTSIDE_KERNEL}
