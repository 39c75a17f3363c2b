"""Compare two verify-batch result files of the same candidates: verdict agreement and timing noise.

    python bench/compare_runs.py RUN_A.jsonl RUN_B.jsonl

Prints one JSON line: candidates in both, verdicts that agree, and over candidates timed in both runs the
median and 90th percentile of |speedup_a - speedup_b| / speedup_a (DESIGN section 6: median at most 3%).
"""

from __future__ import annotations

import json
import statistics
import sys


def _load(path: str) -> dict:
    return {row["id"]: row for row in map(json.loads, open(path).read().splitlines())}


def main() -> int:
    a, b = _load(sys.argv[1]), _load(sys.argv[2])
    common = sorted(set(a) & set(b))
    same = sum(a[i]["status"] == b[i]["status"] for i in common)
    diffs = sorted(abs(a[i]["speedup_vs_eager"] - b[i]["speedup_vs_eager"]) / a[i]["speedup_vs_eager"]
                   for i in common if a[i]["speedup_vs_eager"] and b[i]["speedup_vs_eager"])
    runtime_diffs = sorted(abs(a[i]["runtime_ms"] - b[i]["runtime_ms"]) / a[i]["runtime_ms"]
                           for i in common if a[i]["runtime_ms"] and b[i]["runtime_ms"])
    flips = [(i, a[i]["reason_code"], b[i]["reason_code"]) for i in common if a[i]["status"] != b[i]["status"]]
    print(json.dumps({
        "candidates": len(common), "same_status": same, "timed_in_both": len(diffs),
        "speedup_rel_diff_median": round(statistics.median(diffs), 4) if diffs else None,
        "speedup_rel_diff_p90": round(diffs[int(0.9 * (len(diffs) - 1))], 4) if diffs else None,
        "runtime_rel_diff_median": round(statistics.median(runtime_diffs), 4) if runtime_diffs else None,
        "status_flips": flips[:10],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
