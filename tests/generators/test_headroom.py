"""generators.specs.headroom and the sizing it drives (issue 16): eager's kernels and bytes traced on meta
tensors against the fused floor, real-scale and CPU-scale pools, the sampler's floors, `specs stats`."""

from __future__ import annotations

import math
import statistics

import pytest

from generators.specs.headroom import DEVICE_ROOFLINES, estimate, get_roofline, trace
from generators.specs.sampler import SpecSampler, sample_op
from generators.specs.shapes import CPU_DIVISORS, REAL_POOLS, Dim, scale_dims
from generators.specs.stats import coverage, format_coverage
from kerneldata.core.config import SpecsConfig
from kerneldata.core.profiles import PROFILES
from shards.card import CPU_SCALE_RULE, _spec_sizes

H200 = get_roofline("h200")


def _source(forward: str, inputs: str, consts: str = "", init: str = "") -> str:
    return (f"import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\nclass Model(nn.Module):\n"
            f"    def __init__(self):\n        super().__init__()\n{init}\n    def forward(self, *args):\n"
            f"        {forward}\n\n\n{consts}\n\ndef get_inputs():\n    return {inputs}\n\n\n"
            f"def get_init_inputs():\n    return []\n")


def test_one_elementwise_op_is_one_launch_at_the_fused_floor():
    # 4096 x 4096 fp16: 32 MiB read and 32 MiB written, once by eager and once by any kernel.
    room = estimate(_source("return torch.relu(args[0])", "[torch.randn(4096, 4096, dtype=torch.float16)]"))
    assert room.kernel_launches == 1 and room.eager_bytes == room.fused_bytes == 2 * 4096 * 4096 * 2
    assert room.eager_us == pytest.approx(H200.launch_us + 1e6 * room.eager_bytes / H200.hbm_bytes_per_s)
    assert room.speedup_bound == pytest.approx(1.0) and room.big


def test_an_unfused_chain_has_headroom_in_launches_and_bytes():
    # RMSNorm written out: six kernels; four of them read or write a whole (tokens, hidden) tensor, where
    # one fused kernel reads x once and writes the output once (7 tensor passes against 2).
    spec = sample_op("rms_norm", config=SpecsConfig(scale="real", max_numel=1 << 24, max_bytes=1 << 28))
    room = estimate(spec.source)
    assert room.kernel_launches == 6 and room.eager_bytes > 3.4 * room.fused_bytes
    assert room.speedup_bound == pytest.approx(room.eager_us / room.fused_us) and room.speedup_bound > 3


def test_matmul_and_attention_count_flops_and_attention_is_one_kernel():
    mm = estimate(_source("return torch.matmul(*args)", "[torch.randn(4096, 4096, dtype=torch.float16)] * 2"))
    assert mm.flops == 2 * 4096 ** 3 and mm.kernel_launches == 1
    assert mm.eager_us == pytest.approx(H200.launch_us + 1e6 * mm.flops / H200.fp16_flops_per_s)
    # fp32 matmuls in eager run without tensor cores (TF32 off by default): far slower on the roofline.
    mm32 = estimate(_source("return torch.matmul(*args)", "[torch.randn(4096, 4096)] * 2"))
    assert mm32.eager_us > 10 * mm.eager_us
    attention = estimate(_source("return F.scaled_dot_product_attention(*args, is_causal=True)",
                                 "[torch.randn(2, 8, 1024, 64, dtype=torch.float16)] * 3"))
    assert attention.kernel_launches == 1 and attention.flops == 2 * 2 * 8 * 1024 * 1024 * 128 / 2


def test_gathers_count_the_rows_picked_not_the_table():
    room = estimate(_source("return self.embed(args[0])", "[torch.randint(0, 128256, (4, 16))]",
                            init="        self.embed = nn.Embedding(128256, 4096, dtype=torch.float16)\n"))
    picked = 4 * 16 * 4096 * 2
    assert room.eager_bytes == room.fused_bytes == 4 * 16 * 8 + 2 * picked


def test_devices_differ_and_unknown_or_untraceable_say_so():
    assert set(DEVICE_ROOFLINES) == {"h100", "h200", "mi300x", "mi325x", "mi355x"}
    for name, roofline in DEVICE_ROOFLINES.items():
        assert roofline.hbm_bytes_per_s == PROFILES[name].memory_bandwidth_bytes_per_s
    source = _source("return torch.relu(args[0])", "[torch.randn(8192, 8192)]")
    assert estimate(source, "H100").eager_us > estimate(source, "H200").eager_us
    with pytest.raises(ValueError, match="unknown device profile 'B200'; known profiles: H100, H200"):
        get_roofline("B200")
    assert trace(_source("return torch.nonzero(args[0])", "[torch.randn(8, 8)]")) is None
    assert trace("class Model: pass") is None


def test_data_dependent_references_are_estimated_on_a_seeded_draw_of_their_offsets():
    import torch

    config = SpecsConfig(scale="real", max_numel=1 << 28, max_bytes=1 << 30)
    grouped = sample_op("grouped_gemm", config=config, dtype="float16")
    tokens, hidden = grouped.shapes[0]
    experts, _, ffn = grouped.shapes[1]
    state = torch.random.get_rng_state()
    found = trace(grouped.source)
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's random state is untouched
    # One mm per expert, its rows from the drawn offsets (all tokens in all), its result copied into out, and
    # the two host syncs (int(offsets[e]), int(offsets[e + 1])) eager pays per expert.
    names = [op.name for op in found.ops]
    assert names.count("mm") == names.count("copy_") == experts and names.count("_local_scalar_dense") == 2 * experts
    assert found.flops == 2 * tokens * hidden * ffn and all(op.tensor_cores for op in found.ops if op.flops)
    assert trace(grouped.source) is found and _trace_again(grouped.source).ops == found.ops  # deterministic

    varlen = sample_op("varlen_attention", config=config, seed=3)
    room = estimate(varlen.source)
    tokens, heads, head_dim = varlen.shapes[0]
    # Causal attention per sequence: at most one sequence of all the tokens, at least their even split.
    seqs = varlen.shapes[3][0] - 1
    most = 2 * heads * tokens * tokens * 2 * head_dim / 2
    assert most / seqs / 1.01 <= room.flops <= most * 1.01 and room.kernel_launches > seqs

    jagged = sample_op("jagged_sum", config=config)
    total, dim = jagged.shapes[0]
    room = estimate(jagged.source)
    assert room is not None and room.eager_bytes > room.fused_bytes >= total * dim * 4
    # Sizes that depend on floating-point values are still not estimated.
    assert trace(_source("return torch.nonzero(args[0] > 0)", "[torch.randn(8, 8)]")) is None


def _trace_again(source):
    from generators.specs.headroom import _trace

    return _trace(source, True)


def test_a_floor_like_gpu_yamls_draws_the_data_dependent_ops():
    # configs/gpu.yaml's specs section, over the families of the data-dependent ops.
    config = SpecsConfig(dtypes=["float32", "float16", "bfloat16"], scale="real", min_eager_us=20,
                         device_profile="H200", max_numel=1 << 28, max_bytes=1 << 30,
                         ops=["jagged_sum", "grouped_gemm", "varlen_attention", "embedding_bag", "relu"])
    specs = SpecSampler(config, seed=0).sample(24)
    drawn = {spec.ops[0] for spec in specs}
    assert {"jagged_sum", "grouped_gemm", "varlen_attention"} <= drawn, drawn
    assert all(estimate(spec.source).eager_us >= 20 for spec in specs)


def test_scales_draw_real_sizes_or_scale_them_down_by_the_rule():
    hidden = Dim("hidden", (64, 128, 4096))
    short = Dim("cols", (2, 3, 7, 16, 64, 512), min_size=2)  # an op asking for short rows keeps them
    real = scale_dims((hidden, short), "real")
    assert real[0].pool == REAL_POOLS["hidden"] and real[1] is short
    cpu = scale_dims((hidden,), "cpu")[0]
    assert cpu.pool == tuple(sorted({v // CPU_DIVISORS["hidden"] for v in REAL_POOLS["hidden"]}))
    assert 4097 in real[0].edges and 2 not in real[0].edges  # real-scale edge sizes are odd real sizes
    assert scale_dims((hidden,), "pools")[0] is hidden
    with pytest.raises(ValueError, match="unknown specs.scale 'huge'"):
        scale_dims((hidden,), "huge")
    # The card states the same rule the code applies.
    for kind, divisor in (("tokens and sequence lengths", 64), ("matmul sizes", 16), ("channels", 8),
                          ("image resolutions", 4)):
        assert f"by {divisor}" in CPU_SCALE_RULE and kind in CPU_SCALE_RULE
    assert CPU_DIVISORS["seq"] == 64 and CPU_DIVISORS["vocab"] == 16 and CPU_DIVISORS["channels"] == 8
    assert CPU_DIVISORS["height"] == 4 and "head_dim" not in CPU_DIVISORS and "batch" not in CPU_DIVISORS
    assert CPU_SCALE_RULE in _spec_sizes({"scale": "cpu"})
    assert "20 us" in _spec_sizes({"scale": "real", "min_eager_us": 20, "device_profile": "H200"})


def test_real_scale_with_a_floor_meets_the_gpu_budget_and_pools_do_not():
    kwargs = dict(dtypes=["float32", "float16", "bfloat16"], max_numel=1 << 28, max_bytes=1 << 30)
    real = SpecSampler(SpecsConfig(**kwargs, scale="real", min_eager_us=20), seed=1).sample(120)
    rooms = [estimate(spec.source) for spec in real]
    assert all(room.eager_us >= 20 for room in rooms)
    assert sum(room.big for room in rooms) >= 0.8 * len(rooms)
    assert statistics.median(room.eager_us for room in rooms) >= 50
    pools = SpecSampler(SpecsConfig(**kwargs), seed=1).sample(120)
    estimated = [(spec, estimate(spec.source)) for spec in pools]
    # References whose work depends on their inputs' values (offsets, cu_seqlens, expert boundaries) are
    # estimated too, on one seeded draw of those values: every spec has an estimate.
    assert all(room is not None for _, room in estimated), [spec.ops for spec, room in estimated if room is None]
    assert statistics.median(room.eager_us for _, room in estimated if room is not None) < 20
    # The same seed and config give the same specs, floor or not.
    assert [s.spec_id for s in SpecSampler(SpecsConfig(**kwargs, scale="real", min_eager_us=20), 1).sample(120)] \
        == [s.spec_id for s in real]


def test_cpu_scale_stays_within_the_quickstart_caps():
    config = SpecsConfig(ops=["relu", "softmax", "matmul", "sum"], scale="cpu", max_numel=65536, max_bytes=2 << 20)
    specs = SpecSampler(config, seed=0).sample(40)
    assert all(math.prod(shape) <= 65536 for spec in specs for shape in spec.shapes)
    matmuls = [spec for spec in specs if spec.ops == ("matmul",)]
    assert matmuls and all(spec.shapes[0][0] <= 8192 // 16 + 1 for spec in matmuls)


def test_a_floor_nothing_reaches_names_itself_and_configs_check_profiles():
    with pytest.raises(ValueError, match="min_eager_us=1000000"):
        SpecSampler(SpecsConfig(ops=["relu"], min_eager_us=1e6), seed=0).sample(2)
    with pytest.raises(ValueError, match="unknown hardware profile 'tpu'"):
        SpecsConfig(device_profile="tpu")
    assert SpecsConfig(device_profile="mi300x").device_profile == "MI300X"


def test_stats_report_the_headroom_distribution():
    lines = [spec.to_json() for spec in SpecSampler(SpecsConfig(), seed=0).sample(40)]
    room = coverage(lines, "MI300X")["headroom"]
    assert room["device"] == "MI300X" and room["estimated"] + room["not_estimated"] == 40
    assert room["eager_us"]["p10"] <= room["eager_us"]["median"] <= room["eager_us"]["max"]
    assert room["speedup_bound"]["p10"] >= 1.0 and 0 <= room["share_big"] <= 1
    text = format_coverage(coverage(lines))
    assert "headroom on H200" in text and "speedup_bound" in text and "eager_us" in text
