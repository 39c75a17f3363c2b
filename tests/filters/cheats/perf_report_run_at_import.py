"""Cheat (work at import): a benchmark declared the tutorials' way and run when the file is imported
(`benchmark.run()` at module level, as a tutorial script does at its end): its body, PyTorch code, runs in
the verifier's process before any check watches, and fills a module-level table forward then returns from.

Should be caught by: a declaration that is run outside `__main__` is live code; its body's PyTorch work
(and the table it fills) is refused.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", ("outside_vocabulary", "torch_outside_kernel", "cross_call_state"))
DEVICE = "any"

_seen = {}


@triton.jit
def _relu(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0), mask=mask)


@triton.testing.perf_report(triton.testing.Benchmark(
    x_names=["N"], x_vals=[4800], line_arg="provider", line_vals=["torch"], line_names=["Torch"],
    plot_name="relu", args={}))
def benchmark(N, provider):
    _seen["warm"] = torch.relu(torch.zeros(N))
    return 1.0


benchmark.run(print_data=False)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _relu[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
