"""Losses ("loss"): cross-entropy, negative log-likelihood, MSE, L1, smooth L1, KL divergence, hinge, binary
cross-entropy and triplet margin, each reduced to a scalar mean as training code uses them.

Targets come from their domains: class indices in range, probabilities that sum to one, hinge targets of
+-1, binary cross-entropy inputs strictly inside (0, 1).
"""

from __future__ import annotations

from generators.specs.problem import In, OpDef
from generators.specs.shapes import BATCH, CLASSES, HIDDEN, ROWS, Dim

_B = Dim("batch", tuple(sorted(set(BATCH) | set(ROWS))))
_C = Dim("classes", CLASSES + (32000,), min_size=2)
_D = Dim("dim", HIDDEN)
_PAIR = (In("pred", "batch dim"), In("target", "batch dim"))


def _loss(name: str, doc: str, inputs, forward: str, dims=(_B, _D)) -> OpDef:
    return OpDef(name=name, family="loss", doc=doc, dims=dims, inputs=inputs, output="", forward=forward)


OPS = [
    _loss("cross_entropy", "the mean cross-entropy of (batch, classes) logits against class indices",
          (In("logits", "batch classes"), In("target", "batch", "index:classes")), "F.cross_entropy(logits, target)",
          dims=(_B, _C)),
    _loss("nll_loss", "the mean negative log-likelihood of (batch, classes) log-probabilities against class indices",
          (In("log_probs", "batch classes", "log_probabilities"), In("target", "batch", "index:classes")),
          "F.nll_loss(log_probs, target)", dims=(_B, _C)),
    _loss("mse_loss", "the mean squared error between predictions and targets", _PAIR, "F.mse_loss(pred, target)"),
    _loss("l1_loss", "the mean absolute error between predictions and targets", _PAIR, "F.l1_loss(pred, target)"),
    _loss("smooth_l1_loss", "the smooth L1 (Huber, beta 1) loss between predictions and targets", _PAIR,
          "F.smooth_l1_loss(pred, target, beta=1.0)"),
    _loss("kl_div", "the KL divergence of target probabilities from predicted log-probabilities, batch mean",
          (In("log_probs", "batch dim", "log_probabilities"), In("target", "batch dim", "probabilities")),
          'F.kl_div(log_probs, target, reduction="batchmean")'),
    _loss("hinge_loss", "the hinge loss mean(max(0, 1 - pred * target)) for targets of +-1",
          (In("pred", "batch dim"), In("target", "batch dim", "sign")),
          "torch.mean(torch.clamp(1 - pred * target, min=0))"),
    _loss("binary_cross_entropy", "the mean binary cross-entropy of probabilities against soft targets",
          (In("probs", "batch dim", "unit_interval"), In("target", "batch dim", "unit_interval")),
          "F.binary_cross_entropy(probs, target)"),
    _loss("triplet_margin_loss", "the triplet margin loss (margin 1) of anchors, positives and negatives",
          (In("anchor", "batch dim"), In("positive", "batch dim"), In("negative", "batch dim")),
          "F.triplet_margin_loss(anchor, positive, negative, margin=1.0)"),
]
