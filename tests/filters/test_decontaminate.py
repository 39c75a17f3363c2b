"""filters.decontaminate: rows overlapping a benchmark are marked with the item they matched, never dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kerneldata.core.config import DecontaminationConfig
from kerneldata.core.schema import RAW_SCHEMA, table_from_rows
from kerneldata.core.normalize import Canonical, normalize_tokens
from filters.decontaminate import (
    BenchmarkError, BenchmarkIndex, _text_features, decontaminate, load_benchmarks, spec_signature, summary,
)
from tests.core.test_normalize import KERNEL
from tests.shards.conftest import raw_row

BENCH = Path(__file__).parent / "benchmarks"
KERNELBENCH = str(BENCH / "kernelbench_mini")
TRITONBENCH = str(BENCH / "tritonbench_mini")


def problem(op: str, rows: int, cols: int, *, doc: str = "A problem.") -> str:
    """A problem as kerneldata's sampler renders one (names and layout unlike KernelBench's)."""
    return f'''import torch
import torch.nn as nn


class Model(nn.Module):
    """{doc}"""

    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.{op}(x)


X_DIM0 = {rows}
X_DIM1 = {cols}
DTYPE = torch.float32


def get_inputs():
    x = torch.randn(X_DIM0, X_DIM1, dtype=DTYPE)
    return [x]


def get_init_inputs():
    return []
'''


@pytest.fixture(scope="module")
def index():
    return BenchmarkIndex(load_benchmarks([KERNELBENCH, TRITONBENCH]))


def _check(index, rows):
    out = decontaminate(table_from_rows(rows, RAW_SCHEMA), index)
    return {r["candidate_id"]: (r["contamination_reason"], r["contamination_benchmark"], r["contamination_item"])
            for r in out.to_pylist()}


def test_loading_directories_files_and_data_rows():
    items = load_benchmarks([KERNELBENCH, str(BENCH / "tritonbench_mini" / "tritonbench_g.jsonl")])
    assert [(i.benchmark, i.item) for i in items] == [
        ("kernelbench_mini", "level1/19_ReLU.py"),
        ("kernelbench_mini", "level1/1_Square_matrix_multiplication_.py"),
        ("kernelbench_mini", "level1/23_Softmax.py"),
        ("kernelbench_mini", "level1/47_Sum_reduction_over_a_dimension.py"),
        ("kernelbench_mini", "level2/12_Gemm_Multiply_LeakyReLU.py"),
        ("tritonbench_g.jsonl", "tritonbench_g.jsonl/rmsnorm_fused.py"),
    ]
    assert "_rms_norm_fwd_fused" in items[-1].text and "Write a fused" not in items[-1].text


def test_a_missing_benchmark_is_an_error_naming_it(tmp_path):
    with pytest.raises(BenchmarkError, match="no such file or directory"):
        load_benchmarks([str(tmp_path / "nope")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(BenchmarkError, match="holds no problems"):
        load_benchmarks([str(tmp_path / "empty")])


def test_spec_signatures_read_ops_and_shapes_without_running_anything():
    assert spec_signature(problem("relu", 16, 16384)) == (("relu",), ((16, 16384),))
    text = (BENCH / "kernelbench_mini" / "level2" / "12_Gemm_Multiply_LeakyReLU.py").read_text()
    assert spec_signature(text) == (("linear", "mul", "leakyrelu"), ((128, 1024),))
    assert spec_signature("print('no model here')") is None


def test_spec_level_match_marks_every_row_of_the_spec(index):
    rows = [raw_row("elementwise-a", "a1", "accepted", reference_code=problem("relu", 16, 16384)),
            raw_row("elementwise-a", "a2", "rejected", reference_code=problem("relu", 16, 16384)),
            # same op, other shape: not the benchmark's problem
            raw_row("elementwise-b", "b1", "accepted", reference_code=problem("relu", 16, 4096)),
            raw_row("elementwise-c", "c1", "accepted", reference_code=problem("tanh", 16, 16384))]
    got = _check(index, rows)
    assert got["a1"] == got["a2"] == ("spec_match", "kernelbench_mini", "level1/19_ReLU.py")
    assert got["b1"] == got["c1"] == (None, None, None)


def test_a_copied_benchmark_reference_matches_at_code_level(index):
    text = (BENCH / "kernelbench_mini" / "level1" / "23_Softmax.py").read_text()
    copied = text.replace("batch_size = 16", "batch_size = 8")  # other shapes: not a spec match
    copied = copied.replace("Simple model", "A model").replace("def forward(self, x", "def forward(self, inp")
    copied = copied.replace("softmax(x,", "softmax(inp,")
    got = _check(index, [raw_row("reduction-a", "a1", "accepted", reference_code=copied)])
    assert got["a1"] == ("reference_ngram", "kernelbench_mini", "level1/23_Softmax.py")
    # Same shapes too, with the spec level off: the whole renamed item is a substring of the row.
    renamed = copied.replace("batch_size = 8", "batch_size = 16")
    no_spec = BenchmarkIndex(index.items, DecontaminationConfig(spec_level=False))
    got = _check(no_spec, [raw_row("reduction-a", "a1", "accepted", reference_code=renamed)])
    assert got["a1"] == ("reference_substring", "kernelbench_mini", "level1/23_Softmax.py")


def test_a_kernel_copied_from_a_benchmark_matches_at_code_level(index):
    item = json.loads((BENCH / "tritonbench_mini" / "tritonbench_g.jsonl").read_text())["output"]
    # renamed, recommented and wrapped in a ModelNew: still the benchmark's kernel
    copied = item.replace("_rms_norm_fwd_fused", "my_rmsnorm").replace("_var", "acc") + (
        "\nclass ModelNew(torch.nn.Module):\n    def forward(self, x, w):\n        return rms_norm(x, w)\n")
    edited = copied.replace("x_hat = x * rstd\n        y = x_hat * w", "y = x * rstd * w")  # a small edit
    rows = [raw_row("reduction-a", "a1", "accepted", code=copied),
            raw_row("reduction-a", "a2", "accepted", code=edited),
            raw_row("reduction-a", "a3", "accepted", code=KERNEL)]  # an unrelated kernel
    got = _check(index, rows)
    assert got["a1"] == ("code_substring", "tritonbench_mini", "tritonbench_g.jsonl/rmsnorm_fused.py")
    assert got["a2"][0] == "code_ngram"
    assert got["a3"] == (None, None, None)


def test_matching_canonical_tokens_gives_the_answer_of_matching_their_text(index):
    # match_canonical: remembered n-gram hashes, no set built when no n-gram is shared, the text joined only
    # for an item that overlaps enough; match_text: the plain definition.
    kernel = index.items[-1].text.splitlines()  # TritonBench's kernel with a statement added: an n-gram match
    middle = len(kernel) // 2
    kernel.insert(middle, " " * (len(kernel[middle]) - len(kernel[middle].lstrip())) + "zz = 1")
    sources = [item.text for item in index.items] + [
        "\n".join(kernel), KERNEL, problem("relu", 128, 256), "x = 1\n", "# nothing\n"]
    answers = []
    for source in sources + sources:  # the second time, from the per-process memos
        expected = index.match_text(*_text_features(source, index.config.ngram_tokens))
        assert BenchmarkIndex.match_canonical(index, Canonical(normalize_tokens(source))) == expected, source
        answers.append(expected)
    assert None in answers and ("substring", 0) in answers and any(a and a[0] == "ngram" for a in answers)


def test_the_shared_kernelbench_frame_alone_is_not_contamination(index):
    # Our sampler's problems share imports, class Model and the get_inputs frame with every benchmark item.
    rows = [raw_row("elementwise-a", "a1", "accepted", reference_code=problem("sigmoid", 31, 777))]
    assert _check(index, rows)["a1"] == (None, None, None)


def test_without_the_spec_level_a_same_spec_problem_in_other_words_passes():
    no_spec = BenchmarkIndex(load_benchmarks([KERNELBENCH]), DecontaminationConfig(spec_level=False))
    rows = [raw_row("elementwise-a", "a1", "accepted", reference_code=problem("relu", 16, 16384))]
    assert _check(no_spec, rows)["a1"] == (None, None, None)


def test_summary_counts_by_benchmark(index):
    rows = [raw_row("elementwise-a", "a1", "accepted", reference_code=problem("relu", 16, 16384)),
            raw_row("elementwise-b", "b1", "accepted", reference_code=problem("tanh", 4, 4))]
    out = decontaminate(table_from_rows(rows, RAW_SCHEMA), index)
    # The relu spec is also a task-level twin of 19_ReLU (marked, not counted as contaminated).
    assert summary(out) == {"checked": 2, "contaminated": 1, "by_benchmark": {"kernelbench_mini": 1},
                            "by_reason": {"spec_match": 1}, "task_matches": 1, "task_items_matched": 1}


def test_one_pass_curation_equals_the_two_steps(index, monkeypatch):
    from filters import parallel
    from filters.curate import curate
    from filters.dedup import dedup
    from kerneldata.core.config import DedupConfig
    from tests.core.test_normalize import RENAMED

    rows = [raw_row("elementwise-a", "a1", "accepted", reference_code=problem("relu", 16, 16384), code=KERNEL),
            raw_row("elementwise-b", "b1", "accepted", reference_code=problem("relu", 8, 64), code=RENAMED,
                    speedup=2.0),
            raw_row("elementwise-b", "b2", "rejected", reference_code=problem("relu", 8, 64), code=None)]
    raw = table_from_rows(rows, RAW_SCHEMA)
    expected = decontaminate(dedup(raw), index)
    assert curate(raw, DedupConfig(), index).equals(expected)
    monkeypatch.setattr(parallel, "MIN_ITEMS_FOR_WORKERS", 1)
    assert curate(raw, DedupConfig(workers=2), index).equals(expected)
    assert expected.column("dedup_reason").to_pylist() == ["exact_duplicate", None, None]


def test_a_hub_dataset_id_loads_every_split_as_benchmark_items(monkeypatch):
    """KernelBench's layout on the Hub (ScalingIntelligence/KernelBench): one split per level, the problem in
    `code`, its file name in `name`. Loaded through `datasets.load_dataset`, faked here: no network."""
    import datasets

    files = sorted((BENCH / "kernelbench_mini").rglob("*.py"))
    by_level: dict[str, list[dict]] = {}
    for path in files:
        level = int(path.parent.name.removeprefix("level"))
        by_level.setdefault(f"level_{level}", []).append(
            {"code": path.read_text(), "level": level, "name": path.name, "problem_id": int(path.name.split("_")[0])})
    asked = []

    def load_dataset(dataset_id, *args, **kwargs):
        asked.append(dataset_id)
        if dataset_id != "ScalingIntelligence/KernelBench":
            raise FileNotFoundError(f"Dataset '{dataset_id}' doesn't exist on the Hub or cannot be accessed.")
        return datasets.DatasetDict({split: datasets.Dataset.from_list(rows) for split, rows in by_level.items()})

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    items = load_benchmarks(["ScalingIntelligence/KernelBench"])
    assert asked == ["ScalingIntelligence/KernelBench"]
    assert {(i.benchmark, i.item) for i in items} == {
        ("ScalingIntelligence/KernelBench", f"level_{p.parent.name.removeprefix('level')}/{p.name}") for p in files}
    rows = [raw_row("e-a", "a1", "accepted", reference_code=problem("relu", 16, 16384), code=KERNEL)]
    out = decontaminate(table_from_rows(rows, RAW_SCHEMA), BenchmarkIndex(items)).to_pylist()
    assert (out[0]["contamination_reason"], out[0]["contamination_benchmark"], out[0]["contamination_item"]) == \
        ("spec_match", "ScalingIntelligence/KernelBench", "level_1/19_ReLU.py")

    with pytest.raises(BenchmarkError) as error:
        load_benchmarks(["someone/missing-bench"])
    message = str(error.value)
    assert "'someone/missing-bench': cannot load it from the Hub (FileNotFoundError" in message
    assert "\n" not in message
