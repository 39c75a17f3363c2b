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

Making a teacher touches no device: the driver makes one to check the config (a wrong template, a missing
API key fail there, before any work) and to write the rows of calls given up, and the driver of a Ray
cluster often has no GPU. `check_device()` is where a teacher says it cannot work in this process (the
inductor teacher without a GPU); the teacher's worker calls it when it makes its teacher.

A teacher also keeps counters of what its calls cost (answers from its cache, answers asked of the model,
tokens, failed requests by kind); `take_stats()` hands them over and starts again from zero, so the pipeline
can add up what its teacher workers report. `failed_rows` / `failed_refinements` are the rows standing for
a call that could not be made at all (its worker lost): no code, `teacher_meta.error` naming why.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
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
    """Base class: subclasses set `name` and `model` and implement `generate_batch` (and `refine_batch` if
    they can answer feedback)."""

    name = "teacher"
    model = "unknown"
    _stats_lock = threading.Lock()  # shared by all teachers: counting is rare and quick

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

    def check_device(self) -> None:
        """Raise ConfigError (one line) when this process has no device the teacher needs; nothing by default.
        Called where the teacher works (its worker), never on the driver (see the module docstring)."""

    def close(self) -> None:
        """Release what the teacher holds (connections, an engine); nothing by default."""

    def count(self, key: str, amount: int = 1) -> None:
        """Add to one of the teacher's counters (`cache_hits`, `fault:<kind>`...)."""
        if not amount:
            return
        with self._stats_lock:
            self.__dict__.setdefault("_stats", Counter())[key] += amount

    def take_stats(self) -> dict[str, int]:
        """The counters since the last call, then zero."""
        with self._stats_lock:
            stats = self.__dict__.pop("_stats", Counter())
        return dict(stats)

    # First-answer rows per spec (the inductor teacher, a deterministic compiler, writes one).
    @property
    def rows_per_spec(self) -> int:
        return self.config.samples_per_spec

    def failed_rows(self, spec_rows: Sequence[dict], error: str, detail: str) -> list[dict]:
        """The rows of first answers that were never given: `rows_per_spec` per spec, with the prompt the
        teacher would have sent (its `prompter`), no code."""
        return [self._failed(spec_row, self.prompter(spec_row), self.prompter.version, sample, error, detail)
                for spec_row in spec_rows for sample in range(self.rows_per_spec)]

    def failed_refinements(self, requests: Sequence[RefineRequest], error: str, detail: str) -> list[dict]:
        """The rows of refinements that were never given: `num_samples` per request, no code."""
        return [self._failed(request.spec_row, request.messages(), request.parent["prompt_version"], sample, error,
                             detail, turn=request.parent["turn"] + 1, parent_id=request.parent["candidate_id"])
                for request in requests for sample in range(request.num_samples)]

    def _failed(self, spec_row: dict, prompt: list[dict], prompt_version: str, sample_index: int, error: str,
                detail: str, *, turn: int = 0, parent_id: str | None = None) -> dict:
        return candidate_row(spec_row, teacher=self.name, model=self.model, prompt_version=prompt_version,
                             prompt=prompt, completion="", code=None, extracted=True, seed=self.seed,
                             sample_index=sample_index, meta={"error": error, "error_message": detail},
                             turn=turn, parent_id=parent_id)


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
