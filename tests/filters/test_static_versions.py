"""Asking which Triton is installed (filters.verifier.static.versions): Liger-Kernel's `compare_version` helper
(importlib, operator, packaging), `importlib.metadata.version`, and `try`s that only guard imports, each beside
what the same modules and shapes must still refuse."""

from __future__ import annotations

import textwrap

import pytest

from filters.verifier.static import static_check
from kerneldata.core.outcomes import Reason

_HEAD = '''
import functools
import importlib
import importlib.metadata
import operator
from typing import Callable

import torch
import torch.nn as nn
import triton
import triton.language as tl
from packaging.version import Version


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0), mask=mask)


def launch(x):
    out = torch.empty_like(x)
    relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
    return out
'''

_COMPARE_VERSION = '''
def compare_version(package: str, operator: Callable, target: str):
    try:
        pkg = importlib.import_module(package)
    except ImportError:
        return False
    pkg_version = Version(pkg.__version__)
    return operator(pkg_version, Version(target))
'''

_MODEL = '''
class ModelNew(nn.Module):
    def forward(self, x):
        return launch(x)
'''


def _gate(body: str, *, model: bool = True):
    return static_check(_HEAD + textwrap.dedent(body) + (_MODEL if model else ""), dtype="float32", device="cpu")


def _refused(body: str, *rules: Reason, model: bool = True) -> None:
    verdict = _gate(body, model=model)
    assert verdict is not None and verdict.reason_code in rules, verdict


def test_liger_compare_version_with_its_helper_written_out_is_allowed():
    assert _gate(_COMPARE_VERSION + 'NEW_TRITON = compare_version("triton", operator.ge, "3.0.0")\n'
                 'OLD_TORCH = compare_version(package="torch", operator=operator.lt, target="2.4.0")\n') is None


def test_the_version_helper_may_name_only_torch_or_triton_at_every_call():
    _refused(_COMPARE_VERSION + 'X = compare_version("os", operator.ge, "1")\n', Reason.DYNAMIC_CODE, Reason.FALLBACK)
    _refused(_COMPARE_VERSION + 'NAME = "tri" + "ton"\nX = compare_version(NAME, operator.ge, "1")\n',
             Reason.DYNAMIC_CODE, Reason.FALLBACK)
    # handed on as a value, its calls are out of sight
    _refused(_COMPARE_VERSION + 'ASK = functools.partial(compare_version, "triton")\n', Reason.DYNAMIC_CODE, Reason.FALLBACK)
    _refused(_COMPARE_VERSION + 'X = compare_version(*["os", operator.ge, "1"])\n', Reason.DYNAMIC_CODE, Reason.FALLBACK)


def test_the_imported_module_may_only_be_read_for_its_version():
    _refused('''
        def leak(package="triton"):
            pkg = importlib.import_module(package)
            return pkg.language

        LANGUAGE = leak()
    ''', Reason.DYNAMIC_CODE)
    _refused('''
        def other(package):
            pkg = importlib.import_module(package)
            pkg = importlib.import_module("os")
            return pkg.__version__

        X = other("torch")
    ''', Reason.DYNAMIC_CODE)
    _refused('TORCH = importlib.import_module("torch")\nY = TORCH.__version__\nZ = TORCH.cuda\n', Reason.DYNAMIC_CODE)
    assert _gate('V = importlib.import_module("torch").__version__\n') is not None  # no binding: refused
    assert _gate('TORCH = importlib.import_module("torch")\nV = Version(TORCH.__version__)\n') is None


def test_importlib_otherwise_is_dynamic_code():
    _refused('M = importlib.import_module("triton.language.core")\nV = M.__version__\n', Reason.DYNAMIC_CODE)
    _refused('importlib.reload(triton)\n', Reason.DYNAMIC_CODE)
    _refused('from importlib import util\n', Reason.DYNAMIC_CODE)
    _refused('D = importlib.metadata.distribution("torch")\n', Reason.DYNAMIC_CODE)
    assert _gate('NEW = Version(importlib.metadata.version("triton")) >= Version("3.0")\n') is None
    _refused('V = importlib.metadata.version("tri" + "ton")\n', Reason.DYNAMIC_CODE)


def test_operator_and_packaging_by_name_only_and_never_on_tensors():
    assert _gate('ROWS = functools.reduce(operator.mul, (4, 5, 6), 1)\nOK = operator.ge((3, 1), (3, 0))\n') is None
    from packaging import version  # noqa: F401 - the spelling below must resolve to the same names
    assert _gate('from packaging import version\nNEW = version.parse(triton.__version__) >= version.parse("3")\n') \
        is None
    _refused('GET = operator.attrgetter("__class__")\n', Reason.REFLECTION)
    _refused('M = operator.methodcaller("relu")\n', Reason.REFLECTION)
    _refused('''
        class ModelNew(nn.Module):
            def forward(self, x):
                return operator.mul(launch(x), x)
    ''', Reason.TORCH_OUTSIDE_KERNEL, model=False)
    _refused('''
        class ModelNew(nn.Module):
            def forward(self, x):
                return functools.reduce(operator.add, [launch(x), x])
    ''', Reason.TORCH_OUTSIDE_KERNEL, model=False)
    _refused('OPS = operator\nGET = OPS.attrgetter("__class__")\n', Reason.REFLECTION)  # an alias, checked alike
    _refused('import packaging.tags\n', Reason.OUTSIDE_VOCABULARY)


def test_a_try_that_only_guards_imports_is_allowed():
    assert _gate('''
        try:
            from triton.language.extra.libdevice import rsqrt
        except ModuleNotFoundError:
            from triton.language.extra.cuda.libdevice import rsqrt
    ''') is None
    assert _gate('''
        try:
            from triton.language.extra import libdevice
            HAS_LIBDEVICE = True
        except (ImportError, ModuleNotFoundError):
            HAS_LIBDEVICE = False
    ''') is not None  # a constant bound in the body is not an import: the guard is only what it says
    assert _gate('''
        try:
            from triton.language.extra import libdevice
        except ImportError:
            HAS_LIBDEVICE = False
        else:
            from triton.language.extra.libdevice import erf
    ''') is None


@pytest.mark.parametrize("body", [
    # a handler that computes, catches more than an import error, names the error, or a body that launches
    '''
    class ModelNew(nn.Module):
        def forward(self, x):
            try:
                from triton.language.extra import libdevice
            except ImportError:
                return torch.relu(x)
            return launch(x)
    ''',
    '''
    class ModelNew(nn.Module):
        def forward(self, x):
            try:
                return launch(x)
            except ImportError:
                return x.clone()
    ''',
    '''
    try:
        from triton.language.extra import libdevice
    except Exception:
        pass
    ''' + _MODEL,
    '''
    try:
        from triton.language.extra import libdevice
    except ImportError as err:
        pass
    ''' + _MODEL,
    '''
    try:
        from triton.language.extra import libdevice
    except ImportError:
        pass
    finally:
        X = 1
    ''' + _MODEL,
    '''
    ImportError = RuntimeError
    try:
        from triton.language.extra import libdevice
    except ImportError:
        pass
    ''' + _MODEL,
])
def test_every_other_try_is_still_a_fallback(body):
    verdict = _gate(body, model=False)
    assert verdict is not None and verdict.status.value == "rejected", verdict
