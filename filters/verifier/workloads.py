"""Several workloads per spec (issue 16): the candidate, written against the one workload its teacher was
shown, checked and timed on the spec's other workloads too (the same problem at other sizes: another batch,
the prefill of a decode call; `kerneldata.core.spec.Workload`), which its teacher never saw.

What it adds to `filters.verifier.checks.CandidateChecks` (`MultiWorkloadChecks`), after every check of the
shown workload has passed and in the same loaded session (so the verifier's order, its draws and its disguise
are those of a single-workload spec up to this point): a checked call per other workload, on a fresh draw
of that workload's `get_inputs()` from the verification's draws, then its input transforms, against that workload's own reference model
holding the shown model's current (re-drawn) tensors. A failure there (a mismatch, a crash, a wrong output
shape) is `shape_specialised`, naming the workload: right on the shape it was shown, wrong on one it was not,
which is what a grid, a block size or a reshape fixed to the shown sizes does. On a GPU each workload is then
timed against its own eager (and `torch.compile`) baseline; the verdict records each speedup over eager
(the shown one first) and their geometric mean, and the minimum-speedup rule judges the geometric mean.

Each other workload gets one plain checked call and the input transforms its reference keeps (a kernel
careful only at the shown sizes fails there), not every check again (no repeat, no seeds beyond one: those
run on the shown one); every workload must take the shown one's
constructor arguments (one `ModelNew` serves all) and hold the same tensors, else the problem is refused as a
bad reference; the roofline floor of another workload counts its FLOPs where its spec's family makes them
clear (as the shown one's), else its bytes only.
"""

from __future__ import annotations

import dataclasses
import math
import types
from dataclasses import dataclass

from kerneldata.core.outcomes import Reason, Status, Verdict
from filters.verifier import disguise
from filters.verifier.answers import with_measures
from filters.verifier.checks import CandidateChecks, Problem, ReferenceError_, load_reference
from filters.verifier.inputs import seeded
from filters.verifier.speed import timed_verdict

# What a failure on a workload the teacher never saw means: the kernel is specialised to the shown sizes.
# Other rejections (an anti-cheat rule, a sandbox fault) keep their own reason.
_SPECIALISED = frozenset({Reason.MISMATCH, Reason.NON_FINITE, Reason.BAD_OUTPUT, Reason.RUNTIME_ERROR,
                          Reason.COMPILE_ERROR, Reason.OUTPUT_NOT_FROM_KERNEL, Reason.NO_KERNEL_LAUNCHED})


@dataclass
class LoadedWorkload:
    label: str
    shapes: tuple
    problem: Problem  # its reference module, source and model on the verifying device
    inputs: list | None = None  # its checked call's inputs, timed on a GPU


def load_workloads(workloads, shown: Problem, init_inputs: list, init_seed: int, device) -> list[LoadedWorkload]:
    """Each of `workloads` (`kerneldata.core.spec.Workload`, or mappings with `label`, `shapes` and
    `reference_code`) as a problem beside `shown`. Raises ReferenceError_ where one cannot serve the shown
    problem's `ModelNew` (other constructor arguments, other tensors)."""
    loaded = []
    for workload in workloads:
        label, shapes, source = _fields(workload)
        # The FLOPs its spec's family makes clear (`kerneldata.core.spec.estimate_flops`, given by judge_row),
        # for its roofline floor; None: bytes only.
        flops = workload.get("flops") if isinstance(workload, dict) else None
        module: types.ModuleType = load_reference(source, name=f"workload {label!r}")
        with seeded(init_seed):
            init = list(module.get_init_inputs())
            if not _same(init, init_inputs):
                raise ReferenceError_(f"workload {label!r} takes other constructor arguments ({init!r}) than the "
                                      f"shown problem ({init_inputs!r}): one ModelNew cannot serve both")
            model = module.Model(*init)
        model = model.to(device)
        mine, theirs = model.state_dict(), shown.model.state_dict()
        if list(mine) != list(theirs) or any(mine[k].shape != theirs[k].shape for k in mine):
            raise ReferenceError_(f"workload {label!r}'s Model holds other tensors than the shown problem's")
        loaded.append(LoadedWorkload(label, shapes, dataclasses.replace(shown, reference=module, code=source,
                                                                        model=model, flops=flops)))
    return loaded


def _fields(workload) -> tuple[str, tuple, str]:
    if isinstance(workload, dict):
        return str(workload["label"]), tuple(tuple(s) for s in workload["shapes"]), workload["reference_code"]
    return workload.label, tuple(workload.shapes), workload.source


def _same(a: list, b: list) -> bool:
    import torch

    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if isinstance(x, torch.Tensor) or isinstance(y, torch.Tensor):
            if not (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor) and x.shape == y.shape
                    and torch.equal(x, y)):
                return False
        elif x != y:
            return False
    return True


def geometric_mean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


class MultiWorkloadChecks(CandidateChecks):
    """`CandidateChecks` on the shown workload, then one checked call per other workload, and on a GPU the
    timing of every workload (see the module docstring)."""

    def __init__(self, *args, workloads: list[LoadedWorkload], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.workloads = workloads
        self.workload_sources = tuple(w.problem.code for w in workloads)

    @property
    def more_checked(self) -> str:
        labels = ", ".join(w.label for w in self.workloads)
        return f", and on {len(self.workloads)} workload{'s' * (len(self.workloads) > 1)} it was not shown ({labels})"

    def more_checks(self) -> Verdict | None:
        for workload in self.workloads:
            # The reference's constant-initialised tensors as the last seed re-drew them (the candidate holds
            # the same values).
            workload.problem.model.load_state_dict(self.problem.model.state_dict())
            inputs = self.draw_inputs(workload.problem)
            shapes = "; ".join(str(tuple(x.shape)) for x in inputs if hasattr(x, "shape"))
            _, rejection = self.check(inputs, f"workload {workload.label!r} (inputs {shapes})",
                                      variant=disguise.variant(), problem=workload.problem)
            if rejection is None:
                # And the input transforms, as on the shown workload: a kernel careful only at the shown sizes
                # (exact there, a clamp or a narrow accumulator elsewhere) passes plain draws at the others.
                _, _, rejection = self.transforms(inputs, problem=workload.problem)
            if rejection is None:
                # And every autotune config at these sizes: a pruning function may offer a config here only.
                rejection = self.every_autotune_config(workload.problem)
            if rejection is not None:
                if rejection.reason_code in _SPECIALISED:
                    return Verdict.reject(
                        Reason.SHAPE_SPECIALISED,
                        f"right on the shown workload but not on workload {workload.label!r} (inputs {shapes}), "
                        f"which the teacher never saw ({rejection.reason_code.value}: {rejection.reason})",
                        error_detail=rejection.error_detail, max_abs_err=rejection.max_abs_err,
                        max_rel_err=rejection.max_rel_err)
                return rejection
            workload.inputs = inputs
        return None

    def timed(self, first_inputs: list, checked: str) -> Verdict:
        """Every workload timed without the minimum-speedup rule, which then judges their geometric mean."""
        relaxed = dataclasses.replace(self.options, min_speedup=0.0)
        shown = timed_verdict(self.worker, first_inputs, reference_code=self.problem.code, dtype=self.problem.dtype,
                              flops=self.problem.flops, options=relaxed, runtime=self.runtime, checked=checked,
                              errors=self.errors)
        if shown.status is not Status.ACCEPTED:
            return shown
        speedups = [shown.speedup_vs_eager]
        for index, workload in enumerate(self.workloads, 1):
            verdict = timed_verdict(self.worker, workload.inputs, reference_code=workload.problem.code,
                                    dtype=self.problem.dtype, flops=workload.problem.flops, options=relaxed,
                                    runtime=self.runtime,
                                    checked=checked, errors=self.errors, workload=index)
            if verdict.status is not Status.ACCEPTED:
                return with_measures(verdict, reason=f"on workload {workload.label!r}: {verdict.reason}")
            speedups.append(verdict.speedup_vs_eager)
        if any(s is None for s in speedups):  # no eager baseline configured: nothing to average
            return shown
        geomean = geometric_mean(speedups)
        measures = {"workload_speedups": tuple(speedups), "speedup_geomean": geomean}
        each = ", ".join(f"{w}: {s:.2f}x" for w, s in zip(["shown", *(w.label for w in self.workloads)], speedups))
        if geomean < self.options.min_speedup:
            return Verdict.reject(
                Reason.TOO_SLOW,
                f"correct on {checked}, but the geometric mean of its speedups over eager ({each}) is "
                f"{geomean:.2f}x, below the required {self.options.min_speedup:g}x.",
                **{**self.errors, "runtime_ms": shown.runtime_ms, "speedup_vs_eager": shown.speedup_vs_eager,
                   "speedup_vs_compile": shown.speedup_vs_compile, **measures})
        return with_measures(shown, reason=shown.reason[:-1] + f"; per workload {each}, geometric mean "
                             f"{geomean:.2f}x.", **measures)
