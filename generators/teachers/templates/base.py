"""What every template module shares: the candidate being rendered (`Draft`), one way of writing a kernel
for a spec (`Variant`), a family of them (`Group`), the refusal (`Decline`) and the source-assembly helpers.

A template module defines `GROUPS` (the ops it answers, the check that a spec is one it is correct for, its
variants) and `FLAWS` (name -> (what is wrong, probability of choosing it where it applies)). A flawed
variant is only offered for specs where plain random inputs (or the verifier's input transforms) expose it;
a flaw that such inputs hide would pass verification and poison the data.
"""

from __future__ import annotations

import random
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field


class Decline(ValueError):
    """The built-in teacher has no template that is correct for this spec (its op, layout or source)."""


@dataclass(frozen=True)
class Draft:
    """One rendered candidate before it becomes a row."""

    variant: str
    flaw: str | None
    params: dict = field(default_factory=dict)
    code: str = ""
    prose: str = ""


@dataclass(frozen=True)
class Variant:
    """One way to write the kernel: `applies(spec_row)` says whether it fits the spec (a flawed variant
    applies only where its flaw shows), `render(spec_row, rng)` writes it."""

    name: str
    applies: Callable[[dict], bool]
    render: Callable[[dict, random.Random], Draft]
    flaw: str | None = None


@dataclass(frozen=True)
class Group:
    """Templates for a set of ops. `check(spec_row)` raises ValueError (or Decline) for a spec the
    templates are not correct for; `variants` are tried in order for flaws, then uniformly. A group that
    answers a whole family (no `ops`) beside another group of that family says which of its specs are its
    own with `claims` (workload chains beside workload single calls); the group without `claims` takes the rest."""

    name: str
    ops: tuple[str, ...]
    check: Callable[[dict], None]
    variants: tuple[Variant, ...]
    claims: Callable[[dict], bool] | None = None


# --------------------------------------------------------------------------------------------------------
# Template filling: `<<name>>` alone on a line inserts a block of lines at that line's indentation;
# elsewhere it is replaced inline. A token without a value is our bug, so it raises KeyError.

_TOKEN = re.compile(r"<<(\w+)>>")


def fill(template: str, **values) -> str:
    out = []
    for line in textwrap.dedent(template).strip("\n").splitlines():
        whole = _TOKEN.fullmatch(line.strip())
        if whole:
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + part if part.strip() else "" for part in str(values[whole[1]]).splitlines())
        else:
            out.append(_TOKEN.sub(lambda m: str(values[m[1]]), line))
    return "\n".join(out) + "\n"


IMPORTS = """\
import torch
import torch.nn as nn
import triton
import triton.language as tl
"""


def module(*parts: str) -> str:
    """The candidate's source: imports, then kernels, launchers and ModelNew in the order given."""
    return "\n\n".join([IMPORTS] + [part.rstrip("\n") + "\n" for part in parts[:-1]] + [parts[-1]])


def model_new(doc: str, args: str, call: str, *, init_args: str = "", init: str = "", body: str = "") -> str:
    """`class ModelNew`: the constructor takes `init_args` (those of the reference's `__init__`) and runs
    `init`; `forward(args)` runs `body` and returns `call`."""
    return fill('''
        class ModelNew(nn.Module):
            """<<doc>>"""

            def __init__(self<<init_args>>):
                super().__init__()
                <<init>>

            def forward(self, <<args>>):
                <<body>>
                return <<call>>
        ''', doc=doc, args=args, call=call, init_args=f", {init_args}" if init_args else "", init=init, body=body)


def next_power_of_2(n: int) -> int:
    """triton.next_power_of_2, without importing triton into the process that writes candidates."""
    return 1 << max(n - 1, 0).bit_length()


def launch_warps(rng: random.Random, block: int, choices=(1, 2, 4, 8)) -> int:
    """num_warps no larger than the block has elements for (32 lanes x 4 elements per warp)."""
    return rng.choice([w for w in choices if w * 128 <= max(block, 128)])


def triton_dtype(dtype: str) -> str:
    return {"float32": "tl.float32", "float16": "tl.float16", "bfloat16": "tl.bfloat16"}[dtype]


def variant_makers(shapes: dict, renderers: dict):
    """(correct, flawed) for a group whose structures each have a test (`shapes`: name -> spec row -> bool)
    and a renderer (`renderers`: name -> (spec row, rng, structure, flaw or None) -> Draft):
    `correct(structure)` is that structure's unflawed variant; `flawed(name, structures, applies)` renders
    flaw `name` in one of `structures` that fits the spec (drawn by the rng), offered where one fits and
    `applies` holds."""
    def correct(structure: str) -> Variant:
        return Variant(structure, shapes[structure], lambda s, rng: renderers[structure](s, rng, structure, None))

    def flawed(name: str, structures, applies) -> Variant:
        def where(s):
            return [st for st in structures if shapes[st](s)]

        def render(s, rng):
            structure = rng.choice(where(s))
            return renderers[structure](s, rng, structure, name)

        return Variant(name, lambda s: bool(where(s)) and applies(s), render, flaw=name)

    return correct, flawed
