"""Capturing the curated list into deduplicated records, reading and writing them, and drawing specs from
them weighted by the time share they take in the models that run them.

`WorkloadSampler` has the spec sampler's interface (`sample(n)`, used by `degenerate.sample_checked`): the
order in which records are drawn is fixed by the seed alone (weighted sampling without replacement by
Efraimidis-Spirakis keys, key = u ** (1 / weight)), so a larger draw extends a smaller one and the same
seed gives the same specs. Records that do not render at the configured scale are skipped.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from generators.specs.workloads.architectures import ARCHITECTURES, architecture, regime
from generators.specs.workloads.capture import trace
from generators.specs.workloads.cost import get_roofline
from generators.specs.workloads.records import Record, dedup, records_from_trace
from generators.specs.workloads.render import render_record, renderable
from kerneldata.core.spec import Spec


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

    def __init__(self, config, seed: int, records: list[Record] | None = None) -> None:
        self.config = config
        self.seed = seed
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

    def order(self) -> list[Record]:
        rng = random.Random(f"kerneldata-workloads-{self.seed}")
        keyed = [(rng.random() ** (1.0 / r.weight), r.signature, r) for r in self.records]
        return [r for _, _, r in sorted(keyed, key=lambda k: (-k[0], k[1]))]

    def sample(self, num_specs: int) -> list[Spec]:
        specs: dict[str, Spec] = {}
        for record in self.order():
            if len(specs) >= num_specs:
                break
            spec = render_record(record, scale=self.config.scale, cpu_dtype=self.config.cpu_dtype)
            specs.setdefault(spec.spec_id, spec)
        if len(specs) < num_specs:
            raise ValueError(f"only {len(specs)} distinct workload specs exist; asked for {num_specs}")
        return list(specs.values())
