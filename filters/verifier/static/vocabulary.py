"""The gate's closed vocabulary: what a candidate may import, name and call (by full path), and the
rule each path off the list breaks."""

from __future__ import annotations

import ast

from kerneldata.core.outcomes import Reason

# Top-level modules a candidate may import. Everything else is a way out of the sandbox or around the checks.
ALLOWED_MODULES = frozenset({"torch", "triton", "math", "typing", "functools", "contextlib", "logging", "warnings",
                             "dataclasses", "enum", "itertools", "__future__", "os", "operator", "packaging",
                             "importlib"})
# `os` is imported by real kernel files for one thing, an environment variable choosing a code path
# (flash-linear-attention's FLA_USE_FAST_OPS): `import os` itself is allowed, every other path of it is
# `io_access`, and an environment read (ENVIRONMENT_READS, with a literal name) makes the verdict
# `environment_dependent` (unverified): the sandbox's environment cannot stand for a user's.
ENVIRONMENT_READS = frozenset({"os.environ.get", "os.getenv", "os.environ"})
# `operator`, `packaging` and `importlib` serve one idiom, asking which Triton is installed (Liger-Kernel's
# `compare_version("triton", operator.ge, "3.0.0")`, `filters.verifier.static.versions`): operator's functions
# of two Python values (applied to a tensor they are the host doing the work, like `math`'s), packaging's
# version parser, and importlib only as `versions.version_queries` allows.
OPERATOR_ALLOWED = frozenset(f"operator.{n}" for n in (
    "lt", "le", "eq", "ne", "ge", "gt", "add", "sub", "mul", "truediv", "floordiv", "mod", "neg", "not_", "and_",
    "or_"))
PACKAGING_ALLOWED = frozenset({"packaging.version.Version", "packaging.version.parse",
                               "packaging.version.InvalidVersion"})
VERSIONED_PACKAGES = frozenset({"torch", "triton"})
IMPORT_MODULE = "importlib.import_module"
METADATA_VERSION = "importlib.metadata.version"
VERSION_CALLS = frozenset({IMPORT_MODULE, METADATA_VERSION})
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
    # The autograd wrapper honest kernels come in (Liger-Kernel, Unsloth, the Triton tutorials' attention):
    # forward and backward are checked code like any method; `apply` runs forward.
    "torch.autograd.Function", "torch.autograd.function.Function", "torch.autograd.function.once_differentiable",
    "torch.cuda.current_device", "torch.cuda.get_device_properties", "torch.cuda.device_count",
    "torch.cuda.is_available", "torch.cuda.get_device_capability", "torch.cuda.get_device_name", "torch.cuda.device",
    "torch.cuda.device_of",  # `with torch.cuda.device_of(x):`, torch.cuda.device of a tensor's device
    # whether other accelerators are present (Liger-Kernel's infer_device asks for XPUs): device reads
    "torch.xpu.is_available", "torch.xpu.device_count", "torch.backends.mps.is_available",
    # The stream launches already go to (xformers, vLLM and ports from other DSLs look it up to pass along): a
    # query. Triton 3 launches on the current stream whatever it is given, and the verifier runs every call on
    # the same stream, so its value tells nothing; what it could do (wait, query) is refused (STREAM_METHODS).
    "torch.cuda.current_stream",
    "torch.version.hip", "torch.version.cuda",
    # queries that compute nothing (autocast state, grad mode)
    "torch.get_autocast_gpu_dtype", "torch.get_autocast_dtype", "torch.is_autocast_enabled", "torch.is_grad_enabled",
    "torch.is_inference_mode_enabled",
    # Index tensors a launcher hands its kernel (cu_seqlens and row offsets, as vLLM's and FlashAttention's
    # varlen launchers build them): its result is a tensor to the type inference, so arithmetic on it, and
    # indexing another tensor with it (a gather by PyTorch), stay refused.
    "torch.arange",
    # constant fills like zeros and full (a launcher's default weight, a generic kernel's neutral operand)
    "torch.ones", "torch.ones_like",
    # layouts and memory formats, named for allocations and layout checks; shapes broadcast (FlagGems)
    "torch.contiguous_format", "torch.preserve_format", "torch.channels_last", "torch.channels_last_3d",
    "torch.strided", "torch.memory_format", "torch.layout", "torch.broadcast_shapes",
    "torch.cuda.is_bf16_supported",
    # Whether torch.compile is tracing the caller (launchers skip host-side checks then): answered True to the
    # candidate in one secret checked call (filters.verifier.compile_query), so a launcher keyed on it meets
    # both answers; `torch._dynamo.is_compiling` is the older spelling (PRIVATE_READS).
    "torch.compiler.is_compiling", "torch.compiler.is_dynamo_compiling", "torch._dynamo.is_compiling",
    # Whether PyTorch's own matmuls may use TF32, read so a kernel follows the user's setting (a launcher picks
    # its `tl.dot` input precision by it). Reads only: assigning one is `monkeypatch` (an imported module's
    # attribute), `torch.set_float32_matmul_precision` and `torch.backends.*.flags` are off the list, and the
    # object holding the switch (`torch.backends.cuda.matmul`) is never a value; the worker's integrity check
    # sees any change at run time too.
    "torch.backends.cuda.matmul.allow_tf32", "torch.backends.cudnn.allow_tf32", "torch.get_float32_matmul_precision",
})
# The full paths through a private module honest launchers name (Liger, Unsloth and FlashAttention ask
# `torch._dynamo.is_compiling()` on older torch; `@torch._dynamo.disable`, a decorator only): only these;
# anything else under `torch._dynamo` stays `dynamic_code` (its config, its counters of what the baselines compiled).
PRIVATE_READS = frozenset({"torch._dynamo.is_compiling", "torch._dynamo.disable"})
# The installed versions, which honest launchers compare to pick an API (Unsloth: triton >= 3.0 moved libdevice):
# the one dunder read, a plain string; its methods are str's, and its own dunders are refused like any other.
VERSION_READS = frozenset({"torch.__version__", "triton.__version__"})
# Only in __init__, to build parameters the way the reference does (same seed, same values).
TORCH_INIT_ONLY = frozenset({
    "torch.randn", "torch.rand", "torch.randint", "torch.randn_like", "torch.rand_like", "torch.linspace",
    "torch.tensor", "torch.eye",
})
_TORCH_INIT_ONLY_PREFIXES = ("torch.nn.init.",)
# Pure tensor math a model's __init__ (and helpers only it calls) may use to build constant buffers from its
# init arguments: a rotary embedding's inverse frequencies and cos/sin tables, an ALiBi slope table, a causal
# mask (the gate's `_init_only`). No global switch, no I/O, nothing that reaches other modules; never in forward.
_INIT_MATH = frozenset(f"torch.{n}" for n in (
    "outer", "cos", "sin", "exp", "exp2", "log", "log2", "pow", "sqrt", "rsqrt", "cat", "stack", "einsum",
    "polar", "matmul", "where", "tril", "triu", "cumsum", "cumprod", "flip", "repeat_interleave", "meshgrid",
    "clamp", "sigmoid", "tanh", "erf", "abs", "sign", "floor", "ceil", "round", "maximum", "minimum",
    "view_as_real", "view_as_complex", "complex", "reciprocal", "logspace", "full_like", "ones_like"))
# The same for tensor methods (FORBIDDEN_METHODS elsewhere): math only; not tolist/numpy (host values),
# set_/resize_/apply_/map_/as_subclass or hook registration.
_INIT_MATH_METHODS = frozenset({
    "sum", "mean", "max", "min", "amax", "amin", "prod", "exp", "exp2", "log", "log2", "log1p", "expm1",
    "sigmoid", "tanh", "sqrt", "rsqrt", "reciprocal", "square", "sin", "cos", "matmul", "outer", "cumsum",
    "cumprod", "abs", "neg", "clamp", "clamp_min", "clamp_max", "clip", "where", "masked_fill", "pow", "erf",
    "maximum", "minimum", "sign", "floor", "ceil", "round", "add", "sub", "mul", "div", "true_divide", "add_",
    "sub_", "mul_", "div_", "copy_", "fill_",
})
# Small constant tensors a launcher builds in forward too (a scale or a bias handed to a kernel by pointer): given
# numbers, shapes and lists of them only, never a tensor (which would make PyTorch copy its values); the result is
# a tensor to the type inference. A table of answers written into the source gains nothing over one built in
# __init__: the runtime checks judge the output on inputs and parameters the candidate cannot predict.
TORCH_FROM_DATA = frozenset({"torch.tensor"})
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
    "PropagateNan.ALL", "PropagateNan.NONE",  # `tl.maximum(a, b, propagate_nan=tl.PropagateNan.ALL)`
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
    # The raw handle of the stream launches go to (an int), which launchers pass along like
    # torch.cuda.current_stream's; nothing on the vocabulary turns it back into a stream to wait on or query.
    "triton.runtime.driver.active.get_current_stream",
})
TRITON_ALLOWED = frozenset({
    "triton.jit", "triton.autotune", "triton.Config", "triton.heuristics", "triton.cdiv", "triton.next_power_of_2",
    "triton.runtime.jit.jit", "triton.runtime.autotune", "triton.runtime.heuristics", "triton.runtime.Config",
    "triton.runtime.autotuner.autotune", "triton.runtime.autotuner.heuristics", "triton.runtime.autotuner.Config",
    # The host-side TMA descriptor the Triton tutorials' Hopper matmul and attention launchers build: a dataclass
    # of the tensor, its shape, strides and block shape. Given a tensor, its result is a tensor to the type
    # inference, so nothing computed from `desc.base` passes either.
    "triton.tools.tensor_descriptor.TensorDescriptor", "triton.tools.tensor_descriptor.TensorDescriptor.from_tensor",
    # The scratch allocator on-device descriptors (`tl.make_tensor_descriptor`) need, which the same tutorials
    # register: only a function returning a fresh `torch.empty(...)` (`gate._scratch_allocator`); the sandboxed
    # child puts Triton's own back after each candidate.
    "triton.set_allocator",
}) | TRITON_DRIVER_QUERIES | TRITON_LANGUAGE_ALLOWED \
    | LIBDEVICE_ALLOWED
# Read on CPU, these tell the candidate which device it runs on (or only work on a GPU): `device_dependent`
# where the value decides anything, `interpreter_limit` for calls only a GPU can answer.
DEVICE_QUERIES = frozenset({
    "torch.cuda.is_available", "torch.cuda.get_device_capability", "torch.cuda.get_device_name",
    "torch.cuda.current_device", "torch.cuda.device_count", "torch.cuda.get_device_properties",
    "torch.version.hip", "torch.version.cuda", "torch.cuda.is_bf16_supported",
    "torch.xpu.is_available", "torch.xpu.device_count", "torch.backends.mps.is_available",
}) | TRITON_DRIVER_QUERIES
# Attributes that tell a tensor's or device's kind (`x.is_cuda`, `x.device.type`).
_DEVICE_ATTRS = frozenset({"is_cuda", "is_cpu", "is_mps", "is_xpu", "is_meta"})
# NVTX profiling annotations (a launcher names its ranges for Nsight): each takes one message and returns
# nothing a candidate may keep. `range` only as a `with` item or a decorator (it formats extra arguments into
# its message: `str.format` reflection); `range_push`, `range_pop` and `mark` only as statements, since
# `range_push` returns the nesting depth, a counter across calls when nothing pops it; `range_start` and
# `range_end` hand out ids and are refused. Only a CUDA build has them (`interpreter_limit` on CPU).
NVTX_CALLS = frozenset({"torch.cuda.nvtx.range", "torch.cuda.nvtx.range_push", "torch.cuda.nvtx.range_pop",
                        "torch.cuda.nvtx.mark"})
GPU_ONLY_CALLS = frozenset({"torch.cuda.device", "torch.cuda.device_of", "torch.cuda.current_stream"}) \
    | TRITON_DRIVER_QUERIES | NVTX_CALLS
# Modules that may be imported (and used only through their allowed names, never as values).
_NAMESPACES = frozenset({"triton.language", "triton.language.math", "triton.language.extra",
                         "triton.language.extra.cuda", *_LIBDEVICE_MODULES, "packaging.version", "importlib.metadata"})
FUNCTOOLS_ALLOWED = frozenset({"functools.partial", "functools.reduce", "functools.wraps"})
# functools' caches, allowed only as the decorator of a pure config helper (`gate._pure_cached_helper`: FlagGems'
# and vLLM's `@lru_cache def get_config(n)`): a module-level function of host numbers whose body calls nothing
# but the builtins and triton/math functions below, builds no container and reads no module-level name, and whose
# name is only ever called (`cache_info()` would count calls). A cache of such a function remembers nothing a
# call could tell apart from computing it again.
CACHE_DECORATORS = frozenset({"functools.lru_cache", "functools.cache"})
# The Triton tutorials' benchmark declaration, `@triton.testing.perf_report(triton.testing.Benchmark(...))`:
# allowed only as the decorator of a function nothing else names (`gate._declares_benchmark`), whose body then
# never runs; `.run()` of it anywhere but under `__main__` names it, and its body is checked like any other.
BENCHMARK_DECLARATION = frozenset({"triton.testing.perf_report", "triton.testing.Benchmark"})
# Custom operators (`filters.verifier.static.custom_ops`): the two decorators, only on a module-level function
# with a literal name, and `wrap_triton(kernel)[grid](...)`, read as the launch it is; torch.library otherwise
# stays `dynamic_code`.
CUSTOM_OP_DECORATORS = frozenset({"torch.library.triton_op", "torch.library.custom_op"})
# Tensor methods that hand values to host Python, where no dispatcher sees what is computed from them.
HOST_VALUE_METHODS = frozenset({"tolist", "item", "numpy", "data_ptr", "untyped_storage", "storage"})
WRAP_TRITON = "torch.library.wrap_triton"
# Record classes of launch settings (torchao's and Triton-distributed's `@dataclass(frozen=True)` configs, vLLM's
# NamedTuples, attorch's enums), allowed only as the decorator or base of a record class (`gate._record_class`): fields annotated
# with a plain type and defaulted to a constant, nothing else in the body, frozen, so an instance carries nothing
# from one call to the next.
RECORD_CLASS_NAMES = frozenset({"dataclasses.dataclass", "typing.NamedTuple", "enum.Enum", "enum.IntEnum",
                                "enum.StrEnum"})
# An enum of written-out constants (attorch's and kernl's activation and layout enums): `NAME = constant` only.
ENUM_BASES = frozenset({"enum.Enum", "enum.IntEnum", "enum.StrEnum"})
RECORD_FIELD_TYPES = frozenset({"int", "float", "bool", "str", "torch.dtype"})
PURE_HELPER_BUILTINS = frozenset({"min", "max", "int", "float", "bool", "abs", "round", "len", "divmod", "pow"})
PURE_HELPER_CALLS = frozenset({"triton.next_power_of_2", "triton.cdiv"})
# math: its functions and constants, all of which compute on Python numbers only.
MATH_ALLOWED = frozenset(f"math.{n}" for n in (
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "ceil", "comb", "copysign", "cos", "cosh",
    "degrees", "dist", "e", "erf", "erfc", "exp", "exp2", "expm1", "fabs", "factorial", "floor", "fmod", "frexp",
    "fsum", "gamma", "gcd", "hypot", "inf", "isclose", "isfinite", "isinf", "isnan", "isqrt", "lcm", "ldexp",
    "lgamma", "log", "log10", "log1p", "log2", "modf", "nan", "nextafter", "perm", "pi", "pow", "prod", "radians",
    "remainder", "sin", "sinh", "sqrt", "tan", "tanh", "tau", "trunc", "ulp"))
# typing: annotations only (`typing.sys` is the sys module), and TypeVar for generic helpers. Nothing that
# evaluates an annotation's text (`get_type_hints`, `ForwardRef`: eval by another name) or builds a class.
TYPING_ALLOWED = frozenset(f"typing.{n}" for n in (
    "Optional", "List", "Tuple", "Dict", "Union", "Any", "Callable", "Sequence", "Iterable", "Literal", "cast",
    "TYPE_CHECKING", "Mapping", "Type", "Set", "FrozenSet",
    "Final", "ClassVar", "Annotated", "NoReturn", "Never", "Self", "TypeAlias", "Iterator", "Generator",
    "Hashable", "Sized", "Collection", "MutableMapping", "MutableSequence", "TypeVar"))
# contextlib: the do-nothing context manager only (Unsloth's single-GPU `torch_gpu_device`); the rest makes
# generators into context managers, redirects output or keeps exit callbacks.
CONTEXTLIB_ALLOWED = frozenset({"contextlib.nullcontext"})
# itertools: the cartesian product autotune config lists are built from (`for bm, bn, w in
# itertools.product([64, 128], [32, 64], [4, 8])`), only where it is called, and as the iterator it is: kept past
# the statement that made it, it would count calls (`gate._makes_iterator`).
ITERTOOLS_ALLOWED = frozenset({"itertools.product"})
_CHECKED_ROOTS = ("os", "operator", "packaging", "importlib", "torch", "triton", "functools", "math", "typing", "contextlib", "logging", "warnings",
                  "dataclasses", "enum", "itertools")
# FlagGems' logging idiom and a warning: `logger = logging.getLogger(__name__)` bound once at module level, and
# `logger.debug("GEMS ADD")` (or info, warning, error), `warnings.warn("...")` as statements of their own,
# with a message written out and host numbers or shapes to format, never a tensor (its values read on the
# host). Handlers, levels, basicConfig (a file), the logger's other attributes (its manager counts loggers)
# and warnings' filters stay off the list (`gate._logging_problem`).
LOGGING_CALLS = frozenset({"logging.getLogger", "warnings.warn"})
LOGGER_METHODS = frozenset({"debug", "info", "warning", "error"})
# torch paths refused under a named rule (the rest of torch outside TORCH_ALLOWED: torch doing the work).
_TORCH_RULES = (
    (("torch.ops.aten", "torch.ops.prims"), Reason.TORCH_OUTSIDE_KERNEL),
    (("torch.cuda.Stream", "torch.cuda.stream", "torch.cuda.Event", "torch.cuda.graph", "torch.cuda.CUDAGraph",
      "torch.cuda.synchronize", "torch.cuda.default_stream", "torch.cuda.set_stream",
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
# What a stream or event does (the current stream may be named): wait for or ask after work in flight. Refused
# on any receiver but self outside a kernel, taken as a value too: `.query()` tells whether the caller left work
# pending (a timing loop does, a correctness check does not), `.synchronize()` and the waits reorder it.
STREAM_METHODS = frozenset({"synchronize", "query", "wait_stream", "wait_event", "record_event", "record_stream",
                            "elapsed_time"})
# The methods a launcher calls on a tensor: layout, views, casts, metadata.
SAFE_TENSOR_METHODS = frozenset({
    "contiguous", "view", "view_as", "reshape", "reshape_as", "flatten", "unflatten", "squeeze", "unsqueeze",
    "t", "transpose", "permute", "movedim", "expand", "expand_as", "narrow", "select", "unbind", "split",
    "chunk", "detach", "clone", "to", "float", "half", "bfloat16", "double", "type_as", "cpu", "cuda", "zero_",
    "new_empty", "new_zeros", "new_ones", "new_full", "stride", "size", "numel", "nelement", "dim", "ndimension",
    "element_size", "data_ptr", "is_contiguous", "is_floating_point", "is_complex", "get_device",
    "storage_offset", "requires_grad_",
    # a view with written-out sizes and strides (Inductor's reinterpret_tensor of its own buffers); never the
    # in-place `as_strided_`, which changes the tensor it is called on
    "as_strided",
})
_SCALAR_TENSOR_METHODS = frozenset({
    "stride", "size", "numel", "nelement", "dim", "ndimension", "element_size", "data_ptr", "is_contiguous",
    "is_floating_point", "is_complex", "get_device", "storage_offset", "item",
})
_NON_TENSOR_ATTRS = frozenset({
    "shape", "dtype", "device", "ndim", "is_cuda", "is_cpu", "layout", "requires_grad", "itemsize", "nbytes",
    "is_leaf", "is_sparse", "is_quantized", "is_meta",
})
# The hyperparameters torch's layers keep as plain Python numbers, tuples and flags (`self.norm.num_groups`,
# `self.norm.eps`), which a launcher reads to size its grid (FlagGems' and HF kernels' layers wrapping the
# reference's module): not tensors, so host arithmetic on them is not PyTorch doing the work. Only for a
# layer built with no tensor among its arguments, and only for names the candidate never assigns anywhere
# (`self.norm.eps = t` would make one a tensor; `register_buffer` under an existing name raises).
LAYER_HYPERPARAMETERS = {
    "torch.nn.Linear": frozenset({"in_features", "out_features"}),
    "torch.nn.Embedding": frozenset({"num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type"}),
    "torch.nn.LayerNorm": frozenset({"normalized_shape", "eps", "elementwise_affine"}),
    "torch.nn.RMSNorm": frozenset({"normalized_shape", "eps", "elementwise_affine"}),
    "torch.nn.GroupNorm": frozenset({"num_groups", "num_channels", "eps", "affine"}),
    **{f"torch.nn.BatchNorm{d}d": frozenset({"num_features", "eps", "momentum", "affine", "track_running_stats"})
       for d in (1, 2, 3)},
    **{f"torch.nn.Conv{d}d": frozenset({"in_channels", "out_channels", "kernel_size", "stride", "padding",
                                        "dilation", "groups", "padding_mode"}) for d in (1, 2, 3)},
}
_TENSOR_ALLOCATORS = frozenset({
    "torch.empty", "torch.empty_like", "torch.empty_strided", "torch.zeros", "torch.zeros_like", "torch.full",
    "torch.full_like", "torch.nn.Parameter", "torch.arange", "torch.ones", "torch.ones_like",
}) | TORCH_INIT_ONLY
# Calls whose result is a tensor object made by this call (never one handed in or held, which `.contiguous()` or
# `.to()` may return as is): flags set on it die with the call.
_FRESH_TENSOR_CALLS = frozenset({
    "torch.empty", "torch.empty_like", "torch.empty_strided", "torch.zeros", "torch.zeros_like", "torch.full",
    "torch.full_like", "torch.ones", "torch.ones_like", "torch.arange", "torch.tensor",
})
_FRESH_TENSOR_METHODS = frozenset({"new_empty", "new_zeros", "new_ones", "new_full", "detach", "clone"})
# The builtins a candidate may call or name, when no binding of its own shadows them. The rest are refused
# under the rule their use breaks (below), or as outside the vocabulary.
ALLOWED_BUILTINS = frozenset({
    "range", "len", "min", "max", "abs", "int", "float", "bool", "str", "tuple", "list", "dict", "set", "frozenset",
    "zip", "enumerate", "isinstance", "issubclass", "print", "round", "sorted", "reversed", "any", "all", "sum",
    "divmod", "pow", "slice", "super", "object", "staticmethod", "classmethod", "property", "callable",
    "map", "filter", "Ellipsis", "NotImplemented", "Exception", "ValueError", "TypeError",
    "RuntimeError", "NotImplementedError", "AssertionError", "IndexError", "KeyError", "AttributeError",
    "ImportError", "ModuleNotFoundError",  # caught by import guards (`versions.import_guard`) and raised
}) | frozenset({"UserWarning", "DeprecationWarning", "FutureWarning", "RuntimeWarning", "PendingDeprecationWarning"})
# The categories `warnings.warn` may name (xformers, bitsandbytes: `warnings.warn("...", UserWarning)`), classes like
# the exceptions above, and its one other keyword: a stack level written out (`source=` would hand an object on).
WARNING_CATEGORIES = frozenset({"UserWarning", "DeprecationWarning", "FutureWarning", "RuntimeWarning",
                                "PendingDeprecationWarning"})
_BUILTIN_RULES = {
    **dict.fromkeys(("exec", "eval", "compile", "__import__", "__build_class__"), Reason.DYNAMIC_CODE),
    **dict.fromkeys(("getattr", "setattr", "delattr", "vars", "globals", "locals", "dir", "type", "id", "memoryview",
                     "breakpoint", "help", "__builtins__", "hasattr", "repr", "format", "ascii"), Reason.REFLECTION),
    **dict.fromkeys(("open", "input", "exit", "quit"), Reason.IO_ACCESS),
}
# Modules a candidate may not import, by the rule their use would break (the rest: outside the vocabulary).
_MODULE_RULES = {
    **dict.fromkeys(("socket", "urllib", "http", "requests", "shutil", "pathlib", "io", "tempfile", "pickle",
                     "mmap", "sqlite3", "glob", "fcntl", "ftplib", "smtplib", "ssl", "select", "selectors"),
                    Reason.IO_ACCESS),
    **dict.fromkeys(("threading", "_thread", "multiprocessing", "concurrent", "subprocess", "asyncio", "signal",
                     "sched"), Reason.CONCURRENCY),
    **dict.fromkeys(("ctypes", "cffi", "code", "codeop", "runpy", "pkgutil", "marshal", "types",
                     "base64", "zlib", "codecs", "binascii"), Reason.DYNAMIC_CODE),
    **dict.fromkeys(("sys", "builtins", "inspect", "gc", "traceback", "weakref", "dis", "copyreg",
                     "atexit", "warnings"), Reason.REFLECTION),
    **dict.fromkeys(("reference", "problem", "model"), Reason.REFERENCE_ACCESS),
}
# Builtins that only look at a tensor without computing from its values.
# Builtins that may take a tensor (or what the type inference takes for one: a list of outputs): they read
# metadata, or make a tuple or list of the tensors or of a tensor's rows (views), computing nothing.
_TENSOR_SAFE_BUILTINS = frozenset({"len", "isinstance", "print", "id", "hash", "hasattr", "callable", "tuple", "list"})
_KERNEL_BUILTINS = frozenset({"range", "min", "max", "print", "len", "int", "float", "bool", "isinstance", "abs",
                              "tuple", "zip", "enumerate"})
_FRAME_ATTRS = frozenset({
    "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "ag_frame", "ag_code", "f_back", "f_globals",
    "f_locals", "f_builtins", "f_code", "f_trace", "tb_frame", "tb_next", "co_code", "co_consts", "co_names",
    "func_globals", "func_code", "mro", "handle",
})
_FRESH_CONSTRUCTORS = frozenset({"dict", "list", "set", "tuple", "sorted"})
_MUTATING_METHODS = frozenset({
    "append", "extend", "insert", "pop", "popitem", "remove", "clear", "update", "setdefault", "add", "discard",
    "sort", "reverse", "appendleft", "extendleft", "popleft", "difference_update", "intersection_update",
    "symmetric_difference_update",
})
# The mutating methods of lists, dicts, sets and deques that no tensor has: on a container of tensors (a
# wrapper's argument list), the container rules judge them (`gate._is_fresh`), not the tensor rules.
_CONTAINER_METHODS = _MUTATING_METHODS - {"add", "sort"}
# Builtins that make an iterator: an object that changes as it is consumed. Kept (bound to a name, an
# attribute, a default), one counts calls across them (`for _ in TICKS: break`); so each must be consumed
# where it is made: iterated by a `for` or a comprehension, or handed to a call below that drains it.
ITERATOR_BUILTINS = frozenset({"map", "filter", "zip", "enumerate", "reversed"})
_DRAINING_BUILTINS = frozenset({"list", "tuple", "dict", "set", "frozenset", "sorted", "sum", "any", "all", "min",
                                "max"}) | ITERATOR_BUILTINS
_DRAINING_CALLS = frozenset({"functools.reduce", "math.prod", "math.fsum"})
# Calls whose result is a number or a new object, never one the candidate kept: a name bound only to these
# may be updated in place (`n *= 2`, `grid += (1,)`).
_SCALAR_BUILTINS = frozenset({"int", "float", "len", "abs", "round", "bool", "str", "divmod", "pow"}) \
    | _FRESH_CONSTRUCTORS
_SCALAR_CALLS = frozenset({"triton.cdiv", "triton.next_power_of_2"}) | MATH_ALLOWED
_SCALAR_METHODS = frozenset({"numel", "nelement", "size", "stride", "dim", "ndimension", "element_size",
                             "storage_offset", "item", "join"})
# Classes honest launchers name only in annotations (`stream: Optional[torch.cuda.Stream] = None`); making one
# is refused (`concurrency`), and an annotation only names it.
_TORCH_ANNOTATION_ONLY = frozenset({"torch.cuda.Stream", "torch.cuda.Event", "torch.Stream", "torch.Event"})
# torch decorators honest autograd code carries (they cast under autocast, computing nothing themselves).
# `torch.compiler.disable` keeps torch.compile from tracing a launcher (a Triton launch it cannot trace, host
# checks): the verifier never compiles a candidate, so it changes nothing there. The rest of torch.compiler
# (`set_stance`, which would put the torch.compile baseline in eager mode, `reset`) stays off the list.
# `torch._dynamo.disable` is the same function under its older, private name (torch < 2.1 launchers).
_TORCH_DECORATOR_ONLY = frozenset({"torch.amp.custom_fwd", "torch.amp.custom_bwd", "torch.cuda.amp.custom_fwd",
                                   "torch.cuda.amp.custom_bwd", "torch.compiler.disable", "torch._dynamo.disable"})
_ALLOWED_DECORATORS = _TORCH_DECORATOR_ONLY | frozenset({
    "triton.jit", "triton.runtime.jit.jit", "triton.autotune", "triton.heuristics", "triton.runtime.autotune",
    "triton.runtime.heuristics", "triton.runtime.autotuner.autotune", "triton.runtime.autotuner.heuristics",
    "functools.wraps", "torch.autograd.function.once_differentiable", "torch.cuda.nvtx.range",
                                 "torch.no_grad", "torch.inference_mode", "staticmethod", "classmethod", "property"})
# Attributes of kernel objects (JITFunction, Autotuner) that reach their Python function, caches or launcher.
_KERNEL_OBJECT_ATTRS = frozenset({"fn", "src", "cache", "device_caches", "run", "warmup", "kernel_decorators",
                                  "hooks", "pre_hook", "post_hook", "launch_metadata", "asm", "jit_function",
                                  "cache_key", "used_global_vals", "base_fn", "do_bench", "prune_configs_by",
                                  "best_config", "configs_timings", "bench_fn",
                                  # An autotuner keeps its last call's arguments (`nargs`: an earlier output
                                  # among them) and the tensors it restores; a JIT function its compiled parts.
                                  "nargs", "restore_value", "reset_to_zero", "restore_copies", "cache_results",
                                  "early_config_prune", "perf_model", "user_defined_pre_hook",
                                  "user_defined_post_hook", "configs_top_k", "use_cuda_graph", "pre_run_hooks",
                                  "arg_names", "constexprs", "do_not_specialize", "CompiledKernel", "ASTSource"})
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
# Those of them that change a module's state (its mode, its parameters' flags, its hooks, buffers and
# submodules): called on any module but self as well, outside __init__, they keep a bit or a count across
# calls (`_HELD.train(not _HELD.training)`) in a module the self-only rule above does not see.
_MODULE_STATE_METHODS = frozenset({
    "apply", "register_buffer", "register_parameter", "register_module", "add_module", "register_forward_hook",
    "register_forward_pre_hook", "register_full_backward_hook", "register_backward_hook",
    "register_full_backward_pre_hook", "register_state_dict_pre_hook", "register_load_state_dict_post_hook",
    "load_state_dict", "set_extra_state", "train", "eval", "requires_grad_", "zero_grad", "to_empty",
    "share_memory", "compile", "call_super_init",
})
# The autotuner's entry points, and the keywords through which it would call host code with the kernel's
# tensors (a pre_hook could compute the output in torch where the tensor inference does not look).
_TUNER_CALLS = frozenset({"triton.autotune", "triton.Config", "triton.runtime.autotune", "triton.runtime.Config",
                          "triton.runtime.autotuner.autotune", "triton.runtime.autotuner.Config"})
_TUNER_HOOKS = frozenset({"pre_hook", "post_hook", "do_bench", "prune_configs_by", "early_config_prune",
                          "perf_model"})
_HEURISTICS_CALLS = frozenset({"triton.heuristics", "triton.runtime.heuristics", "triton.runtime.autotuner.heuristics"})
# The decorators that tune a kernel, which SGLang also applies by call at module level (`gate._applies_tuning`).
_TUNING_DECORATORS = (_TUNER_CALLS - {"triton.Config", "triton.runtime.Config", "triton.runtime.autotuner.Config"}) \
    | _HEURISTICS_CALLS
# What a heuristic may ask of a kernel argument that is a tensor: its metadata, never its values.
_HEURISTIC_METHODS = frozenset({"stride", "size", "numel", "nelement", "dim", "ndimension", "element_size",
                                "is_contiguous", "is_floating_point"})
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


def _importable(name: str) -> bool:
    """A torch/triton/math/typing/functools path that may be imported: on the vocabulary itself, or a module
    on the way to it (`torch.nn`, `triton.language.extra.libdevice`)."""
    if name in _IMPORTABLE or name in _NAMESPACES or name in _CHECKED_ROOTS:
        return True
    if name in TORCH_ALLOWED or name in TRITON_ALLOWED or name in FUNCTOOLS_ALLOWED or name in MATH_ALLOWED \
            or name in CACHE_DECORATORS or name in RECORD_CLASS_NAMES or name in TYPING_ALLOWED or name in _TORCH_DECORATOR_ONLY or name in CONTEXTLIB_ALLOWED \
            or name in ITERTOOLS_ALLOWED or name in OPERATOR_ALLOWED or name in PACKAGING_ALLOWED or name in VERSION_CALLS \
            or name in NVTX_CALLS or name in LOGGING_CALLS or name in ("torch.cuda.nvtx", "triton.runtime.driver") \
            or name in CUSTOM_OP_DECORATORS or name == WRAP_TRITON:
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
    if name.startswith("logging."):
        return Reason.IO_ACCESS if any(k in name for k in ("basicConfig", "Handler", "config", "shutdown",
                                                           "captureWarnings")) else Reason.CROSS_CALL_STATE
    if name.startswith("warnings."):
        return Reason.REFLECTION
    if name.startswith("os."):
        return Reason.IO_ACCESS
    if name.startswith("importlib."):
        return Reason.DYNAMIC_CODE
    if name.startswith("operator."):
        return Reason.REFLECTION  # attrgetter, methodcaller, setitem: reflection and mutation by another name
    return Reason.OUTSIDE_VOCABULARY


def _is_nn_layer(name: str) -> bool:
    """`torch.nn.Linear` and kin, which __init__ may build to hold parameters (never called in forward)."""
    parts = name.split(".")
    return len(parts) == 3 and parts[:2] == ["torch", "nn"] and parts[2][:1].isupper()
