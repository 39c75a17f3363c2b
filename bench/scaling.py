"""Benchmark: verified candidates per second through the pipeline users run, on 1, 2 and 4 GPUs.

    python bench/scaling.py [--gpus 1,2,4] [--specs-per-gpu 30] [--samples 4] [--workers-per-gpu 12] [--json FILE]
    python bench/scaling.py --device cpu --gpus 0 --specs-per-gpu 2 --samples 2    # smoke test on a CPU

Each setting is one `python generate.py --config RUN.yaml --out DIR --quiet` (kerneldata.pipeline.run: a
fresh local Ray instance, the built-in teacher, the verifier actor pool, dedup, shards, manifest) in its
own process group, with CUDA_VISIBLE_DEVICES set to the first N GPUs, so Ray sees N GPUs and the verifier
gets one actor per GPU, each judging `--workers-per-gpu` candidates at once. The config is built here and
saved beside the run (`run_config.yaml`): the ops the built-in teacher has templates for (so every spec is
answered and verified), GPU-sized tensors (up to 1M elements; the CPU smoke test keeps the quickstart's
64k), fp32 and fp16, the torch.compile baseline on, as a user's GPU run has it.

Refinement is off: with it on, each spec batch's loop waits at every round boundary for its slowest
candidate and for the teacher, which measures the loop's structure rather than the verifier; off, the
teacher's answers stream into the verifier pool and the pool alone sets the pace. Weak scaling: N GPUs get
N x `--specs-per-gpu` specs, so every setting runs about as long and pays the same start-up (Ray, the
verifier actors' zygotes and CUDA contexts, cold Triton and Inductor caches) per GPU.

One JSON line per setting on stdout, then a summary line: `rate_per_s` is candidates judged by the verifier
(rows with code) over the manifest's `generate_and_verify_s` (teacher and verification, actors' start-up
included; sampling and checking specs, dedup and writing shards excluded, and reported under `timings`);
`efficiency` is rate_N / (N x rate_1) (goal: at least 0.85); `verifier_busy_s` (the manifest's
throughput) sums the candidates' verification wall times, so `busy_s / generate_and_verify_s` is how many candidates were in flight on average
(at most N x workers-per-gpu); `gpu_util_percent` is nvidia-smi's mean utilisation of each GPU during the
run (every GPU of the machine, so idle ones show as such). `--json FILE` writes the settings and summary
as one JSON document, rewritten after each setting.

On the GPU machine (no Ray there: bench/ray_bundle.py carries it), from the repository root, after
`python bench/ray_bundle.py build` here; device `run` with kind nvidia-h200-x4 (or -x2 with --gpus 1,2),
carry [".whl", ".raybundle"], timeout_s 600. Ray's memory monitor is off there because that machine's
memory grows as it is used (MemTotal starts at 31 GiB), so the monitor would count a run that fits as one
about to run out and kill verifier actors. `--limit 170` keeps three settings inside one 600 s call:

    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
      .whl/*.whl .raybundle/*.whl && python3 bench/ray_bundle.py unpack --to /tmp/site && \
      export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1 RAY_memory_monitor_refresh_ms=0 || exit; nvidia-smi -L; \
      python3 bench/ray_bundle.py smoke && \
      python3 bench/scaling.py --gpus 1,2,4 --limit 170 --json $OUT/scaling.json 2>&1 | tee $OUT/scaling.log
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generators.teachers.builtin import TEMPLATE_OPS  # noqa: E402
from kerneldata.core.config import load_config  # noqa: E402

EFFICIENCY_GOAL = 0.85


def run_config(*, gpus: int, device: str, specs_per_gpu: int, samples: int, workers_per_gpu: int,
               max_numel: int, seed: int, timeout_s: float) -> str:
    """The resolved YAML of one setting's run (validated here, before any run starts)."""
    ops = [op for family_ops in TEMPLATE_OPS.values() for op in family_ops]
    overrides = [
        f"run.name=scaling-{gpus}gpu", f"run.seed={seed}",
        f"specs.num_specs={max(1, gpus) * specs_per_gpu}", f"specs.ops={json.dumps(ops)}",
        f"specs.max_numel={max_numel}", f"specs.max_bytes={16 * max_numel}",
        "teacher.kind=builtin", f"teacher.samples_per_spec={samples}", "refine.max_turns=0",
        f"verify.device={device}", f"verify.workers_per_gpu={workers_per_gpu}", f"verify.timeout_s={timeout_s}",
    ]
    return load_config(None, overrides).to_yaml()


class GpuSampler:
    """nvidia-smi's utilisation of every GPU, sampled every 500 ms while a setting runs (nothing where
    nvidia-smi is missing)."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {}
        self._proc = None
        if shutil.which("nvidia-smi"):
            self._proc = subprocess.Popen(
                ["nvidia-smi", "--query-gpu=index,utilization.gpu", "--format=csv,noheader,nounits", "-lms", "500"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            self._reader = threading.Thread(target=self._read, daemon=True)
            self._reader.start()

    def _read(self) -> None:
        for line in self._proc.stdout:
            index, _, util = line.partition(",")
            try:
                self.samples.setdefault(index.strip(), []).append(float(util))
            except ValueError:  # "[N/A]" on GPUs that do not report it
                continue

    def stop(self) -> dict[str, float]:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            self._reader.join(timeout=10)
        return {index: round(sum(values) / len(values), 1) for index, values in sorted(self.samples.items())}


def run_setting(gpus: int, config_yaml: str, *, work_dir: Path, limit_s: float) -> dict:
    """One `generate.py` run on the first `gpus` GPUs; its manifest's numbers and what was measured here."""
    import pyarrow.parquet as pq

    setting_dir = work_dir / f"{gpus}gpu"
    setting_dir.mkdir(parents=True)
    (setting_dir / "run.yaml").write_text(config_yaml)
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ",".join(str(i) for i in range(gpus))}
    out = setting_dir / "run"
    sampler = GpuSampler()
    started = time.monotonic()
    # Its own process group: a setting that overruns is killed with its Ray instance, not left running.
    proc = subprocess.Popen([sys.executable, "generate.py", "--config", str(setting_dir / "run.yaml"), "--out",
                             str(out), "--quiet"], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL)
    try:
        code = proc.wait(timeout=limit_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        code = None
    wall_s = time.monotonic() - started
    util = sampler.stop()
    if code != 0:
        why = f"ran past {limit_s:.0f} s" if code is None else f"exited with {code}"
        return {"bench": "scaling", "gpus": gpus, "error": f"generate.py {why}", "wall_s": round(wall_s, 1),
                "gpu_util_percent": util}
    manifest = json.loads((out / "manifest.json").read_text())
    raw = pq.read_table(out / "raw", columns=["code"])
    judged = raw.num_rows - raw.column("code").null_count
    timings = manifest["timings"]
    # Ray must have seen exactly the GPUs this setting allows, or the rate belongs to another setting.
    wrong = gpus and manifest["verify_workers"] != gpus
    return {
        **({"error": f"the verifier had {manifest['verify_workers']} actors for {gpus} GPUs"} if wrong else {}),
        "bench": "scaling", "gpus": gpus, "judged": judged, "candidates": manifest["counts"]["candidates"],
        "rate_per_s": round(judged / timings["generate_and_verify_s"], 3),
        "verify_workers": manifest["verify_workers"],
        "verify_calls_per_worker": manifest["verify_calls_per_worker"],
        "verifier_busy_s": manifest["throughput"]["verifier_busy_s"],
        "timings": timings, "wall_s": round(wall_s, 1),
        "status": {key: manifest["counts"][key] for key in ("accepted", "rejected", "unverified")},
        "by_stage": manifest["by_stage"], "hardware": manifest["hardware"], "devices": manifest["devices"],
        "versions": manifest["versions"], "gpu_util_percent": util,
    }


def summarise(results: list[dict]) -> dict:
    """Efficiency of each setting against the one-GPU rate: rate_N / (N x rate_1)."""
    ok = [r for r in results if "error" not in r]
    one = next((r["rate_per_s"] for r in ok if r["gpus"] == 1), None)
    efficiency = {str(r["gpus"]): round(r["rate_per_s"] / (r["gpus"] * one), 3)
                  for r in ok if one and r["gpus"] > 1}
    return {"bench": "scaling", "summary": True, "rate_per_s": {str(r["gpus"]): r["rate_per_s"] for r in ok},
            "efficiency": efficiency, "goal": EFFICIENCY_GOAL,
            "goal_met": bool(efficiency) and min(efficiency.values()) >= EFFICIENCY_GOAL,
            "failed": [r["gpus"] for r in results if "error" in r]}


def _gpu_counts(text: str | None, device: str) -> list[int]:
    if text is None:
        if device == "cpu":
            return [0]
        import torch

        available = torch.cuda.device_count()
        return [n for n in (1, 2, 4, 8) if n <= available]
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"--gpus {text!r}: expected comma-separated GPU counts such as 1,2,4") from None
    if not counts or any(n < 0 for n in counts) or (device == "cpu") != (counts == [0]):
        raise ValueError("--gpus: 0 alone with --device cpu; counts of 1 or more with --device cuda")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gpus", help="GPU counts, e.g. 1,2,4 (default: 1, 2, 4, 8 up to what torch sees)")
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--specs-per-gpu", type=int, default=30)
    parser.add_argument("--samples", type=int, default=4, help="candidates per spec")
    parser.add_argument("--workers-per-gpu", type=int, default=12,
                        help="candidates one GPU judges at once (12: as the one-H200 verify-batch benchmarks)")
    parser.add_argument("--max-numel", type=int, help="elements per tensor (default 1M on cuda, 64k on cpu)")
    parser.add_argument("--timeout", type=float, default=120.0, help="verify.timeout_s per candidate")
    parser.add_argument("--limit", type=float, default=300.0, help="seconds one setting may run before it is killed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the settings and summary here")
    parser.add_argument("--keep", type=Path, help="keep each setting's run directory under this directory")
    args = parser.parse_args(argv)
    if args.specs_per_gpu < 1 or args.samples < 1 or args.workers_per_gpu < 1:
        parser.error("--specs-per-gpu, --samples and --workers-per-gpu must be at least 1")
    try:
        counts = _gpu_counts(args.gpus, args.device)
    except ValueError as err:
        parser.error(str(err))
    max_numel = args.max_numel or (1 << 20 if args.device == "cuda" else 1 << 16)
    configs = {n: run_config(gpus=n, device=args.device, specs_per_gpu=args.specs_per_gpu, samples=args.samples,
                             workers_per_gpu=args.workers_per_gpu, max_numel=max_numel, seed=args.seed,
                             timeout_s=args.timeout) for n in counts}
    work_dir = args.keep or Path(tempfile.mkdtemp(prefix="kd-scaling-"))
    results: list[dict] = []
    try:
        for n in counts:
            results.append(run_setting(n, configs[n], work_dir=work_dir, limit_s=args.limit))
            print(json.dumps(results[-1]), flush=True)
            if args.json:
                args.json.write_text(json.dumps({"settings": results, "summary": summarise(results)}, indent=2) + "\n")
    finally:
        if not args.keep:
            shutil.rmtree(work_dir, ignore_errors=True)
    summary = summarise(results)
    print(json.dumps(summary))
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
