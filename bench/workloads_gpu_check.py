"""Run the heaviest captured workloads at their real shapes on a GPU: each rendered problem must run, and its
measured eager time is set beside the roofline estimate the sampling weights come from.

    python bench/workloads_gpu_check.py WORKLOADS.jsonl [--top N] [--device cuda|cpu]

Prints one line per record (label, estimated and measured microseconds, their ratio, the models it comes
from) and the median ratio. The estimate is for a GPU (H200 by default): `--device cpu` runs the CPU-scaled
problems only to check the plumbing. Nothing is written.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from generators.specs.workloads.render import render_record, renderable  # noqa: E402
from generators.specs.workloads.sampling import read_records  # noqa: E402

MAX_BYTES = 24 << 30  # skip records whose tensors would not fit beside each other


def measure_us(model, inputs, device: str, repeats: int = 20) -> float:
    for _ in range(3):
        model(*inputs)
    if device == "cpu":
        import time

        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            model(*inputs)
            times.append((time.perf_counter() - started) * 1e6)
        return statistics.median(times)
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        model(*inputs)
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    args = parser.parse_args(argv)
    scale = "real" if args.device == "cuda" else "cpu"
    records = [r for r in read_records(args.path) if renderable(r)[0] and r.bytes <= MAX_BYTES
               and (scale == "real" or r.cpu_calls is not None)]
    records.sort(key=lambda r: -r.weight)
    torch.set_default_device(args.device)
    ratios = []
    for record in records[:args.top]:
        spec = render_record(record, scale=scale)
        module = types.ModuleType("problem")
        exec(compile(spec.source, "problem", "exec"), module.__dict__)  # noqa: S102 - our own rendering
        model = module.Model(*module.get_init_inputs())
        inputs = module.get_inputs()
        measured = measure_us(model, inputs, args.device)
        ratios.append(measured / record.time_us)
        models = sorted({s["model"] for s in record.sources})
        print(f"{record.label[:40]:<40} est {record.time_us:10.1f} us  measured {measured:10.1f} us  "
              f"x{measured / record.time_us:5.2f}  {','.join(models)[:60]}", flush=True)
        del model, inputs
        if args.device == "cuda":
            torch.cuda.empty_cache()
    where = torch.cuda.get_device_name() if args.device == "cuda" else "cpu (CPU-scaled problems)"
    print(f"{len(ratios)} records ran at {scale} shapes on {where}; median measured/estimated "
          f"{statistics.median(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
