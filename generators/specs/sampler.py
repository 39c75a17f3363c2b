"""The spec sampler: a family by its configured weight, an op of that family uniformly, a dtype among those
both configured and supported by the op, then sizes from the op's pools within the memory budget, an
occasional edge size and an occasional non-contiguous layout.

Guarantees: the same seed and config give the same specs in the same order, byte for byte; a spec's id derives
from its content; no two specs of one sample share an id (duplicates are drawn again); every tensor of a spec
(inputs, output, parameters) stays within `max_numel` elements and all of them together within `max_bytes`;
with `min_eager_us` or `min_headroom` set, every spec clears them on the estimate of
`generators.specs.headroom` (others are drawn again); with `specs.extra_workloads` set, a spec whose op has
batch-like dims carries that many more workloads (`generators.specs.more_workloads`), drawn without touching
the random stream, so the shown specs are those of `extra_workloads: 0`. Not guaranteed: that a spec is not degenerate. That
takes running its reference (`generators.specs.degenerate`), which the sampler does not do, so that it samples
100k specs a minute.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass, replace

from generators.specs.compose import sample_chain, with_stages
from generators.specs.external import load_external
from generators.specs.headroom import clears_floors
from generators.specs.more_workloads import extra_workloads
from generators.specs.ops import OPS, OPS_BY_FAMILY
from generators.specs.problem import OpDef, problem_from_op, render
from generators.specs.shapes import Infeasible, draw_dims, scale_dims
from kerneldata.core.config import SpecsConfig
from kerneldata.core.spec import Spec

SAMPLER_VERSION = "v2"
FUSED, EXTERNAL = "fused", "external"
# Draws of one family tried against `specs.min_eager_us` / `min_headroom` before another family is drawn.
FLOOR_TRIES = 16
# Every family the sampler knows; "external" exists when `specs.external` names problem sources.
FAMILIES: tuple[str, ...] = tuple(sorted([*OPS_BY_FAMILY, FUSED]))


@dataclass(frozen=True)
class _Choice:
    """One family ready to draw from: its ops with the dtypes each may take under the budget."""

    family: str
    ops: tuple[tuple[OpDef, tuple[str, ...]], ...]


class SpecSampler:
    """Draws `num_specs` distinct specs for a seed. Config problems (unknown family or op, a family left
    without ops, a budget too small for any op) raise ValueError here, naming the key and the choices."""

    def __init__(self, config: SpecsConfig, seed: int, external: list[Spec] | None = None) -> None:
        self.config = config
        self.seed = seed
        # Problems from `specs.external` (loaded here unless given), and the files that were not usable.
        self.external_problems: list[tuple[str, str]] = []
        if external is None:
            external = []
            for source in config.external:
                specs, problems = load_external(source)
                external += specs
                self.external_problems += problems
            if config.external and not external:
                raise ValueError(f"specs.external {config.external} holds no usable problem; first problem: "
                                 f"{self.external_problems[0] if self.external_problems else 'no .py files'}")
        self.external = list(external)
        known = FAMILIES + ((EXTERNAL,) if self.external else ())
        for name in [*(config.families or []), *config.family_weights]:
            if name not in known:
                raise ValueError(f"unknown spec family {name!r}; known families: {', '.join(known)}")
        for name in config.ops or []:
            if name not in OPS:
                raise ValueError(f"unknown op {name!r} in specs.ops; known ops: {', '.join(sorted(OPS))}")
        if config.families is not None:
            families = list(config.families)
        elif config.ops is not None:
            families = sorted({OPS[name].family for name in config.ops})
        else:
            families = list(FAMILIES)
        if self.external and EXTERNAL not in families and config.families is None:
            families.append(EXTERNAL)
        if not families:
            raise ValueError("specs.families is empty; name at least one of: " + ", ".join(known))
        self.choices: list[_Choice] = []
        weights = []
        for family in families:
            weight = config.family_weights.get(family, 1.0)
            if weight == 0:
                continue
            self.choices.append(self._choice(family))
            weights.append(weight)
        if not self.choices:
            raise ValueError("every family in specs.families has weight 0 in specs.family_weights")
        self.cum_weights = list(itertools.accumulate(weights))

    @property
    def families(self) -> list[str]:
        return [choice.family for choice in self.choices]

    def _choice(self, family: str) -> _Choice:
        config = self.config
        if family in (FUSED, EXTERNAL):
            return _Choice(family, ())
        allowed = set(config.ops) if config.ops is not None else None
        ops = []
        for op in OPS_BY_FAMILY[family]:
            if allowed is not None and op.name not in allowed:
                continue
            op = scaled(op, config.scale)
            dtypes = tuple(d for d in config.dtypes if d in op.dtypes and self._fits(op, d))
            if dtypes:
                ops.append((op, dtypes))
        if not ops:
            picked = f" among specs.ops {sorted(allowed)}" if allowed is not None else ""
            raise ValueError(f"spec family {family!r} has no op{picked} that fits dtypes {list(config.dtypes)}, "
                             f"specs.max_numel={config.max_numel} and specs.max_bytes={config.max_bytes}")
        return _Choice(family, tuple(ops))

    def _fits(self, op: OpDef, dtype: str) -> bool:
        try:
            draw_dims(random.Random(0), op.dims, lambda d: op.cost_bytes(d, dtype, self.config.max_numel),
                      self.config.max_bytes)
        except Infeasible:
            return False
        return True

    def sample(self, num_specs: int) -> list[Spec]:
        rng = random.Random(f"kerneldata-specs-{SAMPLER_VERSION}-{self.seed}")
        origin = f"sampler:{SAMPLER_VERSION} seed={self.seed}"
        specs: dict[str, Spec] = {}
        attempts = 0
        total = self.cum_weights[-1]
        while len(specs) < num_specs:
            attempts += 1
            if attempts > 20 * num_specs + 200:
                raise ValueError(
                    f"only {len(specs)} distinct specs exist for families {self.families}, dtypes "
                    f"{list(self.config.dtypes)}, max_numel {self.config.max_numel} and max_bytes "
                    f"{self.config.max_bytes}"
                    + (f" above specs.min_eager_us={self.config.min_eager_us} and specs.min_headroom="
                       f"{self.config.min_headroom}" if self.config.min_eager_us or self.config.min_headroom else "")
                    + f"; asked for {num_specs}"
                )
            choice = self.choices[bisect.bisect_right(self.cum_weights, rng.random() * total)]
            spec = self.draw(choice, rng, origin)
            if spec is not None:
                specs.setdefault(spec.spec_id, spec)
        return list(specs.values())

    def draw(self, choice: _Choice, rng: random.Random, origin: str) -> Spec | None:
        """One spec of `choice`'s family; None when a fused chain drawn does not fit the budget, or when
        FLOOR_TRIES draws of the family all fall below the headroom floors. Redrawing within the family
        keeps `family_weights` true under a floor: otherwise families of small problems (pooling) would
        give way to those of big ones (attention)."""
        tries = FLOOR_TRIES if self.config.min_eager_us or self.config.min_headroom else 1
        for _ in range(tries):
            spec = self._draw(choice, rng, origin)
            if spec is not None and self.has_headroom(spec):
                return spec
        return None

    def _draw(self, choice: _Choice, rng: random.Random, origin: str) -> Spec | None:
        config = self.config
        if choice.family == EXTERNAL:
            return rng.choice(self.external)
        if choice.family == FUSED:
            op = scaled(sample_chain(rng, config.max_chain_ops), config.scale)
            dtype = rng.choice(config.dtypes)
        else:
            op, dtypes = rng.choice(choice.ops)
            dtype = rng.choice(dtypes)
        try:
            dims = draw_dims(rng, op.dims, lambda d: op.cost_bytes(d, dtype, config.max_numel), config.max_bytes,
                             config.edge_rate)
        except Infeasible:
            return None
        layouts = {}
        for inp in op.inputs:
            if inp.transposable and rng.random() < config.noncontiguous_rate:
                layouts[inp.name] = "transposed"
        finish = (lambda problem: with_stages(problem, op)) if choice.family == FUSED else (lambda problem: problem)
        spec = render(finish(problem_from_op(op, dims, dtype, layouts)), origin)
        if config.extra_workloads:  # no random draw: the stream of shown specs is the same whatever the count
            workloads = extra_workloads(op, dims, dtype, layouts, count=config.extra_workloads, finish=finish,
                                        cost=lambda d: op.cost_bytes(d, dtype, config.max_numel),
                                        budget=config.max_bytes)
            spec = replace(spec, workloads=workloads)
        return spec

    def has_headroom(self, spec: Spec) -> bool:
        """Whether `spec` clears `specs.min_eager_us` and `specs.min_headroom` on `specs.device_profile`
        (always, when both are 0; never, when its reference cannot be estimated and a floor is set)."""
        config = self.config
        return clears_floors(spec.source, min_eager_us=config.min_eager_us, min_headroom=config.min_headroom,
                             device=config.device_profile)


def sample_op(name: str, seed: int = 0, dtype: str = "float32", config: SpecsConfig | None = None) -> Spec:
    """One spec of the registered op `name` (for `kerneldata specs render`, tests and examples)."""
    op = OPS.get(name)
    if op is None:
        raise ValueError(f"unknown op {name!r}; known ops: {', '.join(sorted(OPS))}")
    if dtype not in op.dtypes:
        raise ValueError(f"op {name!r} does not support dtype {dtype!r}; it supports {', '.join(op.dtypes)}")
    config = config or SpecsConfig()
    rng = random.Random(f"kerneldata-op-{SAMPLER_VERSION}-{name}-{dtype}-{seed}")
    op = scaled(op, config.scale)
    dims = draw_dims(rng, op.dims, lambda d: op.cost_bytes(d, dtype, config.max_numel), config.max_bytes,
                     config.edge_rate)
    spec = render(problem_from_op(op, dims, dtype, {}), f"sampler:{SAMPLER_VERSION} op={name} seed={seed}")
    if config.extra_workloads:  # as the sampler's specs: the same op at other sizes, which the verifier checks
        spec = replace(spec, workloads=extra_workloads(
            op, dims, dtype, {}, count=config.extra_workloads, finish=lambda problem: problem,
            cost=lambda d: op.cost_bytes(d, dtype, config.max_numel), budget=config.max_bytes))
    return spec


def scaled(op: OpDef, scale: str) -> OpDef:
    """`op` drawing its dims at `scale` (`specs.scale`; `generators.specs.shapes.scale_dims`)."""
    return op if scale == "pools" else replace(op, dims=scale_dims(op.dims, scale))
