"""Normalisations ("normalization"): layer, RMS, batch, group and instance norms and L2 normalisation.

Every normalised group has at least two elements (a layer norm over one element returns its bias whatever
the input). Batch norm uses the batch's statistics (training-mode arithmetic, no running-stat update), so
the problem is the same in `eval()`, where the verifier runs it.
"""

from __future__ import annotations

from generators.specs.problem import In, OpDef
from generators.specs.shapes import BATCH, CHANNELS, HIDDEN, RES, ROWS, SEQ, Dim

_TOKENS = Dim("tokens", tuple(sorted(set(ROWS) | set(BATCH) | set(SEQ))))
_HIDDEN = Dim("hidden", HIDDEN, min_size=2)
_B = Dim("batch", BATCH)
_B2 = Dim("batch", BATCH, min_size=2)
_C = Dim("channels", CHANNELS)
_H = Dim("height", RES, min_size=2)
_W = Dim("width", RES)
_IMAGE = "batch channels height width"

OPS = [
    OpDef(name="layer_norm", family="normalization", doc="LayerNorm over the last dimension of a (tokens, hidden) "
          "tensor, with a learned scale and shift", dims=(_TOKENS, _HIDDEN), inputs=(In("x", "tokens hidden"),),
          output="tokens hidden", forward="self.norm(x)", init_args=("hidden",),
          init="self.norm = nn.LayerNorm(hidden, eps=1e-5, dtype=DTYPE)", params=("hidden", "hidden")),
    OpDef(name="layer_norm_no_affine", family="normalization", doc="LayerNorm without scale or shift over the last "
          "dimension", dims=(_TOKENS, _HIDDEN), inputs=(In("x", "tokens hidden", transposable=True),),
          output="tokens hidden", forward="F.layer_norm(x, x.shape[-1:], eps=1e-5)"),
    OpDef(name="rms_norm", family="normalization", doc="RMSNorm, x / sqrt(mean(x^2) + eps) * weight, over the "
          "last dimension", dims=(_TOKENS, _HIDDEN), inputs=(In("x", "tokens hidden"),), output="tokens hidden",
          forward="x * torch.rsqrt(torch.mean(x * x, dim=-1, keepdim=True) + 1e-6) * self.weight",
          init_args=("hidden",), init="self.weight = nn.Parameter(1 + 0.1 * torch.randn(hidden, dtype=DTYPE))",
          params=("hidden",)),
    OpDef(name="batch_norm", family="normalization", doc="batch normalisation of an (N, C, H, W) tensor with the "
          "batch's own statistics and a learned per-channel scale and shift", dims=(_B2, _C, _H, _W),
          inputs=(In("x", _IMAGE),), output=_IMAGE,
          forward="F.batch_norm(x, None, None, self.weight, self.bias, training=True, eps=1e-5)",
          init_args=("channels",), init="self.weight = nn.Parameter(1 + 0.1 * torch.randn(channels, dtype=DTYPE))\n"
                                        "self.bias = nn.Parameter(0.1 * torch.randn(channels, dtype=DTYPE))",
          params=("channels", "channels")),
    OpDef(name="group_norm", family="normalization", doc="GroupNorm with {groups} groups over an (N, C, H, W) "
          "tensor", dims=(_B, Dim("groups", (1, 2, 4, 8, 16, 32), edge=False),
                          Dim("group_channels", (1, 2, 4, 8, 16, 32)), _H, _W),
          derive=lambda d: {"channels": d["groups"] * d["group_channels"]},
          inputs=(In("x", _IMAGE),), output=_IMAGE, forward="self.norm(x)", init_args=("groups", "channels"),
          init="self.norm = nn.GroupNorm(groups, channels, eps=1e-5, dtype=DTYPE)", params=("channels", "channels")),
    OpDef(name="instance_norm", family="normalization", doc="instance normalisation (each sample and channel over "
          "its H x W plane) of an (N, C, H, W) tensor", dims=(_B, _C, _H, _W), inputs=(In("x", _IMAGE),),
          output=_IMAGE, forward="F.instance_norm(x, eps=1e-5)"),
    OpDef(name="l2_normalize", family="normalization", doc="each row divided by its Euclidean norm",
          dims=(_TOKENS, _HIDDEN), inputs=(In("x", "tokens hidden", transposable=True),), output="tokens hidden",
          forward="F.normalize(x, p=2.0, dim=-1)"),
]
