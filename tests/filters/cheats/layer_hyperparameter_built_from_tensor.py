"""Cheat: a layer built with a tensor for a hyperparameter, so the hyperparameter carries PyTorch values into
forward's host arithmetic (`self.norm.eps * 1.0` is a tensor op, here broadcasting a per-channel table). The gate
reads `self.<layer>.<hyperparameter>` as a number only for a layer built from no tensor, so every
hyperparameter of this one (`num_groups` first) stays a tensor to it: `torch_outside_kernel`.

PROBLEM rt_group_norm; EXPECTED rejected by the static gate (torch_outside_kernel).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_group_norm"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
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
        self.norm = nn.GroupNorm(num_groups, num_channels, eps=torch.ones(num_channels))

    def forward(self, x):
        x = x.contiguous()
        batch, channels = x.shape[0], x.shape[1]
        hw = x[0, 0].numel()
        groups = self.norm.num_groups
        group_size = (channels // groups) * hw
        ones = self.norm.eps * 1.0
        y = torch.empty_like(x)
        group_norm_kernel[(batch * groups,)](x, ones, self.norm.bias, y, group_size, hw, groups,
                                             channels // groups, 1e-5, BLOCK=triton.next_power_of_2(group_size))
        return y
