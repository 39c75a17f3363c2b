"""What a worker inside bubblewrap may read (filters.verifier.isolation): the tools Triton runs from the worker come
along wherever the machine installed them (a GPU image sets CC=/opt/gcc/bin/gcc; without its installation
mounted, every kernel's launcher stub failed to compile: 'No such file or directory: gcc')."""

from __future__ import annotations

import os

from filters.verifier import isolation


def test_the_c_compiler_named_by_cc_is_readable_with_its_installation(tmp_path, monkeypatch):
    (tmp_path / "opt" / "gcc" / "bin").mkdir(parents=True)
    (tmp_path / "opt" / "gcc" / "libexec").mkdir()
    compiler = tmp_path / "opt" / "gcc" / "bin" / "gcc"
    compiler.write_text("#!/bin/sh\n")
    monkeypatch.setenv("CC", str(compiler))
    assert str(tmp_path / "opt" / "gcc") in isolation._readable_roots()


def test_a_tool_path_resolves_links_and_a_relative_one_is_ignored(tmp_path, monkeypatch):
    (tmp_path / "cuda" / "bin").mkdir(parents=True)
    ptxas = tmp_path / "cuda" / "bin" / "ptxas"
    ptxas.write_text("")
    os.symlink(ptxas, tmp_path / "ptxas-link")
    monkeypatch.setenv("TRITON_PTXAS_PATH", str(tmp_path / "ptxas-link"))
    monkeypatch.setenv("CC", "gcc")
    roots = isolation._readable_roots()
    assert str(tmp_path / "cuda") in roots and "gcc" not in roots
