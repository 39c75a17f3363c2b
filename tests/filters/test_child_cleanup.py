"""What the sandboxed child puts back when it unloads a candidate, so the next one in the same worker starts
as the first did: Triton's scratch allocator (`triton.set_allocator`) and the custom operators the candidate
registered (`torch.library.custom_op` / `triton_op`)."""

from __future__ import annotations

import os

import torch
import triton

from filters.verifier import provenance, sandbox_child
from filters.verifier.integrity import ProcessState


def _unload(tmp_path):
    cwd = os.getcwd()
    try:
        return sandbox_child._unload(None, ProcessState.take(), "cpu", str(tmp_path), dict(os.environ))
    finally:
        os.chdir(cwd)


def test_unload_puts_tritons_allocator_back(tmp_path, monkeypatch):
    before = sandbox_child._triton_allocator()
    monkeypatch.setattr(sandbox_child, "_TRITON_ALLOCATOR", before)

    def candidates_allocator(size, alignment, stream):
        return torch.empty(size, dtype=torch.int8)

    triton.set_allocator(candidates_allocator)
    assert sandbox_child._triton_allocator() is candidates_allocator
    _unload(tmp_path)
    assert sandbox_child._triton_allocator() is before


def test_unload_removes_the_candidates_custom_operators(tmp_path, monkeypatch):
    registered = sandbox_child._custom_ops()

    def relu(x: torch.Tensor) -> torch.Tensor:
        return torch.empty_like(x)

    torch.library.custom_op("kdtest::cleanup_relu", relu, mutates_args=())
    new = {name: op._init_fn for name, op in sandbox_child._custom_ops().items() if registered.get(name) is not op}
    assert list(new) == ["kdtest::cleanup_relu"]
    monkeypatch.setattr(provenance, "CANDIDATE_OPS", dict(new))
    _unload(tmp_path)
    assert "kdtest::cleanup_relu" not in sandbox_child._custom_ops() and provenance.CANDIDATE_OPS == {}
    # the name is free again: a later candidate may register an operator of the same name
    torch.library.custom_op("kdtest::cleanup_relu", relu, mutates_args=())
