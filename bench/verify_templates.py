"""The built-in teacher's coverage and the truth of its templates, under the real verifier.

    python bench/verify_templates.py --specs 300 --seed 0                 # coverage per family
    python bench/verify_templates.py --specs 300 --verify 4 --device cpu  # and verify 4 specs per family

Coverage: the share of sampled specs (the real `SpecSampler`, default config) the teacher answers with
code, per family. Verification: for up to `--verify` answered specs per family, every variant that applies
(correct and flawed) is rendered and judged by `filters.verifier.verify`; a correct variant must be accepted and a
flawed one rejected (or, for what the CPU interpreter cannot judge, marked unverified); with `--workloads`,
on the spec's other workloads too, as a run judges it. Prints a table and,
with `--json FILE`, writes every verdict.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import random
import sys
import time
from dataclasses import dataclass

from generators.specs import SpecSampler
from generators.teachers.builtin import Decline, render, variants_for
from kerneldata.core.config import SpecsConfig
from kerneldata.core.outcomes import Status

# Flaws only a GPU can show: the CPU interpreter computes fp32 tl.dot in full precision.
GPU_ONLY_FLAWS = {"tf32_dot"}


@dataclass(frozen=True)
class Outcome:
    spec_id: str
    family: str
    ops: str
    dtype: str
    variant: str
    flaw: str | None
    status: str
    reason: str

    @property
    def as_expected(self) -> bool:
        if self.status == Status.UNVERIFIED.value:
            # The interpreter cannot judge bf16 at all, nor TF32; such verdicts are neither right nor wrong.
            return self.dtype == "bfloat16" or self.flaw in GPU_ONLY_FLAWS
        return (self.status == Status.ACCEPTED.value) == (self.flaw is None)


def coverage(spec_rows: list[dict]) -> dict[str, tuple[int, int]]:
    """family -> (specs answered with code, specs sampled)."""
    counts: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for row in spec_rows:
        counts[row["family"]][1] += 1
        try:
            variants_for(row)
        except Decline:
            continue
        counts[row["family"]][0] += 1
    return {family: (answered, total) for family, (answered, total) in sorted(counts.items())}


def verify_variants(spec_rows: list[dict], *, device: str = "cpu", num_seeds: int = 2,
                    timeout_s: float = 120.0, workloads: bool = False,
                    draw_key: str | None = None, runtime=None) -> list[Outcome]:
    """Every applicable variant of every spec, judged by the verifier (each candidate within `timeout_s`).
    `workloads`: on the spec's other workloads too, as a run judges it (a kernel fixed to the shown shapes
    fails); off, the shown workload only, at about half the cost under the interpreter. `draw_key`: the
    verifier's draws keyed (the same verdicts on every run), else secret ones as in a run without a seed.
    `runtime`: a `filters.verifier.runtime.Runtime` on `device` to judge them in (its workers serve call after
    call, as a run's do), else one made for this call."""
    from filters.verifier.judge import judge_row
    from filters.verifier.options import VerifyOptions
    from filters.verifier.runtime import Runtime

    options = VerifyOptions(device=device, num_seeds=num_seeds, min_speedup=0.0, baselines=("eager",),
                            timeout_s=timeout_s, draw_key=draw_key)
    outcomes = []
    with contextlib.nullcontext(runtime) if runtime is not None else Runtime(device) as runtime:
        for row in spec_rows:
            for variant in variants_for(row):
                draft = render(row, random.Random(f"sweep:{row['spec_id']}:{variant.name}"), variant.name)
                # As the pipeline judges it (judge_row), with or without the spec's other workloads.
                judged = {**row, "code": draft.code} if workloads else {**row, "code": draft.code, "workloads": []}
                verdict = judge_row(judged, options=options, runtime=runtime)
                outcomes.append(Outcome(row["spec_id"], row["family"], "+".join(row["ops"]), row["dtype"],
                                        draft.variant, draft.flaw, verdict.status.value, verdict.reason))
    return outcomes


def answered_per_family(spec_rows: list[dict], per_family: int) -> list[dict]:
    """The first `per_family` answered specs of each family, in sample order."""
    picked: dict[str, list[dict]] = collections.defaultdict(list)
    for row in spec_rows:
        if len(picked[row["family"]]) >= per_family:
            continue
        try:
            variants_for(row)
        except Decline:
            continue
        picked[row["family"]].append(row)
    return [row for rows in picked.values() for row in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--families", default=None, help="comma-separated families (default: all)")
    parser.add_argument("--verify", type=int, default=0, help="answered specs per family to verify")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", default=None, help="write every verdict to this file")
    parser.add_argument("--workloads", action="store_true",
                        help="judge on each spec's other workloads too, as a run does (about twice the time)")
    args = parser.parse_args(argv)
    families = args.families.split(",") if args.families else None
    config = SpecsConfig(num_specs=args.specs, families=families)
    rows = [spec.to_row() for spec in SpecSampler(config, args.seed).sample(args.specs)]
    table = coverage(rows)
    answered = sum(a for a, _ in table.values())
    print(f"coverage of {len(rows)} specs (seed {args.seed}): {answered}/{len(rows)} = {answered / len(rows):.0%}")
    for family, (a, total) in table.items():
        print(f"  {family:14s} {a:4d}/{total:<4d} {a / total:6.0%}")
    if not args.verify:
        return 0
    started = time.monotonic()
    outcomes = verify_variants(answered_per_family(rows, args.verify), device=args.device,
                               workloads=args.workloads)
    wrong = [o for o in outcomes if not o.as_expected]
    by_family: dict[str, list[Outcome]] = collections.defaultdict(list)
    for outcome in outcomes:
        by_family[outcome.family].append(outcome)
    print(f"verified {len(outcomes)} candidates in {time.monotonic() - started:.0f} s; {len(wrong)} not as expected")
    for family, items in sorted(by_family.items()):
        correct = [o for o in items if o.flaw is None]
        flawed = [o for o in items if o.flaw is not None]
        print(f"  {family:14s} correct accepted {sum(o.as_expected for o in correct)}/{len(correct)}, "
              f"flawed rejected {sum(o.as_expected for o in flawed)}/{len(flawed)}")
    for outcome in wrong:
        print(f"  NOT AS EXPECTED: {outcome}")
    if args.json:
        with open(args.json, "w") as out:
            for outcome in outcomes:
                out.write(json.dumps(outcome.__dict__) + "\n")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
