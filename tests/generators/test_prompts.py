"""The prompt builder: the v1 prompt unchanged, the v2 sections (hardware, documentation, examples), the
retrieval query and prompt_for, and the few-shot examples themselves, verified like any candidate."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from generators.prompts import (
    EXAMPLE_POOL, PROMPT_VERSION, build_prompt, choose_examples, few_shot_examples, load_template, prompt_for, retrieval_query,
)
from generators.specs import sample_op
from kerneldata.core.config import ConfigError, PromptConfig, load_config
from kerneldata.core.profiles import get_profile

SOFTMAX = sample_op("softmax", seed=1, dtype="float16").to_row()
MATMUL = sample_op("matmul", seed=1).to_row()
HIT = SimpleNamespace(path="rocm/triton/optimizing.md", section="Occupancy", text="Tune ```waves_per_eu``` first.",
                      score=3.2, start_line=10, end_line=20)


def user(messages):
    assert [m["role"] for m in messages] == ["system", "user"]
    return messages[1]["content"]


def test_plain_call_still_works_and_holds_the_contract_and_the_spec():
    # kernel-v3: kernel-v2's wording with examples drawn per spec from a pool (the prompts changed, so the
    # version did).
    assert PROMPT_VERSION == "kernel-v3"
    messages = build_prompt(SOFTMAX)
    assert messages == build_prompt(SOFTMAX)  # deterministic
    assert "class ModelNew(nn.Module)" in messages[0]["content"] and "input_precision=\"ieee\"" in messages[0]["content"]
    text = user(messages)
    assert SOFTMAX["reference_code"].strip("\n") in text and "- dtype: float16" in text
    assert "## Target hardware" not in text and "## Reference documentation" not in text and "## An example" not in text
    assert "\n\n\n" not in text.replace(SOFTMAX["reference_code"], "")  # absent sections leave no gaps


def test_kernel_v1_is_unchanged_and_has_no_place_for_the_new_sections():
    v1 = Path("generators/prompt_templates/kernel-v1.md").read_text()
    assert "$hardware" not in v1 and "Follow the anatomy of the Triton tutorials" in v1
    assert user(build_prompt(SOFTMAX, "kernel-v1")).endswith("computes the same result with Triton kernels.\n")
    with pytest.raises(ValueError, match="prompt version 'kernel-v1' has no place for the hardware section"):
        build_prompt(SOFTMAX, "kernel-v1", hardware="H200")
    with pytest.raises(ValueError, match="unknown prompt version 'kernel-v9'; known versions: kernel-v1, kernel-v2, kernel-v3"):
        load_template("kernel-v9")


def test_hardware_section_by_name_or_profile():
    by_name = user(build_prompt(SOFTMAX, hardware="mi300x"))
    assert by_name == user(build_prompt(SOFTMAX, hardware=get_profile("MI300X")))
    assert "## Target hardware" in by_name and get_profile("MI300X").prompt_block() in by_name
    with pytest.raises(ValueError, match="unknown hardware profile 'B200'"):
        build_prompt(SOFTMAX, hardware="B200")


def test_docs_section_quotes_each_hit_under_its_path_and_section():
    as_dict = {"path": "triton/tutorials/02-fused-softmax.py", "section": "", "text": "x = x - tl.max(x)"}
    text = user(build_prompt(SOFTMAX, docs=[HIT, as_dict]))
    assert '### rocm/triton/optimizing.md, section "Occupancy"' in text
    assert "### triton/tutorials/02-fused-softmax.py\n" in text
    # a text holding a triple-backtick run is fenced with four, so it cannot close its own fence
    assert "````\nTune ```waves_per_eu``` first.\n````" in text
    assert text.index("## Reference documentation") < text.index("Define `class ModelNew")


def test_examples_by_count_follow_the_family_and_by_name():
    # A softmax spec is shown a row kernel, never the softmax example itself (the very op to copy).
    assert choose_examples(SOFTMAX, 1) == ["rms_norm"]
    assert choose_examples(SOFTMAX, 2) == ["rms_norm", "row_softmax"]
    assert set(choose_examples(MATMUL, 2)) == {"linear_relu", "bmm_scale"}
    assert len(set(choose_examples(sample_op("relu").to_row(), 6))) == 6
    first = choose_examples(MATMUL, 1)[0]
    text = user(build_prompt(MATMUL, few_shot=1))
    assert "## An example of the expected answer" in text
    assert few_shot_examples()[first].solution.strip("\n") in text
    named = user(build_prompt(MATMUL, few_shot=["silu_mul", "row_softmax"]))
    assert "## Examples of the expected answer" in named and "def silu_mul_kernel" in named
    with pytest.raises(ValueError, match="unknown few-shot example 'flash'; known examples: bmm_scale"):
        build_prompt(MATMUL, few_shot=["flash"])


def test_kernel_v2_keeps_its_one_example_per_family_and_v3_has_v2s_wording():
    """A kernel-v2 prompt is what it was before the pool: the family's example, the same for every spec."""
    for seed in range(6):
        assert choose_examples(sample_op("sum", seed=seed).to_row(), 1, "kernel-v2") == ["row_softmax"]
        assert choose_examples(sample_op("relu", seed=seed).to_row(), 2, "kernel-v2") == ["silu_mul", "row_softmax"]
    assert choose_examples(MATMUL, 3, "kernel-v2") == ["linear_relu", "silu_mul", "row_softmax"]
    v2, v3 = load_template("kernel-v2"), load_template("kernel-v3")
    assert all(v2[role].template == v3[role].template for role in ("system", "user"))
    assert user(build_prompt(SOFTMAX, "kernel-v2", few_shot=1)) != user(build_prompt(SOFTMAX, "kernel-v3", few_shot=1))


def test_examples_vary_from_spec_to_spec_within_a_family():
    """The pool's examples of a group are all shown, to different specs of one family, and each pool entry
    has its files."""
    assert set(few_shot_examples()) == set(EXAMPLE_POOL)
    for op, group in (("relu", {"silu_mul", "residual_scale"}), ("sum", {"row_softmax", "rms_norm"}),
                      ("matmul", {"linear_relu", "bmm_scale"})):
        shown = {choose_examples(sample_op(op, seed=seed).to_row(), 1)[0] for seed in range(12)}
        assert shown == group, op


def test_sections_come_in_order_hardware_docs_examples():
    text = user(build_prompt(SOFTMAX, hardware="H200", docs=[HIT], few_shot=1))
    order = [text.index(h) for h in ("## Target hardware", "## Reference documentation", "## An example",
                                     "Define `class ModelNew")]
    assert order == sorted(order)


def test_retrieval_query_names_what_the_kernel_does_and_the_target():
    assert retrieval_query(SOFTMAX, "MI300X") == "softmax reduction over rows softmax fp16 on MI300X wavefront LDS MFMA"
    query = retrieval_query(MATMUL, get_profile("H100"))
    assert query.startswith("tiled matmul tl.dot matmul fp32") and "H100 warp shared memory" in query
    assert retrieval_query(MATMUL) == "tiled matmul tl.dot matmul fp32"


class FakeIndex:
    def __init__(self):
        self.queries = []

    def search(self, query, k):
        self.queries.append((query, k))
        return [SimpleNamespace(path=f"doc{i}.md", section=f"s{i}", text=f"chunk {i}", score=1.0, start_line=1,
                                end_line=2) for i in range(k)]


def test_prompt_for_searches_the_index_and_builds_the_prompt():
    index = FakeIndex()
    settings = PromptConfig(hardware="MI355X", docs_k=2, few_shot=1)
    messages = prompt_for(SOFTMAX, settings, index)
    assert index.queries == [(retrieval_query(SOFTMAX, "MI355X"), 2)]
    assert messages == build_prompt(SOFTMAX, "kernel-v3", hardware="MI355X", docs=index.search("q", 2), few_shot=1)
    no_docs = FakeIndex()
    assert prompt_for(SOFTMAX, PromptConfig(docs_k=0), no_docs) == build_prompt(SOFTMAX, few_shot=1)
    assert no_docs.queries == []
    assert prompt_for(SOFTMAX, PromptConfig(version="kernel-v1", few_shot=0)) == build_prompt(SOFTMAX, "kernel-v1")


def test_prompt_config_section():
    config = load_config(None, ["teacher.prompt.hardware=MI325X", "teacher.prompt.docs_index=default"])
    assert (config.teacher.prompt.hardware, config.teacher.prompt.docs_index) == ("MI325X", "default")
    assert load_config(None).teacher.prompt == PromptConfig()
    with pytest.raises(ConfigError, match="teacher.prompt.hardware"):
        load_config(None, ["teacher.prompt.hardware=A100"])
    with pytest.raises(ConfigError, match="teacher.prompt.few_shot"):
        load_config(None, ["teacher.prompt.few_shot=9"])


def test_every_example_solution_is_accepted_by_the_verifier():
    """An example teaches by being copied: each one must pass the verifier against its own problem."""
    from filters.verifier.options import VerifyOptions
    from filters.verifier.runtime import Runtime
    from filters.verifier.verify import problem_dtype, verify
    from kerneldata.core.outcomes import Status

    examples = few_shot_examples()
    assert set(examples) == set(EXAMPLE_POOL) and len(examples) == 6
    with Runtime("cpu") as runtime:
        for name, example in examples.items():
            dtype, atol, rtol = problem_dtype(example.problem)
            verdict = verify(example.problem, example.solution, dtype=dtype, atol=atol, rtol=rtol,
                             options=VerifyOptions(device="cpu", num_seeds=2), runtime=runtime)
            assert verdict.status is Status.ACCEPTED, (name, verdict.reason)


def test_prompt_shows_only_the_first_workload():
    from generators.specs import SpecSampler

    spec = next(s for s in SpecSampler(load_config(None).specs, 0).sample(20) if s.workloads)
    row = spec.to_row()
    text = user(build_prompt(row))
    assert spec.source.strip("\n") in text
    (workload,) = spec.workloads
    assert workload.source.strip("\n") not in text and workload.label not in text
    shown = ", ".join(str(d) for d in spec.shapes[0])
    hidden = ", ".join(str(d) for d in workload.shapes[0])
    assert f"({shown}" in text and f"({hidden})" not in text and f"({hidden}," not in text
    # It says that other sizes exist, and nothing more about them; a single-workload spec's prompt is unchanged.
    assert "sizes not shown here" in text
    single = build_prompt({**row, "workloads": []})
    assert "sizes not shown here" not in user(single)
    assert build_prompt({k: v for k, v in row.items() if k != "workloads"}) == single
