"""Benchmark: how a case's verdict depends on the verifier's draws.

    python bench/cheat_draws.py CASE [CASE ...] [--keys 24] [--device cpu|cuda]

The verifier draws its poison, extra calls, grad mode, inputs and module name per verification (issue 15,
section 5); tests/filters/test_cheats.py judges each case under one fixed key, so its verdicts reproduce.
A cheat caught under some draws and not others is a hole the test can miss: this runs each named case
(tests/filters/cheats or tests/filters/honest) under `--keys` different draw keys and prints one JSON line
per case with its verdicts counted by status and reason, and the keys under which a cheat was accepted or an
honest kernel rejected.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="+", help="case names (file names without .py)")
    parser.add_argument("--keys", type=int, default=24, help="how many draw keys to try (default 24)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from filters.verifier.options import VerifyOptions
    from filters.verifier.verify import problem_dtype, verify
    from tests.filters.cheats import cheat_cases
    from tests.filters.honest import honest_cases

    cheats = {case.name: case for case in cheat_cases()}
    honest = {case.name: case for case in honest_cases()}
    unknown = [name for name in args.cases if name not in cheats and name not in honest]
    if unknown:
        parser.error(f"no such case: {', '.join(unknown)}")
    failed = False
    for name in args.cases:
        case = cheats.get(name) or honest[name]
        dtype, atol, rtol = problem_dtype(case.problem_source)
        counts, wrong_keys = collections.Counter(), []
        for index in range(args.keys):
            options = VerifyOptions(device=args.device, timeout_s=120, num_seeds=2, draw_key=f"draws-{index}",
                                    min_speedup=0.0, baselines=("eager",))
            verdict = verify(case.problem_source, case.source, dtype=dtype, atol=atol, rtol=rtol, options=options,
                             workloads=list(case.workloads))
            reason = verdict.reason_code.value if verdict.reason_code else None
            counts[f"{verdict.status.value}:{reason}"] += 1
            # A cheat is wrongly judged when accepted, an honest kernel when rejected (`unverified` is not a
            # verdict on it: the interpreter could not decide).
            if verdict.status.value == ("accepted" if name in cheats else "rejected"):
                wrong_keys.append(index)
        failed |= bool(wrong_keys)
        print(json.dumps({"case": name, "kind": "cheat" if name in cheats else "honest", "keys": args.keys,
                          "verdicts": dict(counts), "wrong_under_keys": wrong_keys}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
