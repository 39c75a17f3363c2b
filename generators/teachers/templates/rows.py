"""The row engine: kernels for ops that reduce along one dim and then produce one value per row or a
normalised row (reductions, softmaxes, norms, per-row losses), written from a short description of the op.

A `RowOp` says what one row computes: loaded row tensors, per-element values derived from them, reductions
(`Reduce`: sum, max, min, prod, argmax, argmin, or `lse`, an online log-sum-exp giving a max and a sum of
exponentials in one pass), scalars computed from reductions (`Let`), and the output: a value per element
(`out`), a value per row (`result`), or a value per row summed over all rows into one scalar (`finish`, for
means over a whole tensor and losses). The engine writes it in one of several shapes:

    single_pass  one program per row, the row in one block (the Triton tutorial 02 softmax)
    persistent   as single_pass, a fixed grid of programs looping over the rows
    looped       one program per row, column tiles in a loop, one pass over the row per reduction
                 (per-lane accumulators reduced once at the end)
    row_block    BLOCK_M short rows per program in a 2-D tile, reductions along axis 1
    middle       a dim that is not the last (softmax over channels): 2-D tiles of (reduced dim, inner
                 positions), reductions along axis 0, single pass or looped

Padding lanes are masked explicitly in every reduction (`tl.where(valid, value, neutral)`), so a
reduction's result never depends on what a masked load returned. Flawed shapes (`Flaw`) are produced by the
same code with one thing changed, as a model would get it wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generators.teachers.templates.base import fill


@dataclass(frozen=True)
class Reduce:
    name: str  # the per-row scalar it defines (`lse` defines `<name>_max` and `<name>_sum`)
    kind: str  # sum | max | min | prod | argmax | argmin | lse
    expr: str  # fp32 per-element expression of the loaded and derived values and earlier scalars


@dataclass(frozen=True)
class Let:
    name: str
    expr: str  # of earlier scalars and `n_cols`


@dataclass(frozen=True)
class Vector:
    """A per-column (or, with `per_row`, per-row) parameter: weight, bias. `index` may use <<R>> (the row)
    and <<C>> (the column) and the size arguments of the op."""

    name: str
    index: str = "<<C>>"
    per_row: bool = False
    scale: str = ""  # fp32 expression of `raw` giving the value (parameters stored reparametrised)


@dataclass(frozen=True)
class RowOp:
    name: str  # launcher name; the kernel is <name>_kernel
    doc: str
    rows: tuple[str, ...]  # row tensors loaded along the reduced dim, in kernel-argument order
    steps: tuple[Reduce | Let, ...]
    derive: str = ""  # per-element values computed from the loads (e.g. z = x / 0.7)
    out: str | None = None  # per-element output
    result: str | None = None  # per-row output
    finish: str | None = None  # launcher expression dividing the sum over rows of `result`: a scalar output
    vectors: tuple[Vector, ...] = ()
    bool_rows: tuple[str, ...] = ()  # row tensors holding booleans
    prelude: str = ""  # per-row code before the passes (1-D shapes only): a gathered target, say
    row_scalars: tuple[str, ...] = ()  # per-row tensors the prelude reads (class indices)
    offset: str = ""  # custom element offset of row tensors (<<R>>, <<C>>); needs contiguous inputs
    size_args: tuple[str, ...] = ()  # extra integer kernel arguments the expressions use
    helpers: tuple[str, ...] = ()  # @triton.jit helper functions the reductions call

    def uses(self, name: str, text: str) -> bool:
        return re.search(rf"\b{re.escape(name)}\b", text) is not None


_NEUTRAL = {"sum": "0.0", "max": 'float("-inf")', "min": 'float("inf")', "prod": "1.0",
            "argmax": 'float("-inf")', "argmin": 'float("inf")', "lse": 'float("-inf")'}
_COMBINE = {"sum": "{acc} + {v}", "max": "tl.maximum({acc}, {v})", "min": "tl.minimum({acc}, {v})",
            "prod": "{acc} * {v}"}
_FINAL = {"sum": "tl.sum({v}, axis={axis}{keep})", "max": "tl.max({v}, axis={axis}{keep})",
          "min": "tl.min({v}, axis={axis}{keep})", "prod": "tl.reduce({v}, {axis}, _multiply{keep})"}
MULTIPLY_HELPER = '''
@triton.jit
def _multiply(a, b):
    return a * b
'''


@dataclass(frozen=True)
class Shape:
    """Where a row lives: `kind` is one of row (1-D block per row), rows (2-D tile of rows), middle."""

    kind: str
    looped: bool = False
    persistent: bool = False

    @property
    def axis(self) -> int:
        return {"row": 0, "rows": 1, "middle": 0}[self.kind]

    @property
    def keep(self) -> str:
        return "" if self.kind == "row" else ", keep_dims=True"

    def sub(self, text: str) -> str:
        r, c = {"row": ("row", "cols"), "rows": ("rows[:, None]", "cols[None, :]"),
                "middle": ("outer", "red[:, None]")}[self.kind]
        return text.replace("<<R>>", r).replace("<<C>>", c)

    @property
    def index(self) -> str:
        """The reduced-dim index variable, broadcast to the tile."""
        return {"row": "cols", "rows": "cols[None, :]", "middle": "red[:, None]"}[self.kind]

    @property
    def tile(self) -> str:
        return {"row": "[BLOCK_SIZE]", "rows": "[BLOCK_M, BLOCK_N]", "middle": "[BLOCK_R, BLOCK_I]"}[self.kind]


@dataclass(frozen=True)
class Flaw:
    """What a flawed shape gets wrong (None fields: nothing)."""

    zero_padding: bool = False  # masked loads give 0 and enter the reductions
    ignores_strides: bool = False  # the column stride is taken to be 1, without making the input contiguous
    fixed_block: int | None = None  # a single-pass block narrower than the row


# ------------------------------------------------------------------------------------------------ kernel

def _row_args(op: RowOp, shape: Shape, flaw: Flaw) -> list[str]:
    args = []
    for name in op.rows:
        if op.offset or shape.kind == "middle":
            args.append(f"{name}_ptr,  # {name}, contiguous")
        elif flaw.ignores_strides and name == op.rows[0]:
            args.append(f"{name}_ptr, stride_{name}_row,  # {name}; consecutive columns are adjacent")
        else:
            args.append(f"{name}_ptr, stride_{name}_row, stride_{name}_col,  # {name}, read through its strides")
    args += [f"{name}_ptr,  # per-row {name}" for name in op.row_scalars]
    args += [f"{v.name}_ptr,  # {'per-row' if v.per_row else 'per-column'} {v.name}" for v in op.vectors]
    return args


def _element_offset(op: RowOp, shape: Shape, name: str, flaw: Flaw) -> str:
    if shape.kind == "middle":
        return "outer * n_red * n_inner + red[:, None] * n_inner + inner[None, :]"
    if op.offset:
        return shape.sub(op.offset)
    r, c = shape.sub("<<R>>"), shape.sub("<<C>>")
    if flaw.ignores_strides and name == op.rows[0]:
        return f"{r} * stride_{name}_row + {c}"
    return f"{r} * stride_{name}_row + {c} * stride_{name}_col"


def _loads(op: RowOp, shape: Shape, flaw: Flaw, needed: str) -> list[str]:
    """Loads of the row tensors and vectors that `needed` mentions, then the derived values it uses."""
    uses_derived = any(op.uses(name, needed) for name in _derived(op))
    text = needed + (" " + op.derive if uses_derived else "")
    lines = []
    for name in op.rows:
        if not op.uses(name, text):
            continue
        where = f"{name}_ptr + {_element_offset(op, shape, name, flaw)}"
        if name in op.bool_rows:
            lines.append(f"{name} = tl.load({where}, mask=valid, other=0) != 0")
        else:
            lines.append(f"{name} = tl.load({where}, mask=valid, other=0.0).to(tl.float32)")
    for vec in op.vectors:
        if not op.uses(vec.name, text):
            continue
        if vec.per_row:
            mask = "" if shape.kind == "row" else shape.sub("<<R>> < n_rows")
        else:
            mask = shape.sub("<<C>> < n_cols")
        load = f"tl.load({vec.name}_ptr + {shape.sub(vec.index)}{', mask=' + mask if mask else ''}).to(tl.float32)"
        lines.append(f"{vec.name} = {vec.scale.replace('raw', load)}" if vec.scale else f"{vec.name} = {load}")
    if uses_derived:
        lines += op.derive.splitlines()
    return lines


def _derived(op: RowOp) -> list[str]:
    return [line.split("=")[0].strip() for line in op.derive.splitlines() if "=" in line and not line.startswith("#")]


def _valid(shape: Shape) -> str:
    return {"row": "valid = cols < n_cols",
            "rows": "valid = (rows[:, None] < n_rows) & (cols[None, :] < n_cols)",
            "middle": "valid = (red[:, None] < n_red) & (inner[None, :] < n_inner)"}[shape.kind]


def _reduced_extent(shape: Shape) -> str:
    return "n_red" if shape.kind == "middle" else "n_cols"


def _masked(expr: str, neutral: str, flaw: Flaw) -> str:
    return expr if flaw.zero_padding else f"tl.where(valid, {expr}, {neutral})"


def _passes(op: RowOp) -> list[list[Reduce | Let]]:
    """Steps grouped into passes over the row: a reduction that needs a scalar of the current pass starts
    a new pass; a Let joins the pass after which its inputs exist."""
    passes: list[list] = [[]]
    defined_here: set[str] = set()
    for step in op.steps:
        if isinstance(step, Reduce) and any(op.uses(n, step.expr) for n in defined_here):
            passes.append([])
            defined_here = set()
        passes[-1].append(step)
        defined_here |= _names(step)
    return passes


def _names(step: Reduce | Let) -> set[str]:
    if isinstance(step, Reduce) and step.kind == "lse":
        return {f"{step.name}_max", f"{step.name}_sum"}
    return {step.name}


def _single_pass_reduce(step: Reduce, shape: Shape, flaw: Flaw) -> list[str]:
    axis, keep = shape.axis, shape.keep
    if step.kind in ("argmax", "argmin"):
        value = _masked(step.expr, _NEUTRAL[step.kind], flaw)
        return [f"# tl.{step.kind} returns the first index of the extreme value, as PyTorch does.",
                f"{step.name} = tl.{step.kind}({value}, axis={axis}{keep})"]
    if step.kind == "lse":
        value = _masked(step.expr, 'float("-inf")', flaw)
        return [f"{step.name}_max = tl.max({value}, axis={axis}{keep})",
                f"{step.name}_sum = tl.sum({_masked(f'tl.exp({step.expr} - {step.name}_max)', '0.0', flaw)}, "
                f"axis={axis}{keep})"]
    return [f"{step.name} = " + _FINAL[step.kind].format(v=_masked(step.expr, _NEUTRAL[step.kind], flaw),
                                                          axis=axis, keep=keep)]


def _loop_reduce_init(step: Reduce, shape: Shape) -> list[str]:
    tile = shape.tile
    if step.kind in ("argmax", "argmin"):
        return [f"best_{step.name} = tl.full({tile}, {_NEUTRAL[step.kind]}, tl.float32)",
                f"best_{step.name}_index = tl.zeros({tile}, dtype=tl.int32)"]
    if step.kind == "lse":
        return [f"run_{step.name}_max = tl.full({tile}, float(\"-inf\"), tl.float32)",
                f"run_{step.name}_sum = tl.zeros({tile}, dtype=tl.float32)"]
    return [f"acc_{step.name} = tl.full({tile}, {_NEUTRAL[step.kind]}, tl.float32)"]


def _loop_reduce_update(step: Reduce, shape: Shape, flaw: Flaw) -> list[str]:
    value = _masked(step.expr, _NEUTRAL[step.kind], flaw)
    if step.kind in ("argmax", "argmin"):
        better = ">" if step.kind == "argmax" else "<"
        return [f"value = {value}",
                "# Strictly better only: each lane keeps the first column holding its extreme.",
                f"better = value {better} best_{step.name}",
                f"best_{step.name}_index = tl.where(better, {shape.index}, best_{step.name}_index)",
                f"best_{step.name} = tl.where(better, value, best_{step.name})"]
    if step.kind == "lse":
        n = step.name
        return [f"value = {value}",
                f"new_max = tl.maximum(run_{n}_max, value)",
                "# Rescale each lane's running sum to its new maximum; a lane that has only seen padding",
                "# (max still -inf) keeps a sum of 0 instead of exp(-inf - -inf) = NaN.",
                f"rescale = tl.where(new_max == float(\"-inf\"), 0.0, tl.exp(run_{n}_max - new_max))",
                f"run_{n}_sum = run_{n}_sum * rescale + tl.where(value == float(\"-inf\"), 0.0, tl.exp(value - new_max))",
                f"run_{n}_max = new_max"]
    return [f"acc_{step.name} = " + _COMBINE[step.kind].format(acc=f"acc_{step.name}", v=value)]


def _loop_reduce_final(step: Reduce, shape: Shape) -> list[str]:
    axis, keep = shape.axis, shape.keep
    n = step.name
    if step.kind in ("argmax", "argmin"):
        extreme = "max" if step.kind == "argmax" else "min"
        return [f"{n}_value = tl.{extreme}(best_{n}, axis={axis}{keep})",
                "# The first column holding the row's extreme: the smallest index among the lanes that hold it.",
                f"{n} = tl.min(tl.where(best_{n} == {n}_value, best_{n}_index, 2147483647), axis={axis}{keep})"]
    if step.kind == "lse":
        return [f"{n}_max = tl.max(run_{n}_max, axis={axis}{keep})",
                f"{n}_sum = tl.sum(tl.where(run_{n}_max == float(\"-inf\"), 0.0, "
                f"run_{n}_sum * tl.exp(run_{n}_max - {n}_max)), axis={axis}{keep})"]
    return [f"{n} = " + _FINAL[step.kind].format(v=f"acc_{n}", axis=axis, keep=keep)]


def _tile_setup(shape: Shape, start: str) -> list[str]:
    """The reduced-dim indices and the validity mask of one tile starting at `start`."""
    if shape.kind == "row":
        return [f"cols = {start}col_offsets", _valid(shape)]
    if shape.kind == "rows":
        return [f"cols = {start}col_offsets", _valid(shape)]
    return [f"red = {start}red_offsets", _valid(shape)]


def body(op: RowOp, shape: Shape, flaw: Flaw = Flaw()) -> str:
    """The per-row (per-tile of rows, per-lane block) code: passes, scalars, stores."""
    lines: list[str] = []
    offsets_name = "red_offsets" if shape.kind == "middle" else "col_offsets"
    block = {"row": "BLOCK_SIZE", "rows": "BLOCK_N", "middle": "BLOCK_R"}[shape.kind]
    extent = _reduced_extent(shape)
    if op.prelude:
        lines += op.prelude.splitlines()
    stores_text = (op.out or "")
    if not shape.looped:
        index = "red" if shape.kind == "middle" else "cols"
        lines += [f"{index} = tl.arange(0, {block})", _valid(shape)]
        needed = " ".join([s.expr for s in op.steps] + [op.out or "", op.result or ""])
        lines += ["# Load in the inputs' dtype (padding lanes masked), compute in fp32."] + \
            _loads(op, shape, flaw, needed)
        for step in op.steps:
            lines += _single_pass_reduce(step, shape, flaw) if isinstance(step, Reduce) else [f"{step.name} = {step.expr}"]
        if op.out:
            lines += [f"out = {op.out}", _vector_store(op, shape, flaw)]
    else:
        lines.append(f"{offsets_name} = tl.arange(0, {block})")
        for number, group in enumerate(_passes(op), start=1):
            reduces = [s for s in group if isinstance(s, Reduce)]
            if reduces:
                what = ", ".join(", ".join(sorted(_names(s))) for s in reduces)
                lines.append(f"# Pass {number} over the row: {what}, per lane over the tiles, then across lanes.")
                for step in reduces:
                    lines += _loop_reduce_init(step, shape)
                inner = _tile_setup(shape, "start + ") + _loads(op, shape, flaw, " ".join(s.expr for s in reduces))
                for step in reduces:
                    inner += _loop_reduce_update(step, shape, flaw)
                lines.append(f"for start in range(0, {extent}, {block}):")
                lines += ["    " + line for line in inner]
                for step in reduces:
                    lines += _loop_reduce_final(step, shape)
            lines += [f"{s.name} = {s.expr}" for s in group if isinstance(s, Let)]
        if op.out:
            lines.append("# Last pass: compute and store each tile of the output row.")
            inner = _tile_setup(shape, "start + ") + _loads(op, shape, flaw, stores_text) + \
                [f"out = {op.out}", _vector_store(op, shape, flaw)]
            lines.append(f"for start in range(0, {extent}, {block}):")
            lines += ["    " + line for line in inner]
    if op.result:
        lines += [f"result = {op.result}", _scalar_store(op, shape)]
    return "\n".join(lines)


def _vector_store(op: RowOp, shape: Shape, flaw: Flaw) -> str:
    if shape.kind == "middle" or op.offset:
        offset = _element_offset(op, shape, "out", Flaw())
    else:
        offset = shape.sub("<<R>> * n_cols + <<C>>")
    return f"tl.store(out_ptr + {offset}, out.to(out_ptr.dtype.element_ty), mask=valid)"


def _scalar_store(op: RowOp, shape: Shape) -> str:
    target = "partial_ptr" if op.finish else "out_ptr"
    cast = "" if op.finish else ".to(out_ptr.dtype.element_ty)"
    if shape.kind == "row":
        return f"tl.store({target} + row, result{cast})"
    if shape.kind == "rows":
        return f"tl.store({target} + rows[:, None], result{cast}, mask=rows[:, None] < n_rows)"
    return f"tl.store({target} + outer * n_inner + inner[None, :], result{cast}, mask=inner[None, :] < n_inner)"


def kernel(op: RowOp, shape: Shape, flaw: Flaw = Flaw(), *, blocks: str) -> str:
    """The @triton.jit kernel for `op` in `shape`; `blocks` are its constexpr parameters."""
    args = _row_args(op, shape, flaw)
    target = "partial_ptr,  # fp32 per-row partial results" if op.finish else "out_ptr,  # output"
    sizes = ["n_rows, n_cols,"] if shape.kind != "middle" else ["n_inner, n_red,  # positions per outer index, reduced extent"]
    sizes += [f"{name}," for name in op.size_args]
    code = body(op, shape, flaw)
    if shape.kind == "row":
        if shape.persistent:
            head = ["# A fixed number of programs; program pid handles rows pid, pid + num_programs, ...",
                    "for row in range(tl.program_id(axis=0), n_rows, tl.num_programs(axis=0)):"]
            code = "\n".join(head + ["    " + line if line else "" for line in code.splitlines()])
        else:
            code = "# One program per row.\nrow = tl.program_id(axis=0)\n" + code
    elif shape.kind == "rows":
        code = ("# BLOCK_M rows per program, held in a 2-D tile; reductions run along axis 1.\n"
                "rows = tl.program_id(axis=0) * BLOCK_M + tl.arange(0, BLOCK_M)\n" + code)
    else:
        code = ("# Axis 0 of the grid walks the outer index, axis 1 blocks of BLOCK_I inner positions; the\n"
                "# reduced dim runs down the tile's axis 0, so each column of the tile is one problem.\n"
                "outer = tl.program_id(axis=0)\n"
                "inner = tl.program_id(axis=1) * BLOCK_I + tl.arange(0, BLOCK_I)\n" + code)
    return fill('''
        @triton.jit
        def <<name>>_kernel(
            <<args>>
            <<target>>
            <<sizes>>
            <<blocks>>
        ):
            <<code>>
        ''', name=op.name, args="\n".join(args), target=target, sizes="\n".join(sizes), blocks=blocks, code=code)


FINISH_KERNEL = '''
@triton.jit
def <<name>>_finish_kernel(
    partial_ptr,  # fp32 per-row partial results
    out_ptr,  # the scalar output
    n_partials,
    divisor,
    BLOCK_SIZE: tl.constexpr,
):
    # One program adds the partial results in a fixed order, so every run gives the same bits (atomic adds
    # from many programs would not).
    offsets = tl.arange(0, BLOCK_SIZE)
    acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
    for start in range(0, n_partials, BLOCK_SIZE):
        index = start + offsets
        acc += tl.load(partial_ptr + index, mask=index < n_partials, other=0.0)
    total = tl.sum(acc, axis=0) / divisor
    tl.store(out_ptr, total.to(out_ptr.dtype.element_ty))
'''

