"""How much room a spec leaves a kernel: PyTorch eager's cost against a fused kernel's floor, on a named
device profile, and so an upper bound on the speedup over eager any kernel can show.

The reference's `forward` is traced on meta tensors (no memory, no arithmetic: a 2 GB problem costs the same
few milliseconds as a tiny one) under a `TorchDispatchMode` that sees every ATen op eager runs. Each op
that is not a view is one kernel launch; it reads its tensor arguments and writes its outputs (bytes as
viewed, a broadcast argument counted at its storage size); matrix products, convolutions and attention also
count their FLOPs (`torch.utils.flop_counter`'s formulas). `scaled_dot_product_attention` counts as the one
fused kernel eager runs on a GPU (flash or memory-efficient attention), not as the decomposed math that the
meta device would otherwise trace.

- eager time = sum over ops of (launch overhead + max(bytes / HBM bandwidth, FLOPs / peak FLOP/s));
- fused floor = one launch + max(bytes of inputs, parameters and outputs, each moved once, / bandwidth;
  the same FLOPs at peak);
- speedup bound = eager time / fused floor.

Guarantees: the estimate depends only on the source and the profile (deterministic, cached per source).
Limits: a roofline, not a measurement. It assumes each op reaches peak bandwidth or peak FLOP/s, so it
underrates eager's real time (launch gaps, small grids, poor occupancy) and so the bound is conservative for
small problems and optimistic where a library kernel (cuBLAS, flash attention) is hard to beat; it counts a
gather's table (an embedding, `index_select`) at the bytes of the rows picked, repeats included; it ignores
caches (an op re-reading what the previous one wrote in L2 pays HBM prices here). GPU measurements to confirm
these numbers belong to the GPU issue.

Data-dependent references. A reference whose sizes or loop bounds come from its index inputs' values (jagged
sums, grouped GEMM and varlen attention read offsets; `repeat_interleave` by lengths) cannot run on meta
tensors, which hold no values. Such a source is traced a second way (`concrete_indices`): the integer tensors
of `get_inputs()`, `__init__` and the forward, up to `CONCRETE_INDEX_NUMEL` elements each, are made for real on
the CPU (drawn under a fixed seed: one draw of the offsets stands for all), everything else stays on meta,
and an op that mixes the two sees the real ones as meta. Each op is recorded as before, on the draw's sizes
(the rows of each expert, the length of each sequence) and with the host syncs (`int(offsets[e])`) eager
pays as launches. A forward whose sizes depend on floating-point values (`nonzero` of a float comparison) is
still not estimated: `estimate` returns None.
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass

log = logging.getLogger(__name__)

# -- device profiles -------------------------------------------------------------------------------------
# HBM bandwidth comes from kerneldata.core.profiles (one source for what the prompts also quote). Peak
# FLOP/s are the vendors' dense figures (no sparsity):
# - H100 SXM5 and H200 SXM (same GH100 compute): FP16/BF16 Tensor Core 989.4 TFLOP/s dense, FP32 (no tensor
#   cores: eager's matmul keeps TF32 off by default) 66.9 TFLOP/s. NVIDIA H100 datasheet (nvidia.com/en-us/
#   data-center/h100/) and H200 product brief (nvidia.com/en-us/data-center/h200/).
# - MI300X and MI325X (CDNA 3, same compute die): FP16/BF16 matrix 1307.4 TFLOP/s dense, FP32 vector
#   163.4 TFLOP/s. AMD Instinct MI300X / MI325X data sheets (amd.com/en/products/accelerators/instinct/).
# - MI355X (CDNA 4): FP16/BF16 matrix 2516 TFLOP/s dense (2.5 PF), FP32 vector 157.3 TFLOP/s. AMD Instinct
#   MI355X data sheet.
# Launch overhead per eager op: an assumption, not a vendor figure. PyTorch's per-op host cost (dispatcher,
# allocator, launch) is a few microseconds on a current server CPU, and eager ops back to back keep the GPU
# busy no more often than that; BackendBench uses the same yardstick, calling an op "overhead dominated" when
# it runs in under 1.3x the time of launching `torch.empty(0)` (research/anchors-2026-12.md). We take 4 us on
# CUDA and 6 us on ROCm (HIP launches cost more). The GPU issue should measure both on the real devices.


@dataclass(frozen=True)
class DeviceRoofline:
    name: str
    hbm_bytes_per_s: float
    fp16_flops_per_s: float  # dense tensor/matrix-core peak, fp16 and bf16
    fp32_flops_per_s: float  # fp32 without tensor cores (eager's default for fp32 matmuls)
    launch_us: float  # host and launch cost of one eager op


def _rooflines() -> dict[str, DeviceRoofline]:
    from kerneldata.core.profiles import PROFILES

    def make(name: str, fp16: float, fp32: float, launch_us: float) -> DeviceRoofline:
        return DeviceRoofline(PROFILES[name.lower()].name, PROFILES[name.lower()].memory_bandwidth_bytes_per_s,
                              fp16, fp32, launch_us)
    return {r.name.lower(): r for r in (
        make("H100", 989.4e12, 66.9e12, 4.0),
        make("H200", 989.4e12, 66.9e12, 4.0),
        make("MI300X", 1307.4e12, 163.4e12, 6.0),
        make("MI325X", 1307.4e12, 163.4e12, 6.0),
        make("MI355X", 2516e12, 157.3e12, 6.0),
    )}


DEVICE_ROOFLINES: dict[str, DeviceRoofline] = _rooflines()
DEFAULT_DEVICE = "H200"
# What "big enough for a kernel to win" means in the budget (DESIGN section 6): at least this many
# bytes moved by eager, or this many FLOPs.
BIG_BYTES, BIG_FLOPS = 10_000_000, 1e9


def get_roofline(name: str) -> DeviceRoofline:
    roofline = DEVICE_ROOFLINES.get(str(name).strip().lower())
    if roofline is None:
        raise ValueError(f"unknown device profile {name!r}; known profiles: "
                         f"{', '.join(r.name for r in DEVICE_ROOFLINES.values())}")
    return roofline


# -- the trace -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Op:
    """One kernel eager launches: its ATen name, bytes read and written, FLOPs, and whether those FLOPs run
    on tensor/matrix cores (a half-precision matmul, convolution or attention)."""

    name: str
    bytes_moved: int
    flops: float
    tensor_cores: bool


@dataclass(frozen=True)
class Trace:
    ops: tuple[Op, ...]
    fused_bytes: int  # inputs, parameters and outputs, each once

    @property
    def eager_bytes(self) -> int:
        return sum(op.bytes_moved for op in self.ops)

    @property
    def flops(self) -> float:
        return sum(op.flops for op in self.ops)

    def on(self, device: str | DeviceRoofline = DEFAULT_DEVICE) -> Headroom:
        r = device if isinstance(device, DeviceRoofline) else get_roofline(device)

        def compute_s(op: Op) -> float:
            return op.flops / (r.fp16_flops_per_s if op.tensor_cores else r.fp32_flops_per_s)
        eager_us = sum(r.launch_us + 1e6 * max(op.bytes_moved / r.hbm_bytes_per_s, compute_s(op))
                       for op in self.ops)
        fused_us = r.launch_us + 1e6 * max(self.fused_bytes / r.hbm_bytes_per_s, sum(map(compute_s, self.ops)))
        return Headroom(device=r.name, kernel_launches=len(self.ops), eager_bytes=self.eager_bytes,
                        fused_bytes=self.fused_bytes, flops=self.flops, eager_us=eager_us, fused_us=fused_us)


@dataclass(frozen=True)
class Headroom:
    device: str
    kernel_launches: int
    eager_bytes: int
    fused_bytes: int
    flops: float
    eager_us: float  # estimated PyTorch eager time
    fused_us: float  # lower bound for one fused kernel

    @property
    def speedup_bound(self) -> float:
        return self.eager_us / self.fused_us

    @property
    def big(self) -> bool:
        """Moves at least BIG_BYTES or does at least BIG_FLOPS (the GPU-config budget's test)."""
        return self.eager_bytes >= BIG_BYTES or self.flops >= BIG_FLOPS


# ATen ops that launch nothing on a GPU: views (checked by `is_view`) and these.
# (`scalar_tensor` makes a 0-d constant, on the host until an op reads it.)
_NO_KERNEL = {"empty", "empty_strided", "empty_like", "detach", "lift_fresh", "alias", "_unsafe_view",
              "sym_size", "sym_stride", "sym_numel", "sym_storage_offset", "scalar_tensor"}
_HALF = ("float16", "bfloat16")
# Ops that read rows of a table picked by index: the table counts at the bytes picked, not its size.
_GATHERS = {"embedding", "index_select", "gather", "_embedding_bag", "embedding_bag", "index"}


def _nbytes(t) -> int:
    viewed = t.numel() * t.element_size()
    try:
        stored = t.untyped_storage().nbytes()
    except (RuntimeError, NotImplementedError):
        return viewed
    return min(viewed, stored) if stored else viewed


def _sdpa_flops(q, k, v, causal: bool) -> float:
    *batch, q_len, d = q.shape
    kv_len, dv = k.shape[-2], v.shape[-1]
    flops = 2.0 * math.prod(batch) * q_len * kv_len * (d + dv)
    return flops / 2 if causal and q_len == kv_len else flops


def _tensors(tree):
    import torch
    from torch.utils._pytree import tree_leaves

    return [leaf for leaf in tree_leaves(tree) if isinstance(leaf, torch.Tensor)]


# Integer tensors of at most this many elements are made for real when a reference is traced with
# `concrete_indices` (offsets, index lists, lengths); larger ones (int8 weights, say) stay on meta.
CONCRETE_INDEX_NUMEL = 1 << 22


def _concrete_index_modes():
    """The function mode and the dispatch mode of a `concrete_indices` trace (see the module docstring): small
    integer tensors are made on the CPU, for real; an op mixing them with meta tensors gets them as meta."""
    import torch
    from torch.overrides import TorchFunctionMode
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_map_only

    cpu = torch.device("cpu")

    def small_integers(out) -> bool:
        found = _tensors(out)
        return bool(found) and all(not t.is_floating_point() and not t.is_complex()
                                   and t.numel() <= CONCRETE_INDEX_NUMEL for t in found)

    class Literals(TorchFunctionMode):
        """`torch.tensor([n])` under `torch.device("meta")` would drop its values before any op sees them."""

        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if func in (torch.tensor, torch.as_tensor) and kwargs.get("device") is None and not _tensors(args):
                out = func(*args, **{**kwargs, "device": cpu})
                return out if small_integers(out) else out.to("meta")
            return func(*args, **kwargs)

    class Indices(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            tensors = _tensors((args, kwargs))
            if any(t.is_meta for t in tensors):
                args, kwargs = tree_map_only(torch.Tensor, lambda t: t if t.is_meta else t.to("meta"), (args, kwargs))
                return func(*args, **kwargs)
            device = kwargs.get("device")
            if device is not None and torch.device(device).type == "meta":  # a factory: real if small integers
                shape_only = func(*args, **kwargs)
                return func(*args, **{**kwargs, "device": cpu}) if small_integers(shape_only) else shape_only
            return func(*args, **kwargs)  # on the real integers only

    return Literals(), Indices()


def _trace(source: str, concrete_indices: bool = False) -> Trace:
    import contextlib

    import torch
    import torch.nn.functional as F
    from torch.overrides import TorchFunctionMode
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import flop_registry

    ops: list[Op] = []
    gathered: dict[int, int] = {}  # id of a table a gather reads -> bytes it reads of it

    def record(name, args, out, flops=0.0):
        seen, read = set(), 0
        written = sum(t.numel() * t.element_size() for t in _tensors(out))
        for position, t in enumerate(_tensors(args)):
            if id(t) not in seen:
                seen.add(id(t))
                if name in _GATHERS and position == 0:  # only the rows picked are read, at most the output
                    gathered[id(t)] = gathered.get(id(t), 0) + min(_nbytes(t), written)
                    read += gathered[id(t)]
                else:
                    read += _nbytes(t)
        half = any(str(t.dtype).removeprefix("torch.") in _HALF for t in _tensors(args) if t.is_floating_point())
        ops.append(Op(name, read + written, float(flops), bool(flops) and half))

    class Kernels(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            name = func._overloadpacket.__name__
            if not func.is_view and name not in _NO_KERNEL:
                counter = flop_registry.get(func._overloadpacket)
                flops = counter(*args, **kwargs, out_val=out) if counter is not None else 0.0
                record(name, (args, kwargs), out, flops)
            return out

    class FusedAttention(TorchFunctionMode):
        """Eager attention on a GPU is one flash/efficient kernel; record it as one, not its math path."""

        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if func is F.scaled_dot_product_attention:
                q, k, v = args[:3]
                out = torch.empty(*q.shape[:-1], v.shape[-1], dtype=q.dtype, device=q.device)
                record("scaled_dot_product_attention", (args, kwargs), out,
                       _sdpa_flops(q, k, v, bool(kwargs.get("is_causal", False))))
                return out
            return func(*args, **kwargs)

    namespace: dict = {"__name__": "kerneldata_headroom_reference"}
    with contextlib.ExitStack() as stack:
        stack.enter_context(torch.device("meta"))
        stack.enter_context(torch.no_grad())
        if concrete_indices:
            stack.enter_context(torch.random.fork_rng(devices=[]))  # the caller's random state is left as it was
            torch.manual_seed(0)
            for mode in _concrete_index_modes():
                stack.enter_context(mode)
        exec(compile(source, "<reference>", "exec"), namespace)  # our sampler's sources or chosen external ones
        model = namespace["Model"](*namespace["get_init_inputs"]())
        inputs = namespace["get_inputs"]()
        with FusedAttention(), Kernels():
            out = model(*inputs)
    state = [*model.parameters(), *model.buffers()]
    fused = sum(min(_nbytes(t), gathered.get(key, math.inf))
                for key, t in {id(t): t for t in _tensors(inputs) + state}.items())
    fused += sum(t.numel() * t.element_size() for t in _tensors(out))
    return Trace(tuple(ops), fused)


@functools.lru_cache(maxsize=4096)
def trace(source: str) -> Trace | None:
    """The kernels eager runs for a KernelBench-format problem: on meta tensors, or where its sizes come from
    its index inputs' values, with those made for real (`concrete_indices`); None when neither works
    (sizes that depend on floating-point values, a source that does not load)."""
    for concrete_indices in (False, True):
        try:
            return _trace(source, concrete_indices)
        except Exception as err:  # noqa: BLE001 - any failure of a reference on meta tensors: the next way
            log.debug("no trace (concrete_indices=%s): %s", concrete_indices, err)
    return None


def estimate(source: str, device: str = DEFAULT_DEVICE) -> Headroom | None:
    """The headroom of the problem in `source` on `device` (a name in DEVICE_ROOFLINES); None where the
    problem cannot be traced."""
    found = trace(source)
    return found.on(device) if found is not None else None


def clears_floors(source: str, *, min_eager_us: float, min_headroom: float, device: str) -> bool:
    """Whether the problem in `source` clears the sizing floors (`specs.min_eager_us`, `specs.min_headroom`)
    on `device`: always when both are 0, never when it cannot be estimated and a floor is set. The spec
    sampler and the workloads source draw by this one rule."""
    if not min_eager_us and not min_headroom:
        return True
    found = estimate(source, device)
    return found is not None and found.eager_us >= min_eager_us and found.speedup_bound >= min_headroom
