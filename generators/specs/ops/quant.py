"""Quantisation ("quant"): int8 and fp8 (e4m3) quantise and dequantise with symmetric scales per row
(per token) or per block of 128 columns along a row (DeepSeek-V3's 1 x 128 activation groups).

Quantise takes the absolute maximum of each row or block, divides it by the format's largest value (127,
448) for the scale, and rounds x / scale to the format (round half to even for int8, as torch.round; fp8
as torch's cast). It returns the quantised tensor; the scales are what any consumer recomputes from it
and are not a second output (each problem has one output). fp8 travels as its bytes (uint8): torch on CPU
cannot compare or test float8 tensors for finiteness, and the bytes are exactly what a kernel stores.
Dequantise takes the quantised tensor (int8, or fp8 bytes) and positive scales and returns
q * scale in the spec's dtype.

Quantised outputs are integers and compared exactly: a kernel must compute the scale and the division
exactly as IEEE float32 does (on NVIDIA GPUs Triton's `/` is an approximate division: use
`tl.math.div_rn`). fp8 exists on CPU since torch 2.1, which the project requires.
"""

from __future__ import annotations

from generators.specs.problem import In, OpDef
from generators.specs.shapes import BATCH, ROWS, SEQ, Dim

QUANT_BLOCK = 128
_ROWS = Dim("rows", tuple(sorted(set(ROWS) | set(BATCH) | set(SEQ))))
_COL_BLOCKS = Dim("col_blocks", (1, 2, 4, 8, 16, 32, 56, 64, 128), edge=False)  # 128 to 16384 columns
_FORMATS = {"int8": ("127.0", "torch.round(scaled).clamp(-127, 127).to(torch.int8)"),
            "fp8": ("448.0", "scaled.clamp(-448, 448).to(torch.float8_e4m3fn).view(torch.uint8)")}
_QDOMAIN = {"int8": "int8", "fp8": "fp8_e4m3_bits"}
_QVALUE = {"int8": "q.float()", "fp8": "q.view(torch.float8_e4m3fn).float()"}


def _view(granularity: str, tensor: str) -> str:
    """The tensor seen as (rows, groups, group size): one group per row, or one per block of columns."""
    return f"{tensor}.view({tensor}.shape[0], -1, {QUANT_BLOCK if granularity == 'block' else tensor + '.shape[1]'})"


def _scales_shape(granularity: str) -> str:
    return "rows col_blocks" if granularity == "block" else "rows 1"


def _quantise(fmt: str, granularity: str) -> OpDef:
    top, cast = _FORMATS[fmt]
    per = f"block of {QUANT_BLOCK} columns" if granularity == "block" else "row"
    return OpDef(name=f"quantize_{fmt}_{granularity}", family="quant",
                 doc=f"symmetric {fmt} quantisation of a ({{rows}}, {{cols}}) tensor with one scale per {per} "
                     f"(absolute maximum / {top}), returning the {'fp8 values as their bytes' if fmt == 'fp8' else 'int8 values'}",
                 dims=(_ROWS, _COL_BLOCKS), derive=lambda d: {"cols": QUANT_BLOCK * d["col_blocks"]},
                 inputs=(In("x", "rows cols"),), output="rows cols",
                 forward=f"groups = {_view(granularity, 'x.float()')}\n"
                         f"scale = groups.abs().amax(dim=-1, keepdim=True).clamp(min=1e-12) / {top}\n"
                         "scaled = groups / scale\n"
                         f"return {cast}.view(x.shape)")


def _dequantise(fmt: str, granularity: str) -> OpDef:
    per = f"block of {QUANT_BLOCK} columns" if granularity == "block" else "row"
    what = "fp8 e4m3 values (given as their bytes)" if fmt == "fp8" else "int8 values"
    return OpDef(name=f"dequantize_{fmt}_{granularity}", family="quant",
                 doc=f"dequantisation of ({{rows}}, {{cols}}) {what} with one positive scale per {per}",
                 dims=(_ROWS, _COL_BLOCKS), derive=lambda d: {"cols": QUANT_BLOCK * d["col_blocks"]},
                 inputs=(In("q", "rows cols", _QDOMAIN[fmt]), In("scale", _scales_shape(granularity), "positive")),
                 output="rows cols",
                 forward=f"groups = {_view(granularity, _QVALUE[fmt])}\n"
                         "return (groups * scale.float().unsqueeze(-1)).view(q.shape).to(scale.dtype)"
                 if granularity == "block" else
                 f"return ({_QVALUE[fmt]} * scale.float()).to(scale.dtype)")


OPS = [f(fmt, gran) for f in (_quantise, _dequantise) for fmt in ("int8", "fp8") for gran in ("row", "block")]
