"""Capture the code torch.compile (Inductor) generates for sampled specs, on a GPU.

    python bench/capture_inductor.py --out DIR [--per-family 3] [--seed 0]

For up to `--per-family` specs of every family the sampler emits, compiles the reference `Model` with
`torch.compile` on CUDA, runs it once through `torch._inductor.utils.run_and_get_code`, and writes
DIR/specs.jsonl (one spec row per line, with the torch and triton versions and the number of generated
modules) and DIR/<spec_id>.py (the generated output code; several modules are joined with a marker line).
These files are the fixtures the inductor teacher's CPU tests convert (tests/generators/inductor/); rerun
this on the GPU machine to refresh them for a new torch.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import types
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generators.specs import SpecSampler  # noqa: E402
from kerneldata.core.config import SpecsConfig  # noqa: E402

MODULE_MARKER = "# ----- kerneldata: next generated module -----"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--per-family", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch
    import triton
    from torch._inductor.utils import run_and_get_code

    args.out.mkdir(parents=True, exist_ok=True)
    specs = SpecSampler(SpecsConfig(num_specs=2000, dtypes=["float32", "float16", "bfloat16"]),
                        args.seed).sample(2000)
    chosen: dict[str, list] = defaultdict(list)
    for spec in specs:
        row = spec.to_row()
        if len(chosen[row["family"]]) < args.per_family:
            chosen[row["family"]].append(row)
    with open(args.out / "specs.jsonl", "w") as index:
        for family, rows in sorted(chosen.items()):
            for row in rows:
                started = time.perf_counter()
                module = types.ModuleType("reference")
                exec(compile(row["reference_code"], "<reference>", "exec"), module.__dict__)
                torch.manual_seed(0)
                model = module.Model(*module.get_init_inputs()).cuda().eval()
                inputs = [x.cuda() if isinstance(x, torch.Tensor) else x for x in module.get_inputs()]
                torch._dynamo.reset()
                try:
                    with torch.no_grad():
                        _, codes = run_and_get_code(torch.compile(model), *inputs)
                except Exception as err:  # noqa: BLE001 - record what failed and go on
                    codes, error = [], f"{type(err).__name__}: {err}"[:500]
                else:
                    error = None
                (args.out / f"{row['spec_id']}.py").write_text(f"\n{MODULE_MARKER}\n".join(codes))
                entry = {**row, "torch": torch.__version__, "triton": triton.__version__, "modules": len(codes),
                         "error": error, "seconds": round(time.perf_counter() - started, 2)}
                index.write(json.dumps(entry) + "\n")
                print(json.dumps({k: entry[k] for k in ("spec_id", "family", "ops", "dtype", "modules", "error",
                                                        "seconds")}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
