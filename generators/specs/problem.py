"""What an operator is to the sampler (`OpDef`), and how one draw of it becomes a KernelBench-format problem.

An `OpDef` declares, as data: its named dims and their pools, its inputs (shape as dim names, value domain,
whether a transposed view is meaningful), its output shape, its learned parameters, and the body of
`forward`. `Problem` is one concrete draw, from an `OpDef` or from the composition grammar; `render` turns
it into the problem source (`class Model(nn.Module)`, module-level sizes, `get_inputs()`,
`get_init_inputs()`) and a `Spec`.

Guarantees: rendering is a pure function of the `Problem` (same problem, same bytes); `get_inputs()` draws
every input from its declared domain (`kerneldata.core.domains`); sizes appear as module-level constants
and, for modules with parameters, reach `__init__` through `get_init_inputs()` as in KernelBench, so a
candidate's `ModelNew` gets the same constructor arguments.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from generators.specs.shapes import DTYPE_BYTES, Dim
from kerneldata.core.domains import index_domain
from kerneldata.core.spec import Spec

FLOAT_DTYPES = ("float32", "float16", "bfloat16")
INDEX_BYTES, MASK_BYTES = 8, 1
# Domains whose tensors have their own element type whatever the spec's dtype (int8 data, fp8 bytes).
_FIXED_BYTES = {"mask": MASK_BYTES, "int8": 1, "fp8_e4m3_bits": 1}


def domain_element_bytes(domain: str) -> int | None:
    """Bytes per element of an input of this domain when fixed by it (indices, offsets, masks, int8 and fp8
    data); None means the spec's dtype decides."""
    if domain.startswith(("index", "offsets")):
        return INDEX_BYTES
    return _FIXED_BYTES.get(domain)


@dataclass(frozen=True)
class In:
    """One input of `forward`. `shape` names dims (or holds integers), space-separated; `domain` is a
    `kerneldata.core.domains` name, or `index:<dim>` for indices in [0, that dim's size), or `offsets:<dim>`
    for non-decreasing boundaries from 0 to that dim's size. `draw` replaces the domain's default expression
    in `get_inputs()` where the domain alone does not say enough (distinct slots of a KV cache, say): a
    Python expression over the module's size constants, with `{dims}` (the shape's constants, comma-separated)
    and `{bound}` (the bound's constant) filled in. It must still draw from the declared domain."""

    name: str
    shape: str
    domain: str = "normal"
    transposable: bool = False  # a transposed (non-contiguous) view is a meaningful layout for it
    draw: str = ""

    @property
    def dims(self) -> tuple[str | int, ...]:
        return tuple(int(part) if part.isdigit() else part for part in self.shape.split())

    @property
    def element_bytes(self) -> int | None:
        """Bytes per element when fixed by the domain (indices, masks); None means the spec's dtype."""
        return domain_element_bytes(self.domain)


@dataclass(frozen=True)
class OpDef:
    """One registered operator. `doc` completes "Computes ..." and `forward` is the body of `forward` (a
    single expression is returned); both may use `{dim}` fields. `init` is the body of `__init__`, which
    takes the dims named in `init_args` as arguments of the same names. `params` are the shapes of learned
    parameters, counted against the memory budget."""

    name: str
    family: str
    doc: str
    dims: tuple[Dim, ...]
    inputs: tuple[In, ...]
    output: str
    forward: str
    init_args: tuple[str, ...] = ()
    init: str = ""
    params: tuple[str, ...] = ()
    scratch: tuple[str, ...] = ()  # intermediates the reference materialises (attention scores), budget only
    derive: Callable[[Mapping[str, int]], dict[str, int]] | None = None
    dtypes: tuple[str, ...] = FLOAT_DTYPES
    _tensors: tuple = field(default=(), init=False, repr=False, compare=False)
    _scratch: tuple = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tensors = [(inp.dims, inp.element_bytes) for inp in self.inputs]
        tensors.append((In("out", self.output).dims, None))
        tensors += [(In("p", shape).dims, None) for shape in self.params]
        object.__setattr__(self, "_tensors", tuple(tensors))
        object.__setattr__(self, "_scratch", tuple(In("s", shape).dims for shape in self.scratch))

    def resolve(self, dims: Mapping[str, int]) -> dict[str, int]:
        """The drawn dims plus the derived ones."""
        return {**dims, **self.derive(dims)} if self.derive else dict(dims)

    def cost_bytes(self, dims: Mapping[str, int], dtype: str, max_numel: int) -> float:
        """Bytes of inputs, output and parameters; infinite when a tensor exceeds `max_numel` elements or a
        derived size is not positive (a kernel larger than its input, say)."""
        full = self.resolve(dims)
        total = 0
        for shape, element_bytes in self._tensors:
            numel = 1
            for d in shape:
                size = d if isinstance(d, int) else full[d]
                if size < 1:
                    return math.inf
                numel *= size
            if numel > max_numel:
                return math.inf
            total += numel * (element_bytes or DTYPE_BYTES[dtype])
        for shape in self._scratch:
            total += math.prod(d if isinstance(d, int) else full[d] for d in shape) * DTYPE_BYTES[dtype]
        return total


@dataclass(frozen=True)
class Input:
    """A concrete input: its name, shape, domain string, layout and the size constants its shape uses."""

    name: str
    shape: tuple[int, ...]
    shape_consts: tuple[str, ...]
    domain: str  # a kerneldata.core.domains value, index ranges resolved
    layout: str = "contiguous"
    bound: str = ""  # for an index input, the size constant its values stay below (offsets: end at)
    draw: str = ""  # the In's own `get_inputs()` expression, if any


@dataclass(frozen=True)
class Problem:
    """One concrete problem, ready to render."""

    family: str
    ops: tuple[str, ...]
    dtype: str
    doc: str
    consts: tuple[tuple[str, int], ...]  # module-level size constants, in order
    inputs: tuple[Input, ...]
    forward: tuple[str, ...]  # lines of forward's body
    output_shape: tuple[int, ...]
    init_args: tuple[str, ...] = ()  # names of consts passed to __init__ (as lowercase arguments)
    init: tuple[str, ...] = ()  # lines of __init__ after super().__init__()


def const_name(dim: str) -> str:
    return dim.upper()


def problem_from_op(op: OpDef, dims: Mapping[str, int], dtype: str, layouts: Mapping[str, str]) -> Problem:
    """The problem one draw of `op` makes: `dims` are its drawn dims; `layouts` maps an input name to
    "transposed" where a transposed view was drawn."""
    full = op.resolve(dims)
    used: dict[str, int] = {}
    inputs = []
    for inp in op.inputs:
        consts = []
        shape = []
        for d in inp.dims:
            if isinstance(d, int):
                consts.append(str(d))
                shape.append(d)
            else:
                used[d] = full[d]
                consts.append(const_name(d))
                shape.append(full[d])
        domain, bound = inp.domain, ""
        if domain.startswith(("index:", "offsets:")):
            kind, bound = domain.split(":", 1)
            used[bound] = full[bound]
            domain = index_domain(full[bound]) if kind == "index" else kind
        inputs.append(Input(inp.name, tuple(shape), tuple(consts), domain, layouts.get(inp.name, "contiguous"),
                            const_name(bound) if bound else "", inp.draw))
    for name in op.init_args:
        used[name] = full[name]
    consts = tuple((const_name(name), used[name]) for name in sorted(used, key=lambda n: (_order(op, n), n)))
    body = op.forward.format(**full).strip("\n").splitlines()
    if len(body) == 1 and not body[0].startswith("return "):
        body = [f"return {body[0]}"]
    output_shape = tuple(d if isinstance(d, int) else full[d] for d in In("out", op.output).dims)
    return Problem(
        family=op.family, ops=(op.name,), dtype=dtype, doc=op.doc.format(**full), consts=consts,
        inputs=tuple(inputs), forward=tuple(body), output_shape=output_shape,
        init_args=tuple(const_name(n) for n in op.init_args),
        init=tuple(op.init.strip("\n").splitlines()) if op.init else (),
    )


def _order(op: OpDef, name: str) -> int:
    """Constants appear in the order the op declares its dims; derived ones after."""
    for index, dim in enumerate(op.dims):
        if dim.name == name:
            return index
    return len(op.dims)


_MAKERS: dict[str, str] = {
    "normal": "torch.randn({dims}, dtype=DTYPE)",
    "positive": "torch.rand({dims}, dtype=DTYPE) + 0.1",
    "nonnegative": "torch.rand({dims}, dtype=DTYPE) * 4",
    "unit_interval": "torch.rand({dims}, dtype=DTYPE) * 0.98 + 0.01",
    "near_one": "1 + 0.05 * torch.randn({dims}, dtype=DTYPE)",
    "sign": "torch.randint(0, 2, ({dims},)).to(DTYPE) * 2 - 1",
    "probabilities": "torch.softmax(torch.randn({dims}), dim=-1).to(DTYPE)",
    "log_probabilities": "torch.log_softmax(torch.randn({dims}), dim=-1).to(DTYPE)",
    "mask": "torch.rand({dims}) < 0.8",
    # Segment boundaries 0 = o[0] <= o[1] <= ... <= o[-1] = bound: sorted cut points (empty segments happen).
    "offsets": "torch.cat([torch.zeros(1, dtype=torch.long), torch.randint(0, {bound} + 1, ({dims} - 2,)).sort()"
               ".values, torch.tensor([{bound}])])",
    "int8": "torch.randint(-127, 128, ({dims},), dtype=torch.int8)",
    # Normal draws spread over e4m3's range (max 448), rounded to fp8 and handed over as their bytes.
    "fp8_e4m3_bits": "(torch.randn({dims}) * 64).clamp(-448, 448).to(torch.float8_e4m3fn).view(torch.uint8)",
    "scores": "torch.randn({dims}, dtype=DTYPE)",
}


def _maker_lines(inp: Input) -> list[str]:
    consts = list(inp.shape_consts)
    transposed = inp.layout == "transposed"
    if transposed:  # drawn with the last two dims swapped, handed over as a transposed view
        consts[-2], consts[-1] = consts[-1], consts[-2]
    dims = ", ".join(consts)
    if inp.draw:
        expr = inp.draw.format(dims=dims, bound=inp.bound)
    elif inp.domain.startswith("index["):
        expr = f"torch.randint(0, {inp.bound}, ({dims},))"
    else:
        expr = _MAKERS[inp.domain].format(dims=dims, bound=inp.bound)
    if transposed:
        expr = f"{expr}.transpose(-2, -1)" if inp.domain == "normal" else f"({expr}).transpose(-2, -1)"
    lines = [f"{inp.name} = {expr}"]
    if inp.domain == "mask":
        lines.append(f"{inp.name}[..., 0] = True  # no row is masked out entirely")
    return lines


def render(problem: Problem, origin: str) -> Spec:
    """The KernelBench-format source of `problem`, as a `Spec`."""
    args = ", ".join(inp.name for inp in problem.inputs)
    init_params = "".join(f", {name.lower()}" for name in problem.init_args)
    lines = [
        "import torch",
        "import torch.nn as nn",
        "import torch.nn.functional as F",
        "",
        "",
        "class Model(nn.Module):",
        f'    """Computes {problem.doc}."""',
        "",
        f"    def __init__(self{init_params}):",
        "        super().__init__()",
        *(f"        {line}" if line else "" for line in problem.init),
        "",
        f"    def forward(self, {args}):",
        *(f"        {line}" if line else "" for line in problem.forward),
        "",
        "",
        *(f"{name} = {value}" for name, value in problem.consts),
        f"DTYPE = torch.{problem.dtype}",
        "",
        "",
        "def get_inputs():",
    ]
    for inp in problem.inputs:
        lines += [f"    {line}" for line in _maker_lines(inp)]
    lines += [
        f"    return [{args}]",
        "",
        "",
        "def get_init_inputs():",
        f"    return [{', '.join(problem.init_args)}]",
        "",
    ]
    return Spec(
        family=problem.family,
        ops=problem.ops,
        dtype=problem.dtype,
        shapes=tuple(inp.shape for inp in problem.inputs),
        source="\n".join(lines),
        origin=origin,
        input_domains=tuple(inp.domain for inp in problem.inputs),
        layouts=tuple(inp.layout for inp in problem.inputs),
        output_shape=problem.output_shape,
    )
