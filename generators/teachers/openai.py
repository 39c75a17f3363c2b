"""The `openai` teacher: any OpenAI-compatible chat-completions endpoint (`vllm serve`, SGLang, hosted models),
through the official `openai` package's `AsyncOpenAI` client. Settings: `teacher.openai`.

Guarantees:
- All requests of a batch are sent concurrently, at most `max_concurrency` in flight at once; rows come back
  in spec order, `samples_per_spec` per spec (through `n`, topped up with further requests when a server
  returns fewer choices, or one request per sample when `use_n` is false).
- Retries are ours (the client's own are off): 429, 5xx, 408, timeouts and connection errors are retried
  up to `max_retries` times after an exponential, jittered backoff, or after the server's `Retry-After`
  (seconds or an HTTP date; `retry-after-ms` too), never longer than `backoff_cap_s`. Anything else, or a
  request still failing after its retries, gives rows with no code and `teacher_meta.error` naming the
  failure kind; a batch never fails because a request did.
- `teacher_meta` records per row: the finish reason, the request's token usage (prompt, completion and
  reasoning tokens, for all of its choices together, `choices` of them), its latency and attempts.
- Every failed attempt is counted by kind (`fault:teacher_request_<kind>`, and `..._gave_up` for a request
  that failed for good; `take_stats`), for the run's manifest.
- The API key is read from the environment variable `api_key_env` names, when the teacher is built (a
  missing variable is a one-line `ConfigError`), and kept in the client only: never in a row, the config,
  a log line or an error message.

The client and its connections live on an event loop this teacher owns, in its own thread, so
`generate_batch` works the same from a plain thread, a Ray actor or code that already runs a loop.
`check_endpoint()` asks the endpoint for its models (the pipeline does, before a run starts), with the same
retries, and raises `EndpointError` (one line: the URL and the error) when it cannot answer.
What this does not do: stream or call tools.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone

from generators.teachers.chat import Answer, ChatTeacher, Conversation, sampling_seed
from kerneldata.core.config import ConfigError, TeacherConfig

log = logging.getLogger(__name__)

TEACHER = "openai"
# Sent as the key when `api_key_env` is null: the client insists on one, a keyless server ignores it.
NO_KEY = "EMPTY"
# Longest wait for the endpoint check's answer, in seconds (a model list is quick to give).
CHECK_TIMEOUT_S = 30.0
# Longest server message kept in teacher_meta.error_message.
_MAX_MESSAGE_CHARS = 300


class OpenAITeacher(ChatTeacher):
    name = TEACHER

    def __init__(self, config: TeacherConfig, seed: int) -> None:
        super().__init__(config, seed)
        self.settings = config.openai
        self.model = self.settings.model
        self._api_key = _api_key(self.settings.api_key_env)
        self._rng = random.Random()  # backoff jitter only; nothing in a row depends on it
        # Made on first use, so a teacher built only to check the config (on the driver) holds nothing.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client = None
        self._slots: asyncio.Semaphore | None = None
        self._starting = threading.Lock()

    def answer(self, conversations: Sequence[Conversation]) -> list[list[Answer]]:
        future = asyncio.run_coroutine_threadsafe(self._answer_all(conversations), self._running_loop())
        return future.result()

    def close(self) -> None:
        """Close the client's connections and stop the teacher's loop; the next batch starts them again."""
        if self._loop is None or threading.current_thread() is self._thread:
            return
        if self._client is not None:
            asyncio.run_coroutine_threadsafe(self._client.close(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
        self._loop = self._thread = self._client = self._slots = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: the loop's thread may be gone already
            pass

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._starting:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name="openai-teacher", daemon=True)
                self._thread.start()
        return self._loop

    async def _answer_all(self, conversations: Sequence[Conversation]) -> list[list[Answer]]:
        if self._client is None:
            from openai import AsyncOpenAI

            self._client = AsyncOpenAI(base_url=self.settings.base_url, api_key=self._api_key,
                                       timeout=self.settings.timeout_s, max_retries=0)
            self._slots = asyncio.Semaphore(self.settings.max_concurrency)
        return list(await asyncio.gather(*(self._answer_one(c) for c in conversations)))

    def cache_identity(self) -> dict:
        """The settings that decide an answer; not the endpoint's address, timeouts, retries or concurrency."""
        settings = self.settings
        return {"kind": TEACHER, "model": settings.model, "temperature": settings.temperature, "top_p": settings.top_p,
                "max_tokens": settings.max_tokens, "seed": sampling_seed(settings, self.seed), "use_n": settings.use_n,
                "extra_body": settings.extra_body}

    async def _answer_one(self, conversation: Conversation) -> list[Answer]:
        seed = sampling_seed(self.settings, self.seed) + conversation.first_sample
        wanted = conversation.num_samples
        if not self.settings.use_n:
            singles = await asyncio.gather(*(self._request(conversation.messages, 1, seed + index)
                                             for index in range(wanted)))
            return [answers[0] for answers in singles]
        answers: list[Answer] = []
        while len(answers) < wanted:
            got = await self._request(conversation.messages, wanted - len(answers), seed + len(answers))
            if got[0].error is not None:
                return answers + [got[0]] * (wanted - len(answers))
            answers.extend(got[:wanted - len(answers)])
        return answers

    async def _request(self, messages: list[dict], n: int, seed: int) -> list[Answer]:
        """The choices of one request (at least one), or a single failed answer, after our retries."""
        from openai import APIConnectionError, APIResponseValidationError, APIStatusError, APITimeoutError

        settings = self.settings
        options = {"n": n} if n > 1 else {}
        for attempt in range(1, settings.max_retries + 2):
            retry_after_s = None
            try:
                async with self._slots:
                    started = time.monotonic()
                    response = await self._client.chat.completions.create(
                        model=settings.model, messages=messages, temperature=settings.temperature,
                        top_p=settings.top_p, max_tokens=settings.max_tokens, seed=seed,
                        extra_body=settings.extra_body or None, **options)
                    latency_s = time.monotonic() - started
                return _choices(response, latency_s=latency_s, attempts=attempt)
            except APITimeoutError:  # before APIConnectionError, its base class
                failure = {"error": "timeout"}
            except APIConnectionError:
                failure = {"error": "connection"}
            except APIStatusError as err:
                failure = _status_failure(err, self._api_key)
                if failure["error"] == "client_error":  # the same request would fail the same way
                    self.count("fault:teacher_request_client_error")
                    return [_failed(failure, attempt)]
                retry_after_s = retry_after(err.response.headers)
            except (json.JSONDecodeError, APIResponseValidationError):
                self.count("fault:teacher_request_invalid_response")
                return [_failed({"error": "invalid_response",
                                 "error_message": "the response body is not a chat completion"}, attempt)]
            except InvalidResponse as err:
                self.count("fault:teacher_request_invalid_response")
                return [_failed({"error": "invalid_response", "error_message": str(err)}, attempt)]
            self.count(f"fault:teacher_request_{failure['error']}")
            if attempt <= settings.max_retries:
                wait_s = self._backoff_s(attempt, retry_after_s)
                log.warning("teacher request failed (%s%s), attempt %d of %d; again in %.1f s", failure["error"],
                            f" {failure['error_status']}" if "error_status" in failure else "", attempt,
                            settings.max_retries + 1, wait_s)
                await asyncio.sleep(wait_s)
        self.count("fault:teacher_request_gave_up")
        log.error("teacher request failed for good (%s) after %d attempts", failure["error"], settings.max_retries + 1)
        return [_failed(failure, settings.max_retries + 1)]

    def check_endpoint(self, on_retry: Callable[[str, int, int, float], None] | None = None) -> list[str]:
        """The model names the endpoint lists (empty when it lists none: a server without GET /models is fine),
        after the retries a request gets on 429, 5xx, timeouts and connection errors; `on_retry(failure,
        attempt, attempts, wait_s)` hears of each wait. Raises `EndpointError` when it cannot be reached, or
        refuses the key, after them."""
        from openai import APIConnectionError, APIStatusError, APITimeoutError, OpenAI

        settings = self.settings
        attempts = settings.max_retries + 1
        client = OpenAI(base_url=settings.base_url, api_key=self._api_key, max_retries=0,
                        timeout=min(settings.timeout_s, CHECK_TIMEOUT_S))
        try:
            for attempt in range(1, attempts + 1):
                retry_after_s = None
                try:
                    return sorted(model.id for model in client.models.list().data if isinstance(model.id, str))
                except APITimeoutError:
                    failure = f"no answer within {min(settings.timeout_s, CHECK_TIMEOUT_S):g} s"
                except APIConnectionError as err:
                    failure = f"cannot connect ({_cause(err)})"
                except APIStatusError as err:
                    status = err.status_code
                    if status in (401, 403):
                        key = (f"the API key in ${settings.api_key_env}" if settings.api_key_env else
                               "a request without an API key (set teacher.openai.api_key_env to the variable "
                               "holding one)")
                        raise EndpointError(f"teacher endpoint {settings.base_url} refused {key} (HTTP {status})") \
                            from None
                    if status != 429 and status < 500 and status != 408:
                        return []  # it answers; it just does not list models there
                    failure = f"HTTP {status}"
                    retry_after_s = retry_after(err.response.headers)
                except Exception as err:  # a body that is not a model list: the server answers all the same
                    log.info("teacher endpoint %s: the model list is unreadable (%s)", settings.base_url,
                             type(err).__name__)
                    return []
                if attempt < attempts:
                    wait_s = self._backoff_s(attempt, retry_after_s)
                    if on_retry is not None:
                        on_retry(failure, attempt, attempts, wait_s)
                    time.sleep(wait_s)
            raise EndpointError(f"teacher endpoint {settings.base_url} is unreachable: {failure} "
                                f"({attempts} attempt{'s' if attempts > 1 else ''})")
        finally:
            client.close()

    def _backoff_s(self, attempt: int, retry_after_s: float | None) -> float:
        """The wait after failed attempt `attempt` (1, 2, ...): the server's Retry-After when it sent one, else
        base * 2**(attempt - 1) with jitter (half to all of it); at most backoff_cap_s either way."""
        cap = self.settings.backoff_cap_s
        if retry_after_s is not None:
            return min(retry_after_s, cap)
        delay = min(cap, self.settings.backoff_base_s * 2 ** (attempt - 1))
        return self._rng.uniform(delay / 2, delay)


class EndpointError(Exception):
    """The endpoint cannot be used: one line naming its URL and the error."""


def _cause(err: BaseException) -> str:
    """The innermost error's message (httpx's "[Errno 111] Connection refused" under openai's "Connection
    error."), on one line."""
    while err.__cause__ is not None:
        err = err.__cause__
    return " ".join(str(err).split())[:_MAX_MESSAGE_CHARS] or type(err).__name__


class InvalidResponse(Exception):
    """A 200 whose body parsed but is not a usable chat completion (no choices, a choice without a message)."""


def _api_key(variable: str | None) -> str:
    if variable is None:
        return NO_KEY
    key = os.environ.get(variable)
    if not key:
        raise ConfigError(f"teacher.openai.api_key_env names {variable}, which is not set in the environment: "
                          "set it to the endpoint's API key, or set api_key_env to null for a server that needs none")
    return key


def _failed(failure: dict, attempts: int) -> Answer:
    """The answer standing for a request that failed: `failure` holds its kind (`error`) and details."""
    details = {key: value for key, value in failure.items() if key != "error"}
    return Answer.failed(failure["error"], {**details, "attempts": attempts})


def _choices(response, *, latency_s: float, attempts: int) -> list[Answer]:
    choices = getattr(response, "choices", None)
    if not choices:
        raise InvalidResponse("the response has no choices")
    usage = getattr(response, "usage", None)
    details = getattr(usage, "completion_tokens_details", None)
    meta = {
        "prompt_tokens": getattr(usage, "prompt_tokens", None),
        "completion_tokens": getattr(usage, "completion_tokens", None),
        "reasoning_tokens": getattr(details, "reasoning_tokens", None),
        "choices": len(choices),
        "latency_s": round(latency_s, 3),
        "attempts": attempts,
    }
    answers = []
    for choice in choices:
        message = getattr(choice, "message", None)
        if message is None:
            raise InvalidResponse("a choice has no message")
        # vLLM and DeepSeek send `reasoning_content`; newer vLLM and OpenRouter `reasoning`.
        reasoning = getattr(message, "reasoning_content", None) or getattr(message, "reasoning", None)
        content = message.content or ""
        if not isinstance(content, str):
            raise InvalidResponse("a choice's content is not text")
        answers.append(Answer(content=content, finish_reason=getattr(choice, "finish_reason", None),
                              reasoning=reasoning if isinstance(reasoning, str) else None, meta=meta))
    return answers


def _status_failure(err, api_key: str) -> dict:
    """The failure kind of an HTTP error status, with the status and the server's message (the key, if a
    server echoed it, cut out)."""
    status = err.status_code
    if status == 429:
        kind = "rate_limit"
    elif status >= 500:
        kind = "server_error"
    elif status == 408:
        kind = "timeout"
    else:
        kind = "client_error"
    message = str(getattr(err, "message", "") or "").replace(api_key, "<redacted>")
    return {"error": kind, "error_status": status, "error_message": " ".join(message.split())[:_MAX_MESSAGE_CHARS]}


def retry_after(headers, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (delay-seconds or an HTTP date), or None."""
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())
