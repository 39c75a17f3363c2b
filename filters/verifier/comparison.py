"""Outputs against the reference: shapes and dtypes, non-finite values, max-abs and relative-L2 error by
dtype (`compare`); where those fail, what the float64 truth allows an honest kernel (`compare_against_truth`,
`filters.verifier.truth`); and for half-precision outputs that pass, the honest-kernel error model
(`compare_error_model`: lowered precision)."""

from __future__ import annotations

import math

from kerneldata.core.outcomes import Reason, Verdict
from kerneldata.core.spec import RELATIVE_NORM_TOL
from filters.verifier.truth import (
    Truth, beyond_honest_error, float64_truth, magnitude_sum, no_less_precise, reference_error, rounding_spread,
    too_far,
)


def rms(tensors: list) -> float:
    import torch

    values = [t.to(torch.float64) for t in tensors if t.is_floating_point() and t.numel()]
    finite = [v[torch.isfinite(v)] for v in values]
    total = sum(float((v * v).sum()) for v in finite)
    count = sum(v.numel() for v in finite)
    return math.sqrt(total / count) if count else 0.0


def compare_against_truth(model, inputs: list, outputs: list, expected: list, first: tuple, *, dtype: str,
                          atol: float, rtol: float, device: str = "cpu", truth: Truth | None = None):
    """Compare again where fixed tolerances failed, with what the float64 truth says an honest kernel may
    be off by (`filters.verifier.truth`): first the reference's own error, then, only if that is not enough, the
    spread rounding causes on an ill-conditioned problem. Returns `compare`'s triple (`first`, the fixed
    tolerances' triple, where the problem has no float64 path). The truth (`truth`, where the caller has it)
    is computed on `device`, where `outputs` and `expected` are."""
    truth = truth if truth is not None else float64_truth(model, inputs, device)
    slack = reference_error(expected, truth) if truth else None
    if slack is None:
        return first
    return compare_to_truth_instead(outputs, expected, slack, truth, dtype=dtype, atol=atol, rtol=rtol)


def compare_to_truth_instead(outputs: list, answer: list, slack: list, truth: Truth, *, dtype: str, atol: float,
                             rtol: float):
    """The candidate held to `answer` (the reference's output, or, where the reference is off its own float64
    answer, `checks._truth_where_reference_is_off`, that answer in the reference's dtypes), allowed the
    reference's own error (`slack`), then, only if that is not enough, the spread rounding causes on an
    ill-conditioned problem as well. Without the spread where the reference is off, an honest fp32 attention on
    inputs scaled by 64 was rejected on an H100 (one element of a near-tie row of decode attention 0.038 off its
    float64 answer, inside a spread of 0.032 plus the reference's 0.007 and atol 0.018, BENCHMARKS.md ninth GPU
    session). Returns `compare`'s triple."""
    problem, max_abs, max_rel = compare(outputs, answer, dtype=dtype, atol=atol, rtol=rtol, reference_error=slack)
    if problem is None or problem.reason_code is not Reason.MISMATCH:
        return problem, max_abs, max_rel
    spread = rounding_spread(truth, dtype)
    if spread is None:
        return problem, max_abs, max_rel
    return compare(outputs, answer, dtype=dtype, atol=atol, rtol=rtol,
                   reference_error=[e + s for e, s in zip(slack, spread)])


def compare_error_model(model, inputs: list, outputs: list, expected: list, device: str = "cpu", *,
                        atomic_units: float = 0.0, atomic_slack: list | None = None,
                        truth: Truth | None = None) -> Verdict | None:
    """For fp16 / bf16 outputs that passed the tolerances: reject a kernel further from the float64 truth
    than an honest one (fp32 arithmetic, one rounding to the output dtype: `filters.verifier.truth`) at more than a
    few elements. fp16's atol/rtol of 1e-2 are ~10 ulps wide, so they cannot see an fp16 accumulator at a
    short inner size; the error model can. The fp32-level rounding spread (8 float64 forwards) is measured
    only where the plain model is exceeded. A candidate no further from the truth than the reference itself
    (`no_less_precise`) keeps the reference's precision, whatever the model says. `atomic_units` (the
    candidate accumulates into its outputs with atomic adds: `filters.verifier.truth.atomic_units`) allows
    that many roundings of partial sums up to the terms' magnitude sum (`truth.magnitude_sum`), and with
    `atomic_slack` (per output, what the interpreter saw the adds cost: `truth.atomic_rounding`) no more
    than that. `truth`: the float64 answer on `inputs`, where the caller has it already."""
    import torch

    half = (torch.float16, torch.bfloat16)
    if not any(isinstance(e, torch.Tensor) and e.dtype in half for e in expected):
        return None
    truth = truth if truth is not None else float64_truth(model, inputs, device)
    if truth is None or len(truth.outputs) != len(expected):
        return None  # no float64 path: the fixed tolerances are all there is
    beyond, checked = beyond_honest_error(truth, expected, outputs)
    if not too_far(beyond, checked) or no_less_precise(truth, expected, outputs):
        return None
    spread = rounding_spread(truth, "float32")
    magnitudes = magnitude_sum(truth) if atomic_units > 0 else None
    if spread is not None or magnitudes is not None:
        beyond, checked = beyond_honest_error(truth, expected, outputs, spread=spread, magnitudes=magnitudes,
                                              units=atomic_units, atomic_slack=atomic_slack)
        if not too_far(beyond, checked):
            return None
    return Verdict.reject(
        Reason.LOWERED_PRECISION,
        f"{beyond} of {checked} half-precision output elements are more than one ulp (plus the reference's own "
        "error) from the float64 truth, where a kernel computing in fp32 and rounding once is within it: "
        "arithmetic below the precision the reference keeps (an fp16/bf16 accumulator?).")


# The roundings an honest kernel at a lowered precision may add per term of a contraction: each of its two
# operands rounded once to that precision (TF32, or autocast's fp16 / bf16), the products summed in fp32.
LOWERED_OPERAND_ROUNDINGS = 2.0


def compare_lowered(outputs: list, expected: list, truth: Truth | None, allowed: str, *, atol: float, rtol: float):
    """`compare`'s triple for a call under a mode the reference's own answer would move under (a matmul
    under autocast to `allowed`, or with TF32 allowed: `allowed` "float16", whose 10-bit mantissa TF32
    keeps): the plain reference's answer at `allowed`'s tolerances, each element allowed what rounding the
    operands to `allowed` may honestly cost. That is bounded twice over, from the float64 truth: the spread
    of the answer over relative input perturbations of a few units of `allowed` (`rounding_spread`, which
    follows any problem, normalisations included), and, for the sums of products a contraction computes,
    LOWERED_OPERAND_ROUNDINGS units of `allowed` times the sum of the terms' magnitudes (`magnitude_sum`),
    plus the reference's own error; the larger counts. A kernel that follows the user's mode is within it;
    one that computes part of the answer, or garbage, is not. Without a float64 path only the tolerances."""
    import torch

    from kerneldata.core.spec import TOLERANCES

    atol, rtol = max(atol, TOLERANCES[allowed][0]), max(rtol, TOLERANCES[allowed][1])
    slack = None
    if truth is not None and len(truth.outputs) == len(expected):
        own = reference_error(expected, truth)
        spread = rounding_spread(truth, allowed)
        magnitudes = magnitude_sum(truth)
        unit = torch.finfo(getattr(torch, allowed)).eps / 2
        if own is not None:
            slack = []
            for number, error in enumerate(own):
                bound = torch.zeros_like(error)
                if spread is not None and spread[number].shape == error.shape:
                    bound = spread[number]
                if magnitudes is not None and magnitudes[number].shape == error.shape:
                    bound = torch.maximum(bound, LOWERED_OPERAND_ROUNDINGS * unit * magnitudes[number])
                slack.append(error + bound)
    return compare(outputs, expected, dtype=allowed, atol=atol, rtol=rtol, reference_error=slack)


def compare(outputs: list, expected: list, *, dtype: str, atol: float, rtol: float,
            reference_error: list | None = None):
    """(rejecting verdict or None, max abs error, relative L2 error) over all outputs. With
    `reference_error` (per output element, what an honest kernel may be off by: `compare_against_truth`),
    each bound grows by twice it."""
    import torch

    if len(outputs) != len(expected):
        return Verdict.reject(Reason.BAD_OUTPUT, f"forward returned {len(outputs)} tensors, expected {len(expected)}."), \
            math.nan, math.nan
    max_abs = max_rel = 0.0
    for number, (out, ref) in enumerate(zip(outputs, expected)):
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
        ref_err = reference_error[number] if reference_error is not None else torch.zeros_like(diff)
        ref_err = torch.where(finite, ref_err, torch.zeros_like(ref_err))
        rel_slack = 2 * float(torch.linalg.vector_norm(ref_err)) / norm_ref if norm_ref > 0 else 0.0
        bad = diff > atol + rtol * ref_abs + 2 * ref_err
        if bool(bad.any()):
            count = int(bad.sum())
            return Verdict.reject(
                Reason.MISMATCH,
                f"{count} of {diff.numel()} output elements differ beyond atol={atol:g}, rtol={rtol:g} "
                f"(max abs err {this_abs:.3g}; {_where(bad)})."), max_abs, max_rel
        if this_rel > RELATIVE_NORM_TOL[dtype] + rel_slack:
            return Verdict.reject(
                Reason.MISMATCH,
                f"relative L2 error {this_rel:.3g} exceeds {RELATIVE_NORM_TOL[dtype] + rel_slack:g} for {dtype}."), \
                max_abs, max_rel
    return None, max_abs, max_rel


def _where(bad) -> str:
    """Where the wrong elements are, for a teacher to find its bug: the first and last bad index, and the
    rows and columns of a 2-D or larger output that hold any."""
    import torch

    indices = torch.nonzero(bad)
    first, last = (tuple(int(i) for i in indices[k]) for k in (0, -1))
    where = f"first at index {first}, last at {last}"
    if bad.dim() >= 2:
        rows = torch.nonzero(bad.reshape(-1, bad.shape[-1]).any(dim=1)).flatten()
        cols = torch.nonzero(bad.reshape(-1, bad.shape[-1]).any(dim=0)).flatten()
        where += (f", in {len(rows)} of {bad.numel() // bad.shape[-1]} rows and {len(cols)} of "
                  f"{bad.shape[-1]} columns (columns {int(cols[0])} to {int(cols[-1])})")
    return where


def bitwise_equal(a, b) -> bool:
    """Same shape, dtype and bits (so NaN equals the same NaN, and -0.0 differs from 0.0)."""
    import torch

    if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor):
        return type(a) is type(b) and a == b
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return torch.equal(a.contiguous().reshape(-1).view(torch.uint8), b.contiguous().reshape(-1).view(torch.uint8))


def narrower(cast_to: str, dtype: str) -> bool:
    """Whether floating type `cast_to` is less precise than the spec's `dtype` (both torch dtype names)."""
    import torch

    target, spec = getattr(torch, cast_to, None), getattr(torch, dtype, None)
    if target is None or spec is None or not spec.is_floating_point:
        return False
    return torch.finfo(target).eps > torch.finfo(spec).eps
