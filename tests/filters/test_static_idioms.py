"""Honest idioms the static gate accepts (found by the real-world honest cases of
tests/filters/honest), each beside the nearest thing it must still refuse."""

from __future__ import annotations

import textwrap

from filters.verifier.static import static_check
from kerneldata.core.outcomes import Reason

_KERNEL = '''
import enum
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0), mask=mask)


@triton.jit
def zero_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(out_ptr + offs, tl.zeros((BLOCK,), dtype=tl.float32), mask=offs < n)
'''


def _gate(body: str):
    return static_check(_KERNEL + textwrap.dedent(body), dtype="float32", device="cpu")


def test_a_generator_star_unpacked_into_a_call_is_drained_there():
    # flash-linear-attention's input_guard: fn(*(contiguous args)) drains the generator before fn runs
    assert _gate('''
        def launch(x, out):
            relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
            return out

        class ModelNew(nn.Module):
            def forward(self, x):
                return launch(*(t.contiguous() for t in (x, torch.empty_like(x))))
    ''') is None
    # the same generator kept for a later call still outlives the one that made it
    verdict = _gate('''
        PENDING = [None]

        class ModelNew(nn.Module):
            def forward(self, x):
                PENDING[0] = (t.contiguous() for t in (x,))
                out = torch.empty_like(x)
                relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
                return out
    ''')
    assert verdict is not None and verdict.reason_code is Reason.CROSS_CALL_STATE, verdict


def test_a_parameter_defaulting_to_a_kernel_is_launched_when_callers_pass_only_kernels():
    # kernl: implementation=<kernel>, for callers to pick another kernel
    launcher = '''
        def relu(x, implementation=relu_kernel):
            out = torch.empty_like(x)
            implementation[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
            return out

        class ModelNew(nn.Module):
            def forward(self, x):
                return {call}
    '''
    assert _gate(launcher.format(call="relu(x)")) is None
    assert _gate(launcher.format(call="relu(x, implementation=zero_kernel)")) is None  # a kernel still
    # handed anything but a kernel, `implementation[grid](...)` is a call chosen at run time
    for call in ("relu(x, implementation=torch.relu)", "relu(x, torch.relu)", "relu(x, **{'implementation': 1})"):
        verdict = _gate(launcher.format(call=call))
        assert verdict is not None, call
    # nor when the launcher itself is handed around as a value (its caller could pass anything)
    assert _gate(launcher.format(call="(lambda f: f(x, torch.relu))(relu)")) is not None


def test_an_enum_mixed_with_str_or_int_is_a_record_of_constants():
    for bases in ("str, enum.Enum", "int, enum.Enum", "enum.StrEnum", "enum.IntEnum"):
        assert _gate(f'''
            class Activation({bases}):
                RELU = {"'relu'" if "Str" in bases or "str" in bases else 1}

            class ModelNew(nn.Module):
                def forward(self, x):
                    out = torch.empty_like(x)
                    relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
                    return out
        ''') is None, bases
    # other mixins, or a body beyond constants, stay classes the gate does not allow
    for cls in ("class Holder(list, enum.Enum):\n    A = 1", "class Holder(str, int, enum.Enum):\n    A = 1",
                "class Holder(str, enum.Enum):\n    A = 'a'\n    def grow(self):\n        return 1"):
        verdict = _gate(cls + '''

class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
        return out
''')
        assert verdict is not None and verdict.reason_code is Reason.REFLECTION, (cls, verdict)


def test_a_tuning_decorator_applied_by_call_at_module_level_makes_a_kernel():
    # SGLang: rmsnorm_autotune = triton.autotune(...); tuned = rmsnorm_autotune(kernel)
    launch = textwrap.dedent('''
        class ModelNew(nn.Module):
            def forward(self, x):
                out = torch.empty_like(x)
                tuned[(triton.cdiv(x.numel(), 256),)](x, out, x.numel())
                return out
    ''')
    tune = 'triton.autotune(configs=[triton.Config({{"BLOCK": 256}}, num_warps=4)], key=["n"]{extra})'
    assert _gate(f"tuner = {tune.format(extra='')}\ntuned = tuner(relu_kernel)\n" + launch) is None
    assert _gate(f"tuned = {tune.format(extra='')}(relu_kernel)\n" + launch) is None
    refused = {
        # a hook is host code with the kernel's tensors, applied by call as in a decorator
        "a hook": f"tuned = {tune.format(extra=', pre_hook=lambda nargs: nargs[1].copy_(nargs[0]))')}(relu_kernel)\n",
        # the applier is bound twice: which one applies is decided at run time
        "a rebound applier": f"tuner = {tune.format(extra='')}\ntuner = tuner\ntuned = tuner(relu_kernel)\n",
        # a wrapper that is not a tuning decorator gets the kernel object
        "another wrapper": "import functools\ntuned = functools.lru_cache(relu_kernel)\n",
        # the tuned kernel is rebound later
        "a rebound kernel": f"tuned = {tune.format(extra='')}(relu_kernel)\ntuned = zero_kernel\n",
    }
    for what, prefix in refused.items():
        assert _gate(prefix + launch) is not None, what


_RELU_MODEL = '''
class ModelNew(nn.Module):
    def forward(self, x):
        return relu(x)
'''


def test_kernels_picked_from_a_table_or_handed_to_a_generic_launcher():
    table = '''
def relu(x):
    out = torch.empty_like(x)
    kernel = {table}[x.dtype]
    kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
    return out
'''
    assert _gate(table.format(table="{torch.float32: relu_kernel, torch.float16: relu_kernel}") + _RELU_MODEL) is None
    assert _gate("KERNELS = {torch.float32: relu_kernel}\n" + table.format(table="KERNELS") + _RELU_MODEL) is None
    # a table holding anything but kernels, or one written to, picks something chosen at run time
    assert _gate(table.format(table="{torch.float32: relu_kernel, torch.float16: torch.relu}") + _RELU_MODEL) \
        is not None
    assert _gate("KERNELS = {torch.float32: relu_kernel}\nKERNELS[torch.float16] = zero_kernel\n"
                 + table.format(table="KERNELS") + _RELU_MODEL) is not None
    # jax-triton's triton_call(*args, kernel=...): a keyword-only kernel every call passes
    generic = '''
def launch(*args, kernel, n):
    kernel[(triton.cdiv(n, 256),)](*args, n, BLOCK=256)

def relu(x):
    out = torch.empty_like(x)
    launch(x, out, kernel={kernel}, n=x.numel())
    return tuple([out])[0]
'''
    assert _gate(generic.format(kernel="relu_kernel") + _RELU_MODEL) is None
    assert _gate(generic.format(kernel="torch.relu") + _RELU_MODEL) is not None


def test_module_exports_and_reinterpreted_views():
    launcher = '''
def relu(x):
    out = torch.empty((x.numel(), 1), dtype=x.dtype, device=x.device)
    relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
    return out.{view}
'''
    assert _gate('__all__ = ["ModelNew", "relu"]\n' + launcher.format(view="as_strided(x.shape, x.stride())")
                 + _RELU_MODEL) is None
    # the in-place as_strided_ changes the tensor it is called on
    assert _gate(launcher.format(view="as_strided_(x.shape, x.stride())") + _RELU_MODEL) is not None
    # __all__ built at run time, or rebound, and any other dunder, stay refused
    for exports in ('__all__ = ["relu"]\n__all__ = ["ModelNew"]\n', "__all__ = [relu.__name__]\n",
                    '__version__ = "1.0"\n'):
        assert _gate(exports + launcher.format(view="view(x.shape)") + _RELU_MODEL) is not None, exports


def test_a_partial_of_an_own_launcher_with_constants_bound_is_that_launcher():
    launcher = '''
import functools

def launch(x, block=256):
    out = torch.empty_like(x)
    relu_kernel[(triton.cdiv(x.numel(), block),)](x, out, x.numel(), BLOCK=block)
    return out

relu = {partial}
'''
    assert _gate(launcher.format(partial="functools.partial(launch, block=512)") + _RELU_MODEL) is None
    for partial in ("functools.partial(torch.relu)",  # torch's own function, not the candidate's
                    "functools.partial(launch, block=torch.ones(1))",  # a tensor bound once, shared by calls
                    "functools.partial(relu_kernel, BLOCK=256)"):  # a kernel object handed to a call
        assert _gate(launcher.format(partial=partial) + _RELU_MODEL) is not None, partial
    # bound twice: which function runs is decided at run time
    assert _gate(launcher.format(partial="functools.partial(launch)\nrelu = launch") + _RELU_MODEL) is not None


def test_a_list_parameter_every_caller_makes_for_the_call_may_be_cleared():
    # Inductor's wrapper: `call(args)` unpacks and clears the list its caller built for it
    assert _gate('''
        def call(args):
            x, = args
            args.clear()
            out = torch.empty_like(x)
            relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
            return (out,)

        class ModelNew(nn.Module):
            def forward(self, x):
                return call([x.contiguous()])[0]
    ''') is None
    # a caller handing it a list kept at module level: what it appends outlives the call
    # (or a caller that takes the function as a value: it could hand it anything)
    for caller in ("call(SEEN, x)", "helper = call; helper([], x)"):
        verdict = _gate(f'''
            SEEN = []

            def call(args, x):
                args.append(x.shape[0])
                out = torch.empty_like(x)
                relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
                return out

            class ModelNew(nn.Module):
                def forward(self, x):
                    {caller}
                    return call([], x)
        ''')
        assert verdict is not None and verdict.reason_code is Reason.CROSS_CALL_STATE, (caller, verdict)


def test_a_warn_once_helper_and_a_warning_helper_of_written_out_messages():
    launch = '''
        class ModelNew(nn.Module):
            def forward(self, x):
                out = torch.empty_like(x)
                if x.numel() % 256:
                    NOTICE
                relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
                return out
    '''
    once = '''
        import functools
        import warnings

        @functools.lru_cache(None)
        def _warn_tail_once():
            """Say it once."""
            warnings.warn("the last program runs masked", UserWarning, stacklevel=2)
    '''
    helper = '''
        import warnings

        def _warn(message):
            warnings.warn(message, UserWarning, stacklevel=2)
    '''
    assert _gate(once + launch.replace("NOTICE", "_warn_tail_once()")) is None
    assert _gate(helper + launch.replace("NOTICE", '_warn("the last program runs masked")')) is None
    # a cached helper that returns something (a call learns whether it ran before), or takes a parameter
    returns = once.rstrip() + "\n            return 1\n"
    takes = once.replace("_warn_tail_once():", "_warn_tail_once(n):")
    for cached, call in ((returns, "_warn_tail_once()"), (takes, "_warn_tail_once(x.shape[0])")):
        verdict = _gate(cached + launch.replace("NOTICE", call))
        assert verdict is not None and verdict.reason_code is Reason.CROSS_CALL_STATE, (call, verdict)
    # a message made from a tensor's values
    verdict = _gate(helper + launch.replace("NOTICE", "_warn(str(x.sum()))"))
    assert verdict is not None, verdict


_NEG_INF_KERNEL = '''
import math
import torch
import torch.nn as nn
import triton
import triton.language as tl

{binding}


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=NEG_INF)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
        return out
'''


def test_a_module_level_constexpr_of_infinity_is_a_constant_a_kernel_may_read():
    # Triton's documented global constant, spelled with float("-inf") or -math.inf: no state to keep
    for binding in ('NEG_INF = tl.constexpr(float("-inf"))', "NEG_INF = tl.constexpr(-math.inf)",
                    'NEG_INF: tl.constexpr = tl.constexpr(float("-inf"))'):
        assert static_check(_NEG_INF_KERNEL.format(binding=binding), dtype="float32", device="cpu") is None, binding
    # ...but not where `float` is the candidate's own function, which could return anything (a list kept across
    # calls), nor where float() is handed something other than a literal
    for binding in ('float = lambda s: []\nNEG_INF = tl.constexpr(float("-inf"))',
                    'NEG_INF = tl.constexpr(float(torch.finfo(torch.float32).min))'):
        verdict = static_check(_NEG_INF_KERNEL.format(binding=binding), dtype="float32", device="cpu")
        assert verdict is not None and verdict.reason_code is not Reason.OK, binding


_ENV_KERNEL = '''
{imports}
import torch
import torch.nn as nn
import triton
import triton.language as tl
{module_line}


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        {forward_line}
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
        return out
'''


def _env(imports="import os", module_line="", forward_line="pass", device="cpu"):
    source = _ENV_KERNEL.format(imports=imports, module_line=module_line, forward_line=forward_line)
    return static_check(source, dtype="float32", device=device)


def test_an_environment_variable_read_is_environment_dependent_on_every_device():
    """flash-linear-attention picks its fast ops by `os.environ.get("FLA_USE_FAST_OPS")`: honest, but what it does
    in a user's process depends on that process's environment, which the sandbox's cannot stand for (and a
    candidate reading HOME could tell the two apart). Such code is `unverified`, on a GPU too; an unused
    `import os` is nothing."""
    assert _env() is None
    for module_line, forward_line in (('FAST = os.environ.get("FLA_USE_FAST_OPS", "0") == "1"', "pass"),
                                      ("", 'fast = os.getenv("FLA_USE_FAST_OPS")'),
                                      ("", 'home = "HOME" in os.environ'),
                                      ('MODE = os.environ["KERNEL_MODE"]', "pass")):
        for device in ("cpu", "cuda"):
            verdict = _env(module_line=module_line, forward_line=forward_line, device=device)
            assert verdict is not None and verdict.status.value == "unverified" \
                and verdict.reason_code is Reason.ENVIRONMENT_DEPENDENT, (module_line, forward_line, verdict)


def test_every_other_use_of_os_is_io_access():
    """Of os, only a read of a variable named by a literal: not the environment as a value (copied, iterated,
    changed), not a computed name, not a default that calls anything, not os's other functions, and no
    `from os import ...`."""
    for imports, line in (("import os", "pid = os.getpid()"), ("import os", 'os.system("true")'),
                          ("import os", "env = os.environ"), ("import os", "env = dict(os.environ)"),
                          ("import os", 'key = "A"\n        value = os.environ.get(key)'),
                          ("import os", 'value = os.getenv("A", os.getcwd())'),
                          ("import os", 'value = os.environ.setdefault("A", "1")'),
                          ("import os as o", "pid = o.getpid()"), ("import os.path", "pass"),
                          ("from os import getenv", 'value = getenv("A")'), ("from os import environ", "pass")):
        verdict = _env(imports=imports, forward_line=line)
        assert verdict is not None and verdict.reason_code in (Reason.IO_ACCESS, Reason.MONKEYPATCH), (line, verdict)
    changed = _env(forward_line='os.environ["A"] = "1"')
    assert changed is not None and changed.reason_code is Reason.MONKEYPATCH


_HEURISTIC_KERNEL = '''
@triton.heuristics({{"FLAG": {heuristic}}})
@triton.jit
def flagged_kernel(x_ptr, b_ptr, out_ptr, n, BLOCK: tl.constexpr, FLAG: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x_ptrs = x_ptr + offs  # the address through a local, as most kernels write it
    tl.store(out_ptr + offs, tl.maximum(tl.load(x_ptrs, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        flagged_kernel[(triton.cdiv(x.numel(), 256),)](x, None, out, x.numel(), BLOCK=256)
        return out
'''


def test_a_heuristic_may_ask_a_tensor_argument_only_for_metadata_or_whether_it_was_given():
    for honest in ('lambda args: args["b_ptr"] is not None', 'lambda args: args["x_ptr"].stride(0) == 1',
                   'lambda args: args["n"] % args["BLOCK"] == 0', 'lambda args: args["x_ptr"].dtype == torch.float16',
                   'lambda args: bool(args["n"] > 1024)'):
        assert _gate(_HEURISTIC_KERNEL.format(heuristic=honest)) is None, honest
    # the pointer's values, compared, computed with or handed on: read on the host at each launch
    for values in ('lambda args: bool((args["x_ptr"] > 0).all())', 'lambda args: sum(args["x_ptr"]) is None',
                   'lambda args: (args["x_ptr"] ** 2) is None', 'lambda args: args["x_ptr"] in (0, 1)',
                   'lambda args: not args["x_ptr"]'):
        verdict = _gate(_HEURISTIC_KERNEL.format(heuristic=values))
        assert verdict is not None and verdict.reason_code is Reason.TORCH_OUTSIDE_KERNEL, (values, verdict)


def test_a_tensor_tested_for_its_truth_in_python_is_a_value_read():
    for test in ("if x[0, 0]:\n                    out = x", "while x[0, 0]:\n                    break",
                 "out = x if x[0, 0] else out", "assert x[0, 0]", "out = x[0, 0] or out"):
        verdict = _gate(f'''
        class ModelNew(nn.Module):
            def forward(self, x):
                out = torch.empty_like(x)
                relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
                {test}
                return out
        ''')
        assert verdict is not None and verdict.reason_code is Reason.TORCH_OUTSIDE_KERNEL, (test, verdict)
    assert _gate('''
        class ModelNew(nn.Module):
            def forward(self, x, bias=None):
                out = torch.empty_like(x)
                assert torch.is_tensor(x)
                if x.numel() and x.is_contiguous() and bias is None and not torch.is_floating_point(x) is False:
                    relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
                return out
    ''') is None


_ASM_KERNEL = '''
@triton.jit
def asm_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    y = tl.inline_asm_elementwise({asm!r}, "=r,r", [x], dtype=tl.float32, is_pure=True, pack=1)
    tl.store(out_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        asm_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
        return out
'''


def test_inline_assembly_may_only_compute_on_its_operands():
    for honest in ("max.f32 $0, $1, 0f00000000;", "{ .reg .b32 t; mov.b32 t, $1; ex2.approx.f32 $0, t; }",
                   "cvt.rn.f32.f32 $0, $1; // ld.global in a comment", "v_max_f32 $0, $1, 0"):
        verdict = _gate(_ASM_KERNEL.format(asm=honest))
        assert verdict is None or verdict.reason_code is Reason.INTERPRETER_LIMIT, (honest, verdict)
    for hostile in ("ld.global.f32 $0, [$1];", "mov.u64 $0, %globaltimer;", "mov.u32 $0, %smid;",
                    "st.global.f32 [$1], $1; mov.b32 $0, $1;", "nanosleep.u32 100; mov.b32 $0, $1;",
                    "atom.global.add.f32 $0, [$1], $1;", ".global .f32 g; mov.b32 $0, $1;"):
        verdict = _gate(_ASM_KERNEL.format(asm=hostile))
        assert verdict is not None and verdict.reason_code is Reason.OUTSIDE_VOCABULARY, (hostile, verdict)
    computed = _ASM_KERNEL.replace("tl.inline_asm_elementwise({asm!r}", "tl.inline_asm_elementwise(ASM").format()
    verdict = _gate('ASM = "max.f32 $0, $1, 0f00000000;"\n' + computed)
    assert verdict is not None and verdict.reason_code is Reason.OUTSIDE_VOCABULARY, verdict
