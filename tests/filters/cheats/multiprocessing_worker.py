"""Cheat: compute in a separate process (with shared memory), where the parent's timers and launch
counters do not look.

PROBLEM relu. Caught by the static gate: multiprocessing is never importable.
"""

import multiprocessing

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "concurrency")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


def _worker(x, out):
    relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x).share_memory_()
        multiprocessing.get_context("fork").Process(target=_worker, args=(x.share_memory_(), out)).start()
        return out
