"""The gate's rules, one pass over the tree: each refusal with the rule it breaks and its line, and the
device reads that make a CPU verdict unverified."""

from __future__ import annotations

import ast
import builtins
import string
from dataclasses import dataclass

from filters.verifier.static.scoping import (
    _Bindings, _binding_counts, _bound_names, _dotted, _flatten_targets, _is_device, _is_dunder, _param_defaults,
    _params, _root_name, _scope_nodes, _triton_kernels, definitions_of,
)
from filters.verifier.static.custom_ops import custom_op_functions, fake_registration
from filters.verifier.static.device_flow import LaunchOptionFlow, off_gpu_branch
from filters.verifier.static.tensor_types import _TensorTypes
from filters.verifier.static.inline_asm import inline_asm_problem
from filters.verifier.static.versions import import_guard, version_queries
from filters.verifier.static.vocabulary import (
    ALLOWED_BUILTINS, _ALLOWED_DECORATORS, BENCHMARK_DECLARATION, CUSTOM_OP_DECORATORS, HOST_VALUE_METHODS, CONTEXTLIB_ALLOWED, ALLOWED_MODULES, _BUILTIN_RULES, _CHECKED_ROOTS,
    ENVIRONMENT_READS, ITERTOOLS_ALLOWED, _DEVICE_ATTRS, DEVICE_QUERIES, FORBIDDEN_METHODS, _FRAME_ATTRS, _FRESH_CONSTRUCTORS, FUNCTOOLS_ALLOWED,
    GPU_ONLY_CALLS, _importable, _is_nn_layer, _KERNEL_BUILTINS, _KERNEL_OBJECT_ATTRS, MATH_ALLOWED,
    _CONTAINER_METHODS, _MODULE_METHODS, _MODULE_STATE_METHODS, _MODULE_RULES, _MUTATING_METHODS, _NAMESPACES, _path_rule,
    _REFERENCE_NAMES, _RULE_NAMES, SAFE_TENSOR_METHODS, _TENSOR_SAFE_BUILTINS, TORCH_ALLOWED,
    _TORCH_ANNOTATION_ONLY, _TORCH_DECORATOR_ONLY, TORCH_INIT_ONLY, _TORCH_INIT_ONLY_PREFIXES, TRITON_ALLOWED,
    _TRY_NODES, _TUNER_CALLS, _TUNER_HOOKS, _TUNING_DECORATORS, TYPING_ALLOWED, _HEURISTICS_CALLS, _HEURISTIC_METHODS,
    _NON_TENSOR_ATTRS, ITERATOR_BUILTINS, _DRAINING_BUILTINS, _DRAINING_CALLS, _SCALAR_BUILTINS, _SCALAR_CALLS,
    _SCALAR_METHODS, STREAM_METHODS, VERSION_READS, PRIVATE_READS, NVTX_CALLS,
    TORCH_FROM_DATA, LOGGING_CALLS, LOGGER_METHODS, _FRESH_TENSOR_CALLS, _FRESH_TENSOR_METHODS, _INIT_MATH, _INIT_MATH_METHODS,
    WARNING_CATEGORIES, CACHE_DECORATORS, PURE_HELPER_BUILTINS, PURE_HELPER_CALLS, RECORD_CLASS_NAMES,
    RECORD_FIELD_TYPES, ENUM_BASES, OPERATOR_ALLOWED, PACKAGING_ALLOWED, VERSION_CALLS,
)
from kerneldata.core.outcomes import Reason


# What reaches autograd's backward pass from forward (a Function's backward run by hand, a graph node's):
# forward has no use for it, and a Function's backward may compute with PyTorch (`_backward_only`). With it,
# the state the backward pass leaves (`.grad`, None until the first backward; `.is_leaf`, `.output_nr` and
# `.retains_grad`, which tell a drawn input from an activation in a graph): a verifier only calls forward, so
# reading it tells verification from training.
_AUTOGRAD_ATTRS = frozenset({"backward", "vjp", "jvp", "grad_fn", "_forward_cls", "register_hook",
                             "register_post_accumulate_grad_hook", "next_functions", "grad", "is_leaf",
                             "output_nr", "retains_grad"})
# Base classes a candidate may derive from: the module system, and the autograd wrapper honest kernels are
# written in (its forward and backward are the candidate's own methods, checked like any other).
_ALLOWED_BASES = ("torch.nn.Module", "object", "torch.autograd.Function", "torch.autograd.function.Function")


def _reads_attributes(node: ast.MatchClass) -> bool:
    """Whether a class pattern reads attributes of its subject (anything beyond the isinstance test)."""
    return bool(node.patterns or node.kwd_patterns)


_INLINE_ASM = "triton.language.inline_asm_elementwise"
# math's float constants: a module-level `tl.constexpr(-math.inf)` is a constant like any literal.
_MATH_CONSTANTS = frozenset({"math.inf", "math.nan", "math.pi", "math.e", "math.tau"})


@dataclass(frozen=True)
class _Ctx:
    fn: ast.AST | None = None  # the innermost function (FunctionDef or Lambda); None at module level
    cls: ast.ClassDef | None = None  # the class whose method (or method's nested function) this is
    kernel: bool = False
    init: bool = False  # directly inside a class's __init__, or a method only __init__ calls (`_init_methods`)
    exempt: bool = False  # code that never runs in the sandbox (see the module docstring)


class _Gate:
    """One pass over the tree, recording every forbidden construct; `first_problem` reports the earliest."""

    def __init__(self, tree: ast.Module, aliases: dict[str, str], value_aliases: set[str] = frozenset()) -> None:
        self.tree = tree
        self.aliases = aliases
        # Module-level names bound once to an importable path (`scoping._module_aliases`), already in `aliases`:
        # their one binding is an import by another spelling (its value is checked as an import is, `_importable`)
        self.alias_defs = {node.targets[0]: node.value for node in tree.body if isinstance(node, ast.Assign)
                           and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                           and node.targets[0].id in value_aliases}
        self.alias_values = set(self.alias_defs.values())
        self.kernels = set(_triton_kernels(tree, aliases))
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        # Kernels tuned by applying a decorator by call at module level (SGLang's
        # `fused_rmsnorm_kernel_autotune = rmsnorm_autotune(fused_rmsnorm_kernel)`): kernels too.
        self.binding_counts = _binding_counts(tree)
        self.tuning_appliers = self._tuning_appliers()
        self.kernels |= {node.targets[0].id for node in tree.body if self._applies_tuning(node)}
        self.module_functions = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.module_classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
        # The candidate's torch.autograd.Function subclasses, by a name nothing else binds (`Fn.apply(x)` runs
        # their forward; on anything else `apply` is nn.Module machinery).
        rebound = {name for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))
                   for name in [n.id]} | {name for n in ast.walk(tree) if isinstance(n, (ast.Global, ast.Nonlocal))
                                          for name in n.names}
        self.autograd_functions = {
            n.name for n in tree.body if isinstance(n, ast.ClassDef) and n.bases and all(
                _dotted(b, aliases) in ("torch.autograd.Function", "torch.autograd.function.Function")
                for b in n.bases)} - rebound - {
            n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and n not in tree.body}
        self.defined = self.module_functions | self.module_classes | {
            name for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) for name in _bound_names(t)}
        self.host_functions = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                               and n.name not in self.kernels}
        self.exempt_functions = self._exempt_functions()
        self.launchable = self.kernels | self._kernel_aliases()
        # Module-level names bound only to jit functions (flash-linear-attention's `div = div_normal`, picked
        # at import among device functions): a kernel calling one calls the device function, as Triton's
        # compiler resolves the global on a GPU.
        module_bound = {name for n in _scope_nodes(tree) if isinstance(n, (ast.Assign, ast.AnnAssign))
                        for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) for name in _bound_names(t)}
        self.device_function_aliases = (self.launchable - self.kernels) & module_bound
        self.types = _TensorTypes(self)
        self._fresh: dict[ast.AST, set[str]] = {}
        self.problems: list[tuple[int, int, int, str, Reason]] = []
        # (line, what, the read's node where its value may only choose launch options, else None)
        self.device_reads: list[tuple[int, str, ast.AST | None]] = []
        self.gpu_only: list[tuple[int, str]] = []
        self.environment_reads: list[tuple[int, str]] = []  # (line, the variable's name)
        self.bindings = _Bindings(tree, self.parents)
        self.bindings.other[tree] -= set(value_aliases)  # bound like an import: the module's, not a value
        # the candidate's custom operators (`custom_ops`), each function's name bound once
        self.custom_ops = {name for name in custom_op_functions(tree, aliases) if self.bindings_count(name) == 1}
        self.backward_only = self._backward_only()
        self.init_methods: set[ast.AST] = set()  # methods only __init__ calls: `_init_only` fills it
        self.init_only = self._init_only()
        self.module_constants = self._module_constants()
        # Module-level names bound only to a triton.language function (Unsloth's `triton_cast = tl.cast`,
        # `triton_tanh = libdevice.tanh`): a kernel may call them, as a GPU kernel may.
        bound: dict[str, list[ast.AST]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and node.targets[0].id in self.module_constants and self._module_statement(node):
                bound.setdefault(node.targets[0].id, []).append(node.value)
        self.language_aliases = {name for name, values in bound.items() if all(
            isinstance(v, (ast.Attribute, ast.Name)) and (_dotted(v, aliases) or "").startswith("triton.language.")
            for v in values)}
        self.apply_aliases = self._apply_aliases()
        # Which Triton is installed, asked the ways honest files ask (`versions`): those calls, the version reads
        # of the modules they bind, and the `try`s that only guard imports.
        self.version_calls, self.version_reads = version_queries(tree, self.parents, aliases)
        self.import_guards = {n for n in ast.walk(tree) if isinstance(n, ast.Try) and import_guard(
            n, self.version_calls, lambda name: not self.bindings.is_bound(name))}
        self.loggers = self._loggers()

    def first_problem(self) -> tuple[Reason, str] | None:
        """The earliest problem in the source, with the rule it breaks; on one line, a named construct (eval,
        getattr, @) before what the tensor inference infers about the same expression."""
        self._visit(self.tree, _Ctx())
        if not self.problems:
            return None
        line, _, _, what, rule = min(self.problems)
        return rule, f"{_RULE_NAMES[rule]}: the candidate {what} (line {line})."

    def first_gpu_only_call(self) -> str | None:
        """A launcher idiom only a GPU runs (the Triton driver, torch.cuda.device), collected by first_problem."""
        if not self.gpu_only:
            return None
        line, what = min(self.gpu_only)
        return f"the candidate {what} (line {line}); the CPU interpreter cannot run it: verify on a GPU."

    def first_environment_read(self) -> str | None:
        """Where the candidate reads an environment variable (collected by first_problem)."""
        if not self.environment_reads:
            return None
        line, variable = min(self.environment_reads)
        variable = variable if len(variable) <= 60 else variable[:57] + "..."  # the candidate's own text: bounded
        return (f"the candidate reads the environment variable {variable!r} (line {line}), so what it does in a "
                "user's process may differ from what the sandbox, whose environment is not a user's, checks.")

    def first_device_dependence(self) -> str | None:
        """Where the candidate's behaviour may depend on the device it runs on (collected by first_problem)."""
        flow = LaunchOptionFlow(self.tree, self.parents, launchable=self.launchable,
                                dotted=lambda node: _dotted(node, self.aliases), is_bound=self.bindings.is_bound)
        reads = [(line, what) for line, what, node in self.device_reads if node is None or not flow.harmless(node)]
        if not reads:
            return None
        line, what = min(reads)
        return (f"the candidate {what} (line {line}), so what it does on a GPU may differ from what the CPU "
                "interpreter checks; verify on a GPU.")

    def _add(self, node: ast.AST, what: str, rule: Reason = Reason.OUTSIDE_VOCABULARY, *,
             inferred: bool = False) -> None:
        if rule is Reason.TORCH_OUTSIDE_KERNEL and self._in_backward(node):
            return  # PyTorch in a backward that forward cannot reach: not the forward's work (`_backward_only`)
        if rule is Reason.TORCH_OUTSIDE_KERNEL and off_gpu_branch(node, self.parents) and self._torch_visible(node):
            # A PyTorch fallback for tensors off a GPU (`if not x.is_cuda: return F.silu(x)`): never run on a
            # GPU, where the recorder would see it if it were; on the CPU interpreter it is what runs, so the
            # verdict there is `device_dependent`, not a check of the kernel.
            self.device_reads.append((getattr(node, "lineno", 0), f"falls back to PyTorch off a GPU ({what})", None))
            return
        line = getattr(node, "lineno", 0)
        self.problems.append((line, int(inferred), getattr(node, "col_offset", 0), what, rule))

    def _torch_visible(self, node: ast.AST) -> bool:
        """Whether the work `node` does would reach the provenance recorder as PyTorch operators if it ran on a
        GPU: not values taken to the host (`.tolist()`, `.item()`, `.numpy()`) or made from host data
        (`torch.tensor(...)`), whose arithmetic the recorder never sees. Only such work may sit in a fallback
        for tensors off a GPU, where the recorder, not the gate, is the check."""
        if isinstance(node, ast.Call):
            node = node.func
        return _dotted(node, self.aliases) not in TORCH_FROM_DATA and not any(
            isinstance(n, ast.Attribute) and n.attr in HOST_VALUE_METHODS for n in ast.walk(node))

    def _inferred(self, node: ast.AST, what: str) -> None:
        if self._in_init(node):
            return  # arithmetic building a constant buffer while the model is built (`_init_only`)
        self._add(node, what, Reason.TORCH_OUTSIDE_KERNEL, inferred=True)

    # -- structure ------------------------------------------------------------------------------------------

    def _kernel_aliases(self) -> set[str]:
        """Names bound only to a kernel chosen among kernels (`fn = k1 if c else k2`), launched as fn[grid]; and
        parameters defaulting to a kernel that every call of their function leaves alone or gives a kernel
        (kernl's `implementation=layer_norm_fwd_fused_single_pass`, for callers to pick another kernel)."""
        tables = self._kernel_tables()

        def kernelish(value):
            if isinstance(value, ast.IfExp):
                return kernelish(value.body) and kernelish(value.orelse)
            if isinstance(value, ast.Subscript):  # a kernel picked from a table of kernels by dtype or mode
                table = value.value
                return isinstance(table, ast.Dict) and bool(table.values) and all(map(kernelish, table.values)) \
                    or isinstance(table, ast.Name) and table.id in tables
            return isinstance(value, ast.Name) and value.id in self.kernels
        chosen, other = set(), set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                (chosen if kernelish(node.value) else other).add(node.targets[0].id)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                parent = self.parents.get(node)
                if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1 and parent.targets[0] is node):
                    other.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                defaults = _param_defaults(node)
                for param in _params(node):
                    default = defaults.get(param.arg)
                    kernel_param = isinstance(node, ast.FunctionDef) and param not in (node.args.vararg, node.args.kwarg) \
                        and (default is None or kernelish(default)) and self._given_only_kernels(node, param.arg, kernelish)
                    (chosen if kernel_param else other).add(param.arg)
        return chosen - other - self.kernels

    def _kernel_tables(self) -> set[str]:
        """Module-level names bound once, and never written through, to a dict of kernels (`_KERNELS =
        {torch.float16: k16, torch.float32: k32}`, as hand-specialised libraries pick by dtype)."""
        tables = set()
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and isinstance(node.value, ast.Dict) and node.value.values and all(
                        isinstance(v, ast.Name) and v.id in self.kernels for v in node.value.values) \
                    and self._bound_once(node.targets[0].id):
                name = node.targets[0].id
                written = any(isinstance(n, (ast.Subscript, ast.Attribute)) and isinstance(n.ctx, (ast.Store, ast.Del))
                              and isinstance(n.value, ast.Name) and n.value.id == name for n in ast.walk(self.tree))
                if not written:
                    tables.add(name)
        return tables

    def _given_only_kernels(self, fn: ast.FunctionDef, param: str, kernelish) -> bool:
        """Whether every use of module-level function `fn` is a call by name that passes `param` a kernel or
        nothing (a function handed around as a value could be called with anything)."""
        return self._every_call_passes(fn, param, kernelish)

    def _every_call_passes(self, fn: ast.AST, param: str, accepts, *, required: bool = False) -> bool:
        """Whether every use of module-level function `fn` is a call by name whose value for `param`, where it
        passes one, `accepts` (and, with `required`, every call passes one)."""
        if fn not in self.tree.body or not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        positional = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
        for node in ast.walk(self.tree):
            if not (isinstance(node, ast.Name) and node.id == fn.name and isinstance(node.ctx, ast.Load)):
                continue
            call = self.parents.get(node)
            if not (isinstance(call, ast.Call) and call.func is node):
                return False
            if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
                return False
            given = [k.value for k in call.keywords if k.arg == param]
            if param in positional and positional.index(param) < len(call.args):
                given.append(call.args[positional.index(param)])
            if not all(accepts(value) for value in given) or required and not given:
                return False
        return True  # (a parameter without a default that a call leaves out fails that call: no launch)

    def _apply_aliases(self) -> set[str]:
        """Module-level names bound once, and never again, to an autograd Function's `apply`, as the Triton
        tutorials and Unsloth name theirs (`layer_norm = LayerNorm.apply`): calling one runs the Function's
        forward, which is checked code like `Fn.apply(...)` itself; or to a `functools.partial` of a function
        of the candidate's own with constants bound (`_partial_of_own_function`)."""
        stores: dict[str, list[ast.AST]] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                stores.setdefault(node.id, []).append(node)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                for name in node.names:
                    stores.setdefault(name, []).extend([node, node])
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stores.setdefault(node.name, []).extend([node, node])
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    stores.setdefault((alias.asname or alias.name).split(".")[0], []).extend([node, node])
        aliases = set()
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and (isinstance(node.value, ast.Attribute) and self._is_function_apply(node.value)
                         or self._partial_of_own_function(node.value)) \
                    and stores.get(node.targets[0].id) == [node.targets[0]]:
                aliases.add(node.targets[0].id)
        return aliases

    def _partial_of_own_function(self, value: ast.AST) -> bool:
        """`functools.partial(launcher, block_size=1024, num_warps=4)`: a module-level function of the
        candidate's own (checked code; not a kernel) with written-out constants bound, so calling it runs that
        function."""
        def constant(arg: ast.AST) -> bool:
            return isinstance(arg, ast.Constant) or isinstance(arg, ast.UnaryOp) and isinstance(arg.operand, ast.Constant)

        return isinstance(value, ast.Call) and _dotted(value.func, self.aliases) == "functools.partial" \
            and bool(value.args) and isinstance(value.args[0], ast.Name) \
            and value.args[0].id in self.module_functions and value.args[0].id not in self.kernels \
            and all(constant(a) for a in value.args[1:]) \
            and all(k.arg is not None and constant(k.value) for k in value.keywords)

    def _loggers(self) -> set[str]:
        """Module-level names bound once, and nowhere else, to `logging.getLogger(...)` (FlagGems' `logger`):
        each may only log a message (`_logger_use_problem`)."""
        counts = _binding_counts(self.tree)
        return {node.targets[0].id for node in self.tree.body if isinstance(node, ast.Assign)
                and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Call) and _dotted(node.value.func, self.aliases) == "logging.getLogger"
                and counts.get(node.targets[0].id) == 1}

    def _module_constants(self) -> set[str]:
        """Module-level names bound only to constants (`EPS = 1e-6`, `BLOCK = tl.constexpr(128)`, a tuple of
        them): the globals a kernel may read. A GPU kernel reaches no other global; the interpreter would
        hand it any Python object (a list it appends to on every call)."""
        def constant(value):
            if isinstance(value, ast.Constant):
                return True
            if isinstance(value, ast.UnaryOp):
                return constant(value.operand)
            if isinstance(value, ast.Tuple):
                return all(constant(e) for e in value.elts)
            if isinstance(value, (ast.Attribute, ast.Name)):  # a dtype or function of triton.language, math.inf
                name = _dotted(value, self.aliases)
                return name in TRITON_ALLOWED or name in _MATH_CONSTANTS
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "float" \
                    and not self.bindings.is_bound(value.func):  # float("-inf"), as Triton's own kernels write it
                return len(value.args) == 1 and not value.keywords and isinstance(value.args[0], ast.Constant) \
                    and isinstance(value.args[0].value, str)
            return isinstance(value, ast.Call) and _dotted(value.func, self.aliases) == "triton.language.constexpr" \
                and all(constant(a) for a in value.args) and not value.keywords
        good, bad = set(), set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) \
                    and self.bindings.binding_scope(node) is self.tree:
                parent = self.parents.get(node)
                ok = isinstance(parent, (ast.Assign, ast.AnnAssign)) and self._module_statement(parent) \
                    and parent.value is not None and constant(parent.value) \
                    and (isinstance(parent, ast.AnnAssign) or parent.targets == [node])
                (good if ok else bad).add(node.id)
        return good - bad

    def _module_statement(self, node: ast.AST) -> bool:
        """A statement run once at import: in the module's body, or in a branch of a module-level `if` (Unsloth
        picks `triton_tanh` by Triton version so)."""
        parent = self.parents.get(node)
        while isinstance(parent, ast.If) and (node in parent.body or node in parent.orelse):
            node, parent = parent, self.parents.get(parent)
        return parent is self.tree and node in self.tree.body

    def _exempt_functions(self) -> set[str]:
        """Module-level functions that nothing references and no decorator runs, whose bodies therefore never
        run: get_inputs/get_init_inputs copied from the problem, and the tests and benchmarks real kernel files
        keep beside their kernels (`def test_relu(): torch.testing.assert_close(...)`). Only the body is
        exempt: defaults and annotations run when the function is defined, and are checked as usual. With
        reflection refused, a function is reached only through its name: a name loaded anywhere, or an
        attribute of that name, keeps it checked; so does a dunder name, which Python may call by itself (a
        module's `__getattr__`)."""
        # The `__main__` block never runs on import: what it calls (the file's own tests) stays dead.
        live = [n for n in self.tree.body if not self._is_main_guard(n)]
        nodes = [n for statement in live for n in ast.walk(statement)]
        loaded = {n.id for n in nodes if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Store)}
        attrs = {n.attr for n in nodes if isinstance(n, ast.Attribute)}
        return {n.name for n in self.tree.body
                if isinstance(n, ast.FunctionDef) and (not n.decorator_list or self._declares_benchmark(n))
                and not _is_dunder(n.name) and n.name not in loaded and n.name not in attrs}

    def _declares_benchmark(self, fn: ast.FunctionDef) -> bool:
        """`@triton.testing.perf_report(triton.testing.Benchmark(...))` alone: the Triton tutorials' benchmark
        declaration. At import the decorator only wraps the function in an object that runs it when told
        (`benchmark.run(...)`, under `__main__` in a file run as a script); the body runs no sooner than
        that, so such a function nothing else names is as dead as an undecorated one."""
        if len(fn.decorator_list) != 1 or not isinstance(fn.decorator_list[0], ast.Call):
            return False
        return _dotted(fn.decorator_list[0].func, self.aliases) in BENCHMARK_DECLARATION

    def _decorates_custom_op(self, node: ast.AST) -> bool:
        """Whether the chain `node` is the decorator of one of the candidate's custom operators."""
        dec = self.parents.get(node)
        holder = self.parents.get(dec)
        # `custom_ops` holds module-level functions bound once whose one decorator is an allowed one
        return isinstance(holder, ast.FunctionDef) and holder.name in self.custom_ops and holder in self.tree.body \
            and holder.decorator_list == [dec]

    def _in_benchmark_declaration(self, node: ast.AST) -> bool:
        """Whether `node` lies in the decorator of a dead benchmark declaration (`_declares_benchmark`)."""
        parent = self.parents.get(node)
        while parent is not None and not isinstance(parent, (ast.FunctionDef, ast.ClassDef, ast.Module)):
            node, parent = parent, self.parents.get(parent)
        return isinstance(parent, ast.FunctionDef) and node in parent.decorator_list and parent in self.tree.body \
            and parent.name in self.exempt_functions and self._declares_benchmark(parent)

    @staticmethod
    def _is_main_guard(node: ast.AST) -> bool:
        test = getattr(node, "test", None)
        return (isinstance(node, ast.If) and not node.orelse and isinstance(test, ast.Compare)
                and isinstance(test.left, ast.Name) and test.left.id == "__name__" and len(test.ops) == 1
                and isinstance(test.ops[0], ast.Eq) and isinstance(test.comparators[0], ast.Constant)
                and test.comparators[0].value == "__main__")

    def _visit(self, node: ast.AST, ctx: _Ctx) -> None:
        self._check(node, ctx)
        for child in ast.iter_child_nodes(node):
            self._visit(child, self._child_ctx(node, child, ctx))

    def _child_ctx(self, node: ast.AST, child: ast.AST, ctx: _Ctx) -> _Ctx:
        if isinstance(node, ast.Module) and self._is_main_guard(child):
            return _Ctx(exempt=True)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and child in node.body:
            in_class = isinstance(self.parents.get(node), ast.ClassDef)
            return _Ctx(fn=node, cls=self.parents[node] if in_class else ctx.cls,
                        kernel=ctx.kernel or node.name in self.kernels and node in self.tree.body,
                        init=in_class and (node.name == "__init__" or node in self.init_methods),
                        exempt=ctx.exempt or node.name in self.exempt_functions and node in self.tree.body)
        if isinstance(node, ast.Lambda) and child is node.body:
            return _Ctx(fn=node, cls=ctx.cls, kernel=ctx.kernel, exempt=ctx.exempt)
        return ctx

    # -- the checks -----------------------------------------------------------------------------------------

    def _check(self, node: ast.AST, ctx: _Ctx) -> None:  # noqa: C901 - one dispatch over node types
        if ctx.exempt:
            self._check_exempt(node, ctx)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self._check_import(node)
        elif isinstance(node, _TRY_NODES) and node not in self.import_guards \
                and self.parents.get(node) not in self.import_guards:
            self._add(node, "uses try/except, the shape of a fallback to PyTorch", Reason.FALLBACK)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            self._add(node, f"declares {type(node).__name__.lower()} {', '.join(node.names)}: state outside forward",
                      Reason.CROSS_CALL_STATE)
        elif isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await, ast.AsyncFunctionDef, ast.AsyncFor,
                               ast.AsyncWith)):
            self._add(node, "uses a generator or coroutine, state that outlives a call", Reason.CROSS_CALL_STATE)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult) and not self._in_init(node):
            self._add(node, "uses the @ operator: PyTorch doing the work", Reason.TORCH_OUTSIDE_KERNEL)
        elif isinstance(node, ast.Name):
            self._check_name(node, ctx)
        elif isinstance(node, ast.Attribute):
            self._check_attribute(node, ctx)
        elif isinstance(node, ast.ClassDef):
            self._check_class(node)
        elif isinstance(node, ast.MatchClass) and _reads_attributes(node):
            self._check_match_class(node)
        if ctx.exempt:
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            self._check_function(node)
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete, ast.For, ast.withitem,
                             ast.comprehension)):
            self._check_store(node, ctx)
        if isinstance(node, ast.Call):
            self._check_call(node, ctx)
        if isinstance(node, (ast.Call, ast.GeneratorExp)) and self._makes_iterator(node) \
                and not self._drained_where_made(node) and not self._local_iterator(node, ctx):
            self._add(node, f"keeps the iterator {ast.unparse(node)[:60]}, which changes as it is consumed: "
                      "state that outlives a call", Reason.CROSS_CALL_STATE)
        if not ctx.kernel:
            self._check_tensor_use(node, ctx)
            self._note_device_read(node)

    def _check_exempt(self, node: ast.AST, ctx: _Ctx) -> None:
        """Code that never runs in the sandbox may use torch freely, but not reflection or dynamic code."""
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self._check_import(node)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
            self._check_builtin(node)
        elif isinstance(node, ast.Attribute) and (_is_dunder(node.attr) or node.attr in _FRAME_ATTRS):
            self._add(node, f"reaches into .{node.attr}, a way around the checks", Reason.REFLECTION)
        elif isinstance(node, ast.MatchClass) and _reads_attributes(node):
            self._check_match_class(node)

    def _check_match_class(self, node: ast.MatchClass) -> None:
        """A class pattern's sub-patterns are attribute reads with no attribute expression: a keyword one is
        `getattr(subject, name)` (`case object(__globals__=g)` hands over a function's globals, and with
        mapping patterns the builtins' `__import__`; `case torch.Tensor(relu=f)` a computing method), and a
        positional one reads whatever the class's `__match_args__` names. Every rule keyed on `.attr` would
        miss them, so only the bare isinstance test (`case torch.Tensor():`) is allowed."""
        names = [*(f"position {i}" for i in range(len(node.patterns))), *node.kwd_attrs]
        self._add(node, f"reads {', '.join(names)} of the subject through the class pattern "
                  f"{ast.unparse(node)[:60]}, attribute reads the gate cannot check", Reason.REFLECTION)

    def _check_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.ImportFrom) and node.level:
            self._add(node, f"uses a relative import (from {'.' * node.level}{node.module or ''})",
                      Reason.REFERENCE_ACCESS)
            return
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            if any(alias.name == "*" for alias in node.names):
                self._add(node, f"star-imports from {node.module}, which hides what names refer to")
                return
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            root = name.split(".")[0]
            if root not in ALLOWED_MODULES:
                rule = _MODULE_RULES.get(root, Reason.OUTSIDE_VOCABULARY)
                self._add(node, f"imports {name!r}, which kernels may not use", rule)
            elif root in _CHECKED_ROOTS and not _importable(name):
                rule = _path_rule(name)
                if root == "torch" and rule is Reason.OUTSIDE_VOCABULARY:
                    rule = Reason.TORCH_OUTSIDE_KERNEL
                self._add(node, f"imports {name}, which is not on the gate's vocabulary", rule)

    def _check_builtin(self, node: ast.Name) -> None:
        """A name no binding of the candidate's shadows is a builtin: only the allowed ones may be named."""
        if self.bindings.is_bound(node) or node.id in self.aliases:
            return
        if node.id == "__name__" and (self._in_main_guard_test(node) or self._names_a_logger(node)):
            return
        if _is_dunder(node.id):
            self._add(node, f"reads {node.id}, which tells how it was loaded or reaches around the checks",
                      _BUILTIN_RULES.get(node.id, Reason.REFLECTION))
        elif hasattr(builtins, node.id) and node.id not in ALLOWED_BUILTINS:
            rule = _BUILTIN_RULES.get(node.id, Reason.OUTSIDE_VOCABULARY)
            self._add(node, f"uses the builtin {node.id}, which kernels may not use", rule)

    def _names_a_logger(self, node: ast.Name) -> bool:
        """`__name__` as the one argument of the module-level `logging.getLogger(__name__)`."""
        call = self.parents.get(node)
        return isinstance(call, ast.Call) and call.args == [node] and not call.keywords \
            and _dotted(call.func, self.aliases) == "logging.getLogger" and self._get_logger_problem(call) is None

    def _get_logger_problem(self, call: ast.AST) -> str | None:
        holder = self.parents.get(call)
        if not (isinstance(call, ast.Call) and isinstance(holder, ast.Assign) and holder in self.tree.body
                and holder.value is call and len(holder.targets) == 1 and isinstance(holder.targets[0], ast.Name)
                and holder.targets[0].id in self.loggers):
            return "uses logging.getLogger other than to bind one module-level logger, bound nowhere else"
        arg = call.args[0] if len(call.args) == 1 and not call.keywords else None
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                or isinstance(arg, ast.Name) and arg.id == "__name__" and not self.bindings.is_bound(arg)):
            return f"calls {ast.unparse(call)[:60]}; a logger is named by __name__ or a string written out"
        return None

    def _warning_category(self, expr: ast.AST) -> bool:
        """A builtin warning class named where `warnings.warn` takes its category (not one the candidate rebinds)."""
        return isinstance(expr, ast.Name) and expr.id in WARNING_CATEGORIES and not self.bindings.is_bound(expr)

    def _warn_keyword(self, keyword: ast.keyword) -> bool:
        """`category=UserWarning` or `stacklevel=2`: the two keywords of `warnings.warn` that hand nothing on."""
        if keyword.arg == "category":
            return self._warning_category(keyword.value)
        return keyword.arg == "stacklevel" and isinstance(keyword.value, ast.Constant) \
            and type(keyword.value.value) is int

    def _message_problem(self, call: ast.Call, ctx: _Ctx) -> str | None:
        """A log message or warning: a statement of its own, a string written out (an f-string of host values)
        first, then host numbers and shapes to format (`"%d rows", x.shape[0]`), no keywords (`stack_info`
        reads frames, `extra` hands objects on). A tensor's values would be read on the host."""
        is_tensor = self.types.checker(ctx)

        def host(expr: ast.AST) -> bool:
            if isinstance(expr, ast.Constant):
                return True
            if isinstance(expr, ast.Name):
                return not is_tensor(expr) and expr.id not in self.loggers
            if isinstance(expr, ast.Attribute):
                return expr.attr in ("shape", "ndim", "dtype") and not self._is_module_chain(expr)
            if isinstance(expr, ast.Subscript):
                return isinstance(expr.value, ast.Attribute) and expr.value.attr == "shape" and host(expr.slice)
            if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):  # tuple(x.shape), str(x.dtype)
                return expr.func.id in ("tuple", "list", "str", "int") and not self.bindings.is_bound(expr.func) \
                    and expr.func.id not in self.aliases and len(expr.args) == 1 and not expr.keywords \
                    and host(expr.args[0])
            if isinstance(expr, ast.Call):
                return isinstance(expr.func, ast.Attribute) and expr.func.attr in (
                    "numel", "size", "stride", "dim", "element_size") and not expr.keywords \
                    and all(host(a) for a in expr.args) and not self._is_module_chain(expr.func)
            if isinstance(expr, ast.BinOp):
                return host(expr.left) and host(expr.right)
            if isinstance(expr, ast.UnaryOp):
                return host(expr.operand)
            if isinstance(expr, ast.Tuple):
                return all(host(e) for e in expr.elts)
            return False

        if not isinstance(self.parents.get(call), ast.Expr):
            return f"keeps the value of {ast.unparse(call)[:60]}; a message is logged as a statement of its own"
        first = call.args[0] if call.args else None
        message = isinstance(first, ast.Constant) and isinstance(first.value, str) or isinstance(first, ast.JoinedStr) \
            and all(host(v.value) and v.format_spec is None and v.conversion == -1
                    for v in first.values if isinstance(v, ast.FormattedValue)) \
            or self._message_parameter(first, ctx)
        keywords, values = call.keywords, call.args[1:]
        if _dotted(call.func, self.aliases) == "warnings.warn":  # its category and stack level format nothing
            keywords = [k for k in keywords if not self._warn_keyword(k)]
            values = values[1:] if values and self._warning_category(values[0]) else values
        if not message or keywords or not all(host(a) for a in values):
            return (f"logs {ast.unparse(call)[:60]}; only a message written out and host numbers or shapes may be "
                    "logged, never a tensor's values")
        return None

    def _message_parameter(self, expr: ast.AST, ctx: _Ctx) -> bool:
        """A thin warning helper's message (`def _warn(message): warnings.warn(message, UserWarning)`): a
        parameter of a module-level function, never rebound there, that every call hands a string written out."""
        fn = ctx.fn
        if not isinstance(expr, ast.Name) or not isinstance(fn, ast.FunctionDef) or fn not in self.tree.body:
            return False
        if expr.id not in {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]} \
                or any(isinstance(n, ast.Name) and n.id == expr.id and not isinstance(n.ctx, ast.Load)
                       for n in ast.walk(fn)):
            return False
        return self._every_call_passes(fn, expr.id, lambda value: isinstance(value, ast.Constant)
                                       and isinstance(value.value, str), required=True)

    def _logger_use_problem(self, node: ast.Name, ctx: _Ctx) -> str | None:
        """The module-level logger may only log: `logger.debug(...)` (info, warning, error) as a statement."""
        attr = self.parents.get(node)
        call = self.parents.get(attr)
        if isinstance(node.ctx, ast.Store) and self.parents.get(node) in self.tree.body:
            return None  # its one binding, checked with getLogger
        if not (isinstance(attr, ast.Attribute) and attr.value is node and attr.attr in LOGGER_METHODS
                and isinstance(call, ast.Call) and call.func is attr):
            shown = ast.unparse(attr if isinstance(attr, ast.Attribute) else node)[:60]
            return f"uses the logger {shown} other than to log a message (its level, handlers, manager: state)"
        return self._message_problem(call, ctx)

    def _in_main_guard_test(self, node: ast.Name) -> bool:
        test = self.parents.get(node)
        guard = self.parents.get(test)
        return guard in self.tree.body and self._is_main_guard(guard) and guard.test is test

    def _check_name(self, node: ast.Name, ctx: _Ctx) -> None:
        if node.id in self.loggers and self.bindings.binding_scope(node) is self.tree and not ctx.kernel:
            problem = self._logger_use_problem(node, ctx)
            if problem:
                self._add(node, problem, Reason.TORCH_OUTSIDE_KERNEL if "tensor's values" in problem
                          else Reason.CROSS_CALL_STATE)
        if isinstance(node.ctx, ast.Store):
            if _is_dunder(node.id) and not self._declares_exports(node):
                self._add(node, f"assigns {node.id}", Reason.MONKEYPATCH)
            elif node.id in self.aliases and node not in self.alias_defs:
                self._add(node, f"rebinds the imported name {node.id}", Reason.MONKEYPATCH)
            elif node.id in self.kernels and not self._comprehension_target(node) \
                    and not (self._applies_tuning(self.parents.get(node)) and self._bound_once(node.id)):
                self._add(node, f"rebinds the kernel {node.id}", Reason.MONKEYPATCH)
            return
        if node.id in self.kernels and not ctx.kernel and self.bindings.binding_scope(node) is self.tree:
            self._check_kernel_value(node)
        if ctx.kernel and self.bindings.binding_scope(node) is self.tree and node.id not in self.kernels \
                and node.id not in self.device_function_aliases \
                and node.id not in self.aliases and node.id not in self.module_constants:
            self._add(node, f"reads the module-level {node.id} inside a kernel: a GPU kernel reaches only constexpr "
                      "globals, the interpreter any Python object (a container kept across calls)",
                      Reason.CROSS_CALL_STATE)
        if not self.bindings.is_bound(node) and node.id not in self.aliases:
            if node.id in _REFERENCE_NAMES:
                self._add(node, f"refers to the reference's {node.id}", Reason.REFERENCE_ACCESS)
            else:
                self._check_builtin(node)
        elif not self._is_chain_inner(node):
            self._check_chain(node, ctx)

    def _comprehension_target(self, node: ast.Name) -> bool:
        """A comprehension's own variable (`{k: v for k, v in d.items()}`), bound in the comprehension's scope
        only (Python 3): it rebinds nothing outside. A walrus inside one (`[(k := v) for v in vs]`) binds in
        the enclosing function and is not such a target."""
        child, parent = node, self.parents.get(node)
        while isinstance(parent, (ast.Tuple, ast.List, ast.Starred)):
            child, parent = parent, self.parents.get(parent)
        return isinstance(parent, ast.comprehension) and parent.target is child

    def _declares_exports(self, node: ast.Name) -> bool:
        """`__all__ = ["f", "g"]` at module level, once: the names `import *` exports, read by nothing here."""
        parent = self.parents.get(node)
        return node.id == "__all__" and isinstance(parent, ast.Assign) and parent in self.tree.body \
            and parent.targets == [node] and isinstance(parent.value, (ast.List, ast.Tuple)) \
            and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in parent.value.elts) \
            and self._bound_once("__all__")

    def _bound_once(self, name: str) -> bool:
        return self.binding_counts.get(name) == 1

    def _tuning_appliers(self) -> set[str]:
        """Module-level names bound once, and never again, to `triton.autotune(...)` or `triton.heuristics(...)`
        (a decorator object, applied by call to kernels: `_applies_tuning`)."""
        return {node.targets[0].id for node in self.tree.body
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and self._bound_once(node.targets[0].id) and self._tuning_decorator(node.value)}

    def _tuning_decorator(self, value: ast.AST) -> bool:
        return isinstance(value, ast.Call) and _dotted(value.func, self.aliases) in _TUNING_DECORATORS

    def _applies_tuning(self, node: ast.AST) -> bool:
        """`name = <tuning decorator>(kernel)` at module level, the decorator written out or a tuning applier,
        given the kernel alone."""
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Call)):
            return False
        call = node.value
        return len(call.args) == 1 and not call.keywords and isinstance(call.args[0], ast.Name) \
            and call.args[0].id in self.kernels and (
                self._tuning_decorator(call.func)
                or isinstance(call.func, ast.Name) and call.func.id in self.tuning_appliers)

    def _check_kernel_value(self, node: ast.Name) -> None:
        """A kernel object is launched (`k[grid](...)`), chosen (`k1 if c else k2`), passed to a launch, or tuned
        by a decorator applied by call at module level; text made of it, or a call given it, tells the
        interpreter's kernel object from a GPU's."""
        parent = self.parents.get(node)
        if isinstance(parent, ast.Call) and self._applies_tuning(self.parents.get(parent)):
            return
        if isinstance(parent, (ast.FormattedValue, ast.Compare, ast.BinOp)) or isinstance(parent, ast.Call) \
                and node in parent.args + [k.value for k in parent.keywords] \
                and not isinstance(parent.func, ast.Subscript) and not self._is_decorator(parent.func):
            self._add(node, f"hands the kernel object {node.id} to {ast.unparse(parent)}; a kernel is launched "
                      "with kernel[grid](...) only", Reason.REFLECTION)

    def _check_attribute(self, node: ast.Attribute, ctx: _Ctx) -> None:
        if _is_dunder(node.attr) and not (node.attr == "__init__" and self._is_super_init(node)) \
                and not (node.attr == "__version__" and self._is_module_chain(node)
                         and _dotted(node, self.aliases) in VERSION_READS) \
                and node not in self.version_reads:
            self._add(node, f"reaches into .{node.attr}, a way around the checks", Reason.REFLECTION)
            return
        if node.attr in _FRAME_ATTRS:
            self._add(node, f"reaches into .{node.attr}, a frame, code or interpreter object", Reason.REFLECTION)
            return
        if node.attr in _AUTOGRAD_ATTRS:
            self._add(node, f"reaches .{node.attr}: autograd's backward pass, which forward has no use for",
                      Reason.REFLECTION)
            return
        receiver = node.value
        if node.attr in STREAM_METHODS and not self._is_module_chain(node) and not self._is_chain_inner(node) \
                and not (isinstance(receiver, ast.Name) and receiver.id in ("self", "cls")):
            # a submodule named `query` holding weights (`self.attn.query.weight`) is no stream
            self._add(node, f"uses {ast.unparse(node)}, which waits on or asks after a CUDA stream's work "
                      "(the current stream may be named, never waited on or queried)", Reason.CONCURRENCY)
            return
        if node.attr in ("format", "format_map") and not self._is_module_chain(node):
            problem = self._format_problem(node)
            if problem:
                self._add(node, problem, Reason.REFLECTION)
                return
        parent = self.parents.get(node)
        if node.attr in _MUTATING_METHODS and not (isinstance(parent, ast.Call) and parent.func is node) \
                and not self._is_module_chain(node):
            self._add(node, f"takes the mutating method {ast.unparse(node)} as a value, which changes a "
                      "container wherever it is called", Reason.CROSS_CALL_STATE)
            return
        receiver = node.value
        is_self = isinstance(receiver, ast.Name) and receiver.id in ("self", "cls")
        private_read = self._is_module_chain(node) and _dotted(self._whole_chain(node), self.aliases) in PRIVATE_READS
        if node.attr.startswith("_") and not is_self and not _is_dunder(node.attr) and not private_read:
            rule = _path_rule(_dotted(node, self.aliases) or "") if self._is_module_chain(node) else Reason.REFLECTION
            self._add(node, f"reaches into the private attribute .{node.attr}",
                      Reason.REFLECTION if rule is Reason.OUTSIDE_VOCABULARY else rule)
            return
        if isinstance(receiver, ast.Name) and receiver.id in self.kernels and not isinstance(
                self.bindings.binding_scope(receiver), (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)) \
                or node.attr in _KERNEL_OBJECT_ATTRS and not is_self \
                and _dotted(node, self.aliases) not in CACHE_DECORATORS:  # `functools.cache` is no kernel's cache
            self._add(node, f"uses {ast.unparse(node)}: a kernel is launched with kernel[grid](...) only",
                      Reason.REFLECTION)
            return
        is_super = isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) \
            and receiver.func.id == "super"
        if (is_self or is_super) and node.attr in _MODULE_METHODS and not ctx.init and ctx.cls is not None \
                and node.attr not in {n.name for n in ctx.cls.body if isinstance(n, ast.FunctionDef)}:
            self._add(node, f"uses {ast.unparse(node)}, nn.Module machinery (hooks, state) kernels do not need",
                      Reason.REFLECTION)
            return
        if self._changes_other_module(node, ctx, is_self or is_super):
            self._add(node, f"calls {ast.unparse(node)} outside __init__, nn.Module machinery that changes a "
                      "module's state: state that outlives the call", Reason.CROSS_CALL_STATE)
            return
        if not self._is_chain_inner(node):
            self._check_chain(node, ctx)

    def _environment_variable(self, node: ast.AST, name: str) -> str | None:
        """The variable an environment read names, where `node` (the path `name` of os) reads one by a literal
        name and hands nothing else on: `os.environ.get("K"[, constant])`, `os.getenv("K"[, constant])`,
        `os.environ["K"]`, `"K" in os.environ`. None for any other use of os (`os.environ` as a value can be
        copied, iterated or changed)."""
        if name not in ENVIRONMENT_READS:
            return None
        parent = self.parents.get(node)

        def literal(value) -> bool:
            return isinstance(value, ast.Constant) and isinstance(value.value, str)

        if name in ("os.environ.get", "os.getenv"):
            if isinstance(parent, ast.Call) and parent.func is node and not parent.keywords \
                    and 1 <= len(parent.args) <= 2 and literal(parent.args[0]) \
                    and all(isinstance(a, ast.Constant) for a in parent.args[1:]):
                return parent.args[0].value
            return None
        if isinstance(parent, ast.Subscript) and parent.value is node and isinstance(parent.ctx, ast.Load) \
                and literal(parent.slice):
            return parent.slice.value
        if isinstance(parent, ast.Compare) and len(parent.ops) == 1 and isinstance(parent.ops[0], (ast.In, ast.NotIn)) \
                and parent.comparators[0] is node and literal(parent.left):
            return parent.left.value
        return None

    def _changes_other_module(self, node: ast.Attribute, ctx: _Ctx, through_self: bool) -> bool:
        """`_HELD.train(...)`, `sub.register_buffer(...)`: a module's state changed inside a function other than
        __init__, through a receiver the self-only rule does not see (a global, a local alias, a container).
        Which object the receiver holds is not known statically, so the method's name decides."""
        return node.attr in _MODULE_STATE_METHODS and not through_self and ctx.fn is not None and not ctx.init \
            and not self._is_module_chain(node) and not self._is_function_apply(node) \
            and not self._clears_grad_of_fresh_tensor(node, ctx)

    def _clears_grad_of_fresh_tensor(self, node: ast.Attribute, ctx: _Ctx) -> bool:
        """`t.requires_grad_(False)` on a tensor this call made (`torch.empty(...)`, `x.detach()`, a local bound
        only to such) or on one of ModelNew.forward's inputs (the verifier's, which need no gradient: a no-op):
        flags that do not outlive the call. On a held parameter (`self.weight`, a helper's argument, a view
        that may be the parameter itself) the flag flips once and stays: a bit that tells the first call from
        later ones, so the name of the method decides there, as for any module."""
        call = self.parents.get(node)
        if node.attr != "requires_grad_" or not (isinstance(call, ast.Call) and call.func is node):
            return False
        values = [*call.args, *(k.value for k in call.keywords if k.arg == "requires_grad")]
        if len(values) != 1 or len(call.args) + len(call.keywords) != 1 \
                or not (isinstance(values[0], ast.Constant) and values[0].value is False):
            return False
        fn = ctx.fn

        def fresh(value: ast.AST) -> bool:
            if not isinstance(value, ast.Call):
                return False
            if isinstance(value.func, ast.Attribute) and value.func.attr in _FRESH_TENSOR_METHODS \
                    and not self._is_module_chain(value.func):
                return True
            return _dotted(value.func, self.aliases) in _FRESH_TENSOR_CALLS

        receiver = node.value
        if fresh(receiver):
            return True
        if not isinstance(receiver, ast.Name) or self.bindings.binding_scope(receiver) is not fn:
            return False
        params = [a.arg for a in _params(fn)] if isinstance(fn, (ast.FunctionDef, ast.Lambda)) else []

        def derived(value: ast.AST) -> bool:  # `x = x.contiguous()`: an input, or a copy or view of it
            return receiver.id in params and isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                and isinstance(value.func.value, ast.Name) and value.func.value.id == receiver.id \
                and value.func.attr in SAFE_TENSOR_METHODS
        bindings = [n for n in _scope_nodes(fn) if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For,
                                                                  ast.comprehension, ast.withitem, ast.NamedExpr))
                    and any(receiver.id in _bound_names(t) for t in self._targets(n))]
        if not all(isinstance(n, (ast.Assign, ast.AnnAssign)) and (fresh(n.value) or derived(n.value))
                   and all(isinstance(t, ast.Name) for t in self._targets(n)) for n in bindings):
            return False
        if receiver.id not in params:
            return bool(bindings)
        # the verifier's inputs, when nothing of the candidate's calls forward itself (with a parameter, say)
        inputs = isinstance(fn, ast.FunctionDef) and fn.name == "forward" and ctx.cls is not None \
            and ctx.cls.name == "ModelNew" and fn in ctx.cls.body \
            and not any(isinstance(n, ast.Attribute) and n.attr == "forward" for n in ast.walk(self.tree))
        return inputs and receiver.id != params[0]

    @staticmethod
    def _targets(node: ast.AST) -> list[ast.AST]:
        if isinstance(node, ast.Assign):
            return node.targets
        if isinstance(node, ast.withitem):
            return [node.optional_vars] if node.optional_vars is not None else []
        return [node.target]

    def _backward_only(self) -> set[ast.AST]:
        """The function bodies where PyTorch may compute: the `backward` of the candidate's autograd Functions
        and module-level helpers called from there and from nowhere else (Liger-Kernel's
        `rms_norm_backward` sums the weight's gradient with torch). The verifier runs forward only, and forward
        cannot reach them: `.backward` is refused everywhere (`_check_attribute`), a Function whose class body
        names `backward` or binds anything but methods gets no exemption, and a helper named anywhere outside
        these bodies is checked like any code. What a backward computes is not judged; at run time the
        provenance recorder still sees any PyTorch op forward runs (`torch_compute`)."""
        defs = {node.name: node for node in self.tree.body if isinstance(node, ast.FunctionDef)}
        regions: set[ast.AST] = set()
        for cls in self.tree.body:
            if not isinstance(cls, ast.ClassDef) or cls.name not in self.autograd_functions:
                continue
            binds_only_methods = all(isinstance(item, ast.FunctionDef) or (
                isinstance(item, ast.Expr) and isinstance(item.value, ast.Constant)) for item in cls.body)
            names_backward = any(isinstance(n, ast.Name) and n.id == "backward" for n in ast.walk(cls))
            if binds_only_methods and not names_backward:
                regions |= {item for item in cls.body if isinstance(item, ast.FunctionDef) and item.name == "backward"}
        helpers = {name: node for name, node in defs.items() if name not in self.kernels}
        while True:  # drop helpers named outside the regions and the helpers still standing, until none is
            inside = regions | set(helpers.values())
            named_outside = {n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name) and n.id in helpers
                             and isinstance(n.ctx, ast.Load) and not self._within(n, inside)}
            if not named_outside:
                break
            helpers = {name: node for name, node in helpers.items() if name not in named_outside}
        reached = {n.id for region in regions for n in ast.walk(region) if isinstance(n, ast.Name)}
        while True:  # only the helpers a backward reaches, directly or through one another
            more = {n.id for name in reached & set(helpers) for n in ast.walk(helpers[name])
                    if isinstance(n, ast.Name)} - reached
            if not more:
                break
            reached |= more
        return regions | {helpers[name] for name in reached & set(helpers)}

    def _init_only(self) -> set[ast.AST]:
        """The function bodies that run only while the model is built, before any forward: the `__init__` of
        the candidate's top-level classes that no code outside these bodies names (the verifier builds
        ModelNew; a submodule class built in ModelNew.__init__), and module-level helpers called from there
        and from nowhere else. There PyTorch may compute constant buffers from the init arguments, as a
        rotary embedding's inverse frequencies and cos/sin tables are computed in HF's and vLLM's modules and
        in the references that copy them (`_INIT_MATH` and tensor arithmetic only: no other torch path, no
        global switch). Nothing forward is given exists yet. A class named in forward (built there) gets no
        exemption, dunders are refused (no `self.__init__()` from forward), and at run time the provenance
        recorder sees any PyTorch op a forward runs (`torch_compute`) whatever the gate allowed."""
        defs = {node.name: node for node in self.tree.body if isinstance(node, ast.FunctionDef)
                and node.name not in self.kernels}
        inits = {}
        for cls in self.tree.body:
            if isinstance(cls, ast.ClassDef) and cls.name not in self.autograd_functions:
                init = next((item for item in cls.body if isinstance(item, ast.FunctionDef)
                             and item.name == "__init__"), None)
                if init is not None:
                    inits[cls.name] = init
        standing = {**defs, **inits}
        while True:  # drop what is named outside the standing bodies, until nothing more is
            inside = set(standing.values())
            named_outside = {n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name) and n.id in standing
                             and isinstance(n.ctx, ast.Load) and not self._within(n, inside)}
            if not named_outside:
                break
            standing = {name: node for name, node in standing.items() if name not in named_outside}
        roots = {node for name, node in standing.items() if name in inits}
        reached = {n.id for root in roots for n in ast.walk(root) if isinstance(n, ast.Name)}
        while True:  # the helpers those inits reach, directly or through one another
            more = {n.id for name in reached & set(defs) if name in standing for n in ast.walk(standing[name])
                    if isinstance(n, ast.Name)} - reached
            if not more:
                break
            reached |= more
        regions = roots | {standing[name] for name in reached & set(defs) if name in standing}
        self.init_methods = self._init_methods(regions, [cls for cls in self.tree.body if isinstance(
            cls, ast.ClassDef) and inits.get(cls.name) in roots])
        return regions | self.init_methods

    def _init_methods(self, regions: set[ast.AST], classes: list[ast.ClassDef]) -> set[ast.AST]:
        """Methods of `classes` that only code in `regions` (or in one another) names, as `self._build_cache()`
        called from __init__: they run while the model is built too. Not forward, not a dunder, and not one
        named anywhere else (any `.name` counts, whatever its receiver)."""
        methods = {item.name: item for cls in classes for item in cls.body if isinstance(item, ast.FunctionDef)
                   and item.name != "forward" and not _is_dunder(item.name)}
        uses: dict[str, list[ast.AST]] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Attribute) and node.attr in methods:
                uses.setdefault(node.attr, []).append(node)
            elif isinstance(node, ast.Name) and node.id in methods:
                uses.setdefault(node.id, []).append(node)
        standing = {name: node for name, node in methods.items() if uses.get(name)}
        while True:  # drop methods named outside the regions and the methods still standing
            inside = regions | set(standing.values())
            named_outside = {name for name in standing if any(not self._within(u, inside) for u in uses[name])}
            if not named_outside:
                return set(standing.values())
            standing = {name: node for name, node in standing.items() if name not in named_outside}

    def _in_init(self, node: ast.AST) -> bool:
        return bool(getattr(self, "init_only", None)) and self._within(node, self.init_only)

    def _within(self, node: ast.AST, regions: set[ast.AST]) -> bool:
        while node is not None:
            if node in regions:
                return True
            node = self.parents.get(node)
        return False

    def _in_backward(self, node: ast.AST) -> bool:
        return bool(getattr(self, "backward_only", None)) and self._within(node, self.backward_only)

    def _on_autograd_context(self, target: ast.Attribute, ctx: _Ctx) -> bool:
        """`ctx.eps = eps` in a method of the candidate's autograd Function: an attribute of the context object
        autograd makes for each call (what Liger-Kernel keeps for its backward), not state that outlives it.
        Only directly on the method's first parameter, which the method never rebinds."""
        fn, receiver = ctx.fn, target.value
        if not (isinstance(fn, ast.FunctionDef) and isinstance(receiver, ast.Name) and fn.args.args
                and fn.name in ("forward", "backward", "setup_context") and ctx.cls is not None
                and ctx.cls.name in self.autograd_functions and fn in ctx.cls.body):
            return False
        first = fn.args.args[0].arg
        rebound = any(isinstance(n, ast.Name) and n.id == first and isinstance(n.ctx, (ast.Store, ast.Del))
                      for n in ast.walk(fn))
        return receiver.id == first and not rebound and self.bindings.binding_scope(receiver) is fn

    def _is_function_apply(self, node: ast.Attribute) -> bool:
        """`Fn.apply`, where `Fn` names the candidate's own torch.autograd.Function subclass at module level."""
        receiver = node.value
        return node.attr == "apply" and isinstance(receiver, ast.Name) and receiver.id in self.autograd_functions \
            and self.bindings.binding_scope(receiver) is self.tree

    def _is_module_chain(self, node: ast.AST) -> bool:
        """Whether a name chain starts at an imported module (`torch.ops.aten`), not at a local value."""
        root = _root_name(node)
        return _dotted(node, self.aliases) is not None and root is not None and root.id in self.aliases \
            and not self.bindings.is_bound(root, imports=False)

    def _is_super_init(self, node: ast.Attribute) -> bool:
        """`super().__init__` or `nn.Module.__init__(self)`: the one dunder a module needs."""
        value = node.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super":
            return True
        return _dotted(value, self.aliases) == "torch.nn.Module" or isinstance(value, ast.Name) \
            and value.id in self.module_classes

    def _whole_chain(self, node: ast.AST) -> ast.AST:
        """The maximal attribute chain `node` is the inner part of (`torch._dynamo` in
        `torch._dynamo.is_compiling`), or `node` itself."""
        while self._is_chain_inner(node):
            node = self.parents[node]
        return node

    def _is_chain_inner(self, node: ast.AST) -> bool:
        parent = self.parents.get(node)
        return isinstance(parent, ast.Attribute) and parent.value is node

    def _check_chain(self, node: ast.AST, ctx: _Ctx) -> None:
        """A maximal name chain (`torch.cuda.Stream`, `F.gelu`, `tl.load`) rooted in an imported name: its full
        path must be on the vocabulary. A module reached as a value is refused, whatever it is."""
        name = _dotted(node, self.aliases)
        root = _root_name(node)
        if not name or root is None or root.id not in self.aliases or self.bindings.is_bound(root, imports=False):
            return  # a local variable that happens to be called torch is not the module
        if node in self.alias_values:
            return  # `torch_device_fn = torch.cuda`: an import by another spelling, `_importable` like one
        if name == "os" or name.startswith("os."):
            variable = self._environment_variable(node, name)
            if variable is None:
                self._add(node, f"uses {name}, which kernels may not use (of os, only an environment variable "
                          "read by a literal name)", Reason.IO_ACCESS)
            else:
                self.environment_reads.append((getattr(node, "lineno", 0), variable))
            return
        if name == _INLINE_ASM and not (isinstance(self.parents.get(node), ast.Call)
                                        and self.parents[node].func is node):
            self._add(node, f"takes {name} as a value: its assembly is read where it is called by that name",
                      Reason.OUTSIDE_VOCABULARY)
            return
        if name in VERSION_CALLS:
            call = self.parents.get(node)
            if not (isinstance(call, ast.Call) and call.func is node and call in self.version_calls):
                self._add(node, f"uses {name} other than to ask which torch or triton is installed (the name written "
                          "out, or a helper's parameter every call of which writes it out; the module read only for "
                          "its __version__)", Reason.DYNAMIC_CODE)
            return
        if name in ITERTOOLS_ALLOWED:
            call = self.parents.get(node)
            if not (isinstance(call, ast.Call) and call.func is node):
                self._add(node, f"takes {name} as a value: an iterator maker called by another name escapes the "
                          "rule that an iterator is drained where it is made", Reason.CROSS_CALL_STATE)
            return
        if name == "torch.Tensor" and not self._tensor_type_position(node):
            self._add(node, "takes torch.Tensor as a value: called later by another name, it is the legacy "
                      "constructor, whose memory the verifier's poison does not fill", Reason.OUTSIDE_VOCABULARY)
            return
        if name == "triton.set_allocator" and not (isinstance(self.parents.get(node), ast.Call)
                                                   and self.parents[node].func is node):
            self._add(node, "takes triton.set_allocator as a value: called by another name, the allocator it is "
                      "given escapes the check that it returns a fresh torch.empty(...)", Reason.REFLECTION)
            return
        if name in TORCH_ALLOWED or name in TRITON_ALLOWED or name in FUNCTOOLS_ALLOWED or name in MATH_ALLOWED \
                or name in TYPING_ALLOWED or name in CONTEXTLIB_ALLOWED or name in OPERATOR_ALLOWED \
                or name in PACKAGING_ALLOWED:
            return
        if name in CACHE_DECORATORS and self._decorates_pure_helper(node):
            return
        if name in BENCHMARK_DECLARATION and self._in_benchmark_declaration(node):
            return
        if name in CUSTOM_OP_DECORATORS and self._is_decorator(node) and self._decorates_custom_op(node):
            return
        if name in RECORD_CLASS_NAMES and self._in_record_position(node):
            return
        if name in VERSION_READS or name.startswith(tuple(f"{v}." for v in VERSION_READS)):
            return  # a version string, and str's methods on it (its dunders are refused by _check_attribute)
        if ctx.init and (name in TORCH_INIT_ONLY or name.startswith(_TORCH_INIT_ONLY_PREFIXES)
                         or _is_nn_layer(name)):
            return
        if name in _INIT_MATH and self._in_init(node):
            return  # a constant buffer computed while the model is built (`_init_only`)
        if ctx.kernel is False and name in _TORCH_DECORATOR_ONLY and self._is_decorator(node):
            return
        if name in _TORCH_ANNOTATION_ONLY and self._is_annotation(node):
            return
        if name in TORCH_FROM_DATA:
            problem = self._from_data_problem(node, name, ctx)
            if problem:
                self._add(node, problem, Reason.TORCH_OUTSIDE_KERNEL)
            return
        if name in LOGGING_CALLS:
            call = self.parents.get(node)
            if not (isinstance(call, ast.Call) and call.func is node):
                problem = f"uses {name} other than by calling it"
            elif name == "logging.getLogger":
                problem = self._get_logger_problem(call)
            else:
                problem = self._message_problem(call, ctx)
            if problem:
                self._add(node, problem, Reason.TORCH_OUTSIDE_KERNEL if "tensor's values" in problem
                          else Reason.CROSS_CALL_STATE)
            return
        if name in NVTX_CALLS:
            problem = self._nvtx_problem(node, name)
            if problem:
                self._add(node, problem, Reason.CROSS_CALL_STATE if "counter" in problem else Reason.REFLECTION)
            return
        rule = _path_rule(name)
        if name.startswith("torch.") and rule is Reason.OUTSIDE_VOCABULARY:
            self._add(node, f"uses {name}: PyTorch doing the work or reaching around the checks",
                      Reason.TORCH_OUTSIDE_KERNEL)
        elif "." not in name or name in _NAMESPACES or _importable(name):
            self._add(node, f"uses the module {name} as a value, which reaches whatever it imports", rule)
        else:
            self._add(node, f"uses {name}, which is not on the gate's vocabulary", rule)

    def _tensor_type_position(self, node: ast.AST) -> bool:
        """Where `torch.Tensor` names the type and nothing else: called where it is named (`_check_call` rules on
        that), tested against (`isinstance(x, (torch.Tensor, int))`, `case torch.Tensor():`), an annotation, a
        class base, or the type `typing.cast` names."""
        parent = self.parents.get(node)
        if isinstance(parent, ast.Tuple):
            parent = self.parents.get(parent)
        if isinstance(parent, ast.Call):
            if _dotted(parent.func, self.aliases) == "typing.cast":  # `typing.cast(torch.Tensor, out)`
                return bool(parent.args) and parent.args[0] is node
            return parent.func is node or (isinstance(parent.func, ast.Name)
                                           and parent.func.id in ("isinstance", "issubclass")
                                           and not self.bindings.is_bound(parent.func))
        return isinstance(parent, ast.MatchClass) or (isinstance(parent, ast.ClassDef) and node in parent.bases) \
            or self._is_annotation(node)

    def _from_data_problem(self, node: ast.AST, name: str, ctx: _Ctx) -> str | None:
        """`torch.tensor(...)` is called where it is named, on host numbers only: given a tensor (or a list
        holding one), PyTorch would copy that tensor's values."""
        call = self.parents.get(node)
        if not (isinstance(call, ast.Call) and call.func is node):
            return f"uses {name} other than by calling it"
        is_tensor = self.types.checker(ctx)
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            if isinstance(arg, ast.Starred) or is_tensor(arg):
                return (f"calls {ast.unparse(call)[:60]} on a tensor's values: PyTorch copying them (only numbers "
                        "and lists of numbers make a constant tensor)")
        return None

    def _nvtx_problem(self, node: ast.AST, name: str) -> str | None:
        """An NVTX annotation is called where it is named, with one message (text, never a value it formats
        with arguments, which `range` would read attributes of), and keeps nothing: `range` opens a `with`
        block or decorates, the others are statements of their own (`range_push` returns the depth)."""
        call = self.parents.get(node)
        if not (isinstance(call, ast.Call) and call.func is node):
            return f"uses {name} other than by calling it"
        pop = name.endswith("range_pop")
        if call.keywords or len(call.args) != (0 if pop else 1) or not pop and not (
                isinstance(call.args[0], ast.JoinedStr)
                or isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)):
            return f"calls {ast.unparse(call)[:60]}; an NVTX annotation takes one message, written out"
        holder = self.parents.get(call)
        if name.endswith(".range"):
            if isinstance(holder, ast.withitem) and holder.context_expr is call and holder.optional_vars is None \
                    or self._is_decorator(node):
                return None
            return f"uses {ast.unparse(call)[:60]} other than to open a with block or decorate a function"
        if isinstance(holder, ast.Expr):
            return None
        return (f"keeps the value of {ast.unparse(call)[:60]}, the NVTX nesting depth: a counter across calls "
                "when nothing pops it")

    def _is_annotation(self, node: ast.AST) -> bool:
        """Whether `node` is (part of) an annotation, only named there (`stream: Optional[torch.cuda.Stream]`):
        subscripts, tuples and `|` lead up to it, never a call, which would make what it names."""
        child, parent = node, self.parents.get(node)
        while isinstance(parent, (ast.Subscript, ast.Tuple, ast.BinOp)):
            child, parent = parent, self.parents.get(parent)
        return isinstance(parent, ast.arg) and parent.annotation is child \
            or isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)) and parent.returns is child \
            or isinstance(parent, ast.AnnAssign) and parent.annotation is child

    def _is_decorator(self, node: ast.AST) -> bool:
        parent = self.parents.get(node)
        target = parent if isinstance(parent, ast.Call) and parent.func is node else node
        holder = self.parents.get(target)
        return isinstance(holder, (ast.FunctionDef, ast.ClassDef)) and target in holder.decorator_list

    def _check_class(self, node: ast.ClassDef) -> None:
        if self._record_class(node):
            return  # a frozen dataclass, a NamedTuple or an enum of constants
        for base in node.bases:
            name = _dotted(base, self.aliases)
            if name not in _ALLOWED_BASES:
                shown = name or ast.unparse(base)
                self._add(base, f"derives class {node.name} from {shown}; only nn.Module and "
                          f"torch.autograd.Function are allowed",
                          Reason.REFERENCE_ACCESS if shown in _REFERENCE_NAMES else Reason.REFLECTION)
        if node.keywords:
            self._add(node, f"passes {', '.join(k.arg or '**' for k in node.keywords)} to class {node.name}",
                      Reason.REFLECTION)
        if node.decorator_list:
            self._add(node.decorator_list[0], f"decorates class {node.name}", Reason.REFLECTION)

    def _check_function(self, node: ast.FunctionDef | ast.Lambda) -> None:
        if not isinstance(node, ast.Lambda):
            if _is_dunder(node.name) and not (node.name == "__init__" and isinstance(self.parents.get(node),
                                                                                      ast.ClassDef)):
                self._add(node, f"defines {node.name}, a hook into how Python or torch treats objects",
                          Reason.REFLECTION)
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                name = _dotted(target, self.aliases)
                own = isinstance(dec, ast.Name) and dec.id in self.module_functions and dec.id not in self.kernels
                if name in CACHE_DECORATORS and self._pure_cached_helper(node, dec):
                    continue
                if name in BENCHMARK_DECLARATION and self._in_benchmark_declaration(dec):
                    continue
                if name in CUSTOM_OP_DECORATORS and node.name in self.custom_ops \
                        or fake_registration(dec, node, self.tree, self.custom_ops):
                    continue
                if name not in _ALLOWED_DECORATORS and not own:  # the candidate's own decorator is checked code
                    self._add(dec, f"decorates {node.name} with {name or ast.unparse(target)}",
                              _path_rule(name or ""))
        for default in [*node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]]:
            if not self._immutable_default(default):
                self._add(default, f"uses the default argument {ast.unparse(default)[:60]}, made once and shared by "
                          "every call: state that outlives a call", Reason.CROSS_CALL_STATE)

    def _warns_once(self, fn: ast.FunctionDef) -> bool:
        """A cached helper without parameters whose body only logs or warns (transformers' `warning_once`
        idiom, a kernel library's fallback notice): the cache makes it say its message once; it returns
        nothing, so no call can learn from it whether it ran before. Its messages are checked as any other."""
        args = fn.args
        if args.posonlyargs or args.args or args.kwonlyargs or args.vararg or args.kwarg:
            return False
        body = fn.body[1:] if fn.body and isinstance(fn.body[0], ast.Expr) \
            and isinstance(fn.body[0].value, ast.Constant) and isinstance(fn.body[0].value.value, str) else fn.body
        if not body:
            return False
        for stmt in body:
            call = stmt.value if isinstance(stmt, ast.Expr) else None
            if not isinstance(call, ast.Call):
                return False
            func = call.func
            logs = _dotted(func, self.aliases) == "warnings.warn" or isinstance(func, ast.Attribute) \
                and isinstance(func.value, ast.Name) and func.value.id in self.loggers and func.attr in LOGGER_METHODS
            if not logs:
                return False
        uses = [n for n in ast.walk(self.tree) if isinstance(n, ast.Name) and n.id == fn.name]
        return all(isinstance(self.parents.get(n), ast.Call) and self.parents[n].func is n for n in uses) \
            and self.bindings_count(fn.name) == 1

    def _decorates_pure_helper(self, node: ast.AST) -> bool:
        """Whether a `functools.lru_cache` chain is the decorator (or the decorator's call) of a pure helper."""
        parent = self.parents.get(node)
        dec = parent if isinstance(parent, ast.Call) and parent.func is node else node
        fn = self.parents.get(dec)
        return isinstance(fn, ast.FunctionDef) and dec in fn.decorator_list and self._pure_cached_helper(fn, dec)

    def _pure_cached_helper(self, fn: ast.FunctionDef, dec: ast.AST) -> bool:
        """A cache may decorate a module-level helper that computes a config from host numbers and nothing else
        (CACHE_DECORATORS): the decorator alone, its maxsize written out; plain parameters, none a tensor, no
        default; a body of arithmetic, comparisons, tuples and the calls PURE_HELPER_*, every name a parameter,
        a local, a module constant (`MAX_BLOCK = 1024`) or one of those; and the helper's name only ever called."""
        if fn not in self.tree.body or len(fn.decorator_list) != 1:
            return False
        if isinstance(dec, ast.Call) and not all(isinstance(a, ast.Constant) for a in
                                                 [*dec.args, *(k.value for k in dec.keywords)]):
            return False
        if self._warns_once(fn):
            return True
        args = fn.args
        if args.vararg or args.kwarg or args.defaults or args.kw_defaults or self.types.tensors.get(fn) \
                or fn in self.types.returns:
            return False
        params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
        locals_ = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for node in (n for stmt in fn.body for n in ast.walk(stmt)):
            if isinstance(node, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp,
                                 ast.GeneratorExp, ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                 ast.Global, ast.Nonlocal, ast.Yield, ast.YieldFrom, ast.Await, ast.Starred,
                                 ast.With, ast.Try, ast.Raise, ast.Delete)):
                return False
            if isinstance(node, ast.Call) and not (
                    isinstance(node.func, ast.Name) and node.func.id in PURE_HELPER_BUILTINS
                    and not self.bindings.is_bound(node.func)
                    or (_dotted(node.func, self.aliases) or "") in PURE_HELPER_CALLS
                    or (_dotted(node.func, self.aliases) or "").startswith("math.")):
                return False
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in params \
                    and node.id not in locals_ and node.id not in PURE_HELPER_BUILTINS \
                    and node.id not in self.module_constants \
                    and (_dotted(node, self.aliases) or "").split(".")[0] not in ("math", "triton"):
                return False
        uses = [n for n in ast.walk(self.tree) if isinstance(n, ast.Name) and n.id == fn.name]
        return all(isinstance(self.parents.get(n), ast.Call) and self.parents[n].func is n for n in uses) \
            and self.bindings_count(fn.name) == 1

    def bindings_count(self, name: str) -> int:
        """How many times the module binds `name` (a def, an assignment, an import)."""
        return definitions_of(self.tree, name)

    def _in_record_position(self, node: ast.AST) -> bool:
        """Whether a `dataclasses.dataclass` / `typing.NamedTuple` chain decorates or bases a record class."""
        parent = self.parents.get(node)
        dec = parent if isinstance(parent, ast.Call) and parent.func is node else node
        cls = self.parents.get(dec)
        return isinstance(cls, ast.ClassDef) and (dec in cls.decorator_list or dec in cls.bases) \
            and self._record_class(cls)

    def _record_class(self, node: ast.ClassDef) -> bool:
        """A module-level class of settings only (RECORD_CLASS_NAMES): either `@dataclass(frozen=True)` with no
        base or a `typing.NamedTuple` subclass with no decorator, whose body is an optional docstring and fields
        `name: <type> [= constant]`, the type one of RECORD_FIELD_TYPES or a tuple of them; or an enum of
        constants (`_enum_body`). No keywords, no methods, no class attributes: immutable instances, nothing
        shared across calls."""
        if node not in self.tree.body or node.keywords:
            return False
        names = [_dotted(b, self.aliases) for b in node.bases]
        # an enum, alone or mixed with str or int (`class Activation(str, Enum)`, xformers' way): members are
        # immutable constants either way
        mixins = names[:-1]
        if names and names[-1] in ENUM_BASES and not node.decorator_list and len(mixins) <= 1 and all(
                m in ("str", "int") and not self.bindings.is_bound(b) for m, b in zip(mixins, node.bases)):
            return self._enum_body(node)
        if not node.bases and len(node.decorator_list) == 1:
            dec = node.decorator_list[0]
            if not (isinstance(dec, ast.Call) and _dotted(dec.func, self.aliases) == "dataclasses.dataclass"
                    and not dec.args and [(k.arg, getattr(k.value, "value", None)) for k in dec.keywords]
                    == [("frozen", True)]):
                return False
        elif names != ["typing.NamedTuple"] or node.decorator_list:
            return False
        body = node.body[1:] if node.body and isinstance(node.body[0], ast.Expr) \
            and isinstance(node.body[0].value, ast.Constant) and isinstance(node.body[0].value.value, str) \
            else node.body
        return bool(body) and all(
            isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name) and st.simple
            and not _is_dunder(st.target.id) and self._field_type(st.annotation)
            and (st.value is None or isinstance(st.value, ast.Constant)
                 or isinstance(st.value, ast.UnaryOp) and isinstance(st.value.operand, ast.Constant))
            for st in body)

    def _enum_body(self, node: ast.ClassDef) -> bool:
        """An enum's body: an optional docstring and `NAME = constant` members, nothing else (no `auto()`, no
        methods)."""
        body = node.body[1:] if node.body and isinstance(node.body[0], ast.Expr) \
            and isinstance(node.body[0].value, ast.Constant) else node.body
        return bool(body) and all(
            isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name)
            and not st.targets[0].id.startswith("_") and isinstance(st.value, ast.Constant) for st in body)

    def _field_type(self, annotation: ast.AST) -> bool:
        """`int`, `float`, `bool`, `str`, `torch.dtype`, or `tuple[...]` / `typing.Tuple[...]` of them."""
        if isinstance(annotation, ast.Name) and annotation.id in RECORD_FIELD_TYPES:
            return not self.bindings.is_bound(annotation)
        if isinstance(annotation, ast.Attribute):
            return _dotted(annotation, self.aliases) in RECORD_FIELD_TYPES
        if isinstance(annotation, ast.Subscript) and (
                isinstance(annotation.value, ast.Name) and annotation.value.id == "tuple"
                and not self.bindings.is_bound(annotation.value)
                or _dotted(annotation.value, self.aliases) == "typing.Tuple"):
            items = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
            return all(isinstance(i, ast.Constant) and i.value is Ellipsis or self._field_type(i) for i in items)
        return False

    def _zeroing_hook(self, value: ast.AST) -> bool:
        """A config's `pre_hook` that only zeroes arguments named by string before each launch, the split-K
        idiom of the Triton tutorials and FlagGems (`pre_hook=lambda nargs: nargs["c_ptr"].zero_()`, or a
        module-level def of such statements, bound once): it initialises like `.zero_()` in a launcher and
        reads nothing. Any other statement, call or chained method keeps the hook host code (refused)."""
        def zeroes(expr: ast.AST, param: str) -> bool:
            return isinstance(expr, ast.Call) and not expr.args and not expr.keywords \
                and isinstance(expr.func, ast.Attribute) and expr.func.attr == "zero_" \
                and isinstance(expr.func.value, ast.Subscript) and isinstance(expr.func.value.value, ast.Name) \
                and expr.func.value.value.id == param and isinstance(expr.func.value.slice, ast.Constant) \
                and isinstance(expr.func.value.slice.value, str)

        if isinstance(value, ast.Lambda):
            fn, body = value, [value.body]
        elif isinstance(value, ast.Name):
            fn = self._function_bound_once(value)
            if fn is None:
                return False
            body = [st.value for st in fn.body if isinstance(st, ast.Expr)
                    and not (isinstance(st.value, ast.Constant) and isinstance(st.value.value, str))]
            if len(body) != len([st for st in fn.body if not (isinstance(st, ast.Expr) and isinstance(
                    st.value, ast.Constant) and isinstance(st.value.value, str))]):
                return False  # a statement other than a zeroing call
        else:
            return False
        args = fn.args
        if args.posonlyargs or args.vararg or args.kwonlyargs or args.kwarg or args.defaults or len(args.args) != 1:
            return False
        return bool(body) and all(zeroes(expr, args.args[0].arg) for expr in body)

    def _immutable_default(self, value: ast.AST) -> bool:
        """A default is evaluated once, at definition, and every call shares it: only values nothing can
        change may be defaults (numbers, strings, None, tuples of them, a dtype, a module constant), not a
        container, a tensor (`count=torch.zeros(1)`, which a kernel bumps per call) or anything a call made."""
        if isinstance(value, ast.Constant):
            return True
        if isinstance(value, ast.UnaryOp):
            return self._immutable_default(value.operand)
        if isinstance(value, ast.Tuple):
            return all(self._immutable_default(e) for e in value.elts)
        if isinstance(value, ast.Name) and (value.id in self.module_constants or value.id in self.kernels):
            return True  # a module constant, or a kernel (a Triton function object, launched, never changed)
        if isinstance(value, ast.Call) and _dotted(value.func, self.aliases) == "triton.language.constexpr":
            return not value.keywords and all(self._immutable_default(a) for a in value.args)
        if isinstance(value, (ast.Attribute, ast.Name)):
            name = _dotted(value, self.aliases)
            return name in TRITON_ALLOWED or name in MATH_ALLOWED or name in TORCH_ALLOWED and not name.startswith(
                ("torch.nn.", "torch.cuda.")) and name.rsplit(".", 1)[1][:1].islower()
        return False

    def _check_store(self, node: ast.AST, ctx: _Ctx) -> None:
        if isinstance(node, ast.AugAssign) and ctx.kernel and isinstance(node.value, (
                ast.List, ast.Tuple, ast.Set, ast.Dict, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            self._add(node, f"grows a Python container inside a kernel ({ast.unparse(node)}), which only the "
                      "interpreter runs and which may outlive the call", Reason.CROSS_CALL_STATE)
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and ctx.fn is not None \
                and not ctx.kernel and not self._scalar_or_fresh(node.target.id, ctx.fn, set()):
            self._add(node, f"updates {node.target.id} in place ({ast.unparse(node)}), which may hold a container "
                      "that outlives the call: a cache or a counter", Reason.CROSS_CALL_STATE)
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = node.targets
        elif isinstance(node, ast.withitem):
            targets = [node.optional_vars] if node.optional_vars is not None else []
        else:
            targets = [node.target]
        for target in (t for top in targets for t in _flatten_targets(top)):
            if not isinstance(target, (ast.Attribute, ast.Subscript)):
                continue
            root = _root_name(target)
            root_id = root.id if root else None
            what = ast.unparse(target)
            if root_id in self.aliases:
                self._add(target, f"assigns to {what}: monkeypatching an imported module", Reason.MONKEYPATCH)
            elif root_id in self.kernels or root_id in self.module_functions or root_id in self.module_classes:
                self._add(target, f"assigns to {what}: patching a kernel, function or class", Reason.MONKEYPATCH)
            elif isinstance(target, ast.Attribute) and not (ctx.init and root_id == "self") \
                    and not self._on_autograd_context(target, ctx):
                self._add(target, f"assigns to {what} outside __init__: state that outlives a call",
                          Reason.CROSS_CALL_STATE)
            elif isinstance(target, ast.Subscript) and ctx.kernel:
                self._add(target, f"assigns to {what} inside a kernel: Triton tensors take no item assignment, so "
                          "only a Python container (which the interpreter passes through) can", Reason.CROSS_CALL_STATE,
                          inferred=True)  # a named construct on the same line (`.handle`) is the clearer reason
            elif isinstance(target, ast.Subscript) and ctx.fn is not None and not ctx.kernel \
                    and not (ctx.init and root_id == "self") and not self._is_fresh(target.value, ctx.fn) \
                    and not self.types.checker(ctx)(target.value):  # a tensor: reported as a write into it
                self._add(target, f"assigns to {what}, a container that outlives the call: a cache",
                          Reason.CROSS_CALL_STATE)

    # -- state that outlives a call: format strings, iterators, in-place updates --------------------------

    def _format_problem(self, node: ast.Attribute) -> str | None:
        """`str.format` reads attributes and items named in its template (`"{0.__globals__}"`): reflection
        in a string, out of the gate's sight. Only `"literal".format(...)` with plain fields is allowed."""
        parent = self.parents.get(node)
        if node.attr == "format_map" or not (isinstance(parent, ast.Call) and parent.func is node):
            return f"uses {ast.unparse(node)}, which reads attributes named in text"
        if not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            return f"formats with a template chosen at run time ({ast.unparse(node)}), which reads attributes named in text"

        def plain(template: str, depth: int = 0) -> bool:
            try:
                fields = list(string.Formatter().parse(template))
            except ValueError:
                return False
            for _, name, spec, _ in fields:
                if name is not None and ("." in name or "[" in name):
                    return False
                if spec and depth < 2 and not plain(spec, depth + 1):
                    return False
            return True

        if not plain(node.value.value):
            return f"formats {node.value.value[:60]!r}, whose fields read attributes or items of its arguments"
        return None

    def _makes_iterator(self, node: ast.AST) -> bool:
        if isinstance(node, ast.GeneratorExp):
            return True
        if _dotted(node.func, self.aliases) in ITERTOOLS_ALLOWED and _root_name(node.func) is not None \
                and not self.bindings.is_bound(_root_name(node.func), imports=False):
            return True
        return isinstance(node.func, ast.Name) and node.func.id in ITERATOR_BUILTINS \
            and not self.bindings.is_bound(node.func) and node.func.id not in self.aliases

    def _drained_where_made(self, node: ast.AST) -> bool:
        """An iterator iterated by a `for` or a comprehension, or handed straight to a call that drains it
        (`tuple(...)`, `sorted(...)`, `"".join(...)`, an iterator that is itself drained where made)."""
        parent = self.parents.get(node)
        starred = isinstance(parent, ast.Starred)
        if starred:
            node, parent = parent, self.parents.get(parent)
        if isinstance(parent, (ast.For, ast.comprehension)) and parent.iter is node:
            return True
        if not (isinstance(parent, ast.Call) and node in parent.args):
            return False
        if starred:  # `f(*(g(x) for x in args))`: unpacked into the arguments before any call runs (fla)
            return True
        func = parent.func
        if isinstance(func, ast.Name) and func.id in _DRAINING_BUILTINS and not self.bindings.is_bound(func) \
                and func.id not in self.aliases:
            return func.id not in ITERATOR_BUILTINS or self._drained_where_made(parent)
        if isinstance(func, ast.Attribute) and func.attr == "join" and isinstance(func.value, ast.Constant):
            return True
        return _dotted(func, self.aliases) in _DRAINING_CALLS

    def _local_iterator(self, node: ast.AST, ctx: _Ctx) -> bool:
        """An iterator bound to a local name of a call (not `__init__`, whose locals end up on self) and
        never returned: it dies with the call (`probe = (s for s in rows)`)."""
        parent = self.parents.get(node)
        if ctx.fn is None or ctx.init or not isinstance(parent, ast.Assign) \
                or not all(isinstance(t, ast.Name) for t in parent.targets):
            return False
        names = {t.id for t in parent.targets}
        return not any(isinstance(n, ast.Return) and n.value is not None and any(
            isinstance(m, ast.Name) and m.id in names and not self._unpacked_into_call(m) for m in ast.walk(n.value))
            for n in _scope_nodes(ctx.fn))

    def _unpacked_into_call(self, node: ast.Name) -> bool:
        """`f(*it)`: the call drains the iterator into its arguments before it runs (flash-linear-attention's
        `input_guard` returns `fn(*contiguous_args)`), so the iterator never leaves with what it returns."""
        starred = self.parents.get(node)
        return isinstance(starred, ast.Starred) and starred.value is node \
            and isinstance(self.parents.get(starred), ast.Call) and starred in self.parents[starred].args

    def _scalar_or_fresh(self, name: str, fn: ast.AST, seen: set) -> bool:
        """Whether every binding of `name` in `fn` (but the in-place updates) is a number or an object this
        call made (`n = x.numel()`, `grid = (1,)`), so `name += ...` touches nothing that outlives the call.
        A parameter qualifies only when annotated int or float, or defaulting to a number."""
        if name in seen:
            return True
        seen = seen | {name}
        if isinstance(fn, ast.Module):
            return False
        args = fn.args
        positional = [*args.posonlyargs, *args.args]
        defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults))
        defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
        for param in _params(fn):
            if param.arg == name:
                annotated = isinstance(param.annotation, ast.Name) and param.annotation.id in ("int", "float")
                default = defaults.get(name)
                numeric = isinstance(default, ast.Constant) and isinstance(default.value, (int, float)) \
                    and not isinstance(default.value, bool)
                if not (annotated or numeric):
                    return False
        for node in _scope_nodes(fn):
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if name not in _bound_names(target):
                        continue
                    if not isinstance(target, ast.Name) or node.value is None \
                            or not self._fresh_value(node.value, fn, seen):
                        return False
            elif isinstance(node, (ast.For, ast.comprehension)) and name in _bound_names(node.target):
                iterator = node.iter
                if not (isinstance(iterator, ast.Call) and _dotted(iterator.func, self.aliases) in (
                        "range", "triton.language.range", "triton.language.static_range")
                        or isinstance(iterator, ast.Call) and isinstance(iterator.func, ast.Name)
                        and iterator.func.id == "range"):
                    return False
            elif isinstance(node, (ast.withitem, ast.NamedExpr)):
                target = node.optional_vars if isinstance(node, ast.withitem) else node.target
                if target is not None and name in _bound_names(target):
                    return False
        return True

    def _fresh_value(self, value: ast.AST, fn: ast.AST, seen: set) -> bool:
        """A number, or a new object (arithmetic, a literal, a constructor): never one kept elsewhere."""
        if isinstance(value, (ast.Constant, ast.BinOp, ast.UnaryOp, ast.Compare, ast.List, ast.Tuple, ast.Dict,
                              ast.Set, ast.ListComp, ast.DictComp, ast.SetComp, ast.JoinedStr)):
            return True
        if isinstance(value, (ast.BoolOp, ast.IfExp)):
            parts = value.values if isinstance(value, ast.BoolOp) else [value.body, value.orelse]
            return all(self._fresh_value(part, fn, seen) for part in parts)
        if isinstance(value, ast.Name):  # a local of this call bound only to such values; never a global
            local = {a.arg for a in _params(fn)} | {
                name for n in _scope_nodes(fn) if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign))
                for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) for name in _bound_names(t)}
            return value.id in local and self._scalar_or_fresh(value.id, fn, seen)
        if isinstance(value, ast.Subscript):  # x.shape[0], x.stride(1)
            inner = value.value
            return isinstance(inner, ast.Attribute) and inner.attr == "shape" or isinstance(inner, ast.Call) \
                and isinstance(inner.func, ast.Attribute) and inner.func.attr in _SCALAR_METHODS
        if isinstance(value, ast.Attribute):
            return value.attr in ("shape", "ndim", "itemsize", "nbytes")
        if isinstance(value, ast.Call):
            func = value.func
            if isinstance(func, ast.Name) and not self.bindings.is_bound(func) and func.id not in self.aliases:
                # min and max return an argument, sum(items, start) its start when items are empty
                if func.id in ("min", "max"):
                    return len(value.args) > 1 and not value.keywords \
                        and all(self._fresh_value(a, fn, seen) for a in value.args)
                if func.id == "sum":
                    return len(value.args) == 1 and not value.keywords
                return func.id in _SCALAR_BUILTINS
            if isinstance(func, ast.Attribute) and func.attr in _SCALAR_METHODS:
                return True
            return _dotted(func, self.aliases) in _SCALAR_CALLS
        return False

    def _is_fresh(self, container: ast.AST, fn: ast.AST) -> bool:
        """Whether mutating `container` inside `fn` touches only what this call created: the container must
        be a fresh local itself (`shape[-1] = 1`), not something reached through one (`box[0][key]`)."""
        return isinstance(container, ast.Name) and container.id in self._fresh_locals(fn)

    def _fresh_locals(self, fn: ast.AST) -> set[str]:
        """Names a function binds only to containers it creates itself ({}, [], dict(), list(x.shape)...)."""
        if fn in self._fresh:
            return self._fresh[fn]
        fresh: set[str] = set()
        stale: set[str] = {a.arg for a in _params(fn)} if not isinstance(fn, ast.Module) else set()
        # A parameter every caller hands a container it makes for the call (Inductor's `call(args)` wrapper is
        # called as `call([x])` and clears its list): fresh in here too, unless the function rebinds it.
        for param in list(stale):
            if self._every_call_passes(fn, param, self._fresh_container, required=True):
                stale.discard(param)
                fresh.add(param)
        for node in _scope_nodes(fn):
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                value = node.value
                is_fresh = value is not None and (
                    isinstance(value, (ast.List, ast.Dict, ast.Set, ast.Tuple, ast.ListComp, ast.DictComp,
                                       ast.SetComp, ast.Constant))
                    or isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                    and value.func.id in _FRESH_CONSTRUCTORS and value.func.id not in self.defined)
                for target in targets:
                    for name in _bound_names(target):
                        (fresh if is_fresh and isinstance(target, ast.Name) else stale).add(name)
            elif isinstance(node, (ast.For, ast.comprehension, ast.withitem, ast.NamedExpr, ast.AugAssign)):
                target = node.optional_vars if isinstance(node, ast.withitem) else node.target
                stale.update(_bound_names(target) if target is not None else [])
        self._fresh[fn] = fresh - stale
        return self._fresh[fn]

    def _fresh_container(self, expr: ast.AST) -> bool:
        """A container made where it is written: a display, a comprehension, or `list(...)` and the like."""
        return isinstance(expr, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)) \
            or isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) \
            and expr.func.id in _FRESH_CONSTRUCTORS and expr.func.id not in self.defined

    def _check_call(self, node: ast.Call, ctx: _Ctx) -> None:
        func = node.func
        if ctx.kernel:
            self._check_kernel_call(node)
            return
        name = _dotted(func, self.aliases)
        if name is not None and name.startswith("torch.") and any(k.arg == "out" for k in node.keywords) \
                and self._is_module_chain(func):
            self._add(node, f"calls {name}(..., out=...), PyTorch writing into a tensor it was handed",
                      Reason.TORCH_OUTSIDE_KERNEL)
        built_once = self._in_init(node) or ctx.init and ctx.cls is not None and ctx.cls.name == "ModelNew"
        if name == "torch.Tensor" and self._is_module_chain(func) and not built_once:
            self._add(node, "calls the legacy constructor torch.Tensor(...), whose memory is left as it was: the "
                      "verifier's poison fills what torch.empty and its kin return, so that an output a kernel "
                      "leaves partly unwritten, or a stale answer in reused memory, shows (use torch.empty)",
                      Reason.OUTSIDE_VOCABULARY)
        if _dotted(func, self.aliases) in _TUNER_CALLS:
            for keyword in node.keywords:
                if keyword.arg == "prune_configs_by" and self._config_pruning(keyword.value):
                    continue
                if keyword.arg in _TUNER_HOOKS and not (keyword.arg == "pre_hook"
                                                        and self._zeroing_hook(keyword.value)):
                    self._add(keyword.value, f"hands host code to the autotuner as {keyword.arg}, which it calls "
                              "with the kernel's tensors", Reason.REFLECTION)
        if name == "triton.set_allocator" and not (len(node.args) == 1 and not node.keywords
                                                   and self._scratch_allocator(node.args[0])):
            self._add(node, "hands Triton an allocator other than a function returning a fresh torch.empty(...): "
                      "Triton calls it during launches", Reason.REFLECTION)
        if _dotted(func, self.aliases) in _HEURISTICS_CALLS and node.args and isinstance(node.args[0], ast.Dict):
            kernel = self.parents.get(node)
            pointers = self._pointer_params(kernel) if isinstance(kernel, ast.FunctionDef) \
                and node in kernel.decorator_list else set()
            for value in node.args[0].values:
                self._check_heuristic(value, pointers=pointers)
        if isinstance(func, ast.Attribute):
            root = _root_name(func.value)
            module = _dotted(func.value, self.aliases) is not None and root is not None and root.id in self.aliases
            own_submodule = isinstance(func.value, ast.Name) and func.value.id == "self" and ctx.cls is not None \
                and not ctx.init and self._own_submodule(ctx.cls, func.attr)
            if own_submodule:
                pass  # `self.norm(x)`: the forward of a module class of the candidate's own, not Tensor.norm
            elif func.attr in FORBIDDEN_METHODS and not module and func.attr in _INIT_MATH_METHODS \
                    and self._in_init(node):
                pass  # a constant buffer computed while the model is built (`_init_only`)
            elif func.attr == "fill_" and not module and self._constant_fill(node):
                pass  # an initialisation, like zero_: the value is written out, never computed from data
            elif func.attr == "fill_" and not module:
                self._add(node, f"calls {ast.unparse(node)[:60]} with a value not written out (a tensor, or a number "
                          "computed at run time): PyTorch writing an answer", Reason.TORCH_OUTSIDE_KERNEL)
            elif func.attr in FORBIDDEN_METHODS and not module:  # module functions are checked as names
                self._add(node, f"calls .{func.attr}() outside a Triton kernel",
                          Reason.REFLECTION if func.attr.startswith("register_") else Reason.TORCH_OUTSIDE_KERNEL)
            elif func.attr in _MUTATING_METHODS and ctx.fn is not None and not module \
                    and not (ctx.init and root is not None and root.id == "self"):
                if not self._is_fresh(func.value, ctx.fn):
                    self._add(node, f"calls {ast.unparse(func)}() on a container that outlives the call: a cache",
                              Reason.CROSS_CALL_STATE)
            if isinstance(func.value, ast.Name) and func.value.id == "self" and ctx.cls is not None \
                    and not ctx.init:
                methods = {n.name for n in ctx.cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
                if func.attr not in methods and not own_submodule:
                    self._add(node, f"calls self.{func.attr}(), a callable or submodule the model holds",
                              Reason.TORCH_OUTSIDE_KERNEL)
        if isinstance(func, ast.Subscript) and isinstance(func.value, ast.Name) and func.value.id in self.launchable:
            # a grid function is called like a heuristic, with the launch's arguments
            grid = func.slice
            if isinstance(grid, ast.Name):
                for bound in ast.walk(self.tree):
                    if isinstance(bound, ast.Assign) and isinstance(bound.value, ast.Lambda) and any(
                            isinstance(t, ast.Name) and t.id == grid.id for t in bound.targets):
                        self._check_heuristic(bound.value)
                    elif isinstance(bound, ast.FunctionDef) and bound.name == grid.id:
                        self._check_heuristic(bound)
            else:
                self._check_heuristic(grid)
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                if isinstance(arg, ast.Lambda) or isinstance(arg, ast.Name) and arg.id in self.host_functions:
                    self._add(arg, f"passes the host function {ast.unparse(arg)} to a kernel",
                              Reason.OUTSIDE_VOCABULARY)

    def _own_submodule(self, cls: ast.ClassDef, attr: str) -> bool:
        """`self.<attr>` is one of the candidate's own nn.Module classes, built once in `cls.__init__` and bound
        nowhere else (attorch's and Liger's models compose their own modules: `self.norm = FusedRMSNorm(n)`,
        then `self.norm(x)`): calling it runs that class's forward, candidate code the gate checks like any."""
        stores = [n for n in ast.walk(self.tree) if isinstance(n, ast.Attribute) and n.attr == attr
                  and isinstance(n.ctx, (ast.Store, ast.Del))]
        if len(stores) != 1:
            return False
        statement = self.parents.get(stores[0])
        init = self.parents.get(statement)
        if not (isinstance(statement, ast.Assign) and statement.targets == [stores[0]]
                and isinstance(stores[0].value, ast.Name) and stores[0].value.id == "self"
                and isinstance(init, ast.FunctionDef) and init.name == "__init__" and init in cls.body):
            return False
        value = statement.value
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                and value.func.id in self.module_classes and self.bindings_count(value.func.id) == 1):
            return False
        built = next(n for n in self.tree.body if isinstance(n, ast.ClassDef) and n.name == value.func.id)
        return built is not cls and [_dotted(b, self.aliases) for b in built.bases] == ["torch.nn.Module"]

    def _constant_fill(self, call: ast.Call) -> bool:
        """`t.fill_(value)` where value is written out: a number, `float("-inf")`, a math or module constant,
        a dtype's bound (`torch.finfo(x.dtype).min`), arithmetic on those. A tensor or any value computed at
        run time (a kernel's 0-dim result, a host number) would let PyTorch write an answer into an output that
        a kernel was merely handed, which the runtime counts as initialisation."""
        def constant(value: ast.AST) -> bool:
            if isinstance(value, ast.Constant):
                return isinstance(value.value, (int, float, bool))
            if isinstance(value, ast.UnaryOp):
                return constant(value.operand)
            if isinstance(value, ast.BinOp):
                return constant(value.left) and constant(value.right)
            if isinstance(value, ast.Name) and value.id in self.module_constants:
                return True
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "float" \
                    and not self.bindings.is_bound(value.func) and value.func.id not in self.aliases:
                return len(value.args) == 1 and not value.keywords and isinstance(value.args[0], ast.Constant) \
                    and str(value.args[0].value).strip().lower() in ("inf", "-inf", "+inf", "nan", "infinity",
                                                                   "-infinity")
            if isinstance(value, ast.Attribute) and value.attr in ("min", "max", "eps", "tiny") \
                    and isinstance(value.value, ast.Call):
                return _dotted(value.value.func, self.aliases) in ("torch.finfo", "torch.iinfo")
            if isinstance(value, (ast.Attribute, ast.Name)) and self._is_module_chain(value):  # math.inf, or inf
                return _dotted(value, self.aliases) in ("math.inf", "math.nan", "math.pi", "math.e", "math.tau")
            return False
        return len(call.args) == 1 and not call.keywords and constant(call.args[0])

    def _config_pruning(self, value: ast.AST) -> bool:
        """`prune_configs_by={"early_config_prune": fn}` (with an optional literal `top_k`), the config pruning
        of the Triton tutorials' and FlagGems' autotuned kernels: `fn(configs, named_args, **kwargs)` is a
        module-level function, bound once, that reads the launch's arguments as a heuristic may (metadata and
        scalars, `_check_heuristic`). The sandbox child hands it the tensors as metadata only (meta tensors:
        `sandbox_child._choose_autotune_configs`), so no value reaches it at run time either. A `perf_model`,
        which is called with the tensors as keyword arguments, stays host code (refused)."""
        if not isinstance(value, ast.Dict) or None in value.keys:
            return False
        entries = {key.value: item for key, item in zip(value.keys, value.values)
                   if isinstance(key, ast.Constant) and isinstance(key.value, str)}
        if len(entries) != len(value.keys) or "early_config_prune" not in entries \
                or not set(entries) <= {"early_config_prune", "top_k"}:
            return False
        if "top_k" in entries and not (isinstance(entries["top_k"], ast.Constant)
                                       and isinstance(entries["top_k"].value, (int, float))):
            return False
        prune = self._function_bound_once(entries["early_config_prune"])
        if prune is None or len(_params(prune)) < 2:
            return False
        self._check_heuristic(prune, param=1)
        return True

    def _scratch_allocator(self, value: ast.AST) -> bool:
        """The allocator the Triton tutorials hand `triton.set_allocator` for on-device tensor descriptors: a
        lambda, or a module-level function bound once, that returns `torch.empty(...)` and does nothing else.
        Triton calls it during a launch for the kernel's scratch memory; a fresh allocation each time carries
        nothing from one call to the next (a buffer kept and handed out again would)."""
        if isinstance(value, ast.Lambda):
            returned = value.body
        else:
            fn = self._function_bound_once(value)
            body = fn.body if fn is not None else []
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]  # a docstring
            if len(body) != 1 or not isinstance(body[0], ast.Return):
                return False
            returned = body[0].value
        return isinstance(returned, ast.Call) and _dotted(returned.func, self.aliases) == "torch.empty" \
            and self._is_module_chain(returned.func)

    def _function_bound_once(self, value: ast.AST) -> ast.FunctionDef | None:
        """The module-level, undecorated function that the name `value` is bound to and nothing else ever
        is (host code handed to the autotuner by name), or None."""
        if not isinstance(value, ast.Name):
            return None
        found = [n for n in self.tree.body if isinstance(n, ast.FunctionDef) and n.name == value.id]
        if len(found) != 1 or found[0].decorator_list or self.bindings_count(value.id) != 1:
            return None
        return found[0]

    def _check_heuristic(self, value: ast.AST, *, param: int = 0, pointers: set[str] = frozenset()) -> None:
        """A heuristic is called at each launch with a dict of the kernel's arguments, tensors among them: it
        may read their metadata and the scalars (`args["n"] % args["BLOCK"]`), not a tensor's values
        (`args["x"][0]`, `args["x"].lerp_(...)`) nor hand the dict on, where the inference would lose it.
        `pointers`: the decorated kernel's pointer parameters (`_pointer_params`), the tensors of a launch, of
        which a heuristic may only ask metadata or whether one was given (`args["B"] is not None`): compared,
        computed with or handed to a function (`(args["x"] > 0).all()`), a value is read on the host."""
        if isinstance(value, ast.Name):
            value = next((n for n in self.tree.body if isinstance(n, ast.FunctionDef) and n.name == value.id), None)
        if not isinstance(value, (ast.Lambda, ast.FunctionDef)) or len(_params(value)) <= param:
            return
        args = _params(value)[param].arg
        for node in ast.walk(value):
            if not (isinstance(node, ast.Name) and node.id == args and not isinstance(node.ctx, ast.Store)):
                continue
            parent = self.parents.get(node)
            if not (isinstance(parent, ast.Subscript) and parent.value is node):
                self._add(node, f"hands the launch arguments {args} of a heuristic on", Reason.TORCH_OUTSIDE_KERNEL)
                continue
            user = self.parents.get(parent)
            if isinstance(user, ast.Subscript) and user.value is parent or isinstance(user, ast.Attribute) \
                    and user.attr not in _NON_TENSOR_ATTRS and user.attr not in _HEURISTIC_METHODS:
                self._add(user, f"reads a kernel argument's values in a heuristic ({ast.unparse(user)})",
                          Reason.TORCH_OUTSIDE_KERNEL)
            elif isinstance(parent.slice, ast.Constant) and parent.slice.value in pointers \
                    and not isinstance(user, ast.Attribute) and not (
                        isinstance(user, ast.Compare) and all(isinstance(op, (ast.Is, ast.IsNot)) for op in user.ops)):
                self._add(parent, f"uses the tensor {ast.unparse(parent)} in a heuristic other than for its metadata "
                          "or whether it was given: its values read on the host", Reason.TORCH_OUTSIDE_KERNEL)

    def _pointer_params(self, kernel: ast.FunctionDef) -> set[str]:
        """The kernel's parameters it uses as pointers, those a launch hands tensors: a term of the sum that is a
        load's, store's or atomic's address (`x_ptr + row * stride + cols`: `x_ptr`, not `stride`; directly or
        through a local built so, `x_ptrs = x_ptr + offs`), a block pointer's or descriptor's base, or asked for
        its `.dtype`; and never compared or multiplied, divided or taken modulo, as only scalars are (`offs < n`,
        `row * stride`)."""
        params = {a.arg for a in _params(kernel)}

        def terms(expr: ast.AST) -> list[ast.AST]:
            if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Sub)):
                return terms(expr.left) + terms(expr.right)
            return [expr]

        # a local address (`x_ptrs = x_ptr + offs`, `X += row * stride`): the names its terms come from
        sources: dict[str, set[str]] = {}
        for node in ast.walk(kernel):
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    if isinstance(target, ast.Name):
                        sources.setdefault(target.id, set()).update(
                            t.id for t in terms(node.value) if isinstance(t, ast.Name))

        def bases(name: str, seen: set[str]) -> set[str]:
            if name in seen:
                return set()
            seen.add(name)
            return {name}.union(*(bases(source, seen) for source in sources.get(name, ())))

        used_as_pointer, used_as_scalar = set(), set()
        for node in ast.walk(kernel):
            if isinstance(node, ast.Call):
                name = (_dotted(node.func, self.aliases) or "").rsplit(".", 1)[-1]
                if name in ("load", "store", "make_block_ptr", "make_tensor_descriptor") or name.startswith("atomic_"):
                    for address in node.args[:1] + [k.value for k in node.keywords if k.arg in ("pointer", "base")]:
                        for term in terms(address):
                            if isinstance(term, ast.Name):
                                used_as_pointer |= bases(term.id, set())
            elif isinstance(node, ast.Attribute) and node.attr == "dtype" and isinstance(node.value, ast.Name):
                used_as_pointer.add(node.value.id)
            elif isinstance(node, ast.Compare):
                used_as_scalar |= {e.id for e in [node.left, *node.comparators] if isinstance(e, ast.Name)}
            elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)):
                used_as_scalar |= {e.id for e in (node.left, node.right) if isinstance(e, ast.Name)}
        return (used_as_pointer - used_as_scalar) & params

    def _check_kernel_call(self, node: ast.Call) -> None:
        func = node.func
        if _dotted(func, self.aliases) == _INLINE_ASM:
            problem = inline_asm_problem(node)
            if problem:
                self._add(node, problem, Reason.OUTSIDE_VOCABULARY)
        if isinstance(func, ast.Attribute) and func.attr in _MUTATING_METHODS - {"sort"}:
            self._add(node, f"calls {ast.unparse(func)}() inside a kernel: a Python container, which only the "
                      "interpreter runs and which may outlive the call", Reason.CROSS_CALL_STATE)
            return
        if isinstance(func, ast.Name):
            if func.id in self.kernels or func.id in self.device_function_aliases \
                    or func.id in _KERNEL_BUILTINS and func.id not in self.defined:
                return
            if func.id in self.aliases and self.aliases[func.id] in TRITON_ALLOWED \
                    and self.aliases[func.id].startswith("triton.language.") or func.id in self.language_aliases:
                return
            if func.id in self.host_functions or func.id in self.defined or func.id in self.aliases:
                self._add(node, f"calls the host function {func.id} inside a kernel, which only the interpreter runs")
            elif not self.bindings.is_bound(func) and hasattr(builtins, func.id):
                self._add(node, f"calls the builtin {func.id} inside a kernel, which only the interpreter runs",
                          _BUILTIN_RULES.get(func.id, Reason.OUTSIDE_VOCABULARY))
            return  # a parameter of the kernel (a jit function passed as constexpr)
        name = _dotted(func, self.aliases)  # None for a method of a value: x.to(...), tl.load(p).to(...)
        root = _root_name(func)
        if name is not None and root is not None and root.id in self.aliases and name not in TRITON_ALLOWED:
            self._add(node, f"calls {name} inside a kernel, which only the interpreter runs", _path_rule(name))

    # -- the device, read (on CPU: unverified, not rejected) -----------------------------------------------

    def _note_device_read(self, node: ast.AST) -> None:
        """Record where host code reads which device it runs on, or asks what only a GPU can answer. Passing a
        device along (`torch.empty(n, device=x.device)`, `torch.cuda.device(x.device)`) reads nothing; its
        kind (`x.is_cuda`, `x.device.type`, `str(x.device)`, `x.device == ...`), CUDA and HIP queries
        (`torch.cuda.is_available()`, `torch.version.hip`) and the Triton driver do."""
        line = getattr(node, "lineno", 0)
        # a query by its full path or by a name imported from its module (`from torch.cuda import is_available`)
        if isinstance(node, ast.Attribute) and not self._is_chain_inner(node) \
                or isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and not self._is_chain_inner(node):
            name = _dotted(node, self.aliases)
            root = _root_name(node)
            if name and root is not None and root.id in self.aliases \
                    and not self.bindings.is_bound(root, imports=False):
                if name in GPU_ONLY_CALLS:
                    self.gpu_only.append((line, f"calls {name}, which only works on a GPU"))
                elif name in DEVICE_QUERIES:
                    self.device_reads.append((line, f"reads {name}", node))
                return
        if isinstance(node, ast.Attribute) and node.attr in _DEVICE_ATTRS:
            self.device_reads.append((line, f"reads {ast.unparse(node)}", node))
        elif isinstance(node, ast.Attribute) and node.attr in ("type", "index") and _is_device(node.value):
            self.device_reads.append((line, f"reads {ast.unparse(node)}", node))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Subscript) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id in self.launchable \
                and not isinstance(self.parents.get(node), ast.Expr):
            # the interpreter's launch returns None, a GPU's a compiled kernel
            self.device_reads.append((line, f"uses the value a launch of {node.func.value.id} returns", None))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "data_ptr":
            # the CUDA caching allocator aligns to 512 bytes, the CPU's to 64: an address tells them apart
            self.device_reads.append((line, f"reads the address {ast.unparse(node)}", None))
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and node.value.id in self.launchable and not (
                    isinstance(self.parents.get(node), ast.Call) and self.parents[node].func is node):
            self.device_reads.append((line, f"keeps the launcher {ast.unparse(node)} as a value", None))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get_device":
            self.device_reads.append((line, f"reads {ast.unparse(node.func)}()", node))
        elif isinstance(node, ast.Compare) and any(_is_device(e) for e in [node.left, *node.comparators]) and not all(
                isinstance(e, ast.Attribute) and e.attr == "device" for e in [node.left, *node.comparators]):
            # `out.device == x.device` holds on every device; `x.device == torch.device("cuda")` does not
            self.device_reads.append((line, f"compares a device ({ast.unparse(node)})", node))
        elif isinstance(node, ast.FormattedValue) and _is_device(node.value) or isinstance(node, ast.Call) \
                and isinstance(node.func, ast.Name) and node.func.id in ("str", "repr", "format", "hash") \
                and any(_is_device(a) for a in node.args):
            self.device_reads.append((line, "turns a device into text", node))

    # -- tensors outside kernels ----------------------------------------------------------------------------

    def _check_tensor_use(self, node: ast.AST, ctx: _Ctx) -> None:
        is_tensor = self.types.checker(ctx)
        if isinstance(node, ast.BinOp) and (is_tensor(node.left) or is_tensor(node.right)):
            self._inferred(node, "does arithmetic on tensors outside a Triton kernel: PyTorch doing the work")
        elif isinstance(node, ast.UnaryOp) and is_tensor(node.operand):
            self._inferred(node, "does arithmetic on a tensor outside a Triton kernel: PyTorch doing the work")
        elif isinstance(node, ast.Compare) and any(not isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops) \
                and any(is_tensor(e) for e in [node.left, *node.comparators]):
            self._inferred(node, "compares tensors outside a Triton kernel: PyTorch doing the work")
        elif isinstance(node, ast.AugAssign) and (is_tensor(node.target) or is_tensor(node.value)):
            self._inferred(node, "updates a tensor in place outside a Triton kernel: PyTorch doing the work")
        elif isinstance(node, (ast.Assign, ast.Delete)):
            for target in (t for top in node.targets for t in _flatten_targets(top)):
                if isinstance(target, ast.Subscript) and is_tensor(target.value):
                    self._inferred(target, f"writes into a tensor with {ast.unparse(target)}: PyTorch doing the work")
        elif isinstance(node, (ast.For, ast.comprehension)) and is_tensor(node.iter) and not (
                isinstance(node.iter, (ast.List, ast.Tuple, ast.Set))
                and not any(isinstance(e, ast.Starred) for e in node.iter.elts)):
            # `for t in [q, k, v]` walks a list written out, each element a tensor to the inference (FlashAttention's
            # launcher makes its inputs contiguous so); `for row in x`, `[*x]` walk a tensor's values
            self._inferred(node.iter, "iterates over a tensor in Python: the host doing the work")
        elif isinstance(node, ast.FormattedValue) and is_tensor(node.value):
            self._inferred(node, "formats a tensor's values as text: the host reading them")
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and not self._called_here(node) \
                and not self._is_module_chain(node) and (
                    node.attr in FORBIDDEN_METHODS and (node.attr.endswith("_") or is_tensor(node.value))
                    or node.attr.endswith("_") and not node.attr.startswith("_") and node.attr not in SAFE_TENSOR_METHODS
                    and is_tensor(node.value)):
            # `f = x.exp; f()`, `g = out.add_; g(1.0)`: the method runs later, where no argument shows a tensor
            self._inferred(node, f"takes the computing method {ast.unparse(node)[:60]} as a value: PyTorch doing the "
                           "work wherever it is called")
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and is_tensor(node.value):
            index = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if any(isinstance(i, (ast.List, ast.ListComp)) or is_tensor(i) for i in index):
                self._inferred(node, f"indexes a tensor with a tensor or a list ({ast.unparse(node)[:60]}): a "
                               "gather done by PyTorch")
        elif isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)) and is_tensor(node.test) \
                or isinstance(node, ast.BoolOp) and any(is_tensor(v) for v in node.values):
            # `if x[0, 0]:`, `t or u`: Python asks the tensor for its truth, a value read on the host
            self._inferred(node, "tests a tensor's truth in Python: the host reading its value")
        elif isinstance(node, ast.Call):
            self._check_tensor_call(node, is_tensor)

    def _called_here(self, node: ast.Attribute) -> bool:
        call = self.parents.get(node)
        return isinstance(call, ast.Call) and call.func is node

    def _check_tensor_call(self, node: ast.Call, is_tensor) -> None:
        func = node.func
        args = [*node.args, *(k.value for k in node.keywords)]
        tensor_args = any(is_tensor(a.value if isinstance(a, ast.Starred) else a) for a in args)
        if isinstance(func, ast.Attribute) and is_tensor(func.value) and func.attr not in SAFE_TENSOR_METHODS \
                and func.attr not in FORBIDDEN_METHODS and func.attr not in _CONTAINER_METHODS:
            self._inferred(node, f"calls .{func.attr}() on a tensor outside a Triton kernel")
        elif isinstance(func, ast.Name) and tensor_args and func.id not in self.defined \
                and func.id not in self.aliases and hasattr(builtins, func.id) and not self.bindings.is_bound(func) \
                and func.id not in _TENSOR_SAFE_BUILTINS and func.id not in self.host_functions:
            self._inferred(node, f"applies {func.id}() to a tensor: the host doing the work")
        elif isinstance(func, ast.Name) and tensor_args and func.id not in self.types.by_name \
                and func.id not in self.aliases and func.id not in self.kernels \
                and (not hasattr(builtins, func.id) or self.bindings.is_bound(func)) \
                and not (func.id in self.apply_aliases and self.bindings.binding_scope(func) is self.tree):
            self._inferred(node, f"calls {func.id}, a function chosen at run time, on tensors")
        elif tensor_args and (_dotted(func, self.aliases) or "").split(".")[0] in (
                "math", "functools", "operator", "packaging", "importlib"):
            self._inferred(node, f"applies {_dotted(func, self.aliases)}() to a tensor: the host doing the work")
        elif tensor_args and isinstance(func, (ast.Call, ast.Subscript)) and not (
                isinstance(func, ast.Subscript) and isinstance(func.value, ast.Name)
                and func.value.id in self.launchable):
            self._inferred(node, f"calls {ast.unparse(func)}, chosen at run time, on tensors")
