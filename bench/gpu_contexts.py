"""How GPU processes contend: CUDA context creation and small-kernel round trips with N processes at once.

    python3 bench/gpu_contexts.py --procs 1,4,12

Each of N processes (spawned together) creates its CUDA context, then runs `--rounds` round trips of what a
correctness check does: upload a small tensor, run a few elementwise kernels, synchronize, copy back. Without
MPS, processes on one GPU time-slice: the question is how much a round trip costs when many verifier
children share the device, which decides how many sandboxed children per GPU pay off.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time


def _child(rounds: int, numel: int, barrier, out) -> None:
    import torch

    barrier.wait()
    started = time.perf_counter()
    torch.empty(1, device="cuda")
    init_s = time.perf_counter() - started
    x = torch.randn(numel)
    started = time.perf_counter()
    for _ in range(rounds):
        y = x.to("cuda")
        for _ in range(4):
            y = torch.relu(y) + 1
        torch.cuda.synchronize()
        y.to("cpu")
    out.put({"init_s": init_s, "round_trip_ms": (time.perf_counter() - started) / rounds * 1e3})


def measure(procs: int, rounds: int, numel: int) -> dict:
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(procs), ctx.Queue()
    workers = [ctx.Process(target=_child, args=(rounds, numel, barrier, out)) for _ in range(procs)]
    for w in workers:
        w.start()
    results = [out.get() for _ in workers]
    for w in workers:
        w.join()
    inits = sorted(r["init_s"] for r in results)
    trips = sorted(r["round_trip_ms"] for r in results)
    return {"procs": procs, "context_init_s_median": inits[len(inits) // 2], "context_init_s_max": inits[-1],
            "round_trip_ms_median": trips[len(trips) // 2], "round_trip_ms_max": trips[-1]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procs", default="1,4,12")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--numel", type=int, default=1 << 20)
    args = parser.parse_args()
    for procs in (int(p) for p in args.procs.split(",")):
        print(json.dumps(measure(procs, args.rounds, args.numel)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
