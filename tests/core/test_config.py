"""The config tree: defaults, YAML loading, overrides, and one-line errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from kerneldata.core.config import ConfigError, load_config


def test_quickstart_config_loads():
    config = load_config("configs/quickstart.yaml")
    assert config.teacher.kind == "builtin" and config.verify.device == "cpu"
    assert str(config.out_dir()) == "shards/runs/quickstart"


def test_overrides_are_typed_and_nested():
    config = load_config("configs/quickstart.yaml", ["specs.num_specs=3", "verify.timeout_s=5.5",
                                                     "specs.dtypes=[float16]", "run.out=/tmp/x"])
    assert config.specs.num_specs == 3 and config.verify.timeout_s == 5.5
    assert config.specs.dtypes == ["float16"] and str(config.out_dir()) == "/tmp/x"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["specs.nmu=3"], "unknown key 'specs.nmu'; allowed keys under 'specs': num_specs, families, family_weights, ops, "
                           "dtypes, max_numel, max_bytes, edge_rate, noncontiguous_rate, max_chain_ops, external, "
                           "check_references"),
        (["colour=red"], "unknown key 'colour'; allowed keys: run, specs, teacher, refine, verify, dedup, decontamination, shards, ray"),
        (["specs.num_specs=many"], "specs.num_specs: input should be a valid integer"),
        (["verify.device=tpu"], "verify.device: input should be 'auto', 'cpu' or 'cuda' (got 'tpu')"),
        (["teacher.kind=gpt"], "teacher.kind: value error, unknown teacher kind 'gpt'; known kinds: builtin, openai, "
                               "vllm, inductor (got 'gpt')"),
        (["teacher.kind=[builtin, gpt]"], "teacher.kind: value error, unknown teacher kind 'gpt'"),
        (["teacher.kind=[]"], "teacher.kind: value error, must name a teacher kind or a list of them"),
        (["teacher.kind=[builtin, builtin]"], "teacher.kind: value error, teacher kind 'builtin' is listed twice"),
        (["teacher.kind=[builtin, openai]"], "teacher: kind 'openai' needs teacher.openai.model, the model to ask"),
        (["teacher.kind=openai"], "teacher: kind 'openai' needs teacher.openai.model, the model to ask (not set)"),
        (["teacher.kind=vllm", "teacher.vllm.tensor_parallel_size=0"], "teacher.vllm.tensor_parallel_size: input "
                                                                       "should be greater than or equal to 1"),
        (["teacher.openai.max_concurrency=0"], "teacher.openai.max_concurrency: input should be greater than"),
        (["teacher.openai.api_key=sk-abc"], "unknown key 'teacher.openai.api_key'; allowed keys under "
                                            "'teacher.openai': temperature, top_p, max_tokens, seed, base_url, model, "
                                            "api_key_env,"),
        (["specs.num_specs=0"], "specs.num_specs: input should be greater than or equal to 1"),
        (["specs.num_specs.deeper=1"], "specs.num_specs"),
        (["nonsense"], "override 'nonsense' is not of the form key.sub=value"),
    ],
)
def test_bad_values_name_the_key(overrides, message):
    with pytest.raises(ConfigError) as err:
        load_config("configs/quickstart.yaml", overrides)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="config file not found: .*nope.yaml"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("run: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_config(bad)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("42\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(scalar)


def test_unknown_key_in_file_names_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("verify:\n  timeout: 3\n")
    with pytest.raises(ConfigError, match=r"c.yaml: unknown key 'verify.timeout'; allowed keys under 'verify'"):
        load_config(path)


def test_resolved_config_round_trips(tmp_path):
    config = load_config("configs/quickstart.yaml", ["run.seed=7"])
    path = tmp_path / "run_config.yaml"
    path.write_text(config.to_yaml())
    assert load_config(path) == config


def test_a_key_pasted_as_api_key_env_is_refused_and_never_echoed():
    key = "sk-proj-Zq81xVb0-secret"
    with pytest.raises(ConfigError) as err:
        load_config("configs/quickstart.yaml", [f"teacher.openai.api_key_env={key}"])
    assert "teacher.openai.api_key_env: " in str(err.value) and "name of an environment variable" in str(err.value)
    assert key not in str(err.value) and "sk-proj" not in str(err.value)


def test_model_teachers_load_and_say_how_many_gpus_they_need():
    openai = load_config("configs/quickstart.yaml", ["teacher.kind=openai", "teacher.openai.model=m"]).teacher
    assert openai.num_gpus() == 0 and openai.openai.api_key_env == "OPENAI_API_KEY"
    vllm = load_config("configs/quickstart.yaml", ["teacher.kind=vllm", "teacher.vllm.model=/models/m",
                                                   "teacher.vllm.tensor_parallel_size=4"]).teacher
    assert vllm.num_gpus() == 4
    assert load_config("configs/quickstart.yaml").teacher.num_gpus() == 0
    keyless = load_config("configs/quickstart.yaml", ["teacher.kind=openai", "teacher.openai.model=m",
                                                      "teacher.openai.api_key_env=null"]).teacher
    assert keyless.openai.api_key_env is None


@pytest.mark.parametrize(("path", "kind", "gpus"), [("configs/openai.yaml", "openai", 0), ("configs/vllm.yaml", "vllm", 1)])
def test_model_teacher_configs_load(path, kind, gpus):
    config = load_config(path)
    assert (config.teacher.kind, config.teacher.num_gpus()) == (kind, gpus)
    assert getattr(config.teacher, kind).model


def test_gpu_config_lists_two_teachers_that_share_one_gpu_with_the_verifier():
    config = load_config("configs/gpu.yaml")
    assert config.teacher.kinds() == ("builtin", "inductor") and config.verify.device == "cuda"
    # The teacher actor takes a quarter of a GPU for the inductor teacher's compiling; builtin needs none.
    assert config.teacher.num_gpus() == 0.25
    assert config.teacher.rows_per_spec() == config.teacher.samples_per_spec + 1
    assert config.refine.max_turns > 0 and Path(config.out_dir()).name == "gpu"


def test_a_kind_may_be_one_name_or_a_list():
    one = load_config("configs/quickstart.yaml").teacher
    assert one.kind == "builtin" and one.kinds() == ("builtin",) and one.rows_per_spec() == one.samples_per_spec
    listed = load_config("configs/quickstart.yaml", ["teacher.kind=[inductor]"]).teacher
    assert listed.kinds() == ("inductor",) and listed.num_gpus() == 0.25 and listed.rows_per_spec() == 1
    # With a vLLM engine the inductor teacher compiles on the engine's GPUs: no extra share.
    both = load_config("configs/vllm.yaml", ["teacher.kind=[vllm, inductor]"]).teacher
    assert both.num_gpus() == 1


def test_a_listed_kind_round_trips_through_the_saved_config(tmp_path):
    config = load_config("configs/gpu.yaml")
    path = tmp_path / "run_config.yaml"
    path.write_text(config.to_yaml())
    assert load_config(path) == config


def test_refine_section_is_off_unless_a_config_sets_it(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("teacher:\n  samples_per_spec: 2\n")
    assert load_config(path).refine.max_turns == 0
    quickstart = load_config("configs/quickstart.yaml")
    assert quickstart.refine.max_turns == 2 and quickstart.refine.keep_k == 4
    with pytest.raises(ConfigError, match=r"refine.keep_k: input should be greater than or equal to 1"):
        load_config(path, ["refine.keep_k=0"])
    with pytest.raises(ConfigError, match=r"unknown key 'refine.turns'; allowed keys under 'refine': max_turns"):
        load_config(path, ["refine.turns=3"])
