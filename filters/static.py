"""The static gate: cheap checks on a candidate's source before anything of it runs.

This is a first filter, not a proof. It reads the code the way an adversary writes it: names are resolved
through aliases (`import torch.nn.functional as F`, `from torch import matmul as mm`) and with Python's
scoping (a parameter or local named `input`, `type` or `sum` is not the builtin; a default, a decorator
and a comprehension's first iterable are evaluated in the enclosing scope), so it checks what a name refers
to rather than matching text. It is an allow-list: a candidate may use only a closed vocabulary, and every
refusal names the rule it breaks and the line, as a reason of its own (`kerneldata.core.outcomes`):

- the vocabulary (`outside_vocabulary` otherwise): imports from torch, triton, math, typing, functools;
  every name chain rooted in one of them must be on the list by its full path: torch allocation, dtypes,
  layout and metadata, the module system and queries that compute nothing (autocast state, `finfo`); the
  public `triton` / `triton.language` API by explicit name (not by subtree: `tl.core`, `tl.extra`,
  `tl.semantic` re-export `builtins` and `pkgutil`), `tl.math` and libdevice functions by name under the
  paths honest projects use; `math`'s functions and constants; `typing`'s annotations (`typing.sys` is
  sys). A module reached as a value (`t = torch`, `lib = tl.extra.cuda.libdevice`) is refused whatever it
  is. Builtins: a short list (`range`, `len`, `min`, `isinstance`, `super`...); the rest are refused under
  their rule (exec and eval: `dynamic_code`; getattr, vars, type, id, hasattr, repr: `reflection`; open
  and input: `io_access`);
- `torch_outside_kernel`: PyTorch or the host doing the work: torch paths off the list (so not
  torch.ops.aten), tensor methods that compute (`x.sum()`, `x.copy_()`, `x.tolist()`) on any receiver
  outside a kernel, and, on values a small type inference knows are tensors (forward's inputs, what torch
  allocates, views of those, self attributes holding them, and what flows through the candidate's own
  functions, lambdas and classes), any method off a short list of layout and metadata methods (so not
  `.item()`), Python arithmetic, comparisons, item assignment, iteration, f-string formatting, builtins
  and math/functools calls on them, calls through a callable chosen at run time; the `@` operator;
- `dynamic_code`: exec, eval, compile, `__import__`, importlib, ctypes, base64 and kin, torch.compile,
  torch.jit, torch.library and custom ops;
- `reflection`: every dunder attribute (`__dict__`, `__globals__`, `__class__`; `__init__` only as
  `super().__init__`) and dunder name, load information (`__name__` is read only in the
  `if __name__ == "__main__":` guard; `__file__`, `__spec__`, `.__module__` never), frame and code
  attributes, private attributes of anything but `self`, kernel objects used other than by launching
  them (`k.fn`, `str(k)`, `hasattr(k, ...)`), nn.Module machinery through self outside `__init__`
  (hooks, `apply`), classes with bases other than nn.Module, dunder methods but `__init__`, sys, inspect,
  gc, `torch.initial_seed`;
- `reference_access`: `Model`, `get_inputs` not defined by the candidate, relative imports, the
  reference's module; `cross_call_state`: global/nonlocal, mutable defaults, lru_cache and decorators
  off the list, generators, attributes set outside `__init__`, containers mutated that outlive the call;
  `concurrency`: threading, multiprocessing, subprocess, CUDA streams, events, graphs, synchronize;
  `io_access`: os, socket, files, the environment; `monkeypatch`: assigning to a module, a kernel or the
  candidate's own functions and classes, rebinding an imported name; `fallback`: try/except;
- inside kernels: calls only to the triton.language vocabulary, other kernels and a few builtins (host
  Python and other builtins run only under the interpreter), no `.handle`, no host function passed in.
Unreferenced module-level `get_inputs`/`get_init_inputs` and an `if __name__ == "__main__":` block never
run in the sandbox (it loads the candidate under another module name and calls only ModelNew), so torch
use there is not held against the candidate; imports, reflection and dynamic code are.

Then, on CPU, what the Triton interpreter cannot judge becomes `unverified` before a process is spent:
`interpreter_limit` for bf16 (the interpreter stores it as uint16; bf16 is found by following explicit
casts and allocations, not dtype comparisons), fp32 `tl.dot` without `input_precision="ieee"` (TF32 is not
emulated), libdevice, inline asm and extern elementwise, triton.language functions imported by name and
called in a kernel (the interpreter patches the module, not the name), and launcher calls only a GPU
answers (`triton.runtime.driver.active...`, `torch.cuda.device(...)`); `device_dependent` for code that
reads which device it runs on (`x.is_cuda`, `x.device.type`, `str(x.device)`, a device compared with
anything but another tensor's device, `x.get_device()`, `torch.cuda.is_available()`, `torch.version.hip`,
CUDA device queries), since what the interpreter runs need not be what a GPU runs. Passing a device along
(`torch.empty(n, device=x.device)`) reads nothing.

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
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

from kerneldata.core.outcomes import Reason, Verdict

# Top-level modules a candidate may import. Everything else is a way out of the sandbox or around the checks.
ALLOWED_MODULES = frozenset({"torch", "triton", "math", "typing", "functools", "__future__"})

_DTYPES = frozenset({
    "float32", "float", "float16", "half", "bfloat16", "float64", "double", "int8", "int16", "int32", "int64",
    "int", "long", "short", "uint8", "uint16", "uint32", "uint64", "bool", "complex64", "complex128",
    "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz",
})
# What torch offers a launcher: allocation, dtypes, device queries, the module system.
TORCH_ALLOWED = frozenset({f"torch.{d}" for d in _DTYPES} | {
    "torch.empty", "torch.empty_like", "torch.empty_strided", "torch.zeros", "torch.zeros_like", "torch.full",
    "torch.full_like", "torch.is_tensor", "torch.is_floating_point", "torch.finfo", "torch.iinfo", "torch.Size",
    "torch.device", "torch.dtype", "torch.Tensor", "torch.get_default_dtype", "torch.result_type",
    "torch.promote_types", "torch.no_grad", "torch.inference_mode",
    "torch.nn.Module", "torch.nn.Parameter", "torch.nn.ParameterList",
    "torch.cuda.current_device", "torch.cuda.get_device_properties", "torch.cuda.device_count",
    "torch.cuda.is_available", "torch.cuda.get_device_capability", "torch.cuda.get_device_name", "torch.cuda.device",
    "torch.version.hip", "torch.version.cuda",
    # queries that compute nothing (autocast state, grad mode)
    "torch.get_autocast_gpu_dtype", "torch.get_autocast_dtype", "torch.is_autocast_enabled", "torch.is_grad_enabled",
    "torch.is_inference_mode_enabled",
})
# Only in __init__, to build parameters the way the reference does (same seed, same values).
TORCH_INIT_ONLY = frozenset({
    "torch.randn", "torch.rand", "torch.randint", "torch.randn_like", "torch.rand_like", "torch.ones",
    "torch.ones_like", "torch.arange", "torch.linspace", "torch.tensor", "torch.eye",
})
_TORCH_INIT_ONLY_PREFIXES = ("torch.nn.init.",)
# Importable although nothing under them may be used: honest sources import F out of habit.
_IMPORTABLE = frozenset({"torch.nn.functional", "torch.nn.init"})
# The public triton.language API, by name (triton 3.6 through 3.9). No module of it is a name here:
# `tl.core`, `tl.extra`, `tl.semantic` re-export `builtins` and `pkgutil`; a subtree allowed by prefix
# would hand them over.
_TL_NAMES = frozenset({
    "PropagateNan", "TRITON_MAX_TENSOR_NUMEL", "abs", "advance", "arange", "argmax", "argmin", "associative_scan",
    "assume", "atomic_add", "atomic_and", "atomic_cas", "atomic_max", "atomic_min", "atomic_or", "atomic_xchg",
    "atomic_xor", "bfloat16", "block_type", "broadcast", "broadcast_to", "cast", "cat", "cdiv", "ceil", "clamp",
    "const", "constexpr", "cos", "cumprod", "cumsum", "debug_barrier", "device_assert", "device_print",
    "div_rn", "dot", "dot_scaled", "dtype", "erf", "exp", "exp2", "expand_dims", "fdiv", "flip", "float16",
    "float32", "float64", "float8e4b15", "float8e4b8", "float8e4nv", "float8e5", "float8e5b16", "floor", "fma",
    "full", "gather", "histogram", "int1", "int16", "int32", "int64", "int8", "interleave", "join", "load",
    "log", "log2", "make_block_ptr", "max", "max_constancy", "max_contiguous", "maximum", "min", "minimum",
    "multiple_of", "num_programs", "pair_uniform_to_normal", "permute", "philox", "pi32_t", "pointer_type",
    "program_id", "rand", "rand4x", "randint", "randint4x", "randn", "randn4x", "range", "ravel", "reduce",
    "reshape", "rsqrt", "sigmoid", "sin", "softmax", "sort", "split", "sqrt", "sqrt_rn", "squeeze",
    "static_assert", "static_print", "static_range", "store", "sum", "swizzle2d", "tensor", "topk", "trans",
    "uint16", "uint32", "uint64", "uint8", "uint_to_uniform_float", "umulhi", "unsqueeze", "view", "void",
    "where", "xor_sum", "zeros", "zeros_like", "flip", "bitonic_merge", "inline_asm_elementwise",
    "extern_elementwise", "make_tensor_descriptor", "load_tensor_descriptor", "store_tensor_descriptor",
    "tensor_descriptor", "condition",
    "add", "sub", "mul", "atomic_load", "atomic_store", "atomic_poll", "expect_zero", "map_elementwise",
    "philox_impl", "reduce_or", "slice", "to_tensor", "tuple", "constexpr_type",
    "core.get_int_dtype",  # a constexpr helper Inductor's triton_helpers call (select_one)
})
# triton.language.math (also `tl.math.<fn>`): the math functions triton lowers itself.
_TL_MATH = frozenset({
    "abs", "ceil", "cos", "div_rn", "erf", "exp", "exp2", "fdiv", "floor", "fma", "log", "log2", "rsqrt", "sin",
    "sqrt", "sqrt_rn", "umulhi", "cdiv", "sigmoid", "softmax", "max", "min", "maximum", "minimum", "clamp",
})
# libdevice: CUDA's math library, which the CPU interpreter cannot run (so `interpreter_limit` on CPU).
_LIBDEVICE = frozenset({
    "abs", "acos", "acosh", "add_rd", "add_rn", "add_ru", "add_rz", "asin", "asinh", "atan", "atan2", "atanh",
    "brev", "byte_perm", "cbrt", "ceil", "clz", "copysign", "cos", "cosh", "cospi", "cyl_bessel_i0",
    "cyl_bessel_i1", "div_rd", "div_rn", "div_ru", "div_rz", "double2float_rd", "double2float_rn",
    "double2float_ru", "double2float_rz", "double2hiint", "double2int_rd", "double2int_rn", "double2int_ru",
    "double2int_rz", "double2ll_rd", "double2ll_rn", "double2ll_ru", "double2ll_rz", "double2loint",
    "double2uint_rd", "double2uint_rn", "double2uint_ru", "double2uint_rz", "double2ull_rd", "double2ull_rn",
    "double2ull_ru", "double2ull_rz", "double_as_longlong", "erf", "erfc", "erfcinv", "erfcx", "erfinv", "exp",
    "exp10", "exp2", "expm1", "fast_cosf", "fast_dividef", "fast_exp10f", "fast_expf", "fast_log10f",
    "fast_log2f", "fast_logf", "fast_powf", "fast_sinf", "fast_tanf", "fast_tanhf", "fdim", "ffs", "finitef",
    "float2int_rd", "float2int_rn", "float2int_ru", "float2int_rz", "float2ll_rd", "float2ll_rn", "float2ll_ru",
    "float2ll_rz", "float2uint_rd", "float2uint_rn", "float2uint_ru", "float2uint_rz", "float2ull_rd",
    "float2ull_rn", "float2ull_ru", "float2ull_rz", "float_as_int", "float_as_uint", "floor", "fma", "fma_rd",
    "fma_rn", "fma_ru", "fma_rz", "fmod", "hadd", "hiloint2double", "hypot", "ilogb", "int2double_rn",
    "int2float_rd", "int2float_rn", "int2float_ru", "int2float_rz", "int_as_float", "isfinited", "isinf",
    "isnan", "j0", "j1", "jn", "ldexp", "lgamma", "ll2double_rd", "ll2double_rn", "ll2double_ru",
    "ll2double_rz", "ll2float_rd", "ll2float_rn", "ll2float_ru", "ll2float_rz", "llrint", "llround", "log",
    "log10", "log1p", "log2", "logb", "longlong_as_double", "mul24", "mul_rd", "mul_rn", "mul_ru", "mul_rz",
    "mulhi", "nearbyint", "nextafter", "norm3d", "norm4d", "normcdf", "normcdfinv", "popc", "pow", "rcbrt",
    "rcp64h", "rcp_rd", "rcp_rn", "rcp_ru", "rcp_rz", "remainder", "rhadd", "rhypot", "rint", "rnorm3d",
    "rnorm4d", "round", "rsqrt", "rsqrt_rn", "sad", "saturatef", "scalbn", "signbit", "sin", "sinh", "sinpi",
    "sqrt", "sqrt_rd", "sqrt_rn", "sqrt_ru", "sqrt_rz", "sub_rd", "sub_rn", "sub_ru", "sub_rz", "tan", "tanh",
    "tgamma", "trunc", "uint2double_rn", "uint2float_rd", "uint2float_rn", "uint2float_ru", "uint2float_rz",
    "uint_as_float", "ull2double_rd", "ull2double_rn", "ull2double_ru", "ull2double_rz", "ull2float_rd",
    "ull2float_rn", "ull2float_ru", "ull2float_rz", "y0", "y1", "yn",
})
# The paths through which honest projects reach libdevice (Liger, FlagGems, unsloth, vLLM).
_LIBDEVICE_MODULES = ("triton.language.extra.libdevice", "triton.language.extra.cuda.libdevice",
                      "triton.language.libdevice", "triton.language.math")
_MATH_MODULES = ("triton.language.math",)
LIBDEVICE_ALLOWED = frozenset(f"{module}.{fn}" for module in _LIBDEVICE_MODULES[:3] for fn in _LIBDEVICE)
TRITON_LANGUAGE_ALLOWED = frozenset(f"triton.language.{n}" for n in _TL_NAMES) | frozenset(
    f"triton.language.math.{n}" for n in _TL_MATH | _LIBDEVICE)
# What the device queries of a launcher may touch; each only works on a GPU (`interpreter_limit` on CPU).
TRITON_DRIVER_QUERIES = frozenset({
    "triton.runtime.driver.active.get_active_torch_device", "triton.runtime.driver.active.get_current_device",
    "triton.runtime.driver.active.get_current_target", "triton.runtime.driver.active.utils.get_device_properties",
    "triton.runtime.driver.active.get_current_stream",
})
TRITON_ALLOWED = frozenset({
    "triton.jit", "triton.autotune", "triton.Config", "triton.heuristics", "triton.cdiv", "triton.next_power_of_2",
    "triton.runtime.jit.jit", "triton.runtime.autotune", "triton.runtime.heuristics", "triton.runtime.Config",
    "triton.runtime.autotuner.autotune", "triton.runtime.autotuner.heuristics", "triton.runtime.autotuner.Config",
}) | TRITON_DRIVER_QUERIES - {"triton.runtime.driver.active.get_current_stream"} | TRITON_LANGUAGE_ALLOWED \
    | LIBDEVICE_ALLOWED
# Read on CPU, these tell the candidate which device it runs on (or only work on a GPU): `device_dependent`
# where the value decides anything, `interpreter_limit` for calls only a GPU can answer.
DEVICE_QUERIES = frozenset({
    "torch.cuda.is_available", "torch.cuda.get_device_capability", "torch.cuda.get_device_name",
    "torch.cuda.current_device", "torch.cuda.device_count", "torch.cuda.get_device_properties",
    "torch.version.hip", "torch.version.cuda",
}) | TRITON_DRIVER_QUERIES
# Attributes that tell a tensor's or device's kind (`x.is_cuda`, `x.device.type`).
_DEVICE_ATTRS = frozenset({"is_cuda", "is_cpu", "is_mps", "is_xpu", "is_meta"})
GPU_ONLY_CALLS = frozenset({"torch.cuda.device"}) | TRITON_DRIVER_QUERIES
# Modules that may be imported (and used only through their allowed names, never as values).
_NAMESPACES = frozenset({"triton.language", "triton.language.math", "triton.language.extra",
                         "triton.language.extra.cuda", *_LIBDEVICE_MODULES})
FUNCTOOLS_ALLOWED = frozenset({"functools.partial", "functools.reduce", "functools.wraps"})
# math: its functions and constants, all of which compute on Python numbers only.
MATH_ALLOWED = frozenset(f"math.{n}" for n in (
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "ceil", "comb", "copysign", "cos", "cosh",
    "degrees", "dist", "e", "erf", "erfc", "exp", "exp2", "expm1", "fabs", "factorial", "floor", "fmod", "frexp",
    "fsum", "gamma", "gcd", "hypot", "inf", "isclose", "isfinite", "isinf", "isnan", "isqrt", "lcm", "ldexp",
    "lgamma", "log", "log10", "log1p", "log2", "modf", "nan", "nextafter", "perm", "pi", "pow", "prod", "radians",
    "remainder", "sin", "sinh", "sqrt", "tan", "tanh", "tau", "trunc", "ulp"))
# typing: annotations only (`typing.sys` is the sys module).
TYPING_ALLOWED = frozenset(f"typing.{n}" for n in (
    "Optional", "List", "Tuple", "Dict", "Union", "Any", "Callable", "Sequence", "Iterable", "Literal", "cast",
    "TYPE_CHECKING", "Mapping", "Type", "Set", "FrozenSet"))
_CHECKED_ROOTS = ("torch", "triton", "functools", "math", "typing")
# torch paths refused under a named rule (the rest of torch outside TORCH_ALLOWED: torch doing the work).
_TORCH_RULES = (
    (("torch.ops.aten", "torch.ops.prims"), Reason.TORCH_OUTSIDE_KERNEL),
    (("torch.cuda.Stream", "torch.cuda.stream", "torch.cuda.Event", "torch.cuda.graph", "torch.cuda.CUDAGraph",
      "torch.cuda.synchronize", "torch.cuda.current_stream", "torch.cuda.default_stream", "torch.cuda.set_stream",
      "torch.cuda.ExternalStream", "torch.multiprocessing", "torch.futures", "torch.jit.fork", "torch.Stream",
      "torch.Event", "torch.cuda.streams", "torch.cuda.make_graphed_callables"), Reason.CONCURRENCY),
    (("torch.ops", "torch.library", "torch.utils.cpp_extension", "torch.compile", "torch.jit",
      "torch._dynamo", "torch._inductor", "torch.fx", "torch.export"), Reason.DYNAMIC_CODE),
    (("torch.load", "torch.save", "torch.hub", "torch.distributed", "torch.from_file"), Reason.IO_ACCESS),
    (("torch._C", "torch.overrides", "torch.utils._python_dispatch", "torch._guards", "torch.autograd.graph",
      "torch.initial_seed", "torch.random.initial_seed", "torch.get_rng_state", "torch.cuda.get_rng_state"),
     Reason.REFLECTION),
)

# Tensor methods that compute what the kernel should. Method names are checked on any receiver outside a
# kernel, since the gate cannot always know types; none of them is something a launcher needs.
FORBIDDEN_METHODS = frozenset({
    "sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "prod", "std", "var", "norm", "median",
    "softmax", "log_softmax", "exp", "exp2", "expm1", "log", "log1p", "log2", "sigmoid", "tanh", "relu", "gelu",
    "silu", "softplus", "hardtanh", "sqrt", "rsqrt", "reciprocal", "square", "sin", "cos",
    "matmul", "mm", "bmm", "addmm", "baddbmm", "einsum", "mv", "dot", "outer", "cumsum", "cumprod", "logsumexp",
    "abs", "neg", "clamp", "clamp_min", "clamp_max", "clip", "where", "masked_fill", "masked_scatter", "pow",
    "erf", "sort", "topk", "maximum", "minimum", "lerp", "addcmul", "addcdiv", "sign", "floor", "ceil", "round",
    "add", "sub", "mul", "div", "true_divide", "add_", "sub_", "mul_", "div_", "copy_", "fill_", "scatter",
    "scatter_add", "scatter_reduce", "gather", "index_select", "index_put", "index_put_", "index_add",
    "index_copy", "put_", "conv1d", "conv2d", "linear", "layer_norm", "tolist", "numpy", "apply_", "map_",
    "as_subclass", "set_", "resize_", "register_hook", "register_forward_hook", "register_forward_pre_hook",
    "register_full_backward_hook", "register_module_forward_hook",
})
# The methods a launcher calls on a tensor: layout, views, casts, metadata.
SAFE_TENSOR_METHODS = frozenset({
    "contiguous", "view", "view_as", "reshape", "reshape_as", "flatten", "unflatten", "squeeze", "unsqueeze",
    "t", "transpose", "permute", "movedim", "expand", "expand_as", "narrow", "select", "unbind", "split",
    "chunk", "detach", "clone", "to", "float", "half", "bfloat16", "double", "type_as", "cpu", "cuda", "zero_",
    "new_empty", "new_zeros", "new_full", "stride", "size", "numel", "nelement", "dim", "ndimension",
    "element_size", "data_ptr", "is_contiguous", "is_floating_point", "is_complex", "get_device",
    "storage_offset", "requires_grad_",
})
_SCALAR_TENSOR_METHODS = frozenset({
    "stride", "size", "numel", "nelement", "dim", "ndimension", "element_size", "data_ptr", "is_contiguous",
    "is_floating_point", "is_complex", "get_device", "storage_offset", "item",
})
_NON_TENSOR_ATTRS = frozenset({
    "shape", "dtype", "device", "ndim", "is_cuda", "is_cpu", "layout", "requires_grad", "itemsize", "nbytes",
    "is_leaf", "is_sparse", "is_quantized", "is_meta",
})
_TENSOR_ALLOCATORS = frozenset({
    "torch.empty", "torch.empty_like", "torch.empty_strided", "torch.zeros", "torch.zeros_like", "torch.full",
    "torch.full_like", "torch.nn.Parameter",
}) | TORCH_INIT_ONLY
# The builtins a candidate may call or name, when no binding of its own shadows them. The rest are refused
# under the rule their use breaks (below), or as outside the vocabulary.
ALLOWED_BUILTINS = frozenset({
    "range", "len", "min", "max", "abs", "int", "float", "bool", "str", "tuple", "list", "dict", "set", "frozenset",
    "zip", "enumerate", "isinstance", "issubclass", "print", "round", "sorted", "reversed", "any", "all", "sum",
    "divmod", "pow", "slice", "super", "object", "staticmethod", "classmethod", "property", "callable",
    "map", "filter", "Ellipsis", "NotImplemented", "Exception", "ValueError", "TypeError",
    "RuntimeError", "NotImplementedError", "AssertionError", "IndexError", "KeyError", "AttributeError",
})
_BUILTIN_RULES = {
    **dict.fromkeys(("exec", "eval", "compile", "__import__", "__build_class__"), Reason.DYNAMIC_CODE),
    **dict.fromkeys(("getattr", "setattr", "delattr", "vars", "globals", "locals", "dir", "type", "id", "memoryview",
                     "breakpoint", "help", "__builtins__", "hasattr", "repr", "format", "ascii"), Reason.REFLECTION),
    **dict.fromkeys(("open", "input", "exit", "quit"), Reason.IO_ACCESS),
}
# Modules a candidate may not import, by the rule their use would break (the rest: outside the vocabulary).
_MODULE_RULES = {
    **dict.fromkeys(("os", "socket", "urllib", "http", "requests", "shutil", "pathlib", "io", "tempfile", "pickle",
                     "mmap", "sqlite3", "glob", "fcntl", "ftplib", "smtplib", "ssl", "select", "selectors"),
                    Reason.IO_ACCESS),
    **dict.fromkeys(("threading", "_thread", "multiprocessing", "concurrent", "subprocess", "asyncio", "signal",
                     "sched"), Reason.CONCURRENCY),
    **dict.fromkeys(("importlib", "ctypes", "cffi", "code", "codeop", "runpy", "pkgutil", "marshal", "types",
                     "base64", "zlib", "codecs", "binascii"), Reason.DYNAMIC_CODE),
    **dict.fromkeys(("sys", "builtins", "inspect", "gc", "traceback", "weakref", "dis", "copyreg", "operator",
                     "atexit", "warnings"), Reason.REFLECTION),
    **dict.fromkeys(("reference", "problem", "model"), Reason.REFERENCE_ACCESS),
}
# Builtins that only look at a tensor without computing from its values.
_TENSOR_SAFE_BUILTINS = frozenset({"len", "isinstance", "print", "id", "hash", "hasattr", "callable"})
_KERNEL_BUILTINS = frozenset({"range", "min", "max", "print", "len", "int", "float", "bool", "isinstance", "abs",
                              "tuple", "zip", "enumerate"})
_FRAME_ATTRS = frozenset({
    "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "ag_frame", "ag_code", "f_back", "f_globals",
    "f_locals", "f_builtins", "f_code", "f_trace", "tb_frame", "tb_next", "co_code", "co_consts", "co_names",
    "func_globals", "func_code", "mro", "handle",
})
_MUTATING_METHODS = frozenset({
    "append", "extend", "insert", "pop", "popitem", "remove", "clear", "update", "setdefault", "add", "discard",
    "sort", "reverse", "appendleft", "extendleft", "popleft",
})
_FRESH_CONSTRUCTORS = frozenset({"dict", "list", "set", "tuple", "sorted"})
# torch decorators honest autograd code carries (they cast under autocast, computing nothing themselves).
_TORCH_DECORATOR_ONLY = frozenset({"torch.amp.custom_fwd", "torch.amp.custom_bwd", "torch.cuda.amp.custom_fwd",
                                   "torch.cuda.amp.custom_bwd"})
_ALLOWED_DECORATORS = _TORCH_DECORATOR_ONLY | frozenset({
    "triton.jit", "triton.runtime.jit.jit", "triton.autotune", "triton.heuristics", "triton.runtime.autotune",
    "triton.runtime.heuristics", "triton.runtime.autotuner.autotune", "triton.runtime.autotuner.heuristics",
                                 "torch.no_grad", "torch.inference_mode", "staticmethod", "classmethod", "property"})
# Attributes of kernel objects (JITFunction, Autotuner) that reach their Python function, caches or launcher.
_KERNEL_OBJECT_ATTRS = frozenset({"fn", "src", "cache", "device_caches", "run", "warmup", "kernel_decorators",
                                  "hooks", "pre_hook", "post_hook", "launch_metadata", "asm", "jit_function",
                                  "cache_key", "used_global_vals", "base_fn", "do_bench", "prune_configs_by",
                                  "best_config", "configs_timings", "bench_fn"})
# nn.Module's own methods, reached through self outside __init__: hooks, state dicts, apply, buffers.
_MODULE_METHODS = frozenset({
    "apply", "register_buffer", "register_parameter", "register_module", "add_module", "register_forward_hook",
    "register_forward_pre_hook", "register_full_backward_hook", "register_backward_hook",
    "register_full_backward_pre_hook", "register_state_dict_pre_hook", "register_load_state_dict_post_hook",
    "state_dict", "load_state_dict", "named_parameters", "parameters", "buffers", "named_buffers", "children",
    "named_children", "modules", "named_modules", "get_submodule", "get_parameter", "get_buffer", "get_extra_state",
    "set_extra_state", "train", "eval", "requires_grad_", "zero_grad", "to", "cuda", "cpu", "type", "float",
    "double", "half", "bfloat16", "to_empty", "share_memory", "extra_repr", "compile", "forward", "call_super_init",
})
# The autotuner's entry points, and the keywords through which it would call host code with the kernel's
# tensors (a pre_hook could compute the output in torch where the tensor inference does not look).
_TUNER_CALLS = frozenset({"triton.autotune", "triton.Config", "triton.runtime.autotune", "triton.runtime.Config",
                          "triton.runtime.autotuner.autotune", "triton.runtime.autotuner.Config"})
_TUNER_HOOKS = frozenset({"pre_hook", "post_hook", "do_bench", "prune_configs_by", "early_config_prune",
                          "perf_model"})
# How a refusal names its rule, at the head of its sentence.
_RULE_NAMES = {
    Reason.TORCH_OUTSIDE_KERNEL: "torch or the host doing the work",
    Reason.DYNAMIC_CODE: "dynamic code",
    Reason.REFLECTION: "reflection",
    Reason.REFERENCE_ACCESS: "reference access",
    Reason.CROSS_CALL_STATE: "state across calls",
    Reason.CONCURRENCY: "threads, processes or streams",
    Reason.IO_ACCESS: "I/O",
    Reason.MONKEYPATCH: "monkeypatching",
    Reason.FALLBACK: "fallback",
    Reason.OUTSIDE_VOCABULARY: "outside the vocabulary",
}
_REFERENCE_NAMES = frozenset({"Model", "get_inputs", "get_init_inputs"})
_NON_TENSOR_ANNOTATIONS = frozenset({"int", "float", "bool", "str", "tuple", "list", "dict"})
_TRY_NODES = (ast.Try, ast.ExceptHandler) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


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

    gate = _Gate(tree, aliases)
    problem = gate.first_problem()
    if problem:
        return Verdict.reject(*problem)

    if device == "cpu":
        limit = _interpreter_limit(tree, dtype, aliases) or gate.first_gpu_only_call()
        if limit:
            return Verdict.unverified(Reason.INTERPRETER_LIMIT, limit)
        dependent = gate.first_device_dependence()
        if dependent:
            return Verdict.unverified(Reason.DEVICE_DEPENDENT, dependent)
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
            yield self._scope_of(node), {node.id}
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


@dataclass(frozen=True)
class _Ctx:
    fn: ast.AST | None = None  # the innermost function (FunctionDef or Lambda); None at module level
    cls: ast.ClassDef | None = None  # the class whose method (or method's nested function) this is
    kernel: bool = False
    init: bool = False  # directly inside a class's __init__
    exempt: bool = False  # code that never runs in the sandbox (see the module docstring)


class _Gate:
    """One pass over the tree, recording every forbidden construct; `first_problem` reports the earliest."""

    def __init__(self, tree: ast.Module, aliases: dict[str, str]) -> None:
        self.tree = tree
        self.aliases = aliases
        self.kernels = set(_triton_kernels(tree, aliases))
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.module_functions = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.module_classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
        self.defined = self.module_functions | self.module_classes | {
            name for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) for name in _bound_names(t)}
        self.host_functions = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                               and n.name not in self.kernels}
        self.exempt_functions = self._exempt_functions()
        self.launchable = self.kernels | self._kernel_aliases()
        self.types = _TensorTypes(self)
        self._fresh: dict[ast.AST, set[str]] = {}
        self.problems: list[tuple[int, int, int, str, Reason]] = []
        self.device_reads: list[tuple[int, str]] = []
        self.gpu_only: list[tuple[int, str]] = []
        self.bindings = _Bindings(tree, self.parents)

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

    def first_device_dependence(self) -> str | None:
        """Where the candidate's behaviour may depend on the device it runs on (collected by first_problem)."""
        if not self.device_reads:
            return None
        line, what = min(self.device_reads)
        return (f"the candidate {what} (line {line}), so what it does on a GPU may differ from what the CPU "
                "interpreter checks; verify on a GPU.")

    def _add(self, node: ast.AST, what: str, rule: Reason = Reason.OUTSIDE_VOCABULARY, *,
             inferred: bool = False) -> None:
        line = getattr(node, "lineno", 0)
        self.problems.append((line, int(inferred), getattr(node, "col_offset", 0), what, rule))

    def _inferred(self, node: ast.AST, what: str) -> None:
        self._add(node, what, Reason.TORCH_OUTSIDE_KERNEL, inferred=True)

    # -- structure ------------------------------------------------------------------------------------------

    def _kernel_aliases(self) -> set[str]:
        """Names bound only to a kernel chosen among kernels (`fn = k1 if c else k2`), launched as fn[grid]."""
        def kernelish(value):
            if isinstance(value, ast.IfExp):
                return kernelish(value.body) and kernelish(value.orelse)
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
                other.update(a.arg for a in _params(node))
        return chosen - other - self.kernels

    def _exempt_functions(self) -> set[str]:
        """Module-level get_inputs/get_init_inputs that nothing references and no decorator runs."""
        loaded = {n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Store)}
        attrs = {n.attr for n in ast.walk(self.tree) if isinstance(n, ast.Attribute)}
        return {n.name for n in self.tree.body
                if isinstance(n, ast.FunctionDef) and n.name in ("get_inputs", "get_init_inputs")
                and not n.decorator_list and n.name not in loaded and n.name not in attrs}

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
                        init=in_class and node.name == "__init__",
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
        elif isinstance(node, _TRY_NODES):
            self._add(node, "uses try/except, the shape of a fallback to PyTorch", Reason.FALLBACK)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            self._add(node, f"declares {type(node).__name__.lower()} {', '.join(node.names)}: state outside forward",
                      Reason.CROSS_CALL_STATE)
        elif isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await, ast.AsyncFunctionDef, ast.AsyncFor,
                               ast.AsyncWith)):
            self._add(node, "uses a generator or coroutine, state that outlives a call", Reason.CROSS_CALL_STATE)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            self._add(node, "uses the @ operator: PyTorch doing the work", Reason.TORCH_OUTSIDE_KERNEL)
        elif isinstance(node, ast.Name):
            self._check_name(node, ctx)
        elif isinstance(node, ast.Attribute):
            self._check_attribute(node, ctx)
        elif isinstance(node, ast.ClassDef):
            self._check_class(node)
        if ctx.exempt:
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            self._check_function(node)
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete, ast.For, ast.withitem,
                             ast.comprehension)):
            self._check_store(node, ctx)
        if isinstance(node, ast.Call):
            self._check_call(node, ctx)
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
        if node.id == "__name__" and self._in_main_guard_test(node):
            return
        if _is_dunder(node.id):
            self._add(node, f"reads {node.id}, which tells how it was loaded or reaches around the checks",
                      _BUILTIN_RULES.get(node.id, Reason.REFLECTION))
        elif hasattr(builtins, node.id) and node.id not in ALLOWED_BUILTINS:
            rule = _BUILTIN_RULES.get(node.id, Reason.OUTSIDE_VOCABULARY)
            self._add(node, f"uses the builtin {node.id}, which kernels may not use", rule)

    def _in_main_guard_test(self, node: ast.Name) -> bool:
        test = self.parents.get(node)
        guard = self.parents.get(test)
        return guard in self.tree.body and self._is_main_guard(guard) and guard.test is test

    def _check_name(self, node: ast.Name, ctx: _Ctx) -> None:
        if isinstance(node.ctx, ast.Store):
            if _is_dunder(node.id):
                self._add(node, f"assigns {node.id}", Reason.MONKEYPATCH)
            elif node.id in self.aliases:
                self._add(node, f"rebinds the imported name {node.id}", Reason.MONKEYPATCH)
            elif node.id in self.kernels:
                self._add(node, f"rebinds the kernel {node.id}", Reason.MONKEYPATCH)
            return
        if node.id in self.kernels and not ctx.kernel and self.bindings.binding_scope(node) is self.tree:
            self._check_kernel_value(node)
        if not self.bindings.is_bound(node) and node.id not in self.aliases:
            if node.id in _REFERENCE_NAMES:
                self._add(node, f"refers to the reference's {node.id}", Reason.REFERENCE_ACCESS)
            else:
                self._check_builtin(node)
        elif not self._is_chain_inner(node):
            self._check_chain(node, ctx)

    def _check_kernel_value(self, node: ast.Name) -> None:
        """A kernel object is launched (`k[grid](...)`), chosen (`k1 if c else k2`), or passed to a launch;
        text made of it, or a call given it, tells the interpreter's kernel object from a GPU's."""
        parent = self.parents.get(node)
        if isinstance(parent, (ast.FormattedValue, ast.Compare, ast.BinOp)) or isinstance(parent, ast.Call) \
                and node in parent.args + [k.value for k in parent.keywords] \
                and not isinstance(parent.func, ast.Subscript) and not self._is_decorator(parent.func):
            self._add(node, f"hands the kernel object {node.id} to {ast.unparse(parent)}; a kernel is launched "
                      "with kernel[grid](...) only", Reason.REFLECTION)

    def _check_attribute(self, node: ast.Attribute, ctx: _Ctx) -> None:
        if _is_dunder(node.attr) and not (node.attr == "__init__" and self._is_super_init(node)):
            self._add(node, f"reaches into .{node.attr}, a way around the checks", Reason.REFLECTION)
            return
        if node.attr in _FRAME_ATTRS:
            self._add(node, f"reaches into .{node.attr}, a frame, code or interpreter object", Reason.REFLECTION)
            return
        receiver = node.value
        is_self = isinstance(receiver, ast.Name) and receiver.id in ("self", "cls")
        if node.attr.startswith("_") and not is_self and not _is_dunder(node.attr):
            rule = _path_rule(_dotted(node, self.aliases) or "") if self._is_module_chain(node) else Reason.REFLECTION
            self._add(node, f"reaches into the private attribute .{node.attr}",
                      Reason.REFLECTION if rule is Reason.OUTSIDE_VOCABULARY else rule)
            return
        if isinstance(receiver, ast.Name) and receiver.id in self.kernels or node.attr in _KERNEL_OBJECT_ATTRS \
                and not is_self:
            self._add(node, f"uses {ast.unparse(node)}: a kernel is launched with kernel[grid](...) only",
                      Reason.REFLECTION)
            return
        if is_self and node.attr in _MODULE_METHODS and not ctx.init and ctx.cls is not None \
                and node.attr not in {n.name for n in ctx.cls.body if isinstance(n, ast.FunctionDef)}:
            self._add(node, f"uses self.{node.attr}, nn.Module machinery (hooks, state) kernels do not need",
                      Reason.REFLECTION)
            return
        if not self._is_chain_inner(node):
            self._check_chain(node, ctx)

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
        if name in TORCH_ALLOWED or name in TRITON_ALLOWED or name in FUNCTOOLS_ALLOWED or name in MATH_ALLOWED \
                or name in TYPING_ALLOWED:
            return
        if ctx.init and (name in TORCH_INIT_ONLY or name.startswith(_TORCH_INIT_ONLY_PREFIXES)
                         or _is_nn_layer(name)):
            return
        if ctx.kernel is False and name in _TORCH_DECORATOR_ONLY and self._is_decorator(node):
            return
        rule = _path_rule(name)
        if name.startswith("torch.") and rule is Reason.OUTSIDE_VOCABULARY:
            self._add(node, f"uses {name}: PyTorch doing the work or reaching around the checks",
                      Reason.TORCH_OUTSIDE_KERNEL)
        elif "." not in name or name in _NAMESPACES or _importable(name):
            self._add(node, f"uses the module {name} as a value, which reaches whatever it imports", rule)
        else:
            self._add(node, f"uses {name}, which is not on the gate's vocabulary", rule)

    def _is_decorator(self, node: ast.AST) -> bool:
        parent = self.parents.get(node)
        target = parent if isinstance(parent, ast.Call) and parent.func is node else node
        holder = self.parents.get(target)
        return isinstance(holder, (ast.FunctionDef, ast.ClassDef)) and target in holder.decorator_list

    def _check_class(self, node: ast.ClassDef) -> None:
        for base in node.bases:
            name = _dotted(base, self.aliases)
            if name not in ("torch.nn.Module", "object"):
                shown = name or ast.unparse(base)
                self._add(base, f"derives class {node.name} from {shown}; only nn.Module is allowed",
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
                if name not in _ALLOWED_DECORATORS:
                    self._add(dec, f"decorates {node.name} with {name or ast.unparse(target)}",
                              _path_rule(name or ""))
        for default in [*node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]]:
            if isinstance(default, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)) or (
                    isinstance(default, ast.Call) and isinstance(default.func, ast.Name)
                    and default.func.id in ("dict", "list", "set", "bytearray")):
                self._add(default, "uses a mutable default argument, state that outlives a call",
                          Reason.CROSS_CALL_STATE)

    def _check_store(self, node: ast.AST, ctx: _Ctx) -> None:
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
            elif isinstance(target, ast.Attribute) and not (ctx.init and root_id == "self"):
                self._add(target, f"assigns to {what} outside __init__: state that outlives a call",
                          Reason.CROSS_CALL_STATE)
            elif isinstance(target, ast.Subscript) and ctx.fn is not None and not ctx.kernel \
                    and not (ctx.init and root_id == "self") and not self._is_fresh(target.value, ctx.fn) \
                    and not self.types.checker(ctx)(target.value):  # a tensor: reported as a write into it
                self._add(target, f"assigns to {what}, a container that outlives the call: a cache",
                          Reason.CROSS_CALL_STATE)

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

    def _check_call(self, node: ast.Call, ctx: _Ctx) -> None:
        func = node.func
        if ctx.kernel:
            self._check_kernel_call(node)
            return
        if _dotted(func, self.aliases) in _TUNER_CALLS:
            for keyword in node.keywords:
                if keyword.arg in _TUNER_HOOKS:
                    self._add(keyword.value, f"hands host code to the autotuner as {keyword.arg}, which it calls "
                              "with the kernel's tensors", Reason.REFLECTION)
        if isinstance(func, ast.Attribute):
            root = _root_name(func.value)
            module = _dotted(func.value, self.aliases) is not None and root is not None and root.id in self.aliases
            if func.attr in FORBIDDEN_METHODS and not module:  # module functions are checked as names
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
                if func.attr not in methods:
                    self._add(node, f"calls self.{func.attr}(), a callable or submodule the model holds",
                              Reason.TORCH_OUTSIDE_KERNEL)
        if isinstance(func, ast.Subscript) and isinstance(func.value, ast.Name) and func.value.id in self.launchable:
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                if isinstance(arg, ast.Lambda) or isinstance(arg, ast.Name) and arg.id in self.host_functions:
                    self._add(arg, f"passes the host function {ast.unparse(arg)} to a kernel", Reason.OUTSIDE_VOCABULARY)

    def _check_kernel_call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            if func.id in self.kernels or func.id in _KERNEL_BUILTINS and func.id not in self.defined:
                return
            if func.id in self.aliases and self.aliases[func.id] in TRITON_ALLOWED:
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
        if isinstance(node, ast.Attribute) and not self._is_chain_inner(node):
            name = _dotted(node, self.aliases)
            root = _root_name(node)
            if name and root is not None and root.id in self.aliases \
                    and not self.bindings.is_bound(root, imports=False):
                if name in GPU_ONLY_CALLS:
                    self.gpu_only.append((line, f"calls {name}, which only works on a GPU"))
                elif name in DEVICE_QUERIES:
                    self.device_reads.append((line, f"reads {name}"))
                return
        if isinstance(node, ast.Attribute) and node.attr in _DEVICE_ATTRS:
            self.device_reads.append((line, f"reads {ast.unparse(node)}"))
        elif isinstance(node, ast.Attribute) and node.attr in ("type", "index") and _is_device(node.value):
            self.device_reads.append((line, f"reads {ast.unparse(node)}"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Subscript) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id in self.launchable \
                and not isinstance(self.parents.get(node), ast.Expr):
            # the interpreter's launch returns None, a GPU's a compiled kernel
            self.device_reads.append((line, f"uses the value a launch of {node.func.value.id} returns"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "data_ptr":
            # the CUDA caching allocator aligns to 512 bytes, the CPU's to 64: an address tells them apart
            self.device_reads.append((line, f"reads the address {ast.unparse(node)}"))
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and node.value.id in self.launchable and not (
                    isinstance(self.parents.get(node), ast.Call) and self.parents[node].func is node):
            self.device_reads.append((line, f"keeps the launcher {ast.unparse(node)} as a value"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get_device":
            self.device_reads.append((line, f"reads {ast.unparse(node.func)}()"))
        elif isinstance(node, ast.Compare) and any(_is_device(e) for e in [node.left, *node.comparators]) and not all(
                isinstance(e, ast.Attribute) and e.attr == "device" for e in [node.left, *node.comparators]):
            # `out.device == x.device` holds on every device; `x.device == torch.device("cuda")` does not
            self.device_reads.append((line, f"compares a device ({ast.unparse(node)})"))
        elif isinstance(node, ast.FormattedValue) and _is_device(node.value) or isinstance(node, ast.Call) \
                and isinstance(node.func, ast.Name) and node.func.id in ("str", "repr", "format", "hash") \
                and any(_is_device(a) for a in node.args):
            self.device_reads.append((line, "turns a device into text"))

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
        elif isinstance(node, (ast.For, ast.comprehension)) and is_tensor(node.iter):
            self._inferred(node.iter, "iterates over a tensor in Python: the host doing the work")
        elif isinstance(node, ast.FormattedValue) and is_tensor(node.value):
            self._inferred(node, "formats a tensor's values as text: the host reading them")
        elif isinstance(node, ast.Call):
            self._check_tensor_call(node, is_tensor)

    def _check_tensor_call(self, node: ast.Call, is_tensor) -> None:
        func = node.func
        args = [*node.args, *(k.value for k in node.keywords)]
        tensor_args = any(is_tensor(a.value if isinstance(a, ast.Starred) else a) for a in args)
        if isinstance(func, ast.Attribute) and is_tensor(func.value) and func.attr not in SAFE_TENSOR_METHODS \
                and func.attr not in FORBIDDEN_METHODS:
            self._inferred(node, f"calls .{func.attr}() on a tensor outside a Triton kernel")
        elif isinstance(func, ast.Name) and tensor_args and func.id not in self.defined \
                and func.id not in self.aliases and hasattr(builtins, func.id) \
                and func.id not in _TENSOR_SAFE_BUILTINS and func.id not in self.host_functions:
            self._inferred(node, f"applies {func.id}() to a tensor: the host doing the work")
        elif isinstance(func, ast.Name) and tensor_args and func.id not in self.types.by_name \
                and func.id not in self.aliases and not hasattr(builtins, func.id) and func.id not in self.kernels:
            self._inferred(node, f"calls {func.id}, a function chosen at run time, on tensors")
        elif tensor_args and (_dotted(func, self.aliases) or "").split(".")[0] in ("math", "functools"):
            self._inferred(node, f"applies {_dotted(func, self.aliases)}() to a tensor: the host doing the work")
        elif tensor_args and isinstance(func, (ast.Call, ast.Subscript)) and not (
                isinstance(func, ast.Subscript) and isinstance(func.value, ast.Name)
                and func.value.id in self.launchable):
            self._inferred(node, f"calls {ast.unparse(func)}, chosen at run time, on tensors")


def _is_device(expr: ast.AST) -> bool:
    """`x.device`, `out.device`, `torch.device(...)`: a device value, whose kind tells CPU from GPU."""
    return isinstance(expr, ast.Attribute) and expr.attr == "device" or isinstance(expr, ast.Call) \
        and isinstance(expr.func, ast.Attribute) and expr.func.attr == "device" \
        and isinstance(expr.func.value, ast.Name) and expr.func.value.id == "torch"


def _flatten_targets(target: ast.AST):
    if isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from _flatten_targets(elt)
    elif isinstance(target, ast.Starred):
        yield from _flatten_targets(target.value)
    else:
        yield target


def _importable(name: str) -> bool:
    """A torch/triton/math/typing/functools path that may be imported: on the vocabulary itself, or a module
    on the way to it (`torch.nn`, `triton.language.extra.libdevice`)."""
    if name in _IMPORTABLE or name in _NAMESPACES or name in ("torch", "triton", "functools", "math", "typing"):
        return True
    if name in TORCH_ALLOWED or name in TRITON_ALLOWED or name in FUNCTOOLS_ALLOWED or name in MATH_ALLOWED \
            or name in TYPING_ALLOWED or name in _TORCH_DECORATOR_ONLY:
        return True
    prefix = name + "."
    return name in ("torch.nn", "torch.cuda", "triton.runtime", "torch.amp") or any(
        allowed.startswith(prefix) for allowed in TORCH_ALLOWED | TORCH_INIT_ONLY)


def _path_rule(name: str) -> Reason:
    """The rule a path off the vocabulary breaks, where one is named; otherwise outside the vocabulary."""
    for prefixes, rule in _TORCH_RULES:
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return rule
    if name.startswith("triton.runtime.driver"):
        return Reason.CONCURRENCY if "stream" in name else Reason.REFLECTION
    if name.startswith(("triton.compiler", "triton.runtime.jit", "triton.knobs", "triton.runtime.interpreter",
                        "triton.language.core", "triton.language.semantic", "triton.language.extra",
                        "typing.sys")):
        return Reason.REFLECTION
    if name.startswith("functools."):
        return Reason.CROSS_CALL_STATE
    return Reason.OUTSIDE_VOCABULARY


def _is_nn_layer(name: str) -> bool:
    """`torch.nn.Linear` and kin, which __init__ may build to hold parameters (never called in forward)."""
    parts = name.split(".")
    return len(parts) == 3 and parts[:2] == ["torch", "nn"] and parts[2][:1].isupper()


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
        for _ in range(20):
            before = (sum(map(len, self.tensors.values())), len(self.returns),
                      sum(map(len, self.self_attrs.values())), sum(map(len, self.submodules.values())))
            for scope in self.scopes:
                self._scan(scope)
            after = (sum(map(len, self.tensors.values())), len(self.returns),
                     sum(map(len, self.self_attrs.values())), sum(map(len, self.submodules.values())))
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
                return True  # a parameter of a submodule built in __init__
            return expr.attr not in _NON_TENSOR_ATTRS and self.is_tensor(value, names, cls)
        if isinstance(expr, ast.Subscript):
            return self.is_tensor(expr.value, names, cls)
        if isinstance(expr, ast.Call):
            func = expr.func
            name = _dotted(func, aliases)
            if name in _TENSOR_ALLOCATORS:
                return True
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


def _interpreter_limit(tree: ast.Module, dtype: str, aliases: dict[str, str]) -> str | None:
    """Why the Triton interpreter cannot judge this kernel, or None. The interpreter stores bf16 as uint16
    (its arithmetic is wrong) and does not emulate TF32, which NVIDIA's `tl.dot` uses for fp32 operands
    unless `input_precision="ieee"` (or `allow_tf32=False`) is given."""
    if dtype == "bfloat16":
        return "bf16 arithmetic cannot be checked by the Triton interpreter on CPU; verify on a GPU."
    line = _bf16_use(tree, aliases)
    if line:
        return (f"the candidate computes in bf16 (line {line}), whose arithmetic the Triton interpreter does not "
                "emulate; verify on a GPU.")
    kernels = set(_triton_kernels(tree, aliases))
    for fn in tree.body:
        if isinstance(fn, ast.FunctionDef) and fn.name in kernels:
            for call in (n for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)):
                # the interpreter swaps triton.language's functions on the module; a name imported from it
                # still holds the compiled-mode function, which raises outside a JIT compile
                if aliases.get(call.func.id, "").startswith("triton.language."):
                    return (f"the kernel calls {call.func.id}, imported from {aliases[call.func.id].rpartition('.')[0]}"
                            f" (line {call.lineno}), which the Triton interpreter cannot run; verify on a GPU.")
    for node in ast.walk(tree):
        name = _dotted(node, aliases) if isinstance(node, (ast.Name, ast.Attribute)) else None
        if name and name.startswith(tuple(f"{module}." for module in _LIBDEVICE_MODULES[:3])):
            return (f"the candidate calls {name} (line {node.lineno}), CUDA's libdevice, which the Triton "
                    "interpreter cannot run; verify on a GPU.")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("inline_asm_elementwise", "extern_elementwise"):
                return f"tl.{node.func.attr} cannot run under the Triton interpreter; verify on a GPU."
            if node.func.attr == "dot" and dtype == "float32" and not _ieee_dot(node):
                return ("tl.dot on fp32 operands without input_precision='ieee' uses TF32 on NVIDIA GPUs, "
                        "which the Triton interpreter does not emulate; verify on a GPU.")
    return None


def _bf16_use(tree: ast.Module, aliases: dict[str, str]) -> int | None:
    """The line where bf16 enters the computation, following explicit casts rather than guessing: a mention
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
                if isinstance(inner, ast.Attribute) and inner.attr == "bfloat16" or (
                        isinstance(inner, ast.Constant) and inner.value in ("bf16", "bfloat16")):
                    return inner.lineno
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr == "bfloat16":
            return node.lineno
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            if isinstance(arg, ast.Attribute) and arg.attr == "bfloat16" or (
                    isinstance(arg, ast.Constant) and arg.value in ("bf16", "bfloat16")):
                return node.lineno
    return None


def _ieee_dot(node: ast.Call) -> bool:
    for keyword in node.keywords:
        value = keyword.value
        if keyword.arg == "input_precision" and isinstance(value, ast.Constant) and value.value == "ieee":
            return True
        if keyword.arg == "allow_tf32" and isinstance(value, ast.Constant) and value.value is False:
            return True
    return False
