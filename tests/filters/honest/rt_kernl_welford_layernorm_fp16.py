"""Honest: fp16 LayerNorm in ELS-RD/kernl's `implementations/layer_norm.py` idiom (own code): a single-pass
kernel walks the row in blocks with a Python `range(0, N, BLOCK_SIZE)` loop and merges each block's mean and
sum of squared deviations into running fp32 statistics (Chan/Welford's parallel update), then a second loop
normalises and stores in the output's dtype; the launcher takes the kernel as a parameter
(`implementation=...`, kernl lets callers pick among its layer-norm kernels that way), clamps the block size
between 128 and 4096, and stores mean / rstd for a backward.

PROBLEM layernorm_fp16; EXPECTED accepted everywhere (the static gate rejected it until the fix of this case).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "layernorm_fp16"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def layer_norm_fwd_fused_single_pass(
    Output, A, Weight, Bias, Mean, Rstd,
    stride, N, eps,
    BLOCK_SIZE: tl.constexpr,
):
    row = tl.program_id(0)
    Output += row * stride
    A += row * stride
    # running statistics over the blocks seen so far
    mean = 0.0
    m2 = 0.0
    count = 0.0
    for start in range(0, N, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        mask = cols < N
        a = tl.load(A + cols, mask=mask, other=0.0, eviction_policy="evict_last").to(tl.float32)
        block_count = tl.minimum(N - start, BLOCK_SIZE).to(tl.float32)
        block_mean = tl.sum(a, axis=0) / block_count
        dev = tl.where(mask, a - block_mean, 0.0)
        block_m2 = tl.sum(dev * dev, axis=0)
        new_count = count + block_count
        delta = block_mean - mean
        mean = mean + delta * (block_count / new_count)
        m2 = m2 + block_m2 + delta * delta * (count * block_count / new_count)
        count = new_count
    var = m2 / N
    rstd = 1 / tl.sqrt(var + eps)
    tl.store(Mean + row, mean)
    tl.store(Rstd + row, rstd)
    for start in range(0, N, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        mask = cols < N
        weight = tl.load(Weight + cols, mask=mask).to(tl.float32)
        bias = tl.load(Bias + cols, mask=mask).to(tl.float32)
        a = tl.load(A + cols, mask=mask, other=0.0, eviction_policy="evict_first").to(tl.float32)
        out = (a - mean) * rstd * weight + bias
        tl.store(Output + cols, out.to(Output.dtype.element_ty), mask=mask)


def layer_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float,
               implementation=layer_norm_fwd_fused_single_pass):
    out = torch.empty_like(x)
    a_arg = x.reshape(-1, x.shape[-1])
    M, N = a_arg.shape
    mean = torch.empty((M,), dtype=torch.float32, device=x.device)
    rstd = torch.empty((M,), dtype=torch.float32, device=x.device)
    MAX_FUSED_SIZE = 65536 // x.element_size()
    BLOCK_SIZE = min(MAX_FUSED_SIZE, triton.next_power_of_2(N))
    BLOCK_SIZE = max(BLOCK_SIZE, 128)
    BLOCK_SIZE = min(BLOCK_SIZE, 4096)
    BLOCK_SIZE = 128 if N <= 512 else BLOCK_SIZE  # several blocks per row for narrow rows too
    num_warps = min(max(BLOCK_SIZE // 256, 1), 8)
    implementation[(M,)](
        out, a_arg, weight, bias, mean, rstd,
        a_arg.stride(0), N, eps,
        BLOCK_SIZE=BLOCK_SIZE,
        num_warps=num_warps,
    )
    return out


class ModelNew(nn.Module):
    def forward(self, x, weight, bias):
        return layer_norm(x.contiguous(), weight.contiguous(), bias.contiguous(), 1e-5)
