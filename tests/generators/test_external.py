"""External problem sets: a directory of KernelBench-format files becomes specs that keep their origin;
unusable files are reported with a reason; shapes come from the meta device (no memory spent)."""

from __future__ import annotations

import json

import pytest

from generators.specs import SpecSampler
from generators.specs.external import ExternalError, load_dir, load_external, load_hub
from kerneldata.core.config import SpecsConfig

RELU = '''import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


batch_size = 4096
dim = 393216  # 6 GiB in fp32: only the meta device can afford to look


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return []
'''
EMBED = RELU.replace("torch.relu(x)", "x").replace(
    "return [torch.randn(batch_size, dim)]",
    "return [torch.randint(0, 10, (4, 7)), torch.randn(3, 5, dtype=torch.float16), torch.rand(2) > 0.5]")


@pytest.fixture
def problem_dir(tmp_path):
    root = tmp_path / "KernelBench"
    (root / "level1").mkdir(parents=True)
    (root / "level1" / "19_ReLU.py").write_text(RELU)
    (root / "level2").mkdir()
    (root / "level2" / "7_Mixed.py").write_text(EMBED)
    (root / "level2" / "notes.py").write_text("x = 1\n")
    (root / "level2" / "broken.py").write_text("def (:\n")
    return root


def test_directory_problems_become_specs_with_their_origin(problem_dir):
    specs, problems = load_dir(problem_dir)
    assert [s.origin for s in specs] == ["external:KernelBench/level1/19_ReLU.py", "external:KernelBench/level2/7_Mixed.py"]
    relu, mixed = specs
    assert (relu.family, relu.ops, relu.dtype, relu.shapes) == ("external", ("19_ReLU",), "float32", ((4096, 393216),))
    assert relu.input_domains == ("unspecified",) and relu.source == RELU
    assert mixed.dtype == "float16" and mixed.shapes == ((4, 7), (3, 5), (2,))
    assert mixed.input_domains == ("index", "unspecified", "mask")
    assert dict(problems) == {
        "external:KernelBench/level2/broken.py": "not valid Python: invalid syntax at line 1",
        "external:KernelBench/level2/notes.py": "lacks Model, get_inputs, get_init_inputs (KernelBench format)",
    }
    assert relu.spec_id == load_dir(problem_dir)[0][0].spec_id  # content-derived, reproducible


def test_missing_directory_is_an_error(tmp_path):
    with pytest.raises(ExternalError, match="is not a directory"):
        load_external(str(tmp_path / "nowhere"))


def test_external_problems_are_a_family_of_the_sampler(problem_dir):
    config = SpecsConfig(external=[str(problem_dir)], families=["external", "elementwise"], num_specs=6)
    sampler = SpecSampler(config, 0)
    specs = sampler.sample(6)
    assert {s.family for s in specs} == {"external", "elementwise"}
    assert {s.origin for s in specs if s.family == "external"} <= {
        "external:KernelBench/level1/19_ReLU.py", "external:KernelBench/level2/7_Mixed.py"}
    assert len(sampler.external_problems) == 2
    # Without families, every family plus external.
    assert "external" in SpecSampler(SpecsConfig(external=[str(problem_dir)]), 0).families


def test_a_source_with_no_usable_problem_is_an_error(tmp_path):
    (tmp_path / "notes.py").write_text("x = 1\n")
    with pytest.raises(ValueError, match="holds no usable problem"):
        SpecSampler(SpecsConfig(external=[str(tmp_path)]), 0)


def test_hub_style_dataset_with_a_code_column(tmp_path):
    # A local dataset directory stands in for a Hub id: same loader, same columns as KernelBench's.
    data = tmp_path / "kb_hub"
    data.mkdir()
    rows = [{"code": RELU, "name": "19_ReLU.py", "level": 1}, {"code": "x = 1\n", "name": "bad.py", "level": 1}]
    (data / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    specs, problems = load_hub(str(data))
    assert [s.origin for s in specs] == [f"hf:{data}/train/19_ReLU.py"] and specs[0].ops == ("19_ReLU",)
    assert problems == [(f"hf:{data}/train/bad.py", "lacks Model, get_inputs, get_init_inputs (KernelBench format)")]


def test_unreachable_hub_dataset_is_one_line(tmp_path):
    with pytest.raises(ExternalError, match="cannot load Hub dataset") as err:
        load_external(f"hf:{tmp_path}/does-not-exist")
    assert "\n" not in str(err.value)
