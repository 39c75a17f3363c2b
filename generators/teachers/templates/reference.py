"""What a template needs to know about a spec's reference problem beyond the spec row's columns: the
module-level size constants, whether an input is handed over as a transposed (non-contiguous) view, and
above all whether the problem is exactly the sampler's rendering of a registry op.

`registry_dims(spec_row, op)` is the guard every single-op template uses: it re-renders registry op `op`
with the sizes the reference declares and compares the source byte for byte. A template is written for
what the registry op computes, so a problem that merely shares an op's name (an external file, an edited
source) is declined rather than guessed at. Dims that the source does not declare as constants (a pooling
window, say) are found by trying the values of their pools.
"""

from __future__ import annotations

import ast
import functools
import itertools

from generators.specs import OPS, problem_from_op, render
from generators.teachers.templates.base import Decline


@functools.lru_cache(maxsize=4096)
def module_constants(reference_code: str) -> dict[str, int]:
    """`NAME = <int>` assignments at module level."""
    consts = {}
    for node in _parse(reference_code).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Constant) and type(node.value.value) is int:
            consts[node.targets[0].id] = node.value.value
    return consts


@functools.lru_cache(maxsize=4096)
def transposed_inputs(reference_code: str) -> tuple[str, ...]:
    """Names of the inputs `get_inputs()` hands over as `.transpose(-2, -1)` views."""
    names = []
    for node in _parse(reference_code).body:
        if isinstance(node, ast.FunctionDef) and node.name == "get_inputs":
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) \
                        and isinstance(stmt.value.func, ast.Attribute) and stmt.value.func.attr == "transpose":
                    names += [t.id for t in stmt.targets if isinstance(t, ast.Name)]
    return tuple(names)


def _parse(reference_code: str) -> ast.Module:
    try:
        return ast.parse(reference_code)
    except SyntaxError as err:
        raise Decline(f"the reference does not parse: {err.msg}") from None


def registry_dims(spec_row: dict, op_name: str) -> dict[str, int]:
    """The full dims (drawn and derived) of registry op `op_name` for which the sampler renders exactly the
    spec's reference, with the spec row's input shapes; raises Decline when no such dims exist."""
    shapes = tuple(tuple(shape) for shape in spec_row["shapes"])
    return dict(_registry_dims(spec_row["reference_code"], op_name, spec_row["dtype"], shapes))


@functools.lru_cache(maxsize=4096)
def _registry_dims(reference_code: str, op_name: str, dtype: str,
                   shapes: tuple[tuple[int, ...], ...]) -> tuple[tuple[str, int], ...]:
    op = OPS.get(op_name)
    if op is None:
        raise Decline(f"{op_name!r} is not a registry op")
    consts = module_constants(reference_code)
    known = {dim.name: consts[dim.name.upper()] for dim in op.dims if dim.name.upper() in consts}
    missing = [dim for dim in op.dims if dim.name not in known]
    layouts = {name: "transposed" for name in transposed_inputs(reference_code)}
    pools = [sorted(set(dim.values({}, False)) | set(dim.values({}, True))) if not callable(dim.pool)
             else [] for dim in missing]
    if any(not pool for pool in pools):
        raise Decline(f"the reference does not declare the size of {missing[0].name!r} for op {op_name!r}")
    for values in itertools.product(*pools):
        dims = {**known, **dict(zip((d.name for d in missing), values))}
        try:
            problem = problem_from_op(op, dims, dtype, layouts)
        except (KeyError, ValueError, ZeroDivisionError):
            continue
        spec = render(problem, "check")
        if spec.source == reference_code and spec.shapes == shapes:
            return tuple(sorted(op.resolve(dims).items()))
    raise Decline(f"the reference (with input shapes {[list(s) for s in shapes]}) is not the sampler's "
                  f"rendering of op {op_name!r}, so no template is known to be correct for it")
