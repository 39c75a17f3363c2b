"""The gate's small type inference: which expressions of host code hold tensors."""

from __future__ import annotations

import ast
from collections import Counter
from typing import TYPE_CHECKING

from filters.verifier.static.scoping import _bound_names, _dotted, _params, _scope_nodes
from filters.verifier.static.vocabulary import (
    _FUNCTIONS, _is_nn_layer, _NON_TENSOR_ANNOTATIONS, _NON_TENSOR_ATTRS, _SCALAR_TENSOR_METHODS,
    _TENSOR_ALLOCATORS, _TENSOR_SAFE_BUILTINS, LAYER_HYPERPARAMETERS,
)

# torch functions that answer a question about a tensor (or the mode) with a bool, dtype, shape or record:
# `if torch.is_floating_point(x):` tests that answer, not the tensor's values.
_TORCH_QUERIES = frozenset({
    "torch.is_tensor", "torch.is_floating_point", "torch.is_complex", "torch.is_grad_enabled",
    "torch.is_inference_mode_enabled", "torch.is_autocast_enabled", "torch.result_type", "torch.promote_types",
    "torch.finfo", "torch.iinfo", "torch.broadcast_shapes", "torch.get_autocast_dtype",
    "torch.get_autocast_gpu_dtype", "torch.get_default_dtype",
})

if TYPE_CHECKING:  # the gate builds the inference and passes itself in
    from filters.verifier.static.gate import _Ctx, _Gate


class _TensorTypes:
    """Which expressions of host code hold tensors: forward's inputs, what torch allocates, views of those,
    self attributes assigned them, and what flows through the candidate's own functions and lambdas (their
    parameters when a call passes a tensor, their result when they return one). Flow-insensitive, iterated
    to a fixed point; containers holding a tensor count as tensors."""

    def __init__(self, gate: _Gate) -> None:
        self.gate = gate
        tree = gate.tree
        kernels = {n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in gate.kernels}
        self.scopes: list[ast.AST] = [tree] + [n for n in ast.walk(tree) if isinstance(n, _FUNCTIONS)
                                               and n not in kernels and not self._inside(n, kernels)]
        self.enclosing: dict[ast.AST, ast.AST | None] = {}
        self.class_of: dict[ast.AST, ast.ClassDef | None] = {}
        for scope in self.scopes:
            parent = gate.parents.get(scope)
            cls = None
            while parent is not None and not isinstance(parent, (*_FUNCTIONS, ast.Module)):
                if isinstance(parent, ast.ClassDef) and cls is None:
                    cls = parent
                parent = gate.parents.get(parent)
            self.enclosing[scope] = parent
            self.class_of[scope] = cls if cls is not None else self.class_of.get(parent)
        self.by_name: dict[str, list[ast.AST]] = {}
        for node in tree.body:  # a class of the candidate: calling it runs its __init__
            if isinstance(node, ast.ClassDef):
                self.by_name[node.name] = [n for n in node.body if isinstance(n, ast.FunctionDef)
                                           and n.name == "__init__"]
        for scope in self.scopes:
            if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) and not isinstance(
                    gate.parents.get(scope), ast.ClassDef):
                self.by_name.setdefault(scope.name, []).append(scope)
            elif isinstance(scope, ast.Lambda):
                parent = gate.parents.get(scope)
                if isinstance(parent, ast.Assign):
                    for target in parent.targets:
                        for name in _bound_names(target):
                            self.by_name.setdefault(name, []).append(scope)
        self.tensors: dict[ast.AST, set[str]] = {scope: self._seed(scope) for scope in self.scopes}
        self.returns: set[ast.AST] = set()
        self.self_attrs: dict[ast.ClassDef | None, set[str]] = {}
        self.submodules: dict[ast.ClassDef | None, set[str]] = {}
        # which torch layer each submodule is, where built from no tensor (its hyperparameters stay numbers)
        self.layer_of: dict[ast.ClassDef | None, dict[str, str | None]] = {}
        self.attr_stores = Counter(n.attr for n in ast.walk(tree)
                                   if isinstance(n, ast.Attribute) and isinstance(n.ctx, (ast.Store, ast.Del)))
        for _ in range(20):
            before = (sum(map(len, self.tensors.values())), len(self.returns),
                      sum(map(len, self.self_attrs.values())), sum(map(len, self.submodules.values())),
                      sum(list(m.values()).count(None) for m in self.layer_of.values()))
            for scope in self.scopes:
                self._scan(scope)
            after = (sum(map(len, self.tensors.values())), len(self.returns),
                     sum(map(len, self.self_attrs.values())), sum(map(len, self.submodules.values())),
                     sum(list(m.values()).count(None) for m in self.layer_of.values()))
            if after == before:
                break

    def _inside(self, node: ast.AST, kernels: set) -> bool:
        parent = self.gate.parents.get(node)
        while parent is not None:
            if parent in kernels:
                return True
            parent = self.gate.parents.get(parent)
        return False

    def _seed(self, scope: ast.AST) -> set[str]:
        if isinstance(scope, ast.Module):
            return set()
        params = _params(scope)
        seeded = set()
        is_forward = isinstance(scope, ast.FunctionDef) and scope.name == "forward" and isinstance(
            self.gate.parents.get(scope), ast.ClassDef)
        for index, arg in enumerate(params):
            annotation = _dotted(arg.annotation, self.gate.aliases) if arg.annotation is not None else None
            if annotation == "torch.Tensor":
                seeded.add(arg.arg)
            elif is_forward and index > 0 and (annotation is None or annotation not in _NON_TENSOR_ANNOTATIONS):
                seeded.add(arg.arg)
        return seeded

    def env(self, scope: ast.AST | None) -> set[str]:
        """Tensor names visible in a scope: its own, and its enclosing functions' unless shadowed."""
        scope = self.gate.tree if scope is None else scope
        names = set(self.tensors.get(scope, ()))
        own = {a.arg for a in _params(scope)} if not isinstance(scope, ast.Module) else set()
        parent = self.enclosing.get(scope)
        while parent is not None:
            names |= self.tensors.get(parent, set()) - own
            if not isinstance(parent, ast.Module):
                own |= {a.arg for a in _params(parent)}
            parent = self.enclosing.get(parent)
        return names

    def checker(self, ctx: _Ctx):
        scope = ctx.fn if ctx.fn is not None else self.gate.tree
        names = self.env(scope)
        cls = self.class_of.get(scope) if ctx.fn is not None else None
        return lambda expr: self.is_tensor(expr, names, cls)

    def is_tensor(self, expr: ast.AST, names: set[str], cls: ast.ClassDef | None) -> bool:  # noqa: C901
        aliases = self.gate.aliases
        if isinstance(expr, ast.Name):
            return expr.id in names
        if isinstance(expr, ast.Attribute):
            value = expr.value
            if isinstance(value, ast.Name) and value.id == "self":
                return expr.attr in self.self_attrs.get(cls, ())
            if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id == "self" \
                    and value.attr in self.submodules.get(cls, ()):
                return not self._hyperparameter(cls, value.attr, expr.attr)  # else a submodule's parameter
            return expr.attr not in _NON_TENSOR_ATTRS and self.is_tensor(value, names, cls)
        if isinstance(expr, ast.Subscript):
            return self.is_tensor(expr.value, names, cls)
        if isinstance(expr, ast.Call):
            func = expr.func
            name = _dotted(func, aliases)
            if name in _TENSOR_ALLOCATORS:
                return True
            if name in _TORCH_QUERIES:
                return False  # a bool, dtype or shape about the tensor, not the tensor
            if isinstance(func, ast.Attribute) and self.is_tensor(func.value, names, cls):
                return func.attr not in _SCALAR_TENSOR_METHODS
            callees = self._callees(expr, cls)
            if callees and not (isinstance(func, ast.Name) and func.id in self.gate.module_classes):
                return any(callee in self.returns for callee, _ in callees)
            if isinstance(func, ast.Subscript) or isinstance(func, ast.Name) and func.id in _TENSOR_SAFE_BUILTINS:
                return False  # a kernel launch, or len(x) and kin
            # anything else given a tensor may hand it back (typing.cast, an instance of the candidate's class)
            return any(self.is_tensor(a.value if isinstance(a, ast.Starred) else a, names, cls)
                       for a in [*expr.args, *(k.value for k in expr.keywords)])
        if isinstance(expr, ast.BinOp):
            return self.is_tensor(expr.left, names, cls) or self.is_tensor(expr.right, names, cls)
        if isinstance(expr, ast.UnaryOp):
            return self.is_tensor(expr.operand, names, cls)
        if isinstance(expr, ast.IfExp):
            return self.is_tensor(expr.body, names, cls) or self.is_tensor(expr.orelse, names, cls)
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            return any(self.is_tensor(e, names, cls) for e in expr.elts)
        if isinstance(expr, ast.Dict):
            return any(self.is_tensor(v, names, cls) for v in expr.values)
        if isinstance(expr, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            return self.is_tensor(expr.elt, names, cls)
        if isinstance(expr, (ast.Starred, ast.NamedExpr)):
            return self.is_tensor(expr.value, names, cls)
        return False

    def _hyperparameter(self, cls: ast.ClassDef | None, submodule: str, attr: str) -> bool:
        """Whether `self.<submodule>.<attr>` is a number the torch layer keeps (LAYER_HYPERPARAMETERS): the layer
        built from no tensor, the submodule bound once, and nothing in the candidate assigns an attribute named
        `attr` (which could put a tensor there)."""
        layer = self.layer_of.get(cls, {}).get(submodule)
        return attr in LAYER_HYPERPARAMETERS.get(layer, ()) and self.attr_stores[submodule] == 1 \
            and not self.attr_stores[attr]

    def _callees(self, call: ast.Call, cls: ast.ClassDef | None) -> list[tuple[ast.AST, int]]:
        """The candidate's own functions a call may reach, with the offset of its first argument."""
        func = call.func
        if isinstance(func, ast.Name):
            return [(fn, 1 if fn.name == "__init__" else 0) if not isinstance(fn, ast.Lambda) else (fn, 0)
                    for fn in self.by_name.get(func.id, ())]
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self" \
                and cls is not None:
            return [(n, 1) for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == func.attr]
        return []

    def _scan(self, scope: ast.AST) -> None:
        names = self.tensors[scope]
        cls = self.class_of.get(scope)
        in_init = isinstance(scope, ast.FunctionDef) and scope.name == "__init__" and cls is not None

        def tensor(expr):
            return self.is_tensor(expr, self.env(scope) | names, cls)

        def bind(target, value):
            if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) \
                    and len(target.elts) == len(value.elts):
                for t, v in zip(target.elts, value.elts):
                    bind(t, v)
                return
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                    and target.value.id == "self":
                if tensor(value):
                    self.self_attrs.setdefault(cls, set()).add(target.attr)
                layer = isinstance(value, ast.Call) and _is_nn_layer(_dotted(value.func, self.gate.aliases) or "")
                if in_init and layer:
                    self.submodules.setdefault(cls, set()).add(target.attr)
                    layers = self.layer_of.setdefault(cls, {})
                    if any(tensor(a.value if isinstance(a, ast.Starred) else a)
                           for a in [*value.args, *(k.value for k in value.keywords)]):
                        layers[target.attr] = None  # for good: what holds tensors only grows
                    elif target.attr not in layers:
                        layers[target.attr] = _dotted(value.func, self.gate.aliases)
                return
            if value is None or tensor(value):
                names.update(_bound_names(target))

        if isinstance(scope, ast.Lambda):
            if tensor(scope.body):
                self.returns.add(scope)
            nodes = list(ast.walk(scope.body))
        else:
            nodes = list(_scope_nodes(scope))
        for node in nodes:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    bind(target, node.value)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and node.value is not None:
                bind(node.target, node.value)
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                bind(node.optional_vars, node.context_expr)  # `with nullcontext(x) as y`: y is x
            elif isinstance(node, (ast.For, ast.comprehension)) and tensor(node.iter):
                names.update(_bound_names(node.target))
            elif isinstance(node, ast.Return) and node.value is not None and tensor(node.value):
                self.returns.add(scope)
            elif isinstance(node, ast.Call):
                for callee, offset in self._callees(node, cls):
                    params = [*callee.args.posonlyargs, *callee.args.args]
                    for index, arg in enumerate(node.args):
                        if index + offset < len(params) and tensor(arg):
                            self.tensors[callee].add(params[index + offset].arg)
                        elif isinstance(arg, ast.Starred) and tensor(arg.value):
                            self.tensors[callee].update(p.arg for p in params[offset:])
                    by_keyword = {p.arg for p in _params(callee)}
                    for keyword in node.keywords:
                        if keyword.arg in by_keyword and tensor(keyword.value):
                            self.tensors[callee].add(keyword.arg)
