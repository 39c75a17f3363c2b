"""The workload record, how a traced forward becomes records, and dedup by signature across models.

A `Record` is one op call or one fusible chain of calls, as JSON-able data:
- `calls`: at real shapes, each {op, kind, args, kwargs, inputs, outputs, wires}; `wires[i]` says where
  tensor argument i comes from: ["in", k] (the record's k-th input) or ["call", j, o] (output o of call j);
  `inputs` are the tensor metadata (shape, stride, dtype) of each argument, outputs likewise;
- `cpu_calls`: the same calls in the CPU-scaled model (`architectures.cpu_config`), matched by module path,
  op and occurrence; None where the CPU model does not make that call (a size-dependent code path);
- `signature`: a hash of the real calls (ops, metadata, arguments, wiring): equal signatures are the same
  problem, whichever model and regime it came from;
- `sources`: one per (model, regime, module path) that makes it, with `calls_per_forward` (calls in the
  traced layers times the real layers they stand for) and `share`, the estimated fraction of that model's
  forward time it takes (`cost.estimate_time_us` times calls, over the sum for every call of the forward);
- `time_us`, `flops`, `bytes`: the estimate for one call (a chain: its calls run eagerly, one by one).

Guarantees: the same traces give the same records in the same order; merging keeps every source.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field

from generators.specs.workloads.capture import Event
from generators.specs.workloads.chains import chain_label, fusible_groups
from generators.specs.workloads.cost import Roofline, call_flops, estimate_time_us, tensor_bytes

RECORD_VERSION = 1


@dataclass
class Record:
    record: str  # "op" or "chain"
    label: str  # the op's name, or the chain's pattern (chains.chain_label)
    calls: list[dict]
    cpu_calls: list[dict] | None
    signature: str = ""
    time_us: float = 0.0
    flops: float = 0.0
    bytes: int = 0
    sources: list[dict] = field(default_factory=list)

    @property
    def ops(self) -> list[str]:
        return [c["op"] for c in self.calls]

    @property
    def weight(self) -> float:
        """Sampling weight: the summed time share over every model and regime that makes it."""
        return sum(s["share"] for s in self.sources)

    def to_json(self) -> dict:
        out = asdict(self)
        out["version"] = RECORD_VERSION
        return out

    @classmethod
    def from_json(cls, line: dict) -> Record:
        if line.get("version") != RECORD_VERSION:
            raise ValueError(f"workload record version {line.get('version')!r} is not {RECORD_VERSION}; "
                             f"capture the workloads again")
        return cls(**{k: v for k, v in line.items() if k != "version"})


def signature(calls: list[dict]) -> str:
    keyed = [{k: c[k] for k in ("op", "args", "kwargs", "inputs", "wires")} for c in calls]
    return hashlib.sha256(json.dumps(keyed, sort_keys=True).encode()).hexdigest()[:20]


def _calls(events: list[Event], indices: list[int]) -> list[dict]:
    """The calls of `indices` with their wiring inside the group."""
    position = {index: j for j, index in enumerate(indices)}
    external: dict[int, int] = {}  # tensor id -> record input number
    calls = []
    for index in indices:
        event = events[index]
        wires = []
        for tensor_id, producer in zip(event.input_ids, event.producers):
            if producer in position:
                wires.append(["call", position[producer], events[producer].output_ids.index(tensor_id)])
            else:
                wires.append(["in", external.setdefault(tensor_id, len(external))])
        calls.append({"op": event.op, "kind": event.kind, "args": event.args, "kwargs": event.kwargs,
                      "inputs": event.inputs, "outputs": event.outputs, "wires": wires})
    return calls


def _keys(events: list[Event]) -> list[tuple[str, str, int]]:
    """(module, op, occurrence) of each event: what matches a call in the real and the CPU trace."""
    seen: Counter = Counter()
    keys = []
    for event in events:
        seen[(event.module, event.op)] += 1
        keys.append((event.module, event.op, seen[(event.module, event.op)]))
    return keys


def layer_weight(module: str, layer_weights: dict[str, float]) -> float:
    for prefix, weight in layer_weights.items():
        if module == prefix or module.startswith(prefix + "."):
            return float(weight)
    return 1.0


def records_from_trace(real: list[Event], cpu: list[Event], *, model: str, regime: str,
                       layer_weights: dict[str, float], roofline: Roofline) -> list[Record]:
    """Records of one model in one regime (each op call, each chain), merged by signature."""
    cpu_index = {key: i for i, key in enumerate(_keys(cpu))}
    real_keys = _keys(real)
    weights = [layer_weight(e.module, layer_weights) for e in real]
    times = [estimate_time_us(e.op, e.inputs, e.outputs, e.args, e.kind, roofline) for e in real]
    total_us = sum(t * w for t, w in zip(times, weights)) or 1.0

    groups = [[i] for i in range(len(real))] + fusible_groups(real)
    merged: dict[str, Record] = {}
    for group in groups:
        calls = _calls(real, group)
        matched = [cpu_index.get(real_keys[i]) for i in group]
        cpu_calls = _calls(cpu, matched) if all(m is not None for m in matched) else None
        sig = signature(calls)
        head = real[group[0]]
        weight = weights[group[0]]
        time_us = sum(times[i] for i in group)
        record = merged.get(sig)
        if record is None:
            single = len(group) == 1
            record = merged[sig] = Record(
                record="op" if single else "chain",
                label=head.op if single else chain_label([real[i].op for i in group]),
                calls=calls, cpu_calls=cpu_calls, signature=sig, time_us=round(time_us, 3),
                flops=sum(call_flops(c["op"], c["inputs"], c["outputs"], c["args"]) for c in calls),
                bytes=sum(sum(tensor_bytes(t) for t in (*c["inputs"], *c["outputs"])) for c in calls
                          if c["kind"] not in ("view", "metadata")))
        source = next((s for s in record.sources if s["module"] == head.module), None)
        if source is None:
            source = {"model": model, "regime": regime, "module": head.module, "calls_per_forward": 0.0,
                      "share": 0.0}
            record.sources.append(source)
        source["calls_per_forward"] += weight
        source["share"] += time_us * weight / total_us
    for record in merged.values():
        for source in record.sources:
            source["share"] = round(source["share"], 8)
    return list(merged.values())


def dedup(records: list[Record]) -> list[Record]:
    """One record per signature, in first-seen order, keeping every source."""
    out: dict[str, Record] = {}
    for record in records:
        kept = out.get(record.signature)
        if kept is None:
            out[record.signature] = Record(**{**asdict(record), "sources": list(record.sources)})
        else:
            kept.sources.extend(record.sources)
            if kept.cpu_calls is None:
                kept.cpu_calls = record.cpu_calls
    return list(out.values())


def by_model_regime(records: list[Record]) -> dict[tuple[str, str], float]:
    """Total share per (model, regime) over single-op records (each near 1: a check on the bookkeeping)."""
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for record in records:
        if record.record == "op":
            for s in record.sources:
                totals[(s["model"], s["regime"])] += s["share"]
    return dict(totals)
