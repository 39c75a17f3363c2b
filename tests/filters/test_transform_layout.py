"""Transformed inputs keep the layout the model gave its inputs (filters.verifier.inputs.keeping_layout).

Real-model workloads hand kernels strided inputs: a slice of a fused QKV projection (a row pitch wider than
the row), a transposed weight, a stride-0 broadcast. The plain draws keep that layout; the transformed ones
(`-x`, `x * 64`, heavy tails...) came back dense, so an honest kernel that checks its input's layout (as
Inductor's generated code does) failed on the transformed calls only, and was rejected for it."""

from __future__ import annotations

import torch

import pytest

from filters.verifier.inputs import TRANSFORMS, moved_keeping_layout, partly_changed, transformed_on
from filters.verifier.options import VerifyOptions
from filters.verifier.verify import verify
from kerneldata.core.outcomes import Status

SLICED = '''
import torch
import torch.nn as nn

class Model(nn.Module):
    def __init__(self):
        super().__init__()
    def forward(self, x):
        return torch.relu(x)

def get_inputs():
    fused = torch.randn(16, 96)
    return [fused[:, 32:64]]  # the middle third of a fused projection: row pitch 96, width 32

def get_init_inputs():
    return []
'''

# Honest, and strict about its input's layout, as generated code is: it reads rows at the pitch it checked.
LAYOUT_CHECKING = '''
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def relu_rows(x_ptr, out_ptr, pitch, width, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    mask = cols < width
    x = tl.load(x_ptr + row * pitch + cols, mask=mask)
    tl.store(out_ptr + row * width + cols, tl.maximum(x, 0.0), mask=mask)

class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
    def forward(self, x):
        if x.stride() != (96, 1):
            raise ValueError(f"expected stride (96, 1), got {x.stride()}")
        rows, width = x.shape
        out = torch.empty((rows, width), dtype=x.dtype, device=x.device)
        relu_rows[(rows,)](x, out, x.stride(0), width, BLOCK=triton.next_power_of_2(width))
        return out
'''


def test_every_transform_keeps_sizes_strides_and_values():
    fused = torch.randn(4, 96)
    inputs = [fused[:, 32:64], torch.randn(4, 1).expand(4, 8), torch.randn(8, 6).t(), torch.randn(3, 5)]
    for name, (_, transform) in TRANSFORMS.items():
        for x in inputs:
            out = transform(x)
            assert out.shape == x.shape and out.stride() == x.stride(), name
            assert torch.equal(torch.nan_to_num(out), torch.nan_to_num(transform(x.contiguous()))), name


@pytest.mark.gpu
def test_transforms_computed_on_the_gpu_come_back_in_the_inputs_layout():
    """On a GPU the verifier computes its transforms there (`transformed_on`): same sizes, strides and
    device as the host input, values as the host computes them up to the last ulp of ndtr / exp."""
    fused = torch.randn(4, 96, dtype=torch.bfloat16)
    inputs = [fused[:, 32:64], torch.randn(4, 1).expand(4, 8), torch.randn(8, 6).t(), torch.randn(3, 5)]
    for name, (_, transform) in TRANSFORMS.items():
        for x in inputs:
            out = transformed_on("cuda", transform, x)
            assert out.device == x.device and out.shape == x.shape and out.stride() == x.stride(), name
            torch.testing.assert_close(torch.nan_to_num(out.float()), torch.nan_to_num(transform(x).float()),
                                       rtol=1e-2, atol=1e-5, msg=name)


def test_on_the_cpu_a_transform_is_applied_as_it_is():
    x = torch.randn(8, 6).t()
    for name, (_, transform) in TRANSFORMS.items():
        assert torch.equal(torch.nan_to_num(transformed_on("cpu", transform, x)),
                           torch.nan_to_num(transform(x))), name


def test_a_partly_changed_input_keeps_its_layout():
    x, y = torch.randn(4, 96)[:, 32:64], torch.randn(4, 96)[:, 32:64]
    changed = partly_changed([x], [y])[0]
    assert changed.stride() == x.stride()
    assert bool(((changed == x) | (changed == y)).all()) and not torch.equal(changed, x)


def test_an_honest_kernel_that_checks_its_layout_is_accepted():
    verdict = verify(SLICED, LAYOUT_CHECKING, dtype="float32", atol=1e-5, rtol=1e-5,
                     options=VerifyOptions(device="cpu", timeout_s=120, num_seeds=1))
    assert verdict.status is Status.ACCEPTED, verdict.reason
    assert "transforms" in verdict.reason


def test_inputs_drawn_on_a_device_come_back_in_their_layout():
    """A GPU draw crosses to the host for the worker's requests. `Tensor.to` makes an overlapping input (an
    expanded class token, stride 0) contiguous: Inductor's code for that spec asserted stride 0 and failed on
    an H200 (yield run B). The meta device stands in for the GPU: its `to` drops the layout the same way."""
    expanded = torch.randn(768).as_strided((256, 1, 768), (0, 768, 1))
    permuted = torch.randn(4, 8, 6).permute(0, 2, 1)
    assert expanded.to("meta").stride() != expanded.stride()  # what the draw did before
    for x in (expanded, permuted, torch.randn(3, 5), torch.empty(0, 4)):
        moved = moved_keeping_layout(x, "meta")
        assert moved.shape == x.shape and moved.stride() == x.stride() and moved.device.type == "meta"
        back = moved_keeping_layout(x, "cpu")
        assert back.stride() == x.stride() and torch.equal(back, x)
