"""Which inputs the reference tolerates transformed, found on CPU before the verifier runs it on the device.

The verifier checks a candidate on transforms of its first input draw (negated, scaled, shifted:
`filters.verifier.verify`), each applied only to inputs whose declared domain survives it (`kerneldata.core.domains`).
An input whose domain is not declared (a KernelBench-format problem from elsewhere, verified without
`input_domains`) may be pushed out of the reference's domain: torch's `binary_cross_entropy` raises on a CPU,
and device-asserts on a GPU, for a probability shifted outside [0, 1]. A device-side assert in the verifier's
own process kills its CUDA context and ends every verification after it. So before the reference runs on
the device on such an input, `ReferenceProbes` runs a CPU copy of it on the transformed draw, and an input
whose transform makes the reference raise, or turn non-finite where the plain draw was finite, is left
untransformed for that transform.

Guarantees: only the reference's own failure takes an input out of a transform (the candidate plays no part
in a probe); an input with a declared domain is never taken out; where the probe cannot judge (the reference
fails on the CPU even on the plain draw, say an op with no CPU kernel) every input stays as it was. Within
a transform the inputs are probed together first, then one at a time added to those already kept, so each
kept set was itself probed (two inputs that are harmless alone can fail together).

Cost: the answer is found once per problem (its source, input domains and input shapes) and reused for
every later candidate of it: one CPU forward per transform where the reference tolerates it (the plain draw
runs only once one fails or turns non-finite), at most 1 + the undeclared inputs per transform otherwise,
and none for a problem whose inputs all have declared domains. The probe runs on the full draw: a
slice or a smaller draw is not the same problem in general (a matmul's inner size, a reshape to fixed
sizes, a mean over a different count).

Not guaranteed: the answer comes from one draw (the first candidate's), so a reference whose failure
depends on the values drawn (it fails on this candidate's draw but not on the probed one) still reaches the
device as before; and the CPU stands in for the device, so a failure only the device's kernels have is not
foreseen.
"""

from __future__ import annotations

import threading
from typing import Callable

# A run of the reference on CPU: inputs in, output tensors out (raises where the reference does).
RunReference = Callable[[list], list]


class ReferenceProbes:
    """Per problem, per transform name, which inputs stay transformed (one bool per input). Thread-safe:
    candidates of one problem that reach their transforms together wait for the first one's probe.
    `forwards` counts the CPU forwards run so far."""

    def __init__(self) -> None:
        self._answers: dict = {}
        self._key_locks: dict = {}
        self._lock = threading.Lock()
        self.forwards = 0

    def kept_inputs(self, key, run: RunReference, inputs: list,
                    plans: dict[str, tuple[Callable, list[bool], list[bool]]]) -> dict[str, list[bool]]:
        """For each transform name in `plans` (transform, inputs it may change, those of them whose domain is
        undeclared), the inputs to transform: the first call for `key` probes, later calls reuse it."""
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            if key not in self._answers:
                self._answers[key] = self._probe(run, inputs, plans)
            return self._answers[key]

    def _probe(self, run: RunReference, inputs: list, plans: dict) -> dict[str, list[bool]]:
        plain: list = []  # the plain draw's outputs, run only once a transformed run fails or turns non-finite

        def plain_outputs() -> list | None:
            if not plain:
                plain.append(self._outputs(run, inputs))
            return plain[0]

        return {name: self._kept(run, inputs, plain_outputs, transform, allowed, undeclared)
                for name, (transform, allowed, undeclared) in plans.items()}

    def _kept(self, run: RunReference, inputs: list, plain_outputs: Callable, transform: Callable,
              allowed: list[bool], undeclared: list[bool]) -> list[bool]:
        probed = [i for i, (ok, open_) in enumerate(zip(allowed, undeclared)) if ok and open_]
        if not probed or self._tolerates(run, inputs, plain_outputs, transform, allowed):
            return list(allowed)
        if plain_outputs() is None:  # the reference fails on CPU on its own draw: the probe cannot judge
            return list(allowed)
        kept = [ok and not open_ for ok, open_ in zip(allowed, undeclared)]  # declared: always transformed
        for index in probed:
            trial = list(kept)
            trial[index] = True
            if trial != list(allowed) and self._tolerates(run, inputs, plain_outputs, transform, trial):
                kept = trial
        return kept

    def _tolerates(self, run: RunReference, inputs: list, plain_outputs: Callable, transform: Callable,
                   mask: list[bool]) -> bool:
        outputs = self._outputs(run, [transform(x) if on else x for x, on in zip(inputs, mask)])
        if outputs is None:
            return False
        # NaN or Inf fails only where the plain draw's output is finite (that draw runs only once needed).
        return not _newly_non_finite(outputs, []) or not _newly_non_finite(outputs, plain_outputs() or [])

    def _outputs(self, run: RunReference, inputs: list) -> list | None:
        with self._lock:
            self.forwards += 1
        try:
            return run(inputs)
        except Exception:  # noqa: BLE001 - the reference failing is the answer the probe looks for
            return None


def _newly_non_finite(outputs: list, plain: list) -> bool:
    """Whether an output holds NaN or Inf where the plain draw's output was finite (anywhere, where the plain
    draw has no such output)."""
    import torch

    for number, out in enumerate(outputs):
        if not isinstance(out, torch.Tensor) or not out.is_floating_point():
            continue
        bad = ~torch.isfinite(out)
        base = plain[number] if number < len(plain) else None
        if isinstance(base, torch.Tensor) and base.shape == out.shape and base.is_floating_point():
            bad &= torch.isfinite(base)
        if bool(bad.any()):
            return True
    return False
