"""The gate on kernels compiled ahead (filters.verifier.static.compiled_kernels): the fused-softmax tutorial's
`kernel.warmup(...)`, `_init_handles()`, `n_regs` / `metadata.shared` and the compiled kernel's launch pass on a
GPU and are `interpreter_limit` on CPU; every other use of a compiled kernel, or a warmup of anything else, is
refused as before."""

from __future__ import annotations

import ast

import pytest

from filters.verifier.static import static_check
from filters.verifier.static.compiled_kernels import read_compiled_launches
from filters.verifier.static.scoping import _import_aliases
from kerneldata.core.outcomes import Reason, Status

KERNEL = '''
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy_kernel(out_ptr, x_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=offs < n), mask=offs < n)

'''
LAUNCHER = '''
def relu_like(x):
    y = torch.empty_like(x)
    kernel = copy_kernel.warmup(y, x, x.numel(), BLOCK=1024, num_warps=4, grid=(1,))
    kernel._init_handles()
    programs = max(1, 65536 // (kernel.n_regs * 32 * 4))
    programs = min(programs, 232448 // max(kernel.metadata.shared, 1), triton.cdiv(x.numel(), 1024))
    kernel[(programs, 1, 1)](y, x, x.numel(), 1024)
    return y


class ModelNew(nn.Module):
    def forward(self, x):
        return relu_like(x.contiguous())
'''


def _check(launcher: str, device: str = "cuda", kernel: str = KERNEL):
    return static_check(kernel + launcher, dtype="float32", device=device)


def test_the_tutorial_idiom_passes_on_a_gpu_and_is_an_interpreter_limit_on_cpu():
    assert _check(LAUNCHER) is None
    verdict = _check(LAUNCHER, device="cpu")
    assert verdict.status is Status.UNVERIFIED and verdict.reason_code is Reason.INTERPRETER_LIMIT, verdict
    assert ".warmup" in verdict.reason


@pytest.mark.parametrize(("old", "new"), [
    # the raw launcher, the device's handle of the code, the machine code
    ("    kernel._init_handles()\n", "    kernel._init_handles()\n    kernel.run(1, 1, 1, 0, kernel.function, None, None, None, None)\n"),
    ("    kernel._init_handles()\n", "    ptx = kernel.asm['ptx']\n"),
    ("kernel.metadata.shared", "kernel.metadata.__class__"),
    ("kernel.metadata.shared", "kernel.metadata._replace"),
    # its description is read, never changed
    ("    kernel._init_handles()\n", "    kernel.n_regs = 1\n"),
    ("    kernel._init_handles()\n", "    kernel.n_regs += 1\n"),
    ("    kernel._init_handles()\n", "    del kernel.n_spills\n"),
    # a launch on a stream of the candidate's choosing
    ("(y, x, x.numel(), 1024)", "(y, x, x.numel(), 1024, stream=triton.runtime.driver.active.get_current_stream(1))"),
    ("(y, x, x.numel(), 1024)", "(*[y, x, x.numel(), 1024])"),
    # the compiled kernel handed on, kept, or bound twice
    ("    kernel._init_handles()\n", "    CACHE.append(kernel)\n"),
    ("    kernel._init_handles()\n", "    kernel = copy_kernel\n"),
    ("    kernel._init_handles()\n", "    launch = kernel[(1, 1, 1)]\n"),
    # a warmup whose result is not the one local, or with no grid
    ("    kernel = copy_kernel.warmup(", "    kernel = kernels[0] = copy_kernel.warmup("),
    (", grid=(1,))", ")"),
    ("copy_kernel.warmup(y, x, x.numel(), BLOCK=1024, num_warps=4, grid=(1,))",
     "copy_kernel.warmup(*[y, x, x.numel()], BLOCK=1024, num_warps=4, grid=(1,))"),
])
def test_any_other_use_of_a_compiled_kernel_is_refused(old, new):
    assert old in LAUNCHER
    launcher = "CACHE = []\nkernels = [None]\n" + LAUNCHER.replace(old, new)
    verdict = _check(launcher)
    assert verdict is not None and verdict.status is Status.REJECTED, (new, verdict)


def test_a_nested_function_s_compiled_kernel_is_not_the_outer_function_s_name():
    """Where a nested function compiles the kernel into its own local `kernel`, the outer function's `kernel` is
    another name (here a module global of PyTorch functions): its launch-like use is not read as a launch."""
    launcher = """
kernel = {(1, 1, 1): torch.relu}


def relu_like(x):
    def compile_only():
        kernel = copy_kernel.warmup(x, x, x.numel(), BLOCK=1024, grid=(1,))
        kernel._init_handles()
    compile_only()
    return kernel[(1, 1, 1)](x)


class ModelNew(nn.Module):
    def forward(self, x):
        return relu_like(x.contiguous())
"""
    verdict = _check(launcher)
    assert verdict is not None and verdict.status is Status.REJECTED, verdict
    tree = ast.parse(KERNEL + launcher)
    read_compiled_launches(tree, _import_aliases(tree))
    assert "return kernel[1, 1, 1](x)" in ast.unparse(tree)  # the outer name left as written


def test_a_warmup_of_a_kernel_with_other_decorators_is_refused():
    autotuned = KERNEL.replace("@triton.jit", "@triton.autotune(configs=[triton.Config({}, num_warps=4)], key=['n'])\n@triton.jit")
    verdict = _check(LAUNCHER.replace(", BLOCK=1024, num_warps=4, grid", ", BLOCK=1024, grid"), kernel=autotuned)
    assert verdict is not None and verdict.status is Status.REJECTED, verdict


def test_the_compiled_launch_is_checked_as_a_launch():
    """What the gate refuses in a kernel's launch it refuses in the compiled kernel's (a host value read)."""
    verdict = _check(LAUNCHER.replace("(y, x, x.numel(), 1024)", "(y, x, x.sum().item(), 1024)"))
    assert verdict is not None and verdict.status is Status.REJECTED, verdict
    verdict = _check(LAUNCHER.replace("copy_kernel.warmup(y, x,", "copy_kernel.warmup(y, x.tolist(),"))
    assert verdict is not None and verdict.status is Status.REJECTED, verdict
