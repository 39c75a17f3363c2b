"""Dedup and decontamination in one pass: each distinct code is normalised once (the costly part) and both
steps' features are computed from the same tokens, in worker processes, while this process clusters the
rows already hashed. A code repeated byte for byte in another row is sent to no worker: the row takes the
features of the first row with that code. The result is exactly `decontaminate(dedup(raw, config), index)`.

Either step can run alone (`config` or `index` None: that step's columns are kept as they are): `generate`
runs both, the `kerneldata dedup` and `decontaminate` commands one each, all through this one path.

Memory: besides the steps' own (see `filters.dedup`), one entry per distinct code (its key, its signature,
which the clustering mostly holds anyway, and its match), and the batches in flight."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from kerneldata.core.config import DedupConfig
from kerneldata.core.normalize import Canonical, normalize_tokens, token_hash
from filters import decontaminate as dc
from filters import dedup as dd
from filters.parallel import map_batches


def _features(context, batch: list[tuple[str | None, str | None]]) -> list[tuple]:
    """Per (reference or None, code or None): ((exact key, signature) or None without code or dedup,
    the reference's decontamination match, the code's)."""
    hasher, index = context
    codes = [Canonical(normalize_tokens(code)) if code is not None else None for _, code in batch]
    hashed = iter(dd.hash_codes(hasher, [code for code in codes if code is not None]) if hasher else ())
    return [(next(hashed) if hasher and code is not None else None,
             dc.check_reference(index, reference) if index and reference is not None else None,
             dc.check_code(index, code) if index else None)
            for (reference, _), code in zip(batch, codes)]


def curate(raw: pa.Table, config: DedupConfig | None, index: dc.BenchmarkIndex | None = None,
           *, workers: int | None = None) -> pa.Table:
    """`raw` annotated by dedup (unless `config` is None; `config.enabled` false clears its columns) and by
    decontamination (unless `index` is None). `workers`: processes, default the config's (dedup's when it
    runs)."""
    if workers is None:
        workers = config.workers if config is not None else index.config.workers if index is not None else 1
    hasher = dd.Hasher(config.shingle_tokens, config.num_perm, config.seed) if config and config.enabled else None
    if config is not None and hasher is None:
        raw = dd.dedup(raw, config)  # disabled: clears the columns
    if raw.num_rows == 0 or (hasher is None and index is None):
        return dc.decontaminate(raw, index) if index is not None else raw
    code_hashes: list[int | None] = []  # per row, appended as its batch is made: the hash of its code
    matches: list[tuple | None] = []  # per row, appended as its batch comes back: its decontamination match

    def jobs() -> Iterator[list[tuple[str | None, str | None]]]:
        """`row_batches` with each code only in the first row that has it."""
        sent: set[int] = set()
        for batch in dc.row_batches(raw, references=index is not None):
            job = []
            for reference, code in batch:
                code_hash = token_hash(code.encode("utf-8", "surrogatepass")) if code is not None else None
                code_hashes.append(code_hash)
                job.append((reference, code if code_hash not in sent else None))
                sent.add(code_hash)
            yield job

    def code_features() -> Iterator[tuple]:
        """(exact key, signature) per row with code, in order, for `dedup.cluster` to consume as they come."""
        by_hash: dict[int, tuple] = {}  # code hash -> (exact key and signature, code match) of its first row
        row = 0
        for batch in map_batches(_features, (hasher, index), jobs(), num_items=raw.num_rows, workers=workers):
            for feature, reference_match, code_match in batch:
                code_hash = code_hashes[row]
                row += 1
                if code_hash is not None:
                    feature, code_match = by_hash.setdefault(code_hash, (feature, code_match))
                matches.append(reference_match or code_match)
                if code_hash is not None:
                    yield feature

    features = code_features()
    if hasher is not None:
        with_code = [i for i, valid in enumerate(raw.column("code").is_valid().to_pylist()) if valid]
        raw = dd.cluster(raw, config, with_code, features)
    for _ in features:  # the rows after the last one with code (all of them without dedup)
        pass
    if index is not None:
        raw = dc.assign(raw, index, matches)
    return raw
