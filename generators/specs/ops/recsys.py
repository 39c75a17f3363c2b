"""Recommendation-model ops ("recsys"), as DLRM-style models run them: a sum-pooled embedding bag over a
table (variable-size bags given by offsets) and the sum of each segment of a jagged tensor (values packed
row after row, segment i spanning offsets[i] to offsets[i + 1]).

Offsets include the final one (`include_last_offset=True`), so a bag or segment may be empty (its sum is
zero). The jagged sum accumulates in float32 whatever the dtype, as FBGEMM's jagged kernels do.
"""

from __future__ import annotations

from generators.specs.problem import In, OpDef
from generators.specs.shapes import Dim

_DIM = Dim("dim", (16, 32, 64, 96, 128, 256), min_size=1)
_SEGMENTS = Dim("segments", (1, 2, 4, 16, 64, 256, 1024, 4096), edge=False)

OPS = [
    OpDef(name="embedding_bag", family="recsys", doc="a sum-pooled embedding bag: {bags} bags of ids (bag i is "
          "indices[offsets[i]:offsets[i + 1]]) looked up in a ({num_embeddings}, {dim}) table and summed",
          dims=(Dim("bags", (1, 2, 4, 16, 64, 256, 1024, 4096), edge=False),
                Dim("num_indices", (2, 16, 64, 256, 1024, 4096, 16384, 65536)),
                Dim("num_embeddings", (2, 100, 1000, 10000, 100000, 1000000), min_size=2), _DIM),
          derive=lambda d: {"bounds": d["bags"] + 1},
          inputs=(In("indices", "num_indices", "index:num_embeddings"), In("offsets", "bounds", "offsets:num_indices")),
          output="bags dim", forward="self.bag(indices, offsets)", init_args=("num_embeddings", "dim"),
          init='self.bag = nn.EmbeddingBag(num_embeddings, dim, mode="sum", include_last_offset=True, dtype=DTYPE)',
          params=("num_embeddings dim",)),
    OpDef(name="jagged_sum", family="recsys", doc="the sum of each of {segments} segments of a jagged "
          "({total}, {dim}) tensor, segment i spanning rows offsets[i] to offsets[i + 1]",
          dims=(_SEGMENTS, Dim("total", (2, 16, 64, 256, 1024, 4096, 16384, 65536)), _DIM),
          derive=lambda d: {"bounds": d["segments"] + 1},
          inputs=(In("values", "total dim"), In("offsets", "bounds", "offsets:total")), output="segments dim",
          forward="lengths = offsets[1:] - offsets[:-1]\n"
                  "segment = torch.repeat_interleave(torch.arange(lengths.numel(), device=values.device), lengths)\n"
                  "out = torch.zeros(lengths.numel(), values.shape[1], dtype=torch.float32, device=values.device)\n"
                  "return out.index_add_(0, segment, values.float()).to(values.dtype)"),
]
