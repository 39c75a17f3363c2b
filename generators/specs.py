"""The spec sampler: draws operator + shape + dtype specs and renders each as a KernelBench-format problem.

Guarantees: the same seed and config give the same specs in the same order, byte for byte; a spec's id
derives from its content; no two specs in one sample share an id; no input tensor exceeds
`max_numel` elements. Shapes mix powers of two with the awkward sizes real kernels must handle (primes,
odd widths, rows longer than one block), because a sampler of only powers of two teaches kernels that
forget their masks.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from kerneldata.core.config import SpecsConfig
from kerneldata.core.spec import Spec

SAMPLER_VERSION = "v1"


@dataclass(frozen=True)
class Op:
    """One operator: its reference expression in PyTorch and a sentence for the docstring."""

    name: str
    torch_expr: str  # an expression over the forward arguments
    doc: str


ELEMENTWISE_OPS = {
    op.name: op
    for op in [
        Op("relu", "torch.relu(x)", "ReLU"),
        Op("gelu", "torch.nn.functional.gelu(x)", "GELU (exact, erf-based)"),
        Op("silu", "torch.nn.functional.silu(x)", "SiLU (x * sigmoid(x))"),
        Op("sigmoid", "torch.sigmoid(x)", "the logistic sigmoid"),
        Op("tanh", "torch.tanh(x)", "tanh"),
        Op("leaky_relu", "torch.nn.functional.leaky_relu(x, negative_slope=0.01)", "leaky ReLU with slope 0.01"),
    ]
}
REDUCTION_OPS = {
    op.name: op
    for op in [
        Op("softmax", "torch.softmax(x, dim=-1)", "softmax over the last dimension"),
        Op("log_softmax", "torch.log_softmax(x, dim=-1)", "log-softmax over the last dimension"),
        Op("sum", "torch.sum(x, dim=-1)", "the sum over the last dimension"),
        Op("mean", "torch.mean(x, dim=-1)", "the mean over the last dimension"),
        Op("max", "torch.amax(x, dim=-1)", "the maximum over the last dimension"),
    ]
}
MATMUL_OPS = {"matmul": Op("matmul", "torch.matmul(a, b)", "the matrix product a @ b")}

# Row counts and widths: powers of two beside odd, prime and just-past-a-power sizes.
_ROWS = [1, 4, 16, 31, 64, 100, 128, 256]
_COLS = [7, 127, 128, 256, 500, 777, 1000, 1024, 1531, 2048, 3000, 4096]
_MATMUL_DIMS = [16, 32, 48, 64, 96, 100, 127, 128, 192, 256]


def _rows_cols(rng: random.Random, max_numel: int) -> tuple[int, int]:
    cols = rng.choice([c for c in _COLS if c <= max_numel])
    rows = rng.choice([r for r in _ROWS if r * cols <= max_numel])
    return rows, cols


def _sample_elementwise(rng: random.Random, dtype: str, max_numel: int) -> Spec:
    op = ELEMENTWISE_OPS[rng.choice(sorted(ELEMENTWISE_OPS))]
    rows, cols = _rows_cols(rng, max_numel)
    return _render("elementwise", op, dtype, {"x": (rows, cols)}, f"{op.doc}, applied elementwise")


def _sample_reduction(rng: random.Random, dtype: str, max_numel: int) -> Spec:
    op = REDUCTION_OPS[rng.choice(sorted(REDUCTION_OPS))]
    rows, cols = _rows_cols(rng, max_numel)
    return _render("reduction", op, dtype, {"x": (rows, cols)}, f"{op.doc} of a (rows, cols) tensor")


@lru_cache(maxsize=16)
def _matmul_shapes(max_numel: int) -> list[tuple[int, int, int]]:
    shapes = [(m, n, k) for m in _MATMUL_DIMS for n in _MATMUL_DIMS for k in _MATMUL_DIMS
              if max(m * k, k * n, m * n) <= max_numel]
    if not shapes:
        raise ValueError(f"specs.max_numel={max_numel} is too small for any matmul spec; allow at least "
                         f"{_MATMUL_DIMS[0] ** 2}")
    return shapes


def _sample_matmul(rng: random.Random, dtype: str, max_numel: int) -> Spec:
    op = MATMUL_OPS["matmul"]
    m, n, k = rng.choice(_matmul_shapes(max_numel))
    return _render("matmul", op, dtype, {"a": (m, k), "b": (k, n)}, f"{op.doc} for a ({m}, {k}) and b ({k}, {n})")


# The family registry: name -> sampler. An unknown family name is an error that lists these.
FAMILIES: dict[str, Callable[[random.Random, str, int], Spec]] = {
    "elementwise": _sample_elementwise,
    "reduction": _sample_reduction,
    "matmul": _sample_matmul,
}


def _render(family: str, op: Op, dtype: str, inputs: dict[str, tuple[int, ...]], doc: str) -> Spec:
    """Render the KernelBench-format problem: Model, module-level sizes, get_inputs, get_init_inputs."""
    args = ", ".join(inputs)
    sizes = []
    makers = []
    for name, shape in inputs.items():
        dims = []
        for axis, size in enumerate(shape):
            const = f"{name.upper()}_DIM{axis}"
            sizes.append(f"{const} = {size}")
            dims.append(const)
        makers.append(f"    {name} = torch.randn({', '.join(dims)}, dtype=DTYPE)")
    source = "\n".join([
        "import torch",
        "import torch.nn as nn",
        "",
        "",
        "class Model(nn.Module):",
        f'    """Computes {doc}."""',
        "",
        "    def __init__(self):",
        "        super().__init__()",
        "",
        f"    def forward(self, {args}):",
        f"        return {op.torch_expr}",
        "",
        "",
        *sizes,
        f"DTYPE = torch.{dtype}",
        "",
        "",
        "def get_inputs():",
        *makers,
        f"    return [{args}]",
        "",
        "",
        "def get_init_inputs():",
        "    return []",
        "",
    ])
    return Spec(
        family=family,
        ops=(op.name,),
        dtype=dtype,
        shapes=tuple(tuple(shape) for shape in inputs.values()),
        source=source,
        origin="",  # set by SpecSampler, which knows the seed
    )


class SpecSampler:
    """Draws `num_specs` distinct specs for a seed: a family uniformly among the configured ones, a dtype
    uniformly among the configured ones, then the family's own op and shape distribution."""

    def __init__(self, config: SpecsConfig, seed: int) -> None:
        families = config.families if config.families is not None else sorted(FAMILIES)
        unknown = [name for name in families if name not in FAMILIES]
        if unknown:
            raise ValueError(f"unknown spec family {unknown[0]!r}; known families: {', '.join(sorted(FAMILIES))}")
        if not families:
            raise ValueError("specs.families is empty; name at least one of: " + ", ".join(sorted(FAMILIES)))
        self.families = list(families)
        self.dtypes = list(config.dtypes)
        self.max_numel = config.max_numel
        self.seed = seed

    def sample(self, num_specs: int) -> list[Spec]:
        rng = random.Random(f"kerneldata-specs-{SAMPLER_VERSION}-{self.seed}")
        origin = f"sampler:{SAMPLER_VERSION} seed={self.seed}"
        specs: dict[str, Spec] = {}
        attempts = 0
        while len(specs) < num_specs:
            attempts += 1
            if attempts > 20 * num_specs + 200:
                raise ValueError(
                    f"only {len(specs)} distinct specs exist for families {self.families}, dtypes {self.dtypes} "
                    f"and max_numel {self.max_numel}; asked for {num_specs}"
                )
            family = rng.choice(self.families)
            dtype = rng.choice(self.dtypes)
            spec = FAMILIES[family](rng, dtype, self.max_numel)
            spec = Spec(**{**spec.__dict__, "origin": origin})
            specs.setdefault(spec.spec_id, spec)
        return list(specs.values())
