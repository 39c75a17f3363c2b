"""`kerneldata docs index` and `kerneldata docs search`: exit codes, one-line reasons, `--json` shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROCM_DOCS = ROOT / ".." / "shared" / "corpora" / "rocm-docs"


def kd(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kerneldata", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


@pytest.fixture(scope="module")
def rocm_index(tmp_path_factory):
    if not ROCM_DOCS.is_dir():
        pytest.skip(f"the shared corpus is not at {ROCM_DOCS}")
    out = tmp_path_factory.mktemp("cli") / "index"
    result = kd("docs", "index", str(ROCM_DOCS), "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["chunks"] > 1000 and summary["files"] > 100 and list(summary["roots"]) == ["rocm-docs"]
    return out


def test_search_json_is_a_list_of_hits_best_first(rocm_index):
    result = kd("docs", "search", "How do I dump the AMDGCN assembly of a Triton kernel?", "--index",
                str(rocm_index), "-k", "3", "--json")
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)  # stdout is one JSON value and nothing else
    assert len(hits) == 3
    for hit in hits:
        assert set(hit) == {"path", "section", "score", "text", "start_line", "end_line", "root"}
        assert hit["start_line"] <= hit["end_line"] and hit["root"] == "rocm-docs"
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert hits[0]["path"] == "rocm/docs/how-to/rocm-for-ai/inference-optimization/workload.rst"
    assert "AMDGCN_ENABLE_DUMP" in hits[0]["text"]


def test_search_without_index_uses_the_shipped_notes():
    result = kd("docs", "search", "Infinity Cache size on MI300X", "-k", "2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("1. gpu_notes/amd-instinct-cdna.md:")


def test_no_match_exits_1_with_one_line():
    result = kd("docs", "search", "zebra giraffe", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout) == []
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.fixture
def damaged_index(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\nWavefronts have 64 lanes.\n")
    assert kd("docs", "index", str(docs), "--out", str(tmp_path / "index")).returncode == 0
    (tmp_path / "index" / "chunks.parquet").write_bytes(b"not parquet")
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ["docs", "index", "/nonexistent/docs", "--out", "OUT"],
        ["docs", "index", "EMPTY", "--out", "OUT"],
        ["docs", "index", "EMPTY"],
        ["docs", "search", "warp", "--index", "/nonexistent/index"],
        ["docs", "search", "warp", "--index", "EMPTY"],
        ["docs", "search", "warp", "--index", "DAMAGED"],
        ["docs", "search", "warp", "-k", "0"],
        ["docs", "search", "  "],
        ["docs", "search", "warp", "--mode", "fuzzy"],
        ["docs", "search", "warp", "--mode", "dense"],
        ["docs"],
    ],
)
def test_bad_input_exits_2_with_one_line(damaged_index, tmp_path, args):
    (tmp_path / "empty").mkdir(exist_ok=True)
    names = {"OUT": str(tmp_path / "out"), "EMPTY": str(tmp_path / "empty"),
             "DAMAGED": str(damaged_index / "index")}
    result = kd(*[names.get(arg, arg) for arg in args])
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")


def test_docs_commands_have_help():
    result = kd("docs", "--help")
    assert result.returncode == 0 and "index" in result.stdout and "search" in result.stdout
    for command, flag in (("index", "--embedding-model"), ("search", "--index")):
        result = kd("docs", command, "--help")
        assert result.returncode == 0 and "usage:" in result.stdout and flag in result.stdout
