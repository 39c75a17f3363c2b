"""Which host resource do verifier processes share? Per-process rates with N processes at once.

    python3 bench/host_contention.py [--procs 1,4,16,48] [--seconds 4] [--gpus 1,4] [--per-gpu 12]

Four verify-batch processes that share nothing in our code (one per GPU) each ran at 0.37 of one alone on
the 4-GPU machine (BENCHMARKS.md, issue 7). This separates the host's resources, each probe run by N
processes started together for `--seconds`, reporting each process's rate (median over processes):

- `cpu`: a pure-Python loop (no system calls): do N processes get N cores?
- `syscall`: `os.stat` in a loop: system calls, which a sandboxing kernel (gVisor) serves in user space.
- `fork`: fork a child that exits at once, and wait for it: what starting a sandboxed worker begins with.
- `gpu`: a small kernel and `torch.cuda.synchronize()` in a loop (the verifier's timed call, stripped),
  `--per-gpu` processes on each of G GPUs. If G GPUs x K processes are slower per round trip than one GPU x K,
  GPU calls are serialised machine-wide, not per device.
- `timed`: the verifier's own timed call (`filters.verifier.timing.time_calls`: flush buffer sized from the device,
  events, host clock, synchronise) around a one-line Triton kernel, `--per-gpu` processes on each of G GPUs.

One JSON line per (probe, N): rates and the ratio of the median to the one-process rate.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import time


def _cpu(seconds: float) -> float:
    count, end = 0, time.perf_counter() + seconds
    while True:
        for _ in range(10_000):
            count += 1
        if time.perf_counter() > end:
            return count / seconds


def _syscall(seconds: float) -> float:
    count, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        for _ in range(100):
            os.stat("/")
        count += 100
    return count / seconds


def _fork(seconds: float) -> float:
    count, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        count += 1
    return count / seconds


def _gpu(seconds: float, device: int) -> float:
    import torch

    x = torch.ones(1024, device="cuda")
    for _ in range(200):  # context, allocator and kernel loaded before the clock starts
        x.add_(1)
        torch.cuda.synchronize()
    return _timed_rounds(seconds, lambda: (x.add_(1), torch.cuda.synchronize()))


def _timed(seconds: float, device: int) -> float:
    import torch
    import triton
    import triton.language as tl

    from filters.verifier.timing import time_calls
    from kerneldata.core.hardware import device_flush_bytes

    @triton.jit
    def add_one(x_ptr, n, BLOCK: tl.constexpr):
        offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(x_ptr + offsets, tl.load(x_ptr + offsets, mask=offsets < n) + 1, mask=offsets < n)

    x = torch.ones(1 << 16, device="cuda")
    flush = torch.empty(device_flush_bytes(device) // 4, dtype=torch.float32, device="cuda")
    fn = lambda: add_one[(16,)](x, x.numel(), BLOCK=4096)  # noqa: E731
    time_calls({"fn": fn}, flush=flush, max_iters=10)  # compiled and warm before the clock starts
    return _timed_rounds(seconds, lambda: time_calls({"fn": fn}, flush=flush, budget_ms=30.0, max_iters=100,
                                                     warmup_ms=0.0))


def _timed_rounds(seconds: float, step) -> float:
    count, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        step()
        count += 1
    return count / seconds


_PROBES = {"cpu": _cpu, "syscall": _syscall, "fork": _fork}
_GPU_PROBES = {"gpu": _gpu, "timed": _timed}


def _worker(probe: str, seconds: float, device: int, barrier, results) -> None:
    if probe in ("gpu", "timed"):
        import torch  # imported, the device set and its context made before the barrier: only the loop is measured

        torch.cuda.set_device(device)
        torch.ones(1, device="cuda")
    barrier.wait()
    rate = _GPU_PROBES[probe](seconds, device) if probe in _GPU_PROBES else _PROBES[probe](seconds)
    results.put(rate)


def measure(probe: str, procs: int, seconds: float, gpus: int = 1) -> list[float]:
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(procs), ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(probe, seconds, i % gpus, barrier, results)) for i in range(procs)]
    for worker in workers:
        worker.start()
    rates = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    return rates


def _report(probe: str, label: dict, rates: list[float], alone: float) -> float:
    median = statistics.median(rates)
    print(json.dumps({"probe": probe, **label, "median_per_s": round(median, 1), "min_per_s": round(min(rates), 1),
                      "total_per_s": round(sum(rates), 1), "median_over_alone": round(median / alone, 3)}), flush=True)
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procs", default="1,4,16,48")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--probes", default="cpu,syscall,fork,gpu")
    parser.add_argument("--gpus", default="1,4", help="GPU counts for the gpu probe")
    parser.add_argument("--per-gpu", type=int, default=12)
    args = parser.parse_args()
    print(json.dumps({"cpus": os.cpu_count(), "affinity": len(os.sched_getaffinity(0))}), flush=True)
    for probe in args.probes.split(","):
        if probe in _GPU_PROBES:
            alone = statistics.median(measure(probe, 1, args.seconds))
            _report(probe, {"gpus": 1, "per_gpu": 1}, [alone], alone)
            for gpus in map(int, args.gpus.split(",")):
                rates = measure(probe, gpus * args.per_gpu, args.seconds, gpus)
                _report(probe, {"gpus": gpus, "per_gpu": args.per_gpu}, rates, alone)
            continue
        alone = None
        for procs in map(int, args.procs.split(",")):
            rates = measure(probe, procs, args.seconds)
            alone = alone or statistics.median(rates)
            _report(probe, {"procs": procs}, rates, alone)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
