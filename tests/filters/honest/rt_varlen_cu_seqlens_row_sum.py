"""Honest: row sums written as a variable-length ("varlen") kernel, the way vLLM's and FlashAttention's
packed-sequence launchers are: the flattened input is a concatenation of segments whose bounds come from a
cu_seqlens index tensor, here equal lengths built with torch.arange on the input's device. The allocation of
an index tensor computes nothing; the kernel reads each segment's bounds from it.

PROBLEM row_sum; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def segment_sum_kernel(x_ptr, cu_seqlens_ptr, out_ptr, BLOCK_SIZE: tl.constexpr):
    # one program per segment; its bounds are cu_seqlens[pid] and cu_seqlens[pid + 1]
    seg = tl.program_id(axis=0)
    start = tl.load(cu_seqlens_ptr + seg)
    end = tl.load(cu_seqlens_ptr + seg + 1)
    acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
    for off in range(start, end, BLOCK_SIZE):
        idx = off + tl.arange(0, BLOCK_SIZE)
        acc += tl.load(x_ptr + idx, mask=idx < end, other=0.0).to(tl.float32)
    tl.store(out_ptr + seg, tl.sum(acc, axis=0).to(out_ptr.dtype.element_ty))


def segment_sum(packed: torch.Tensor, cu_seqlens: torch.Tensor) -> torch.Tensor:
    assert packed.dim() == 1 and cu_seqlens.dtype == torch.int32
    num_segments = cu_seqlens.numel() - 1
    out = torch.empty(num_segments, dtype=packed.dtype, device=packed.device)
    segment_sum_kernel[(num_segments,)](packed, cu_seqlens, out, BLOCK_SIZE=128)
    return out


class ModelNew(nn.Module):
    def forward(self, x):
        assert x.dim() == 2, f"expected a 2-D input, got shape {tuple(x.shape)}"
        n_rows, n_cols = x.shape
        # equal-length segments: cu_seqlens = [0, n_cols, 2 * n_cols, ..., n_rows * n_cols]
        cu_seqlens = torch.arange(0, (n_rows + 1) * n_cols, n_cols, dtype=torch.int32, device=x.device)
        return segment_sum(x.contiguous().view(-1), cu_seqlens)
