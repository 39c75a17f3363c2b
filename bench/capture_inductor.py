"""Capture the code torch.compile (Inductor) generates for sampled specs, on a GPU.

    python bench/capture_inductor.py --out DIR [--per-family 3] [--seed 0]
    python bench/capture_inductor.py --out DIR --from-index DIR/specs.jsonl   # recompile the same specs

For up to `--per-family` specs of every family the sampler emits (or for the spec rows of an existing index),
compiles the reference `Model` on CUDA the way the inductor teacher does (`generators.teachers.inductor.
compile_spec`) and writes DIR/specs.jsonl (one spec row per line, with the torch and triton versions, the
number of generated modules, `arg_sources`: where each input of the compiled graph comes from, and
`launches`: the launch settings the autotuner chose per kernel) and DIR/<spec_id>.py (the generated output
code; several modules are joined with a marker line). These files are the fixtures the inductor teacher's
CPU tests convert (tests/generators/inductor_fixtures/, and its dynamic/ for `--dynamic` captures, which
`KERNELDATA_DYNAMIC_CAPTURE=DIR` has tests/generators/test_inductor_dynamic.py convert whole); rerun this on
the GPU machine to refresh them for a new torch.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generators.specs import SpecSampler  # noqa: E402
from generators.teachers.inductor import compile_spec  # noqa: E402
from kerneldata.core.config import SpecsConfig  # noqa: E402
from kerneldata.core.schema import SPEC_SCHEMA  # noqa: E402

MODULE_MARKER = "# ----- kerneldata: next generated module -----"


def specs_per_family(per_family: int, seed: int) -> list[dict]:
    """The first `per_family` spec rows of each family the sampler emits (fp32, fp16 and bf16), families in
    name order."""
    specs = SpecSampler(SpecsConfig(num_specs=2000, dtypes=["float32", "float16", "bfloat16"]), seed).sample(2000)
    chosen: dict[str, list[dict]] = defaultdict(list)
    for spec in specs:
        row = spec.to_row()
        if len(chosen[row["family"]]) < per_family:
            chosen[row["family"]].append(row)
    return [row for family in sorted(chosen) for row in chosen[family]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--per-family", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--from-index", type=Path, help="recompile the spec rows of this specs.jsonl")
    parser.add_argument("--dynamic", action="store_true", help="compile with dynamic=True (symbolic sizes)")
    args = parser.parse_args()

    import torch
    import triton

    args.out.mkdir(parents=True, exist_ok=True)
    if args.from_index:
        rows = [json.loads(line) for line in args.from_index.read_text().splitlines() if line.strip()]
        rows = [{name: row[name] for name in SPEC_SCHEMA.names} for row in rows]
    else:
        rows = specs_per_family(args.per_family, args.seed)
    entries = []
    for row in rows:
        started = time.perf_counter()
        try:
            compiled = compile_spec(row["reference_code"], dynamic=True if args.dynamic else None)
        except Exception as err:  # noqa: BLE001 - record what failed and go on
            codes, sources, launches, error = [], [], {}, f"{type(err).__name__}: {err}"[:500]
        else:
            codes, sources, error = compiled.codes, compiled.sources, None
            launches = {name: config.as_dict() for name, config in sorted(compiled.launches.items())}
        (args.out / f"{row['spec_id']}.py").write_text(f"\n{MODULE_MARKER}\n".join(codes))
        entry = {**row, "torch": torch.__version__, "triton": triton.__version__, "modules": len(codes),
                 "arg_sources": sources, "launches": launches, "error": error,
                 "seconds": round(time.perf_counter() - started, 2)}
        entries.append(entry)
        print(json.dumps({k: entry[k] for k in ("spec_id", "family", "ops", "dtype", "modules", "error",
                                                "seconds")}), flush=True)
    (args.out / "specs.jsonl").write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
