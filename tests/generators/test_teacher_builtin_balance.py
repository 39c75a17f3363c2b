"""The built-in teacher's answers as training data (issue 17).

- A deliberately flawed answer is a subtle bug inside an otherwise equally complete kernel: over the
  teacher's answers for many specs, flawed and correct answers have the same length distribution (overall
  and within each spec, where a preference pair is made) and open with the same phrases, so a preference
  pair differs by the kernel's verdict and not by its length or shape.
- Each op of the main families and of issue 16's families (llm, kvcache, moe, quant, recsys) is answered
  in more than one structure: distinct skeletons (names and numbers abstracted, `shards.row_stats.skeleton`)
  among its correct variants.
Template structure only: no kernel runs here (tests/generators/test_templates_verified.py runs them).
"""

import collections
import json
import random
import re
import statistics

import pytest

from generators.specs import OPS, SpecSampler, sample_op
from generators.teachers.builtin import TEMPLATE_OPS, BuiltinTeacher, Decline, render, variants_for
from kerneldata.core.config import SpecsConfig, TeacherConfig
from shards.row_stats import skeleton


def _opening(completion: str) -> str:
    """The first four words, numbers abstracted (block sizes differ between any two answers)."""
    return re.sub(r"\d+", "N", " ".join(completion.split()[:4]))


@pytest.fixture(scope="module")
def answers() -> list[dict]:
    """The teacher's first answers for specs of every family it writes, default and issue 16's."""
    specs = [s.to_row() for s in SpecSampler(SpecsConfig(), seed=3).sample(240)]
    specs += [s.to_row() for s in SpecSampler(SpecsConfig(families=["llm", "kvcache", "moe", "quant", "recsys"]),
                                              seed=3).sample(60)]
    teacher = BuiltinTeacher(TeacherConfig(samples_per_spec=4), seed=3)
    out = []
    for spec in specs:
        for cand in teacher.generate(spec):
            if cand["code"] is not None:
                out.append({"spec_id": spec["spec_id"], "flawed": json.loads(cand["teacher_meta"])["flaw"] is not None,
                            "code": cand["code"], "completion": cand["completion"]})
    return out


def test_flawed_answers_are_as_long_as_correct_ones(answers):
    flawed = [a for a in answers if a["flawed"]]
    correct = [a for a in answers if not a["flawed"]]
    assert len(flawed) >= 100 and len(correct) >= 300, (len(flawed), len(correct))
    for field in ("code", "completion"):
        ratio = statistics.median(len(a[field]) for a in flawed) / statistics.median(len(a[field]) for a in correct)
        assert 0.9 <= ratio <= 1.1, (field, ratio)
    # Within a spec, where preference pairs are made: the median over specs of flawed / correct lengths.
    by_spec: dict[str, dict[bool, list[int]]] = collections.defaultdict(lambda: {True: [], False: []})
    for a in answers:
        by_spec[a["spec_id"]][a["flawed"]].append(len(a["code"]))
    ratios = [statistics.median(s[True]) / statistics.median(s[False]) for s in by_spec.values() if s[True] and s[False]]
    assert len(ratios) >= 50 and 0.9 <= statistics.median(ratios) <= 1.1, (len(ratios), statistics.median(ratios))


def test_flawed_answers_open_as_correct_ones_do(answers):
    correct = collections.Counter(_opening(a["completion"]) for a in answers if not a["flawed"])
    flawed = collections.Counter(_opening(a["completion"]) for a in answers if a["flawed"])
    unmatched = {phrase: n for phrase, n in flawed.items() if phrase not in correct}
    assert not unmatched, unmatched
    # The most common openings of each side are shared.
    top = [phrase for phrase, _ in flawed.most_common(3)]
    assert all(phrase in dict(correct.most_common(10)) for phrase in top), (top, correct.most_common(10))


# The main families (elementwise and binary ops, reductions, softmaxes, norms, losses) and issue 16's.
_STRUCTURED = ("elementwise", "binary", "reduction", "softmax", "normalization", "loss", "llm", "kvcache", "moe",
               "quant", "recsys")


@pytest.mark.parametrize("family", _STRUCTURED)
def test_each_op_is_answered_in_more_than_one_structure(family):
    single = {}
    for op in TEMPLATE_OPS[family]:
        skeletons = set()
        for seed in range(3):
            dtype = "float32" if "float32" in OPS[op].dtypes else OPS[op].dtypes[0]
            row = sample_op(op, seed=seed, dtype=dtype, config=SpecsConfig(max_numel=1 << 14)).to_row()
            try:
                variants = variants_for(row)
            except Decline:
                continue
            for variant in variants:
                if not variant.flaw:
                    skeletons.add(skeleton(render(row, random.Random(f"{seed}:{variant.name}"), variant.name).code))
        if len(skeletons) <= 1:
            single[op] = len(skeletons)
    assert not single, f"ops answered in one structure only: {single}"


def _prose_form(prose: str) -> str:
    """A completion's prose with numbers abstracted (block sizes and warps differ between any two draws)."""
    return re.sub(r"\d+", "N", " ".join(prose.split()))


def test_flawed_answers_say_what_correct_ones_say():
    """The flaw is in the code only (issue 17): a flawed answer's prose is one that a correct answer to the
    same spec also gives, so no sentence (or added clause) marks the rejected side of a preference pair.
    Each flawed variant of a spec is drawn three times and each correct variant eight times; before the fix
    a third of flawed answers carried a sentence no correct answer had ("Masked lanes load 0.", "The K loop
    takes K // BLOCK_SIZE_K tiles.", ...). What remains is sampling: a correct structure x edge x mapping
    combination not among the eight draws."""
    specs = [s.to_row() for s in SpecSampler(SpecsConfig(), seed=5).sample(200)]
    specs += [s.to_row() for s in SpecSampler(SpecsConfig(families=["llm", "kvcache", "moe", "quant", "recsys"]),
                                              seed=5).sample(60)]
    unmatched, sentences = [], {True: [], False: []}
    for spec in specs:
        try:
            variants = variants_for(spec)
        except Decline:
            continue
        said = set()
        for variant in (v for v in variants if not v.flaw):
            for draw in range(8):
                prose = render(spec, random.Random(f"{draw}:{variant.name}"), variant.name).prose
                said.add(_prose_form(prose))
                sentences[False].append(prose.count(". ") + 1)
        for variant in (v for v in variants if v.flaw):
            for draw in range(3):
                prose = render(spec, random.Random(f"{draw}:{variant.name}"), variant.name).prose
                sentences[True].append(prose.count(". ") + 1)
                if _prose_form(prose) not in said:
                    unmatched.append((spec["ops"], variant.flaw, _prose_form(prose)))
    assert len(sentences[True]) >= 300, len(sentences[True])
    assert len(unmatched) <= 0.02 * len(sentences[True]), (len(unmatched), len(sentences[True]), unmatched[:5])
    ratio = statistics.mean(sentences[True]) / statistics.mean(sentences[False])
    assert 0.9 <= ratio <= 1.1, ratio


# kvcache and moe flaws held by both structures of their op (issue 17: a flaw is drawn in either structure);
# the in-place append and the inverted permute are flaws of the copy-then-write and scatter structures only.
_FLAW_STRUCTURES = {
    "gqa_head_interleaved": 2, "unscaled_scores": 2, "missing_causal_mask": 2, "append_in_place": 1,
    "page_without_stride": 2, "router_not_renormalised": 2, "permute_inverted": 1,
    "combine_ignores_permutation": 2, "shared_expert_weight": 2,
}


def test_kvcache_and_moe_flaws_are_drawn_in_both_structures():
    from generators.teachers.templates import kvcache, moe

    held = collections.Counter()
    for op, subs in {**kvcache._FLAWS, **moe._FLAWS}.items():
        row = sample_op(op, seed=0, dtype="float32", config=SpecsConfig(max_numel=1 << 14)).to_row()
        codes = [render(row, random.Random(v.name), v.name).code for v in variants_for(row) if not v.flaw]
        assert len(codes) == 2, (op, len(codes))
        for sub in subs:
            held[sub.name] = max(held[sub.name], sum(all(c.count(old) == 1 for old, _ in sub.edits) for c in codes))
    assert dict(held) == _FLAW_STRUCTURES, dict(held)


def test_a_flawed_answer_has_a_correct_partner_of_its_structure():
    """A correct sample drawn after a flawed one takes the flawed one's structure where no correct sample has
    it yet (issue 17): the flawed answer's preference partner is then the same kind of kernel, not a longer
    or shorter structure. Over 240 specs, the flawed answers followed by at least one correct answer; before,
    69% of them had a correct sibling of their structure (the rest depended on the structure draw)."""
    specs = [s.to_row() for s in SpecSampler(SpecsConfig(), seed=3).sample(240)]
    teacher = BuiltinTeacher(TeacherConfig(samples_per_spec=4), seed=3)
    partnered = total = 0
    for spec in specs:
        metas = [json.loads(c["teacher_meta"]) for c in teacher.generate(spec) if c["code"] is not None]
        for i, meta in enumerate(metas):
            if meta["flaw"] and any(not later["flaw"] for later in metas[i + 1:]):
                total += 1
                partnered += any(not m["flaw"] and m.get("structure") == meta["structure"] for m in metas)
    assert total >= 80 and partnered >= 0.9 * total, (partnered, total)
