"""Benchmark: are a config's specs big enough for a kernel to win? (issue 16, DESIGN section 6)

    python bench/spec_sizes.py [--config configs/gpu.yaml] [--n 2000] [--seed 0] [--device H200]

Draws `--n` specs with the config's `specs` section (its seed unless `--seed` is given), estimates each with
`generators.specs.headroom` on the `--device` roofline (a CPU estimate from the reference traced on meta
tensors, not a GPU measurement) and prints one JSON line: the share of specs that move at least 10 MB or do
at least 1 GFLOP, the median estimated eager time in microseconds, quantiles of bytes, GFLOP and the
speedup bound, and whether DESIGN's budget (share >= 0.8, median >= 50 us) holds. Exits 1 when it does not.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generators.specs import SpecSampler  # noqa: E402
from generators.specs.stats import headroom  # noqa: E402
from kerneldata.core.config import load_config  # noqa: E402

MIN_SHARE_BIG, MIN_MEDIAN_EAGER_US = 0.8, 50.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/gpu.yaml")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--device", default="H200")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    seed = config.run.seed if args.seed is None else args.seed
    started = time.perf_counter()
    specs = SpecSampler(config.specs, seed).sample(args.n)
    sampled_s = time.perf_counter() - started
    room = headroom([spec.to_json() for spec in specs], args.device)
    ok = room["share_big"] is not None and room["share_big"] >= MIN_SHARE_BIG \
        and room["eager_us"]["median"] >= MIN_MEDIAN_EAGER_US
    print(json.dumps({
        "config": args.config, "specs": len(specs), "seed": seed, "device": room["device"],
        "share_big": room["share_big"], "big_means": room["big_means"],
        "median_eager_us": room["eager_us"]["median"], "eager_us": room["eager_us"], "eager_mb": room["eager_mb"],
        "gflop": room["gflop"], "speedup_bound": room["speedup_bound"], "not_estimated": room["not_estimated"],
        "budget": {"share_big": MIN_SHARE_BIG, "median_eager_us": MIN_MEDIAN_EAGER_US, "met": ok},
        "sample_seconds": round(sampled_s, 1), "seconds": round(time.perf_counter() - started, 1),
    }))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
