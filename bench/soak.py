"""Soak: a small CPU pipeline run for N minutes, its memory sampled over time; is it flat?

    python bench/soak.py [--minutes 3] [--interval-s 5] [--out DIR] [overrides ...]

Starts `kerneldata generate` on the quickstart config with far more specs than N minutes can finish
(refinement on, the reference check off so sampling them is instant), samples the resident memory of the
driver and of its whole process tree (the local Ray instance, the teacher and verifier workers, their
sandboxes) every `--interval-s`, and after N minutes stops the run with SIGINT, as Ctrl-C would (which must
leave a resumable run). Prints one JSON line: the samples, and for the driver and the tree the RSS at the
first sample after warm-up and at the end, and the slope of a least-squares line over the part after
warm-up (the first quarter of the run: Ray, imports and the first batches settle there), in MiB per minute.
A flat run has a slope near zero; a leak holding every row would grow with the candidates judged.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
MIB = 1 << 20
OVERRIDES = ["specs.num_specs=400", "specs.check_references=false", "teacher.samples_per_spec=2",
             "verify.num_seeds=1", "refine.max_turns=2", "refine.max_candidates_per_spec=6", "refine.specs_per_batch=2"]


def tree_rss(process: psutil.Process) -> tuple[int, int]:
    """(driver RSS, RSS of the driver and every descendant), bytes."""
    try:
        driver = process.memory_info().rss
        children = process.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0, 0
    total = driver
    for child in children:
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return driver, total


def judged(run_dir: Path) -> int:
    """Verdicts logged by the verifier workers so far."""
    return sum(path.read_text().count(" verify ") for path in (run_dir / "logs").glob("verifier-*.log"))


def slope_mib_per_min(points: list[tuple[float, int]]) -> float:
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    cov = sum((t - mean_t) * (v - mean_v) for t, v in points)
    return (cov / var) * 60 / MIB if var else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--interval-s", type=float, default=5.0)
    parser.add_argument("--out", help="run directory (default: a new temporary one, kept)")
    parser.add_argument("overrides", nargs="*", help="more key=value config overrides")
    args = parser.parse_args()
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="kd-soak-")) / "run"
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    proc = subprocess.Popen([sys.executable, "-m", "kerneldata", "generate", "--config", "configs/quickstart.yaml",
                             "--out", str(out), "--no-progress", *OVERRIDES, *args.overrides], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    process = psutil.Process(proc.pid)
    started = time.monotonic()
    samples = []
    while time.monotonic() - started < args.minutes * 60 and proc.poll() is None:
        driver, total = tree_rss(process)
        samples.append({"t_s": round(time.monotonic() - started, 1), "driver_mib": round(driver / MIB, 1),
                        "tree_mib": round(total / MIB, 1), "judged": judged(out)})
        time.sleep(args.interval_s)
    finished_early = proc.poll() is not None
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=300)
    settled = [s for s in samples if s["t_s"] >= args.minutes * 60 / 4]
    summary = {"bench": "soak", "minutes": args.minutes, "cpus": os.cpu_count(), "load_avg": os.getloadavg(),
               "exit_code": proc.returncode, "finished_early": finished_early, "run_dir": str(out),
               "resumable": not (out / "manifest.json").exists() and (out / "_parts").is_dir(),
               "judged": samples[-1]["judged"] if samples else 0,
               "last_stderr_line": (stderr.strip().splitlines() or [""])[-1][:300]}
    for key in ("driver_mib", "tree_mib"):
        points = [(s["t_s"], s[key] * MIB) for s in settled]
        summary[key] = {"after_warmup": settled[0][key] if settled else None,
                        "end": settled[-1][key] if settled else None,
                        "max": max((s[key] for s in settled), default=None),
                        "slope_mib_per_min": round(slope_mib_per_min(points), 2)}
    summary["samples"] = samples
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
