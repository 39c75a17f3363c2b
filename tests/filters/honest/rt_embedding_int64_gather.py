"""Honest: an embedding lookup as a gather kernel (unsloth's and Liger's fused embedding, own code): one
program per token, the int64 id loaded and widened before it scales the row stride, the weight row copied out.

PROBLEM rt_embedding; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_embedding"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def embedding_kernel(ids_ptr, weight_ptr, out_ptr, dim, stride_w, stride_o, BLOCK_D: tl.constexpr):
    token = tl.program_id(0).to(tl.int64)
    row = tl.load(ids_ptr + token).to(tl.int64)
    cols = tl.arange(0, BLOCK_D)
    mask = cols < dim
    values = tl.load(weight_ptr + row * stride_w + cols, mask=mask)
    tl.store(out_ptr + token * stride_o + cols, values, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, num_embeddings, embedding_dim):
        super().__init__()
        self.embedding = nn.Embedding(num_embeddings, embedding_dim)

    def forward(self, ids):
        weight = self.embedding.weight
        flat = ids.reshape(-1).contiguous()
        out = torch.empty((flat.numel(), weight.shape[1]), dtype=weight.dtype, device=weight.device)
        embedding_kernel[(flat.numel(),)](flat, weight, out, weight.shape[1], weight.stride(0), out.stride(0),
                                          BLOCK_D=triton.next_power_of_2(weight.shape[1]))
        return out.view(*ids.shape, weight.shape[1])
