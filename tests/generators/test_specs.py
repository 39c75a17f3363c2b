"""The spec sampler: deterministic for a seed, distinct content-derived ids, KernelBench-format sources,
budgets, weights and the config errors users see."""

from __future__ import annotations

import json
import math
from collections import Counter

import pytest
import torch

from generators.specs import FAMILIES, OPS, OPS_BY_FAMILY, SpecSampler
from kerneldata.core.config import ConfigError, SpecsConfig, load_config
from kerneldata.core.domains import parse_domain

SMALL = dict(max_numel=1 << 12, max_bytes=1 << 16)


def _sample(seed=0, num_specs=30, **fields):
    return SpecSampler(SpecsConfig(num_specs=num_specs, **fields), seed).sample(num_specs)


def test_same_seed_same_specs_byte_for_byte():
    first = [json.dumps(s.to_json()) for s in _sample(num_specs=200)]
    assert first == [json.dumps(s.to_json()) for s in _sample(num_specs=200)]
    assert first != [json.dumps(s.to_json()) for s in _sample(seed=1, num_specs=200)]


def test_a_longer_sample_extends_a_shorter_one():
    assert [s.spec_id for s in _sample(num_specs=50)] == [s.spec_id for s in _sample(num_specs=80)][:50]


def test_spec_ids_are_distinct_and_content_derived():
    specs = _sample(num_specs=300)
    assert len({s.spec_id for s in specs}) == 300
    for spec in specs:
        assert spec.spec_id.startswith(spec.family + "-")
    other = {s.spec_id: s for s in _sample(seed=3, num_specs=300)}
    for spec in specs:  # the id does not depend on which seed produced the spec
        if spec.spec_id in other:
            assert other[spec.spec_id].source == spec.source


def test_duplicates_are_drawn_again_not_kept():
    # One op, one dtype, no edge sizes, one layout: only the pool's shapes remain, each once.
    # Three fp32 (n, n) tensors in 64 KiB: n <= 73, so 16, 32, 48 and 64 from the pool, each exactly once.
    specs = _sample(num_specs=4, ops=["matmul_square"], dtypes=["float32"], edge_rate=0.0, **SMALL)
    assert sorted(s.shapes[0][0] for s in specs) == [16, 32, 48, 64]


def test_breadth_every_family_appears_with_its_ops():
    specs = _sample(num_specs=2000, dtypes=["float32", "float16", "bfloat16"])
    assert {s.family for s in specs} == set(FAMILIES)
    assert len(FAMILIES) >= 12 and len(OPS) >= 60
    seen_ops = Counter(op for s in specs for op in s.ops)
    assert len([op for op in OPS if seen_ops[op]]) >= 0.9 * len(OPS)
    assert {s.dtype for s in specs} == {"float32", "float16", "bfloat16"}
    assert any("transposed" in s.layouts for s in specs)  # non-contiguous layouts are sampled
    ones = [d for s in specs for shape in s.shapes for d in shape if d == 1]
    primes = [d for s in specs for shape in s.shapes for d in shape if d in (13, 17, 31, 61, 127, 257, 509, 1021)]
    assert ones and primes  # edge sizes are sampled


def test_every_spec_fits_its_budget_and_declares_domains():
    config = SpecsConfig(num_specs=400, **SMALL)
    for spec in SpecSampler(config, 5).sample(400):
        assert len(spec.input_domains) == len(spec.shapes) == len(spec.layouts)
        for shape in (*spec.shapes, spec.output_shape):
            assert math.prod(shape) <= config.max_numel, (spec.ops, shape)
        assert sum(math.prod(s) for s in spec.shapes) * 2 <= config.max_bytes, (spec.ops, spec.shapes)
        for domain in spec.input_domains:
            parse_domain(domain)  # raises on a name outside the vocabulary


def test_generated_source_runs_and_matches_the_record():
    for spec in _sample(num_specs=60, seed=7, **SMALL):
        namespace = {}
        exec(spec.source, namespace)
        torch.manual_seed(0)
        inputs = namespace["get_inputs"]()
        assert [tuple(x.shape) for x in inputs] == [tuple(s) for s in spec.shapes]
        for x, layout in zip(inputs, spec.layouts):
            assert x.is_contiguous() == (layout == "contiguous") or min(x.shape[-2:]) == 1


def test_family_weights_shift_the_mix_and_zero_removes_a_family():
    specs = _sample(num_specs=600, family_weights={"matmul": 10.0, "loss": 0.0})
    counts = Counter(s.family for s in specs)
    assert "loss" not in counts
    assert counts["matmul"] > 3 * max(n for fam, n in counts.items() if fam != "matmul")


def test_ops_allow_list_restricts_ops_and_families():
    specs = _sample(num_specs=40, ops=["relu", "softmax", "matmul"])
    assert {op for s in specs for op in s.ops} == {"relu", "softmax", "matmul"}
    assert {s.family for s in specs} == {"elementwise", "softmax", "matmul"}


def test_dtypes_only_where_the_op_supports_them():
    specs = _sample(num_specs=60, ops=["avg_pool3d", "max_pool3d"], dtypes=["float16", "float32"], **SMALL)
    assert {s.dtype for s in specs if s.ops == ("avg_pool3d",)} == {"float32"}  # no fp16 CPU kernel
    assert "float16" in {s.dtype for s in specs if s.ops == ("max_pool3d",)}


def test_json_line_has_the_documented_fields():
    line = _sample(num_specs=1)[0].to_json()
    assert {"spec_id", "family", "ops", "dtype", "shapes", "source", "origin", "input_domains", "layouts",
            "output_shape", "atol", "rtol"} <= set(line)
    assert line["origin"] == "sampler:v2 seed=0"


def test_row_carries_input_domains_for_the_verifier():
    spec = _sample(num_specs=1, ops=["log"])[0]
    assert spec.to_row()["input_domains"] == ["positive"]
    assert "torch.rand(" in spec.source and "+ 0.1" in spec.source


@pytest.mark.parametrize(("fields", "message"), [
    ({"families": ["convolution"]}, "unknown spec family 'convolution'; known families: attention, binary, conv"),
    ({"ops": ["conv4d"]}, "unknown op 'conv4d' in specs.ops; known ops: abs, add"),
    ({"family_weights": {"nope": 1.0}}, "unknown spec family 'nope'"),
    ({"families": ["matmul"], "ops": ["relu"]}, "spec family 'matmul' has no op among specs.ops"),
    ({"families": ["attention"], "max_numel": 64, "max_bytes": 256}, "specs.max_bytes=256"),
    ({"families": []}, "specs.families is empty"),
])
def test_config_problems_name_the_key_and_the_choices(fields, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        SpecSampler(SpecsConfig(**fields), 0)


def test_impossible_request_says_why():
    config = SpecsConfig(ops=["matmul"], dtypes=["float32"], max_numel=256, edge_rate=0.0, noncontiguous_rate=0.0)
    assert len(SpecSampler(config, 0).sample(1)) == 1  # 16 x 16 x 16 is the one matmul that fits
    with pytest.raises(ValueError, match="distinct specs exist"):
        SpecSampler(config, 0).sample(5)


def test_sampler_config_keys_are_checked_at_load(tmp_path):
    with pytest.raises(ConfigError, match="unknown key 'specs.family_weight'; allowed keys under 'specs'"):
        load_config(None, ["specs.family_weight={matmul: 2}"])
    with pytest.raises(ConfigError, match="specs.family_weights"):
        load_config(None, ["specs.family_weights={matmul: -1}"])
    with pytest.raises(ConfigError, match="specs.dtypes.0"):
        load_config(None, ["specs.dtypes=[float64]"])
    assert load_config(None, ["specs.max_bytes=4096"]).specs.max_bytes == 4096


def test_families_group_the_registry():
    assert set(OPS_BY_FAMILY) | {"fused"} == set(FAMILIES)
    assert all(op.family == family for family, ops in OPS_BY_FAMILY.items() for op in ops)


# -- several workloads per spec (issue 16) -----------------------------------------------------------------

def _run_source(source: str):
    namespace: dict = {}
    exec(compile(source, "<problem>", "exec"), namespace)
    torch.manual_seed(0)
    init = namespace["get_init_inputs"]()
    with torch.no_grad():
        out = namespace["Model"](*init)(*namespace["get_inputs"]())
    return init, out


def test_specs_carry_extra_workloads_deterministically_without_changing_the_shown_ones():
    specs = _sample(num_specs=120)
    assert [json.dumps(s.to_json()) for s in specs] == [json.dumps(s.to_json()) for s in _sample(num_specs=120)]
    single = _sample(num_specs=120, extra_workloads=0)
    # The extra workloads take no random draw: the shown problems, and their ids, are those of a
    # single-workload run.
    assert [s.source for s in specs] == [s.source for s in single]
    assert all(not s.workloads for s in single)
    with_more = [s for s in specs if s.workloads]
    assert len(with_more) >= 0.8 * len(specs)
    assert [s.spec_id for s in specs] == [s.spec_id for s in single]  # the id is the shown problem's
    for spec in with_more:
        (workload,) = spec.workloads  # specs.extra_workloads defaults to 1
        assert workload.source != spec.source and workload.shapes != spec.shapes
        assert [len(s) for s in workload.shapes] == [len(s) for s in spec.shapes]
        assert "=" in workload.label


def test_extra_workloads_run_take_the_same_constructor_arguments_and_stay_small():
    specs = [s for s in _sample(num_specs=40, extra_workloads=2, **SMALL) if s.workloads]
    assert any(len(s.workloads) == 2 for s in specs)
    for spec in specs[:15]:
        init, _ = _run_source(spec.source)
        shown_numel = sum(math.prod(shape) for shape in spec.shapes)
        for workload in spec.workloads:
            other_init, _ = _run_source(workload.source)
            assert other_init == init, (spec.spec_id, workload.label)
            # at most GROWTH (2x) the shown workload's bytes, so the interpreter's cost stays near the shown one's
            assert sum(math.prod(shape) for shape in workload.shapes) <= 2 * shown_numel + 64
        assert len({w.source for w in spec.workloads}) == len(spec.workloads)
    round_trip = type(specs[0]).from_json(json.loads(json.dumps(specs[0].to_json())))
    assert round_trip == specs[0] and round_trip.spec_id == specs[0].spec_id
    assert specs[0].to_row()["workloads"][0]["reference_code"] == specs[0].workloads[0].source
