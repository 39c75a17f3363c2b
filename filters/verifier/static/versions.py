"""How honest files find out which Triton (or torch) they run on, and where its libdevice lives, which the
gate allows in these shapes and no others:

- Liger-Kernel's `compare_version("triton", operator.ge, "3.0.0")`, its helper written out in files made
  self-contained: `pkg = importlib.import_module(package)` read only as `pkg.__version__`, parsed by
  `packaging.version.Version`; `importlib.metadata.version("triton")` likewise. The name asked for is a
  literal "torch" or "triton", or a parameter of a module-level helper every call of which passes one
  (`version_queries`). Any other `importlib.import_module` is an import the gate never saw: `dynamic_code`.
- the guard NGC containers need, `try: from triton.language.extra.libdevice import rsqrt` /
  `except ModuleNotFoundError: from triton.language.extra.cuda.libdevice import rsqrt`: a `try` whose body
  only imports (or asks a version) and whose handlers catch only ImportError or ModuleNotFoundError and only
  import, pass, bind constants, return a constant or raise (`import_guard`). The imports themselves are
  checked like any other, so what such a `try` can tell is whether an allowed module imports, the same in
  the sandbox as in a user's process. Every other `try` is still the shape of a fallback to PyTorch.
"""

from __future__ import annotations

import ast

from filters.verifier.static.scoping import _dotted, definitions_of
from filters.verifier.static.vocabulary import METADATA_VERSION, VERSION_CALLS, VERSIONED_PACKAGES

IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})


def version_queries(tree: ast.Module, parents: dict, aliases: dict[str, str]) -> tuple[set, set]:
    """The calls of `importlib.import_module` / `importlib.metadata.version` that only ask for the version of
    torch or triton, and the `.__version__` reads of the modules the former bind (the only use allowed)."""
    calls, reads = set(), set()
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    for node in ast.walk(tree):
        called = _dotted(node.func, aliases) if isinstance(node, ast.Call) else None
        if called not in VERSION_CALLS:
            continue
        if node.keywords or len(node.args) != 1 \
                or not _names_a_versioned_package(node.args[0], node, tree, parents, functions):
            continue
        if called == METADATA_VERSION:  # a string
            calls.add(node)
            continue
        module_reads = _version_reads(node, tree, parents)
        if module_reads is not None:
            calls.add(node)
            reads |= module_reads
    return calls, reads


def import_guard(node: ast.Try, version_calls: set, is_builtin) -> bool:
    """Whether a `try` only guards imports (see the module docstring). `is_builtin(name_node)`: the name is
    Python's builtin, not a binding of the candidate's."""
    if node.finalbody or not node.handlers:
        return False
    if not all(_imports_or_asks(s, version_calls) for s in [*node.body, *node.orelse]):
        return False
    for handler in node.handlers:
        caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if handler.name is not None or not caught or not all(
                isinstance(c, ast.Name) and c.id in IMPORT_ERRORS and is_builtin(c) for c in caught):
            return False
        if not all(_handler_statement(s) for s in handler.body):
            return False
    return True


def _imports_or_asks(stmt: ast.stmt, version_calls: set) -> bool:
    return isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Pass)) or isinstance(stmt, ast.Assign) \
        and stmt.value in version_calls and all(isinstance(t, ast.Name) for t in stmt.targets)


def _handler_statement(stmt: ast.stmt) -> bool:
    """What an import guard's handler may do: import another path, pass, bind or return a constant, raise."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Pass, ast.Raise)):
        return True
    if isinstance(stmt, ast.Return):
        return stmt.value is None or isinstance(stmt.value, ast.Constant)
    return isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant) \
        and all(isinstance(t, ast.Name) for t in stmt.targets)


def _enclosing_function(node: ast.AST, parents: dict) -> ast.AST | None:
    while node in parents:
        node = parents[node]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return node
    return None


def _names_a_versioned_package(arg: ast.expr, call: ast.Call, tree: ast.Module, parents: dict,
                               functions: dict) -> bool:
    """A literal "torch" or "triton", or a parameter of the module-level helper around `call` that nothing
    rebinds, whose name is only ever called, every call passing (or defaulting to) such a literal."""
    if _versioned_literal(arg):
        return True
    fn = _enclosing_function(call, parents)
    if not isinstance(arg, ast.Name) or not isinstance(fn, ast.FunctionDef) or fn not in tree.body:
        return False
    positional = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
    keyword_only = [a.arg for a in fn.args.kwonlyargs]
    if arg.id not in positional + keyword_only or any(
            isinstance(n, ast.Name) and n.id == arg.id and not isinstance(n.ctx, ast.Load)
            or isinstance(n, (ast.Global, ast.Nonlocal)) and arg.id in n.names
            for n in ast.walk(fn) if n is not fn):
        return False
    if definitions_of(tree, fn.name) != 1:
        return False
    default = _default(fn, arg.id)
    for use in (n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == fn.name):
        site = parents.get(use)
        if not (isinstance(site, ast.Call) and site.func is use):
            return False  # the helper handed on as a value: its calls are not all in sight
        if any(isinstance(a, ast.Starred) for a in site.args) or any(k.arg is None for k in site.keywords):
            return False
        passed = [k.value for k in site.keywords if k.arg == arg.id]
        if arg.id in positional and positional.index(arg.id) < len(site.args):
            passed.append(site.args[positional.index(arg.id)])
        if not passed and default is None or not all(_versioned_literal(v) for v in passed or [default]):
            return False
    return True


def _default(fn: ast.FunctionDef, name: str) -> ast.expr | None:
    positional = [*fn.args.posonlyargs, *fn.args.args]
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(fn.args.defaults):]], fn.args.defaults))
    defaults.update({a.arg: d for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is not None})
    return defaults.get(name)


def _versioned_literal(value: ast.expr | None) -> bool:
    return isinstance(value, ast.Constant) and value.value in VERSIONED_PACKAGES


def _version_reads(call: ast.Call, tree: ast.Module, parents: dict) -> set | None:
    """The `.__version__` reads of the name `pkg = importlib.import_module(...)` binds, where that binding is
    the name's only one in its scope and reading the version its only use; otherwise None."""
    assign = parents.get(call)
    if not (isinstance(assign, ast.Assign) and assign.value is call and len(assign.targets) == 1
            and isinstance(assign.targets[0], ast.Name)):
        return None
    name = assign.targets[0].id
    scope = _enclosing_function(call, parents) or tree
    reads = set()
    for node in ast.walk(scope):
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return None
        if not isinstance(node, ast.Name) or node.id != name or node is assign.targets[0]:
            continue
        attribute = parents.get(node)
        if not (isinstance(node.ctx, ast.Load) and isinstance(attribute, ast.Attribute)
                and attribute.value is node and attribute.attr == "__version__"
                and isinstance(attribute.ctx, ast.Load)):
            return None
        reads.add(attribute)
    return reads
