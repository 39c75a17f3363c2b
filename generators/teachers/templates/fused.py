"""Fused-chain templates ("fused"): the composition grammar's chains with a matrix producer (linear, matmul,
bmm) followed by elementwise stages (bias, scale, activation, residual, clamp), row stages (LayerNorm,
RMSNorm, softmax over the features) and an optional terminal reduction over the features.

Every stage after the producer works along the feature dim of one row, so the whole tail of a chain runs
in registers, stage after stage, on a row held in one block. Structures:

    epilogue   the matmul kernel applies the leading elementwise stages to its fp32 tile; one row kernel
               runs the rest (row stages onward), if anything is left
    row_tail   a plain matmul kernel, then one row kernel for every stage
    one_kernel the matmul tile spans the whole feature dim (N <= 256), so the entire chain, row stages and
               reduction included, is the matmul's epilogue (reductions along axis 1 of the tile)

The chain is read from the reference source, line by line (`parse_chain`); a line the grammar does not
write (a convolution producer, image norms, pooling) declines the spec. Parameters are drawn as the
reference draws them, in the same order under the same seed, and kept as drawn; kernels apply the affine
parts (`0.1 * b`, `1 + 0.1 * w`, the `in_features ** -0.5` weight scale).
"""

from __future__ import annotations

import ast
import random
import re
from dataclasses import dataclass

from generators.specs.compose import ACTIVATIONS
from generators.teachers.templates.base import Decline, Draft, Group, Variant, fill, launch_warps, model_new, module
from generators.teachers.templates.elementwise import BODIES
from generators.teachers.templates.matmul import Epilogue, Matmul, kernel_and_launcher
from generators.teachers.templates.matmul import variants as matmul_variants
from generators.teachers.templates.reference import module_constants

FLAWS: dict[str, tuple[str, float]] = {}  # the matmul flaws (tf32_dot, floor_k_loop) apply to the producer
_ACTIVATION_BY_EXPR = {expr: name for name, (expr, _) in ACTIVATIONS.items()}
_TERMINALS = {"sum", "mean", "amax", "logsumexp"}
_ROW_STAGES = {"layer_norm", "rms_norm", "softmax"}
_ONE_KERNEL_MAX_N = 256


@dataclass(frozen=True)
class Stage:
    kind: str  # bias_add, scale, activation, residual_add, clamp, layer_norm, rms_norm, softmax, or a terminal
    name: str = ""  # the activation, the parameter or input it uses (bias3, norm2, residual4)
    factor: str = ""  # scale factor


@dataclass(frozen=True)
class Chain:
    producer: str  # linear, matmul, bmm
    stages: tuple[Stage, ...]
    init_args: tuple[str, ...]
    init: tuple[str, ...]  # ModelNew's __init__ lines
    inputs: tuple[str, ...]  # forward's arguments
    params: tuple[str, ...]  # self attributes the kernels read, in kernel-argument order

    @property
    def terminal(self) -> Stage | None:
        return self.stages[-1] if self.stages and self.stages[-1].kind in _TERMINALS else None


# ---------------------------------------------------------------------------------------------- parsing

_INIT_PATTERNS = [
    (re.compile(r"self\.linear = nn\.Linear\(in_features, out_features, dtype=DTYPE\)"), "linear"),
    (re.compile(r"self\.weight = nn\.Parameter\(torch\.randn\(in_features, out_features, dtype=DTYPE\) "
                r"\* in_features \*\* -0\.5\)"), "matmul_weight"),
    (re.compile(r"self\.(bias\d+) = nn\.Parameter\(0\.1 \* torch\.randn\((\w+), dtype=DTYPE\)\)"), "bias"),
    (re.compile(r"self\.(norm\d+) = nn\.LayerNorm\((\w+), dtype=DTYPE\)"), "layer_norm"),
    (re.compile(r"self\.(norm\d+) = nn\.Parameter\(1 \+ 0\.1 \* torch\.randn\((\w+), dtype=DTYPE\)\)"), "rms_norm"),
]
_FORWARD_PATTERNS = [
    (re.compile(r"x = self\.linear\(x\)"), "linear"),
    (re.compile(r"x = torch\.matmul\(x, self\.weight\)"), "matmul"),
    (re.compile(r"x = torch\.bmm\(a, b\)"), "bmm"),
    (re.compile(r"x = x \+ self\.(bias\d+)"), "bias_add"),
    (re.compile(r"x = x \* ([0-9.]+)"), "scale"),
    (re.compile(r"x = x \+ (residual\d+)"), "residual_add"),
    (re.compile(r"x = torch\.clamp\(x, min=-1\.0, max=1\.0\)"), "clamp"),
    (re.compile(r"x = self\.(norm\d+)\(x\)"), "layer_norm"),
    (re.compile(r"x = x \* torch\.rsqrt\(torch\.mean\(x \* x, dim=-1, keepdim=True\) \+ 1e-6\) \* self\.(norm\d+)"),
     "rms_norm"),
    (re.compile(r"x = torch\.softmax\(x, dim=-1\)"), "softmax"),
    (re.compile(r"x = torch\.(sum|mean|amax|logsumexp)\(x, dim=-1\)"), "terminal"),
]


def parse_chain(spec_row: dict) -> Chain:
    """The chain of a fused spec, from its reference's `__init__` and `forward`; Decline for anything the
    templates do not write."""
    try:
        tree = ast.parse(spec_row["reference_code"])
    except SyntaxError:
        raise Decline("the reference does not parse") from None
    model = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Model"), None)
    methods = {f.name: f for f in (model.body if model else []) if isinstance(f, ast.FunctionDef)}
    if "__init__" not in methods or "forward" not in methods:
        raise Decline("the reference has no Model with __init__ and forward")
    init_args = tuple(a.arg for a in methods["__init__"].args.args[1:])
    inputs = tuple(a.arg for a in methods["forward"].args.args[1:])
    source = spec_row["reference_code"]
    init, params = [], []
    for stmt in methods["__init__"].body[1:]:  # after super().__init__()
        line = ast.get_source_segment(source, stmt)
        init_line, param = _init_line(line)
        init.append(init_line)
        params += param
    stages, producer = [], None
    body = methods["forward"].body
    if not body or ast.get_source_segment(source, body[-1]) != "return x":
        raise Decline("the reference's forward does not end in `return x`")
    for stmt in body[:-1]:
        line = ast.get_source_segment(source, stmt)
        for pattern, kind in _FORWARD_PATTERNS:
            match = pattern.fullmatch(line)
            if match:
                break
        else:
            match = None
            value = line.removeprefix("x = ")
            if line.startswith("x = ") and value in _ACTIVATION_BY_EXPR:
                stages.append(Stage("activation", _ACTIVATION_BY_EXPR[value]))
                continue
            raise Decline(f"the fused templates do not write the stage `{line}`")
        if kind in ("linear", "matmul", "bmm"):
            if producer or stages:
                raise Decline("a chain has one producer, first")
            producer = kind
        elif kind == "terminal":
            stages.append(Stage(match[1]))
        elif kind == "scale":
            stages.append(Stage("scale", factor=match[1]))
        else:
            stages.append(Stage(kind, match[1] if match.groups() else ""))
    if producer is None:
        raise Decline("the chain has no matrix producer (linear, matmul or bmm)")
    if [producer] + [s.name if s.kind == "activation" else s.kind for s in stages] != list(spec_row["ops"]):
        raise Decline(f"the reference's stages do not match the spec's ops {spec_row['ops']}")
    if any(s.kind in _TERMINALS for s in stages[:-1]):
        raise Decline("a terminal reduction must end the chain")
    return Chain(producer, tuple(stages), init_args, tuple(init), inputs, tuple(params))


def _init_line(line: str) -> tuple[str, list[str]]:
    """The ModelNew line for one reference `__init__` line, and the parameters it defines for the kernels."""
    for pattern, kind in _INIT_PATTERNS:
        match = pattern.fullmatch(line)
        if not match:
            continue
        if kind == "linear":
            return "self.linear = nn.Linear(in_features, out_features, dtype=DTYPE)", []
        if kind == "matmul_weight":
            return ("self.weight_draw = nn.Parameter(torch.randn(in_features, out_features, dtype=DTYPE))\n"
                    "self.weight_scale = in_features ** -0.5"), []
        name, size = match[1], match[2]
        if kind == "bias":
            return f"self.{name}_draw = nn.Parameter(torch.randn({size}, dtype=DTYPE))  # bias = 0.1 * draw", [name]
        if kind == "layer_norm":
            return (f"self.{name}_weight = nn.Parameter(torch.ones({size}, dtype=DTYPE))\n"
                    f"self.{name}_bias = nn.Parameter(torch.zeros({size}, dtype=DTYPE))"), [name]
        return f"self.{name}_draw = nn.Parameter(torch.randn({size}, dtype=DTYPE))  # weight = 1 + 0.1 * draw", [name]
    raise Decline(f"the fused templates do not build the parameter `{line}`")


def check(spec_row: dict) -> None:
    parse_chain(spec_row)


# ---------------------------------------------------------------------------------------------- stage code

@dataclass(frozen=True)
class _Ctx:
    """How stage code reads and reduces in one kernel: a 1-D row (row kernel) or the matmul's 2-D tile."""

    tile: bool

    def reduce(self, fn: str, value: str) -> str:
        return f"tl.{fn}({value}, axis=1, keep_dims=True)" if self.tile else f"tl.{fn}({value}, axis=0)"

    @property
    def valid(self) -> str:
        return "c_mask" if self.tile else "valid"

    @property
    def n(self) -> str:
        return "N" if self.tile else "n_cols"

    def vector(self, ptr: str) -> str:
        if self.tile:
            return f"tl.load({ptr} + offs_cn, mask=offs_cn < N, other=0.0).to(tl.float32)[None, :]"
        return f"tl.load({ptr} + cols, mask=valid, other=0.0).to(tl.float32)"

    def element(self, ptr: str) -> str:
        if self.tile:
            return (f"tl.load({ptr} + stride_cm * offs_cm[:, None] + stride_cn * offs_cn[None, :], mask=c_mask, "
                    "other=0.0).to(tl.float32)")
        return f"tl.load({ptr} + row * n_cols + cols, mask=valid, other=0.0).to(tl.float32)"


def stage_code(stage: Stage, ctx: _Ctx, rng: random.Random) -> str:
    valid, n = ctx.valid, ctx.n
    masked_max = ctx.reduce("max", f'tl.where({valid}, x, float("-inf"))')
    if stage.kind == "bias_add":
        return f"# {stage.name}: 0.1 * its draw, per feature.\nx = x + 0.1 * {ctx.vector(stage.name + '_ptr')}"
    if stage.kind == "scale":
        return f"x = x * {stage.factor}"
    if stage.kind == "clamp":
        return "x = tl.minimum(tl.maximum(x, -1.0), 1.0)"
    if stage.kind == "residual_add":
        return f"x = x + {ctx.element(stage.name + '_ptr')}"
    if stage.kind == "activation":
        return f"# {stage.name}\n" + rng.choice(BODIES[stage.name]) + "\nx = out"
    if stage.kind == "layer_norm":
        return (f"# LayerNorm ({stage.name}): mean and biased variance over the features, eps 1e-5.\n"
                f"mean = {ctx.reduce('sum', f'tl.where({valid}, x, 0.0)')} / {n}\n"
                f"centered = tl.where({valid}, x - mean, 0.0)\n"
                f"rstd = 1.0 / tl.sqrt({ctx.reduce('sum', 'centered * centered')} / {n} + 1e-5)\n"
                f"x = centered * rstd * {ctx.vector(stage.name + '_weight_ptr')} + "
                f"{ctx.vector(stage.name + '_bias_ptr')}")
    if stage.kind == "rms_norm":
        return (f"# RMSNorm ({stage.name}): weight 1 + 0.1 * draw, eps 1e-6.\n"
                f"mean_sq = {ctx.reduce('sum', f'tl.where({valid}, x * x, 0.0)')} / {n}\n"
                f"x = x * tl.rsqrt(mean_sq + 1e-6) * (1.0 + 0.1 * {ctx.vector(stage.name + '_ptr')})")
    if stage.kind == "softmax":
        return ("# Softmax over the features, max subtracted first.\n"
                f"row_max = {masked_max}\n"
                f"numerator = tl.where({valid}, tl.exp(x - row_max), 0.0)\n"
                f"x = numerator / {ctx.reduce('sum', 'numerator')}")
    if stage.kind == "sum":
        return f"result = {ctx.reduce('sum', f'tl.where({valid}, x, 0.0)')}"
    if stage.kind == "mean":
        return f"result = {ctx.reduce('sum', f'tl.where({valid}, x, 0.0)')} / {n}"
    if stage.kind == "amax":
        return f"result = {masked_max}"
    if stage.kind == "logsumexp":
        return (f"row_max = {masked_max}\n"
                f"result = row_max + tl.log({ctx.reduce('sum', f'tl.where({valid}, tl.exp(x - row_max), 0.0)')})")
    raise AssertionError(stage.kind)


def _stage_args(stages) -> list[str]:
    """Kernel pointer parameters the stages read, in order."""
    args = []
    for s in stages:
        if s.kind in ("bias_add", "rms_norm", "residual_add"):
            args.append(f"{s.name}_ptr")
        elif s.kind == "layer_norm":
            args += [f"{s.name}_weight_ptr", f"{s.name}_bias_ptr"]
    return args


def _stage_values(stages) -> list[str]:
    """Launcher arguments for `_stage_args` (the launcher receives parameters under these names)."""
    return [a.removesuffix("_ptr") for a in _stage_args(stages)]


def _forward_values(chain: Chain, stages) -> list[str]:
    """ModelNew.forward's expressions for the launcher's stage arguments."""
    out = []
    for s in stages:
        if s.kind in ("bias_add", "rms_norm"):
            out.append(f"self.{s.name}_draw")
        elif s.kind == "layer_norm":
            out += [f"self.{s.name}_weight", f"self.{s.name}_bias"]
        elif s.kind == "residual_add":
            out.append(s.name)
    return out


# ---------------------------------------------------------------------------------------------- rendering

def _split(chain: Chain, structure: str) -> tuple[tuple[Stage, ...], tuple[Stage, ...]]:
    """(stages fused into the matmul epilogue, stages for the row kernel)."""
    if structure == "one_kernel":
        return chain.stages, ()
    if structure == "row_tail":
        return (), chain.stages
    first_row = next((i for i, s in enumerate(chain.stages) if s.kind in _ROW_STAGES | _TERMINALS),
                     len(chain.stages))
    return chain.stages[:first_row], chain.stages[first_row:]


def _sizes(spec_row: dict, chain: Chain) -> tuple[int, int, int]:
    consts = module_constants(spec_row["reference_code"])
    if chain.producer == "bmm":
        return consts["BATCH"] * consts["M"], consts["N"], consts["K"]
    return consts["TOKENS"], consts["OUT_FEATURES"], consts["IN_FEATURES"]


def _render(spec_row: dict, rng: random.Random, structure: str, flaw: str | None) -> Draft:
    chain = parse_chain(spec_row)
    m, n, k = _sizes(spec_row, chain)
    head, tail = _split(chain, structure)
    terminal = chain.terminal
    producer_code = {"linear": "bias = tl.load(bias_ptr + offs_cn, mask=offs_cn < N, other=0.0).to(tl.float32)\n"
                               "acc = acc + bias[None, :]  # the linear layer's bias",
                     "matmul": "", "bmm": ""}[chain.producer]
    ctx = _Ctx(tile=True)
    code = [producer_code] if producer_code else []
    if head:
        code.append("x = acc")
        code += [stage_code(s, ctx, rng) for s in head]
        code.append("acc = x" if not (structure == "one_kernel" and terminal) else "")
    args = {"linear": ["bias_ptr"], "matmul": ["weight_scale"], "bmm": []}[chain.producer] + _stage_args(head)
    values = {"linear": ["bias"], "matmul": ["weight_scale"], "bmm": []}[chain.producer] + _stage_values(head)
    one_kernel_terminal = structure == "one_kernel" and terminal is not None
    if one_kernel_terminal:
        code.append("# One program holds whole rows, so it stores one result per row.\n"
                    "tl.store(out_ptr + offs_cm[:, None], result.to(out_ptr.dtype.element_ty), "
                    "mask=offs_cm[:, None] < M)")
        args.append("out_ptr")
        values.append("out")
    epilogue = Epilogue("\n".join(c for c in code if c), tuple(args), tuple(values),
                        _epilogue_doc(chain, head, structure), stores=one_kernel_terminal) if code else None
    mm = _producer(spec_row, chain, epilogue, one_kernel_terminal or bool(tail))
    if structure == "one_kernel":
        mapping = "row_major"
    else:
        mapping = rng.choice(("grouped", "row_major", "grid_2d"))
    kernel, launcher, params, prose = kernel_and_launcher(mm, spec_row, rng, mapping, flaw, m, n, k,
                                                          whole_rows=structure == "one_kernel")
    pieces = [kernel]
    params["structure"] = structure
    row_call = ""
    if tail:
        row_kernel, row_launcher, row_params, row_call = _row_kernel(chain, tail, rng)
        pieces += [row_kernel]
        params.update(row_params)
        prose += f" Then one program per row runs {_describe(tail)} on the row in registers."
    pieces += [launcher]
    if tail:
        pieces.append(row_launcher)
    pieces.append(_model(spec_row, chain, head, tail, row_call))
    prose = f"{_chain_doc(chain)}: " + prose
    return Draft(variant=flaw or structure, flaw=flaw, params=params, code=module(*pieces), prose=prose)


def _producer(spec_row: dict, chain: Chain, epilogue: Epilogue | None, intermediate: bool) -> Matmul:
    """The producer as a Matmul whose output is `c` (the chain's output, or an intermediate for the row
    kernel, in the spec's dtype as the reference rounds it)."""
    name = "fused_matmul"
    out_alloc = ""
    if chain.terminal and epilogue and "out_ptr" in epilogue.args:
        out_alloc = "\nout = torch.empty((M,), device=c.device, dtype=c.dtype)  # one result per row"
    if chain.producer == "bmm":
        prep = ("n_batch, M, K = a.shape\nn_batch2, K2, N = b.shape\n"
                'assert n_batch == n_batch2 and K == K2, f"incompatible: {tuple(a.shape)} @ {tuple(b.shape)}"\n'
                "c = torch.empty((n_batch, M, N), device=a.device, dtype=a.dtype)")
        params = "a: torch.Tensor, b: torch.Tensor"
        a, b, c = ("a", "a.stride(1)", "a.stride(2)"), ("b", "b.stride(1)", "b.stride(2)"), \
            ("c", "c.stride(1)", "c.stride(2)")
        batch = ("n_batch", "a.stride(0)", "b.stride(0)", "c.stride(0)")
        if out_alloc:
            out_alloc = "\nout = torch.empty((n_batch, M), device=c.device, dtype=c.dtype)  # one result per row"
        ret = "out" if out_alloc else "c"
        mm = Matmul(name, params + _extra_params(epilogue), prep + out_alloc + _residual_prep(epilogue), a, b, c,
                    batch=batch,
                    epilogue=_batched(epilogue, out_alloc), ret=ret, doc="a[i] @ b[i] and its epilogue")
        return mm
    if chain.producer == "linear":
        prep = ("M, K = x.shape\nN, K2 = weight.shape\n"
                'assert K == K2, f"x {tuple(x.shape)} does not match weight {tuple(weight.shape)}"\n')
        b = ("weight", "weight.stride(1)", "weight.stride(0)")  # nn.Linear's weight is (out, in): read as W.T
        params = "x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor"
    else:
        prep = ("M, K = x.shape\nK2, N = weight.shape\n"
                'assert K == K2, f"x {tuple(x.shape)} does not match weight {tuple(weight.shape)}"\n')
        b = ("weight", "weight.stride(0)", "weight.stride(1)")
        params = "x: torch.Tensor, weight: torch.Tensor, weight_scale: float"
    prep += "c = torch.empty((M, N), device=x.device, dtype=x.dtype)"
    b_transform = ("# The weight is its draw times in_features ** -0.5, rounded to the weights' dtype as the\n"
                   "# reference rounds it.\n"
                   "b = (b.to(tl.float32) * weight_scale).to(b_ptr.dtype.element_ty)"
                   if chain.producer == "matmul" else "")
    if chain.producer == "matmul" and epilogue is None:
        epilogue = Epilogue("", ("weight_scale",), ("weight_scale",))
    return Matmul(name, params + _extra_params(epilogue), prep + out_alloc + _residual_prep(epilogue),
                  ("x", "x.stride(0)", "x.stride(1)"), b, b_transform=b_transform,
                  epilogue=epilogue, ret="out" if out_alloc else "c",
                  doc="x @ W and its epilogue" if chain.producer == "matmul" else "x @ W.T + bias and its epilogue")


def _batched(epilogue: Epilogue | None, out_alloc: str) -> Epilogue | None:
    """In a batched kernel `c_ptr` already points at this batch's matrix; residuals and the per-row output
    need the same move."""
    if epilogue is None:
        return None
    moves = [f"{a} += batch * stride_cb" for a in epilogue.args if a.startswith("residual")]
    if out_alloc:
        moves.append("out_ptr += batch * M  # this batch's rows of the (n_batch, M) result")
    code = ("\n".join(moves) + "\n" + epilogue.code) if moves else epilogue.code
    return Epilogue(code, epilogue.args, epilogue.values, epilogue.doc)


def _residual_prep(epilogue: Epilogue | None) -> str:
    """Residuals are read with c's strides: make them contiguous like c."""
    names = [v for v in (epilogue.values if epilogue else ()) if v.startswith("residual")]
    return "".join(f"\n{name} = {name}.contiguous()  # read with c's strides" for name in names)


def _extra_params(epilogue: Epilogue | None) -> str:
    if epilogue is None:
        return ""
    names = [v for v in epilogue.values if v not in ("bias", "weight_scale", "out")]
    return "".join(f", {name}: torch.Tensor" for name in names)


def _row_kernel(chain: Chain, tail, rng: random.Random) -> tuple[str, str, dict, str]:
    ctx = _Ctx(tile=False)
    terminal = chain.terminal
    body = ["# One program per row, the whole feature row in one block; every stage runs in registers.",
            "row = tl.program_id(axis=0)", "cols = tl.arange(0, BLOCK_SIZE)", "valid = cols < n_cols",
            "x = tl.load(x_ptr + row * n_cols + cols, mask=valid, other=0.0).to(tl.float32)"]
    body += [stage_code(s, ctx, rng) for s in tail]
    if terminal:
        body.append("tl.store(out_ptr + row, result.to(out_ptr.dtype.element_ty))")
    else:
        body.append("tl.store(out_ptr + row * n_cols + cols, x.to(out_ptr.dtype.element_ty), mask=valid)")
    args = _stage_args(tail)
    kernel = fill('''
        @triton.jit
        def fused_rows_kernel(
            x_ptr,  # (n_rows, n_cols) matmul output, contiguous
            <<args>>
            out_ptr,  # the chain's output
            n_cols,
            BLOCK_SIZE: tl.constexpr,  # a power of two >= n_cols
        ):
            <<body>>
        ''', args="\n".join(f"{a}," for a in args), body="\n".join(body))
    warps = launch_warps(rng, 1024)
    values = _stage_values(tail)
    launcher = fill('''
        def fused_rows(<<params>>) -> torch.Tensor:
            n_cols = x.shape[-1]
            n_rows = x.numel() // n_cols
            out = torch.empty(<<out_shape>>, device=x.device, dtype=x.dtype)
            BLOCK_SIZE = triton.next_power_of_2(n_cols)
            fused_rows_kernel[(n_rows,)](x, <<values>>out, n_cols, BLOCK_SIZE=BLOCK_SIZE, num_warps=<<warps>>)
            return out
        ''', params=", ".join(["x: torch.Tensor"] + [f"{v}: torch.Tensor" for v in values]),
        out_shape="x.shape[:-1]" if terminal else "x.shape", values="".join(f"{v}, " for v in values),
        warps=warps)
    return kernel, launcher, {"row_num_warps": warps}, "fused_rows"


def _model(spec_row: dict, chain: Chain, head, tail, row_call: str) -> str:
    if chain.producer == "linear":
        producer_args = ["x", "self.linear.weight", "self.linear.bias"]
    elif chain.producer == "matmul":
        producer_args = ["x", "self.weight_draw", "self.weight_scale"]
    else:
        producer_args = ["a", "b"]
    lines = [f"x = fused_matmul({', '.join(producer_args + _forward_values(chain, head))})"]
    if tail:
        lines.append(f"x = {row_call}({', '.join(['x'] + _forward_values(chain, tail))})")
    init = "\n".join(chain.init).replace("DTYPE", f"torch.{spec_row['dtype']}")
    return model_new(f"Computes {_chain_doc(chain)} with Triton kernels.", ", ".join(chain.inputs), "x",
                     init_args=", ".join(chain.init_args), init=init, body="\n".join(lines))


def _chain_doc(chain: Chain) -> str:
    return "the chain " + " -> ".join([chain.producer] + [s.name if s.kind == "activation" else s.kind
                                                           for s in chain.stages])


def _describe(stages) -> str:
    return ", ".join(s.name if s.kind == "activation" else s.kind for s in stages)


def _epilogue_doc(chain: Chain, head, structure: str) -> str:
    if not head:
        return ""
    if structure == "one_kernel":
        return "The tile spans whole rows, so every stage runs in the epilogue."
    return f"The epilogue applies {_describe(head)} to the fp32 tile."


# ---------------------------------------------------------------------------------------------- variants

def _n(spec_row: dict) -> int:
    return _sizes(spec_row, parse_chain(spec_row))[1]


def _k(spec_row: dict) -> int:
    return _sizes(spec_row, parse_chain(spec_row))[2]


def _has_tail(spec_row: dict) -> bool:
    chain = parse_chain(spec_row)
    return bool(_split(chain, "epilogue")[1])


def _variants() -> tuple[Variant, ...]:
    def correct(structure, applies):
        return Variant(structure, applies, lambda s, rng: _render(s, rng, structure, None))

    flawed = [v for v in matmul_variants(render=lambda s, rng, mapping, flaw: _render(s, rng, "epilogue", flaw), k=_k)
              if v.flaw]
    return (
        correct("epilogue", lambda s: True),
        correct("row_tail", lambda s: bool(parse_chain(s).stages)),
        correct("one_kernel", lambda s: _n(s) <= _ONE_KERNEL_MAX_N and _has_tail(s)),
        *flawed,
    )


GROUPS = (Group("fused", (), check, _variants()),)
