"""The verifier on CPU (Triton interpreter): an honest kernel is accepted; each cheat or failure gets the
verdict written beside it in candidates.py; the caller survives hostile children."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kerneldata.core.outcomes import Check, Reason, Status
from filters.verifier.sandbox import child_environment
from filters.verifier.options import VerifyOptions
from filters.verifier.verify import verify
from tests.filters import candidates as c

CPU = VerifyOptions(device="cpu", timeout_s=60, num_seeds=2)


def _verify(candidate: str, problem: str = c.RELU_PROBLEM, dtype: str = "float32", options=CPU):
    return verify(problem, candidate, dtype=dtype, atol=1e-4, rtol=1e-4, options=options)


def test_honest_kernel_is_accepted():
    verdict = _verify(c.HONEST)
    assert verdict.status is Status.ACCEPTED, verdict
    assert verdict.max_abs_err == 0.0
    assert verdict.speedup_vs_eager is None and "not measured on CPU" in verdict.reason
    assert verdict.hardware.startswith("cpu ") and "triton-interpreter" in verdict.hardware


def test_ieee_matmul_is_accepted():
    assert _verify(c.IEEE_MATMUL, c.MATMUL_PROBLEM).status is Status.ACCEPTED


@pytest.mark.parametrize(
    ("candidate", "problem", "reason"),
    [
        (c.WRONG_VALUES, c.RELU_PROBLEM, Reason.MISMATCH),
        (c.TORCH_DOES_THE_WORK, c.RELU_PROBLEM, Reason.TORCH_OUTSIDE_KERNEL),
        (c.ALIASED_F, c.RELU_PROBLEM, Reason.TORCH_OUTSIDE_KERNEL),
        (c.FALLBACK, c.RELU_PROBLEM, Reason.FALLBACK),
        (c.IMPORTS_OS, c.RELU_PROBLEM, Reason.IO_ACCESS),
        (c.USES_EVAL, c.RELU_PROBLEM, Reason.DYNAMIC_CODE),
        (c.NO_KERNEL, c.RELU_PROBLEM, Reason.NO_TRITON_KERNEL),
        (c.NO_MODEL_NEW, c.RELU_PROBLEM, Reason.NO_MODEL_NEW),
        (c.SYNTAX_ERROR, c.RELU_PROBLEM, Reason.SYNTAX_ERROR),
        (c.RETURNS_INPUT, c.COPY_PROBLEM, Reason.OUTPUT_ALIASES_INPUT),
        (c.MUTATES_INPUT, c.RELU_PROBLEM, Reason.INPUT_MUTATED),
        (c.SKIPS_THE_KERNEL, c.ZEROS_PROBLEM, Reason.NO_KERNEL_LAUNCHED),
        (c.RAISES, c.RELU_PROBLEM, Reason.RUNTIME_ERROR),
        (c.WRONG_SHAPE, c.RELU_PROBLEM, Reason.BAD_OUTPUT),
        # the poison varies per call (filters.verifier.disguise): NaN shows as non-finite, other poison as a mismatch
        (c.MISSES_THE_TAIL, c.RELU_PROBLEM, (Reason.NON_FINITE, Reason.MISMATCH, Reason.NONDETERMINISTIC)),
    ],
    ids=lambda value: value.value if isinstance(value, Reason) else value[0].value if isinstance(value, tuple) else "",
)
def test_bad_candidates_are_rejected(candidate, problem, reason):
    verdict = _verify(candidate, problem)
    assert verdict.status is Status.REJECTED, verdict
    assert verdict.reason_code in (reason if isinstance(reason, tuple) else (reason,)), verdict
    assert verdict.check is (reason[0] if isinstance(reason, tuple) else reason).check


def test_softmax_without_max_subtraction_fails_on_scaled_inputs():
    assert _verify(c.STABLE_SOFTMAX, c.SOFTMAX_PROBLEM).status is Status.ACCEPTED
    verdict = _verify(c.NAIVE_SOFTMAX, c.SOFTMAX_PROBLEM)
    assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.NON_FINITE, verdict
    assert "inputs scaled by 64" in verdict.reason


def test_zygote_runtime_gives_the_same_verdicts():
    from filters.verifier.runtime import Runtime

    with Runtime("cpu") as runtime:
        for candidate, status in ((c.HONEST, Status.ACCEPTED), (c.WRONG_VALUES, Status.REJECTED),
                                  (c.SEGFAULTS, Status.REJECTED), (c.HONEST, Status.ACCEPTED)):
            verdict = verify(c.RELU_PROBLEM, candidate, dtype="float32", atol=1e-4, rtol=1e-4, options=CPU,
                             runtime=runtime)
            assert verdict.status is status, verdict


def test_tf32_matmul_is_unverified_on_cpu():
    verdict = _verify(c.TF32_MATMUL, c.MATMUL_PROBLEM)
    assert verdict.status is Status.UNVERIFIED and verdict.reason_code is Reason.INTERPRETER_LIMIT


@pytest.mark.parametrize("candidate", [c.HANGS, c.HANGS_AT_IMPORT], ids=["in-forward", "at-import"])
def test_hang_is_cut_off_within_the_timeout(candidate):
    started = time.monotonic()
    verdict = _verify(candidate, options=VerifyOptions(device="cpu", timeout_s=4, num_seeds=1))
    assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.TIMEOUT
    assert verdict.check is Check.SANDBOX
    # The hang is cut at 4 s; the rest is starting a fresh worker (an interpreter importing torch and
    # triton), which on a loaded 2-core machine takes tens of seconds. A hang not cut would never end.
    assert time.monotonic() - started < 90


def test_out_of_bounds_crash_costs_only_the_candidate():
    verdict = _verify(c.SEGFAULTS, options=VerifyOptions(device="cpu", timeout_s=30, num_seeds=1))
    assert verdict.status is Status.REJECTED
    assert verdict.reason_code is Reason.CRASHED and "SIGSEGV" in verdict.reason, verdict
    assert _verify(c.HONEST).status is Status.ACCEPTED  # the caller is fine afterwards


def test_stdout_flood_is_capped():
    options = VerifyOptions(device="cpu", timeout_s=30, num_seeds=1, output_limit_bytes=1 << 20)
    verdict = _verify(c.FLOODS_STDOUT, options=options)
    assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.OUTPUT_FLOOD, verdict


def test_no_sandbox_process_or_scratch_is_left_behind(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    _verify(c.HANGS, options=VerifyOptions(device="cpu", timeout_s=3, num_seeds=1))
    assert list(tmp_path.iterdir()) == []
    leftover = []
    for proc in Path("/proc").glob("[0-9]*"):  # any process still working in our scratch directories
        try:
            if str(proc.joinpath("cwd").readlink()).startswith(str(tmp_path)):
                leftover.append(proc.name)
        except OSError:
            pass
    assert leftover == []


def test_child_environment_has_no_secrets(tmp_path, monkeypatch):
    for name in ("HF_TOKEN", "OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY", "MY_SERVICE_TOKEN", "WANDB_API_KEY"):
        monkeypatch.setenv(name, "s3cret")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    env = child_environment(tmp_path, "cpu")
    assert "s3cret" not in env.values()
    assert env["CUDA_VISIBLE_DEVICES"] == "0" and env["TRITON_INTERPRET"] == "1"
    assert env["HOME"] == str(tmp_path)
    assert set(env) <= set(os.environ) | {"HOME", "TMPDIR", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE",
                                          "PYTHONUNBUFFERED", "TRITON_CACHE_DIR", "TORCHINDUCTOR_CACHE_DIR", "OMP_NUM_THREADS",
                                          "TORCHINDUCTOR_COMPILE_THREADS",
                                          "MKL_NUM_THREADS", "TRITON_INTERPRET", "CUDA_CACHE_DISABLE",
                                          "USE_PYTORCH_KERNEL_CACHE"}


def test_background_thread_is_caught_at_runtime_even_past_the_static_gate():
    from filters.verifier.runtime import Runtime
    from filters.verifier.verify import _run_checks, load_reference

    assert _verify(c.BACKGROUND_THREAD).check is Check.STATIC
    with Runtime("cpu") as runtime:
        verdict = _run_checks(load_reference(c.RELU_PROBLEM), c.RELU_PROBLEM, c.BACKGROUND_THREAD, dtype="float32",
                              atol=1e-4, rtol=1e-4, options=CPU, runtime=runtime, flops=None)
    assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.BACKGROUND_WORK, verdict


def test_transforms_keep_inputs_in_their_declared_domains():
    """sqrt of a positive input: negating or shifting it would leave the domain (the reference turns NaN
    and the transform is skipped anyway); a kernel that is only right for non-negative inputs is accepted,
    and with the domain declared the verdict says only the scale transforms (by 64 and by 1/64) ran."""
    from filters.verifier.inputs import transformable

    problem = c.RELU_PROBLEM.replace("torch.relu(x)", "torch.sqrt(x)").replace(
        "torch.randn(16, 300)", "torch.rand(16, 300) + 0.1")
    candidate = c.HONEST.replace("tl.maximum(x, 0.0)", "tl.sqrt(x)")
    declared = verify(problem, candidate, dtype="float32", atol=1e-4, rtol=1e-4, options=CPU,
                      input_domains=["positive"])
    assert declared.status is Status.ACCEPTED, declared
    assert "and 2 transforms" in declared.reason, declared.reason
    import torch

    x, index = torch.rand(3), torch.arange(3)
    assert transformable([x, index, 2.0], ["positive", "index[0,3)"], "scale") == [True, False, False]
    assert transformable([x, index, 2.0], ["positive", "index[0,3)"], "negate") == [False, False, False]
    assert transformable([x, index], None, "negate") == [True, False]  # no domains: every float tensor


def test_a_raising_candidate_keeps_the_last_lines_of_its_traceback():
    verdict = _verify(c.RAISES)
    assert verdict.reason_code is Reason.RUNTIME_ERROR
    # The candidate's own frame (named as the candidate knows its file), then the exception; the reason
    # keeps only the last line.
    lines = verdict.error_detail.splitlines()
    assert lines[0].strip().startswith('File "candidate.py", line') and lines[-1] == "RuntimeError: boom"
    assert 'raise RuntimeError("boom")' in verdict.error_detail and "kerneldata-sandbox" not in verdict.error_detail
    assert verdict.reason.endswith("RuntimeError: boom")


def test_a_mismatch_says_where_the_output_is_wrong():
    verdict = _verify(c.WRONG_VALUES)
    assert verdict.reason_code is Reason.MISMATCH and verdict.error_detail is None
    assert "first at index (" in verdict.reason and "columns" in verdict.reason


# Issue 15 section 5: the candidate cannot tell verification from use. The static gate refuses most of the
# ways a candidate could look (dunder names, frames); these run past it (`_run_checks` directly) so that
# each test fails when its run-time defence is removed.

def _past_the_gate(candidate: str, problem: str = c.RELU_PROBLEM):
    from filters.verifier.runtime import Runtime
    from filters.verifier.verify import _run_checks, load_reference

    with Runtime("cpu") as runtime:
        return _run_checks(load_reference(problem), problem, candidate, dtype="float32", atol=1e-4, rtol=1e-4,
                           options=CPU, runtime=runtime, flops=None)


def test_a_candidate_that_checks_its_module_name_is_loaded_under_another():
    # behaves only when loaded as the module "candidate" from candidate.py in candidate-N
    candidate = c.relu_candidate('''
x = x.contiguous()
out = torch.empty_like(x)
n = x.numel() if CHECKED else x.numel() // 2
relu_kernel[(triton.cdiv(n, 256),)](x, out, n, BLOCK=256)
return out
''', extra='CHECKED = __name__ == "candidate" or "candidate" in __file__\n')
    verdict = _past_the_gate(candidate)
    assert verdict.status is Status.REJECTED and verdict.check is Check.CORRECTNESS, verdict


def test_candidate_location_is_plausible_and_varies(tmp_path):
    from filters.verifier.disguise import candidate_location

    seen = set()
    for _ in range(20):
        directory, module = candidate_location(tmp_path)
        assert "candidate" not in directory.name and "candidate" not in module
        assert module.isidentifier() and directory.parent == tmp_path
        seen.add((directory.name, module))
    assert len(seen) > 5


@pytest.mark.parametrize("bug", [
    # a Tensor method that does not exist, on a scalar inside a kernel: the kernel's bug, not a gap
    ("y = tl.maximum(x, 0.0) + n.floor_div_by_zero()", "runtime_error"),
    # a host-side method on a Python float: the launcher's bug, not the interpreter's
    ("", "runtime_error"),
])
def test_a_candidates_own_bug_is_not_called_an_interpreter_gap(bug):
    line, _ = bug
    if line:
        kernel = c._RELU_KERNEL.replace("    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)",
                                        f"    {line}\n    tl.store(out_ptr + offs, y, mask=mask)")
        candidate = c.relu_candidate('''
out = torch.empty_like(x)
relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
return out
''', kernel=kernel)
    else:
        candidate = c.relu_candidate('''
scale = 1.0
scale = scale.to(torch.float32)
out = torch.empty_like(x)
relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
return out
''')
    verdict = _verify(candidate)
    assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.RUNTIME_ERROR, verdict


def test_a_raised_not_implemented_error_of_its_own_is_rejected():
    verdict = _verify(c.relu_candidate('raise NotImplementedError("extern_elementwise not supported")'))
    assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.RUNTIME_ERROR, verdict


def test_partly_changed_inputs_keep_most_values_and_the_domain():
    import torch

    from filters.verifier.inputs import partly_changed

    x, y = torch.rand(64, 64), torch.rand(64, 64) + 2.0  # a second draw, in a domain of its own
    changed = partly_changed([x, 3], [y, 3])
    assert changed[1] == 3
    from_y = changed[0] >= 2.0
    assert 0 < int(from_y.sum()) < x.numel() // 2  # some, never all
    assert torch.equal(changed[0][~from_y], x[~from_y]) and torch.equal(changed[0][from_y], y[from_y])


def test_an_output_sharing_memory_with_an_earlier_live_output_is_named():
    import torch

    from filters.verifier.sandbox_child import _Session

    session = object.__new__(_Session)
    session.model, session.previous_outputs, session.earlier_outputs = torch.nn.Module(), [], []
    first = torch.randn(8)
    session._keep_outputs([first])
    assert session._reused_output([torch.randn(8)]) is None
    assert "earlier call" in session._reused_output([first[2:]])
    session.model.register_buffer("held", torch.randn(8))
    assert "model holds" in session._reused_output([session.model.held.view(2, 4)])


def test_a_candidate_that_checks_grad_mode_is_caught():
    # does the whole work only under no_grad, as a verifier's inference-only calls used to run it
    candidate = c.relu_candidate('''
n = x.numel() if not torch.is_grad_enabled() else x.numel() // 2
out = torch.zeros_like(x)
relu_kernel[(triton.cdiv(n, 256),)](x, out, n, BLOCK=256)
return out
''')
    verdict = _past_the_gate(candidate)
    assert verdict.status is Status.REJECTED and verdict.check is Check.CORRECTNESS, verdict


def test_a_candidate_that_checks_inference_mode_is_caught():
    # does the whole work only outside inference mode, which a server calls every forward in
    candidate = c.relu_candidate('''
n = x.numel() // 2 if torch.is_inference_mode_enabled() else x.numel()
out = torch.zeros_like(x)
relu_kernel[(triton.cdiv(n, 256),)](x, out, n, BLOCK=256)
return out
''')
    verdict = _past_the_gate(candidate)
    assert verdict.status is Status.REJECTED and verdict.check is Check.CORRECTNESS, verdict


def test_a_cache_keyed_by_the_input_address_in_a_tensor_is_caught():
    # the key and the stored answer live in buffers a kernel writes; the same input object is answered
    # from the buffer, however its contents changed
    kernel = '''
@triton.jit
def relu_kernel(x_ptr, out_ptr, memo_ptr, key_ptr, key, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    seen = tl.load(key_ptr) == key
    x = tl.load(x_ptr + offs, mask=mask)
    y = tl.where(seen, tl.load(memo_ptr + offs, mask=mask), tl.maximum(x, 0.0))
    tl.store(out_ptr + offs, y, mask=mask)
    tl.store(memo_ptr + offs, y, mask=mask)


@triton.jit
def set_key_kernel(key_ptr, key):
    tl.store(key_ptr, key)
'''
    candidate = c._HEADER + kernel + '''

class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("memo", torch.zeros(1 << 16))
        self.register_buffer("key", torch.zeros(1, dtype=torch.int64))

    def forward(self, x):
        out = torch.empty_like(x)
        address = x.data_ptr()
        relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, self.memo, self.key, address, x.numel(), BLOCK=256)
        set_key_kernel[(1,)](self.key, address)
        return out
'''
    verdict = _past_the_gate(candidate)
    # the repeat on the same input object after a partial change (mismatch), or, first, the buffers the
    # kernels write on every call (kernel_state): either defence alone rejects it
    assert verdict.status is Status.REJECTED and verdict.reason_code in (Reason.MISMATCH, Reason.KERNEL_STATE), verdict


def test_an_output_kept_alive_outside_the_model_and_returned_again_is_caught():
    # a buffer kept in a module-level list (the static gate refuses that state; the runtime must too)
    candidate = c.relu_candidate('''
if not _KEPT:
    _KEPT.append(torch.empty(1 << 16))
out = _KEPT[0][:x.numel()].view(x.shape)
relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
return out
''', extra="_KEPT = []\n")
    verdict = _past_the_gate(candidate)
    assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.OUTPUT_REUSED, verdict


def test_autocast_calls_keep_the_plain_precision_only_where_the_reference_answers_alike_under_autocast():
    """A call under autocast is held to the plain answer at the spec's precision only where PyTorch's own answer
    is the same there (an elementwise ReLU: yes; a matmul, which autocast runs in the lower dtype: no, held at
    the autocast dtype's: test_lowered_precision), asked once per problem and dtype."""
    import types

    from filters.verifier.checks import CandidateChecks, load_reference

    def problem(source):
        module = load_reference(source)
        return types.SimpleNamespace(code=source, model=module.Model(*module.get_init_inputs()),
                                     inputs=module.get_inputs())

    checks = CandidateChecks.__new__(CandidateChecks)
    checks.reference_answers, checks.device = {}, "cpu"
    relu, matmul = problem(c.RELU_PROBLEM), problem(c.MATMUL_PROBLEM)
    for dtype in ("bfloat16", "float16"):
        assert checks.answers_alike_under_autocast(relu, relu.inputs, dtype)
        assert not checks.answers_alike_under_autocast(matmul, matmul.inputs, dtype)
    assert len(checks.reference_answers) == 4


def test_tf32_calls_keep_the_plain_precision_only_where_the_reference_computes_no_float32_matmul():
    """TF32 changes float32 matmuls and convolutions only: a ReLU's calls with it allowed are held at the spec's
    precision, a matmul's at TF32's. Decided by what the reference dispatches, without flipping the
    process-wide setting."""
    import types

    import torch

    from filters.verifier.checks import CandidateChecks, load_reference

    def problem(source):
        module = load_reference(source)
        return types.SimpleNamespace(code=source, model=module.Model(*module.get_init_inputs()),
                                     inputs=module.get_inputs())

    checks = CandidateChecks.__new__(CandidateChecks)
    checks.reference_answers, checks.device = {}, "cpu"
    relu, matmul = problem(c.RELU_PROBLEM), problem(c.MATMUL_PROBLEM)
    before = torch.backends.cuda.matmul.allow_tf32
    assert checks.answers_alike_with_tf32(relu, relu.inputs)
    assert not checks.answers_alike_with_tf32(matmul, matmul.inputs)
    assert torch.backends.cuda.matmul.allow_tf32 == before


PAGED_GATHER = '''
import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, cache, block_table):
        return cache[block_table].flatten(1, 2)


def get_inputs():
    # A block table drawn from the low end of its range (a small batch of short sequences often holds only
    # page 0): the declared range, index[0,4), says which pages exist.
    return [torch.randn(4, 4, 2, 8), torch.randint(0, 1, (2, 2))]


def get_init_inputs():
    return []
'''

PAGED_GATHER_KERNEL = '''
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _gather(cache_ptr, table_ptr, out_ptr, blocks_per_seq, block_size, row_size, BLOCK: tl.constexpr):
    seq = tl.program_id(0)
    slot = tl.program_id(1)
    page = tl.load(table_ptr + seq * blocks_per_seq + slot // block_size)
    src = page * block_size + slot % block_size
    cols = tl.arange(0, BLOCK)
    mask = cols < row_size
    values = tl.load(cache_ptr + src * row_size + cols, mask=mask)
    tl.store(out_ptr + (seq * blocks_per_seq * block_size + slot) * row_size + cols, values, mask=mask)


class ModelNew(nn.Module):
    def forward(self, cache, block_table):
        pages, block_size, heads, dim = cache.shape
        batch, blocks_per_seq = block_table.shape
        out = torch.empty((batch, blocks_per_seq * block_size, heads, dim), dtype=cache.dtype, device=cache.device)
        _gather[(batch, blocks_per_seq * block_size)](cache.contiguous(), block_table.contiguous(), out,
                                                     blocks_per_seq, block_size, heads * dim,
                                                     BLOCK=triton.next_power_of_2(heads * dim))
        return out
'''


def test_index_inputs_are_reflected_across_their_declared_range():
    """A paged gather that adds the page number as a row offset, forgetting the page size (the built-in
    teacher's flawed `page_without_stride`, accepted on some draws in a template sweep): right wherever every
    page is page 0. With the block table's range declared, the reflected call (page i read as page 3 - i)
    shows it; the honest kernel passes that call too, and without declared domains nothing is reflected."""
    flawed = PAGED_GATHER_KERNEL.replace("src = page * block_size + slot % block_size",
                                         "src = page + slot % block_size")
    domains = ["normal", "index[0,4)"]
    honest = verify(PAGED_GATHER, PAGED_GATHER_KERNEL, dtype="float32", atol=1e-4, rtol=1e-4, options=CPU,
                    input_domains=domains)
    assert honest.status is Status.ACCEPTED, honest
    caught = verify(PAGED_GATHER, flawed, dtype="float32", atol=1e-4, rtol=1e-4, options=CPU,
                    input_domains=domains)
    assert caught.reason_code is Reason.MISMATCH and "indices reflected" in caught.reason, caught
    undeclared = verify(PAGED_GATHER, flawed, dtype="float32", atol=1e-4, rtol=1e-4, options=CPU)
    assert undeclared.status is Status.ACCEPTED, undeclared  # what the declared range adds
