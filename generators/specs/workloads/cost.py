"""A small roofline estimate of one ATen call's time on a device: launch overhead plus the larger of its bytes
over memory bandwidth and its FLOPs over the peak of the unit that runs it (tensor cores for GEMMs and
attention, vector units for the rest).

It ranks a model's calls by where the time goes (the share each record carries, which sampling weights
follow); it is not a timing. Limits: it assumes every input is read and every output written once from
memory (no cache reuse, no fusion), dense peaks from the vendors' datasheets, and a fixed launch cost, so it
overstates small calls and understates kernels that are slower than their roofline (most of them). The
function `estimate_time_us` is the one place the pipeline asks; a better model (a sizing helper with its
own profiles) replaces it by name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kerneldata.core.profiles import get_profile

DTYPE_BYTES = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int64": 8, "int32": 4, "int16": 2,
               "int8": 1, "uint8": 1, "bool": 1, "float8_e4m3fn": 1, "float8_e5m2": 1, "complex64": 8}
# ATen ops whose work is matrix products (FLOPs from `call_flops`), run on tensor cores at low precision.
MATMUL_OPS = frozenset({"aten.mm.default", "aten.addmm.default", "aten.bmm.default", "aten.baddbmm.default",
                        "aten._grouped_mm.default", "aten.convolution.default", "aten.scaled_dot_product_attention",
                        "aten._scaled_mm.default", "aten.addbmm.default"})


@dataclass(frozen=True)
class Roofline:
    """What the estimate needs of a device. FLOP rates are dense (no sparsity), per second."""

    name: str
    memory_bandwidth_bytes_per_s: float
    matmul_flops_per_s: float  # fp16/bf16 tensor cores
    matmul_fp32_flops_per_s: float  # fp32 GEMMs as PyTorch runs them by default (no TF32)
    vector_flops_per_s: float  # fp32 non-tensor
    launch_us: float  # one kernel launch and its tail, as eager PyTorch pays it


# Peaks from NVIDIA's H100/H200 SXM and AMD's MI300X datasheets (dense); bandwidth from the hardware profiles.
ROOFLINES: dict[str, Roofline] = {
    "h100": Roofline("H100", get_profile("H100").memory_bandwidth_bytes_per_s, 989e12, 67e12, 67e12, 4.0),
    "h200": Roofline("H200", get_profile("H200").memory_bandwidth_bytes_per_s, 989e12, 67e12, 67e12, 4.0),
    "mi300x": Roofline("MI300X", get_profile("MI300X").memory_bandwidth_bytes_per_s, 1307e12, 163e12, 163e12, 5.0),
}
DEFAULT_DEVICE = "h200"


def get_roofline(name: str) -> Roofline:
    try:
        return ROOFLINES[name.lower()]
    except KeyError:
        raise ValueError(f"unknown device profile {name!r} for workload estimates; known: "
                         f"{', '.join(r.name for r in ROOFLINES.values())}") from None


def tensor_bytes(meta: dict) -> int:
    return math.prod(meta["shape"]) * DTYPE_BYTES.get(meta["dtype"], 4)


def call_flops(op: str, inputs: list[dict], outputs: list[dict], args: list) -> float:
    """Floating-point operations of one call: 2*M*N*K for products, 4*B*H*Sq*Skv*D for attention (halved when
    causal), one per output element otherwise (an input element for reductions)."""
    shapes = [t["shape"] for t in inputs]
    if op in ("aten.mm.default", "aten.addmm.default") and len(shapes) >= 2:
        a, b = shapes[-2], shapes[-1]
        return 2.0 * a[0] * a[1] * b[1]
    if op in ("aten.bmm.default", "aten.baddbmm.default") and len(shapes) >= 2:
        a, b = shapes[-2], shapes[-1]
        return 2.0 * a[0] * a[1] * a[2] * b[2]
    if op == "aten._grouped_mm.default" and len(shapes) >= 2:
        a, b = shapes[0], shapes[1]  # (tokens, K) x (experts, K, N): each token row meets one expert
        return 2.0 * a[0] * a[-1] * b[-1]
    if op == "aten.scaled_dot_product_attention" and len(shapes) >= 3:
        q, k = shapes[0], shapes[1]
        causal = 0.5 if (len(args) > 5 and args[5] is True and q[-2] > 1) else 1.0
        return 4.0 * math.prod(q[:-1]) * k[-2] * q[-1] * causal
    if op == "aten.convolution.default" and len(shapes) >= 2 and outputs:
        weight = shapes[1]
        return 2.0 * math.prod(outputs[0]["shape"]) * math.prod(weight[1:])
    numel = [math.prod(t["shape"]) for t in (*inputs, *outputs)]
    return float(max(numel, default=0))


def estimate_time_us(op: str, inputs: list[dict], outputs: list[dict], args: list, kind: str,
                     roofline: Roofline) -> float:
    """Estimated eager time of one call in microseconds; 0 for views and metadata (no kernel runs)."""
    if kind in ("view", "metadata"):
        return 0.0
    moved = sum(tensor_bytes(t) for t in inputs) + sum(tensor_bytes(t) for t in outputs)
    flops = call_flops(op, inputs, outputs, args)
    if op in MATMUL_OPS:
        fp32 = any(t["dtype"] == "float32" for t in inputs)
        peak = roofline.matmul_fp32_flops_per_s if fp32 else roofline.matmul_flops_per_s
    else:
        peak = roofline.vector_flops_per_s
    seconds = max(moved / roofline.memory_bandwidth_bytes_per_s, flops / peak)
    return roofline.launch_us + seconds * 1e6
