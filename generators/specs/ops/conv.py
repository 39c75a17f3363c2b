"""Convolutions ("conv": 1d/2d/3d, depthwise, dilated, strided, transposed) and pooling ("pooling").

Spatial sizes are drawn no smaller than the kernel's reach, so every output has at least one element;
output sizes are derived with PyTorch's formulas. Weights come from the modules' own initialisation under
the seed the verifier sets before building `Model` and `ModelNew` (KernelBench's convention).
"""

from __future__ import annotations

from generators.specs.problem import FLOAT_DTYPES, In, OpDef
from generators.specs.shapes import BATCH, CHANNELS, KERNEL, RES, RES_3D, Dim

_B = Dim("batch", BATCH)
_CIN = Dim("in_channels", CHANNELS)
_COUT = Dim("out_channels", CHANNELS)
_K = Dim("kernel", KERNEL, edge=False)
_STRIDE = Dim("stride", (1, 2), edge=False)
_LENGTHS = (16, 31, 64, 100, 128, 256, 512, 1000, 1024, 4096)


def _spatial(name: str, pool=RES, reach: int = 1) -> Dim:
    """A spatial size at least as large as the kernel's reach (dilation * (kernel - 1) + 1)."""
    return Dim(name, lambda d, pool=pool: [v for v in pool if v >= reach * (d["kernel"] - 1) + 1] or [max(pool)])


def _out(size: int, k: int, stride: int = 1, pad: int = 0, dilation: int = 1) -> int:
    return (size + 2 * pad - dilation * (k - 1) - 1) // stride + 1


def _conv(name: str, nd: int, doc: str, *, dilation: int = 1, depthwise: bool = False, transposed: bool = False,
          pool=RES) -> OpDef:
    spatial = ["length"] if nd == 1 else ["depth", "height", "width"][-nd:]
    dims = [_B, _CIN] + ([] if depthwise else [_COUT]) + [_K, _STRIDE]
    dims += [_spatial(s, pool, dilation) for s in spatial]

    def derive(d):
        out = {f"out_{s}": (((d[s] - 1) * d["stride"] + d["kernel"]) if transposed
                            else _out(d[s], d["kernel"], d["stride"], d["kernel"] // 2 * dilation, dilation))
               for s in spatial}
        if depthwise:
            out["out_channels"] = d["in_channels"]
        return out

    module = f"nn.ConvTranspose{nd}d" if transposed else f"nn.Conv{nd}d"
    extra = ", stride=stride" if transposed else f", stride=stride, padding=kernel // 2 * {dilation}"
    if dilation > 1:
        extra += f", dilation={dilation}"
    if depthwise:
        extra += ", groups=in_channels"
    init_args = ("in_channels",) + (() if depthwise else ("out_channels",)) + ("kernel", "stride")
    out_ch = "in_channels" if depthwise else "out_channels"
    weight = f"{out_ch} {1 if depthwise else 'in_channels'}" + " kernel" * nd
    return OpDef(
        name=name, family="conv", doc=doc, dims=tuple(dims), derive=derive,
        inputs=(In("x", " ".join(["batch", "in_channels", *spatial])),),
        output=" ".join(["batch", "out_channels", *(f"out_{s}" for s in spatial)]),
        forward="self.conv(x)", init_args=init_args,
        init=f"self.conv = {module}({'in_channels, ' + out_ch}, kernel{extra}, dtype=DTYPE)",
        params=(weight, out_ch))


CONV = [
    _conv("conv1d", 1, "a 1-D convolution over (N, C, L) sequences, 'same'-style padding", pool=_LENGTHS),
    _conv("conv2d", 2, "a 2-D convolution over (N, C, H, W) images, 'same'-style padding"),
    _conv("conv3d", 3, "a 3-D convolution over (N, C, D, H, W) volumes", pool=RES_3D),
    _conv("conv2d_depthwise", 2, "a depthwise 2-D convolution (one filter per channel)", depthwise=True),
    _conv("conv2d_dilated", 2, "a 2-D convolution with dilation 2", dilation=2),
    _conv("conv_transpose1d", 1, "a 1-D transposed convolution (upsampling)", transposed=True, pool=_LENGTHS),
    _conv("conv_transpose2d", 2, "a 2-D transposed convolution (upsampling)", transposed=True),
]

_PK = Dim("kernel", (2, 3), edge=False)
_C = Dim("channels", CHANNELS)


def _pool(name: str, nd: int, expr: str, doc: str, *, pool=RES, dtypes=FLOAT_DTYPES, adaptive: int = 0) -> OpDef:
    spatial = ["length"] if nd == 1 else ["depth", "height", "width"][-nd:]
    dims = [_B, _C] + ([] if adaptive else [_PK]) + [
        (_spatial(s, pool) if not adaptive else Dim(s, [v for v in pool if v >= adaptive])) for s in spatial]

    def derive(d):
        return {f"out_{s}": adaptive or d[s] // d["kernel"] for s in spatial}

    return OpDef(name=name, family="pooling", doc=doc, dims=tuple(dims), derive=derive,
                 inputs=(In("x", " ".join(["batch", "channels", *spatial])),),
                 output=" ".join(["batch", "channels", *(f"out_{s}" for s in spatial)]), forward=expr,
                 dtypes=dtypes)


POOLING = [
    _pool("max_pool1d", 1, "F.max_pool1d(x, kernel_size={kernel})", "max pooling over windows of {kernel} along "
          "the length of (N, C, L) sequences", pool=_LENGTHS),
    _pool("max_pool2d", 2, "F.max_pool2d(x, kernel_size={kernel})", "{kernel}x{kernel} max pooling of (N, C, H, W) "
          "images"),
    _pool("avg_pool2d", 2, "F.avg_pool2d(x, kernel_size={kernel})", "{kernel}x{kernel} average pooling of "
          "(N, C, H, W) images"),
    _pool("max_pool3d", 3, "F.max_pool3d(x, kernel_size={kernel})", "max pooling of (N, C, D, H, W) volumes",
          pool=RES_3D),
    # PyTorch's CPU avg_pool3d has no float16/bfloat16 kernel: float32 only.
    _pool("avg_pool3d", 3, "F.avg_pool3d(x, kernel_size={kernel})", "average pooling of (N, C, D, H, W) volumes",
          pool=RES_3D, dtypes=("float32",)),
    _pool("global_avg_pool2d", 2, "F.adaptive_avg_pool2d(x, 1)", "global average pooling of (N, C, H, W) images "
          "to (N, C, 1, 1)", adaptive=1),
]

OPS = CONV + POOLING
