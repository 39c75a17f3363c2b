"""Honest: an RMSNorm in flash-linear-attention's idiom (own code): an `input_guard` decorator built with
`functools.wraps` makes every tensor argument contiguous and runs the call under `torch.cuda.device` of the
first tensor's device when it is a CUDA one; the kernel uses `tl.make_block_ptr` with `boundary_check`, and a
`triton.heuristics` flag decides whether a weight is applied.

PROBLEM rmsnorm; EXPECTED accepted on a GPU; on CPU `unverified` (the device it runs on chooses the context).
"""

import contextlib
import functools

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rmsnorm"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", "static", ("interpreter_limit", "device_dependent"))
DEVICE = "gpu"


def input_guard(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        contiguous_args = (i if not isinstance(i, torch.Tensor) else i.contiguous() for i in args)
        contiguous_kwargs = {k: (v if not isinstance(v, torch.Tensor) else v.contiguous()) for k, v in kwargs.items()}
        tensor = None
        for arg in args:
            if isinstance(arg, torch.Tensor):
                tensor = arg
                break
        if tensor is not None and tensor.device.type == "cuda":
            ctx = torch.cuda.device(tensor.device.index)
        else:
            ctx = contextlib.nullcontext()
        with ctx:
            return fn(*contiguous_args, **contiguous_kwargs)
    return wrapper


@triton.heuristics({"HAS_WEIGHT": lambda args: args["w"] is not None})
@triton.jit
def rmsnorm_fwd_kernel(x, y, w, eps, T, D: tl.constexpr, BT: tl.constexpr, BD: tl.constexpr,
                       HAS_WEIGHT: tl.constexpr):
    i_t = tl.program_id(0)
    p_x = tl.make_block_ptr(x, (T, D), (D, 1), (i_t * BT, 0), (BT, BD), (1, 0))
    b_x = tl.load(p_x, boundary_check=(0, 1)).to(tl.float32)
    b_var = tl.sum(b_x * b_x, axis=1) / D
    b_y = b_x * tl.rsqrt(b_var + eps)[:, None]
    if HAS_WEIGHT:
        o_d = tl.arange(0, BD)
        b_w = tl.load(w + o_d, mask=o_d < D, other=0.0).to(tl.float32)
        b_y = b_y * b_w[None, :]
    p_y = tl.make_block_ptr(y, (T, D), (D, 1), (i_t * BT, 0), (BT, BD), (1, 0))
    tl.store(p_y, b_y.to(p_y.dtype.element_ty), boundary_check=(0, 1))


@input_guard
def rms_norm(x, weight=None, eps=1e-6):
    shape = x.shape
    x = x.view(-1, shape[-1])
    T, D = x.shape
    y = torch.empty_like(x)
    BD = triton.next_power_of_2(D)
    BT = 4
    rmsnorm_fwd_kernel[(triton.cdiv(T, BT),)](x, y, weight, eps, T, D=D, BT=BT, BD=BD)
    return y.view(shape)


class ModelNew(nn.Module):
    def forward(self, x, weight):
        return rms_norm(x, weight, eps=1e-6)
