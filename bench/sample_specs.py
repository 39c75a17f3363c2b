"""Benchmark: the spec sampler's rate, and the degenerate-spec filter's.

    python bench/sample_specs.py [--n 100000] [--check 300] [--seed 0]

Samples `--n` specs with the default `specs` config (every family, fp32 and fp16, the default memory cap),
without running any reference, and prints specs per second; the issue's budget is 100k specs in under 60 s
on 2 cores (sampling is single-threaded). Then runs the degenerate filter (each reference on CPU, several
draws) on the first `--check` of them and prints specs checked per second and the reasons found. One JSON
line each.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generators.specs import SpecSampler  # noqa: E402
from generators.specs.degenerate import check_spec  # noqa: E402
from kerneldata.core.config import SpecsConfig  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--check", type=int, default=300, help="specs to run the degenerate filter on")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    config = SpecsConfig(num_specs=args.n)
    started = time.perf_counter()
    specs = SpecSampler(config, args.seed).sample(args.n)
    sample_s = time.perf_counter() - started
    lines = [json.dumps(spec.to_json()) for spec in specs[: min(len(specs), 10_000)]]
    print(json.dumps({"bench": "sample_specs", "specs": len(specs), "seconds": round(sample_s, 2),
                      "specs_per_s": round(len(specs) / sample_s), "families": len({s.family for s in specs}),
                      "ops": len({op for s in specs for op in s.ops}), "cpus": os.cpu_count(),
                      "mean_line_bytes": round(sum(map(len, lines)) / len(lines))}))

    import torch

    torch.set_num_threads(1)
    started = time.perf_counter()
    checks = [check_spec(spec) for spec in specs[: args.check]]
    check_s = time.perf_counter() - started
    reasons = Counter(check.reason.value for check in checks)
    slowest = max(checks, key=lambda c: c.seconds)
    print(json.dumps({"bench": "reference_check", "specs": len(checks), "seconds": round(check_s, 2),
                      "specs_per_s": round(len(checks) / check_s, 1), "torch_threads": 1,
                      "reasons": dict(reasons.most_common()), "slowest_s": round(slowest.seconds, 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
