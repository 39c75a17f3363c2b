'''Templates for fused chains of workload specs (`specs.source: workloads`): several ATen calls recorded from a
real model, as `generators.specs.workloads.render` writes them (`tN = torch.ops.aten.<op>.<overload>(...)`
lines, then `return tN` or `return (ta, tb)`), fused into one Triton kernel.

Answered: chains whose every value fits a row structure. Values are full rows `[..., N]` (the leading dims
flattened to M rows), per-row scalars `[..., 1]` (after a last-dim `mean.dim` / `sum.dim_IntList` with
keepdim True), vectors `[N]` broadcast over the rows, or Python scalars. The calls: `_to_copy` (a cast,
`dtype=` and `layout=torch.strided` only), `add/sub/mul/div` (`.Tensor` or `.Scalar`, a tensor or a Python
scalar operand), `pow.Tensor_Scalar` with exponent 2, 3, 0.5, -0.5 or -1, the unary `rsqrt sqrt exp log tanh
sigmoid silu neg relu abs reciprocal sin cos gelu`, `detach` and `clone` (identities), and `view` where it
only flattens the leading dims (`[-1, N]`) or keeps the shape. That covers RMSNorm (with a residual add,
with or without its weight), SwiGLU's silu * mul, tanh-GELU and scale-shift casts. A chain with a reduction
becomes a row kernel: rows of up to 8192 columns are loaded once in fp32 (a few rows per program for short
rows), longer rows (or, as a second structure, any row over 64) are walked in column tiles, a pass per
reduction, then one that computes and stores the outputs. A chain without one becomes a flat kernel over
the broadcast output (up to 4 dims), each input read through its strides (stride 0 on broadcast dims), so
it takes any broadcast, not only vectors. Every value is computed in fp32; where the reference holds a
value in float16 or bfloat16 and a later call reads it, the kernel rounds it the same way
(`.to(tl.bfloat16).to(tl.float32)`), so casts, low-precision adds and the final downcast match eager.
Shapes, strides and block widths are read from the inputs at run time (the verifier checks other workloads
at other sizes); only num_warps, the rows per program and tile widths are drawn for the shown sizes.

Declined, with a one-line reason that names the first thing the templates cannot express: integer and
boolean values (masks, positions), reductions over other dims or without keepdim, `cat`, `slice`,
`transpose`, `expand` and other layout calls, views that move the row boundary, inputs broadcast over only
some leading dims in a chain with a reduction, outputs that do not vary over rows, ranks above 4 in a chain
without a reduction, and calls with keyword arguments the templates do not model.

Flaws, each offered only where the verifier's inputs show it: a mean divided by the padded block width
(rows at least 10% shorter than their power of two), a row grid or an elementwise grid that rounds down
(where the rows or elements it drops exist at the shown sizes), and a sum of squares accumulated in float16
instead of fp32 (float16 specs with rows of 32 or more, whose inputs the verifier may scale by 64: the sum
overflows). The last is never offered for bf16: its range holds the sum, and a bf16 sum's error is inside
bf16's tolerance. A forgotten rounding is not offered at all: one bf16 or fp16 rounding is below every
tolerance the verifier uses for those dtypes, so it would pass.

Limits: the flat kernel addresses with int32 offsets (under 2**31 elements; an input's strided reach past
that is not checked); rows per program and warps are drawn for the shown row width, so another workload of
a much wider row runs correct but untuned. Every variant and flaw is checked by the verifier under the CPU
interpreter in fp32 and fp16 on two workloads (tests/generators/test_template_chain.py); the interpreter
cannot judge bf16, so the bf16 kernels of real-scale specs are judged on a GPU only.
'''

from __future__ import annotations

import ast
import dataclasses
import functools
import random
import re
from dataclasses import dataclass

from generators.teachers.templates.base import (
    Decline,
    Draft,
    Group,
    Variant,
    fill,
    launch_warps,
    model_new,
    module,
    next_power_of_2,
    triton_dtype,
    variant_makers,
)
from generators.teachers.templates.workload import FLAWS as _WORKLOAD_FLAWS

FLAWS: dict[str, tuple[str, float]] = {
    "floor_div_grid": _WORKLOAD_FLAWS["floor_div_grid"],
    "padded_mean": _WORKLOAD_FLAWS["padded_mean"],
    "floor_row_grid": ("the row grid rounds down (n_rows // ROWS), so the last rows are never written", 0.15),
    "half_precision_sum": ("sums the squares in float16, not the fp32 the reference casts to: it overflows", 0.2),
}

_LOW = ("float16", "bfloat16")
_FLOATS = {"torch.float32": "float32", "torch.float": "float32", "torch.float16": "float16",
           "torch.half": "float16", "torch.bfloat16": "bfloat16"}
_BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
# ATen unary op -> equivalent fp32 expressions of `{x}` (a variable name).
_UNARY: dict[str, tuple[str, ...]] = {
    "rsqrt": ("tl.rsqrt({x})", "1.0 / tl.sqrt({x})"),
    "sqrt": ("tl.sqrt({x})",),
    "exp": ("tl.exp({x})",),
    "log": ("tl.log({x})",),
    "tanh": ("2.0 * tl.sigmoid(2.0 * {x}) - 1.0",),
    "sigmoid": ("tl.sigmoid({x})", "1.0 / (1.0 + tl.exp(-{x}))"),
    "silu": ("{x} * tl.sigmoid({x})", "{x} / (1.0 + tl.exp(-{x}))"),
    "neg": ("-{x}", "0.0 - {x}"),
    "relu": ("tl.maximum({x}, 0.0)", "tl.where({x} > 0, {x}, 0.0)"),
    "abs": ("tl.abs({x})",),
    "reciprocal": ("1.0 / {x}",),
    "sin": ("tl.sin({x})",),
    "cos": ("tl.cos({x})",),
    "gelu": ("0.5 * {x} * (1.0 + tl.math.erf({x} * 0.7071067811865476))",),
}
_GELU_TANH = "0.5 * {x} * (1.0 + (2.0 * tl.sigmoid(1.5957691216057308 * ({x} + 0.044715 * {x} * {x} * {x})) - 1.0))"
_POW = {2.0: "{x} * {x}", 3.0: "{x} * {x} * {x}", 0.5: "tl.sqrt({x})", -0.5: "tl.rsqrt({x})", -1.0: "1.0 / {x}",
        1.0: "{x}"}
_REDUCE = {"mean": "dim", "sum": "dim_IntList"}
_IDENTITY = {"detach": {"default"}, "clone": {"default"}}
_MAX_RANK = 4
_SINGLE_PASS_MAX = 8192
_FLAT_BLOCKS = (256, 512, 1024, 2048)
_FLOOR_MIN_TAIL = 16
_PADDED_MIN = 0.1  # a padded mean is off by at least this fraction of the row
# A float16 sum of squares overflows (65504) on the verifier's inputs scaled by 64 from this row width on.
_HALF_SUM_MIN_COLS = 32


# ---------------------------------------------------------------------------------------------- the chain

@dataclass(frozen=True)
class Step:
    """One value of the chain. `op`: "input", "cast", "identity", "binary", "unary", "pow", "reduce" or
    "view"; `args`: ("value", name) / ("num", float) operands; `kind` (row kernels): "row", "rowscalar",
    "vector" or "" for a chain without a reduction."""

    name: str
    op: str
    args: tuple
    dtype: str
    shape: tuple
    detail: str = ""  # the binary operator, the unary / reduce op, the pow exponent
    kind: str = ""
    flat2d: bool = False  # viewed as (M, N)
    aten: str = ""  # the ATen op it came from, for comments and prose


@dataclass(frozen=True)
class Chain:
    inputs: tuple[str, ...]
    steps: dict  # name -> Step, in chain order (inputs first)
    outputs: tuple[str, ...]
    reduces: bool
    shape: tuple  # the broadcast of every input: the full rows

    @property
    def n_cols(self) -> int:
        return self.shape[-1]

    @property
    def n_rows(self) -> int:
        total = 1
        for d in self.shape[:-1]:
            total *= d
        return total


def is_chain(spec_row: dict) -> bool:
    """Whether the spec's reference is a chain of several ATen calls (the single calls are `workload`'s)."""
    try:
        tree = ast.parse(spec_row["reference_code"])
    except SyntaxError:
        return False
    forward = next((item for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Model"
                    for item in node.body if isinstance(item, ast.FunctionDef) and item.name == "forward"), None)
    return forward is not None and sum(isinstance(stmt, ast.Assign) for stmt in forward.body) > 1


def _forward(reference_code: str) -> tuple[ast.FunctionDef, list[ast.Assign], ast.Return]:
    try:
        tree = ast.parse(reference_code)
    except SyntaxError as err:
        raise Decline(f"the reference does not parse: {err.msg}") from None
    forward = next((item for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Model"
                    for item in node.body if isinstance(item, ast.FunctionDef) and item.name == "forward"), None)
    if forward is None:
        raise Decline("the reference has no Model.forward")
    *body, last = forward.body
    for stmt in body:
        if isinstance(stmt, ast.Assign) and not (len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
            func = ast.unparse(stmt.value.func) if isinstance(stmt.value, ast.Call) else ast.unparse(stmt.value)
            raise Decline(f"{func.removeprefix('torch.ops.')} returns several results: the chain templates take "
                          "one value per call")
    if not isinstance(last, ast.Return) or not all(isinstance(s, ast.Assign) for s in body):
        raise Decline("the reference's forward is not a list of `tN = torch.ops.aten...` lines and a return")
    return forward, body, last


def _arg(node: ast.expr) -> tuple:
    if isinstance(node, ast.Name):
        return ("value", node.id)
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return ("bool", node.value)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return ("num", float(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and type(node.operand.value) in (int, float):
        return ("num", -float(node.operand.value))
    if isinstance(node, ast.List):
        try:
            return ("list", tuple(ast.literal_eval(e) for e in node.elts))
        except ValueError:
            pass
    return ("other", ast.unparse(node))


def _input_dtypes(reference_code: str, names: tuple[str, ...]) -> dict[str, str]:
    """Each input's dtype from `get_inputs` (float32, float16, bfloat16); Decline for any other."""
    model_dtype = re.search(r"^DTYPE = (torch\.\w+)$", reference_code, re.MULTILINE)
    tree = ast.parse(reference_code)
    get_inputs = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "get_inputs"), None)
    if get_inputs is None:
        raise Decline("the reference has no get_inputs")
    found = {}
    for stmt in get_inputs.body:
        if not (isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name)):
            continue
        text = ast.unparse(stmt.value)
        if any(isinstance(n, ast.Compare) for n in ast.walk(stmt.value)) or "randint" in text:
            raise Decline(f"input {stmt.targets[0].id} is an integer or boolean tensor (a mask, positions): the "
                          "chain templates write float kernels")
        dtype = re.search(r"dtype=([\w.]+)", text)
        spelled = dtype[1] if dtype else "torch.float32"
        if spelled == "DTYPE" and model_dtype:
            spelled = model_dtype[1]
        if spelled not in _FLOATS:
            raise Decline(f"input {stmt.targets[0].id} has dtype {spelled}: the chain templates write fp32, fp16 "
                          "and bf16 kernels")
        found[stmt.targets[0].id] = _FLOATS[spelled]
    missing = [n for n in names if n not in found]
    if missing:
        raise Decline(f"get_inputs does not show the dtype of {', '.join(missing)}")
    return found


def _promote(a: str, b: str) -> str:
    if a == b:
        return a
    return "float32"  # fp32 with a half type, or fp16 with bf16


def _broadcast(a: tuple, b: tuple) -> tuple:
    rank = max(len(a), len(b))
    pa, pb = (1,) * (rank - len(a)) + a, (1,) * (rank - len(b)) + b
    out = []
    for x, y in zip(pa, pb):
        if x != y and 1 not in (x, y):
            raise Decline(f"shapes {a} and {b} do not broadcast")
        out.append(max(x, y))
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _parse(reference_code: str, shapes: tuple) -> Chain:
    forward, body, ret = _forward(reference_code)
    names = tuple(a.arg for a in forward.args.args[1:])
    if len(names) != len(shapes):
        raise Decline(f"forward takes {len(names)} inputs but the spec shows {len(shapes)} shapes")
    if any(len(s) == 0 for s in shapes):
        raise Decline("a 0-dim tensor input: the chain templates broadcast rows, vectors and Python scalars only")
    dtypes = _input_dtypes(reference_code, names)
    spelled = re.search(r"^DTYPE = (torch\.\w+)$", reference_code, re.MULTILINE)
    model_dtype = _FLOATS.get(spelled[1]) if spelled else None
    steps: dict[str, Step] = {n: Step(n, "input", (), dtypes[n], tuple(s)) for n, s in zip(names, shapes)}
    for stmt in body:
        step = _step(stmt.targets[0].id, stmt.value, steps, model_dtype)
        steps[step.name] = dataclasses.replace(step, aten=ast.unparse(stmt.value.func).split(".")[-2])
    outs = ret.value.elts if isinstance(ret.value, ast.Tuple) else [ret.value]
    if not all(isinstance(o, ast.Name) and o.id in steps for o in outs):
        raise Decline(f"the chain returns {ast.unparse(ret.value)!r}, not values it computed")
    outputs = tuple(o.id for o in outs)
    if any(steps[o].op == "input" for o in outputs) or len(set(outputs)) != len(outputs):
        raise Decline("the chain returns one of its inputs or a value twice")
    full = shapes[0]
    for s in shapes[1:]:
        full = _broadcast(full, tuple(s))
    reduces = any(s.op == "reduce" for s in steps.values())
    chain = Chain(names, steps, outputs, reduces, full)
    return _with_kinds(chain) if reduces else _check_flat(chain)


def _step(name: str, call: ast.expr, steps: dict[str, Step], model_dtype: str | None) -> Step:
    """The Step for `name = call`; `model_dtype`: what the reference's `DTYPE` names."""
    text = ast.unparse(call.func) if isinstance(call, ast.Call) else ""
    match = re.fullmatch(r"torch\.ops\.aten\.(\w+)\.(\w+)", text)
    if not match:
        raise Decline(f"{name} = {ast.unparse(call)!r} is not an ATen call")
    op, overload = match[1], match[2]
    args = [_arg(a) for a in call.args]
    kwargs = {k.arg: ast.unparse(k.value) for k in call.keywords}
    where = f"aten.{op}.{overload}"
    for a in args:
        if a[0] == "value" and a[1] not in steps:
            raise Decline(f"{where} reads {a[1]}, which the chain has not computed")
    values = [steps[a[1]] for a in args if a[0] == "value"]

    def plain(count: int) -> None:
        if kwargs or len(args) != count:
            raise Decline(f"{where} with arguments {ast.unparse(call)[len(text):]} the chain templates do not model")

    if op == "_to_copy" and overload == "default":
        dtype = kwargs.pop("dtype", None)
        if kwargs.get("layout", "torch.strided") != "torch.strided" or set(kwargs) - {"layout"} or len(args) != 1:
            raise Decline(f"{where} with keywords {sorted(kwargs)}: the templates model dtype casts only")
        kwargs.clear()
        source = values[0]
        if dtype is None:
            return Step(name, "identity", tuple(args), source.dtype, source.shape, flat2d=source.flat2d)
        resolved = model_dtype if dtype == "DTYPE" else _FLOATS.get(dtype)
        if resolved is None:
            raise Decline(f"{where} to {dtype}: the chain templates write float values only")
        return Step(name, "cast", tuple(args), resolved, source.shape, flat2d=source.flat2d)
    if op in _IDENTITY and overload in _IDENTITY[op]:
        kwargs.pop("memory_format", None) if op == "clone" else None
        plain(1)
        source = values[0]
        return Step(name, "identity", tuple(args), source.dtype, source.shape, flat2d=source.flat2d)
    if op in _BINARY and overload in ("Tensor", "Scalar"):
        plain(2)
        if not values:
            raise Decline(f"{where} of two Python scalars")
        if any(a[0] not in ("value", "num") for a in args):
            raise Decline(f"{where} with an operand the chain templates do not model")
        dtype = values[0].dtype if len(values) == 1 else _promote(values[0].dtype, values[1].dtype)
        shape = values[0].shape if len(values) == 1 else _broadcast(values[0].shape, values[1].shape)
        return Step(name, "binary", tuple(args), dtype, shape, detail=_BINARY[op],
                    flat2d=any(v.flat2d for v in values))
    if op in _UNARY and overload == "default":
        approximate = kwargs.pop("approximate", "'none'") if op == "gelu" else None
        plain(1)
        detail = "gelu_tanh" if approximate == "'tanh'" else op
        if approximate not in (None, "'none'", "'tanh'"):
            raise Decline(f"{where} with approximate={approximate}")
        source = values[0]
        return Step(name, "unary", tuple(args), source.dtype, source.shape, detail=detail, flat2d=source.flat2d)
    if op == "pow" and overload == "Tensor_Scalar":
        plain(2)
        if args[1][0] != "num" or args[1][1] not in _POW:
            raise Decline(f"{where} with exponent {args[1][1]!r}: the templates take 2, 3, 0.5, -0.5, -1")
        source = values[0]
        return Step(name, "pow", (args[0],), source.dtype, source.shape, detail=repr(args[1][1]), flat2d=source.flat2d)
    if op in _REDUCE and overload == _REDUCE[op]:
        if kwargs or len(args) not in (2, 3) or len(values) != 1:
            raise Decline(f"{where} with arguments {ast.unparse(call)[len(text):]} the chain templates do not model")
        source = values[0]
        rank = len(source.shape)
        dims = args[1][1] if args[1][0] == "list" else None
        if dims is None or len(dims) != 1 or not isinstance(dims[0], int) or dims[0] % rank != rank - 1:
            raise Decline(f"{where} over dims {args[1][1]!r}: the chain templates reduce the last dim only")
        if args[2:] != [("bool", True)]:
            raise Decline(f"{where} without keepdim: the chain templates keep the reduced dim as a per-row scalar")
        return Step(name, "reduce", (args[0],), source.dtype, source.shape[:-1] + (1,), detail=op)
    if op == "view" and overload == "default":
        plain(2)
        source = values[0]
        target = args[1][1] if args[1][0] == "list" else None
        total = 1
        for d in source.shape:
            total *= d
        if target is not None and len(target) == 2 and target[1] == source.shape[-1] \
                and target[0] in (-1, total // max(source.shape[-1], 1)):
            return Step(name, "view", (args[0],), source.dtype, (total // max(source.shape[-1], 1), source.shape[-1]),
                        flat2d=True)
        if target is not None and tuple(target) == source.shape:
            return Step(name, "identity", (args[0],), source.dtype, source.shape, flat2d=source.flat2d)
        raise Decline(f"{where} to {args[1][1]!r}: the chain templates take views that flatten the leading dims only")
    raise Decline(f"{where} has no chain template (they take casts, add/sub/mul/div, pow, last-dim mean/sum, "
                  f"unary math, detach, clone and row-preserving views)")


def parse_chain(spec_row: dict) -> Chain:
    """The spec's chain, checked to fit the templates; Decline naming the first thing that does not."""
    try:
        return _parse(spec_row["reference_code"], tuple(tuple(s) for s in spec_row["shapes"]))
    except Decline as err:
        message = str(err)
        if not message.startswith("a fused chain"):
            message = f"a fused chain the row-wise chain templates cannot express: {message}"
        raise Decline(message) from None


def _with_kinds(chain: Chain) -> Chain:
    """Each value's place in the row structure (row, per-row scalar, vector); Decline for anything else."""
    shape, n_cols = chain.shape, chain.shape[-1]
    if n_cols < 2:
        raise Decline(f"rows of {n_cols} column: nothing to reduce")
    steps = {}
    for name, step in chain.steps.items():
        if step.op == "input":
            if step.shape == shape:
                kind = "row"
            elif step.shape[-1] == n_cols and all(d == 1 for d in step.shape[:-1]):
                kind = "vector"
            else:
                raise Decline(f"input {name} of shape {step.shape} is neither full rows {shape} nor a vector "
                              f"[{n_cols}] broadcast over them")
        else:
            kinds = [steps[a[1]].kind for a in step.args if a[0] == "value"]
            if step.op == "reduce":
                if kinds[0] != "row" or steps[step.args[0][1]].flat2d:
                    raise Decline(f"{name} reduces a value that is not full rows")
                kind = "rowscalar"
            elif "row" in kinds or ("rowscalar" in kinds and "vector" in kinds):
                kind = "row"
            else:
                kind = "rowscalar" if "rowscalar" in kinds else "vector"
            flat = [steps[a[1]] for a in step.args if a[0] == "value"]
            if any(v.flat2d for v in flat) and len(shape) != 2 and any(v.kind != "vector" and not v.flat2d
                                                                         for v in flat):
                raise Decline(f"{name} mixes a value viewed as (M, N) with one of shape {shape}")
            if step.op == "view" and kind != "row":
                raise Decline(f"{name} views a value that is not full rows")
        steps[name] = dataclasses.replace(step, kind=kind)
    for out in chain.outputs:
        if steps[out].kind not in ("row", "rowscalar"):
            raise Decline(f"output {out} does not vary over rows (a vector): every program would write it")
    return Chain(chain.inputs, steps, chain.outputs, True, shape)


def _check_flat(chain: Chain) -> Chain:
    if len(chain.shape) > _MAX_RANK:
        raise Decline(f"a chain without a reduction of rank {len(chain.shape)}: the flat template takes up to "
                      f"{_MAX_RANK} dims")
    for name, step in chain.steps.items():
        values = [chain.steps[a[1]] for a in step.args if a[0] == "value"]
        if any(v.flat2d for v in values) and len(chain.shape) != 2 and any(not v.flat2d for v in values):
            raise Decline(f"{name} mixes a value viewed as (M, N) with one of shape {chain.shape}")
    for out in chain.outputs:
        step = chain.steps[out]
        full = (chain.n_rows, chain.n_cols) if step.flat2d else chain.shape
        if step.shape != full:
            raise Decline(f"output {out} of shape {step.shape} is not the full broadcast shape {chain.shape}")
    return chain


def check(spec_row: dict) -> None:
    domains = list(spec_row.get("input_domains") or [])
    if any(d == "mask" or d.startswith("index") for d in domains):
        raise Decline("a fused chain on integer or boolean inputs (positions, masks, indices): the chain "
                      "templates write float kernels")
    parse_chain(spec_row)


# ---------------------------------------------------------------------------------------------- kernel bodies

def _needed(chain: Chain, targets: list[str], known: set[str]) -> list[str]:
    """The values (in chain order) to compute for `targets`, given the values in `known`."""
    need: set[str] = set()
    stack = list(targets)
    while stack:
        name = stack.pop()
        if name in need or name in known:
            continue
        need.add(name)
        stack.extend(a[1] for a in chain.steps[name].args if a[0] == "value")
    return [n for n in chain.steps if n in need]


def _readers(chain: Chain) -> dict[str, int]:
    count = {name: 0 for name in chain.steps}
    for step in chain.steps.values():
        for a in step.args:
            if a[0] == "value":
                count[a[1]] += 1
    return count


def _operand(a: tuple, alias: dict[str, str]) -> str:
    if a[0] == "num":
        return repr(a[1]) if a[1] >= 0 else f"({a[1]!r})"
    return alias.get(a[1], a[1])


def _lines(chain: Chain, names: list[str], *, bodies: dict[str, int], load, reduce, alias: dict[str, str]) -> list[str]:
    """Triton lines computing `names`: `load(input)` the line loading an input, `reduce(step, operand)` the
    lines of a reduction; identities become aliases (in `alias`)."""
    readers = _readers(chain)
    out = []
    for name in names:
        step = chain.steps[name]
        if step.op == "input":
            out.append(load(name))
            continue
        if step.op in ("identity", "view") or (step.op == "cast" and (
                step.dtype == "float32" or step.dtype == chain.steps[step.args[0][1]].dtype)):
            alias[name] = _operand(step.args[0], alias)  # no change in value
            continue
        x = _operand(step.args[0], alias)
        if step.op == "cast":  # down to a half type
            if readers[name]:
                out.append(f"{name} = {x}.to({triton_dtype(step.dtype)}).to(tl.float32)  # the cast to {step.dtype}")
            else:
                alias[name] = x  # an output only: the store's cast rounds it
            continue
        if step.op == "binary":
            expr = f"{x} {step.detail} {_operand(step.args[1], alias)}"
        elif step.op == "unary":
            forms = (_GELU_TANH,) if step.detail == "gelu_tanh" else _UNARY[step.detail]
            expr = forms[bodies.get(step.detail, 0) % len(forms)].format(x=x)
        elif step.op == "pow":
            expr = _POW[float(step.detail)].format(x=x)
        else:  # reduce
            out.extend(reduce(step, x))
            expr = None
        if expr is not None:
            out.append(f"{name} = {expr}")
        if step.dtype in _LOW and readers[name]:
            out.append(_rounding(name, step.dtype))
    return out


def _rounding(name: str, dtype: str) -> str:
    return f"{name} = {name}.to({triton_dtype(dtype)}).to(tl.float32)  # {dtype} in the reference: round as it does"


def _body_choices(chain: Chain, rng: random.Random) -> dict[str, int]:
    ops = sorted({s.detail for s in chain.steps.values() if s.op == "unary" and s.detail in _UNARY})
    return {op: rng.randrange(len(_UNARY[op])) for op in ops}


def _calls(chain: Chain) -> str:
    return " > ".join(step.aten for step in chain.steps.values() if step.op != "input")


def _rounds(chain: Chain) -> str:
    """The prose's clause on half-precision values the kernel rounds as the reference does, if any."""
    rounded = sorted({s.dtype for s in chain.steps.values() if s.op != "input" and s.dtype in _LOW})
    return f", rounding to {' and '.join(rounded)} where the reference holds a value in it" if rounded else ""


def _torch_dtype(dtype: str) -> str:
    return f"torch.{dtype}"


# ---------------------------------------------------------------------------------------------- flat kernels

def _render_flat(spec_row: dict, rng: random.Random, structure: str, flaw: str | None) -> Draft:
    chain = parse_chain(spec_row)
    inputs = chain.inputs
    numel = chain.n_rows * chain.n_cols
    floor = flaw == "floor_div_grid"
    block = rng.choice(_floor_blocks(numel) if floor else _FLAT_BLOCKS)
    warps = launch_warps(rng, block)
    bodies = _body_choices(chain, rng)
    params = {"structure": structure, "body": sum(bodies.values()), "BLOCK_SIZE": block, "num_warps": warps}
    alias: dict[str, str] = {}
    lines = _lines(chain, _needed(chain, list(chain.outputs), set()), bodies=bodies, alias=alias,
                   load=lambda x: f"{x} = tl.load({x}_ptr + i0 * {x}_s0 + i1 * {x}_s1 + i2 * {x}_s2 + i3 * {x}_s3, "
                                  f"mask=mask).to(tl.float32)",
                   reduce=None)
    outs = [f"out{i}" for i in range(len(chain.outputs))]
    stores = [f"tl.store({o}_ptr + offsets, {alias.get(t, t)}.to({o}_ptr.dtype.element_ty), mask=mask)"
              for o, t in zip(outs, chain.outputs)]
    inner = fill('''
        # Split the flat output index into 4-D coordinates, then address each input through its strides.
        i3 = offsets % size3
        i2 = (offsets // size3) % size2
        i1 = (offsets // (size3 * size2)) % size1
        i0 = offsets // (size3 * size2 * size1)
        <<lines>>
        <<stores>>
        ''', lines="\n".join(lines), stores="\n".join(stores))
    if structure == "flat_block":
        main = fill('''
            # One program per block of the flattened output.
            pid = tl.program_id(axis=0)
            offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
            mask = offsets < n_elements
            <<inner>>
            ''', inner=inner)
        unit = "program"
    else:
        main = fill('''
            # A fixed grid sweeps the output: program pid takes blocks pid, pid + num_programs, ...
            pid = tl.program_id(axis=0)
            num_programs = tl.num_programs(axis=0)
            for block_start in range(pid * BLOCK_SIZE, <<end>>, num_programs * BLOCK_SIZE):
                offsets = block_start + tl.arange(0, BLOCK_SIZE)
                mask = offsets < n_elements
                <<inner>>
            ''', inner=inner, end="n_elements - BLOCK_SIZE + 1" if floor else "n_elements")
        unit = "loop iteration"
    kernel = fill('''
        @triton.jit
        def chain_kernel(
            <<pointers>>,  # inputs, read through their strides (a broadcast dim has stride 0)
            <<out_pointers>>,  # outputs, contiguous, the broadcast shape
            n_elements,
            size1, size2, size3,  # sizes of dims 1-3 of the broadcast shape padded to 4 dims
            <<strides>>
            BLOCK_SIZE: tl.constexpr,  # elements per <<unit>>
        ):
            # The chain <<calls>>, in fp32.
            <<main>>
        ''', pointers=", ".join(f"{x}_ptr" for x in inputs), out_pointers=", ".join(f"{o}_ptr" for o in outs),
        strides="\n".join(f"{x}_s0, {x}_s1, {x}_s2, {x}_s3,  # strides of {x}" for x in inputs), unit=unit,
        calls=_calls(chain), main=main)
    if structure == "flat_block":
        grid = f"grid = ({'n_elements // BLOCK_SIZE' if floor else 'triton.cdiv(n_elements, BLOCK_SIZE)'},)"
        sweep = "# One program per BLOCK_SIZE elements."
    else:
        programs = rng.choice((64, 128, 256, 512))
        params["MAX_PROGRAMS"] = programs
        grid = f"grid = (min(triton.cdiv(n_elements, BLOCK_SIZE), {programs}),)"
        sweep = f"# At most {programs} programs, each looping over the blocks left to it."
    allocs = "\n".join(f"{o} = torch.empty(shape, device={inputs[0]}.device, dtype={_torch_dtype(chain.steps[t].dtype)})"
                       for o, t in zip(outs, chain.outputs))
    returns = ", ".join(f"{o}.view(-1, shape[-1])" if chain.steps[t].flat2d else o for o, t in zip(outs, chain.outputs))
    launcher = fill('''
        def chain(<<args>>):
            # The broadcast shape of every input (dims aligned from the right, a size-1 dim stretched), padded
            # to 4 dims; each input as a view of it (stride 0 on broadcast dims), so transposed, sliced and
            # broadcast inputs are read in place.
            <<broadcast>>
            assert rank <= 4, "up to 4 dims"
            sizes = [1] * (4 - rank) + shape
            <<strides>>
            <<allocs>>
            n_elements = <<first_out>>.numel()
            assert n_elements < 2**31, "int32 offsets address at most 2**31 - 1 elements"
            BLOCK_SIZE = <<block>>
            <<sweep>>
            <<grid>>
            chain_kernel[grid](<<inputs>>, <<outs>>, n_elements, sizes[1], sizes[2], sizes[3], <<stride_vals>>BLOCK_SIZE=BLOCK_SIZE, num_warps=<<warps>>)
            return <<returns>>
        ''', args=", ".join(f"{x}: torch.Tensor" for x in inputs),
        strides="\n".join(f"{x}_strides = [0] * (4 - rank) + list({x}.expand(shape).stride())" for x in inputs),
        broadcast=_broadcast_lines(inputs), allocs=allocs, first_out=outs[0], block=block, sweep=sweep, grid=grid, inputs=", ".join(inputs),
        outs=", ".join(outs), stride_vals="".join(f"*{x}_strides, " for x in inputs), warps=warps, returns=returns)
    calls = _calls(chain)
    code = module(kernel, launcher, model_new(f"Computes the fused chain {calls} with one Triton kernel.",
                                              ", ".join(inputs), f"chain({', '.join(inputs)})"))
    if structure == "flat_block":
        how = f"each program computes a masked block of {block} output elements in fp32"
    else:
        how = f"a fixed grid of programs sweeps the output in blocks of {block} elements, computing in fp32"
    prose = (f"The chain {calls} has no reduction, so one kernel fuses it elementwise: {how}, reading every input "
             f"through its strides (broadcast inputs with stride 0, no copies){_rounds(chain)}.")
    return Draft(variant=flaw or structure, flaw=flaw, params=params, code=code, prose=prose)


def _broadcast_lines(inputs: tuple[str, ...]) -> str:
    if len(inputs) == 1:
        return f"rank = {inputs[0]}.dim()\nshape = list({inputs[0]}.shape)"
    lines = [f"rank = max({', '.join(f'{x}.dim()' for x in inputs)})"]
    lines += [f"{x}_shape = [1] * (rank - {x}.dim()) + list({x}.shape)" for x in inputs]
    lines.append(f"shape = [max(sizes) for sizes in zip({', '.join(f'{x}_shape' for x in inputs)})]")
    return "\n".join(lines)


def _floor_blocks(numel: int) -> list[int]:
    return [b for b in _FLAT_BLOCKS if numel // b >= 1 and numel % b >= _FLOOR_MIN_TAIL]


# ---------------------------------------------------------------------------------------------- row kernels

def _rows_choices(n_rows: int, n_cols: int, flaw: str | None) -> list[int]:
    """Rows per program for the single-pass kernel: a tile of at most 8192 elements; for the floor-divided
    grid, only counts that leave rows unwritten at the shown size."""
    block = next_power_of_2(n_cols)
    choices = [r for r in (1, 2, 4, 8, 16) if r * block <= _SINGLE_PASS_MAX]
    if flaw == "floor_row_grid":
        choices = [r for r in choices if r > 1 and n_rows // r >= 1 and n_rows % r]
    return choices


def _sums_squares(chain: Chain, step: Step) -> bool:
    """Whether a reduction sums the squares of inputs or of their sums and differences (RMSNorm's mean of
    x ** 2, with or without a residual add): a sum that grows as the inputs' scale squared while the
    reference, which squares in fp32, stays finite on inputs scaled by 64."""
    if step.op != "reduce":
        return False
    operand = chain.steps[step.args[0][1]]
    return operand.op == "pow" and float(operand.detail) == 2.0 and _linear_in_inputs(chain, operand.args[0][1])


def _linear_in_inputs(chain: Chain, name: str) -> bool:
    step = chain.steps[name]
    if step.op == "input":
        return True
    if step.op in ("cast", "identity") or (step.op == "binary" and step.detail in "+-"):
        return all(_linear_in_inputs(chain, a[1]) for a in step.args if a[0] == "value")
    return False


def _warp_choices(tile: int) -> tuple[int, ...]:
    """Warps that hold a row tile in at most 64 fp32 values a thread (a chain keeps several live)."""
    return tuple(w for w in (1, 2, 4, 8, 16) if tile <= w * 32 * 64) or (16,)


def _render_rows(spec_row: dict, rng: random.Random, structure: str, flaw: str | None) -> Draft:
    chain = parse_chain(spec_row)
    single = structure == "single_pass"
    inputs = chain.inputs
    rows_in = [x for x in inputs if chain.steps[x].kind == "row"]
    vectors = [x for x in inputs if chain.steps[x].kind == "vector"]
    outs = [f"out{i}" for i in range(len(chain.outputs))]
    bodies = _body_choices(chain, rng)
    if single:
        rows_per = rng.choice(_rows_choices(chain.n_rows, chain.n_cols, flaw))
        block = next_power_of_2(chain.n_cols)
        warps = launch_warps(rng, rows_per * block, _warp_choices(rows_per * block))
        params = {"structure": structure, "body": sum(bodies.values()), "ROWS": rows_per, "num_warps": warps}
    else:
        block = rng.choice([b for b in (128, 256, 512, 1024, 2048) if b < next_power_of_2(chain.n_cols)] or [64])
        warps = launch_warps(rng, block, _warp_choices(block))
        params = {"structure": structure, "body": sum(bodies.values()), "BLOCK_N": block, "num_warps": warps}
    divisor = "BLOCK_N" if flaw == "padded_mean" else "n_cols"

    def _accumulate(step: Step) -> str:
        """The flaw half_precision_sum: a sum of squares accumulated in float16."""
        return ".to(tl.float16)" if flaw == "half_precision_sum" and _sums_squares(chain, step) else ""

    if single:
        def load(x):
            if chain.steps[x].kind == "vector":
                return f"{x} = tl.load({x}_ptr + cols * {x}_sc, mask=col_mask, other=0.0).to(tl.float32)[None, :]"
            return (f"{x} = tl.load({x}_ptr + rows[:, None] * {x}_sr + cols[None, :] * {x}_sc, mask=mask, "
                    f"other=0.0).to(tl.float32)")

        def reduce(step, x):
            # Padding lanes may hold anything the chain made of the zeros they loaded: mask them out first.
            total = f"tl.sum(tl.where(mask, {x}, 0.0){_accumulate(step)}, axis=1)[:, None]"
            return [f"{step.name} = {total}" + (f" / {divisor}" if step.detail == "mean" else "")
                    + f"  # per-row {step.detail}, ({'ROWS'}, 1)"]

        alias: dict[str, str] = {}
        lines = _lines(chain, _needed(chain, list(chain.outputs), set()), bodies=bodies, load=load, reduce=reduce,
                       alias=alias)
        stores = []
        for o, t in zip(outs, chain.outputs):
            value = alias.get(t, t)
            if chain.steps[t].kind == "row":
                stores.append(f"tl.store({o}_ptr + rows[:, None] * n_cols + cols[None, :], "
                              f"{value}.to({o}_ptr.dtype.element_ty), mask=mask)")
            else:
                stores.append(f"tl.store({o}_ptr + rows[:, None], {value}.to({o}_ptr.dtype.element_ty), "
                              "mask=rows[:, None] < n_rows)")
        main = fill('''
            # ROWS rows per program, each row whole in one block of BLOCK_N >= n_cols columns.
            pid = tl.program_id(axis=0).to(tl.int64)  # row * stride can pass 2**31 on large inputs
            rows = pid * ROWS + tl.arange(0, ROWS)
            cols = tl.arange(0, BLOCK_N)
            col_mask = cols < n_cols
            mask = (rows[:, None] < n_rows) & col_mask[None, :]
            <<lines>>
            <<stores>>
            ''', lines="\n".join(lines), stores="\n".join(stores))
        constexprs = ("ROWS: tl.constexpr,  # rows per program\n"
                      "BLOCK_N: tl.constexpr,  # a power of two >= n_cols: a row in one block")
    else:
        def load(x):
            if chain.steps[x].kind == "vector":
                return f"{x} = tl.load({x}_ptr + cols * {x}_sc, mask=mask, other=0.0).to(tl.float32)"
            return f"{x} = tl.load({x}_ptr + row * {x}_sr + cols * {x}_sc, mask=mask, other=0.0).to(tl.float32)"

        reductions = [n for n, s in chain.steps.items() if s.op == "reduce"]
        known: set[str] = set()
        alias = {}
        passes = []

        def per_row(targets: list[str]) -> str:
            """Lines, outside the column loops, for the per-row scalars the targets need (rstd from a mean)."""
            names = [n for n in _needed(chain, targets, known) if chain.steps[n].kind == "rowscalar"]
            lines = _lines(chain, names, bodies=bodies, load=None, reduce=None, alias=alias)
            known.update(names)
            return "\n".join(lines)

        for name in reductions:
            if name not in _needed(chain, list(chain.outputs), known):
                continue
            step = chain.steps[name]
            operand = step.args[0][1]
            hoisted = per_row([operand])
            pass_alias = dict(alias)
            lines = _lines(chain, _needed(chain, [operand], known), bodies=bodies, load=load, reduce=None,
                           alias=pass_alias)
            finish = f"{name} = tl.sum(acc, axis=0)" + (f" / {divisor}" if step.detail == "mean" else "")
            rounding = [_rounding(name, step.dtype)] if step.dtype in _LOW else []
            passes.append(fill('''
                <<hoisted>>
                # Pass: the per-row <<op>> <<name>>, from per-lane partial sums over column tiles.
                acc = tl.zeros([BLOCK_N], dtype=<<acc_dtype>>)
                for start in range(0, n_cols, BLOCK_N):
                    cols = start + tl.arange(0, BLOCK_N)
                    mask = cols < n_cols
                    <<lines>>
                    acc += tl.where(mask, <<operand>>, 0.0)<<accumulate>>
                <<finish>>
                <<rounding>>
                ''', op=step.detail, name=name, lines="\n".join(lines), operand=pass_alias.get(operand, operand),
                finish=finish, rounding="\n".join(rounding), hoisted=hoisted, accumulate=_accumulate(step),
                acc_dtype="tl.float16" if _accumulate(step) else "tl.float32"))
            known.add(name)
        row_outs = [(o, t) for o, t in zip(outs, chain.outputs) if chain.steps[t].kind == "row"]
        scalar_outs = [(o, t) for o, t in zip(outs, chain.outputs) if chain.steps[t].kind == "rowscalar"]
        tail = []
        if row_outs:
            hoisted = per_row([t for _, t in row_outs])
            final_alias = dict(alias)
            lines = _lines(chain, _needed(chain, [t for _, t in row_outs], known), bodies=bodies, load=load,
                           reduce=None, alias=final_alias)
            stores = [f"tl.store({o}_ptr + row * n_cols + cols, {final_alias.get(t, t)}.to({o}_ptr.dtype.element_ty), "
                      "mask=mask)" for o, t in row_outs]
            tail.append(fill('''
                <<hoisted>>
                # Last pass: the chain's row outputs, tile by tile.
                for start in range(0, n_cols, BLOCK_N):
                    cols = start + tl.arange(0, BLOCK_N)
                    mask = cols < n_cols
                    <<lines>>
                    <<stores>>
                ''', lines="\n".join(lines), stores="\n".join(stores), hoisted=hoisted))
        if scalar_outs:
            scalar_alias = dict(alias)
            lines = _lines(chain, _needed(chain, [t for _, t in scalar_outs], known), bodies=bodies, load=None,
                           reduce=None, alias=scalar_alias)
            tail.append("\n".join(lines + [f"tl.store({o}_ptr + row, {scalar_alias.get(t, t)}.to({o}_ptr.dtype.element_ty))"
                                           for o, t in scalar_outs]))
        main = fill('''
            # One program per row, walked in tiles of BLOCK_N columns: a pass per reduction, then the outputs.
            row = tl.program_id(axis=0).to(tl.int64)
            <<passes>>
            <<tail>>
            ''', passes="\n".join(passes), tail="\n".join(tail))
        constexprs = "BLOCK_N: tl.constexpr,  # columns per tile"
    row_strides = "".join(f"{x}_sr, {x}_sc,  # row and column strides of {x}\n" for x in rows_in)
    vec_strides = "".join(f"{x}_sc,  # stride of the vector {x}\n" for x in vectors)
    kernel = fill('''
        @triton.jit
        def chain_kernel(
            <<pointers>>,  # inputs: full rows (n_rows, n_cols) and vectors (n_cols,), read through their strides
            <<out_pointers>>,  # outputs, contiguous: full rows, or one value per row
            n_rows, n_cols,
            <<strides>>
            <<constexprs>>
        ):
            # The chain <<calls>>, in fp32.
            <<main>>
        ''', pointers=", ".join(f"{x}_ptr" for x in inputs), out_pointers=", ".join(f"{o}_ptr" for o in outs),
        strides=(row_strides + vec_strides).rstrip("\n"), constexprs=constexprs, calls=_calls(chain), main=main)
    first = rows_in[0]
    views = [f"{x}_2d = {x}.reshape(-1, n_cols)  # a view where the strides allow, else a copy" for x in rows_in]
    views += [f"{x}_1d = {x}.reshape(-1)" for x in vectors]
    checks = [f"assert {x}.shape == shape, \"full rows of one shape\"" for x in rows_in[1:]]
    checks += [f"assert {x}.numel() == n_cols, \"a vector of n_cols\"" for x in vectors]
    allocs = []
    for o, t in zip(outs, chain.outputs):
        out_shape = "shape" if chain.steps[t].kind == "row" else "(*shape[:-1], 1)"
        allocs.append(f"{o} = torch.empty({out_shape}, device={first}.device, dtype={_torch_dtype(chain.steps[t].dtype)})")
    args = [f"{x}_2d" if x in rows_in else f"{x}_1d" for x in inputs]
    stride_vals = "".join(f"{x}_2d.stride(0), {x}_2d.stride(1), " for x in rows_in)
    stride_vals += "".join(f"{x}_1d.stride(0), " for x in vectors)
    if single:
        grid = f"grid = ({'n_rows // ROWS' if flaw == 'floor_row_grid' else 'triton.cdiv(n_rows, ROWS)'},)"
        consts = f"ROWS={rows_per}, BLOCK_N=triton.next_power_of_2(n_cols)"
        setup = f"ROWS = {rows_per}"
    else:
        grid = "grid = (n_rows,)"
        consts = f"BLOCK_N={block}"
        setup = ""
    returns = ", ".join(f"{o}.view(-1, n_cols)" if chain.steps[t].flat2d else o for o, t in zip(outs, chain.outputs))
    launcher = fill('''
        def chain(<<sig>>):
            # Rows along the last dim: the leading dims flatten to n_rows.
            shape = <<first>>.shape
            n_cols = shape[-1]
            n_rows = <<first>>.numel() // n_cols
            <<checks>>
            <<views>>
            <<allocs>>
            <<setup>>
            <<grid>>
            chain_kernel[grid](<<args>>, <<outs>>, n_rows, n_cols, <<stride_vals>><<consts>>, num_warps=<<warps>>)
            return <<returns>>
        ''', sig=", ".join(f"{x}: torch.Tensor" for x in inputs), first=first, checks="\n".join(checks),
        views="\n".join(views), allocs="\n".join(allocs), setup=setup, grid=grid, args=", ".join(args),
        outs=", ".join(outs), stride_vals=stride_vals, consts=consts, warps=warps, returns=returns)
    calls = _calls(chain)
    code = module(kernel, launcher, model_new(f"Computes the fused chain {calls} with one Triton kernel.",
                                              ", ".join(inputs), f"chain({', '.join(inputs)})"))
    if single:
        prose = (f"The chain {calls} reduces along the last dim, so one row kernel fuses it: each program loads "
                 f"{rows_per} row{'s' if rows_per > 1 else ''} whole (BLOCK_N = next power of two of the row "
                 "width) and computes every value in fp32, the reductions masked to the real columns"
                 f"{_rounds(chain)}" + ("; the vector operands are loaded once per program." if vectors else "."))
    else:
        prose = (f"The chain {calls} reduces along the last dim, so one row kernel fuses it: a program per row walks "
                 f"it in tiles of {block} columns, one pass per reduction accumulating per-lane fp32 partial sums, "
                 f"then a last pass recomputes the elementwise part from the inputs and stores the outputs"
                 f"{_rounds(chain)}.")
    return Draft(variant=flaw or structure, flaw=flaw, params=params, code=code, prose=prose)


# ---------------------------------------------------------------------------------------------- variants

def _transforms(spec_row: dict) -> set[str]:
    """The verifier's input transforms every input of the spec keeps (`kerneldata.core.domains`)."""
    from kerneldata.core.domains import preserving_transforms

    domains = spec_row.get("input_domains") or ["unspecified"]
    kept = set(preserving_transforms(domains[0]))
    for domain in domains[1:]:
        kept &= set(preserving_transforms(domain))
    return kept


def _variants() -> tuple[Variant, ...]:
    def chain(s):
        return parse_chain(s)

    def flat(s):
        return not chain(s).reduces

    def single_pass(s):
        return chain(s).reduces and next_power_of_2(chain(s).n_cols) <= _SINGLE_PASS_MAX

    def looped(s):
        return chain(s).reduces and chain(s).n_cols > 64

    shapes = {"flat_block": flat, "grid_stride": flat, "single_pass": single_pass, "looped": looped}
    renderers = {"flat_block": _render_flat, "grid_stride": _render_flat, "single_pass": _render_rows,
                 "looped": _render_rows}

    correct, flawed = variant_makers(shapes, renderers)

    def padded(s):
        c = chain(s)
        n = c.n_cols
        means = [st for st in c.steps.values() if st.op == "reduce" and st.detail == "mean"]
        return bool(means) and (next_power_of_2(n) - n) / n >= _PADDED_MIN

    def half_sum(s):
        c = chain(s)
        return (s["dtype"] == "float16" and c.n_cols >= _HALF_SUM_MIN_COLS and "scale" in _transforms(s)
                and any(_sums_squares(c, st) for st in c.steps.values()))

    return (
        flawed("floor_div_grid", ("flat_block", "grid_stride"),
               lambda s: bool(_floor_blocks(chain(s).n_rows * chain(s).n_cols))),
        flawed("padded_mean", ("single_pass",), padded),
        flawed("floor_row_grid", ("single_pass",),
               lambda s: bool(_rows_choices(chain(s).n_rows, chain(s).n_cols, "floor_row_grid"))),
        flawed("half_precision_sum", ("single_pass", "looped"), half_sum),
        *(correct(st) for st in shapes),
    )


GROUPS = (Group("workload", (), check, _variants(), claims=is_chain),)
