"""Input domains: the set of values each input of a problem is drawn from, named once for the sampler (which
writes `get_inputs()` to draw from it) and the verifier (which may only transform an input in ways that keep
it inside its domain).

A domain is a string in the spec's `input_domains` column, one per tensor `get_inputs()` returns. Most are a
bare name (`normal`, `positive`); `index` carries its range, `index[0,1000)`. The verifier's input
transforms (negate, scale by a positive factor, shift by a constant, absolute value, map to uniform, heavy
tail, quantise, mask with -inf) are only meaningful where they keep the input in its domain: a negated `positive` input makes `log` NaN, a shifted `index` reads out of range.
`PRESERVING_TRANSFORMS` says which transforms each domain survives.

Guarantees: every name the sampler writes is in `DOMAINS`; `parse_domain` refuses anything else. Not
guaranteed: that a problem from an external file really draws from the domain it is labelled with; such
problems are labelled `unspecified` (float), `index` without a range, or `mask`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The verifier's transform kinds, named by what they do to a value.
NEGATE, SCALE, SHIFT = "negate", "scale", "shift"
# Transforms to other distributions (issue 15, section 6): absolute value (post-ReLU, non-negative), the
# normal CDF (a normal draw becomes uniform on [0, 1)), a Cauchy-like heavy tail clipped to stay finite,
# and rounding down to halves (few distinct values: ties, and exact zeros).
ABS, UNIFORM, HEAVY, QUANTISE = "abs", "uniform", "heavy_tail", "quantise"
# Some positions set to -inf, as a masked attention score or a padded logit is: softmax, log-sum-exp, max and
# the like give them no weight, and a kernel that "sanitises" its input (replaces huge values by 0) does.
MASK = "mask_inf"
_ANY_REAL = (NEGATE, SCALE, SHIFT, ABS, UNIFORM, HEAVY, QUANTISE, MASK)


@dataclass(frozen=True)
class Domain:
    name: str
    meaning: str
    transforms: tuple[str, ...]  # the verifier transforms that keep a value of this domain inside it


DOMAINS: dict[str, Domain] = {
    d.name: d
    for d in [
        Domain("normal", "standard normal draws (any real value)", _ANY_REAL),
        Domain("positive", "uniform on [0.1, 1.1): inputs of log, sqrt, rsqrt, reciprocal, a divisor", (SCALE,)),
        Domain("nonnegative", "uniform on [0, 4): inputs of log1p and the like", (SCALE, UNIFORM, QUANTISE)),
        Domain("unit_interval", "uniform on [0.01, 0.99]: probabilities, e.g. binary cross-entropy inputs", ()),
        Domain("near_one", "1 + 0.05 * normal: factors of a product or cumulative product that must not "
                           "overflow", ()),
        Domain("sign", "-1 or +1: hinge-loss targets", (NEGATE,)),
        Domain("probabilities", "each row along the last dim sums to 1 (a softmax of normal draws)", ()),
        Domain("log_probabilities", "a log-softmax of normal draws along the last dim", ()),
        Domain("index", "int64 indices in [low, high), written index[low,high)", ()),
        Domain("mask", "booleans; the first position along the last dim is always True", ()),
        # Issue 16's ops. None of these survives a transform: offsets must stay sorted and end at the total,
        # quantised data and fp8 bytes are integers, and top-k scores must not gain ties.
        Domain("offsets", "non-decreasing int64 segment boundaries from 0 to the total (cu_seqlens, jagged "
                          "offsets, embedding-bag offsets with the last one included)", ()),
        Domain("int8", "int8 quantised values in [-127, 127]", ()),
        Domain("fp8_e4m3_bits", "the bytes (uint8) of float8_e4m3fn values in [-448, 448]", ()),
        # Scaling up would saturate a sigmoid at 1.0 (ties), quantising and shifting make equal values.
        Domain("scores", "normal draws whose order decides a top-k (router logits): only negation, which "
                         "cannot create ties, is applied", (NEGATE,)),
        Domain("unspecified", "a float input of an external problem whose domain is not declared; the "
                              "verifier keeps its default behaviour (transforms where the reference stays "
                              "finite)", _ANY_REAL),
    ]
}

_INDEX = re.compile(r"^index\[(-?\d+),(-?\d+)\)$")


def index_domain(high: int, low: int = 0) -> str:
    return f"index[{low},{high})"


def parse_domain(text: str) -> tuple[Domain, tuple[int, int] | None]:
    """The domain a column value names, and the index range for `index[low,high)`; ValueError otherwise."""
    match = _INDEX.match(text)
    if match:
        low, high = int(match[1]), int(match[2])
        if high <= low:
            raise ValueError(f"input domain {text!r} is an empty index range")
        return DOMAINS["index"], (low, high)
    if text in DOMAINS:
        return DOMAINS[text], None
    raise ValueError(f"unknown input domain {text!r}; known domains: {', '.join(DOMAINS)} (index as index[0,N))")


def preserving_transforms(text: str) -> tuple[str, ...]:
    """Which of the verifier's transform kinds keep an input of this domain inside it."""
    return parse_domain(text)[0].transforms
