"""Honest: FlagGems' wrapper shape (own code): a module-level `logger = logging.getLogger(__name__)` and a
`logger.debug("GEMS ADD")` statement at the start of the wrapper, a shape logged at info level, and a
`warnings.warn` for a path the wrapper does not fuse. Logging a message written out and host numbers
computes nothing and keeps nothing the candidate can read back.

PROBLEM add; EXPECTED accepted everywhere.
"""

import logging
import warnings

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "add"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

logger = logging.getLogger(__name__)


@triton.jit
def add_func(x_ptr, y_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    y = tl.load(y_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, x + y, mask=mask)


def add(A: torch.Tensor, B: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    logger.debug("GEMS ADD")
    if alpha != 1.0:
        warnings.warn("add: alpha is not fused into the kernel")
    A, B = A.contiguous(), B.contiguous()
    out = torch.empty_like(A)
    n_elements = out.numel()
    logger.info("GEMS ADD %d elements, shape %s", n_elements, A.shape)
    add_func[(triton.cdiv(n_elements, 1024),)](A, B, out, n_elements, BLOCK_SIZE=1024)
    return out


class ModelNew(nn.Module):
    def forward(self, x, y):
        return add(x, y)
