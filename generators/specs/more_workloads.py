"""More workloads for a sampled spec (issue 16, several shapes per spec): the same op at other batch,
token, row or sequence sizes, so the verifier can check a candidate on shapes its teacher never saw.

`extra_workloads(op, dims, ...)` moves the spec's batch-like dims (`BATCH_LIKE`, then `WIDTH_LIKE`: the
sizes a kernel must not hard-code, never a constructor argument, so one `ModelNew` serves every workload)
one step along the dim's pool: the first extra workload steps each up (the next larger size: a grid or a
block fixed to the shown size then leaves part of the output unwritten), the second steps each down, and
so on, alternating. A step that leaves the budget (`max_numel`, `max_bytes`, and at most `GROWTH` times
the shown workload's bytes, so the interpreter's cost stays near the shown one's), breaks a dependent
dim's rule or changes a constructor argument goes the other way or is left out. An op with no such dim gets
no extra workload.

Guarantees: a pure function of the op, the drawn dims, dtype and layouts (no random draws, so the
sampler's stream and so every shown spec stay as they were); each extra workload differs from the shown
one and from the others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from generators.specs.problem import OpDef, problem_from_op, render
from kerneldata.core.spec import Workload

# Dims whose size a kernel must take from its inputs: batch and token counts first, then row widths.
BATCH_LIKE = ("batch", "tokens", "rows", "seq", "q_seq", "kv_seq", "kv_len", "m", "bags", "seqs", "num_indices",
              "picks", "segments")
WIDTH_LIKE = ("cols", "n", "size", "height", "width")
# An extra workload moves at most this many times the shown workload's bytes (within the spec's budget).
GROWTH = 2.0


def movable_dims(op: OpDef) -> list[str]:
    """The op's dims an extra workload may move, in the order they are moved."""
    free = {d.name for d in op.dims if not callable(d.pool)} - set(op.init_args)
    return [name for name in (*BATCH_LIKE, *WIDTH_LIKE) if name in free]


def extra_workloads(op: OpDef, dims: Mapping[str, int], dtype: str, layouts: Mapping[str, str], *, count: int,
                    cost: Callable[[dict], float], budget: float,
                    finish: Callable = lambda problem: problem) -> tuple[Workload, ...]:
    """Up to `count` more workloads of `op` drawn at `dims` (see the module docstring). `cost` is the
    sampler's cost of a dims assignment and `budget` its bound; `finish` completes a problem as the sampler
    does (a fused chain's stages)."""
    names = movable_dims(op)
    if count < 1 or not names:
        return ()
    shown = render(finish(problem_from_op(op, dims, dtype, layouts)), "")
    limit = min(budget, GROWTH * cost(dict(dims)))
    init = {name: op.resolve(dims).get(name) for name in op.init_args}
    by_name = {d.name: d for d in op.dims}
    out: list[Workload] = []
    seen = {shown.source}
    for index in range(count):
        up = index % 2 == 0
        moved = dict(dims)
        changes = []
        for name in names:
            pool = by_name[name].values(moved, False)
            larger = [v for v in pool if v > dims[name]]
            smaller = [v for v in pool if v < dims[name]][::-1]
            # The (index // 2)-th step in the preferred direction, else the first in the other.
            step = index // 2
            tries = (larger[step:step + 1] + smaller[:1]) if up else (smaller[step:step + 1] + larger[:1])
            for value in tries:
                trial = {**moved, name: value}
                if _valid(op, trial, dims, init) and cost(trial) <= limit:
                    moved = trial
                    changes.append(f"{name}={value}")
                    break
        if not changes:
            continue
        spec = render(finish(problem_from_op(op, moved, dtype, layouts)), "")
        if spec.source in seen:
            continue
        seen.add(spec.source)
        out.append(Workload(label=", ".join(changes), shapes=spec.shapes, source=spec.source))
    return tuple(out)


def _valid(op: OpDef, dims: dict, shown: Mapping[str, int], init: Mapping[str, int | None]) -> bool:
    """Every dependent dim that its rule allowed at the shown dims still allowed (an edge size it was drawn at
    is not held to the pool), every derived size positive, every constructor argument kept."""
    for dim in op.dims:
        if callable(dim.pool) and dims[dim.name] in dim.values(shown, False) \
                and dims[dim.name] not in dim.values(dims, False):
            return False
    full = op.resolve(dims)
    if any(isinstance(v, int) and v < 1 for v in full.values()):
        return False
    return all(full.get(name) == value for name, value in init.items())
