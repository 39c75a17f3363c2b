"""A template group for ops written one builder at a time (issue 16's ops): each op has one or more
builders (its structures: a 2-D tile or a flat block, one group per program or several...), each drawing
block sizes and writing the kernels, the launcher and `ModelNew`'s pieces; the group checks that the spec is
the sampler's rendering of the op (`registry_dims`) and offers one correct variant per structure.

Flawed variants (`Sub`) are the same rendered source with one small edit a model makes (a sign, a missing
stride, the wrong half of a tensor, an off-by-one bound), made in whichever structure holds the edited
text, so a flawed answer is as long and as complete as a correct one and opens with the same sentence.
Each edit must match exactly once in the rendered source (our invariant, asserted): a template change
that moves the text makes the test fail rather than the flaw vanish.
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


@dataclass(frozen=True)
class Sub:
    """A flaw as an edit of the rendered source: each (old, new) pair replaces text that occurs exactly
    once. `shows(dims, spec_row)` says whether the verifier's inputs expose it for this spec (it is only
    offered then)."""

    name: str
    edits: tuple[tuple[str, str], ...]
    shows: Callable[[dict, dict], bool] = lambda dims, spec_row: True


def group(name: str, builders: dict[str, Builder | dict[str, Builder]], declined: dict[str, str] | None = None,
          flaws: dict[str, tuple[Sub, ...]] | None = None) -> Group:
    """The group answering `builders`' ops: an op maps to one builder or to {structure: builder}.
    `declined` maps an op of the family to the reason no template is offered for it (the teacher declines
    such specs with that reason); `flaws` maps an op to its flawed edits."""
    declined = declined or {}
    flaws = flaws or {}
    structures = {op: b if isinstance(b, dict) else {"single": b} for op, b in builders.items()}

    def check(spec_row: dict) -> None:
        op = spec_row["ops"][0]
        if op in declined:
            raise Decline(declined[op])
        registry_dims(spec_row, op)

    def draft(spec_row: dict, rng: random.Random, structure: str) -> tuple[Draft, dict]:
        op = spec_row["ops"][0]
        dims = registry_dims(spec_row, op)
        built = structures[op][structure](dims, rng, spec_row["dtype"])
        doc = OPS[op].doc.format(**dims)
        code = module(*built.parts, model_new(f"Computes {doc} with Triton kernels.", built.args, built.call,
                                              init_args=built.init_args, init=built.init))
        # The structure names the correct variant a refinement of a flawed draft goes back to.
        params = {"structure": structure, **built.params}
        return Draft(variant=structure, flaw=None, params=params, code=code, prose=built.prose), dims

    def correct(structure: str) -> Variant:
        return Variant(structure, lambda s: structure in structures[s["ops"][0]],
                       lambda s, rng: draft(s, rng, structure)[0])

    def flawed(sub_name: str) -> Variant:
        def applies(spec_row: dict) -> bool:
            subs = [f for f in flaws.get(spec_row["ops"][0], ()) if f.name == sub_name]
            return bool(subs) and subs[0].shows(registry_dims(spec_row, spec_row["ops"][0]), spec_row)

        def render(spec_row: dict, rng: random.Random) -> Draft:
            (sub,) = [f for f in flaws[spec_row["ops"][0]] if f.name == sub_name]
            # The structure is drawn as a correct answer's is, among those holding the edited text.
            candidates = list(structures[spec_row["ops"][0]])
            rng.shuffle(candidates)
            for structure in candidates:
                base, _ = draft(spec_row, random.Random(rng.random()), structure)
                if all(base.code.count(old) == 1 for old, _ in sub.edits):
                    code = base.code
                    for old, new in sub.edits:
                        code = code.replace(old, new)
                    return Draft(variant=sub_name, flaw=sub_name, params=base.params, code=code, prose=base.prose)
            raise AssertionError(f"flaw {sub_name!r} edits text that no structure of {spec_row['ops'][0]} holds")

        return Variant(sub_name, applies, render, flaw=sub_name)

    ops = tuple(builders) + tuple(declined)
    structure_names = list(dict.fromkeys(s for per_op in structures.values() for s in per_op))
    flaw_names = list(dict.fromkeys(f.name for per_op in flaws.values() for f in per_op))
    variants = tuple(flawed(n) for n in flaw_names) + tuple(correct(s) for s in structure_names)
    return Group(name, ops, check, variants)
