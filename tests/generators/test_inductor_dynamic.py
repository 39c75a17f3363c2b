"""The inductor converter on dynamic-shape output code (torch.compile(dynamic=True), captured on an H100 by
`bench/capture_inductor.py --dynamic`, torch 2.11): sizes are read from the inputs, sizes Inductor derives
stay expressions, grids are computed at run time; what it cannot bind or does not know is declined with a
reason. Converted candidates are accepted by the real CPU verifier on the shown workload and on a second one
of another shape, where the static candidate for the same spec is rejected `shape_specialised`.

The captures are real-workload chains at real scale in bfloat16, which the Triton interpreter cannot check.
The verifier tests run each spec's own reference at small sizes of the same structure (every size the code
reads as a symbol varies, every size Inductor left a constant is kept) in float32: the reference's DTYPE and
the candidate's buffer dtype are switched together, and the kernels, which load and compute in float32
whatever they are given, stay as they were. libdevice calls, which the interpreter cannot make, are swapped
for Triton's own functions, as in test_inductor_convert."""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path

import pytest

from filters.verifier.options import VerifyOptions
from filters.verifier.runtime import Runtime
from filters.verifier.verify import verify
from generators.teachers.inductor_convert import (
    LaunchConfig,
    Unconvertible,
    _rename,
    convert,
)
from kerneldata.core.outcomes import Reason, Status

FIXTURES = Path(__file__).parent / "inductor_fixtures" / "dynamic"
SPECS = {row["spec_id"]: row for row in map(json.loads, (FIXTURES / "specs.jsonl").read_text().splitlines())}
CPU = VerifyOptions(device="cpu", timeout_s=120, num_seeds=1)

# What each captured fixture gives: None converts, else the start of the reason it is declined for.
OUTCOMES = {
    "workload-d2d82fe39d0538e9": None,  # add + RMSNorm, one looped reduction
    "workload-3799d901d8473943": None,  # gelu (tanh)
    "workload-1a510b1b1ca35d8b": None,  # silu * mul on strided halves: a stride read as a size symbol
    "workload-86c91ef9f25c9485": None,  # rotary neg/cat/mul/add, 4-d permuted strides, ps0 = derived sizes
    "workload-707b3878430d4921": None,  # add + layer_norm, a persistent reduction over a constant 768
    "workload-4dba61f0f2160734": None,  # bool masks, a 0-d input
    "workload-3a2f67f17771c388": None,  # masked_fill + topk (a vendor call), an input broadcast (stride 0)
    "workload-603e5ce47563763c": None,  # sigmoid + topk: a symbolic reinterpretation, an unused size input
    "workload-6a87576686175766": None,  # transpose/clone: floor divisions and max() in strides
    "workload-2f5d6bd99a0ee9d5": "kernel triton_spl_fused_cat_cumsum_ne_slice_sub_0 is a split_scan kernel",
}


def converted(spec_id: str, source: str | None = None, arg_sources: list[str] | None = None):
    row = SPECS[spec_id]
    launches = {name: LaunchConfig.from_dict(values) for name, values in row["launches"].items()}
    source = source if source is not None else (FIXTURES / f"{spec_id}.py").read_text()
    return convert(source, row["reference_code"], arg_sources or row["arg_sources"][0], launch_configs=launches)


def test_the_fixtures_are_the_captured_outcomes():
    assert sorted(OUTCOMES) == sorted(SPECS)
    for spec_id, row in SPECS.items():
        assert (row["torch"], row["error"], row["modules"]) == ("2.11.0+cu130", None, 1), spec_id


@pytest.mark.parametrize("spec_id", sorted(OUTCOMES))
def test_each_fixture_converts_or_is_declined_with_its_reason(spec_id):
    expected = OUTCOMES[spec_id]
    if expected is not None:
        with pytest.raises(Unconvertible) as err:
            converted(spec_id)
        assert str(err.value).startswith(expected) and "\n" not in str(err.value)
        return
    code = converted(spec_id).code
    # Shape-general: every size comes from the inputs; no size symbol is left unbound, nothing of Inductor's.
    assert "= args" not in code and "empty_strided_cuda" not in code and "reinterpret_tensor" not in code
    forward = code[code.index("    def forward("):]
    for line in forward.splitlines():
        bound = re.fullmatch(r"\s+(s\d+) = (.*)", line)
        if bound:
            assert re.fullmatch(r"arg\d+_1\.(shape\[\d+\]|stride\(\d+\))", bound.group(2)), line


@pytest.mark.skipif(not os.environ.get("KERNELDATA_DYNAMIC_CAPTURE"), reason="set KERNELDATA_DYNAMIC_CAPTURE to "
                    "a bench/capture_inductor.py --dynamic directory to convert all of it")
def test_a_whole_capture_converts_or_declines_with_a_reason():
    directory = Path(os.environ["KERNELDATA_DYNAMIC_CAPTURE"])
    rows = [json.loads(line) for line in (directory / "specs.jsonl").read_text().splitlines()]
    converted_ids, declined = [], {}
    for row in (row for row in rows if not row["error"]):
        launches = {name: LaunchConfig.from_dict(values) for name, values in row["launches"].items()}
        try:
            convert((directory / f"{row['spec_id']}.py").read_text(), row["reference_code"], row["arg_sources"][0],
                    launch_configs=launches)
            converted_ids.append(row["spec_id"])
        except Unconvertible as err:
            declined[row["spec_id"]] = str(err)
    print(f"{len(converted_ids)} of {len(converted_ids) + len(declined)} converted; declined: {declined}")
    assert all(reason and "\n" not in reason for reason in declined.values())


def test_sizes_are_read_from_the_inputs_and_grids_computed_at_run_time():
    code = converted("workload-d2d82fe39d0538e9").code
    assert "arg3_1, arg4_1, arg5_1 = x0, x1, x2\n" in code  # the three size inputs are not forward's
    assert "s4 = arg3_1.shape[0]\n        s40 = arg3_1.shape[1]\n        s58 = arg3_1.shape[2]\n" in code
    assert "assert_size_stride(arg3_1, (s4, s40, s58), (s40 * s58, s58, 1))" in code
    assert "torch.empty_strided((s4, s40, s58), (s40 * s58, s58, 1), dtype=torch.bfloat16, device=device)" in code
    assert "triton_red_fused__to_copy_add_mean_mul_pow_rsqrt_0_xnumel = s4 * s40\n" in code
    assert ("triton_red_fused__to_copy_add_mean_mul_pow_rsqrt_0[(triton.cdiv(triton_red_fused__to_copy_add_mean"
            "_mul_pow_rsqrt_0_xnumel, 2),)](arg3_1, arg4_1, arg5_1, buf1, s58, triton_red_fused__to_copy_add_mean_"
            "mul_pow_rsqrt_0_xnumel, s58, XBLOCK=2, R0_BLOCK=512") in code
    # A size seen only as a stride (the row pitch of strided halves) is read as one.
    silu = converted("workload-1a510b1b1ca35d8b").code
    assert "s33 = arg3_1.stride(0)" in silu
    # Derived sizes stay expressions, floor divisions and max() included.
    transpose = converted("workload-6a87576686175766").code
    assert "ps1 = 96000 * (s58 // 64)" in transpose
    assert "1500 * max(1, s58 // 64) * max(1, s58 // (s58 // 64))" in transpose


def test_a_symbolic_reinterpretation_is_a_view_and_an_unused_size_is_not_read():
    code = converted("workload-603e5ce47563763c").code
    assert "torch.ops.aten.topk.default(buf0.view(s4, 8, 32), 2)" in code
    assert "s40" not in code  # a size input the code never reads (arg1_1): not bound at all


def test_sizes_it_cannot_bind_or_does_not_know_are_declined():
    spec_id = "workload-d2d82fe39d0538e9"
    source = (FIXTURES / f"{spec_id}.py").read_text()
    # s4 no longer a bare size of any input, but still used: nothing to read it from.
    unbound = re.sub(r"assert_size_stride[(](arg[34]_1), [(]s4, ", r"assert_size_stride(\1, (2*s4, ", source)
    with pytest.raises(Unconvertible, match="the size s4 [(]graph input arg0_1[)] is no bare size or stride"):
        converted(spec_id, unbound)
    unknown = source.replace("_xnumel = s4*s40", "_xnumel = s4 << s40")
    with pytest.raises(Unconvertible, match="a size has a form the conversion does not know [(]s4 << s40[)]"):
        converted(spec_id, unknown)
    stranger = source.replace("_xnumel = s4*s40", "_xnumel = s4*s99")
    with pytest.raises(Unconvertible, match="a size uses s99, which forward does not bind to a size"):
        converted(spec_id, stranger)
    called = source.replace("_xnumel = s4*s40", "_xnumel = sympy_floor(s4)")
    with pytest.raises(Unconvertible, match="calls sympy_floor, which the conversion does not know"):
        converted(spec_id, called)
    # A persistent reduction holds its whole reduction in one block sized for what it was shown.
    layer_norm = (FIXTURES / "workload-707b3878430d4921.py").read_text().replace(
        "_xnumel, 768, stream=stream0)", "_xnumel, s40, stream=stream0)")
    with pytest.raises(Unconvertible, match="reduces a symbolic r0_numel [(]s40[)] in one block its body fixes"):
        converted("workload-707b3878430d4921", layer_norm)
    # A graph input named like a size but recorded as neither a size nor a known tensor is not taken for one.
    sources = SPECS[spec_id]["arg_sources"][0]
    with pytest.raises(Unconvertible, match="unknown input source 'unknown:[(]3,[)]'"):
        converted(spec_id, arg_sources=["unknown:(3,)"] + sources[1:])


# Each verified fixture's reference at small sizes: (shown get_inputs, another workload's get_inputs). Not the
# rotary one (86c91ef9f25c9485): its inputs are halves of a wider buffer (not dense), which the verifier's
# input transforms hand over dense, and its strides are sizes multiplied (2*s24*s40), which the candidate
# checks, so it fails there as a static one would (the silu halves pass: their row pitch is a size of its own).
SMALL = {
    "workload-d2d82fe39d0538e9": (  # prefill-like shown, decode (a middle size of 1) and another width unseen
        "x0 = torch.randn((2, 8, 64), dtype=DTYPE)\nx1 = torch.randn((2, 8, 64), dtype=DTYPE)\n"
        "x2 = torch.randn((64,), dtype=DTYPE)\nreturn [x0, x1, x2]",
        "x0 = torch.randn((16, 1, 96), dtype=DTYPE)\nx1 = torch.randn((16, 1, 96), dtype=DTYPE)\n"
        "x2 = torch.randn((96,), dtype=DTYPE)\nreturn [x0, x1, x2]"),
    "workload-3799d901d8473943": (
        "x0 = torch.randn((2, 8, 48), dtype=DTYPE)\nx1 = torch.randn((2, 8, 48), dtype=DTYPE)\nreturn [x0, x1]",
        "x0 = torch.randn((5, 1, 40), dtype=DTYPE)\nx1 = torch.randn((5, 1, 40), dtype=DTYPE)\nreturn [x0, x1]"),
    "workload-1a510b1b1ca35d8b": (  # each input the left half of rows twice as wide
        "x0 = (torch.randn(3024, dtype=DTYPE)).as_strided((32, 48), (96, 1))\n"
        "x1 = (torch.randn(3024, dtype=DTYPE)).as_strided((32, 48), (96, 1))\nreturn [x0, x1]",
        "x0 = (torch.randn(1200, dtype=DTYPE)).as_strided((8, 80), (160, 1))\n"
        "x1 = (torch.randn(1200, dtype=DTYPE)).as_strided((8, 80), (160, 1))\nreturn [x0, x1]"),
    "workload-707b3878430d4921": (  # the normalised width 768 is a constant of the code: kept
        "x0 = torch.randn((2, 5, 768), dtype=DTYPE)\nx1 = torch.randn((2, 5, 768), dtype=DTYPE)\n"
        "x2 = torch.randn((768,), dtype=DTYPE)\nx3 = torch.randn((768,), dtype=DTYPE)\nreturn [x0, x1, x2, x3]",
        "x0 = torch.randn((3, 1, 768), dtype=DTYPE)\nx1 = torch.randn((3, 1, 768), dtype=DTYPE)\n"
        "x2 = torch.randn((768,), dtype=DTYPE)\nx3 = torch.randn((768,), dtype=DTYPE)\nreturn [x0, x1, x2, x3]"),
    "workload-4dba61f0f2160734": (
        "x0 = torch.randint(0, 2, (2, 1, 1, 16), dtype=torch.int64)\n"
        "x1 = torch.randint(0, 2, (2, 1, 16, 1), dtype=torch.int64)\nx2 = torch.rand(()) < 0.8\nreturn [x0, x1, x2]",
        "x0 = torch.randint(0, 2, (3, 1, 1, 8), dtype=torch.int64)\n"
        "x1 = torch.randint(0, 2, (3, 1, 8, 1), dtype=torch.int64)\nx2 = torch.rand(()) < 0.8\nreturn [x0, x1, x2]"),
}


def at_sizes(reference_code: str, get_inputs_body: str) -> str:
    """The reference with another get_inputs, in float32."""
    head, rest = reference_code.split("def get_inputs():", 1)
    tail = rest[rest.index("def get_init_inputs"):]
    body = textwrap.indent(textwrap.dedent(get_inputs_body).strip(), "    ")
    return (head + "def get_inputs():\n" + body + "\n\n\n" + tail).replace("DTYPE = torch.bfloat16",
                                                                           "DTYPE = torch.float32")


def for_the_interpreter(code: str) -> str:
    """float32 buffers where the capture made bfloat16 ones, libdevice swapped for Triton's own functions."""
    code = re.sub(r"libdevice\.(exp|rsqrt)\(", r"tl.\1(", code)
    code = re.sub(r"libdevice\.tanh\((\w+)\)", r"(2 * tl.sigmoid(2 * \1) - 1)", code)
    assert "libdevice." not in code.split("import libdevice", 1)[-1]
    return code.replace("torch.bfloat16", "torch.float32")


def judged(spec_id: str, code: str, runtime) -> object:
    row = SPECS[spec_id]
    shown, other = SMALL[spec_id]
    return verify(at_sizes(row["reference_code"], shown), for_the_interpreter(code), dtype="float32",
                  atol=row["atol"], rtol=row["rtol"], options=CPU, runtime=runtime,
                  input_domains=row["input_domains"],
                  workloads=[{"label": "unseen", "shapes": [],
                              "reference_code": at_sizes(row["reference_code"], other)}])


@pytest.fixture(scope="module")
def runtime():
    with Runtime("cpu") as shared:
        yield shared


@pytest.mark.parametrize("spec_id", sorted(SMALL))
def test_dynamic_candidates_are_accepted_on_the_shown_and_an_unseen_workload(spec_id, runtime):
    verdict = judged(spec_id, converted(spec_id).code, runtime)
    assert verdict.status is Status.ACCEPTED, verdict.reason
    assert "on 1 workload it was not shown (unseen)" in verdict.reason


def specialised(source: str, sizes: dict[str, int]) -> str:
    """The output code as a static compile writes it for these sizes: the size inputs gone, every size
    symbol a number (Inductor's static code for a spec is this with its own kernels; the layout checks,
    allocations, numels and grids are what differ, and what this test is about)."""
    call = source[source.index("    def call(self, args):"):]
    fixed = _rename(call, names={name: str(value) for name, value in sizes.items()})
    fixed = re.sub(r"\n +\d+ = arg\d+_1", "", fixed)
    fixed = fixed.replace("arg0_1, arg1_1, arg2_1, arg3_1, arg4_1, arg5_1 = args", "arg3_1, arg4_1, arg5_1 = args")
    return source[:source.index("    def call(self, args):")] + fixed


def test_the_static_candidate_is_rejected_shape_specialised_where_the_dynamic_one_is_accepted(runtime):
    spec_id = "workload-d2d82fe39d0538e9"
    source = (FIXTURES / f"{spec_id}.py").read_text()
    static_source = specialised(source, {"s4": 2, "s40": 8, "s58": 64})  # the shown (2, 8, 64)
    static = converted(spec_id, static_source, arg_sources=["input:0", "input:1", "input:2"]).code
    assert "assert_size_stride(arg3_1, (2, 8, 64), (8 * 64, 64, 1))" in static
    verdict = judged(spec_id, static, runtime)
    assert (verdict.status, verdict.reason_code) == (Status.REJECTED, Reason.SHAPE_SPECIALISED), verdict.reason
    assert "unseen" in verdict.reason and "expected size (2, 8, 64)" in verdict.reason
    assert judged(spec_id, converted(spec_id).code, runtime).status is Status.ACCEPTED


def read_from_tensors(source: str) -> str:
    """The gelu capture as Inductor writes it when the graph takes no size inputs: each size symbol read
    from a tensor input where call() begins (`s4 = arg3_1.size(0)`; found in yield run B's captures, where
    the converter declined it and the teacher fell back to static code)."""
    source = source.replace("arg0_1, arg1_1, arg2_1, arg3_1, arg4_1 = args", "arg3_1, arg4_1 = args")
    for symbol, dim in (("s4", 0), ("s40", 1), ("s58", 2)):
        source = re.sub(rf"\n( +){symbol} = arg\d+_1\n", rf"\n\1{symbol} = arg3_1.size({dim})\n", source)
    return source


def test_sizes_read_from_a_tensor_input_in_call_convert_and_are_accepted_on_an_unseen_workload(runtime):
    spec_id = "workload-3799d901d8473943"
    source = read_from_tensors((FIXTURES / f"{spec_id}.py").read_text())
    assert "s40 = arg3_1.size(1)" in source and "= args\n" in source
    candidate = converted(spec_id, source, arg_sources=["input:0", "input:1"])
    assert "s40 = arg3_1.size(1)\n" in candidate.code
    verdict = judged(spec_id, candidate.code, runtime)
    assert verdict.status is Status.ACCEPTED, verdict.reason
    assert "on 1 workload it was not shown (unseen)" in verdict.reason
    # Only a size or stride of a tensor input, by a constant dimension, is such a read.
    for other in ("s40 = arg9_1.size(1)", "s40 = arg3_1.size(s4)", "s40 = arg3_1.numel(1)"):
        with pytest.raises(Unconvertible):
            converted(spec_id, source.replace("s40 = arg3_1.size(1)", other), arg_sources=["input:0", "input:1"])
