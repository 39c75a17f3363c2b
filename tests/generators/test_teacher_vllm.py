"""The vllm teacher without vLLM: the missing-install error, and everything around the engine, run against a
stand-in `vllm` module whose `LLM.chat` answers with objects shaped like vLLM's `RequestOutput`."""

from __future__ import annotations

import importlib.machinery
import json
import subprocess
import sys
import types
from pathlib import Path
from types import SimpleNamespace

import pytest

from generators.prompts import Prompter
from generators.specs import OPS, problem_from_op, render as render_problem
from generators.teachers import make_teacher
from generators.teachers.base import RefineRequest
from generators.teachers.vllm import MISSING, VLLMTeacher, answers_from_output
from kerneldata.core.config import ConfigError, PromptConfig, TeacherConfig, VLLMTeacherConfig
from kerneldata.core.schema import CANDIDATE_SCHEMA, table_from_rows

# The first prompt every teacher asks with the default `teacher.prompt` section.
first_prompt = Prompter(PromptConfig())

ROOT = Path(__file__).resolve().parents[2]
ANSWER = "Tiled by rows.\n\n```python\nimport torch\n\n\nclass ModelNew(torch.nn.Module):\n    pass\n```\n"


def spec(op: str) -> dict:
    return render_problem(problem_from_op(OPS[op], {"rows": 4, "cols": 17}, "float16", {}), "test").to_row()


def output(texts: list[str], finish: list[str] | None = None, prompt_tokens: int = 50) -> SimpleNamespace:
    """A vLLM RequestOutput look-alike: `outputs` of CompletionOutputs, listed out of order on purpose."""
    samples = [SimpleNamespace(index=i, text=text, token_ids=list(range(10 + i)),
                               finish_reason=(finish or ["stop"] * len(texts))[i]) for i, text in enumerate(texts)]
    return SimpleNamespace(prompt_token_ids=list(range(prompt_tokens)), outputs=samples[::-1])


class FakeEngine:
    """Stands in for vllm.LLM: records how it was built and asked, answers from `script` per conversation."""

    built: list[dict] = []
    asked: list[dict] = []
    script = None

    def __init__(self, **kwargs):
        FakeEngine.built.append(kwargs)

    def chat(self, messages, sampling_params, use_tqdm, chat_template_kwargs):
        FakeEngine.asked.append({"messages": messages, "params": sampling_params,
                                 "chat_template_kwargs": chat_template_kwargs, "use_tqdm": use_tqdm})
        return [FakeEngine.script(conversation, params) for conversation, params in zip(messages, sampling_params)]


@pytest.fixture
def fake_vllm(monkeypatch):
    module = types.ModuleType("vllm")
    module.__spec__ = importlib.machinery.ModuleSpec("vllm", None)
    module.LLM = FakeEngine
    module.SamplingParams = lambda **kwargs: SimpleNamespace(**kwargs)
    monkeypatch.setitem(sys.modules, "vllm", module)
    FakeEngine.built, FakeEngine.asked = [], []
    FakeEngine.script = lambda conversation, params: output([ANSWER] * params.n)
    return module


def config(samples: int = 2, **settings) -> TeacherConfig:
    return TeacherConfig(kind="vllm", samples_per_spec=samples,
                         vllm=VLLMTeacherConfig(**{"model": "/models/coder", **settings}))


def test_without_vllm_construction_is_one_clear_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)  # import vllm fails, whether or not it is installed
    with pytest.raises(ConfigError) as err:
        make_teacher(config(), seed=0)
    assert str(err.value) == "the vllm teacher needs the vllm package: pip install 'kerneldata[vllm]'" == MISSING


@pytest.mark.skipif(__import__("importlib").util.find_spec("vllm") is not None, reason="vllm is installed here")
def test_generate_with_the_vllm_teacher_exits_2_naming_the_extra(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "kerneldata", "generate", "--config", "configs/quickstart.yaml",
                           "--out", str(tmp_path / "run"), "teacher.kind=vllm", "teacher.vllm.model=x"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert MISSING in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_the_engine_is_built_on_the_first_batch_with_the_configured_settings(fake_vllm):
    teacher = make_teacher(config(tensor_parallel_size=2, max_model_len=4096, gpu_memory_utilization=0.8,
                                  dtype="bfloat16", seed=5, engine_kwargs={"enforce_eager": True}), seed=1)
    assert isinstance(teacher, VLLMTeacher) and FakeEngine.built == []  # checking the config loads nothing
    teacher.generate_batch([spec("relu")])
    teacher.generate_batch([spec("gelu")])
    assert FakeEngine.built == [{"model": "/models/coder", "tensor_parallel_size": 2, "max_model_len": 4096,
                                 "dtype": "bfloat16", "gpu_memory_utilization": 0.8, "trust_remote_code": False,
                                 "seed": 5, "enforce_eager": True}]


def test_one_chat_call_per_batch_with_n_samples_each(fake_vllm):
    specs = [spec("relu"), spec("silu"), spec("tanh")]
    teacher = make_teacher(config(samples=3, temperature=0.2, top_p=0.8, max_tokens=2048,
                                  sampling_kwargs={"top_k": 20}, chat_template_kwargs={"enable_thinking": True}),
                           seed=9)
    rows = teacher.generate_batch(specs)
    call, = FakeEngine.asked
    assert call["messages"] == [first_prompt(s) for s in specs] and call["use_tqdm"] is False
    assert call["chat_template_kwargs"] == {"enable_thinking": True}
    assert [vars(p) for p in call["params"]] == [{"n": 3, "temperature": 0.2, "top_p": 0.8, "max_tokens": 2048,
                                                  "seed": 9, "top_k": 20}] * 3
    assert table_from_rows(rows, CANDIDATE_SCHEMA).num_rows == 9
    assert [(r["spec_id"], r["sample_index"]) for r in rows] == [(s["spec_id"], i) for s in specs for i in range(3)]
    assert all((r["teacher"], r["teacher_model"]) == ("vllm", "/models/coder") and "class ModelNew" in r["code"]
               for r in rows)
    meta = json.loads(rows[1]["teacher_meta"])
    assert (meta["prompt_tokens"], meta["completion_tokens"], meta["finish_reason"]) == (50, 11, "stop")


def test_think_blocks_and_truncation_become_rows(fake_vllm):
    cut = "<think>rows of 17 fit one block</think>```python\nclass ModelNew(torch.nn.Module):\n    def forward(self"
    FakeEngine.script = lambda conversation, params: output(
        [f"<think>Use one program per row.</think>\n{ANSWER}", cut], finish=["stop", "length"])
    good, truncated = make_teacher(config(samples=2), seed=0).generate_batch([spec("relu")])
    assert good["reasoning"] == "Use one program per row." and good["completion"] == ANSWER.strip()
    assert good["code"] is not None and "<think>" not in good["completion"]
    assert truncated["code"] is None and truncated["reasoning"] == "rows of 17 fit one block"
    meta = json.loads(truncated["teacher_meta"])
    assert (meta["finish_reason"], meta["extract"]) == ("length", "truncated")


def test_refine_batch_sends_the_continued_conversation(fake_vllm):
    teacher = make_teacher(config(samples=1), seed=0)
    parent, = teacher.generate_batch([spec("relu")])
    rows = teacher.refine_batch([RefineRequest(spec("relu"), parent, "mismatch at row 3; mask the tail", 2)])
    assert FakeEngine.asked[-1]["messages"] == [[*parent["prompt"], {"role": "assistant", "content": parent["completion"]},
                                                 {"role": "user", "content": "mismatch at row 3; mask the tail"}]]
    assert vars(FakeEngine.asked[-1]["params"][0])["n"] == 2
    assert [(r["turn"], r["parent_id"]) for r in rows] == [(1, parent["candidate_id"])] * 2


def test_answers_from_output_keep_sample_order_and_counts():
    answers = answers_from_output(output(["a", "b", "c"], finish=["stop", "length", "stop"], prompt_tokens=7),
                                  batch_s=1.25)
    assert [a.content for a in answers] == ["a", "b", "c"]
    assert [a.finish_reason for a in answers] == ["stop", "length", "stop"]
    assert [a.meta for a in answers] == [{"prompt_tokens": 7, "completion_tokens": 10 + i, "batch_latency_s": 1.25}
                                         for i in range(3)]


@pytest.mark.parametrize(("settings", "field"), [
    ({"tensor_parallel_size": 0}, "tensor_parallel_size"),
    ({"gpu_memory_utilization": 1.5}, "gpu_memory_utilization"),
    ({"dtype": "int8"}, "dtype"),
    ({"max_model_len": 0}, "max_model_len"),
    ({"temperature": -1}, "temperature"),
    ({"engine": {}}, "engine"),
])
def test_bad_vllm_settings_are_refused(settings, field):
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as err:
        VLLMTeacherConfig(model="m", **settings)
    assert err.value.errors()[0]["loc"] == (field,)
