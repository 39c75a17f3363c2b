"""Cheat (precision, buying the atomic allowance): the fp16 row sum that adds sequentially in fp16 (one
rounding per element, where the reference accumulates in fp32 and rounds once), whose result is then stored
with a single `tl.atomic_add` into a zeroed output. One atomic add per output element is no atomic
accumulation: the rounding the verifier allows kernels that accumulate with half-precision atomics (many
adds per element, as an index_add or split-K reduction makes) must not cover an fp16 accumulator in
registers.

Demonstration: at 16x128 its error vs float64 is several times an honest (fp32-accumulating) kernel's, as
rt_precision_fp16_acc_row_sum_k128's is; the atomic add changes no value.

Should be caught by: a tolerance tied to an honest kernel's error model (issue 15, section 7), whose atomic
allowance goes only to outputs that atomic adds really accumulate into, several adds per element.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_row_sum_fp16_k128"
EXPECTED = ("rejected", "anticheat", "lowered_precision")
EXPECTED_GPU = ("unverified", "static", "interpreter_limit")  # a GPU cannot count atomic adds: beyond the error model, atomic-add code is unverified there (checks.CandidateChecks.check)
DEVICE = "any"


@triton.jit
def row_sum_kernel(x_ptr, out_ptr, n_cols, stride):
    row = tl.program_id(0)
    acc = tl.load(x_ptr + row * stride)
    for c in range(1, n_cols):
        acc = (acc + tl.load(x_ptr + row * stride + c)).to(tl.float16)
    tl.atomic_add(out_ptr + row, acc)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        row_sum_kernel[(x.shape[0],)](x, out, x.shape[1], x.stride(0))
        return out
