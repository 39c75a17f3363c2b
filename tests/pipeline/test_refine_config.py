"""The pipeline refuses refinement with a teacher that cannot answer feedback, before Ray starts."""

from __future__ import annotations

import pytest

from generators import teachers
from generators.teachers.base import Teacher
from kerneldata import pipeline
from kerneldata.core.config import load_config


class FirstAnswersOnly(Teacher):
    name = "first-answers-only"

    def __init__(self, config, seed):
        pass


def test_refinement_needs_a_teacher_that_refines(tmp_path, monkeypatch):
    monkeypatch.setitem(teachers.TEACHERS, "builtin", FirstAnswersOnly)
    monkeypatch.setattr(pipeline, "_init_ray", lambda config: pytest.fail("Ray started"))
    config = load_config("configs/quickstart.yaml", ["specs.check_references=false"])
    with pytest.raises(pipeline.PipelineError, match="refine.max_turns is 2 but the first-answers-only teacher "
                                                     "cannot refine candidates; set refine.max_turns=0"):
        pipeline.run(config, out_dir=tmp_path / "run", progress=False)
