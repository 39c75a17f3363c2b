"""Does synchronising with one GPU slow down while other processes synchronise with other GPUs?

    python bench/gpu_sync_contention.py [--gpus 4] [--iters 3000]

The verifier's timing makes many short launch + synchronise round trips (a host-clock check on every timed
call). This measures the same round trip with nothing of ours in it: N processes, one per GPU, each
timing `--iters` rounds of (a tiny kernel, torch.cuda.synchronize()), first one process alone on GPU 0,
then N at once on GPUs 0..N-1. On bare metal the processes do not share anything on this path, so the
per-round latency should not change; a virtualised driver path that serialises GPU calls machine-wide
shows as latency growing with N. One JSON line per setting: median and p90 microseconds per round.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import time


def _rounds(device: int, iters: int, start, results) -> None:
    import torch

    torch.cuda.set_device(device)
    x = torch.ones(1024, device="cuda")
    for _ in range(200):  # warm-up: context, allocator, kernel loaded
        x.add_(1)
        torch.cuda.synchronize()
    start.wait()
    laps = []
    for _ in range(iters):
        t0 = time.perf_counter()
        x.add_(1)
        torch.cuda.synchronize()
        laps.append(time.perf_counter() - t0)
    laps.sort()
    results.put((device, statistics.median(laps) * 1e6, laps[int(0.9 * len(laps))] * 1e6))


def measure(gpus: int, iters: int) -> dict:
    ctx = mp.get_context("spawn")
    start, results = ctx.Barrier(gpus), ctx.Queue()
    procs = [ctx.Process(target=_rounds, args=(d, iters, start, results)) for d in range(gpus)]
    for p in procs:
        p.start()
    rows = sorted(results.get() for _ in procs)
    for p in procs:
        p.join()
    return {"bench": "gpu_sync_contention", "processes": gpus, "iters": iters,
            "median_us": [round(r[1], 1) for r in rows], "p90_us": [round(r[2], 1) for r in rows]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gpus", type=int, default=4)
    parser.add_argument("--iters", type=int, default=3000)
    args = parser.parse_args()
    for n in sorted({1, args.gpus}):
        print(json.dumps(measure(n, args.iters)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
