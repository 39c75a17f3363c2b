"""Keep what a `mismatch` was judged on, to study false rejects offline (issue 19: honest fp32 attention
rejected on a GPU on inputs scaled by 64, which no CPU emulation reproduced).

    python bench/mismatch_dump.py --in CANDIDATES.jsonl --ids ID,ID --out-dir DIR [--device cuda]
        [--keys 4] [--config configs/gpu.yaml]

Judges each candidate (a verify-batch input row) in this process, under up to `--keys` draw keys, until one
verdict is `mismatch`. Every comparison against the float64 truth that ends in a mismatch is saved to
`DIR/<id>-<key>-<n>.pt` (torch.save of a dict: the call's inputs, the candidate's outputs, the reference's
answer and the float64 truth's on them, the reference's own error and the rounding spread, all on the CPU).
Prints one JSON line per judgement. The verifier itself is unchanged: its checked call is wrapped here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _cpu(values) -> list:
    return [v.detach().cpu() if hasattr(v, "detach") else v for v in values]


def _recording(checks, out_dir: Path, label: list) -> None:
    """Wraps `checks.run_candidate` (the last call's inputs and outputs) and `CandidateChecks._check` (its
    verdict): where a checked call ends in a mismatch, saves that call, its reference and float64 truth."""
    import torch

    from filters.verifier.truth import float64_truth, reference_error, rounding_spread
    from kerneldata.core.outcomes import Reason

    last, saved = {}, [0]
    run_candidate, check = checks.run_candidate, checks.CandidateChecks._check

    def recording_run(child, inputs, **options):
        outputs, rejection = run_candidate(child, inputs, **options)
        last.update(inputs=inputs, outputs=outputs)
        return outputs, rejection

    def recording_check(self, inputs, what, *, problem, **options):
        outputs, rejection = check(self, inputs, what, problem=problem, **options)
        if rejection is not None and rejection.reason_code is Reason.MISMATCH and last.get("inputs") is inputs:
            device_inputs = [checks.to_device(x, self.device) for x in inputs]
            with torch.no_grad():
                expected = [e.detach() for e in checks.as_list(problem.model(*device_inputs))]
            truth = float64_truth(problem.model, inputs, self.device)
            saved[0] += 1
            torch.save({"what": what, "inputs": _cpu(inputs), "outputs": _cpu(last["outputs"] or []),
                        "expected": _cpu(expected), "truth": _cpu(truth.outputs if truth else []),
                        "reference_error": _cpu((reference_error(expected, truth) if truth else None) or []),
                        "spread": _cpu((rounding_spread(truth, problem.dtype) if truth else None) or []),
                        "dtype": problem.dtype, "atol": problem.atol, "rtol": problem.rtol,
                        "reason": rejection.reason}, out_dir / f"{label[0]}-{saved[0]}.pt")
        return outputs, rejection

    checks.run_candidate = recording_run
    checks.CandidateChecks._check = recording_check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--in", dest="source", required=True, type=Path)
    parser.add_argument("--ids", required=True, help="comma-separated candidate ids")
    parser.add_argument("--out-dir", required=True, type=Path)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--keys", type=int, default=4, help="draw keys to try per candidate")
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "gpu.yaml")
    args = parser.parse_args(argv)

    from dataclasses import replace

    from filters.verifier import checks
    from kerneldata.core.outcomes import Reason
    from filters.verifier.judge import judge_row, options_from_config
    from kerneldata.core.config import load_config

    args.out_dir.mkdir(parents=True, exist_ok=True)
    wanted = set(args.ids.split(","))
    rows = [row for row in map(json.loads, args.source.read_text().splitlines()) if row["id"] in wanted]
    label = [""]
    _recording(checks, args.out_dir, label)
    options = replace(options_from_config(load_config(args.config, [f"verify.device={args.device}"]).verify),
                      baselines=(), require_isolation=False)
    for row in rows:
        for key in range(args.keys):
            label[0] = f"{row['id']}-{key}"
            verdict = judge_row(row, options=replace(options, draw_key=f"dump-{key}"))
            print(json.dumps({"id": row["id"], "key": key, "status": verdict.status,
                              "reason_code": verdict.reason_code.value, "reason": verdict.reason[:300]}), flush=True)
            if verdict.reason_code is Reason.MISMATCH:
                break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
