"""Candidates judged at once, in threads of one process (verify-batch, the pipeline's verifier actor), each
see the reference built from their own seed: the reference's draws from torch's global generator are not
interleaved with another thread's. On an H200 they were, and correct matmul + bias kernels were rejected for
a mismatch because the reference's bias came from another thread's seed."""

from __future__ import annotations

import threading
import time

from kerneldata.core.outcomes import Status
from filters.verifier.options import VerifyOptions
from filters.verifier.runtime import Runtime
from filters.verifier.verify import verify

# The pause between the two parameter draws leaves another thread time to seed and draw in between.
SCALE_SHIFT_PROBLEM = '''
import time
import torch
import torch.nn as nn

class Model(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.scale = nn.Parameter(torch.randn(n))
        time.sleep(0.6)
        self.shift = nn.Parameter(torch.randn(n))
    def forward(self, x):
        return x * self.scale + self.shift

N = 256

def get_inputs():
    return [torch.randn(8, N)]

def get_init_inputs():
    return [N]
'''

SCALE_SHIFT_CANDIDATE = '''
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def scale_shift_kernel(x_ptr, scale_ptr, shift_ptr, out_ptr, n_cols, BLOCK: tl.constexpr):
    # one program per row; BLOCK covers the row
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * n_cols + cols, mask=mask)
    scale = tl.load(scale_ptr + cols, mask=mask)
    shift = tl.load(shift_ptr + cols, mask=mask)
    tl.store(out_ptr + row * n_cols + cols, x * scale + shift, mask=mask)

class ModelNew(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.scale = nn.Parameter(torch.randn(n))
        self.shift = nn.Parameter(torch.randn(n))
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        scale_shift_kernel[(x.shape[0],)](x, self.scale, self.shift, out, x.shape[1],
                                          BLOCK=triton.next_power_of_2(x.shape[1]))
        return out
'''


def test_candidates_judged_at_once_each_get_the_reference_of_their_own_seed():
    options = VerifyOptions(device="cpu", timeout_s=120, num_seeds=1)
    verdicts = [None, None]
    with Runtime("cpu") as runtime:
        def judge(slot: int) -> None:
            verdicts[slot] = verify(SCALE_SHIFT_PROBLEM, SCALE_SHIFT_CANDIDATE, dtype="float32", atol=1e-5,
                                    rtol=1e-5, options=options, runtime=runtime)

        threads = [threading.Thread(target=judge, args=(slot,)) for slot in range(2)]
        threads[0].start()
        time.sleep(0.2)  # the second starts while the first's reference sleeps between its draws
        threads[1].start()
        for thread in threads:
            thread.join()
    for verdict in verdicts:
        assert verdict.status is Status.ACCEPTED, verdict
