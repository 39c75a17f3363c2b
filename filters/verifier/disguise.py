"""What makes one verification look like any use of a kernel (issue 15, section 5), and where the
verifier's random draws come from.

Drawn per verification, so a candidate cannot tell verification from use by how it was loaded, by what its
fresh buffers hold, or by how many times and in what order it is called:

- `candidate_location`: the directory and module name the candidate is loaded under, among names a user's
  project would use (not `candidate.py` in `candidate-N`);
- `poison_mode`: per checked call, what fresh allocations hold (filters.verifier.sandbox_child `POISON_MODES`);
- `extra_calls`: how many calls on fresh inputs come before each checked one;
- `grad_mode`, `grad_modes`: whether a call runs with autograd on, off, or in inference mode;
- `grad_inputs`: which inputs require grad in such a call (a data batch does not, an activation does);
- `frozen_parameters`: whether a call runs with the candidate's parameters frozen (`requires_grad_(False)`);
- `ambients` (`autocast_modes`, `tf32_modes`, `compiling_modes`): the process-wide modes three checked calls
  run under: autocast and its dtype, the TF32 switches (where the reference answers alike under them), and
  whether the candidate is told torch.compile traces it;
- `input_offset`: whether a call's inputs start part way into a larger storage;
- `eval_mode`: whether a call runs the candidate (and the reference) in eval mode;
- `twin_seed`, `twin_first`: the public seed (0 or 42) a second instance is built under, and whether first;
- `seed`, `variant`: the seeds of the inputs, parameters and poison the verifier draws.

Every draw comes from the source `drawn_from` sets for the verification running in this thread (a context
variable, so concurrent verifications in threads keep their own). Without a key the source is the operating
system's secret randomness: the RL reward and `kerneldata verify`, where a policy may be trained against
the verifier, never meet the same draws twice. With a key (the pipeline passes one made from the run's
seed) it is a generator seeded with that key and the verification's content, so the same run judges the
same candidate with the same draws and gives the same verdict, whatever the machine's load or the order
candidates arrive in (issue 17: the same seed gives the same dataset; a resumed run equals an
uninterrupted one). A teacher writing candidates cannot compute the draws: the static gate leaves a kernel
no hash function, and the key mixes in the whole candidate, so changing a byte of it redraws everything.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import random
import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_SECRET = secrets.SystemRandom()
_SOURCE: contextvars.ContextVar[random.Random] = contextvars.ContextVar("verifier_draws", default=_SECRET)


def verification_key(run_key: str | None, *parts: str) -> bytes | None:
    """The key of one verification's draws: `run_key` (None: no key, secret draws) and the verification's
    content (the problem, the candidate, its tolerances), each part length-prefixed so no two part lists
    share a key."""
    if run_key is None:
        return None
    digest = hashlib.sha256(b"kerneldata-verifier-draws")
    for part in (run_key, *parts):
        data = part.encode()
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.digest()


@contextlib.contextmanager
def drawn_from(key: bytes | None) -> Iterator[None]:
    """Make the draws inside (in this thread) come from a generator seeded with `key`, or from the
    operating system's secret randomness where `key` is None."""
    token = _SOURCE.set(_SECRET if key is None else random.Random(key))
    try:
        yield
    finally:
        _SOURCE.reset(token)


def _draws() -> random.Random:
    return _SOURCE.get()

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
        directory = scratch / _draws().choice(_DIRECTORIES)
        if not directory.exists():
            break
        directory = scratch / f"{_draws().choice(_DIRECTORIES)}{_draws().randrange(100)}"
        if not directory.exists():
            break
    module = _draws().choice(_MODULES)
    if module in sys.modules:  # never shadow a module this process has loaded
        module = f"{module}_{_draws().randrange(1000)}"
    return directory, module


def poison_mode() -> str:
    """What one checked call's fresh allocations hold."""
    if _draws().randrange(1000) < NAN_SHARE * 1000:
        return "nan"
    return _draws().choice(OTHER_MODES)


def repeat_modes() -> tuple[str, str]:
    """The poison of the first seed's two bit-for-bit runs: one NaN and one not, in a random order. The one
    not NaN is never `stale`: on the same inputs the previous output's bytes are the right answer, so a
    kernel that writes only part of its output when it sees no NaN would repeat itself bit for bit."""
    other = _draws().choice(tuple(mode for mode in OTHER_MODES if mode != "stale"))
    return ("nan", other) if _draws().randrange(2) else (other, "nan")


def extra_calls() -> int:
    """How many calls on fresh inputs precede a checked call: mostly none, sometimes one or two."""
    draw = _draws().randrange(8)
    return 0 if draw < 5 else 1 if draw < 7 else 2


# The ways a user calls forward: autograd on (training), off (`torch.no_grad()`: an eval loop) and inference
# mode (`torch.inference_mode()`: a server such as vLLM). `torch.is_inference_mode_enabled()` is a query the
# gate allows, so a verifier that never used inference mode could be told from a server by it.
GRAD_MODES = ("grad", "no_grad", "inference")


def grad_mode() -> str:
    """How one call runs forward (`GRAD_MODES`): a kernel must not be able to use the mode to tell a
    verifier's calls from use."""
    return GRAD_MODES[_draws().randrange(len(GRAD_MODES))]


def grad_modes() -> tuple[str, ...]:
    """Every mode once, in a secret order: for the first checked call and the two runs that repeat it on the
    same input objects, so that whatever a candidate does differently in one mode meets the same inputs in
    another, and is caught for certain rather than by a coin."""
    modes = list(GRAD_MODES)
    _draws().shuffle(modes)
    return tuple(modes)


def grad_inputs(count: int) -> tuple[bool, ...]:
    """Which of `count` inputs require grad in a call with autograd on or off (each a coin): a trained
    network hands its first layer a data batch that does not, and the layers behind it activations that do;
    an `ema_model(x)` under `no_grad` gets an `x` that does. The first checked call and its repeats use one
    draw for the autograd-on call and the no_grad one, so a launcher keyed on whether the flags agree with
    `torch.is_grad_enabled()` meets a disagreement on the same inputs whatever the draw was."""
    return tuple(bool(_draws().randrange(2)) for _ in range(count))


def frozen_parameters() -> bool:
    """Whether one call runs with the candidate's parameters frozen (`requires_grad_(False)`), as an inference
    server, a fine-tuning script's frozen base or a quantised checkpoint holds them, rather than as a freshly
    built module does."""
    return bool(_draws().randrange(2))


def input_offset() -> bool:
    """Whether one call's inputs start part way into a larger storage, as the views a model hands a kernel
    do (`qkv.chunk(3, -1)`, `x[:, 1:]`), rather than at its first byte, as a freshly drawn input does."""
    return bool(_draws().randrange(2))


# The dtypes mixed-precision training runs PyTorch's matmuls in under `torch.autocast`.
AUTOCAST_DTYPES = ("float16", "bfloat16")


def autocast_modes() -> tuple[str | None, ...]:
    """No autocast and each of `AUTOCAST_DTYPES` once, in a secret order: for the first checked call and the two
    runs that repeat it on the same input objects (as `grad_modes`), so that a candidate that asks whether
    autocast is on, or which dtype it casts to, meets every answer on the same inputs."""
    modes = [None, *AUTOCAST_DTYPES]
    _draws().shuffle(modes)
    return tuple(modes)


# The TF32 settings a process runs under: PyTorch's defaults (`torch.backends.cuda.matmul.allow_tf32` off,
# `torch.backends.cudnn.allow_tf32` on), both on (training scripts that want speed), both off (ones that
# want determinism).
TF32_MODES = ("default", "on", "off")


def tf32_modes() -> tuple[str, ...]:
    """Each of `TF32_MODES` once, in a secret order, for those three calls: a launcher reading either switch
    meets every setting a user's process may have, the default included."""
    modes = list(TF32_MODES)
    _draws().shuffle(modes)
    return tuple(modes)


def compiling_modes() -> tuple[bool, ...]:
    """For those three calls: which one tells the candidate's own code that torch.compile traces it
    (filters.verifier.compile_query), as a user's compiled model does; one in a secret place, so a launcher
    keyed on the answer meets both answers on the same inputs."""
    modes = [False, False, True]
    _draws().shuffle(modes)
    return tuple(modes)


@dataclass(frozen=True)
class Ambient:
    """The process-wide modes one call of the candidate runs under, which a user's process sets and a launcher
    may read: autocast to a dtype (None: off), the TF32 switches (one of `TF32_MODES`), and whether the
    candidate's compile queries answer that torch.compile traces it."""

    autocast: str | None = None
    tf32: str = "default"
    compiling: bool = False


PLAIN = Ambient()


def ambients() -> tuple[Ambient, Ambient, Ambient]:
    """The three calls' modes: every autocast dtype and none, every TF32 setting, and the compiling answer
    once, each in a secret order, whatever the problem: where the reference would answer otherwise under a
    mode (a matmul under autocast or TF32), the call is held to the plain answer at the precision that mode
    allows (`checks.CandidateChecks.precision_allowed`), never left out, so no problem's calls all see one
    setting (rt_detect_autocast_on_matmul_problem, rt_detect_tf32_on_matmul_problem)."""
    return tuple(Ambient(cast, tf32, compiling)
                 for cast, tf32, compiling in zip(autocast_modes(), tf32_modes(), compiling_modes()))


def eval_mode() -> bool:
    """Whether one call runs with the modules in eval mode, as inference after `model.eval()` does, rather
    than in the mode a model is built in (training)."""
    return bool(_draws().randrange(2))


# Seeds users and public harnesses build their models right after (KernelBench's evaluation seeds 42 before
# building ModelNew; many scripts seed 0).
PUBLIC_SEEDS = (0, 42)


def twin_seed() -> int:
    """The public seed a second instance of the candidate is built under (`CandidateChecks.second_instance`),
    beside the first one's secret seed: a draw in `__init__` compared with a public seed's must meet both."""
    return _draws().choice(PUBLIC_SEEDS)


def twin_first() -> bool:
    """Whether the second instance is built before the first, so the order of construction tells nothing."""
    return bool(_draws().randrange(2))


def seed(bits: int = 31) -> int:
    """A seed for torch's generators (31 bits: what torch.manual_seed takes on every platform)."""
    return _draws().getrandbits(bits)


def variant() -> int:
    """The variant number of an unplanned call (the child allocates its outputs per variant)."""
    return _draws().randrange(1 << 16)
