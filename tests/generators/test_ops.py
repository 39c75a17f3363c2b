"""Every registered op: its problem renders, its reference runs on CPU for a sampled shape in every dtype it
declares, gives the declared output shape, and draws its inputs from their declared domains."""

from __future__ import annotations

import pytest
import torch

from generators.specs import OPS, get_op, sample_op
from generators.specs.degenerate import check_spec
from kerneldata.core.config import SpecsConfig
from kerneldata.core.domains import parse_domain

SMALL = SpecsConfig(max_numel=1 << 12, max_bytes=1 << 16)
CASES = [(name, dtype) for name, op in OPS.items() for dtype in op.dtypes]


def _run(spec, seed=0):
    namespace = {}
    exec(spec.source, namespace)
    torch.manual_seed(seed)
    model = namespace["Model"](*namespace["get_init_inputs"]()).eval()
    inputs = namespace["get_inputs"]()
    with torch.no_grad():
        return inputs, model(*inputs)


@pytest.mark.parametrize(("name", "dtype"), CASES, ids=[f"{n}-{d}" for n, d in CASES])
def test_op_renders_a_problem_whose_reference_runs(name, dtype):
    spec = sample_op(name, seed=1, dtype=dtype, config=SMALL)
    assert spec.ops == (name,) and spec.family == OPS[name].family
    assert "class Model(nn.Module)" in spec.source and "def get_init_inputs" in spec.source
    inputs, out = _run(spec)
    assert tuple(out.shape) == spec.output_shape
    assert [tuple(x.shape) for x in inputs] == [tuple(s) for s in spec.shapes]
    if out.is_floating_point():
        assert out.dtype == getattr(torch, dtype)
        assert torch.isfinite(out).all()
    for x, domain in zip(inputs, spec.input_domains):
        kind, bounds = parse_domain(domain)
        if kind.name == "index":
            assert x.dtype == torch.int64 and bounds[0] <= int(x.min()) and int(x.max()) < bounds[1]
        elif kind.name == "mask":
            assert x.dtype == torch.bool and x[..., 0].all()
        elif kind.name == "offsets":  # sorted boundaries from 0 to a total the problem declares
            assert x.dtype == torch.int64 and int(x[0]) == 0 and bool((x[1:] >= x[:-1]).all())
        elif kind.name == "int8":
            assert x.dtype == torch.int8 and int(x.min()) >= -127
        elif kind.name == "fp8_e4m3_bits":
            assert x.dtype == torch.uint8 and torch.isfinite(x.view(torch.float8_e4m3fn).float()).all()
        else:
            assert x.dtype == getattr(torch, dtype)
            low = {"positive": 0.1, "nonnegative": 0.0, "unit_interval": 0.0, "probabilities": 0.0}.get(kind.name)
            if low is not None:
                assert float(x.min()) >= low - 1e-3, (name, domain)
            if kind.name == "sign":
                assert set(x.unique().tolist()) <= {-1.0, 1.0}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_is_not_degenerate_on_a_default_draw(name):
    check = check_spec(sample_op(name, seed=2, config=SMALL))
    assert check.ok, (name, check.reason, check.detail)


def test_registry_breadth_and_unknown_names():
    assert len(OPS) >= 60
    assert len({op.family for op in OPS.values()}) >= 12
    with pytest.raises(ValueError, match="unknown op 'conv4d'; known ops: abs, add, "):
        get_op("conv4d")


def test_unsupported_dtype_is_refused():
    with pytest.raises(ValueError, match="op 'avg_pool3d' does not support dtype 'float16'"):
        sample_op("avg_pool3d", dtype="float16")


def test_domains_change_the_generated_inputs():
    # The same shapes, one op drawing positive inputs: its inputs never go below 0.1.
    for seed in range(3):
        inputs, out = _run(sample_op("log", seed=seed, config=SMALL), seed)
        assert float(inputs[0].min()) >= 0.1 and torch.isfinite(out).all()
