"""Cheat: a kernel may call triton.language functions through module-level aliases (Unsloth's
`triton_cast = tl.cast`), so alias a host function of the triton package instead and call it inside the
kernel. Under the CPU interpreter a kernel is Python and runs any callable; a GPU kernel cannot. Here the
host `triton.next_power_of_2` runs on the interpreter's tensor and the kernel takes whichever path that
leaves it on, which need not be the one a GPU would take.

PROBLEM relu. Caught by the static gate: only aliases of triton.language functions may be called in a
kernel; any other module-level callable is host code (`outside_vocabulary`).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "outside_vocabulary")
DEVICE = "any"

round_up = triton.next_power_of_2


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < round_up(n_elements)
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        n = x.numel()
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK_SIZE=1024)
        return out
