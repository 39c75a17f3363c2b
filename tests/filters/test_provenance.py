"""Output provenance (filters.verifier.provenance): who wrote what during one forward call, and the verdicts it
gives at runtime with the static gate bypassed (the gate catches these forms first; the runtime must too)."""

from __future__ import annotations

import pytest
import torch

from kerneldata.core.outcomes import Reason, Status
from filters.verifier.provenance import ProvenanceRecorder, _copy_pairs
from filters.verifier.options import VerifyOptions
from filters.verifier.runtime import Runtime
from filters.verifier.verify import _run_checks, load_reference
from tests.filters import candidates as c


def _record(body, *tensors, launch=()):
    """Run `body` under a recorder; `launch` names tensors a Triton kernel would receive, after body."""
    recorder = ProvenanceRecorder()
    with torch.no_grad(), recorder:
        out = body(*tensors)
        if launch:
            recorder.kernel_launched([launch(out, *tensors)], {})
    return recorder.record, out


def test_output_written_by_a_kernel_is_proven():
    record, out = _record(lambda x: torch.empty_like(x), torch.randn(4, 4), launch=lambda out, x: out)
    assert record.unproven_output(out) is None
    assert record.torch_compute == [] and record.narrowing == []


def test_views_and_zero_initialised_outputs_are_fine():
    def body(x):
        out = torch.zeros(16, dtype=x.dtype)
        return out.view(4, 4)
    record, out = _record(body, torch.randn(4, 4), launch=lambda out, x: out.reshape(-1))
    assert record.unproven_output(out) is None


def test_dtype_promotion_queries_are_not_compute():
    """torch.promote_types and torch.result_type (on the gate's vocabulary) dispatch to aten but read dtypes only."""
    def body(x):
        dtype = torch.promote_types(x.dtype, torch.float16)
        assert torch.result_type(x, 1.0) == dtype and torch.can_cast(x.dtype, dtype)
        return torch.empty(x.shape, dtype=dtype)
    record, out = _record(body, torch.randn(4, 4), launch=lambda out, x: out)
    assert record.torch_compute == [] and record.unproven_output(out) is None


def test_fill_with_a_number_initialises_and_with_a_tensor_writes():
    """`fill_(-inf)` readies an accumulator; `fill_(t)` with a 0-dim tensor broadcasts data PyTorch holds (a
    kernel's result spread over an output the kernel was merely handed): a write by PyTorch."""
    def constant(x):
        out = torch.empty(x.shape[0])
        return out.fill_(float("-inf"))
    record, out = _record(constant, torch.randn(4, 4), launch=lambda out, x: out)
    assert record.unproven_output(out) is None and record.torch_compute == []

    def broadcast(x):
        mean = torch.zeros(())
        out = torch.empty_like(x)
        return out.fill_(mean)
    record, out = _record(broadcast, torch.randn(4, 4), launch=lambda out, x: out)
    assert "aten.fill_" in record.unproven_output(out)


def test_clone_beside_a_decoy_launch_is_not_proven():
    record, out = _record(lambda x: x.clone(), torch.randn(4, 4),
                          launch=lambda out, x: torch.empty(8))
    assert "aten.clone" in record.unproven_output(out)


def test_kernel_then_torch_write_is_not_proven():
    recorder = ProvenanceRecorder()
    x = torch.randn(4, 4)
    with torch.no_grad(), recorder:
        out = torch.empty_like(x)
        recorder.kernel_launched([out, x], {})
        out.copy_(x.t())  # the work done by torch after a decoy kernel touched the buffer
    assert "aten.copy_" in recorder.record.unproven_output(out)


def test_reused_address_does_not_inherit_a_kernel_write():
    recorder = ProvenanceRecorder()
    x = torch.randn(64, 64)
    with torch.no_grad(), recorder:
        scratch = torch.empty_like(x)
        recorder.kernel_launched([scratch], {})
        address = scratch.untyped_storage().data_ptr()
        del scratch
        out = x.clone()  # the allocator may hand out the freed block again
    assert recorder.record.unproven_output(out) is not None
    if out.untyped_storage().data_ptr() == address:
        assert recorder.record.writers[address] == ["aten.clone"]


def test_compute_and_narrowing_casts_are_reported():
    def body(x):
        y = x * 2
        return y.to(torch.float16)
    record, _ = _record(body, torch.randn(4, 4))
    assert record.torch_compute == ["aten.mul"]
    assert record.narrowing == ["float32->float16"]


@pytest.mark.parametrize("mode", [torch.no_grad, torch.enable_grad, torch.inference_mode])
def test_every_grad_mode_records_the_same_ops(mode):
    """Under inference mode composite ops reach the recorder whole (`aten.to.dtype`, a view by its schema,
    `aten.matmul`): decomposed, they show what they do, as under autograd, so a kernel's fp32 accumulator
    cast to the output's dtype is still the kernel's, and a cast of an input is still PyTorch's copy."""
    recorder = ProvenanceRecorder()
    x = torch.randn(4, 4)
    with mode(), recorder:
        acc = torch.zeros(4, dtype=torch.float32)
        recorder.kernel_launched([acc], {})
        out = acc.to(torch.float16)
        cast = x.to(torch.float64).to(torch.float32)
        product = x.float() @ x.float().t()
    assert recorder.record.unproven_output(out) is None
    assert "aten._to_copy" in recorder.record.unproven_output(cast)
    assert recorder.record.torch_compute == ["aten.mm"] and product.shape == (4, 4)


def test_paused_work_is_not_the_candidates():
    recorder = ProvenanceRecorder()
    with torch.no_grad(), recorder:
        recorder.paused += 1
        torch.randn(3) * 2
        recorder.paused -= 1
    assert recorder.record.torch_compute == []


_PASSES_GATE_ONLY_IN_THIS_TEST = {
    # Each does its work in PyTorch beside a real launch; the static gate would reject them first.
    Reason.TORCH_COMPUTE: c.relu_candidate('''
out = torch.empty_like(x)
relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
return out + 0.0
'''),
    Reason.LOWERED_PRECISION: c.relu_candidate('''
x16 = x.to(torch.float16).to(torch.float32)
out = torch.empty_like(x)
relu_kernel[(triton.cdiv(x.numel(), 256),)](x16, out, x.numel(), BLOCK=256)
return out
'''),
}


@pytest.mark.parametrize("reason", list(_PASSES_GATE_ONLY_IN_THIS_TEST), ids=lambda r: r.value)
def test_runtime_catches_torch_work_past_the_static_gate(reason):
    options = VerifyOptions(device="cpu", timeout_s=60, num_seeds=1)
    with Runtime("cpu", use_zygote=False) as runtime:
        verdict = _run_checks(load_reference(c.RELU_PROBLEM), c.RELU_PROBLEM, _PASSES_GATE_ONLY_IN_THIS_TEST[reason],
                              dtype="float32", atol=1e-4, rtol=1e-4, options=options, runtime=runtime, flops=None)
    assert verdict.status is Status.REJECTED and verdict.reason_code is reason, verdict


def test_launcher_making_a_transposed_input_contiguous_is_accepted():
    from filters.verifier.verify import verify

    candidate = c.relu_candidate('''
xt = x.t().contiguous().t()  # a layout copy of an input, as matmul launchers make
out = torch.empty_like(x)
relu_kernel[(triton.cdiv(x.numel(), 256),)](xt.contiguous(), out, x.numel(), BLOCK=256)
return out
''')
    verdict = verify(c.RELU_PROBLEM, candidate, dtype="float32", atol=1e-4, rtol=1e-4,
                     options=VerifyOptions(device="cpu", timeout_s=60, num_seeds=1))
    assert verdict.status is Status.ACCEPTED, verdict


def _element_addresses(t: torch.Tensor, rows=slice(None)):
    """The addresses of `t`'s elements in `rows`, as a kernel's pointer block holds them."""
    import numpy as np

    index = torch.arange(t.numel()).reshape(t.shape)[rows].reshape(-1).numpy()
    return (t.data_ptr() + index * t.element_size()).astype(np.uint64)


def test_a_copy_a_kernel_stores_to_completely_is_the_kernels_output():
    recorder = ProvenanceRecorder()
    x = torch.randn(4, 8)
    with torch.no_grad(), recorder:
        out = x.clone()
        recorder.kernel_launched([out], {})
    recorder.record.kernel_stored(_element_addresses(out), None, 4)
    assert recorder.record.unproven_output(out) is None


def test_a_copy_a_kernel_stores_to_in_part_is_not():
    import numpy as np

    recorder = ProvenanceRecorder()
    x = torch.randn(4, 8)
    with torch.no_grad(), recorder:
        out = x.clone()
        recorder.kernel_launched([out], {})
    addresses = _element_addresses(out)
    mask = np.ones(len(addresses), dtype=bool)
    mask[-1] = False  # the last element is masked off
    recorder.record.kernel_stored(addresses, mask, 4)
    assert "aten.clone" in recorder.record.unproven_output(out)
    # stores of a narrower type leave each element's upper bytes unwritten
    recorder.record.kernel_stored(_element_addresses(out), None, 2)
    assert recorder.record.unproven_output(out) is not None


def test_stores_before_the_torch_write_do_not_count():
    recorder = ProvenanceRecorder()
    x = torch.randn(4, 8)
    with torch.no_grad(), recorder:
        out = x.clone()
        recorder.kernel_launched([out], {})
        recorder.record.kernel_stored(_element_addresses(out), None, 4)
        out.copy_(x * 0)  # PyTorch writes it after the kernel
        recorder.kernel_launched([out], {})
    assert recorder.record.unproven_output(out) is not None


def test_a_copy_stored_back_unchanged_is_flagged_and_a_changed_one_is_not():
    recorder = ProvenanceRecorder()
    x = torch.randn(4, 8)
    with torch.no_grad(), recorder:
        same, changed = x.clone(), x.clone()
        recorder.kernel_launched([same, changed], {})
    for t in (same, changed):
        recorder.record.kernel_stored(_element_addresses(t), None, 4)
    changed[0, 0] += 1.0  # what a kernel computing something would leave
    assert recorder.record.copy_unchanged(same)
    assert not recorder.record.copy_unchanged(changed)


def _kernel_made(x, dtype=torch.float32):
    """A fresh buffer a Triton kernel would fill (the recorder is told of the launch below)."""
    return torch.empty(x.shape, dtype=dtype)


def test_a_cast_of_what_a_kernel_made_is_the_kernels_output():
    """An fp32 accumulator returned as `acc.to(x.dtype)`, or copied into the output, or cast twice."""
    recorder = ProvenanceRecorder()
    x = torch.randn(4, 8, dtype=torch.float16)
    with torch.no_grad(), recorder:
        acc = _kernel_made(x)
        recorder.kernel_launched([x, acc], {})
        cast = acc.to(x.dtype)
        copied = torch.empty_like(x)
        copied.copy_(acc)
        twice = acc.to(torch.bfloat16).to(torch.float16).contiguous()
        indices = torch.empty(4, dtype=torch.int32)
        recorder.kernel_launched([indices], {})
        widened = indices.to(torch.int64)
    for out in (cast, copied, twice, widened):
        assert recorder.record.unproven_output(out) is None


def test_a_cast_of_an_input_or_of_a_copy_of_one_is_not():
    """Passing an input to a kernel does not make the input, or a copy of it, the kernel's product."""
    recorder = ProvenanceRecorder()
    x = torch.randn(4, 8)
    with torch.no_grad(), recorder:
        recorder.kernel_launched([x], {})
        cast = x.to(torch.float16)
        copy = x.clone()
        recorder.kernel_launched([copy], {})
        copy_cast = copy.to(torch.float16)
        into = torch.empty_like(x)
        into.copy_(x)
    for out in (cast, copy_cast, into):
        assert recorder.record.unproven_output(out) is not None


def test_a_cast_that_changes_the_kind_of_value_is_not():
    """float to bool is `x != 0` and float to int a truncation: PyTorch computed those."""
    recorder = ProvenanceRecorder()
    x = torch.randn(4, 8)
    with torch.no_grad(), recorder:
        acc = _kernel_made(x)
        recorder.kernel_launched([x, acc], {})
        as_bool, as_int = acc.to(torch.bool), acc.to(torch.int32)
        back = as_int.to(torch.int64)
    for out in (as_bool, as_int, back):
        assert recorder.record.unproven_output(out) is not None


def test_a_cast_of_a_kernel_buffer_pytorch_then_wrote_is_not():
    recorder = ProvenanceRecorder()
    x = torch.randn(4, 8)
    with torch.no_grad(), recorder:
        acc = _kernel_made(x)
        recorder.kernel_launched([x, acc], {})
        acc.add_(x)  # PyTorch computes into it after the kernel
        out = acc.to(torch.float16)
    assert recorder.record.unproven_output(out) is not None
    assert recorder.record.torch_compute == ["aten.add_"]


def test_a_narrowing_cast_into_the_output_is_not_lowered_precision_but_one_before_the_kernels_is():
    """The output's dtype is held to the reference's: a cast that makes it lowers nothing. A cast of an input,
    or one into memory the output later reuses, lowers what the kernels compute from."""
    recorder = ProvenanceRecorder()
    x = torch.randn(64, 64)
    with torch.no_grad(), recorder:
        acc = _kernel_made(x)
        recorder.kernel_launched([x, acc], {})
        out = acc.to(torch.float16)
    assert recorder.record.narrowing == ["float32->float16"]
    assert recorder.record.narrowing_before([out]) == []

    recorder = ProvenanceRecorder()
    with torch.no_grad(), recorder:
        low = x.to(torch.float16)  # the input, narrowed before any kernel
        recorder.kernel_launched([low], {})
        key = low.untyped_storage().data_ptr()
        del low
        out = torch.empty(64, 64, dtype=torch.float16)  # may reuse the freed block
        recorder.kernel_launched([out], {})
    assert recorder.record.narrowing_before([out]) == ["float32->float16"], (key, out.data_ptr())


@pytest.mark.parametrize("copy", ["functional_copy", "fill_with_tensor"])
def test_each_copy_op_narrows_into_the_tensor_it_writes(copy):
    """Functional `copy(self, src)` returns a new tensor: a narrowing cast through it into the output makes the output's dtype (not lowered precision), and a
    copy of a kernel-made fp32 storage is kernels' output. `fill_` with a 0-dim fp32 tensor narrows into what
    it fills."""
    recorder = ProvenanceRecorder()
    x = torch.randn(16, 16)
    with torch.no_grad(), recorder:
        acc = _kernel_made(x)
        recorder.kernel_launched([x, acc], {})
        if copy == "functional_copy":
            out = torch.ops.aten.copy(torch.empty(16, 16, dtype=torch.float16), acc)
        else:
            out = torch.empty((), dtype=torch.float16)
            out.fill_(acc[0, 0])
    assert recorder.record.narrowing == ["float32->float16"]
    assert recorder.record.narrowed == [out.untyped_storage().data_ptr()]
    assert recorder.record.narrowing_before([out]) == []
    if copy != "fill_with_tensor":
        assert recorder.record.made_by_kernels(out.untyped_storage().data_ptr())


def test_copy_from_reads_its_first_argument_and_writes_its_second():
    """`_copy_from(self, dst)` (a backend's cross-device copy; CPU has no kernel for it, so its pairing is
    checked directly)."""
    src, dst = torch.randn(2), torch.empty(2, dtype=torch.float16)
    assert _copy_pairs("_copy_from", (src, dst), dst) == [(src, dst)]
    assert _copy_pairs("copy_", (dst, src), dst) == [(src, dst)]
    fresh = torch.empty(2, dtype=torch.float16)
    assert _copy_pairs("copy", (dst, src), fresh) == [(src, fresh)]


@pytest.fixture
def no_stores_seen(monkeypatch):
    """The recorder as on a GPU: PyTorch's copies are kept, but no kernel store is ever reported."""
    from filters.verifier import provenance

    original = provenance.CopyCoverage.of

    def of(tensor):
        coverage = original(tensor)
        return provenance.CopyCoverage(coverage.start, coverage.snapshot, None)

    monkeypatch.setattr(provenance.CopyCoverage, "of", staticmethod(of))


def test_on_a_gpu_a_copy_a_kernel_received_last_is_the_kernels(no_stores_seen):
    """A launcher's `x.clone()` buffer that a kernel then fills in place (no store is seen on a GPU): the
    kernel's output; written back unchanged, it is a copy the kernels only wrote back (rejected when that
    holds on every call)."""
    x = torch.randn(4, 4)
    record, out = _record(lambda x: x.clone(), x, launch=lambda out, x: out)
    assert record.unproven_output(out) is None
    assert record.copy_unchanged(out)
    out.relu_()  # what the kernel would have stored
    assert not record.copy_unchanged(out)


def test_on_a_gpu_torch_compute_or_a_copy_after_the_kernel_is_not_the_kernels(no_stores_seen):
    x = torch.randn(4, 4)
    record, out = _record(lambda x: torch.relu(x), x, launch=lambda out, x: out)
    assert "aten.relu" in record.unproven_output(out)

    def clone_after(x):
        buf = x.clone()
        recorder_launch[0]([buf], {})
        return buf.clone()

    recorder = ProvenanceRecorder()
    recorder_launch = [recorder.kernel_launched]
    with torch.no_grad(), recorder:
        out = clone_after(x)
    assert recorder.record.unproven_output(out) is not None


def test_on_a_gpu_a_cast_of_what_kernels_made_is_not_a_copy_written_back(no_stores_seen):
    """`return acc.to(x.dtype)` of a kernel-made fp32 accumulator: the cast is a copy no kernel received
    afterwards, so nothing was written back over it (it is the kernels' by `made_by_kernels`)."""
    recorder = ProvenanceRecorder()
    with torch.no_grad(), recorder:
        acc = torch.empty(4, 4)
        recorder.kernel_launched([acc], {})
        out = acc.to(torch.float16)
    assert recorder.record.unproven_output(out) is None
    assert not recorder.record.copy_unchanged(out)


def _register_op(name, body):
    """A custom operator as a candidate registers one (torch.library.custom_op), and its function."""
    op = torch.library.custom_op(name, body, mutates_args=())
    return op


def test_a_candidates_custom_operator_runs_its_body_under_the_recorder(monkeypatch):
    """The candidate's own operator (static.custom_ops) is one opaque op to the dispatcher; the recorder runs
    its function under the mode, so PyTorch compute inside it is seen (without that, the op itself counted as
    compute, and an honest operator whose kernel wrote the output could not be told from this one)."""
    from filters.verifier import provenance

    def torch_relu(x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)

    def kernel_made(x: torch.Tensor) -> torch.Tensor:
        return torch.empty_like(x)

    cheat = _register_op("kdtest::prov_torch_relu", torch_relu)
    honest = _register_op("kdtest::prov_kernel_made", kernel_made)
    monkeypatch.setattr(provenance, "CANDIDATE_OPS", {"kdtest::prov_torch_relu": torch_relu,
                                                      "kdtest::prov_kernel_made": kernel_made})
    record, out = _record(cheat, torch.randn(4, 4))
    assert record.torch_compute == ["aten.relu"] and record.unproven_output(out) is not None
    record, out = _record(honest, torch.randn(4, 4), launch=lambda out, x: out)
    assert record.torch_compute == [] and record.unproven_output(out) is None


def test_an_operator_the_candidate_did_not_register_is_compute(monkeypatch):
    from filters.verifier import provenance

    def kernel_made(x: torch.Tensor) -> torch.Tensor:
        return torch.empty_like(x)

    op = _register_op("kdtest::prov_unlisted", kernel_made)
    monkeypatch.setattr(provenance, "CANDIDATE_OPS", {})
    record, _ = _record(op, torch.randn(4, 4))
    assert record.torch_compute == ["aten.prov_unlisted"]
