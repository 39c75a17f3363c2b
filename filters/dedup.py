"""Deduplication: a global step over raw, `Table -> Table`, that annotates and never drops a row.

Two kinds of duplicate, both on the candidate's extracted `code`:
- exact: the same canonical tokens (`kerneldata.core.normalize`: comments, docstrings and layout dropped,
  the names the code binds renamed through its AST);
- near: MinHash signatures of token shingles (`shingle_tokens` tokens each, canonical names made one
  placeholder) whose estimated Jaccard similarity is at least `threshold`, found with LSH banding. The
  signatures are datasketch's (`affine32` scheme, xxh32 of each shingle), computed for many rows at once
  with numpy; the bands and rows per band are datasketch's optimum for the threshold. A pair the bands
  propose is confirmed on the full signatures, and clusters are the connected components of confirmed
  pairs (union-find), so a chain of near-duplicates is one cluster.

Rows are compared in table order, and an LSH bucket remembers its first `_BUCKET_LIMIT` rows, so a
pair that only a crowded bucket proposes can depend on the order (2 rows of the 50,000 in
`bench/dedup_decontam.py` differ between two orders): the writer sorts raw by (spec_id, candidate_id)
before `generate` or a command curates it, so a run's verdicts are deterministic.

Rows are only compared within a group: the same status (an accepted kernel is never a duplicate of a
rejected one, however similar: such a pair is exactly what preference data wants), and with
`scope: spec` the same spec as well. Rows without code (or with nothing but comments) are left alone.

Within a cluster the row kept is the best: accepted before the rest, then the fastest measured
`speedup_vs_eager`, then the smallest candidate_id. Every member of a cluster of two or more rows gets
`dedup_cluster` = the kept row's candidate_id; the others get `dedup_reason` `exact_duplicate` (same
canonical tokens as the kept row) or `near_duplicate`. Singletons keep both null. `shards` leaves rows with
a dedup_reason out of sft and preference.

Memory: one 4-byte hash per permutation per distinct code (1 KiB at 256 permutations) plus the band
index; sources are read in batches and not kept. Each worker process also remembers the signatures of
the last `filters.parallel.MEMO_ITEMS` distinct codes it hashed (16 MiB at most), and the pieces it parsed
and the shingles it hashed (`kerneldata.core.normalize`'s memos, about 100 MiB at most).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain

import numpy as np
import pyarrow as pa
import xxhash

from kerneldata.core.config import DedupConfig
from kerneldata.core.normalize import Canonical, normalize_tokens
from kerneldata.core.outcomes import Status
from kerneldata.core.schema import with_string_columns
from filters.parallel import map_batches, remember

EXACT_DUPLICATE = "exact_duplicate"
NEAR_DUPLICATE = "near_duplicate"
DEDUP_REASONS = (EXACT_DUPLICATE, NEAR_DUPLICATE)
BATCH_ROWS = 256
# Rows whose shingles are permuted in one numpy operation (bounds the temporary to ~12 MB at 256
# permutations; larger blocks fall out of the CPU cache and get slower, not faster).
_ROWS_PER_BLOCK = 32
# Rows remembered per LSH bucket: a new row is confirmed against these. Enough for a cluster's members to
# meet (they are unioned as they arrive); a cap so that a bucket every kernel shares stays cheap.
_BUCKET_LIMIT = 8


@dataclass(frozen=True)
class Hasher:
    """Everything a worker needs to turn sources into (exact key, signature): datasketch's permutations,
    drawn once here, so that a worker process need not import datasketch. Each process's copy remembers the
    signatures of the code it saw last (`filters.parallel.remember`): a kernel repeated across specs is
    hashed once."""

    shingle_tokens: int
    num_perm: int
    seed: int
    seen: dict = field(default_factory=dict, init=False, compare=False, repr=False)  # exact key -> signature

    def __post_init__(self) -> None:
        from datasketch import MinHash

        permutations = MinHash(num_perm=self.num_perm, seed=self.seed, scheme="affine32").permutations
        object.__setattr__(self, "_permutations", np.asarray(permutations, dtype=np.uint32))  # (a, b)

    def signatures(self, codes: list[Canonical]) -> list[np.ndarray]:
        """One MinHash signature (uint32[num_perm], identical to datasketch's MinHash with scheme affine32
        and hashfunc xxh32) per code with tokens, over the `shingle_tokens`-shingles of its anonymous tokens."""
        a, b = self._permutations
        out: list[np.ndarray] = []
        for start in range(0, len(codes), _ROWS_PER_BLOCK):
            block = [np.fromiter(hashes, np.uint32, len(hashes)) for hashes in (
                code.ngram_hashes(self.shingle_tokens, xxhash.xxh32_intdigest)
                for code in codes[start:start + _ROWS_PER_BLOCK])]
            offsets = np.cumsum([0] + [len(values) for values in block[:-1]])
            # Permutations along rows and shingles along columns, so that the minimum over each row's
            # shingles reduces contiguous memory; uint32 arithmetic wraps: mod 2^32.
            permuted = np.multiply.outer(a, _fmix32(np.concatenate(block)))
            permuted += b[:, None]
            out.extend(np.ascontiguousarray(np.minimum.reduceat(permuted, offsets, axis=1).T))
        return out


def _fmix32(hv: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before the affine permutations."""
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


def hash_sources(hasher: Hasher, sources: list[str]) -> list[tuple[int | None, np.ndarray | None]]:
    """(exact key, MinHash signature) per source, both None for a source without tokens: the key hashes
    the numbered canonical tokens, the signature (see `Hasher.signatures`) the anonymous shingles."""
    return hash_codes(hasher, [Canonical(normalize_tokens(source)) for source in sources])


def hash_codes(hasher: Hasher, codes: list[Canonical]) -> list[tuple[int | None, np.ndarray | None]]:
    """`hash_sources` for sources already normalised. Code seen before (in this batch or lately in this
    process) is not hashed again."""
    seen = hasher.seen
    found: dict[int, np.ndarray] = {}
    todo: dict[int, Canonical] = {}
    for code in codes:
        if not code.tokens or code.key in found or code.key in todo:
            continue
        signature = seen.get(code.key)
        if signature is None:
            todo[code.key] = code
        else:
            found[code.key] = signature
    for key, signature in zip(todo, hasher.signatures(list(todo.values()))):
        found[key] = signature
        remember(seen, key, signature)
    return [(code.key, found[code.key]) if code.tokens else (None, None) for code in codes]


@lru_cache(maxsize=None)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band): datasketch's optimum for equal false-positive and false-negative weights."""
    from datasketch.lsh import _optimal_param

    return _optimal_param(threshold, num_perm, 0.5, 0.5)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while x != root:  # path compression
            self.parent[x], x = root, self.parent.get(x, x)
        return root

    def union(self, x: int, y: int) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            self.parent[max(rx, ry)] = min(rx, ry)


def _code_batches(codes: pa.ChunkedArray, rows: list[int]) -> Iterator[list[str]]:
    for start in range(0, len(rows), BATCH_ROWS):
        yield codes.take(pa.array(rows[start:start + BATCH_ROWS], pa.int64())).to_pylist()


def dedup(raw: pa.Table, config: DedupConfig = DedupConfig()) -> pa.Table:
    """`raw` with `dedup_cluster` and `dedup_reason` set (see the module docstring); rows and their order
    unchanged. With `config.enabled` false both columns are cleared."""
    n = raw.num_rows
    cluster_col: list[str | None] = [None] * n
    reason_col: list[str | None] = [None] * n
    if not config.enabled or n == 0:
        return with_string_columns(raw, {"dedup_cluster": cluster_col, "dedup_reason": reason_col})

    codes = raw.column("code")
    with_code = [i for i, valid in enumerate(codes.is_valid().to_pylist()) if valid]  # null: no code extracted

    hasher = Hasher(config.shingle_tokens, config.num_perm, config.seed)
    results = map_batches(hash_sources, hasher, _code_batches(codes, with_code), num_items=len(with_code),
                          workers=config.workers)
    return cluster(raw, config, with_code, (item for batch in results for item in batch))


def cluster(raw: pa.Table, config: DedupConfig, with_code: list[int], features) -> pa.Table:
    """The clustering half of `dedup`: `features` yields (exact key, signature) for the rows `with_code`,
    in order (from `hash_sources` / `hash_codes`)."""
    n = raw.num_rows
    cluster_col: list[str | None] = [None] * n
    reason_col: list[str | None] = [None] * n
    status = raw.column("status").to_pylist()
    scope_keys = (raw.column("spec_id").to_pylist() if config.scope == "spec"
                  else _op_keys(raw) if config.scope == "op" else [None] * n)
    bands, band_rows = lsh_params(config.threshold, config.num_perm)
    # A signature's bands as bytes objects, cut in C: the first bands * band_rows uint32 values.
    band_dtype = np.dtype((np.void, band_rows * 4))
    # Exact groups: (group, exact key) -> first row; every row points at its exact group's first row.
    exact_first: dict[tuple, int] = {}
    exact_of: dict[int, int] = {}
    signatures: dict[int, np.ndarray] = {}  # first row of an exact group -> signature
    band_index: dict[tuple, list[dict]] = {}  # group -> per band: band bytes -> first rows seen with it
    union = _UnionFind()
    for row, (key, signature) in zip(with_code, features):
        if key is None:
            continue
        group = (status[row], scope_keys[row])
        first = exact_first.setdefault((group, key), row)
        exact_of[row] = first
        if first != row:
            union.union(first, row)
            continue
        signatures[row] = signature
        tables = band_index.get(group) or band_index.setdefault(group, [{} for _ in range(bands)])
        buckets = [table.setdefault(chunk, []) for table, chunk in
                   zip(tables, np.frombuffer(signature, dtype=band_dtype, count=bands).tolist())]
        # Rows any band proposes, each once: the clusters are the components of the confirmed pairs, which
        # neither the order of confirming nor skipping a pair already joined changes.
        proposed = dict.fromkeys(chain.from_iterable(buckets))
        for bucket in buckets:
            if len(bucket) < _BUCKET_LIMIT:
                bucket.append(row)
        root = union.find(row)
        for other in proposed:
            if union.find(other) != root and \
                    np.count_nonzero(signatures[other] == signature) / config.num_perm >= config.threshold:
                union.union(other, row)
                root = union.find(row)

    members: dict[int, list[int]] = {}
    for row in exact_of:
        members.setdefault(union.find(row), []).append(row)
    candidate_ids = raw.column("candidate_id").to_pylist()
    speedups = raw.column("speedup_vs_eager").to_pylist()
    for rows in members.values():
        if len(rows) < 2:
            continue
        keep = min(rows, key=lambda r: _rank(status[r], speedups[r], candidate_ids[r]))
        for row in rows:
            cluster_col[row] = candidate_ids[keep]
            if row != keep:
                reason_col[row] = EXACT_DUPLICATE if exact_of[row] == exact_of[keep] else NEAR_DUPLICATE
    return with_string_columns(raw, {"dedup_cluster": cluster_col, "dedup_reason": reason_col})


def _op_keys(raw: pa.Table) -> list:
    """The problem up to its shapes: family, ops and dtype."""
    return [(family, tuple(ops), dtype) for family, ops, dtype in zip(
        raw.column("family").to_pylist(), raw.column("ops").to_pylist(), raw.column("dtype").to_pylist())]


def _rank(status: str, speedup: float | None, candidate_id: str) -> tuple:
    """Sort key of the best row first: accepted, fastest measured speedup, smallest id."""
    measured = speedup is not None and math.isfinite(speedup) and speedup > 0
    return (status != Status.ACCEPTED.value, not measured, -(speedup if measured else 0.0), candidate_id)


def summary(raw: pa.Table) -> dict:
    """Counts for reports: rows checked (with code), clusters, and rows marked per reason."""
    reasons = raw.column("dedup_reason").to_pylist()
    clusters = {c for c in raw.column("dedup_cluster").to_pylist() if c is not None}
    return {
        "checked": raw.num_rows - raw.column("code").null_count,
        "clusters": len(clusters),
        "duplicates": sum(r is not None for r in reasons),
        "by_reason": {reason: reasons.count(reason) for reason in DEDUP_REASONS},
    }
