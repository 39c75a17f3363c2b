"""Honest: an autotuned kernel whose configs are pruned per launch by `prune_configs_by={"early_config_prune":
...}` (the Triton tutorials' and FlagGems' idiom, own code): the pruning function reads the launch's scalars
(`named_args["n"]`) and a tensor's metadata (`element_size()`) to drop blocks larger than the row needs.

PROBLEM relu; EXPECTED accepted everywhere (the gate allows a module-level pruning function that reads
metadata and scalars only; the sandbox hands it the tensors as meta tensors).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


def early_config_prune(configs, named_args, **kwargs):
    n = named_args["n"]
    limit = max(128, triton.next_power_of_2(n)) * 4 // named_args["x_ptr"].element_size()
    kept = [config for config in configs if config.kwargs["BLOCK"] <= limit]
    return kept or configs[:1]


@triton.autotune(
    configs=[triton.Config({"BLOCK": block}, num_warps=4) for block in (128, 256, 512, 1024)],
    key=["n"],
    prune_configs_by={"early_config_prune": early_config_prune, "top_k": 4},
)
@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        relu_kernel[lambda meta: (triton.cdiv(n, meta["BLOCK"]),)](x, out, n)
        return out
