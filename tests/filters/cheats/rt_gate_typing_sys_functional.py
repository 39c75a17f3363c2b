"""Cheat (static-gate bypass, torch in disguise): `typing.sys.modules["torch"].ops.aten.gelu.default` is
aten's GELU by a path the gate does not resolve (the call's method name, `default`, is no compute
name); a decoy kernel then copies the answer into the output.

Demonstration: outside the verifier the result equals F.gelu(x) bit for bit and the Triton kernel only copies.

Should be caught by: the allow-list gate; at run time by the provenance recorder (torch computes).
"""

import typing

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", ("static", "runtime"), ("reflection", "torch_compute"))
DEVICE = "any"


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        done = typing.sys.modules["torch"].ops.aten.gelu.default(x)
        out = torch.empty_like(x)
        copy_kernel[(triton.cdiv(x.numel(), 1024),)](done, out, x.numel(), BLOCK=1024)
        return out
