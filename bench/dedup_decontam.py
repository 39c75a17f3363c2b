"""Dedup + decontamination throughput (DESIGN section 6: at least 2,000 records/s on 2 CPU cores).

Builds a synthetic run of N raw records (default 50,000) from the built-in teacher's real Triton kernels for
sampled specs (several samples per spec, structure and block sizes vary), then varies each source the way
teacher outputs vary: renamed variables, comments and docstrings added or dropped, an extra statement, a
changed constant, an unrelated helper appended. Statuses and speedups are drawn at random. Benchmarks: the
KernelBench-format and TritonBench-style fixtures under tests/filters/benchmarks plus 250 more
KernelBench-format problems from the spec sampler (another seed), so the index has a realistic size.

Measures `filters.curate.curate` (dedup + decontamination in one pass, what `generate` runs before
splitting) on the in-memory raw table, and separately the whole `kerneldata dedup` + `decontaminate`
path on a run directory (read raw, annotate, rewrite every split in place). Prints records/s, the CPU
seconds spent (this process and its worker processes; two cores of our own could give at most twice the
records per CPU second), the load average before and after (other work on the machine slows the wall
clock), and the peak RSS of this process and of its worker processes.

    python bench/dedup_decontam.py [--records 50000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kerneldata.core.config import Config, DecontaminationConfig, DedupConfig, SpecsConfig, TeacherConfig  # noqa: E402
from kerneldata.core.schema import RAW_SCHEMA, table_from_rows  # noqa: E402
from generators.specs import SpecSampler  # noqa: E402
from generators.teachers import make_teacher  # noqa: E402
from generators.teachers.builtin import TEMPLATE_OPS  # noqa: E402
from filters.decontaminate import BenchmarkIndex, decontaminate, load_benchmarks, summary as dc_summary  # noqa: E402
from filters.curate import curate  # noqa: E402
from filters.dedup import dedup, summary as dd_summary  # noqa: E402
from shards.writer import RunWriter, read_raw, rewrite  # noqa: E402

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


def load_average() -> list[float]:
    return [round(load, 2) for load in os.getloadavg()]


def peak_rss_mb() -> tuple[float, float]:
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-run-dir", action="store_true", help="measure the in-memory steps only")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    raw = table_from_rows(synthetic_rows(args.records), RAW_SCHEMA)
    print(f"synthesised {raw.num_rows} records ({raw.nbytes / 2**20:.0f} MiB in memory) in "
          f"{time.perf_counter() - started:.1f} s; peak RSS {peak_rss_mb()[0]:.0f} MiB", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sources = benchmark_sources(tmp)
        dedup_config = DedupConfig(workers=args.workers)
        dc_config = DecontaminationConfig(benchmarks=sources, workers=args.workers)
        t0 = time.perf_counter()
        index = BenchmarkIndex(load_benchmarks(sources), dc_config)
        t1 = time.perf_counter()
        load_before, cpu_before = load_average(), cpu_seconds()
        cleaned = curate(raw, dedup_config, index)
        t3 = time.perf_counter()
        cpu_s = cpu_seconds() - cpu_before
        in_memory = {
            "records": raw.num_rows, "workers": args.workers, "benchmark_items": len(index.items),
            "index_s": round(t1 - t0, 2), "dedup_and_decontaminate_s": round(t3 - t1, 2),
            "records_per_s": round(raw.num_rows / (t3 - t1)), "cpu_s": round(cpu_s, 1),
            "records_per_cpu_s": round(raw.num_rows / cpu_s),
            "load_average_before": load_before, "load_average_after": load_average(),
            "dedup": dd_summary(cleaned), "decontamination": {k: v for k, v in dc_summary(cleaned).items()
                                                              if k != "by_benchmark"},
        }
        self_mb, children_mb = peak_rss_mb()
        in_memory.update(peak_rss_mb=round(self_mb), worker_peak_rss_mb=round(children_mb))
        print(json.dumps(in_memory), flush=True)
        if args.skip_run_dir:
            return 0

        config = Config().model_copy(update={"dedup": dedup_config, "decontamination": dc_config})
        run_dir = tmp / "run"
        writer = RunWriter.create(run_dir, resume=False)
        writer.write_part(raw)
        writer.finalize(config.to_yaml())
        del raw, cleaned
        t4 = time.perf_counter()
        load_before, cpu_before = load_average(), cpu_seconds()
        table = dedup(read_raw(run_dir), dedup_config)
        rewrite(run_dir, table)
        table = decontaminate(read_raw(run_dir), index)
        rewrite(run_dir, table)
        t5 = time.perf_counter()
        self_mb, children_mb = peak_rss_mb()
        print(json.dumps({"run_dir_path_s": round(t5 - t4, 2),
                          "run_dir_records_per_s": round(table.num_rows / (t5 - t4)),
                          "cpu_s": round(cpu_seconds() - cpu_before, 1), "load_average_before": load_before,
                          "load_average_after": load_average(), "peak_rss_mb": round(self_mb),
                          "worker_peak_rss_mb": round(children_mb)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
