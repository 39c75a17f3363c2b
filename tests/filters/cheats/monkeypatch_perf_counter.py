"""Cheat: monkeypatch the host clock: time.perf_counter advances a microsecond per call, so host-side
timing (and a host-clock cross-check) is fooled.

PROBLEM relu. Caught by the static gate: time is never importable (and the assignment is a monkeypatch).
"""

import time

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "outside_vocabulary")
DEVICE = "any"

_TICKS = [0.0]


def _fake_clock():
    _TICKS[0] += 1e-6
    return _TICKS[0]


time.perf_counter = _fake_clock
time.monotonic = _fake_clock


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)
        return out
