"""The composition grammar: sampled fused chains are valid (the reference runs and gives the declared shape)
and avoid the traps the grammar knows; the degenerate filter finds nothing in a sample of them."""

from __future__ import annotations

import random

import pytest
import torch

from generators.specs import SpecSampler
from generators.specs.compose import ACTIVATIONS, TERMINALS, sample_chain
from generators.specs.degenerate import check_spec
from kerneldata.core.config import SpecsConfig

CONFIG = SpecsConfig(families=["fused"], dtypes=["float32", "float16", "bfloat16"], max_numel=1 << 12,
                     max_bytes=1 << 16)


@pytest.fixture(scope="module")
def chains():
    return SpecSampler(CONFIG, 0).sample(120)


def test_chains_run_and_give_the_declared_shape(chains):
    for spec in chains:
        namespace = {}
        exec(spec.source, namespace)
        torch.manual_seed(0)
        model = namespace["Model"](*namespace["get_init_inputs"]())
        with torch.no_grad():
            out = model(*namespace["get_inputs"]())
        assert tuple(out.shape) == spec.output_shape, (spec.ops, spec.shapes)
        assert spec.family == "fused" and len(spec.ops) >= 2


def test_few_chains_are_degenerate_and_the_filter_names_why(chains):
    # The grammar avoids the traps it can see from the stages alone; what depends on sizes and dtypes (a
    # layer norm over two features, bf16 hiding a small variation) is left to the filter, the pipeline's
    # backstop. The grammar must keep such chains rare.
    failed = [(spec.ops, check.reason.value) for spec in chains if not (check := check_spec(spec)).ok]
    assert len(failed) <= 0.05 * len(chains), failed
    assert all(reason in {"constant", "near_zero", "ignores_input"} for _, reason in failed), failed


def test_chains_avoid_known_traps():
    rng = random.Random(0)
    producers = {"linear", "matmul", "bmm", "conv2d"}
    for _ in range(3000):
        stages = sample_chain(rng, 4).name.split("+")
        assert stages[0] in producers
        assert all(a != b for a, b in zip(stages, stages[1:])), stages  # no stage twice in a row
        assert sum(s in ("max_pool2d", "avg_pool2d") for s in stages) <= 1
        if stages[-1] in TERMINALS:
            before = stages[:-1]
            if stages[-1] in ("sum", "mean") and before[-1] in ("softmax", "layer_norm", "group_norm", "batch_norm"):
                pytest.fail(f"a sum or mean right after a normalisation: {stages}")
            if stages[-1] == "amax" and before[-1] == "clamp":
                pytest.fail(f"a maximum over a clamped dim: {stages}")
        for a, b in zip(stages, stages[1:]):
            assert not (a in ("relu", "softmax", "sigmoid") and b == "relu"), stages
            assert not (a in ("softmax", "sigmoid") and b == "clamp"), stages
        assert all(s in producers or s in ACTIVATIONS or s in TERMINALS or s in {
            "bias_add", "scale", "residual_add", "clamp", "layer_norm", "rms_norm", "softmax", "group_norm",
            "batch_norm", "max_pool2d", "avg_pool2d"} for s in stages)


def test_chains_cover_the_producers_and_stages(chains):
    stages = {s for spec in chains for s in spec.ops}
    assert {"linear", "matmul", "bmm", "conv2d"} <= stages
    assert {"layer_norm", "residual_add", "bias_add"} <= stages
