"""The static gate: cheap checks on a candidate's source before anything of it runs.

This is a first filter, not a proof. It reads the code the way an adversary writes it: names are resolved
through aliases (`import torch.nn.functional as F`, `from torch import matmul as mm`) and with Python's
scoping (a parameter or local named `input`, `type` or `sum` is not the builtin; a default, a decorator
and a comprehension's first iterable are evaluated in the enclosing scope), so it checks what a name refers
to rather than matching text; a module-level name bound once, and nowhere else, to a path an import could name
(`empty_like = torch.empty_like`, FlagGems' `torch_device_fn = torch.cuda`) is read as that path, like an import. It is an allow-list: a candidate may use only a closed vocabulary, and every
refusal names the rule it breaks and the line, as a reason of its own (`kerneldata.core.outcomes`):

- the vocabulary (`outside_vocabulary` otherwise): imports from torch, triton, math, typing, functools,
  contextlib, logging, warnings, dataclasses and enum (`dataclass`, `Enum` alone, for records) (FlagGems' `logger = logging.getLogger(__name__)` bound once at module level,
  `logger.debug/info/warning/error(...)` and `warnings.warn(...)` (a builtin category and a written-out stacklevel
  allowed) as statements, a message written out (or a thin helper's message parameter every call hands a string
  written out) and host numbers or shapes only: a tensor among them is `torch_outside_kernel`, the logger's level, handlers and manager
  `cross_call_state`, basicConfig and handlers `io_access`); every name chain rooted in one of them must be on the list by its full path: torch allocation,
  dtypes, layout and metadata, the module system and queries that compute nothing (autocast state, `finfo`,
  whether torch.compile traces the caller: `torch.compiler.is_compiling` and, the one private path,
  `torch._dynamo.is_compiling`; the TF32 switches `torch.backends.cuda.matmul.allow_tf32`,
  `torch.backends.cudnn.allow_tf32`, read only: assigning one is `monkeypatch`; NVTX annotations, one written-out
  message each, `range` as a with block, `range_push`/`range_pop`/`mark` as statements); the public `triton` /
  `triton.language` API by explicit name (not by subtree: `tl.core`, `tl.extra`, `tl.semantic` re-export
  `builtins` and `pkgutil`), `tl.math` and libdevice functions by name under the paths honest projects use;
  `math`'s functions and constants; `typing`'s annotations (`typing.sys` is sys); `contextlib.nullcontext` alone
  (a `with ... as` name holds what the manager was given). A module reached as a value (`t = torch`,
  `lib = tl.extra.cuda.libdevice`) is refused whatever it is. Builtins: a short list (`range`, `len`, `min`,
  `isinstance`, `super`...); the rest are refused under their rule (exec and eval: `dynamic_code`; getattr, vars,
  type, id, hasattr, repr: `reflection`; open and input: `io_access`);
- `torch_outside_kernel`: PyTorch or the host doing the work: torch paths off the list (so not torch.ops.aten), a
  heuristic or grid function reading a kernel argument's values (`args["x"][0]`; it may read scalars and
  metadata) or handing its argument dict on, tensor methods that compute (`x.sum()`, `x.copy_()`, `x.tolist()`)
  on any receiver outside a kernel, called or taken as a value (`f = x.exp`) (`.fill_(v)` initialises like
  `.zero_()` when v is written out: a number, `float("-inf")`, a dtype's bound, a module constant),
  `torch.tensor` given a tensor's values (it makes constants from host numbers), the legacy constructor
  `torch.Tensor(...)` outside __init__ (its memory is not filled with the verifier's poison), and, on values a small type
  inference knows are tensors (forward's inputs, what torch allocates, views of those, self attributes holding
  them, parameters of submodules built in `__init__` but not a torch layer's hyperparameters such as
  `self.norm.eps` where nothing assigns them, and what flows through the candidate's own functions, lambdas and
  classes), any method off a short list
  of layout and metadata methods (so not `.item()`), Python arithmetic, comparisons, item assignment, indexing
  with a tensor or a list (`x[idx]`, a gather; `torch.arange` may build index tensors for kernels), iteration,
  f-string formatting, builtins and math/functools calls on them, calls through a callable chosen at run time;
  the `@` operator; a torch call given `out=` (PyTorch writing into a tensor it was handed);
- `dynamic_code`: exec, eval, compile, `__import__`, importlib, ctypes, base64 and kin, torch.compile,
  torch.jit, torch.library (but a custom operator declared the way PyTorch asks Triton kernels to be:
  `@torch.library.triton_op` / `custom_op` with a literal name on a module-level function, `@op.register_fake`,
  `wrap_triton(kernel)[grid](...)`: `custom_ops`; and a kernel compiled ahead by `kernel.warmup(...)`, described
  and launched as the fused-softmax tutorial does: `compiled_kernels`);
- `reflection`: every dunder attribute (`__dict__`, `__globals__`, `__class__`; `__init__` only as
  `super().__init__`, `__version__` only as `torch.__version__` and `triton.__version__`, plain strings) and
  dunder name, load information (`__name__` is read only in the `if __name__ == "__main__":` guard; `__file__`,
  `__spec__`, `.__module__` never), frame and code attributes, autograd's graph and the state a backward
  pass leaves (`.grad_fn`, `.grad`, `.is_leaf`: a verifier only calls forward, so they tell it from training), private attributes of anything but `self`, kernel
  objects used other than by launching them (`k.fn`, `str(k)`, `hasattr(k, ...)`), nn.Module machinery through
  self outside `__init__` (hooks, `apply`), host code handed to the autotuner (`pre_hook`, `do_bench`,
  `perf_model`: it would call it with the kernel's tensors; a `pre_hook` made only of
  `nargs["out_ptr"].zero_()` statements, the split-K reset, is allowed, and so is
  `prune_configs_by={"early_config_prune": fn}` where `fn` reads the launch's scalars and tensors' metadata as
  a heuristic may, and gets meta tensors at run time), classes with bases other than nn.Module (but records: a `@dataclass(frozen=True)` or `typing.NamedTuple` of
  constant-defaulted fields of plain types and nothing else, an `enum.Enum` of constants),
  dunder methods but `__init__`, sys, inspect, gc, `torch.initial_seed`; `str.format` templates whose fields
  read attributes or items (`"{0.__globals__[inspect].sys.modules}"`), templates chosen at run time and
  `format_map`; a match statement's class pattern with sub-patterns (`case object(__globals__=g)`,
  `case torch.Tensor(relu=f)`: attribute reads by name, or through `__match_args__`, with no attribute
  expression for the other rules to see; the bare isinstance test `case torch.Tensor():` is allowed);
- `reference_access`: `Model`, `get_inputs` not defined by the candidate, relative imports, the reference's
  module; `cross_call_state`: global/nonlocal, mutable defaults, lru_cache and functools' other decorators (a
  decorator must be triton's, a few of torch's (autocast casts, `torch.compiler.disable`) and Python's, or the
  candidate's own, which is checked code; `lru_cache`/`cache` only on a pure module-level config helper of host
  numbers, or on a helper without parameters that only warns or logs (warn once), only ever called:
  `CACHE_DECORATORS`), defaults other than numbers, strings, None, dtypes, module constants
  and tuples of them (a default is made once and shared by every call), generators, attributes set outside
  `__init__`, nn.Module machinery that changes a module's state (`train`, `register_buffer`, hooks, `apply`)
  outside `__init__` on any module, not only self (`requires_grad_(False)` only on a tensor the call made or on
  forward's inputs, whose flags die with the call), containers mutated that outlive the call, by a method, an
  item store or an in-place operator on a name that may hold one (`box = CALLS; box += [1]`: only numbers and
  objects the call made may be updated in place), mutating methods taken as values (`map(CALLS.append, ...)`),
  iterators kept beyond the statement that makes them (`TICKS = zip(range(40))`, consumed one item per call);
  inside a kernel, module-level names other than kernels, imports and constants bound at import, in the body or a
  branch of a module-level `if` (a GPU kernel reads only constexpr globals), mutating methods and growing a
  container; `concurrency`: threading, multiprocessing, subprocess, CUDA streams, events, graphs, synchronize
  (the current stream, or Triton's driver's handle of it, may be looked up and passed along, and stream and event
  classes named in annotations, but no receiver may wait on or ask after work in flight: `.synchronize()`,
  `.query()`, `.wait_stream()`); `io_access`: os, socket, files, the environment; `monkeypatch`: assigning to a
  module, a kernel or the candidate's own functions and classes, rebinding an imported name; `fallback`:
  try/except;
- inside kernels: calls only to the triton.language vocabulary (by a module-level alias too, Unsloth's
  `triton_cast = tl.cast`; a name imported or aliased from the rest of triton, `next_power_of_2`, is host code), other kernels and a few builtins (host Python and other builtins run only under
  the interpreter), no `.handle`, no host function passed in.
Unreferenced module-level `get_inputs`/`get_init_inputs` and an `if __name__ == "__main__":` block never
run in the sandbox (it loads the candidate under another module name and calls only ModelNew), so torch
use there is not held against the candidate; imports, reflection and dynamic code are.

Then, on CPU, what the Triton interpreter cannot judge becomes `unverified` before a process is spent:
`interpreter_limit` for bf16 (the interpreter stores it as uint16; bf16 is found by following explicit casts and
allocations, not dtype comparisons), fp32 `tl.dot` without `input_precision="ieee"` (TF32 is not emulated),
libdevice, inline asm and extern elementwise (by whatever name they are reached), and launcher calls only a GPU
answers (`triton.runtime.driver.active...`, `torch.cuda.device(...)`, `torch.cuda.current_stream()`, NVTX);
`device_dependent` for code that reads which device it runs on (`x.is_cuda`, `x.device.type`, `str(x.device)`, a
device compared with anything but another tensor's device, `x.get_device()`, `torch.cuda.is_available()`,
`torch.version.hip`, CUDA device queries, a tensor's address `x.data_ptr()` whose alignment differs by
allocator, the value a launch returns or a launcher kept as a value), since what the interpreter runs need not
be what a GPU runs.
Passing a device along (`torch.empty(n, device=x.device)`) reads nothing.

What it does not catch, and who does:
- returning an input or a view of it, writing into an input, launching a kernel that does nothing useful,
  computing only part of the output, lowering precision inside a kernel, reading uninitialised or
  out-of-bounds memory: the runtime checks (aliasing, input mutation, launch counter, NaN-poisoned
  allocations, tolerances and relative L2 error on unseen and transformed inputs, two runs bit for bit);
  races between programs only show on a GPU;
- a decoy launch while allowed torch calls move the data (`x.t().contiguous()`, `x.clone()`): layout
  methods are the launcher's vocabulary, so only the runtime record of which torch ops ran, or of which
  storages kernels wrote, can tell;
- attributes of values are not typed: a public attribute of an object the vocabulary returns (a device
  property record, a `torch.finfo`) is allowed unless it is a dunder, private, frame or kernel attribute;
  a kernel object put in a container and turned into text escapes the kernel-object rule; the interpreter
  is told from a GPU at run time only through what the gate leaves (the runtime checks vary what they can);
- the type inference is local and flow-insensitive: a tensor laundered through an untracked object (a
  container returned by a helper, an attribute of a non-self object) escapes the arithmetic rules, which
  is why the runtime checks stay the authority.

Also allowed: the Triton tutorials' benchmark declaration (`@triton.testing.perf_report(...)`) on a function
nothing else names, whose body never runs; `triton.set_allocator` given a function that returns a fresh
`torch.empty(...)` (scratch for on-device tensor descriptors; the child puts Triton's back after each candidate);
PyTorch in a branch only a tensor off a GPU takes (`if not x.is_cuda: return F.silu(x)`), which makes the CPU
verdict `device_dependent` and on a GPU never runs (the provenance recorder would see it if it did).

The package, by part: `vocabulary` (the allow-lists and which rule each path off them breaks), `scoping`
(aliases, name chains, Python's scoping), `gate` (the rules), `tensor_types` (the type inference),
`device_flow` (where a read of the device leads, and branches a device test chooses), `custom_ops` (custom
operators), `interpreter` (what the CPU interpreter cannot judge).
"""

from __future__ import annotations

import ast

from filters.verifier.static.compiled_kernels import read_compiled_launches
from filters.verifier.static.custom_ops import unwrap_triton_launches
from filters.verifier.static.gate import _Gate
from filters.verifier.static.interpreter import _interpreter_limit
from filters.verifier.static.scoping import _import_aliases, _module_aliases, _triton_kernels
from kerneldata.core.outcomes import Reason, Verdict


def static_check(code: str, *, dtype: str, device: str) -> Verdict | None:
    """Return a rejecting (or unverified) verdict, or None when the candidate may go on to run."""
    try:
        tree = ast.parse(code)
    except SyntaxError as err:
        return Verdict.reject(Reason.SYNTAX_ERROR, f"the candidate does not parse: {err.msg} at line {err.lineno}.")

    if not any(isinstance(node, ast.ClassDef) and node.name == "ModelNew" for node in tree.body):
        return Verdict.reject(Reason.NO_MODEL_NEW, "the candidate defines no top-level class ModelNew.")

    aliases = _import_aliases(tree)
    value_aliases = _module_aliases(tree, aliases)  # `empty_like = torch.empty_like`: an import by another spelling
    aliases = {**aliases, **value_aliases}
    kernels = set(_triton_kernels(tree, aliases))
    if not kernels:
        return Verdict.reject(Reason.NO_TRITON_KERNEL, "the candidate defines no @triton.jit kernel.")

    unwrap_triton_launches(tree, aliases, kernels)  # `wrap_triton(k)[grid](...)`
    compiled = read_compiled_launches(tree, aliases)  # `k.warmup(...)` and the compiled kernel's launches
    gate = _Gate(tree, aliases, set(value_aliases))
    problem = gate.first_problem()
    if problem:
        return Verdict.reject(*problem)
    environment = gate.first_environment_read()
    if environment:
        return Verdict.unverified(Reason.ENVIRONMENT_DEPENDENT, environment)

    if device == "cpu":
        limit = _interpreter_limit(tree, dtype, aliases) or gate.first_gpu_only_call() or (compiled and (
            f"the candidate compiles a kernel ahead with .warmup(...) (line {min(compiled)}); the CPU interpreter "
            "compiles nothing: verify on a GPU."))
        if limit:
            return Verdict.unverified(Reason.INTERPRETER_LIMIT, limit)
        dependent = gate.first_device_dependence()
        if dependent:
            return Verdict.unverified(Reason.DEVICE_DEPENDENT, dependent)
    return None
