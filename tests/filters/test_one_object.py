"""Inputs handed over as one tensor object (filters.verifier.inputs.one_object_sources): in use, `x @ x`,
`sdpa(x, x, x)` and `add(h, h)` hand a kernel the same tensor twice; a launcher asking `a is b` must meet
that under verification too (rt_detect_same_input_object)."""

from __future__ import annotations

import torch

from filters.verifier.inputs import one_object_sources
from filters.verifier.options import VerifyOptions
from filters.verifier.verify import verify
from kerneldata.core.outcomes import Status
from tests.filters import candidates as c


def test_each_float_input_takes_the_first_earlier_one_of_its_kind():
    a, b, w = torch.randn(4, 8), torch.randn(4, 8), torch.randn(8, 8)
    assert one_object_sources([a, b, w, torch.randn(8, 8)], None) == [0, 0, 2, 2]
    # another dtype, another layout, another domain, an integer tensor: drawn on their own
    assert one_object_sources([a, b.half()], None) is None
    assert one_object_sources([w, torch.randn(8, 8).t()], None) is None
    assert one_object_sources([a, b], ["normal", "positive"]) is None
    assert one_object_sources([torch.arange(4), torch.arange(4), 3], None) is None
    assert one_object_sources([a, 0.5, b], None) == [0, 1, 0]


def test_the_worker_hands_the_same_object_and_an_honest_kernel_passes():
    from filters.verifier.ipc import pack_tensors
    from filters.verifier.sandbox_child import _Session

    session = _Session.__new__(_Session)
    session.torch, session.device = torch, "cpu"
    a, b = torch.randn(4, 8), torch.randn(4, 8)
    frame = b"".join(bytes(segment) for segment in pack_tensors([a, b, a]))
    first, second, third = session._inputs(frame, offset=True, seed=3, same_as=[0, 0, 0])
    assert first is second is third and torch.equal(first, a) and first.storage_offset() > 0
    # an honest two-input kernel (a matmul) is right when both inputs are one object, and the call is counted (the -inf mask is not: a product of -inf is not finite)
    options = VerifyOptions(device="cpu", timeout_s=60, num_seeds=2, draw_key="tests/filters/test_one_object")
    verdict = verify(c.MATMUL_PROBLEM, c.IEEE_MATMUL, dtype="float32", atol=1e-4, rtol=1e-4, options=options)
    assert verdict.status is Status.ACCEPTED and "and 9 transforms of them" in verdict.reason, verdict
