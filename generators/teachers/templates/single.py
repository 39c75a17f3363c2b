"""A template group with one way of writing each op (issue 16's ops): each op has a builder that draws its
block sizes and writes the kernels, the launcher and `ModelNew`'s pieces; the group checks that the spec is
the sampler's rendering of the op (`registry_dims`) and offers one correct variant.

These groups carry no flawed variants yet: their candidates differ by block sizes and warps only.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from generators.specs import OPS
from generators.teachers.templates.base import Decline, Draft, Group, Variant, model_new, module
from generators.teachers.templates.reference import registry_dims


@dataclass(frozen=True)
class Built:
    """What a builder returns: the kernels and launcher sources, the drawn parameters, one sentence on
    the approach, and ModelNew's forward arguments, constructor arguments, constructor body and call."""

    parts: tuple[str, ...]
    params: dict
    prose: str
    args: str
    call: str
    init_args: str = ""
    init: str = ""


Builder = Callable[[dict, random.Random, str], Built]


def group(name: str, builders: dict[str, Builder], declined: dict[str, str] | None = None) -> Group:
    """The group answering `builders`' ops. `declined` maps an op of the family to the reason no template
    is offered for it (the teacher declines such specs with that reason)."""
    declined = declined or {}

    def check(spec_row: dict) -> None:
        op = spec_row["ops"][0]
        if op in declined:
            raise Decline(declined[op])
        registry_dims(spec_row, op)

    def render(spec_row: dict, rng: random.Random) -> Draft:
        op = spec_row["ops"][0]
        dims = registry_dims(spec_row, op)
        built = builders[op](dims, rng, spec_row["dtype"])
        doc = OPS[op].doc.format(**dims)
        code = module(*built.parts, model_new(f"Computes {doc} with Triton kernels.", built.args, built.call,
                                              init_args=built.init_args, init=built.init))
        return Draft(variant="single", flaw=None, params=built.params, code=code, prose=built.prose)

    return Group(name, tuple(builders) + tuple(declined), check, (Variant("single", lambda s: True, render),))
