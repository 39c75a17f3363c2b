"""shards.card: the rendered README.md of a run directory."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kerneldata.core.config import Config
from shards.card import TEMPLATE_PATH, render_card, size_category

REPO_ROOT = Path(__file__).resolve().parents[2]


def _manifest(**changes) -> dict:
    manifest = {
        "kerneldata_version": "0.1.0",
        "created_at": "2026-01-02T03:04:05+00:00",
        "run_name": "quickstart",
        "counts": {"candidates": 10, "specs": 3, "accepted": 4, "rejected": 5, "unverified": 1,
                   "raw": 10, "sft": 4, "rl": 2, "preference": 6},
        "by_stage": {"correctness": 7, "static": 3},
        "by_reason": {"ok": 4, "mismatch": 3, "interpreter_limit": 1, "syntax_error": 2},
        "by_family": {"elementwise": {"candidates": 6, "accepted": 3}, "matmul": {"candidates": 4, "accepted": 1}},
        "hardware": ["cpu (triton interpreter)"],
        "devices": ["cpu"],
        "versions": {"python": "3.11.7"},
    }
    manifest.update(changes)
    return manifest


def _front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n")[1])


def test_the_template_ships_beside_the_package_as_the_root_card():
    assert TEMPLATE_PATH.parent.name == "shards"
    assert TEMPLATE_PATH.is_symlink()
    assert TEMPLATE_PATH.resolve() == (REPO_ROOT / "DATASET_CARD.md").resolve()


def test_front_matter():
    front = _front_matter(render_card(_manifest(), Config().to_yaml()))
    assert front["license"] == "apache-2.0"
    assert front["tags"] == ["synthetic", "kernels", "triton", "code"]
    assert front["task_categories"] == ["text-generation"]
    assert front["size_categories"] == ["n<1K"]
    assert front["configs"] == [
        {"config_name": "raw", "data_files": [{"split": "train", "path": "raw/*.parquet"}]},
        {"config_name": "sft", "default": True, "data_files": [{"split": "train", "path": "sft/*.parquet"}]},
        {"config_name": "rl", "data_files": [{"split": "train", "path": "rl/*.parquet"}]},
        {"config_name": "preference", "data_files": [{"split": "train", "path": "preference/*.parquet"}]},
    ]


def test_configs_name_the_manifests_shard_files():
    # Names carry a digest of the split's bytes, and `datasets` keys its cache by these entries: new rows,
    # new names, no stale load (shards.writer, "Names by content"). A manifest without `shards` (an older
    # run) keeps the glob.
    shards = {"raw": ["train-00000-of-00002-0123456789abcdef.parquet", "train-00001-of-00002-0123456789abcdef.parquet"],
              "sft": ["train-00000-of-00001-fedcba9876543210.parquet"]}
    configs = _front_matter(render_card(_manifest(shards=shards), Config().to_yaml()))["configs"]
    paths = {c["config_name"]: c["data_files"][0]["path"] for c in configs}
    assert paths["raw"] == [f"raw/{name}" for name in shards["raw"]]
    assert paths["sft"] == ["sft/train-00000-of-00001-fedcba9876543210.parquet"]
    assert paths["rl"] == "rl/*.parquet"


def test_empty_splits_are_not_declared_and_the_card_says_so():
    counts = dict(_manifest()["counts"], accepted=0, sft=0, rl=0, preference=0)
    card = render_card(_manifest(counts=counts), Config().to_yaml())
    assert [c["config_name"] for c in _front_matter(card)["configs"]] == ["raw"]
    assert "Empty in this run: `sft`, `rl`, `preference`." in card


def test_body_renders_the_run():
    card = render_card(_manifest(), Config().to_yaml())
    assert "kerneldata-template-note" not in card and "template-note" not in card
    assert "# kerneldata: quickstart" in card
    assert "**10 candidates** for **3 specs**" in card
    assert "| `mismatch` | correctness | 3 | 30.0% |" in card
    assert "| `elementwise` | 6 | 3 | 50.0% |" in card
    assert "- cpu (triton interpreter)" in card
    assert 'load_dataset("<run directory or Hub repo id>", "sft", split="train")' in card
    assert "Teacher: `builtin`" in card and "seed 0" in card
    assert "name: quickstart" not in card  # the config block is the given YAML, not the manifest
    assert "## Columns" in card
    # string.Template leaves no placeholder behind (substitute raises on a missing one; this catches `$$`).
    assert "$" not in card.split("## Columns")[0].replace("$$", "")


def test_the_summary_says_whether_and_how_candidates_were_refined():
    assert "- Refinement: off (one answer per sample, no feedback)." in render_card(_manifest(), Config().to_yaml())
    refined = Config.model_validate({"refine": {"max_turns": 2, "stop_on_accept": False,
                                                "max_candidates_per_spec": 10}})
    manifest = _manifest(by_turn={"0": {"candidates": 6, "accepted": 3}, "1": {"candidates": 4, "accepted": 1}},
                         refinement={"max_turns": 2, "specs_stopped": {"max_candidates": 2, "max_turns": 1}})
    card = render_card(manifest, refined.to_yaml())
    assert ("- Refinement: up to 2 rounds after the first answers; each round the best 4 candidates of a spec get "
            "the verifier's feedback and 1 answer(s) each; a spec stops when an accepted kernel reaches 1.5x "
            "eager, or at 10 candidates. Candidates (accepted) by turn: turn 0: 6 (3), turn 1: 4 (1). Specs "
            "stopped by: `max_candidates` 2, `max_turns` 1.") in card


def test_a_cpu_run_says_what_the_interpreter_cannot_check():
    card = render_card(_manifest(), Config().to_yaml())
    assert "verified on CPU only, under the Triton interpreter" in card
    assert "out-of-bounds" in card and "TF32 or bf16" in card
    assert "speedup_vs_eager`, `speedup_vs_compile` and `runtime_ms` are null" in card


def test_a_gpu_run_does_not_claim_cpu_limits():
    card = render_card(_manifest(devices=["cuda"], hardware=["NVIDIA H200"]), Config().to_yaml())
    assert "verified and timed on GPU (`cuda`)" in card
    assert "verified on CPU only" not in card


@pytest.mark.parametrize("rows, category", [
    (0, "n<1K"), (999, "n<1K"), (1_000, "1K<n<10K"), (99_999, "10K<n<100K"), (250_000, "100K<n<1M"),
    (2_000_000_000, "1B<n<10B"),
])
def test_size_category(rows, category):
    assert size_category(rows) == category



def test_the_card_reports_splits_speedups_curation_licence_and_intended_use():
    """Issue 6's list for the card, each with the run's own numbers."""
    config = Config.model_validate({"decontamination": {"benchmarks": ["ScalingIntelligence/KernelBench"]}})
    manifest = _manifest(
        devices=["cuda"], hardware=["NVIDIA H200"],
        speedups={"all": {"n": 4, "median": 1.25, "p90": 2.5, "max": 3.0},
                  "elementwise": {"n": 3, "median": 1.5, "p90": 2.75, "max": 3.0}},
        dedup={"clusters": 2, "duplicates": 3, "exact_duplicate": 1, "near_duplicate": 2},
        decontamination={"checked": 10, "contaminated": 2, "by_benchmark": {"ScalingIntelligence/KernelBench": 2},
                         "by_reason": {"spec_match": 2}, "items_matched": {"ScalingIntelligence/KernelBench": 1}})
    card = render_card(manifest, config.to_yaml())
    for split, rows in (("raw", 10), ("sft", 4), ("rl", 2), ("preference", 6)):
        assert f"| `{split}` | {rows} |" in card
    assert "| `elementwise` | 3 | 1.50x | 2.75x | 3.00x |" in card and "| `all` | 4 | 1.25x |" in card
    assert "| clusters | duplicates | exact | near |" in card and "| 2 | 3 | 1 | 2 |" in card
    assert "Checked against `ScalingIntelligence/KernelBench`" in card and "2 of 10 rows matched" in card
    assert "| `ScalingIntelligence/KernelBench` | 2 | 1 |" in card and "| `spec_match` | 2 |" in card
    assert "## Intended use and limits" in card and "## License" in card and "Apache-2.0" in card
    assert "- NVIDIA H200" in card
