"""Honest: exact GELU written the way PyTorch Inductor's generated wrapper code reads (own code in that
shape, without Inductor's private runtime helpers): a `triton_poi_fused_gelu_0` kernel with `xoffset` /
`xindex` / `xmask` and numbered `tmpN` temporaries, constants as Python floats, a `grid(xnumel)` helper
returning a META lambda, and a `call(args)` wrapper that unpacks its argument list, clears it (Inductor drops
its references to the inputs early), allocates with `torch.empty_strided`, `del`s dead buffers and returns a
tuple.

PROBLEM gelu; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def triton_poi_fused_gelu_0(in_ptr0, out_ptr0, xnumel, XBLOCK: tl.constexpr):
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:]
    xmask = xindex < xnumel
    x0 = xindex
    tmp0 = tl.load(in_ptr0 + (x0), xmask)
    tmp1 = 0.5
    tmp2 = tmp0 * tmp1
    tmp3 = 0.7071067811865476
    tmp4 = tmp0 * tmp3
    tmp5 = tl.erf(tmp4)
    tmp6 = 1.0
    tmp7 = tmp5 + tmp6
    tmp8 = tmp2 * tmp7
    tl.store(out_ptr0 + (x0), tmp8, xmask)


def grid(xnumel):
    def grid_fn(meta):
        return (triton.cdiv(xnumel, meta["XBLOCK"]), 1, 1)
    return grid_fn


def call(args):
    arg0_1, = args
    args.clear()
    size, stride = tuple(arg0_1.shape), tuple(arg0_1.stride())
    buf0 = torch.empty_strided(size, stride, device=arg0_1.device, dtype=torch.float32)
    xnumel = arg0_1.numel()
    triton_poi_fused_gelu_0[grid(xnumel)](arg0_1, buf0, xnumel, XBLOCK=256, num_warps=4, num_stages=1)
    del arg0_1
    return (buf0, )


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return call([x.contiguous()])[0]
