"""The static gate alone (no subprocess, no kernel runs): every cheat the gate is meant to catch is
rejected with the expected reason and a sentence naming the line; every honest candidate, and every
candidate the built-in teacher writes, passes it (or is unverified where the interpreter cannot judge)."""

from __future__ import annotations

import json
import re

import pytest

from filters.verifier.static import static_check
from filters.verifier.verify import problem_dtype
from filters.verifier.static.vocabulary import _RULE_NAMES as _RULE_HEADS
from kerneldata.core.outcomes import STATIC_REFUSALS, Reason, Status
from tests.filters import candidates as c
from tests.filters.cheats import cheat_cases
from tests.filters.honest import honest_cases

CHEATS = cheat_cases()
HONEST = honest_cases()
STATIC_CHEATS = [case for case in CHEATS if case.expected_on("cpu") is not None
                 and case.expected_on("cpu").stages == {"static"}]
# Cheats whose expected verdict may come from the gate or from a later stage (a gate bypass that confinement
# also stops) are in neither list: the gate may, but need not, reject them.
RUNTIME_CHEATS = [case for case in CHEATS if case not in STATIC_CHEATS
                  and not any("static" in e.stages for e in (case.expected, case.expected_cpu) if e is not None)]


def _gate_params(cases):
    """Cases as parameters, a strict xfail where the case says the gate does not reach its verdict yet
    (XFAIL = {"static": "why", ...}; a plain-string XFAIL speaks of the whole verifier, not the gate)."""
    for case in cases:
        why = case.xfail.get("static") if isinstance(case.xfail, dict) else None
        marks = [pytest.mark.xfail(strict=True, reason=why)] if why else []
        yield pytest.param(case, id=case.name, marks=marks)


def _gate(case, device="cpu"):
    dtype, _, _ = problem_dtype(case.problem_source)
    return static_check(case.source, dtype=dtype, device=device)


def test_the_sets_are_not_empty():
    assert len(STATIC_CHEATS) >= 50 and len(RUNTIME_CHEATS) >= 15 and len(HONEST) >= 18


@pytest.mark.parametrize("case", list(_gate_params(STATIC_CHEATS)))
def test_static_cheat_is_rejected_by_the_gate(case):
    verdict = _gate(case)
    assert verdict is not None, f"{case.name} passed the static gate"
    assert case.expected_on("cpu").matches(verdict), verdict
    if verdict.status is Status.REJECTED:
        assert re.search(r"\(line \d+\)\.$", verdict.reason), verdict.reason


@pytest.mark.parametrize("case", RUNTIME_CHEATS, ids=lambda case: case.name)
def test_runtime_cheat_passes_the_gate_on_gpu(case):
    """Cheats left to the runtime checks must reach them: a gate that rejected them for the wrong reason
    would hide whether the runtime check works."""
    assert _gate(case, device="cuda") is None


@pytest.mark.parametrize("case", list(_gate_params(HONEST)))
def test_honest_candidate_passes_the_gate(case):
    verdict = _gate(case)
    expected = case.expected_on("cpu")
    if expected.status == "unverified":  # the gate or a later stage may say so (an interpreter gap at run time,
        # whose reason, interpreter_limit, belongs to the static check too); test_cheats holds the whole verdict
        assert verdict is None or expected.matches(verdict), verdict
    else:
        assert verdict is None, verdict
    # nothing of an honest candidate is forbidden anywhere; code whose behaviour depends on the environment is
    # unverified on a GPU too
    on_gpu, expected_gpu = _gate(case, device="cuda"), case.expected_on("cuda")
    assert on_gpu is None or expected_gpu.status == "unverified" and expected_gpu.matches(on_gpu), on_gpu


def test_builtin_teacher_candidates_pass_the_gate():
    """The teacher's templates (all variants, all flaws) are honest code: flaws are for the runtime checks."""
    from generators.specs import SpecSampler
    from generators.teachers.builtin import TEMPLATE_OPS, BuiltinTeacher
    from kerneldata.core.config import SpecsConfig, TeacherConfig

    # The ops the teacher has templates for; it answers other specs without code.
    ops = [op for group in TEMPLATE_OPS.values() for op in group]
    specs = SpecSampler(SpecsConfig(num_specs=60, ops=ops), seed=0).sample(60)
    teacher = BuiltinTeacher(TeacherConfig(samples_per_spec=6), seed=0)
    for spec in specs:
        for row in teacher.generate(spec.to_row()):
            verdict = static_check(row["code"], dtype=row["dtype"], device="cpu")
            flaw = json.loads(row["teacher_meta"])["flaw"]
            if flaw == "tf32_dot":
                assert verdict is not None and verdict.reason_code is Reason.INTERPRETER_LIMIT, verdict
            else:
                assert verdict is None, (verdict, row["code"])


# Small inline cases: each rule, and the honest idiom beside it that must stay allowed.
_HEADER = "import torch\nimport torch.nn as nn\nimport triton\nimport triton.language as tl\n"
_KERNEL = '''
@triton.jit
def k(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=offs < n), mask=offs < n)
'''


def _source(forward: str, extra: str = "", init: str = "") -> str:
    init_block = "    def __init__(self):\n        super().__init__()\n" + "".join(
        f"        {line}\n" for line in init.strip().splitlines()) if init else ""
    body = "".join(f"        {line}\n" for line in forward.strip().splitlines())
    return _HEADER + extra + _KERNEL + "\n\nclass ModelNew(nn.Module):\n" + init_block + \
        "    def forward(self, x):\n" + body


R = Reason
_LAUNCH = "out = torch.empty_like(x)\nk[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)\n"


_RULES = [
    (_LAUNCH + "return out + 0", "", "", "arithmetic on tensors", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "out[0] = 1.0\nreturn out", "", "", "writes into a tensor", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "return -x", "", "", "arithmetic on a tensor", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "for row in x:\n    pass\nreturn out", "", "", "iterates over a tensor", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "for row in [*x]:\n    pass\nreturn out", "", "", "iterates over a tensor", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "for row in [x][0]:\n    pass\nreturn out", "", "", "iterates over a tensor", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "for t in (x, out):\n    t = t * 2\nreturn out", "", "", "arithmetic on tensors", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "y = x.contiguous().view(-1)\nreturn y.exp()", "", "", ".exp()", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "return x.logaddexp(x)", "", "", ".logaddexp()", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "return max(x, out)", "", "", "applies max()", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "t = torch\nreturn out", "", "", "module torch as a value", R.OUTSIDE_VOCABULARY),
    (_LAUNCH + "return out", "from torch import *\n", "", "star-imports", R.OUTSIDE_VOCABULARY),
    (_LAUNCH + "return out", "from . import helpers\n", "", "relative import", R.REFERENCE_ACCESS),
    (_LAUNCH + "torch.cuda.synchronize()\nreturn out", "", "", "torch.cuda.synchronize", R.CONCURRENCY),
    (_LAUNCH + "e = torch.cuda.Event(enable_timing=True)\nreturn out", "", "", "torch.cuda.Event", R.CONCURRENCY),
    # torch._dynamo.is_compiling may be asked; nothing else of torch._dynamo may be reached
    (_LAUNCH + "c = torch._dynamo.config\nreturn out", "", "", "._dynamo", R.DYNAMIC_CODE),
    (_LAUNCH + "torch._dynamo.reset()\nreturn out", "", "", "._dynamo", R.DYNAMIC_CODE),
    (_LAUNCH + "n = dyn.utils.counters\nreturn out", "import torch._dynamo as dyn\n", "", "torch._dynamo.utils",
     R.DYNAMIC_CODE),
    # TF32 switches may be read, never written (global numerics: the reference would round like the kernel)
    (_LAUNCH + "torch.backends.cuda.matmul.allow_tf32 = True\nreturn out", "", "", "allow_tf32", R.MONKEYPATCH),
    (_LAUNCH + "return out", "torch.backends.cudnn.allow_tf32 |= True\n", "", "allow_tf32", R.MONKEYPATCH),
    (_LAUNCH + "matmul.allow_tf32 = True\nreturn out", "from torch.backends.cuda import matmul\n", "",
     "matmul.allow_tf32", R.MONKEYPATCH),
    (_LAUNCH + "m = torch.backends.cuda.matmul\nreturn out", "", "", "torch.backends.cuda.matmul",
     R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "torch.set_float32_matmul_precision('high')\nreturn out", "", "", "set_float32_matmul_precision",
     R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "with torch.backends.cuda.sdp_kernel():\n    pass\nreturn out", "", "", "torch.backends.cuda",
     R.TORCH_OUTSIDE_KERNEL),
    # NVTX annotations keep nothing (range_push's depth counts calls) and format nothing
    (_LAUNCH + "depth = torch.cuda.nvtx.range_push('k')\nreturn out", "", "", "nesting depth", R.CROSS_CALL_STATE),
    (_LAUNCH + "if nvtx.range_pop() > 2:\n    pass\nreturn out", "from torch.cuda import nvtx\n", "", "nesting depth",
     R.CROSS_CALL_STATE),
    (_LAUNCH + "with torch.cuda.nvtx.range('{0.__class__}', x):\n    pass\nreturn out", "", "", "one message",
     R.REFLECTION),
    (_LAUNCH + "with torch.cuda.nvtx.range('k') as r:\n    pass\nreturn out", "", "", "with block", R.REFLECTION),
    (_LAUNCH + "push = torch.cuda.nvtx.range_push\nreturn out", "", "", "other than by calling", R.REFLECTION),
    (_LAUNCH + "h = torch.cuda.nvtx.range_start('k')\nreturn out", "", "", "range_start", R.TORCH_OUTSIDE_KERNEL),
    # Triton's driver, imported by name: its queries only, never the driver or its active backend as values
    (_LAUNCH + "d = driver\nreturn out", "from triton.runtime import driver\n", "", "triton.runtime.driver as a value",
     R.REFLECTION),
    (_LAUNCH + "driver.set_active(None)\nreturn out", "from triton.runtime import driver\n", "", "set_active",
     R.REFLECTION),
    (_LAUNCH + "b = driver.active.get_benchmarker()\nreturn out", "from triton.runtime import driver\n", "",
     "get_benchmarker", R.REFLECTION),
    (_LAUNCH + "s = torch.cuda.ExternalStream(triton.runtime.driver.active.get_current_stream())\nreturn out", "", "",
     "ExternalStream", R.CONCURRENCY),
    # torch.tensor makes constants from host numbers, never a copy of a tensor's values
    (_LAUNCH + "c = torch.tensor(x)\nreturn out", "", "", "torch.tensor(x) on a tensor", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "c = torch.tensor([x[0, 0], 1.0])\nreturn out", "", "", "on a tensor's values", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "c = torch.tensor(*[x])\nreturn out", "", "", "on a tensor's values", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "make = torch.tensor\nreturn out", "", "", "other than by calling it", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "return out * torch.tensor(2.0)", "", "", "arithmetic", R.TORCH_OUTSIDE_KERNEL),
    # fill_ takes a value written out, never a tensor or a number computed at run time
    ("acc = torch.zeros((), device=x.device)\n" + _LAUNCH + "out.fill_(acc)\nreturn out", "", "", "out.fill_(acc)",
     R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "out.fill_(1.0 / x.shape[1])\nreturn out", "", "", "not written out", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "out.fill_(float(x[0, 0]))\nreturn out", "", "", "not written out", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "float = max\nout.fill_(float('inf'))\nreturn out", "", "", "not written out",
     R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "out.fill_(value=1.0)\nreturn out", "", "", "not written out", R.TORCH_OUTSIDE_KERNEL),
    # requires_grad_ on a held tensor (directly, by a local, a helper, a view that may be it) keeps a bit
    (_LAUNCH + "self.w.requires_grad_(False)\nreturn out", "", "", "self.w.requires_grad_", R.CROSS_CALL_STATE),
    (_LAUNCH + "w = self.w\nw.requires_grad_(False)\nreturn out", "", "", "w.requires_grad_", R.CROSS_CALL_STATE),
    (_LAUNCH + "self.w.contiguous().requires_grad_(False)\nreturn out", "", "", "contiguous().requires_grad_",
     R.CROSS_CALL_STATE),
    (_LAUNCH + "x = self.w.view(-1)\nx.requires_grad_(False)\nreturn out", "", "", "x.requires_grad_",
     R.CROSS_CALL_STATE),
    ("return launch(x, self.w)", "def launch(x, w):\n    w.requires_grad_(False)\n    return x\n", "",
     "w.requires_grad_", R.CROSS_CALL_STATE),
    ("if x is not self.w:\n    self.forward(self.w)\nx.requires_grad_(False)\n" + _LAUNCH + "return out", "", "",
     "x.requires_grad_", R.CROSS_CALL_STATE),
    (_LAUNCH + "out.requires_grad_(True)\nreturn out", "", "", "out.requires_grad_", R.CROSS_CALL_STATE),
    # torch.compiler.disable decorates only; the rest of torch.compiler stays off the list
    (_LAUNCH + "f = torch.compiler.disable(k)\nreturn out", "", "", "torch.compiler.disable", R.TORCH_OUTSIDE_KERNEL),
    # ... nor does its older, private spelling
    (_LAUNCH + "f = torch._dynamo.disable(k)\nreturn out", "", "", "torch._dynamo.disable", R.DYNAMIC_CODE),
    (_LAUNCH + "return out", "torch.compiler.set_stance('force_eager')\n", "", "set_stance", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "return out", "@torch.compiler.set_stance('force_eager')\ndef f(x):\n    return x\n", "",
     "set_stance", R.OUTSIDE_VOCABULARY),
    (_LAUNCH + "torch.compiler.reset()\nreturn out", "", "", "torch.compiler.reset", R.TORCH_OUTSIDE_KERNEL),
    # an alias of an autograd Function's apply is one only when nothing else binds the name
    ("return fn(x)", "class Fn(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n"
     "        return x\n\nfn = Fn.apply\nfn = max\n", "", "fn, a function chosen at run time", R.TORCH_OUTSIDE_KERNEL),
    ("return fn(x)", "class Fn(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n"
     "        return x\n\nfn = Fn.apply if x_ok else sum\n", "", "fn, a function chosen at run time",
     R.TORCH_OUTSIDE_KERNEL),
    # other accelerators may be asked after, never driven
    (_LAUNCH + "torch.xpu.synchronize()\nreturn out", "", "", "torch.xpu.synchronize", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "torch.backends.mps.is_built = True\nreturn out", "", "", "mps.is_built", R.MONKEYPATCH),
    # nothing of typing that evaluates an annotation's text
    (_LAUNCH + "h = typing.get_type_hints(launch)\nreturn out", "import typing\n\ndef launch(x: 'y'):\n    return x\n",
     "", "typing.get_type_hints", R.OUTSIDE_VOCABULARY),
    (_LAUNCH + "r = typing.ForwardRef('x')\nreturn out", "import typing\n", "", "typing.ForwardRef",
     R.OUTSIDE_VOCABULARY),
    # a computing method taken as a value runs where no argument shows a tensor
    (_LAUNCH + "f = x.exp\nreturn f()", "", "", "x.exp as a value", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "g = out.add_\ng(1.0)\nreturn out", "", "", "out.add_ as a value", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "g = out.fill_\ng(1.0 / x.shape[1])\nreturn out", "", "", "out.fill_ as a value",
     R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "g = out.relu_\ng()\nreturn out", "", "", "out.relu_ as a value", R.TORCH_OUTSIDE_KERNEL),
    # a module-level alias of an importable path is that path; bound twice, or in a branch, it is no alias
    ("out = empty_like(x)\nk[(1,)](x, out, x.numel(), BLOCK=256)\nreturn out",
     "empty_like = torch.empty_like\nif x_ok:\n    empty_like = sum\n", "", "empty_like, a function chosen at run time",
     R.TORCH_OUTSIDE_KERNEL),
    ("out = empty_like(x)\nk[(1,)](x, out, x.numel(), BLOCK=256)\nreturn out",
     "if x_ok:\n    empty_like = torch.empty_like\n", "", "empty_like, a function chosen at run time",
     R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "return T.exp(x)", "T = torch\n", "", "torch.exp", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "return exp(x)", "exp = torch.exp\n", "", "torch.exp", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "cuda.synchronize()\nreturn out", "cuda = torch.cuda\n", "", "torch.cuda.synchronize", R.CONCURRENCY),
    (_LAUNCH + "s = dev.Stream()\nreturn out", "cuda = torch.cuda\ndev = cuda\n", "", "torch.cuda.Stream",
     R.CONCURRENCY),
    (_LAUNCH + "print(cuda)\nreturn out", "cuda = torch.cuda\n", "", "torch.cuda", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "m.allow_tf32 = True\nreturn out", "m = torch.backends.cuda.matmul\n", "", "m.allow_tf32",
     R.MONKEYPATCH),
    # a local named like a builtin the gate lets see tensors (len) is the candidate's, not the builtin
    (_LAUNCH + "len = sum\nreturn len(x.t())", "", "", "len, a function chosen at run time", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "[(len := sum) for _ in (0,)]\nreturn len(x.t())", "", "", "len, a function chosen at run time",
     R.TORCH_OUTSIDE_KERNEL),
    # a module logger only logs a message written out and host numbers, as a statement; warnings.warn likewise
    ("logger.debug('%s', x)\n" + _LAUNCH + "return out", "import logging\nlogger = logging.getLogger(__name__)\n", "",
     "never a tensor's values", R.TORCH_OUTSIDE_KERNEL),
    ("logger.debug('%s', tuple(x))\n" + _LAUNCH + "return out", "import logging\nlogger = logging.getLogger(__name__)\n",
     "", "never a tensor's values", R.TORCH_OUTSIDE_KERNEL),
    ("logger.debug('%s', str(x[0]))\n" + _LAUNCH + "return out",
     "import logging\nlogger = logging.getLogger(__name__)\n", "", "never a tensor's values", R.TORCH_OUTSIDE_KERNEL),
    ("tuple = len\nlogger.debug('%s', tuple(x.shape))\n" + _LAUNCH + "return out",  # not the builtin: refused
     "import logging\nlogger = logging.getLogger(__name__)\n", "", "logs logger.debug('%s', tuple(", R.TORCH_OUTSIDE_KERNEL),
    ("logger.setLevel(10)\n" + _LAUNCH + "return out", "import logging\nlogger = logging.getLogger(__name__)\n", "",
     "logger.setLevel", R.CROSS_CALL_STATE),
    ("v = logger.info('x')\n" + _LAUNCH + "return out", "import logging\nlogger = logging.getLogger(__name__)\n", "",
     "keeps the value", R.CROSS_CALL_STATE),
    ("logger.debug('x', stack_info=True)\n" + _LAUNCH + "return out",
     "import logging\nlogger = logging.getLogger(__name__)\n", "", "stack_info", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "return out", "import logging\nlogging.basicConfig(filename='a.log')\n", "", "basicConfig", R.IO_ACCESS),
    ("lg = logging.getLogger('a')\n" + _LAUNCH + "return out", "import logging\n", "", "getLogger", R.CROSS_CALL_STATE),
    ("logger.debug('x')\n" + _LAUNCH + "return out",
     "import logging\nlogger = logging.getLogger(__name__)\nlogger = logging.getLogger('b')\n", "", "getLogger",
     R.CROSS_CALL_STATE),
    ("s = __name__\n" + _LAUNCH + "return out", "import logging\nlogger = logging.getLogger(__name__)\n", "",
     "__name__", R.REFLECTION),
    ("warnings.warn(f'{x}')\n" + _LAUNCH + "return out", "import warnings\n", "", "never a tensor's values",
     R.TORCH_OUTSIDE_KERNEL),
    ("warnings.simplefilter('error')\n" + _LAUNCH + "return out", "import warnings\n", "", "simplefilter",
     R.REFLECTION),
    # the current stream may be named, never waited on or asked after (nor made in an annotation)
    (_LAUNCH + "s = torch.cuda.current_stream()\ns.synchronize()\nreturn out", "", "", "s.synchronize", R.CONCURRENCY),
    (_LAUNCH + "busy = not torch.cuda.current_stream().query()\nreturn out", "", "", ".query", R.CONCURRENCY),
    (_LAUNCH + "w = torch.cuda.current_stream(x.device).wait_stream\nreturn out", "", "", ".wait_stream",
     R.CONCURRENCY),
    (_LAUNCH + "x.record_stream(torch.cuda.current_stream())\nreturn out", "", "", "x.record_stream", R.CONCURRENCY),
    (_LAUNCH + "return out", "def launch(x, s: torch.cuda.Stream() = None):\n    return x\n", "",
     "torch.cuda.Stream", R.CONCURRENCY),
    (_LAUNCH + "return out", "import torch.utils.checkpoint\n", "", "torch.utils.checkpoint", R.TORCH_OUTSIDE_KERNEL),
    # PyTorch math may build constant buffers in __init__ (the gate's `_init_only`), not change them in forward
    (_LAUNCH + "self.w.mul_(2)\nreturn out", "", "self.w = torch.randn(3)", ".mul_()", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "return out", "", "self.w = torch.randn(3)\nself.v = self.w.tolist()", ".tolist()",
     R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "self.calls = 1\nreturn out", "", "", "self.calls outside __init__", R.CROSS_CALL_STATE),
    (_LAUNCH + "return x.__class__(out)", "", "", "__class__", R.REFLECTION),
    (_LAUNCH + "return out", "k.cache = {}\n", "", "k.cache", R.MONKEYPATCH),
    (_LAUNCH + "return out", "def __getattr__(name):\n    return name\n", "", "defines __getattr__", R.REFLECTION),
    (_LAUNCH + "return out", "class Meta(type):\n    pass\n", "", "derives class Meta from type", R.REFLECTION),
    (_LAUNCH + "return out._base", "", "", "private attribute ._base", R.REFLECTION),
    (_LAUNCH + "return k.fn(x)", "", "", "k.fn", R.REFLECTION),
    # A kernel reached through a container the gate does not follow: its last call's arguments (an earlier
    # output) are still a kernel object's attribute.
    (_LAUNCH + "prev = KERNELS[0].nargs\nreturn out", "KERNELS = [k]\n", "", "KERNELS[0].nargs", R.REFLECTION),
    ("return self.helper(x)", "", "self.helper = lambda t: t", "self.helper()", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "note(1)\nreturn out", "_STATE = []\ndef note(v):\n    _STATE.append(v)\n", "",
     "_STATE.append", R.CROSS_CALL_STATE),
    (_LAUNCH + "yield out", "", "", "generator", R.CROSS_CALL_STATE),
    (_LAUNCH + "return out", "nn = None\n", "", "rebinds the imported name nn", R.MONKEYPATCH),
    (_LAUNCH + "return out", "__name__ = '__main__'\n", "", "assigns __name__", R.MONKEYPATCH),
    # tensors laundered through the candidate's own class, a callable parameter, typing.cast, host reads
    (_LAUNCH + "return Box(x).t * 2", "class Box:\n    def __init__(self, t):\n        self.t = t\n", "",
     "arithmetic on tensors", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "return apply(lambda t: t, x)", "def apply(f, v):\n    return f(v)\n", "",
     "chosen at run time", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "return typing.cast(torch.Tensor, x) * 2", "import typing\n", "",
     "arithmetic on tensors", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "box = (_MEMO,)\nbox[0][1] = out\nreturn out", "_MEMO = {}\n", "", "box[0][1]", R.CROSS_CALL_STATE),
    (_LAUNCH + "box = [_MEMO]\nbox[0].update(a=out)\nreturn out", "_MEMO = {}\n", "",
     "box[0].update", R.CROSS_CALL_STATE),
    (_LAUNCH + "s = x[0, 0].item() + 1.0\nreturn out", "", "", ".item()", R.TORCH_OUTSIDE_KERNEL),
    # torch.arange builds index tensors; computing with them, or gathering by them, is PyTorch's work
    (_LAUNCH + "i = torch.arange(x.shape[0], device=x.device)\nw = i * 0.5\nreturn out", "", "",
     "arithmetic on tensors", R.TORCH_OUTSIDE_KERNEL),
    ("return x[torch.arange(x.shape[0] - 1, -1, -1, device=x.device)]", "", "", "indexes a tensor with a tensor",
     R.TORCH_OUTSIDE_KERNEL),
    ("return x[:, [2, 1, 0]]", "", "", "indexes a tensor with a tensor or a list", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "torch.arange(x.numel(), dtype=x.dtype, out=out)\nreturn out", "", "", "out=...",
     R.TORCH_OUTSIDE_KERNEL),
    # contextlib.nullcontext hands back what it was given: a `with ... as` name holds it
    (_LAUNCH + "with nullcontext(x) as y:\n    z = y * 2\nreturn out", "from contextlib import nullcontext\n", "",
     "arithmetic on tensors", R.TORCH_OUTSIDE_KERNEL),
    # torch.ones and x.new_ones are constant fills; computing with them is PyTorch's work
    (_LAUNCH + "w = torch.ones(x.shape[-1], device=x.device)\nv = w * 0.5\nreturn out", "", "",
     "arithmetic on tensors", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "v = -x.new_ones(x.shape)\nreturn out", "", "", "arithmetic on a tensor", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + "s = float(str(x[0, 0])[7:-1])\nreturn out", "", "", "to a tensor: the host", R.TORCH_OUTSIDE_KERNEL),
    (_LAUNCH + 's = f"{x[0, 0]}"\nreturn out', "", "", "formats a tensor", R.TORCH_OUTSIDE_KERNEL),
]


@pytest.mark.parametrize(("forward", "extra", "init", "needle", "reason"), _RULES, ids=[rule[3] for rule in _RULES])
def test_rule(forward, extra, init, needle, reason):
    verdict = static_check(_source(forward, extra, init), dtype="float32", device="cpu")
    assert verdict is not None and verdict.reason_code is reason, verdict
    assert needle in verdict.reason, verdict.reason
    assert verdict.reason.startswith(_RULE_HEADS[reason] + ": "), verdict.reason  # the sentence names its rule


@pytest.mark.parametrize(
    ("forward", "extra", "init"),
    [
        # shapes, strides, dtypes and devices are not tensors, and arithmetic on them is the launcher's job
        ("n_rows, n_cols = x.shape\nassert x.shape[-1] == n_cols and x.dim() == 2\nBLOCK = max(16, "
         "triton.next_power_of_2(n_cols) // 2)\n" + _LAUNCH + "return out.view(n_rows, n_cols)", "", ""),
        ("x = x.contiguous() if not x.is_contiguous() else x\nassert x.dtype in (torch.float16, torch.float32)\n"
         + _LAUNCH + "return out.reshape(x.shape)", "", ""),
        ("shape = list(x.shape)\nshape[-1] = 1\nmeta = {}\nmeta['BLOCK'] = 256\n" + _LAUNCH + "return out", "", ""),
        ("if x is None or x.numel() == 0:\n    return x\n" + _LAUNCH + "return out", "", ""),
        (_LAUNCH + "return out", "import math\nimport torch.nn.functional as F\nfrom typing import Optional\n"
         "SCALE = 1.0 / math.sqrt(2.0)\n", ""),
        # parameters built in __init__ the way the reference builds them, used by the kernel in forward
        (_LAUNCH + "k[(1,)](self.weight, out, 1, BLOCK=16)\nk[(1,)](self.linear.weight, out, 1, BLOCK=16)\nreturn out",
         "", "self.weight = nn.Parameter(torch.randn(300))\nself.linear = nn.Linear(300, 300)"),
        (_LAUNCH + "return out", "", "self.eps = 1e-5\nself.block = 256"),
        # the legacy constructor for a parameter __init__ then initialises (nn.Linear's old pattern)
        (_LAUNCH + "k[(1,)](self.weight, out, 1, BLOCK=16)\nreturn out", "",
         "self.weight = nn.Parameter(torch.Tensor(300))\nnn.init.normal_(self.weight)"),
        # a __main__ block and an unreferenced get_inputs never run in the sandbox
        (_LAUNCH + "return out", "def get_inputs():\n    return [torch.randn(16, 300)]\n", ""),
        # nor does any module-level function nothing references outside that block: a file's own test
        (_LAUNCH + "return out", "def test_relu():\n    x = torch.randn(16)\n    "
                                 "torch.testing.assert_close(ModelNew()(x), torch.relu(x))\n"
                                 "if __name__ == '__main__':\n    test_relu()\n", ""),
    ],
)
def test_honest_idiom_is_allowed(forward, extra, init):
    source = _source(forward, extra, init)
    source += '\n\nif __name__ == "__main__":\n    x = torch.randn(4, 4)\n    print(torch.allclose(ModelNew()(x), x))\n'
    assert static_check(source, dtype="float32", device="cpu") is None


def test_main_block_still_may_not_import_or_reflect():
    source = c.HONEST + '\n\nif __name__ == "__main__":\n    import socket\n'
    assert static_check(source, dtype="float32", device="cpu").reason_code is Reason.IO_ACCESS
    source = c.HONEST + '\n\nif __name__ == "__main__":\n    eval("1")\n'
    assert static_check(source, dtype="float32", device="cpu").reason_code is Reason.DYNAMIC_CODE


def test_get_inputs_is_checked_when_something_calls_it():
    source = c.relu_candidate("return get_inputs()[0]", extra="def get_inputs():\n    return [torch.randn(2)]\n")
    assert static_check(source, dtype="float32", device="cpu").reason_code is Reason.TORCH_OUTSIDE_KERNEL


@pytest.mark.parametrize(
    ("snippet", "unverified"),
    [
        ("x = tl.load(x_ptr + offs).to(tl.bfloat16)", True),  # bf16 inside a kernel
        ("x = tl.load(x_ptr + offs)", False),
        # type inference follows explicit casts: a dtype comparison is not bf16 arithmetic
        ("x = tl.load(x_ptr + offs)\n    if x.dtype == tl.bfloat16:\n        x = x.to(tl.float32)", False),
        ("x = tl.load(x_ptr + offs)\n    if x.dtype in (tl.bfloat16, tl.float16):\n"
         "        x = x.to(tl.float32)", False),
        ("x = tl.cast(tl.load(x_ptr + offs), tl.bfloat16)", True),
        # fp8 casts: the interpreter rounds them wrongly (test_interpreter_rounds_fp8_casts_wrongly)
        ("x = tl.load(x_ptr + offs).to(tl.float8e4nv)", True),
        ("x = tl.load(x_ptr + offs).to(tl.float8e5)", True),
        ("x = tl.load(x_ptr + offs)\n    if x.dtype == tl.float8e4nv:\n        x = x.to(tl.float32)", False),
        # by a module-level alias bound once (`scoping._module_aliases`), as by its full path
        ("x = tl.load(x_ptr + offs).to(BF16)", True),
    ],
    ids=["bf16", "fp32", "compares-bf16", "compares-bf16-in", "casts-bf16", "fp8e4", "fp8e5", "compares-fp8",
         "aliased-bf16"],
)
def test_bf16_in_a_kernel_is_unverified_on_cpu_only(snippet, unverified):
    source = _HEADER + f'''
BF16 = tl.bfloat16


@triton.jit
def k(x_ptr, out_ptr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    {snippet}
    tl.store(out_ptr + offs, x.to(tl.float32))


class ModelNew(nn.Module):
    def forward(self, x):
        assert x.dtype != torch.bfloat16, "a dtype comparison alone is not bf16 arithmetic"
        out = torch.empty_like(x)
        k[(1,)](x, out, BLOCK=16)
        return out
'''
    verdict = static_check(source, dtype="float32", device="cpu")
    assert (verdict is not None and verdict.reason_code is Reason.INTERPRETER_LIMIT) is unverified, verdict
    assert static_check(source, dtype="float32", device="cuda") is None


def test_interpreter_rounds_fp8_casts_wrongly():
    """Why fp8 kernels are unverified on CPU: the interpreter's cast to float8e4nv drops the carry when a value
    rounds up to the next power of two. If a Triton release fixes it, this fails: then fp8 can be judged here."""
    import os
    import subprocess
    import sys

    script = """
import torch, triton, triton.language as tl
@triton.jit
def k(x_ptr, o_ptr):
    tl.store(o_ptr, tl.load(x_ptr).to(tl.float8e4nv).to(tl.float32))
x, o = torch.tensor([1.95]), torch.empty(1)
k[(1,)](x, o)
print(float(o[0]), float(x.to(torch.float8_e4m3fn).to(torch.float32)[0]))
"""
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    interpreted, torch_answer = map(float, done.stdout.split())
    assert torch_answer == 2.0 and interpreted != torch_answer


# -- the allow-list: every way an allowed module, object or builtin re-exports a dangerous one -----------------

def _kernel_source(line: str, extra: str = "") -> str:
    """A candidate whose kernel runs `line` (under the CPU interpreter, kernel code is plain Python)."""
    return _HEADER + extra + f'''
@triton.jit
def k(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    {line}
    tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=offs < n), mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x):
{"".join(f"        {row}" + chr(10) for row in _LAUNCH.strip().splitlines())}        return out
'''


_BYPASSES = [
    # modules re-exported by allowed ones
    ("host", "b = tl.core.builtins\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "p = tl.extra.pkgutil\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "s = typing.sys.modules\n" + _LAUNCH + "return out", "import typing\n", R.REFLECTION),
    ("host", "t = F.torch.relu(x)\n" + _LAUNCH + "return out", "import torch.nn.functional as F\n",
     R.TORCH_OUTSIDE_KERNEL),
    ("host", "m = math.__loader__\n" + _LAUNCH + "return out", "import math\n", R.REFLECTION),
    ("host", "c = functools.lru_cache()\n" + _LAUNCH + "return out", "import functools\n", R.CROSS_CALL_STATE),
    ("host", _LAUNCH + "return out", "import triton.language.core as core\n", R.REFLECTION),
    ("host", _LAUNCH + "return out", "from triton.language.core import builtins\n", R.REFLECTION),
    ("host", _LAUNCH + "return out", "from typing import sys\n", R.REFLECTION),
    ("host", _LAUNCH + "return out", "from triton.language.extra import pkgutil\n", R.REFLECTION),
    ("host", "u = triton.runtime.driver.active.utils\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "l = tl.math\n" + _LAUNCH + "return out", "", R.OUTSIDE_VOCABULARY),
    ("host", "lib = tl.extra.cuda.libdevice\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "t = torch.Tensor.add(x, x)\n" + _LAUNCH + "return out", "", R.TORCH_OUTSIDE_KERNEL),
    ("host", "c = triton.compiler\n" + _LAUNCH + "return out", "", R.REFLECTION),
    # the version strings, and nothing reached through their dunders
    ("host", "c = torch.__version__.__class__\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "c = triton.__version__.__class__.__base__\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "v = tl.__version__\n" + _LAUNCH + "return out", "", R.REFLECTION),
    # contextlib: nullcontext only
    ("host", _LAUNCH + "return out", "from contextlib import contextmanager\n", R.OUTSIDE_VOCABULARY),
    ("host", "s = contextlib.ExitStack()\n" + _LAUNCH + "return out", "import contextlib\n", R.OUTSIDE_VOCABULARY),
    ("host", "c = contextlib\n" + _LAUNCH + "return out", "import contextlib\n", R.OUTSIDE_VOCABULARY),
    # triton.tools: the host-side TensorDescriptor by name, not its module (nor the rest of triton.tools)
    ("host", _LAUNCH + "return out", "from triton.tools import tensor_descriptor\n", R.OUTSIDE_VOCABULARY),
    ("host", "m = triton.tools.tensor_descriptor\n" + _LAUNCH + "return out", "", R.OUTSIDE_VOCABULARY),
    ("host", "kn = triton.knobs\n" + _LAUNCH + "return out", "", R.REFLECTION),
    # a module or its members reached through objects: methods, functions, kernels
    ("host", "g = ModelNew.forward.__globals__\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "g = self.forward.__func__\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "f = k.fn\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "kk = k if x.numel() else k\nf = kk.fn\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "is_interp = 'Interp' in str(k)\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "h = hasattr(k, 'interpreter')\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "s = f'{k}'\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "self.register_forward_hook(None)\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "h = self.apply\n" + _LAUNCH + "return out", "", R.REFLECTION),
    # heuristics are called with the kernel's tensors: metadata and scalars only
    ("host", "out = torch.empty_like(x)\ngrid = lambda meta: (meta['out_ptr'].lerp_(meta['x_ptr'], 1.0), 1)[1:]\n"
     "k[grid](x, out, x.numel(), BLOCK=256)\nreturn out", "", R.TORCH_OUTSIDE_KERNEL),
    ("host", _LAUNCH + "return out", "H = triton.heuristics({'V': lambda args: float(args['x_ptr'][0])})\n",
     R.TORCH_OUTSIDE_KERNEL),
    ("host", _LAUNCH + "return out", "H = triton.heuristics({'V': lambda a: a['out_ptr'].lerp_(a['x_ptr'], 1.0)})\n",
     R.TORCH_OUTSIDE_KERNEL),
    ("host", _LAUNCH + "return out", "def peek(d):\n    return d\n\ndef heur(args):\n    return peek(args)\n\n"
     "H = triton.heuristics({'V': heur})\n", R.TORCH_OUTSIDE_KERNEL),
    # a cache on a helper that is not pure (a container, shared by every call; a pure one is allowed)
    ("host", _LAUNCH + "return out", "import functools\n\n@functools.lru_cache(None)\ndef blocks(n):\n    return [n]\n",
     R.CROSS_CALL_STATE),
    ("host", "b = blocks(1)\n" + _LAUNCH + "return out",
     "import functools\n\nSEEN = []\n\n@functools.cache\ndef blocks(n):\n    return n + len(SEEN)\n",
     R.CROSS_CALL_STATE),
    ("host", "i = blocks.cache_info()\n" + _LAUNCH + "return out",
     "import functools\n\n@functools.cache\ndef blocks(n):\n    return n\n", R.CROSS_CALL_STATE),
    ("host", _LAUNCH + "return out", "def memo(fn):\n    seen = {}\n    def w(n):\n        seen[n] = fn(n)\n"
     "        return seen[n]\n    return w\n\n@memo\ndef blocks(n):\n    return n\n", R.CROSS_CALL_STATE),
    ("host", "super().apply(lambda m: m)\n" + _LAUNCH + "return out", "", R.REFLECTION),
    # builtins, resolved with Python's scoping
    # host code the autotuner would call with the kernel's tensors
    ("host", _LAUNCH + "return out", "def fill(nargs):\n    return nargs\n"
     "CONFIGS = [triton.Config({'BLOCK': 256}, pre_hook=fill)]\n", R.REFLECTION),
    ("host", _LAUNCH + "return out", "TUNE = triton.autotune(configs=[], key=['n'], do_bench=lambda fn: 0.0)\n",
     R.REFLECTION),
    ("host", "e = exec\n" + _LAUNCH + "return out", "", R.DYNAMIC_CODE),
    ("host", "e = [f for f in [eval]]\n" + _LAUNCH + "return out", "", R.DYNAMIC_CODE),
    ("host", _LAUNCH + "return out", "def helper(e=eval):\n    return e\n", R.DYNAMIC_CODE),
    ("host", _LAUNCH + "return out", "def helper(exec=exec):\n    return exec('1')\n", R.DYNAMIC_CODE),
    ("host", "e = [exec for exec in [exec]]\n" + _LAUNCH + "return out", "", R.DYNAMIC_CODE),
    ("host", "e = (lambda exec=exec: exec)()\n" + _LAUNCH + "return out", "", R.DYNAMIC_CODE),
    ("host", _LAUNCH + "return out", "class Box:\n    exec = print\n    def run(self):\n        exec('1')\n",
     R.DYNAMIC_CODE),
    ("host", "b = __builtins__\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "i = __import__\n" + _LAUNCH + "return out", "", R.DYNAMIC_CODE),
    ("host", "t = type(x)\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "n = input()\n" + _LAUNCH + "return out", "", R.IO_ACCESS),
    ("host", "o = open\n" + _LAUNCH + "return out", "", R.IO_ACCESS),
    ("host", "c = chr(101)\n" + _LAUNCH + "return out", "", R.OUTSIDE_VOCABULARY),
    ("host", "c = id(x)\n" + _LAUNCH + "return out", "", R.REFLECTION),
    # load information (section 5): how the candidate was loaded tells verification from use
    ("host", "if __name__ != '__main__':\n    pass\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "f = __file__\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "m = ModelNew.__module__\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "m = __spec__\n" + _LAUNCH + "return out", "", R.REFLECTION),
    # reflection in a format string: str.format reads the attributes and items its fields name
    ("host", "s = '{0.__globals__[inspect].sys.modules}'.format(triton.jit)\n" + _LAUNCH + "return out", "",
     R.REFLECTION),
    ("host", "s = '{j.__globals__}'.format_map({'j': triton.jit})\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "t = '{0.' + 'fn}'\ns = t.format(k)\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "s = '{:{0.dtype}}'.format(x)\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "f = 'x{}'.format\n" + _LAUNCH + "return out", "", R.REFLECTION),
    # state across calls without global, attribute stores or container methods (iterators, aliases, bound
    # methods, defaults that are not literals)
    ("host", _LAUNCH + "return out", "TICKS = zip(range(40))\n", R.CROSS_CALL_STATE),
    ("host", _LAUNCH + "return out", "TICKS = (i for i in range(40))\n", R.CROSS_CALL_STATE),
    ("host", _LAUNCH + "return out", "class Box:\n    ticks = map(int, range(9))\n", R.CROSS_CALL_STATE),
    ("host", _LAUNCH + "return out", "def helper(t=enumerate(range(9))):\n    return t\n", R.CROSS_CALL_STATE),
    ("host", "ticks()\n" + _LAUNCH + "return out", "def ticks():\n    t = reversed(range(9))\n    return t\n",
     R.CROSS_CALL_STATE),
    ("host", "box = CALLS\nbox += [1]\n" + _LAUNCH + "return out", "CALLS = sorted(())\n", R.CROSS_CALL_STATE),
    ("host", "box = self.seen\nbox |= {1}\n" + _LAUNCH + "return out", "", R.CROSS_CALL_STATE),
    ("host", "box = max([CALLS], key=len)\nbox += [1]\n" + _LAUNCH + "return out", "CALLS = list(())\n",
     R.CROSS_CALL_STATE),
    ("host", "bump(self.seen)\n" + _LAUNCH + "return out", "def bump(box):\n    box += [1]\n", R.CROSS_CALL_STATE),
    ("host", _LAUNCH + "return out", "def bump(box=dict.fromkeys(())):\n    box |= {1: 2}\n",
     R.CROSS_CALL_STATE),
    ("host", _LAUNCH + "return out", "def helper(count=torch.zeros(1)):\n    return count\n", R.CROSS_CALL_STATE),
    ("host", _LAUNCH + "return out", "def helper(cfg=triton.Config({'B': 1})):\n    return cfg\n",
     R.CROSS_CALL_STATE),
    ("host", _LAUNCH + "return out", "def helper(box=sorted(())):\n    return box\n", R.CROSS_CALL_STATE),
    ("host", "f = lambda n, seen=set(()): n\n" + _LAUNCH + "return out", "", R.CROSS_CALL_STATE),
    ("host", "any(map(CALLS.append, [1]))\n" + _LAUNCH + "return out", "CALLS = list(())\n", R.CROSS_CALL_STATE),
    ("host", "f = list.append\n" + _LAUNCH + "return out", "", R.CROSS_CALL_STATE),
    ("host", "CALLS.difference_update({1})\n" + _LAUNCH + "return out", "CALLS = set(())\n", R.CROSS_CALL_STATE),
    # inside a kernel, where the interpreter runs Python
    ("kernel", "b = tl.core.builtins", "", R.REFLECTION),
    ("kernel", "s = str(offs)", "", R.OUTSIDE_VOCABULARY),
    ("kernel", "h = hasattr(offs, 'handle')", "", R.REFLECTION),
    ("kernel", "t = tl.extra.cuda.globaltimer()", "", R.REFLECTION),
    ("kernel", "z = tl.semantic", "", R.REFLECTION),
    # a kernel reaching a host container: the interpreter runs it as Python, a GPU kernel reads only constexprs
    ("kernel", "CALLS.append(1)", "CALLS = list(())\n", R.CROSS_CALL_STATE),
    ("kernel", "box = CALLS\n    box += [1]", "CALLS = list(())\n", R.CROSS_CALL_STATE),
    ("kernel", "w = len(SEEN)", "SEEN = {1: 2}\n", R.CROSS_CALL_STATE),
    ("kernel", "w = offs\n    w.append(1)", "", R.CROSS_CALL_STATE),
    ("kernel", "w = n\n    w += (1,)", "", R.CROSS_CALL_STATE),
    ("kernel", "w = n\n    w[0] = 1", "", R.CROSS_CALL_STATE),
    # a match statement's class pattern reads attributes with no attribute expression (positionally, through
    # __match_args__; by keyword, by name), dunder or not
    ("host", "match x:\n    case torch.Tensor(relu=f):\n        pass\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "match x.shape:\n    case torch.Size(_version=v):\n        pass\n" + _LAUNCH + "return out", "",
     R.REFLECTION),
    ("host", "match self.forward:\n    case object(__globals__={'__builtins__': b}):\n        pass\n" + _LAUNCH + "return out",
     "", R.REFLECTION),
    ("host", "match x:\n    case torch.Tensor(g):\n        pass\n" + _LAUNCH + "return out", "", R.REFLECTION),
    # the state a backward pass leaves, which tells a verifier's forward-only calls from training
    ("host", "n = 1 if x.grad is None else 2\n" + _LAUNCH + "return out", "", R.REFLECTION),
    ("host", "n = 1 if x.is_leaf else 2\n" + _LAUNCH + "return out", "", R.REFLECTION),
    # the legacy constructor returns memory the verifier's poison never fills
    ("host", "out = torch.Tensor(x.shape[0], x.shape[1])\nk[(1,)](x, out, x.numel(), BLOCK=256)\nreturn out", "",
     R.OUTSIDE_VOCABULARY),
    # itertools.product (autotune config tables) is an iterator, kept or called by another name
    ("host", "next(TICKS)\n" + _LAUNCH + "return out", "import itertools\nTICKS = itertools.product(range(99))\n",
     R.CROSS_CALL_STATE),
    ("host", "next(TICKS)\n" + _LAUNCH + "return out", "from itertools import product\nTICKS = product(range(99))\n",
     R.CROSS_CALL_STATE),
    ("host", "make = itertools.product\n" + _LAUNCH + "return out", "import itertools\n", R.CROSS_CALL_STATE),
    ("host", _LAUNCH + "return out", "import itertools\nTICKS = itertools.count()\n", R.OUTSIDE_VOCABULARY),
    # ... and reached by another name: a local alias, a container, a default argument
    ("host", "make = torch.Tensor\nout = make(*x.shape)\nk[(1,)](x, out, x.numel(), BLOCK=256)\nreturn out", "",
     R.OUTSIDE_VOCABULARY),
    ("host", "out = [torch.Tensor][0](*x.shape)\nk[(1,)](x, out, x.numel(), BLOCK=256)\nreturn out", "",
     R.OUTSIDE_VOCABULARY),
    ("host", "out = alloc(*x.shape)\nk[(1,)](x, out, x.numel(), BLOCK=256)\nreturn out",
     "def alloc(*shape, make=torch.Tensor):\n    return make(*shape)\n", R.OUTSIDE_VOCABULARY),
]


@pytest.mark.parametrize(("where", "code", "extra", "reason"), _BYPASSES,
                         ids=[f"{i}-{b[1].splitlines()[0][:40]}" for i, b in enumerate(_BYPASSES)])
def test_bypass_is_rejected_by_its_rule(where, code, extra, reason):
    source = _kernel_source(code, extra) if where == "kernel" else _source(code, extra)
    for device in ("cpu", "cuda"):
        verdict = static_check(source, dtype="float32", device=device)
        assert verdict is not None and verdict.status is Status.REJECTED, (device, verdict)
        assert verdict.reason_code is reason, verdict.reason
        assert re.search(r"\(line \d+\)\.$", verdict.reason), verdict.reason


def test_every_static_refusal_is_a_stable_named_reason():
    """The gate never gives the old catch-all, and every rule it names has a hint for the teacher."""
    from pathlib import Path

    from generators.refine import FEEDBACK_VERSION

    template = (Path(__file__).resolve().parents[2] / f"generators/prompt_templates/{FEEDBACK_VERSION}.md").read_text()
    for reason in STATIC_REFUSALS | {Reason.DEVICE_DEPENDENT}:
        assert reason.check.value == "static" and f"=== hint: {reason.value} ===" in template, reason
    assert set(_RULE_HEADS) == STATIC_REFUSALS
    reasons = {_gate(case).reason_code for case in STATIC_CHEATS}
    assert Reason.FORBIDDEN_CONSTRUCT not in reasons and len(reasons & STATIC_REFUSALS) >= 9, reasons


# -- the device, read: unverified on CPU (the interpreter's run does not show what a GPU would do) ------------

_DEVICE_READS = [
    ("if x.is_cuda:\n    " + _LAUNCH.replace("\n", "\n    ") + "return out\n" + _LAUNCH + "return out", "",
     R.DEVICE_DEPENDENT),
    ("BLOCK = 256 if x.device.type == 'cuda' else 128\n" + _LAUNCH + "return out if BLOCK else x", "", R.DEVICE_DEPENDENT),
    ("use = torch.cuda.is_available()\n" + _LAUNCH + "return out if use else x", "", R.DEVICE_DEPENDENT),
    ("hip = torch.version.hip is not None\n" + _LAUNCH + "return out if hip else x", "", R.DEVICE_DEPENDENT),
    ("d = str(x.device)\n" + _LAUNCH + "return out if d else x", "", R.DEVICE_DEPENDENT),
    ("i = x.get_device()\n" + _LAUNCH + "return out if i else x", "", R.DEVICE_DEPENDENT),
    ("same = x.device == torch.device('cpu')\n" + _LAUNCH + "return out if same else x", "", R.DEVICE_DEPENDENT),
    ("cap = torch.cuda.get_device_capability()\n" + _LAUNCH + "return out if cap else x", "", R.DEVICE_DEPENDENT),
    ("bf16 = torch.cuda.is_bf16_supported()\n" + _LAUNCH + "return out if bf16 else x", "", R.DEVICE_DEPENDENT),
    ("out = torch.empty_like(x)\nran = k[(1,)](x, out, x.numel(), BLOCK=256)\nreturn out if ran is None else x", "",
     R.DEVICE_DEPENDENT),
    ("s = str(k[(1,)])\n" + _LAUNCH + "return out", "", R.DEVICE_DEPENDENT),
    ("aligned = x.data_ptr() % 512 == 0\n" + _LAUNCH + "return out", "", R.DEVICE_DEPENDENT),
    ("use = is_available()\n" + _LAUNCH + "return out if use else x", "from torch.cuda import is_available\n", R.DEVICE_DEPENDENT),
    ("cap = cuda.get_device_capability()\n" + _LAUNCH + "return out if cap else x", "from torch import cuda\n", R.DEVICE_DEPENDENT),
    ("xpu = torch.xpu.is_available() or torch.backends.mps.is_available()\n" + _LAUNCH + "return out if xpu else x", "",
     R.DEVICE_DEPENDENT),
    # GPU-only launcher idioms: honest, but the CPU interpreter cannot run them
    ("with torch.cuda.device(x.device):\n    " + _LAUNCH.replace("\n", "\n    ") + "return out", "",
     R.INTERPRETER_LIMIT),
    ("dev = triton.runtime.driver.active.get_current_device()\n" + _LAUNCH + "return out", "", R.INTERPRETER_LIMIT),
    ("s = torch.cuda.current_stream(x.device)\nh = s.cuda_stream\n" + _LAUNCH + "return out", "", R.INTERPRETER_LIMIT),
    ("torch.cuda.nvtx.range_push('prepare')\ntorch.cuda.nvtx.mark('x')\ntorch.cuda.nvtx.range_pop()\n"
     "with torch.cuda.nvtx.range(f'k {x.shape[0]}'):\n    " + _LAUNCH.replace("\n", "\n    ") + "return out", "",
     R.INTERPRETER_LIMIT),
    ("s = triton.runtime.driver.active.get_current_stream()\nd = driver.active.get_current_device()\n"
     "sms = driver.active.utils.get_device_properties(d)['multiprocessor_count']\n" + _LAUNCH + "return out",
     "from triton.runtime import driver\n", R.INTERPRETER_LIMIT),
    ("s = current_stream(x.device)\n" + _LAUNCH + "return out", "from torch.cuda import current_stream\n",
     R.INTERPRETER_LIMIT),
    # through a module-level alias of the module, as FlagGems' torch_device_fn
    ("with torch_device_fn.device(x.device):\n    " + _LAUNCH.replace("\n", "\n    ") + "return out",
     "torch_device_fn = torch.cuda\n", R.INTERPRETER_LIMIT),
    ("use = cuda.is_available()\n" + _LAUNCH + "return out if use else x", "cuda = torch.cuda\n", R.DEVICE_DEPENDENT),
    ("range_push('k')\n" + _LAUNCH + "range_pop()\nreturn out", "from torch.cuda.nvtx import range_push, range_pop\n",
     R.INTERPRETER_LIMIT),
    ("return launch(x)", "@torch.cuda.nvtx.range('launch')\ndef launch(x):\n    out = torch.empty_like(x)\n"
     "    k[(1,)](x, out, x.numel(), BLOCK=256)\n    return out\n", R.INTERPRETER_LIMIT),
    ("props = triton.runtime.driver.active.utils.get_device_properties(0)\nsms = props['multiprocessor_count']\n"
     + _LAUNCH + "return out", "", R.INTERPRETER_LIMIT),
]


@pytest.mark.parametrize(("forward", "extra", "reason"), _DEVICE_READS,
                         ids=[d[0].splitlines()[0][:40] for d in _DEVICE_READS])
def test_device_reads_are_unverified_on_cpu_and_pass_on_gpu(forward, extra, reason):
    source = _source(forward, extra)
    verdict = static_check(source, dtype="float32", device="cpu")
    assert verdict is not None and verdict.status is Status.UNVERIFIED and verdict.reason_code is reason, verdict
    assert static_check(source, dtype="float32", device="cuda") is None


# A device read whose value reaches nothing but a launch option (filters.verifier.static.device_flow): the same
# computation on every device, so the CPU verdict holds. (forward, extra, whether it still counts)
_LAUNCH_WARPS = "out = torch.empty_like(x)\nk[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256, num_warps=w)\n"
_CALCULATE_SETTINGS = (
    "def is_hip() -> bool:\n    return torch.version.hip is not None\n\n"
    "def calculate_settings(n):\n    BLOCK_SIZE = triton.next_power_of_2(n)\n    num_warps = 4\n"
    "    if BLOCK_SIZE >= 32768:\n        num_warps = 32 if not is_hip() else 16\n"
    "    elif BLOCK_SIZE >= 2048:\n        num_warps = 8\n    return BLOCK_SIZE, num_warps\n")
_INFER_DEVICE = ("def infer_device():\n    if torch.cuda.is_available():\n        return 'cuda'\n"
                 "    if torch.xpu.is_available():\n        return 'xpu'\n    return 'cpu'\n")
_LAUNCH_OPTION_READS = [
    ("w = 4 if torch.version.hip else 8\n" + _LAUNCH_WARPS + "return out", "", False),
    ("if torch.cuda.is_available():\n    w = 8\nelse:\n    w = 4\n" + _LAUNCH_WARPS + "return out", "", False),
    ("w = min(max(8 if x.device.type == 'cuda' else 2, 1), 8)\n" + _LAUNCH_WARPS + "return out", "", False),
    ("_, w = calculate_settings(x.numel())\n" + _LAUNCH_WARPS + "return out", _CALCULATE_SETTINGS, False),
    ("w = 8 if infer_device() == 'xpu' else 4\n" + _LAUNCH_WARPS + "return out", _INFER_DEVICE, False),
    ("w = 4\n" + _LAUNCH_WARPS + "return out",
     "CONFIGS = [triton.Config({'B': 64}, num_stages=3 if torch.cuda.is_available() else 1)]\n", False),
    # ... and where it reaches anything else, it counts
    ("w = 256 if torch.version.hip else 128\nout = torch.empty_like(x)\n"
     "k[(triton.cdiv(x.numel(), w),)](x, out, x.numel(), BLOCK=w)\nreturn out", "", True),
    ("b, w = calculate_settings(x.numel())\nout = torch.empty_like(x)\n"
     "k[(triton.cdiv(x.numel(), b),)](x, out, x.numel(), BLOCK=b, num_warps=w)\nreturn out",
     _CALCULATE_SETTINGS.replace("num_warps = 32 if not is_hip() else 16", "BLOCK_SIZE = 512 if is_hip() else 1024"),
     True),
    ("if torch.cuda.is_available():\n    w = 8\n    " + _LAUNCH.replace("\n", "\n    ") + "return out\nw = 4\n"
     + _LAUNCH_WARPS + "return out", "", True),
    ("w = pick(torch.version.hip)\n" + _LAUNCH_WARPS + "return out", "def pick(h):\n    return 4\n", True),
    ("w = 4 if torch.version.hip else 8\nprint(f'warps: {w}')\n" + _LAUNCH_WARPS + "return out", "", True),
    ("w = 8 if infer_device() == 'xpu' else 4\n" + _LAUNCH_WARPS + "return out if infer_device() else x",
     _INFER_DEVICE, True),
    # the value decides whether a launch happens: `and` and the arms of a conditional skip what they do not take
    ("w = (torch.version.hip is None) and launch(x) and 4\n" + _LAUNCH_WARPS + "return out",
     "def launch(x):\n    out = torch.empty_like(x)\n    k[(1,)](x, out, x.numel(), BLOCK=256)\n    return 1\n", True),
    ("if torch.version.hip:\n    w = launch(x)\nelse:\n    w = 4\n" + _LAUNCH_WARPS + "return out",
     "def launch(x):\n    out = torch.empty_like(x)\n    k[(1,)](x, out, x.numel(), BLOCK=256)\n    return 4\n", True),
    ("w = launch(x)\n" + _LAUNCH_WARPS + "return out",
     "def launch(x):\n    if torch.cuda.is_available():\n        return 4\n    out = torch.empty_like(x)\n"
     "    k[(1,)](x, out, x.numel(), BLOCK=256)\n    return 8\n", True),
    ("w = launch(x) if torch.version.hip else 4\n" + _LAUNCH_WARPS + "return out",
     "def launch(x):\n    out = torch.empty_like(x)\n    k[(1,)](x, out, x.numel(), BLOCK=256)\n    return 4\n", True),
]


@pytest.mark.parametrize(("forward", "extra", "counts"), _LAUNCH_OPTION_READS,
                         ids=[f"{i}-{r[0].splitlines()[0][:30]}" for i, r in enumerate(_LAUNCH_OPTION_READS)])
def test_a_device_read_that_only_chooses_launch_options_does_not_count(forward, extra, counts):
    verdict = static_check(_source(forward, extra), dtype="float32", device="cpu")
    if counts:
        assert verdict is not None and verdict.reason_code is R.DEVICE_DEPENDENT, verdict
    else:
        assert verdict is None, verdict


def test_a_device_read_into_a_class_attribute_counts():
    """A class attribute is read as `self.B`, which no load of the name shows: it is not followed, it counts."""
    source = _source("out = torch.empty_like(x)\nk[(triton.cdiv(x.numel(), self.B),)](x, out, x.numel(), "
                     "BLOCK=self.B)\nreturn out").replace(
        "class ModelNew(nn.Module):\n", "class ModelNew(nn.Module):\n    B = 256 if torch.version.hip else 128\n\n")
    assert "    B = 256 if torch.version.hip else 128" in source
    verdict = static_check(source, dtype="float32", device="cpu")
    assert verdict is not None and verdict.reason_code is R.DEVICE_DEPENDENT, verdict


# -- honest real-world idioms (Liger-Kernel, FlagGems, unsloth, vLLM, the Triton tutorials) ---------------------

_HONEST_IDIOMS = [
    # torch.Tensor named for isinstance and annotations
    ("assert isinstance(x, torch.Tensor)\ny: torch.Tensor = x\n" + _LAUNCH + "return out", ""),
    # a match statement on host values, with value and bare class patterns (isinstance tests)
    ("match x.dim():\n    case 1 | 2:\n        pass\n    case _:\n        x = x.reshape(-1)\n"
     "match x:\n    case torch.Tensor():\n        pass\n" + _LAUNCH + "return out", ""),
    # FlagGems' module logger and a warning, with a message written out and host numbers
    # vLLM-style debug logging of a shape and a dtype made into host values
    ("logger.debug('relu on %s (%s), %d rows', tuple(x.shape), str(x.dtype), int(x.shape[0]))\n" + _LAUNCH
     + "return out", "import logging\nlogger = logging.getLogger(__name__)\n"),
    ("logger.debug('GEMS ADD')\nlogger.info('n=%d shape %s', x.numel(), x.shape)\nlogger.warning(f'rows {x.shape[0]}')\n"
     "warnings.warn('slow path')\n" + _LAUNCH + "return out",
     "import logging\nimport warnings\nlogger = logging.getLogger(__name__)\n"),
    # module-level aliases of importable paths, bound once
    ("out = empty_like(x)\nk[(cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)\nreturn out",
     "cdiv = triton.cdiv\nempty_like = torch.empty_like\nlang = tl\nF = torch.nn.functional\n"),
    # a device passed along, not read
    ("out = torch.empty(x.shape, device=x.device, dtype=x.dtype)\n"
     "k[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)\nassert out.device == x.device\nreturn out", ""),
    # a parameter or local named like a builtin is not the builtin
    ("input = x\ntype = 1\nid = 2\nsum = 3\n" + _LAUNCH + "return out", ""),
    (_LAUNCH + "return out", "def launch(input, type=None, format=None):\n    return input\n"),
    # harmless queries and helpers
    ("dt = torch.get_autocast_gpu_dtype() if torch.is_autocast_enabled() else x.dtype\n"
     "eps = torch.finfo(x.dtype).eps\nbig = torch.iinfo(torch.int32).max\n" + _LAUNCH + "return out", ""),
    ("n = x.shape[-1]\nbits = n.bit_length()\nBLOCK = triton.next_power_of_2(n)\nwarps = min(max(BLOCK // 256, 1), 8)\n"
     + _LAUNCH + "return out", ""),
    ("scale = 1.0 / math.sqrt(x.shape[-1])\nlog2e = math.log2(math.e)\n" + _LAUNCH + "return out", "import math\n"),
    (_LAUNCH + "return out", "from typing import Optional, Tuple\nimport functools\n"),
    # a submodule named like a stream method, holding weights (BERT's attention.self.query)
    ("w = self.attn.query.weight\n" + _LAUNCH + "return out", ""),
    # stream and event classes named in annotations only
    (_LAUNCH + "return out", "from typing import Optional\n\ndef launch(x, stream: Optional[torch.cuda.Stream] = None,\n"
     "           done: torch.cuda.Event | None = None) -> Optional[torch.cuda.Event]:\n    return done\n"),
    ("return _launch(x)", "def _launch(x: torch.Tensor) -> torch.Tensor:\n"
     "    out = torch.empty_like(x)\n    grid = lambda meta: (triton.cdiv(x.numel(), meta['BLOCK']),)\n"
     "    k[grid](x, out, x.numel(), BLOCK=256)\n    return out\n"),
    # FlagGems-style heuristics: scalars and metadata of the launch arguments
    (_LAUNCH + "return out", "def heur_even(args):\n    return args['n'] % args['BLOCK'] == 0\n\n"
     "H = triton.heuristics({'EVEN': heur_even, 'W': lambda args: triton.next_power_of_2(args['n']),\n"
     "                       'F16': lambda args: args['x_ptr'].dtype == torch.float16\n"
     "                       and args['x_ptr'].stride(0) == 1})\n"),
    # Liger's ensure_contiguous: the candidate's own decorator, built with functools.wraps
    ("return launch(x)", "import functools\n\ndef ensure_contiguous(fn):\n    @functools.wraps(fn)\n"
     "    def wrapper(*args):\n        return fn(*[a.contiguous() for a in args])\n    return wrapper\n\n"
     "@ensure_contiguous\ndef launch(x):\n    out = torch.empty_like(x)\n"
     "    k[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)\n    return out\n"),
    ("fn = k if x.dim() == 1 else k\nout = torch.empty_like(x)\nfn[(1,)](x, out, x.numel(), BLOCK=256)\n"
     "return out", ""),
    # index tensors built with torch.arange (cu_seqlens), and basic indexing with numbers, slices, None, ...
    ("cu = torch.arange(0, (x.shape[0] + 1) * x.shape[1], x.shape[1], dtype=torch.int32, device=x.device)\n"
     "starts = cu[:-1]\nrow = x[0]\nlast = x[x.shape[0] - 1, 1:]\ny = x[..., None]\n" + _LAUNCH + "return out", ""),
    # a list of tensors written out is iterated over, not a tensor (FlashAttention's launcher)
    ("a, b = [t if t.stride(-1) == 1 else t.contiguous() for t in [x, x.t()]]\nfor t in (a, b):\n"
     "    assert t.is_contiguous()\n" + _LAUNCH + "return out", ""),
    # version checks
    ("new = tuple(int(v) for v in triton.__version__.split('.')[:2]) >= (3, 0)\nold = torch.__version__ < '2.4'\n"
     + _LAUNCH + "return out", ""),
    # Unsloth's single-GPU launch context
    ("with nullcontext():\n    " + _LAUNCH.replace("\n", "\n    ") + "return out", "from contextlib import nullcontext\n"),
    # whether torch.compile traces the launcher (its host checks skipped then), by either spelling
    ("if not torch.compiler.is_compiling() and not torch._dynamo.is_compiling():\n    assert x.is_contiguous()\n"
     + _LAUNCH + "return out", ""),
    ("c = is_compiling() or dyn.is_compiling()\n" + _LAUNCH + "return out",
     "from torch._dynamo import is_compiling\nimport torch._dynamo as dyn\n"),
    # PyTorch's TF32 switches, read (a launcher follows them)
    ("tf32 = torch.backends.cuda.matmul.allow_tf32 or torch.backends.cudnn.allow_tf32\n"
     "high = torch.get_float32_matmul_precision() != 'highest'\n" + _LAUNCH + "return out", ""),
    # small constant tensors from host numbers (a scale read by pointer, shape metadata)
    ("scale = torch.tensor([1.0 / math.sqrt(x.shape[-1])], dtype=torch.float32, device=x.device)\n"
     "dims = torch.tensor(x.shape, dtype=torch.int64)\nhalf = torch.tensor(0.5)\n" + _LAUNCH + "return out",
     "import math\n"),
    # fill_ with a value written out initialises, like zero_ (an accumulator readied for atomic max or add)
    ("m = torch.empty(x.shape[0], device=x.device)\nm.fill_(float('-inf'))\nm.fill_(-math.inf)\n"
     "m.fill_(torch.finfo(x.dtype).min)\nm.fill_(EPS * 2)\nm.fill_(0)\nm.fill_(-inf)\n" + _LAUNCH + "return out",
     "import math\nfrom math import inf\nEPS = 1e-6\n"),
    # requires_grad_(False) on what this call made and on forward's inputs: flags that die with the call
    ("x = x.contiguous()\nx.requires_grad_(False)\nout = torch.empty_like(x).requires_grad_(False)\n"
     "buf = x.new_empty(4)\nbuf.requires_grad_(requires_grad=False)\nw = x.detach().requires_grad_(False)\n"
     "k[(1,)](x, out, x.numel(), BLOCK=256)\nreturn out", ""),
    # a launcher kept out of torch.compile's tracing
    ("return launch(x)", "from torch.compiler import disable\n\n@torch.compiler.disable(recursive=False)\n"
     "def launch(x):\n    return helper(x)\n\n@disable\ndef helper(x):\n    out = torch.empty_like(x)\n"
     "    k[(1,)](x, out, x.numel(), BLOCK=256)\n    return out\n"),
    # typing's annotation names and TypeVar
    (_LAUNCH + "return out", "import typing\nfrom typing import Annotated, ClassVar, Final, TypeVar\n"
     "BLOCK: Final = 256\n"
     "T = TypeVar('T')\n\ndef first(items: typing.Sequence[T]) -> T:\n    return items[0]\n\n"
     "def n(x: Annotated[torch.Tensor, 'in']) -> typing.NoReturn:\n    raise ValueError('never')\n\n"
     "class Cfg:\n    block: ClassVar[int] = 256\n"),
    # constant fills, layouts and memory formats, broadcast shapes
    ("w = torch.ones(x.shape[-1], dtype=x.dtype, device=x.device)\nb = torch.ones_like(x)\nc = x.new_ones(3)\n"
     "shape = torch.broadcast_shapes(x.shape, (1, x.shape[-1]))\n"
     "o = torch.empty(shape, device=x.device, layout=torch.strided, memory_format=torch.contiguous_format)\n"
     "cl = x.is_contiguous(memory_format=torch.channels_last)\np = torch.empty_like(x, memory_format=torch.preserve_format)\n"
     + _LAUNCH + "return out", ""),
    # plain format templates, in-place updates of numbers and of what this call made, iterators consumed
    ("assert x.dim() == 2, 'expected 2-D, got {}-D ({!r})'.format(x.dim(), x.shape)\n" + _LAUNCH + "return out",
     ""),
    ("n = x.numel()\nn += 0\nw = max(1, n // 256)\nw *= 2\ngrid = (1,)\ngrid += (1,)\ndims = []\n"
     "dims += [n]\nfor i in range(2):\n    w += i\n" + _LAUNCH + "return out", ""),
    (_LAUNCH + "return out", "def blocks(n: int, width=16):\n    n += width\n    width *= 2\n    return n\n"),
    (_LAUNCH + "return out", "EPS = 1e-6\n\ndef launch(x, eps=EPS, dtype=torch.float32, acc=tl.float32, out=None,\n"
     "           dims=(1, -1), act='gelu', scale=-1.0, *, block=tl.constexpr(128)):\n"
     "    return x\n"),
    ("pairs = dict(zip(['a', 'b'], [1, 2]))\nsizes = tuple(map(int, x.shape))\n"
     "total = sum(s for s in sizes)\nfor i, (a, b) in enumerate(zip(sizes, x.stride())):\n    total += a * b\n"
     "name = ','.join(str(s) for s in sizes)\n" + _LAUNCH + "return out", ""),
]


@pytest.mark.parametrize(("forward", "extra"), _HONEST_IDIOMS, ids=[str(i) for i in range(len(_HONEST_IDIOMS))])
def test_honest_launcher_idiom_passes(forward, extra):
    source = _source(forward, extra)
    for device in ("cpu", "cuda"):
        assert static_check(source, dtype="float32", device=device) is None, device


_HONEST_KERNEL_LINES = [
    ("y = tl.math.exp(tl.load(x_ptr + offs, mask=offs < n))", "", None),
    # the interpreter patches tl.math.exp2 on the module; the sandbox child patches the imported name too
    ("y = exp2(tl.load(x_ptr + offs, mask=offs < n))", "from triton.language.math import exp2\n", None),
    ("y = tl.extra.cuda.libdevice.tanh(tl.load(x_ptr + offs, mask=offs < n))", "", R.INTERPRETER_LIMIT),
    ("y = libdevice.erf(tl.load(x_ptr + offs, mask=offs < n))", "from triton.language.extra import libdevice\n",
     R.INTERPRETER_LIMIT),
    ("y = tanh(tl.load(x_ptr + offs, mask=offs < n))", "from triton.language.extra.libdevice import tanh\n",
     R.INTERPRETER_LIMIT),
    ("y = ld.rsqrt(tl.load(x_ptr + offs, mask=offs < n))", "import triton.language.extra.cuda.libdevice as ld\n",
     R.INTERPRETER_LIMIT),
    # what the interpreter cannot run, reached by an imported name or a module-level alias (Unsloth's style)
    ("y = asm('mov.b32 $0, $1;', '=r,r', [tl.load(x_ptr + offs, mask=offs < n)], dtype=tl.float32, is_pure=True, "
     "pack=1)", "from triton.language import inline_asm_elementwise as asm\n", R.INTERPRETER_LIMIT),
    ("y = triton_tanh(tl.load(x_ptr + offs, mask=offs < n))",
     "from triton.language.extra import libdevice\ntriton_tanh = libdevice.tanh\n", R.INTERPRETER_LIMIT),
    ("y = triton_cast(tl.load(x_ptr + offs, mask=offs < n), tl.float16).to(tl.float32)", "triton_cast = tl.cast\n",
     None),
    ("y = tl.load(x_ptr + offs, mask=offs < n).to(tl.float16).to(tl.float32)", "", None),
    ("y = tl.where(offs < n, tl.sigmoid(tl.load(x_ptr + offs, mask=offs < n)), 0.0)", "", None),
    # a jit combine function handed to tl.reduce inside a kernel (Inductor's welford, the scan tutorials)
    ("y = tl.reduce(tl.load(x_ptr + offs, mask=offs < n), 0, _add)", "@triton.jit\ndef _add(a, b):\n    return a + b\n",
     None),
    # module-level constexprs, constants and triton.language names a kernel may read (as a GPU allows)
    ("y = tl.load(x_ptr + offs, mask=offs < n) * SCALE + EPS", "SCALE = tl.constexpr(2.0)\nEPS: tl.constexpr = 1e-6\n",
     None),
    ("y = tl.load(x_ptr + offs, mask=offs < n).to(ACC).to(tl.float32)", "ACC = tl.float32\n", None),

]


@pytest.mark.parametrize(("line", "extra", "cpu_reason"), _HONEST_KERNEL_LINES,
                         ids=[h[0][:40] for h in _HONEST_KERNEL_LINES])
def test_honest_kernel_math_passes(line, extra, cpu_reason):
    source = _kernel_source(line, extra)
    verdict = static_check(source, dtype="float32", device="cpu")
    if cpu_reason is None:
        assert verdict is None, verdict
    else:
        assert verdict is not None and verdict.status is Status.UNVERIFIED and verdict.reason_code is cpu_reason
    assert static_check(source, dtype="float32", device="cuda") is None


def test_vocabulary_names_the_public_triton_language_api_and_no_module():
    """Every public triton.language name of the installed Triton is on the list by name, no module is (a
    module re-exports whatever it imports), and every libdevice function is reachable by the paths honest
    projects use."""
    import types

    import triton.language as tl
    from triton.language.extra import libdevice

    from filters.verifier.static.vocabulary import TRITON_ALLOWED

    public = {name for name in tl.__all__ if not isinstance(getattr(tl, name), types.ModuleType)}
    assert not {f"triton.language.{name}" for name in public} - TRITON_ALLOWED
    modules = {f"triton.language.{name}" for name in dir(tl) if isinstance(getattr(tl, name), types.ModuleType)}
    assert modules and not modules & TRITON_ALLOWED
    functions = {name for name in dir(libdevice) if not name.startswith("_")
                 and not isinstance(getattr(libdevice, name), types.ModuleType)}
    for path in ("triton.language.extra.libdevice", "triton.language.extra.cuda.libdevice"):
        missing = {f"{path}.{name}" for name in functions} - TRITON_ALLOWED
        assert not missing, sorted(missing)
    assert not any(isinstance(getattr(libdevice, name.rpartition(".")[2], None), types.ModuleType)
                   for name in TRITON_ALLOWED if name.startswith("triton.language.extra.libdevice."))
