"""Honest: RMSNorm in SGLang's `srt/layers/elementwise.py` idiom (own code): one plain @triton.jit kernel, and
a second, autotuned entry made at module level by applying a `triton.autotune(...)` decorator object to it
(`fused_rmsnorm_kernel_autotune = rmsnorm_autotune(fused_rmsnorm_kernel)`); the launcher picks one by an
`autotune` flag, and the plain path splats a config dict holding `BLOCK_SIZE` and `num_warps` into the
launch (`**config`). `eps` and `hidden_dim` are `tl.constexpr`, the row normalised as `x * w / sqrt(ms + eps)`.

PROBLEM rmsnorm; EXPECTED accepted everywhere (the static gate rejected it until the fix of this case).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rmsnorm"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


rmsnorm_autotune = triton.autotune(
    configs=[
        triton.Config(kwargs={"BLOCK_SIZE": block_size}, num_warps=num_warps)
        for block_size in [512, 1024, 2048]
        for num_warps in [1, 4, 8]
    ],
    key=["hidden_dim"],
)


@triton.jit
def fused_rmsnorm_kernel(
    output_ptr,
    activ_ptr,
    weight_ptr,
    eps: tl.constexpr,
    hidden_dim: tl.constexpr,
    BLOCK_SIZE: tl.constexpr,
):
    pid = tl.program_id(axis=0)
    input_start = pid * hidden_dim

    offsets = tl.arange(0, BLOCK_SIZE)
    mask = offsets < hidden_dim

    a_ = tl.load(activ_ptr + input_start + offsets, mask=mask, other=0.0)
    a = a_.to(tl.float32)
    rms = tl.sqrt(tl.sum(a * a, axis=0) / hidden_dim + eps)

    w1_ = tl.load(weight_ptr + offsets, mask=mask, other=0.0)
    w1 = w1_.to(tl.float32)

    a2 = a * w1 / rms
    tl.store(output_ptr + input_start + offsets, a2.to(a_.dtype), mask=mask)


fused_rmsnorm_kernel_autotune = rmsnorm_autotune(fused_rmsnorm_kernel)


def fused_rmsnorm(x, w, eps=1e-6, autotune=False, inplace=False):
    assert len(x.shape) == 2
    # every autotuned block must cover a whole row: the smallest config's BLOCK_SIZE bounds the width
    assert not autotune or x.shape[1] <= 512, "the autotuned kernel covers rows up to 512 wide"
    if inplace:
        output = x
    else:
        output = torch.empty_like(x)
    bs, hidden_dim = x.shape
    max_warps = 32
    config = {
        "BLOCK_SIZE": triton.next_power_of_2(hidden_dim),
        "num_warps": max(min(triton.next_power_of_2(triton.cdiv(hidden_dim, 256)), max_warps), 4),
    }

    if autotune:
        fused_rmsnorm_kernel_autotune[(bs,)](output, x, w, eps=eps, hidden_dim=hidden_dim)
    else:
        fused_rmsnorm_kernel[(bs,)](output, x, w, eps=eps, hidden_dim=hidden_dim, **config)

    return output


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.variance_epsilon = 1e-6

    def forward(self, x, weight):
        x = x.contiguous()
        autotune = x.shape[1] <= 512
        return fused_rmsnorm(x, weight.contiguous(), self.variance_epsilon, autotune=autotune)
