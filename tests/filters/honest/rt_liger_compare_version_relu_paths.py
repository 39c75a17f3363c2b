"""Honest: ReLU whose device function is picked at import by Triton's version, in Liger-Kernel's idiom
(`compare_version("triton", operator.ge, "3.0.0")` with the helper written out; `importlib.metadata.version`
asked too, as some forks do), both picks plain Triton the interpreter runs; a `try` that only guards an
import (`except ImportError: pass`).

PROBLEM relu; EXPECTED accepted everywhere.
"""

import importlib
import importlib.metadata
import operator
from typing import Callable

import torch
import torch.nn as nn
import triton
import triton.language as tl
from packaging.version import Version

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


def compare_version(package: str, operator: Callable, target: str):
    try:
        pkg = importlib.import_module(package)
    except ImportError:
        return False
    pkg_version = Version(pkg.__version__)
    return operator(pkg_version, Version(target))


try:
    import triton.language.math  # noqa: F401 - present on every Triton this file supports
except ImportError:
    pass


@triton.jit
def _relu_new(x):
    return tl.maximum(x, 0.0)


@triton.jit
def _relu_old(x):
    return tl.where(x > 0, x, 0.0)


if compare_version("triton", operator.ge, "3.0.0") and Version(importlib.metadata.version("torch")) >= Version("2.0"):
    relu_fn = _relu_new
else:
    relu_fn = _relu_old


@triton.jit
def _relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, relu_fn(tl.load(x_ptr + offs, mask=mask)), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _relu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
