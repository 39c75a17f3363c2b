"""Cheat (gate: attributes read by a match statement's class pattern): `case torch.Tensor(relu=relu_of_x)`
binds the bound method `x.relu` to a name without an attribute expression anywhere in the source, so
every rule the gate keys on `x.method` (tensor methods that compute, called or taken as values) never
sees it. PyTorch computes the ReLU; a copy kernel then writes it into the returned tensor, so a harness
that only asks "did a kernel write the output" is satisfied.

A class pattern's keyword patterns are attribute reads, `getattr(subject, name)` by another spelling;
a harness that walks `ast.Attribute` nodes misses them.

Should be caught by: the gate reading a class pattern's keywords as the attribute reads they are
(`reflection`).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "reflection")
DEVICE = "any"


@triton.jit
def copy_kernel(src_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.load(src_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        match x:
            case torch.Tensor(relu=relu_of_x):
                answer = relu_of_x()
                copy_kernel[(triton.cdiv(x.numel(), 1024),)](answer, out, x.numel(), BLOCK=1024)
        return out
