"""Kernels compiled ahead of their launch: the occupancy idiom of Triton's fused-softmax tutorial.

    kernel = softmax_kernel.warmup(y, x, n_cols, BLOCK_SIZE=BLOCK_SIZE, num_warps=8, grid=(1,))
    kernel._init_handles()
    occupancy = NUM_REGS // (kernel.n_regs * WARP_SIZE * 8)     # and kernel.metadata.shared
    kernel[(num_programs, 1, 1)](y, x, n_cols, BLOCK_SIZE)

`warmup` compiles the kernel for those arguments without running it and returns the compiled kernel;
`_init_handles()` loads it on the device; `n_regs`, `n_spills` and `metadata.<field>` describe it; indexing it
with a grid and calling the result launches it. What the gate allows of a compiled kernel is that and nothing
else, and `read_compiled_launches` rewrites the tree (in place) so the gate reads it as what it does:
- a local of one function, bound once, by `<kernel>.warmup(..., grid=<grid>)` as a statement of its own, where
  `<kernel>` is a module-level kernel with `@triton.jit` as its only decorator: read as the launch
  `<kernel>[<grid>](...)`, so its arguments are checked as a launch's;
- `<local>._init_handles()` as a statement: read as `pass`;
- `<local>.n_regs`, `.n_spills`, `.n_max_threads`, `.metadata.<field>` for the fields in COMPILED_METADATA:
  read as a number;
- `<local>[<grid>](<arguments>)` with positional arguments only (a `stream=` keyword would launch it on a stream
  of the candidate's choosing): read as `<kernel>[<grid>](<arguments>)`.
A local used in any other way is left as written, for the vocabulary to refuse: a compiled kernel's `run`,
`function`, `module` and `asm` reach Triton's raw launcher, the device's handle of the code and the machine code.
At run time the sandboxed child counts and records a compiled kernel's launches as it does a jit kernel's
(`sandbox_child._install_launch_counter`); the CPU interpreter compiles nothing, so on CPU such a candidate
is `interpreter_limit` (`gpu_only` lines).
"""

from __future__ import annotations

import ast

from filters.verifier.static.scoping import _dotted, _scope_nodes

COMPILED_NUMBERS = frozenset({"n_regs", "n_spills", "n_max_threads"})
COMPILED_METADATA = frozenset({"shared", "num_warps", "num_stages", "num_ctas"})
_JIT = ("triton.jit", "triton.runtime.jit.jit")


def read_compiled_launches(tree: ast.Module, aliases: dict[str, str]) -> list[int]:
    """Rewrite each allowed compiled-kernel local as described in the module docstring; return the lines of
    the `warmup` calls read as launches (each needs a GPU)."""
    plain = {fn.name for fn in tree.body if isinstance(fn, ast.FunctionDef) and len(fn.decorator_list) == 1
             and _dotted(_decorator_target(fn.decorator_list[0]), aliases) in _JIT}
    lines = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or fn.name in plain:
            continue
        for statement in list(_scope_nodes(fn)):  # its own scope: a nested function's local is not fn's
            warmed = _warmup_assignment(statement, plain)
            if warmed is not None and _rewrite_uses(fn, statement, *warmed):
                lines.append(statement.lineno)
    return lines


def _decorator_target(dec: ast.expr) -> ast.expr:
    return dec.func if isinstance(dec, ast.Call) else dec


def _warmup_assignment(node: ast.AST, kernels: set[str]) -> tuple[str, str, ast.Call] | None:
    """(local, kernel, warmup call) for `local = kernel.warmup(..., grid=...)`."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
        return None
    call = node.value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "warmup"
            and isinstance(call.func.value, ast.Name) and call.func.value.id in kernels):
        return None
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords) \
            or [k.arg for k in call.keywords].count("grid") != 1:
        return None
    return node.targets[0].id, call.func.value.id, call


def _rewrite_uses(fn: ast.AST, assignment: ast.Assign, local: str, kernel: str, call: ast.Call) -> bool:
    """Rewrite the local's uses in `fn` if every one of them is an allowed form; else change nothing."""
    parents = {child: parent for parent in ast.walk(fn) for child in ast.iter_child_nodes(parent)}
    if local in [a.arg for a in ast.walk(fn) if isinstance(a, ast.arg)] or any(
            isinstance(n, (ast.Global, ast.Nonlocal)) and local in n.names for n in ast.walk(fn)):
        return False
    edits = []
    for name in (n for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id == local):
        if name is assignment.targets[0]:
            continue
        edit = _allowed_use(name, parents, kernel)
        if edit is None:
            return False
        edits.append(edit)
    for replace in edits:
        replace()
    grid = next(k.value for k in call.keywords if k.arg == "grid")
    launch = ast.Call(func=ast.Subscript(value=ast.Name(id=kernel, ctx=ast.Load()), slice=grid, ctx=ast.Load()),
                      args=call.args, keywords=[k for k in call.keywords if k.arg != "grid"])
    _replace(parents, assignment, ast.Expr(value=launch))
    return True


def _allowed_use(name: ast.Name, parents: dict, kernel: str):
    """A function that rewrites this use of the local, or None where the use is not an allowed form."""
    if not isinstance(name.ctx, ast.Load):
        return None  # bound again (or deleted): not the one compiled kernel
    parent = parents.get(name)
    if isinstance(parent, ast.Attribute) and parent.value is name:
        holder = parents.get(parent)
        if parent.attr == "_init_handles" and isinstance(holder, ast.Call) and holder.func is parent \
                and not holder.args and not holder.keywords and isinstance(parents.get(holder), ast.Expr):
            return lambda: _replace(parents, parents[holder], ast.Pass())
        if parent.attr in COMPILED_NUMBERS and isinstance(parent.ctx, ast.Load):  # read, never set or deleted
            return lambda: _replace(parents, parent, ast.Constant(value=1))
        if parent.attr == "metadata" and isinstance(holder, ast.Attribute) and holder.value is parent \
                and holder.attr in COMPILED_METADATA and isinstance(holder.ctx, ast.Load):
            return lambda: _replace(parents, holder, ast.Constant(value=1))
        return None
    if isinstance(parent, ast.Subscript) and parent.value is name:
        launch = parents.get(parent)
        if isinstance(launch, ast.Call) and launch.func is parent and not launch.keywords \
                and not any(isinstance(a, ast.Starred) for a in launch.args):
            return lambda: setattr(parent, "value", ast.Name(id=kernel, ctx=ast.Load()))
    return None


def _replace(parents: dict, old: ast.AST, new: ast.AST) -> None:
    """Put `new` where `old` is in its parent (a field or a list entry), keeping `old`'s position."""
    ast.copy_location(new, old)
    parent = parents[old]
    for field, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
        elif isinstance(value, list) and any(v is old for v in value):
            value[next(i for i, v in enumerate(value) if v is old)] = new
    parents[new] = parent
