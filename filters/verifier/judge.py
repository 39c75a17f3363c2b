"""One way from the `verify` config section to the verifier's options, and one way from a row to a verdict.

The pipeline's verify stage (`filters.stage`), `kerneldata verify` and `verify-batch` (`filters.verifier.batch`) and
the RL reward (`kerneldata.reward`) all build their options with `options_from_config` and judge with
`judge_row`, so a reward is exactly the verdict the dataset's verifier gives the same row: the same input
domains, the same FLOP count for the roofline, the same tolerances for a row that leaves them out.

A row is a mapping with the problem (`reference_code`) and the candidate (`code`), and optionally `dtype`,
`atol`, `rtol` (else taken from the problem's inputs: `problem_dtype`), `family` and `shapes` (the FLOP
count behind the roofline floor), `input_domains` (one per tensor input: which transforms keep each in
its domain) and `workloads` (issue 16: the spec's other workloads, each {label, shapes, reference_code},
checked and timed too: `filters.verifier.workloads`). A raw or rl row of a run directory is such a mapping.
"""

from __future__ import annotations

from collections.abc import Mapping

from kerneldata.core.config import VerifyConfig
from kerneldata.core.hardware import resolve_device
from kerneldata.core.outcomes import Verdict
from kerneldata.core.spec import TOLERANCES, estimate_flops
from filters.verifier.options import VerifyOptions
from filters.verifier.runtime import Runtime
from filters.verifier.verify import problem_dtype, verify


def options_from_config(config: VerifyConfig, *, draw_key: str | None = None) -> VerifyOptions:
    """The verifier's options for a `verify` config section (its `device` resolved for this machine).
    `draw_key` keys the verifier's random draws (`filters.verifier.disguise`): the pipeline's run seed, so a run
    reproduces; None (the reward, `kerneldata verify`): secret draws."""
    return VerifyOptions(
        device=resolve_device(config.device),
        timeout_s=config.timeout_s,
        num_seeds=config.num_seeds,
        min_speedup=config.min_speedup,
        max_plausible_speedup=config.max_plausible_speedup,
        baselines=("eager", "compile") if config.compile_baseline else ("eager",),
        max_timed_calls=config.timed_calls,
        timing_placements=config.timing_placements,
        candidates_per_worker=config.candidates_per_worker,
        require_isolation=require_isolation(config),
        draw_key=draw_key,
    )


def require_isolation(config: VerifyConfig) -> bool:
    """verify.require_isolation, with its default resolved: required on GPU runs, not on the CPU interpreter."""
    if config.require_isolation is not None:
        return config.require_isolation
    return resolve_device(config.device) != "cpu"


def judge_row(row: Mapping, *, options: VerifyOptions, runtime: Runtime | None = None) -> Verdict:
    """The verdict on `row["code"]` against `row["reference_code"]` (see the module docstring for the
    optional columns). Raises `filters.verifier.verify.ReferenceError_` where the problem itself does not run."""
    reference = row["reference_code"]
    dtype, atol, rtol = row.get("dtype"), row.get("atol"), row.get("rtol")
    if dtype is None:
        dtype = problem_dtype(reference)[0]
    atol = float(atol) if atol is not None else TOLERANCES[dtype][0]
    rtol = float(rtol) if rtol is not None else TOLERANCES[dtype][1]
    family, shapes = row.get("family"), row.get("shapes")
    flops = estimate_flops(family, shapes) if family and shapes is not None and len(shapes) else None
    domains = row.get("input_domains")
    workloads = [dict(w, flops=estimate_flops(family, w["shapes"]) if family else None)
                 if isinstance(w, Mapping) else w for w in row.get("workloads") or ()]
    return verify(reference, row["code"], dtype=dtype, atol=atol, rtol=rtol, options=options, runtime=runtime,
                  flops=flops, input_domains=None if domains is None else list(domains), workloads=workloads)
