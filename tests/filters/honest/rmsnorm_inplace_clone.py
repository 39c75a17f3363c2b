"""Honest: RMSNorm in the style of vLLM's in-place layernorm ops, behind a launcher that clones its input
and lets the kernel normalise the copy in place (one program per row, fp32). The output buffer is PyTorch's
`clone()`, which the kernel then overwrites completely: it is the kernel's output.

PROBLEM rmsnorm; EXPECTED accepted everywhere: on CPU the interpreter sees every store; on a GPU, where no
store is seen, a copy a kernel received after PyTorch's last write is taken as the kernel's (and one written
back unchanged on every call is rejected), as `filters.verifier.provenance.unproven_output` says.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rmsnorm"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("accepted", "correctness", "ok")
DEVICE = "gpu"


@triton.jit
def rms_norm_inplace_kernel(
    input_ptr,  # [num_tokens, hidden_size], normalised in place
    weight_ptr,  # [hidden_size]
    input_row_stride,
    hidden_size,
    epsilon,
    BLOCK_SIZE: tl.constexpr,
):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK_SIZE)
    mask = cols < hidden_size
    row_ptr = input_ptr + row * input_row_stride
    x = tl.load(row_ptr + cols, mask=mask, other=0.0).to(tl.float32)
    variance = tl.sum(x * x, axis=0) / hidden_size
    x = x * tl.rsqrt(variance + epsilon)
    w = tl.load(weight_ptr + cols, mask=mask, other=0.0)
    tl.store(row_ptr + cols, x * w, mask=mask)


def rms_norm_(x: torch.Tensor, weight: torch.Tensor, epsilon: float) -> None:
    hidden_size = x.shape[-1]
    num_tokens = x.numel() // hidden_size
    BLOCK_SIZE = triton.next_power_of_2(hidden_size)
    rms_norm_inplace_kernel[(num_tokens,)](x, weight, x.stride(-2), hidden_size, epsilon, BLOCK_SIZE=BLOCK_SIZE)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.variance_epsilon = 1e-6

    def forward(self, x, weight):
        out = x.clone()
        rms_norm_(out, weight, self.variance_epsilon)
        return out
