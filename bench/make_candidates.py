"""Write built-in-teacher candidates as verify-batch input: one JSON object per line.

    python bench/make_candidates.py --specs 50 --samples 4 --max-numel 1048576 [--float-inputs] --out cands.jsonl

Specs come from the sampler (seeded), candidates from the built-in teacher (seeded), so the same command
makes the same file anywhere. `--workloads FILE` (from `kerneldata workloads capture`) draws the specs from
captured real-model workloads at real scale instead, with configs/gpu.yaml's floors (eager time on an H200
profile, roofline headroom): the sizes issue 19's timing-reproducibility figure is about. `--float-inputs` keeps only specs whose inputs are all floating point (no
indices, no masks): KernelBench's harness casts every input to the run's precision, so it cannot run the
others (an embedding's indices become half floats), and a comparison with it needs problems it can run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kerneldata.core.config import SpecsConfig, TeacherConfig, config_from_yaml
from generators.specs import SpecSampler
from generators.teachers.builtin import TEMPLATE_OPS, BuiltinTeacher

ROOT = Path(__file__).resolve().parent.parent


def _is_float_domain(domain: str) -> bool:
    return not (domain.startswith("index") or domain == "mask")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=int, default=50)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--max-numel", type=int, default=1 << 20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dtypes", default="float32,float16")
    parser.add_argument("--float-inputs", action="store_true", help="only specs without index or mask inputs")
    parser.add_argument("--workloads", help="a `kerneldata workloads capture` file: real-scale specs from it")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.workloads:
        specs = _workload_specs(args.workloads, args.specs, args.seed)
    else:
        specs = _sampled_specs(args)
    teacher = BuiltinTeacher(TeacherConfig(samples_per_spec=args.samples), args.seed)
    with open(args.out, "w") as out:
        for spec in specs:
            for row in teacher.generate(spec.to_row()):
                if row["code"] is None:  # a spec the built-in teacher declines
                    continue
                out.write(json.dumps({
                    "id": row["candidate_id"], "reference_code": row["reference_code"], "code": row["code"],
                    "dtype": row["dtype"], "atol": row["atol"], "rtol": row["rtol"], "family": row["family"],
                    "shapes": row["shapes"], "input_domains": row["input_domains"], "flaw": json.loads(row["teacher_meta"]).get("flaw"),
                }) + "\n")
    return 0


def _sampled_specs(args) -> list:
    # The ops the built-in teacher has templates for (it declines others), with room for three tensors of
    # max_numel elements.
    config = SpecsConfig(num_specs=args.specs, max_numel=args.max_numel, max_bytes=16 * args.max_numel,
                         dtypes=args.dtypes.split(","), ops=[op for ops in TEMPLATE_OPS.values() for op in ops])
    specs = SpecSampler(config, args.seed).sample(args.specs * (4 if args.float_inputs else 1))
    if args.float_inputs:
        specs = [spec for spec in specs if all(_is_float_domain(d) for d in spec.to_row()["input_domains"])]
    return specs[:args.specs]


def _workload_specs(path: str, count: int, seed: int) -> list:
    from generators.specs.workloads.sampling import WorkloadSampler

    specs = config_from_yaml((ROOT / "configs" / "gpu.yaml").read_text(), "configs/gpu.yaml",
                             [f"specs.workloads.file={path}", "specs.source=workloads",
                              "specs.workloads.scale=real"]).specs
    return WorkloadSampler(specs.workloads, seed, extra_workloads=specs.extra_workloads,
                           min_eager_us=specs.min_eager_us, min_headroom=specs.min_headroom,
                           device_profile=specs.device_profile).sample(count)


if __name__ == "__main__":
    sys.exit(main())
