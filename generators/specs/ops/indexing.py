"""Indexing ("indexing"): embedding lookup, gather, index_select, index_add and take_along_dim.

Index inputs are int64 drawn in range (`index[0,N)` domains), and every indexed dim has at least two
entries: with one, every index is 0 and the output does not depend on the indices.
"""

from __future__ import annotations

from generators.specs.problem import In, OpDef
from generators.specs.shapes import BATCH, HIDDEN, ROWS, SEQ, VOCAB, Dim

_ROWS = Dim("rows", tuple(sorted(set(ROWS) | set(BATCH))), min_size=2)
_COLS = Dim("cols", (7, 64, 127, 128, 256, 500, 1024, 2048, 4096), min_size=2)
_PICK = Dim("picks", (1, 4, 16, 31, 64, 256, 1024))

OPS = [
    OpDef(name="embedding", family="indexing", doc="an embedding lookup of (batch, seq) token ids in a "
          "({vocab}, {hidden}) table", dims=(Dim("batch", BATCH), Dim("seq", SEQ), Dim("vocab", VOCAB, min_size=2),
                                             Dim("hidden", HIDDEN)),
          inputs=(In("ids", "batch seq", "index:vocab"),), output="batch seq hidden", forward="self.embed(ids)",
          init_args=("vocab", "hidden"), init="self.embed = nn.Embedding(vocab, hidden, dtype=DTYPE)",
          params=("vocab hidden",)),
    OpDef(name="gather", family="indexing", doc="torch.gather along the last dimension: {picks} entries of each "
          "row picked by index", dims=(_ROWS, _COLS, _PICK),
          inputs=(In("x", "rows cols"), In("index", "rows picks", "index:cols")), output="rows picks",
          forward="torch.gather(x, 1, index)"),
    OpDef(name="index_select", family="indexing", doc="{picks} rows of a (rows, cols) tensor selected by index",
          dims=(_ROWS, _COLS, _PICK), inputs=(In("x", "rows cols"), In("index", "picks", "index:rows")),
          output="picks cols", forward="torch.index_select(x, 0, index)"),
    OpDef(name="index_add", family="indexing", doc="x with {picks} source rows added into the rows named by index "
          "(repeated indices accumulate)", dims=(_ROWS, _COLS, _PICK),
          inputs=(In("x", "rows cols"), In("index", "picks", "index:rows"), In("src", "picks cols")),
          output="rows cols", forward="x.index_add(0, index, src)"),
    OpDef(name="take_along_dim", family="indexing", doc="torch.take_along_dim over the sequence dimension of a "
          "(batch, seq, hidden) tensor", dims=(Dim("batch", BATCH), Dim("seq", SEQ, min_size=2), Dim("hidden", HIDDEN),
                                               _PICK),
          inputs=(In("x", "batch seq hidden"), In("index", "batch picks hidden", "index:seq")),
          output="batch picks hidden", forward="torch.take_along_dim(x, index, dim=1)"),
]
