"""Benchmark: what the sandbox's bubblewrap layer (filters.verifier.isolation) costs per candidate.

    python bench/isolation_cost.py [--device cpu|cuda] [--rounds 1] [--num-seeds 2] [--limit N]

Verifies the honest candidates of tests/filters/honest through one `Runtime` per mode, in one process, the
modes alternating round by round: `bwrap` (each worker a fresh interpreter inside bubblewrap) and `plain`
(bubblewrap switched off: workers forked from the zygote, confined only by filters.verifier.confine). Each mode's
time includes starting its runtime and workers, as a short run pays it. Prints one JSON line: seconds per
candidate in each mode, their ratio (bwrap / plain) and the verdicts (which must agree). The issue's
budget is a ratio of at most 1.2. The `steady` figures leave out each pass's first candidate, which pays
for starting the first worker: a long run starts a worker once per `verify.candidates_per_worker`
candidates, so its cost per candidate is nearer the steady figure than the whole pass's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pass(cases, options, *, bwrap: bool) -> tuple[list[float], list[str]]:
    """Each candidate's seconds (the first one's include starting the runtime) and its verdict."""
    import filters.verifier.isolation
    import filters.verifier.runtime
    from filters.verifier.runtime import Runtime
    from filters.verifier.verify import problem_dtype, verify

    original = filters.verifier.isolation.usable_bwrap
    off = (lambda: None)
    filters.verifier.isolation.usable_bwrap = original if bwrap else off
    filters.verifier.runtime.usable_bwrap = original if bwrap else off
    try:
        started = time.monotonic()
        durations, statuses = [], []
        with Runtime(options.device) as runtime:
            for case in cases:
                dtype, atol, rtol = problem_dtype(case.problem_source)
                verdict = verify(case.problem_source, case.source, dtype=dtype, atol=atol, rtol=rtol,
                                 options=options, runtime=runtime)
                statuses.append(verdict.status.value)
                durations.append(time.monotonic() - started)
                started = time.monotonic()
            if bwrap and "pid" not in runtime.confinement:
                raise SystemExit(f"bubblewrap did not run: layers {runtime.confinement}")
        durations[-1] += time.monotonic() - started  # closing the runtime
        return durations, statuses
    finally:
        filters.verifier.isolation.usable_bwrap = original
        filters.verifier.runtime.usable_bwrap = original


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--rounds", type=int, default=1, help="passes per mode, alternating")
    parser.add_argument("--num-seeds", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None,
                        help="the first N honest cases only (all of them: ~170, a pass of several minutes on a GPU)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))  # tests.filters.honest lives in the source tree, not the package
    from filters.verifier.isolation import usable_bwrap
    from filters.verifier.options import VerifyOptions
    from tests.filters.honest import honest_cases

    if usable_bwrap() is None:
        raise SystemExit("bubblewrap is not usable here: install it or set KERNELDATA_BWRAP")
    options = VerifyOptions(device=args.device, timeout_s=120.0, num_seeds=args.num_seeds, baselines=("eager",))
    cases = list(honest_cases())[:args.limit]
    durations: dict[str, list[float]] = {"bwrap": [], "plain": []}
    steady: dict[str, list[float]] = {"bwrap": [], "plain": []}
    verdicts: dict[str, list[str]] = {}
    for round_index in range(args.rounds):
        order = ("bwrap", "plain") if round_index % 2 == 0 else ("plain", "bwrap")
        for mode in order:
            spent, statuses = _pass(cases, options, bwrap=mode == "bwrap")
            print(f"round {round_index + 1} {mode}: {sum(spent):.1f} s for {len(spent)} candidates", file=sys.stderr,
                  flush=True)
            durations[mode] += spent
            steady[mode] += spent[1:]
            verdicts.setdefault(mode, statuses)
    per_candidate = {mode: sum(spent) / len(spent) for mode, spent in durations.items()}
    steady_per_candidate = {mode: sum(spent) / len(spent) for mode, spent in steady.items()}
    print(json.dumps({
        "device": args.device, "candidates": len(cases), "rounds": args.rounds,
        "seconds_per_candidate": {mode: round(value, 3) for mode, value in per_candidate.items()},
        "ratio_bwrap_over_plain": round(per_candidate["bwrap"] / per_candidate["plain"], 3),
        "steady_seconds_per_candidate": {mode: round(value, 3) for mode, value in steady_per_candidate.items()},
        "steady_ratio_bwrap_over_plain": round(steady_per_candidate["bwrap"] / steady_per_candidate["plain"], 3),
        "verdicts_agree": verdicts["bwrap"] == verdicts["plain"],
        "accepted": {mode: statuses.count("accepted") for mode, statuses in verdicts.items()},
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
