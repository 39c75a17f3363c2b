"""Capturing the curated list into deduplicated records, reading and writing them, and drawing specs from
them weighted by the time share they take in the models that run them.

`WorkloadSampler` has the spec sampler's interface (`sample(n)`, used by `degenerate.sample_checked`): the
order in which records are drawn is fixed by the seed alone (weighted sampling without replacement by
Efraimidis-Spirakis keys, key = u ** (1 / weight)), so a larger draw extends a smaller one and the same
seed gives the same specs. Records that do not render at the configured scale are skipped.

Sizing floors (`specs.min_eager_us`, `specs.min_headroom`, on `specs.device_profile`), as the spec sampler
applies them: a record whose rendered spec's estimate (`generators.specs.headroom.estimate`) is below either
floor, or cannot be estimated while a floor is set, is not drawn; the next record in the order is. A draw
that runs out of records says how many fell below the floors.

Several shapes per spec (issue 16, `specs.extra_workloads`): a spec drawn from a record also carries, as
workloads its teacher never sees, the same calls (the same ops, wired the same way) that the same module of
the same model makes in another regime (the prefill of a decode call, the training forward), up to that
many, in the order of (regime, signature); a record no other regime shares gets none. The order in which
records are drawn does not depend on it.

At real scale each drawn spec whose record (and its workloads' records) has CPU-scaled calls gets a twin in
`twins`: the same calls at the CPU-scaled sizes, in bfloat16, on which `degenerate.sample_checked` runs the
reference instead of the real sizes (minutes on a CPU for a 150-spec draw).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import replace
from pathlib import Path

from generators.specs.headroom import clears_floors
from generators.specs.workloads.architectures import ARCHITECTURES, architecture, regime
from generators.specs.workloads.capture import trace
from generators.specs.workloads.cost import get_roofline
from generators.specs.workloads.records import Record, dedup, records_from_trace
from generators.specs.workloads.render import MODEL_DTYPE, render_record, renderable
from kerneldata.core.spec import Spec, Workload


def capture_workloads(models: list[str] | None = None, regimes: list[str] | None = None, *,
                      device: str = "H200", log=None) -> tuple[list[Record], dict[str, float]]:
    """Deduplicated records of `models` (default: all) in `regimes` (default: each model's own), and the
    seconds each (model, regime) took to trace. An unknown name is a ValueError listing the known ones."""
    roofline = get_roofline(device)
    archs = [architecture(name) for name in (models or list(ARCHITECTURES))]
    wanted = [regime(name).name for name in regimes] if regimes else None
    records: list[Record] = []
    seconds: dict[str, float] = {}
    for arch in archs:
        for name in arch.regimes:
            if wanted is not None and name not in wanted:
                continue
            started = time.perf_counter()
            try:
                real = trace(arch, regime(name), cpu=False)
                cpu = trace(arch, regime(name), cpu=True)
            except Exception as err:  # our tracing's failure, not the user's input: say which model
                raise RuntimeError(f"tracing {arch.name} in regime {name} failed: {type(err).__name__}: "
                                   f"{' '.join(str(err).split())[:300]}") from err
            records += records_from_trace(real, cpu, model=arch.name, regime=name,
                                          layer_weights=arch.layer_weights, roofline=roofline)
            seconds[f"{arch.name}/{name}"] = round(time.perf_counter() - started, 3)
            if log:
                log(f"{arch.name}/{name}: {len(real)} calls in {seconds[f'{arch.name}/{name}']}s")
    if not seconds:
        raise ValueError(f"no architecture among {[a.name for a in archs]} runs regimes {regimes}")
    return dedup(records), seconds


def write_records(path: str | Path, records: list[Record]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record.to_json(), sort_keys=True) + "\n")


def read_records(path: str | Path) -> list[Record]:
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"specs.workloads.file: {path} is not a file of captured workloads")
    records = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                try:
                    records.append(Record.from_json(json.loads(line)))
                except (ValueError, TypeError, KeyError) as err:
                    raise ValueError(f"{path}:{number}: not a workload record: {err}") from None
    return records


class WorkloadSampler:
    """Specs from captured workloads. `config` is `specs.workloads` (kerneldata.core.config)."""

    def __init__(self, config, seed: int, records: list[Record] | None = None, *, extra_workloads: int = 0,
                 min_eager_us: float = 0.0, min_headroom: float = 0.0, device_profile: str = "H200") -> None:
        self.config = config
        self.seed = seed
        self.extra_workloads = extra_workloads
        self.min_eager_us, self.min_headroom, self.device_profile = min_eager_us, min_headroom, device_profile
        get_roofline(device_profile)  # raises naming the known profiles
        for name in config.models or []:
            architecture(name)  # raises ValueError listing the known ones
        get_roofline(config.device)
        if records is None:
            records = read_records(config.file) if config.file else capture_workloads(
                config.models, config.regimes, device=config.device)[0]
        kinds = {"ops": ("op",), "chains": ("chain",), "both": ("op", "chain")}[config.records]
        self.records = [r for r in records if r.record in kinds and renderable(r)[0] and r.weight > 0
                        and (config.scale == "real" or r.cpu_calls is not None)]
        if config.models:
            self.records = [r for r in self.records if any(s["model"] in config.models for s in r.sources)]
        if not self.records:
            raise ValueError("specs.workloads: no captured workload renders at scale "
                             f"{config.scale!r} for records {config.records!r} and models {config.models}")
        self._same_calls: dict[str, list[Record]] = {}
        # Real-scale specs drawn so far -> their CPU-scaled twins (`_twin`), for `degenerate.sample_checked`.
        self.twins: dict[str, Spec] = {}
        for record in self.records:
            self._same_calls.setdefault(_calls_key(record), []).append(record)

    def order(self) -> list[Record]:
        rng = random.Random(f"kerneldata-workloads-{self.seed}")
        keyed = [(rng.random() ** (1.0 / r.weight), r.signature, r) for r in self.records]
        return [r for _, _, r in sorted(keyed, key=lambda k: (-k[0], k[1]))]

    def sample(self, num_specs: int) -> list[Spec]:
        specs: dict[str, Spec] = {}
        below = 0
        for record in self.order():
            if len(specs) >= num_specs:
                break
            spec = render_record(record, scale=self.config.scale, cpu_dtype=self.config.cpu_dtype)
            if not self.has_headroom(spec):
                below += 1
                continue
            chosen = self._workloads(record, spec) if self.extra_workloads else []
            spec = replace(spec, workloads=tuple(w for w, _ in chosen)) if chosen else spec
            if spec.spec_id not in specs:
                specs[spec.spec_id] = spec
                twin = self._twin(record, [other for _, other in chosen])
                if twin is not None:
                    self.twins[spec.spec_id] = twin
        if len(specs) < num_specs:
            floors = (f"; {below} of the {len(self.records)} records were not drawn for an estimated eager time "
                      f"under specs.min_eager_us={self.min_eager_us:g} or speedup bound under "
                      f"specs.min_headroom={self.min_headroom:g} on {self.device_profile} (or no estimate)"
                      if self.min_eager_us or self.min_headroom else "")
            raise ValueError(f"only {len(specs)} distinct workload specs exist{floors}; asked for {num_specs}")
        return list(specs.values())

    def has_headroom(self, spec: Spec) -> bool:
        """Whether `spec` clears the sizing floors (`SpecSampler.has_headroom`'s rule: always when both are 0,
        never when its reference cannot be estimated and a floor is set)."""
        return clears_floors(spec.source, min_eager_us=self.min_eager_us, min_headroom=self.min_headroom,
                             device=self.device_profile)

    def _twin(self, record: Record, others: list[Record]) -> Spec | None:
        """At real scale, the spec of `record` and its workloads' records (`others`) at their CPU-scaled sizes
        in the real spec's dtype, for the degenerate check (`degenerate.check_spec`'s `twin`); None at cpu
        scale or when one of them has no CPU-scaled calls."""
        if self.config.scale != "real" or any(r.cpu_calls is None for r in [record, *others]):
            return None
        twin = render_record(record, scale="cpu", cpu_dtype=MODEL_DTYPE)
        workloads = []
        for other in others:
            rendered = render_record(other, scale="cpu", cpu_dtype=MODEL_DTYPE)
            workloads.append(Workload(label=f"twin sig={other.signature}", shapes=rendered.shapes,
                                      source=rendered.source))
        return replace(twin, workloads=tuple(workloads))

    def workloads_of(self, record: Record, spec: Spec) -> tuple[Workload, ...]:
        """Up to `extra_workloads` renders of the records making `record`'s calls in the same module of the
        same model, in another regime (see the module docstring)."""
        return tuple(workload for workload, _ in self._workloads(record, spec))

    def _workloads(self, record: Record, spec: Spec) -> list[tuple[Workload, Record]]:
        mine = {(s["model"], s["module"]): s["regime"] for s in record.sources}
        found = []
        for other in self._same_calls[_calls_key(record)]:
            regimes = sorted({s["regime"] for s in other.sources if (s["model"], s["module"]) in mine
                              and s["regime"] != mine[(s["model"], s["module"])]})
            if other.signature != record.signature and regimes:
                found.append((regimes[0], other.signature, other))
        out, seen = [], {spec.source}
        for regime, _, other in sorted(found, key=lambda f: f[:2]):
            rendered = render_record(other, scale=self.config.scale, cpu_dtype=self.config.cpu_dtype)
            if rendered.source in seen or rendered.dtype != spec.dtype \
                    or [len(x) for x in rendered.shapes] != [len(x) for x in spec.shapes]:
                continue
            seen.add(rendered.source)
            out.append((Workload(label=f"{regime} sig={other.signature}", shapes=rendered.shapes,
                                 source=rendered.source), other))
            if len(out) == self.extra_workloads:
                break
        return out


def _calls_key(record: Record) -> str:
    """What two records making the same calls at other sizes share: kind, ops and wiring."""
    return json.dumps([record.record, [(c["op"], c["wires"]) for c in record.calls]])
