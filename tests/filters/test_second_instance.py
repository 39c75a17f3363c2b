"""The candidate's second instance (filters.verifier.checks.CandidateChecks.second_instance): built under a
public seed (0 or 42) beside the first one's secret seed, in a drawn order, and held to the reference built
alike, so a draw in `__init__` compared with a public seed's meets both (rt_detect_seed_probe_in_init)."""

from __future__ import annotations

from filters.verifier import disguise
from filters.verifier.checks import CandidateChecks
from filters.verifier.options import VerifyOptions
from filters.verifier.verify import verify
from kerneldata.core.outcomes import Status
from tests.filters import candidates as c

OPTIONS = VerifyOptions(device="cpu", timeout_s=60, num_seeds=2)

# A ReLU whose kernel also stores 1.0 into a buffer the model holds: a one-time initialisation, which changes
# the buffer's bits on the first call of each instance only.
LAZY_INIT = c._HEADER + '''
@triton.jit
def relu_kernel(x_ptr, out_ptr, flag_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=offs < n)
    if tl.program_id(0) == 0:
        tl.store(flag_ptr, 1.0)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("ready", torch.zeros(1))
        self.register_buffer("unused", torch.rand(1))  # a draw in __init__: the second instance is called

    def forward(self, x):
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, self.ready, x.numel(), BLOCK=1024)
        return out
'''


def test_the_public_seed_and_the_order_are_drawn():
    assert {disguise.twin_seed() for _ in range(64)} == set(disguise.PUBLIC_SEEDS)
    assert {disguise.twin_first() for _ in range(64)} == {True, False}


def test_each_instance_may_initialise_its_own_state_once(monkeypatch):
    seen = []
    original = CandidateChecks.second_instance

    def spied(self):
        verdict = original(self)
        seen.append(self.twin_built)
        return verdict

    monkeypatch.setattr(CandidateChecks, "second_instance", spied)
    verdict = verify(c.RELU_PROBLEM, LAZY_INIT, dtype="float32", atol=1e-5, rtol=1e-5, options=OPTIONS)
    assert verdict.status is Status.ACCEPTED, verdict
    assert seen == [True]  # the second instance was built and called
    # building a model that draws nothing cannot show its seed: no second call for it
    seen.clear()
    plain = LAZY_INIT.replace('        self.register_buffer("unused", torch.rand(1))', "")
    verdict = verify(c.RELU_PROBLEM, plain, dtype="float32", atol=1e-5, rtol=1e-5, options=OPTIONS)
    assert verdict.status is Status.ACCEPTED and seen == [False], (verdict, seen)
