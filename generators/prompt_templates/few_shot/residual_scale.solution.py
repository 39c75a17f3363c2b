import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def residual_scale_kernel(
    x_ptr,  # flattened contiguous input
    res_ptr,  # flattened contiguous residual, same size
    out_ptr,  # flattened output
    n_elements,
    scale,
    BLOCK_SIZE: tl.constexpr,
):
    # A fixed grid sweeps the tensor: program p handles blocks p, p + num_programs, p + 2 * num_programs, ...
    # so a few programs cover any size, each with enough work to hide memory latency.
    pid = tl.program_id(axis=0)
    num_programs = tl.num_programs(axis=0)
    for block_start in range(pid * BLOCK_SIZE, n_elements, num_programs * BLOCK_SIZE):
        offsets = block_start + tl.arange(0, BLOCK_SIZE)
        mask = offsets < n_elements
        x = tl.load(x_ptr + offsets, mask=mask).to(tl.float32)
        r = tl.load(res_ptr + offsets, mask=mask).to(tl.float32)
        # The reference adds in the input dtype, then scales: round the sum first to match it.
        total = (x + r).to(out_ptr.dtype.element_ty).to(tl.float32)
        tl.store(out_ptr + offsets, (total * scale).to(out_ptr.dtype.element_ty), mask=mask)


def residual_scale(x: torch.Tensor, residual: torch.Tensor, scale: float) -> torch.Tensor:
    assert x.shape == residual.shape, f"x {tuple(x.shape)}, residual {tuple(residual.shape)}"
    # Flat indexing needs contiguous memory; contiguous() copies only when needed.
    x, residual = x.contiguous(), residual.contiguous()
    out = torch.empty_like(x)
    n_elements = out.numel()
    BLOCK_SIZE = 1024
    # At most 256 programs; fewer when the tensor has fewer blocks.
    num_programs = min(triton.cdiv(n_elements, BLOCK_SIZE), 256)
    residual_scale_kernel[(num_programs,)](x, residual, out, n_elements, scale, BLOCK_SIZE=BLOCK_SIZE, num_warps=4)
    return out


class ModelNew(nn.Module):
    """(x + residual) * scale with a grid-stride Triton kernel."""

    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x, residual):
        return residual_scale(x, residual, self.scale)
