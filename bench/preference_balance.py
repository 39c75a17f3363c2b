"""How the built-in teacher's preference pairs differ besides the verdict, at population scale (issue 17).

    python bench/preference_balance.py [--specs 300] [--seed 0]

Draws specs with the default sampler, has the built-in teacher write its first answers (4 per spec), takes
a flawed answer as rejected and a correct one as accepted (no verifier: the flaws are rejected by design,
`tests/generators/test_templates_verified.py`), builds the preference split as `shards.splits` does, and
prints chosen/rejected code and prose length ratios, how often the two open alike, and the openings found
most often on one side only. A quickstart's handful of pairs is too few to tell a cue from chance.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _split(completion: str) -> tuple[str, str]:
    fence = completion.find("```")
    return (completion, "") if fence < 0 else (completion[:fence], completion[fence:])


def _opening(text: str) -> str:
    return re.sub(r"[0-9]+", "N", " ".join(text.split()[:4]))


def preference_pairs(num_specs: int, seed: int) -> list[dict]:
    """The preference split (as dicts) of the built-in teacher's first answers (4 per spec) to `num_specs`
    default specs, a flawed answer taken as rejected and a correct one as accepted."""
    from generators.specs import SpecSampler
    from generators.teachers.builtin import BuiltinTeacher
    from kerneldata.core.config import SpecsConfig, TeacherConfig
    from shards.splits import MAX_PAIRS_PER_SPEC, _preference

    specs = [s.to_row() for s in SpecSampler(SpecsConfig(), seed=seed).sample(num_specs)]
    teacher = BuiltinTeacher(TeacherConfig(kind="builtin", samples_per_spec=4), seed=seed)
    raw = []
    for row in teacher.generate_batch(specs):
        if not row.get("code"):
            continue  # a declined spec
        flawed = json.loads(row["teacher_meta"]).get("flaw") is not None
        raw.append({**row, "status": "rejected" if flawed else "accepted", "reason_code": "mismatch" if flawed else "ok",
                    "speedup_vs_eager": None, "speedup_vs_compile": None, "runtime_ms": None, "dedup_cluster": None,
                    "dedup_reason": None, "contamination_reason": None})
    return _preference(raw, MAX_PAIRS_PER_SPEC).to_pylist()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--specs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    pairs = preference_pairs(args.specs, args.seed)
    if not pairs:
        print("no pairs")
        return 1
    code, prose, same, sides = [], [], 0, collections.defaultdict(lambda: [0, 0])
    for pair in pairs:
        (cp, cc), (rp, rc) = _split(pair["chosen"][0]["content"]), _split(pair["rejected"][0]["content"])
        code.append(len(cc) / max(len(rc), 1))
        prose.append(len(cp) / max(len(rp), 1))
        same += _opening(cp) == _opening(rp)
        sides[_opening(cp)][0] += 1
        sides[_opening(rp)][1] += 1
    deciles = statistics.quantiles(code, n=10)
    print(f"{len(pairs)} pairs from {args.specs} specs: code length chosen/rejected median {statistics.median(code):.3f} "
          f"(p10 {deciles[0]:.3f}, p90 {deciles[-1]:.3f}; chosen longer in {sum(r > 1 for r in code) / len(code):.0%}, "
          f"shorter in {sum(r < 1 for r in code) / len(code):.0%}); "
          f"prose median {statistics.median(prose):.3f}; same opening {same}/{len(pairs)}")
    print("openings (chosen, rejected), most one-sided first:")
    for text, (chosen, rejected) in sorted(sides.items(), key=lambda kv: -abs(kv[1][0] - kv[1][1]))[:8]:
        print(f"  {chosen:4d} {rejected:4d}  {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
