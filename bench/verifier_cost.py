"""The verifier's per-candidate time in two source trees (before and after a change), on the same candidates,
in one run, as a ratio.

    git worktree add /tmp/before d794cae
    python bench/make_candidates.py --specs 12 --samples 2 --dtypes float32 --out /tmp/cands.jsonl
    python bench/verifier_cost.py --before /tmp/before --after . --candidates /tmp/cands.jsonl --rounds 2

Each round runs `kerneldata verify-batch` over every candidate once in each tree, the trees taking turns
(before, after, after, before, ...) so that a machine that gets busier or quieter during the run weighs on
both alike. Both trees run on this Python and its installed packages with the tree's own source first on
`PYTHONPATH`, one worker (the CPU interpreter), the same seeds count and timeout. Reported per tree: the
wall seconds of each round, the median per candidate, the verdict counts; and after / before of the medians.
The wall time includes starting the sandboxed workers, which is where isolation costs (bubblewrap starts a
fresh interpreter per worker where the zygote forked one).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run_tree(root: Path, candidates: Path, out: Path, *, seeds: int, timeout_s: float) -> tuple[float, dict]:
    out.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(root)}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "kerneldata", "verify-batch", "--in", str(candidates), "--out",
                           str(out), "--device", "cpu", "--workers-per-device", "1", "--seeds", str(seeds),
                           "--timeout", str(timeout_s), "--json"], cwd=root, env=env, capture_output=True,
                          text=True)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{root}: verify-batch exited {done.returncode}: {done.stderr.strip()[-500:]}")
    verdicts = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    counts: dict[str, int] = {}
    for verdict in verdicts:
        counts[verdict["status"]] = counts.get(verdict["status"], 0) + 1
    return seconds, counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, type=Path, help="source tree of the earlier version")
    parser.add_argument("--after", required=True, type=Path, help="source tree of the later version")
    parser.add_argument("--candidates", required=True, type=Path, help="verify-batch input (make_candidates.py)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    count = sum(1 for line in args.candidates.read_text().splitlines() if line.strip())
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    seconds: dict[str, list[float]] = {name: [] for name in trees}
    counts: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for round_index in range(args.rounds):
            order = list(trees) if round_index % 2 == 0 else list(reversed(trees))
            for name in order:
                spent, counts[name] = _run_tree(trees[name], args.candidates, Path(scratch) / f"{name}.jsonl",
                                                seeds=args.seeds, timeout_s=args.timeout)
                seconds[name].append(spent)
                print(f"round {round_index + 1} {name}: {spent:.1f} s for {count} candidates {counts[name]}",
                      file=sys.stderr)
    per_candidate = {name: statistics.median(values) / count for name, values in seconds.items()}
    print(json.dumps({"candidates": count, "rounds": args.rounds, "seconds": seconds,
                      "per_candidate_s": per_candidate, "verdicts": counts,
                      "after_over_before": per_candidate["after"] / per_candidate["before"]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
