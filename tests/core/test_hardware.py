"""The vendor differences that change the verifier, each in a small function we can test without the
hardware (AMD is a code path we cannot run here)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kerneldata.core.hardware import (
    default_dot_precision,
    device_arch,
    device_flush_bytes,
    fingerprint,
    flush_bytes,
    last_level_cache_bytes,
    resolve_device,
)

MiB = 1 << 20


def test_flush_covers_twice_the_last_level_cache():
    assert flush_bytes(l2_bytes=60 * MiB, arch="sm_90") == 256 * MiB  # H200: Triton's 256 MiB already > 2x L2
    assert flush_bytes(l2_bytes=200 * MiB, arch="sm_future") == 400 * MiB  # a larger L2: twice it
    # MI300X / MI325X / MI355X: torch reports one XCD's 4 MB L2; the 256 MB Infinity Cache is what must go
    assert last_level_cache_bytes(l2_bytes=4 * MiB, arch="gfx942") == 256 * MiB
    assert flush_bytes(l2_bytes=4 * MiB, arch="gfx942:sramecc+:xnack-") == 512 * MiB
    assert flush_bytes(l2_bytes=4 * MiB, arch="gfx950") == 512 * MiB
    assert flush_bytes(l2_bytes=8 * MiB, arch="gfx90a") == 256 * MiB  # MI250X: no Infinity Cache


def test_device_flush_bytes_reads_the_device(monkeypatch):
    import torch

    mi300x = SimpleNamespace(L2_cache_size=4 * MiB, gcnArchName="gfx942:sramecc+:xnack-")
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda index: mi300x)
    monkeypatch.setattr(torch.version, "hip", "6.2")
    assert device_flush_bytes(0) == 512 * MiB


def test_dot_precision_default_differs_by_vendor():
    assert default_dot_precision(hip=False) == "tf32"
    assert default_dot_precision(hip=True) == "ieee"


def test_arch_names():
    assert device_arch(SimpleNamespace(major=9, minor=0), hip=False) == "sm_90"
    assert device_arch(SimpleNamespace(gcnArchName="gfx942:sramecc+:xnack-"), hip=True) == "gfx942"


def test_cpu_fingerprint_and_device_resolution():
    print_ = fingerprint("cpu")
    assert print_.startswith("cpu ") and "triton-interpreter" in print_ and "torch " in print_
    import torch

    if not torch.cuda.is_available():
        assert resolve_device("auto") == "cpu"
        with pytest.raises(ValueError, match="torch sees no GPU"):
            resolve_device("cuda")
