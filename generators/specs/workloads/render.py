"""A workload record as a KernelBench-format problem (`class Model`, `get_inputs`, `get_init_inputs`) and a
`Spec` the rest of the pipeline takes.

`forward` makes the record's calls in order, as `torch.ops.aten.<op>.<overload>(...)` with the recorded
arguments (attention as `F.scaled_dot_product_attention`), so the reference is exactly the call the model
made; it returns what the chain hands on (the last call's outputs). Every tensor the record reads is an
input of `forward`, drawn in `get_inputs()` with the recorded shape and, where it was not contiguous, the
recorded strides (`as_strided` over a fresh buffer). Index tensors are drawn below the size they index
(embedding rows, the indexed dim); bag offsets, segment lengths and grouped-GEMM offsets are drawn as
valid partitions of what they split. Float inputs are intermediates whose real distribution is not known:
they are labelled `unspecified` and drawn normal, or `positive` where the call needs it (rsqrt, sqrt, log,
reciprocal, a divisor).

Scales: `real` renders the recorded shapes and the model's dtype (bfloat16), for GPU configs; `cpu`
renders the same calls from the CPU-scaled model (`architectures.cpu_config`) in `cpu_dtype` (float32 by
default: the Triton interpreter has no bfloat16), for the quickstart and CI. The model's dtype becomes the
`DTYPE` constant; other dtypes (RMSNorm's float32 upcast) stay as recorded.

Not renderable (`renderable` says why): views and metadata alone, factories (no input), in-place calls
(they write an input, which the verifier forbids) and random calls (dropout).
"""

from __future__ import annotations


from kerneldata.core.domains import index_domain
from kerneldata.core.spec import Spec

MODEL_DTYPE = "bfloat16"
_RANDOM_WORDS = ("dropout", "bernoulli", "rand", "normal", "uniform_", "empty")
_SCALES = ("real", "cpu")
# Float inputs that must be positive for the call to be finite (a divisor: the second input of div).
_POSITIVE_OPS = frozenset({"rsqrt", "sqrt", "log", "log2", "log10", "reciprocal"})


def renderable(record) -> tuple[bool, str]:
    """(whether `record` renders to a problem, why not)."""
    if all(c["kind"] in ("view", "metadata") for c in record.calls):
        return False, "views only"
    for call in record.calls:
        name = call["op"].split(".")[1]
        if not call["inputs"]:
            return False, f"{call['op']} reads no tensor"
        if name.endswith("_") and not name.startswith("_"):
            return False, f"{call['op']} is in place"
        if any(word in name for word in _RANDOM_WORDS):
            return False, f"{call['op']} is random"
        if "unsupported" in str(call["args"]) or "symbolic" in str(call["args"]):
            return False, f"{call['op']} has an argument that cannot be written out"
    return True, ""


def render_record(record, *, scale: str = "real", cpu_dtype: str = "float32") -> Spec:
    """The record's problem at `scale` ("real" or "cpu"); ValueError when it does not render."""
    if scale not in _SCALES:
        raise ValueError(f"unknown workload scale {scale!r}; known: {', '.join(_SCALES)}")
    ok, why = renderable(record)
    if not ok:
        raise ValueError(f"workload {record.signature} does not render: {why}")
    calls = record.calls if scale == "real" else record.cpu_calls
    if calls is None:
        raise ValueError(f"workload {record.signature} has no CPU-scaled counterpart")
    dtype = MODEL_DTYPE if scale == "real" else cpu_dtype
    inputs = _inputs(calls)
    names = [f"x{k}" for k in range(len(inputs))]
    body, last = [], []
    for j, call in enumerate(calls):
        tensors = [names[w[1]] if w[0] == "in" else _out_name(w[1], w[2], calls) for w in call["wires"]]
        body.append(f"{_lhs(j, call)} = {_call_expr(call, tensors)}")
    final = calls[-1]
    last = [_out_name(len(calls) - 1, o, calls) for o in range(len(final["outputs"]))]
    body.append("return " + (last[0] if len(last) == 1 else f"({', '.join(last)})"))
    source_lines = [
        "import torch",
        "import torch.nn as nn",
        "import torch.nn.functional as F",
        "",
        "",
        "class Model(nn.Module):",
        f'    """{_doc(record, scale)}"""',
        "",
        "    def __init__(self):",
        "        super().__init__()",
        "",
        f"    def forward(self, {', '.join(names)}):",
        *(f"        {line}" for line in body),
        "",
        "",
        f"DTYPE = torch.{dtype}",
        "",
        "",
        "def get_inputs():",
    ]
    domains = []
    for name, (meta, how) in zip(names, inputs):
        expr, domain = _maker(meta, how, dtype)
        source_lines.append(f"    {name} = {expr}")
        domains.append(domain)
    source_lines += [f"    return [{', '.join(names)}]", "", "", "def get_init_inputs():", "    return []", ""]
    spec_dtype = dtype if any(m["dtype"] == MODEL_DTYPE for m, _ in inputs) else (
        next((m["dtype"] for m, _ in inputs if m["dtype"] in ("float32", "float16", "bfloat16")), dtype))
    first = record.sources[0] if record.sources else {}
    origin = (f"workloads:{first.get('model', '?')}/{first.get('regime', '?')}/{first.get('module', '')}"
              f" sig={record.signature} scale={scale}")
    out_shape = tuple(final["outputs"][0]["shape"]) if len(final["outputs"]) == 1 else None
    return Spec(family="workload", ops=tuple(c["op"].split(".")[1] for c in calls), dtype=spec_dtype,
                shapes=tuple(tuple(m["shape"]) for m, _ in inputs), source="\n".join(source_lines), origin=origin,
                input_domains=tuple(domains), layouts=tuple("contiguous" if _contiguous(m) else "strided"
                                                            for m, _ in inputs),
                output_shape=out_shape)


def _doc(record, scale: str) -> str:
    sources = record.sources
    models = sorted({s["model"] for s in sources})
    what = record.label if record.record == "op" else f"a fused {record.label} chain of {len(record.calls)} calls"
    return (f"Computes {what} as {', '.join(models[:3])}{' and others' if len(models) > 3 else ''} run it "
            f"({scale} shapes).")


def _out_name(j: int, o: int, calls: list[dict]) -> str:
    return f"t{j}" if len(calls[j]["outputs"]) <= 1 else f"t{j}_{o}"


def _lhs(j: int, call: dict) -> str:
    n = len(call["outputs"])
    if n <= 1:
        return f"t{j}"
    return ", ".join(f"t{j}_{o}" for o in range(n))


def _literal(value, tensors: list[str], counter: list[int]) -> str:
    if isinstance(value, dict):
        if "tensor" in value:
            name = tensors[counter[0]]
            counter[0] += 1
            return name
        if "dtype" in value:
            return "DTYPE" if value["dtype"] == MODEL_DTYPE else f"torch.{value['dtype']}"
        if "device" in value:
            return "None"
        if "enum" in value:
            return value["enum"]
        if "float" in value:
            return f"float({value['float']!r})"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v, tensors, counter) for v in value) + "]"
    return repr(value)


def _call_expr(call: dict, tensors: list[str]) -> str:
    counter = [0]
    args = [_literal(a, tensors, counter) for a in call["args"]]
    if call["op"] == "aten.scaled_dot_product_attention":
        names = ("attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa")
        kw = ", ".join(f"{n}={a}" for n, a in zip(names, args[3:]))
        return f"F.scaled_dot_product_attention({', '.join(args[:3])}, {kw})"
    kwargs = [f"{k}={_literal(v, tensors, counter)}" for k, v in call["kwargs"].items() if k != "device"]
    return f"torch.ops.{call['op']}({', '.join(args + kwargs)})"


def _inputs(calls: list[dict]) -> list[tuple[dict, tuple]]:
    """(metadata, how to draw it) of each record input, in input order."""
    found: dict[int, tuple[dict, tuple]] = {}
    for call in calls:
        metas = call["inputs"]
        for i, wire in enumerate(call["wires"]):
            if wire[0] != "in" or wire[1] in found:
                continue
            found[wire[1]] = (metas[i], _index_rule(call, i, metas))
    return [found[k] for k in sorted(found)]


def _index_rule(call: dict, i: int, metas: list[dict]) -> tuple:
    """How to draw integer input i of `call`: ("below", n), ("offsets", total), ("lengths", total) or
    ("group_offsets", rows); ("plain",) for anything else."""
    name = call["op"].split(".")[1]
    if metas[i]["dtype"] not in ("int64", "int32", "int16", "int8", "uint8"):
        if name in _POSITIVE_OPS or (name == "div" and i == 1):
            return ("positive",)
        return ("plain",)
    if name == "embedding" and i == 1:
        return ("below", metas[0]["shape"][0])
    if name in ("_embedding_bag", "_embedding_bag_forward_only", "embedding_bag"):
        if i == 1:
            return ("below", metas[0]["shape"][0])
        if i == 2:
            return ("offsets", metas[1]["shape"][0])
    if name == "segment_reduce":
        return ("lengths", metas[0]["shape"][0])
    if name == "_grouped_mm":
        return ("group_offsets", metas[0]["shape"][0])
    base = metas[0]["shape"] if metas else []
    if name == "index" and i > 0 and isinstance(call["args"][1], list):
        # Tensor i indexes the dim of its place in the index list (None places skip a dim).
        places = [p for p, v in enumerate(call["args"][1]) if isinstance(v, dict) and "tensor" in v]
        return ("below", max(1, base[places[i - 1]]))
    if name in ("index_select", "gather", "take_along_dim") and isinstance(call["args"][1], int) and base:
        return ("below", max(1, base[call["args"][1]]))
    return ("below", 2)


def _contiguous(meta: dict) -> bool:
    expected, stride = [], 1
    for size in reversed(meta["shape"]):
        expected.append(stride)
        stride *= size
    return all(s == e or d == 1 for s, e, d in zip(meta["stride"], reversed(expected), meta["shape"]))


def _maker(meta: dict, how: tuple, dtype: str) -> tuple[str, str]:
    """(a get_inputs() expression drawing this input, its kerneldata.core.domains name)."""
    shape = meta["shape"]
    dims = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    t = meta["dtype"]
    if t == "bool":
        return f"torch.rand({dims}) < 0.8", "mask"
    if how[0] == "offsets":  # bag starts: 0 first, non-decreasing, at most the number of ids
        n = shape[0]
        return (f"torch.cat([torch.zeros(1, dtype=torch.{t}), torch.sort(torch.randint(0, {how[1]} + 1, "
                f"({max(n - 1, 0)},))).values.to(torch.{t})])", index_domain(how[1] + 1))
    if how[0] == "lengths":  # segment lengths summing to the rows they split
        return (f"torch.bincount(torch.randint(0, {shape[0]}, ({how[1]},)), minlength={shape[0]}).to(torch.{t})",
                index_domain(how[1] + 1))
    if how[0] == "group_offsets":  # cumulative rows per expert, ending at the number of rows
        return (f"torch.cumsum(torch.bincount(torch.randint(0, {shape[0]}, ({how[1]},)), minlength={shape[0]}), "
                f"0).to(torch.{t})", index_domain(how[1] + 1))
    if how[0] == "below":
        return f"torch.randint(0, {how[1]}, {dims}, dtype=torch.{t})", index_domain(how[1])
    dt = "DTYPE" if t == MODEL_DTYPE else f"torch.{t}"
    # An intermediate's real distribution is not known: float inputs are `unspecified` (the verifier
    # transforms them where the reference stays finite), drawn normal, or positive where the call needs it.
    draw, domain = ("torch.rand({}, dtype={}) + 0.1", "positive") if how[0] == "positive" else (
        "torch.randn({}, dtype={})", "unspecified")
    if _contiguous(meta):
        return draw.format(dims, dt), domain
    storage = 1 + sum((d - 1) * s for d, s in zip(shape, meta["stride"]) if d > 0)
    stride = "(" + ", ".join(str(s) for s in meta["stride"]) + ("," if len(shape) == 1 else "") + ")"
    return f"({draw.format(storage, dt)}).as_strided({dims}, {stride})", domain
