"""The inductor teacher over sampled specs of every family, judged by the real verifier on a GPU.

    python bench/verify_inductor.py [--per-family 4] [--seed 0] [--json FILE]

Samples specs with the default `specs` config (every family, fp32/fp16/bf16), asks the inductor teacher
(torch.compile, then the standalone conversion) for each, and judges every row with code under the GPU
verifier (eager baseline only, min speedup 0: this measures whether the converted kernels are correct and
pass the anti-cheat checks, not whether Inductor beats eager). Prints per family: specs, converted,
accepted, rejected by reason, and rows with vendor-library calls; one JSON line per row with --json.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capture_inductor import specs_per_family  # noqa: E402 - beside this file: the same specs it captures
from filters.verifier.options import VerifyOptions  # noqa: E402
from filters.verifier.runtime import Runtime  # noqa: E402
from filters.verifier.verify import verify  # noqa: E402
from kerneldata.core.config import TeacherConfig  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-family", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json")
    args = parser.parse_args()

    from generators.teachers.inductor import InductorTeacher

    chosen: dict[str, list[dict]] = collections.defaultdict(list)
    for row in specs_per_family(args.per_family, args.seed):
        chosen[row["family"]].append(row)
    teacher = InductorTeacher(TeacherConfig(kind="inductor"), seed=args.seed)
    options = VerifyOptions(device="cuda", timeout_s=120, num_seeds=2, min_speedup=0.0, baselines=("eager",))
    table: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    out = open(args.json, "w") if args.json else None
    started = time.perf_counter()
    with Runtime("cuda") as runtime:
        for family, rows in sorted(chosen.items()):
            for spec_row in rows:
                (row,) = teacher.generate_batch([spec_row])
                meta = json.loads(row["teacher_meta"])
                counts = table[family]
                counts["specs"] += 1
                if meta.get("extern_calls"):
                    counts["extern"] += 1
                if not row["code"]:
                    counts["declined"] += 1
                    result = {"status": "declined", "reason": meta.get("declined")}
                else:
                    counts["converted"] += 1
                    verdict = verify(row["reference_code"], row["code"], dtype=row["dtype"], atol=row["atol"],
                                     rtol=row["rtol"], options=options, runtime=runtime,
                                     input_domains=row["input_domains"])
                    counts[verdict.status.value] += 1
                    if verdict.status.value != "accepted":
                        counts[f"{verdict.status.value}:{verdict.reason_code.value}"] += 1
                    result = {"status": verdict.status.value, "reason_code": verdict.reason_code.value,
                              "reason": verdict.reason}
                if out:
                    out.write(json.dumps({"spec_id": spec_row["spec_id"], "family": family, "ops": spec_row["ops"],
                                          "dtype": spec_row["dtype"], "extern_calls": meta.get("extern_calls"),
                                          **result}) + "\n")
    total = collections.Counter()
    for family, counts in sorted(table.items()):
        total.update(counts)
        print(family.ljust(14), dict(counts))
    print("total".ljust(14), dict(total), f"in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
