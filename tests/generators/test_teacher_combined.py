"""`teacher.kind` as a list: each spec gets the rows of every listed teacher in list order, and feedback goes
to a listed teacher that can refine."""

from __future__ import annotations

import pytest

from generators import teachers
from generators.refine import feedback
from generators.specs import OPS, problem_from_op, render
from generators.teachers.base import RefineRequest, Teacher, candidate_row
from generators.teachers.combined import CombinedTeacher
from kerneldata.core.config import load_config
from kerneldata.core.outcomes import Reason, Verdict

SUM = render(problem_from_op(OPS["sum"], {"rows": 8, "cols": 1500}, "float32", {}), "test").to_row()
RELU = render(problem_from_op(OPS["relu"], {"rows": 16, "cols": 300}, "float32", {}), "test").to_row()


class OneAnswer(Teacher):
    """Stands in for the inductor teacher (which needs a GPU): one row per spec, no refinement."""

    name = "inductor"

    def __init__(self, config, seed):
        self.seed = seed

    def generate_batch(self, spec_rows):
        return [candidate_row(row, teacher=self.name, model="compiler", prompt_version="kernel-v2", prompt=[],
                              completion=f"```python\n# {row['spec_id']}\n```\n", seed=self.seed, sample_index=0,
                              meta={}) for row in spec_rows]


@pytest.fixture
def combined(monkeypatch) -> CombinedTeacher:
    monkeypatch.setitem(teachers.TEACHERS, "inductor", OneAnswer)
    config = load_config("configs/quickstart.yaml", ["teacher.kind=[builtin, inductor]", "teacher.samples_per_spec=2"])
    teacher = teachers.make_teacher(config.teacher, seed=0)
    assert isinstance(teacher, CombinedTeacher) and teacher.name == "builtin+inductor"
    return teacher


def test_each_spec_gets_every_teachers_rows_in_list_order(combined):
    rows = combined.generate_batch([SUM, RELU])
    assert [(row["spec_id"], row["teacher"]) for row in rows] == [
        (SUM["spec_id"], "builtin"), (SUM["spec_id"], "builtin"), (SUM["spec_id"], "inductor"),
        (RELU["spec_id"], "builtin"), (RELU["spec_id"], "builtin"), (RELU["spec_id"], "inductor")]


def judged(row: dict) -> dict:
    verdict = Verdict.reject(Reason.MISMATCH, "the output differs from the reference.")
    return {**row, **verdict.to_row(), "device": "cpu", "hardware": "cpu"}


def test_feedback_goes_to_a_teacher_that_can_refine_and_answers_come_back_in_request_order(combined):
    first = combined.generate_batch([SUM, RELU])
    parents = [judged(first[2]), judged(first[0]), judged(first[5])]  # inductor's, builtin's, inductor's
    requests = [RefineRequest(SUM if p["spec_id"] == SUM["spec_id"] else RELU, p, feedback(p, target_speedup=1.5))
                for p in parents]
    answers = combined.refine_batch(requests)
    assert [row["parent_id"] for row in answers] == [p["candidate_id"] for p in parents]
    # The inductor stand-in cannot refine: the builtin teacher answered every parent.
    assert {row["teacher"] for row in answers} == {"builtin"} and all(row["turn"] == 1 for row in answers)
    assert combined.can_refine


def test_a_list_of_teachers_none_of_which_refines_cannot_refine(monkeypatch):
    monkeypatch.setitem(teachers.TEACHERS, "inductor", OneAnswer)
    config = load_config("configs/quickstart.yaml", ["teacher.kind=[inductor]"])
    alone = teachers.make_teacher(config.teacher, seed=0)
    assert isinstance(alone, OneAnswer) and not alone.can_refine  # a one-kind list is that teacher
    pair = CombinedTeacher([alone, OneAnswer(None, 1)])
    assert not pair.can_refine
    with pytest.raises(NotImplementedError, match="none of the teachers inductor\\+inductor can refine"):
        pair.refine_batch([])
    assert [row["seed"] for row in pair.generate_batch([SUM])] == [0, 1]
