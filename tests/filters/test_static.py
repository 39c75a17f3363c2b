"""The static gate alone (no subprocess, no kernel runs): every cheat the gate is meant to catch is
rejected with the expected reason and a sentence naming the line; every honest candidate, and every
candidate the built-in teacher writes, passes it (or is unverified where the interpreter cannot judge)."""

from __future__ import annotations

import json
import re

import pytest

from filters.static import static_check
from filters.verify import problem_dtype
from kerneldata.core.outcomes import Reason, Status
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
    if expected.status == "unverified" and expected.stages == {"static"}:
        assert verdict is not None and expected.matches(verdict), verdict
    elif expected.status == "unverified":  # the gate or a later stage may say so (an interpreter gap at run time)
        assert verdict is None or expected.matches(verdict), verdict
    else:
        assert verdict is None, verdict
    assert _gate(case, device="cuda") is None  # nothing of an honest candidate is forbidden anywhere


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


_LAUNCH = "out = torch.empty_like(x)\nk[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)\n"


_RULES = [
    (_LAUNCH + "return out + 0", "", "", "arithmetic on tensors"),
    (_LAUNCH + "out[0] = 1.0\nreturn out", "", "", "writes into a tensor"),
    (_LAUNCH + "return -x", "", "", "arithmetic on a tensor"),
    (_LAUNCH + "for row in x:\n    pass\nreturn out", "", "", "iterates over a tensor"),
    (_LAUNCH + "y = x.contiguous().view(-1)\nreturn y.exp()", "", "", ".exp()"),
    (_LAUNCH + "return x.logaddexp(x)", "", "", ".logaddexp()"),
    (_LAUNCH + "return max(x, out)", "", "", "applies max()"),
    (_LAUNCH + "t = torch\nreturn out", "", "", "module torch as a value"),
    (_LAUNCH + "return out", "from torch import *\n", "", "star-imports"),
    (_LAUNCH + "return out", "from . import helpers\n", "", "relative import"),
    (_LAUNCH + "torch.cuda.synchronize()\nreturn out", "", "", "torch.cuda.synchronize"),
    (_LAUNCH + "e = torch.cuda.Event(enable_timing=True)\nreturn out", "", "", "torch.cuda.Event"),
    (_LAUNCH + "return out", "import torch.utils.checkpoint\n", "", "torch.utils.checkpoint"),
    (_LAUNCH + "return out", "", "self.w = torch.randn(3)\nself.w.mul_(2)", ".mul_()"),
    (_LAUNCH + "self.calls = 1\nreturn out", "", "", "self.calls outside __init__"),
    (_LAUNCH + "return x.__class__(out)", "", "", "__class__"),
    (_LAUNCH + "return out", "k.cache = {}\n", "", "k.cache"),
    (_LAUNCH + "return out", "def __getattr__(name):\n    return name\n", "", "defines __getattr__"),
    (_LAUNCH + "return out", "class Meta(type):\n    pass\n", "", "derives class Meta from type"),
    (_LAUNCH + "return out._base", "", "", "private attribute ._base"),
    (_LAUNCH + "return k.fn(x)", "", "", "k.fn"),
    ("return self.helper(x)", "", "self.helper = lambda t: t", "self.helper()"),
    (_LAUNCH + "return out", "_STATE = []\ndef note(v):\n    _STATE.append(v)\n", "", "_STATE.append"),
    (_LAUNCH + "yield out", "", "", "generator"),
    (_LAUNCH + "return out", "nn = None\n", "", "rebinds the imported name nn"),
    (_LAUNCH + "return out", "__name__ = '__main__'\n", "", "assigns __name__"),
    # tensors laundered through the candidate's own class, a callable parameter, typing.cast, host reads
    (_LAUNCH + "return Box(x).t * 2", "class Box:\n    def __init__(self, t):\n        self.t = t\n", "",
     "arithmetic on tensors"),
    (_LAUNCH + "return apply(lambda t: t, x)", "def apply(f, v):\n    return f(v)\n", "", "chosen at run time"),
    (_LAUNCH + "return typing.cast(torch.Tensor, x) * 2", "import typing\n", "", "arithmetic on tensors"),
    (_LAUNCH + "box = (_MEMO,)\nbox[0][1] = out\nreturn out", "_MEMO = {}\n", "", "box[0][1]"),
    (_LAUNCH + "box = [_MEMO]\nbox[0].update(a=out)\nreturn out", "_MEMO = {}\n", "", "box[0].update"),
    (_LAUNCH + "s = x[0, 0].item() + 1.0\nreturn out", "", "", ".item()"),
    (_LAUNCH + "s = float(str(x[0, 0])[7:-1])\nreturn out", "", "", "to a tensor: the host"),
    (_LAUNCH + 's = f"{x[0, 0]}"\nreturn out', "", "", "formats a tensor"),
]


@pytest.mark.parametrize(("forward", "extra", "init", "needle"), _RULES, ids=[rule[3] for rule in _RULES])
def test_rule(forward, extra, init, needle):
    verdict = static_check(_source(forward, extra, init), dtype="float32", device="cpu")
    assert verdict is not None and verdict.reason_code is Reason.FORBIDDEN_CONSTRUCT, verdict
    assert needle in verdict.reason, verdict.reason


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
        # a __main__ block and an unreferenced get_inputs never run in the sandbox
        (_LAUNCH + "return out", "def get_inputs():\n    return [torch.randn(16, 300)]\n", ""),
    ],
)
def test_honest_idiom_is_allowed(forward, extra, init):
    source = _source(forward, extra, init)
    source += '\n\nif __name__ == "__main__":\n    x = torch.randn(4, 4)\n    print(torch.allclose(ModelNew()(x), x))\n'
    assert static_check(source, dtype="float32", device="cpu") is None


def test_main_block_still_may_not_import_or_reflect():
    source = c.HONEST + '\n\nif __name__ == "__main__":\n    import os\n'
    assert static_check(source, dtype="float32", device="cpu").reason_code is Reason.FORBIDDEN_CONSTRUCT
    source = c.HONEST + '\n\nif __name__ == "__main__":\n    eval("1")\n'
    assert static_check(source, dtype="float32", device="cpu").reason_code is Reason.FORBIDDEN_CONSTRUCT


def test_get_inputs_is_checked_when_something_calls_it():
    source = c.relu_candidate("return get_inputs()[0]", extra="def get_inputs():\n    return [torch.randn(2)]\n")
    assert static_check(source, dtype="float32", device="cpu").reason_code is Reason.FORBIDDEN_CONSTRUCT


@pytest.mark.parametrize(
    ("snippet", "unverified"),
    [
        ("x = tl.load(x_ptr + offs).to(tl.bfloat16)", True),  # bf16 inside a kernel
        ("x = tl.load(x_ptr + offs)", False),
    ],
    ids=["bf16", "fp32"],
)
def test_bf16_in_a_kernel_is_unverified_on_cpu_only(snippet, unverified):
    source = _HEADER + f'''
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
