"""Where one candidate's verification time goes, candidate by candidate (issue 19: real-scale cost).

    python bench/verify_phases.py --in candidates.jsonl --config configs/gpu.yaml [--limit 8]

Judges the candidates of a verify-batch input file one after another in one verifier runtime (one worker,
as `kerneldata verify-batch --workers-per-device 1` would) and prints, per candidate, its verdict, wall
seconds and the seconds of each phase (`Runtime.phase_seconds`: the parent's phases and the child's own
account, `child <what>`), then the phases summed. A problem's first candidate pays for its reference probe
and torch.compile baseline; later candidates of the same problem reuse them, as they do in a run.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from filters.verifier.batch import read_candidates
from filters.verifier.judge import judge_row, options_from_config
from filters.verifier.reference_probe import ReferenceProbes
from filters.verifier.runtime import Runtime
from kerneldata.core.config import load_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in", dest="in_path", required=True, help="verify-batch input (JSONL)")
    parser.add_argument("--config", required=True, help="a run config; its verify section is used")
    parser.add_argument("--limit", type=int, default=0, help="judge at most this many candidates (0: all)")
    parser.add_argument("--json", help="also write each candidate's record to this JSONL file")
    args = parser.parse_args()
    options = options_from_config(load_config(args.config).verify, draw_key="verify-phases")
    items = read_candidates(Path(args.in_path))
    if args.limit:
        items = items[:args.limit]
    runtime = Runtime(options.device, device_index=0, probes=ReferenceProbes())
    totals: dict[str, float] = {}
    records = []
    try:
        for item in items:
            before = dict(runtime.phase_seconds)
            started = time.monotonic()
            verdict = judge_row(item, options=options, runtime=runtime)
            wall = time.monotonic() - started
            phases = {name: round(spent - before.get(name, 0.0), 2) for name, spent in runtime.phase_seconds.items()
                      if spent - before.get(name, 0.0) >= 0.01}
            for name, spent in phases.items():
                totals[name] = round(totals.get(name, 0.0) + spent, 2)
            record = {"id": item["id"], "status": verdict.status.value, "reason": verdict.reason_code.value,
                      "wall_s": round(wall, 2), "shapes": item.get("shapes"),
                      "phases": dict(sorted(phases.items(), key=lambda kv: -kv[1]))}
            records.append(record)
            print(json.dumps(record), flush=True)
    finally:
        runtime.close()
    print("summed:", json.dumps(dict(sorted(totals.items(), key=lambda kv: -kv[1]))))
    print("wall:", round(sum(r["wall_s"] for r in records), 1), "s over", len(records), "candidates")
    if args.json:
        Path(args.json).write_text("".join(json.dumps(r) + "\n" for r in records))


if __name__ == "__main__":
    main()
