"""Map a function over batches in worker processes, in order, for the global steps (dedup,
decontamination) whose per-row work (parsing, hashing) is pure Python and CPU-bound.

Workers are started with `spawn`, never `fork`: the caller may hold Ray's or PyTorch's threads, which a
forked child would inherit half-alive. Small inputs run in this process, since starting a worker (importing
numpy, pyarrow, datasketch) costs more than a few thousand rows. At most `workers * 2` batches are in flight,
so memory stays bounded by the batch size, not the input size.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

# Below this many items the work stays in this process.
MIN_ITEMS_FOR_WORKERS = 4_000


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def map_batches(fn: Callable[[Any, list], list], context: Any, batches: Iterable[list], *, num_items: int,
                workers: int | None) -> Iterator[list]:
    """Yield `fn(context, batch)` for each batch, in order. `fn` must be a module-level function and
    `context` picklable; each worker receives `context` once."""
    workers = available_cpus() if workers is None else workers
    if workers <= 1 or num_items < MIN_ITEMS_FOR_WORKERS:
        for batch in batches:
            yield fn(context, batch)
        return
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers, initializer=_init, initargs=(fn, context)) as pool:
        pending: deque = deque()
        for batch in batches:
            pending.append(pool.apply_async(_call, (batch,)))
            if len(pending) >= workers * 2:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


_STATE: dict = {}


def _init(fn, context) -> None:
    _STATE["fn"], _STATE["context"] = fn, context


def _call(batch: list) -> list:
    return _STATE["fn"](_STATE["context"], batch)


# Entries a per-process memo keeps (`remember`): at 1 KiB per signature, 16 MiB.
MEMO_ITEMS = 16_384


def remember(memo: dict, key, value) -> None:
    """`memo[key] = value`, forgetting the oldest entry once `memo` holds MEMO_ITEMS. For results that
    repeat across a run (the same kernel for many specs): each worker process keeps its own memo."""
    if len(memo) >= MEMO_ITEMS:
        del memo[next(iter(memo))]
    memo[key] = value
