"""The degenerate-spec filter: run each reference on CPU and reject, with a reason, a spec that cannot teach
or test anything because its output is

- `non_finite`: NaN or inf on ordinary inputs;
- `nondeterministic`: two runs on the same inputs differ (random ops in `forward`, dropout);
- `constant`: the same for independent input draws (`x - x`, a softmax over one element, the sum of a
  softmax), "the same" meaning within the relative-norm tolerance of its dtype, so that a kernel returning
  a fixed tensor would pass the verifier;
- `near_zero`: at most 1e-5 of the largest input magnitude (`x * 1e-9`: zeros would pass the tolerance);
- `ignores_input`: unchanged (in the same sense) when one input is redrawn (an index into a table of one
  row, attention over a single key, which returns `v` whatever `q` and `k` are);
- `shape_mismatch`: not of the output shape the sampler declared;
- `reference_error`: the problem fails to load or to run.

Specs whose inputs exceed `MAX_CHECK_BYTES`, or whose reference needs more than `MAX_CHECK_FLOPS` (the
estimate of `generators.specs.headroom`: real-scale matmuls and attention), are kept as `unchecked` instead
of being run; the limits hold for each of a spec's workloads too (a decode spec's prefill workload is as big
as a prefill spec). A spec with a CPU-scaled twin (a real-scale captured workload: the same calls at
`specs.workloads.scale: cpu` sizes, in the same dtype; `WorkloadSampler.twins`) is checked at the twin
instead, and its verdict says so: on a 2-core machine the check of 150 real-scale workload specs took
381 s, 90% of it in 15 specs of 0.2-30 M elements (elementwise and reductions run several times in bf16 on
the CPU), against seconds at the twins' sizes. `sample_checked` reports the kept specs left unchecked, with
the reason, so that a run can say which they are.

Guarantees: a spec passes only if none of the above holds on the draws made here (seeded, so the verdict
is reproducible). Limits: it runs the reference in this process (our sampler's sources, or external
problems the user chose to load, never a candidate's code), on a handful of draws, so it cannot see a
degeneracy that shows only on other inputs; outputs that are tuples are checked element by element. A spec
with several workloads (`Spec.workloads`) passes only if each of them does too.
"""

from __future__ import annotations

import math
import time
import types
from dataclasses import dataclass
from enum import Enum

from generators.specs.headroom import trace
from kerneldata.core.spec import RELATIVE_NORM_TOL, Spec

NEAR_ZERO_REL = 1e-5
# Specs with larger inputs are kept unchecked rather than run on CPU (external problems can be huge).
MAX_CHECK_BYTES = 256 << 20
# And references needing more arithmetic than this: at the tens of GFLOP/s a CPU reaches, one run takes
# seconds and the check runs a reference several times (a real-scale GPU config has many such specs).
MAX_CHECK_FLOPS = 20e9
# Outputs of at most this many elements are redrawn SMALL_OUTPUT_TRIES times before they count as constant.
SMALL_OUTPUT, SMALL_OUTPUT_TRIES = 64, 7


class Degenerate(str, Enum):
    OK = "ok"
    REFERENCE_ERROR = "reference_error"
    NON_FINITE = "non_finite"
    NONDETERMINISTIC = "nondeterministic"
    SHAPE_MISMATCH = "shape_mismatch"
    CONSTANT = "constant"
    NEAR_ZERO = "near_zero"
    IGNORES_INPUT = "ignores_input"
    # Kept without running: the inputs are larger than the check's memory limit (big external problems).
    UNCHECKED = "unchecked"


@dataclass(frozen=True)
class SpecCheck:
    """The filter's verdict on one spec: `reason` from the closed set, `detail` one human sentence."""

    spec_id: str
    reason: Degenerate
    detail: str
    seconds: float

    @property
    def ok(self) -> bool:
        """Whether the spec is kept."""
        return self.reason in (Degenerate.OK, Degenerate.UNCHECKED)

    def to_json(self) -> dict:
        return {"spec_id": self.spec_id, "reason": self.reason.value, "detail": self.detail,
                "seconds": round(self.seconds, 4)}


def check_spec(spec: Spec, seed: int = 0, max_input_bytes: int = MAX_CHECK_BYTES, *,
               twin: Spec | None = None) -> SpecCheck:
    """The verdict on `spec`; with `twin` (the same problem at smaller sizes), the twin's verdict, said to be
    the twin's, under `spec`'s id."""
    started = time.perf_counter()
    if twin is not None:
        found = check_spec(twin, seed, max_input_bytes)
        shapes = ", ".join("x".join(map(str, shape)) for shape in twin.shapes)
        return SpecCheck(spec.spec_id, found.reason, f"checked at its CPU-scaled twin (inputs {shapes}): "
                         f"{found.detail}", time.perf_counter() - started)
    for label, shapes, source in [(None, spec.shapes, spec.source),
                                  *((w.label, w.shapes, w.source) for w in spec.workloads)]:
        why = _too_big(shapes, source, max_input_bytes)
        if why:
            return SpecCheck(spec.spec_id, Degenerate.UNCHECKED,
                             f"not run: {'its' if label is None else f'its workload {label!r}:'} {why}",
                             time.perf_counter() - started)
    reason, detail = check_reference(spec.source, output_shape=spec.output_shape, seed=seed)
    for workload in spec.workloads if reason is Degenerate.OK else ():
        # The verifier holds a candidate to every workload: each must be a problem worth checking too.
        reason, detail = check_reference(workload.source, seed=seed)
        if reason is not Degenerate.OK:
            detail = f"its workload {workload.label!r}: {detail}"
            break
    return SpecCheck(spec.spec_id, reason, detail, time.perf_counter() - started)


def _too_big(shapes, source: str, max_input_bytes: int) -> str | None:
    """Why a reference is too big to run here, or None."""
    size = sum(math.prod(shape) for shape in shapes) * 8  # an upper bound: 8 bytes per element
    if size > max_input_bytes:
        return f"inputs take up to {size} bytes, over the check's limit of {max_input_bytes}."
    found = trace(source)
    if found is not None and found.flops > MAX_CHECK_FLOPS:
        return (f"reference needs about {found.flops / 1e9:.0f} GFLOP, over the check's limit of "
                f"{MAX_CHECK_FLOPS / 1e9:.0f}.")
    return None


def check_reference(source: str, *, output_shape: tuple[int, ...] | None = None,
                    seed: int = 0) -> tuple[Degenerate, str]:
    """(reason, one sentence) for a KernelBench-format problem source."""
    import torch

    try:
        module = types.ModuleType("reference")
        exec(compile(source, "<reference>", "exec"), module.__dict__)  # noqa: S102 - our own problem sources
        torch.manual_seed(seed)
        model = module.Model(*module.get_init_inputs()).eval()
        names = _input_names(model)

        def draw(offset: int) -> list:
            torch.manual_seed(seed + 1 + offset)
            return list(module.get_inputs())

        def run(inputs: list) -> list:
            with torch.no_grad():
                out = model(*[x.clone() if isinstance(x, torch.Tensor) else x for x in inputs])
            return [o for o in (out if isinstance(out, (tuple, list)) else [out])]

        inputs = draw(0)
        first = run(inputs)
        if not first or not all(isinstance(o, torch.Tensor) for o in first):
            return Degenerate.REFERENCE_ERROR, "forward returns something other than tensors."
        floats = [o for o in first if o.is_floating_point()]
        if any(not bool(torch.isfinite(o).all()) for o in floats):
            return Degenerate.NON_FINITE, "the output holds NaN or inf on ordinary inputs."
        if not _same(first, run(inputs)):
            return Degenerate.NONDETERMINISTIC, "two runs on the same inputs give different outputs."
        if output_shape is not None and (len(first) != 1 or tuple(first[0].shape) != tuple(output_shape)):
            got = [tuple(o.shape) for o in first]
            return Degenerate.SHAPE_MISMATCH, f"the output has shape {got[0] if len(got) == 1 else got}, " \
                                              f"not the declared {tuple(output_shape)}."
        # A small output can repeat by chance (an argmax over three columns, a bf16 maximum): such outputs
        # count as constant or input-independent only if they repeat over several draws.
        tries = 1 if sum(o.numel() for o in first) > SMALL_OUTPUT else SMALL_OUTPUT_TRIES
        if all(_indistinguishable(first, run(draw(1 + t))) for t in range(tries)):
            return Degenerate.CONSTANT, f"the output is the same for {tries + 1} independent input draws."
        scale = max((float(x.detach().abs().max()) for x in inputs
                     if isinstance(x, torch.Tensor) and x.is_floating_point() and x.numel()), default=1.0)
        largest = max((float(o.abs().max()) for o in floats if o.numel()), default=None)
        if largest is not None and largest <= NEAR_ZERO_REL * max(scale, 1e-30):
            return Degenerate.NEAR_ZERO, (f"the output's largest magnitude {largest:.1e} is at most "
                                          f"{NEAR_ZERO_REL:g} of the inputs' ({scale:.1e}).")
        for index, value in enumerate(inputs):
            if not isinstance(value, torch.Tensor):
                continue
            unchanged, varied_draws = True, 0
            for t in range(tries):
                fresh = draw(100 * (index + 1) + t)[index]
                if isinstance(fresh, torch.Tensor) and torch.equal(fresh, value):
                    continue  # get_inputs draws this one without randomness (or repeated it by chance)
                varied = list(inputs)
                varied[index] = fresh
                varied_draws += 1
                if not _indistinguishable(first, run(varied)):
                    unchanged = False
                    break
            if unchanged and varied_draws:
                name = names[index] if index < len(names) else f"input {index}"
                return Degenerate.IGNORES_INPUT, f"the output does not change when input {name!r} is redrawn."
    except Exception as err:  # the problem's own failure is the verdict, not ours
        message = " ".join(f"{type(err).__name__}: {err}".split())[:300]
        return Degenerate.REFERENCE_ERROR, f"the reference fails: {message}."
    return Degenerate.OK, "the output is finite, deterministic, and depends on every input."


def _same(a: list, b: list) -> bool:
    import torch

    return len(a) == len(b) and all(x.shape == y.shape and torch.equal(x, y) for x, y in zip(a, b))


def _indistinguishable(a: list, b: list) -> bool:
    """Whether the verifier could not tell `b` from `a`: integer outputs equal, float outputs within the
    relative-norm tolerance of their dtype. A kernel returning `a` for any input would then pass."""
    import torch

    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x.shape != y.shape:
            return False
        if not x.is_floating_point():
            if not torch.equal(x, y):
                return False
            continue
        tol = RELATIVE_NORM_TOL.get(str(x.dtype).removeprefix("torch."), RELATIVE_NORM_TOL["float32"])
        diff = float((x.double() - y.double()).norm())
        if diff > tol * float(x.double().norm()):
            return False
    return True


def _input_names(model) -> list[str]:
    import inspect

    try:
        return [p.name for p in inspect.signature(model.forward).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []


def check_specs(specs: list[Spec], seed: int = 0) -> list[SpecCheck]:
    """The verdict on each spec, in order."""
    return [check_spec(spec, seed) for spec in specs]


def sample_checked(sampler, num_specs: int, seed: int = 0, *,
                   unchecked: list[SpecCheck] | None = None) -> tuple[list[Spec], list[SpecCheck]]:
    """`num_specs` specs that pass the filter, and the verdicts on those that did not. Deterministic: the
    sampler's output for a larger count extends its output for a smaller one, so the kept specs are the first
    `num_specs` good ones of the sampler's sequence. A spec the sampler has a twin for (its `twins`, by spec
    id) is checked at the twin. The verdicts on kept specs that were not run are appended to `unchecked`."""
    checked: dict[str, SpecCheck] = {}
    want = num_specs
    while True:
        specs = sampler.sample(want)
        twins = getattr(sampler, "twins", {})
        for spec in specs:
            if spec.spec_id not in checked:
                checked[spec.spec_id] = check_spec(spec, seed, twin=twins.get(spec.spec_id))
        kept = [spec for spec in specs if checked[spec.spec_id].ok]
        if len(kept) >= num_specs:
            kept = kept[:num_specs]
            if unchecked is not None:
                unchecked += [checked[s.spec_id] for s in kept if checked[s.spec_id].reason is Degenerate.UNCHECKED]
            last = specs.index(kept[-1])
            rejected = [checked[spec.spec_id] for spec in specs[:last + 1] if not checked[spec.spec_id].ok]
            return kept, rejected
        want += 2 * (num_specs - len(kept)) + 1
