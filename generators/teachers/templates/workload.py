'''Templates for workload specs (`specs.source: workloads`): one ATen call recorded from a real model, as
`generators.specs.workloads.render` writes it (`t0 = torch.ops.aten.<op>.<overload>(...)`, then `return t0`).

Answered: float elementwise calls (unary ops, a tensor with a Python scalar, two tensors with broadcasting),
a sum, mean or softmax over the last dim, and `mm` / `addmm`. Inputs keep the strides the model had (a
transposed weight, a slice of a fused QKV projection): the elementwise kernels read every input through
its strides (broadcast dims have stride 0) from a flat index split into up to four coordinates, the matmul
reads both operands through their strides, and the row kernels make the input contiguous first.

Chains of several calls are not this module's: `templates.chain` answers the row-wise ones (RMSNorm with
or without a residual add, silu * mul, tanh-GELU, casts) and declines the rest (attention, rotary's cat,
layer norm, MoE routing). Declined here, with the reason in `teacher_meta.declined`: integer and boolean bookkeeping (positions, masks, indices), calls with
keyword arguments the templates do not model (a dtype, alpha/beta), reductions over other dims, and ops
without a template (cat, index, embedding, topk, sort, grouped GEMM...). Guarantees as for every group: a
flawed variant is offered only where the verifier's inputs show it.
'''

from __future__ import annotations

import ast
import functools
import random
import re

from generators.teachers.templates.base import (
    Decline, Draft, Group, Variant, fill, launch_warps, model_new, module, next_power_of_2, variant_makers,
)
from generators.teachers.templates.elementwise import BODIES

FLAWS: dict[str, tuple[str, float]] = {
    "floor_div_grid": ("the grid or loop bound rounds down, so the last partial block is never written", 0.15),
    "no_max_subtraction": ("exp of the raw inputs, without subtracting the row maximum: overflows", 0.3),
    "padded_mean": ("divides by the padded block width instead of the row length", 0.25),
    "floor_k_loop": ("the K loop rounds down, so the last partial K tile is left out of every product", 0.15),
}

# ATen unary op -> the elementwise templates' op whose bodies compute it (fp32, from `x`).
_UNARY = {"silu": "silu", "tanh": "tanh", "sigmoid": "sigmoid", "relu": "relu", "gelu": "gelu", "exp": "exp",
          "log": "log", "sqrt": "sqrt", "rsqrt": "rsqrt", "cos": "cos", "sin": "sin", "abs": "abs",
          "reciprocal": "reciprocal", "erf": "erf"}
_EXTRA_UNARY = {"neg": ["out = -x", "out = 0.0 - x"]}
_BINARY = {"add": "x + y", "sub": "x - y", "mul": "x * y", "div": "x / y"}
_ROWS = {"sum": "dim_IntList", "mean": "dim", "_softmax": "default"}
_MATMUL = {"mm", "addmm"}
_MAX_RANK = 4
_FLAT_BLOCKS = (256, 512, 1024, 2048)
_FLOOR_MIN_TAIL = 16
_SINGLE_PASS_MAX = 8192


# ---------------------------------------------------------------------------------------------- parsing

@functools.lru_cache(maxsize=4096)
def _call(reference_code: str) -> tuple[str, str, tuple, tuple[str, ...], tuple[str, ...]]:
    """(op, overload, positional args as ('name', str) / ('num', float) / ('list', tuple), forward's
    argument names, keyword names) of the reference's single ATen call; Decline for anything else."""
    try:
        tree = ast.parse(reference_code)
    except SyntaxError as err:
        raise Decline(f"the reference does not parse: {err.msg}") from None
    forward = next((item for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Model"
                    for item in node.body if isinstance(item, ast.FunctionDef) and item.name == "forward"), None)
    if forward is None:
        raise Decline("the reference has no Model.forward")
    calls = [stmt for stmt in forward.body if isinstance(stmt, ast.Assign)]
    if len(calls) != 1:
        raise Decline(f"a fused chain of {len(calls)} ATen calls: the built-in templates write single calls only")
    call = calls[0].value
    text = ast.unparse(call.func) if isinstance(call, ast.Call) else ""
    match = re.fullmatch(r"torch\.ops\.aten\.(\w+)\.(\w+)", text)
    if not match:
        raise Decline(f"the call {text or ast.unparse(call)!r} is not an ATen op the templates know")
    args = []
    for arg in call.args:
        if isinstance(arg, ast.Name):
            args.append(("name", arg.id))
        elif isinstance(arg, ast.Constant) and type(arg.value) in (int, float):
            args.append(("num", float(arg.value)))
        elif isinstance(arg, ast.UnaryOp) and isinstance(arg.op, ast.USub) and isinstance(arg.operand, ast.Constant):
            args.append(("num", -float(arg.operand.value)))
        elif isinstance(arg, ast.List) and all(isinstance(e, (ast.Constant, ast.UnaryOp)) for e in arg.elts):
            args.append(("list", tuple(ast.literal_eval(e) for e in arg.elts)))
        elif isinstance(arg, ast.Constant) and isinstance(arg.value, bool):
            args.append(("bool", arg.value))
        else:
            args.append(("other", ast.unparse(arg)))
    names = tuple(a.arg for a in forward.args.args[1:])
    return match[1], match[2], tuple(args), names, tuple(k.arg or "**" for k in call.keywords)


def _plan(spec_row: dict) -> dict:
    """What the spec's call is, for the templates: kind (unary, scalar, binary, rows, matmul) and its pieces."""
    op, overload, args, names, kwargs = _call(spec_row["reference_code"])
    if op not in {*_UNARY, *_EXTRA_UNARY, *_BINARY, "pow", *_ROWS, *_MATMUL}:
        raise Decline(f"the built-in teacher has no template for aten.{op}.{overload} (of a workload spec); it "
                      "answers float elementwise calls, last-dim sum/mean/softmax, mm and addmm")
    domains = list(spec_row.get("input_domains") or [])
    if any(d == "mask" or d.startswith("index") for d in domains):
        raise Decline(f"aten.{op} on integer or boolean inputs (positions, masks, indices): the built-in "
                      "templates write float kernels")
    source = spec_row["reference_code"]
    model_dtype = re.search(r"^DTYPE = (torch\.\w+)$", source, re.MULTILINE)
    dtypes = {model_dtype[1] if d == "DTYPE" and model_dtype else d
              for d in re.findall(r"dtype=([\w.]+)", source.split("def get_inputs", 1)[-1])}
    if len(dtypes) > 1:
        raise Decline(f"aten.{op} mixes input dtypes {sorted(dtypes)}")
    shapes = [tuple(s) for s in spec_row["shapes"]]
    if any(len(s) > _MAX_RANK for s in shapes):
        raise Decline(f"aten.{op} on a rank above {_MAX_RANK}")
    tensors = [a[1] for a in args if a[0] == "name"]
    if op in _UNARY or op in _EXTRA_UNARY:
        if kwargs or len(args) != 1 or len(tensors) != 1:
            raise Decline(f"aten.{op}.{overload} with arguments {kwargs or args} the templates do not model")
        return {"kind": "unary", "op": op, "names": names, "shapes": shapes}
    if op in _BINARY and overload in ("Tensor", "Scalar") and not kwargs and len(args) == 2:
        if len(tensors) == 2:
            return {"kind": "binary", "op": op, "names": names, "shapes": shapes, "order": tensors}
        if args[0][0] == "name" and args[1][0] == "num":
            return {"kind": "scalar", "op": op, "names": names, "shapes": shapes, "scalar": args[1][1]}
    if op == "pow" and overload == "Tensor_Scalar" and not kwargs and args[1] in (("num", 2.0), ("num", 3.0)):
        return {"kind": "unary", "op": f"pow{int(args[1][1])}", "names": names, "shapes": shapes}
    if op in _ROWS and overload == _ROWS[op] and not kwargs and len(tensors) == 1 and len(shapes[0]) >= 1:
        rank = len(shapes[0])
        dims = args[1][1] if args[1][0] == "list" else (int(args[1][1]),) if args[1][0] == "num" else None
        if dims is None or len(dims) != 1 or dims[0] % rank != rank - 1:
            raise Decline(f"aten.{op} over dims {args[1][1]!r}: the templates reduce the last dim only")
        extra = args[2:]
        keepdim = bool(extra[0][1]) if extra and op != "_softmax" else False
        if op == "_softmax" and (not extra or extra[0] != ("bool", False)):
            raise Decline("aten._softmax with half_to_float: the templates keep the input's dtype")
        return {"kind": "rows", "op": op, "names": names, "shapes": shapes, "keepdim": keepdim}
    if op in _MATMUL and not kwargs and len(tensors) == len(args) and all(len(s) <= 2 for s in shapes):
        return {"kind": "matmul", "op": op, "names": names, "shapes": shapes, "order": tensors}
    raise Decline(f"the built-in teacher has no template for aten.{op}.{overload} (of a workload spec); it "
                  "answers float elementwise calls, last-dim sum/mean/softmax, mm and addmm")


def check(spec_row: dict) -> None:
    _plan(spec_row)


# ---------------------------------------------------------------------------------------------- elementwise

def _bodies(plan: dict) -> list[str]:
    op = plan["op"]
    if plan["kind"] == "binary":
        return [f"out = {_BINARY[op]}"]
    if plan["kind"] == "scalar":
        value = repr(plan["scalar"])
        return [f"out = {_BINARY[op].replace('y', value)}  # the call's scalar operand"]
    if op == "pow2":
        return ["out = x * x"]
    if op == "pow3":
        return ["out = x * x * x", "x2 = x * x\nout = x2 * x"]
    return _EXTRA_UNARY.get(op) or BODIES[_UNARY[op]]


_ND_KERNEL = '''
    @triton.jit
    def <<name>>_kernel(
        <<pointers>>,  # inputs, read through their strides (a broadcast dim has stride 0)
        out_ptr,  # output, contiguous, the broadcast shape padded to 4 dims
        n_elements,
        size1, size2, size3,  # sizes of dims 1-3 (dim 0's follows from n_elements)
        <<stride_args>>
        BLOCK_SIZE: tl.constexpr,  # elements per <<unit>>
    ):
        <<main>>
    '''
# The flat index -> 4-D coordinates -> each input's address; the body; the store.
_INNER = """\
# Split the flat output index into 4-D coordinates, then address each input through its strides.
i3 = offsets % size3
i2 = (offsets // size3) % size2
i1 = (offsets // (size3 * size2)) % size1
i0 = offsets // (size3 * size2 * size1)
<<loads>>
<<body>>
tl.store(out_ptr + offsets, out.to(out_ptr.dtype.element_ty), mask=mask)
"""
_PROLOGUES = {
    "flat_block": ("program", """\
# One program per block of the flattened output.
pid = tl.program_id(axis=0)
offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
mask = offsets < n_elements
<<inner>>
"""),
    "grid_stride": ("loop iteration", """\
# A fixed grid sweeps the output: program pid takes blocks pid, pid + num_programs, ...
pid = tl.program_id(axis=0)
num_programs = tl.num_programs(axis=0)
for block_start in range(pid * BLOCK_SIZE, <<loop_end>>, num_programs * BLOCK_SIZE):
    offsets = block_start + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    <<inner>>
"""),
}


def _numel(shape) -> int:
    total = 1
    for d in shape:
        total *= d
    return total


def _out_shape(shapes: list[tuple]) -> tuple:
    rank = max(len(s) for s in shapes)
    padded = [(1,) * (rank - len(s)) + s for s in shapes]
    return tuple(max(p[d] for p in padded) for d in range(rank))


_BROADCAST = """\
# The broadcast shape: dims aligned from the right, a size-1 dim stretched to the other's size.
rank = max(x.dim(), y.dim())
x_shape = [1] * (rank - x.dim()) + list(x.shape)
y_shape = [1] * (rank - y.dim()) + list(y.shape)
shape = [max(a, b) for a, b in zip(x_shape, y_shape)]"""


def _floor_blocks(n: int, structure: str) -> list[int]:
    return [b for b in _FLAT_BLOCKS if n // b >= 1 and n % b >= _FLOOR_MIN_TAIL]


def _render_elementwise(spec_row: dict, rng: random.Random, structure: str, flaw: str | None) -> Draft:
    plan = _plan(spec_row)
    names = list(plan["names"])
    inputs = plan.get("order", names)
    letters = ["x", "y"][: len(inputs)]
    name = f"{plan['op']}_{plan['kind']}".replace("pow2", "square").replace("pow3", "cube")
    n = _numel(_out_shape(plan["shapes"]))
    floor = flaw == "floor_div_grid"
    block = rng.choice(_floor_blocks(n, structure) if floor else _FLAT_BLOCKS)
    warps = launch_warps(rng, block)
    body_index = rng.randrange(len(_bodies(plan)))
    params = {"structure": structure, "body": body_index, "BLOCK_SIZE": block, "num_warps": warps}
    unit, prologue = _PROLOGUES[structure]
    loads = "\n".join(f"{v} = tl.load({v}_ptr + i0 * {v}_s0 + i1 * {v}_s1 + i2 * {v}_s2 + i3 * {v}_s3, "
                      f"mask=mask).to(tl.float32)" for v in letters)
    inner = fill(_INNER, loads=loads, body=_bodies(plan)[body_index])
    main = fill(prologue, inner=inner, loop_end="n_elements - BLOCK_SIZE + 1" if floor else "n_elements")
    kernel = fill(_ND_KERNEL, name=name, pointers=", ".join(f"{v}_ptr" for v in letters), unit=unit,
                  stride_args="\n".join(f"{v}_s0, {v}_s1, {v}_s2, {v}_s3,  # strides of {v}" for v in letters),
                  main=main)
    if structure == "flat_block":
        grid = f"grid = ({'n_elements // BLOCK_SIZE' if floor else 'triton.cdiv(n_elements, BLOCK_SIZE)'},)"
        sweep = "# One program per BLOCK_SIZE elements."
    else:
        programs = rng.choice((64, 128, 256, 512))
        params["MAX_PROGRAMS"] = programs
        grid = f"grid = (min(triton.cdiv(n_elements, BLOCK_SIZE), {programs}),)"
        sweep = f"# At most {programs} programs, each looping over the blocks left to it."
    args = ", ".join(f"{v}: torch.Tensor" for v in letters)
    launcher = fill('''
        def <<name>>(<<args>>) -> torch.Tensor:
            <<shape>>
            assert rank <= 4, "up to 4 dims"
            out = torch.empty(shape, device=<<first>>.device, dtype=<<first>>.dtype)
            # Padded to 4 dims; each input as a view of the output's shape (stride 0 on broadcast dims).
            sizes = [1] * (4 - rank) + shape
            <<strides>>
            n_elements = out.numel()
            assert n_elements < 2**31, "int32 offsets address at most 2**31 - 1 elements"
            BLOCK_SIZE = <<block>>
            <<sweep>>
            <<grid>>
            <<name>>_kernel[grid](<<letters>>, out, n_elements, sizes[1], sizes[2], sizes[3], <<stride_vals>>BLOCK_SIZE=BLOCK_SIZE, num_warps=<<warps>>)
            return out
        ''', name=name, args=args, letters=", ".join(letters), first=letters[0], block=block, sweep=sweep, grid=grid,
        stride_vals="".join(f"*{v}_strides, " for v in letters), warps=warps,
        shape=_BROADCAST if len(letters) == 2 else "rank = x.dim()\nshape = list(x.shape)",
        strides="\n".join(f"{v}_strides = [0] * (4 - rank) + list({v}.expand(shape).stride())" for v in letters))
    doc = f"aten.{plan['op']} ({plan['kind']})".replace("pow2", "pow x^2").replace("pow3", "pow x^3")
    call = f"{name}({', '.join(inputs)})"
    code = module(kernel, launcher, model_new(f"Computes {doc} with a Triton kernel.", ", ".join(names), call))
    if structure == "flat_block":
        prose = (f"Each program computes {doc} on one masked block of {block} elements of the flattened output, "
                 "reading every input through its strides (no copies of transposed or broadcast inputs).")
    else:
        prose = (f"A fixed grid of programs sweeps the output in blocks of {block} elements computing {doc}, "
                 "reading every input through its strides (no copies of transposed or broadcast inputs).")
    return Draft(variant=flaw or structure, flaw=flaw, params=params, code=code, prose=prose)


# ---------------------------------------------------------------------------------------------- rows

_ROW_MATH = {
    "sum": ("total", "out = total"),
    "mean": ("total", "out = total / n_cols"),
}


def _render_rows(spec_row: dict, rng: random.Random, structure: str, flaw: str | None) -> Draft:
    plan = _plan(spec_row)
    (x,) = plan["names"]
    op = plan["op"]
    n_cols = plan["shapes"][0][-1]
    softmax = op == "_softmax"
    if structure == "single_pass":
        block_expr = "triton.next_power_of_2(n_cols)"
        block = next_power_of_2(n_cols)
    else:
        block = rng.choice([b for b in (64, 128, 256, 512, 1024) if b < next_power_of_2(n_cols)])
        block_expr = str(block)
    warps = launch_warps(rng, block)
    params = {"structure": structure, "BLOCK_SIZE": block, "num_warps": warps}
    divisor = "BLOCK_SIZE" if flaw == "padded_mean" else "n_cols"
    if softmax:
        shift = "x" if flaw == "no_max_subtraction" else "x - row_max"
        if structure == "single_pass":
            body = fill('''
                cols = tl.arange(0, BLOCK_SIZE)
                mask = cols < n_cols
                x = tl.load(x_ptr + row * n_cols + cols, mask=mask, other=float("-inf")).to(tl.float32)
                row_max = tl.max(x, axis=0)
                # Padding lanes hold -inf, so exp gives them 0.
                e = tl.exp(<<shift>>)
                out = e / tl.sum(e, axis=0)
                tl.store(out_ptr + row * n_cols + cols, out.to(out_ptr.dtype.element_ty), mask=mask)
                ''', shift=shift)
        else:
            body = fill('''
                # Pass 1: the row maximum; pass 2: the sum of exponentials; pass 3: normalise and store.
                m = tl.full([BLOCK_SIZE], float("-inf"), tl.float32)
                for start in range(0, n_cols, BLOCK_SIZE):
                    cols = start + tl.arange(0, BLOCK_SIZE)
                    m = tl.maximum(m, tl.load(x_ptr + row * n_cols + cols, mask=cols < n_cols, other=float("-inf")).to(tl.float32))
                row_max = tl.max(m, axis=0)
                acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
                for start in range(0, n_cols, BLOCK_SIZE):
                    cols = start + tl.arange(0, BLOCK_SIZE)
                    x = tl.load(x_ptr + row * n_cols + cols, mask=cols < n_cols, other=float("-inf")).to(tl.float32)
                    acc += tl.exp(<<shift>>)
                total = tl.sum(acc, axis=0)
                for start in range(0, n_cols, BLOCK_SIZE):
                    cols = start + tl.arange(0, BLOCK_SIZE)
                    x = tl.load(x_ptr + row * n_cols + cols, mask=cols < n_cols, other=float("-inf")).to(tl.float32)
                    tl.store(out_ptr + row * n_cols + cols, (tl.exp(<<shift>>) / total).to(out_ptr.dtype.element_ty), mask=cols < n_cols)
                ''', shift=shift)
        out_shape = "x.shape"
    else:
        finish = "out = total" if op == "sum" else f"out = total / {divisor}"
        if structure == "single_pass":
            body = fill('''
                cols = tl.arange(0, BLOCK_SIZE)
                x = tl.load(x_ptr + row * n_cols + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
                total = tl.sum(x, axis=0)  # padding lanes loaded 0
                <<finish>>
                tl.store(out_ptr + row, out.to(out_ptr.dtype.element_ty))
                ''', finish=finish)
        else:
            body = fill('''
                # Per-lane partial sums over column tiles, reduced once at the end.
                acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
                for start in range(0, n_cols, BLOCK_SIZE):
                    cols = start + tl.arange(0, BLOCK_SIZE)
                    acc += tl.load(x_ptr + row * n_cols + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
                total = tl.sum(acc, axis=0)
                <<finish>>
                tl.store(out_ptr + row, out.to(out_ptr.dtype.element_ty))
                ''', finish=finish)
        out_shape = "x.shape[:-1] + (1,)" if plan["keepdim"] else "x.shape[:-1]"
    kernel = fill('''
        @triton.jit
        def <<name>>_kernel(
            x_ptr,  # (n_rows, n_cols), contiguous
            out_ptr,  # <<out_doc>>
            n_cols,
            BLOCK_SIZE: tl.constexpr,  # <<block_doc>>
        ):
            # One program per row.
            row = tl.program_id(axis=0)
            <<body>>
        ''', name=op.strip("_"), body=body, out_doc="like x" if softmax else "one value per row",
        block_doc="a power of two >= n_cols: the row in one block" if structure == "single_pass"
        else "columns per loop step")
    launcher = fill('''
        def <<name>>(x: torch.Tensor) -> torch.Tensor:
            # Rows along the last dim, made contiguous (the kernel indexes row * n_cols + col).
            x = x.contiguous()
            n_cols = x.shape[-1]
            n_rows = x.numel() // max(n_cols, 1)
            out = torch.empty(<<out_shape>>, device=x.device, dtype=x.dtype)
            BLOCK_SIZE = <<block>>
            <<name>>_kernel[(n_rows,)](x, out, n_cols, BLOCK_SIZE=BLOCK_SIZE, num_warps=<<warps>>)
            return out
        ''', name=op.strip("_"), out_shape=out_shape, block=block_expr, warps=warps)
    doc = {"sum": "the sum", "mean": "the mean", "_softmax": "the softmax"}[op] + " over the last dim"
    code = module(kernel, launcher, model_new(f"Computes {doc} (aten.{op}) with a Triton kernel.", x,
                                              f"{op.strip('_')}({x})"))
    how = ("loading its row once in one block" if structure == "single_pass"
           else f"walking its row in tiles of {block} columns")
    prose = f"One program per row computes {doc} in fp32, {how}."
    return Draft(variant=flaw or structure, flaw=flaw, params=params, code=code, prose=prose)


# ---------------------------------------------------------------------------------------------- matmul

def _render_matmul(spec_row: dict, rng: random.Random, structure: str, flaw: str | None) -> Draft:
    plan = _plan(spec_row)
    names = plan["names"]
    order = plan["order"]
    addmm = plan["op"] == "addmm"
    a, b = order[-2], order[-1]
    bias = order[0] if addmm else None
    k_dim = plan["shapes"][names.index(a)][1]
    n_dim = plan["shapes"][names.index(b)][1]
    # Wide outputs (a vocabulary projection) take wide tiles: fewer programs for the same work.
    block_m, block_n = rng.choice((16, 32, 64)), rng.choice((16, 32, 64) if n_dim < 1024 else (64, 128))
    block_k = rng.choice(_floor_k_blocks(k_dim) if flaw == "floor_k_loop" else (16, 32))
    warps = rng.choice((2, 4))
    params = {"structure": structure, "BLOCK_M": block_m, "BLOCK_N": block_n, "BLOCK_K": block_k, "num_warps": warps}
    dot = ("tl.dot(a, b, acc, input_precision=\"ieee\")" if spec_row["dtype"] == "float32" else "tl.dot(a, b, acc)")
    k_end = "(K // BLOCK_K) * BLOCK_K" if flaw == "floor_k_loop" else "K"
    if structure == "grouped":
        pid_lines = ("# Grouped order: GROUP_M row tiles share each column tile while it is in cache.\n"
                     "pid = tl.program_id(axis=0)\n"
                     "num_m = tl.cdiv(M, BLOCK_M)\n"
                     "num_n = tl.cdiv(N, BLOCK_N)\n"
                     "group = pid // (GROUP_M * num_n)\n"
                     "first_m = group * GROUP_M\n"
                     "group_rows = tl.minimum(num_m - first_m, GROUP_M)\n"
                     "pid_m = first_m + (pid % (GROUP_M * num_n)) % group_rows\n"
                     "pid_n = (pid % (GROUP_M * num_n)) // group_rows")
        grid = "grid = (triton.cdiv(M, BLOCK_M) * triton.cdiv(N, BLOCK_N),)"
        group_arg = ", GROUP_M=4"
        group_param = "GROUP_M: tl.constexpr,  # row tiles per group\n"
    else:
        pid_lines = "# A 2-D grid: program (pid_m, pid_n) owns one output tile.\npid_m = tl.program_id(axis=0)\npid_n = tl.program_id(axis=1)"
        grid = "grid = (triton.cdiv(M, BLOCK_M), triton.cdiv(N, BLOCK_N))"
        group_arg = ""
        group_param = ""
    bias_lines = ("# addmm: the bias, broadcast over rows through its strides.\n"
                  "acc += tl.load(bias_ptr + rows[:, None] * stride_biasm + cols[None, :] * stride_biasn, mask=mask, other=0.0).to(tl.float32)"
                  if addmm else "")
    kernel = fill('''
        @triton.jit
        def matmul_kernel(
            a_ptr, b_ptr,  # (M, K) and (K, N), read through their strides
            <<bias_ptr>>out_ptr,  # (M, N), contiguous
            M, N, K,
            stride_am, stride_ak, stride_bk, stride_bn,
            <<bias_strides>>BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
            <<group_param>>
        ):
            <<pid_lines>>
            rows = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
            cols = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
            ks = tl.arange(0, BLOCK_K)
            acc = tl.zeros([BLOCK_M, BLOCK_N], dtype=tl.float32)
            # March along K; the masks zero the tails of M, N and K.
            for k0 in range(0, <<k_end>>, BLOCK_K):
                a = tl.load(a_ptr + rows[:, None] * stride_am + (k0 + ks)[None, :] * stride_ak,
                            mask=(rows[:, None] < M) & ((k0 + ks)[None, :] < K), other=0.0)
                b = tl.load(b_ptr + (k0 + ks)[:, None] * stride_bk + cols[None, :] * stride_bn,
                            mask=((k0 + ks)[:, None] < K) & (cols[None, :] < N), other=0.0)
                acc = <<dot>>
            mask = (rows[:, None] < M) & (cols[None, :] < N)
            <<bias_lines>>
            tl.store(out_ptr + rows[:, None] * N + cols[None, :], acc.to(out_ptr.dtype.element_ty), mask=mask)
        ''', bias_ptr="bias_ptr,  # addmm's bias, broadcast to (M, N)\n" if addmm else "",
        bias_strides="stride_biasm, stride_biasn,\n" if addmm else "", group_param=group_param, pid_lines=pid_lines,
        k_end=k_end, dot=dot, bias_lines=bias_lines)
    sig = (f"{bias}: torch.Tensor, " if addmm else "") + f"{a}: torch.Tensor, {b}: torch.Tensor"
    launcher = fill('''
        def matmul(<<sig>>) -> torch.Tensor:
            assert <<a>>.dim() == 2 and <<b>>.dim() == 2 and <<a>>.shape[1] == <<b>>.shape[0], "(M, K) @ (K, N)"
            M, K = <<a>>.shape
            N = <<b>>.shape[1]
            out = torch.empty((M, N), device=<<a>>.device, dtype=<<a>>.dtype)
            <<bias_view>>
            BLOCK_M, BLOCK_N, BLOCK_K = <<bm>>, <<bn>>, <<bk>>
            <<grid>>
            matmul_kernel[grid](<<a>>, <<b>>, <<bias_arg>>out, M, N, K, <<a>>.stride(0), <<a>>.stride(1), <<b>>.stride(0), <<b>>.stride(1), <<bias_stride_args>>BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, BLOCK_K=BLOCK_K<<group_arg>>, num_warps=<<warps>>)
            return out
        ''', sig=sig, a=a, b=b, bm=block_m, bn=block_n, bk=block_k, grid=grid, warps=warps, group_arg=group_arg,
        bias_view=f"bias = {bias}.expand(M, N)  # stride 0 along broadcast dims" if addmm else "",
        bias_arg="bias, " if addmm else "", bias_stride_args="bias.stride(0), bias.stride(1), " if addmm else "")
    call = f"matmul({', '.join(order)})"
    doc = f"aten.{plan['op']}"
    code = module(kernel, launcher, model_new(f"Computes {doc} with a Triton kernel.", ", ".join(names), call))
    order_words = "in grouped tile order" if structure == "grouped" else "on a 2-D grid of tiles"
    prose = (f"A tiled matmul {order_words}: each program accumulates a {block_m}x{block_n} output tile in fp32 "
             f"over K in steps of {block_k}, reading both operands through their strides"
             + (", then adds the broadcast bias." if addmm else "."))
    return Draft(variant=flaw or structure, flaw=flaw, params=params, code=code, prose=prose)


def _floor_k_blocks(k: int) -> list[int]:
    return [b for b in (16, 32) if k // b >= 1 and k % b != 0]


# ---------------------------------------------------------------------------------------------- variants

def _kind(spec_row: dict) -> str:
    return _plan(spec_row)["kind"]


def _transforms(spec_row: dict) -> set[str]:
    from kerneldata.core.domains import preserving_transforms

    domains = spec_row.get("input_domains") or ["unspecified"]
    return set(preserving_transforms(domains[0]))


def _variants() -> tuple[Variant, ...]:
    elementwise = lambda s: _kind(s) in ("unary", "scalar", "binary")  # noqa: E731
    rows = lambda s: _kind(s) == "rows"  # noqa: E731
    matmul = lambda s: _kind(s) == "matmul"  # noqa: E731

    def n_cols(s):
        return _plan(s)["shapes"][0][-1]

    def single_pass(s):
        return rows(s) and next_power_of_2(n_cols(s)) <= _SINGLE_PASS_MAX

    def looped(s):
        return rows(s) and n_cols(s) > 64

    def op(s):
        return _plan(s)["op"]

    shapes = {"flat_block": elementwise, "grid_stride": elementwise, "single_pass": single_pass, "looped": looped,
              "tiles_2d": matmul, "grouped": matmul}
    renderers = {"flat_block": _render_elementwise, "grid_stride": _render_elementwise,
                 "single_pass": _render_rows, "looped": _render_rows, "tiles_2d": _render_matmul,
                 "grouped": _render_matmul}

    correct, flawed = variant_makers(shapes, renderers)

    def numel(s):
        return _numel(_out_shape(_plan(s)["shapes"]))

    def mean_padded(s):
        n = n_cols(s)
        return op(s) == "mean" and (next_power_of_2(n) - n) / n > 0.05

    return (
        flawed("floor_div_grid", ("flat_block", "grid_stride"), lambda s: bool(_floor_blocks(numel(s), ""))),
        flawed("no_max_subtraction", ("single_pass", "looped"),
               lambda s: op(s) == "_softmax" and "scale" in _transforms(s) and _numel(_plan(s)["shapes"][0]) >= 128),
        flawed("padded_mean", ("single_pass",), mean_padded),
        flawed("floor_k_loop", ("tiles_2d", "grouped"),
               lambda s: bool(_floor_k_blocks(_plan(s)["shapes"][_plan(s)["names"].index(_plan(s)["order"][-2])][1]))),
        *(correct(st) for st in shapes),
    )


GROUPS = (Group("workload", (), check, _variants()),)
