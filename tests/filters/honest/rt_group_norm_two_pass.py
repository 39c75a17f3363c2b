"""Honest: group normalisation (FlagGems' group_norm idiom, own code): one program per (sample, group) over
its contiguous channels x spatial span, mean and variance in fp32, then each channel's affine weight and bias.

PROBLEM rt_group_norm; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_group_norm"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def group_norm_kernel(x_ptr, w_ptr, b_ptr, y_ptr, group_size, hw, num_groups, channels_per_group, eps,
                      BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    group = pid % num_groups
    base = pid.to(tl.int64) * group_size
    offs = tl.arange(0, BLOCK)
    mask = offs < group_size
    x = tl.load(x_ptr + base + offs, mask=mask, other=0.0).to(tl.float32)
    mean = tl.sum(x, axis=0) / group_size
    centred = tl.where(mask, x - mean, 0.0)
    rstd = tl.rsqrt(tl.sum(centred * centred, axis=0) / group_size + eps)
    channel = group * channels_per_group + offs // hw
    w = tl.load(w_ptr + channel, mask=mask, other=1.0)
    b = tl.load(b_ptr + channel, mask=mask, other=0.0)
    tl.store(y_ptr + base + offs, centred * rstd * w + b, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, num_groups, num_channels):
        super().__init__()
        self.norm = nn.GroupNorm(num_groups, num_channels)

    def forward(self, x):
        x = x.contiguous()
        batch, channels = x.shape[0], x.shape[1]
        hw = x[0, 0].numel()
        groups = self.norm.num_groups
        group_size = (channels // groups) * hw
        y = torch.empty_like(x)
        group_norm_kernel[(batch * groups,)](x, self.norm.weight, self.norm.bias, y, group_size, hw, groups,
                                             channels // groups, self.norm.eps,
                                             BLOCK=triton.next_power_of_2(group_size))
        return y
