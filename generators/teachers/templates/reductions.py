"""Row-engine templates (`rows.py`) for the ops that reduce along a dim: reductions ("reduction"), softmaxes
("softmax"), the norms ("normalization"), the losses ("loss") and global average pooling.

Each op is an `Entry`: the `RowOp` (what a row computes), how the launcher views the inputs as rows
(`prep`), how ModelNew builds its parameters, and the flawed versions of the op a model writes. Parameters
drawn at random in the reference (`1 + 0.1 * torch.randn(hidden)`) are drawn the same way, under the same
seed, and stored as the plain draw, the kernel applying the affine part: arithmetic on tensors belongs in
kernels.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from generators.specs import OPS
from generators.teachers.templates.base import (
    Draft, Group, Variant, fill, launch_warps, model_new, module, next_power_of_2,
)
from generators.teachers.templates.reference import registry_dims, transposed_inputs
from generators.teachers.templates.rows import (
    FINISH_KERNEL, MULTIPLY_HELPER, Flaw, Let, Reduce, RowOp, Shape, Vector, kernel,
)
from kerneldata.core.domains import preserving_transforms
from kerneldata.core.spec import RELATIVE_NORM_TOL

FLAWS: dict[str, tuple[str, float]] = {
    # One block per row with a fixed BLOCK_SIZE and no loop: columns past the block are ignored.
    "fixed_block": ("assumes a row fits in one fixed-size block; longer rows are reduced only in part", 0.25),
    # Masked loads give 0 and the reduction takes them: a max over a shifted (all-negative) row is 0, a
    # softmax's sum gains exp(0 - max) per padding lane, a product becomes 0.
    "zero_padding": ("padding lanes load 0 and enter the reduction", 0.25),
    # exp(x) without subtracting the row maximum: inf for inputs past 88, which inputs scaled by 64 reach.
    "no_max_subtraction": ("exp of the raw inputs, without subtracting the row maximum: overflows", 0.3),
    "biased_variance": ("variance divided by n instead of n - 1 (PyTorch's var/std are unbiased)", 0.3),
    "unbiased_variance": ("normalises with the unbiased variance (n - 1); normalisation layers use n", 0.25),
    "padded_mean": ("divides by the padded block width instead of the row length", 0.25),
    "sum_not_mean": ("returns the sum where the reference takes the mean", 0.15),
    "batchmean_as_mean": ("divides by the number of elements instead of the batch size (batchmean)", 0.3),
}


@dataclass(frozen=True)
class Entry:
    op: RowOp
    forward: str  # ModelNew.forward's arguments (the reference's inputs)
    prep: str  # launcher lines: shape checks, n_rows / n_cols (n_outer / n_red / n_inner), `out`
    call_extra: str = ""  # extra launcher arguments ModelNew passes (its parameters)
    size_values: tuple[str, ...] = ()  # launcher expressions for op.size_args
    init_args: str = ""
    init: str = ""
    middle: bool = False
    online: RowOp | None = None  # the same op with an online log-sum-exp (looped shapes)
    flawed: dict[str, RowOp] = field(default_factory=dict)
    # Whether padding lanes that load 0 change the result (`zero_padding` is only offered then), and
    # which order statistic the op takes (a fixed block misses the extreme only with some probability).
    order_statistic: bool = False


def _prep_2d(first: str, out: str, *, dtype: str = "", others: tuple[str, ...] = ()) -> str:
    """Launcher lines for (rows, cols) inputs: `out` is "row" (one value per row), "full" or "scalar"."""
    dtype = dtype or f"{first}.dtype"
    lines = [f'assert {first}.dim() == 2, f"expected a 2-D input, got shape {{tuple({first}.shape)}}"']
    lines += [f'assert {name}.shape == {first}.shape, "{name} must have the shape of {first}"' for name in others]
    lines.append(f"n_rows, n_cols = {first}.shape")
    shape = {"row": "(n_rows,)", "full": "(n_rows, n_cols)", "scalar": "()"}[out]
    lines.append(f"out = torch.empty({shape}, device={first}.device, dtype={dtype})")
    return "\n".join(lines)


def _rows(name: str, doc: str, steps, *, result=None, out=None, derive="", rows=("x",), finish=None,
          vectors=(), bool_rows=(), prelude="", row_scalars=(), offset="", size_args=(), helpers=()) -> RowOp:
    return RowOp(name=name, doc=doc, rows=tuple(rows), steps=tuple(steps), derive=derive, out=out, result=result,
                 finish=finish, vectors=tuple(vectors), bool_rows=tuple(bool_rows), prelude=prelude,
                 row_scalars=tuple(row_scalars), offset=offset, size_args=tuple(size_args), helpers=tuple(helpers))


def _softmax_like(name: str, doc: str, out: str, derive: str = "", rows=("x",), bool_rows=()) -> tuple:
    """(two-reduction op, online op, op without the max subtraction) of a softmax over `z`."""
    z = "z" if derive else "x"
    two = _rows(name, doc, [Reduce("row_max", "max", z), Reduce("row_sum", "sum", f"tl.exp({z} - row_max)")],
                out=out, derive=derive, rows=rows, bool_rows=bool_rows)
    online = replace(two, steps=(Reduce("row", "lse", z),))
    # The maximum is taken, as in the correct kernel, and then not subtracted: exp overflows past 88.
    naive = replace(two, steps=(Reduce("row_max", "max", z), Reduce("row_sum", "sum", f"tl.exp({z})")),
                    out=out.replace(" - row_max", ""))
    return two, online, naive


def _variance_steps(of: str, divisor: str, eps: str | None) -> list:
    steps = [Reduce("total", "sum", of), Let("mean", "total / n_cols"),
             Reduce("sq_dev", "sum", f"({of} - mean) * ({of} - mean)")]
    if eps is not None:
        steps.append(Let("rstd", f"1.0 / tl.sqrt(sq_dev / {divisor} + {eps})"))
    return steps


def _norm(name: str, doc: str, *, vectors=(), out="(x - mean) * rstd", offset="", size_args=()) -> tuple[RowOp, dict]:
    op = _rows(name, doc, _variance_steps("x", "n_cols", "1e-5"), out=out, vectors=vectors, offset=offset,
               size_args=size_args)
    unbiased = replace(op, steps=tuple(_variance_steps("x", "(n_cols - 1)", "1e-5")))
    padded = replace(op, steps=tuple(
        replace(s, expr=s.expr.replace("n_cols", "BLOCK_SIZE")) if isinstance(s, Let) else s
        for s in _variance_steps("x", "n_cols", "1e-5")))
    return op, {"unbiased_variance": unbiased, "padded_mean": padded}


def _entries() -> dict[str, Entry]:
    e: dict[str, Entry] = {}
    # ------------------------------------------------------------------ reductions over the last dim
    row = _prep_2d("x", "row")
    e["sum"] = Entry(_rows("row_sum", "the sum of each row", [Reduce("total", "sum", "x")], result="total"), "x", row)
    mean = _rows("row_mean", "the mean of each row", [Reduce("total", "sum", "x")], result="total / n_cols")
    e["mean"] = Entry(mean, "x", row, flawed={"padded_mean": replace(mean, result="total / BLOCK_SIZE")})
    for op, kind, what in (("max", "max", "maximum"), ("min", "min", "minimum")):
        e[op] = Entry(_rows(f"row_{op}", f"the {what} of each row", [Reduce(f"row_{op}", kind, "x")],
                            result=f"row_{op}"), "x", row, order_statistic=True)
    for op in ("argmax", "argmin"):
        e[op] = Entry(_rows(f"row_{op}", f"the index of each row's {op[3:]}imum", [Reduce("index", op, "x")],
                            result="index"), "x", _prep_2d("x", "row", dtype="torch.int64"), order_statistic=True)
    e["prod"] = Entry(_rows("row_prod", "the product of each row", [Reduce("product", "prod", "x")],
                            result="product", helpers=(MULTIPLY_HELPER,)), "x", row)
    e["l2_norm"] = Entry(_rows("row_l2_norm", "the Euclidean norm of each row", [Reduce("sum_sq", "sum", "x * x")],
                               result="tl.sqrt(sum_sq)"), "x", row)
    e["l1_norm"] = Entry(_rows("row_l1_norm", "the L1 norm of each row", [Reduce("total", "sum", "tl.abs(x)")],
                               result="total"), "x", row)
    for op, result in (("var", "sq_dev / (n_cols - 1)"), ("std", "tl.sqrt(sq_dev / (n_cols - 1))")):
        base = _rows(f"row_{op}", f"the unbiased {'variance' if op == 'var' else 'standard deviation'} of each "
                     "row (two passes: the mean, then the squared deviations)", _variance_steps("x", "", None),
                     result=result)
        e[op] = Entry(base, "x", row, flawed={"biased_variance": replace(base, result=result.replace("(n_cols - 1)", "n_cols"))})
    lse = _rows("row_logsumexp", "log(sum(exp(x))) of each row", [Reduce("row_max", "max", "x"),
                Reduce("row_sum", "sum", "tl.exp(x - row_max)")], result="row_max + tl.log(row_sum)")
    e["logsumexp"] = Entry(lse, "x", row, online=replace(lse, steps=(Reduce("row", "lse", "x"),)),
                           flawed={"no_max_subtraction": replace(lse, steps=(Reduce("row_max", "max", "x"), Reduce("row_sum", "sum", "tl.exp(x)")),
                                                                 result="tl.log(row_sum)")})
    e["mean_all"] = Entry(_rows("mean_all", "the mean of every element (per-row sums, then one fixed-order sum)",
                                [Reduce("total", "sum", "x")], result="total", finish="n_rows * n_cols"),
                          "x", _prep_2d("x", "scalar"))
    e["mean_all"] = replace(e["mean_all"], flawed={"sum_not_mean": replace(e["mean_all"].op, finish="1")})
    middle = ('assert x.dim() == 3, f"expected a (batch, seq, hidden) input, got shape {tuple(x.shape)}"\n'
              "# The kernel indexes (outer, reduced, inner) positions of a contiguous tensor.\n"
              "x = x.contiguous()\n"
              "n_outer, n_red, n_inner = x.shape\n")
    for op, kind in (("sum_dim1", "sum"), ("max_dim1", "max")):
        e[op] = Entry(_rows(f"{kind}_over_seq", f"the {kind} over dim 1 of a (batch, seq, hidden) tensor",
                            [Reduce("total", kind, "x")], result="total"), "x",
                      middle + "out = torch.empty((n_outer, n_inner), device=x.device, dtype=x.dtype)", middle=True)
    # ------------------------------------------------------------------ softmaxes
    full = _prep_2d("x", "full")
    for op, doc, out_expr, derive in (
        ("softmax", "softmax over each row", "tl.exp(x - row_max) / row_sum", ""),
        ("log_softmax", "log-softmax over each row", "x - row_max - tl.log(row_sum)", ""),
        ("softmax_temperature", "softmax of x / 0.7 over each row", "tl.exp(z - row_max) / row_sum",
         "# The reference divides by the temperature in the input's dtype; so does this kernel.\n"
         "z = (x / 0.7).to(x_ptr.dtype.element_ty).to(tl.float32)"),
        ("softmin", "softmin (the softmax of -x) over each row", "tl.exp(z - row_max) / row_sum", "z = -x"),
    ):
        two, online, naive = _softmax_like(op, doc, out_expr, derive)
        e[op] = Entry(two, "x", full, online=online, flawed={"no_max_subtraction": naive})
    two, online, naive = _softmax_like(
        "masked_softmax", "softmax over each row with masked-out positions at -inf", "tl.exp(z - row_max) / row_sum",
        '# Masked-out positions are -inf: they never win the max and exp(-inf - max) = 0.\n'
        'z = tl.where(mask, x, float("-inf"))', rows=("x", "mask"), bool_rows=("mask",))
    e["masked_softmax"] = Entry(two, "x, mask", _prep_2d("x", "full", others=("mask",)), online=online,
                                flawed={"no_max_subtraction": naive})
    for op, doc, out_expr, prep in (
        ("softmax_dim1", "softmax over the channels of an (N, C, H, W) tensor", "tl.exp(x - row_max) / row_sum",
         'assert x.dim() == 4, f"expected an (N, C, H, W) input, got shape {tuple(x.shape)}"\n'
         "x = x.contiguous()\n"
         "n_outer, n_red, n_inner = x.shape[0], x.shape[1], x.shape[2] * x.shape[3]\n"
         "out = torch.empty_like(x)"),
        ("log_softmax_dim1", "log-softmax over dim 1 of a (batch, seq, hidden) tensor", "x - row_max - tl.log(row_sum)",
         middle + "out = torch.empty_like(x)"),
    ):
        two, online, naive = _softmax_like(op, doc, out_expr)
        e[op] = Entry(two, "x", prep, middle=True, online=online, flawed={"no_max_subtraction": naive})
    # ------------------------------------------------------------------ norms over rows
    op, flawed = _norm("layer_norm", "LayerNorm over each row with a learned scale and shift",
                       vectors=(Vector("weight"), Vector("bias")), out="(x - mean) * rstd * weight + bias")
    e["layer_norm"] = Entry(op, "x", _prep_2d("x", "full"), call_extra="self.weight, self.bias", init_args="hidden",
                            init="# nn.LayerNorm's parameters: ones and zeros (no random draw).\n"
                                 "self.weight = nn.Parameter(torch.ones(hidden, dtype=DTYPE))\n"
                                 "self.bias = nn.Parameter(torch.zeros(hidden, dtype=DTYPE))", flawed=flawed)
    op, flawed = _norm("layer_norm", "LayerNorm without scale or shift over each row")
    e["layer_norm_no_affine"] = Entry(op, "x", _prep_2d("x", "full"), flawed=flawed)
    rms = _rows("rms_norm", "RMSNorm over each row", [Reduce("sum_sq", "sum", "x * x"),
                Let("rstd", "tl.rsqrt(sum_sq / n_cols + 1e-6)")], out="x * rstd * weight",
                vectors=(Vector("weight", scale="1.0 + 0.1 * raw"),))
    e["rms_norm"] = Entry(
        rms, "x", _prep_2d("x", "full"), call_extra="self.weight_draw", init_args="hidden",
        init="# The reference's weight is 1 + 0.1 * randn(hidden): the same draw under the same seed, kept as\n"
             "# drawn; the kernel applies 1 + 0.1 * w.\n"
             "self.weight_draw = nn.Parameter(torch.randn(hidden, dtype=DTYPE))",
        flawed={"padded_mean": replace(rms, steps=(rms.steps[0], Let("rstd", "tl.rsqrt(sum_sq / BLOCK_SIZE + 1e-6)")))})
    l2 = _rows("l2_normalize", "each row divided by its Euclidean norm", [Reduce("sum_sq", "sum", "x * x"),
               Let("inv_norm", "1.0 / tl.maximum(tl.sqrt(sum_sq), 1e-12)")], out="x * inv_norm")
    e["l2_normalize"] = Entry(l2, "x", _prep_2d("x", "full"))
    image = ('assert x.dim() == 4, f"expected an (N, C, H, W) input, got shape {tuple(x.shape)}"\n'
             "x = x.contiguous()\n")
    op, flawed = _norm("instance_norm", "instance normalisation: each (n, c) plane is a row")
    e["instance_norm"] = Entry(op, "x", image + "out = torch.empty_like(x)\n"
                               "# Each (n, c) plane is one row of H * W elements.\n"
                               "n_rows, n_cols = x.shape[0] * x.shape[1], x.shape[2] * x.shape[3]\n"
                               "x = x.view(n_rows, n_cols)", flawed=flawed)
    op, flawed = _norm("group_norm", "GroupNorm: each (n, group) block of channels is a row",
                       vectors=(Vector("weight", "(<<R>> % n_groups) * group_channels + <<C>> // plane_size"),
                                Vector("bias", "(<<R>> % n_groups) * group_channels + <<C>> // plane_size")),
                       out="(x - mean) * rstd * weight + bias", size_args=("n_groups", "group_channels", "plane_size"))
    e["group_norm"] = Entry(
        op, "x", image + "out = torch.empty_like(x)\n"
        "# Row (n, g) holds the C / groups channels of group g of sample n: contiguous in memory.\n"
        "n_rows, n_cols = x.shape[0] * groups, (x.shape[1] // groups) * x.shape[2] * x.shape[3]\n"
        "x = x.view(n_rows, n_cols)", call_extra="self.weight, self.bias, self.groups",
        size_values=("groups", "out.shape[1] // groups", "out.shape[2] * out.shape[3]"),
        init_args="groups, channels",
        init="self.groups = groups\n"
             "# nn.GroupNorm's parameters: ones and zeros (no random draw).\n"
             "self.weight = nn.Parameter(torch.ones(channels, dtype=DTYPE))\n"
             "self.bias = nn.Parameter(torch.zeros(channels, dtype=DTYPE))", flawed=flawed)
    op, flawed = _norm("batch_norm", "batch normalisation with the batch's statistics: each channel is a row",
                       vectors=(Vector("weight", "<<R>>", per_row=True, scale="1.0 + 0.1 * raw"),
                                Vector("bias", "<<R>>", per_row=True, scale="0.1 * raw")),
                       out="(x - mean) * rstd * weight + bias",
                       offset="(<<C>> // plane_size) * sample_stride + <<R>> * plane_size + <<C>> % plane_size",
                       size_args=("plane_size", "sample_stride"))
    e["batch_norm"] = Entry(
        op, "x", image + "out = torch.empty_like(x)\n"
        "# Channel c is one row of N * H * W elements: H * W contiguous ones per sample, samples C * H * W apart.\n"
        "n_rows, n_cols = x.shape[1], x.shape[0] * x.shape[2] * x.shape[3]",
        call_extra="self.weight_draw, self.bias_draw",
        size_values=("x.shape[2] * x.shape[3]", "x.shape[1] * x.shape[2] * x.shape[3]"), init_args="channels",
        init="# The reference draws weight = 1 + 0.1 * randn(C), then bias = 0.1 * randn(C): the same draws in\n"
             "# the same order, kept as drawn; the kernel applies the affine part.\n"
             "self.weight_draw = nn.Parameter(torch.randn(channels, dtype=DTYPE))\n"
             "self.bias_draw = nn.Parameter(torch.randn(channels, dtype=DTYPE))", flawed=flawed)
    # ------------------------------------------------------------------ losses: per-row partials, then the mean
    pair = _prep_2d("pred", "scalar", others=("target",))
    for op, term, doc in (
        ("mse_loss", "(pred - target) * (pred - target)", "the mean squared error"),
        ("l1_loss", "tl.abs(pred - target)", "the mean absolute error"),
        ("smooth_l1_loss", "tl.where(tl.abs(pred - target) < 1.0, 0.5 * (pred - target) * (pred - target), "
         "tl.abs(pred - target) - 0.5)", "the smooth L1 loss (beta 1)"),
        ("hinge_loss", "tl.maximum(1.0 - pred * target, 0.0)", "the hinge loss"),
    ):
        loss = _rows(op, doc, [Reduce("row_loss", "sum", term)], result="row_loss", rows=("pred", "target"),
                     finish="n_rows * n_cols")
        e[op] = Entry(loss, "pred, target", pair, flawed={"sum_not_mean": replace(loss, finish="1")})
    bce = _rows("binary_cross_entropy", "the mean binary cross-entropy", [Reduce(
        "row_loss", "sum", "-(target * tl.maximum(tl.log(probs), -100.0) + (1.0 - target) * "
        "tl.maximum(tl.log(1.0 - probs), -100.0))")], result="row_loss", rows=("probs", "target"),
        finish="n_rows * n_cols")
    e["binary_cross_entropy"] = Entry(bce, "probs, target", _prep_2d("probs", "scalar", others=("target",)),
                                      flawed={"sum_not_mean": replace(bce, finish="1")})
    kl = _rows("kl_div", "the KL divergence, summed and divided by the batch size (batchmean)", [Reduce(
        "row_loss", "sum", "tl.where(target > 0, target * (tl.log(target) - log_probs), 0.0)")], result="row_loss",
        rows=("log_probs", "target"), finish="n_rows")
    e["kl_div"] = Entry(kl, "log_probs, target", _prep_2d("log_probs", "scalar", others=("target",)),
                        flawed={"batchmean_as_mean": replace(kl, finish="n_rows * n_cols")})
    triplet = _rows("triplet_margin_loss", "the triplet margin loss (margin 1, pairwise distances with eps 1e-6)",
                    [Reduce("d_pos", "sum", "(anchor - positive + 1e-6) * (anchor - positive + 1e-6)"),
                     Reduce("d_neg", "sum", "(anchor - negative + 1e-6) * (anchor - negative + 1e-6)")],
                    result="tl.maximum(tl.sqrt(d_pos) - tl.sqrt(d_neg) + 1.0, 0.0)",
                    rows=("anchor", "positive", "negative"), finish="n_rows")
    e["triplet_margin_loss"] = Entry(triplet, "anchor, positive, negative",
                                     _prep_2d("anchor", "scalar", others=("positive", "negative")),
                                     flawed={"sum_not_mean": replace(triplet, finish="1")})
    prelude = ("# The logit of the target class, read directly.\n"
               "target_index = tl.load(target_ptr + row)\n"
               "picked = tl.load(logits_ptr + row * stride_logits_row + target_index * stride_logits_col).to(tl.float32)")
    ce = _rows("cross_entropy", "the mean cross-entropy: logsumexp of each row minus its target logit",
               [Reduce("row_max", "max", "logits"), Reduce("row_sum", "sum", "tl.exp(logits - row_max)")],
               result="row_max + tl.log(row_sum) - picked", rows=("logits",), finish="n_rows", prelude=prelude,
               row_scalars=("target",))
    ce_prep = ('assert logits.dim() == 2 and target.shape == logits.shape[:1], "logits (batch, classes), target '
               '(batch,)"\nn_rows, n_cols = logits.shape\n'
               "out = torch.empty((), device=logits.device, dtype=logits.dtype)")
    e["cross_entropy"] = Entry(ce, "logits, target", ce_prep,
                               online=replace(ce, steps=(Reduce("row", "lse", "logits"),)),
                               flawed={"no_max_subtraction": replace(ce, steps=(Reduce("row_max", "max", "logits"), Reduce("row_sum", "sum", "tl.exp(logits)")),
                                                                     result="tl.log(row_sum) - picked")})
    # ------------------------------------------------------------------ global average pooling
    e["global_avg_pool2d"] = Entry(
        _rows("global_avg_pool", "the mean of each (n, c) plane", [Reduce("total", "sum", "x")], result="total / n_cols"),
        "x", image + "# Each (n, c) plane is one row of H * W elements.\n"
        "n_rows, n_cols = x.shape[0] * x.shape[1], x.shape[2] * x.shape[3]\n"
        "out = torch.empty((x.shape[0], x.shape[1], 1, 1), device=x.device, dtype=x.dtype)\n"
        "x = x.view(n_rows, n_cols)")
    return e


ENTRIES = _entries()
# Ops where padding lanes that load 0 change the result (for max and argmax: once the verifier shifts the
# inputs below zero).
_ZERO_PADDING_SHOWS = {"max", "argmax", "prod", "softmax", "log_softmax", "softmin", "softmax_temperature"}
_LOOP_BLOCKS = (64, 128, 256, 512, 1024, 2048)
_FIXED_BLOCKS = (256, 512, 1024)
_SINGLE_PASS_MAX = 16384


# ---------------------------------------------------------------------------------------------- sizes

def _sizes(spec_row: dict) -> tuple[int, int]:
    """(lanes, reduced extent) of the spec as its launcher views it."""
    op = spec_row["ops"][0]
    shapes = spec_row["shapes"]
    shape = shapes[0]
    if op in ("sum_dim1", "max_dim1", "log_softmax_dim1"):
        return shape[0] * shape[2], shape[1]
    if op == "softmax_dim1":
        return shape[0] * shape[2] * shape[3], shape[1]
    if op in ("instance_norm", "global_avg_pool2d"):
        return shape[0] * shape[1], shape[2] * shape[3]
    if op == "group_norm":
        groups = registry_dims(spec_row, op)["groups"]
        return shape[0] * groups, shape[1] // groups * shape[2] * shape[3]
    if op == "batch_norm":
        return shape[1], shape[0] * shape[2] * shape[3]
    return shape[0], shape[1]


def _first_transforms(spec_row: dict) -> set[str]:
    domains = spec_row.get("input_domains") or ["unspecified"]
    return set(preserving_transforms(domains[0]))


def _shows(relative_error: float, spec_row: dict) -> bool:
    """Whether an error of this relative size is well past the verifier's relative-L2 bound for the dtype."""
    return relative_error > 4 * RELATIVE_NORM_TOL[spec_row["dtype"]]


# ---------------------------------------------------------------------------------------------- launcher

def _row_launch_args(op: RowOp, entry: Entry, flaw: Flaw) -> str:
    parts = []
    for name in op.rows:
        if op.offset or entry.middle:
            parts.append(name)
        elif flaw.ignores_strides and name == op.rows[0]:
            parts.append(f"{name}, {name}.stride(0)")
        else:
            parts.append(f"{name}, {name}.stride(0), {name}.stride(1)")
    parts += list(op.row_scalars)
    parts += [v.name for v in op.vectors]
    parts.append("partial" if op.finish else "out")
    parts.append("n_inner, n_red" if entry.middle else "n_rows, n_cols")
    parts += list(entry.size_values)
    return ", ".join(parts)


def _launcher(entry: Entry, op: RowOp, shape: Shape, flaw: Flaw, blocks: dict, warps: int, grid: str,
              block_lines: str) -> str:
    vector_args = "".join(f", {v.name}: torch.Tensor" for v in op.vectors)
    params = entry.forward + vector_args + (", groups: int" if "self.groups" in entry.call_extra else "")
    lines = [entry.prep]
    if op.finish:
        lines.append("# Per-row partial results in fp32, summed in a fixed order by a second kernel.")
        lines.append("partial = torch.empty((n_rows,), device=out.device, dtype=torch.float32)")
    lines += [block_lines, grid]
    meta = ", ".join(f"{k}={v}" for k, v in blocks.items())
    lines.append(f"{op.name}_kernel[grid]({_row_launch_args(op, entry, flaw)}, {meta}, num_warps={warps})")
    if op.finish:
        lines.append(f"{op.name}_finish_kernel[(1,)](partial, out, n_rows, {op.finish}, BLOCK_SIZE=1024)")
    lines.append("return out")
    return fill('''
        def <<name>>(<<params>>) -> torch.Tensor:
            <<body>>
        ''', name=op.name, params=params, body="\n".join(lines))


# ---------------------------------------------------------------------------------------------- render

def _render(spec_row: dict, rng: random.Random, structure: str, flaw_name: str | None) -> Draft:
    op_name = spec_row["ops"][0]
    entry = ENTRIES[op_name]
    op = entry.op
    if structure == "online":
        op = entry.online
    if flaw_name in entry.flawed:
        op = entry.flawed[flaw_name]
    lanes, extent = _sizes(spec_row)
    flaw = Flaw(zero_padding=flaw_name == "zero_padding", ignores_strides=flaw_name == "ignores_strides")
    params: dict = {"structure": structure}
    if entry.middle:
        looped = structure == "middle_looped"
        shape = Shape("middle", looped=looped)
        if looped:
            block_r = rng.choice([b for b in (4, 8, 16, 32, 64, 128) if b < next_power_of_2(extent)][-4:])
            block_lines = f"BLOCK_R = {block_r}  # reduced positions per tile; the loop walks the rest"
        else:
            block_r = next_power_of_2(extent)
            block_lines = "# The whole reduced dim in one tile.\nBLOCK_R = triton.next_power_of_2(n_red)"
        block_i = rng.choice([b for b in (1, 2, 4, 8, 16, 32, 64, 128) if b * block_r <= 4096] or [1])
        block_lines += f"\nBLOCK_I = {block_i}  # inner positions per program"
        grid = "grid = (n_outer, triton.cdiv(n_inner, BLOCK_I))"
        blocks = {"BLOCK_R": "BLOCK_R", "BLOCK_I": "BLOCK_I"}
        params.update(BLOCK_R=block_r, BLOCK_I=block_i)
        warps = launch_warps(rng, block_r * block_i)
        constexprs = "BLOCK_R: tl.constexpr,  # reduced positions per tile\nBLOCK_I: tl.constexpr,  # inner positions per program"
        prose = (f"Each program takes one outer index and {block_i} inner positions and reduces over dim "
                 f"{'in tiles of ' + str(block_r) if looped else 'in one tile of ' + str(block_r)}, "
                 f"computing {op.doc} in fp32.")
    elif structure == "row_block":
        shape = Shape("rows")
        block_n = next_power_of_2(extent)
        block_m = rng.choice([m for m in (2, 4, 8, 16, 32) if m * block_n <= 4096] or [1])
        block_lines = ("BLOCK_N = triton.next_power_of_2(n_cols)  # a whole row per tile row\n"
                       f"BLOCK_M = {block_m}  # rows per program")
        grid = "grid = (triton.cdiv(n_rows, BLOCK_M),)"
        blocks = {"BLOCK_M": "BLOCK_M", "BLOCK_N": "BLOCK_N"}
        params.update(BLOCK_M=block_m, BLOCK_N=block_n)
        warps = launch_warps(rng, block_m * block_n)
        constexprs = "BLOCK_M: tl.constexpr,  # rows per program\nBLOCK_N: tl.constexpr,  # a power of two >= n_cols"
        prose = (f"Rows are short, so each program loads {block_m} whole rows as a {block_m}x{block_n} tile and "
                 f"computes {op.doc} with reductions along axis 1, in fp32.")
    else:
        looped = structure in ("looped", "online")
        shape = Shape("row", looped=looped, persistent=structure == "persistent")
        if looped:
            block = rng.choice([b for b in _LOOP_BLOCKS if b < next_power_of_2(extent)])
            block_lines = f"# Column tiles of {block}: longer rows take several iterations.\nBLOCK_SIZE = {block}"
            how = (f"walking the row in tiles of {block} columns"
                   + (" with an online maximum and sum of exponentials" if structure == "online" else
                      ", one pass per reduction with per-lane accumulators"))
        elif flaw_name == "fixed_block":
            block = rng.choice([b for b in _FIXED_BLOCKS if b < extent])
            # The bug as models write it: the block is capped (for registers) and the kernel still loads one
            # block per row. As long as the correct single-block line, so length does not mark the flaw.
            block_lines = (f"# One block per row, a power of two capped at {block} columns for registers.\n"
                           f"BLOCK_SIZE = min(triton.next_power_of_2(n_cols), {block})")
            how = f"loading its row once in a block of {block} columns"
        else:
            block = next_power_of_2(extent)
            block_lines = ("# The smallest power of two covering a row: each row is loaded once, in one block.\n"
                           "BLOCK_SIZE = triton.next_power_of_2(n_cols)")
            how = f"loading its row once in a block of {block} columns"
        params["BLOCK_SIZE"] = block
        blocks = {"BLOCK_SIZE": "BLOCK_SIZE"}
        warps = launch_warps(rng, block)
        constexprs = "BLOCK_SIZE: tl.constexpr,  # columns per block"
        if shape.persistent:
            programs = rng.choice((16, 32, 64, 128, 256))
            params["NUM_PROGRAMS"] = programs
            grid = f"# At most {programs} programs, each looping over its share of the rows.\n" \
                   f"grid = (min(n_rows, {programs}),)"
            prose = f"A fixed grid of at most {programs} programs loops over the rows, {how}, and computes {op.doc} in fp32."
        else:
            grid = "grid = (n_rows,)"
            prose = f"One program per row computes {op.doc} in fp32, {how}."
    params["num_warps"] = warps
    pieces = list(op.helpers)
    pieces.append(kernel(op, shape, flaw, blocks=constexprs))
    if op.finish:
        pieces.append(fill(FINISH_KERNEL, name=op.name))
    pieces.append(_launcher(entry, op, shape, flaw, blocks, warps, grid, block_lines))
    init = entry.init.replace("DTYPE", f"torch.{spec_row['dtype']}")
    call = f"{op.name}({entry.forward}{', ' + entry.call_extra if entry.call_extra else ''})"
    doc = OPS[op_name].doc.format(**registry_dims(spec_row, op_name))
    pieces.append(model_new(f"Computes {doc} with Triton kernels.", entry.forward, call,
                            init_args=entry.init_args, init=init))
    return Draft(variant=flaw_name or structure, flaw=flaw_name, params=params, code=module(*pieces), prose=prose)


# ---------------------------------------------------------------------------------------------- variants

def check(spec_row: dict) -> None:
    registry_dims(spec_row, spec_row["ops"][0])


def _variants() -> tuple[Variant, ...]:
    def correct(structure, applies):
        return Variant(structure, applies, lambda s, rng: _render(s, rng, structure, None))

    def flawed(name, structures, applies):
        # A flaw is written in any structure that can hold it and applies to the spec, drawn as a correct
        # answer's structure is: flawed answers are as long and open as correct ones do.
        def where(s):
            if isinstance(structures, dict):
                return [st for st, ok in structures.items() if ok(s)]
            return [st for st in structures if shapes[st](s)]

        def render(s, rng):
            return _render(s, rng, rng.choice(where(s)), name)

        return Variant(name, lambda s: bool(where(s)) and applies(s), render, flaw=name)

    def entry(s):
        return ENTRIES[s["ops"][0]]

    def extent(s):
        return _sizes(s)[1]

    def one_d(s):
        return not entry(s).middle

    def fits(s):
        return one_d(s) and next_power_of_2(extent(s)) <= _SINGLE_PASS_MAX

    def loops(s):
        return one_d(s) and any(b < next_power_of_2(extent(s)) for b in _LOOP_BLOCKS)

    def padded(s):
        return next_power_of_2(extent(s)) != extent(s)

    def fixed_block_shows(s):
        lanes, n = _sizes(s)
        if not one_d(s) or n <= min(_FIXED_BLOCKS):
            return False
        if entry(s).order_statistic:  # the extreme may sit in the block: it must miss it for some row
            return (max(b for b in _FIXED_BLOCKS if b < n) / n) ** lanes < 1e-4
        return True

    def zero_padding_shows(s):
        op, (_, n) = s["ops"][0], _sizes(s)
        if op not in _ZERO_PADDING_SHOWS or not fits(s) or not padded(s):
            return False
        if op in ("max", "argmax"):
            return "shift" in _first_transforms(s)
        if op == "prod":
            return True
        # A softmax's sum gains exp(-max) per padding lane against about 1.65 * n * exp(-max).
        return _shows((next_power_of_2(n) - n) / (1.65 * n), s)

    def no_max_shows(s):
        numel = 1
        for d in s["shapes"][0]:
            numel *= d
        # Scaled by 64, some |x| > 1.4 overflows exp in fp32: all but certain from 128 normal draws.
        return "no_max_subtraction" in entry(s).flawed and "scale" in _first_transforms(s) and numel >= 128

    def variance_shows(flaw, factor):
        return lambda s: flaw in entry(s).flawed and _shows(factor / extent(s), s)

    def padded_mean_shows(s):
        n = extent(s)
        factor = 1.0 if s["ops"][0] == "mean" else 0.5
        return "padded_mean" in entry(s).flawed and fits(s) and _shows(factor * (next_power_of_2(n) - n) / n, s)

    def transposed(s):
        return one_d(s) and not entry(s).op.offset and "x" in transposed_inputs(s["reference_code"]) \
            and min(s["shapes"][0]) > 1

    shapes = {
        "middle": lambda s: entry(s).middle and next_power_of_2(extent(s)) <= 1024,
        "middle_looped": lambda s: entry(s).middle and extent(s) > 4,
        "single_pass": fits,
        "persistent": lambda s: fits(s) and not entry(s).op.finish,
        "looped": loops,
        "row_block": lambda s: one_d(s) and not entry(s).op.prelude and _sizes(s)[0] > 1
        and next_power_of_2(extent(s)) <= 512,
    }
    # Flaws of the op itself (a RowOp written wrong) hold in every row structure; flaws of the block (its
    # width, its padding lanes, its strides) only in those with that block.
    any_rows = ("single_pass", "persistent", "looped", "row_block", "middle", "middle_looped")
    one_block = ("single_pass", "persistent")
    return (
        correct("single_pass", fits),
        correct("persistent", shapes["persistent"]),
        correct("looped", loops),
        correct("online", lambda s: loops(s) and entry(s).online is not None),
        correct("row_block", shapes["row_block"]),
        correct("middle", shapes["middle"]),
        correct("middle_looped", shapes["middle_looped"]),
        # A fixed block narrower than the row: any row length, in the one-block structures.
        flawed("fixed_block", {"single_pass": one_d, "persistent": lambda s: one_d(s) and not entry(s).op.finish},
               fixed_block_shows),
        flawed("zero_padding", one_block + ("row_block",), zero_padding_shows),
        flawed("no_max_subtraction", any_rows, no_max_shows),
        flawed("biased_variance", any_rows, variance_shows("biased_variance", 1.0)),
        flawed("unbiased_variance", any_rows, variance_shows("unbiased_variance", 0.5)),
        flawed("padded_mean", one_block, padded_mean_shows),
        flawed("sum_not_mean", any_rows, lambda s: "sum_not_mean" in entry(s).flawed),
        flawed("batchmean_as_mean", any_rows, lambda s: "batchmean_as_mean" in entry(s).flawed and extent(s) > 1),
        flawed("ignores_strides", one_block + ("looped",), transposed),
    )


_FAMILY_OF = {op: OPS[op].family for op in ENTRIES}
_VARIANTS = _variants()


def _group(family: str) -> Group:
    return Group(family, tuple(op for op in ENTRIES if _FAMILY_OF[op] == family), check, _VARIANTS)


GROUPS = tuple(_group(family) for family in ("reduction", "softmax", "normalization", "loss", "pooling"))
