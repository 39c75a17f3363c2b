"""Task-level decontamination against a benchmark checkout (issue 16): how many of its problems have a
same-task twin in a draw of specs, and how many specs `task_match` would name.

    python bench/task_twins.py --benchmark ~/KernelBench/KernelBench [--config configs/gpu.yaml] [--n 2000]

Draws `--n` specs with the config's `specs` section (the defaults without `--config`), seed 0 unless
`--seed`; prints one JSON line: per benchmark folder (level1, level2...) the problems, those with a task
signature and those with a twin in the draw; the specs matched at the task level and at the exact-shape
spec level; the problems without a twin, by name.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from filters.decontaminate import BenchmarkIndex, load_benchmarks, task_signature  # noqa: E402
from generators.specs import SpecSampler  # noqa: E402
from kerneldata.core.config import SpecsConfig, load_config  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", required=True, help="a KernelBench-format directory (KernelBench/KernelBench)")
    parser.add_argument("--config", default=None)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    config = load_config(args.config).specs if args.config else SpecsConfig()
    items = load_benchmarks([args.benchmark])
    index = BenchmarkIndex(items)
    specs = SpecSampler(config, args.seed).sample(args.n)
    started = time.process_time()
    tasks = {task_signature(spec.source) for spec in specs} - {None}
    task_specs = sum(index.match_task(spec.source) is not None for spec in specs)
    task_cpu_s = time.process_time() - started
    spec_specs = sum(index.match_spec(spec.source) is not None for spec in specs)
    folder = lambda item: item.item.split("/")[0]  # noqa: E731
    signed = [item for item in items if task_signature(item.text) is not None]
    twins = [item for item in signed if task_signature(item.text) in tasks]
    print(json.dumps({
        "benchmark": Path(args.benchmark).name, "config": args.config or "defaults", "specs": len(specs),
        "problems": dict(Counter(map(folder, items))), "with_task_signature": dict(Counter(map(folder, signed))),
        "with_twin": dict(Counter(map(folder, twins))), "specs_task_matched": task_specs,
        "specs_spec_matched": spec_specs, "task_match_cpu_s": round(task_cpu_s, 2),
        "without_twin": sorted(item.item for item in items if item not in twins),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
