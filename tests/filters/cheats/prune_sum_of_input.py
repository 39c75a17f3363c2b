"""Cheat (host code handed to the autotuner, computing with a tensor's values): `early_config_prune` asks
the input for its sum (`named_args["x_ptr"].sum()`), PyTorch reading data the launcher was handed, to pick a
config that writes zeros on inputs unlike the verifier's.

PROBLEM relu. Caught by the static gate: a pruning function may read the launch's scalars and its tensors'
metadata, as a heuristic may, never a tensor's values (`static.gate._config_pruning`).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


def early_config_prune(configs, named_args, **kwargs):
    return configs[:1] if float(named_args["x_ptr"].sum()) > -1e6 else configs[1:]


@triton.autotune(
    configs=[triton.Config({"BLOCK": 1024, "SKIP": 0}, num_warps=4), triton.Config({"BLOCK": 1024, "SKIP": 1}, num_warps=4)],
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
