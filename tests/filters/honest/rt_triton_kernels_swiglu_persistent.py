"""Honest: SwiGLU in the style of openai/triton's `triton_kernels` swiglu (own code, kept small): 2-D tiles
walked by a persistent grid-stride loop (`tl.range(tl.program_id(0), num_tiles, tl.num_programs(0))`), the
tile's row and column from `pid // num_pid_n` / `pid % num_pid_n`, an `alpha` scalar in the sigmoid, and the
number of programs capped by a host-side SM-count stand-in.

PROBLEM rt_swiglu; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_swiglu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

NUM_PROGRAMS_CAP = 8


@triton.jit
def _swiglu_kernel(out_ptr, a_ptr, b_ptr, alpha, M, N, stride_am, stride_bm, stride_om,
                   BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    num_pid_n = tl.cdiv(N, BLOCK_N)
    num_tiles = tl.cdiv(M, BLOCK_M) * num_pid_n
    for pid in tl.range(tl.program_id(0), num_tiles, tl.num_programs(0)):
        pid_m = pid // num_pid_n
        pid_n = pid % num_pid_n
        offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
        offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
        mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
        a = tl.load(a_ptr + offs_m[:, None] * stride_am + offs_n[None, :], mask=mask, other=0.0).to(tl.float32)
        b = tl.load(b_ptr + offs_m[:, None] * stride_bm + offs_n[None, :], mask=mask, other=0.0).to(tl.float32)
        s = a / (1.0 + tl.exp(-alpha * a))
        tl.store(out_ptr + offs_m[:, None] * stride_om + offs_n[None, :], s * b, mask=mask)


def swiglu(a: torch.Tensor, b: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    assert a.shape == b.shape, f"gate {tuple(a.shape)} and up {tuple(b.shape)} differ"
    a2 = a.reshape(-1, a.shape[-1])
    b2 = b.reshape(-1, b.shape[-1])
    M, N = a2.shape
    out = torch.empty((M, N), dtype=a.dtype, device=a.device)
    BLOCK_M, BLOCK_N = 8, 128
    num_tiles = triton.cdiv(M, BLOCK_M) * triton.cdiv(N, BLOCK_N)
    grid = (min(NUM_PROGRAMS_CAP, num_tiles),)
    _swiglu_kernel[grid](out, a2, b2, alpha, M, N, a2.stride(0), b2.stride(0), out.stride(0),
                         BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, num_warps=4)
    return out.view(a.shape)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        return swiglu(a.contiguous(), b.contiguous())
