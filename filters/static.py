"""The static gate: cheap checks on a candidate's source before anything of it runs.

This is a first filter, not a proof: it rejects what can be seen in the source (no kernel, forbidden
modules, dynamic code, fallbacks, PyTorch doing the work) and leaves the rest to the runtime checks. It
reads the code the way an adversary would write it, so it checks what names resolve to (aliases such as
`import torch.nn.functional as F` or `from torch import matmul as mm`) rather than matching text.

It also decides when the CPU interpreter cannot judge a kernel at all (bf16 arithmetic, TF32 `tl.dot`):
those candidates become `unverified` before a process is spent on them.
"""

from __future__ import annotations

import ast

from kerneldata.core.outcomes import Reason, Verdict

# Top-level modules a candidate may import. Everything else (os, sys, subprocess, ctypes, socket,
# threading, importlib, pickle, ...) is a way out of the sandbox or around the checks.
ALLOWED_MODULES = frozenset({"torch", "triton", "math", "typing", "functools", "__future__"})

# torch functions a launcher needs to allocate and describe tensors; anything else called on the torch
# module (torch.matmul, torch.softmax, torch.nn.functional.*) is PyTorch doing the work.
ALLOWED_TORCH_FUNCTIONS = frozenset({
    "empty", "empty_like", "empty_strided", "zeros", "zeros_like", "full", "full_like", "is_tensor",
    "finfo", "iinfo", "Size", "device", "get_default_dtype", "result_type", "promote_types",
})
ALLOWED_TORCH_SUBMODULE_CALLS = frozenset({
    "nn.Module", "nn.Parameter", "cuda.current_device", "cuda.get_device_properties", "cuda.device_count",
    "cuda.is_available", "version.hip",
})

# Tensor methods that compute what the kernel should. Method names are checked on any receiver, since the
# gate cannot know types; none of them is something a launcher needs.
FORBIDDEN_METHODS = frozenset({
    "sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "prod", "std", "var", "norm",
    "softmax", "log_softmax", "exp", "log", "sigmoid", "tanh", "relu", "gelu", "silu", "sqrt", "rsqrt",
    "matmul", "mm", "bmm", "addmm", "baddbmm", "einsum", "mv", "dot", "cumsum", "cumprod", "logsumexp",
    "abs", "neg", "clamp", "clip", "where", "masked_fill", "pow", "erf", "sort", "topk",
    "add", "sub", "mul", "div", "add_", "sub_", "mul_", "div_", "copy_", "fill_", "scatter", "gather",
    "index_select", "conv1d", "conv2d", "linear",
})
FORBIDDEN_BUILTINS = frozenset({
    "exec", "eval", "compile", "__import__", "open", "globals", "locals", "vars", "getattr", "setattr",
    "delattr", "breakpoint", "memoryview",
})


def static_check(code: str, *, dtype: str, device: str) -> Verdict | None:
    """Return a rejecting (or unverified) verdict, or None when the candidate may go on to run."""
    try:
        tree = ast.parse(code)
    except SyntaxError as err:
        return Verdict.reject(Reason.SYNTAX_ERROR, f"the candidate does not parse: {err.msg} at line {err.lineno}.")

    if not any(isinstance(node, ast.ClassDef) and node.name == "ModelNew" for node in tree.body):
        return Verdict.reject(Reason.NO_MODEL_NEW, "the candidate defines no top-level class ModelNew.")

    aliases = _import_aliases(tree)
    if not _triton_kernels(tree, aliases):
        return Verdict.reject(Reason.NO_TRITON_KERNEL, "the candidate defines no @triton.jit kernel.")

    problem = _forbidden(tree, aliases)
    if problem:
        return Verdict.reject(Reason.FORBIDDEN_CONSTRUCT, problem)

    if device == "cpu":
        limit = _interpreter_limit(tree, dtype)
        if limit:
            return Verdict.unverified(Reason.INTERPRETER_LIMIT, limit)
    return None


def _import_aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted name it refers to (`F` -> `torch.nn.functional`, `mm` -> `torch.matmul`)."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                aliases[local] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """The dotted name an expression like `F.gelu` or `torch.nn.functional.gelu` resolves to."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(aliases.get(node.id, node.id))
    return ".".join(reversed(parts))


def _triton_kernels(tree: ast.Module, aliases: dict[str, str]) -> list[str]:
    kernels = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                if _dotted(target, aliases) in ("triton.jit", "triton.runtime.jit.jit"):
                    kernels.append(node.name)
    return kernels


def _forbidden(tree: ast.Module, aliases: dict[str, str]) -> str | None:
    # Tensor methods such as x.sum() are the work itself inside a Triton kernel, and allowed there.
    kernel_names = set(_triton_kernels(tree, aliases))
    in_kernel = {id(inner) for node in tree.body
                 if isinstance(node, ast.FunctionDef) and node.name in kernel_names for inner in ast.walk(node)}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or "."]
            for name in names:
                if name.split(".")[0] not in ALLOWED_MODULES or (isinstance(node, ast.ImportFrom) and node.level):
                    return f"the candidate imports {name!r}, which kernels may not use."
        elif isinstance(node, (ast.Try, ast.ExceptHandler)) or type(node).__name__ == "TryStar":
            return f"the candidate uses try/except (line {node.lineno}), the shape of a fallback to PyTorch."
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            return f"the candidate uses {type(node).__name__.lower()} state (line {node.lineno})."
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            return f"the candidate uses the @ operator (line {node.lineno}): PyTorch doing the work."
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_BUILTINS:
            return f"the candidate uses {node.id}() (line {node.lineno}), which kernels may not use."
        elif isinstance(node, ast.Attribute) and node.attr.startswith("__") and node.attr != "__init__":
            return f"the candidate reaches into {node.attr} (line {node.lineno}), a way around the checks."
        elif isinstance(node, ast.Call):
            problem = _forbidden_call(node, aliases, inside_kernel=id(node) in in_kernel)
            if problem:
                return problem
    return None


def _forbidden_call(node: ast.Call, aliases: dict[str, str], *, inside_kernel: bool) -> str | None:
    name = _dotted(node.func, aliases)
    if name and name.startswith("torch."):
        rest = name[len("torch."):]
        if "." in rest:
            if rest not in ALLOWED_TORCH_SUBMODULE_CALLS:
                return f"the candidate calls {name} (line {node.lineno}): PyTorch doing the work."
        elif rest not in ALLOWED_TORCH_FUNCTIONS:
            return f"the candidate calls {name} (line {node.lineno}): PyTorch doing the work."
    if isinstance(node.func, ast.Attribute) and node.func.attr in FORBIDDEN_METHODS and not inside_kernel:
        receiver = _dotted(node.func.value, aliases) or ""
        if not receiver.startswith("triton"):
            return f"the candidate calls .{node.func.attr}() (line {node.lineno}) outside a Triton kernel."
    return None


def _interpreter_limit(tree: ast.Module, dtype: str) -> str | None:
    """Why the Triton interpreter cannot judge this kernel, or None. The interpreter stores bf16 as uint16
    (its arithmetic is wrong) and does not emulate TF32, which NVIDIA's `tl.dot` uses for fp32 operands
    unless `input_precision="ieee"` (or `allow_tf32=False`) is given."""
    if dtype == "bfloat16":
        return "bf16 arithmetic cannot be checked by the Triton interpreter on CPU; verify on a GPU."
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("inline_asm_elementwise", "extern_elementwise"):
                return f"tl.{node.func.attr} cannot run under the Triton interpreter; verify on a GPU."
            if node.func.attr == "dot" and dtype == "float32" and not _ieee_dot(node):
                return ("tl.dot on fp32 operands without input_precision='ieee' uses TF32 on NVIDIA GPUs, "
                        "which the Triton interpreter does not emulate; verify on a GPU.")
    return None


def _ieee_dot(node: ast.Call) -> bool:
    for keyword in node.keywords:
        value = keyword.value
        if keyword.arg == "input_precision" and isinstance(value, ast.Constant) and value.value == "ieee":
            return True
        if keyword.arg == "allow_tf32" and isinstance(value, ast.Constant) and value.value is False:
            return True
    return False
