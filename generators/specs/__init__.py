"""The spec sampler: operator + shape + dtype specs rendered as KernelBench-format problems.

    ops/          the op registry, one module per family group (OPS, OPS_BY_FAMILY, get_op)
    shapes.py     realistic and edge-case size pools; the budgeted dimension draw
    problem.py    OpDef (an op as data), Problem (one draw) and the renderer
    compose.py    the composition grammar for fused (level-2 style) chains
    sampler.py    SpecSampler: family weights, dtypes, layouts, dedup, determinism
    degenerate.py the reference check that rejects degenerate specs, with a reason
    more_workloads.py  a spec's other workloads (issue 16): its batch-like dims moved one step, no random draw
    external.py   KernelBench-format problems from a directory or a Hub dataset, origin kept
    stats.py      coverage of a spec file (families, ops, dtypes, size buckets)
    workloads/    specs from real architectures: ATen calls and fusible chains traced at real shapes
"""

from generators.specs.ops import OPS, OPS_BY_FAMILY, get_op
from generators.specs.problem import OpDef, Problem, problem_from_op, render
from generators.specs.sampler import EXTERNAL, FAMILIES, FUSED, SAMPLER_VERSION, SpecSampler, sample_op

__all__ = [
    "EXTERNAL", "FAMILIES", "FUSED", "OPS", "OPS_BY_FAMILY", "OpDef", "Problem", "SAMPLER_VERSION", "SpecSampler",
    "get_op", "problem_from_op", "render", "sample_op",
]
