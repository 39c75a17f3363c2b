"""The child side of the sandbox: a worker that loads candidates one at a time and runs them on inputs the
verifier sends.

Started either fresh (`python -m filters.verifier.sandbox_child FD_IN FD_OUT FD_VIOLATIONS`, inside bubblewrap where
it runs: `filters.verifier.isolation`) or forked from a zygote that has already imported torch and triton
(`filters.verifier.zygote`), always in a scratch directory with a scrubbed
environment (see `filters.verifier.sandbox`). Protocol: `start` (confine, make the GPU context, record the process
state), then per candidate `load`, any number of `run` and `time`, and `unload`, which drops the candidate
and reports whether it left the process as it found it (`filters.verifier.integrity`); the verifier retires a
worker after any fault or change. It never compares anything: it returns the candidate's outputs and
the inputs as they were after the call, and the verifier judges them in its own process.

On a GPU it also times the candidate, and the reference's eager and `torch.compile` baselines in the same
process the same way (`filters.verifier.timing`). What this process reports about itself (launch counts, aliasing,
timings) is evidence gathered where the candidate runs; the static gate keeps the candidate from
rebinding what gathers it, and the verifier cross-checks timings against its own clock and the roofline.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import random
import sys
import tempfile
import threading
import time
import traceback
import types

from filters.verifier import compile_query
from filters.verifier.integrity import ProcessState
from filters.verifier.ipc import pack_tensors, read_message, tensors_from_bytes, unpack_tensors, write_message

MAX_INPUT_BYTES = 1 << 34


# The recorder of the forward call in progress (filters.verifier.provenance), or None between calls.
_RECORDER: list = [None]
# Whether a kernel was launched with a bf16 tensor in this call, under the interpreter (which keeps bf16 as
# raw uint16 and cannot do its arithmetic): autocast to bf16 hands an autocast-following launcher such
# tensors at run time, where the static gate saw no bf16 in the code.
_BF16_LAUNCHED: list = [False]
# Kernel launches (on a GPU) on a stream other than the calling thread's default one, or from another thread,
# in this request, outside Triton's own work (an autotuner benchmarking on a CUDA graph's stream): work the
# caller's stream does not wait for, which a device event pair around the call cannot see either. Counted
# where it is launched, so no timing noise decides it (a host-clock cross-check under four workers sharing an
# H100 read 0.03 to 0.35 ms "after the call" for honest launch-bound kernels, and missed a side stream).
_OFF_STREAM_LAUNCHES: list = [0]
_TRITON_OWN: list = [0]  # inside Triton's own benchmarking or bookkeeping (`_paused`)


def _install_launch_counter() -> list[int]:
    """Count launches of @triton.jit kernels (compiled or interpreted; warm-up calls do not count) and tell
    the active provenance recorder which storages each launch received. Torch work that Triton itself does
    (the interpreter's host copies, the autotuner's benchmarking and argument resets) is hidden from the
    recorder: it is not the candidate's."""
    from triton.runtime.autotuner import Autotuner
    from triton.runtime.jit import JITFunction

    if getattr(JITFunction.run, "_kerneldata_counted", False):  # already wrapped in the zygote
        return JITFunction.run._kerneldata_count
    count = [0]
    classes = [JITFunction]
    interpreting = os.environ.get("TRITON_INTERPRET") == "1"
    if interpreting:
        from triton.runtime.interpreter import GridExecutor, InterpretedFunction

        classes.append(InterpretedFunction)
        for name in ("_init_args_hst", "_restore_args_dev"):
            setattr(GridExecutor, name, _paused(getattr(GridExecutor, name)))
        _record_interpreted_stores()
    _choose_autotune_configs(Autotuner)
    Autotuner._bench = _paused(Autotuner._bench)
    original_init = Autotuner.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        # reset_to_zero / restore_value hooks: Triton's own bookkeeping around benchmarking
        self.pre_hook, self.post_hook = _paused(self.pre_hook), _paused(self.post_hook)

    Autotuner.__init__ = init
    for cls in classes:
        original = cls.run

        def counted(self, *args, _original=original, **kwargs):
            _check_launch_arguments(args, kwargs)
            if interpreting:
                _check_kernel_globals(self, args, kwargs)
                if not _BF16_LAUNCHED[0]:
                    _BF16_LAUNCHED[0] = _holds_bf16((args, kwargs))
            if not interpreting and not _TRITON_OWN[0] and _off_stream():
                _OFF_STREAM_LAUNCHES[0] += 1
            if not kwargs.get("warmup", False):
                count[0] += 1
                if _RECORDER[0] is not None:
                    _RECORDER[0].kernel_launched(args, kwargs)
            return _original(self, *args, **kwargs)

        counted._kerneldata_counted = True
        counted._kerneldata_count = count
        cls.run = counted
    if not interpreting:
        _count_compiled_launches(count)
    return count


def _count_compiled_launches(count: list[int]) -> None:
    """A kernel compiled ahead (`compiled = kernel.warmup(...)`, the fused-softmax tutorial's occupancy idiom)
    is launched as `compiled[grid](*args)`, around JITFunction.run: count and record those launches the same
    way. A `stream=` other than the current one is a launch off the caller's stream (the static gate refuses
    the keyword too)."""
    from triton.compiler.compiler import CompiledKernel

    original = CompiledKernel.__getitem__

    def launcher(self, grid, _original=original):
        runner = _original(self, grid)

        def counted_runner(*args, stream=None):
            _check_launch_arguments(args, {})
            if not _TRITON_OWN[0] and (stream is not None or _off_stream()):
                _OFF_STREAM_LAUNCHES[0] += 1
            count[0] += 1
            if _RECORDER[0] is not None:
                _RECORDER[0].kernel_launched(args, {})
            return runner(*args) if stream is None else runner(*args, stream=stream)

        return counted_runner

    CompiledKernel.__getitem__ = launcher


def _rng_states(torch) -> list[bytes]:
    """The global generators' states (the CPU's, and the current GPU's where there is one), as bytes."""
    states = [bytes(torch.get_rng_state().numpy())]
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states.append(bytes(torch.cuda.get_rng_state().numpy()))
    return states


class GlobalNotConstexprCompilationError(NameError):
    """A kernel reads a module global Triton's compiler refuses (named so it counts as a compile error)."""


_GLOBALS_CHECKED: set = set()


def _check_kernel_globals(kernel, args, kwargs) -> None:
    """Raise where an interpreted kernel, or a @triton.jit function it calls or is handed, reads a module
    global that Triton's compiler refuses: anything but a `tl.constexpr`, a module, a jit function, a dtype, a
    namedtuple or Triton's own objects (triton.compiler.code_generator's `global_lookup`). The interpreter
    runs the body as Python and reads any global, so without this a kernel using a plain float constant was
    accepted on CPU and failed to compile on an H100 (rt_multi_output_tuple_int8_quant, 2026-12-07)."""
    import dis

    import triton.language as tl
    from triton.runtime.interpreter import InterpretedFunction
    from triton.runtime.jit import JITFunction

    jitted = (JITFunction, InterpretedFunction)
    pending = [kernel] + [value for value in (*args, *kwargs.values()) if isinstance(value, jitted)]
    while pending:
        function = pending.pop()
        python = getattr(function, "fn", None)
        code = getattr(python, "__code__", None)
        if code is None or id(code) in _GLOBALS_CHECKED:
            continue
        _GLOBALS_CHECKED.add(id(code))
        scope = getattr(python, "__globals__", {})
        codes = [code]
        while codes:
            current = codes.pop()
            codes += [const for const in current.co_consts if isinstance(const, types.CodeType)]
            for instruction in dis.get_instructions(current):
                if instruction.opname != "LOAD_GLOBAL" or instruction.argval not in scope:
                    continue
                value = scope[instruction.argval]
                if isinstance(value, jitted):
                    pending.append(value)
                    continue
                module = getattr(value, "__module__", "") or ""
                if isinstance(value, (types.ModuleType, tl.constexpr, tl.dtype)) or module.startswith("triton.") \
                        or getattr(value, "__triton_builtin__", False) or getattr(value, "__triton_aggregate__", False) \
                        or (isinstance(value, tuple) and hasattr(value, "_fields")):
                    continue
                raise GlobalNotConstexprCompilationError(
                    f"Cannot access global variable {instruction.argval} from within @jit'ed function "
                    f"{code.co_name}: Triton kernels can only access global variables that are instantiated as "
                    "constexpr (`x = triton.language.constexpr(42)`); Triton refuses this when it compiles the "
                    "kernel for a GPU, which the interpreter does not")


def _off_stream() -> bool:
    """Whether a launch happens off the caller's stream: from a thread other than the worker's main one (which
    serves every request), or with a current CUDA stream other than the default one the verifier calls on."""
    import torch

    if threading.current_thread() is not threading.main_thread():
        return True
    return torch.cuda.is_available() and torch.cuda.current_stream() != torch.cuda.default_stream()


def _holds_bf16(value, depth: int = 0) -> bool:
    """Whether a launch argument (tensors, tensor descriptors, tuples, lists and dicts of them) holds a bf16
    tensor."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.dtype == torch.bfloat16
    if depth > 4:
        return False
    if isinstance(value, (tuple, list)):
        return any(_holds_bf16(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return any(_holds_bf16(item, depth + 1) for item in value.values())
    base = getattr(type(value), "__name__", "") == "TensorDescriptor" and getattr(value, "base", None)
    return isinstance(base, torch.Tensor) and base.dtype == torch.bfloat16


def _check_launch_arguments(args, kwargs) -> None:
    """A kernel takes tensors, numbers, strings, None, dtypes, constexprs, jit functions, tensor descriptors
    and tuples of them. The interpreter would pass any Python object through, and a kernel body, plain Python there, could
    keep state in a list or dict it is handed (`box[0] += 1` per program); a GPU's launcher refuses them."""
    import torch
    import triton.language as tl
    from triton.runtime.jit import JITFunction

    kernels = (JITFunction,)
    if os.environ.get("TRITON_INTERPRET") == "1":
        from triton.runtime.interpreter import InterpretedFunction

        kernels += (InterpretedFunction,)
    try:
        from triton.tools.tensor_descriptor import TensorDescriptor
    except ImportError:  # a Triton without host-side descriptors
        TensorDescriptor = None

    def allowed(value, depth: int = 0) -> bool:
        if value is None or isinstance(value, (torch.Tensor, int, float, bool, str, torch.dtype, tl.dtype,
                                               tl.constexpr, *kernels)):  # a jit function passed as a constexpr
            return True
        if isinstance(value, tuple) and depth < 4:
            return all(allowed(item, depth + 1) for item in value)
        # Triton's own host-side TensorDescriptor, by its exact type: an object of the candidate's own that
        # only looks like one (a tensor `.base`, a `data_ptr`) has its methods called by the interpreter's
        # argument handling, where they could compute with PyTorch unseen (rt_interp_argument_object_casts_paused)
        return TensorDescriptor is not None and type(value) is TensorDescriptor \
            and type(value.base) is torch.Tensor

    for value in [*args, *(v for k, v in kwargs.items() if k != "grid")]:  # the grid may be a function
        if not allowed(value):
            raise TypeError(f"a kernel argument is a {type(value).__name__}: kernels take tensors, numbers, "
                            "dtypes and tuples of them")


def _record_interpreted_stores() -> None:
    """Tell the active provenance recorder where interpreted kernels store (plain, masked and atomic
    stores), so a buffer PyTorch copied and a kernel then wrote completely counts as the kernel's output
    (filters.verifier.provenance). On CPU the interpreter's host copy of an argument is the argument's own memory."""
    from triton.runtime.interpreter import InterpreterBuilder

    def note(addresses, mask, value) -> None:
        recorder = _RECORDER[0]
        if recorder is not None and not recorder.paused:
            recorder.record.kernel_stored(addresses, mask, getattr(value, "itemsize", 0) or 1)

    from triton._C.libtriton import ir

    from filters.verifier.truth import atomic_rounding

    _FLOAT_ADDS = (ir.ATOMIC_OP.FADD,)
    original_store = InterpreterBuilder.create_masked_store
    original_rmw = InterpreterBuilder.create_atomic_rmw
    original_cas = InterpreterBuilder.create_atomic_cas

    def create_masked_store(self, ptrs, value, mask, cache_policy):
        note(ptrs.data, mask.data, value.data.dtype)
        return original_store(self, ptrs, value, mask, cache_policy)

    def create_atomic_rmw(self, rmw_op, ptr, val, mask, sem, scope):
        note(ptr.data, mask.data, val.data.dtype)
        old = original_rmw(self, rmw_op, ptr, val, mask, sem, scope)
        recorder = _RECORDER[0]
        if recorder is not None and not recorder.paused and rmw_op in _FLOAT_ADDS:
            slack = atomic_rounding(old.data, val.data, str(val.dtype.scalar))
            recorder.record.atomic_added(ptr.data, mask.data, slack)
        return old

    def create_atomic_cas(self, ptr, cmp, val, sem, scope):
        note(ptr.data, None, val.data.dtype)
        return original_cas(self, ptr, cmp, val, sem, scope)

    InterpreterBuilder.create_masked_store = create_masked_store
    InterpreterBuilder.create_atomic_rmw = create_atomic_rmw
    InterpreterBuilder.create_atomic_cas = create_atomic_cas


def _paused(function):
    def run_unrecorded(*args, **kwargs):
        recorder = _RECORDER[0]
        _TRITON_OWN[0] += 1
        try:
            if recorder is None:
                return function(*args, **kwargs)
            recorder.paused += 1
            try:
                return function(*args, **kwargs)
            finally:
                recorder.paused -= 1
        finally:
            _TRITON_OWN[0] -= 1
    return run_unrecorded


# Which of an autotuner's configs a checked call runs (see below; None: the autotuner chooses, as in a timed
# call on a GPU), and the most configs an autotuner offered in the request (the verifier checks each of them
# on some call).
_AUTOTUNE_VARIANT: list = [0]
_AUTOTUNE_OFFERED = [0]


def _choose_autotune_configs(autotuner_class) -> None:
    """An autotuner keeps the config that benchmarks fastest on the machine it runs on, so a config that
    skips the work would be the one a user's GPU picks, while the verifier's GPU, on its shapes and its noise,
    may pick an honest one (and the interpreter cannot benchmark at all). So a checked call runs the config
    the verifier names (`variant % len(configs)`), on CPU and GPU alike: the verifier checks every config on
    a call of its own (`checks.every_autotune_config`), and the two runs of the determinism check use the
    same one. Timed calls on a GPU (variant None) let the autotuner benchmark and choose among the
    configs, all of them checked by then; its choice is forgotten before the next checked call."""
    original_prune, original_run, original_bench = autotuner_class.prune_configs, autotuner_class.run, \
        autotuner_class._bench

    def prune_configs(self, kwargs):
        # A candidate's `early_config_prune` reads the launch's arguments: it gets their metadata only (the
        # gate allows no more, `static.gate._config_pruning`; meta tensors make sure of it at run time).
        nargs = getattr(self, "nargs", None)
        if isinstance(nargs, dict):
            self.nargs = _paused(_metadata_only)(nargs)  # the verifier's allocations, not the candidate's
        try:
            configs = original_prune(self, kwargs)
        finally:
            if isinstance(nargs, dict):
                self.nargs = nargs
        _AUTOTUNE_OFFERED[0] = max(_AUTOTUNE_OFFERED[0], len(configs))
        variant = _AUTOTUNE_VARIANT[0]
        return [configs[variant % len(configs)]] if configs and variant is not None else configs

    def bench(self, *args, **kwargs):
        # One config is left to choose from: nothing to benchmark (Triton 3.9 skips it itself; 3.6 would run
        # the config's benchmark, whose `restore_value` copies into a leaf that requires grad on a call in
        # autograd mode, on every checked call, where a user's process benchmarks once per key).
        if _AUTOTUNE_VARIANT[0] is not None:
            return [0.0, 0.0, 0.0]
        return original_bench(self, *args, **kwargs)

    def run(self, *args, **kwargs):
        pinned = _AUTOTUNE_VARIANT[0] is not None
        if pinned or getattr(self, "_kerneldata_pinned", False):
            self.cache.clear()  # choose again: for this request's variant, or by benchmarking
        self._kerneldata_pinned = pinned
        return original_run(self, *args, **kwargs)

    autotuner_class.prune_configs, autotuner_class.run, autotuner_class._bench = prune_configs, run, bench


def _metadata_only(arguments: dict) -> dict:
    """Launch arguments with each tensor as a meta tensor of its shape, strides and dtype (no values, nothing
    to compute with); anything else as it is."""
    import torch

    return {name: torch.empty_strided(value.shape, value.stride(), dtype=value.dtype, device="meta")
            if isinstance(value, torch.Tensor) else value for name, value in arguments.items()}


# How the current request's fresh allocations are filled (`_set_poison`): a mode and its generator.
_POISON: dict = {"mode": "nan", "generator": None, "stale": None}
# Poison modes: NaN (a partial writer shows as non-finite), random finite values and zeros (memory as a
# reused allocation leaves it), and stale bytes of this candidate's own earlier outputs (what a caching
# allocator hands back). A kernel that reads its uninitialised output to see whether it is being verified
# (NaN only under verification) behaves differently across the modes the verifier mixes per request.
POISON_MODES = ("nan", "finite", "zeros", "stale")


def _set_poison(mode: str, seed: int) -> None:
    import torch

    _POISON["mode"] = mode if mode in POISON_MODES else "nan"
    _POISON["generator"] = torch.Generator().manual_seed(int(seed))


def _remember_stale(outputs: list) -> None:
    """Keep the bytes of the latest outputs (a copy, where they are: a GPU's stay on it) as the next `stale`
    poison."""
    import torch

    chunks = [out.detach().reshape(-1).view(torch.uint8) for out in outputs
              if isinstance(out, torch.Tensor) and out.numel() and out.is_contiguous()]
    devices = {chunk.device for chunk in chunks}
    _POISON["stale"] = torch.cat(chunks) if chunks and len(devices) == 1 else \
        torch.cat([chunk.to("cpu") for chunk in chunks]) if chunks else None


def _fill_poison(tensor, original_empty) -> None:
    """Fill a fresh tensor's whole storage with the current request's poison."""
    import torch

    if tensor.dtype == torch.bool or not tensor.numel():
        return
    mode, generator = _POISON["mode"], _POISON["generator"]
    if mode == "stale" and _POISON["stale"] is None:
        mode = "finite"
    if mode == "nan" or generator is None:
        if tensor.is_floating_point() or tensor.is_complex():
            tensor.fill_(float("nan"))
        else:
            tensor.fill_(torch.iinfo(tensor.dtype).max)
        return
    storage = tensor.untyped_storage()
    raw = original_empty(0, dtype=torch.uint8, device=tensor.device).set_(storage, 0, (storage.nbytes(),), (1,))
    if mode == "zeros":
        raw.zero_()
    elif mode == "stale":
        stale = _POISON["stale"]
        reps = -(-raw.numel() // stale.numel())
        raw.copy_(stale.repeat(reps)[:raw.numel()])
    else:  # finite: values of the tensor's dtype at a random scale, drawn on the host
        whole = original_empty(0, dtype=tensor.dtype, device=tensor.device).set_(
            storage, 0, (storage.nbytes() // tensor.element_size(),), (1,))
        if tensor.is_floating_point() or tensor.is_complex():
            scale = float(original_empty(1).uniform_(-3, 3, generator=generator).exp())
            values = original_empty(whole.numel()).uniform_(-scale, scale, generator=generator)
        else:
            values = torch.randint(-100, 100, (whole.numel(),), generator=generator)
        whole.copy_(values.to(tensor.dtype))


def _poison_allocations() -> None:
    """Make fresh tensors hold the current request's poison (`_set_poison`: NaN, random finite values,
    zeros or stale bytes) instead of whatever memory held before, so a kernel that leaves part of its
    output unwritten (a grid that misses the tail) shows as garbage rather than passing on stale values
    left by an earlier correct run (DESIGN section 4.3), and a kernel cannot tell verification from use by
    what its fresh buffers hold. The fill is Triton-side bookkeeping, hidden from the provenance recorder:
    the allocation itself is recorded as one."""
    import torch

    if getattr(torch.empty, "_kerneldata_poisoned", False):
        return
    original_empty = torch.empty

    def poisoned(make):
        def allocate(*args, **kwargs):
            tensor = make(*args, **kwargs)
            _paused(_fill_poison)(tensor, original_empty)
            return tensor
        allocate._kerneldata_poisoned = True
        return allocate

    for name in ("empty", "empty_like", "empty_strided"):
        setattr(torch, name, poisoned(getattr(torch, name)))
    torch.Tensor.new_empty = poisoned(torch.Tensor.new_empty)


_STARTED_THREADS: list = []


def _record_thread_starts() -> None:
    """Remember every thread started in this process, so one that the candidate starts and that finishes
    before anyone looks is still seen."""
    if getattr(threading.Thread.start, "_kerneldata_recorded", False):
        return
    original = threading.Thread.start

    def start(self, *args, **kwargs):
        _STARTED_THREADS.append(self)
        return original(self, *args, **kwargs)

    start._kerneldata_recorded = True
    threading.Thread.start = start


class InterpreterGap(Exception):
    """Raised where the Triton interpreter has no implementation of what an honest kernel calls (a
    libdevice function). Only this module raises it: a candidate cannot reach it through the static gate."""


_LIBDEVICE_MODULES = ("triton.language.extra.libdevice", "triton.language.extra.cuda.libdevice",
                      "triton.language.extra.hip.libdevice")


def _mark_libdevice_as_gap() -> None:
    """Under the interpreter, libdevice functions are stubs that return None (or raise deep inside the
    interpreter), so an honest kernel using them fails with an error that reads like its own bug. Make
    each one raise `InterpreterGap` naming the function instead, so the verdict is `unverified`."""
    import importlib

    if os.environ.get("TRITON_INTERPRET") != "1":
        return
    for module_name in _LIBDEVICE_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name, value in list(vars(module).items()):
            if name.startswith("_") or not callable(value) or getattr(value, "_kerneldata_gap", False) \
                    or getattr(value, "__module__", None) != module_name:
                continue

            def unsupported(*args, _name=name, **kwargs):
                raise InterpreterGap(f"libdevice.{_name} is not implemented by the Triton interpreter")

            unsupported._kerneldata_gap = True
            setattr(module, name, unsupported)


class _GlobalsSlots:
    """A module's globals seen as attributes, so the interpreter's patch scope can set and restore them."""

    def __init__(self, namespace: dict) -> None:
        object.__setattr__(self, "_namespace", namespace)

    def __getattr__(self, name: str):
        try:
            return self._namespace[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value) -> None:
        self._namespace[name] = value

    def __delattr__(self, name: str) -> None:
        self._namespace.pop(name, None)


def _patch_imported_language_names() -> None:
    """The interpreter swaps in its own versions of triton.language functions by patching the modules
    (`tl.exp`, `tl.math.rsqrt`) for the duration of a launch, so a kernel that imported a name directly
    (`from triton.language.math import rsqrt`, common in real code) still calls the compiler-only builtin
    and fails. Patch those imported names in the kernel's globals too, within the same scope. Likewise a
    module-level `tl.constexpr` number (`INV_SQRT2 = tl.constexpr(0.707...)`): the compiler reads it as its
    value, while the interpreter's `constexpr * tensor` wraps the tensor in a constexpr that tl functions
    refuse; within the launch the kernel sees the plain number."""
    if os.environ.get("TRITON_INTERPRET") != "1":
        return
    import triton.language as tl
    from triton.runtime import interpreter

    original = interpreter._patch_lang
    if getattr(original, "_kerneldata_names", False):
        return
    interpreted_constexpr = _constexpr_meeting_tensors(tl)

    def patch_lang(fn):
        scope = original(fn)
        modules = (tl, tl.math, tl.core)
        patched = {id(before): (obj, name) for obj, name, before in getattr(scope, "_changes", ())
                   if any(obj is module for module in modules)}
        slots = _GlobalsSlots(fn.__globals__)
        for name, value in list(fn.__globals__.items()):
            hit = patched.get(id(value))
            if hit is not None:
                scope.set_attr(slots, name, getattr(*hit))
            elif isinstance(value, tl.constexpr) and isinstance(value.value, (int, float)) \
                    and not isinstance(value, interpreted_constexpr):
                scope.set_attr(slots, name, interpreted_constexpr(value.value))
        return scope

    patch_lang._kerneldata_names = True
    interpreter._patch_lang = patch_lang


def _constexpr_meeting_tensors(tl):
    """A `tl.constexpr` (so `isinstance` tells nothing) whose arithmetic with a tensor gives the tensor, as
    the compiler's would, rather than a constexpr wrapping it."""
    def lift(name: str):
        base = getattr(tl.constexpr, name)

        def op(self, other):
            if isinstance(other, tl.tensor):
                return getattr(self.value, name)(other) if hasattr(self.value, name) else NotImplemented
            return base(self, other)
        return op

    names = [f"__{n}__" for n in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor",
                                   "lshift", "rshift", "lt", "le", "gt", "ge", "eq", "ne")]
    names += [f"__r{n}__" for n in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor",
                                    "lshift", "rshift")]
    members = {name: lift(name) for name in names if hasattr(tl.constexpr, name)}
    members["__hash__"] = tl.constexpr.__hash__
    return type("constexpr", (tl.constexpr,), members)


def _innermost_frames(err: BaseException) -> list:
    """Per exception in `err`'s chain (outermost first), the frame it was raised in."""
    found, seen, cause = [], set(), err
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        frames = traceback.extract_tb(cause.__traceback__)
        if frames:
            found.append((cause, frames[-1]))
        cause = cause.__cause__ or cause.__context__
    return found


def _package_dir(name: str) -> str:
    module = sys.modules.get(name)
    return os.path.dirname(os.path.realpath(module.__file__)) + os.sep if module is not None else "\0"


def interpreter_gap(err: BaseException) -> str | None:
    """On CPU, whether `err` is the interpreter (or torch without CUDA) lacking what a GPU would run, as a
    sentence, else None. Narrow on purpose, so a candidate's own bug is not passed off as a gap: the error
    must be raised inside Triton's or torch.cuda's own code by the unsupported feature (a driver query, a
    CUDA-only torch call, an interpreter `NotImplementedError`), be our `InterpreterGap` (libdevice), or be
    a Tensor method called on a Python scalar inside an interpreted kernel (scalar arguments are tl tensors
    when compiled, plain numbers in the interpreter)."""
    import triton.language as tl

    triton_dir, cuda_dir = _package_dir("triton"), _package_dir("torch.cuda")
    chain = _innermost_frames(err)
    in_interpreter = any(type(cause).__name__ == "InterpreterError" for cause, _ in chain)
    for cause, frame in chain:
        path = os.path.realpath(frame.filename)
        if isinstance(cause, InterpreterGap):
            return str(cause)
        if path == os.path.join(triton_dir, "runtime", "driver.py"):
            return "it queries the GPU driver (triton.runtime.driver), which the CPU interpreter does not have"
        if path.startswith(cuda_dir) and isinstance(cause, (RuntimeError, AssertionError, ValueError)):
            return f"it calls CUDA-only torch code ({frame.name} in torch.cuda), which a CPU run cannot"
        if isinstance(cause, NotImplementedError) and path.startswith(triton_dir):
            return f"the Triton interpreter does not implement it ({str(cause)[:120]})"
        if in_interpreter and isinstance(cause, AttributeError) and \
                type(getattr(cause, "obj", None)) in (int, float, bool) and \
                isinstance(getattr(cause, "name", None), str) and hasattr(tl.tensor, cause.name):
            return (f"a kernel calls .{cause.name}() on a scalar argument, which the interpreter passes as a "
                    "Python number")
    return None


def prepare_process() -> None:
    """Everything the child sets up before candidate code exists in it. A zygote calls this once before
    forking, so each forked child starts with it done."""
    import torch  # noqa: F401 - imported here so the fork inherits it
    import triton  # noqa: F401

    import filters.verifier.timing  # noqa: F401 - binds torch and the clock before any candidate runs

    _install_launch_counter()
    compile_query.install()
    _poison_allocations()
    _mark_libdevice_as_gap()
    _patch_imported_language_names()
    _record_thread_starts()
    _warm_lazy_imports()


def _warm_lazy_imports() -> None:
    """Do once, before forking, the lazy work torch and Triton would otherwise repeat in every child. A
    child's first forward used to spend ~3 s importing torch._dynamo (pulled in by the first op under a
    TorchDispatchMode) and hashing Triton's sources for its cache key, against ~0.1 s for the JIT itself
    (measured on an H200 host with py-spy; BENCHMARKS.md)."""
    import torch
    import torch._dynamo  # noqa: F401

    from filters.verifier.provenance import ProvenanceRecorder

    with torch.no_grad(), ProvenanceRecorder():
        torch.zeros(4).fill_(1.0)  # CPU only: the zygote must not create a CUDA context (it cannot fork one)
    try:
        from triton.runtime.cache import triton_key
    except ImportError:  # moved in another Triton version: the child computes it itself
        return
    triton_key()
    # Not torch._inductor: importing it initialises CUDA, which a forked child could then not use.


def _error_kind(err: BaseException) -> str:
    names = {cls.__name__ for cls in type(err).__mro__}
    return "compile_error" if "CompilationError" in names or isinstance(err, GlobalNotConstexprCompilationError) \
        else "runtime_error"


def _last_lines(err: BaseException, limit: int = 1500, candidate_path: str | None = None) -> str:
    """The error as its last lines: the candidate's own frames of the traceback (where in its source it
    failed; under the interpreter that includes lines of its @triton.jit kernels), then the exception."""
    frames = []
    if candidate_path is not None:
        # The interpreter re-raises a kernel's error from its launcher: the failing kernel line is in the
        # traceback of the exception it chains, so walk the chain outermost first.
        chain, seen = [], set()
        cause = err
        while cause is not None and id(cause) not in seen:
            seen.add(id(cause))
            chain.append(cause)
            cause = cause.__cause__ or cause.__context__
        own = [frame for exc in chain for frame in traceback.extract_tb(exc.__traceback__)
               if os.path.realpath(frame.filename) == candidate_path]
        # The sandbox's directory name is random: name the file as the candidate knows it.
        frames = [f'  File "candidate.py", line {frame.lineno}, in {frame.name}\n    {frame.line}\n'
                  for frame in own[-3:]]
    text = "".join(frames + traceback.format_exception_only(type(err), err)).rstrip()
    return text[-limit:]


def _storage_of(tensor) -> int | None:
    from filters.verifier.provenance import _storage_key

    return _storage_key(tensor)


def _is_dunder_name(key: str) -> bool:
    last = key.rsplit(".", 1)[-1]
    return last.startswith("__") and last.endswith("__")


def _fingerprint(value, tensor_type, depth: int = 0):
    """What a value holds, comparable across calls: containers by their contents (the first 256 items and
    their count), numbers, strings and None by value, tensors as such, anything else by identity."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, tensor_type):
        return "tensor"
    if depth < 4 and isinstance(value, (list, tuple, dict, set, frozenset)):
        items = list(value.items()) if isinstance(value, dict) else list(value)
        parts = [_fingerprint(item, tensor_type, depth + 1) for item in items[:256]]
        if isinstance(value, (set, frozenset)):
            parts = sorted(parts, key=repr)
        return (type(value).__name__, len(items), tuple(parts))
    return ("object", id(value))


def _reachable_tensors(label: str, value, torch, depth: int = 0, seen: set | None = None) -> list:
    """(label, tensor) for every tensor `value` holds: itself, inside lists, tuples, dicts and sets, inside
    an nn.Module (its parameters, buffers and attributes, submodules included) and in the attributes of any
    other object (a `triton.Config`'s kwargs), eight levels deep. Such an object kept as a global, a class
    attribute or in a container, not attached to the model, is as good a place for a call counter or a memo
    as the model's own buffers."""
    if isinstance(value, torch.Tensor):
        return [(label, value)]
    seen = set() if seen is None else seen
    if depth >= 8 or id(value) in seen:  # each container once: shared and self-referring ones end the walk
        return []
    seen.add(id(value))
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(enumerate(value))
    elif isinstance(value, torch.nn.Module):
        items = [(f"{prefix}.{attr}" if prefix else attr, held) for prefix, module in value.named_modules()
                 for attr, held in [*module._parameters.items(), *module._buffers.items(), *vars(module).items()]
                 if attr not in ("_parameters", "_buffers", "_modules")]
    elif _plain_object(value):
        items = list(vars(value).items())
    else:
        return []
    return [hit for key, item in items[:4096]
            for hit in _reachable_tensors(f"{label}[{key!r}]", item, torch, depth + 1, seen)]


def _plain_object(value) -> bool:
    """An instance whose attributes may hold tensors: not a module, class or function (their contents are
    walked where the candidate keeps them), nor a Triton kernel object, whose caches hold the launch
    machinery's own state (the gate keeps the candidate out of them)."""
    from triton.runtime.jit import KernelInterface

    return hasattr(value, "__dict__") and not isinstance(value, (
        types.ModuleType, type, types.FunctionType, types.MethodType, types.BuiltinFunctionType, KernelInterface))


def _module_registry(module) -> str:
    """What nn.Module machinery changes in a module without assigning an attribute: its mode, its parameters
    and buffers (which tensor, of which dtype, shape and device: `held.half()` then `held.float()` flips a
    bit), its submodules and hooks (`register_buffer` once a call is a call counter)."""
    hooks = sorted(attr for attr, value in vars(module).items() if attr.endswith("hooks") and value)
    tensors = [*module._parameters.items(), *module._buffers.items()]
    # as text: `_fingerprint` compares strings by value, nested tuples past its depth by identity
    return repr((module.training, tuple(module._modules), [(attr, len(vars(module)[attr])) for attr in hooks],
                 [(name, None if t is None else (id(t), t.dtype, tuple(t.shape), t.device)) for name, t in tensors]))


def _cell_value(cell):
    try:
        return cell.cell_contents
    except ValueError:  # a cell not filled yet
        return None


def _grad_mode(mode: str):
    """The context forward runs in for one of disguise.GRAD_MODES: autograd on, off, or inference mode."""
    import torch

    if mode == "inference":
        return torch.inference_mode()
    if mode in ("grad", "no_grad"):
        return torch.set_grad_enabled(mode == "grad")
    raise ValueError(f"unknown grad mode {mode!r}; known: grad, no_grad, inference")


@contextlib.contextmanager
def _autocast(device: str, dtype: str | None):
    """Forward under autocast to `dtype` (None: not), as mixed-precision training calls a kernel: a launcher
    asking `torch.is_autocast_enabled()` must not tell a verifier's calls from such use. On the CPU the GPU's
    autocast state is set as well, which is what a query without a device (a GPU launcher's) reads; it changes
    nothing PyTorch computes on the CPU. The verifier asks for it only where the reference's answer is the
    same under autocast (`checks.CandidateChecks.answers_alike_under_autocast`)."""
    import torch

    if dtype is None:
        yield
        return
    if dtype not in ("float16", "bfloat16"):
        raise ValueError(f"unknown autocast dtype {dtype!r}; known: float16, bfloat16")
    cast = getattr(torch, dtype)
    if device != "cpu":
        with torch.autocast(device_type=device, dtype=cast):
            yield
        return
    enabled, gpu_dtype = torch.is_autocast_enabled("cuda"), torch.get_autocast_dtype("cuda")
    torch.set_autocast_enabled("cuda", True)
    torch.set_autocast_dtype("cuda", cast)
    try:
        with torch.autocast(device_type="cpu", dtype=cast):
            yield
    finally:
        if torch.is_autocast_enabled("cuda") and torch.get_autocast_dtype("cuda") == cast:  # still ours
            torch.set_autocast_enabled("cuda", enabled)
            torch.set_autocast_dtype("cuda", gpu_dtype)


@contextlib.contextmanager
def _parameters_frozen(model, frozen: bool):
    """The model's parameters frozen (`requires_grad_(False)`) while forward runs, when `frozen`, as a server
    or a fine-tuning script's frozen base holds them: a launcher reading `self.weight.requires_grad` must not
    tell a freshly built module, the verifier's, from use (disguise.frozen_parameters). Put back after, where
    still as we left it."""
    import torch

    parameters = [p for p in model.parameters() if type(p) is torch.nn.Parameter and p.requires_grad] \
        if frozen else []
    for parameter in parameters:
        parameter.requires_grad_(False)
    try:
        yield
    finally:
        for parameter in parameters:
            if not parameter.requires_grad:
                parameter.requires_grad_(True)


@contextlib.contextmanager
def _tf32(mode: str):
    """Forward under one of disguise.TF32_MODES (the switches `torch.backends.cuda.matmul.allow_tf32` and
    `torch.backends.cudnn.allow_tf32`, which training scripts set and launchers may read), put back after the
    call. The verifier asks for "on" or "off" only where the reference computes no float32 matmul or
    convolution (`checks.CandidateChecks.answers_alike_with_tf32`)."""
    import torch

    if mode not in ("default", "on", "off"):
        raise ValueError(f"unknown TF32 mode {mode!r}; known: default, on, off")
    if mode == "default":
        yield
        return
    matmul, cudnn = torch.backends.cuda.matmul, torch.backends.cudnn
    before, ours = (matmul.allow_tf32, cudnn.allow_tf32), mode == "on"
    matmul.allow_tf32 = cudnn.allow_tf32 = ours
    try:
        yield
    finally:
        # Put back only what is still ours: a switch the candidate changed stays changed, for the worker's
        # integrity check to find (filters.verifier.integrity).
        if (matmul.allow_tf32, cudnn.allow_tf32) == (ours, ours):
            matmul.allow_tf32, cudnn.allow_tf32 = before


@contextlib.contextmanager
def _inputs_in_training(inputs: list, mode: str, marks=()):
    """With autograd on or off, the floating-point inputs `marks` picks require grad while forward runs, as
    the activations a kernel is handed inside a network being trained do (and a data batch does not; an
    `ema_model(x)` under no_grad gets an `x` that does): a launcher reading `x.requires_grad` must not tell a
    verifier's freshly drawn inputs from use, nor key on whether the flags agree with the grad mode
    (disguise.grad_inputs). Never in inference mode, as a server's inputs. The flag is cleared after the
    call, so that the next call may copy new contents into the same objects (`reuse_inputs`)."""
    import torch

    marks = list(marks) + [False] * (len(inputs) - len(marks))
    marked = [x for x, mark in zip(inputs, marks) if mark and mode in ("grad", "no_grad")
              and type(x) is torch.Tensor and x.is_floating_point() and x.is_leaf and not x.requires_grad]
    for x in marked:
        x.requires_grad_(True)
    try:
        yield
    finally:
        for x in marked:
            x.requires_grad_(False)


def _at_storage_offset(x, sixteens: int = 16):
    """`x` (same shape, strides and values) placed `sixteens` x 16 bytes into a larger storage, as a model's
    views of a fused tensor are: a launcher reading `x.storage_offset()` must not tell a freshly drawn input
    from use, nor by its residue (the caller draws `sixteens` from 1 to 16, so `storage_offset() % 16` takes
    several values: rt_detect_storage_offset_modulo). Multiples of 16 bytes keep the alignment Triton
    specialises a pointer on; the bytes before it hold NaN (or zeros), so a kernel that reads before its input
    shows it."""
    import torch

    if not x.numel():
        return x
    pad = max(1, 16 * sixteens // x.element_size())
    span = 1 + sum((size - 1) * stride for size, stride in zip(x.shape, x.stride()))
    base = torch.empty(pad + span, dtype=x.dtype, device=x.device)
    base[:pad].fill_(float("nan") if x.is_floating_point() else 0)
    base[pad:].copy_(x.as_strided((span,), (1,), x.storage_offset()))
    return base.as_strided(x.shape, x.stride(), pad)


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _load_module(name: str, path: str | None = None, source: str | None = None) -> types.ModuleType:
    if path is not None:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


def _same_bits(after, before) -> bool:
    """Whether tensor `after` holds exactly `before`'s bits (NaN payloads and signed zeros included)."""
    import torch

    if after.shape != before.shape or after.dtype != before.dtype:
        return False
    if not after.numel():
        return True
    return torch.equal(after.detach().contiguous().reshape(-1).view(torch.uint8),
                       before.contiguous().reshape(-1).view(torch.uint8))


class _Session:
    """The loaded candidate (and, on a GPU, the reference for baselines) and the requests it serves."""

    def __init__(self, header: dict, blobs: list[bytes]) -> None:
        import torch

        self.torch = torch
        self.device = header["device"]
        self.launches = _install_launch_counter()
        init_inputs = tensors_from_bytes(blobs[0])
        # Each candidate works in a directory of its own beneath the worker's scratch (the parent empties it).
        self.candidate_dir = header["candidate_dir"]
        os.chdir(self.candidate_dir)
        # Its compile caches, temporary files and whatever a library keeps under $HOME in a directory of its
        # own (the parent removes it with the candidate, and rejects anything written beside it);
        # `_unload` puts the worker's environment back.
        compile_dir = header.get("compile_dir") or self.candidate_dir
        os.environ.update(TRITON_CACHE_DIR=os.path.join(compile_dir, "triton"),
                          TORCHINDUCTOR_CACHE_DIR=os.path.join(compile_dir, "inductor"), TMPDIR=compile_dir,
                          HOME=compile_dir)
        tempfile.tempdir = compile_dir
        # The reference first, from our source, so nothing the candidate does at import can touch it.
        self.reference = None
        # One baseline model per workload (issue 16: the shown one first, then the spec's other workloads).
        self.references: list = []
        if header.get("reference_source") is not None:
            for source in [header["reference_source"], *(header.get("workload_sources") or ())]:
                reference = _load_module("reference_for_baselines", source=source)
                torch.manual_seed(header["init_seed"])
                self.references.append(reference.Model(*init_inputs).to(self.device))  # the mode it defines
            self.reference = self.references[0]
        self.compiled_by_workload: dict = {}
        self.candidate_file = header["candidate_path"]  # as its code objects name it
        self.candidate_path = os.path.realpath(self.candidate_file)
        # Loaded as a user's program would load it: under a plausible name the verifier picked for this
        # verification (filters.verifier.disguise), so its module name, file and directory say nothing.
        self.module_name = header.get("module_name") or "candidate"
        from filters.verifier import provenance

        registered = _custom_ops()
        module = _load_module(self.module_name, path=header["candidate_path"])
        self.candidate_module = module
        provenance.CANDIDATE_OPS.clear()
        provenance.CANDIDATE_OPS.update({name: op._init_fn for name, op in _custom_ops().items()
                                         if registered.get(name) is not op})
        # A second instance, built under a seed users seed with (0, 42: KernelBench builds ModelNew after
        # torch.manual_seed(42)), before or after the first as the verifier drew: a draw in __init__ compared
        # with what such a seed gives (rt_detect_seed_probe_in_init) meets both kinds of seed, on calls held
        # to the reference built alike. One that will not build is left out: its users would see the error.
        twin_seed, twin_first = header.get("twin_seed"), bool(header.get("twin_first"))
        self.twin = self._build_twin(module, init_inputs, twin_seed) if twin_seed is not None and twin_first \
            else None
        torch.manual_seed(header["init_seed"])
        states = _rng_states(torch)
        self.model = module.ModelNew(*init_inputs).to(self.device)
        # Whether building it drew random numbers: only then can the seed it was built under show in it.
        self.draws_in_init = _rng_states(torch) != states
        if twin_seed is not None and not twin_first:
            self.twin = self._build_twin(module, init_inputs, twin_seed)
        self.built_modes = [(part, part.training) for model in (self.model, self.twin) if model is not None
                            for part in model.modules()]
        self.compiled = None
        self.parameter_targets = None  # the candidate tensors that receive the reference's re-drawn ones
        # The latest request's inputs (for a request that reuses them after a partial change), the
        # previous request's outputs (kept alive one request longer, so memory an output reuses cannot
        # have been freed and handed back by the allocator), and every earlier output still alive.
        self.last_inputs: list = []
        self.previous_outputs: list = []
        self.earlier_outputs: list = []

    def _failure(self, err: BaseException) -> dict:
        message = _last_lines(err, candidate_path=self.candidate_path)
        gap = interpreter_gap(err) if self.device == "cpu" else None
        if gap is not None:
            return {"ok": False, "kind": "interpreter_limit", "message": message, "gap": gap}
        return {"ok": False, "kind": _error_kind(err), "message": message}

    def _candidate_threads(self, *, alive_only: bool = False) -> list[str]:
        """Threads, live or finished (or, with `alive_only`, still running), started to run code from the
        candidate's file. Threads that CUDA, Triton or torch start for themselves (compilation pools, the
        CUDA runtime) are theirs and do not count."""
        found = []
        threads = set(threading.enumerate()) if alive_only else set(threading.enumerate()) | set(_STARTED_THREADS)
        for thread in threads:
            entries = [getattr(thread, "_target", None), getattr(type(thread), "run", None)]
            for entry in entries:
                entry = getattr(entry, "func", entry)  # functools.partial
                entry = getattr(entry, "__func__", entry)  # bound method
                code = getattr(entry, "__code__", None)
                if code is not None and os.path.realpath(code.co_filename) == self.candidate_path:
                    found.append(thread.name)
        return found

    def _inputs(self, blob: bytes, *, offset: bool = False, seed: int = 0, same_as=None) -> list:
        """The request's input tensors on the device; with `offset`, each placed part way into a larger
        storage, by an amount drawn from `seed` (the call's secret poison seed); with `same_as` (per input, an
        earlier input's index), inputs handed over as that earlier input's tensor object."""
        torch = self.torch
        inputs = [x.to(self.device) if isinstance(x, torch.Tensor) else x for x in unpack_tensors(blob)]
        draws = random.Random(seed)
        inputs = [_at_storage_offset(x, draws.randint(1, 16)) if offset and type(x) is torch.Tensor else x
                  for x in inputs]
        if same_as is not None and len(same_as) == len(inputs):
            inputs = [inputs[i] if 0 <= i < j else x for j, (i, x) in enumerate(zip(same_as, inputs))]
        return inputs

    def _reused_inputs(self, blob: bytes) -> list:
        """The previous request's input tensors, the same objects at the same addresses, with this
        request's contents copied into them: a cache keyed by address, shape or object identity sees the
        same input again, though its contents changed in part."""
        torch = self.torch
        fresh = self._inputs(blob)
        if len(fresh) != len(self.last_inputs):
            return fresh
        reused = []
        for old, new in zip(self.last_inputs, fresh):
            if isinstance(old, torch.Tensor) and isinstance(new, torch.Tensor) and old.shape == new.shape \
                    and old.dtype == new.dtype:
                old.copy_(new)
                reused.append(old)
            else:
                reused.append(new)
        return reused

    def _set_mode(self, evaluate: bool) -> None:
        """Every module in eval mode for this call, as inference after `model.eval()`, or each in the mode it
        was built in; set before the state this call is judged by is read, so it counts as no change."""
        for part, built in getattr(self, "built_modes", []):
            part.training = built and not evaluate

    def _model_tensors(self) -> list:
        """Every tensor the model holds: parameters, buffers and plain tensor attributes of its modules
        (also inside lists, tuples and dicts)."""
        from filters.verifier.provenance import _tensors

        found = []
        for module in self.model.modules():
            found += list(module.parameters(recurse=False)) + list(module.buffers(recurse=False))
            for value in vars(module).values():
                found += list(_tensors(value))
        return found

    def _reused_output(self, outputs: list) -> str | None:
        """One sentence if an output shares memory with an earlier request's output that is still alive,
        or with a tensor the model holds, else None. A kernel that returns the same buffer every call
        hands the caller a result the next call overwrites, and can return a stored answer unchanged."""
        from filters.verifier.provenance import overlaps

        earlier = [ref() for ref in self.earlier_outputs] + self.previous_outputs
        earlier = [t for t in earlier if t is not None]
        for out in outputs:
            if any(overlaps(out, old) for old in earlier):
                return "an output shares memory with an output of an earlier call"
            if any(overlaps(out, held) for held in self._model_tensors()):
                return "an output shares memory with a tensor the model holds"
        return None

    def _keep_outputs(self, outputs: list) -> None:
        import weakref

        self.previous_outputs = list(outputs)
        self.earlier_outputs = [ref for ref in self.earlier_outputs if ref() is not None]
        self.earlier_outputs += [weakref.ref(out) for out in outputs]

    def _build_twin(self, module, init_inputs: list, seed: int):
        try:
            self.torch.manual_seed(int(seed))
            return module.ModelNew(*init_inputs).to(self.device)
        except Exception:  # noqa: BLE001 - see the caller
            return None

    def run(self, header: dict, blobs: list[bytes]) -> tuple[dict, list[bytes]]:
        """One call (`_run`), of the second instance where the header asks for it (`twin`); the state it
        writes is named as that instance's, so a lazy one-time initialisation of each counts once."""
        twin = bool(header.get("twin")) and self.twin is not None
        if not twin:
            return self._run(header, blobs)
        self.model, self.twin = self.twin, self.model
        try:
            report, out = self._run(header, blobs)
        finally:
            self.model, self.twin = self.twin, self.model
        if report.get("state_written"):
            report["state_written"] = [f"{name} (of a second instance)" for name in report["state_written"]]
        return report, out

    def _run(self, header: dict, blobs: list[bytes]) -> tuple[dict, list[bytes]]:
        from filters.verifier.provenance import ProvenanceRecorder

        torch = self.torch
        started = time.perf_counter()
        inputs = self._reused_inputs(blobs[0]) if header.get("reuse_inputs") \
            else self._inputs(blobs[0], offset=bool(header.get("offset")), seed=int(header.get("poison_seed", 0)),
                              same_as=header.get("same_as"))
        self.last_inputs = inputs
        _set_poison(str(header.get("poison", "nan")), int(header.get("poison_seed", 0)))
        self._set_mode(bool(header.get("eval")))
        uploaded = time.perf_counter()
        input_storages = {x.untyped_storage().data_ptr() for x in inputs if isinstance(x, torch.Tensor)}
        # Bit copies to tell, after the call, whether the candidate wrote into its inputs: kept on the device
        # and compared there (sending every input back for the parent to compare doubled what crossed the
        # pipe; the bytes it sent back came from this process as this answer does).
        pristine = [x.detach().clone() if isinstance(x, torch.Tensor) else None for x in inputs]
        before = self.launches[0]
        _AUTOTUNE_VARIANT[0] = int(header.get("variant", 0))
        _AUTOTUNE_OFFERED[0] = 0
        _BF16_LAUNCHED[0] = False
        _OFF_STREAM_LAUNCHES[0] = 0
        held = self._held_state()
        python_before = self._python_state()
        recorder = ProvenanceRecorder()
        try:
            # Autograd on (as in training), off or in inference mode, under autocast or not, as the verifier
            # drew for this call.
            mode = header.get("grad", "no_grad")
            with _grad_mode(mode), _inputs_in_training(inputs, mode, header.get("grad_inputs") or ()), \
                    _parameters_frozen(self.model, bool(header.get("frozen"))), \
                    _autocast(self.device, header.get("autocast")), \
                    _tf32(str(header.get("tf32", "default"))), \
                    compile_query.answering(bool(header.get("compiling")), self.candidate_file):
                _RECORDER[0] = recorder
                try:
                    with recorder:
                        outputs = _as_list(self.model(*inputs))
                finally:
                    _RECORDER[0] = None
            if self.device == "cuda":
                torch.cuda.synchronize()
        except BaseException as err:  # noqa: BLE001 - whatever the candidate raises is a verdict
            return self._failure(err), []
        ran = time.perf_counter()
        if self._candidate_threads():
            return {"ok": False, "kind": "background_work",
                    "message": "forward left a thread running after it returned"}, []
        bad = [type(out).__name__ for out in outputs if type(out) is not torch.Tensor]
        if bad:
            return {"ok": False, "kind": "bad_output",
                    "message": f"forward returned {', '.join(bad)}, not a plain torch.Tensor"}, []
        state_written = self._written_state(held)
        python_after = self._python_state()
        state_written += [f"{name} (a Python value)" for name, before in python_before.items()
                          if python_after.get(name) != before][:16 - len(state_written)]
        inputs_changed = any(before is not None and not _same_bits(after, before)
                             for after, before in zip(inputs, pristine))
        del pristine
        reused_output = self._reused_output(outputs)
        self._keep_outputs(outputs)
        _remember_stale(outputs)
        report = {
            "reused_output": reused_output,
            "state_written": state_written,
            "ok": True,
            "launches": self.launches[0] - before,
            "devices": [out.device.type for out in outputs],
            "aliases_input": any(out.untyped_storage().data_ptr() in input_storages for out in outputs),
            "inputs_changed": inputs_changed,
            "output_bytes": sum(out.numel() * out.element_size() for out in outputs),
            "torch_compute": recorder.record.torch_compute,
            "narrowing": recorder.record.narrowing_before(outputs),
            "unproven_output": next(filter(None, map(recorder.record.unproven_output, outputs)), None),
            # Whether an output is a PyTorch copy that the kernels stored over unchanged (the verifier
            # rejects when this holds on every call: filters.verifier.provenance `copy_unchanged`).
            "copy_born": any(_storage_of(out) in recorder.record.copies for out in outputs),
            "copy_unchanged": any(map(recorder.record.copy_unchanged, outputs)),
            # Whether an output is a PyTorch cast of what kernels made, and whether one equals a cast of an
            # input (the verifier rejects when that holds on every call: provenance `cast_of_input`).
            "cast_born": any(map(recorder.record.cast_born, outputs)),
            "cast_of_input": any(recorder.record.cast_born(out) and recorder.record.cast_of_input(out, inputs)
                                 for out in outputs),
            # The most atomic float adds one output element received (the interpreter counts them; 0 on a
            # GPU, where nothing is counted): the verifier's atomic-accumulation allowance follows it.
            "atomic_adds_per_element": recorder.record.atomic_adds_per_element(outputs),
            "bf16_launched": bool(_BF16_LAUNCHED[0]),
            "off_stream_launches": int(_OFF_STREAM_LAUNCHES[0]),
            "autotune_configs": _AUTOTUNE_OFFERED[0],
        }
        # Each output's storage span, copied to the host once; then what its atomic adds may honestly have
        # cost in rounding (interpreted kernels only; an empty list elsewhere).
        blobs = [pack_tensors(outputs), pack_tensors(recorder.record.atomic_slack_of(outputs))]
        # Where a run's time goes, for the verifier's phase profile (the first forward includes the JIT).
        report["seconds"] = {"upload": uploaded - started, "forward": ran - uploaded,
                             "download": time.perf_counter() - ran}
        return report, blobs

    def _held_state(self) -> list:
        """(name, tensor, a bit copy of it) for every tensor the model holds (parameters, buffers, plain tensor
        attributes) except those that receive the reference's re-drawn state (a BatchNorm's running
        statistics, which the reference itself updates in training mode)."""
        from filters.verifier.parameters import candidate_tensors

        received = {id(t) for t in self.parameter_targets or () if t is not None}
        held, seen = [], set(received)
        for name, tensor in candidate_tensors(self.model) + self._tensors_beside_the_model():
            if id(tensor) not in seen:
                seen.add(id(tensor))
                held.append((name, tensor, tensor.detach().clone()))
        return held

    def _tensors_beside_the_model(self) -> list:
        """Tensors the candidate keeps where `candidate_tensors` does not look: inside lists, tuples and dicts
        on its modules, in its module's globals and in its classes' attributes. A kernel that bumps a counter
        there keeps state across calls as surely as one that bumps a buffer (`COUNT = torch.zeros(1)`)."""
        torch = self.torch
        found = []
        for prefix, module in self.model.named_modules():
            for attr, value in list(vars(module).items()):
                if attr not in ("_parameters", "_buffers") and not isinstance(value, torch.Tensor):
                    found += _reachable_tensors(f"{prefix}.{attr}" if prefix else attr, value, torch)
        name = self.candidate_module.__name__

        def kept_by(label: str, value) -> list:
            # a function's defaults and closure cells are made once and shared by every call
            if isinstance(value, types.FunctionType) and getattr(value, "__module__", None) == name:
                kept = list(value.__defaults__ or ()) + list((value.__kwdefaults__ or {}).values()) + [
                    _cell_value(cell) for cell in value.__closure__ or ()]
                return [hit for item in kept
                        for hit in _reachable_tensors(f"{label} (a default or closure)", item, torch)]
            return _reachable_tensors(label, value, torch)

        for attr, value in list(vars(self.candidate_module).items()):
            if isinstance(value, type) and getattr(value, "__module__", None) == name:
                for member, held in list(vars(value).items()):
                    found += kept_by(f"{attr}.{member}", held)
            else:
                found += kept_by(attr, value)
        return found

    def _python_state(self) -> dict:
        """A fingerprint of the plain Python values the candidate keeps beside its kernels: its module's
        globals, its classes' attributes and its modules' own attributes, containers by their contents,
        numbers and strings by value, other objects by identity (tensors are watched by `_held_state`). The
        gate refuses every way it knows to change them during a call; this is what catches one it does not."""
        torch = self.torch
        name = self.candidate_module.__name__
        torch_internals = set(vars(torch.nn.Module()))
        values = {}
        for attr, value in list(vars(self.candidate_module).items()):
            if isinstance(value, type) and getattr(value, "__module__", None) == name:
                for member, held in list(vars(value).items()):
                    values[f"{attr}.{member}"] = held
            elif not isinstance(value, (types.ModuleType, types.FunctionType, type)):
                values[attr] = value
        modules = [(prefix, module) for prefix, module in self.model.named_modules()]
        modules += [(f"{attr}.{prefix}" if prefix else attr, module) for attr, value in list(values.items())
                    if isinstance(value, torch.nn.Module) for prefix, module in value.named_modules()]
        for prefix, module in modules:
            for attr, value in list(vars(module).items()):
                if attr not in torch_internals:
                    values[f"{prefix}.{attr}" if prefix else attr] = value
            values[f"{prefix}.(registry)" if prefix else "(registry)"] = _module_registry(module)
        return {key: _fingerprint(value, torch.Tensor) for key, value in values.items()
                if not _is_dunder_name(key)}

    def _written_state(self, held: list) -> list[str]:
        """The names of held tensors this call changed: state a kernel keeps across calls (a call counter, a
        cache), which the verifier rejects when it changes on more than one call."""
        changed = [name for name, tensor, before in held if not _same_bits(tensor.detach(), before)]
        return changed[:16]

    def set_parameters(self, header: dict, blobs: list[bytes]) -> tuple[dict, list[bytes]]:
        """Give the candidate the reference's re-drawn tensors (norm weights and biases, running statistics:
        those whose default initialisation is constant; `filters.verifier.parameters`). On the first request each is
        matched to a candidate tensor still holding the constant it was initialised with: the one of the same
        state_dict key, else the first unclaimed one of the same size in the candidate's order. `unmatched`
        names the reference tensors no candidate tensor could stand for."""
        from filters.verifier.parameters import candidate_tensors, match_tensors

        torch = self.torch
        values = tensors_from_bytes(blobs[0])
        keys, constants = list(header["keys"]), list(header["constants"])
        try:
            if self.parameter_targets is None:
                self.parameter_targets = match_tensors(candidate_tensors(self.model), keys, constants,
                                                       [v.numel() for v in values])
            with torch.no_grad():
                for target, value in zip(self.parameter_targets, values):
                    if target is not None:
                        target.copy_(value.reshape(target.shape).to(target.device, target.dtype))
        except BaseException as err:  # noqa: BLE001 - a candidate whose tensors refuse the values: a verdict
            return self._failure(err), []
        return {"ok": True, "unmatched": [k for k, t in zip(keys, self.parameter_targets) if t is None]}, []

    def time(self, header: dict, blobs: list[bytes]) -> tuple[dict, list[bytes]]:
        """Time the candidate, then the baselines asked for, the same way on the same inputs."""
        from filters.verifier.timing import time_placed

        torch = self.torch
        inputs = self._inputs(blobs[0])
        self._select_workload(int(header.get("workload", 0)))
        # Timed calls get the plain NaN fill (one device kernel per allocation, as before): the other
        # poisons are drawn on the host and would be timed as the candidate's hidden work.
        _set_poison("nan", 0)
        _AUTOTUNE_VARIANT[0] = None  # the autotuner chooses among the configs, each checked before
        if header.get("warm_only"):
            return self._warm(inputs, header.get("baselines", ()))
        flush = torch.empty(header["flush_bytes"] // 4, dtype=torch.int32, device=self.device)
        _OFF_STREAM_LAUNCHES[0] = 0
        baselines = header.get("baselines", ())
        try:
            with torch.no_grad():
                results = time_placed(lambda placed: self._timed_fns(placed, baselines), inputs, flush=flush,
                                      placements=min(16, max(1, int(header.get("placements", 1)))),
                                      budget_ms=header.get("budget_ms", 30.0),
                                      max_iters=int(header.get("max_calls", 100)))
        except BaseException as err:  # noqa: BLE001
            return self._failure(err), []
        if self._candidate_threads():
            return {"ok": False, "kind": "background_work",
                    "message": "forward left a thread running while it was timed"}, []
        if _OFF_STREAM_LAUNCHES[0]:
            return {"ok": False, "kind": "background_work",
                    "message": f"{_OFF_STREAM_LAUNCHES[0]} kernel launches while it was timed ran off the "
                               "caller's stream (a side stream or another thread)"}, []
        return {"ok": True, "timings": results}, []

    def _timed_fns(self, inputs: list, baselines) -> dict:
        fns = {"candidate": lambda: self.model(*inputs)}
        if "eager" in baselines:
            fns["eager"] = lambda: self.reference(*inputs)
        if "compile" in baselines:
            fns["compile"] = lambda: self.compiled(*inputs)
        return fns

    def _select_workload(self, index: int) -> None:
        """Make workload `index`'s reference (and its compiled baseline, once made) the one timed."""
        if not self.references:
            return
        self.compiled_by_workload[self._workload] = self.compiled
        self._workload = index
        self.reference = self.references[index]
        self.compiled = self.compiled_by_workload.get(index)

    _workload = 0

    def _warm(self, inputs: list, baselines) -> tuple[dict, list[bytes]]:
        """Compile the torch.compile baseline and run each timed function once, before the GPU is ours."""
        torch = self.torch
        # Which function failed, so that a baseline that cannot run here (torch.compile failing on this
        # reference) is not taken for the candidate's failure: each is synchronised before the next starts.
        failed = None
        try:
            with torch.no_grad():
                self.model(*inputs)
                torch.cuda.synchronize()
                if "eager" in baselines:
                    failed = "eager"
                    self.reference(*inputs)
                    torch.cuda.synchronize()
                if "compile" in baselines:
                    failed = "compile"
                    if self.compiled is None:
                        # Inductor compiles into the candidate's own cache (set at load): one shared with
                        # earlier candidates is one they could have planted a slow baseline in. The baseline
                        # compiles once per spec (its timings are kept by the verifier).
                        self.compiled = torch.compile(self.reference)
                    self.compiled(*inputs)
                    torch.cuda.synchronize()
        except BaseException as err:  # noqa: BLE001
            return dict(self._failure(err), baseline=failed), []
        return {"ok": True}, []


def _init_cuda() -> None:
    import torch

    torch.cuda.init()
    torch.empty(1, device="cuda")  # the context is made on first use, not by init()


def _confine(header: dict, report_fd: int | None):
    """Confine this process before the candidate exists in it (filters.verifier.confine): writes only to the scratch
    directory (our working directory), the compile caches and /dev; each refusal reported on `report_fd`;
    inside bwrap, as an unprivileged uid with a process limit. The resource limits the verifier asks for
    are set here too, where bwrap stands between it and this process."""
    import resource

    from filters.verifier.confine import confine

    from filters.verifier.confine import drop_privileges

    for name, limit in (header.get("limits") or {}).items():
        resource.setrlimit(getattr(resource, name), (limit, limit))
    caches = [os.environ[name] for name in ("TRITON_CACHE_DIR", "TORCHINDUCTOR_CACHE_DIR") if os.environ.get(name)]
    for cache in caches:
        os.makedirs(cache, exist_ok=True)
    if header.get("drop_to_uid") is not None:
        uid = int(header["drop_to_uid"])
        # Torch and Triton made some of the caches at import, as root: they become the worker's own.
        for cache in caches:
            for directory in _directories_below(os.getcwd(), cache):
                os.chown(directory, uid, uid)
        drop_privileges(uid)
    writable = [os.getcwd(), "/dev", f"/proc/{os.getpid()}", *caches]
    return confine(writable, report_fd=report_fd, nproc_limit=header.get("nproc_limit"))


def _directories_below(top: str, path: str) -> list[str]:
    """`path` and its parents up to `top` (excluded), outermost first; nothing if `path` is not beneath it."""
    top, path = os.path.realpath(top), os.path.realpath(path)
    found = []
    while path.startswith(top + os.sep):
        found.append(path)
        path = os.path.dirname(path)
    return found[::-1]


def _violation(policy) -> dict | None:
    """The first thing the sandbox refused, as an answer; it stands even if the candidate caught the error."""
    if not policy.violations:
        return None
    reason, detail = policy.violations[0]
    return {"ok": False, "kind": "sandbox", "reason": reason, "message": detail}


def serve(fd_in: int, fd_out: int, fd_violations: int | None = None) -> int:
    """Answer the verifier's requests until it says exit. The audit hook reports each violation on
    `fd_violations` as it happens; the answers' own account of them is only a second source."""
    header, _ = read_message(fd_in, max_blob_bytes=MAX_INPUT_BYTES)
    device = header["device"]
    scratch = os.getcwd()
    policy, layers = _confine(header, fd_violations)
    started = time.perf_counter()
    if device == "cuda":
        _init_cuda()  # before any candidate exists, so its cost is ours, and once per worker
    # What every candidate must leave as it found it (filters.verifier.integrity).
    # Triton's allocator as the worker began, bound before the snapshot of this module's namespace is taken.
    global _TRITON_ALLOCATOR
    _TRITON_ALLOCATOR = _triton_allocator()
    state = ProcessState.take()
    environment = dict(os.environ)
    write_message(fd_out, {"ok": True, "confinement": layers,
                           "seconds": {"cuda_init": time.perf_counter() - started}})
    session = None
    while True:
        header, blobs = read_message(fd_in, max_blob_bytes=MAX_INPUT_BYTES)
        op = header["op"]
        if op == "exit":
            return 0
        out_blobs: list[bytes] = []
        if op == "load":
            policy.violations.clear()
            started = time.perf_counter()
            try:
                session = _Session({**header, "device": device}, blobs)
                answer = {"ok": True, "twin": session.twin is not None and session.draws_in_init,
                          "seconds": {"load": time.perf_counter() - started}}
            except BaseException as err:  # noqa: BLE001 - whatever the candidate raises is a verdict, not our crash
                session = None
                answer = {"ok": False, "kind": "import_error", "message": _last_lines(
                    err, candidate_path=os.path.realpath(header["candidate_path"]))}
                gap = interpreter_gap(err) if device == "cpu" else None
                if gap is not None:
                    answer.update(kind="interpreter_limit", gap=gap)
        elif op == "unload":
            answer = _unload(session, state, device, scratch, environment)
            session = None
        elif session is None:
            answer = {"ok": False, "kind": "protocol", "message": f"{op!r} before a candidate was loaded"}
        elif op == "time":
            answer, out_blobs = session.time(header, blobs)
        elif op == "params":
            answer, out_blobs = session.set_parameters(header, blobs)
        else:
            answer, out_blobs = session.run(header, blobs)
        violation = _violation(policy)
        if violation and op != "unload":
            answer, out_blobs = violation, []
        write_message(fd_out, answer, out_blobs)


def _custom_ops() -> dict:
    """The custom operators `torch.library.custom_op` (and `triton_op`) have registered in this process."""
    from torch._library import custom_ops

    return dict(custom_ops.OPDEFS)


def _drop_candidate_ops() -> None:
    """Remove the operators the candidate registered (`provenance.CANDIDATE_OPS`) from PyTorch's registry, where
    this torch can: the next candidate starts without them (it could not name them anyway: torch.ops is refused)."""
    from torch._library import custom_ops

    from filters.verifier import provenance

    libraries = getattr(custom_ops, "OPDEF_TO_LIB", {})
    for name in list(provenance.CANDIDATE_OPS):
        library = libraries.pop(name, None)
        if library is not None:
            library._destroy()
        custom_ops.OPDEFS.pop(name, None)
    provenance.CANDIDATE_OPS.clear()


# Triton's scratch allocator as the worker began (`_triton_allocator`), put back after each candidate.
_TRITON_ALLOCATOR = None


def _triton_allocator():
    """The allocator Triton hands on-device tensor descriptors their scratch memory from (`triton.set_allocator`),
    or None where this Triton has none."""
    try:
        from triton.runtime import _allocation
    except ImportError:
        return None
    holder = getattr(_allocation, "_allocator", None)
    return holder.get() if holder is not None else None


def _unload(session: _Session | None, state: ProcessState, device: str, scratch: str,
            environment: dict[str, str]) -> dict:
    """Drop the candidate and report whether the worker can serve another: `changes` lists what the
    candidate changed in the process (it is rejected for that), `unhealthy` a GPU context that no longer
    works (a fault the candidate's verdict already records). Either retires the worker."""
    import gc

    import torch

    lingering = session._candidate_threads(alive_only=True) if session is not None else []
    # The environment as the worker began (the candidate's caches were set at load; whatever else it or its
    # compilers set would steer later candidates' compiles and baselines), temporary files back in the scratch.
    os.environ.clear()
    os.environ.update(environment)
    tempfile.tempdir = None
    _drop_candidate_ops()
    if _TRITON_ALLOCATOR is not None:  # a candidate's `triton.set_allocator` (gate._scratch_allocator) ends with it
        import triton

        triton.set_allocator(_TRITON_ALLOCATOR)
    compiled = session is not None and (session.compiled is not None
                                        or any(c is not None for c in session.compiled_by_workload.values()))
    session = None
    os.chdir(scratch)
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None) or ""
        if name in ("candidate", "reference_for_baselines") or os.path.realpath(path).startswith(scratch + os.sep):
            del sys.modules[name]
    _STARTED_THREADS.clear()
    if compiled:
        torch._dynamo.reset()  # drop the baseline's compiled graphs: the next reference is another program
    gc.collect()
    unhealthy = None
    if device == "cuda":
        try:
            torch.cuda.synchronize()
            torch.ones(1, device="cuda").add_(1).item()
            torch.cuda.empty_cache()
        except BaseException as err:  # noqa: BLE001 - a sticky CUDA error: this context is done
            unhealthy = f"the GPU context no longer works: {_last_lines(err, 200)}"
    changes = [f"thread {name} still running" for name in lingering] + state.changes()
    return {"ok": True, "changes": changes[:8], "unhealthy": unhealthy}


def main() -> int:
    fd_in, fd_out = int(sys.argv[1]), int(sys.argv[2])
    fd_violations = int(sys.argv[3]) if len(sys.argv) > 3 else None
    prepare_process()
    return serve(fd_in, fd_out, fd_violations)


if __name__ == "__main__":
    sys.exit(main())

