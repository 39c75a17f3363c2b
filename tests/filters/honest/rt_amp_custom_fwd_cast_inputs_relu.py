"""Honest: a ReLU as a `torch.autograd.Function` whose forward carries `torch.amp.custom_fwd(device_type="cuda",
cast_inputs=torch.float16)`, as kernels written for mixed-precision training do: under autocast its input
arrives in float16 and its output leaves in float16; outside autocast nothing is cast. Under autocast it is
held to float16's tolerance, as PyTorch's own lower-precision ops would be.

PROBLEM relu; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _relu_fwd(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ReluFn(torch.autograd.Function):
    @staticmethod
    @torch.amp.custom_fwd(device_type="cuda", cast_inputs=torch.float16)
    def forward(ctx, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _relu_fwd[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y


class ModelNew(nn.Module):
    def forward(self, x):
        return ReluFn.apply(x)
