"""How the gate reads names: import aliases, dotted chains, and Python's scoping (which binding a name
refers to, so a parameter named `input` is not the builtin)."""

from __future__ import annotations

import ast

from filters.verifier.static.vocabulary import _CHECKED_ROOTS, _FUNCTIONS, _importable


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


def _module_aliases(tree: ast.Module, aliases: dict[str, str]) -> dict[str, str]:
    """Module-level names bound once, and nowhere else, to a dotted path an import could name
    (`empty_like = torch.empty_like`, `cdiv = triton.cdiv`, FlagGems' `torch_device_fn = torch.cuda`): the
    same as `from torch import empty_like` or `import torch.cuda as torch_device_fn`, so the gate reads every
    use by the full path, under the same rules. A name bound anywhere else (rebound, a parameter, a local, a
    loop or comprehension variable, global, del), bound inside an `if`, or bound to a path no import may
    name, is no alias."""
    stores, imported = _binding_counts(tree), set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imported.update((a.asname or a.name).split(".")[0] for a in node.names)
            for a in node.names:  # imports count as bindings in _binding_counts; here they are the module's
                stores[(a.asname or a.name).split(".")[0]] -= 1
    found: dict[str, str] = {}
    for node in tree.body:  # in order: an alias may start from an earlier one (`dev = cuda.device`)
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, (ast.Name, ast.Attribute))):
            continue
        name, root = node.targets[0].id, node.value
        while isinstance(root, ast.Attribute):
            root = root.value
        path = _dotted(node.value, {**aliases, **found})
        root_fixed = isinstance(root, ast.Name) and (
            root.id in found or root.id in aliases and root.id in imported and not stores.get(root.id))
        if path and root_fixed and stores.get(name) == 1 and name not in imported \
                and not (name.startswith("__") and name.endswith("__")) \
                and path.split(".")[0] in _CHECKED_ROOTS and _importable(path):
            found[name] = path
    return found


def _binding_counts(tree: ast.Module) -> dict[str, int]:
    """How many times each name is bound anywhere in the module, in any scope: assignments and deletions,
    definitions, parameters, imports, except and match captures; a global or nonlocal counts twice."""
    counts: dict[str, int] = {}
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names = [node.id]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, ast.arg):
            names = [node.arg]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [(a.asname or a.name).split(".")[0] for a in node.names]
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names = list(node.names) * 2
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names = [node.name]
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names = [node.name]
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names = [node.rest]
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    return counts


def definitions_of(tree: ast.Module, name: str) -> int:
    """How many times the module binds `name` by a def or class, an assignment or deletion, or an import
    (parameters and global statements aside: `_binding_counts` counts those too). One: the name is what its
    single definition says, wherever it is used."""
    return sum(1 for n in ast.walk(tree)
               if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == name
               or isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)
               or isinstance(n, ast.alias) and (n.asname or n.name).split(".")[0] == name)


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


def _root_name(node: ast.AST) -> ast.Name | None:
    """`self` in `self.cache[key].items`, `CACHE` in `CACHE[k]`: the name an access path starts from."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call, ast.Starred)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node if isinstance(node, ast.Name) else None


def _is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _params(fn: ast.AST) -> list[ast.arg]:
    args = fn.args
    return [*args.posonlyargs, *args.args, *([args.vararg] if args.vararg else []), *args.kwonlyargs,
            *([args.kwarg] if args.kwarg else [])]


def _param_defaults(fn: ast.AST) -> dict[str, ast.AST]:
    """Each parameter with a default, by name: its default's expression."""
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults))
    defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    return defaults


def _scope_nodes(scope: ast.AST):
    """Every node of a function (or module) body, without descending into nested functions or classes
    (their bodies are scopes of their own); the nested definitions themselves are yielded."""
    body = [scope.body] if isinstance(scope, ast.Lambda) else scope.body
    stack = list(reversed(body)) if isinstance(body, list) else [body]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _bound_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for elt in target.elts for name in _bound_names(elt)]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    return []


def _flatten_targets(target: ast.AST):
    if isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from _flatten_targets(elt)
    elif isinstance(target, ast.Starred):
        yield from _flatten_targets(target.value)
    else:
        yield target


def _is_device(expr: ast.AST) -> bool:
    """`x.device`, `out.device`, `torch.device(...)`: a device value, whose kind tells CPU from GPU."""
    return isinstance(expr, ast.Attribute) and expr.attr == "device" or isinstance(expr, ast.Call) \
        and isinstance(expr.func, ast.Attribute) and expr.func.attr == "device" \
        and isinstance(expr.func.value, ast.Name) and expr.func.value.id == "torch"


class _Bindings:
    """Python's scoping, enough to tell a builtin from the candidate's own name: a parameter or local named
    `input`, `type` or `sum` is not the builtin. Function, lambda and comprehension scopes see their own
    bindings, their enclosing functions' and the module's; a class body's bindings are seen by the class
    body only (not by its methods), as in Python."""

    _SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
               ast.DictComp, ast.GeneratorExp)

    def __init__(self, tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> None:
        self.tree = tree
        self.parents = parents
        self.bound: dict[ast.AST, set[str]] = {}
        self.other: dict[ast.AST, set[str]] = {}  # bound otherwise than by an import
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, *self._SCOPES)):
                self.bound[node] = set()
                self.other[node] = set()
        for node in ast.walk(tree):
            for scope, names in self._binds(node):
                self.bound[scope].update(names)
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    self.other[scope].update(names)

    def _scope_of(self, node: ast.AST) -> ast.AST:
        """The scope a node is evaluated in: defaults, decorators, annotations and class bases belong to the
        enclosing scope, and so does a comprehension's first iterable (`def f(e=eval)` names the builtin)."""
        grandchild, child, parent = None, node, self.parents.get(node)
        while parent is not None:
            if isinstance(parent, ast.Module):
                return parent
            if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and child in parent.body:
                return parent
            if isinstance(parent, ast.Lambda) and child is parent.body:
                return parent
            if isinstance(parent, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)) and not (
                    child is parent.generators[0] and grandchild is parent.generators[0].iter):
                return parent
            grandchild, child, parent = child, parent, self.parents.get(parent)
        return self.tree

    def _binds(self, node: ast.AST):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield self._scope_of(node), {node.name}
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield node, {a.arg for a in _params(node)}
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            scope = self._scope_of(node)
            if isinstance(self.parents.get(node), ast.NamedExpr):
                # `[(n := v) for v in vs]` binds n in the enclosing function, not in the comprehension
                while isinstance(scope, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                    scope = self._scope_of(scope)
            yield scope, {node.id}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            yield self._scope_of(node), {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            yield self._scope_of(node), {node.name}
        elif isinstance(node, ast.comprehension):
            # the first iterable is evaluated outside; the targets are the comprehension's own
            yield self.parents[node], set(_bound_names(node.target))
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            yield self._scope_of(node), set(node.names)

    def binding_scope(self, name: ast.Name) -> ast.AST | None:
        """The scope whose binding `name` refers to (the module for a global), or None for a builtin."""
        scope, first = self._scope_of(name), True
        while scope is not None:
            if (first or not isinstance(scope, ast.ClassDef)) and name.id in self.bound.get(scope, ()):
                return scope
            if isinstance(scope, ast.Module):
                return None
            first, scope = False, self._scope_of(scope)
        return None

    def is_bound(self, name: ast.Name, *, imports: bool = True) -> bool:
        """Whether `name` refers to a binding of the candidate (a parameter, local, global or, unless
        `imports` is false, an import)."""
        scope = self._scope_of(name)
        first = True
        while scope is not None:
            if (first or not isinstance(scope, ast.ClassDef)) and name.id in self.bound.get(scope, ()):
                return imports or name.id in self.other[scope]
            if isinstance(scope, ast.Module):
                return False
            first = False
            scope = self._scope_of(scope)
        return False
