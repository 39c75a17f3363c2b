"""`specs stats` counts each input at the bytes its elements really take."""

from __future__ import annotations

from generators.specs.stats import input_bytes, size_bucket


def test_inputs_count_at_their_own_element_size():
    line = {"dtype": "float16", "shapes": [[1000], [1000], [1001], [1000], [1000], [1000]],
            "input_domains": ["normal", "index:vocab", "offsets:total", "mask", "int8", "fp8_e4m3_bits"]}
    # fp16 data 2 bytes, an index and an offset 8 each, a mask, an int8 and an fp8 element 1 each.
    assert input_bytes(line) == 1000 * 2 + 1000 * 8 + 1001 * 8 + 1000 + 1000 + 1000
    assert input_bytes({"dtype": "float32", "shapes": [[4, 256]]}) == 4096
    assert size_bucket(4095) == "<4KiB" and size_bucket(4096) == "4-64KiB"


def test_stats_count_the_workloads_each_spec_carries():
    from generators.specs import SpecSampler
    from generators.specs.stats import coverage, format_coverage
    from kerneldata.core.config import SpecsConfig

    lines = [spec.to_json() for spec in SpecSampler(SpecsConfig(num_specs=40), 0).sample(40)]
    single = [spec.to_json() for spec in SpecSampler(SpecsConfig(num_specs=40, extra_workloads=0), 0).sample(40)]
    counts = coverage(lines)["workloads"]
    assert sum(counts.values()) == 40 and set(counts) <= {"1", "2"} and counts.get("2", 0) > 20
    assert coverage(single)["workloads"] == {"1": 40}
    assert "workloads:\n  2  " in format_coverage(coverage(lines))
