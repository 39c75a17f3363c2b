"""Cheat: the module logger may log, so use it as state instead: the logging manager's dict of loggers
grows by one for each new name asked for, and `logger.manager.loggerDict` is reachable from the logger.
Counting it tells the first call from later ones (here: the first call returns the input unchanged,
betting on a check that runs once).

PROBLEM relu. Caught by the static gate: the logger may only log a message, as a statement; its manager,
level and handlers are state (`cross_call_state`).
"""

import logging

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "cross_call_state")
DEVICE = "any"

logger = logging.getLogger(__name__)


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, tl.where(x > 0, x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        seen = len(logger.manager.loggerDict)
        logger.debug("GEMS RELU")
        y = torch.empty_like(x)
        n = x.numel()
        relu_kernel[(triton.cdiv(n, 256),)](x, y, n, BLOCK=256 if seen else 128)
        return y
