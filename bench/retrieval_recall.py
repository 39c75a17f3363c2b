"""Retrieval quality and speed on the ROCm documentation corpus: recall@5, MRR, build and load time.

    python bench/retrieval_recall.py [CORPUS] [--queries bench/retrieval_queries.jsonl] [-k 5] [--mode auto]

CORPUS defaults to ../shared/corpora/rocm-docs (relative to the repository root). Each query line names the
files (relative to CORPUS) that answer it. A query counts as recalled when a chunk of one of its files is
among the top k hits; its reciprocal rank is 1 / the rank of the first such chunk among the top 10 (0 when
none). Build time is `DocIndex.build` of the whole tree; load time is `DocIndex.load` of the saved index,
the first and the best of 5 loads in this process (the libraries are already imported by then; a fresh
process adds about 0.3 s of imports). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from generators.retrieval import DocIndex  # noqa: E402

MRR_DEPTH = 10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(REPO / ".." / "shared" / "corpora" / "rocm-docs"))
    parser.add_argument("--queries", default=str(REPO / "bench" / "retrieval_queries.jsonl"))
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--mode", default="auto")
    parser.add_argument("--max-chars", type=int, default=None, help="chunk size cap (default: the library's)")
    parser.add_argument("--misses", action="store_true", help="also list the queries that were not recalled")
    args = parser.parse_args(argv)

    corpus = Path(args.corpus).resolve()
    queries = [json.loads(line) for line in Path(args.queries).read_text().splitlines() if line.strip()]
    for query in queries:
        missing = [p for p in query["expected"] if not (corpus / p).is_file()]
        if missing:
            raise SystemExit(f"query {query['query']!r} expects {missing[0]}, which is not under {corpus}")

    options = {} if args.max_chars is None else {"max_chars": args.max_chars}
    start = time.perf_counter()
    index = DocIndex.build([corpus], **options)
    build_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as scratch:
        index.save(Path(scratch) / "index")
        load_times = []
        for _ in range(5):
            start = time.perf_counter()
            loaded = DocIndex.load(Path(scratch) / "index")
            load_times.append(time.perf_counter() - start)

    recalled, reciprocal_ranks, misses = 0, [], []
    start = time.perf_counter()
    for query in queries:
        hits = loaded.search(query["query"], k=max(args.k, MRR_DEPTH), mode=args.mode)
        ranks = [rank for rank, hit in enumerate(hits, start=1) if hit.path in query["expected"]]
        first = ranks[0] if ranks else None
        recalled += first is not None and first <= args.k
        reciprocal_ranks.append(1.0 / first if first else 0.0)
        if first is None or first > args.k:
            misses.append({"query": query["query"], "expected": query["expected"],
                           "got": [f"{h.path} | {h.section}" for h in hits[:args.k]]})
    search_s = time.perf_counter() - start

    result = {
        "corpus": str(corpus), "queries": len(queries), "chunks": len(loaded), "k": args.k, "mode": args.mode,
        f"recall@{args.k}": round(recalled / len(queries), 4),
        "mrr@10": round(sum(reciprocal_ranks) / len(queries), 4),
        "build_s": round(build_s, 3), "load_s": round(min(load_times), 4), "first_load_s": round(load_times[0], 4),
        "search_ms_per_query": round(1000 * search_s / len(queries), 2),
    }
    if args.misses:
        result["misses"] = misses
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
