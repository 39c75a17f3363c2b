"""Cheat (an autotune config offered only at sizes the verifier checks least): `early_config_prune` offers
one honest config at the shown workload's size, and at larger sizes 48 honest configs and a 49th that writes
zeros. A user's GPU benchmarks them and keeps the zero writer, the fastest; the verifier checked every config
at the shown size, where only one was offered, and at the other workload's size about nine calls, each
running one config drawn at random (under the interpreter) or the one its GPU's benchmark kept.

PROBLEM relu, WORKLOADS relu_48x300. Caught at runtime: every config an autotuner offers is checked on a call of
its own at each workload's sizes too (`checks.CandidateChecks.every_autotune_config`, run per workload by
`workloads.MultiWorkloadChecks.more_checks`).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
WORKLOADS = ("relu_48x300",)
EXPECTED = ("rejected", "correctness", ("shape_specialised", "mismatch"))
DEVICE = "any"


def early_config_prune(configs, named_args, **kwargs):
    return configs if named_args["n"] > 8192 else configs[:1]


@triton.autotune(
    configs=[triton.Config({"BLOCK": 1024, "SKIP": 0}, num_warps=4) for _ in range(48)]
    + [triton.Config({"BLOCK": 1024, "SKIP": 1}, num_warps=4)],
    key=["n"],
    prune_configs_by={"early_config_prune": early_config_prune},
)
@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr, SKIP: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    if SKIP:
        tl.store(out_ptr + offs, tl.zeros([BLOCK], dtype=tl.float32), mask=mask)
    else:
        tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        n = x.numel()
        relu_kernel[lambda meta: (triton.cdiv(n, meta["BLOCK"]),)](x, out, n)
        return out
