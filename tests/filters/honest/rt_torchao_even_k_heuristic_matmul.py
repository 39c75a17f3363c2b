"""Honest: an fp32 matmul in torchao's `kernel/intmm_triton.py` idiom (itself PyTorch Inductor's mm template;
own code): configs from a list built by a helper, `triton.autotune` keyed on the sizes and strides, a
`triton.heuristics` flag `EVEN_K` computed from `K` and the config's `BLOCK_K` / `SPLIT_K` so the K loop
drops its masks when the blocks divide K, row and column indices wrapped with `rm % M` under
`tl.max_contiguous(tl.multiple_of(...))` hints (out-of-range rows re-read valid memory and are masked only on
the store), a K loop counting down `range(K, 0, -BLOCK_K * SPLIT_K)`, indices rematerialised before the store,
and `tl.broadcast_to` on the flat output index. `tl.dot` gets `input_precision="ieee"` so fp32 stays fp32.

PROBLEM matmul; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "matmul"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


def _mm_configs():
    # (BLOCK_M, BLOCK_N, BLOCK_K, num_stages, num_warps)
    table = [(32, 32, 32, 2, 4), (64, 32, 32, 3, 4), (32, 64, 64, 2, 4), (64, 64, 64, 2, 8)]
    return [triton.Config({"BLOCK_M": m, "BLOCK_N": n, "BLOCK_K": k, "SPLIT_K": 1, "GROUP_M": 8},
                          num_stages=s, num_warps=w) for m, n, k, s, w in table]


@triton.autotune(configs=_mm_configs(), key=["M", "N", "K", "stride_am", "stride_ak", "stride_bk", "stride_bn"])
@triton.heuristics({"EVEN_K": lambda args: args["K"] % (args["BLOCK_K"] * args["SPLIT_K"]) == 0})
@triton.jit
def mm_kernel(
    A, B, C,
    M, N, K,
    stride_am, stride_ak,
    stride_bk, stride_bn,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
    SPLIT_K: tl.constexpr, GROUP_M: tl.constexpr, EVEN_K: tl.constexpr,
    ACC_TYPE: tl.constexpr,
):
    # grouped program order
    pid = tl.program_id(0)
    grid_m = (M + BLOCK_M - 1) // BLOCK_M
    grid_n = (N + BLOCK_N - 1) // BLOCK_N
    width = GROUP_M * grid_n
    group_id = pid // width
    group_size = min(grid_m - group_id * GROUP_M, GROUP_M)
    pid_m = group_id * GROUP_M + (pid % group_size)
    pid_n = (pid % width) // group_size

    rm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    rn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    ram = tl.max_contiguous(tl.multiple_of(rm % M, BLOCK_M), BLOCK_M)
    rbn = tl.max_contiguous(tl.multiple_of(rn % N, BLOCK_N), BLOCK_N)
    rk = tl.arange(0, BLOCK_K)
    A = A + (ram[:, None] * stride_am + rk[None, :] * stride_ak)
    B = B + (rk[:, None] * stride_bk + rbn[None, :] * stride_bn)

    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=ACC_TYPE)
    for k in range(K, 0, -BLOCK_K * SPLIT_K):
        if EVEN_K:
            a = tl.load(A)
            b = tl.load(B)
        else:
            a = tl.load(A, mask=rk[None, :] < k, other=0.0)
            b = tl.load(B, mask=rk[:, None] < k, other=0.0)
        acc += tl.dot(a, b, input_precision="ieee")
        A += BLOCK_K * SPLIT_K * stride_ak
        B += BLOCK_K * SPLIT_K * stride_bk

    # rematerialize rm and rn to save registers
    rm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    rn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    idx_m = rm[:, None]
    idx_n = rn[None, :]
    mask = (idx_m < M) & (idx_n < N)
    xindex = idx_n + N * idx_m
    tl.store(C + tl.broadcast_to(xindex, mask.shape), acc.to(C.dtype.element_ty), mask)


def mm(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    assert a.shape[1] == b.shape[0], "incompatible dimensions"
    M, K = a.shape
    _, N = b.shape
    c = torch.empty((M, N), device=a.device, dtype=a.dtype)
    grid = lambda META: (triton.cdiv(M, META["BLOCK_M"]) * triton.cdiv(N, META["BLOCK_N"]), META["SPLIT_K"])  # noqa: E731
    mm_kernel[grid](
        a, b, c,
        M, N, K,
        a.stride(0), a.stride(1),
        b.stride(0), b.stride(1),
        ACC_TYPE=tl.float32,
    )
    return c


class ModelNew(nn.Module):
    def forward(self, a, b):
        return mm(a, b)
