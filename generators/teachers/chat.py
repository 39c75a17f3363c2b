"""What the model-backed teachers (`openai`, `vllm`) share: conversations in, candidate rows out.

A `ChatTeacher` turns spec rows (first answers) and refinement requests into `Conversation`s, asks its
model for `num_samples` answers to each (`answer(conversations)`, the one method a subclass writes), and
turns each `Answer` into a row through `candidate_row`, in conversation order, sample by sample.

What a row says about its answer:
- `completion` is the answer only; reasoning (a `<think>...</think>` block in the content, an opening one
  the chat template put in the prompt, or the endpoint's `reasoning_content` / `reasoning` field) goes to
  the `reasoning` column.
- `teacher_meta.finish_reason` is the model's; an answer cut off by the token limit (`length`) is not
  trusted to hold its final code: the row has no code and `teacher_meta.extract` is `truncated`.
- A request that failed for good has an empty completion, no code and `teacher_meta.error` naming the
  failure kind (`rate_limit`, `server_error`, `timeout`, `connection`, `client_error`, `invalid_response`);
  the verifier records it as `teacher_error`, not as a bad kernel.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from generators.prompts import PROMPT_VERSION, Prompter
from generators.teachers.base import RefineRequest, Teacher, candidate_row
from kerneldata.core.config import SamplingConfig, TeacherConfig

# A reasoning block, closed or still open at the end of the text (the answer was cut off while thinking).
_THINK_BLOCK = re.compile(r"<think>(.*?)(?:</think>|\Z)", re.DOTALL)


@dataclass(frozen=True)
class Conversation:
    """Messages to answer `num_samples` times, and where the answers' rows belong."""

    spec_row: dict
    messages: list[dict]
    num_samples: int
    prompt_version: str = PROMPT_VERSION
    turn: int = 0
    parent_id: str | None = None


@dataclass(frozen=True)
class Answer:
    """One sampled answer as the model gave it, or the failure that left none (`error` set)."""

    content: str
    finish_reason: str | None = None
    reasoning: str | None = None  # a reasoning field beside the content, when the server sent one
    meta: dict = field(default_factory=dict)  # usage, latency, attempts...: goes to teacher_meta
    error: str | None = None

    @classmethod
    def failed(cls, error: str, meta: dict) -> Answer:
        return cls(content="", error=error, meta=meta)


def split_reasoning(content: str | None, reasoning_field: str | None = None) -> tuple[str, str | None]:
    """(answer, reasoning): `<think>` blocks and a reasoning field go to reasoning (None when there is
    none); the answer is what is left. A lone `</think>` means the template opened the block in the prompt,
    so everything before it is reasoning."""
    text = content or ""
    parts = [reasoning_field]
    head, closing, tail = text.partition("</think>")
    if closing and "<think>" not in head:
        parts.append(head)
        text = tail
    parts.extend(match.group(1) for match in _THINK_BLOCK.finditer(text))
    reasoning = "\n\n".join(part.strip() for part in parts if part and part.strip())
    return _THINK_BLOCK.sub("", text).strip(), reasoning or None


def answer_row(conversation: Conversation, answer: Answer, *, teacher: str, model: str, seed: int,
               sample_index: int) -> dict:
    """The candidate row of one answer (see the module docstring for what it records)."""
    completion, reasoning = split_reasoning(answer.content, answer.reasoning)
    meta = {**answer.meta, "finish_reason": answer.finish_reason}
    extracted = False
    if answer.error is not None:
        meta["error"] = answer.error
        extracted = True
    elif answer.finish_reason == "length":
        meta["extract"] = "truncated"
        extracted = True
    return candidate_row(conversation.spec_row, teacher=teacher, model=model,
                         prompt_version=conversation.prompt_version, prompt=conversation.messages,
                         completion=completion, reasoning=reasoning, code=None, extracted=extracted, seed=seed,
                         sample_index=sample_index, meta=meta, turn=conversation.turn,
                         parent_id=conversation.parent_id)


def sampling_seed(settings: SamplingConfig, run_seed: int) -> int:
    """The seed sent with a conversation's first sample (later samples of a repeated request add their
    index, so they differ)."""
    return settings.seed if settings.seed is not None else run_seed


class ChatTeacher(Teacher):
    """A teacher backed by a chat model: subclasses set `name`, `model` and implement `answer`."""

    model: str

    def __init__(self, config: TeacherConfig, seed: int) -> None:
        self.config = config
        self.seed = seed
        self.prompter = Prompter(config.prompt)

    def answer(self, conversations: Sequence[Conversation]) -> list[list[Answer]]:
        """`num_samples` answers for each conversation, in order (a failure is an `Answer.failed`)."""
        raise NotImplementedError(f"{type(self).__name__} must implement answer")

    def generate_batch(self, spec_rows: Sequence[dict]) -> list[dict]:
        return self._rows([Conversation(row, self.prompter(row), self.config.samples_per_spec,
                                        prompt_version=self.prompter.version) for row in spec_rows])

    def refine_batch(self, requests: Sequence[RefineRequest]) -> list[dict]:
        return self._rows([
            Conversation(request.spec_row, request.messages(), request.num_samples,
                         prompt_version=request.parent["prompt_version"], turn=request.parent["turn"] + 1,
                         parent_id=request.parent["candidate_id"])
            for request in requests
        ])

    def _rows(self, conversations: list[Conversation]) -> list[dict]:
        if not conversations:
            return []
        answers = self.answer(conversations)
        assert [len(a) for a in answers] == [c.num_samples for c in conversations], "one answer per sample"
        return [
            answer_row(conversation, answer, teacher=self.name, model=self.model, seed=self.seed, sample_index=index)
            for conversation, samples in zip(conversations, answers)
            for index, answer in enumerate(samples)
        ]
