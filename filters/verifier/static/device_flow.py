"""Device reads that only choose a launch option: where the value of a read of the device (`torch.version.hip`,
`torch.cuda.is_available()`, `x.device.type == "xpu"`) reaches nothing but the `num_warps=` (or another launch
option) of a Triton launch or a `triton.Config`, the candidate computes the same on every device: launch options
change how fast a correct kernel runs, never what it computes, and the CPU interpreter's verdict holds on a GPU.
Liger-Kernel's `calculate_settings` (fewer warps on ROCm) and its `infer_device()` warp choice are this.

`LaunchOptionFlow.harmless(read)` follows the read's value forward, conservatively, through:
- expressions that compute with it (comparisons, `not`, arithmetic, `x if read else y`, `min`/`max`/`int`),
  where what the value may skip (`and`, `or`, the arms of `x if read else y`) calls nothing;
- assignments to plain names (every later load of the name is followed in turn; a module-level name in every
  function that reads it);
- `if read:` statements whose branches only assign plain names (each becomes a read) or return, calling
  nothing on the way (a branch the device chooses must not do anything but choose values), and return only
  from a function that does nothing but choose values (what follows an early return runs on some devices);
- returns from a module-level function (every call of it is followed; a tuple's element only where the call
  is unpacked into names: `BLOCK_SIZE, num_warps = calculate_settings(n)`).
Anything else the value reaches (a kernel argument, a branch that launches or allocates, a call, an attribute,
a container) makes the read count: the candidate's behaviour may then depend on the device.
"""

from __future__ import annotations

import ast

from filters.verifier.static.vocabulary import DEVICE_QUERIES, PURE_HELPER_CALLS

# Launch options: how a kernel is scheduled and compiled, not what it computes.
LAUNCH_OPTIONS = frozenset({"num_warps", "num_stages", "num_ctas", "maxnreg", "waves_per_eu", "matrix_instr_nonkdim",
                            "kpack", "grf_mode"})
_CONFIG_CALLS = frozenset({"triton.Config", "triton.runtime.Config", "triton.runtime.autotuner.Config"})
# Builtins of numbers that pass a value along (a warp count clamped: `min(max(BLOCK // 256, 1), 8)`).
_PURE_CALLS = frozenset({"min", "max", "int", "abs", "bool"})
# Calls that compute nothing but a value: the device queries (filters.verifier.static.vocabulary) and triton's
# size helpers.
_QUERY_CALLS = DEVICE_QUERIES | PURE_HELPER_CALLS
# The most reads, names and calls one question follows before it answers "it counts".
_BUDGET = 400


class _Escapes(Exception):
    """The value reaches something other than a launch option."""


class LaunchOptionFlow:
    def __init__(self, tree: ast.Module, parents: dict, *, launchable: set[str], dotted, is_bound) -> None:
        self.tree = tree
        self.parents = parents
        self.launchable = launchable
        self.dotted = dotted  # the gate's full-path resolver (`_dotted(node, aliases)`)
        self.is_bound = is_bound  # whether a Name is bound by the candidate (a builtin's name rebound)
        self.functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef) and not f.decorator_list}
        self._names: dict[tuple, bool] = {}  # (scope, name) -> answer; True while it is being followed
        self._returns: dict[tuple, bool] = {}  # (function, position) -> answer, the same way
        self._budget = _BUDGET

    def harmless(self, read: ast.AST) -> bool:
        """Whether the value of `read` reaches nothing but launch options."""
        self._budget = _BUDGET
        try:
            return self._value(read)
        except _Escapes:
            return False

    def _spend(self) -> None:
        self._budget -= 1
        if self._budget < 0:
            raise _Escapes

    def _value(self, node: ast.AST) -> bool:
        """Follow the value `node` computes up to the statement or argument that takes it."""
        self._spend()
        while True:
            parent = self.parents.get(node)
            if isinstance(parent, ast.Call) and parent.func is node:  # a query called: its answer
                node = parent
            elif isinstance(parent, (ast.UnaryOp, ast.BinOp)):
                node = parent
            elif isinstance(parent, (ast.Compare, ast.BoolOp, ast.IfExp)):
                # these may skip their other operands on the value (`hip and launch(x)`, `a if hip else f(x)`,
                # chained comparisons): only where skipping them does nothing
                if not all(self._inert(other) for other in ast.iter_child_nodes(parent) if other is not node):
                    return False
                node = parent
            elif isinstance(parent, ast.Call) and node in parent.args and isinstance(parent.func, ast.Name) \
                    and parent.func.id in _PURE_CALLS and not self.is_bound(parent.func):
                node = parent
            else:
                break
        parent = self.parents.get(node)
        if isinstance(parent, ast.keyword) and parent.arg in LAUNCH_OPTIONS:
            return self._is_launch_or_config(self.parents.get(parent))
        if isinstance(parent, ast.Assign) and parent.value is node:
            return all(self._assigned(target, parent) for target in parent.targets)
        if isinstance(parent, ast.If) and parent.test is node:
            return self._branches(parent.body + parent.orelse)
        if isinstance(parent, ast.Return) and parent.value is node:
            return self._returned(parent, None)
        if isinstance(parent, ast.Tuple) and isinstance(self.parents.get(parent), ast.Return):
            return self._returned(self.parents[parent], parent.elts.index(node))
        return False

    def _inert(self, node: ast.AST) -> bool:
        """Whether evaluating `node` or not does nothing: it calls nothing but the number builtins, triton's
        size helpers and the device queries themselves."""
        for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
            func = call.func
            if isinstance(func, ast.Name) and func.id in _PURE_CALLS and not self.is_bound(func):
                continue
            if self.dotted(func) in _QUERY_CALLS:
                continue
            return False
        return not any(isinstance(n, (ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom)) for n in ast.walk(node))

    def _inert_function(self, function: ast.FunctionDef) -> bool:
        """A function that only chooses values: assignments to names, `if`s and returns, calling nothing
        (`_inert`). A branch the device chooses may return from such a function early, since what follows it
        then only chooses values too (`infer_device`); from any other, what follows would run on some devices."""
        def inert(statements: list[ast.stmt]) -> bool:
            for statement in statements:
                if isinstance(statement, ast.Pass) or isinstance(statement, ast.Expr) \
                        and isinstance(statement.value, ast.Constant):
                    continue
                if isinstance(statement, ast.Assign) and all(isinstance(t, ast.Name) for t in statement.targets) \
                        and self._inert(statement.value):
                    continue
                if isinstance(statement, ast.If) and self._inert(statement.test) \
                        and inert(statement.body) and inert(statement.orelse):
                    continue
                if isinstance(statement, ast.Return) and (statement.value is None or self._inert(statement.value)):
                    continue
                return False
            return True

        return inert(function.body)

    def _is_launch_or_config(self, call: ast.AST) -> bool:
        if not isinstance(call, ast.Call):
            return False
        func = call.func
        if isinstance(func, ast.Subscript) and isinstance(func.value, ast.Name) and func.value.id in self.launchable:
            return True
        return self.dotted(func) in _CONFIG_CALLS

    def _branches(self, statements: list[ast.stmt]) -> bool:
        """The statements of a branch a device read chose: each name they assign holds a device-chosen value."""
        for statement in statements:
            self._spend()
            if isinstance(statement, ast.Pass):
                continue
            if isinstance(statement, ast.Assign):
                if not self._inert(statement.value) or \
                        not all(self._assigned(target, statement) for target in statement.targets):
                    return False
            elif isinstance(statement, ast.If):
                if not self._inert(statement.test) or not self._branches(statement.body + statement.orelse):
                    return False
            elif isinstance(statement, ast.Return):
                function = self._scope(statement)
                if statement.value is not None and not self._inert(statement.value) \
                        or not isinstance(function, ast.FunctionDef) or not self._inert_function(function) \
                        or not self._returned(statement, None):
                    return False
            else:
                return False
        return True

    def _assigned(self, target: ast.AST, statement: ast.stmt) -> bool:
        if not isinstance(target, ast.Name) or self._in_class_body(statement):
            return False  # an attribute, or a class attribute (read as `self.name`, which no load names)
        scope = self._scope(statement)
        key = (scope, target.id)
        if key not in self._names:
            self._names[key] = True  # while followed: a name feeding itself adds nothing
            self._names[key] = all(self._value(load) for load in self._loads(scope, target.id))
        return self._names[key]

    def _returned(self, statement: ast.Return, position: int | None) -> bool:
        """A module-level function returns a device-chosen value (or, with `position`, that element of a
        returned tuple): follow every call of it."""
        function = self._scope(statement)
        if not isinstance(function, ast.FunctionDef) or self.functions.get(function.name) is not function:
            return False
        key = (function.name, position)
        if key not in self._returns:
            self._returns[key] = True
            self._returns[key] = all(self._called(use, position) for use in self._loads(self.tree, function.name))
        return self._returns[key]

    def _called(self, use: ast.Name, position: int | None) -> bool:
        call = self.parents.get(use)
        if not (isinstance(call, ast.Call) and call.func is use):
            return False  # the function taken as a value
        if position is None:
            return self._value(call)
        statement = self.parents.get(call)
        if not (isinstance(statement, ast.Assign) and statement.value is call and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Tuple) and position < len(statement.targets[0].elts)):
            return False
        return self._assigned(statement.targets[0].elts[position], statement)

    def _in_class_body(self, node: ast.AST) -> bool:
        parent = self.parents.get(node)
        while parent is not None and not isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if isinstance(parent, ast.ClassDef):
                return True
            parent = self.parents.get(parent)
        return False

    def _scope(self, node: ast.AST) -> ast.AST:
        """The function a statement is in, or the module."""
        function = _enclosing_function(node, self.parents)
        return function if function is not None else self.tree

    def _loads(self, scope: ast.AST, name: str) -> list[ast.Name]:
        """Every load of `name` that may see a binding in `scope`: within it (nested functions included), and
        for the module, anywhere."""
        return [n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id == name
                and not isinstance(n.ctx, ast.Store)]


# -- branches a device test chooses ------------------------------------------------------------------------

def off_gpu_branch(node: ast.AST, parents: dict) -> bool:
    """Whether `node` lies where only a tensor off a GPU takes it: the body of `if not x.is_cuda:` (or
    `x.device.type != "cuda"`, `x.is_cpu`, `x.device.type == "cpu"`), or the `else` of `if x.is_cuda:`, where
    `x` is a parameter of the function the test is in, not rebound above it (a tensor forward was handed, not
    one the candidate moved to the host to take the branch). Kernel libraries' entry points fall back to
    PyTorch there (`if not x.is_cuda: return F.silu(x)`)."""
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.If):
            kind, subjects = _device_test(parent.test)
            if (child in parent.body and kind == "off" or child in parent.orelse and kind == "gpu") \
                    and all(_parameter_as_given(name, parent, parents) for name in subjects):
                return True
        child, parent = parent, parents.get(parent)
    return False


def _enclosing_function(node: ast.AST, parents: dict) -> ast.AST | None:
    """The function (or lambda) `node` is in, or None at module level."""
    parent = parents.get(node)
    while parent is not None and not isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        parent = parents.get(parent)
    return parent


def _parameter_as_given(name: ast.Name, statement: ast.stmt, parents: dict) -> bool:
    """`name` is a parameter of the function `statement` is in, and nothing binds it before `statement`."""
    function = _enclosing_function(statement, parents)
    if function is None:
        return False
    args = function.args  # named parameters only: `*args` and `**kwargs` hold no tensor of their own
    if name.id not in {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}:
        return False
    return not any(isinstance(n, ast.Name) and n.id == name.id and isinstance(n.ctx, (ast.Store, ast.Del))
                   and (n.lineno, n.col_offset) < (statement.lineno, statement.col_offset)
                   for n in ast.walk(function))


def _device_test(test: ast.AST) -> tuple[str | None, list[ast.Name]]:
    """("gpu", subjects) for a test true only for tensors on a CUDA or ROCm GPU, ("off", subjects) for one true
    only off it, else (None, []); the subjects are the names of the tensors it asks about."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        kind, subjects = _device_test(test.operand)
        return {"gpu": "off", "off": "gpu"}.get(kind), subjects
    if isinstance(test, ast.Attribute) and test.attr in ("is_cuda", "is_cpu") and isinstance(test.value, ast.Name):
        return ("gpu" if test.attr == "is_cuda" else "off"), [test.value]
    if isinstance(test, ast.BoolOp):
        tests = [_device_test(value) for value in test.values]
        kinds = [kind for kind, _ in tests]
        subjects = [name for _, names in tests for name in names]
        if isinstance(test.op, ast.And):  # holds only where each operand does
            kind = "gpu" if "gpu" in kinds else "off" if "off" in kinds else None
            return kind, [name for k, names in tests if k == kind for name in names]
        # `or`: only where every operand is of one kind
        return (kinds[0], subjects) if len(set(kinds)) == 1 and kinds[0] is not None else (None, [])
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Eq, ast.NotEq)):
        left, right = test.left, test.comparators[0]
        if isinstance(left, ast.Constant):
            left, right = right, left
        if isinstance(left, ast.Attribute) and left.attr == "type" and isinstance(left.value, ast.Attribute) \
                and left.value.attr == "device" and isinstance(left.value.value, ast.Name) \
                and isinstance(right, ast.Constant) and right.value in ("cuda", "cpu"):
            kind = "gpu" if (right.value == "cuda") == isinstance(test.ops[0], ast.Eq) else "off"
            return kind, [left.value.value]
    return None, []
