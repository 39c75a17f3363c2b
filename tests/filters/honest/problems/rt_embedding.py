"""Embedding lookup: a 1000x64 fp32 table gathered by 8x32 int64 token ids."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, num_embeddings, embedding_dim):
        super().__init__()
        self.embedding = nn.Embedding(num_embeddings, embedding_dim)

    def forward(self, ids):
        return self.embedding(ids)


def get_inputs():
    return [torch.randint(0, 1000, (8, 32))]


def get_init_inputs():
    return [1000, 64]
