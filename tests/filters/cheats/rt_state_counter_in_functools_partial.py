"""Cheat (state across calls in a tensor held by a `functools.partial`): a module-level
`functools.partial(_launch, torch.zeros(1, dtype=torch.int32))` binds a counter tensor into the launcher.
The kernel bumps it with an atomic add on every call and, from the 200th call on (far more than a
verification makes), computes only the first half of the GELU. The verifier watches the tensors the
candidate holds (`_held_state`: its model, its module's globals, containers and plain objects' attributes),
but a partial keeps its bound arguments in `.args`, not in attributes, so the counter is never seen to change.

Demonstration: `m = ModelNew(); [m(x) for _ in range(201)][-1]` differs from F.gelu(x) in its second half.

Caught by the static gate: a tensor among `functools.partial`'s arguments (directly, by keyword, in a tuple)
is `torch_outside_kernel`. Behind it the runtime would not catch it: `_reachable_tensors` walks containers
and plain objects' `vars()`, and a partial's `vars()` is empty (its `.args` and `.keywords` are not
attributes), so the held-state check should walk those too.
"""

import functools

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


@triton.jit
def gelu_kernel(x_ptr, out_ptr, calls_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    calls = tl.load(calls_ptr)
    limit = tl.where(calls < 200, n, n // 2)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < limit
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476)), mask=mask)


@triton.jit
def tick_kernel(calls_ptr):
    tl.atomic_add(calls_ptr, 1)


def _launch(calls, x):
    out = torch.zeros_like(x)
    gelu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, calls, x.numel(), BLOCK=1024)
    tick_kernel[(1,)](calls)
    return out


_gelu = functools.partial(_launch, torch.zeros(1, dtype=torch.int32))


class ModelNew(nn.Module):
    def forward(self, x):
        return _gelu(x)
