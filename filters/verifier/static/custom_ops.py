"""Custom operators a candidate may register: the way PyTorch (>= 2.6) asks Triton kernels to be written so
torch.compile and export see through them, which torchao, vLLM and SGLang follow.

    @torch.library.triton_op("mylib::relu", mutates_args={})   # or torch.library.custom_op(...)
    def relu(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        wrap_triton(relu_kernel)[grid](x, out, n, BLOCK=1024)
        return out

    @relu.register_fake                                       # its shapes, for tracing: never run here
    def _(x):
        return torch.empty_like(x)

What the gate allows of `torch.library` is that and nothing else:
- the decorator on a module-level function, given the operator's name as a literal `namespace::name` outside
  PyTorch's own namespaces, and `mutates_args` (a literal) as its only keyword;
- `<op>.register_fake` as the decorator of another module-level function;
- `wrap_triton(kernel)[grid](...)` where `kernel` is one of the candidate's kernels: in eager mode it launches
  the kernel as `kernel[grid](...)` does, and the gate reads it so (`unwrap_triton_launches`).
The operator's body is candidate code, checked like any other function. At run time the sandboxed child runs
it under the provenance recorder when forward calls the operator (`filters.verifier.provenance`), so its
allocations, copies and launches are seen as if forward called the function itself; the registration is
removed when the candidate is unloaded.
"""

from __future__ import annotations

import ast
import re

from filters.verifier.static.scoping import _dotted
from filters.verifier.static.vocabulary import CUSTOM_OP_DECORATORS, WRAP_TRITON

_OP_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*::[A-Za-z_][A-Za-z0-9_]*")
# Namespaces of PyTorch's own operators: an operator registered there would stand in for one of them.
_RESERVED_NAMESPACES = frozenset({"aten", "prim", "prims", "torch", "quantized", "c10d", "_c10d_functional",
                                  "inductor", "higher_order", "profiler", "_quantized", "rngprims", "debugprims",
                                  "mkldnn", "xla", "triton", "fsdp", "_test", "_dtensor"})
# `device_types` would register the function for some devices only (where the dispatcher then finds no
# kernel, the child's recorder would still run it), `schema` a signature other than the function's own.
_LITERAL_KEYWORDS = frozenset({"mutates_args"})


def unwrap_triton_launches(tree: ast.Module, aliases: dict[str, str], kernels: set[str]) -> None:
    """Read `wrap_triton(k)[grid](...)` as `k[grid](...)` (in place) where `k` names one of the candidate's
    kernels: the same launch. Any other use of `wrap_triton` stays, for the vocabulary to refuse."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Subscript):
            wrapped = node.func.value
            if isinstance(wrapped, ast.Call) and _dotted(wrapped.func, aliases) == WRAP_TRITON \
                    and len(wrapped.args) == 1 and not wrapped.keywords \
                    and isinstance(wrapped.args[0], ast.Name) and wrapped.args[0].id in kernels:
                node.func.value = ast.copy_location(ast.Name(id=wrapped.args[0].id, ctx=ast.Load()), wrapped)


def custom_op_decorator(dec: ast.AST, holder: ast.AST, module: ast.Module, aliases: dict[str, str]) -> bool:
    """Whether `dec` is an allowed custom-operator decorator of `holder` (see the module docstring)."""
    if not (isinstance(dec, ast.Call) and _dotted(dec.func, aliases) in CUSTOM_OP_DECORATORS
            and isinstance(holder, ast.FunctionDef) and holder in module.body and dec in holder.decorator_list):
        return False
    if len(dec.args) != 1 or not isinstance(dec.args[0], ast.Constant) or not isinstance(dec.args[0].value, str):
        return False
    name = dec.args[0].value
    if not _OP_NAME.fullmatch(name) or name.split("::")[0] in _RESERVED_NAMESPACES:
        return False
    for keyword in dec.keywords:
        if keyword.arg not in _LITERAL_KEYWORDS:
            return False
        try:
            ast.literal_eval(keyword.value)
        except ValueError:
            return False
    return True


def custom_op_functions(module: ast.Module, aliases: dict[str, str]) -> set[str]:
    """Module-level functions that an allowed decorator makes custom operators."""
    return {fn.name for fn in module.body if isinstance(fn, ast.FunctionDef) and len(fn.decorator_list) == 1
            and custom_op_decorator(fn.decorator_list[0], fn, module, aliases)}


def fake_registration(dec: ast.AST, holder: ast.AST, module: ast.Module, ops: set[str]) -> bool:
    """`@op.register_fake` alone on a module-level function, `op` one of the candidate's custom operators."""
    return isinstance(dec, ast.Attribute) and dec.attr == "register_fake" and isinstance(dec.value, ast.Name) \
        and dec.value.id in ops and isinstance(holder, ast.FunctionDef) and holder in module.body \
        and holder.decorator_list == [dec]
