"""Module globals a kernel reads (filters.verifier.sandbox_child `_check_kernel_globals`): Triton's compiler
accepts only `tl.constexpr` values, modules, jit functions and its own objects; the interpreter runs a kernel
body as Python and reads anything, so the verifier refuses on CPU what a GPU would refuse to compile."""

from __future__ import annotations

import pytest

from filters.verifier.options import VerifyOptions
from filters.verifier.verify import verify
from kerneldata.core.outcomes import Reason, Status
from tests.filters import candidates as c

OPTIONS = VerifyOptions(device="cpu", timeout_s=60, num_seeds=2)

_SCALED_RELU = c._HEADER + '''
SCALE = GLOBAL


@triton.jit
def scaled(x):
    return x * SCALE


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
    tl.store(out_ptr + offs, scaled(tl.maximum(x, 0.0)), mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
        return out
'''


@pytest.mark.parametrize(("value", "accepted"), [("1.0", False), ("tl.constexpr(1.0)", True)])
def test_a_plain_global_in_a_called_device_function_is_a_compile_error(value, accepted):
    verdict = verify(c.RELU_PROBLEM, _SCALED_RELU.replace("GLOBAL", value), dtype="float32", atol=1e-5, rtol=1e-5,
                     options=OPTIONS)
    if accepted:
        assert verdict.status is Status.ACCEPTED, verdict
    else:
        assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.COMPILE_ERROR, verdict
        assert "global variable SCALE" in verdict.reason, verdict
