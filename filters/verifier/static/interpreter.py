"""What the Triton interpreter cannot judge on CPU (bf16, fp8, TF32, libdevice, inline asm): those candidates are
unverified there, not rejected. (Names a kernel imports from triton.language run: the sandbox child points
them at the interpreter's versions.)"""

from __future__ import annotations

import ast

from filters.verifier.static.scoping import _dotted, _triton_kernels
from filters.verifier.static.vocabulary import _LIBDEVICE_MODULES


def _interpreter_limit(tree: ast.Module, dtype: str, aliases: dict[str, str]) -> str | None:
    """Why the Triton interpreter cannot judge this kernel, or None. The interpreter stores bf16 as uint16
    (its arithmetic is wrong) and does not emulate TF32, which NVIDIA's `tl.dot` uses for fp32 operands
    unless `input_precision="ieee"` (or `allow_tf32=False`) is given."""
    if dtype == "bfloat16":
        return "bf16 arithmetic cannot be checked by the Triton interpreter on CPU; verify on a GPU."
    line = _type_use(tree, aliases)
    if line:
        return (f"the candidate computes in bf16 (line {line}), whose arithmetic the Triton interpreter does not "
                "emulate; verify on a GPU.")
    line = _type_use(tree, aliases, attributes=_FP8_ATTRIBUTES, constants=())
    if line:
        return (f"the candidate computes in fp8 (line {line}), which the Triton interpreter rounds wrongly (1.95 "
                "cast to float8e4nv gives 1.0 there, 2.0 in PyTorch); verify on a GPU.")
    # a module-level name bound to a triton.language function calls it (`my_dot = tl.dot`), as an import does,
    # in the module's body or a branch of a module-level `if`
    statements, module_level = list(tree.body), []
    while statements:
        node = statements.pop()
        module_level.append(node)
        if isinstance(node, ast.If):
            statements += node.body + node.orelse
    aliases = aliases | {node.targets[0].id: _dotted(node.value, aliases) for node in module_level
                         if isinstance(node, ast.Assign) and len(node.targets) == 1
                         and isinstance(node.targets[0], ast.Name) and isinstance(node.value, (ast.Attribute, ast.Name))
                         and (_dotted(node.value, aliases) or "").startswith("triton.language.")}
    for node in ast.walk(tree):
        name = _dotted(node, aliases) if isinstance(node, (ast.Name, ast.Attribute)) else None
        if name and name.startswith(tuple(f"{module}." for module in _LIBDEVICE_MODULES[:3])):
            return (f"the candidate calls {name} (line {node.lineno}), CUDA's libdevice, which the Triton "
                    "interpreter cannot run; verify on a GPU.")
        called = (_dotted(node.func, aliases) or "") if isinstance(node, ast.Call) else ""
        for extern in ("inline_asm_elementwise", "extern_elementwise"):
            if called == f"triton.language.{extern}" or isinstance(node, ast.Call) \
                    and isinstance(node.func, ast.Attribute) and node.func.attr == extern:
                return f"tl.{extern} cannot run under the Triton interpreter; verify on a GPU."
        if isinstance(node, ast.Call) and (isinstance(node.func, ast.Attribute) and node.func.attr == "dot"
                                           or called == "triton.language.dot"):
            if dtype == "float32" and not _ieee_dot(node):
                return ("tl.dot on fp32 operands without input_precision='ieee' uses TF32 on NVIDIA GPUs, "
                        "which the Triton interpreter does not emulate; verify on a GPU.")
            narrow = _narrow_out_dtype(node, aliases)
            if narrow:
                return (f"tl.dot accumulates in {narrow} (line {node.lineno}), which the Triton interpreter does not "
                        "emulate (it multiplies in numpy's precision): verify on a GPU.")
    return None


def _narrow_out_dtype(node: ast.Call, aliases: dict[str, str]) -> str | None:
    """The `out_dtype` a `tl.dot` call names where it is not fp32 (an fp16 or bf16 accumulator in the tensor
    cores; a name the gate cannot resolve counts too), else None."""
    for keyword in node.keywords:
        if keyword.arg == "out_dtype":
            named = _dotted(keyword.value, aliases) if isinstance(keyword.value, (ast.Name, ast.Attribute)) else None
            if named in ("triton.language.float32", "torch.float32"):
                return None
            return named.rpartition(".")[2] if named else ast.unparse(keyword.value)
    return None


# fp8 types by their triton.language and torch names: casts to them under the interpreter lose the carry
# when rounding up to the next power of two (measured with triton 3.9's interpreter: 123 of 4096 randn values).
_FP8_ATTRIBUTES = frozenset({"float8e4nv", "float8e5", "float8e4b15", "float8e4b8", "float8e5b16",
                             "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu"})


def _type_use(tree: ast.Module, aliases: dict[str, str], *, attributes=frozenset({"bfloat16"}),
              constants=("bf16", "bfloat16")) -> int | None:
    """The line where bf16 (or another of `attributes`, such as the fp8 types) enters the computation,
    following explicit casts rather than guessing: a mention
    inside a kernel other than a dtype comparison (`x.to(tl.bfloat16)`, `tl.zeros(..., tl.bfloat16)`), a
    `.bfloat16()` cast, or bf16 passed as an argument (`.to(torch.bfloat16)`, `dtype=torch.bfloat16`,
    `DTYPE=tl.bfloat16`). Code that only compares dtypes (`x.dtype == torch.bfloat16`, in a launcher or a
    kernel's branch on its input type) does not count."""
    kernels = set(_triton_kernels(tree, aliases))
    compared = {id(operand) for node in ast.walk(tree) if isinstance(node, ast.Compare)
                for operand in [node.left, *node.comparators]
                for operand in ([operand, *operand.elts] if isinstance(operand, (ast.Tuple, ast.List, ast.Set))
                                else [operand])}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in kernels:
            for inner in ast.walk(node):
                if id(inner) in compared:
                    continue
                if isinstance(inner, ast.Attribute) and inner.attr in attributes \
                        or _names_type(inner, aliases, attributes) \
                        or isinstance(inner, ast.Constant) and inner.value in constants:
                    return inner.lineno
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr in attributes:
            return node.lineno
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            if isinstance(arg, ast.Attribute) and arg.attr in attributes or _names_type(arg, aliases, attributes) \
                    or isinstance(arg, ast.Constant) and arg.value in constants:
                return node.lineno
    return None


def _names_type(node: ast.AST, aliases: dict[str, str], attributes) -> bool:
    """One of the types `attributes` names, by a name imported or aliased once at module level (`from torch
    import bfloat16`, `BF16 = tl.bfloat16`, `FP8 = tl.float8e4nv`: `scoping._module_aliases`)."""
    if not (isinstance(node, ast.Name) and node.id in aliases):
        return False
    module, _, name = aliases[node.id].rpartition(".")
    return module in ("torch", "triton.language") and name in attributes


def _ieee_dot(node: ast.Call) -> bool:
    for keyword in node.keywords:
        value = keyword.value
        if keyword.arg == "input_precision" and isinstance(value, ast.Constant) and value.value == "ieee":
            return True
        if keyword.arg == "allow_tf32" and isinstance(value, ast.Constant) and value.value is False:
            return True
    return False
