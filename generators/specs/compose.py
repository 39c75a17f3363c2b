"""The composition grammar: fused chains in KernelBench level-2 style (`linear -> bias_add -> gelu ->
layer_norm`, `conv2d -> group_norm -> max_pool2d -> mean`), built stage by stage with shapes tracked.

    chain     := producer epilogue{0..max_epilogues} [terminal]
    producer  := linear | matmul | bmm | conv2d          (sets the shape and which dim holds channels)
    epilogue  := bias_add | scale | <activation> | residual_add | clamp | layer_norm | rms_norm | softmax
               | group_norm | batch_norm | max_pool2d | avg_pool2d
    terminal  := sum | mean | amax | logsumexp           (reduce the feature dim; ends the chain)

Each stage declares the ranks it accepts and what it does to the shape; a broadcast operand (a bias, a
residual) is built with the shape it must broadcast against, so every chain is valid by construction. The
grammar also refuses chains that are known traps: a sum or mean over a dim just softmaxed (the constant 1)
or layer-normalised (about 0), a maximum over a clamped dim (the bound), a ReLU after a stage whose output is already non-negative or a clamp after one whose output is in
[0, 1] (no-ops), a residual added to softmax probabilities (it swamps them, so the output hardly depends on
the chain's input), the same
stage twice in a row, a second pooling. `tests/generators/test_compose.py` runs sampled chains and checks
the declared output shape; the degenerate filter remains the backstop for what the grammar cannot see.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from generators.specs.problem import In, OpDef
from generators.specs.shapes import BATCH, CHANNELS, HIDDEN, RES, Dim

# Activations: name -> (forward expression of x, whether the output is non-negative).
ACTIVATIONS: dict[str, tuple[str, bool]] = {
    "relu": ("torch.relu(x)", True),
    "gelu": ("F.gelu(x)", False),
    "gelu_tanh": ('F.gelu(x, approximate="tanh")', False),
    "silu": ("F.silu(x)", False),
    "tanh": ("torch.tanh(x)", False),
    "sigmoid": ("torch.sigmoid(x)", True),
    "leaky_relu": ("F.leaky_relu(x, negative_slope=0.01)", False),
    "hardswish": ("F.hardswish(x)", False),
    "mish": ("F.mish(x)", False),
    "elu": ("F.elu(x)", False),
    "softplus": ("F.softplus(x)", True),
    "relu6": ("F.relu6(x)", True),
}
_IDENTITY_ON_NONNEGATIVE = {"relu"}
_SCALES = (0.5, 2.0, 0.125, 1.5)
TERMINALS = ("sum", "mean", "amax", "logsumexp")
_KEEPS_TRAP = {"scale", "bias_add"}
# Group and batch norm count: with one channel per group, or a batch of one, they normalise each plane.
_NORMS = {"layer_norm", "group_norm", "batch_norm"}


@dataclass
class _Chain:
    """The chain under construction: symbolic shape (dim names), where the channels are, and the pieces of
    the problem gathered so far."""

    shape: list[str]
    channel_axis: int
    dims: list[Dim]
    inputs: list[In]
    init_args: list[str]
    init: list[str] = field(default_factory=list)
    forward: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    derived: dict[str, tuple[str, int]] = field(default_factory=dict)  # name -> (dim, divisor)
    nonnegative: bool = False
    softmaxed: bool = False
    normalized: bool = False
    clamped: bool = False
    small: bool = False  # softmax probabilities (about 1/n) that an added residual would swamp
    unit_range: bool = False  # every value in [0, 1] (after softmax, sigmoid): a clamp to [-1, 1] is a no-op
    pooled: bool = False

    @property
    def image(self) -> bool:
        return len(self.shape) == 4

    @property
    def channels(self) -> str:
        return self.shape[self.channel_axis]

    def add_init_arg(self, name: str) -> None:
        if name not in self.init_args:
            self.init_args.append(name)


def _producer(rng: random.Random, chain_kind: str) -> _Chain:
    feature = lambda name: Dim(name, HIDDEN, min_size=2)  # noqa: E731 - a feature dim is normalised over
    if chain_kind in ("linear", "matmul"):
        chain = _Chain(shape=["tokens", "out_features"], channel_axis=1,
                       dims=[Dim("tokens", (1, 2, 4, 16, 32, 64, 128, 256, 512)), feature("in_features"),
                             feature("out_features")],
                       inputs=[In("x", "tokens in_features")], init_args=["in_features", "out_features"],
                       params=["in_features out_features", "out_features"])
        if chain_kind == "linear":
            chain.init.append("self.linear = nn.Linear(in_features, out_features, dtype=DTYPE)")
            chain.forward.append("x = self.linear(x)")
        else:
            chain.init.append("self.weight = nn.Parameter(torch.randn(in_features, out_features, dtype=DTYPE) "
                              "* in_features ** -0.5)")
            chain.forward.append("x = torch.matmul(x, self.weight)")
    elif chain_kind == "bmm":
        chain = _Chain(shape=["batch", "m", "n"], channel_axis=2,
                       dims=[Dim("batch", BATCH), Dim("m", (16, 32, 64, 100, 128, 256)), Dim("k", (16, 32, 64, 128, 256)),
                             Dim("n", (16, 32, 64, 96, 128, 256), min_size=2)],
                       inputs=[In("a", "batch m k"), In("b", "batch k n")], init_args=[])
        chain.forward.append("x = torch.bmm(a, b)")
    else:  # conv2d
        chain = _Chain(shape=["batch", "out_channels", "height", "width"], channel_axis=1,
                       dims=[Dim("batch", (1, 2, 4, 8, 16)), Dim("in_channels", CHANNELS),
                             Dim("out_channels", tuple(c for c in CHANNELS if c % 8 == 0) + (3,)),
                             Dim("kernel", (1, 3, 5), edge=False), Dim("height", RES, min_size=4),
                             Dim("width", RES, min_size=4)],
                       inputs=[In("x", "batch in_channels height width")],
                       init_args=["in_channels", "out_channels", "kernel"],
                       init=["self.conv = nn.Conv2d(in_channels, out_channels, kernel, padding=kernel // 2, "
                             "dtype=DTYPE)"],
                       params=["out_channels in_channels kernel kernel", "out_channels"])
        chain.forward.append("x = self.conv(x)")
    chain.stages.append(chain_kind)
    return chain


def _epilogues(chain: _Chain) -> list[str]:
    """The epilogue stages the grammar allows next."""
    last = "activation" if chain.stages[-1] in ACTIVATIONS else chain.stages[-1]
    allowed = ["bias_add", "scale", "activation", "residual_add", "clamp"]
    if not chain.image:
        allowed += ["layer_norm", "rms_norm", "softmax"]
    else:
        allowed += ["group_norm", "batch_norm"]
        if not chain.pooled:
            allowed += ["max_pool2d", "avg_pool2d"]
    return [stage for stage in allowed if stage != last and not (stage == "bias_add" and last == "linear")
            and not (stage == "clamp" and chain.unit_range)
            and not (stage == "residual_add" and chain.small)]


def _apply(chain: _Chain, stage: str, rng: random.Random) -> None:
    index = len(chain.stages)
    broadcast = chain.channels if not chain.image else f"{chain.channels} 1 1"
    if stage == "bias_add":
        chain.add_init_arg(chain.channels)
        chain.init.append(f"self.bias{index} = nn.Parameter(0.1 * torch.randn({broadcast.replace(' ', ', ')}, "
                          "dtype=DTYPE))")
        chain.params.append(chain.channels)
        chain.forward.append(f"x = x + self.bias{index}")
        chain.nonnegative = False
    elif stage == "scale":
        factor = rng.choice(_SCALES)
        chain.forward.append(f"x = x * {factor}")
    elif stage == "activation":
        choices = [a for a in ACTIVATIONS if not (chain.nonnegative and a in _IDENTITY_ON_NONNEGATIVE)
                   and not (chain.unit_range and a == "relu6")]  # relu6 is the identity on [0, 1]
        name = rng.choice(choices)
        expr, nonneg = ACTIVATIONS[name]
        chain.forward.append(f"x = {expr}")
        chain.nonnegative = nonneg
        stage = name
    elif stage == "residual_add":
        name = f"residual{index}"
        chain.inputs.append(In(name, " ".join(chain.shape)))
        chain.forward.append(f"x = x + {name}")
        chain.nonnegative = False
    elif stage == "clamp":
        chain.forward.append("x = torch.clamp(x, min=-1.0, max=1.0)")
        chain.nonnegative = False
    elif stage in ("layer_norm", "rms_norm"):
        chain.add_init_arg(chain.channels)
        chain.params.append(chain.channels)
        if stage == "layer_norm":
            chain.init.append(f"self.norm{index} = nn.LayerNorm({chain.channels}, dtype=DTYPE)")
            chain.params.append(chain.channels)
            chain.forward.append(f"x = self.norm{index}(x)")
        else:
            chain.init.append(f"self.norm{index} = nn.Parameter(1 + 0.1 * torch.randn({chain.channels}, "
                              "dtype=DTYPE))")
            chain.forward.append(f"x = x * torch.rsqrt(torch.mean(x * x, dim=-1, keepdim=True) + 1e-6) "
                                 f"* self.norm{index}")
        chain.nonnegative = False
    elif stage == "softmax":
        chain.forward.append("x = torch.softmax(x, dim=-1)")
        chain.nonnegative = True
    elif stage == "group_norm":
        chain.add_init_arg(chain.channels)
        chain.params += [chain.channels, chain.channels]
        # The largest of 8, 4, 2, 1 groups that divides the channel count (decided when sizes are known).
        chain.init.append(f"self.norm{index} = nn.GroupNorm(next(g for g in (8, 4, 2, 1) if {chain.channels} % g "
                          f"== 0), {chain.channels}, dtype=DTYPE)")
        chain.forward.append(f"x = self.norm{index}(x)")
        chain.nonnegative = False
    elif stage == "batch_norm":
        chain.add_init_arg(chain.channels)
        chain.params += [chain.channels, chain.channels]
        chain.init.append(f"self.norm{index} = nn.Parameter(1 + 0.1 * torch.randn({chain.channels}, dtype=DTYPE))")
        chain.forward.append(f"x = F.batch_norm(x, None, None, self.norm{index}, None, training=True)")
        chain.nonnegative = False
    elif stage in ("max_pool2d", "avg_pool2d"):
        chain.forward.append(f"x = F.{stage}(x, kernel_size=2)")
        for axis in (2, 3):
            name = f"pooled_{chain.shape[axis]}"
            chain.derived[name] = (chain.shape[axis], 2)
            chain.shape[axis] = name
        chain.pooled = True
    else:
        raise AssertionError(f"no such stage {stage!r}")
    # A sum or mean over a softmaxed or normalised dim stays a constant through a scale or a bias.
    chain.softmaxed = stage == "softmax" or (chain.softmaxed and stage in _KEEPS_TRAP)
    chain.normalized = stage in _NORMS or (chain.normalized and stage in _KEEPS_TRAP)
    chain.small = stage == "softmax" or (chain.small and stage not in ("layer_norm", "rms_norm", "group_norm",
                                                                       "batch_norm", "residual_add"))
    chain.unit_range = stage in ("softmax", "sigmoid") or (chain.unit_range and stage in ("max_pool2d", "avg_pool2d"))
    chain.clamped = stage == "clamp" or (chain.clamped and (stage in _KEEPS_TRAP | {"max_pool2d"}
                                                           or stage in ACTIVATIONS))
    chain.stages.append(stage)


def _terminal(chain: _Chain, rng: random.Random) -> bool:
    """Append a reduction over the feature dim (the spatial dims, for an image) where it is not a trap."""
    choices = [t for t in TERMINALS
               if not ((chain.softmaxed or chain.normalized) and t in ("sum", "mean"))
               and not (chain.softmaxed and t == "logsumexp")  # about log(n + 1) for small probabilities
               and not (chain.clamped and t == "amax")  # the maximum of a clamped row is the clamp bound
               # over a whole image, log(sum(exp)) is log(H * W) plus a term that varies less than fp16
               # or bf16 can show: a constant to the verifier
               and not (chain.image and t == "logsumexp")]
    name = rng.choice(choices)
    dims = "(2, 3)" if chain.image else "-1"
    expr = {"sum": f"torch.sum(x, dim={dims})", "mean": f"torch.mean(x, dim={dims})",
            "amax": f"torch.amax(x, dim={dims})", "logsumexp": f"torch.logsumexp(x, dim={dims})"}[name]
    chain.forward.append(f"x = {expr}")
    chain.shape = chain.shape[:2] if chain.image else chain.shape[:-1]
    chain.stages.append(name)
    return True


def sample_chain(rng: random.Random, max_epilogues: int) -> OpDef:
    """One random chain, as an `OpDef` of family "fused" whose name is the stages joined by "+"."""
    chain = _producer(rng, rng.choice(("linear", "matmul", "bmm", "conv2d")))
    for _ in range(rng.randint(1, max(1, max_epilogues))):
        options = _epilogues(chain)
        _apply(chain, rng.choice(options), rng)
    if rng.random() < 0.3:
        _terminal(chain, rng)
    derived = dict(chain.derived)
    body = "\n".join(chain.forward + ["return x"])
    doc = "a fused chain: " + " -> ".join(chain.stages)
    op = OpDef(
        name="+".join(chain.stages), family="fused", doc=doc, dims=tuple(chain.dims),
        inputs=tuple(chain.inputs), output=" ".join(chain.shape), forward=body.replace("{", "{{").replace("}", "}}"),
        init_args=tuple(chain.init_args), init="\n".join(chain.init), params=tuple(chain.params),
        derive=(lambda d: {name: d[base] // div for name, (base, div) in derived.items()}) if derived else None,
    )
    return op


def chain_stages(op: OpDef) -> tuple[str, ...]:
    return tuple(op.name.split("+"))


def with_stages(problem, op: OpDef):
    """The problem with `ops` set to the chain's stages, so coverage counts each stage."""
    return replace(problem, ops=chain_stages(op))
