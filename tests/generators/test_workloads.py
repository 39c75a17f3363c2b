"""Workloads captured from real architectures (generators.specs.workloads): the shapes follow each
architecture's published config, dedup keeps every source, rendered problems run on CPU, the CLI writes a
file and a config with `specs.source: workloads` draws specs from it. Only a few small architectures are
traced here (a second or two each, on fake tensors)."""

from __future__ import annotations

import json
import math
import types
from dataclasses import replace

import pytest

from generators.specs.workloads.architectures import ARCHITECTURES, REGIMES, cpu_config
from generators.specs.workloads.capture import SDPA, trace
from generators.specs.workloads.cost import get_roofline
from generators.specs.workloads.records import by_model_regime, dedup, records_from_trace
from generators.specs.workloads.render import render_record, renderable
from generators.specs.workloads.sampling import WorkloadSampler, read_records, write_records
from kerneldata.cli import main
from kerneldata.core.config import WorkloadsConfig
from kerneldata.core.domains import parse_domain

H200 = get_roofline("H200")


def _records(name: str, regime: str):
    arch = ARCHITECTURES[name]
    real = trace(arch, REGIMES[regime], cpu=False)
    cpu = trace(arch, REGIMES[regime], cpu=True)
    return real, cpu, records_from_trace(real, cpu, model=name, regime=regime, layer_weights=arch.layer_weights,
                                         roofline=H200)


@pytest.fixture(scope="module")
def llama_prefill():
    return _records("llama-3.1-8b", "prefill")


@pytest.fixture(scope="module")
def llama_decode():
    return _records("llama-3.1-8b", "decode")


def _mm_out(events, module):
    (event,) = [e for e in events if e.module == module and e.op == "aten.mm.default"]
    return event.inputs[0]["shape"], event.outputs[0]["shape"]


def test_llama_projections_follow_hidden_heads_and_kv_heads(llama_prefill):
    real, cpu, records = llama_prefill
    hyper = ARCHITECTURES["llama-3.1-8b"].hyper
    tokens = REGIMES["prefill"].batch * REGIMES["prefill"].seq
    hd = hyper["head_dim"]
    assert _mm_out(real, "model.layers.0.self_attn.q_proj") == (
        [tokens, hyper["hidden_size"]], [tokens, hyper["num_attention_heads"] * hd])
    for kv in ("k_proj", "v_proj"):
        assert _mm_out(real, f"model.layers.0.self_attn.{kv}")[1] == [tokens, hyper["num_key_value_heads"] * hd]
    assert _mm_out(real, "model.layers.0.mlp.gate_proj")[1] == [tokens, hyper["intermediate_size"]]
    # One decoder layer was traced: its calls run num_hidden_layers times per forward.
    q = next(r for r in records if any(s["module"].endswith("q_proj") for s in r.sources))
    assert next(s for s in q.sources if s["module"].endswith("q_proj"))["calls_per_forward"] == 32
    # Shares are fractions of the whole forward's estimated time.
    assert by_model_regime(records)[("llama-3.1-8b", "prefill")] == pytest.approx(1.0, abs=1e-4)


def test_cpu_scale_keeps_heads_ratio_and_head_dim(llama_prefill):
    real, cpu, _ = llama_prefill
    config = cpu_config(ARCHITECTURES["llama-3.1-8b"])
    assert config["num_attention_heads"] // config["num_key_value_heads"] == 32 // 8
    assert config["head_dim"] == 128 and config["hidden_size"] == 256
    (attn,) = [e for e in cpu if e.op == SDPA]
    q, k = attn.inputs[0]["shape"], attn.inputs[1]["shape"]
    assert q[-1] == k[-1] == 128 and q[2] == REGIMES["prefill"].cpu_seq


def test_decode_attention_has_one_query_and_the_listed_kv_length(llama_decode):
    real, _, _ = llama_decode
    (attn,) = [e for e in real if e.op == SDPA]
    q, k = attn.inputs[0]["shape"], attn.inputs[1]["shape"]
    regime = REGIMES["decode"]
    assert q[:3] == [regime.batch, 32, 1]
    assert k[:3] == [regime.batch, 8, regime.kv_len + 1]  # the cache plus the new token, GQA kv heads


def test_mixtral_router_has_num_experts_outputs_and_routes_top2():
    real, _, records = _records("mixtral-8x7b", "prefill")
    tokens = REGIMES["prefill"].batch * REGIMES["prefill"].seq
    assert _mm_out(real, "model.layers.0.mlp.gate")[1] == [tokens, 8]
    topk = [e for e in real if e.op == "aten.topk.default"]
    assert topk and topk[0].args[1] == 2
    assert any(e.op == "aten._grouped_mm.default" and e.inputs[1]["shape"][0] == 8 for e in real)
    assert any(r.record == "chain" and r.label == "moe_routing" for r in records)


def test_dedup_keeps_sources_across_models(llama_prefill):
    _, _, llama = llama_prefill
    _, _, mistral = _records("mistral-7b-v0.3", "prefill")
    merged = dedup(llama + mistral)
    assert len(merged) < len(llama) + len(mistral)
    shared = [r for r in merged if {s["model"] for s in r.sources} == {"llama-3.1-8b", "mistral-7b-v0.3"}]
    # Same hidden size, heads and intermediate size: the attention and MLP GEMMs are the same problems.
    assert any(r.label == "aten.mm.default" for r in shared) and any(r.label == SDPA for r in shared)


def _run(spec):
    module = types.ModuleType("problem")
    exec(compile(spec.source, "problem", "exec"), module.__dict__)  # noqa: S102 - our own rendering
    return module.Model(*module.get_init_inputs())(*module.get_inputs())


def test_rendered_problems_run_on_cpu_with_the_recorded_output_shapes():
    _, _, records = _records("gpt2", "decode")
    _, _, dlrm = _records("dlrm-criteo", "prefill")
    ran = 0
    for record in records + dlrm:
        if not renderable(record)[0] or record.cpu_calls is None:
            continue
        spec = render_record(record, scale="cpu")
        assert all(parse_domain(domain) for domain in spec.input_domains)
        out = _run(spec)
        first = out[0] if isinstance(out, tuple) else out
        assert list(first.shape) == record.cpu_calls[-1]["outputs"][0]["shape"], record.label
        ran += 1
    assert ran >= 20
    bags = [r for r in dlrm if r.label == "aten._embedding_bag.default"]
    assert bags and bags[0].calls[0]["inputs"][0]["shape"] == [40_000_000, 128]
    assert sum(s["calls_per_forward"] for s in bags[0].sources) == 26
    spec = render_record(bags[0], scale="real")
    assert spec.dtype == "bfloat16" and "40000000" in spec.source and spec.origin.startswith("workloads:dlrm")


def test_sampler_is_deterministic_and_extends(tmp_path, llama_decode):
    path = tmp_path / "w.jsonl"
    write_records(path, dedup(llama_decode[2]))
    config = WorkloadsConfig(file=str(path))
    small = WorkloadSampler(config, seed=3).sample(4)
    large = WorkloadSampler(config, seed=3).sample(8)
    assert [s.spec_id for s in large[:4]] == [s.spec_id for s in small]
    assert all(s.family == "workload" and s.dtype == "float32" for s in large)
    assert read_records(path)[0].signature == dedup(llama_decode[2])[0].signature


def test_cli_capture_list_and_specs_from_a_workloads_config(tmp_path, capsys):
    out = tmp_path / "gpt2.jsonl"
    assert main(["workloads", "capture", "--model", "gpt2", "--regime", "decode", "--out", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines and all(line["sources"][0]["model"] == "gpt2" for line in lines)
    for command in (["workloads", "--help"], ["workloads", "capture", "--help"], ["workloads", "list", "--help"]):
        with pytest.raises(SystemExit) as exit_:
            main(command)
        assert exit_.value.code == 0
    capsys.readouterr()
    assert main(["workloads", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len([a for a in listed["architectures"] if a["kind"] != "recsys"]) >= 12
    config = tmp_path / "run.yaml"
    config.write_text(f"specs:\n  source: workloads\n  workloads:\n    file: {out}\n    records: chains\n")
    specs = tmp_path / "specs.jsonl"
    assert main(["specs", "sample", "--config", str(config), "--n", "3", "--check", "--out", str(specs)]) == 0
    drawn = [json.loads(line) for line in specs.read_text().splitlines()]
    assert len(drawn) == 3 and all(d["origin"].startswith("workloads:gpt2/decode/") for d in drawn)


def test_cli_unknown_model_is_a_usage_error(tmp_path, capsys):
    assert main(["workloads", "capture", "--model", "llama-9", "--out", str(tmp_path / "x.jsonl")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: unknown architecture 'llama-9'; known: llama-3.1-8b") and "\n" not in err


class _RayStarts(Exception):
    """Raised where Ray would start: the driver has made its specs."""


def test_a_run_with_source_workloads_draws_its_specs_from_them(tmp_path, monkeypatch, llama_decode):
    from kerneldata import pipeline
    from kerneldata.core.config import load_config

    path = tmp_path / "w.jsonl"
    write_records(path, dedup(llama_decode[2]))
    drawn = []

    def sample_checked(sampler, num_specs, seed=0, **kwargs):
        specs, rejected = original(sampler, num_specs, seed=seed, **kwargs)
        drawn.extend(specs)
        return specs, rejected

    def init_ray(config):
        raise _RayStarts

    original = pipeline.sample_checked
    monkeypatch.setattr(pipeline, "sample_checked", sample_checked)
    monkeypatch.setattr(pipeline, "_init_ray", init_ray)
    config = load_config("configs/quickstart.yaml", ["specs.source=workloads", f"specs.workloads.file={path}",
                                                     "specs.num_specs=3"])
    with pytest.raises(_RayStarts):
        pipeline.run(config, out_dir=tmp_path / "run", progress=False)
    assert len(drawn) == 3 and all(s.origin.startswith("workloads:llama-3.1-8b/decode/") for s in drawn)
    bad = load_config("configs/quickstart.yaml", ["specs.source=workloads", "specs.workloads.models=[llama-9]"])
    with pytest.raises(ValueError, match="unknown architecture 'llama-9'; known: llama-3.1-8b"):
        pipeline.run(bad, out_dir=tmp_path / "bad", progress=False)


def test_extra_workloads_are_the_same_module_in_the_other_regime(tmp_path, llama_prefill, llama_decode):
    path = tmp_path / "w.jsonl"
    write_records(path, dedup(llama_prefill[2] + llama_decode[2]))
    config = WorkloadsConfig(file=str(path))
    specs = WorkloadSampler(config, seed=5, extra_workloads=1).sample(12)
    again = WorkloadSampler(config, seed=5, extra_workloads=1).sample(12)
    assert [s.to_json() for s in specs] == [s.to_json() for s in again]
    # The same records are drawn, in the same order, whatever the count.
    single = WorkloadSampler(config, seed=5).sample(12)
    assert [s.source for s in specs] == [s.source for s in single] and not any(s.workloads for s in single)
    paired = [s for s in specs if s.workloads]
    assert len(paired) >= 6
    for spec in paired:
        (workload,) = spec.workloads
        shown_regime = spec.origin.split("/")[1]
        other = {"decode": "prefill", "prefill": "decode"}[shown_regime]
        assert workload.label.startswith(other) and workload.shapes != spec.shapes
        assert [len(s) for s in workload.shapes] == [len(s) for s in spec.shapes]
        assert workload.source.split("def forward")[1].count("torch.ops.aten") == \
            spec.source.split("def forward")[1].count("torch.ops.aten")


def test_sampler_honours_the_sizing_floors(tmp_path, llama_decode):
    """`specs.min_eager_us` / `min_headroom` hold for workload specs as for the spec sampler: a record below
    either is passed over for the next by time share, and running out says how many fell below."""
    from generators.specs.headroom import estimate

    path = tmp_path / "w.jsonl"
    write_records(path, dedup(llama_decode[2]))
    config = WorkloadsConfig(file=str(path), scale="real")
    unfloored = WorkloadSampler(config, seed=3)
    distinct = {}
    for record in unfloored.order():
        spec = render_record(record, scale="real")
        distinct.setdefault(spec.spec_id, spec)
    every = list(distinct.values())
    assert [s.spec_id for s in unfloored.sample(len(every))] == list(distinct)
    eager = {s.spec_id: estimate(s.source, "H100").eager_us for s in every}
    bound = {s.spec_id: estimate(s.source, "H100").speedup_bound for s in every}
    floor = sorted(eager.values())[len(eager) // 2]  # about half the records fall below
    above = [s.spec_id for s in every if eager[s.spec_id] >= floor]
    assert 0 < len(above) < len(every)
    floored = WorkloadSampler(config, seed=3, min_eager_us=floor, device_profile="H100")
    drawn = floored.sample(len(above))
    assert [s.spec_id for s in drawn] == above  # the unfloored order, with those below passed over
    with pytest.raises(ValueError, match=rf"only {len(above)} distinct workload specs exist; "
                                         r"\d+ of the \d+ records were not drawn .* specs.min_eager_us="):
        floored.sample(len(above) + 1)
    headroom = sorted(bound.values())[len(bound) // 2]
    by_bound = WorkloadSampler(config, seed=3, min_headroom=headroom, device_profile="H100")
    kept = [s.spec_id for s in every if bound[s.spec_id] >= headroom]
    assert [s.spec_id for s in by_bound.sample(len(kept))] == kept


def test_generate_hands_the_floors_to_the_workloads_source(tmp_path, llama_decode):
    from kerneldata.core.config import load_config
    from kerneldata.pipeline import check_config

    path = tmp_path / "w.jsonl"
    write_records(path, dedup(llama_decode[2]))
    config = load_config(None, ["specs.source=workloads", f"specs.workloads.file={path}", "specs.min_eager_us=7",
                                "specs.min_headroom=1.5", "specs.device_profile=MI300X"])
    sampler = check_config(config)[0]
    assert (sampler.min_eager_us, sampler.min_headroom, sampler.device_profile) == (7, 1.5, "MI300X")


def test_real_scale_specs_are_checked_at_their_cpu_scaled_twin(tmp_path, llama_prefill, llama_decode):
    """The degenerate check runs a real-scale workload spec's reference at its CPU-scaled twin (the same
    calls at `scale: cpu` sizes, in the spec's bfloat16), workloads included, and says so in the verdict."""
    from generators.specs.degenerate import Degenerate, check_spec, sample_checked

    path = tmp_path / "w.jsonl"
    write_records(path, dedup(llama_prefill[2] + llama_decode[2]))
    sampler = WorkloadSampler(WorkloadsConfig(file=str(path), scale="real"), seed=5, extra_workloads=1)
    specs = sampler.sample(6)
    twinned = [s for s in specs if s.spec_id in sampler.twins]
    assert len(twinned) >= 4 and set(sampler.twins) <= {s.spec_id for s in specs}
    for spec in twinned:
        twin = sampler.twins[spec.spec_id]
        assert twin.dtype == spec.dtype == "bfloat16" and len(twin.workloads) == len(spec.workloads)
        assert sum(math.prod(x) for x in twin.shapes) < sum(math.prod(x) for x in spec.shapes)
    paired = next(s for s in twinned if s.workloads)
    unchecked = []
    kept, _ = sample_checked(sampler, 6, unchecked=unchecked)
    assert len(kept) == 6
    check = check_spec(paired, twin=sampler.twins[paired.spec_id])
    assert check.spec_id == paired.spec_id and check.detail.startswith("checked at its CPU-scaled twin (inputs ")
    assert check.reason is Degenerate.OK
    # Only a spec without a twin can be left unchecked (here a real-scale one over the check's size limit).
    assert {c.spec_id for c in unchecked} <= {s.spec_id for s in specs} - set(sampler.twins)
    # The twin's verdict is the spec's: a twin that is degenerate rejects the real spec.
    bad = sampler.twins[paired.spec_id]
    bad = replace(bad, source=bad.source.replace("def forward(self", "def forward(self, *unused) -> None:\n"
                                                 "        raise RuntimeError('planted')\n\n    def _f(self"))
    failed = check_spec(paired, twin=bad)
    assert failed.reason is Degenerate.REFERENCE_ERROR and "planted" in failed.detail and not failed.ok
