"""Shape pools and the budgeted dimension draw.

Pools hold the sizes real workloads use (LLM hidden sizes, head counts and head dims, sequence lengths,
batch sizes; vision channels and resolutions) beside the awkward sizes kernels must survive (primes,
non-powers of two, size-1 dims, very long rows, tiny tensors). `draw_dims` picks one value per named dim so
that the problem fits a memory budget, without rejection sampling: each dim is drawn among the values that
still fit when every dim not yet drawn takes its smallest value.

Guarantees: the same `random.Random` state gives the same dims; the returned dims fit the budget (checked,
not assumed, since a cost need not grow with every dim); a dim's value is never below its `min_size`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

# LLM workloads.
BATCH = (1, 2, 4, 8, 16, 32, 64)
SEQ = (16, 64, 77, 128, 197, 256, 512, 1024, 2048, 4096, 8192)
HIDDEN = (64, 128, 256, 384, 512, 768, 1024, 1536, 2048, 2560, 3072, 4096, 5120, 8192)
FFN = (256, 1024, 2048, 3072, 4096, 8192, 11008, 14336)
HEADS = (1, 2, 4, 8, 12, 16, 32)
HEAD_DIM = (16, 32, 64, 80, 96, 128)
VOCAB = (10, 100, 1000, 32000, 50257, 128256)
CLASSES = (2, 10, 100, 1000)
# Vision workloads.
CHANNELS = (3, 8, 16, 32, 48, 64, 96, 128, 256, 512)
RES = (7, 8, 14, 16, 28, 32, 56, 64, 112, 224)
RES_3D = (4, 8, 16, 32)
KERNEL = (1, 3, 5, 7)
# Generic 2-D problems: rows beside widths that range from a few elements to very long rows.
ROWS = (1, 4, 16, 31, 64, 100, 128, 256, 1000, 4096)
COLS = (7, 127, 128, 256, 500, 777, 1000, 1024, 1531, 2048, 3000, 4096, 8192, 16384, 32768, 65536)
MATMUL = (16, 32, 48, 64, 96, 100, 127, 128, 192, 256, 512, 768, 1024, 2048, 4096)
SKINNY = (1, 2, 4, 8, 16)
# Edge sizes mixed into any pool at `edge_rate`: size 1, tiny, primes, just past a power of two.
EDGE = (1, 2, 3, 5, 7, 13, 17, 31, 61, 127, 257, 509, 1021, 4099)

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2}


class Infeasible(ValueError):
    """No assignment of the dims fits the budget."""


@dataclass(frozen=True)
class Dim:
    """A named dimension: its pool (or a function of the dims drawn before it, for sizes that depend on
    others, such as a spatial size no smaller than the kernel), and the smallest value it may take (2 for a
    dim that is reduced or normalised over: a softmax over one element is the constant 1)."""

    name: str
    pool: Sequence[int] | Callable[[Mapping[str, int]], Sequence[int]]
    min_size: int = 1
    edge: bool = True  # whether EDGE sizes may replace the pool at the edge rate
    edges: tuple[int, ...] | None = None  # the edge sizes of this dim; None: EDGE (a scaled dim's own)

    def values(self, chosen: Mapping[str, int], edge: bool) -> list[int]:
        pool = self.pool(chosen) if callable(self.pool) else self.pool
        if edge and self.edge:
            top = max(pool)
            pool = [v for v in (EDGE if self.edges is None else self.edges) if v <= top]
        return sorted({v for v in pool if v >= self.min_size})


def draw_dims(rng: random.Random, dims: Sequence[Dim], cost: Callable[[dict], float], budget: float,
              edge_rate: float = 0.0, attempts: int = 8) -> dict[str, int]:
    """One value per dim with `cost(dims) <= budget`. Dims with a fixed pool are drawn in a random order (so
    no dim always gets first pick of the budget); dims whose pool depends on others follow, in order. A
    dependent pool can rule out what an earlier pick assumed (a large kernel needs a large image), so a
    failed draw is tried again, `attempts` times in all, before the dims count as infeasible."""
    for attempt in range(attempts):
        try:
            return _draw_once(rng, dims, cost, budget, edge_rate)
        except Infeasible:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _draw_once(rng: random.Random, dims: Sequence[Dim], cost: Callable[[dict], float], budget: float,
               edge_rate: float) -> dict[str, int]:
    free = [d for d in dims if not callable(d.pool)]
    dependent = [d for d in dims if callable(d.pool)]
    order = free[:]
    rng.shuffle(order)
    order += dependent
    chosen: dict[str, int] = {}
    floor: dict[str, int] = {}
    for dim in order:  # the smallest value of every dim, for the "rest at their minimum" bound
        smallest = dim.values(floor, False)
        floor[dim.name] = smallest[0] if smallest else dim.min_size
    for dim in order:
        values = dim.values(chosen, rng.random() < edge_rate)
        if not values:
            values = dim.values(chosen, False)
        if not values:
            raise Infeasible(f"dim {dim.name!r} has no allowed size")
        trial = {**floor, **chosen}

        def fits(value: int) -> bool:
            trial[dim.name] = value
            return cost(trial) <= budget

        # Costs grow with most dims: find the largest fitting value by bisection (the final cost is checked).
        if not fits(values[0]):
            raise Infeasible(f"dim {dim.name!r} cannot fit the budget even at size {values[0]}")
        lo, hi = 0, len(values) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits(values[mid]):
                lo = mid
            else:
                hi = mid - 1
        chosen[dim.name] = rng.choice(values[: lo + 1])
    if cost(chosen) > budget:
        raise Infeasible(f"dims {chosen} exceed the budget")
    return chosen


# -- scales (issue 16: sized so a kernel can win) ----------------------------------------------------------
# `specs.scale: real` draws a dim named here from the sizes real models run instead of its op's pool:
# Llama 3 (hidden 4096 / 8192, FFN 14336 / 28672, vocab 128256), Llama 2 (FFN 11008, vocab 32000), Mistral
# (vocab 32768), Qwen 2.5 (hidden 2048-5120, FFN 18944, vocab 151936), GPT-2 (vocab 50257), DeepSeek-V3
# (hidden 7168); head dims 64 and 128; sequences 512-8192 and batches 1-64 (tokens: their products);
# ResNet/ViT-style channels and resolutions. A dim keeps its op's pool where the op asks for small sizes on
# purpose (every value of its pool below the smallest real one: products over rows of factors near one,
# skinny decode matmuls, a chain's small inner dims).
_TOKENS = (512, 1024, 2048, 4096, 8192, 16384, 32768, 65536)
_WIDTHS = (2048, 2560, 3072, 4096, 5120, 7168, 8192)
_VOCABS = (32000, 32768, 50257, 128256, 151936)
REAL_POOLS: dict[str, tuple[int, ...]] = {
    "batch": (1, 2, 4, 8, 16, 32, 64),
    **dict.fromkeys(("seq", "q_seq", "kv_seq"), (512, 1024, 2048, 4096, 8192)),
    **dict.fromkeys(("tokens", "rows"), _TOKENS),
    **dict.fromkeys(("hidden", "in_features", "out_features", "dim"), _WIDTHS),
    "cols": _WIDTHS + (11008, 14336, 18944, 28672),
    **dict.fromkeys(("m", "size"), (512, 1024, 2048, 4096, 8192)),
    **dict.fromkeys(("n", "k"), (64, 128, 512, 1024, 2048, 4096, 8192, 14336)),
    "heads": (8, 16, 32, 64),
    "head_dim": (64, 128),
    **dict.fromkeys(("vocab", "classes"), _VOCABS),
    **dict.fromkeys(("channels", "in_channels"), (64, 128, 256, 512)),
    **dict.fromkeys(("height", "width"), (14, 28, 56, 112, 224)),
}
# `specs.scale: cpu` keeps that structure but divides each size by its kind's divisor (floor, at least 1),
# so the Triton interpreter on two cores still sees real proportions: tokens and sequences by 64 (512 -> 8,
# 65536 -> 1024), widths, vocabularies and matmul sizes by 16 (4096 -> 256, 151936 -> 9496), channels by 8,
# resolutions by 4. Head dims, head counts and batch keep their real values: they set a kernel's tiles and
# grid, which is the structure worth exercising. The config's max_numel / max_bytes caps apply after.
CPU_DIVISORS: dict[str, int] = {
    **dict.fromkeys(("seq", "q_seq", "kv_seq", "tokens", "rows"), 64),
    **dict.fromkeys(("hidden", "in_features", "out_features", "dim", "cols", "m", "size", "n", "k", "vocab",
                     "classes"), 16),
    **dict.fromkeys(("channels", "in_channels"), 8),
    **dict.fromkeys(("height", "width"), 4),
}
SCALES = ("pools", "real", "cpu")


def scale_pool(name: str, pool: Sequence[int], scale: str) -> tuple[int, ...] | None:
    """The pool dim `name` draws from at `scale`, or None where it keeps its op's own `pool`."""
    if scale not in SCALES:
        raise ValueError(f"unknown specs.scale {scale!r}; known scales: {', '.join(SCALES)}")
    real = REAL_POOLS.get(name)
    if scale == "pools" or real is None or max(pool) < min(real):
        return None
    divisor = CPU_DIVISORS.get(name, 1) if scale == "cpu" else 1
    return tuple(sorted({max(1, v // divisor) for v in real}))


def scale_dims(dims: Sequence[Dim], scale: str) -> tuple[Dim, ...]:
    """`dims` with the pools of `scale`; at a scale other than "pools" a dim's edge sizes are its pool's
    values one past and one short of each size (4097, 8191, 151937: real sizes that are not powers of two)
    and 1, instead of the small primes of EDGE."""
    out = []
    for dim in dims:
        pool = None if callable(dim.pool) else scale_pool(dim.name, dim.pool, scale)
        if pool is None:
            out.append(dim)
            continue
        edges = tuple(sorted({1} | {v + d for v in pool for d in (-1, 1) if v + d >= 1}))
        out.append(Dim(dim.name, pool, dim.min_size, dim.edge, edges))
    return tuple(out)
