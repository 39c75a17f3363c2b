"""Turn the output code of TorchInductor (what `torch._inductor.utils.run_and_get_code` returns for a compiled
KernelBench `Model`) into a standalone KernelBench candidate: `class ModelNew(nn.Module)` whose forward
launches the generated `@triton.jit` kernels itself. Pure text and AST work: no GPU, no compiling.

What the conversion does:
- each `name = async_compile.triton('name', '''source''')` becomes a plain `@triton.jit` function: the
  `@triton_heuristics.pointwise/reduction/persistent_reduction(...)` decorator and the preamble go, helper
  jit functions defined beside a kernel come along (renamed when two kernels define different ones under one
  name), and the helpers the kernels call from `torch._inductor.runtime.triton_helpers` (`maximum`,
  `welford_reduce`, `select_one`...) are copied in from the installed torch's source with whatever they call
  in turn, so the candidate imports nothing of torch's internals (`libdevice` and `tl_math` are Triton's own:
  `triton.language.extra.libdevice`, `triton.language.math`);
- the wrapper's `call(args)` becomes `forward`: graph inputs are bound from forward's arguments and the
  model's parameters in the order torch.compile traced them (`arg_sources`, recorded by the caller),
  and the sizes a dynamic compile passes as inputs (`s4 = arg0_1`) are read from the tensor inputs: each
  from the first input layout check (`assert_size_stride`) that has it bare as a size (`x.shape[d]`), else
  as a stride (`x.stride(d)`); sizes Inductor derives (`ps0 = 2*s4`, `<kernel>_xnumel = s4*s58`) and sizes
  and strides written with them are kept as Python expressions over those names (ints, `+ - * // %`, a
  constant power, `max`/`min`: what Inductor prints), so the candidate serves every shape the code does,
  `empty_strided_cuda(size, stride, dtype)` becomes `torch.empty_strided(..., device=<first graph input>.device)`,
  `reinterpret_tensor` becomes an equivalent chain of view methods (view, permute, narrow, select,
  unsqueeze) worked out from the buffer layouts the code declares, the input checks `assert_size_stride`
  stay (as a small function of the candidate), device guards, stream handles and output assertions go;
- `kernel.run(args..., stream=...)` becomes `kernel[grid](args..., XBLOCK=..., num_warps=..., num_stages=...)`,
  the grid computed from the kernel's `grid_type` (Grid1D, Grid2D, Grid3D, Grid2DWithYZOverflow) and its
  numels (at run time, with `triton.cdiv`, where a numel is symbolic), with the launch settings the caller
  passes (on a GPU: what Inductor's autotuner chose). Without
  them, defaults derived from the decorator's `size_hints` (`default_launch`): Inductor writes each kernel to
  be correct for every power-of-two block up to its per-axis maximum (masks are dropped only when a numel
  is a multiple of that maximum), so any such block is sound; the rule picks a moderate tile;
- calls into vendor libraries stay what Inductor made them (`extern_kernels.mm(...)` becomes
  `torch.mm(...)`, `torch.ops.aten.<op>` fallbacks stay as written; output that is nothing but such calls
  gives a candidate without a kernel) and are listed in `Conversion.extern_calls`: the verifier, not this
  module, decides what such a candidate is worth;
- `ModelNew.__init__` is the reference `Model.__init__` (with the module-level names and methods it uses),
  so the verifier, which builds both under the same seed, gets the same parameters in both. One rewrite:
  the static gate allows no tensor arithmetic in a candidate, so a parameter drawn as
  `mean + std * torch.randn(...)` is drawn as `nn.init.normal_(torch.empty(...), mean=..., std=...)`: the
  same draws from the generator, equal to the reference's values within one unit in the last place.

It converts one compiled graph (the caller declines graph breaks) and declines (`Unconvertible`, one line
saying why) a size it cannot read from a tensor input (an int argument of forward, a size only seen inside
an expression), a size written in a form it does not know, kernels other than Triton
pointwise/reduction/persistent-reduction ones (templates, foreach, split scans, cooperative reductions,
C++), layouts no view chain expresses (with symbolic sizes: any reinterpretation other than the same layout
or a contiguous view of a contiguous buffer), and statements it does not know. It does not make static code
general: a size Inductor baked in (a 1 dynamo specialised, a whole static compile) stays a constant that
the layout checks assert, so another shape fails loudly rather than silently. Nor does it carry dynamo's
guards, which are not in the output code: a dynamic compile's code is right for the shapes its guards admit
(sizes of 0 or 1 where it saw more, a size past 2**31 elements where it indexed in 32 bits, a divisibility
a view relied on), and the candidate does not check them; the verifier's workloads are what judge it there.
The one thing read from outside the inputs is the installed torch's triton_helpers.py, as text.
"""

from __future__ import annotations

import ast
import io
import math
import re
import textwrap
import tokenize
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

# Triton kernel decorators the conversion understands, and the grids it can launch.
KERNEL_KINDS = ("pointwise", "reduction", "persistent_reduction")
GRID_TYPES = ("Grid1D", "Grid2D", "Grid3D", "Grid2DWithYZOverflow")
# extern_kernels.<name> -> the public torch function it is (torch._inductor.kernel.mm, bmm, conv).
EXTERN_KERNELS = {"mm": "torch.mm", "addmm": "torch.addmm", "bias_addmm": "torch.addmm", "bmm": "torch.bmm",
                  "baddbmm": "torch.baddbmm", "convolution": "torch.convolution", "_int_mm": "torch._int_mm"}
# Launch options besides block sizes that a Config may carry and a launch accepts (AMD's among them).
BACKEND_OPTIONS = ("waves_per_eu", "matrix_instr_nonkdim", "kpack", "maxnreg", "num_ctas")
# The most elements a default tile holds (the blocks of all axes multiplied).
DEFAULT_TILE = 1024
_ALLOCATORS = {"empty_strided_cuda", "empty_strided_xpu", "empty_strided_mtia"}
_DROPPED_CALLS = {"assert_alignment", "get_raw_stream", "torch.cuda.set_device", "args.clear"}
_KERNEL_GLOBALS = {"tl", "triton", "libdevice", "tl_math", "triton_helpers"}
_MAX_Y_GRID = 65535  # torch._inductor.runtime.runtime_utils.get_max_y_grid


class Unconvertible(ValueError):
    """Output code this module cannot turn into a candidate; the message is one line saying why."""


@dataclass(frozen=True)
class LaunchConfig:
    """How one kernel is launched: its constexpr block sizes (and backend options) and warps and stages."""

    kwargs: Mapping[str, int]
    num_warps: int
    num_stages: int = 1

    def as_dict(self) -> dict:
        return {**self.kwargs, "num_warps": self.num_warps, "num_stages": self.num_stages}

    @classmethod
    def from_dict(cls, values: Mapping[str, int]) -> LaunchConfig:
        """The inverse of `as_dict`."""
        kwargs = {k: v for k, v in values.items() if k not in ("num_warps", "num_stages")}
        return cls(kwargs=kwargs, num_warps=values["num_warps"], num_stages=values.get("num_stages", 1))


@dataclass(frozen=True)
class Conversion:
    code: str
    kernels: tuple[str, ...]
    extern_calls: tuple[str, ...]  # vendor-library calls kept in forward: "mm", "aten._scaled_dot_product_..."
    launch: dict[str, dict]  # kernel -> the block sizes, warps and stages it is launched with
    launch_source: dict[str, str]  # kernel -> "given" (the caller's, e.g. the autotuner's) or "size_hints"


@dataclass(frozen=True)
class _Layout:
    size: tuple  # ints, or sympy expressions over the size symbols where the code is dynamic
    stride: tuple


@dataclass
class _Kernel:
    name: str
    kind: str
    source: str  # the @triton.jit function, decorators replaced
    params: list[str]
    constexprs: list[str]
    baked: dict[str, int]  # constexpr blocks the body fixes itself (`R0_BLOCK: tl.constexpr = 8`)
    size_hints: dict[str, int]
    grid_type: str
    constants: dict[str, int]
    helpers: list[tuple[str, str]] = field(default_factory=list)  # (name, source) jit functions beside it
    note: str = ""  # the "Topologically Sorted Source Nodes" comment above it


def convert(output_code: str, reference_code: str, arg_sources: Sequence[str], *,
            launch_configs: Mapping[str, LaunchConfig] | None = None, origin: str = "",
            helpers_source: str | None = None) -> Conversion:
    """The candidate for one compiled graph. `arg_sources` names, per input of the compiled graph in order,
    where it comes from: `input:<i>` (forward's i-th argument), `param:<path>`, `buffer:<path>` or
    `attr:<path>` (a tensor attribute of the model). `launch_configs` maps kernel names to their launch
    settings; kernels without one get `default_launch`. `origin` is a line for the candidate's header."""
    tree = _parse(output_code, "the generated code")
    model = _ReferenceModel(_parse(reference_code, "the reference"), reference_code)
    kernels = _kernels(tree, output_code)
    body = _Forward(_call_function(tree), output_code, kernels, model, list(arg_sources), launch_configs or {})
    kernel_text = _kernel_section(kernels, helpers_source if helpers_source is not None else inductor_helpers_source())
    imports = ["import torch", "import torch.nn as nn", "import triton", "import triton.language as tl"]
    if _uses_module(kernel_text, "libdevice"):
        imports.append("from triton.language.extra import libdevice")
    if _uses_module(kernel_text, "tl_math"):
        imports.append("from triton.language import math as tl_math")
    header = "".join(f"# {line}\n" for line in origin.splitlines())
    sections = [header + "\n".join(dict.fromkeys(imports + model.imports)), model.module_code, kernel_text,
                _ASSERT_SIZE_STRIDE if body.checks_layout else "", model.class_code(body.lines)]
    code = "\n\n\n".join(section.strip("\n") for section in sections if section) + "\n"
    _check_names(code)
    return Conversion(code=code, kernels=tuple(kernels), extern_calls=tuple(dict.fromkeys(body.extern_calls)),
                      launch=body.launch, launch_source=body.launch_source)


def default_launch(kind: str, size_hints: Mapping[str, int], constexprs: Sequence[str],
                   baked: Mapping[str, int]) -> LaunchConfig:
    """Launch settings for a kernel when the autotuner's choice is not known. Every block is a power of two
    no larger than its axis's size hint (rounded up to a power of two), which Inductor's generated masks
    are written for. Pointwise: the tile of up to DEFAULT_TILE elements split evenly over the axes (1024 for
    one axis, 32 x 32 for two). Reductions: the reduction block of a looped reduction up to DEFAULT_TILE,
    then XBLOCK up to what is left of DEFAULT_TILE beside the reduction blocks (a persistent reduction's are
    fixed in its body). Warps: one per 256 elements of the tile, 1 to 8; one stage."""
    blocks: dict[str, int] = {}
    reduction_axes = [name for name in constexprs if name.startswith("R") and name.endswith("_BLOCK")]
    if kind == "pointwise":
        per_axis = _pow2_floor(int(DEFAULT_TILE ** (1 / max(1, len(constexprs)))))
        for name in constexprs:
            blocks[name] = min(_hint(size_hints, name), per_axis)
    else:
        for name in reduction_axes:
            blocks[name] = min(_hint(size_hints, name), DEFAULT_TILE)
        fixed = math.prod([*blocks.values(), *(v for k, v in baked.items() if k.startswith("R"))])
        room = max(1, _pow2_floor(DEFAULT_TILE // fixed)) if fixed <= DEFAULT_TILE else 1
        for name in constexprs:
            if name not in blocks:
                blocks[name] = min(_hint(size_hints, name), room)
    tile = math.prod([*blocks.values(), *baked.values()])
    return LaunchConfig(kwargs=blocks, num_warps=min(8, max(1, _pow2_floor(max(1, tile // 256)))), num_stages=1)


@lru_cache(maxsize=1)
def inductor_helpers_source() -> str:
    """The source of the installed torch's `torch/_inductor/runtime/triton_helpers.py`, read as text."""
    import importlib.util

    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        raise Unconvertible("torch is not installed, so Inductor's Triton helpers cannot be copied")
    path = Path(spec.origin).parent / "_inductor" / "runtime" / "triton_helpers.py"
    if not path.is_file():
        raise Unconvertible(f"this torch has no {path.name} where Inductor's Triton helpers should be")
    return path.read_text(encoding="utf-8")


# -- kernels -------------------------------------------------------------------------------------------------


def _parse(source: str, what: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as err:
        raise Unconvertible(f"{what} does not parse: {err.msg} at line {err.lineno}") from None


def _kernels(tree: ast.Module, output_code: str) -> dict[str, _Kernel]:
    """Every `name = async_compile.<kind>('name', '''source''', ...)` of the module, as kernels."""
    kernels = {}
    lines = output_code.splitlines()
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        func = node.value.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id == "async_compile"):
            continue
        name = node.targets[0].id if isinstance(node.targets[0], ast.Name) else "?"
        if func.attr != "triton":
            raise Unconvertible(f"kernel {name} is compiled by async_compile.{func.attr}, not Triton")
        args = node.value.args
        if len(args) < 2 or not isinstance(args[1], ast.Constant) or not isinstance(args[1].value, str):
            raise Unconvertible(f"kernel {name} has no source string")
        kernel = _kernel(name, args[1].value)
        kernel.note = _note_above(lines, node.lineno)
        kernels[name] = kernel
    return kernels


def _note_above(lines: list[str], lineno: int) -> str:
    """The 'Topologically Sorted Source Nodes' comment among the comment lines right above line `lineno`."""
    index = lineno - 2
    while index >= 0 and lines[index].lstrip().startswith("#"):
        text = lines[index].strip()
        if text.startswith("# Topologically Sorted Source Nodes"):
            return text
        index -= 1
    return ""


def _kernel(name: str, source: str) -> _Kernel:
    tree = _parse(source, f"the source of kernel {name}")
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    if name not in functions:
        raise Unconvertible(f"the source of kernel {name} does not define it")
    node = functions[name]
    lines = source.splitlines()
    kind, hints, meta, inductor_meta = _heuristics(name, node)
    params = [arg.arg for arg in node.args.args]
    constexprs = [arg.arg for arg in node.args.args if arg.annotation is not None
                  and ast.unparse(arg.annotation) == "tl.constexpr"]
    baked = {}
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) \
                and ast.unparse(stmt.annotation) == "tl.constexpr" and isinstance(stmt.value, ast.Constant) \
                and stmt.target.id.endswith("BLOCK"):
            baked[stmt.target.id] = stmt.value.value
    grid_type = inductor_meta.get("grid_type")
    if grid_type not in GRID_TYPES:
        raise Unconvertible(f"kernel {name} is launched on a {grid_type} grid; supported: {', '.join(GRID_TYPES)}")
    signature = meta.get("signature", {})
    if [p for p in params if p in signature] != params:
        raise Unconvertible(f"kernel {name}'s parameters do not match its signature")
    kernel = _Kernel(name=name, kind=kind, source=_function_text(lines, node), params=params, constexprs=constexprs,
                     baked=baked, size_hints=hints, grid_type=grid_type, constants=dict(meta.get("constants", {})))
    for other, fn in functions.items():
        if other == name:
            continue
        decorators = [ast.unparse(d) for d in fn.decorator_list]
        if decorators != ["triton.jit"]:
            raise Unconvertible(f"kernel {name}'s source defines {other}, which is not a plain @triton.jit function")
        kernel.helpers.append((other, _function_text(lines, fn)))
    _check_kernel_globals(kernel, tree)
    return kernel


def _heuristics(name: str, node: ast.FunctionDef) -> tuple[str, dict, dict, dict]:
    """The kernel's `@triton_heuristics.<kind>(size_hints=..., triton_meta=..., inductor_meta=...)` decorator,
    read without evaluating anything but literals."""
    for dec in node.decorator_list:
        if isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute) \
                and ast.unparse(dec.func.value) == "triton_heuristics":
            kind = dec.func.attr
            if kind not in KERNEL_KINDS:
                raise Unconvertible(f"kernel {name} is a {kind} kernel; supported: {', '.join(KERNEL_KINDS)}")
            keywords = {k.arg: k.value for k in dec.keywords}
            try:
                hints = ast.literal_eval(keywords["size_hints"])
            except (KeyError, ValueError):
                raise Unconvertible(f"kernel {name} has no literal size_hints") from None
            if not isinstance(hints, dict):  # a list before torch 2.6
                raise Unconvertible(f"kernel {name}'s size_hints are not keyed by axis, as older torch writes them")
            return kind, hints, _literal_entries(keywords.get("triton_meta")), \
                _literal_entries(keywords.get("inductor_meta"))
    raise Unconvertible(f"kernel {name} has no triton_heuristics decorator")


def _literal_entries(node: ast.AST | None) -> dict:
    """The entries of a dict display whose values are literals (others, like DeviceProperties(...), skipped)."""
    entries = {}
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values):
            try:
                entries[ast.literal_eval(key)] = ast.literal_eval(value)
            except ValueError:
                continue
    return entries


def _function_text(lines: list[str], node: ast.FunctionDef) -> str:
    """`@triton.jit` and the function from its `def` line on (its own decorators dropped)."""
    return "@triton.jit\n" + "\n".join(lines[node.lineno - 1:node.end_lineno]) + "\n"


def _check_kernel_globals(kernel: _Kernel, tree: ast.Module) -> None:
    """A kernel may use Triton, the helpers and builtins; any other global would be undefined in the candidate."""
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    for function in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        nodes = [n for stmt in function.body for n in ast.walk(stmt)]
        local = {a.arg for a in function.args.args} | {
            n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for name in (n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)):
            if name not in local | defined | _KERNEL_GLOBALS and name not in _builtin_names():
                raise Unconvertible(f"kernel {kernel.name} uses the global {name!r}, which the candidate would "
                                    f"not define")


@lru_cache(maxsize=1)
def _builtin_names() -> frozenset[str]:
    import builtins

    return frozenset(dir(builtins))


def _kernel_section(kernels: Mapping[str, _Kernel], helpers_source: str) -> str:
    """Inductor's helpers the kernels use, then each kernel's own helpers and the kernel. A helper two
    kernels define alike is written once; one defined differently under a taken name is renamed."""
    taken: dict[str, str] = {}  # helper name -> its source as the kernel defined it
    used: list[str] = []  # triton_helpers functions called
    bodies = []
    for kernel in kernels.values():
        renames = {name: f"{name}_{kernel.name}" for name, text in kernel.helpers if taken.get(name, text) != text}
        for name, text in kernel.helpers:
            final = renames.get(name, name)
            if final not in taken:
                taken[final] = text
                bodies.append(_rename(text, names=renames, modules={"triton_helpers": ""}))
            used += _module_attrs(text, "triton_helpers")
        used += _module_attrs(kernel.source, "triton_helpers")
        source = _rename(kernel.source, names=renames, modules={"triton_helpers": ""})
        bodies.append((f"{kernel.note}\n" if kernel.note else "") + source)
    parts = []
    if used:
        helper_texts = _inductor_helpers(list(dict.fromkeys(used)), helpers_source)
        clash = set(helper_texts) & (set(taken) | set(kernels))
        if clash:
            raise Unconvertible(f"the kernels define {sorted(clash)[0]}, the name of one of Inductor's helpers")
        # A helper named like a Python builtin (`any`) gets a trailing underscore, so host code keeps the builtin.
        shadowing = {name: name + "_" for name in helper_texts if name in _builtin_names()}
        parts.append("# Helpers from torch._inductor.runtime.triton_helpers that the kernels call.\n"
                     + "\n\n".join(_rename(text, names=shadowing) for text in helper_texts.values()))
        bodies = [_rename(body, names=shadowing) for body in bodies]
    parts.append("\n\n".join(bodies))
    return "\n\n".join(part.strip("\n") + "\n" for part in parts)


def _inductor_helpers(names: Sequence[str], helpers_source: str) -> dict[str, str]:
    """The named functions of triton_helpers and the helpers they call, in the order they are defined there,
    with `math.` (there: triton.language.math) written `tl_math.`."""
    tree = _parse(helpers_source, "torch's triton_helpers")
    lines = helpers_source.splitlines()
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    module_names = {t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                    for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                    if isinstance(t, ast.Name)}
    module_names |= {(a.asname or a.name).split(".")[0] for node in tree.body
                     if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}
    wanted, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        node = functions.get(name)
        if node is None:
            raise Unconvertible(f"the kernels call triton_helpers.{name}, which this torch's triton_helpers "
                                f"does not define as a function")
        if [ast.unparse(d) for d in node.decorator_list] != ["triton.jit"]:
            raise Unconvertible(f"triton_helpers.{name} is not a plain @triton.jit function")
        wanted.add(name)
        local = {a.arg for a in node.args.args + node.args.kwonlyargs}
        for used in (n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)):
            if used in functions and used not in local:
                todo.append(used)
            elif used in module_names - {"tl", "triton", "libdevice", "math"} and used not in local:
                raise Unconvertible(f"triton_helpers.{name} uses {used}, which the candidate cannot define")
    return {name: _rename("@triton.jit\n" + "\n".join(lines[node.lineno - 1:node.end_lineno]) + "\n",
                          modules={"math": "tl_math"})
            for name, node in functions.items() if name in wanted}


# -- token-level renaming --------------------------------------------------------------------------------


def _rename(source: str, *, names: Mapping[str, str] = {}, modules: Mapping[str, str] = {}) -> str:  # noqa: B006
    """Rename in Python source by tokens: `names` renames a bare name (not an attribute `x.name`), `modules`
    renames a name used as a module (`math.exp` -> `tl_math.exp`; to "" drops it: `triton_helpers.max2` ->
    `max2`)."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    edits = []  # (row, start col, end col, text)
    for index, token in enumerate(tokens):
        if token.type != tokenize.NAME or (index and tokens[index - 1].string == "."):
            continue
        follows_dot = index + 1 < len(tokens) and tokens[index + 1].string == "."
        if follows_dot and token.string in modules:
            replacement = modules[token.string]
            end = tokens[index + 1].end if not replacement else token.end
            edits.append((token.start[0], token.start[1], end[1], replacement))
        elif not follows_dot and token.string in names:
            edits.append((token.start[0], token.start[1], token.end[1], names[token.string]))
    lines = source.splitlines(keepends=True)
    for row, start, end, text in reversed(edits):
        line = lines[row - 1]
        lines[row - 1] = line[:start] + text + line[end:]
    return "".join(lines)


def _module_attrs(source: str, module: str) -> list[str]:
    """The attributes used of `module` in source: `triton_helpers.max2(...)` -> ["max2"]."""
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
              if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)]
    return [tokens[i + 2].string for i in range(len(tokens) - 2)
            if tokens[i].string == module and tokens[i + 1].string == "." and tokens[i + 2].type == tokenize.NAME
            and not (i and tokens[i - 1].string == ".")]


def _uses_module(source: str, module: str) -> bool:
    return bool(_module_attrs(source, module))


# -- the wrapper's call() ----------------------------------------------------------------------------------


def _call_function(tree: ast.Module) -> ast.FunctionDef:
    """`Runner.call(self, args)` (torch >= 2.8) or the module-level `call(args)` of older versions. A
    Runner with partitions (cudagraph partitions) is refused."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "call":
            return node
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                and ast.unparse(node.value.func) == "Runner":
            partitions = [k.value for k in node.value.keywords if k.arg == "partitions"]
            if partitions and not (isinstance(partitions[0], ast.List) and not partitions[0].elts):
                raise Unconvertible("the generated code runs in graph partitions (cudagraphs)")
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Runner":
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "call":
                    return item
    raise Unconvertible("the generated code has no call() function")


class _Forward:
    """Translates the statements of call() into the lines of ModelNew.forward."""

    def __init__(self, call: ast.FunctionDef, source: str, kernels: Mapping[str, _Kernel], model: _ReferenceModel,
                 arg_sources: list[str], launch_configs: Mapping[str, LaunchConfig]) -> None:
        self.source_lines = source.splitlines()
        self.kernels = kernels
        self.model = model
        self.arg_sources = arg_sources
        self.launch_configs = launch_configs
        self.call = call
        self.layouts: dict[str, _Layout] = {}
        self.defined: set[str] = set()
        self.arg_names: list[str] = []
        self.symbols: set[str] = set()  # names forward binds to sizes: s4, ps0, <kernel>_xnumel
        self.size_args: dict[str, str | None] = {}  # size (SymInt) graph inputs -> how forward reads them
        self.lines: list[str] = []
        self.extern_calls: list[str] = []
        self.launch: dict[str, dict] = {}
        self.launch_source: dict[str, str] = {}
        self.checks_layout = False
        self.device_var = "device"
        self._note = ""
        for stmt in call.body:
            self._statement(stmt)
        if not self.arg_names:
            raise Unconvertible("call() does not unpack its graph inputs")

    def _emit(self, line: ast.AST | str, node: ast.AST | None = None) -> None:
        """Add a line, after the source-node comment above its statement (or above a dropped one before it)."""
        note = _note_above(self.source_lines, node.lineno) if node is not None else ""
        note = note or self._note
        if note and note not in self.lines[-2:]:
            self.lines.append(note)
        self._note = ""
        self.lines.append(line if isinstance(line, str) else ast.unparse(line))

    def _drop(self, node: ast.AST) -> None:
        self._note = _note_above(self.source_lines, node.lineno) or self._note

    def _statement(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.With):
            guards = [ast.unparse(item.context_expr) for item in stmt.items]
            if not all(re.fullmatch(r"torch\.\w+\._DeviceGuard\(\d+\)", guard) for guard in guards):
                raise Unconvertible(f"call() enters an unknown context: {guards[0]}")
            for inner in stmt.body:
                self._statement(inner)
        elif isinstance(stmt, ast.Assign) and ast.unparse(stmt.value) == "args":
            self._bind(stmt.targets[0])
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            self._call_statement(stmt.value, stmt)
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            self._assignment(stmt.targets[0].id, stmt.value, stmt)
        elif isinstance(stmt, ast.Delete):
            self._emit(stmt)
        elif isinstance(stmt, ast.Return):
            outputs = stmt.value.elts if isinstance(stmt.value, ast.Tuple) else [stmt.value]
            outputs = [self._expression(out) for out in outputs]
            self._emit("return " + ", ".join(ast.unparse(out) for out in outputs))
        else:
            raise Unconvertible(f"call() has a statement the conversion does not know: {_short(stmt)}")

    def _bind(self, target: ast.expr) -> None:
        """`arg0_1, arg1_1 = args`: the graph inputs, bound from forward's arguments and the model's tensors.
        A dynamic compile's graph also takes sizes (SymInts), which call() names at once (`s4 = arg0_1`);
        those are read from the tensor inputs instead (`_size_bindings`)."""
        elements = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
        self.arg_names = [e.id for e in elements]
        if len(self.arg_names) != len(self.arg_sources):
            raise Unconvertible(f"the compiled graph takes {len(self.arg_names)} inputs but "
                                f"{len(self.arg_sources)} input sources were given")
        aliases = self._size_aliases()
        tensors = [(name, source) for name, source in zip(self.arg_names, self.arg_sources)
                   if not (name in aliases and _is_size_source(source))]
        if not tensors:
            raise Unconvertible("the compiled graph takes no tensor input")
        self.size_args = self._size_bindings(aliases, [name for name, _ in tensors])
        clash = sorted((set(aliases.values()) | set(self.arg_names)) & set(self.model.forward_params))
        if clash:
            raise Unconvertible(f"forward's argument {clash[0]} has the name of one of call()'s variables")
        values = [self.model.source_expr(source) for _, source in tensors]
        self.defined.update(name for name, _ in tensors)
        self.lines.append(f"{', '.join(name for name, _ in tensors)} = {', '.join(values)}")
        self.device_var = _fresh_name("device", self.arg_names)
        self.lines.append(f"{self.device_var} = {tensors[0][0]}.device")

    def _size_aliases(self) -> dict[str, str]:
        """graph input -> the size symbol call() names it (`s4 = arg0_1`)."""
        aliases = {}
        for stmt in _statements(self.call.body):
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                    and isinstance(stmt.value, ast.Name) and stmt.value.id in self.arg_names:
                aliases.setdefault(stmt.value.id, stmt.targets[0].id)
        return aliases

    def _size_bindings(self, aliases: Mapping[str, str], tensors: Sequence[str]) -> dict[str, str | None]:
        """How forward reads each size input: `x.shape[d]` of the first tensor input whose checked layout
        (`assert_size_stride`) has the bare symbol as dimension d's size, else `x.stride(d)` of the first
        with it as a stride of a dimension not of size 1. Read from those lines, not from the recorded graph
        inputs: they are what the kernels index the inputs with, and Inductor writes one per tensor input
        whatever the torch version, while where dynamo took a SymInt from is internal to it (the recorder
        only knows that an input is a size). A size the code never reads is not bound (None); one it reads
        that no input carries bare (an int argument of forward, a size seen only inside an expression) is
        refused rather than solved for."""
        checked = []
        for stmt in _statements(self.call.body):
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
                    and ast.unparse(stmt.value.func) == "assert_size_stride" and len(stmt.value.args) >= 3 \
                    and ast.unparse(stmt.value.args[0]) in tensors:
                size, stride = (a.elts if isinstance(a, ast.Tuple) else [] for a in stmt.value.args[1:3])
                checked.append((ast.unparse(stmt.value.args[0]), size, stride))
        bindings = {}
        for arg, symbol in aliases.items():
            read = [f"{name}.shape[{d}]" for name, size, _ in checked for d, n in enumerate(size)
                    if isinstance(n, ast.Name) and n.id == symbol]
            read += [f"{name}.stride({d})" for name, size, stride in checked for d, st in enumerate(stride)
                     if isinstance(st, ast.Name) and st.id == symbol and d < len(size)
                     and not (isinstance(size[d], ast.Constant) and size[d].value == 1)]
            uses = [n for stmt in _statements(self.call.body) for n in ast.walk(stmt)
                    if isinstance(n, ast.Name) and n.id == symbol and isinstance(n.ctx, ast.Load)]
            if not uses:  # a size dynamo passed but the code never reads (one guards made a constant)
                bindings[arg] = None
                continue
            if not read:
                raise Unconvertible(f"the size {symbol} (graph input {arg}) is no bare size or stride of a "
                                    f"tensor input, so forward cannot read it")
            bindings[arg] = read[0]
        return bindings

    def _call_statement(self, call: ast.Call, stmt: ast.stmt) -> None:
        name = ast.unparse(call.func)
        if name in _DROPPED_CALLS:
            self._drop(stmt)
        elif name == "assert_size_stride":
            target = ast.unparse(call.args[0])
            self.layouts[target] = _Layout(self._dims(call.args[1]), self._dims(call.args[2]))
            if target in self.arg_names:  # the inputs' layouts are what the kernels index with
                self.checks_layout = True
                self._emit(f"assert_size_stride({target}, {ast.unparse(call.args[1])}, {ast.unparse(call.args[2])})")
        elif name.endswith(".run") and name[:-len(".run")] in self.kernels:
            self._emit(self._launch(self.kernels[name[:-len(".run")]], call), stmt)
        else:
            self._emit(ast.unparse(self._expression(call)), stmt)

    def _assignment(self, target: str, value: ast.expr, stmt: ast.stmt) -> None:
        function = ast.unparse(value.func) if isinstance(value, ast.Call) else None
        if function == "get_raw_stream":
            self._drop(stmt)
            return
        if function == "empty_strided_cpu":
            raise Unconvertible("call() allocates a buffer on the CPU (empty_strided_cpu)")
        if isinstance(value, ast.Name) and value.id in self.size_args:  # `s4 = arg0_1`: a size input named
            if self.size_args[value.id] is None:
                self._drop(stmt)
                return
            self.symbols.add(target)
            self.defined.add(target)
            self._emit(f"{target} = {self.size_args[value.id]}", stmt)
            return
        read = self._size_read(value)
        if read is not None:  # `s4 = arg3_1.size(0)`: a size the graph does not take, read from a tensor input
            self.symbols.add(target)
            self.defined.add(target)
            self._emit(f"{target} = {read}", stmt)
            return
        if isinstance(value, (ast.BinOp, ast.UnaryOp)) or _is_size_expression(value, self.symbols):
            self._size(value)  # `ps0 = 2*s4`, `<kernel>_xnumel = s4*s40`
            self.symbols.add(target)
            self.defined.add(target)
            self._emit(f"{target} = {ast.unparse(value)}", stmt)
            return
        if function in _ALLOCATORS:
            size, stride, dtype = value.args[:3]
            self.layouts[target] = _Layout(self._dims(size), self._dims(stride))
            self.defined.add(target)
            self._emit(f"{target} = torch.empty_strided({ast.unparse(size)}, {ast.unparse(stride)}, "
                       f"dtype={ast.unparse(dtype)}, device={self.device_var})", stmt)
            return
        if isinstance(value, ast.Name) and value.id in self.layouts:
            self.layouts[target] = self.layouts[value.id]
        elif function == "reinterpret_tensor":
            self.layouts[target] = _Layout(self._dims(value.args[1]), self._dims(value.args[2]))
        expression = self._expression(value)
        self.defined.add(target)
        self._emit(f"{target} = {ast.unparse(expression)}", stmt)

    def _size_read(self, value: ast.expr) -> str | None:
        """`arg3_1.size(0)` or `arg3_1.stride(1)` of a tensor graph input, as Inductor writes a size symbol the
        graph does not take as an input of its own (the size of a tensor input, read where call() begins);
        None for any other expression."""
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                and value.func.attr in ("size", "stride") and isinstance(value.func.value, ast.Name)
                and len(value.args) == 1 and not value.keywords and isinstance(value.args[0], ast.Constant)
                and type(value.args[0].value) is int):
            return None
        tensor = value.func.value.id
        if tensor not in self.arg_names or tensor in self.size_args or tensor not in self.defined:
            raise Unconvertible(f"call() reads {ast.unparse(value)}, which is not a size of a tensor input")
        return ast.unparse(value)

    def _expression(self, node: ast.expr) -> ast.expr:
        """The expression with reinterpret_tensor and library calls rewritten; any other call, or a name
        call() did not bind, is refused."""
        if isinstance(node, (ast.BinOp, ast.UnaryOp)) or (isinstance(node, ast.Call) and _is_size_expression(
                node, {n.id for n in ast.walk(node) if isinstance(n, ast.Name)})):
            self._size(node)  # a size computed in place (`2*s4` as a kernel argument): its names bound, its form known
            return node
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Name):
            if node.id not in self.defined:
                raise Unconvertible(f"call() uses {node.id!r}, which the candidate would not define")
            return node
        if isinstance(node, ast.Constant):
            return node
        if isinstance(node, (ast.Tuple, ast.List)):
            return type(node)([self._expression(e) for e in node.elts], ast.Load())
        if isinstance(node, ast.Subscript):
            return ast.Subscript(self._expression(node.value), node.slice, ast.Load())
        if isinstance(node, ast.Attribute) and ast.unparse(node).startswith("torch."):
            return node  # a dtype or layout constant
        raise Unconvertible(f"call() has an expression the conversion does not know: {_short(node)}")

    def _call(self, call: ast.Call) -> ast.expr:
        name = ast.unparse(call.func)
        if name == "reinterpret_tensor":
            base = ast.unparse(call.args[0])
            if base not in self.layouts:
                raise Unconvertible(f"call() reinterprets {base}, whose layout the code does not declare")
            size, stride = self._dims(call.args[1]), self._dims(call.args[2])
            offset = self._size(call.args[3]) if len(call.args) > 3 else 0
            layout = self.layouts[base]
            if all(isinstance(v, int) for v in (*layout.size, *layout.stride, *size, *stride, offset)):
                chain = view_chain(base, layout, size, stride, offset)
            else:
                chain = symbolic_view(base, layout, _Layout(size, stride), offset,
                                      [ast.unparse(n) for n in call.args[1].elts])
            return ast.parse(chain, mode="eval").body
        if name.startswith("extern_kernels."):
            kernel = name.split(".", 1)[1]
            if kernel not in EXTERN_KERNELS:
                raise Unconvertible(f"call() uses extern_kernels.{kernel}, which the conversion does not know")
            self.extern_calls.append(kernel)
            function = EXTERN_KERNELS[kernel]
        else:
            match = re.fullmatch(r"(?:torch\.ops\.)?(\w+)\.(\w+)(\.\w+)?", name)
            if not match or not (name.startswith("torch.ops.") or name.startswith("aten.")):
                raise Unconvertible(f"call() calls {name}, which the conversion does not know")
            namespace, op, overload = match.groups()
            self.extern_calls.append(f"{namespace}.{op}")
            function = f"torch.ops.{namespace}.{op}{overload or ''}"
        return ast.Call(ast.parse(function, mode="eval").body, [self._expression(a) for a in call.args],
                        [ast.keyword(k.arg, self._expression(k.value)) for k in call.keywords])

    def _dims(self, node: ast.expr) -> tuple:
        """A literal tuple of sizes or strides: ints, or sympy expressions where they are symbolic."""
        if not isinstance(node, ast.Tuple):
            raise Unconvertible(f"a size or stride is not a tuple ({_short(node)})")
        values = tuple(self._size(element) for element in node.elts)
        return tuple(int(v) if isinstance(v, sympy_module().Integer) else v for v in values)

    def _size(self, node: ast.expr):
        """One size as an int or a sympy expression over the bound size symbols; Unconvertible for a symbol
        forward does not bind or a form `_is_size_expression` does not know."""
        for name in (n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id not in ("max", "min")):
            if name not in self.symbols:
                raise Unconvertible(f"a size uses {name}, which forward does not bind to a size")
        if not _is_size_expression(node, self.symbols):
            raise Unconvertible(f"a size has a form the conversion does not know ({_short(node)})")
        value = _sympy(node)
        return int(value) if value.is_Integer else value

    def _launch(self, kernel: _Kernel, call: ast.Call) -> str:
        keywords = {k.arg for k in call.keywords} - {"stream"}
        if keywords:
            raise Unconvertible(f"kernel {kernel.name} is run with {sorted(keywords)[0]}=, as torch versions older "
                                f"than this conversion knows generate")
        runtime = [p for p in kernel.params if p not in kernel.constexprs]
        if len(call.args) != len(runtime):
            raise Unconvertible(f"kernel {kernel.name} is run with {len(call.args)} arguments for its "
                                f"{len(runtime)} parameters")
        values = dict(zip(runtime, call.args))
        numels = {}
        for axis in ("x", "y", "z", "r0_", "r1_"):
            name = f"{axis}numel"
            if name in values:
                value = values[name]
                if isinstance(value, ast.Constant) and isinstance(value.value, int):
                    numels[axis] = value.value
                elif _is_size_expression(value, self.symbols):
                    self._size(value)
                    if axis.startswith("r") and f"{axis.upper()}BLOCK" in kernel.baked:
                        raise Unconvertible(f"kernel {kernel.name} reduces a symbolic {name} ({ast.unparse(value)}) "
                                            f"in one block its body fixes")
                    numels[axis] = ast.unparse(value)  # read at run time: the grid follows the input's sizes
                else:
                    raise Unconvertible(f"kernel {kernel.name}'s {name} is neither a number nor a size "
                                        f"({_short(value)})")
            elif name in kernel.constants:
                numels[axis] = kernel.constants[name]
        given = self.launch_configs.get(kernel.name)
        default = default_launch(kernel.kind, kernel.size_hints, kernel.constexprs, kernel.baked)
        config = given or default
        blocks = {**default.kwargs, **{k: v for k, v in config.kwargs.items() if k in kernel.constexprs}}
        options = {k: v for k, v in config.kwargs.items() if k in BACKEND_OPTIONS}
        launch = {**{k: blocks[k] for k in kernel.constexprs}, **options,
                  "num_warps": config.num_warps, "num_stages": config.num_stages}
        self.launch[kernel.name] = launch
        self.launch_source[kernel.name] = "given" if given else "size_hints"
        grid = _grid(kernel, numels, {**kernel.baked, **blocks})
        args = ", ".join([ast.unparse(self._expression(a)) for a in call.args]
                         + [f"{k}={v}" for k, v in launch.items()])
        return f"{kernel.name}[{grid}]({args})"


def _grid(kernel: _Kernel, numels: Mapping[str, int | str], blocks: Mapping[str, int]) -> str:
    """The launch grid as source: `(triton.cdiv(xnumel, XBLOCK), ...)` with the numbers filled in; a
    symbolic numel (source over forward's size names) stays an expression forward computes at run time."""
    def cdiv(axis: str) -> str:
        if axis not in numels:
            raise Unconvertible(f"kernel {kernel.name} is launched over {axis} without a {axis}numel")
        block = blocks.get(f"{axis.upper()}BLOCK", 1)
        return str(numels[axis]) if block == 1 else f"triton.cdiv({numels[axis]}, {block})"

    if kernel.grid_type == "Grid1D":
        return f"({cdiv('x')},)"
    if kernel.grid_type == "Grid2D":
        return f"({cdiv('x')}, {cdiv('y')})"
    if kernel.grid_type == "Grid3D":
        return f"({cdiv('x')}, {cdiv('y')}, {cdiv('z')})"
    # Grid2DWithYZOverflow: y blocks past the y grid's limit spill into z.
    if "y" in numels and isinstance(numels["y"], str):
        y_blocks = f"triton.cdiv({numels['y']}, {blocks.get('YBLOCK', 1)})"
        z_grid = f"triton.cdiv({y_blocks}, {_MAX_Y_GRID})"
        return f"({cdiv('x')}, triton.cdiv({y_blocks}, max(1, {z_grid})), {z_grid})"
    y_blocks = -(-numels["y"] // blocks.get("YBLOCK", 1))
    z_grid = -(-y_blocks // _MAX_Y_GRID)
    return f"({cdiv('x')}, {-(-y_blocks // z_grid) if z_grid else 0}, {z_grid})"


# -- layouts -----------------------------------------------------------------------------------------------


def view_chain(base: str, layout: _Layout, size: Sequence[int], stride: Sequence[int], offset: int = 0) -> str:
    """Source for `reinterpret_tensor(base, size, stride, offset)` (as_strided relative to base's first
    element) with view methods only, for a base whose elements are dense (contiguous up to a permutation).
    Raises Unconvertible for targets that broadcast, overlap or reach past the base."""
    order_base = list(range(len(layout.size)))
    if not _is_contiguous(layout):  # dense in another dimension order: permute it contiguous (size-1 dims last)
        order_base.sort(key=lambda d: (-layout.stride[d] if layout.size[d] != 1 else 0, d))
    permuted = _Layout(tuple(layout.size[d] for d in order_base), tuple(layout.stride[d] for d in order_base))
    if not _is_contiguous(permuted):
        raise Unconvertible(f"{base} is not dense, so its reinterpretation needs as_strided")
    expr = base + (f".permute({', '.join(map(str, order_base))})" if order_base != sorted(order_base) else "")
    numel = math.prod(layout.size)
    size, stride = tuple(size), tuple(stride)
    if offset == 0 and math.prod(size) == numel and _is_contiguous(_Layout(size, stride)):
        return expr if size == permuted.size else f"{expr}.view({_dims(size)})"
    dims = [d for d in range(len(size)) if size[d] != 1]
    if any(stride[d] <= 0 for d in dims) or len({stride[d] for d in dims}) < len(dims):
        raise Unconvertible(f"a reinterpretation of {base} broadcasts or overlaps elements")
    order = sorted(dims, key=lambda d: -stride[d])
    extents = [size[order[0]]] if order else []
    for outer, inner in zip(order, order[1:]):
        if stride[outer] % stride[inner] or stride[outer] // stride[inner] < size[inner]:
            raise Unconvertible(f"a reinterpretation of {base} interleaves its dimensions")
        extents.append(stride[outer] // stride[inner])
    innermost = stride[order[-1]] if order else 1
    if innermost > 1:
        extents.append(innermost)
    span = math.prod(extents)
    if offset + span > numel:
        raise Unconvertible(f"a reinterpretation of {base} reaches past its last element")
    if offset or span != numel:
        expr += f".view(-1).narrow(0, {offset}, {span})"
    if tuple(extents) != permuted.size or offset or span != numel:
        expr += f".view({_dims(extents) if extents else ''})"
    for position, dim in enumerate(order[1:], start=1):
        if extents[position] != size[dim]:
            expr += f".narrow({position}, 0, {size[dim]})"
    if innermost > 1:
        expr += ".select(-1, 0)"
    permutation = [order.index(d) for d in dims]
    if permutation != sorted(permutation):
        expr += f".permute({', '.join(map(str, permutation))})"
    for dim in range(len(size)):
        if size[dim] == 1:
            expr += f".unsqueeze({dim})"
    return expr


def _is_contiguous(layout: _Layout) -> bool:
    expected = 1
    for size, stride in zip(reversed(layout.size), reversed(layout.stride)):
        if not _equal(size, 1) and not _equal(stride, expected):
            return False
        expected = expected * size
    return True


def _dims(values: Sequence[int]) -> str:
    return ", ".join(str(v) for v in values)


def symbolic_view(base: str, layout: _Layout, target: _Layout, offset, size_source: Sequence[str]) -> str:
    """Source for `reinterpret_tensor(base, size, stride, offset)` where a size or stride is symbolic: the
    base itself where the layouts are one (strides of dimensions of size 1 aside), else `base.view(size)`
    where both are contiguous with as many elements. Any other reinterpretation is refused: deciding how
    symbolic strides order (what `view_chain` does with numbers) would be a guess about sizes not seen."""
    if not _equal(offset, 0):
        raise Unconvertible(f"a reinterpretation of {base} with symbolic sizes starts past its first element")
    if len(layout.size) == len(target.size) and all(_equal(a, b) for a, b in zip(layout.size, target.size)) \
            and all(_equal(a, b) for a, b, n in zip(layout.stride, target.stride, target.size) if not _equal(n, 1)):
        return base
    if _is_contiguous(layout) and _is_contiguous(target) \
            and _equal(_product(layout.size), _product(target.size)):
        return f"{base}.view({', '.join(size_source)})"
    raise Unconvertible(f"a reinterpretation of {base} with symbolic sizes is not a plain view")


# What a size may be written as: an int, a size name, and +, -, *, //, % and a constant power of them, and
# max/min (Inductor's FloorDiv, ModularIndexing and Max print as these). Anything else is not guessed at.
_SIZE_OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
             ast.FloorDiv: lambda a, b: sympy_module().floor(a / b), ast.Mod: lambda a, b: sympy_module().Mod(a, b),
             ast.Pow: lambda a, b: a ** b}


def _is_size_expression(node: ast.expr, symbols: set[str]) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int) and not isinstance(node.value, bool)
    if isinstance(node, ast.Name):
        return node.id in symbols
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _is_size_expression(node.operand, symbols)
    if isinstance(node, ast.BinOp) and type(node.op) in _SIZE_OPS:
        if isinstance(node.op, ast.Pow) and not isinstance(node.right, ast.Constant):
            return False
        return _is_size_expression(node.left, symbols) and _is_size_expression(node.right, symbols)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("max", "min") \
            and len(node.args) >= 2 and not node.keywords:
        return all(_is_size_expression(arg, symbols) for arg in node.args)
    return False


def _sympy(node: ast.expr):
    """A size expression (`_is_size_expression`) as sympy, its names positive integer symbols."""
    sympy = sympy_module()
    if isinstance(node, ast.Constant):
        return sympy.Integer(node.value)
    if isinstance(node, ast.Name):
        return sympy.Symbol(node.id, integer=True, positive=True)
    if isinstance(node, ast.UnaryOp):
        return -_sympy(node.operand)
    if isinstance(node, ast.BinOp):
        return _SIZE_OPS[type(node.op)](_sympy(node.left), _sympy(node.right))
    return (sympy.Max if node.func.id == "max" else sympy.Min)(*(_sympy(arg) for arg in node.args))


@lru_cache(maxsize=1)
def sympy_module():
    import sympy  # torch's own dependency; imported when a size is first read

    return sympy


def _equal(a, b) -> bool:
    """Whether two sizes are equal for every value of their symbols (as far as sympy can tell: a `False`
    may be an equality it cannot prove, which only ever makes the conversion decline)."""
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    return sympy_module().simplify(a - b) == 0


def _product(values: Sequence):
    result = 1
    for value in values:
        result = result * value
    return result


def _is_size_source(source: str) -> bool:
    """A graph input the recorder knows as a size (`size`), or one it could not place, as captures made
    before it told sizes apart record them (`unknown:()`)."""
    return source == "size" or source == "unknown:()"


def _statements(body: Sequence[ast.stmt]) -> list[ast.stmt]:
    """call()'s statements, those inside its device guard included."""
    out = []
    for stmt in body:
        out += _statements(stmt.body) if isinstance(stmt, ast.With) else [stmt]
    return out


def _short(node: ast.AST) -> str:
    text = ast.unparse(node).splitlines()[0]
    return text if len(text) <= 80 else text[:77] + "..."


def _fresh_name(name: str, taken: Sequence[str]) -> str:
    while name in taken:
        name += "_"
    return name


def _hint(size_hints: Mapping[str, int], block: str) -> int:
    """The size hint of a block's axis (XBLOCK -> 'x', R0_BLOCK -> 'r0_'), as a power of two."""
    axis = block[:-len("BLOCK")].lower()
    return _pow2_ceil(int(size_hints.get(axis, 1)))


def _pow2_ceil(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def _pow2_floor(n: int) -> int:
    return 1 << max(0, n.bit_length() - 1)


_ASSERT_SIZE_STRIDE = '''
def assert_size_stride(tensor, size, stride):
    """The kernels index the inputs with these sizes and strides: any other layout is an error, not a wrong answer.
    A dimension of size 1 is only ever indexed at 0, so its stride is not compared (as torch's own check)."""
    strides_differ = any(got != want for got, want, n in zip(tensor.stride(), stride, size) if n != 1)
    if tuple(tensor.shape) != tuple(size) or strides_differ:
        raise ValueError(f"expected size {tuple(size)} and stride {tuple(stride)}, got size "
                         f"{tuple(tensor.shape)} and stride {tuple(tensor.stride())}")
'''


# -- the reference model -----------------------------------------------------------------------------------


class _ReferenceModel:
    """What the candidate takes from the reference: Model.__init__ (and the methods it calls), forward's
    signature, and the module-level names __init__ needs."""

    def __init__(self, tree: ast.Module, source: str) -> None:
        self.tree = tree
        self.source = source
        model = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Model"), None)
        if model is None:
            raise Unconvertible("the reference defines no class Model")
        methods = {n.name: n for n in model.body if isinstance(n, ast.FunctionDef)}
        if "forward" not in methods:
            raise Unconvertible("the reference Model has no forward")
        self.forward = methods["forward"]
        args = self.forward.args
        if args.vararg or args.kwarg or args.posonlyargs:
            raise Unconvertible("the reference forward takes *args, **kwargs or positional-only arguments")
        self.forward_params = [a.arg for a in args.args[1:]]
        self.methods = self._init_methods(methods)
        self.imports, self.module_code = self._module_needs()

    def _init_methods(self, methods: dict[str, ast.FunctionDef]) -> list[ast.FunctionDef]:
        """__init__ and the methods it calls through self, transitively."""
        if "__init__" not in methods:
            return []
        wanted, todo = [], ["__init__"]
        while todo:
            name = todo.pop(0)
            if name in (m.name for m in wanted):
                continue
            wanted.append(methods[name])
            for node in ast.walk(methods[name]):
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self" \
                        and node.attr in methods and node.attr != "forward":
                    todo.append(node.attr)
        return sorted(wanted, key=lambda m: m.lineno)

    def _module_needs(self) -> tuple[list[str], str]:
        """Imports and other module-level statements (in the reference's order) that define names the copied
        methods use, transitively."""
        statements = [n for n in self.tree.body if not (isinstance(n, ast.ClassDef) and n.name == "Model")
                      and not (isinstance(n, ast.FunctionDef) and n.name in ("get_inputs", "get_init_inputs"))]
        defines = {}
        for node in statements:
            for name in _defined_names(node):
                defines.setdefault(name, []).append(node)
        uses = [n for m in self.methods for n in ast.walk(m) if isinstance(n, ast.Name)]
        in_super = {id(arg) for m in self.methods for c in ast.walk(m) if isinstance(c, ast.Call)
                    and isinstance(c.func, ast.Name) and c.func.id == "super" for arg in c.args}
        if any(n.id == "Model" and id(n) not in in_super for n in uses):
            raise Unconvertible("the reference's __init__ refers to Model itself")
        needed, todo = [], [n.id for n in uses]
        while todo:
            for node in defines.get(todo.pop(), ()):
                if node not in needed:
                    needed.append(node)
                    todo += [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
        needed.sort(key=lambda n: n.lineno)
        is_import = [isinstance(n, (ast.Import, ast.ImportFrom)) for n in needed]
        imports = [ast.get_source_segment(self.source, n) for n, imported in zip(needed, is_import) if imported]
        others = [ast.get_source_segment(self.source, n) for n, imported in zip(needed, is_import) if not imported]
        return imports, "\n".join(others)

    def source_expr(self, source: str) -> str:
        kind, _, path = source.partition(":")
        if kind == "input":
            index = int(path)
            if index >= len(self.forward_params):
                raise Unconvertible(f"the compiled graph reads forward argument {index}, which forward does not have")
            return self.forward_params[index]
        if kind in ("param", "buffer", "attr"):
            expr = "self"
            for part in path.split("."):
                expr += f"[{part}]" if part.isdigit() else f".{part}"
            return expr
        raise Unconvertible(f"unknown input source {source!r}")

    def class_code(self, forward_lines: list[str]) -> str:
        lines = ["class ModelNew(nn.Module):",
                 '    """The kernels torch.compile (TorchInductor) generated for Model, launched directly."""']
        for method in self.methods:
            text = ast.get_source_segment(self.source, method, padded=True)
            text = _normal_draws(textwrap.dedent(re.sub(r"super\(\s*Model\s*,\s*self\s*\)", "super()", text)))
            lines += [""] + ["    " + line if line.strip() else "" for line in text.splitlines()]
        lines += ["", f"    def forward({ast.unparse(self.forward.args)}):"]
        lines += [f"        {line}" for line in forward_lines]
        return "\n".join(lines) + "\n"


def _normal_draws(source: str) -> str:
    """`mean + std * torch.randn(shape, dtype=...)` (and `std * torch.randn(...)`, `torch.randn(...) * std`, with
    scalar mean and std) rewritten as `nn.init.normal_(torch.empty(shape, dtype=...), mean, std)`: the same
    draws from the generator, with the affine map applied in one rounding rather than after each operation
    (so equal to the reference's values within one unit in the last place), because the static gate allows
    no tensor arithmetic in a candidate, __init__ included."""
    tree = ast.parse(source)
    edits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.expr) and not isinstance(node, ast.Call):
            parts = _affine_randn(node)
            if parts is not None and not any(a <= (node.lineno, node.col_offset) and (node.end_lineno,
                                             node.end_col_offset) <= b for a, b, _ in edits):
                mean, std, draw = parts
                empty = ast.unparse(ast.Call(ast.parse("torch.empty", mode="eval").body, draw.args, draw.keywords))
                edits.append(((node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset),
                              f"nn.init.normal_({empty}, mean={mean}, std={std})"))
    lines = source.splitlines(keepends=True)
    for (row, col), (end_row, end_col), text in sorted(edits, reverse=True):
        head, tail = lines[row - 1][:col], lines[end_row - 1][end_col:]
        lines[row - 1:end_row] = [head + text + tail]
    return "".join(lines)


def _affine_randn(node: ast.expr) -> tuple[str, str, ast.Call] | None:
    """(mean, std, the torch.randn call) when `node` is `[mean +] std * torch.randn(...)` in one of its
    spellings, with mean and std free of calls (so not tensors); None otherwise."""
    def draw(expr):
        return expr if isinstance(expr, ast.Call) and ast.unparse(expr.func) == "torch.randn" and not any(
            k.arg in ("generator", "out", "requires_grad", "names") for k in expr.keywords) else None

    def scalar(expr):
        return not any(isinstance(n, ast.Call) for n in ast.walk(expr))

    def scaled(expr):
        if not (isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mult)):
            return None
        for factor, other in ((expr.left, expr.right), (expr.right, expr.left)):
            if draw(other) is not None and scalar(factor):
                return ast.unparse(factor), draw(other)
        return None

    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        for offset, other in ((node.left, node.right), (node.right, node.left)):
            if scalar(offset):
                inner = scaled(other) or ((("1.0", draw(other)) if draw(other) is not None else None))
                if inner is not None:
                    return ast.unparse(offset), inner[0], inner[1]
        return None
    inner = scaled(node)
    return ("0.0", *inner) if inner is not None else None


def _defined_names(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return []


def _check_names(code: str) -> None:
    """The candidate parses and defines ModelNew once: a clash between a copied reference name and a
    generated one would otherwise surface only when the verifier runs it."""
    tree = _parse(code, "the converted candidate")
    top = [name for node in tree.body for name in _defined_names(node)
           if not isinstance(node, (ast.Import, ast.ImportFrom))]
    repeated = sorted({name for name in top if top.count(name) > 1})
    if repeated:
        raise Unconvertible(f"the candidate would define {repeated[0]} twice (the reference uses the name too)")
