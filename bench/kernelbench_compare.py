"""Benchmark (a) of issue 3, on a GPU: kerneldata's verify-batch against KernelBench's own harness
(`eval_kernel_against_ref`, ScalingIntelligence/KernelBench) on the same candidates, in one call.

    python bench/kernelbench_compare.py --kb-src PATH/TO/KernelBench/src --in cands.jsonl --ours RESULTS.jsonl \
        [--budget-s 300]

KernelBench's code is not part of kerneldata: point --kb-src at a checkout's `src` directory. Its package
imports LLM clients (openai, litellm, dotenv) that evaluation never calls; where they are not installed
they are replaced by empty modules. Each candidate gets KernelBench's defaults from its evaluation script
(5 correctness trials, 100 timed trials, cuda-event timing, triton backend), one after another in this
process, until --budget-s runs out. KernelBench runs with a Triton cache of its own, empty at the start (as
verify-batch's is), so neither harness is timed on kernels compiled by an earlier run. Prints one JSON line: KernelBench's candidates per second, ours
(from the verify-batch summary file), and how often the two agree on correctness.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import types


def _stub_missing(names: list[str]) -> None:
    for name in names:
        try:
            __import__(name)
        except ImportError:
            module = types.ModuleType(name)
            module.load_dotenv = lambda *a, **k: None
            module.OpenAI = object
            module.completion = lambda *a, **k: None
            sys.modules[name] = module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb-src", required=True)
    parser.add_argument("--in", dest="in_path", required=True)
    parser.add_argument("--ours", required=True, help="verify-batch results for the same --in")
    parser.add_argument("--ours-summary", help="verify-batch --json summary (for our rate)")
    parser.add_argument("--budget-s", type=float, default=300.0)
    args = parser.parse_args()

    # Before Triton is imported: it reads the cache location once.
    os.environ["TRITON_CACHE_DIR"] = tempfile.mkdtemp(prefix="kernelbench-triton-cache-")
    _stub_missing(["dotenv", "openai", "litellm"])
    sys.path.insert(0, args.kb_src)
    import torch
    from kernelbench.eval import eval_kernel_against_ref

    rows = [json.loads(line) for line in open(args.in_path)]
    ours = {r["id"]: r for r in map(json.loads, open(args.ours).read().splitlines())}
    done, agree, kb_correct, started = 0, 0, 0, time.monotonic()
    disagreements = []
    for row in rows:
        if time.monotonic() - started > args.budget_s:
            break
        precision = getattr(torch, row["dtype"])
        try:
            result = eval_kernel_against_ref(row["reference_code"], row["code"], num_correct_trials=5,
                                             num_perf_trials=100, measure_performance=True,
                                             timing_method="cuda_event", backend="triton", precision=precision,
                                             device=0)
            correct = bool(result and result.correctness)
        except Exception as err:  # noqa: BLE001 - the harness's own failure counts as "not correct"
            correct = False
            print(f"kernelbench raised on {row['id']}: {type(err).__name__}: {err}", file=sys.stderr)
        done += 1
        kb_correct += correct
        our = ours[row["id"]]
        our_correct = our["status"] == "accepted" or our["reason_code"] in ("too_slow",)
        if our_correct == correct:
            agree += 1
        else:
            disagreements.append({"id": row["id"], "flaw": row.get("flaw"), "kernelbench": correct,
                                  "ours": our["reason_code"]})
    seconds = time.monotonic() - started
    summary = json.load(open(args.ours_summary)) if args.ours_summary else {}
    print(json.dumps({
        "kernelbench_candidates": done, "kernelbench_seconds": round(seconds, 1),
        "kernelbench_per_second": round(done / seconds, 3), "kernelbench_correct": kb_correct,
        "ours_per_second": summary.get("per_second"), "agree_on_correctness": agree,
        "disagreements": disagreements[:20],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
