"""shards.splits on the tiny mixed raw table of conftest.py (expected contents written beside its rows)."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from kerneldata.core.schema import PREFERENCE_SCHEMA, RAW_SCHEMA, RL_SCHEMA, SFT_SCHEMA, table_from_rows
from shards.splits import preference_rows, rl_rows, sft_rows, task_prompt


def test_split_sizes_and_schemas(mixed_raw, expected_rows):
    assert mixed_raw.num_rows == expected_rows["raw"]
    for build, schema, split in ((sft_rows, SFT_SCHEMA, "sft"), (rl_rows, RL_SCHEMA, "rl"),
                                 (preference_rows, PREFERENCE_SCHEMA, "preference")):
        table = build(mixed_raw)
        assert table.schema.equals(schema), split
        assert table.num_rows == expected_rows[split], split


def test_sft_holds_accepted_candidates_as_chats(mixed_raw):
    rows = sft_rows(mixed_raw).to_pylist()
    assert [(r["candidate_id"], r["turn"], r["turns"]) for r in rows] == [
        ("a1", 0, 1), ("a2", 0, 1), ("a3", 0, 1), ("b1", 0, 1), ("b2", 1, 2)]
    a1 = rows[0]
    assert [m["role"] for m in a1["prompt"]] == ["system", "user"]
    assert a1["completion"] == [{"role": "assistant", "content": a1["messages"][-1]["content"]}]
    assert a1["messages"] == a1["prompt"] + a1["completion"] and a1["train_on"] == [False, False, True]
    assert a1["messages"][-1]["content"].startswith("Here is the kernel.\n```python")
    assert a1["speedup_vs_eager"] == 2.0 and a1["hardware"] == "NVIDIA H200"
    # b2 answered the feedback on b3: only as the conversation that shows it, trained on b2's answer alone.
    b2 = rows[4]
    assert [m["role"] for m in b2["prompt"]] == ["system", "user", "assistant", "user"]
    assert b2["prompt"][2]["content"] == "first try" and b2["prompt"][3]["content"] == "It failed: no code."
    assert b2["train_on"] == [False, False, False, False, True]
    assert b2["messages"] == b2["prompt"] + b2["completion"]
    assert b2["speedup_vs_eager"] is None


def _chain_rows(make_row, **changes_by_id) -> list[dict]:
    """A rejected first answer r0, its rejected refinement r1, and r1's accepted refinement r2."""
    task = [{"role": "system", "content": "s"}, {"role": "user", "content": "task"}]
    rows = [
        make_row("softmax-dddd", "r0", "rejected", completion="try 0"),
        make_row("softmax-dddd", "r1", "rejected", "compile_error", turn=1, parent_id="r0", completion="try 1",
                 prompt=task + [{"role": "assistant", "content": "try 0"}, {"role": "user", "content": "fb 0"}]),
        make_row("softmax-dddd", "r2", "accepted", turn=2, parent_id="r1", completion="try 2",
                 prompt=task + [{"role": "assistant", "content": "try 0"}, {"role": "user", "content": "fb 0"},
                                {"role": "assistant", "content": "try 1"}, {"role": "user", "content": "fb 1"}]),
    ]
    for row in rows:
        row.update(changes_by_id.get(row["candidate_id"], {}))
    return rows


def test_multi_turn_sft_row_is_the_whole_conversation(make_row):
    rows = sft_rows(table_from_rows(_chain_rows(make_row), RAW_SCHEMA)).to_pylist()
    assert [(r["candidate_id"], r["turn"], r["turns"]) for r in rows] == [("r2", 2, 3)]
    assert [m["content"] for m in rows[0]["messages"]] == ["s", "task", "try 0", "fb 0", "try 1", "fb 1", "try 2"]
    assert [m["content"] for m in rows[0]["prompt"]] == ["s", "task", "try 0", "fb 0", "try 1", "fb 1"]
    assert rows[0]["completion"] == [{"role": "assistant", "content": "try 2"}]
    assert rows[0]["train_on"] == [False] * 6 + [True]


@pytest.mark.parametrize("changes, kept", [
    ({"r0": {"dedup_reason": "near_duplicate"}}, True),  # an earlier attempt is shown, never trained on
    ({"r1": {"contamination_reason": "code_ngram"}}, False),  # an earlier attempt overlaps a benchmark
    ({"r1": {"parent_id": "gone"}}, False),  # the chain cannot be followed back to the first answer
    ({"r2": {"dedup_reason": "exact_duplicate"}}, False),  # the answer itself copies a better row
])
def test_an_answer_to_feedback_needs_its_whole_chain(make_row, changes, kept):
    rows = sft_rows(table_from_rows(_chain_rows(make_row, **changes), RAW_SCHEMA)).to_pylist()
    assert [r["candidate_id"] for r in rows] == (["r2"] if kept else [])


def test_no_single_turn_row_answers_feedback(make_row):
    rows = sft_rows(table_from_rows(_chain_rows(make_row), RAW_SCHEMA)).to_pylist()
    assert all(r["turn"] == 0 for r in rows if r["turns"] == 1)


def test_preference_never_pairs_answers_to_different_prompts(make_row):
    task = [{"role": "system", "content": "s"}, {"role": "user", "content": "task"}]
    feedback = task + [{"role": "assistant", "content": "try 0"}, {"role": "user", "content": "fb 0"}]
    meta = '{"answer": "fix"}'
    rows = _chain_rows(make_row) + [
        # r2's siblings: two more answers to the same feedback (r1's prompt), one of another kind.
        make_row("softmax-dddd", "r4", "rejected", "mismatch", turn=1, parent_id="r0", completion="try 4",
                 prompt=feedback, teacher_meta=meta),
        make_row("softmax-dddd", "r5", "accepted", turn=1, parent_id="r0", completion="try 5", prompt=feedback,
                 teacher_meta=meta),
    ]
    out = preference_rows(table_from_rows(rows, RAW_SCHEMA)).to_pylist()
    pairs = [(r["candidate_id"], r["rejected_candidate_id"], r["turn"], r["answer_kind"]) for r in out]
    # r2 (turn 2) has no rejected sibling; r1 (kind "refinement") is not set against r5 (kind "fix").
    assert pairs == [("r5", "r4", 1, "fix")]
    assert [m["content"] for m in out[0]["prompt"]] == ["s", "task", "try 0", "fb 0"]
    assert out[0]["chosen"][0]["content"] == "try 5" and out[0]["rejected"][0]["content"] == "try 4"


def test_rl_one_row_per_spec_with_an_accepted_kernel(mixed_raw):
    rows = {r["spec_id"]: r for r in rl_rows(mixed_raw).to_pylist()}
    assert sorted(rows) == ["elementwise-aaaa", "reduction-bbbb"]  # matmul-cccc has nothing accepted
    ew = rows["elementwise-aaaa"]
    assert ew["candidate_id"] == "a1"  # the fastest
    assert ew["best_speedup_vs_eager"] == 2.0
    assert ew["pass_rate"] == pytest.approx(3 / 7)  # 3 accepted, 4 rejected; a7 (unverified) not counted
    assert ew["num_candidates"] == 8
    assert [m["role"] for m in ew["prompt"]] == ["system", "user"]
    assert ew["reference_code"] == "# reference for elementwise-aaaa"
    red = rows["reduction-bbbb"]
    assert red["candidate_id"] == "b1"  # nothing measured: the first by candidate_id
    assert red["best_speedup_vs_eager"] is None
    assert red["pass_rate"] == pytest.approx(1 / 2)  # first answers only: b1 accepted, b3 rejected
    assert red["num_candidates"] == 4
    assert red["hardware"] == "cpu (triton interpreter)"


def test_preference_pairs_best_against_worse_round_robin_and_capped(mixed_raw):
    rows = preference_rows(mixed_raw).to_pylist()
    pairs = [(r["spec_id"], r["candidate_id"], r["rejected_candidate_id"], r["rejected_reason"]) for r in rows]
    assert pairs == [
        ("elementwise-aaaa", "a1", "a5", "compile_error"),
        ("elementwise-aaaa", "a1", "a4", "mismatch"),
        ("elementwise-aaaa", "a1", "a2", "slower"),
        ("elementwise-aaaa", "a1", "a8", "timeout"),
        ("reduction-bbbb", "b1", "b3", "no_code"),  # b2 answered feedback: not set against a first answer
    ]
    first = rows[0]
    assert [m["role"] for m in first["prompt"]] == ["system", "user"]
    assert first["turn"] == 0 and first["answer_kind"] == "first"
    completion = "Here is the kernel.\n```python\n# code of {}\n```"
    assert first["chosen"] == [{"role": "assistant", "content": completion.format("a1")}]
    assert first["rejected"] == [{"role": "assistant", "content": completion.format("a5")}]


def test_preference_cap_is_a_parameter(mixed_raw):
    rows = preference_rows(mixed_raw, max_pairs_per_spec=1).to_pylist()
    assert [(r["candidate_id"], r["rejected_candidate_id"]) for r in rows] == [("a1", "a5"), ("b1", "b3")]
    with pytest.raises(ValueError, match="max_pairs_per_spec"):
        preference_rows(mixed_raw, max_pairs_per_spec=0)


def test_output_does_not_depend_on_row_order(mixed_rows):
    ordered = table_from_rows(mixed_rows, RAW_SCHEMA)
    random.Random(7).shuffle(mixed_rows)
    shuffled = table_from_rows(mixed_rows, RAW_SCHEMA)
    for build in (sft_rows, rl_rows, preference_rows):
        assert build(shuffled).equals(build(ordered))


def test_unverified_never_leaves_raw(make_row):
    raw = table_from_rows([make_row("elementwise-x", "u1", "unverified"),
                           make_row("elementwise-x", "u2", "unverified")], RAW_SCHEMA)
    for build in (sft_rows, rl_rows, preference_rows):
        assert build(raw).num_rows == 0


def test_no_speed_pair_unless_both_measured_and_10_percent_apart(make_row):
    raw = table_from_rows([
        make_row("elementwise-x", "s1", "accepted", speedup=1.5),
        make_row("elementwise-x", "s2", "accepted", speedup=1.4),  # within 10%
        make_row("elementwise-x", "s3", "accepted"),  # not measured
        make_row("elementwise-x", "s4", "accepted", speedup=float("nan")),  # NaN counts as not measured
    ], RAW_SCHEMA)
    assert preference_rows(raw).num_rows == 0
    assert rl_rows(raw).column("candidate_id").to_pylist() == ["s1"]


def test_identical_completions_make_no_pair(make_row):
    same = "Here is the kernel."
    raw = table_from_rows([
        make_row("elementwise-x", "k1", "accepted", completion=same),
        make_row("elementwise-x", "k2", "rejected", "timeout", completion=same),
    ], RAW_SCHEMA)
    assert preference_rows(raw).num_rows == 0


def test_empty_raw_gives_empty_splits():
    raw = RAW_SCHEMA.empty_table()
    assert sft_rows(raw).schema.equals(SFT_SCHEMA) and sft_rows(raw).num_rows == 0
    assert rl_rows(raw).num_rows == 0 and preference_rows(raw).num_rows == 0


def test_a_table_without_raw_columns_is_refused():
    with pytest.raises(ValueError, match="raw table lacks columns"):
        sft_rows(pa.table({"spec_id": ["x"]}))


def test_task_prompt_stops_at_the_first_assistant_turn():
    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"},
                {"role": "assistant", "content": "a"}, {"role": "user", "content": "feedback"}]
    assert task_prompt(messages) == messages[:2]


def test_rl_pass_rate_counts_first_answers_only(make_row):
    rows = _chain_rows(make_row) + [make_row("softmax-dddd", "r3", "accepted", completion="lucky first try")]
    rl = rl_rows(table_from_rows(rows, RAW_SCHEMA)).to_pylist()
    # Turn 0: r0 rejected, r3 accepted; r1 and r2 (refinements) do not make the problem look easier.
    assert [(r["pass_rate"], r["num_candidates"]) for r in rl] == [(0.5, 4)]


def test_rl_pass_rate_leaves_out_deliberately_flawed_variants(make_row):
    rows = [make_row("softmax-eeee", "f1", "accepted"),
            make_row("softmax-eeee", "f2", "rejected", teacher_meta='{"flaw": "fixed_block"}'),
            make_row("softmax-eeee", "f3", "rejected", teacher_meta='{"flaw": null}')]
    rl = rl_rows(table_from_rows(rows, RAW_SCHEMA)).to_pylist()
    assert [(r["pass_rate"], r["num_candidates"]) for r in rl] == [(0.5, 3)]


def test_unmeasured_pairs_set_each_rejected_answer_against_the_accepted_one_closest_in_length(make_row):
    """Where speed was not measured every accepted answer is as good as another, so the pair takes the one
    closest in length to the rejected answer: length does not tell chosen from rejected (issue 17)."""
    short, long = "k" * 100, "k" * 300
    rows = [make_row("relu-eeee", "e1", "accepted", completion=short + "a"),
            make_row("relu-eeee", "e2", "accepted", completion=long + "b"),
            make_row("relu-eeee", "e3", "rejected", "mismatch", completion=short + "cc"),
            make_row("relu-eeee", "e4", "rejected", "timeout", completion=long + "dd")]
    out = preference_rows(table_from_rows(rows, RAW_SCHEMA)).to_pylist()
    assert sorted((r["candidate_id"], r["rejected_candidate_id"]) for r in out) == [("e1", "e3"), ("e2", "e4")]


def test_unmeasured_pairs_take_the_partner_on_the_length_side_the_split_lacks(make_row):
    """A rejected answer that leaves code out is shorter than every accepted one of its problem: that pair's
    chosen side is the longer one whatever the choice. A later problem with an accepted answer of the same
    opening on either side of its rejected one then takes the shorter partner even though the longer one is
    closer in length, so that over the split chosen answers are not the longer ones (issue 17). Within
    LENGTH_LEAN_SLACK, the opening comes first: a shorter partner of another opening is not taken."""
    same = "One program per row "
    rows = [make_row("relu-aaaa", "a1", "accepted", completion=same + "k" * 120),
            make_row("relu-aaaa", "a2", "rejected", completion=same + "k" * 100),
            make_row("relu-bbbb", "b1", "accepted", completion=same + "k" * 102),
            make_row("relu-bbbb", "b2", "accepted", completion="Another opening, other words " + "k" * 70),
            make_row("relu-bbbb", "b3", "rejected", completion=same + "k" * 100),
            make_row("relu-cccc", "c1", "accepted", completion=same + "k" * 102),
            make_row("relu-cccc", "c2", "accepted", completion=same + "k" * 95),
            make_row("relu-cccc", "c3", "rejected", completion=same + "k" * 100)]
    out = preference_rows(table_from_rows(rows, RAW_SCHEMA)).to_pylist()
    assert [(r["candidate_id"], r["rejected_candidate_id"]) for r in out] == [("a1", "a2"), ("b1", "b3"), ("c2", "c3")]
