"""The op registry: every operator the sampler can draw, by name, one module per family group.

`OPS` is an explicit dict; `get_op(name)` raises a ValueError listing the known names for an unknown one.
Op names are unique across families.
"""

from __future__ import annotations

from generators.specs.ops import attention, conv, elementwise, indexing, loss, matmul, normalization, reduction
# Issue 16: the ops real models need, each group in a family of its own (existing families draw as before).
from generators.specs.ops import kvcache, llm, moe, quant, recsys
from generators.specs.problem import OpDef

_ALL: list[OpDef] = [
    *elementwise.OPS, *reduction.OPS, *normalization.OPS, *matmul.OPS, *conv.OPS, *attention.OPS, *loss.OPS,
    *indexing.OPS, *llm.OPS, *kvcache.OPS, *moe.OPS, *quant.OPS, *recsys.OPS,
]
OPS: dict[str, OpDef] = {op.name: op for op in _ALL}
assert len(OPS) == len(_ALL), "op names must be unique across families"

# Family -> its ops, in registry order.
OPS_BY_FAMILY: dict[str, list[OpDef]] = {}
for _op in _ALL:
    OPS_BY_FAMILY.setdefault(_op.family, []).append(_op)


def get_op(name: str) -> OpDef:
    if name not in OPS:
        raise ValueError(f"unknown op {name!r}; known ops: {', '.join(sorted(OPS))}")
    return OPS[name]
