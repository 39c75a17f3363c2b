"""The built-in teacher's templates, one module per family group (see `base` for what a module defines).

`FAMILY_GROUPS` lists every group in the order the teacher consults them; `FLAWS` merges the modules' flaw
tables (name -> (what is wrong, probability of choosing it where it applies)).
"""

from __future__ import annotations

from generators.teachers.templates import (
    attention, elementwise, fused, indexing, matmul, pooling, reductions, scan,
)
# Issue 16's ops, one module per new family.
from generators.teachers.templates import kvcache, llm, moe, quant, recsys
# Single ATen calls and row-wise fused chains captured from real models (`specs.source: workloads`).
from generators.teachers.templates import chain, workload

_MODULES = (elementwise, reductions, scan, pooling, matmul, fused, indexing, attention,
            llm, kvcache, moe, quant, recsys, chain, workload)
FAMILY_GROUPS = tuple(group for mod in _MODULES for group in mod.GROUPS)
FLAWS: dict[str, tuple[str, float]] = {name: flaw for mod in _MODULES for name, flaw in mod.FLAWS.items()}
