"""filters.dedup: exact and near duplicates annotated, never dropped; the best of a cluster kept."""

from __future__ import annotations

import numpy as np
import xxhash
from datasketch import MinHash

from kerneldata.core.config import DedupConfig
from kerneldata.core.normalize import anonymous, normalize_tokens
from kerneldata.core.schema import RAW_SCHEMA, table_from_rows
from filters import parallel
from filters.dedup import Hasher, dedup, hash_sources, summary
from tests.core.test_normalize import KERNEL, RENAMED
from tests.shards.conftest import raw_row

# A near-copy: one extra statement and a changed constant (Jaccard of 5-token shingles about 0.85).
NEAR = KERNEL.replace("    mask = offs < n\n", "    mask = offs < n\n    mask = mask & (offs >= 0)\n")
OTHER = '''
import triton
import triton.language as tl

@triton.jit
def add_kernel(a_ptr, b_ptr, out_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    a = tl.load(a_ptr + offs, mask=offs < n, other=0.0)
    b = tl.load(b_ptr + offs, mask=offs < n, other=0.0)
    total = tl.sum(a * b, axis=0)
    tl.atomic_add(out_ptr, total)
'''


def _table(rows):
    return table_from_rows(rows, RAW_SCHEMA)


def _annotated(rows, **config):
    out = dedup(_table(rows), DedupConfig(**config))
    return {r["candidate_id"]: (r["dedup_cluster"], r["dedup_reason"]) for r in out.to_pylist()}


def shingles(tokens: list[bytes], size: int) -> list[bytes]:
    """Distinct shingles of `size` tokens (one shingle when the code is shorter): the plain definition."""
    if len(tokens) <= size:
        return [b" ".join(tokens)] if tokens else []
    return list({b" ".join(tokens[i:i + size]) for i in range(len(tokens) - size + 1)})


def test_signatures_equal_datasketch_minhash():
    # Many sources at once (more than one numpy block), short ones and repeats among them.
    sources = [KERNEL, RENAMED, NEAR, OTHER, "x = 1\n", "f(a, b)\n"] + [
        KERNEL.replace("0.0", f"{i}.0") + f"y = {i}\n" * (i % 4) for i in range(40)] + [KERNEL]
    for _ in range(2):  # the second time, every shingle's hash comes from the process's memo
        hasher = Hasher(shingle_tokens=5, num_perm=64, seed=3)
        for source, (_, ours) in zip(sources, hash_sources(hasher, sources), strict=True):
            reference = MinHash(num_perm=64, seed=3, hashfunc=xxhash.xxh32_intdigest, scheme="affine32")
            reference.update_batch(shingles(anonymous(normalize_tokens(source)), 5))
            assert np.array_equal(ours, reference.hashvalues), source


def test_code_seen_before_in_the_process_is_not_hashed_again(monkeypatch):
    hasher = Hasher(shingle_tokens=5, num_perm=64, seed=3)
    [(key, first)] = hash_sources(hasher, [KERNEL])
    monkeypatch.setattr(parallel, "MEMO_ITEMS", 2)
    hashed = []
    signatures = Hasher.signatures
    monkeypatch.setattr(Hasher, "signatures", lambda self, lists: hashed.append(len(lists)) or signatures(self, lists))
    again = hash_sources(hasher, [RENAMED, OTHER, KERNEL, NEAR])  # RENAMED and KERNEL: the same code
    assert hashed == [2] and again[0] == (key, first) and again[2][1] is first
    assert list(hasher.seen) == [again[1][0], again[3][0]]  # bounded: KERNEL's entry made way


def test_exact_and_near_duplicates_keep_the_fastest_accepted():
    rows = [
        raw_row("elementwise-a", "c1", "accepted", speedup=1.2, code=KERNEL),
        raw_row("elementwise-b", "c2", "accepted", speedup=2.5, code=RENAMED),  # exact, and fastest: kept
        raw_row("elementwise-c", "c3", "accepted", speedup=1.0, code=NEAR),  # near
        raw_row("elementwise-d", "c4", "accepted", speedup=3.0, code=OTHER),  # different: alone
        raw_row("elementwise-e", "c5", "rejected", "mismatch", code=KERNEL),  # other status: not compared
        raw_row("elementwise-f", "c6", "rejected", "no_code", code=None),
    ]
    got = _annotated(rows)
    assert got == {
        "c1": ("c2", "exact_duplicate"),
        "c2": ("c2", None),
        "c3": ("c2", "near_duplicate"),
        "c4": (None, None),
        "c5": (None, None),
        "c6": (None, None),
    }


def test_rows_and_order_are_unchanged_and_the_summary_counts():
    rows = [raw_row("elementwise-a", f"c{i}", "accepted", code=KERNEL) for i in range(3)]
    out = dedup(_table(rows))
    assert out.column("candidate_id").to_pylist() == ["c0", "c1", "c2"]
    assert out.schema.equals(RAW_SCHEMA)
    assert summary(out) == {"checked": 3, "clusters": 1, "duplicates": 2,
                            "by_reason": {"exact_duplicate": 2, "near_duplicate": 0}}


def test_a_threshold_above_the_similarity_leaves_near_copies_alone():
    rows = [raw_row("e-a", "c1", "accepted", code=KERNEL), raw_row("e-b", "c2", "accepted", code=NEAR)]
    assert _annotated(rows, threshold=0.99) == {"c1": (None, None), "c2": (None, None)}
    assert _annotated(rows, threshold=0.7)["c2"] == ("c1", "near_duplicate")


def test_spec_scope_compares_only_within_a_spec():
    rows = [raw_row("e-a", "c1", "accepted", code=KERNEL), raw_row("e-b", "c2", "accepted", code=KERNEL),
            raw_row("e-b", "c3", "accepted", code=KERNEL)]
    assert _annotated(rows, scope="spec") == {"c1": (None, None), "c2": ("c2", None),
                                              "c3": ("c2", "exact_duplicate")}


def test_disabled_clears_the_columns():
    rows = [raw_row("e-a", "c1", "accepted", code=KERNEL), raw_row("e-b", "c2", "accepted", code=KERNEL)]
    once = dedup(_table(rows))
    assert dedup(once, DedupConfig(enabled=False)).column("dedup_reason").to_pylist() == [None, None]


def test_worker_processes_give_the_same_answer(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ITEMS_FOR_WORKERS", 1)
    codes = [KERNEL, RENAMED, NEAR, OTHER] * 3
    rows = [raw_row(f"e-{i}", f"c{i:02d}", "accepted", speedup=1.0 + i, code=code) for i, code in enumerate(codes)]
    in_process = dedup(_table(rows), DedupConfig(workers=1))
    spawned = dedup(_table(rows), DedupConfig(workers=2))
    assert spawned.equals(in_process)
    assert summary(spawned)["clusters"] == 2
