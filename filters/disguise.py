"""What makes one verification look like any use of a kernel (issue 15, section 5): drawn per verification
from the verifier's secret randomness, so a candidate cannot tell verification from use by how it was loaded,
by what its fresh buffers hold, or by how many times and in what order it is called.

- `candidate_location`: the directory and module name the candidate is loaded under, among names a user's
  project would use (not `candidate.py` in `candidate-N`);
- `poison_modes`: per checked call, what fresh allocations hold (filters.sandbox_child `POISON_MODES`);
- `extra_calls`: how many calls on fresh inputs come before each checked one;
- `grad_mode`: whether a call runs with autograd on or off.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

# Names a project's own Python files and folders commonly have; none is an installed top-level module here
# (test_disguise checks), so loading under one shadows nothing.
_DIRECTORIES = ("src", "project", "workspace", "app", "repo", "code", "experiments", "work", "lib", "pkg",
                "kernels_dev", "scripts", "run", "job", "home_dir")
_MODULES = ("fused_ops", "my_kernels", "triton_ops", "kernels_impl", "layers", "modeling", "custom_ops",
            "fast_ops", "model_kernels", "ops_triton", "block", "module", "solution", "impl", "net",
            "fused_layers", "triton_impl", "kernel_lib", "accel", "optimized")

# The share of checked calls whose fresh allocations hold NaN: enough that a kernel leaving part of its
# output unwritten is caught on most verifications, few enough that a kernel that behaves only when it
# sees NaN fails on the others. The first seed's two runs always include one NaN run and one other.
NAN_SHARE = 0.5
OTHER_MODES = ("finite", "zeros", "stale")


def candidate_location(scratch: Path) -> tuple[Path, str]:
    """A fresh directory under `scratch` and a module name for the candidate's file, both plausible."""
    while True:
        directory = scratch / secrets.choice(_DIRECTORIES)
        if not directory.exists():
            break
        directory = scratch / f"{secrets.choice(_DIRECTORIES)}{secrets.randbelow(100)}"
        if not directory.exists():
            break
    module = secrets.choice(_MODULES)
    if module in sys.modules:  # never shadow a module this process has loaded
        module = f"{module}_{secrets.randbelow(1000)}"
    return directory, module


def poison_mode() -> str:
    """What one checked call's fresh allocations hold."""
    if secrets.randbelow(1000) < NAN_SHARE * 1000:
        return "nan"
    return secrets.choice(OTHER_MODES)


def repeat_modes() -> tuple[str, str]:
    """The poison of the first seed's two bit-for-bit runs: one NaN and one not, in a random order."""
    other = secrets.choice(OTHER_MODES)
    return ("nan", other) if secrets.randbelow(2) else (other, "nan")


def extra_calls() -> int:
    """How many calls on fresh inputs precede a checked call: mostly none, sometimes one or two."""
    draw = secrets.randbelow(8)
    return 0 if draw < 5 else 1 if draw < 7 else 2


def grad_mode() -> bool:
    """Whether one call runs with autograd on (training) or off (inference): a kernel must not be able to
    use grad mode to tell a verifier's inference-only calls from use."""
    return bool(secrets.randbelow(2))


def seed() -> int:
    return secrets.randbits(31)
