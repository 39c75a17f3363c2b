"""`kerneldata dedup`, `decontaminate`, `report` and `publish --dry-run` on a finished run directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import yaml

from kerneldata.core.config import Config
from kerneldata.core.schema import RAW_SCHEMA, table_from_rows
from shards.writer import RunWriter, read_raw
from tests.core.test_normalize import KERNEL, RENAMED
from tests.filters.test_decontaminate import KERNELBENCH, TRITONBENCH, problem
from tests.shards.conftest import raw_row, unhashed
from tests.test_cli import kd

TOKEN = "hf_plantedSecretToken1234567890abcdef"


def make_run(tmp_path: Path, config_yaml: str | None = None, manifest_extra: dict | None = None) -> Path:
    rows = [
        # a spec that is KernelBench's ReLU problem (same op and shapes)
        raw_row("elementwise-a", "a1", "accepted", reference_code=problem("relu", 16, 16384), code=KERNEL),
        raw_row("elementwise-a", "a2", "rejected", "mismatch", reference_code=problem("relu", 16, 16384)),
        # clean specs; b2 is b1 renamed (an exact duplicate after normalisation)
        raw_row("elementwise-b", "b1", "accepted", reference_code=problem("tanh", 4, 100), code=KERNEL,
                speedup=1.5),
        raw_row("elementwise-c", "b2", "accepted", reference_code=problem("sigmoid", 4, 100), code=RENAMED,
                speedup=1.2),
        raw_row("elementwise-c", "b3", "rejected", "compile_error", reference_code=problem("sigmoid", 4, 100)),
    ]
    run_dir = tmp_path / "run"
    writer = RunWriter.create(run_dir, resume=False)
    writer.write_part(table_from_rows(rows, RAW_SCHEMA))
    writer.finalize(config_yaml or Config().to_yaml(), manifest_extra)
    return run_dir


def test_dedup_then_decontaminate_in_place(tmp_path):
    run_dir = make_run(tmp_path)
    result = kd("dedup", str(run_dir), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"checked": 5, "clusters": 1, "duplicates": 2,
                                         "by_reason": {"exact_duplicate": 2, "near_duplicate": 0}}
    by_id = {r["candidate_id"]: r for r in read_raw(run_dir).to_pylist()}
    assert by_id["b1"]["dedup_cluster"] == "b1" and by_id["b1"]["dedup_reason"] is None  # fastest kept
    assert by_id["b2"]["dedup_reason"] == "exact_duplicate" and by_id["a1"]["dedup_reason"] == "exact_duplicate"

    result = kd("decontaminate", str(run_dir), "--benchmark", KERNELBENCH, TRITONBENCH, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"checked": 5, "contaminated": 2, "by_benchmark": {"kernelbench_mini": 2},
                                         "by_reason": {"spec_match": 2}}
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["counts"]["sft"] == 1 and manifest["counts"]["duplicates"] == 2
    assert manifest["decontamination_config"]["benchmarks"] == [KERNELBENCH, TRITONBENCH]
    rl = datasets.load_dataset(str(run_dir), "rl", split="train")
    assert sorted(rl["spec_id"]) == ["elementwise-b", "elementwise-c"]
    by_id = {r["candidate_id"]: r for r in read_raw(run_dir).to_pylist()}
    assert by_id["a2"]["contamination_item"] == "level1/19_ReLU.py"
    assert by_id["b2"]["dedup_reason"] == "exact_duplicate"  # decontamination kept the dedup marks


def _load_in_a_new_process(run_dir: Path, name: str, cache: Path) -> list[str]:
    """The candidate ids `datasets.load_dataset(RUN_DIR, NAME)` returns in a fresh interpreter using `cache`."""
    code = ("import datasets, json, sys; rows = datasets.load_dataset(sys.argv[1], sys.argv[2], split='train'); "
            "print(json.dumps(sorted(rows['candidate_id'])))")
    result = subprocess.run([sys.executable, "-c", code, str(run_dir), name], capture_output=True, text=True,
                            timeout=300, env={**os.environ, "HF_DATASETS_CACHE": str(cache)})
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_load_after_a_rewrite_returns_the_new_rows_from_the_same_cache(tmp_path):
    # `datasets` keys its cache of a local directory by the card's data_files patterns alone: rewritten
    # shards under the old names were served from the cache of the old rows (issue 17).
    run_dir, cache = make_run(tmp_path), tmp_path / "hf-cache"
    assert _load_in_a_new_process(run_dir, "rl", cache) == ["a1", "b1", "b2"]
    assert _load_in_a_new_process(run_dir, "sft", cache) == ["a1", "b1", "b2"]
    result = kd("decontaminate", str(run_dir), "--benchmark", KERNELBENCH, TRITONBENCH)
    assert result.returncode == 0, result.stderr
    assert _load_in_a_new_process(run_dir, "rl", cache) == ["b1", "b2"]  # a1's spec is a KernelBench problem
    result = kd("dedup", str(run_dir))
    assert result.returncode == 0, result.stderr
    assert _load_in_a_new_process(run_dir, "sft", cache) == ["b1"]  # a1 is contaminated, b2 a copy of b1
    shards = json.loads((run_dir / "manifest.json").read_text())["shards"]
    assert sorted(p.name for p in (run_dir / "sft").iterdir()) == shards["sft"]


def test_the_card_describes_the_dedup_the_command_ran(tmp_path):
    # The run was made with dedup off; `kerneldata dedup` ran it afterwards with its own threshold.
    run_dir = make_run(tmp_path, Config(dedup={"enabled": False}).to_yaml())
    result = kd("dedup", str(run_dir), "--threshold", "0.9", "--shingle-tokens", "7")
    assert result.returncode == 0, result.stderr
    card = (run_dir / "README.md").read_text()
    assert "turned off" not in card
    assert "7-token shingles" in card and "at least 0.9" in card
    assert "for the same problem up to its shapes" in card  # the default scope, op
    result = kd("dedup", str(run_dir), "--scope", "global")
    assert result.returncode == 0, result.stderr
    assert "across the whole run" in (run_dir / "README.md").read_text()


def test_decontaminate_needs_a_benchmark_and_a_finished_run(tmp_path):
    run_dir = make_run(tmp_path)
    result = kd("decontaminate", str(run_dir), "--benchmark", str(tmp_path / "missing"))
    assert result.returncode == 2 and "no such file or directory" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = kd("decontaminate", str(tmp_path), "--benchmark", KERNELBENCH)
    assert result.returncode == 2 and "not a complete kerneldata run directory" in result.stderr


def test_report_writes_html_with_embedded_plots_and_pngs(tmp_path):
    run_dir = make_run(tmp_path)
    result = kd("report", str(run_dir), "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    html = (run_dir / "report.html").read_text()
    assert html.count('src="data:image/png;base64,') >= 3
    for name in ("speedup_by_family", "acceptance_by_family", "turns_to_success"):
        assert (run_dir / "report" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert str(run_dir / "report" / f"{name}.png") in out["png"]


def test_publish_dry_run_assembles_a_loadable_folder_without_secrets(tmp_path, monkeypatch):
    config = Config().model_dump(mode="json")
    config["run"]["name"] = TOKEN  # a secret where a name goes, and one under a secret-named key
    config["teacher"]["api_key"] = "sk-anotherPlantedSecret987"
    run_dir = make_run(tmp_path, yaml.safe_dump(config, sort_keys=False))
    (run_dir / "notes.txt").write_text(TOKEN)  # not part of the upload at all
    assert TOKEN in (run_dir / "README.md").read_text()  # the run itself holds it

    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # no stored login
    result = kd("publish", str(run_dir), "--repo-id", "org/name", "--dry-run", "--folder", str(tmp_path / "upload"))
    assert result.returncode == 0, result.stderr
    folder = Path(json.loads(result.stdout)["folder"])
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert unhashed(names) == ["README.md", "manifest.json", "preference/train-00000-of-00001.parquet",
                     "raw/train-00000-of-00001.parquet", "rl/train-00000-of-00001.parquet",
                     "run_config.yaml", "sft/train-00000-of-00001.parquet"]
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert TOKEN.encode() not in data, path
            assert b"sk-anotherPlantedSecret987" not in data, path
    assert yaml.safe_load((folder / "run_config.yaml").read_text())["teacher"]["api_key"] == "<redacted>"
    sft = datasets.load_dataset(str(folder), "sft", split="train")
    assert sft.num_rows == 3 and sft[0]["messages"][-1]["role"] == "assistant"


def test_publish_refuses_a_shard_holding_a_secret(tmp_path, monkeypatch):
    run_dir = tmp_path / "run"
    writer = RunWriter.create(run_dir, resume=False)
    writer.write_part(table_from_rows([raw_row("e-a", "a1", "accepted", completion=f"token is {TOKEN}")],
                                      RAW_SCHEMA))
    writer.finalize(Config().to_yaml())
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    result = kd("publish", str(run_dir), "--repo-id", "org/name", "--dry-run")
    assert result.returncode == 2
    assert "contains a secret value" in result.stderr and TOKEN not in result.stderr


def test_publish_uploads_one_commit_through_hfapi(tmp_path, monkeypatch):
    from shards import publish as publish_module

    run_dir = make_run(tmp_path)
    calls = []

    class FakeApi:
        def create_repo(self, repo_id, **kwargs):
            calls.append(("create_repo", repo_id, kwargs))

        def create_branch(self, repo_id, **kwargs):
            calls.append(("create_branch", repo_id, kwargs))

        def upload_folder(self, **kwargs):
            folder = Path(kwargs["folder_path"])
            kwargs["files"] = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
            calls.append(("upload_folder", kwargs["repo_id"], kwargs))
            return type("CommitInfo", (), {"commit_url": "https://hub.example/commit/abc"})()

    monkeypatch.setenv("HF_TOKEN", TOKEN)
    made = []
    monkeypatch.setattr("huggingface_hub.HfApi", lambda token=None: made.append(token) or FakeApi())
    result = publish_module.publish(run_dir, "org/name", private=True, revision="v1")
    assert made == [TOKEN]
    assert [c[0] for c in calls] == ["create_repo", "create_branch", "upload_folder"]
    assert calls[0][2] == {"repo_type": "dataset", "private": True, "exist_ok": True}
    upload = calls[2][2]
    assert upload["repo_type"] == "dataset" and upload["revision"] == "v1"
    assert upload["commit_message"].startswith("kerneldata run run (")
    assert "raw/train-00000-of-00001.parquet" in unhashed(upload["files"]) and "README.md" in upload["files"]
    assert "sft/*.parquet" in upload["delete_patterns"]
    assert not Path(upload["folder_path"]).exists()  # the temporary folder is gone
    assert result["commit_url"] == "https://hub.example/commit/abc" and result["revision"] == "v1"


def test_publish_without_a_token_says_so(tmp_path, monkeypatch):
    run_dir = make_run(tmp_path)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    result = kd("publish", str(run_dir), "--repo-id", "org/name")
    assert result.returncode == 2 and "no Hugging Face token" in result.stderr


def test_publish_takes_the_stored_login_and_keeps_it_out_of_the_upload(tmp_path, monkeypatch):
    import huggingface_hub.constants
    from shards import publish as publish_module

    stored = "hf_storedLoginToken0987654321fedcba"
    token_file = tmp_path / "hf-home" / "token"
    token_file.parent.mkdir()
    token_file.write_text(stored)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(token_file))
    config = Config().model_dump(mode="json")
    config["run"]["name"] = f"run-{stored}"  # the stored token where a name goes
    run_dir = make_run(tmp_path, yaml.safe_dump(config, sort_keys=False))
    uploaded = {}

    class FakeApi:
        def __init__(self, token=None):
            uploaded["token"] = token

        def create_repo(self, repo_id, **kwargs):
            pass

        def upload_folder(self, **kwargs):
            folder = Path(kwargs["folder_path"])
            uploaded["bytes"] = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
            uploaded["message"] = kwargs["commit_message"]
            return "https://hub.example/commit/def"

    monkeypatch.setattr("huggingface_hub.HfApi", FakeApi)
    publish_module.publish(run_dir, "org/name")
    assert uploaded["token"] == stored
    assert uploaded["bytes"] and stored.encode() not in uploaded["bytes"]
    assert stored not in uploaded["message"]


def test_publish_dry_run_names_local_paths_by_their_last_component_only(tmp_path, monkeypatch):
    home = tmp_path / "home" / "alice"  # stands for a user's home: no uploaded file may name it
    benchmark = home / "benchmarks" / "kernelbench_mini"
    shutil.copytree(KERNELBENCH, benchmark)
    config = Config().model_dump(mode="json")
    config["run"]["out"] = str(tmp_path / "run")
    config["specs"]["external"] = [str(home / "problems"), "hf:org/problems"]
    config["teacher"]["cache"] = str(home / ".cache" / "teacher")
    config["teacher"]["prompt"]["docs_index"] = str(home / "rocm-index")
    config["decontamination"]["benchmarks"] = [str(benchmark), "org/hub-bench"]
    run_dir = make_run(tmp_path, yaml.safe_dump(config, sort_keys=False),
                       {"teacher_cache": {"dir": str(home / ".cache" / "teacher"), "hits": 0, "misses": 0}})
    # A later decontamination records its benchmarks, as given, in the manifest.
    result = kd("decontaminate", str(run_dir), "--benchmark", str(benchmark), "--json")
    assert result.returncode == 0 and json.loads(result.stdout)["by_benchmark"] == {"kernelbench_mini": 2}
    # The run's own card names the benchmark as the rows do.
    assert "Checked against `kernelbench_mini`" in (run_dir / "README.md").read_text()

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    result = kd("publish", str(run_dir), "--repo-id", "org/name", "--dry-run", "--folder", str(tmp_path / "upload"))
    assert result.returncode == 0, result.stderr
    folder = Path(json.loads(result.stdout)["folder"])
    for path in (p for p in folder.rglob("*") if p.is_file()):
        text = json.dumps(pq.read_table(path).to_pylist(), default=str) if path.suffix == ".parquet" else \
            path.read_text()
        assert str(tmp_path) not in text, path
    published = yaml.safe_load((folder / "run_config.yaml").read_text())
    assert published["run"]["out"] == "run" and published["teacher"]["cache"] == "teacher"
    assert published["specs"]["external"] == ["problems", "hf:org/problems"]
    assert published["teacher"]["prompt"]["docs_index"] == "rocm-index"
    assert published["decontamination"]["benchmarks"] == ["kernelbench_mini", "org/hub-bench"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["teacher_cache"]["dir"] == "teacher"
    assert manifest["decontamination_config"]["benchmarks"] == ["kernelbench_mini"]
    assert "Checked against `kernelbench_mini`" in (folder / "README.md").read_text()
