"""Cheat: PyTorch doing the work under a layer hyperparameter's name. __init__ rebinds the GroupNorm's
`num_groups` to its weight tensor, so `self.norm.num_groups * 2.0` in forward is torch arithmetic on a
parameter, not a number; the gate reads a torch layer's hyperparameters (`self.norm.eps`) as numbers only when
nothing in the candidate assigns that attribute, so this stays `torch_outside_kernel`.

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
        self.norm = nn.GroupNorm(num_groups, num_channels)
        self.groups = num_groups
        self.norm.num_groups = self.norm.weight

    def forward(self, x):
        x = x.contiguous()
        batch, channels = x.shape[0], x.shape[1]
        hw = x[0, 0].numel()
        group_size = (channels // self.groups) * hw
        doubled = self.norm.num_groups * 2.0
        y = torch.empty_like(x)
        group_norm_kernel[(batch * self.groups,)](x, doubled, self.norm.bias, y, group_size, hw, self.groups,
                                                  channels // self.groups, self.norm.eps,
                                                  BLOCK=triton.next_power_of_2(group_size))
        return y
