"""Benchmark (a) of issue 3, on a GPU: kerneldata's verify-batch against KernelBench's own harness
(`eval_kernel_against_ref`, ScalingIntelligence/KernelBench) on the same candidates, in one call.

    python bench/kernelbench_compare.py --kb-root PATH/TO/KernelBench --in cands.jsonl --ours RESULTS.jsonl \
        --ours-summary SUMMARY.json [--mode batch|loop|both] [--budget-s 300] [--log kb.log]

KernelBench's code is not part of kerneldata: point --kb-root at a checkout (its `src/` and, for the batch
mode, `scripts/eval_from_generations.py`). Two ways of running its harness, both with KernelBench's defaults
from that script (5 correctness trials, 100 timed trials, cuda-event timing, triton backend):

- `batch`: KernelBench's own batch evaluator, `batch_eval` of `scripts/eval_from_generations.py`, called as its
  `main()` calls it on one GPU: the candidates are written where it reads generations from
  (`{run_dir}/level_1_problem_{P}_sample_{S}_kernel.py`, references as a local `level1/` dataset), the start
  method is spawn, and each candidate is judged in a fresh process of a one-process pool with its 180 s
  timeout. This is how KernelBench evaluates a run of generations. Candidates are handed over one batch (of
  one, the GPU count) at a time so the budget can stop it between candidates; that is what `batch_eval` does
  with a longer list.
- `loop`: `eval_kernel_against_ref` called on every candidate in turn inside this one process: no process per
  candidate, no timeout, so one candidate's CUDA fault poisons the rest. KernelBench's scripts never run it
  this way; it is the floor of what its per-candidate work costs.

Both run with a Triton cache of their own, empty at the start (as verify-batch's is). The LLM-client and
cloud modules KernelBench imports but evaluation never calls (openai, litellm, dotenv, pydra, modal) are
replaced by inert modules where they are not installed. Prints one JSON line: per mode, KernelBench's
candidates per second and how often it agrees with our verdicts on correctness; ours from the summary file.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time

# Modules KernelBench imports at the top of its files for generation or Modal (cloud) runs. They are written
# as files, not put in sys.modules, because the batch mode's spawned children import them again.
_INERT_MODULES = {
    "dotenv": "def load_dotenv(*args, **kwargs):\n    return False\n",
    "openai": "class OpenAI:\n    def __init__(self, *args, **kwargs):\n        raise RuntimeError('inert')\n",
    "litellm": "def completion(*args, **kwargs):\n    raise RuntimeError('inert')\n",
    # eval_from_generations builds its Modal app at import: every attribute and call yields the same inert object.
    "modal": ("class _Inert:\n    def __getattr__(self, name):\n        return self\n"
              "    def __call__(self, *args, **kwargs):\n        return self\n"
              "_INERT = _Inert()\n\ndef __getattr__(name):\n    return _INERT\n"),
    # pydra: EvalConfig subclasses Config and marks fields REQUIRED; the batch path reads plain attributes.
    "pydra": ("REQUIRED = object()\n\nclass Config:\n    def to_dict(self):\n        return dict(vars(self))\n\n"
              "def main(*args, **kwargs):\n    return lambda function: function\n"),
}


def _install_inert_modules(directory: str) -> None:
    for name, source in _INERT_MODULES.items():
        try:
            __import__(name)
        except ImportError:
            with open(os.path.join(directory, f"{name}.py"), "w") as handle:
                handle.write(source)
    sys.path.insert(0, directory)


def _our_correct(row: dict) -> bool:
    return row["status"] == "accepted" or row["reason_code"] == "too_slow"


def _agreement(kb_correct: dict[str, bool], rows: list[dict], ours: dict[str, dict]) -> dict:
    by_id = {row["id"]: row for row in rows}
    disagreements = [{"id": cid, "flaw": by_id[cid].get("flaw"), "kernelbench": correct,
                      "ours": ours[cid]["reason_code"]}
                     for cid, correct in kb_correct.items() if correct != _our_correct(ours[cid])]
    return {"agree_on_correctness": len(kb_correct) - len(disagreements), "kernelbench_correct":
            sum(kb_correct.values()), "disagreements": disagreements[:20]}


def _precision(dtype: str) -> str:
    return {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}[dtype]


def run_loop(rows: list[dict], budget_s: float, notes: dict) -> tuple[dict[str, bool], float]:
    """`eval_kernel_against_ref` on each candidate in turn, in this process."""
    import torch
    from kernelbench.eval import eval_kernel_against_ref

    correct: dict[str, bool] = {}
    started = time.monotonic()
    for row in rows:
        if time.monotonic() - started > budget_s:
            break
        try:
            result = eval_kernel_against_ref(row["reference_code"], row["code"], num_correct_trials=5,
                                             num_perf_trials=100, measure_performance=True,
                                             timing_method="cuda_event", backend="triton",
                                             precision=getattr(torch, row["dtype"]), device=0)
            correct[row["id"]] = bool(result and result.correctness)
            notes[row["id"]] = _why(result.metadata if result else {})
        except Exception as err:  # noqa: BLE001 - the harness's own failure counts as "not correct"
            correct[row["id"]] = False
            notes[row["id"]] = f"raised {type(err).__name__}: {err}"[:300]
    return correct, time.monotonic() - started


def _write_generations(rows: list[dict], root: str) -> tuple[str, str, dict[str, tuple[int, int]]]:
    """Lay the candidates out as KernelBench's batch evaluator reads them: one problem per distinct reference
    (`level1/{P}_name.py` of a local dataset) and each candidate as a sample of it in the run directory."""
    dataset_root, run_dir = os.path.join(root, "KernelBench"), os.path.join(root, "runs", "compare")
    os.makedirs(os.path.join(dataset_root, "level1"))
    os.makedirs(run_dir)
    problems: dict[str, int] = {}
    samples: dict[int, int] = {}
    where: dict[str, tuple[int, int]] = {}
    for row in rows:
        if row["reference_code"] not in problems:
            problem_id = problems[row["reference_code"]] = len(problems) + 1
            with open(os.path.join(dataset_root, "level1", f"{problem_id}_{row['family']}.py"), "w") as handle:
                handle.write(row["reference_code"])
        problem_id = problems[row["reference_code"]]
        sample_id = samples[problem_id] = samples.get(problem_id, -1) + 1
        with open(os.path.join(run_dir, f"level_1_problem_{problem_id}_sample_{sample_id}_kernel.py"), "w") as handle:
            handle.write(row["code"])
        where[row["id"]] = (problem_id, sample_id)
    return dataset_root, run_dir, where


def run_batch(rows: list[dict], budget_s: float, scratch: str, notes: dict) -> tuple[dict[str, bool], float]:
    """KernelBench's `batch_eval`, as `scripts/eval_from_generations.py`'s `main()` runs it on one GPU."""
    import eval_from_generations as kb_script
    from kernelbench.dataset import construct_kernelbench_dataset

    if mp.get_start_method(allow_none=True) is None:  # what its main() does before batch_eval
        mp.set_start_method("spawn")
    dataset_root, run_dir, where = _write_generations(rows, scratch)
    dataset = construct_kernelbench_dataset(level=1, source="local", base_path=dataset_root)
    eval_file = os.path.join(run_dir, "eval_results.json")
    config = kb_script.EvalConfig()
    config.run_name, config.dataset_src, config.level, config.backend = "compare", "local", 1, "triton"
    config.num_gpu_devices, config.kernel_eval_build_dir = 1, os.path.join(scratch, "build")

    started = time.monotonic()
    evaluated = []
    for row in rows:
        if time.monotonic() - started > budget_s:
            break
        config.precision = _precision(row["dtype"])  # one precision per run in KernelBench; ours vary by spec
        kb_script.batch_eval([where[row["id"]]], config, dataset, run_dir, eval_file)
        evaluated.append(row["id"])
    seconds = time.monotonic() - started

    results = json.load(open(eval_file)) if os.path.exists(eval_file) else {}
    correct = {}
    for cid in evaluated:
        problem_id, sample_id = where[cid]
        entries = [e for e in results.get(str(problem_id), []) if e["sample_id"] == sample_id]
        correct[cid] = bool(entries and entries[-1]["compiled"] and entries[-1]["correctness"])
        notes[cid] = _why(entries[-1]["metadata"]) if entries else "no result"
    return correct, seconds


def _why(metadata: dict) -> str:
    """KernelBench's own account of a failure, shortened: its error, or its correctness issue and worst
    difference."""
    for key in ("other_error", "cuda_error", "compilation_error", "runtime_error", "error"):
        if metadata.get(key):
            return str(metadata[key])[:300]
    if metadata.get("correctness_issue"):
        return f"{metadata['correctness_issue']}, max difference {metadata.get('max_difference')}"[:300]
    return ""


class _OutputTo:
    """Send this process's output and its children's (file descriptors 1 and 2) to a log while KernelBench
    runs: it prints every result and a progress bar per candidate."""

    def __init__(self, path: str | None):
        self.path = path

    def __enter__(self):
        if self.path:
            sys.stdout.flush()
            sys.stderr.flush()
            self.saved = [os.dup(1), os.dup(2)]
            log = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.close(log)

    def __exit__(self, *exc):
        if self.path:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, saved in zip((1, 2), self.saved):
                os.dup2(saved, fd)
                os.close(saved)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb-root", required=True, help="a KernelBench checkout (src/ and scripts/)")
    parser.add_argument("--in", dest="in_path", required=True)
    parser.add_argument("--ours", required=True, help="verify-batch results for the same --in")
    parser.add_argument("--ours-summary", help="verify-batch --json summary (for our rate)")
    parser.add_argument("--mode", choices=("batch", "loop", "both"), default="both")
    parser.add_argument("--budget-s", type=float, default=300.0, help="per mode")
    parser.add_argument("--log", help="where KernelBench's own printing goes (default: stdout)")
    parser.add_argument("--verdicts", help="write each candidate's verdicts (both harnesses) here, one JSON per line")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="kernelbench-compare-")
    os.makedirs(os.path.join(scratch, "inert"))
    _install_inert_modules(os.path.join(scratch, "inert"))
    sys.path[:0] = [os.path.join(args.kb_root, "src"), os.path.join(args.kb_root, "scripts")]
    # Spawned children find KernelBench through the environment as well as through the path handed over.
    os.environ["PYTHONPATH"] = os.pathsep.join(sys.path[:3] + [os.environ.get("PYTHONPATH", "")])

    rows = [json.loads(line) for line in open(args.in_path)]
    ours = {r["id"]: r for r in map(json.loads, open(args.ours).read().splitlines())}
    summary = json.load(open(args.ours_summary)) if args.ours_summary else {}
    report: dict = {"ours_per_second": summary.get("per_second"), "candidates": len(rows)}
    # The loop first: it imports Triton in this process, which reads its cache location once; the batch
    # mode's spawned children read it afresh. Each mode starts from an empty cache of its own.
    modes = ("loop", "batch") if args.mode == "both" else (args.mode,)
    for mode in modes:
        os.environ["TRITON_CACHE_DIR"] = os.path.join(scratch, f"triton-cache-{mode}")
        notes: dict[str, str] = {}
        with _OutputTo(args.log):
            if mode == "batch":
                correct, seconds = run_batch(rows, args.budget_s, os.path.join(scratch, "batch"), notes)
            else:
                correct, seconds = run_loop(rows, args.budget_s, notes)
        if args.verdicts:
            with open(args.verdicts, "a") as out:
                for cid, ok in correct.items():
                    out.write(json.dumps({"id": cid, "mode": mode, "kernelbench_correct": ok,
                                          "kernelbench_note": notes.get(cid, ""), "ours": ours[cid]["reason_code"],
                                          "ours_correct": _our_correct(ours[cid])}) + "\n")
        report[mode] = {"kernelbench_candidates": len(correct), "kernelbench_seconds": round(seconds, 1),
                        "kernelbench_per_second": round(len(correct) / seconds, 3),
                        **_agreement(correct, rows, ours)}
        if report["ours_per_second"]:
            report[mode]["ours_over_kernelbench"] = round(
                report["ours_per_second"] / report[mode]["kernelbench_per_second"], 2)
        print(json.dumps({mode: report[mode]}), flush=True)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
