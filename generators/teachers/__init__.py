"""Teachers: whatever writes candidate kernels for spec rows, behind one registry.

`make_teacher(config, seed)` builds the teacher `config.kind` names (the interface: `teachers.base`), or,
for a list of kinds, a `CombinedTeacher` of them; `TeacherStage` maps a batch of spec rows to their
candidate rows (`samples_per_spec` per spec and teacher, every column of `CANDIDATE_SCHEMA`). Kinds:
`builtin` (parametric templates, no model; deterministic for a seed: the same spec rows give the same
candidates and candidate ids), `openai` (an OpenAI-compatible endpoint), `vllm` (an in-process vLLM engine on
the GPUs `TeacherConfig.num_gpus()` asks Ray for) and `inductor` (the Triton code torch.compile generates;
one row per spec; GPU only). Making a teacher touches no device, so the driver can check the config without
a GPU; `Teacher.check_device()` is where a teacher's worker finds out it cannot work there.
"""

from __future__ import annotations

import pyarrow as pa

from generators.teachers.builtin import BuiltinTeacher
from generators.teachers.combined import CombinedTeacher
from generators.teachers.inductor import InductorTeacher
from generators.teachers.openai import OpenAITeacher
from generators.teachers.vllm import VLLMTeacher
from kerneldata.core.config import TeacherConfig
from kerneldata.core.schema import CANDIDATE_SCHEMA, SPEC_SCHEMA, table_from_rows
from kerneldata.core.stage import Stage

# The teacher registry: config kind -> a `teachers.base.Teacher` class taking (config, seed).
TEACHERS = {"builtin": BuiltinTeacher, "openai": OpenAITeacher, "vllm": VLLMTeacher, "inductor": InductorTeacher}


def make_teacher(config: TeacherConfig, seed: int):
    """The teacher `config.kind` names, or a CombinedTeacher of the kinds it lists (in list order); an
    unknown kind is a ValueError listing the known ones."""
    unknown = [kind for kind in config.kinds() if kind not in TEACHERS]
    if unknown:
        raise ValueError(f"unknown teacher kind {unknown[0]!r}; known kinds: {', '.join(sorted(TEACHERS))}")
    teachers = [TEACHERS[kind](config, seed) for kind in config.kinds()]
    return teachers[0] if len(teachers) == 1 else CombinedTeacher(teachers)


class TeacherStage(Stage):
    """Spec rows in, candidate rows out: each teacher's candidates per spec, in spec order."""

    name = "teacher"
    reads = tuple(SPEC_SCHEMA.names)
    adds = tuple(name for name in CANDIDATE_SCHEMA.names if name not in SPEC_SCHEMA.names)
    output_schema = CANDIDATE_SCHEMA
    # Template rendering (and, later, waiting on a remote model) takes a sliver of a core; claiming a
    # whole one would keep a verifier worker off a 2-core machine.
    num_cpus = 0.1

    def __init__(self, *, config: TeacherConfig, seed: int) -> None:
        self.config = config
        self.seed = seed
        self.teacher = make_teacher(config, seed)
        self.teacher.check_device()

    def __call__(self, batch: pa.Table) -> pa.Table:
        self.check_input(batch)
        rows = self.teacher.generate_batch(batch.select(list(self.reads)).to_pylist())
        return table_from_rows(rows, CANDIDATE_SCHEMA)

    def __del__(self) -> None:
        teacher = getattr(self, "teacher", None)
        if teacher is not None:
            teacher.close()
