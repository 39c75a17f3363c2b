"""What the rows teach, over a quickstart-sized run (tests/shards/quickstart_rows.py: the quickstart's
specs, built-in teacher and refinement, verdicts from the teacher's own flaw marks), and the card's claims
about a built-in-only CPU run against a run with a model teacher on GPU."""

from __future__ import annotations

import json
from pathlib import Path

from kerneldata.core.config import Config
from kerneldata.core.schema import RAW_SCHEMA, table_from_rows
from shards import row_stats
from shards.splits import prompt_digest, split_tables
from shards.writer import RunWriter

from tests.shards.quickstart_rows import QUICKSTART, quickstart_raw


def test_quickstart_single_turn_answers_never_speak_of_feedback():
    raw = quickstart_raw()
    sft = split_tables(raw)["sft"].to_pylist()
    by_id = {row["candidate_id"]: row for row in raw.to_pylist()}
    # The run has refinement answers to feedback (some of them accepted), so the check is not vacuous.
    refined = [row for row in by_id.values() if row["turn"] > 0 and row["status"] == "accepted"]
    assert refined and any(row_stats.refers_to_feedback(row["completion"]) for row in refined)
    single = [row for row in sft if row["turns"] == 1]
    assert single and all(row["turn"] == 0 for row in single)
    assert not [row["candidate_id"] for row in single if row_stats.refers_to_feedback(row["completion"][0]["content"])]
    for row in sft:
        # Every answer to feedback shows that feedback: its prompt ends with the user message it answered.
        assert row["prompt"] == [dict(m) for m in by_id[row["candidate_id"]]["prompt"]]
        assert row["prompt"][-1]["role"] == "user" and row["train_on"] == [False] * len(row["prompt"]) + [True]
    assert len({row["candidate_id"] for row in sft}) == len(sft)


def test_quickstart_preference_pairs_differ_only_by_the_verdict():
    raw = quickstart_raw()
    by_id = {row["candidate_id"]: row for row in raw.to_pylist()}
    preference = split_tables(raw)["preference"]
    assert preference.num_rows > 0
    for pair in preference.to_pylist():
        chosen, rejected = by_id[pair["candidate_id"]], by_id[pair["rejected_candidate_id"]]
        assert chosen["turn"] == rejected["turn"] == pair["turn"]
        assert prompt_digest(chosen["prompt"]) == prompt_digest(rejected["prompt"]) == prompt_digest(pair["prompt"])
    stats = row_stats.preference_stats(preference)
    chosen, rejected = stats["chosen"], stats["rejected"]
    assert chosen["feedback_references"] == rejected["feedback_references"] == 0
    # No style cue: no opening marks an answer as rejected (every rejected answer opens as some accepted answer
    # of the run does: flawed variants are drawn in every structure, as correct ones are, so with a dozen pairs
    # a rejected 2-D-tile answer may face a chosen flat-block one; the distributions are compared over 300
    # specs in tests/generators/test_teacher_builtin_balance.py), and their prose is of like length.
    accepted_openings = {" ".join(row["completion"].split()[:row_stats.OPENING_WORDS])
                         for row in by_id.values() if row["status"] == "accepted"}
    assert {p for p, _ in rejected["openings"]} <= accepted_openings
    assert 0.67 < chosen["prose_chars_median"] / rejected["prose_chars_median"] < 1.5


def test_quickstart_diversity_is_measured():
    diversity = row_stats.diversity(quickstart_raw())
    total = diversity["all"]
    assert 0 < total["skeletons"] < total["kernels"]
    assert 0 < total["copied_share_median"] <= total["copied_share_max"] <= 1
    assert sum(row["kernels"] for row in diversity["by_family"].values()) == total["kernels"]
    assert set(diversity["by_op"]) >= {"matmul", "softmax"}


def test_a_skeleton_abstracts_names_and_numbers_but_not_structure():
    a = "def f(x):\n    BLOCK = 128\n    return x * BLOCK\n"
    b = "def g(y):\n    SIZE = 64  # another block\n    return y * SIZE\n"
    c = "def f(x):\n    BLOCK = 128\n    return x + BLOCK\n"
    assert row_stats.skeleton(a) == row_stats.skeleton(b) != row_stats.skeleton(c)


def _card(tmp_path: Path, name: str, raw, config_yaml: str) -> tuple[str, dict]:
    writer = RunWriter.create(tmp_path / name, resume=False)
    writer.write_part(raw)
    manifest = writer.finalize(config_yaml)
    return (tmp_path / name / "README.md").read_text(encoding="utf-8"), manifest


def _model_rows(make_row) -> list[dict]:
    meta = json.dumps({"finish_reason": "stop"})
    common = dict(teacher="openai", teacher_model="acme/kernel-coder-7b", teacher_meta=meta, device="cuda:0",
                  hardware="NVIDIA H200")
    return [make_row("attention-aaaa", "m1", "accepted", speedup=2.5, ops=["sdpa"], **common),
            make_row("attention-aaaa", "m2", "rejected", "mismatch", ops=["sdpa"], **common),
            make_row("attention-aaaa", "m3", "accepted", speedup=1.2, ops=["sdpa"], **common)]


def test_cards_of_a_builtin_cpu_run_and_a_model_gpu_run_make_different_true_claims(tmp_path, make_row):
    builtin_card, builtin = _card(tmp_path, "builtin", quickstart_raw(), QUICKSTART.read_text(encoding="utf-8"))
    model_card, model = _card(tmp_path, "model", table_from_rows(_model_rows(make_row), RAW_SCHEMA),
                              Config().to_yaml())
    # Who wrote the rows.
    assert "written by the built-in parametric templates `builtin-templates-v6`" in builtin_card
    assert "a teacher model" not in builtin_card and "acme/kernel-coder-7b" not in builtin_card
    assert "written by the model `acme/kernel-coder-7b` behind an OpenAI-compatible endpoint" in model_card
    assert "built-in" not in model_card.split("## Teachers")[1].split("## Deduplication")[0]
    flawed = builtin["row_stats"]["deliberately_flawed_first_answers"]
    assert flawed > 0 and f"({flawed} in this run, marked `teacher_meta.flaw`)" in builtin_card
    # Which families and ops: only those present.
    assert "in this run 4 families: `elementwise`, `matmul`, `reduction`, `softmax`" in builtin_card
    assert "12 families" not in builtin_card and "fused chains" not in builtin_card
    assert "in this run 1 family: `attention`; ops: `sdpa`" in model_card
    # Speed and the reward on this hardware.
    assert "No speed was measured in this run" in builtin_card and "binary" in builtin_card
    assert "No speed was measured" not in model_card and "log2 of its speedup" in model_card
    # How rows were split, with this run's counts.
    by_turn = builtin["row_stats"]["sft_by_turn"]
    assert f"- `sft`: {by_turn['0']} first answers" in builtin_card and len(by_turn) > 1
    assert "Single-turn answers that speak of feedback they were not shown: 0." in builtin_card
    # Diversity and the preference cue statistics are reported.
    total = builtin["row_stats"]["diversity"]["all"]
    assert f"| **all** | {total['kernels']} | {total['skeletons']} |" in builtin_card
    assert "| chosen |" in builtin_card and "Most common openings" in builtin_card


def test_example_answers_are_read_from_the_prompt_builder_output():
    from generators.prompts import build_prompt, choose_examples, few_shot_examples
    from generators.specs import sample_op

    spec = sample_op("softmax", seed=1).to_row()
    names = choose_examples(spec, 2)
    answers = row_stats.example_answers(build_prompt(spec, few_shot=2))
    assert answers == [few_shot_examples()[name].solution.strip("\n") for name in names]
    assert row_stats.example_answers(build_prompt(spec)) == []
