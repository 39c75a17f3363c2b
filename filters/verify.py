"""The verifier: one candidate against its reference, ending in a `Verdict`.

Order (DESIGN section 4): the static gate; then, in a fresh sandboxed child (`filters.sandbox`), load the
candidate and run it on inputs drawn from seeds it cannot predict, before the reference runs; the outputs
come back to this process, which checks them (plain tensor of the reference's shape and dtype on the right
device, no aliasing of an input, inputs unchanged, kernels actually launched) and compares them with the
reference by max-abs and relative-norm error; the first seed runs twice and must agree bit for bit.

Under the CPU interpreter no speed is measured: `speedup_*` stay None and the reason says so. Timing on a
GPU, input transforms, poisoned memory and the rest of the anti-cheat protocol are issue 3's.
"""

from __future__ import annotations

import math
import secrets
import time
import types
from dataclasses import dataclass
from functools import lru_cache

from kerneldata.core.hardware import fingerprint
from kerneldata.core.outcomes import Reason, Verdict
from kerneldata.core.spec import RELATIVE_NORM_TOL
from filters.ipc import tensors_from_bytes
from filters.sandbox import CandidateProcess, SandboxError
from filters.static import static_check


class ReferenceError_(ValueError):
    """The reference problem itself cannot run: bad input, not a verdict on the candidate."""


@dataclass(frozen=True, kw_only=True)
class VerifyOptions:
    device: str  # "cpu" or "cuda", already resolved
    timeout_s: float = 120.0
    num_seeds: int = 3
    # Address-space cap for the child on CPU (CUDA maps far more virtual memory than it uses, so no cap there).
    memory_limit_bytes: int | None = 8 << 30
    output_limit_bytes: int = 16 << 20


_SANDBOX_REASONS = {"timeout": Reason.TIMEOUT, "crashed": Reason.CRASHED, "output_flood": Reason.OUTPUT_FLOOD}


@lru_cache(maxsize=None)
def _fingerprint(device: str) -> str:
    return fingerprint(device)


def load_reference(source: str) -> types.ModuleType:
    """Execute a KernelBench-format problem and check it has what the verifier needs."""
    module = types.ModuleType("reference")
    try:
        exec(compile(source, "<reference>", "exec"), module.__dict__)  # our input, not the candidate's
    except Exception as err:
        raise ReferenceError_(f"the reference problem fails to load: {type(err).__name__}: {err}") from None
    missing = [name for name in ("Model", "get_inputs", "get_init_inputs") if not hasattr(module, name)]
    if missing:
        raise ReferenceError_(f"the reference problem lacks {', '.join(missing)} (KernelBench format)")
    return module


def verify(reference_code: str, candidate_code: str, *, dtype: str, atol: float, rtol: float,
           options: VerifyOptions) -> Verdict:
    started = time.monotonic()
    measures = {"device": options.device, "hardware": _fingerprint(options.device)}
    verdict = static_check(candidate_code, dtype=dtype, device=options.device)
    if verdict is None:
        reference = load_reference(reference_code)
        verdict = _run_checks(reference, candidate_code, dtype=dtype, atol=atol, rtol=rtol, options=options,
                              measures=measures)
    return _with(verdict, **measures, verify_seconds=round(time.monotonic() - started, 3))


def _with(verdict: Verdict, **measures) -> Verdict:
    fields = {name: getattr(verdict, name) for name in verdict.__dataclass_fields__}
    fields.update(measures)
    return Verdict(**fields)


def _run_checks(reference, candidate_code: str, *, dtype: str, atol: float, rtol: float,
                options: VerifyOptions, measures: dict) -> Verdict:
    import torch

    device = options.device
    init_seed = secrets.randbits(31)
    torch.manual_seed(init_seed)
    init_inputs = list(reference.get_init_inputs())
    model = reference.Model(*init_inputs).to(device).eval()

    worst_abs = worst_rel = 0.0
    memory_limit = options.memory_limit_bytes if device == "cpu" else None
    try:
        with CandidateProcess(
            candidate_code,
            device=device,
            deadline=time.monotonic() + options.timeout_s,
            memory_limit_bytes=memory_limit,
            output_limit_bytes=options.output_limit_bytes,
            max_result_bytes=1 << 34,
        ) as child:
            header, _ = child.load(init_inputs, init_seed)
            if not header.get("ok"):
                return Verdict.reject(Reason.IMPORT_ERROR, f"the candidate fails to load: {_one_line(header)}")

            for index in range(options.num_seeds):
                torch.manual_seed(secrets.randbits(31))
                inputs = list(reference.get_inputs())
                child.max_result_bytes = 4 * sum(_nbytes(x) for x in inputs) + (64 << 20)
                outputs, problem = _run_candidate(child, inputs)
                if problem:
                    return problem
                with torch.no_grad():
                    expected = _as_list(model(*[_to(x, device) for x in inputs]))
                expected = [e.detach().to("cpu") for e in expected]
                problem, max_abs, max_rel = _compare(outputs, expected, dtype=dtype, atol=atol, rtol=rtol)
                worst_abs, worst_rel = max(worst_abs, max_abs), max(worst_rel, max_rel)
                if problem:
                    return _with(problem, max_abs_err=max_abs, max_rel_err=max_rel)
                if index == 0:
                    again, problem = _run_candidate(child, inputs)
                    if problem:
                        return problem
                    if not all(_bitwise_equal(a, b) for a, b in zip(outputs, again)):
                        return Verdict.reject(Reason.NONDETERMINISTIC,
                                              "two runs of the candidate on the same inputs disagree.",
                                              max_abs_err=max_abs, max_rel_err=max_rel)
    except SandboxError as err:
        return Verdict.reject(_SANDBOX_REASONS[err.reason], err.message + ".")

    where = "under the Triton interpreter; speed is not measured on CPU" if device == "cpu" else \
        "on the GPU; speed is not measured yet"
    return Verdict.accept(
        f"matches the reference on {options.num_seeds} unseen inputs (max abs err {worst_abs:.2e}) {where}.",
        max_abs_err=worst_abs, max_rel_err=worst_rel)


def _run_candidate(child: CandidateProcess, inputs: list):
    header, blobs = child.run(inputs)
    if not header.get("ok"):
        kind = header.get("kind")
        reason = {"compile_error": Reason.COMPILE_ERROR, "bad_output": Reason.BAD_OUTPUT}.get(kind,
                                                                                            Reason.RUNTIME_ERROR)
        return None, Verdict.reject(reason, f"the candidate fails when run: {_one_line(header)}")
    if header.get("launches", 0) < 1:
        return None, Verdict.reject(Reason.NO_KERNEL_LAUNCHED, "forward returned without launching a Triton kernel.")
    if header.get("aliases_input"):
        return None, Verdict.reject(Reason.OUTPUT_ALIASES_INPUT, "the output shares memory with an input.")
    try:
        outputs = tensors_from_bytes(blobs[0])
        inputs_after = tensors_from_bytes(blobs[1])
    except Exception as err:  # noqa: BLE001 - a malformed answer from the child is a verdict
        return None, Verdict.reject(Reason.BAD_OUTPUT, f"the candidate's output could not be read: {type(err).__name__}.")
    if len(inputs_after) != len(inputs) or not all(_bitwise_equal(a, b) for a, b in zip(inputs, inputs_after)):
        return None, Verdict.reject(Reason.INPUT_MUTATED, "the candidate changed its inputs.")
    wrong_device = [d for d in header.get("devices", []) if d != child.device]
    if wrong_device:
        return None, Verdict.reject(Reason.BAD_OUTPUT,
                                    f"the output is on {wrong_device[0]}, not on the inputs' device {child.device}.")
    return outputs, None


def _compare(outputs: list, expected: list, *, dtype: str, atol: float, rtol: float):
    """(rejecting verdict or None, max abs error, relative L2 error) over all outputs."""
    import torch

    if len(outputs) != len(expected):
        return Verdict.reject(Reason.BAD_OUTPUT, f"forward returned {len(outputs)} tensors, expected {len(expected)}."), \
            math.nan, math.nan
    max_abs = max_rel = 0.0
    for out, ref in zip(outputs, expected):
        if out.shape != ref.shape or out.dtype != ref.dtype:
            return Verdict.reject(
                Reason.BAD_OUTPUT,
                f"the output is {out.dtype} {tuple(out.shape)}, expected {ref.dtype} {tuple(ref.shape)}."), \
                math.nan, math.nan
        o, r = out.to(torch.float64), ref.to(torch.float64)
        finite = torch.isfinite(r)
        if bool((~torch.isfinite(o) & finite).any()):
            return Verdict.reject(Reason.NON_FINITE, "the output holds NaN or Inf where the reference is finite."), \
                math.inf, math.inf
        # Where the reference itself is NaN or Inf, the candidate must match it exactly.
        if bool((~finite & ~((o == r) | (torch.isnan(o) & torch.isnan(r)))).any()):
            return Verdict.reject(Reason.MISMATCH, "the output differs where the reference is NaN or Inf."), \
                math.inf, math.inf
        diff = torch.where(finite, (o - r).abs(), torch.zeros_like(o))
        ref_abs = torch.where(finite, r.abs(), torch.zeros_like(r))
        this_abs = float(diff.max()) if diff.numel() else 0.0
        norm_ref = float(torch.linalg.vector_norm(ref_abs))
        this_rel = float(torch.linalg.vector_norm(diff)) / norm_ref if norm_ref > 0 else this_abs
        max_abs, max_rel = max(max_abs, this_abs), max(max_rel, this_rel)
        bad = diff > atol + rtol * ref_abs
        if bool(bad.any()):
            count = int(bad.sum())
            return Verdict.reject(
                Reason.MISMATCH,
                f"{count} of {diff.numel()} output elements differ beyond atol={atol:g}, rtol={rtol:g} "
                f"(max abs err {this_abs:.3g})."), max_abs, max_rel
        if this_rel > RELATIVE_NORM_TOL[dtype]:
            return Verdict.reject(
                Reason.MISMATCH,
                f"relative L2 error {this_rel:.3g} exceeds {RELATIVE_NORM_TOL[dtype]:g} for {dtype}."), max_abs, max_rel
    return None, max_abs, max_rel


def _bitwise_equal(a, b) -> bool:
    """Same shape, dtype and bits (so NaN equals the same NaN, and -0.0 differs from 0.0)."""
    import torch

    if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor):
        return type(a) is type(b) and a == b
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return torch.equal(a.contiguous().reshape(-1).view(torch.uint8), b.contiguous().reshape(-1).view(torch.uint8))


def _nbytes(x) -> int:
    return x.numel() * x.element_size() if hasattr(x, "element_size") else 0


def _to(x, device: str):
    return x.to(device) if hasattr(x, "to") else x


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _one_line(header: dict) -> str:
    message = str(header.get("message", "unknown error")).strip().splitlines()
    return (message[-1] if message else "unknown error")[:300]


def problem_dtype(reference_code: str) -> tuple[str, float, float]:
    """The dtype of a KernelBench-format problem (that of its first floating-point input) and the
    tolerances for it, for problems that arrive without a spec (`kerneldata verify`)."""
    import torch

    from kerneldata.core.spec import TOLERANCES

    reference = load_reference(reference_code)
    torch.manual_seed(0)
    try:
        inputs = list(reference.get_inputs())
    except Exception as err:
        raise ReferenceError_(f"get_inputs() fails: {type(err).__name__}: {err}") from None
    floats = [x for x in inputs if isinstance(x, torch.Tensor) and x.is_floating_point()]
    dtype = str(floats[0].dtype).removeprefix("torch.") if floats else "float32"
    if dtype not in TOLERANCES:
        raise ReferenceError_(f"inputs of dtype {dtype} are not supported; supported: {', '.join(TOLERANCES)}")
    atol, rtol = TOLERANCES[dtype]
    return dtype, atol, rtol
