"""DLRM-style recommendation blocks as small torch modules, at production table sizes (built on fake tensors,
so a 40M-row table costs nothing): what KernelEvolve-style production models spend their time on besides
GEMMs.

- `DLRMBlock` (MLPerf DLRM on Criteo): one `EmbeddingBag` (sum pooling over a bag of ids given by offsets)
  per sparse feature, a bottom MLP over the dense features, the pairwise dot-product feature interaction
  (a batched GEMM of the stacked features with themselves, its strict lower triangle gathered), and a top
  MLP; the training regime adds the binary cross-entropy loss.
- `JaggedSequenceBlock`: a user's history of variable length (jagged values with per-user lengths), looked
  up in a large table and pooled three ways: a recency-weighted embedding bag, segment sum and segment max
  (`torch.segment_reduce`), then scored against the candidate item.

Limits: ids and lengths are shapes only here (all bags the same length), as in a captured trace; the
rendered problems draw lengths and ids at random within the recorded sizes.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def _mlp(sizes: list[int], dtype: torch.dtype, final_activation: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = []
    for index, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(n_in, n_out, dtype=dtype))
        if final_activation or index < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class DLRMBlock(nn.Module):
    def __init__(self, *, num_tables: int, rows_per_table: int, embedding_dim: int, num_dense: int,
                 bottom_mlp: list[int], top_mlp: list[int], ids_per_bag: int,
                 dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.ids_per_bag = ids_per_bag
        self.tables = nn.ModuleList(nn.EmbeddingBag(rows_per_table, embedding_dim, mode="sum", dtype=dtype)
                                    for _ in range(num_tables))
        self.bottom = _mlp([num_dense, *bottom_mlp[:-1], embedding_dim], dtype)
        features = num_tables + 1
        rows, cols = torch.tril_indices(features, features, offset=-1)
        self.register_buffer("pair_rows", rows, persistent=False)
        self.register_buffer("pair_cols", cols, persistent=False)
        self.top = _mlp([embedding_dim + features * (features - 1) // 2, *top_mlp], dtype, final_activation=False)

    def forward(self, dense: torch.Tensor, ids: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        """dense (B, num_dense); ids (num_tables, B * ids_per_bag); offsets (B,) shared by the tables."""
        bottom = self.bottom(dense)
        pooled = [table(ids[t], offsets) for t, table in enumerate(self.tables)]
        stacked = torch.stack([bottom, *pooled], dim=1)  # (B, features, D)
        interactions = torch.bmm(stacked, stacked.transpose(1, 2))
        pairs = interactions[:, self.pair_rows, self.pair_cols]
        return self.top(torch.cat([bottom, pairs], dim=1)).squeeze(-1)


class JaggedSequenceBlock(nn.Module):
    def __init__(self, *, rows_per_table: int, embedding_dim: int, max_history: int, mean_history: int,
                 dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.max_history = max_history
        self.items = nn.Embedding(rows_per_table, embedding_dim, dtype=dtype)
        self.bag = nn.EmbeddingBag(rows_per_table, embedding_dim, mode="sum", dtype=dtype)
        self.score = _mlp([3 * embedding_dim, embedding_dim, 1], dtype, final_activation=False)

    def forward(self, history: torch.Tensor, lengths: torch.Tensor, offsets: torch.Tensor,
                recency: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
        """history (total,) ids of all users' histories back to back; lengths (B,) and offsets (B,) of each
        user's part; recency (total,) weights; candidates (B,) item ids."""
        weighted = self.bag(history, offsets, per_sample_weights=recency)
        looked_up = self.items(history)
        summed = torch.segment_reduce(looked_up, "sum", lengths=lengths)
        peak = torch.segment_reduce(looked_up, "max", lengths=lengths)
        target = self.items(candidates)
        features = torch.cat([weighted * target, summed * target, peak], dim=1)
        return self.score(features).squeeze(-1)


BLOCKS = {"DLRMBlock": DLRMBlock, "JaggedSequenceBlock": JaggedSequenceBlock}


def recsys_inputs(name: str, config: dict, batch: int) -> tuple[torch.Tensor, ...]:
    """Inputs of one forward at `batch` (made under the caller's fake mode)."""
    if name == "DLRMBlock":
        bag = config["ids_per_bag"]
        return (torch.randn(batch, config["num_dense"]),
                torch.zeros(config["num_tables"], batch * bag, dtype=torch.long),
                torch.arange(batch, dtype=torch.long) * bag)
    total = batch * config["mean_history"]
    return (torch.zeros(total, dtype=torch.long), torch.full((batch,), config["mean_history"], dtype=torch.long),
            torch.arange(batch, dtype=torch.long) * config["mean_history"], torch.rand(total),
            torch.zeros(batch, dtype=torch.long))


def recsys_loss(output: torch.Tensor) -> torch.Tensor:
    """The training regime's loss: binary cross-entropy against click labels."""
    return F.binary_cross_entropy_with_logits(output, torch.zeros_like(output))
