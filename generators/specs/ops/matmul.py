"""Matrix products ("matmul"): square, rectangular, skinny (decode-like), batched and broadcast-batched,
transposed operands, and linear layers with bias and activation epilogues.

`matmul` (a (M, K) @ b (K, N)) is the problem the built-in teacher's tiled template answers. Transposed
operands come two ways: as KernelBench writes them (`a.T` in `forward`, the stored operand being (K, M)) and
as a non-contiguous view handed to `forward` (a sampled layout).
"""

from __future__ import annotations

from generators.specs.problem import In, OpDef
from generators.specs.shapes import BATCH, HEADS, HIDDEN, MATMUL, SKINNY, Dim

_M, _N, _K = Dim("m", MATMUL), Dim("n", MATMUL), Dim("k", MATMUL)
_SQ = Dim("size", MATMUL)
_TOKENS = Dim("tokens", (1, 4, 16, 32, 64, 128, 256, 512, 1024, 2048))
_IN, _OUT = Dim("in_features", HIDDEN), Dim("out_features", HIDDEN)
_BATCH = Dim("batch", BATCH)


def _linear(name: str, expr: str, doc: str) -> OpDef:
    return OpDef(name=name, family="matmul", doc=doc, dims=(_TOKENS, _IN, _OUT),
                 inputs=(In("x", "tokens in_features"),), output="tokens out_features", forward=expr,
                 init_args=("in_features", "out_features"),
                 init="self.linear = nn.Linear(in_features, out_features, bias=True, dtype=DTYPE)",
                 params=("out_features in_features", "out_features"))


OPS = [
    OpDef(name="matmul", family="matmul", doc="the matrix product a @ b for a ({m}, {k}) and b ({k}, {n})",
          dims=(_M, _N, _K), inputs=(In("a", "m k", transposable=True), In("b", "k n")), output="m n",
          forward="torch.matmul(a, b)"),
    OpDef(name="matmul_square", family="matmul", doc="the product of two square ({size}, {size}) matrices",
          dims=(_SQ,), inputs=(In("a", "size size"), In("b", "size size")), output="size size",
          forward="torch.matmul(a, b)"),
    OpDef(name="matmul_skinny", family="matmul", doc="a skinny product: a ({m}, {k}) with few rows times b "
          "({k}, {n}), as in decoding", dims=(Dim("m", SKINNY, edge=False), _N, _K),
          inputs=(In("a", "m k"), In("b", "k n")), output="m n", forward="torch.matmul(a, b)"),
    OpDef(name="matvec", family="matmul", doc="a matrix-vector product: a ({m}, {k}) times x ({k}, 1)",
          dims=(_M, _K), inputs=(In("a", "m k"), In("x", "k 1")), output="m 1", forward="torch.matmul(a, x)"),
    OpDef(name="bmm", family="matmul", doc="a batched matrix product of ({batch}, {m}, {k}) and ({batch}, {k}, {n})",
          dims=(_BATCH, _M, _N, _K), inputs=(In("a", "batch m k"), In("b", "batch k n")), output="batch m n",
          forward="torch.bmm(a, b)"),
    OpDef(name="matmul_broadcast", family="matmul", doc="a (batch, heads, m, k) tensor times one (k, n) matrix "
          "broadcast over batch and heads", dims=(_BATCH, Dim("heads", HEADS), _M, _N, _K),
          inputs=(In("a", "batch heads m k"), In("b", "k n")), output="batch heads m n",
          forward="torch.matmul(a, b)"),
    OpDef(name="matmul_transposed_a", family="matmul", doc="a.T @ b for a stored as ({k}, {m}) and b ({k}, {n})",
          dims=(_M, _N, _K), inputs=(In("a", "k m"), In("b", "k n")), output="m n", forward="torch.matmul(a.T, b)"),
    OpDef(name="matmul_transposed_b", family="matmul", doc="a @ b.T for a ({m}, {k}) and b stored as ({n}, {k})",
          dims=(_M, _N, _K), inputs=(In("a", "m k"), In("b", "n k")), output="m n", forward="torch.matmul(a, b.T)"),
    _linear("linear", "self.linear(x)", "a linear layer, x @ W.T + b"),
    _linear("linear_relu", "torch.relu(self.linear(x))", "a linear layer followed by ReLU"),
    _linear("linear_gelu", "F.gelu(self.linear(x))", "a linear layer followed by GELU"),
]
