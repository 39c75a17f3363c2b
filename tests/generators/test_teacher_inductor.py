"""The inductor teacher without a GPU: it is made (the driver's config check) but refuses to work, in one
line; its rows (from captured Inductor
output standing in for a live compile) follow the teacher contract; graph inputs are traced by dynamo the way
the GPU run traces them; the autotuner's choice is read from compiled kernels."""

from __future__ import annotations

import json
import types
from pathlib import Path

import pytest
import torch

from generators.extract import extract_code
from generators.prompts import Prompter
from generators.teachers import inductor, make_teacher
from generators.teachers.inductor import CompiledSpec, GraphInputs, InductorTeacher, chosen_launches
from generators.teachers.inductor_convert import LaunchConfig
from kerneldata.core.config import ConfigError, TeacherConfig, load_config
from kerneldata.core.schema import CANDIDATE_SCHEMA, SPEC_SCHEMA, table_from_rows

FIXTURES = Path(__file__).parent / "inductor_fixtures"
SPECS = {row["spec_id"]: row for row in map(json.loads, (FIXTURES / "specs.jsonl").read_text().splitlines())}
# Captured with torch.compile(dynamic=True): what the teacher compiles first.
DYNAMIC = {row["spec_id"]: row for row in
           map(json.loads, (FIXTURES / "dynamic" / "specs.jsonl").read_text().splitlines())}


def spec_row(spec_id: str) -> dict:
    # The fixtures were captured before specs had a `workloads` column (null: one workload).
    return {name: SPECS[spec_id].get(name) for name in SPEC_SCHEMA.names}


def test_without_a_gpu_the_teacher_is_made_but_refuses_to_work_in_one_line(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # no GPU here, whatever this machine has
    config = load_config("configs/gpu.yaml").teacher  # [builtin, inductor]
    teacher = make_teacher(config, seed=0)  # what the driver does: check the config, touch no device
    assert (teacher.name, teacher.can_refine) == ("builtin+inductor", True)
    spec = spec_row("reduction-dd33128974ee8989")
    # The rows of a call given up are made on the driver too: four builtin samples, then inductor's one.
    given_up = teacher.failed_rows([spec], "teacher_lost", "gone")
    assert [row["teacher"] for row in given_up] == ["builtin"] * 4 + ["inductor"]
    for attempt in (teacher.check_device, lambda: teacher.generate_batch([spec])):
        with pytest.raises(ConfigError) as err:
            attempt()
        assert str(err.value).startswith("the inductor teacher needs a CUDA or ROCm GPU: torch ")
        assert "sees none (torch.cuda.is_available() is False)" in str(err.value) and "\n" not in str(err.value)


def test_a_bad_option_still_fails_when_the_teacher_is_made(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    config = load_config(None, ["teacher.kind=inductor", "teacher.prompt.version=kernel-v9"]).teacher
    with pytest.raises(ValueError, match="unknown prompt version 'kernel-v9'; known versions: kernel-v1"):
        make_teacher(config, seed=0)


@pytest.mark.parametrize("spec_id", ["attention-4f9fe622ca6ab3ec", "matmul-208ce63c26203897",
                                     "fused-7fc9a54c8bc95ffc", "normalization-e9dcb99c9ea99a01"])
def test_graph_inputs_are_traced_by_dynamo_as_on_the_gpu(spec_id):
    reference = types.ModuleType("reference")
    exec(SPECS[spec_id]["reference_code"], reference.__dict__)
    model = reference.Model(*reference.get_init_inputs()).eval()
    inputs = reference.get_inputs()
    recorder = GraphInputs(model, inputs, lambda graph_module, example_inputs: graph_module.forward)
    torch._dynamo.reset()
    with torch.no_grad():
        torch.compile(model, backend=recorder)(*inputs)
    assert recorder.graphs == SPECS[spec_id]["arg_sources"]


class Teacher(InductorTeacher):
    """The teacher with its compile step answered from the fixtures (the GPU part is tested on a GPU)."""

    def __init__(self, config: TeacherConfig, seed: int) -> None:
        self.config, self.seed = config, seed
        self.prompter = Prompter(config.prompt)
        self.torch_version = "2.11.0+cu130"
        self.model = f"torch-inductor-{self.torch_version}"

    def check_device(self) -> None:
        pass  # no compile runs here


@pytest.fixture
def teacher(monkeypatch):
    def compile_spec(reference_code: str, *, seed: int = 0, dynamic: bool | None = None) -> CompiledSpec:
        # The static fixtures were captured static; the dynamic ones answer a dynamic compile.
        captured, directory = (DYNAMIC, FIXTURES / "dynamic") if dynamic else (SPECS, FIXTURES)
        rows = [row for row in captured.values() if row["reference_code"] == reference_code]
        if not rows:
            raise RuntimeError(f"no {'dynamic' if dynamic else 'static'} capture of this spec")
        (row,) = rows
        launches = {k: LaunchConfig.from_dict(v) for k, v in row.get("launches", {}).items()}
        code = (directory / f"{row['spec_id']}.py").read_text()
        return CompiledSpec(codes=[code], sources=row["arg_sources"], launches=launches)

    monkeypatch.setattr(inductor, "compile_spec", compile_spec)
    return Teacher(TeacherConfig(kind="inductor", samples_per_spec=4), seed=3)


def test_one_row_per_spec_that_follows_the_contract(teacher):
    specs = [spec_row("reduction-dd33128974ee8989"), spec_row("matmul-208ce63c26203897")]
    rows = teacher.generate_batch(specs)
    assert [row["spec_id"] for row in rows] == [spec["spec_id"] for spec in specs]  # one each, not four
    assert table_from_rows(rows, CANDIDATE_SCHEMA).num_rows == 2
    for spec, row in zip(specs, rows):
        assert (row["teacher"], row["teacher_model"], row["sample_index"], row["turn"]) == \
            ("inductor", "torch-inductor-2.11.0+cu130", 0, 0)
        assert row["prompt"] == teacher.prompter(spec) and row["prompt_version"] == teacher.prompter.version
        assert extract_code(row["completion"]) == (row["code"], "ok")
        assert "class ModelNew(nn.Module)" in row["code"]
    plain, with_library = (json.loads(row["teacher_meta"]) for row in rows)
    assert plain["extern_calls"] == [] and plain["kernels"] == ["triton_per_fused_abs_sum_0"]
    assert plain["launch_source"] == {"triton_per_fused_abs_sum_0": "size_hints"}
    assert plain["launch"]["triton_per_fused_abs_sum_0"]["num_warps"] >= 1
    # Vendor-library calls stay in the code and are marked on the record and in the answer's prose.
    assert with_library["extern_calls"] == ["addmm"] and "torch.addmm(" in rows[1]["code"]
    assert "vendor-library calls Inductor makes instead of Triton kernels: addmm" in rows[1]["completion"]
    # Deterministic: the same spec and seed give the same row.
    # Deterministic but for the compile time it records.
    def timeless(row: dict) -> dict:
        return {**row, "teacher_meta": {k: v for k, v in json.loads(row["teacher_meta"]).items() if k != "compile_s"}}

    assert [timeless(r) for r in teacher.generate_batch(specs[:1])] == [timeless(r) for r in rows[:1]]


def test_specs_without_a_candidate_get_one_row_that_says_why(teacher, monkeypatch):
    spec = spec_row("reduction-dd33128974ee8989")

    def failing(reference_code, *, seed=0, dynamic=None):
        raise RuntimeError("LoweringException: no lowering for aten.frobnicate\nwith a second line")

    def split(reference_code, *, seed=0, dynamic=None):
        return CompiledSpec(codes=["a", "b"], sources=[[], []], launches={})

    def unconvertible(reference_code, *, seed=0, dynamic=None):
        code = (FIXTURES / "reduction-dd33128974ee8989.py").read_text()
        return CompiledSpec(codes=[code.replace("stream=stream0)", "grid=grid(31), stream=stream0)")],
                            sources=SPECS["reduction-dd33128974ee8989"]["arg_sources"], launches={})

    for compile_spec, declined in [
        (failing, "torch.compile failed on the reference"),
        (split, "torch.compile split the reference into 2 graphs (graph breaks); one graph is converted"),
        (unconvertible, "the generated code cannot be converted: kernel triton_per_fused_abs_sum_0 is run with grid="),
    ]:
        monkeypatch.setattr(inductor, "compile_spec", compile_spec)
        (row,) = teacher.generate_batch([spec])
        meta = json.loads(row["teacher_meta"])
        assert row["code"] is None and meta["declined"].startswith(declined)
        assert extract_code(row["completion"])[0] is None
        if compile_spec is failing:
            assert meta["compile_error"] == "RuntimeError: LoweringException: no lowering for aten.frobnicate"


def test_the_autotuners_choice_is_read_from_the_compiled_kernels():
    config = types.SimpleNamespace(kwargs={"XBLOCK": 256, "R0_BLOCK": 64}, num_warps=8, num_stages=2)
    module = types.SimpleNamespace(
        triton_red_fused_sum_0=types.SimpleNamespace(launchers=[types.SimpleNamespace(config=config)]),
        triton_poi_fused_relu_1=types.SimpleNamespace(launchers=[], configs=[config]),
        triton_poi_fused_tanh_2=types.SimpleNamespace(launchers=[1, 2], configs=[config, config]),  # not yet tuned
        call=print)
    assert chosen_launches(module) == {
        "triton_red_fused_sum_0": LaunchConfig({"XBLOCK": 256, "R0_BLOCK": 64}, num_warps=8, num_stages=2),
        "triton_poi_fused_relu_1": LaunchConfig({"XBLOCK": 256, "R0_BLOCK": 64}, num_warps=8, num_stages=2),
    }


def test_the_teacher_compiles_dynamic_first_and_says_so(teacher, monkeypatch):
    asked = []
    fixture_compile = inductor.compile_spec

    def recording(reference_code, *, seed=0, dynamic=None):
        asked.append(dynamic)
        return fixture_compile(reference_code, seed=seed, dynamic=dynamic)

    monkeypatch.setattr(inductor, "compile_spec", recording)
    spec = {name: DYNAMIC["workload-d2d82fe39d0538e9"].get(name) for name in SPEC_SCHEMA.names}
    (row,) = teacher.generate_batch([spec])
    meta = json.loads(row["teacher_meta"])
    assert asked == [True] and meta["shapes"] == "dynamic" and "dynamic_declined" not in meta
    assert "s4 = arg3_1.shape[0]" in row["code"] and "for the sizes it reads from its inputs" in row["code"]


def test_a_static_candidate_where_the_dynamic_compile_fails_or_does_not_convert(teacher, monkeypatch):
    spec = spec_row("reduction-dd33128974ee8989")
    # No dynamic capture of this spec: the dynamic compile fails, the static one gives the candidate.
    (row,) = teacher.generate_batch([spec])
    meta = json.loads(row["teacher_meta"])
    assert (meta["shapes"], meta["dynamic_declined"]) == ("static", "torch.compile failed on the reference")
    assert row["code"] is not None and "for the shapes it was shown" in row["code"]
    static = (FIXTURES / "reduction-dd33128974ee8989.py").read_text()

    def unconvertible_when_dynamic(reference_code, *, seed=0, dynamic=None):
        code = static.replace("stream=stream0)", "grid=grid(31), stream=stream0)") if dynamic else static
        return CompiledSpec(codes=[code], sources=SPECS["reduction-dd33128974ee8989"]["arg_sources"], launches={})

    monkeypatch.setattr(inductor, "compile_spec", unconvertible_when_dynamic)
    (row,) = teacher.generate_batch([spec])
    meta = json.loads(row["teacher_meta"])
    assert meta["shapes"] == "static" and row["code"] is not None
    assert meta["dynamic_declined"].startswith(
        "the generated code cannot be converted: kernel triton_per_fused_abs_sum_0 is run with grid=")

    def never(reference_code, *, seed=0, dynamic=None):
        raise RuntimeError("LoweringException" if dynamic else "InductorError")

    monkeypatch.setattr(inductor, "compile_spec", never)
    (row,) = teacher.generate_batch([spec])
    meta = json.loads(row["teacher_meta"])
    assert row["code"] is None and "shapes" not in meta
    assert (meta["declined"], meta["dynamic_declined"], meta["compile_error"]) == (
        "torch.compile failed on the reference", "torch.compile failed on the reference", "RuntimeError: InductorError")
    assert meta["dynamic_compile_error"] == "RuntimeError: LoweringException"


def test_a_dynamic_graphs_size_inputs_are_recorded_as_sizes():
    reference = types.ModuleType("reference")
    exec(DYNAMIC["workload-d2d82fe39d0538e9"]["reference_code"].replace("(4, 512, 1024)", "(2, 8, 64)")
         .replace("(1024,)", "(64,)"), reference.__dict__)
    model = reference.Model(*reference.get_init_inputs()).eval()
    inputs = reference.get_inputs()
    recorder = GraphInputs(model, inputs, lambda graph_module, example_inputs: graph_module.forward)
    torch._dynamo.reset()
    with torch.no_grad():
        torch.compile(model, backend=recorder, dynamic=True)(*inputs)
    (sources,) = recorder.graphs
    assert sources[-3:] == ["input:0", "input:1", "input:2"] and set(sources[:-3]) == {"size"}
