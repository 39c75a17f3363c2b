"""Benchmark: are a config's specs big enough for a kernel to win? (issue 16, DESIGN section 6)

    python bench/spec_sizes.py [--config configs/gpu.yaml] [--n 2000] [--seed 0] [--device H200]

Draws `--n` specs with the config's `specs` section (its seed unless `--seed` is given), estimates each with
`generators.specs.headroom` on the `--device` roofline (a CPU estimate from the reference traced on meta
tensors, not a GPU measurement) and prints one JSON line: the share of specs that move at least 10 MB or do
at least 1 GFLOP, the median estimated eager time in microseconds, quantiles of bytes, GFLOP and the
speedup bound, and whether DESIGN's budget (share >= 0.8, median >= 50 us) holds. Exits 1 when it does not.

    python bench/spec_sizes.py --measure 200 [--device H100]   # on a GPU machine

also runs the first `--measure` specs' references in PyTorch eager on the GPU (inputs made on the device,
3 warm-up calls, the median of 10 timed with CUDA events, each call separately) and prints a second line:
measured against estimated eager time (median ratio, share within 2x), the measured median and share of
specs measured at 50 us or more, so the roofline can be checked against the device it describes.
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
    parser.add_argument("--measure", type=int, default=0, help="time this many references on the GPU")
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
    if args.measure:
        print(json.dumps(measure(specs[: args.measure], args.device)))
    return 0 if ok else 1


def _eager_us(source: str) -> float:
    """The median time of one eager call of the reference in `source`, on the current CUDA device."""
    import torch

    namespace: dict = {"__name__": "spec_sizes_reference"}
    with torch.device("cuda"), torch.no_grad():
        exec(compile(source, "<reference>", "exec"), namespace)  # our sampler's own sources
        model = namespace["Model"](*namespace["get_init_inputs"]())
        inputs = namespace["get_inputs"]()
        times = []
        for call in range(13):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            model(*inputs)
            end.record()
            end.synchronize()
            if call >= 3:
                times.append(start.elapsed_time(end) * 1e3)
    del model, inputs
    torch.cuda.empty_cache()
    return sorted(times)[len(times) // 2]


def measure(specs, device: str) -> dict:
    import statistics

    import torch

    from generators.specs.headroom import estimate

    pairs, failed = [], []
    for spec in specs:
        room = estimate(spec.source, device)
        try:
            measured = _eager_us(spec.source)
        except (RuntimeError, MemoryError) as error:  # an out-of-memory reference is reported, not fatal
            failed.append(f"{spec.spec_id}: {str(error).splitlines()[0][:120]}")
            torch.cuda.empty_cache()
            continue
        pairs.append((spec, room.eager_us, measured))
    ratios = [m / e for _, e, m in pairs]
    worst = sorted(pairs, key=lambda p: p[2] / p[1])
    return {
        "gpu": torch.cuda.get_device_name(), "roofline": device, "measured": len(pairs), "failed": failed[:5],
        "num_failed": len(failed),
        "median_measured_us": round(statistics.median(m for _, _, m in pairs), 1),
        "median_estimated_us": round(statistics.median(e for _, e, _ in pairs), 1),
        "share_measured_50us": round(sum(m >= 50 for _, _, m in pairs) / len(pairs), 3),
        "median_ratio_measured_to_estimated": round(statistics.median(ratios), 3),
        "share_within_2x": round(sum(0.5 <= r <= 2 for r in ratios) / len(ratios), 3),
        "lowest_ratios": [(p[0].ops[:3], round(p[1], 1), round(p[2], 1)) for p in worst[:3]],
        "highest_ratios": [(p[0].ops[:3], round(p[1], 1), round(p[2], 1)) for p in worst[-3:]],
    }


if __name__ == "__main__":
    sys.exit(main())
