"""The openai teacher against a local chat-completions server (`chat_server.py`), through the real `openai`
client: rows and requests, retries and their waits, truncation, garbage, reasoning, n, usage, concurrency,
refinement, the API key's whereabouts, and the verdict a code-less row gets."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import datetime, timezone

import pytest

from filters.stage import code_missing
from generators.prompts import PROMPT_VERSION, Prompter
from generators.specs import OPS, problem_from_op, render as render_problem
from generators.teachers import TEACHERS, TeacherStage, make_teacher
from generators.teachers.base import RefineRequest
from generators.teachers.chat import split_reasoning
from generators.teachers.openai import NO_KEY, OpenAITeacher, retry_after
from kerneldata.core.config import ConfigError, OpenAITeacherConfig, PromptConfig, TeacherConfig
from kerneldata.core.schema import CANDIDATE_SCHEMA, SPEC_SCHEMA, table_from_rows
from tests.generators.chat_server import ChatServer, Reply, completion

# The first prompt every teacher asks with the default `teacher.prompt` section.
first_prompt = Prompter(PromptConfig())

KEY_ENV = "KD_TEST_TEACHER_KEY"
KEY = "sk-kd-test-3f9c2a71d0b84e65"


def spec(op: str, rows: int = 8, cols: int = 33) -> dict:
    return render_problem(problem_from_op(OPS[op], {"rows": rows, "cols": cols}, "float32", {}), "test").to_row()


SPECS = [spec("relu"), spec("gelu"), spec("tanh")]


def kernel(tag: str) -> str:
    """A candidate answer whose code names `tag`, so rows can be told apart (the teacher does not judge it)."""
    return (f"A kernel for {tag}.\n\n```python\nimport torch\nimport triton\n\n\nclass ModelNew(torch.nn.Module):\n"
            f"    tag = {tag!r}\n```\n")


@pytest.fixture
def server():
    with ChatServer() as chat_server:
        yield chat_server


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)


def make(server: ChatServer, samples: int = 1, **settings) -> OpenAITeacher:
    defaults = {"base_url": server.base_url, "model": "test-model", "api_key_env": KEY_ENV, "backoff_base_s": 0.01,
                "timeout_s": 5, "max_retries": 2}
    config = TeacherConfig(kind="openai", samples_per_spec=samples,
                           openai=OpenAITeacherConfig(**{**defaults, **settings}))
    teacher = make_teacher(config, seed=7)
    assert isinstance(teacher, OpenAITeacher)
    return teacher


def meta(row: dict) -> dict:
    return json.loads(row["teacher_meta"])


def by_user_message(body: dict) -> dict:
    """The spec a request is about, found by its user message."""
    user = body["messages"][-1]["content"]
    return next(row for row in SPECS if first_prompt(row)[1]["content"] == user)


# ---------------------------------------------------------------------------------------------- rows and requests


def test_rows_come_in_spec_order_with_n_samples_each(server):
    server.answer = lambda body: completion([kernel(f"{by_user_message(body)['spec_id']}-{i}")
                                             for i in range(body.get("n", 1))],
                                            usage={"prompt_tokens": 321, "completion_tokens": 54, "total_tokens": 375,
                                                   "completion_tokens_details": {"reasoning_tokens": 17}})
    teacher = make(server, samples=3, temperature=0.3, top_p=0.9, max_tokens=777, seed=11,
                   extra_body={"top_k": 20, "chat_template_kwargs": {"enable_thinking": False}})
    rows = teacher.generate_batch(SPECS)
    teacher.close()

    assert table_from_rows(rows, CANDIDATE_SCHEMA).num_rows == 9  # every column, right types
    assert [(r["spec_id"], r["sample_index"]) for r in rows] == [(s["spec_id"], i) for s in SPECS for i in range(3)]
    for row in rows:
        source = next(s for s in SPECS if s["spec_id"] == row["spec_id"])
        assert {name: row[name] for name in SPEC_SCHEMA.names} == source
        assert (row["teacher"], row["teacher_model"], row["prompt_version"]) == ("openai", "test-model", PROMPT_VERSION)
        assert row["prompt"] == first_prompt(source) and (row["turn"], row["parent_id"], row["seed"]) == (0, None, 7)
        assert f"tag = '{row['spec_id']}-{row['sample_index']}'" in row["code"]
        assert row["completion"] == kernel(f"{row['spec_id']}-{row['sample_index']}").strip()
        assert row["reasoning"] is None
        assert meta(row) == {"finish_reason": "stop", "prompt_tokens": 321, "completion_tokens": 54,
                             "reasoning_tokens": 17, "choices": 3, "attempts": 1,
                             "latency_s": meta(row)["latency_s"]}
        assert 0 <= meta(row)["latency_s"] < 5
    assert len({row["candidate_id"] for row in rows}) == 9

    assert len(server.requests) == 3  # one request per spec, n = samples
    for body, source in zip(sorted(server.requests, key=lambda b: SPECS.index(by_user_message(b))), SPECS):
        assert body["messages"] == first_prompt(source)
        assert (body["model"], body["n"], body["temperature"], body["top_p"], body["max_tokens"], body["seed"]) == (
            "test-model", 3, 0.3, 0.9, 777, 11)
        assert body["top_k"] == 20 and body["chat_template_kwargs"] == {"enable_thinking": False}
    assert all(headers["Authorization"] == f"Bearer {KEY}" for headers in server.headers)


def test_a_server_that_ignores_n_is_asked_again_for_the_rest(server):
    server.answer = lambda body: completion(kernel(f"seed-{body['seed']}"))  # one choice, whatever n says
    rows = make(server, samples=3).generate(SPECS[0])
    assert [body.get("n") for body in server.requests] == [3, 2, None]  # n is left out when it is 1
    assert [body["seed"] for body in server.requests] == [7, 8, 9]  # the run seed, then one more per sample
    assert [f"seed-{seed}" in row["code"] for row, seed in zip(rows, (7, 8, 9))] == [True] * 3


def test_use_n_false_sends_one_request_per_sample(server):
    server.answer = lambda body: completion(kernel(f"seed-{body['seed']}"))
    rows = make(server, samples=4, use_n=False).generate(SPECS[1])
    assert len(server.requests) == 4 and all("n" not in body for body in server.requests)
    assert sorted(body["seed"] for body in server.requests) == [7, 8, 9, 10]
    assert [row["sample_index"] for row in rows] == [0, 1, 2, 3]
    assert [f"seed-{seed}" in row["code"] for row, seed in zip(rows, (7, 8, 9, 10))] == [True] * 4


def test_refine_batch_continues_the_conversation(server):
    server.answer = lambda body: completion([kernel("fixed")] * body.get("n", 1))
    teacher = make(server, samples=1)
    parent = teacher.generate(SPECS[0])[0]
    feedback = "Your kernel failed: mismatch at [3, 7]. Fix the mask."
    rows = teacher.refine_batch([RefineRequest(SPECS[0], parent, feedback, num_samples=2)])
    expected = [*first_prompt(SPECS[0]), {"role": "assistant", "content": parent["completion"]},
                {"role": "user", "content": feedback}]
    assert server.requests[-1]["messages"] == expected and server.requests[-1]["n"] == 2
    assert [(r["turn"], r["parent_id"], r["sample_index"]) for r in rows] == [(1, parent["candidate_id"], 0),
                                                                              (1, parent["candidate_id"], 1)]
    assert all(r["prompt"] == expected and "tag = 'fixed'" in r["code"] for r in rows)
    assert rows[0]["candidate_id"] != parent["candidate_id"]
    assert teacher.refine_batch([]) == []


# ---------------------------------------------------------------------------------------------- retries


def test_429_waits_as_long_as_retry_after_says(server):
    server.script(Reply({"error": {"message": "slow down"}}, status=429, headers={"Retry-After": "1"}))
    server.answer = lambda body: completion(kernel("after-429"))
    row, = make(server, backoff_base_s=0.001).generate(SPECS[0])
    waited_s = server.arrivals_s[1] - server.arrivals_s[0]
    assert 0.95 <= waited_s < 3, waited_s  # without Retry-After the backoff would be about a millisecond
    assert "after-429" in row["code"] and meta(row)["attempts"] == 2


def test_retry_after_is_capped_by_backoff_cap(server):
    server.script(Reply({"error": {"message": "come back tomorrow"}}, status=429, headers={"Retry-After": "86400"}))
    server.answer = lambda body: completion(kernel("capped"))
    started = time.monotonic()
    row, = make(server, backoff_cap_s=0.2).generate(SPECS[0])
    assert time.monotonic() - started < 3 and "capped" in row["code"]


def test_500_then_success(server):
    server.script(Reply({"error": {"message": "engine restarting"}}, status=500),
                  Reply({"error": {"message": "bad gateway"}}, status=502))
    server.answer = lambda body: completion(kernel("third-time"))
    row, = make(server, max_retries=2).generate(SPECS[0])
    assert "third-time" in row["code"] and meta(row)["attempts"] == 3 and len(server.requests) == 3


def test_a_slow_answer_times_out_and_is_retried(server):
    server.script(Reply(completion(kernel("too-late")), delay_s=1.5))
    server.answer = lambda body: completion(kernel("in-time"))
    started = time.monotonic()
    row, = make(server, timeout_s=0.3).generate(SPECS[0])
    assert "in-time" in row["code"] and meta(row)["attempts"] == 2
    assert time.monotonic() - started < 1.4  # the client gave up on the slow one, not waited for it


@pytest.mark.parametrize(("reply", "kind", "status"), [
    (Reply({"error": {"message": "overloaded"}}, status=503), "server_error", 503),
    (Reply({"error": {"message": "rate limited"}}, status=429, headers={"Retry-After": "0"}), "rate_limit", 429),
    (Reply(completion(kernel("never")), delay_s=1.0), "timeout", None),
])
def test_a_request_failing_past_its_retries_gives_error_rows(server, reply, kind, status):
    server.answer = lambda body: reply
    teacher = make(server, samples=2, max_retries=2, timeout_s=0.3)
    rows = teacher.generate_batch(SPECS[:2])
    assert len(rows) == 4 and len(server.requests) == 2 * 3  # two specs, three attempts each
    for row in rows:
        assert (row["code"], row["completion"], row["reasoning"]) == (None, "", None)
        assert meta(row)["error"] == kind and meta(row)["attempts"] == 3 and meta(row).get("error_status") == status
        verdict = code_missing(row["teacher_meta"], device="cpu")
        assert (verdict.status.value, verdict.reason_code.value, verdict.check.value) == (
            "unverified", "teacher_error", "extract")
    assert len({row["candidate_id"] for row in rows}) == 4


def test_a_dead_endpoint_is_a_connection_error_not_a_crash():
    gone = ChatServer().start()
    gone.stop()  # nothing listens on its port any more
    row, = make(gone, max_retries=1).generate(SPECS[0])
    assert meta(row)["error"] == "connection" and meta(row)["attempts"] == 2 and row["code"] is None


def test_client_errors_are_not_retried_and_an_echoed_key_is_cut_out(server):
    server.script(Reply({"error": {"message": f"Incorrect API key provided: {KEY}"}}, status=401))
    row, = make(server).generate(SPECS[0])
    assert len(server.requests) == 1
    assert (meta(row)["error"], meta(row)["error_status"], meta(row)["attempts"]) == ("client_error", 401, 1)
    assert KEY not in json.dumps(row) and "<redacted>" in meta(row)["error_message"]


def test_backoff_doubles_with_jitter_up_to_the_cap(server):
    teacher = make(server, backoff_base_s=1.0, backoff_cap_s=5.0)
    for attempt, (low, high) in enumerate([(0.5, 1), (1, 2), (2, 4), (2.5, 5), (2.5, 5)], start=1):
        waits = [teacher._backoff_s(attempt, None) for _ in range(200)]
        assert low <= min(waits) and max(waits) <= high and max(waits) - min(waits) > (high - low) / 3
    assert teacher._backoff_s(1, retry_after_s=0.2) == 0.2 and teacher._backoff_s(1, retry_after_s=100) == 5.0


def test_retry_after_reads_seconds_milliseconds_and_http_dates():
    now = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert retry_after({"retry-after": "3"}) == 3.0
    assert retry_after({"retry-after": "1.5"}) == 1.5
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after({"retry-after": "Sat, 01 Mar 2025 12:00:07 GMT"}, now=now) == 7.0
    assert retry_after({"retry-after": "Sat, 01 Mar 2025 11:00:00 GMT"}, now=now) == 0.0  # in the past
    assert retry_after({"retry-after": "soon"}) is None and retry_after({}) is None


# ---------------------------------------------------------------------------------------------- answers


def test_length_finish_is_truncated_even_when_a_block_parses(server):
    cut = "Here it is:\n\n```python\nimport torch\n\nclass ModelNew(torch.nn.Module):\n    def forward(self, x"
    parses = "Here it is:\n\n```python\nimport torch\n"  # an unclosed block that happens to parse
    server.script(completion([cut, parses], finish_reason="length"))
    rows = make(server, samples=2).generate(SPECS[0])
    for row in rows:
        assert row["code"] is None and meta(row)["finish_reason"] == "length" and meta(row)["extract"] == "truncated"
        verdict = code_missing(row["teacher_meta"], device="cpu")
        assert (verdict.status.value, verdict.reason_code.value) == ("rejected", "truncated")
    assert rows[0]["completion"] == cut


@pytest.mark.parametrize(("reply", "error"), [
    (Reply(b"<html><body>502 Bad Gateway</body></html>"), "invalid_response"),
    (Reply({"id": "x", "object": "chat.completion"}), "invalid_response"),  # no choices
    (Reply({"choices": [{"index": 0, "finish_reason": "stop"}]}), "invalid_response"),  # a choice without message
])
def test_invalid_bodies_give_error_rows_without_retrying(server, reply, error):
    server.script(reply)
    row, = make(server).generate(SPECS[0])
    assert meta(row)["error"] == error and row["code"] is None and len(server.requests) == 1


def test_an_answer_without_code_is_no_code(server):
    server.script(completion("I am not able to write this kernel, sorry."))
    row, = make(server).generate(SPECS[0])
    assert row["code"] is None and meta(row)["extract"] == "no_code" and "error" not in meta(row)
    assert code_missing(row["teacher_meta"], device="cpu").reason_code.value == "no_code"


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_a_reasoning_field_goes_to_the_reasoning_column(server, field):
    server.script(completion([kernel("a"), kernel("b")], reasoning=["I will tile by rows.", None],
                             reasoning_key=field))
    first, second = make(server, samples=2).generate(SPECS[0])
    assert first["reasoning"] == "I will tile by rows." and "tiles" not in first["completion"]
    assert second["reasoning"] is None and "tag = 'a'" in first["code"] and "tag = 'b'" in second["code"]


def test_think_blocks_go_to_the_reasoning_column(server):
    draft = "```python\nclass ModelNew:  # a draft, not the answer\n    pass\n```"
    server.script(completion([f"<think>Plan: one row per program.\n{draft}</think>\n\n{kernel('answer')}",
                              f"Opened by the template, closed here.</think>{kernel('lone')}"]))
    think, lone = make(server, samples=2).generate(SPECS[0])
    assert think["reasoning"] == f"Plan: one row per program.\n{draft}"
    assert think["completion"] == kernel("answer").strip() and "tag = 'answer'" in think["code"]
    assert lone["reasoning"] == "Opened by the template, closed here." and "tag = 'lone'" in lone["code"]


@pytest.mark.parametrize(("content", "field", "answer", "reasoning"), [
    ("just the answer", None, "just the answer", None),
    ("<think>a</think>b<think>c</think>d", None, "bd", "a\n\nc"),
    ("<think>cut off while thinking", None, "", "cut off while thinking"),
    ("<think>  </think>answer", None, "answer", None),
    ("<think>inline</think>answer", "field first", "answer", "field first\n\ninline"),
    (None, "only reasoning", "", "only reasoning"),
])
def test_split_reasoning(content, field, answer, reasoning):
    assert split_reasoning(content, field) == (answer, reasoning)


# ---------------------------------------------------------------------------------------------- concurrency


def test_requests_of_a_batch_overlap_up_to_max_concurrency(server):
    specs = [spec(op, rows=4 + i) for i, op in enumerate(["relu", "gelu", "silu", "tanh", "sigmoid", "relu", "gelu"])]
    server.answer = lambda body: Reply(completion([kernel("x")] * body["n"]), delay_s=0.3)
    rows = make(server, samples=2, max_concurrency=3).generate_batch(specs)
    assert len(rows) == 14 and len(server.requests) == 7
    assert server.max_in_flight == 3  # they overlapped, and never more than three at once
    assert [row["spec_id"] for row in rows] == [s["spec_id"] for s in specs for _ in range(2)]


def test_works_from_a_thread_and_from_inside_a_running_loop(server):
    server.answer = lambda body: completion(kernel("anywhere"))
    teacher = make(server)
    results = []
    thread = threading.Thread(target=lambda: results.append(teacher.generate(SPECS[0])))
    thread.start()
    thread.join(30)

    async def inside_a_loop():
        return teacher.generate(SPECS[1])

    results.append(asyncio.run(inside_a_loop()))
    teacher.close()
    results.append(teacher.generate(SPECS[2]))  # a closed teacher starts again on the next batch
    teacher.close()
    assert [len(r) for r in results] == [1, 1, 1] and all("anywhere" in r[0]["code"] for r in results)


def test_teacher_stage_runs_the_openai_teacher(server):
    server.answer = lambda body: completion([kernel("stage")] * body.get("n", 1))
    config = TeacherConfig(kind="openai", samples_per_spec=2,
                           openai=OpenAITeacherConfig(base_url=server.base_url, model="m", api_key_env=KEY_ENV))
    stage = TeacherStage(config=config, seed=1)
    out = stage(table_from_rows(SPECS[:2], SPEC_SCHEMA))
    assert out.schema == CANDIDATE_SCHEMA and out.num_rows == 4
    assert out.column("teacher").to_pylist() == ["openai"] * 4


# ---------------------------------------------------------------------------------------------- the key


def test_missing_key_variable_is_one_line_at_construction(monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    config = TeacherConfig(kind="openai", openai=OpenAITeacherConfig(model="m", api_key_env=KEY_ENV))
    with pytest.raises(ConfigError) as err:
        make_teacher(config, seed=0)
    assert str(err.value).startswith(f"teacher.openai.api_key_env names {KEY_ENV}, which is not set")
    assert "\n" not in str(err.value)


def test_no_key_variable_sends_a_placeholder(server, monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    server.answer = lambda body: completion(kernel("keyless"))
    row, = make(server, api_key_env=None).generate(SPECS[0])
    assert server.headers[0]["Authorization"] == f"Bearer {NO_KEY}" and "keyless" in row["code"]


def test_the_key_is_in_no_row_and_not_in_the_teacher_repr(server):
    server.answer = lambda body: completion(kernel("k"))
    teacher = make(server, samples=2)
    rows = teacher.generate_batch(SPECS)
    assert KEY not in json.dumps(rows) and KEY not in repr(teacher) and KEY not in repr(teacher.config)
    assert TEACHERS["openai"] is OpenAITeacher
