"""Admission of candidates to one GPU by the memory their verification holds (`GpuMemory`), and the estimate
of that memory from a spec's inputs (`footprint_bytes`).

With a fixed number of candidates per GPU, real-scale specs (inputs of 1 GiB, each candidate's checks
holding inputs, outputs, poisoned and stale copies, a float64 truth, baselines, in this process and in its
worker) filled an H200's 140 GB: 10 of 61 candidates of a yield run failed with CUDA out-of-memory errors
that were the verifier's, not theirs (BENCHMARKS.md, issue 19, yield run B). So a candidate is admitted to
the GPU only when its estimate fits beside those admitted before it, and one that runs out of memory while
others shared the GPU is judged again with the GPU's memory to itself (`verify.verify`)."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

# What one candidate's verification holds, as a multiple of its largest workload's input bytes: in this
# process the inputs, the reference's outputs, their float64 truth (4x a bf16 output) and the comparison's
# temporaries; in the worker the inputs, their bit copies, the outputs, the poison and stale copies and the
# baselines' outputs. Outputs are taken as large as the inputs (elementwise and norm chains; a reduction's
# are smaller, a broadcast's can be larger: an underestimate is what the retry is for). 16 was short on an
# H100 (2026-12-06: 3 of 11 real-scale candidates admitted at 13 to 16 GiB ran out of memory beside others,
# then passed alone), with this process's freed blocks still cached then (`GpuMemory._release_cached`).
FOOTPRINT_PER_INPUT_BYTE = 24
# What every candidate holds whatever its spec: its worker's CUDA context, Triton's and Inductor's
# allocations, the L2 flush buffer and the caching allocator's slack.
FOOTPRINT_FIXED_BYTES = 2 << 30
# The share of the GPU's free memory at start that admissions may fill; the rest is headroom for the
# allocator's fragmentation and for estimates that fall short.
ADMITTED_SHARE = 0.85


def footprint_bytes(input_bytes: int) -> int:
    """The memory a candidate whose largest workload's inputs take `input_bytes` is admitted with."""
    return FOOTPRINT_FIXED_BYTES + FOOTPRINT_PER_INPUT_BYTE * max(0, input_bytes)


def input_bytes_of(reference) -> int:
    """The bytes of the tensors a loaded reference's `get_inputs()` makes, drawn on PyTorch's meta device
    (shapes and dtypes only: no memory, no time). 0 where the draw does not run there."""
    import torch

    try:
        with torch.device("meta"):
            inputs = list(reference.get_inputs())
    except Exception:  # noqa: BLE001 - a draw that needs real data gets only the fixed footprint
        return 0
    return sum(x.numel() * x.element_size() for x in inputs if isinstance(x, torch.Tensor))


@dataclass
class Admission:
    """One candidate's hold on the GPU's memory; `shared` says whether another candidate held some of it at
    any moment of this one's hold (an out-of-memory error then may not be this candidate's)."""

    nbytes: int
    shared: bool = False


class GpuMemory:
    """Candidates' holds on one GPU's memory, first come first served: a hold waits until its bytes fit beside
    the holds before it, and a hold larger than the whole capacity waits until it is alone. `capacity`
    None (a CPU, or a device whose memory cannot be read) admits everyone at once."""

    def __init__(self, capacity: int | None) -> None:
        self.capacity = capacity
        self._cond = threading.Condition()
        self._held: list[Admission] = []
        self._queue: list[Admission] = []

    @classmethod
    def of_device(cls, torch_device: str) -> GpuMemory:
        """The capacity of `torch_device` ("cuda:N"): ADMITTED_SHARE of its free memory now."""
        if not torch_device.startswith("cuda"):
            return cls(None)
        import torch

        try:
            free, _ = torch.cuda.mem_get_info(torch.device(torch_device))
        except (RuntimeError, AssertionError):
            return cls(None)
        return cls(int(free * ADMITTED_SHARE))

    def _fits(self, admission: Admission) -> bool:
        if not self._held:
            return True
        used = sum(a.nbytes for a in self._held)
        return used + admission.nbytes <= self.capacity

    @contextlib.contextmanager
    def held(self, nbytes: int, *, alone: bool = False):
        """Hold `nbytes` of the GPU's memory (all of it when `alone`) for the block; yields the Admission."""
        admission = Admission(self.capacity if alone and self.capacity else nbytes)
        if self.capacity is None:
            yield admission
            return
        with self._cond:
            self._queue.append(admission)
            while self._queue[0] is not admission or not self._fits(admission):
                self._cond.wait()
            self._queue.pop(0)
            if self._held:
                admission.shared = True
                for other in self._held:
                    other.shared = True
            self._held.append(admission)
            self._cond.notify_all()  # the next in the queue may fit too
        try:
            yield admission
        finally:
            self._release_cached()
            with self._cond:
                self._held.remove(admission)
                self._cond.notify_all()

    @staticmethod
    def _release_cached() -> None:
        """Hand this process's cached, unused GPU blocks back to the driver: the candidate's truth and
        comparisons were freed into PyTorch's caching allocator, where the next candidate's worker (another
        process) cannot use them (found on an H100: candidates admitted within the capacity ran out of memory
        beside others while this process held freed blocks)."""
        import torch

        if torch.cuda.is_initialized():
            torch.cuda.empty_cache()

    @property
    def held_bytes(self) -> int:
        with self._cond:
            return sum(a.nbytes for a in self._held)


def out_of_memory(text: str | None) -> bool:
    """Whether a verdict's reason or detail reports a CUDA (or HIP) out-of-memory error."""
    return bool(text) and ("OutOfMemoryError" in text or "out of memory" in text)
