"""Dedup + decontamination throughput (DESIGN section 6: at least 2,000 records/s on 2 CPU cores).

Builds a synthetic run of N raw records (default 50,000) from the built-in teacher's real Triton kernels for
sampled specs (several samples per spec, structure and block sizes vary), then varies each source the way
teacher outputs vary: renamed variables, comments and docstrings added or dropped, an extra statement, a
changed constant, an unrelated helper appended. Statuses and speedups are drawn at random. Benchmarks: the
KernelBench-format and TritonBench-style fixtures under tests/filters/benchmarks plus 250 more
KernelBench-format problems from the spec sampler (another seed), so the index has a realistic size.

Measures, on the same records:
- `curate`: `filters.curate.curate` on the in-memory raw table (dedup + decontamination in one pass, what
  `generate` runs before writing the splits);
- `dedup command`, `decontaminate command`: `python -m kerneldata dedup RUN_DIR` and then `decontaminate
  RUN_DIR --benchmark ...` on a run directory holding the records, each in its own process (read raw,
  annotate, rewrite every split, the card and the manifest in place); they must reach the verdicts
  `curate` reached, row for row.
For each: records/s of wall clock, the CPU seconds spent (the process and its worker processes; two cores of
our own could give at most twice the records per CPU second), the load average before and after (other
work on the machine slows the wall clock, not the CPU seconds), the peak RSS of the main process (for `curate`,
this process, which made or read the records first) and the peak of the RSS summed over it and its workers
(polled from /proc every 0.1 s; shared pages counted in each process).

    python bench/dedup_decontam.py [--records 50000] [--workers 2] [--raw FILE.parquet]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kerneldata.core.config import Config, DecontaminationConfig, DedupConfig, SpecsConfig, TeacherConfig  # noqa: E402
from kerneldata.core.schema import RAW_SCHEMA, table_from_rows  # noqa: E402
from generators.specs import SpecSampler  # noqa: E402
from generators.teachers import make_teacher  # noqa: E402
from generators.teachers.builtin import TEMPLATE_OPS  # noqa: E402
from filters.decontaminate import BenchmarkIndex, load_benchmarks, summary as dc_summary  # noqa: E402
from filters.curate import curate  # noqa: E402
from filters.dedup import summary as dd_summary  # noqa: E402
from shards.writer import RunWriter, read_raw  # noqa: E402

CURATION_COLUMNS = ["dedup_cluster", "dedup_reason", "contamination_reason", "contamination_benchmark",
                    "contamination_item"]

NAMES = ["pid", "offsets", "offs", "mask", "x", "y", "out", "acc", "row", "col_offsets", "n_rows", "n_cols"]
WORDS = "load the block mask tail stride row column reduce accumulate fp32 store grid program".split()


def vary(code: str, rng: random.Random) -> str:
    choice = rng.random()
    if choice < 0.25:  # other names: an exact duplicate after normalisation
        for name in rng.sample(NAMES, 3):
            code = re.sub(rf"\b{name}\b", f"{name}_{rng.randint(0, 9)}", code)
    if rng.random() < 0.5:  # comments: invisible after normalisation
        lines = code.splitlines()
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(lines))
            indent = re.match(r"\s*", lines[at]).group()
            lines.insert(at, f"{indent}# {' '.join(rng.sample(WORDS, 5))}")
        code = "\n".join(lines) + "\n"
    if 0.25 <= choice < 0.5:  # a changed constant: a near duplicate
        code = re.sub(r"\b(256|128|1024|512)\b", lambda m: str(int(m.group()) * 2), code, count=1)
    if 0.5 <= choice < 0.9:  # an unrelated helper: a different kernel source
        ops = " + ".join(f"v * {rng.randint(1, 99)}" for _ in range(rng.randint(2, 6)))
        code += (f"\n\ndef helper_{rng.randint(0, 10**6)}(v, scale={rng.random():.4f}):\n"
                 f"    # {' '.join(rng.sample(WORDS, 4))}\n    return ({ops}) * scale\n")
    return code


def synthetic_rows(num_records: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    # Only the ops the built-in teacher writes kernels for (it declines the rest with a row holding no code),
    # and at most 4,000 specs: more records means more samples per spec, as in a real run.
    num_specs = min(4_000, num_records)
    samples = max(4, -(-num_records // num_specs))
    teacher_ops = sorted({op for ops in TEMPLATE_OPS.values() for op in ops})
    specs = SpecSampler(SpecsConfig(num_specs=num_specs, max_numel=1 << 22, ops=teacher_ops), seed).sample(num_specs)
    teacher = make_teacher(TeacherConfig(samples_per_spec=samples), seed)
    rows = []
    for spec in specs:
        for row in teacher.generate(spec.to_row()):
            if len(rows) == num_records:
                return rows
            code = vary(row["code"], rng) if row["code"] else None
            status = rng.choices(["accepted", "rejected", "unverified"], [0.6, 0.3, 0.1])[0]
            row.update(
                candidate_id=f"{row['candidate_id']}-{len(rows)}", code=code,
                completion=f"Here is the kernel.\n```python\n{code}\n```" if code else row["completion"],
                status=status, stage="correctness" if status != "unverified" else "static",
                reason_code={"accepted": "ok", "rejected": "mismatch", "unverified": "interpreter_limit"}[status],
                reason="synthetic.", max_abs_err=None, max_rel_err=None,
                speedup_vs_eager=rng.lognormvariate(0.3, 0.5) if status == "accepted" else None,
                speedup_vs_compile=None, runtime_ms=None, device="cuda", hardware="synthetic",
                verify_seconds=0.0, kerneldata_version="bench")
            rows.append(row)
    if len(rows) < num_records:
        raise SystemExit(f"the sampler and teacher made only {len(rows)} of {num_records} records")
    return rows


def benchmark_sources(tmp: Path) -> list[str]:
    extra = tmp / "kernelbench_like" / "level1"
    extra.mkdir(parents=True)
    for index, spec in enumerate(SpecSampler(SpecsConfig(num_specs=250, max_numel=1 << 24), 12345).sample(250)):
        (extra / f"{index}_{spec.family}.py").write_text(spec.source)
    fixtures = ROOT / "tests" / "filters" / "benchmarks"
    return [str(fixtures / "kernelbench_mini"), str(fixtures / "tritonbench_mini"), str(tmp / "kernelbench_like")]


def cpu_seconds() -> float:
    """User and system CPU time of this process and its finished worker processes."""
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> list[float]:
    return [round(load, 2) for load in os.getloadavg()]


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(child) for child in handle.read().split()]
    except OSError:
        return []


def _status_kib(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            return next((int(line.split()[1]) for line in handle if line.startswith(key)), 0)
    except OSError:
        return 0


class TreeRss:
    """Polls a process and all its descendants every 0.1 s: `peak_mib`, the highest RSS summed over them
    (shared pages counted in each), and `own_peak_mib`, the process's own high-water mark (VmHWM, which
    unlike `ru_maxrss` does not count the pages of the process it was forked from)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_kib, self.own_peak_kib = pid, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        while not self._stop.is_set():
            total, todo = 0, [self.pid]
            while todo:
                pid = todo.pop()
                total += _status_kib(pid, "VmRSS:")
                todo.extend(_children(pid))
            self.peak_kib = max(self.peak_kib, total)
            self.own_peak_kib = max(self.own_peak_kib, _status_kib(self.pid, "VmHWM:"))
            self._stop.wait(0.1)

    @property
    def peak_mib(self) -> int:
        return round(self.peak_kib / 1024)

    @property
    def own_peak_mib(self) -> int:
        return round(self.own_peak_kib / 1024)


def measured(name: str, records: int, wall_s: float, cpu_s: float, load_before: list[float],
             main_peak_mib: float, tree_peak_mib: int) -> dict:
    return {"what": name, "records": records, "wall_s": round(wall_s, 2), "records_per_s": round(records / wall_s),
            "cpu_s": round(cpu_s, 1), "records_per_cpu_s": round(records / cpu_s),
            "load_average_before": load_before, "load_average_after": load_average(),
            "peak_rss_mib": round(main_peak_mib), "peak_rss_with_workers_mib": tree_peak_mib}


def run_command(name: str, records: int, argv: list[str]) -> dict:
    """Run `python -m kerneldata ARGV` from the repository root; its own CPU and peak RSS from wait4."""
    load_before = load_average()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "kerneldata", *argv], cwd=ROOT, stdout=subprocess.PIPE)
    with TreeRss(process.pid) as tree:
        _, status, usage = os.wait4(process.pid, 0)
    wall_s = time.perf_counter() - started
    output = process.stdout.read().decode()
    process.stdout.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"kerneldata {argv[0]} exited with {process.returncode}")
    # wait4's usage covers the command and the worker processes it waited for.
    result = measured(name, records, wall_s, usage.ru_utime + usage.ru_stime, load_before, tree.own_peak_mib,
                      tree.peak_mib)
    result["printed"] = json.loads(output)
    return result


def by_candidate(table):
    """The curation columns, rows in candidate_id order (a run directory sorts its rows by spec)."""
    return table.select(["candidate_id", *CURATION_COLUMNS]).sort_by("candidate_id")


def load_raw(path: str | None, num_records: int):
    """The synthetic raw table: read from `path` when it exists, else made (and written there if given)."""
    import pyarrow.parquet as pq

    if path and Path(path).is_file():
        raw = pq.read_table(path)
        if raw.num_rows != num_records:
            raise SystemExit(f"{path} holds {raw.num_rows} records, not {num_records}; remove it or pass --records")
        return raw.cast(RAW_SCHEMA)
    raw = table_from_rows(synthetic_rows(num_records), RAW_SCHEMA)
    if path:
        pq.write_table(raw, path, compression="zstd")
    return raw


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--raw", metavar="FILE.parquet",
                        help="keep the synthetic records in this file and reuse them (it takes minutes to make)")
    parser.add_argument("--skip-run-dir", action="store_true", help="measure curate only, not the commands")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    # In the order a run directory holds them (and `generate` curates them): dedup compares rows in table
    # order, and which rows a crowded LSH bucket remembers depends on it (a handful of rows in 50,000).
    raw = load_raw(args.raw, args.records).sort_by([("spec_id", "ascending"), ("candidate_id", "ascending")])
    print(f"{raw.num_rows} records ({raw.nbytes / 2**20:.0f} MiB in memory) in "
          f"{time.perf_counter() - started:.1f} s; peak RSS {peak_rss_mib():.0f} MiB", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sources = benchmark_sources(tmp)
        dedup_config = DedupConfig(workers=args.workers)
        dc_config = DecontaminationConfig(benchmarks=sources, workers=args.workers)
        t0 = time.perf_counter()
        index = BenchmarkIndex(load_benchmarks(sources), dc_config)
        index_s = time.perf_counter() - t0
        load_before, cpu_before = load_average(), cpu_seconds()
        with TreeRss(os.getpid()) as tree:
            t1 = time.perf_counter()
            cleaned = curate(raw, dedup_config, index)
            wall_s = time.perf_counter() - t1
        # This process's peak includes making or reading the synthetic records.
        result = measured("curate", raw.num_rows, wall_s, cpu_seconds() - cpu_before, load_before,
                          tree.own_peak_mib, tree.peak_mib)
        result.update(workers=args.workers, benchmark_items=len(index.items), index_s=round(index_s, 2),
                      dedup=dd_summary(cleaned),
                      decontamination={k: v for k, v in dc_summary(cleaned).items() if k != "by_benchmark"})
        print(json.dumps(result), flush=True)
        if args.skip_run_dir:
            return 0

        config = Config().model_copy(update={"dedup": dedup_config, "decontamination": dc_config})
        run_dir = tmp / "run"
        writer = RunWriter.create(run_dir, resume=False)
        writer.write_part(raw)
        writer.finalize(config.to_yaml())
        expected = by_candidate(cleaned)
        num_records = raw.num_rows
        del raw, cleaned, index
        workers = ["--workers", str(args.workers), "--json"]
        for name, argv in (("dedup command", ["dedup", str(run_dir), *workers]),
                           ("decontaminate command", ["decontaminate", str(run_dir), "--benchmark", *sources,
                                                      *workers])):
            print(json.dumps(run_command(name, num_records, argv)), flush=True)
        same = by_candidate(read_raw(run_dir)).equals(expected)
        print(json.dumps({"commands_reach_the_curate_verdicts": same}), flush=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
