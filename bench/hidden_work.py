"""Benchmark (c) of issue 3, on a GPU: a side-stream kernel and a background-thread kernel are caught, by
the static gate and, with the gate bypassed, by the runtime checks (host clock vs device events, threads
left running), every time over N tries; an honest kernel of the same size never trips the timing check.

    python bench/hidden_work.py --tries 10
"""

from __future__ import annotations

import argparse
import collections
import json
import sys

from filters.verifier.options import VerifyOptions
from filters.verifier.runtime import Runtime
from filters.verifier.verify import _run_checks, load_reference, verify
from tests.filters import candidates as c


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=10)
    args = parser.parse_args()
    options = VerifyOptions(device="cuda", num_seeds=1, baselines=("eager",), min_speedup=0.0)
    problem = c.RELU_BIG_PROBLEM
    honest = c.HONEST.replace("BLOCK=256", "BLOCK=1024").replace(", 256)", ", 1024)")
    report = {}
    with Runtime("cuda") as runtime:
        for name, code in (("side_stream", c.SIDE_STREAM), ("background_thread", c.BACKGROUND_THREAD),
                           ("honest", honest)):
            static = verify(problem, code, dtype="float32", atol=1e-4, rtol=1e-4, options=options, runtime=runtime)
            outcomes = collections.Counter()
            for _ in range(args.tries):
                verdict = _run_checks(load_reference(problem), problem, code, dtype="float32", atol=1e-4, rtol=1e-4,
                                      options=options, runtime=runtime, flops=None)
                outcomes[f"{verdict.status.value}:{verdict.reason_code.value}"] += 1
            report[name] = {"with_static_gate": f"{static.status.value}:{static.reason_code.value}",
                            "runtime_only": dict(outcomes)}
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
