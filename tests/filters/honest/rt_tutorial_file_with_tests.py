"""Honest: a kernel file as the Triton tutorials and most kernel repositories keep one, with its own test and
benchmark beside the kernel: `test_add` checks against PyTorch (`torch.randn`, `torch.testing.assert_close`),
`bench_add` times both with `triton.testing.do_bench`, and a `__main__` block runs them. Nothing imports or
calls either from the model, so their PyTorch code never runs in a verification.

PROBLEM add; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "add"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def add_kernel(x_ptr, y_ptr, output_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    y = tl.load(y_ptr + offsets, mask=mask)
    tl.store(output_ptr + offsets, x + y, mask=mask)


def add(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    output = torch.empty_like(x)
    n_elements = output.numel()
    grid = lambda meta: (triton.cdiv(n_elements, meta["BLOCK_SIZE"]),)  # noqa: E731 - the tutorial's spelling
    add_kernel[grid](x, y, output, n_elements, BLOCK_SIZE=1024)
    return output


def test_add(size: int = 98432, device: str = "cuda") -> None:
    torch.manual_seed(0)
    x = torch.rand(size, device=device)
    y = torch.rand(size, device=device)
    torch.testing.assert_close(add(x, y), x + y)


def bench_add(size: int, device: str = "cuda") -> tuple[float, float]:
    x = torch.rand(size, device=device, dtype=torch.float32)
    y = torch.rand(size, device=device, dtype=torch.float32)
    ms_torch = triton.testing.do_bench(lambda: x + y)
    ms_triton = triton.testing.do_bench(lambda: add(x, y))
    return ms_torch, ms_triton


class ModelNew(nn.Module):
    def forward(self, x, y):
        return add(x.contiguous(), y.contiguous())


if __name__ == "__main__":
    test_add()
    for exponent in range(12, 28, 4):
        print(2**exponent, bench_add(2**exponent))
