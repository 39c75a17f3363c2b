"""Benchmark: the verifier's false-reject rate on the honest candidates of tests/filters/honest.

    python bench/false_rejects.py [--device cpu|cuda] [--verbose] [--min-speedup X]

Runs every honest candidate through `filters.verifier.verify.verify` on the given device (default: cuda when torch
sees a GPU, else cpu, where kernels run under the Triton interpreter) and prints one JSON line: counts by
status, the false-reject rate (rejected honest candidates / honest candidates judged, i.e. accepted or
rejected; `unverified` ones are not judged), the rejected names and the wall time. With --verbose, one
JSON line per candidate first, with its verdict. On a GPU the speed rule is off by default
(--min-speedup 0): these are tiny launch-bound problems, and the question is whether correct kernels are
judged correct; pass --min-speedup 1 to count "slower than eager" as a rejection too. The only baseline
timed is eager (a torch.compile baseline would add compile time and decide nothing here).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda if available, else cpu")
    parser.add_argument("--verbose", action="store_true", help="also print one JSON line per candidate")
    parser.add_argument("--min-speedup", type=float, default=0.0, help="speed rule on a GPU (default 0: off)")
    parser.add_argument("--timeout-s", type=float, default=120.0)
    parser.add_argument("--num-seeds", type=int, default=2)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))  # tests.filters.honest lives in the source tree, not the package
    import torch

    from filters.verifier.options import VerifyOptions
    from filters.verifier.verify import problem_dtype, verify
    from tests.filters.honest import honest_cases

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    options = VerifyOptions(device=device, timeout_s=args.timeout_s, num_seeds=args.num_seeds,
                            min_speedup=args.min_speedup, baselines=("eager",))
    counts = {"accepted": 0, "rejected": 0, "unverified": 0}
    rejected, as_expected = [], 0
    started = time.monotonic()
    for case in honest_cases():
        dtype, atol, rtol = problem_dtype(case.problem_source)
        verdict = verify(case.problem_source, case.source, dtype=dtype, atol=atol, rtol=rtol, options=options)
        counts[verdict.status.value] += 1
        expected = case.expected_on("cpu" if device == "cpu" else "cuda")
        matches = expected is not None and expected.matches(verdict)
        as_expected += matches
        if verdict.status.value == "rejected":
            rejected.append(case.name)
        if args.verbose:
            print(json.dumps({"candidate": case.name, "problem": case.problem, "dtype": dtype,
                              "as_expected": matches, **verdict.to_json()}), flush=True)
    judged = counts["accepted"] + counts["rejected"]
    print(json.dumps({
        "bench": "false_rejects",
        "device": device,
        "honest": sum(counts.values()),
        "judged": judged,
        **counts,
        "false_reject_rate": round(counts["rejected"] / judged, 4) if judged else None,
        "rejected_names": rejected,
        "as_expected": as_expected,
        "wall_s": round(time.monotonic() - started, 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
