"""Hardware profiles: the facts and knobs each target carries, and the lookups by name and by device."""

import pytest

from kerneldata.core.hardware import last_level_cache_bytes
from kerneldata.core.profiles import PROFILES, get_profile, profile_for_device

MiB, GB = 1 << 20, 10**9


def test_the_five_targets_with_their_datasheet_facts():
    assert [p.name for p in PROFILES.values()] == ["H100", "H200", "MI300X", "MI325X", "MI355X"]
    h100, h200, mi300x, mi325x, mi355x = PROFILES.values()
    assert (h100.arch, h100.compute_units, h100.l2_bytes, h100.memory_bandwidth_bytes_per_s) == ("sm_90", 132, 50 * 10**6, 3.35e12)
    # H200: measured on the device (torch's properties), HBM3e 141 GB at 4.8 TB/s from the datasheet.
    assert (h200.compute_units, h200.l2_bytes, h200.shared_memory_per_block_bytes) == (132, 60 * MiB, 232448)
    assert (h200.memory_bytes, h200.memory_bandwidth_bytes_per_s) == (141 * GB, 4.8e12)
    assert (mi300x.arch, mi300x.compute_units, mi300x.last_level_cache_bytes) == ("gfx942", 304, 256 * MiB)
    assert mi300x.memory_bandwidth_bytes_per_s == 5.3e12 and mi325x.memory_bytes == 256 * GB
    assert mi325x.memory_bandwidth_bytes_per_s == 6.0e12 and mi325x.arch == "gfx942"
    assert (mi355x.arch, mi355x.compute_units, mi355x.shared_memory_per_block_bytes) == ("gfx950", 256, 160 << 10)
    assert mi355x.memory_bandwidth_bytes_per_s == 8.0e12 and mi355x.l2_bytes is None  # not certain: left out
    for profile in PROFILES.values():
        assert profile.warp_size == (32 if profile.vendor == "nvidia" else 64)
        assert profile.backend == ("cuda" if profile.vendor == "nvidia" else "hip")


def test_triton_knobs_per_backend():
    h200, mi300x, mi355x = get_profile("H200"), get_profile("MI300X"), get_profile("MI355X")
    assert h200.triton.dot_precision_default == "tf32" and "ieee" in h200.triton.dot_precisions
    assert h200.triton.waves_per_eu is None and h200.triton.kpack is None
    assert mi300x.triton.dot_precision_default == "ieee" and "tf32" in mi300x.triton.dot_precisions
    assert mi300x.triton.kpack == (1, 2) and 16 in mi300x.triton.matrix_instr_nonkdim
    assert mi355x.triton.kpack == (1,) and "tf32" not in mi355x.triton.dot_precisions


def test_lookup_by_name_is_case_insensitive_and_unknown_names_are_listed():
    assert get_profile("mi300x") is get_profile("MI300X") is get_profile(" MI300X ")
    with pytest.raises(ValueError, match="unknown hardware profile 'A100'; known profiles: H100, H200, MI300X"):
        get_profile("A100")


@pytest.mark.parametrize("device, expected", [
    ("NVIDIA H200 sm_90 cuda 13.0 driver 570.1 torch 2.11.0 triton 3.6.0", "H200"),  # the verifier's fingerprint
    ("NVIDIA H100 80GB HBM3", "H100"),  # torch's device name
    ("AMD Instinct MI300X gfx942 hip 6.4 driver 6.10 torch 2.7.0 triton 3.3.0", "MI300X"),
    ("AMD Instinct MI325X", "MI325X"),
    ("AMD Instinct MI355X gfx950 hip 7.0", "MI355X"),
    ("cpu x86_64 triton-interpreter torch 2.13.0 triton 3.9.0", None),
    ("NVIDIA A100-SXM4-80GB sm_80", None),
    ("NVIDIA H200 sm_100 cuda 13.0", None),  # the name says H200 but the architecture does not agree
])
def test_profile_for_device(device, expected):
    found = profile_for_device(device)
    assert (found.name if found else None) == expected


def test_prompt_block_names_the_facts_kernels_depend_on():
    block = get_profile("MI300X").prompt_block()
    for fact in ("gfx942", "304 CUs", "wavefront of 64", "64 KiB of LDS", "Infinity Cache 256 MiB", "5.3 TB/s",
                 "waves_per_eu", "matrix_instr_nonkdim", "kpack", 'input_precision="ieee"'):
        assert fact in block, fact
    nvidia = get_profile("H100").prompt_block()
    assert "warp of 32" in nvidia and "shared memory" in nvidia and "waves_per_eu" not in nvidia
    assert 'input_precision="tf32"' in nvidia


def test_hardware_flush_uses_the_profiles_infinity_cache():
    for profile in PROFILES.values():
        if profile.last_level_cache_bytes:
            assert last_level_cache_bytes(l2_bytes=4 * MiB, arch=profile.arch) == profile.last_level_cache_bytes
