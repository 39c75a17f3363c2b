"""Where the spread of a GPU timing comes from (issue 19: median |speedup difference| at most 2% between runs).

    python bench/timing_spread.py --in CANDIDATES.jsonl [--ids ID,ID] [--processes 3] [--rounds 3]
        [--warmup-ms 10] [--no-flush] [--budget-ms 300] [--placements 1]

Each candidate (a verify-batch input row: reference_code, code) is timed, with its eager reference beside it,
by the verifier's own `filters.verifier.timing.time_placed` (interleaved calls, a flush buffer, medians; over
`--placements` placements of the inputs, the mean of their medians, as the verifier with
verify.timing_placements), in
`--processes` fresh Python processes, without the sandbox and with nothing else on the GPU. Within each
process it is timed `--rounds` times, each round on a fresh copy of its inputs placed after a spacer
allocation of a random size, so that the inputs land at other device addresses. Prints one JSON line per
candidate: the candidate's and eager's median per process and round, and two spreads (max / min - 1) of
the candidate's time: across rounds within a process (placement in memory) and across processes (whatever
else a process changes). The eighth GPU session (BENCHMARKS.md) found the built-in kernels' times 10-30%
apart across processes while eager's stayed within 2%; this separates the candidates for why.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _one_process(row: dict, args) -> dict:
    """Runs in the child: the candidate and eager, timed over `args.rounds` placements of the inputs."""
    import importlib.util
    import random
    import tempfile

    import torch

    sys.path.insert(0, str(ROOT))
    from filters.verifier.timing import time_placed

    def load(source: str, name: str):
        # Triton reads a kernel's source from its file: the candidate must be imported from one
        path = Path(tempfile.mkdtemp()) / f"{name}.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    reference, candidate = load(row["reference_code"], "reference"), load(row["code"], "candidate")
    torch.manual_seed(0)
    drawn = reference.get_inputs()
    model = reference.Model(*reference.get_init_inputs()).cuda()
    new = candidate.ModelNew(*reference.get_init_inputs()).cuda()
    flush = torch.empty(256 << 20, dtype=torch.int8, device="cuda") if args.flush else torch.empty(0, device="cuda")
    placer = random.Random(args.process)
    rounds = []
    for _ in range(args.rounds):
        spacer = torch.empty(placer.randrange(1, 64) << 20, dtype=torch.int8, device="cuda")
        inputs = [x.cuda() if isinstance(x, torch.Tensor) else x for x in drawn]
        with torch.no_grad():
            timed = time_placed(lambda xs: {"candidate": lambda: new(*xs), "eager": lambda: model(*xs)}, inputs,
                                placements=args.placements, flush=flush, budget_ms=args.budget_ms, max_iters=200,
                                warmup_ms=args.warmup_ms)
        rounds.append({name: round(t["event"]["median_ms"], 4) for name, t in timed.items()})
        del inputs, spacer
        torch.cuda.empty_cache()
    return {"rounds": rounds, "clock_mhz": _sm_clock()}


def _sm_clock() -> int | None:
    try:
        import pynvml

        pynvml.nvmlInit()
        return pynvml.nvmlDeviceGetClockInfo(pynvml.nvmlDeviceGetHandleByIndex(0), pynvml.NVML_CLOCK_SM)
    except Exception:  # noqa: BLE001 - a reading, not a requirement
        return None


def _spread(values: list[float]) -> float:
    return round(max(values) / min(values) - 1, 4) if values and min(values) > 0 else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in", dest="in_path", required=True)
    parser.add_argument("--ids", default="", help="comma-separated candidate ids (default: every row)")
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup-ms", type=float, default=10.0)
    parser.add_argument("--budget-ms", type=float, default=300.0)
    parser.add_argument("--placements", type=int, default=1,
                        help="placements per round, as the verifier's verify.timing_placements (inputs of 16 MiB or more)")
    parser.add_argument("--no-flush", dest="flush", action="store_false")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # "ID:PROCESS": time one candidate in this process
    args = parser.parse_args()
    rows = {row["id"]: row for row in map(json.loads, Path(args.in_path).read_text().splitlines())}
    if args.child:
        ident, args.process = args.child.split(":")[0], int(args.child.split(":")[1])
        print(json.dumps(_one_process(rows[ident], args)))
        return 0
    wanted = [i for i in args.ids.split(",") if i] or list(rows)
    for ident in wanted:
        runs = []
        for process in range(args.processes):
            done = subprocess.run([sys.executable, __file__, *sys.argv[1:], "--child", f"{ident}:{process}"],
                                  capture_output=True, text=True, cwd=ROOT)
            lines = done.stdout.strip().splitlines()
            runs.append(json.loads(lines[-1]) if done.returncode == 0 and lines else
                        {"error": done.stderr.strip()[-300:]})
        ok = [run for run in runs if "rounds" in run]
        within = [_spread([r["candidate"] for r in run["rounds"]]) for run in ok]
        across = _spread([min(r["candidate"] for r in run["rounds"]) for run in ok])
        eager = _spread([min(r["eager"] for r in run["rounds"]) for run in ok])
        # What two verifications in two processes would give (bench/compare_runs.py's |speedup difference|):
        # each process's first round, compared pairwise
        speedups = [run["rounds"][0]["eager"] / run["rounds"][0]["candidate"] for run in ok]
        pairs = [abs(a / b - 1) for i, a in enumerate(speedups) for b in speedups[i + 1:]]
        print(json.dumps({"id": ident, "runs": runs, "candidate_spread_within_process": within,
                          "candidate_spread_across_processes": across, "eager_spread_across_processes": eager,
                          "speedups": [round(x, 3) for x in speedups],
                          "speedup_rel_diff_median": round(statistics.median(pairs), 4) if pairs else None}),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
