"""Reductions ("reduction"), softmax and log-softmax ("softmax") and scans ("scan").

A reduced, normalised or scanned dim is never of size 1 (a softmax over one element is the constant 1,
an argmax over one element the constant 0). Products and cumulative products draw factors near one and
keep rows short enough that the product neither overflows nor underflows.
"""

from __future__ import annotations

from generators.specs.problem import In, OpDef
from generators.specs.shapes import BATCH, CHANNELS, COLS, HIDDEN, RES, ROWS, SEQ, Dim

_ROWS = Dim("rows", tuple(sorted(set(ROWS) | set(BATCH))))
_COLS = Dim("cols", tuple(sorted(set(COLS) | set(HIDDEN))), min_size=2)
_SHORT_COLS = Dim("cols", (2, 3, 7, 16, 64, 100, 127, 128, 256, 512), min_size=2)
_B = Dim("batch", BATCH)
_S = Dim("seq", SEQ, min_size=2)
_H = Dim("hidden", HIDDEN)


def _row(name: str, family: str, expr: str, doc: str, out: str = "rows", domain: str = "normal",
         cols: Dim = _COLS, dtypes=None) -> OpDef:
    extra = {"dtypes": dtypes} if dtypes else {}
    return OpDef(name=name, family=family, doc=doc, dims=(_ROWS, cols),
                 inputs=(In("x", "rows cols", domain, transposable=True),), output=out, forward=expr, **extra)


def _3d(name: str, family: str, expr: str, doc: str, out: str) -> OpDef:
    return OpDef(name=name, family=family, doc=doc, dims=(_B, _S, _H),
                 inputs=(In("x", "batch seq hidden"),), output=out, forward=expr)


REDUCTIONS = [
    # The first five (with softmax and log_softmax below) are what the built-in teacher has templates for.
    _row("sum", "reduction", "torch.sum(x, dim=-1)", "the sum over the last dimension of a (rows, cols) tensor"),
    _row("mean", "reduction", "torch.mean(x, dim=-1)", "the mean over the last dimension of a (rows, cols) tensor"),
    _row("max", "reduction", "torch.amax(x, dim=-1)", "the maximum over the last dimension of a (rows, cols) tensor"),
    _row("min", "reduction", "torch.amin(x, dim=-1)", "the minimum over the last dimension"),
    _row("argmax", "reduction", "torch.argmax(x, dim=-1)", "the index of the maximum over the last dimension"),
    _row("argmin", "reduction", "torch.argmin(x, dim=-1)", "the index of the minimum over the last dimension"),
    _row("prod", "reduction", "torch.prod(x, dim=-1)", "the product over the last dimension of factors near one",
         domain="near_one", cols=_SHORT_COLS),
    _row("l2_norm", "reduction", "torch.linalg.vector_norm(x, ord=2, dim=-1)",
         "the Euclidean norm of each row"),
    _row("l1_norm", "reduction", "torch.sum(torch.abs(x), dim=-1)", "the L1 norm of each row"),
    _row("var", "reduction", "torch.var(x, dim=-1)", "the unbiased variance of each row"),
    _row("std", "reduction", "torch.std(x, dim=-1)", "the unbiased standard deviation of each row"),
    _row("logsumexp", "reduction", "torch.logsumexp(x, dim=-1)", "log(sum(exp(x))) over each row"),
    _3d("sum_dim1", "reduction", "torch.sum(x, dim=1)", "the sum over the sequence dimension (dim 1) of a "
        "(batch, seq, hidden) tensor", "batch hidden"),
    _3d("max_dim1", "reduction", "torch.amax(x, dim=1)", "the maximum over the sequence dimension (dim 1)",
        "batch hidden"),
    _row("mean_all", "reduction", "torch.mean(x)", "the mean of every element", out=""),
]

_C = Dim("channels", CHANNELS, min_size=2)
_HW = Dim("height", RES)
_WW = Dim("width", RES)

SOFTMAX = [
    _row("softmax", "softmax", "torch.softmax(x, dim=-1)", "softmax over the last dimension of a (rows, cols) tensor",
         out="rows cols"),
    _row("log_softmax", "softmax", "torch.log_softmax(x, dim=-1)",
         "log-softmax over the last dimension of a (rows, cols) tensor", out="rows cols"),
    OpDef(name="softmax_dim1", family="softmax", doc="softmax over the channels (dim 1) of an (N, C, H, W) tensor",
          dims=(_B, _C, _HW, _WW), inputs=(In("x", "batch channels height width"),),
          output="batch channels height width", forward="torch.softmax(x, dim=1)"),
    _row("softmax_temperature", "softmax", "torch.softmax(x / 0.7, dim=-1)",
         "softmax with temperature 0.7 over the last dimension", out="rows cols"),
    OpDef(name="masked_softmax", family="softmax", doc="softmax over the last dimension with masked-out positions "
          "set to -inf first", dims=(_ROWS, _COLS), inputs=(In("x", "rows cols"), In("mask", "rows cols", "mask")),
          output="rows cols", forward='torch.softmax(x.masked_fill(~mask, float("-inf")), dim=-1)'),
    _row("softmin", "softmax", "F.softmin(x, dim=-1)", "softmin, softmax of -x, over the last dimension",
         out="rows cols"),
    _3d("log_softmax_dim1", "softmax", "torch.log_softmax(x, dim=1)",
        "log-softmax over the sequence dimension (dim 1) of a (batch, seq, hidden) tensor", "batch seq hidden"),
]

SCANS = [
    _row("cumsum", "scan", "torch.cumsum(x, dim=-1)", "the cumulative sum along the last dimension",
         out="rows cols"),
    _row("cumprod", "scan", "torch.cumprod(x, dim=-1)", "the cumulative product along the last dimension of "
         "factors near one", out="rows cols", domain="near_one", cols=_SHORT_COLS),
    _row("cumsum_reverse", "scan", "torch.flip(torch.cumsum(torch.flip(x, dims=[-1]), dim=-1), dims=[-1])",
         "the reverse cumulative sum (suffix sums) along the last dimension", out="rows cols"),
    _row("cummax", "scan", "torch.cummax(x, dim=-1).values", "the running maximum along the last dimension",
         out="rows cols"),
    _row("logcumsumexp", "scan", "torch.logcumsumexp(x, dim=-1)",
         "the running log(sum(exp(x))) along the last dimension", out="rows cols"),
    _3d("cumsum_dim1", "scan", "torch.cumsum(x, dim=1)",
        "the cumulative sum over the sequence dimension (dim 1) of a (batch, seq, hidden) tensor", "batch seq hidden"),
]

OPS = REDUCTIONS + SOFTMAX + SCANS
