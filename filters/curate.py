"""Dedup and decontamination in one pass: each row's code is normalised once (the costly part) and both
steps' features are computed from the same tokens, in worker processes. The result is exactly
`decontaminate(dedup(raw, config), index)`; `generate` runs this, the `kerneldata dedup` and
`decontaminate` commands run the steps one at a time."""

from __future__ import annotations

import pyarrow as pa

from kerneldata.core.config import DedupConfig
from kerneldata.core.normalize import normalize_tokens
from filters import decontaminate as dc
from filters import dedup as dd
from filters.parallel import map_batches


def _features(context, batch: list[tuple[str | None, str | None]]) -> list[tuple]:
    hasher, index = context
    tokens = [normalize_tokens(code) if code is not None else None for _, code in batch]
    hashed = dd.hash_tokens(hasher, [t for t in tokens if t is not None]) if hasher else []
    found = [dc.check(index, reference, t) for (reference, _), t in zip(batch, tokens)] if index else [None] * len(batch)
    features = iter(hashed)
    return [(next(features) if t is not None and hasher else None, match) for t, match in zip(tokens, found)]


def curate(raw: pa.Table, config: DedupConfig, index: dc.BenchmarkIndex | None = None,
           *, workers: int | None = None) -> pa.Table:
    """`raw` annotated by dedup (when `config.enabled`) and, when `index` is given, decontamination."""
    if raw.num_rows == 0:
        out = dd.dedup(raw, config)
        return dc.decontaminate(out, index) if index is not None else out
    hasher = dd.Hasher(config.shingle_tokens, config.num_perm, config.seed) if config.enabled else None
    results = []
    for batch in map_batches(_features, (hasher, index), dc.row_batches(raw), num_items=raw.num_rows,
                             workers=workers if workers is not None else config.workers):
        results.extend(batch)
    if hasher is not None:
        with_code = [i for i, valid in enumerate(raw.column("code").is_valid().to_pylist()) if valid]
        raw = dd.cluster(raw, config, with_code, (results[i][0] for i in with_code))
    else:
        raw = dd.dedup(raw, config)  # disabled: clears the columns
    if index is not None:
        raw = dc.assign(raw, index, [match for _, match in results])
    return raw
