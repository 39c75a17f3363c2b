"""Honest: Unsloth's launcher idiom: a module-level `torch_gpu_device` that is torch.cuda.device when several
GPUs are visible and otherwise a function returning contextlib.nullcontext(), so single-GPU launches skip
the device switch; the block size and warp count come from a `calculate_settings` helper that refuses rows
too wide for one block.

PROBLEM silu; EXPECTED accepted on a GPU; on CPU unverified (interpreter_limit): the gate sees
torch.cuda.device and the device count read, whichever branch the machine takes.
"""

from contextlib import nullcontext

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "silu"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", "static", "interpreter_limit")
DEVICE = "gpu"

MAX_FUSED_SIZE: int = 65536
DEVICE_COUNT: int = torch.cuda.device_count()

if DEVICE_COUNT > 1:
    torch_gpu_device = torch.cuda.device
else:
    def torch_gpu_device(device):
        return nullcontext()


def calculate_settings(n: int) -> (int, int):
    BLOCK_SIZE: int = triton.next_power_of_2(n)
    if BLOCK_SIZE > MAX_FUSED_SIZE:
        raise RuntimeError(f"Cannot launch a Triton kernel for rows of {n}: more than {MAX_FUSED_SIZE}.")
    num_warps: int = 4
    if BLOCK_SIZE >= 32768:
        num_warps = 32
    elif BLOCK_SIZE >= 8192:
        num_warps = 16
    elif BLOCK_SIZE >= 2048:
        num_warps = 8
    return BLOCK_SIZE, num_warps


@triton.jit
def _silu_rows(x_ptr, y_ptr, row_stride, n_cols, BLOCK_SIZE: tl.constexpr):
    # one program per row; silu(x) = x * sigmoid(x), computed in fp32
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK_SIZE)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * row_stride + cols, mask=mask, other=0.0).to(tl.float32)
    y = x * tl.sigmoid(x)
    tl.store(y_ptr + row * row_stride + cols, y.to(y_ptr.dtype.element_ty), mask=mask)


def silu(x: torch.Tensor) -> torch.Tensor:
    shape = x.shape
    x = x.contiguous().view(-1, shape[-1])
    n_rows, n_cols = x.shape
    y = torch.empty_like(x)
    BLOCK_SIZE, num_warps = calculate_settings(n_cols)
    with torch_gpu_device(x.device):
        _silu_rows[(n_rows,)](x, y, x.stride(0), n_cols, BLOCK_SIZE=BLOCK_SIZE, num_warps=num_warps)
    return y.view(shape)


class ModelNew(nn.Module):
    def forward(self, x):
        return silu(x)
