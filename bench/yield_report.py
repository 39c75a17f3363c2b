"""The yield of a GPU run (issue 19): how many specs got a verified kernel faster than eager and than
torch.compile, and by how much, by family, teacher and regime, beside each spec's estimated headroom.

    python bench/yield_report.py RUN_DIR [--device-profile H200] [--json FILE] [--partial]

Reads the run's `raw` rows (every candidate with its verdict); with `--partial`, the candidates an interrupted
run checkpointed (`RUN_DIR/_parts`, a run with no manifest yet: say so beside its figures). A spec *yields* when at least one of its
accepted candidates is at least `--yield-speedup` (1.2) times faster than PyTorch eager. Prints Markdown
tables for BENCHMARKS.md:
- overall: specs, specs with an accepted kernel, the yield share, the share with a kernel faster than
  torch.compile, the median accepted speedup over eager and over compile (per accepted candidate, and per
  spec's best);
- by family, by teacher (candidates that teacher wrote), by regime (`spec_origin`
  `workloads:<model>/<regime>/...`; `sampled` for the op/shape sampler's specs);
- headroom: the roofline bound of `generators.specs.headroom` against the best measured speedup, and the
  estimated eager time against the measured one (`runtime_ms * speedup_vs_eager`), which calibrates the
  estimate;
- why candidates were not accepted (reason codes), per teacher.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

YIELD_SPEEDUP = 1.2


def spec_regime(spec_origin: str | None) -> str:
    """`prefill`, `decode` or `train` for a captured workload's spec; `sampled` for any other."""
    origin = spec_origin or ""
    if origin.startswith("workloads:"):
        parts = origin[len("workloads:"):].split("/")
        if len(parts) >= 2:
            return parts[1]
    return "sampled"


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _fmt(value: float | None, suffix: str = "x") -> str:
    return "-" if value is None else f"{value:.2f}{suffix}"


def _share(part: int, whole: int) -> str:
    return "-" if not whole else f"{part}/{whole} ({100 * part / whole:.0f}%)"


def summarise(rows: list[dict], *, yield_speedup: float = YIELD_SPEEDUP, headroom: dict | None = None) -> dict:
    """The report's figures from raw rows (dicts with the raw schema's columns)."""
    specs: dict[str, dict] = {}
    for row in rows:
        spec = specs.setdefault(row["spec_id"], {"family": row["family"], "regime": spec_regime(row.get("spec_origin")),
                                                 "ops": "+".join(row["ops"]), "dtype": row["dtype"],
                                                 "accepted": [], "eager_ms": []})
        if row.get("runtime_ms") and row.get("speedup_vs_eager"):
            spec["eager_ms"].append(row["runtime_ms"] * row["speedup_vs_eager"])
        if row["status"] == "accepted":
            spec["accepted"].append(row)

    def group(keyed: dict[str, list[dict]]) -> dict[str, dict]:
        out = {}
        for key, members in sorted(keyed.items()):
            best_eager = [max((r["speedup_vs_eager"] or 0.0) for r in s["accepted"]) for s in members if s["accepted"]]
            best_compile = [max((r["speedup_vs_compile"] or 0.0) for r in s["accepted"])
                            for s in members if s["accepted"]]
            out[key] = {
                "specs": len(members),
                "with_accepted": sum(1 for s in members if s["accepted"]),
                "yield": sum(1 for b in best_eager if b >= yield_speedup),
                "beat_compile": sum(1 for b in best_compile if b > 1.0),
                "median_best_vs_eager": _median(best_eager),
                "median_best_vs_compile": _median(best_compile),
                "max_best_vs_eager": max(best_eager) if best_eager else None,
            }
        return out

    all_specs = list(specs.values())
    by_family = collections.defaultdict(list)
    by_regime = collections.defaultdict(list)
    for spec in all_specs:
        by_family[spec["family"]].append(spec)
        by_regime[spec["regime"]].append(spec)

    accepted = [r for r in rows if r["status"] == "accepted"]
    by_teacher = {}
    for teacher in sorted({r["teacher"] for r in rows}):
        written = [r for r in rows if r["teacher"] == teacher]
        ok = [r for r in written if r["status"] == "accepted"]
        reasons = collections.Counter(r["reason_code"] for r in written if r["status"] != "accepted")
        by_teacher[teacher] = {
            "candidates": len(written), "accepted": len(ok),
            "specs_yielding": len({r["spec_id"] for r in ok if (r["speedup_vs_eager"] or 0) >= yield_speedup}),
            "median_vs_eager": _median([r["speedup_vs_eager"] for r in ok if r["speedup_vs_eager"]]),
            "median_vs_compile": _median([r["speedup_vs_compile"] for r in ok if r["speedup_vs_compile"]]),
            "not_accepted": dict(reasons.most_common()),
        }

    calibration = []
    for spec_id, spec in specs.items():
        estimate = (headroom or {}).get(spec_id)
        if estimate is None:
            continue
        best = max(((r["speedup_vs_eager"] or 0.0) for r in spec["accepted"]), default=None)
        calibration.append({"spec_id": spec_id, "family": spec["family"], "ops": spec["ops"], "dtype": spec["dtype"],
                            "bound": estimate["speedup_bound"], "est_eager_us": estimate["eager_us"],
                            "measured_eager_us": 1000 * statistics.median(spec["eager_ms"]) if spec["eager_ms"] else None,
                            "best_vs_eager": best})
    return {
        "yield_speedup": yield_speedup,
        "candidates": len(rows), "accepted": len(accepted),
        "median_accepted_vs_eager": _median([r["speedup_vs_eager"] for r in accepted if r["speedup_vs_eager"]]),
        "median_accepted_vs_compile": _median([r["speedup_vs_compile"] for r in accepted if r["speedup_vs_compile"]]),
        "overall": group({"all": all_specs})["all"],
        "by_family": group(by_family), "by_regime": group(by_regime), "by_teacher": by_teacher,
        "headroom": calibration,
    }


def estimate_headroom(rows: list[dict], device_profile: str) -> dict[str, dict]:
    """Per spec id: the roofline estimate of its shown workload (None-free: specs that do not trace are left out)."""
    from generators.specs.headroom import estimate

    out = {}
    for row in rows:
        if row["spec_id"] in out:
            continue
        found = estimate(row["reference_code"], device_profile)
        if found is not None:
            out[row["spec_id"]] = {"speedup_bound": found.speedup_bound, "eager_us": found.eager_us}
    return out


def markdown(summary: dict) -> str:
    y = summary["yield_speedup"]
    lines = [f"candidates {summary['candidates']}, accepted {summary['accepted']}; median accepted speedup "
             f"over eager {_fmt(summary['median_accepted_vs_eager'])}, over torch.compile "
             f"{_fmt(summary['median_accepted_vs_compile'])} (per accepted candidate)", ""]
    header = (f"| {{}} | specs | with an accepted kernel | >= {y}x eager | faster than compile | "
              "median best vs eager | median best vs compile | max best vs eager |")
    for title, table in (("all", {"all": summary["overall"]}), ("family", summary["by_family"]),
                         ("regime", summary["by_regime"])):
        lines += [header.format(title), "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for key, g in table.items():
            lines.append(f"| {key} | {g['specs']} | {_share(g['with_accepted'], g['specs'])} | "
                         f"{_share(g['yield'], g['specs'])} | {_share(g['beat_compile'], g['specs'])} | "
                         f"{_fmt(g['median_best_vs_eager'])} | {_fmt(g['median_best_vs_compile'])} | "
                         f"{_fmt(g['max_best_vs_eager'])} |")
        lines.append("")
    lines += ["| teacher | candidates | accepted | specs >= %sx | median vs eager | median vs compile | "
              "not accepted (top reasons) |" % y, "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for teacher, t in summary["by_teacher"].items():
        reasons = ", ".join(f"{k} {v}" for k, v in list(t["not_accepted"].items())[:5])
        lines.append(f"| {teacher} | {t['candidates']} | {t['accepted']} | {t['specs_yielding']} | "
                     f"{_fmt(t['median_vs_eager'])} | {_fmt(t['median_vs_compile'])} | {reasons} |")
    calib = summary["headroom"]
    if calib:
        lines += ["", "| headroom bound (estimate) | specs | with >= %sx | median best vs eager | "
                  "median measured / estimated eager time |" % y, "| --- | ---: | ---: | ---: | ---: |"]
        bands = ((0, 1.2), (1.2, 2.0), (2.0, 4.0), (4.0, math.inf))
        for low, high in bands:
            members = [c for c in calib if low <= c["bound"] < high]
            ratios = [c["measured_eager_us"] / c["est_eager_us"] for c in members
                      if c["measured_eager_us"] and c["est_eager_us"]]
            bests = [c["best_vs_eager"] for c in members if c["best_vs_eager"]]
            label = f"{low:g}x to {high:g}x" if high != math.inf else f">= {low:g}x"
            lines.append(f"| {label} | {len(members)} | {sum(1 for b in bests if b >= y)} | "
                         f"{_fmt(_median(bests))} | {_fmt(_median(ratios))} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir")
    parser.add_argument("--device-profile", default="H200")
    parser.add_argument("--yield-speedup", type=float, default=YIELD_SPEEDUP)
    parser.add_argument("--no-headroom", action="store_true", help="skip the roofline estimates (a trace per spec)")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--partial", action="store_true",
                        help="an interrupted run: read the candidates it checkpointed (no manifest needed)")
    args = parser.parse_args(argv)
    from shards.writer import RunWriter, read_raw

    if args.partial:
        rows = RunWriter(args.run_dir).read_parts().to_pylist()
        print(f"partial: {len(rows)} checkpointed candidates of an unfinished run\n")
    else:
        rows = read_raw(args.run_dir).to_pylist()
    headroom = None if args.no_headroom else estimate_headroom(rows, args.device_profile)
    summary = summarise(rows, yield_speedup=args.yield_speedup, headroom=headroom)
    print(markdown(summary))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
