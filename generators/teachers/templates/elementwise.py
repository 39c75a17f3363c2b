"""Elementwise templates: every unary op of the registry ("elementwise") and the binary and ternary ops with
their broadcasting ("binary"): a bias over the rows, an outer sum, a per-channel scale of an image batch,
`where` with a boolean mask.

Each op is an fp32 expression of its loaded inputs (named as in the reference's `forward`) assigning `out`;
several equivalent expressions per op, any of them exact to fp32 rounding. Structures, after the Triton
tutorial 01: one masked block per program over the flattened output (broadcast inputs indexed by
`offsets % n_cols` and the like), a fixed grid sweeping the output, 2-D tiles that read every input through
its strides (a transposed view or a stride-0 broadcast without a copy), and, for the channel scale, one
program row per (n, c) plane that loads its scale once.
"""

from __future__ import annotations

import random

from generators.specs import OPS
from generators.teachers.templates.base import (
    Decline, Draft, Group, Variant, fill, launch_warps, model_new, module,
)
from generators.teachers.templates.reference import registry_dims, transposed_inputs

FLAWS: dict[str, tuple[str, float]] = {
    # erf-GELU replaced by the tanh approximation: off by up to 5e-4, past fp32's 1e-4 (inside fp16's 1e-2,
    # so offered for fp32 specs only).
    "tanh_gelu": ("GELU computed with the tanh approximation instead of erf", 0.6),
    # grid = numel // BLOCK_SIZE: the last partial block gets no program and the output tail stays garbage.
    # (or, in a grid-stride loop, the loop bound stops at the last whole block)
    "floor_div_grid": ("the grid or loop bound rounds down, so the last partial block is never written", 0.15),
    # log(1 + exp(x)) overflows to inf for x > 88; the verifier's inputs scaled by 64 reach that.
    "naive_softplus": ("softplus as log(1 + exp(x)), which overflows to inf for large inputs", 0.4),
    # A transposed input read through a flat pointer: values land in the wrong places.
    "ignores_strides": ("a non-contiguous (transposed) input is indexed as if it were contiguous", 0.4),
    # bias[row] instead of bias[col]: every row gets one constant instead of the bias vector.
    "bias_by_row": ("the bias is indexed by row instead of by column", 0.3),
}

# softplus(x) = max(x, 0) + log1p(exp(-|x|)): exp never overflows, and log1p is Goldberg's correction of
# log(u), u = 1 + z, so small z (large |x|, where Mish and softplus are tiny) keep their relative precision.
_SOFTPLUS = ("z = tl.exp(-tl.abs(x))\n"
             "u = 1.0 + z\n"
             "softplus = tl.maximum(x, 0.0) + tl.where(u == 1.0, z, tl.log(u) * (z / (u - 1.0)))\n")
# tanh(s) for a small s >= 0 by its series (error below 1e-9 relative for s < 0.05): the closed forms
# subtract from 1 and lose s's digits there, which is where Mish of a negative x lives.
_TANH_SMALL = ("# tanh(s) ~ s - s^3/3 + 2s^5/15 for small s, where 1 - exp(-2s) would cancel.\n"
               "s2 = softplus * softplus\n"
               "tanh_small = softplus * (1.0 - s2 * (0.3333333333333333 - s2 * 0.13333333333333333))\n")

# Op -> equivalent fp32 bodies computing `out` from the loaded inputs.
BODIES: dict[str, list[str]] = {
    "relu": ["out = tl.maximum(x, 0.0)", "out = tl.where(x > 0, x, 0.0)"],
    "gelu": [
        "# Exact GELU: x * Phi(x), with the standard normal CDF Phi written through erf.\n"
        "out = 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476))",
        "# GELU(x) = x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2))).\n"
        "inv_sqrt2 = 0.7071067811865476\n"
        "out = x * 0.5 * (1.0 + tl.math.erf(x * inv_sqrt2))",
    ],
    "silu": [
        "out = x * tl.sigmoid(x)",
        "# SiLU(x) = x / (1 + exp(-x)); exp(-x) = inf for very negative x gives the right 0.\n"
        "out = x / (1.0 + tl.exp(-x))",
    ],
    "sigmoid": [
        "out = tl.sigmoid(x)",
        "# exp(-x) overflows to inf for very negative x, and 1 / inf = 0 is the right limit.\n"
        "out = 1.0 / (1.0 + tl.exp(-x))",
    ],
    "tanh": [
        "# tanh(x) = sign(x) * (1 - exp(-2|x|)) / (1 + exp(-2|x|)); exp(-2|x|) <= 1 never overflows.\n"
        "t = tl.exp(-2.0 * tl.abs(x))\n"
        "out = (1.0 - t) / (1.0 + t)\n"
        "out = tl.where(x < 0, -out, out)",
        "# tanh(x) = 2 * sigmoid(2x) - 1.\n"
        "out = 2.0 * tl.sigmoid(2.0 * x) - 1.0",
    ],
    "leaky_relu": [
        "# negative_slope = 0.01, as in the reference.\n"
        "out = tl.where(x > 0, x, 0.01 * x)",
        "out = tl.where(x >= 0, x, x * 0.01)  # negative_slope = 0.01",
    ],
    "gelu_tanh": [
        "# GELU's tanh approximation: 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))),\n"
        "# with tanh(u) = 2 * sigmoid(2u) - 1.\n"
        "inner = 0.7978845608028654 * (x + 0.044715 * x * x * x)\n"
        "out = 0.5 * x * (1.0 + (2.0 * tl.sigmoid(2.0 * inner) - 1.0))",
        "# 0.5 * (1 + tanh(u)) = sigmoid(2u), so the tanh approximation is x * sigmoid(2u).\n"
        "inner = 0.7978845608028654 * (x + 0.044715 * x * x * x)\n"
        "out = x * tl.sigmoid(2.0 * inner)",
    ],
    "elu": [
        "# ELU with alpha = 1: x for x > 0, exp(x) - 1 otherwise.\n"
        "out = tl.where(x > 0, x, tl.exp(x) - 1.0)",
        "out = tl.where(x > 0, x, 1.0 * (tl.exp(tl.minimum(x, 0.0)) - 1.0))  # alpha = 1",
    ],
    "selu": [
        "# SELU: scale * (x for x > 0, alpha * (exp(x) - 1) otherwise), PyTorch's constants.\n"
        "alpha = 1.6732632423543772\n"
        "scale = 1.0507009873554805\n"
        "out = scale * tl.where(x > 0, x, alpha * (tl.exp(x) - 1.0))",
        "negative = 1.6732632423543772 * (tl.exp(tl.minimum(x, 0.0)) - 1.0)  # alpha * (exp(x) - 1)\n"
        "out = 1.0507009873554805 * tl.where(x > 0, x, negative)  # times SELU's scale",
    ],
    "softplus": [
        "# softplus(x) = log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)): exp never overflows.\n"
        + _SOFTPLUS + "out = softplus",
        "# As PyTorch: x itself above the threshold 20, where log(1 + exp(x)) equals x in fp32, so exp(x)\n"
        "# is only taken where it cannot overflow; log1p(e) through Goldberg's correction of log(1 + e).\n"
        "e = tl.exp(tl.minimum(x, 20.0))\n"
        "u = 1.0 + e\n"
        "out = tl.where(x > 20.0, x, tl.where(u == 1.0, e, tl.log(u) * (e / (u - 1.0))))",
    ],
    "mish": [
        "# Mish: x * tanh(softplus(x)); softplus >= 0, so tanh(s) = (1 - exp(-2s)) / (1 + exp(-2s)).\n"
        + _SOFTPLUS + _TANH_SMALL +
        "t = tl.exp(-2.0 * softplus)\n"
        "out = x * tl.where(softplus < 0.05, tanh_small, (1.0 - t) / (1.0 + t))",
        "# tanh(s) = 2 * sigmoid(2s) - 1, with the overflow-free softplus.\n"
        + _SOFTPLUS + _TANH_SMALL +
        "out = x * tl.where(softplus < 0.05, tanh_small, 2.0 * tl.sigmoid(2.0 * softplus) - 1.0)",
    ],
    "hardswish": [
        "out = x * tl.minimum(tl.maximum(x + 3.0, 0.0), 6.0) / 6.0  # x * relu6(x + 3) / 6",
        "gate = tl.minimum(tl.maximum(x + 3.0, 0.0), 6.0)\n"
        "out = tl.where(x <= -3.0, 0.0, tl.where(x >= 3.0, x, x * gate / 6.0))",
    ],
    "hardsigmoid": [
        "out = tl.minimum(tl.maximum(x + 3.0, 0.0), 6.0) / 6.0  # relu6(x + 3) / 6",
        "out = tl.where(x <= -3.0, 0.0, tl.where(x >= 3.0, 1.0, (x + 3.0) / 6.0))",
    ],
    "relu6": ["out = tl.minimum(tl.maximum(x, 0.0), 6.0)", "out = tl.where(x < 0, 0.0, tl.where(x > 6.0, 6.0, x))"],
    "hardtanh": ["out = tl.minimum(tl.maximum(x, -1.0), 1.0)", "out = tl.where(x < -1.0, -1.0, tl.where(x > 1.0, 1.0, x))"],
    "softsign": ["out = x / (1.0 + tl.abs(x))"],
    "exp": ["out = tl.exp(x)", "# exp(x) = 2^(x * log2(e)).\nout = tl.exp2(x * 1.4426950408889634)"],
    "log": ["out = tl.log(x)", "# log(x) = log2(x) * ln(2).\nout = tl.log2(x) * 0.6931471805599453"],
    "sqrt": ["out = tl.sqrt(x)"],
    "rsqrt": ["out = tl.rsqrt(x)", "out = 1.0 / tl.sqrt(x)"],
    "reciprocal": ["out = 1.0 / x"],
    "log1p": ["# log(1 + x) alone loses the low bits of a small x when 1 + x rounds; Goldberg's correction\n"
              "# log(u) * x / (u - 1), with u = 1 + x, restores them (x itself where u rounds to 1).\n"
              "u = 1.0 + x\n"
              "out = tl.where(u == 1.0, x, tl.log(u) * (x / (u - 1.0)))"],
    "abs": ["out = tl.abs(x)", "out = tl.where(x < 0, -x, x)"],
    "square": ["out = x * x"],
    "sin": ["out = tl.sin(x)"],
    "cos": ["out = tl.cos(x)"],
    "erf": ["out = tl.math.erf(x)"],
    "add": ["out = x + y"],
    "sub": ["out = x - y"],
    "mul": ["out = x * y"],
    "div": ["out = x / y"],
    "maximum": ["out = tl.maximum(x, y)", "out = tl.where(x >= y, x, y)"],
    "minimum": ["out = tl.minimum(x, y)", "out = tl.where(x <= y, x, y)"],
    "pow": ["# x > 0, so x ** y = exp(y * log(x)).\nout = tl.exp(y * tl.log(x))",
            "# x > 0, so x ** y = 2^(y * log2(x)).\nout = tl.exp2(y * tl.log2(x))"],
    "add_bias": ["out = x + y"],
    "add_outer": ["out = x + y"],
    "mul_channel_scale": ["out = x * y"],
    "where": ["out = tl.where(z, x, y)  # z is the boolean mask"],
    "addcmul": ["out = x + 0.5 * y * z  # addcmul with value = 0.5"],
    "lerp": ["out = x + 0.3 * (y - x)  # lerp with weight 0.3 < 0.5, as PyTorch computes it"],
}
_FLAWED_BODIES = {
    "tanh_gelu": (
        "# GELU through its tanh approximation, cheaper than erf:\n"
        "# 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))), with tanh(u) = 2 * sigmoid(2u) - 1.\n"
        "inner = 0.7978845608028654 * (x + 0.044715 * x * x * x)\n"
        "out = 0.5 * x * (1.0 + (2.0 * tl.sigmoid(2.0 * inner) - 1.0))"),
    "naive_softplus": "out = tl.log(1.0 + tl.exp(x))  # softplus(x) = log(1 + exp(x))",
}
OP_NAMES = tuple(BODIES)
_LAUNCHER = {"where": "where_select", "abs": "absolute", "pow": "power", "exp": "exponential", "log": "logarithm",
             "max": "maximum"}
_FLAT_BLOCKS = (256, 512, 1024, 2048, 4096)
_FLOOR_DIV_MIN_TAIL = 16


def _inputs(op: str) -> list[str]:
    return [inp.name for inp in OPS[op].inputs]


def _mask_inputs(op: str) -> set[str]:
    return {inp.name for inp in OPS[op].inputs if inp.domain == "mask"}


def check(spec_row: dict) -> None:
    op = spec_row["ops"][0]
    registry_dims(spec_row, op)
    _shape_plan(spec_row)  # raises Decline for a broadcast the templates do not handle


# ---------------------------------------------------------------------------------------------- shapes

def _shape_plan(spec_row: dict) -> dict:
    """How each input maps onto the output: `out_dims` (the expression of each output dim in terms of the
    inputs' shapes), per input the flat-index expression and the size arguments it needs."""
    shapes = [tuple(s) for s in spec_row["shapes"]]
    names = _inputs(spec_row["ops"][0])
    rank = max(len(s) for s in shapes)
    out = [max(s[len(s) - rank + d] if len(s) - rank + d >= 0 else 1 for s in shapes) for d in range(rank)]
    out_dims = []
    for d in range(rank):
        holder = next(i for i, s in enumerate(shapes) if len(s) - rank + d >= 0 and s[len(s) - rank + d] == out[d])
        out_dims.append(f"{names[holder]}.shape[{d - rank + len(shapes[holder])}]")
    plan = {"rank": rank, "out": out, "out_dims": out_dims, "index": {}, "args": [], "expected": {}}
    for name, shape in zip(names, shapes):
        aligned = (1,) * (rank - len(shape)) + shape
        full = [a == o for a, o in zip(aligned, out)]
        plan["expected"][name] = "(" + ", ".join(
            out_dims[rank - len(shape) + i] if full[rank - len(shape) + i] else "1" for i in range(len(shape))) + \
            ("," if len(shape) == 1 else "") + ")"
        if aligned == tuple(out):
            plan["index"][name] = "offsets"
        elif rank == 2 and aligned == (1, out[1]):
            plan["index"][name] = "offsets % n_cols"
        elif rank == 2 and aligned == (out[0], 1):
            plan["index"][name] = "offsets // n_cols"
        elif rank == 4 and aligned == (1, out[1], 1, 1):
            plan["index"][name] = "(offsets // plane_size) % n_channels"
        else:
            raise Decline(f"the elementwise templates do not broadcast an input of shape {list(shape)} to "
                          f"{out}")
    uses = " ".join(plan["index"].values())
    plan["args"] = [a for a in ("n_cols", "plane_size", "n_channels") if a in uses]
    return plan


_ARG_VALUES = {"n_cols": "out.shape[1]", "plane_size": "out.shape[2] * out.shape[3]", "n_channels": "out.shape[1]"}
_ARG_DOCS = {"n_cols": "columns of the (rows, cols) output", "plane_size": "H * W of one (n, c) plane",
             "n_channels": "channels C of the (N, C, H, W) output"}


# ---------------------------------------------------------------------------------------------- kernels

def _loads(spec_row: dict, plan: dict, *, flat_index: bool, ignore_strides: bool = False,
           bias_by_row: bool = False) -> str:
    op = spec_row["ops"][0]
    lines = []
    for name in _inputs(op):
        index = plan["index"][name]
        if bias_by_row and index == "offsets % n_cols":
            index = "offsets // n_cols"
        if flat_index:
            where = f"{name}_ptr + {index}"
            mask = "mask"
        elif bias_by_row and index == "offsets // n_cols":
            where = f"{name}_ptr + rows[:, None] * stride_{name}_col + cols[None, :] * stride_{name}_row"
            mask = "mask"
        else:
            where = f"{name}_ptr + rows[:, None] * stride_{name}_row + cols[None, :] * stride_{name}_col"
            mask = "mask"
        if index != "offsets" and flat_index:
            lines.append(f"# {name} is broadcast: element i of the output reads {name}[{index.replace('offsets', 'i')}].")
        if name in _mask_inputs(op):
            lines.append(f"{name} = tl.load({where}, mask={mask}, other=0) != 0")
        else:
            lines.append(f"{name} = tl.load({where}, mask={mask}).to(tl.float32)")
    if ignore_strides:
        lines.insert(0, "# Every tensor here is (rows, cols) row-major, so element i sits at offset i.")
    return "\n".join(lines)


def _pointer_args(op: str) -> str:
    return ", ".join(f"{name}_ptr" for name in _inputs(op))


_FLAT_KERNEL = '''
    @triton.jit
    def <<name>>_kernel(
        <<pointers>>,  # inputs, contiguous
        out_ptr,  # output, contiguous
        n_elements,  # elements in the output
        <<size_args>>
        BLOCK_SIZE: tl.constexpr,  # elements handled by one program
    ):
        # Each program handles one contiguous block of the flattened output.
        pid = tl.program_id(axis=0)
        offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
        # The last block may run past the end: masked-off lanes are neither loaded nor stored.
        mask = offsets < n_elements
        # Load in the inputs' dtype, compute in fp32.
        <<loads>>
        <<body>>
        # Store in the output's dtype.
        tl.store(out_ptr + offsets, out.to(out_ptr.dtype.element_ty), mask=mask)
    '''

_GRID_STRIDE_KERNEL = '''
    @triton.jit
    def <<name>>_kernel(
        <<pointers>>,  # inputs, contiguous
        out_ptr,  # output, contiguous
        n_elements,  # elements in the output
        <<size_args>>
        BLOCK_SIZE: tl.constexpr,  # elements handled per loop iteration
    ):
        # A fixed number of programs sweeps the flattened output: program pid handles blocks pid,
        # pid + num_programs, pid + 2 * num_programs, ..., so the grid does not grow with the tensor.
        pid = tl.program_id(axis=0)
        num_programs = tl.num_programs(axis=0)
        for block_start in range(pid * BLOCK_SIZE, <<loop_end>>, num_programs * BLOCK_SIZE):
            offsets = block_start + tl.arange(0, BLOCK_SIZE)
            # The last block may run past the end of the tensor: mask it.
            mask = offsets < n_elements
            # Load in the inputs' dtype, compute in fp32.
            <<loads>>
            <<body>>
            # Store in the output's dtype.
            tl.store(out_ptr + offsets, out.to(out_ptr.dtype.element_ty), mask=mask)
    '''

_TILED_KERNEL = '''
    @triton.jit
    def <<name>>_kernel(
        <<pointers>>,  # inputs, read through their strides
        out_ptr,  # output, (n_rows, n_cols) contiguous
        n_rows,
        n_cols,
        <<stride_args>>
        BLOCK_M: tl.constexpr,  # rows per tile
        BLOCK_N: tl.constexpr,  # columns per tile
    ):
        # A 2-D grid of tiles: program (pid_m, pid_n) handles a BLOCK_M x BLOCK_N tile.
        pid_m = tl.program_id(axis=0)
        pid_n = tl.program_id(axis=1)
        rows = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
        cols = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
        # Edge tiles hang over the last row and the last column: mask both.
        mask = (rows[:, None] < n_rows) & (cols[None, :] < n_cols)
        # Each input is read through its own strides: a transposed view needs no copy, and a broadcast
        # input (expanded, so its broadcast dim has stride 0) reads the same element along that dim.
        <<loads>>
        <<body>>
        # Store in the output's dtype.
        tl.store(out_ptr + rows[:, None] * n_cols + cols[None, :], out.to(out_ptr.dtype.element_ty), mask=mask)
    '''

_PLANE_KERNEL = '''
    @triton.jit
    def <<name>>_kernel(
        x_ptr,  # (N, C, H, W) input, contiguous
        y_ptr,  # (C, 1, 1) per-channel scale
        out_ptr,  # (N, C, H, W) output, contiguous
        n_channels,
        plane_size,  # H * W
        BLOCK_SIZE: tl.constexpr,  # elements of a plane per program
    ):
        # Axis 0 walks the N * C planes, axis 1 the blocks of one plane: the whole program shares one
        # channel, so its scale is loaded once.
        plane = tl.program_id(axis=0)
        block = tl.program_id(axis=1)
        y = tl.load(y_ptr + plane % n_channels).to(tl.float32)
        offsets = block * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
        mask = offsets < plane_size
        x = tl.load(x_ptr + plane * plane_size + offsets, mask=mask).to(tl.float32)
        <<body>>
        tl.store(out_ptr + plane * plane_size + offsets, out.to(out_ptr.dtype.element_ty), mask=mask)
    '''


def _launcher(spec_row: dict, plan: dict, name: str, launch: str, *, contiguous: bool, expand: bool = False) -> str:
    op = spec_row["ops"][0]
    names = _inputs(op)
    checks = [f'assert {n}.shape == {plan["expected"][n]}, f"{n} has shape {{tuple({n}.shape)}}, expected '
              f'{plan["expected"][n].replace("{", "").replace("}", "")}"' for n in names if len(names) > 1]
    prep = []
    if contiguous:
        prep.append("# The kernel indexes flat offsets, so it needs contiguous memory.")
        prep += [f"{n} = {n}.contiguous()" for n in names]
    out_dims = ", ".join(plan["out_dims"])
    alloc = [f"out = torch.empty(({out_dims}{',' if plan['rank'] == 1 else ''}), device={names[0]}.device, "
             f"dtype={names[0] if names[0] not in _mask_inputs(op) else names[1]}.dtype)"]
    if expand:
        alloc.append("# Views with the output's shape: a broadcast dim gets stride 0, a transposed input keeps "
                     "its strides.")
        alloc += [f"{n} = {n}.expand(out.shape[0], out.shape[1])" for n in names if plan["index"][n] != "offsets"]
    return fill('''
        def <<name>>(<<args>>) -> torch.Tensor:
            <<checks>>
            <<prep>>
            <<alloc>>
            assert out.numel() < 2**31, "int32 offsets address at most 2**31 - 1 elements"
            <<launch>>
            return out
        ''', name=name, args=", ".join(f"{n}: torch.Tensor" for n in names), checks="\n".join(checks),
        prep="\n".join(prep), alloc="\n".join(alloc), launch=launch)


def _size_args(plan: dict) -> tuple[str, str]:
    """(kernel parameters, launch arguments) for the sizes broadcast indices need."""
    params = "\n".join(f"{a},  # {_ARG_DOCS[a]}" for a in plan["args"])
    values = "".join(f"{_ARG_VALUES[a]}, " for a in plan["args"])
    return params, values


def _floor_div_blocks(n: int) -> list[int]:
    return [b for b in _FLAT_BLOCKS if n // b >= 1 and n % b >= _FLOOR_DIV_MIN_TAIL]


def _grid_stride_floor_blocks(n: int) -> list[int]:
    return [b for b in _floor_div_blocks(n) if b in _FLAT_BLOCKS[:4]]


def _tiled_floor_blocks(out: list[int]) -> list[int]:
    """BLOCK_M for which a rounded-down row grid leaves at least _FLOOR_DIV_MIN_TAIL elements unwritten."""
    if len(out) != 2:
        return []
    rows, cols = out
    return [m for m in (2, 4, 8, 16) if rows // m >= 1 and (rows % m) * cols >= _FLOOR_DIV_MIN_TAIL]


def _numel(spec_row: dict) -> int:
    total = 1
    for d in _shape_plan(spec_row)["out"]:
        total *= d
    return total


def _body(spec_row: dict, rng: random.Random, flaw: str | None) -> tuple[str, int]:
    op = spec_row["ops"][0]
    if flaw in _FLAWED_BODIES:
        return _FLAWED_BODIES[flaw], -1
    index = rng.randrange(len(BODIES[op]))
    return BODIES[op][index], index


def _render(spec_row: dict, rng: random.Random, structure: str, flaw: str | None) -> Draft:
    op = spec_row["ops"][0]
    doc = OPS[op].doc.format(**registry_dims(spec_row, op)).removesuffix(", applied elementwise")
    plan = _shape_plan(spec_row)
    name = _LAUNCHER.get(op, op)
    body, body_index = _body(spec_row, rng, flaw)
    params: dict = {"structure": structure, "body": body_index}
    pointers = _pointer_args(op)
    size_params, size_values = _size_args(plan)
    inputs = ", ".join(_inputs(op))
    n = _numel(spec_row)
    if structure == "flat_block":
        block = rng.choice(_floor_div_blocks(n)) if flaw == "floor_div_grid" else rng.choice(_FLAT_BLOCKS)
        warps = launch_warps(rng, block)
        params.update(BLOCK_SIZE=block, num_warps=warps)
        kernel = _fill_kernel(_FLAT_KERNEL, name, pointers, size_params, spec_row, plan, body, flat=True,
                              ignore_strides=flaw == "ignores_strides", bias_by_row=flaw == "bias_by_row")
        if flaw == "floor_div_grid":
            launch = fill('''
                BLOCK_SIZE = <<block>>
                # One program per BLOCK_SIZE elements.
                grid = (out.numel() // BLOCK_SIZE,)
                <<name>>_kernel[grid](<<inputs>>, out, out.numel(), <<sizes>>BLOCK_SIZE=BLOCK_SIZE, num_warps=<<warps>>)
                ''', name=name, block=block, warps=warps, inputs=inputs, sizes=size_values)
        else:
            launch = fill('''
                # One program per BLOCK_SIZE elements; cdiv rounds up so the tail gets a program too.
                grid = lambda meta: (triton.cdiv(out.numel(), meta["BLOCK_SIZE"]),)
                <<name>>_kernel[grid](<<inputs>>, out, out.numel(), <<sizes>>BLOCK_SIZE=<<block>>, num_warps=<<warps>>)
                ''', name=name, block=block, warps=warps, inputs=inputs, sizes=size_values)
        # A flawed answer says what a correct one says (issue 17): the flaw is in the code only.
        prose = (f"Each program computes {doc} on one masked block of {block} elements of the flattened "
                 f"output, in fp32, casting back on store; {warps} warps per program.")
        launcher = _launcher(spec_row, plan, name, launch, contiguous=flaw != "ignores_strides")
    elif structure == "grid_stride":
        floor = flaw == "floor_div_grid"
        block = rng.choice(_grid_stride_floor_blocks(n) if floor else _FLAT_BLOCKS[:4])
        max_programs = rng.choice((64, 128, 256, 512, 1024))
        warps = launch_warps(rng, block)
        params.update(BLOCK_SIZE=block, MAX_PROGRAMS=max_programs, num_warps=warps)
        # The flawed bound: whole blocks only, as if every block were full.
        kernel = _fill_kernel(_GRID_STRIDE_KERNEL, name, pointers, size_params, spec_row, plan, body, flat=True,
                              ignore_strides=flaw == "ignores_strides", bias_by_row=flaw == "bias_by_row",
                              loop_end="n_elements - BLOCK_SIZE + 1" if floor else "n_elements")
        launch = fill('''
            BLOCK_SIZE = <<block>>
            # At most <<max_programs>> programs; each loops over the blocks left to it.
            num_programs = min(triton.cdiv(out.numel(), BLOCK_SIZE), <<max_programs>>)
            <<name>>_kernel[(num_programs,)](<<inputs>>, out, out.numel(), <<sizes>>BLOCK_SIZE=BLOCK_SIZE, num_warps=<<warps>>)
            ''', name=name, block=block, max_programs=max_programs, warps=warps, inputs=inputs, sizes=size_values)
        launcher = _launcher(spec_row, plan, name, launch, contiguous=flaw != "ignores_strides")
        prose = (f"A fixed grid of at most {max_programs} programs sweeps the output in blocks of {block} "
                 f"elements, each program looping over every num_programs-th block and computing {doc} in fp32.")
    elif structure == "tiled_2d":
        block_n = rng.choice((32, 64, 128, 256))
        floor = flaw == "floor_div_grid"
        block_m = rng.choice(_tiled_floor_blocks(plan["out"]) if floor else
                             [m for m in (1, 2, 4, 8, 16) if m * block_n <= 4096])
        warps = launch_warps(rng, block_m * block_n)
        params.update(BLOCK_M=block_m, BLOCK_N=block_n, num_warps=warps)
        stride_params = "\n".join(f"stride_{n}_row, stride_{n}_col," for n in _inputs(op))
        transposed = transposed_inputs(spec_row["reference_code"]) if flaw == "ignores_strides" else ()
        # The flawed strides: a transposed input taken to be (rows, cols) row-major.
        stride_values = "".join(f"{n}.shape[1], 1, " if n in transposed else f"{n}.stride(0), {n}.stride(1), "
                                for n in _inputs(op))
        kernel = fill(_TILED_KERNEL, name=name, pointers=pointers, stride_args=stride_params,
                      loads=_loads(spec_row, plan, flat_index=False, bias_by_row=flaw == "bias_by_row"), body=body)
        launch = fill('''
            n_rows, n_cols = out.shape
            # One program per BLOCK_M x BLOCK_N tile, rounded up in both directions.
            grid = lambda meta: (<<rows>>, triton.cdiv(n_cols, meta["BLOCK_N"]))
            <<name>>_kernel[grid](
                <<inputs>>, out, n_rows, n_cols, <<strides>>
                BLOCK_M=<<block_m>>, BLOCK_N=<<block_n>>, num_warps=<<warps>>,
            )
            ''', name=name, inputs=inputs, strides=stride_values, block_m=block_m, block_n=block_n, warps=warps,
            rows='n_rows // meta["BLOCK_M"]' if floor else 'triton.cdiv(n_rows, meta["BLOCK_M"])')
        launcher = _launcher(spec_row, plan, name, launch, contiguous=False, expand=True)
        prose = (f"A 2-D grid of {block_m}x{block_n} tiles covers the output; each program masks its tile at "
                 f"the edges, reads every input through its strides (no copies for transposed or broadcast "
                 f"inputs) and computes {doc} in fp32.")
    else:  # planes: the per-channel scale of an image batch
        block = rng.choice((64, 128, 256, 512, 1024))
        warps = launch_warps(rng, block)
        params.update(BLOCK_SIZE=block, num_warps=warps)
        kernel = fill(_PLANE_KERNEL, name=name, body=body)
        launch = fill('''
            n_planes, plane_size = out.shape[0] * out.shape[1], out.shape[2] * out.shape[3]
            grid = (n_planes, triton.cdiv(plane_size, <<block>>))
            <<name>>_kernel[grid](x, y, out, out.shape[1], plane_size, BLOCK_SIZE=<<block>>, num_warps=<<warps>>)
            ''', name=name, block=block, warps=warps)
        launcher = _launcher(spec_row, plan, name, launch, contiguous=True)
        prose = (f"A 2-D grid: one row of programs per (n, c) plane, each loading its channel's scale once and "
                 f"scaling blocks of {block} elements of the plane.")
    code = module(kernel, launcher, model_new(f"Computes {doc} with a Triton kernel.", inputs, f"{name}({inputs})"))
    return Draft(variant=flaw or structure, flaw=flaw, params=params, code=code, prose=prose)


def _fill_kernel(template, name, pointers, size_params, spec_row, plan, body, *, flat, ignore_strides=False,
                 bias_by_row=False, loop_end="n_elements"):
    return fill(template, name=name, pointers=pointers, size_args=size_params, body=body, loop_end=loop_end,
                loads=_loads(spec_row, plan, flat_index=flat, ignore_strides=ignore_strides, bias_by_row=bias_by_row))


# ---------------------------------------------------------------------------------------------- variants

def _has_transposed_input(spec_row: dict) -> bool:
    transposed = transposed_inputs(spec_row["reference_code"])
    names = _inputs(spec_row["ops"][0])
    return any(name in transposed and min(shape) > 1 for name, shape in zip(names, spec_row["shapes"]))


def _variants() -> tuple[Variant, ...]:
    def correct(structure, applies=lambda s: True):
        return Variant(structure, applies, lambda s, rng: _render(s, rng, structure, None))

    rank2 = lambda s: _shape_plan(s)["rank"] == 2  # noqa: E731
    # Where each structure applies at all, and where it can hold a flaw that is bound to its blocks.
    shapes = {"flat_block": lambda s: True, "grid_stride": lambda s: True, "tiled_2d": rank2}
    holds = {
        ("floor_div_grid", "flat_block"): lambda s: bool(_floor_div_blocks(_numel(s))),
        ("floor_div_grid", "grid_stride"): lambda s: bool(_grid_stride_floor_blocks(_numel(s))),
        ("floor_div_grid", "tiled_2d"): lambda s: bool(_tiled_floor_blocks(_shape_plan(s)["out"])),
    }

    def flawed(name, applies, structures=("flat_block", "grid_stride", "tiled_2d")):
        # Written in any structure that applies to the spec and can hold the flaw, drawn as a correct
        # answer's structure is: a flawed answer is as long and opens as a correct one does.
        def where(s):
            return [st for st in structures if shapes[st](s) and holds.get((name, st), lambda s: True)(s)]

        return Variant(name, lambda s: applies(s) and bool(where(s)),
                       lambda s, rng: _render(s, rng, rng.choice(where(s)), name), flaw=name)

    return (
        correct("flat_block"),
        correct("grid_stride"),
        correct("tiled_2d", rank2),
        correct("planes", lambda s: s["ops"][0] == "mul_channel_scale"),
        # fp16 and bf16 tolerances hide the tanh approximation's 5e-4: offered for fp32 only.
        flawed("tanh_gelu", lambda s: s["ops"][0] == "gelu" and s["dtype"] == "float32"),
        flawed("naive_softplus", lambda s: s["ops"][0] == "softplus" and "scale" in _transforms(s)),
        flawed("floor_div_grid", lambda s: True),
        flawed("ignores_strides", _has_transposed_input),
        flawed("bias_by_row", lambda s: s["ops"][0] == "add_bias" and 1 < s["shapes"][0][0] <= s["shapes"][0][1]),
    )


def _transforms(spec_row: dict) -> set[str]:
    """The verifier's input transforms that apply to the spec's first input (by its domain)."""
    from kerneldata.core.domains import preserving_transforms

    domains = spec_row.get("input_domains") or ["unspecified"]
    return set(preserving_transforms(domains[0]))


GROUPS = (
    Group("elementwise", tuple(op for op in OP_NAMES if OPS[op].family == "elementwise"), check, _variants()),
    Group("binary", tuple(op for op in OP_NAMES if OPS[op].family == "binary"), check, _variants()),
)
