"""The verifier on a GPU (run on the device machine; skipped where torch sees no GPU): the same verdicts as
on CPU where the interpreter can judge, and real verdicts where it cannot (TF32)."""

from __future__ import annotations

import json

import pytest

from kerneldata.core.config import SpecsConfig, TeacherConfig
from kerneldata.core.outcomes import Reason, Status
from filters.verifier.options import VerifyOptions
from filters.verifier.verify import verify
from generators.specs import SpecSampler
from generators.teachers.builtin import TEMPLATE_OPS, BuiltinTeacher
from tests.filters import candidates as c

pytestmark = pytest.mark.gpu
# Correctness tests: tiny problems are launch-bound and slower than eager, so no speedup is required here.
GPU = VerifyOptions(device="cuda", timeout_s=120, num_seeds=2, min_speedup=0.0)


def _verify(candidate, problem=c.RELU_PROBLEM):
    return verify(problem, candidate, dtype="float32", atol=1e-4, rtol=1e-4, options=GPU)


def test_honest_kernel_is_accepted_on_gpu():
    verdict = _verify(c.HONEST)
    assert verdict.status is Status.ACCEPTED, verdict
    assert verdict.device == "cuda" and (" sm_" in verdict.hardware or " gfx" in verdict.hardware)


@pytest.mark.parametrize(
    ("candidate", "problem", "reason"),
    [
        (c.WRONG_VALUES, c.RELU_PROBLEM, Reason.MISMATCH),
        (c.TF32_MATMUL, c.MATMUL_PROBLEM, Reason.MISMATCH),  # judged here, unverified under the interpreter
        # the tail holds whatever the drawn poison left there: NaN, random values, zeros or stale bytes
        (c.MISSES_THE_TAIL, c.RELU_PROBLEM, (Reason.NON_FINITE, Reason.MISMATCH, Reason.NONDETERMINISTIC)),
        (c.RETURNS_INPUT, c.COPY_PROBLEM, Reason.OUTPUT_ALIASES_INPUT),
        (c.MUTATES_INPUT, c.RELU_PROBLEM, Reason.INPUT_MUTATED),
        (c.SKIPS_THE_KERNEL, c.ZEROS_PROBLEM, Reason.NO_KERNEL_LAUNCHED),
    ],
    ids=lambda value: value.value if isinstance(value, Reason) else value[0].value if isinstance(value, tuple) else "",
)
def test_bad_candidates_are_rejected_on_gpu(candidate, problem, reason):
    verdict = _verify(candidate, problem)
    allowed = reason if isinstance(reason, tuple) else (reason,)
    assert verdict.status is Status.REJECTED and verdict.reason_code in allowed, verdict


def test_ieee_matmul_is_accepted_on_gpu():
    assert _verify(c.IEEE_MATMUL, c.MATMUL_PROBLEM).status is Status.ACCEPTED


def test_builtin_teacher_verdicts_on_gpu():
    """Every unflawed template passes on the GPU and every flaw is caught (TF32 included)."""
    from filters.verifier.runtime import Runtime

    ops = [op for group in TEMPLATE_OPS.values() for op in group]  # the teacher declines other ops
    specs = SpecSampler(SpecsConfig(num_specs=12, ops=ops), seed=0).sample(12)
    teacher = BuiltinTeacher(TeacherConfig(samples_per_spec=4), seed=0)
    correctness_only = VerifyOptions(device="cuda", num_seeds=2, min_speedup=0.0, baselines=("eager",))
    wrong = []
    with Runtime("cuda") as runtime:
        rows = [row for spec in specs for row in teacher.generate(spec.to_row())]
        for row in rows:
            verdict = verify(row["reference_code"], row["code"], dtype=row["dtype"], atol=row["atol"],
                             rtol=row["rtol"], options=correctness_only, runtime=runtime)
            flaw = json.loads(row["teacher_meta"])["flaw"]
            # a tanh GELU is within fp16's tolerance, so only fp32 must reject it
            should_pass = flaw is None or (flaw == "tanh_gelu" and row["dtype"] == "float16")
            if (verdict.status is Status.ACCEPTED) != should_pass:
                wrong.append((row["spec_id"], flaw, verdict))
            if verdict.status is Status.ACCEPTED:  # the small quickstart shapes: timed, never hidden work
                assert verdict.runtime_ms is not None and verdict.speedup_vs_eager is not None, verdict
    assert not wrong, wrong


@pytest.mark.parametrize("candidate", [c.SIDE_STREAM, c.BACKGROUND_THREAD], ids=["side-stream", "thread"])
def test_hidden_work_is_caught_statically_and_at_runtime(candidate):
    """The static gate rejects both; with the gate bypassed, the runtime checks still catch them."""
    static = _verify(candidate, c.RELU_BIG_PROBLEM)
    assert static.status is Status.REJECTED and static.check.value == "static", static
    runtime = _runtime_only(candidate)
    assert runtime.status is Status.REJECTED, runtime
    assert runtime.reason_code in (Reason.TIMING_MISMATCH, Reason.BACKGROUND_WORK, Reason.NON_FINITE,
                                   Reason.MISMATCH), runtime


def test_a_compiled_kernel_s_launches_are_counted_and_a_stream_given_to_one_is_refused():
    """`kernel.warmup(...)` then `kernel[grid](...)` launches around JITFunction.run: the worker counts and
    records those launches (accepted, its output proven), and one given a `stream=` is off the caller's stream."""
    honest = _runtime_only(c.COMPILED_AHEAD)
    assert honest.status is Status.ACCEPTED, honest
    assert c.COMPILED_SIDE_STREAM != c.COMPILED_AHEAD
    assert _verify(c.COMPILED_SIDE_STREAM, c.RELU_BIG_PROBLEM).check.value == "static"
    side = _runtime_only(c.COMPILED_SIDE_STREAM)
    assert side.status is Status.REJECTED and side.reason_code is Reason.BACKGROUND_WORK, side


def test_honest_big_kernel_has_no_timing_mismatch():
    verdict = _runtime_only(c.HONEST.replace("BLOCK=256", "BLOCK=1024").replace(", 256)", ", 1024)"))
    assert verdict.reason_code is not Reason.TIMING_MISMATCH, verdict
    assert verdict.runtime_ms is not None and verdict.speedup_vs_eager is not None, verdict


def test_another_process_on_the_gpu_is_not_hidden_work():
    """Another process's kernels hold the device for whole time slices and every call queued behind them waits,
    the harness's empty call too: a tiny honest kernel timed meanwhile is not charged their wait as work
    outside its stream (it was, with the empty call calibrated apart: 1.6 ms "unseen" on an H100); a side
    stream is still caught."""
    import subprocess
    import sys

    busy = subprocess.Popen([sys.executable, "-c", (
        "import time, torch\n"
        "a = torch.randn(8192, 8192, device='cuda')\n"
        "end = time.time() + 90\n"
        "while time.time() < end:\n"
        "    for _ in range(20): a @ a\n"
        "    torch.cuda.synchronize()\n")])
    try:
        import time

        time.sleep(5)  # its context is up and the device busy
        honest = _runtime_only(c.HONEST, c.RELU_PROBLEM)
        side = _runtime_only(c.SIDE_STREAM, c.RELU_PROBLEM)
    finally:
        busy.kill()
        busy.wait()
    assert honest.reason_code is not Reason.TIMING_MISMATCH, honest
    assert honest.runtime_ms is not None, honest
    assert side.status is Status.REJECTED, side


def _runtime_only(candidate, problem=c.RELU_BIG_PROBLEM):
    """The verifier's runtime checks alone, as if the static gate had missed the cheat."""
    from filters.verifier.runtime import Runtime
    from filters.verifier.verify import _run_checks, load_reference

    with Runtime("cuda") as runtime:
        return _run_checks(load_reference(problem), problem, candidate, dtype="float32",
                           atol=1e-4, rtol=1e-4, options=GPU, runtime=runtime, flops=None)


def test_confinement_holds_with_cuda():
    """The confined child still gets a CUDA context and compiles (ptxas) and times; a connection attempt in
    forward is rejected at stage sandbox. Prints the layers this machine allowed, for BENCHMARKS.md."""
    from filters.verifier.runtime import Runtime
    from filters.verifier.verify import _run_checks, load_reference

    with Runtime("cuda") as runtime:
        verdict = verify(c.RELU_PROBLEM, c.HONEST, dtype="float32", atol=1e-4, rtol=1e-4, options=GPU,
                         runtime=runtime)
        assert verdict.status is Status.ACCEPTED and verdict.speedup_vs_eager is not None, verdict
        print("confinement:", runtime.confinement)
        assert "audit" in runtime.confinement
        hostile = c.relu_candidate('''
socket.create_connection(("127.0.0.1", 22), timeout=1)
out = torch.empty_like(x)
relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
return out
''', extra="import socket\n")
        verdict = _run_checks(load_reference(c.RELU_PROBLEM), c.RELU_PROBLEM, hostile, dtype="float32", atol=1e-4,
                              rtol=1e-4, options=GPU, runtime=runtime, flops=None)
        assert verdict.reason_code is Reason.NETWORK_ACCESS, verdict


def test_a_reference_that_device_asserts_on_transformed_inputs_never_runs_on_them():
    """binary_cross_entropy device-asserts on a probability outside [0, 1], which kills the CUDA context of
    the verifier's process. Without input_domains the CPU probe keeps the transforms off those inputs: the
    verdicts are the CPU ones, and the same process goes on to verify the next candidate."""
    from filters.verifier.runtime import Runtime

    with Runtime("cuda") as runtime:
        def judge(candidate, problem):
            return verify(problem, candidate, dtype="float32", atol=1e-4, rtol=1e-4, options=GPU, runtime=runtime)

        honest = judge(c.BCE_HONEST, c.BCE_PROBLEM)
        assert honest.status is Status.ACCEPTED and "5 transforms of them (5 skipped" in honest.reason, honest
        wrong = judge(c.BCE_WRONG_NEAR_ONE, c.BCE_PROBLEM)
        assert wrong.status is Status.REJECTED and wrong.reason_code is Reason.MISMATCH, wrong
        weighted = judge(c.BCE_WEIGHTED_HONEST, c.BCE_WEIGHTED_PROBLEM)
        assert weighted.status is Status.ACCEPTED and "9 transforms of them" in weighted.reason, weighted
        assert "skipped: the reference itself fails on its inputs masked with -inf" in weighted.reason, weighted
        clips = judge(c.BCE_WEIGHTED_CLIPS, c.BCE_WEIGHTED_PROBLEM)
        assert clips.status is Status.REJECTED and "on inputs scaled by 64" in clips.reason, clips
        assert judge(c.HONEST, c.RELU_PROBLEM).status is Status.ACCEPTED
