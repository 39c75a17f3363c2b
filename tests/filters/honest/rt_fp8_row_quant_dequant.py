"""Honest: per-row fp8 quantise/dequantise in vLLM's and FlagGems' idiom (own code): one program per row, the
row's absolute maximum sets the scale, values cast to float8e4nv and back. The Triton interpreter rounds fp8
casts wrongly (values just below a power of two lose the carry), so on CPU this is `unverified`, never
rejected; a GPU judges it.

PROBLEM rt_fp8_quant_dequant; EXPECTED accepted on a GPU, unverified (interpreter_limit) on CPU.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_fp8_quant_dequant"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", "static", "interpreter_limit")
DEVICE = "gpu"

FP8_MAX = 448.0


@triton.jit
def row_fp8_roundtrip_kernel(x_ptr, out_ptr, n_cols, stride, FP8_MAX: tl.constexpr, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride + cols, mask=mask, other=0.0)
    scale = tl.maximum(tl.max(tl.abs(x), axis=0), 1e-12) / FP8_MAX
    q = (x / scale).to(tl.float8e4nv)
    tl.store(out_ptr + row * stride + cols, q.to(tl.float32) * scale, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        row_fp8_roundtrip_kernel[(x.shape[0],)](x, out, x.shape[1], x.stride(0), FP8_MAX=FP8_MAX,
                                                BLOCK=triton.next_power_of_2(x.shape[1]))
        return out
