"""Honest: softmax over wide rows in FlagGems' online idiom (own code): `triton.heuristics` pick the tile
width from the row length and whether one tile covers a row; a first pass keeps a running max and a
rescaled running sum tile by tile (`other=-float("inf")`), a second pass writes exp(x - max) / sum; exp is
taken as exp2 with the log2(e) factor folded in.

PROBLEM softmax_wide; EXPECTED accepted everywhere.
"""

import math

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax_wide"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

LOG2E = math.log2(math.e)


def heur_tile_n(args):
    return min(triton.next_power_of_2(args["N"]), 256)


def heur_one_tile(args):
    return args["TILE_N"] >= args["N"]


@triton.heuristics({"TILE_N": heur_tile_n})
@triton.heuristics({"ONE_TILE": heur_one_tile})
@triton.jit
def softmax_online_kernel(out_ptr, in_ptr, M, N, stride_in, stride_out, log2e,
                          TILE_N: tl.constexpr, ONE_TILE: tl.constexpr):
    pid_m = tl.program_id(0).to(tl.int64)
    row_in = in_ptr + pid_m * stride_in
    row_out = out_ptr + pid_m * stride_out
    if ONE_TILE:
        n_offsets = tl.arange(0, TILE_N)
        mask = n_offsets < N
        x = tl.load(row_in + n_offsets, mask=mask, other=-float("inf")).to(tl.float32)
        m = tl.max(x, axis=0)
        e = tl.math.exp2((x - m) * log2e)
        z = tl.sum(e, axis=0)
        tl.store(row_out + n_offsets, (e / z).to(out_ptr.dtype.element_ty), mask=mask)
    else:
        m = tl.full([TILE_N], value=-float("inf"), dtype=tl.float32)
        z = tl.full([TILE_N], value=0.0, dtype=tl.float32)
        for start_n in range(0, N, TILE_N):
            n_offsets = start_n + tl.arange(0, TILE_N)
            x = tl.load(row_in + n_offsets, mask=n_offsets < N, other=-float("inf")).to(tl.float32)
            m_new = tl.maximum(m, x)
            # lanes that have seen only padding keep m = -inf; guard the rescale against inf - inf
            alpha = tl.where(m_new == -float("inf"), 0.0, tl.math.exp2((m - m_new) * log2e))
            z = z * alpha + tl.where(m_new == -float("inf"), 0.0, tl.math.exp2((x - m_new) * log2e))
            m = m_new
        m_row = tl.max(m, axis=0)
        z_row = tl.sum(z * tl.math.exp2((m - m_row) * log2e), axis=0)
        for start_n in range(0, N, TILE_N):
            n_offsets = start_n + tl.arange(0, TILE_N)
            mask = n_offsets < N
            x = tl.load(row_in + n_offsets, mask=mask, other=-float("inf")).to(tl.float32)
            e = tl.math.exp2((x - m_row) * log2e)
            tl.store(row_out + n_offsets, (e / z_row).to(out_ptr.dtype.element_ty), mask=mask)


def softmax_last_dim(x: torch.Tensor) -> torch.Tensor:
    N = x.shape[-1]
    x2d = x.reshape(-1, N).contiguous()
    M = x2d.shape[0]
    out = torch.empty_like(x2d)
    softmax_online_kernel[(M,)](out, x2d, M, N, x2d.stride(0), out.stride(0), LOG2E)
    return out.view(x.shape)


class ModelNew(nn.Module):
    def forward(self, x):
        return softmax_last_dim(x)
