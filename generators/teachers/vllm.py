"""The `vllm` teacher: an in-process vLLM engine (`vllm.LLM`) answering a batch of conversations with one
`LLM.chat` call. Settings: `teacher.vllm`.

vLLM is an optional extra (`pip install 'kerneldata[vllm]'`): building this teacher without it is a one-line
`ConfigError`. The engine is built on the first batch, not when the teacher is: the pipeline builds a
teacher on the driver only to check the config, and the engine belongs on the GPUs of the teacher actor
(Ray gives it `TeacherConfig.num_gpus()`, the tensor-parallel size). With tensor_parallel_size > 1 inside a
Ray actor, vLLM may need `engine_kwargs: {distributed_executor_backend: mp}` or `ray`, depending on its version.

Each conversation asks for its `num_samples` answers through `SamplingParams(n=...)`; a completion's text
may hold `<think>` blocks, which go to the `reasoning` column (`chat.split_reasoning`); `finish_reason
== "length"` is recorded as truncated. `teacher_meta` holds the prompt's and the answer's token counts and
the batch's wall time. What this does not do: reuse an engine across teachers, or stream.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Sequence

from generators.teachers.chat import Answer, ChatTeacher, Conversation, sampling_seed
from kerneldata.core.config import ConfigError, TeacherConfig

TEACHER = "vllm"
MISSING = "the vllm teacher needs the vllm package: pip install 'kerneldata[vllm]'"


class VLLMTeacher(ChatTeacher):
    name = TEACHER

    def __init__(self, config: TeacherConfig, seed: int) -> None:
        if importlib.util.find_spec("vllm") is None:
            raise ConfigError(MISSING)
        super().__init__(config, seed)
        self.settings = config.vllm
        self.model = self.settings.model
        self._engine = None

    def answer(self, conversations: Sequence[Conversation]) -> list[list[Answer]]:
        from vllm import SamplingParams

        settings = self.settings
        engine = self._started_engine()
        params = [
            SamplingParams(n=conversation.num_samples, temperature=settings.temperature, top_p=settings.top_p,
                           max_tokens=settings.max_tokens,
                           seed=sampling_seed(settings, self.seed) + conversation.first_sample,
                           **settings.sampling_kwargs)
            for conversation in conversations
        ]
        started = time.monotonic()
        outputs = engine.chat([c.messages for c in conversations], sampling_params=params, use_tqdm=False,
                              chat_template_kwargs=settings.chat_template_kwargs or None)
        batch_s = round(time.monotonic() - started, 3)
        return [answers_from_output(output, batch_s=batch_s) for output in outputs]

    def cache_identity(self) -> dict:
        """The model and the settings that decide an answer (not the engine's memory or parallelism)."""
        settings = self.settings
        return {"kind": TEACHER, "model": settings.model, "dtype": settings.dtype,
                "max_model_len": settings.max_model_len, "temperature": settings.temperature,
                "top_p": settings.top_p, "max_tokens": settings.max_tokens, "seed": sampling_seed(settings, self.seed),
                "sampling_kwargs": settings.sampling_kwargs, "chat_template_kwargs": settings.chat_template_kwargs,
                "engine_kwargs": settings.engine_kwargs}

    def close(self) -> None:
        self._engine = None  # vLLM frees the GPU when the engine is collected

    def _started_engine(self):
        if self._engine is None:
            from vllm import LLM

            settings = self.settings
            self._engine = LLM(model=settings.model, tensor_parallel_size=settings.tensor_parallel_size,
                               max_model_len=settings.max_model_len, dtype=settings.dtype,
                               gpu_memory_utilization=settings.gpu_memory_utilization,
                               trust_remote_code=settings.trust_remote_code, seed=sampling_seed(settings, self.seed),
                               **settings.engine_kwargs)
        return self._engine


def answers_from_output(output, *, batch_s: float) -> list[Answer]:
    """The answers of one vLLM `RequestOutput` (its `outputs`: `CompletionOutput`s with `text`, `token_ids`
    and `finish_reason`), in sample order."""
    prompt_tokens = len(output.prompt_token_ids) if output.prompt_token_ids is not None else None
    return [
        Answer(content=sample.text, finish_reason=sample.finish_reason,
               meta={"prompt_tokens": prompt_tokens, "completion_tokens": len(sample.token_ids),
                     "batch_latency_s": batch_s})
        for sample in sorted(output.outputs, key=lambda sample: sample.index)
    ]
