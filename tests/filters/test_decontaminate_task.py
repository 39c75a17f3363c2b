"""filters.decontaminate at the task level (issue 16): a spec asking what a benchmark problem asks at other
sizes is named in `task_match`, marked or removed as the config says, and the card reports it."""

from __future__ import annotations

from pathlib import Path

import pytest

from filters.decontaminate import BenchmarkIndex, decontaminate, load_benchmarks, summary, task_signature
from generators.specs.sampler import sample_op
from kerneldata.core.config import DecontaminationConfig
from kerneldata.core.schema import RAW_SCHEMA, table_from_rows
from shards.card import _decontamination_report
from shards.writer import _decontamination_counts
from tests.shards.conftest import raw_row

KB_HEAD = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"


def _kb(forward: str, inputs: str, consts: str, init: str = "") -> str:
    """A problem written the way KernelBench writes them (sizes in lower case, docstrings, type hints)."""
    return (f"{KB_HEAD}class Model(nn.Module):\n    \"\"\"A KernelBench-style problem.\"\"\"\n"
            f"    def __init__(self):\n        super(Model, self).__init__()\n{init}\n"
            f"    def forward(self, *args) -> torch.Tensor:\n        {forward}\n\n{consts}\n\n"
            f"def get_inputs():\n    {inputs}\n\ndef get_init_inputs():\n    return []\n")


# KernelBench level-1 problems (their forward and input code as KernelBench writes it); all but LayerNorm
# have a same-task twin among the sampled specs below (MSELoss written out as arithmetic counts as
# F.mse_loss); LayerNorm over a rank-4 input has none (our layer_norm is rank 2).
LEVEL1 = {
    "19_ReLU.py": _kb("x = args[0]\n        return torch.relu(x)", "x = torch.randn(batch_size, dim)\n    return [x]",
                      "batch_size = 16\ndim = 16384"),
    "23_Softmax.py": _kb("x = args[0]\n        return torch.softmax(x, dim=1)",
                         "x = torch.randn(batch_size, dim)\n    return [x]", "batch_size = 16\ndim = 16384"),
    "1_Square_matrix_multiplication_.py": _kb("A, B = args\n        return torch.matmul(A, B)",
                                              "A = torch.randn(N, N)\n    B = torch.randn(N, N)\n    return [A, B]",
                                              "N = 2048"),
    "100_HingeLoss.py": _kb("predictions, targets = args\n        "
                            "return torch.mean(torch.clamp(1 - predictions * targets, min=0))",
                            "return [torch.randn(batch_size, *input_shape), "
                            "torch.randint(0, 2, (batch_size, 1)).float() * 2 - 1]",
                            "batch_size = 128\ninput_shape = (1,)\ndim = 1"),
    "40_LayerNorm.py": _kb("x = args[0]\n        return self.ln(x)",
                           "x = torch.randn(batch_size, features, dim1, dim2)\n    return [x]",
                           "batch_size = 16\nfeatures = 64\ndim1 = 256\ndim2 = 256",
                           "        self.ln = nn.LayerNorm(normalized_shape=(features, dim1, dim2))"),
    "94_MSELoss.py": _kb("predictions, targets = args\n        return torch.mean((predictions - targets) ** 2)",
                         "return [torch.randn(batch_size, 4096), torch.randn(batch_size, 4096)]",
                         "batch_size = 128"),
}
TWINS = {"relu": "19_ReLU.py", "softmax": "23_Softmax.py", "matmul_square": "1_Square_matrix_multiplication_.py",
         "hinge_loss": "100_HingeLoss.py", "mse_loss": "94_MSELoss.py"}
NO_TWIN = ("layer_norm", "gelu")


@pytest.fixture(scope="module")
def kernelbench(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("checkout") / "KernelBench"
    (root / "level1").mkdir(parents=True)
    for name, source in LEVEL1.items():
        (root / "level1" / name).write_text(source)
    return root


@pytest.fixture(scope="module")
def specs():
    return {name: sample_op(name, seed=3) for name in [*TWINS, *NO_TWIN]}


def _raw(specs) -> object:
    rows = []
    for name, spec in specs.items():
        for k in range(2):  # two candidates per spec: both rows of a twin are named
            rows.append(raw_row(spec.spec_id, f"{name}-{k}", "accepted", reference_code=spec.source,
                                code=f"# kernel {name} {k}", family=spec.family, ops=list(spec.ops)))
    return table_from_rows(rows, RAW_SCHEMA)


def test_task_signature_reads_op_sets_ranks_and_chains(specs):
    relu = task_signature(specs["relu"].source)
    assert relu == ("op", ("relu",), (2,)) == task_signature(LEVEL1["19_ReLU.py"])
    # F.relu and nn.ReLU are the same op; a rank-3 input is another task.
    assert task_signature(_kb("return F.relu(args[0])", "return [torch.randn(4, 8)]", "")) == relu
    assert task_signature(_kb("return torch.relu(args[0])", "return [torch.randn(4, 8, 2)]", ""))[2] == (3,)
    # amax is max; arithmetic between sizes launches nothing and is not an op.
    assert task_signature(_kb("return torch.amax(args[0], dim=-1) * (args[0].shape[-1] ** -0.5)",
                              "return [torch.randn(4, 8)]", "")) == ("chain", ("max", "mul"), (2,))
    # A chain is its ops in order (KernelBench's hinge loss against ours, randn(n, *shape) inputs).
    hinge = task_signature(LEVEL1["100_HingeLoss.py"])
    assert hinge == ("chain", ("mul", "sub", "clamp", "mean"), (2, 2)) == task_signature(specs["hinge_loss"].source)
    assert task_signature("not python (") is None and task_signature("x = 1") is None


@pytest.mark.parametrize("mode", ["mark", "remove"])
def test_same_op_twins_are_found_and_marked_or_removed(kernelbench, specs, mode):
    index = BenchmarkIndex(load_benchmarks([str(kernelbench)]), DecontaminationConfig(task_level=mode))
    out = decontaminate(_raw(specs), index).to_pylist()
    by_name = {row["candidate_id"].rsplit("-", 1)[0]: row for row in out}
    for name, item in TWINS.items():
        row = by_name[name]
        assert row["task_match"] == f"KernelBench/level1/{item}", name
        # An exact shape match it is not: sampled sizes differ from the benchmark's.
        if mode == "mark":
            assert row["contamination_reason"] is None
        else:
            assert (row["contamination_reason"], row["contamination_benchmark"], row["contamination_item"]) == \
                ("task_match", "KernelBench", f"level1/{item}")
    for name in NO_TWIN:
        assert by_name[name]["task_match"] is None and by_name[name]["contamination_reason"] is None, name
    assert sum(row["task_match"] is not None for row in out) == 2 * len(TWINS)
    report = summary(decontaminate(_raw(specs), index))
    assert report["task_matches"] == 2 * len(TWINS) and report["task_items_matched"] == len(TWINS)
    assert report["contaminated"] == (2 * len(TWINS) if mode == "remove" else 0)


def test_task_level_off_matches_nothing(kernelbench, specs):
    index = BenchmarkIndex(load_benchmarks([str(kernelbench)]), DecontaminationConfig(task_level="off"))
    out = decontaminate(_raw(specs), index)
    assert not index.tasks and out.column("task_match").null_count == out.num_rows


def test_the_card_reports_task_matches(kernelbench, specs):
    for mode, says in (("mark", "kept in the training splits"), ("remove", "left out of the training splits")):
        config = DecontaminationConfig(benchmarks=[str(kernelbench)], task_level=mode)
        raw = decontaminate(_raw(specs), BenchmarkIndex(load_benchmarks(config.benchmarks), config))
        counts = _decontamination_counts(raw)
        n = len(TWINS)
        assert (counts["task_matches"], counts["task_specs"], counts["task_items_matched"]) == (2 * n, n, n)
        text = _decontamination_report(counts, config.model_dump())
        assert f"{2 * n} rows of {n} specs ask the same task as {n} benchmark items" in text and says in text
        assert "`task_match`" in text and "| `KernelBench/level1/19_ReLU.py` | 2 |" in text
        assert counts["task_by_item"] == {f"KernelBench/level1/{item}": 2 for item in sorted(TWINS.values())}
