"""Honest: an RMSNorm launcher in Liger-Kernel's style (own code) that names the accelerator it runs on the
way Liger's `infer_device` does (`torch.cuda.is_available()`, then `torch.xpu.is_available()`), to pick its
warp count per backend. Which device is present decides only a launch option, which changes how fast the
kernel runs and not what it computes, so the interpreter's verdict holds on a GPU
(filters.verifier.static.device_flow): accepted on CPU too.

PROBLEM rmsnorm; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rmsnorm"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


def infer_device() -> str:
    """The accelerator this process can use."""
    if torch.cuda.is_available():
        return "cuda"
    if torch.xpu.is_available():
        return "xpu"
    return "cpu"


@triton.jit
def _rms_norm_forward_kernel(Y_ptr, X_ptr, W_ptr, stride, n_cols, eps, BLOCK_SIZE: tl.constexpr):
    # one row per program, the sum of squares accumulated in fp32
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK_SIZE)
    mask = cols < n_cols
    x = tl.load(X_ptr + row * stride + cols, mask=mask, other=0.0).to(tl.float32)
    rstd = tl.rsqrt(tl.sum(x * x, axis=0) / n_cols + eps)
    w = tl.load(W_ptr + cols, mask=mask, other=0.0).to(tl.float32)
    tl.store(Y_ptr + row * stride + cols, (x * rstd * w).to(Y_ptr.dtype.element_ty), mask=mask)


def rms_norm_forward(X: torch.Tensor, W: torch.Tensor, eps: float) -> torch.Tensor:
    shape = X.shape
    X = X.view(-1, shape[-1]).contiguous()
    n_rows, n_cols = X.shape
    BLOCK_SIZE = triton.next_power_of_2(n_cols)
    num_warps = 8 if infer_device() == "xpu" else min(max(BLOCK_SIZE // 256, 1), 8)
    Y = torch.empty_like(X)
    _rms_norm_forward_kernel[(n_rows,)](Y, X, W, X.stride(0), n_cols, eps, BLOCK_SIZE=BLOCK_SIZE,
                                        num_warps=num_warps)
    return Y.view(*shape)


class ModelNew(nn.Module):
    def forward(self, x, weight):
        return rms_norm_forward(x, weight, 1e-6)
