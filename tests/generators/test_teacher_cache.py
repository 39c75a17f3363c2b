"""The teacher's answer cache: keys that change with what decides an answer and nothing else, whole batches
after a SIGKILL, and the openai teacher against a local server asking nothing twice."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from generators.specs import OPS, problem_from_op, render as render_problem
from generators.teachers import make_teacher
from generators.teachers.base import RefineRequest
from generators.teachers.cache import DATABASE, TeacherCache, request_key
from kerneldata.core.config import ConfigError, OpenAITeacherConfig, TeacherConfig, load_config
from tests.generators.chat_server import ChatServer, Reply, completion

MESSAGES = [{"role": "system", "content": "You write Triton."}, {"role": "user", "content": "relu, 8x33"}]
IDENTITY = {"kind": "openai", "model": "m", "temperature": 0.7, "seed": 0}


def spec(op: str) -> dict:
    return render_problem(problem_from_op(OPS[op], {"rows": 8, "cols": 33}, "float32", {}), "test").to_row()


SPECS = [spec("relu"), spec("gelu")]


def kernel(tag: str) -> str:
    return f"For {tag}.\n\n```python\nimport torch\n\n\nclass ModelNew(torch.nn.Module):\n    tag = {tag!r}\n```\n"


def teacher_for(server: ChatServer, cache_dir, samples: int = 2, **settings):
    openai = {"base_url": server.base_url, "model": "test-model", "api_key_env": None, "backoff_base_s": 0.01,
              "max_retries": 0, **settings}
    config = TeacherConfig(kind="openai", samples_per_spec=samples, openai=OpenAITeacherConfig(**openai),
                           cache=str(cache_dir) if cache_dir is not None else None)
    return make_teacher(config, seed=3)


def numbered_answers(body: dict) -> dict:
    """A distinct kernel per request and choice: a repeated request would show as a new row."""
    user = body["messages"][-1]["content"][-40:]
    return completion([kernel(f"{hash(user) % 1000}-{body['seed']}-{i}") for i in range(body.get("n", 1))])


# ---------------------------------------------------------------------------------------------------- keys


def test_a_key_changes_with_the_messages_the_sample_and_the_teacher_settings():
    key = request_key(IDENTITY, MESSAGES, 0)
    assert key == request_key(dict(reversed(IDENTITY.items())), [dict(m) for m in MESSAGES], 0)  # content, not order
    assert len({key, request_key(IDENTITY, MESSAGES, 1), request_key({**IDENTITY, "temperature": 0.2}, MESSAGES, 0),
                request_key({**IDENTITY, "model": "other"}, MESSAGES, 0),
                request_key(IDENTITY, [MESSAGES[0], {"role": "user", "content": "relu, 8x34"}], 0)}) == 5


def test_the_openai_identity_leaves_out_the_endpoint_and_the_retry_settings():
    base = OpenAITeacherConfig(model="m", api_key_env=None)
    moved = OpenAITeacherConfig(model="m", api_key_env=None, base_url="http://elsewhere:9/v1", max_retries=1,
                                timeout_s=3, max_concurrency=2, backoff_cap_s=1)
    identity = [make_teacher(TeacherConfig(kind="openai", openai=o), seed=3).cache_identity() for o in (base, moved)]
    assert identity[0] == identity[1]
    hotter = make_teacher(TeacherConfig(kind="openai", openai=OpenAITeacherConfig(model="m", api_key_env=None,
                                                                                  temperature=1.0)), seed=3)
    assert hotter.cache_identity() != identity[0]
    assert make_teacher(TeacherConfig(kind="openai", openai=base), seed=4).cache_identity() != identity[0]


def test_the_cache_setting_names_the_run_directory_or_a_path_or_nothing(tmp_path):
    default = load_config(None).teacher
    assert default.cache == "{run_dir}/cache/teacher" and default.cache_dir() is None  # not inside a run
    assert default.for_run(tmp_path).cache_dir() == tmp_path.resolve() / "cache" / "teacher"
    assert load_config(None, ["teacher.cache=null"]).teacher.for_run(tmp_path).cache_dir() is None
    assert load_config(None, [f"teacher.cache={tmp_path}/shared"]).teacher.cache_dir() == tmp_path / "shared"
    with pytest.raises(ConfigError, match=r"teacher.cache: value error, the only placeholder allowed is \{run_dir\}"):
        load_config(None, ["teacher.cache={out}/cache"])


# ---------------------------------------------------------------------------------------------------- store


def test_answers_round_trip_and_a_key_keeps_its_first_answer(tmp_path):
    cache = TeacherCache(tmp_path / "c")
    cache.put_many({"a": {"content": "first"}, "b": {"content": "bee"}})
    cache.put_many({"a": {"content": "second"}})
    assert cache.get_many(["a", "b", "c"]) == {"a": {"content": "first"}, "b": {"content": "bee"}}
    assert len(cache) == 2
    cache.close()
    assert TeacherCache(tmp_path / "c").get_many(["a"]) == {"a": {"content": "first"}}  # on disk


_WRITER = textwrap.dedent("""
    import sys
    from generators.teachers.cache import TeacherCache
    cache = TeacherCache(sys.argv[1])
    batch = 0
    while True:
        cache.put_many({f"{batch}:{i}": {"content": "x" * 2000, "batch": batch} for i in range(50)})
        batch += 1
        print(batch, flush=True)
""")


@pytest.mark.parametrize("after_batches", [1, 7, 40])
def test_a_writer_killed_at_any_moment_leaves_whole_batches(tmp_path, after_batches):
    directory = tmp_path / "cache"
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(directory)], stdout=subprocess.PIPE, text=True,
                              cwd=os.getcwd())
    for _ in range(after_batches):
        assert writer.stdout.readline(), "the writer stopped"
    time.sleep(0.005 * after_batches)  # somewhere inside a later batch, most likely
    writer.send_signal(signal.SIGKILL)
    writer.wait()

    db = sqlite3.connect(directory / DATABASE)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    cache = TeacherCache(directory)
    batches: dict[int, int] = {}
    for key in [f"{b}:{i}" for b in range(after_batches + 400) for i in range(50)]:
        if cache.get_many([key]):
            batches[int(key.split(":")[0])] = batches.get(int(key.split(":")[0]), 0) + 1
    assert set(batches.values()) == {50}, "a batch is stored whole or not at all"
    assert sorted(batches) == list(range(len(batches))) and len(batches) >= after_batches


# ---------------------------------------------------------------------------------------------------- teacher


def test_a_second_teacher_on_the_same_cache_asks_nothing_and_writes_the_same_rows(tmp_path):
    with ChatServer(answer=numbered_answers) as server:
        first = teacher_for(server, tmp_path / "cache")
        rows = first.generate_batch(SPECS)
        asked = len(server.requests)
        tokens = sum(json.loads(r["teacher_meta"])["completion_tokens"] // json.loads(r["teacher_meta"])["choices"]
                     for r in rows)
        assert asked == 2 and first.take_stats() == {"cache_misses": 4, "completion_tokens": tokens}
        first.close()

        again = teacher_for(server, tmp_path / "cache")
        assert again.generate_batch(SPECS) == rows  # byte for byte: latency, usage and all
        assert len(server.requests) == asked
        assert again.take_stats() == {"cache_hits": 4}  # and nothing asked of the model

        # Refinements are cached the same way: by their whole conversation.
        request = RefineRequest(SPECS[0], {**rows[0], "status": "rejected"}, "It failed; fix it.", num_samples=2)
        refined = again.refine_batch([request])
        assert len(server.requests) == asked + 1
        assert teacher_for(server, tmp_path / "cache").refine_batch([request]) == refined
        assert len(server.requests) == asked + 1
        again.close()


def test_more_samples_ask_only_for_the_missing_ones_with_their_own_seed(tmp_path):
    with ChatServer(answer=numbered_answers) as server:
        two = teacher_for(server, tmp_path / "cache", samples=2).generate_batch(SPECS[:1])
        three = teacher_for(server, tmp_path / "cache", samples=3).generate_batch(SPECS[:1])
        assert three[:2] == two
        assert [(body.get("n"), body["seed"]) for body in server.requests] == [(2, 3), (None, 5)]
        assert three[2]["sample_index"] == 2 and "-5-0'" in three[2]["code"]


def test_failed_requests_are_not_cached_and_are_asked_again(tmp_path):
    with ChatServer(answer=numbered_answers) as server:
        server.script(Reply({"error": {"message": "down"}}, status=503))
        teacher = teacher_for(server, tmp_path / "cache", samples=1)
        failed = teacher.generate_batch(SPECS[:1])
        assert failed[0]["code"] is None and json.loads(failed[0]["teacher_meta"])["error"] == "server_error"
        assert teacher.take_stats()["fault:teacher_request_server_error"] == 1
        retried = teacher_for(server, tmp_path / "cache", samples=1).generate_batch(SPECS[:1])
        assert retried[0]["code"] is not None and len(server.requests) == 2


def test_the_endpoint_may_move_and_the_cache_still_answers(tmp_path):
    with ChatServer(answer=numbered_answers) as server:
        rows = teacher_for(server, tmp_path / "cache").generate_batch(SPECS)
    with ChatServer(answer=numbered_answers) as moved:
        assert teacher_for(moved, tmp_path / "cache").generate_batch(SPECS) == rows
        assert moved.requests == []
        # A new temperature is a new request: the server is asked again (the answers themselves may be the
        # same, and teacher_meta's rounded latency may match too, so the requests are what is compared).
        teacher_for(moved, tmp_path / "cache", temperature=0.1).generate_batch(SPECS)
        assert len(moved.requests) == 2
        assert {request["temperature"] for request in moved.requests} == {0.1}


def test_no_cache_dir_means_no_cache(tmp_path):
    with ChatServer(answer=numbered_answers) as server:
        teacher_for(server, None).generate_batch(SPECS)
        teacher_for(server, None).generate_batch(SPECS)
        assert len(server.requests) == 4
