"""Held-out splits by spec (shards.holdout, issue 18 item 7): sft, rl and preference gain `test` and
`validation` splits of the sizes the config asks, never one spec in two splits, loadable with `datasets`."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from kerneldata.core.config import Config, ConfigError, ShardsConfig, config_from_yaml
from kerneldata.core.schema import RAW_SCHEMA, table_from_rows
from shards.holdout import TRAIN, divide, split_name, split_of
from shards.writer import RunWriter
from tests.shards.conftest import raw_row

HELD_OUT_YAML = Config(shards=ShardsConfig(test_fraction=0.3, validation_fraction=0.2)).to_yaml()


def _raw(num_specs: int = 40):
    rows = []
    for number in range(num_specs):
        spec = f"elementwise-{number:04d}"
        rows += [raw_row(spec, f"{spec}-ok", "accepted"), raw_row(spec, f"{spec}-bad", "rejected")]
    return table_from_rows(rows, RAW_SCHEMA)


def _finalized(tmp_path, config_yaml: str = HELD_OUT_YAML):
    run_dir = tmp_path / "run"
    writer = RunWriter.create(run_dir, resume=False)
    writer.write_part(_raw())
    return run_dir, writer.finalize(config_yaml)


def test_a_spec_goes_to_one_split_by_its_id_and_the_shares_hold_on_average():
    fractions = {"test": 0.2, "validation": 0.1}
    ids = [f"spec-{number}" for number in range(20_000)]
    splits = [split_of(spec_id, fractions) for spec_id in ids]
    assert splits == [split_of(spec_id, fractions) for spec_id in ids]  # by id alone: the same every time
    assert abs(splits.count("test") / len(ids) - 0.2) < 0.01
    assert abs(splits.count("validation") / len(ids) - 0.1) < 0.01
    # A larger test share only moves specs from train or validation into test, never out of it.
    wider = {"test": 0.3, "validation": 0.1}
    assert all(split_of(spec_id, wider) == "test" for spec_id, split in zip(ids, splits) if split == "test")
    assert set(divide(_raw(), {"test": 0.0, "validation": 0.0})) == {TRAIN}


def test_sft_rl_and_preference_hold_out_whole_specs_and_raw_does_not(tmp_path):
    run_dir, manifest = _finalized(tmp_path)
    for split in ("sft", "rl", "preference"):
        files = sorted(path.name for path in (run_dir / split).glob("*.parquet"))
        assert {split_name(name) for name in files} == {"train", "test", "validation"}, files
        specs = {}
        for name in files:
            for spec_id in pq.read_table(run_dir / split / name, columns=["spec_id"])["spec_id"].to_pylist():
                specs.setdefault(spec_id, set()).add(split_name(name))
        assert all(len(parts) == 1 for parts in specs.values())
        assert len(specs) == 40  # every spec in some split
        counts = manifest["holdout"]["rows"][split]
        assert sum(counts.values()) == manifest["counts"][split]
    assert {split_name(path.name) for path in (run_dir / "raw").glob("*.parquet")} == {"train"}
    assert manifest["holdout"]["fractions"] == {"test": 0.3, "validation": 0.2}
    card = (run_dir / "README.md").read_text()
    assert "- split: test" in card and "held out by id" in card


def test_load_dataset_gives_the_held_out_splits(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    run_dir, manifest = _finalized(tmp_path)
    loaded = datasets.load_dataset(str(run_dir), "rl", cache_dir=str(tmp_path / "hf-cache"))
    assert set(loaded) == {"train", "test", "validation"}
    for name, part in loaded.items():
        assert part.num_rows == manifest["holdout"]["rows"]["rl"][name]
        assert all(split_of(spec_id, manifest["holdout"]["fractions"]) == name for spec_id in part["spec_id"])


def test_without_fractions_every_config_is_train_only(tmp_path):
    run_dir, manifest = _finalized(tmp_path, Config().to_yaml())
    assert {split_name(path.name) for path in (run_dir / "sft").glob("*.parquet")} == {"train"}
    assert manifest["holdout"]["rows"]["sft"] == {"train": manifest["counts"]["sft"]}
    assert "- split: test" not in (run_dir / "README.md").read_text()


def test_fractions_that_leave_nothing_to_train_on_are_refused():
    with pytest.raises(ConfigError, match="leave nothing for train"):
        config_from_yaml("shards:\n  test_fraction: 0.6\n  validation_fraction: 0.4\n", "run.yaml")
