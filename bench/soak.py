"""Soak: a small CPU pipeline run for N minutes, its memory sampled over time; is it flat?

    python bench/soak.py [--minutes 3] [--interval-s 5] [--out DIR] [overrides ...]

Starts `kerneldata generate` on the quickstart config with far more specs than N minutes can finish
(refinement on, the reference check off so sampling them is instant), samples the resident memory of the
driver and of its whole process tree (the local Ray instance, the teacher and verifier workers, their
sandboxes; read from /proc, so Linux only) every `--interval-s`, and after N minutes stops the run with SIGINT, as Ctrl-C would (which must
leave a resumable run). Prints one JSON line: the samples, and for the driver and the tree the RSS at the
first sample after warm-up and at the end, and the slope of a least-squares line over the part after
warm-up (the first quarter of the run: Ray, imports and the first batches settle there), in MiB per minute,
and which processes (by name) grew most after warm-up.
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

ROOT = Path(__file__).resolve().parent.parent
MIB = 1 << 20
OVERRIDES = ["specs.num_specs=400", "specs.check_references=false", "teacher.samples_per_spec=2",
             "verify.num_seeds=1", "refine.max_turns=2", "refine.max_candidates_per_spec=6", "refine.specs_per_batch=2"]


def _rss_and_parent(pid: int) -> tuple[int, int]:
    """(RSS bytes, parent pid) of a process, from /proc (Linux); (0, 0) once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0, 0
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    rss_kib = int(fields.get("VmRSS", "0 kB").split()[0])
    return rss_kib * 1024, int(fields["PPid"])


def tree_rss(root: int) -> tuple[int, int, dict[str, int]]:
    """(driver RSS, RSS of the driver and every descendant, RSS by process name in the tree), bytes."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parents[int(entry.name)] = _rss_and_parent(int(entry.name))
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (_, ppid) in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier += children
    by_name: dict[str, int] = {}
    for pid in tree:
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        by_name[name] = by_name.get(name, 0) + parents.get(pid, (0, 0))[0]
    return parents.get(root, (0, 0))[0], sum(parents.get(pid, (0, 0))[0] for pid in tree), by_name


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
    started = time.monotonic()
    samples = []
    while time.monotonic() - started < args.minutes * 60 and proc.poll() is None:
        driver, total, by_name = tree_rss(proc.pid)
        samples.append({"t_s": round(time.monotonic() - started, 1), "driver_mib": round(driver / MIB, 1),
                        "tree_mib": round(total / MIB, 1), "judged": judged(out),
                        "by_name_mib": {name: round(rss / MIB, 1) for name, rss in by_name.items()}})
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
    if settled:  # which processes grew after warm-up (by name: ray::VerifyWorker, raylet, gcs_server...)
        first, last = settled[0]["by_name_mib"], settled[-1]["by_name_mib"]
        growth = {name: round(last.get(name, 0) - first.get(name, 0), 1) for name in {*first, *last}}
        summary["growth_by_name_mib"] = dict(sorted(growth.items(), key=lambda item: -abs(item[1]))[:6])
    summary["samples"] = [{k: v for k, v in sample.items() if k != "by_name_mib"} for sample in samples]
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
