"""Elementwise families: unary activations and math functions ("elementwise"), and binary ops with
broadcasting ("binary").

Unary ops take one (rows, cols) tensor, rows being tokens or batch and cols a hidden width, long rows
included; that is also the layout the built-in teacher's elementwise templates take. Ops with a restricted
domain (log, sqrt, rsqrt, reciprocal, log1p, a divisor, a power's base) draw from it.
"""

from __future__ import annotations

from generators.specs.problem import In, OpDef
from generators.specs.shapes import BATCH, CHANNELS, COLS, FFN, HIDDEN, RES, ROWS, Dim

_ROWS = Dim("rows", tuple(sorted(set(ROWS) | set(BATCH))))
_COLS = Dim("cols", tuple(sorted(set(COLS) | set(HIDDEN) | set(FFN))))


def _unary(name: str, expr: str, doc: str, domain: str = "normal") -> OpDef:
    return OpDef(name=name, family="elementwise", doc=f"{doc}, applied elementwise", dims=(_ROWS, _COLS),
                 inputs=(In("x", "rows cols", domain, transposable=True),), output="rows cols", forward=expr)


UNARY = [
    # The first six keep the wording the built-in teacher quotes in its prose.
    _unary("relu", "torch.relu(x)", "ReLU"),
    _unary("gelu", "F.gelu(x)", "GELU (exact, erf-based)"),
    _unary("silu", "F.silu(x)", "SiLU (x * sigmoid(x))"),
    _unary("sigmoid", "torch.sigmoid(x)", "the logistic sigmoid"),
    _unary("tanh", "torch.tanh(x)", "tanh"),
    _unary("leaky_relu", "F.leaky_relu(x, negative_slope=0.01)", "leaky ReLU with slope 0.01"),
    _unary("gelu_tanh", 'F.gelu(x, approximate="tanh")', "GELU (tanh approximation)"),
    _unary("elu", "F.elu(x, alpha=1.0)", "ELU with alpha 1"),
    _unary("selu", "F.selu(x)", "SELU"),
    _unary("softplus", "F.softplus(x)", "softplus, log(1 + exp(x))"),
    _unary("mish", "F.mish(x)", "Mish, x * tanh(softplus(x))"),
    _unary("hardswish", "F.hardswish(x)", "hard swish"),
    _unary("hardsigmoid", "F.hardsigmoid(x)", "hard sigmoid"),
    _unary("relu6", "F.relu6(x)", "ReLU6, min(max(x, 0), 6)"),
    _unary("hardtanh", "F.hardtanh(x, min_val=-1.0, max_val=1.0)", "hard tanh, x clamped to [-1, 1]"),
    _unary("softsign", "F.softsign(x)", "softsign, x / (1 + |x|)"),
    _unary("exp", "torch.exp(x)", "exp"),
    _unary("log", "torch.log(x)", "the natural logarithm of a positive input", "positive"),
    _unary("sqrt", "torch.sqrt(x)", "the square root of a positive input", "positive"),
    _unary("rsqrt", "torch.rsqrt(x)", "the reciprocal square root of a positive input", "positive"),
    _unary("reciprocal", "torch.reciprocal(x)", "1 / x for a positive input", "positive"),
    _unary("log1p", "torch.log1p(x)", "log(1 + x) for a non-negative input", "nonnegative"),
    _unary("abs", "torch.abs(x)", "the absolute value"),
    _unary("square", "x * x", "the square"),
    _unary("sin", "torch.sin(x)", "sine"),
    _unary("cos", "torch.cos(x)", "cosine"),
    _unary("erf", "torch.erf(x)", "the error function"),
]


def _binary(name: str, expr: str, doc: str, shapes: tuple[str, ...], out: str, domains: tuple[str, ...] = (),
            dims=(_ROWS, _COLS)) -> OpDef:
    names = "xyz"
    domains = domains or ("normal",) * len(shapes)
    return OpDef(name=name, family="binary", doc=doc, dims=dims,
                 inputs=tuple(In(names[i], shape, domains[i]) for i, shape in enumerate(shapes)),
                 output=out, forward=expr)


_SAME = ("rows cols", "rows cols")
_N = Dim("batch", BATCH)
_C = Dim("channels", CHANNELS)
_H = Dim("height", RES)
_W = Dim("width", RES)

BINARY = [
    _binary("add", "x + y", "the sum x + y of two (rows, cols) tensors", _SAME, "rows cols"),
    _binary("sub", "x - y", "the difference x - y of two (rows, cols) tensors", _SAME, "rows cols"),
    _binary("mul", "x * y", "the elementwise product x * y", _SAME, "rows cols"),
    _binary("div", "x / y", "the quotient x / y with a positive divisor", _SAME, "rows cols", ("normal", "positive")),
    _binary("maximum", "torch.maximum(x, y)", "the elementwise maximum of x and y", _SAME, "rows cols"),
    _binary("minimum", "torch.minimum(x, y)", "the elementwise minimum of x and y", _SAME, "rows cols"),
    _binary("pow", "torch.pow(x, y)", "x ** y for a positive base and an exponent in (0, 1)", _SAME, "rows cols",
            ("positive", "unit_interval")),
    _binary("add_bias", "x + y", "x + b, a (cols,) bias broadcast over the rows of x",
            ("rows cols", "cols"), "rows cols"),
    _binary("add_outer", "x + y", "the outer sum of a (rows, 1) column and a (1, cols) row, broadcast to "
            "(rows, cols)", ("rows 1", "1 cols"), "rows cols"),
    _binary("mul_channel_scale", "x * y", "x * s, a per-channel scale of shape (channels, 1, 1) broadcast over "
            "an (N, C, H, W) image batch", ("batch channels height width", "channels 1 1"),
            "batch channels height width", dims=(_N, _C, _H, _W)),
    _binary("where", "torch.where(z, x, y)", "where(mask, x, y): x where the mask holds, else y",
            ("rows cols", "rows cols", "rows cols"), "rows cols", ("normal", "normal", "mask")),
    _binary("addcmul", "torch.addcmul(x, y, z, value=0.5)", "x + 0.5 * y * z",
            ("rows cols", "rows cols", "rows cols"), "rows cols"),
    _binary("lerp", "torch.lerp(x, y, 0.3)", "the linear interpolation x + 0.3 * (y - x)", _SAME, "rows cols"),
]

OPS = UNARY + BINARY
