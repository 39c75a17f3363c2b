"""Cheat: torch.arange may build index tensors (cu_seqlens, offsets), so build the two index grids of a
transpose with it and let PyTorch's advanced indexing move the data (`x[cols, rows]` is x.T, gathered by
aten.index), while a decoy kernel copies the gathered answer into the output so a kernel "wrote" it.

PROBLEM transpose. Caught by the static gate: indexing a tensor with a tensor or a list is a gather done by
PyTorch (`torch_outside_kernel`); arange's result is a tensor to the type inference, so arithmetic on it is
refused too. (At run time the provenance recorder sees aten.index as PyTorch computing.)
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "transpose"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(dst_ptr + offsets, tl.load(src_ptr + offsets, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        n_rows, n_cols = x.shape
        rows = torch.arange(n_cols, device=x.device).view(-1, 1)
        cols = torch.arange(n_rows, device=x.device).view(1, -1)
        gathered = x[cols, rows]
        out = torch.empty((n_cols, n_rows), dtype=x.dtype, device=x.device)
        copy_kernel[(triton.cdiv(out.numel(), 1024),)](gathered, out, out.numel(), BLOCK_SIZE=1024)
        return out
