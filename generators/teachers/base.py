"""What every teacher is: spec rows in, candidate rows out, first answers and refinements.

A teacher (built by `make_teacher(config, seed)` from `config.kind`) has:
- `name`: the `teacher` column of its rows;
- `generate_batch(spec_rows) -> rows`: first answers (turn 0), `samples_per_spec` candidates per spec in spec
  order, or one row without code for a spec it declines. Teachers behind an endpoint send the requests of a
  batch concurrently; the builtin one loops. `generate(spec_row)` is the one-spec shorthand.
- `refine_batch(requests) -> rows`: answers to feedback. A `RefineRequest` names the spec, the parent
  candidate (a raw row: candidate and verdict columns) and the feedback the refinement loop wrote; the
  conversation continues from the parent's: `parent.prompt + [assistant: parent.completion, user: feedback]`
  is the new row's `prompt`, its `turn` is the parent's plus one and its `parent_id` the parent's id.

`candidate_row` is the one place a row is assembled, so every teacher fills every column of
`CANDIDATE_SCHEMA` the same way and derives `candidate_id` from content: spec, teacher, code, seed, sample,
turn and parent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from generators.extract import extract_code
from kerneldata.core.hashing import stable_id
from kerneldata.core.schema import SPEC_SCHEMA


@dataclass(frozen=True)
class RefineRequest:
    spec_row: dict
    parent: dict  # a raw row of the candidate being refined: its prompt, completion, code and verdict
    feedback: str  # the user message answering the parent
    num_samples: int = 1
    # Every code already written for this spec, in any turn or branch (not part of the conversation): a
    # teacher that can avoid repeating itself (the builtin one) does.
    tried: tuple[str, ...] = ()

    def messages(self) -> list[dict]:
        """The conversation the refinement continues: the parent's prompt, its answer, the feedback."""
        return [*self.parent["prompt"], {"role": "assistant", "content": self.parent["completion"]},
                {"role": "user", "content": self.feedback}]


class Teacher:
    """Base class: subclasses set `name` and implement `generate_batch` (and `refine_batch` if they can
    answer feedback)."""

    name = "teacher"

    def generate(self, spec_row: dict) -> list[dict]:
        return self.generate_batch([spec_row])

    def generate_batch(self, spec_rows: Sequence[dict]) -> list[dict]:
        raise NotImplementedError(f"{type(self).__name__} must implement generate_batch")

    def refine_batch(self, requests: Sequence[RefineRequest]) -> list[dict]:
        raise NotImplementedError(f"the {self.name} teacher cannot refine candidates")

    @property
    def can_refine(self) -> bool:
        """Whether this teacher answers feedback (implements `refine_batch`)."""
        return type(self).refine_batch is not Teacher.refine_batch

    def close(self) -> None:
        """Release what the teacher holds (connections, an engine); nothing by default."""


def candidate_row(spec_row: dict, *, teacher: str, model: str, prompt_version: str, prompt: list[dict],
                  completion: str, seed: int, sample_index: int, meta: dict, turn: int = 0,
                  parent_id: str | None = None, reasoning: str | None = None,
                  code: str | None = None, extracted: bool = False) -> dict:
    """One row of `CANDIDATE_SCHEMA`. The code is extracted from `completion` unless `extracted` says the
    caller did (then `code` is it); the extraction outcome other than "ok" lands in `meta["extract"]`."""
    if not extracted:
        code, outcome = extract_code(completion)
        if outcome != "ok":
            meta = {**meta, "extract": outcome}
    ids = (spec_row["spec_id"], teacher, code, seed, sample_index)
    if turn or parent_id:  # turn-0 ids stay what they were before refinement existed
        ids += (turn, parent_id)
    return {
        **{name: spec_row[name] for name in SPEC_SCHEMA.names},
        "candidate_id": stable_id(*ids),
        "teacher": teacher,
        "teacher_model": model,
        "prompt_version": prompt_version,
        "prompt": prompt,
        "completion": completion,
        "reasoning": reasoning,
        "code": code,
        "sample_index": sample_index,
        "turn": turn,
        "parent_id": parent_id,
        "seed": seed,
        "teacher_meta": json.dumps(meta, sort_keys=True),
    }
