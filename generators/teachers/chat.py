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
  the verifier records it as `teacher_error`, not as a bad kernel. (`teacher_lost`, from the pipeline, means
  the teacher's worker itself was lost on that call, after the pipeline's retries.)

Answers are cached (`generators.teachers.cache`) when `TeacherConfig.cache_dir()` names a directory: each
sample of each conversation is looked up by its content key first, only the missing samples are asked of
the model (a conversation missing samples k.. asks for them as one request starting at sample k, whose
seed is the conversation's plus k, as the top-up requests of an endpoint already do), and every answer that
did not fail is stored before the rows are made. A cached answer gives the same row, byte for byte, as the
request that first got it. Counters (`take_stats`): `cache_hits` and `cache_misses` (samples),
`completion_tokens` (of answers the model gave in this call, not cached ones).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from generators.prompts import PROMPT_VERSION, Prompter
from generators.teachers.base import RefineRequest, Teacher, candidate_row
from generators.teachers.cache import TeacherCache, request_key
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
    # The index of the first sample asked for: a request for samples k.. of a conversation (the rest came
    # from the cache) sends the conversation's seed plus k.
    first_sample: int = 0


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

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Answer:
        return cls(**data)


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
        self._cache: TeacherCache | None = None  # opened on the first batch, where the teacher runs

    def answer(self, conversations: Sequence[Conversation]) -> list[list[Answer]]:
        """`num_samples` answers for each conversation, in order (a failure is an `Answer.failed`); sample j
        of a conversation is sample `first_sample + j` of its conversation."""
        raise NotImplementedError(f"{type(self).__name__} must implement answer")

    def cache_identity(self) -> dict:
        """What, besides the messages and the sample index, decides an answer: the cache keys' teacher part."""
        raise NotImplementedError(f"{type(self).__name__} must implement cache_identity")

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
        answers = self._answers(conversations)
        return [
            answer_row(conversation, answer, teacher=self.name, model=self.model, seed=self.seed, sample_index=index)
            for conversation, samples in zip(conversations, answers)
            for index, answer in enumerate(samples)
        ]

    def _answers(self, conversations: list[Conversation]) -> list[list[Answer]]:
        """Every sample of every conversation: from the cache where it has them, else from the model."""
        cache = self._opened_cache()
        if cache is None:
            return self._asked(conversations)
        identity = self.cache_identity()
        keys = [[request_key(identity, c.messages, c.first_sample + i) for i in range(c.num_samples)]
                for c in conversations]
        found = cache.get_many(key for row in keys for key in row)
        missing = [(index, [i for i, key in enumerate(row) if key not in found]) for index, row in enumerate(keys)]
        missing = [(index, samples) for index, samples in missing if samples]
        asked = self._asked([dataclasses.replace(conversations[index], num_samples=len(samples),
                                                 first_sample=conversations[index].first_sample + samples[0])
                             for index, samples in missing])
        fresh = {}
        for (index, samples), answers in zip(missing, asked):
            fresh.update({keys[index][sample]: answer for sample, answer in zip(samples, answers)})
        cache.put_many({key: answer.to_json() for key, answer in fresh.items() if answer.error is None})
        self.count("cache_hits", len(found))
        return [[fresh[key] if key in fresh else Answer.from_json(found[key]) for key in row] for row in keys]

    def _asked(self, conversations: list[Conversation]) -> list[list[Answer]]:
        """The model's answers (no cache), counted."""
        if not conversations:
            return []
        answers = self.answer(conversations)
        assert [len(a) for a in answers] == [c.num_samples for c in conversations], "one answer per sample"
        samples = [answer for row in answers for answer in row]
        self.count("cache_misses", len(samples))
        self.count("completion_tokens", sum(_tokens_of(answer) for answer in samples))
        return answers

    def _opened_cache(self) -> TeacherCache | None:
        if self._cache is None and self.config.cache_dir() is not None:
            self._cache = TeacherCache(self.config.cache_dir())
        return self._cache


def _tokens_of(answer: Answer) -> int:
    """The completion tokens of one answer: a request's usage covers all its choices, so each gets its share."""
    tokens = answer.meta.get("completion_tokens")
    if not isinstance(tokens, int):
        return 0
    return round(tokens / max(1, answer.meta.get("choices") or 1))
