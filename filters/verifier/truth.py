"""How far an honest kernel may sit from the reference: the problem computed in float64 as the truth.

The comparison's fixed tolerances fail an honest kernel in two places, and both are measured here rather
than loosened everywhere:

- Where the reference is itself inexact (fp32 `erf` cancelling on tiny GELU outputs), a kernel as good as
  the reference may differ from it by the reference's own error, |reference - truth|.
- Where the problem is ill-conditioned (attention on inputs scaled by 64: the softmax is nearly a hard max,
  and two keys within rounding of each other decide a whole output row), rounding alone moves the answer
  far. A backward-stable kernel returns the exact answer for inputs perturbed at the level of rounding, so
  the spread of the float64 answer over such perturbations bounds what rounding may do. It is measured
  with a few antithetic pairs of random relative perturbations of the floating inputs: each pair probes a
  direction both ways, so a near tie is crossed whichever side of it the kernel's rounding fell. Each
  perturbation is a function of the value it perturbs (a hash of its bits, keyed per pair), so inputs that
  are exactly equal stay exactly equal: an exact tie among the inputs (quantised draws, where an argmax or a
  sort must follow PyTorch's tie rule) is part of the problem, never a rounding ambiguity.
- Integer and boolean outputs get the same two allowances, in their own units: an int8 or fp8 quantiser's
  value within an ulp of a rounding midpoint rounds to either neighbour (a GPU's approximate `/`, a
  reciprocal multiply, PyTorch's CUDA division by a Python scalar), and the float64 answer over perturbed
  inputs moves across exactly such elements.

Both are per output element. On a well-conditioned element the spread is a few units in the last place,
far below any cheat's error, so the allowance exists only where the problem itself is ambiguous.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

# Relative size of the input perturbations, in units of the spec dtype's rounding (half its epsilon), and
# how many antithetic pairs: measured on fp32 grouped-query attention with inputs scaled by 64 (CPU,
# float64 truth), where a kernel summing its dot products in another order was rejected on 7 of 8 draws
# under the reference-error allowance alone and on none with 4 pairs at 4 units (1 pair left 4 of 8).
PERTURBATION_UNITS = 4.0
PERTURBATION_PAIRS = 4
_SEED = 0x5EED


@dataclass(frozen=True)
class Truth:
    """The problem in float64 on one device: the model, the inputs it ran on (floating ones in float64), and
    its outputs, all on that device."""

    model: object
    inputs: list
    outputs: list


def float64_truth(model, inputs: list, device: str = "cpu") -> Truth | None:
    """The problem computed in float64 on `inputs` (on `device`: a GPU's float64 keeps the per-check error
    model of half-precision outputs cheap on large problems; the outputs stay there, beside the reference's
    and the candidate's, which the verifier compares on the same device), or None where it has no float64
    path (it raises, or returns anything but tensors)."""
    import torch

    try:
        with torch.no_grad():
            truth_model = copy.deepcopy(model).to(device).double()
            doubled = [_to_double(x, device) for x in inputs]
            outputs = _outputs(truth_model, doubled)
    except Exception:  # noqa: BLE001 - a problem without a float64 path gets no allowance
        return None
    return Truth(truth_model, doubled, outputs) if outputs is not None else None


def reference_error(expected: list, truth: Truth) -> list | None:
    """|reference - truth| per output (0 where either is not finite), or None where they do not line up.
    Integer and boolean outputs count in their own units (an int8 answer one step off its float64 twin)."""
    import torch

    if len(truth.outputs) != len(expected) or any(t.shape != e.shape or e.is_complex()
                                                  for t, e in zip(truth.outputs, expected)):
        return None
    return [torch.nan_to_num((e.to(torch.float64) - t).abs(), nan=0.0, posinf=0.0)
            for e, t in zip(expected, truth.outputs)]


def rounding_spread(truth: Truth, dtype: str) -> list | None:
    """max over the perturbed inputs of |truth(perturbed) - truth| per output, or None where the perturbed
    problem cannot run. Only floating inputs are perturbed (indices and masks stay as they are); an element
    whose perturbed answer is not finite gets no allowance."""
    import torch

    generator = torch.Generator().manual_seed(_SEED)  # its own: the global generator is the verifier's
    spread = [torch.zeros_like(t) for t in truth.outputs]
    try:
        unit = PERTURBATION_UNITS * torch.finfo(getattr(torch, dtype)).eps / 2
        with torch.no_grad():
            for _ in range(PERTURBATION_PAIRS):
                directions = [_direction(x, generator, unit) if _is_float_tensor(x) else None
                              for x in truth.inputs]
                for sign in (1.0, -1.0):
                    moved = [x * (1 + sign * d) if d is not None else x for x, d in zip(truth.inputs, directions)]
                    answer = _outputs(truth.model, moved)
                    if answer is None or len(answer) != len(truth.outputs):
                        return None
                    for held, got, exact in zip(spread, answer, truth.outputs):
                        torch.maximum(held, torch.nan_to_num((got - exact).abs(), nan=0.0, posinf=0.0), out=held)
    except Exception:  # noqa: BLE001 - the problem ran on the truth's inputs; a perturbation it rejects gives nothing
        return None
    return spread


def _direction(x, generator, unit: float):
    """A relative perturbation of `x` in [-unit, unit], a hash of each element's float64 bits under a key drawn
    from `generator`: equal values get equal perturbations (exact ties stay ties), different ones independent
    ones. Computed on `x`'s device; integer products wrap, as the hash needs."""
    import torch

    key = int(torch.randint(-(1 << 62), 1 << 62, (1,), generator=generator))
    h = x.detach().to(torch.float64).contiguous().view(torch.int64) ^ key
    h = h * -7046029254386353131  # splitmix64's constants, as signed 64-bit integers
    h = h ^ ((h >> 31) & ((1 << 33) - 1))
    h = h * -4658895280553007687
    h = h ^ ((h >> 29) & ((1 << 35) - 1))
    uniform = ((h >> 11) & ((1 << 53) - 1)).to(torch.float64) / float(1 << 53)
    return (uniform * 2 - 1) * unit


def _outputs(model, inputs: list) -> list | None:
    import torch

    out = model(*inputs)
    out = list(out) if isinstance(out, (tuple, list)) else [out]
    return [t.to(torch.float64) for t in out] if all(isinstance(t, torch.Tensor) for t in out) else None


def _is_float_tensor(x) -> bool:
    import torch

    return isinstance(x, torch.Tensor) and x.is_floating_point()


def _to_double(x, device: str = "cpu"):
    import torch

    if _is_float_tensor(x):
        # Moved in its own dtype, widened where it lands: a host-side float64 copy of a real-scale bf16 input
        # took longer than the rest of the check and crossed to the GPU four times the bytes.
        return x.detach().to(device).to(torch.float64)
    return x.to(device) if isinstance(x, torch.Tensor) else x


# The honest-kernel error model for half-precision outputs (fp16, bf16). An honest kernel computes in fp32
# (or wider) and rounds once to the output dtype, so at every element it sits within half a unit in the last
# place of the float64 truth, plus the error of fp32 arithmetic (far below an fp16 ulp unless the element is
# ill-conditioned: `rounding_spread` at fp32's level measures that), plus whatever intermediate rounding the
# reference itself does (|reference - truth|, which a kernel mirroring the reference's steps may share). A
# kernel that keeps its running sums in fp16 rounds at every step: measured on CPU, at a matmul inner size
# of 2 it is beyond this bound at 4% of the elements, at 16 at 23%, at 256 at 70% (a row sum of 32
# columns: 36%), where honest kernels summing in fp32 in any order are beyond it at none. The allowance
# is one whole ulp (twice the rounding bound: a value on a rounding midpoint may go either way), and a
# candidate fails only where more than `HALF_PRECISION_EXCESS_FRACTION` of the elements (and more than
# `HALF_PRECISION_EXCESS_MIN` of them) are beyond it, so a rare ill-conditioned element costs nothing.
# The fraction is 20%, not less: an honest flash-attention kernel rounds its softmax probabilities to fp16
# before the second matmul, as real ones do, and where the output cancels (a small sum of large terms) that
# rounding is more than an ulp of the output: measured on CPU with randn q, k, v, at 12% to 14% of the outputs
# (sequence 64 to 1024; the built-in teacher's fp16 GQA kernels: 1.3% and 4.8%). An fp16 accumulator is beyond
# the bound at 24% of the outputs over 16 terms, 34% over 32, 46% over 64; over fewer than about 16 terms (8%
# at 4) it is not told apart from that honest rounding.
HALF_PRECISION_DTYPES = ("float16", "bfloat16")
HALF_PRECISION_EXCESS_FRACTION = 0.20
HALF_PRECISION_EXCESS_MIN = 2
# A candidate whose error against the truth is, in root mean square, at most this multiple of the
# reference's own keeps the reference's precision: the reference may itself round in between (PyTorch's
# fp16 attention rounds its scores and probabilities; its CUDA index_add accumulates in fp16), and a kernel
# rounding in other places, or adding in another order, has an error of that size but not at the same
# elements. Two kernels of the same arithmetic in different orders differ in RMS error by a few percent on
# hundreds of elements (measured: 1.00x); an fp16 accumulator where the reference keeps fp32 is 1.6x the
# reference's over 4 terms, 2.9x over 16, 4x over 32, 16x over 512 (CPU, fp16 matmul; Inductor's fp16
# atomic index_add, 16 adds per element against CPU PyTorch's fp32 accumulation: 2.4x to 3.5x).
REFERENCE_PRECISION_RATIO = 1.5


# A kernel that accumulates into a half-precision output with atomic adds (a scatter: index_add, an
# embedding's backward, a split-K reduction) rounds to fp16 at every add, and that is the standard: there is
# no fp32 atomic into fp16 memory, and PyTorch's own CUDA index_add does the same. Its error is bounded by
# the rounding of each partial sum, at most the sum of the terms' magnitudes: for these kernels the
# allowance adds ATOMIC_ACCUMULATION_UNITS units of the output dtype's rounding (half its epsilon) times that
# sum, measured as the problem's float64 answer on the absolute values of its floating inputs (exact for
# sums and products of inputs). Measured on CPU on Inductor's fp16 index_add of 1024 rows into 64 (16 adds
# per element), over 10 draws and transforms: at most 3.2 units times that sum, within 2 at all but far
# fewer than HALF_PRECISION_EXCESS_FRACTION of the outputs, where without it 24% were beyond the model.
# The allowance follows the adds an element really received (`atomic_units`, counted by the interpreter):
# calling `atomic_add` to store a value computed with an fp16 accumulator buys nothing. Under the
# interpreter it is also capped, per element, by what those adds cost (`atomic_rounding`: each add's own
# rounding, measured, plus half a unit of each added value): a kernel that split an fp16 register
# accumulator's result into three atomic adds earned the full two units by count alone and passed about one
# draw in three (`rt_precision_atomic_three_adds_row_sum`); its adds cost a few units of the value, not the
# accumulator's 127 roundings, and it is rejected on every draw.
ATOMIC_ACCUMULATION_UNITS = 2.0


def magnitude_sum(truth: Truth) -> list | None:
    """The problem in float64 on |inputs| (floating inputs only), per output: for a sum of products of the
    inputs, the sum of the terms' magnitudes, which bounds every partial sum an accumulation passes through.
    None where the problem does not run on them."""
    import torch

    try:
        with torch.no_grad():
            outputs = _outputs(truth.model, [x.abs() if _is_float_tensor(x) else x for x in truth.inputs])
    except Exception:  # noqa: BLE001 - a problem refusing |inputs| gets no accumulation allowance
        return None
    if outputs is None or len(outputs) != len(truth.outputs):
        return None
    return [torch.nan_to_num(o.abs(), nan=0.0, posinf=0.0) for o in outputs]


def ulp(values, dtype):
    """The spacing of `dtype` at each of `values` (float64 in, float64 out): the distance from |value|
    rounded to `dtype` to the next representable number above it (inf where |value| overflows `dtype`)."""
    import torch

    rounded = values.abs().to(dtype)
    try:
        above = torch.nextafter(rounded, torch.full_like(rounded, float("inf")))
    except (RuntimeError, NotImplementedError):  # a device without nextafter for this dtype: on the CPU
        cpu = rounded.to("cpu")
        above = torch.nextafter(cpu, torch.full_like(cpu, float("inf"))).to(rounded.device)
    spacing = above.to(torch.float64) - rounded.to(torch.float64)
    return torch.where(torch.isinf(rounded), torch.full_like(spacing, float("inf")), spacing)


def atomic_units(adds_per_element: int) -> float:
    """The units of the output dtype's rounding (times the terms' magnitude sum) allowed a kernel whose
    output elements received at most `adds_per_element` atomic float adds: one rounding per add after the
    first, up to ATOMIC_ACCUMULATION_UNITS. An element written by one atomic add accumulated nothing with
    atomics: a kernel calling `atomic_add` to store earns no allowance (and an fp16 accumulator in
    registers stays a lowered precision)."""
    return min(ATOMIC_ACCUMULATION_UNITS, max(0, adds_per_element - 1))


def atomic_rounding(old, added, dtype: str):
    """Per lane of an atomic float add run by the Triton interpreter (numpy arrays of the values the add
    found and those it added, in Triton's `dtype`, "fp16", "bf16"...): the rounding the add may honestly
    have cost, as float64. That is the add's own rounding, measured exactly (|round(old + v) - (old + v)|),
    plus half a unit of the added value: an honest split-K rounds its fp32 partial sum once to the output's
    dtype before it adds. A value accumulated in fp16 registers before the add carries far more error than
    that, and no number of adds buys it (the three-add residual of a count-based allowance). numpy only: it
    runs inside the candidate's forward, where a PyTorch op would count as the candidate's."""
    import numpy as np

    old, added = np.asarray(old), np.asarray(added)
    if dtype not in _NUMPY_FLOATS and dtype != "bf16":
        return np.zeros(added.shape)
    with np.errstate(all="ignore"):
        found, value = _as_float64(old, dtype), _as_float64(added, dtype)
        exact = found + value
        own = np.abs(_rounded(exact, dtype) - exact)
        slack = own + _spacing(np.abs(value), dtype) / 2
    return np.nan_to_num(slack, nan=0.0, posinf=0.0)


_NUMPY_FLOATS = {"fp16": "float16", "fp32": "float32", "fp64": "float64"}


def _as_float64(array, dtype: str):
    import numpy as np

    if dtype == "bf16":  # the interpreter keeps bf16 as its bits, in uint16: the top half of an fp32
        return (array.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    return array.astype(np.float64)


def _rounded(values, dtype: str):
    """float64 `values` rounded to `dtype` (to nearest, ties to even) and back to float64."""
    import numpy as np

    if dtype != "bf16":
        return values.astype(_NUMPY_FLOATS[dtype]).astype(np.float64)
    bits = values.astype(np.float32).view(np.uint32).astype(np.uint64)
    bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    return bits.astype(np.uint32).view(np.float32).astype(np.float64)


def _spacing(magnitudes, dtype: str):
    """The spacing of `dtype` at float64 `magnitudes` (bf16 keeps fp32's exponent and 16 fewer bits)."""
    import numpy as np

    if dtype == "bf16":
        return np.spacing(_rounded(magnitudes, "bf16").astype(np.float32)).astype(np.float64) * 65536.0
    return np.spacing(magnitudes.astype(_NUMPY_FLOATS[dtype])).astype(np.float64)


def beyond_honest_error(truth: Truth, expected: list, outputs: list, *, spread: list | None = None,
                        magnitudes: list | None = None, units: float = ATOMIC_ACCUMULATION_UNITS,
                        atomic_slack: list | None = None) -> tuple[int, int]:
    """(elements beyond the honest-kernel error model, half-precision elements checked) over the outputs
    whose dtype is fp16 or bf16. `spread` (per output, `rounding_spread(truth, "float32")`) widens the
    allowance by twice the fp32-level rounding spread, for ill-conditioned elements; `magnitudes` (per
    output, `magnitude_sum(truth)`, for kernels accumulating with half-precision atomics) by `units` roundings
    of partial sums no larger than it."""
    import torch

    beyond = checked = 0
    for number, (out, ref, exact) in enumerate(zip(outputs, expected, truth.outputs)):
        names = {str(out.dtype).removeprefix("torch."), str(ref.dtype).removeprefix("torch.")}
        if not names <= set(HALF_PRECISION_DTYPES) or out.shape != exact.shape or ref.shape != exact.shape:
            continue
        o, r = out.to(torch.float64), ref.to(torch.float64)
        finite = torch.isfinite(exact) & torch.isfinite(r) & torch.isfinite(o)
        allowance = ulp(exact, out.dtype) + (r - exact).abs()
        if spread is not None:
            allowance = allowance + 2 * spread[number]
        if magnitudes is not None and magnitudes[number].shape == exact.shape:
            unit = torch.finfo(out.dtype).eps / 2
            atomic = units * unit * magnitudes[number]
            if atomic_slack is not None:  # what the adds really cost, never more than the count allows
                atomic = torch.minimum(atomic, atomic_slack[number].to(atomic.device))
            allowance = allowance + atomic
        beyond += int(((o - exact).abs() > allowance)[finite].sum())
        checked += int(finite.sum())
    return beyond, checked


def no_less_precise(truth: Truth, expected: list, outputs: list) -> bool:
    """Whether every half-precision output is, in root mean square over its finite elements, no further
    from the float64 truth than the reference's own output times `REFERENCE_PRECISION_RATIO`: a kernel as
    precise as PyTorch on this device does not lower the problem's precision, wherever it rounds."""
    import torch

    for out, ref, exact in zip(outputs, expected, truth.outputs):
        if out.dtype not in (torch.float16, torch.bfloat16) or out.shape != exact.shape or ref.shape != exact.shape:
            continue
        o, r = out.to(torch.float64), ref.to(torch.float64)
        finite = torch.isfinite(exact) & torch.isfinite(r) & torch.isfinite(o)
        if not bool(finite.any()):
            continue
        candidate_rms = float((o - exact)[finite].square().mean().sqrt())
        reference_rms = float((r - exact)[finite].square().mean().sqrt())
        if candidate_rms > REFERENCE_PRECISION_RATIO * reference_rms:
            return False
    return True


def too_far(beyond: int, checked: int) -> bool:
    return beyond > max(HALF_PRECISION_EXCESS_MIN, HALF_PRECISION_EXCESS_FRACTION * checked)
