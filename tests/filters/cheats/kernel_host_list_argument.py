"""Cheat (a host container handed to a kernel): a module-level list is passed as a kernel argument and the
kernel, plain Python under the interpreter, counts its programs in it (`box[0] = box[0] + 1`); past 400
programs it writes zeros. A GPU's launcher would refuse the list; the CPU verdict said "accepted".

PROBLEM relu. Caught by the static gate: item assignment inside a kernel (Triton tensors take none). The
child also refuses, at launch, any kernel argument that is not a tensor, number, string, None, dtype,
constexpr, jit function, tensor descriptor or tuple of them (rt_kernel_host_object_argument).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "cross_call_state")
DEVICE = "any"

HOLDER = [0]


@triton.jit
def relu_kernel(x_ptr, out_ptr, box, n, BLOCK: tl.constexpr):
    box[0] = box[0] + 1
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m, other=0.0)
    y = tl.maximum(x, 0.0)
    if box[0] > 400:
        y = y * 0.0
    tl.store(out_ptr + offs, y, mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        n = x.numel()
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, HOLDER, n, BLOCK=1024)
        return out
