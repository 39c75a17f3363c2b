"""Fusible groups of consecutive calls, as torch.compile's scheduler would fuse them, and what each is.

A group grows along data flow through the trace: it starts at a pointwise or reduction call and takes each
following pointwise, reduction or view call that consumes a tensor the group made (views are free: they
carry the chain through reshapes); any other call (a GEMM, attention, an embedding, a factory) or a call
that reads none of the group's tensors ends it. A group with at least two calls that do arithmetic is a
chain. Inductor fuses pointwise epilogues after a reduction over the same rows (RMSNorm's pow -> mean ->
rsqrt -> mul), which this rule keeps; it also fuses independent neighbours (the rotary embedding of q and
of k into one kernel), which this rule keeps apart.

Each chain is labelled (`chain_label`) by the pattern it shows: `norm_residual` (a residual add feeding a
normalisation), `norm`, `rope` (cos/sin or the rotate-half neg + cat; `rope_kv_append` when the group ends
by concatenating the rotated keys onto the KV cache), `gated_activation` (SiLU/GELU times
another tensor), `moe_routing` (softmax or sigmoid scores feeding a top-k), `softmax`, `loss`, or
`pointwise`. Attention is recorded as one call already (`aten.scaled_dot_product_attention`).

Limits: the grouping is a model of Inductor's, not Inductor itself: it does not split groups that exceed
a kernel's register budget or fuse across a GEMM (Inductor's templates can), and it caps a group at
`MAX_CHAIN_CALLS` calls.
"""

from __future__ import annotations

from generators.specs.workloads.capture import Event

MAX_CHAIN_CALLS = 24
_FUSIBLE = frozenset({"pointwise", "reduction", "view"})
_COMPUTE = frozenset({"pointwise", "reduction"})


def fusible_groups(events: list[Event]) -> list[list[int]]:
    """Indices of the events of each chain, in trace order."""
    groups: list[list[int]] = []
    current: list[int] = []
    made: set[int] = set()  # ids of tensors the current group produced

    def close() -> None:
        if sum(events[i].kind in _COMPUTE for i in current) >= 2:
            while current and events[current[-1]].kind == "view":  # a trailing view adds nothing
                current.pop()
            groups.append(list(current))
        current.clear()
        made.clear()

    for index, event in enumerate(events):
        if event.kind not in _FUSIBLE:
            close()
            continue
        consumes = any(i in made for i in event.input_ids)
        if current and consumes and len(current) < MAX_CHAIN_CALLS:
            current.append(index)
            made.update(event.output_ids)
            continue
        if current and not consumes and event.kind == "view":
            continue  # an unrelated view between two calls of the group (Inductor reorders freely)
        close()
        if event.kind in _COMPUTE:
            current.append(index)
            made.update(event.output_ids)
    close()
    return groups


def chain_label(ops: list[str]) -> str:
    names = [op.split(".")[1] for op in ops]
    has = set(names).__contains__
    if has("topk") and (has("_softmax") or has("sigmoid")):
        return "moe_routing"
    if has("rsqrt") or has("native_layer_norm") or has("var_mean"):
        return "norm_residual" if names[0] == "add" else "norm"
    if has("cos") or has("sin") or (has("neg") and has("cat")):
        # The rotated keys concatenated onto the cache in the same group: rotary embedding + KV append.
        return "rope_kv_append" if names[-1] == "cat" and names.count("cat") >= 2 else "rope"
    if (has("silu") or has("gelu")) and has("mul"):
        return "gated_activation"
    if has("_log_softmax") or has("nll_loss_forward"):
        return "loss"
    if has("_softmax") or has("_safe_softmax"):
        return "softmax"
    return "pointwise"
