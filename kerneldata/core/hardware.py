"""Which device verifies, and its fingerprint. Every verdict carries the fingerprint, because a verdict (and
above all a speedup) is only true of the hardware and software that produced it."""

from __future__ import annotations

import platform
from importlib import metadata

from kerneldata.core.profiles import PROFILES


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def resolve_device(requested: str) -> str:
    """`auto` becomes `cuda` when torch sees a GPU (NVIDIA or ROCm: both answer to torch.cuda), else `cpu`.
    Asking for `cuda` on a machine without one is a usage error, raised here with one line."""
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but torch sees no GPU here; use --device cpu or auto")
    if requested not in ("cpu", "cuda"):
        raise ValueError(f"unknown device {requested!r}; known devices: auto, cpu, cuda")
    return requested


def fingerprint(device: str) -> str:
    """One line naming the device, its architecture and the software stack, e.g.
    'NVIDIA H200 sm_90 cuda 13.0 torch 2.11.0 triton 3.6.0' or
    'cpu x86_64 triton-interpreter torch 2.13.0 triton 3.9.0'."""
    import torch

    stack = f"torch {torch.__version__.split('+')[0]} triton {package_version('triton')}"
    if device == "cpu":
        return f"cpu {platform.machine()} triton-interpreter {stack}"
    props = torch.cuda.get_device_properties(torch.cuda.current_device())
    hip = is_hip()
    runtime = f"hip {torch.version.hip}" if hip else f"cuda {torch.version.cuda}"
    return f"{props.name} {device_arch(props, hip=hip)} {runtime} driver {_driver_version()} {stack}"


def _driver_version() -> str:
    """The kernel driver's version (nvidia-smi's or amdgpu's), or 'unknown'."""
    for path in ("/proc/driver/nvidia/version", "/sys/module/amdgpu/version"):
        try:
            text = open(path).read()
        except OSError:
            continue
        for word in text.split():
            if word[:1].isdigit() and "." in word:
                return word
    try:  # gVisor and some containers hide /proc/driver; NVML still answers
        import pynvml

        pynvml.nvmlInit()
        version = pynvml.nvmlSystemGetDriverVersion()
        return version.decode() if isinstance(version, bytes) else str(version)
    except Exception:  # noqa: BLE001 - a missing or failing NVML only costs the driver field
        return "unknown"


# AMD Instinct parts whose last-level cache is the Infinity Cache (MALL), which torch does not report:
# `L2_cache_size` there is one XCD's L2 (4 MB on MI300X). Sizes in bytes, by gfx architecture, from the
# hardware profiles (MI300X and MI325X: gfx942; MI355X: gfx950).
_AMD_INFINITY_CACHE_BYTES = {p.arch: p.last_level_cache_bytes for p in PROFILES.values()
                             if p.vendor == "amd" and p.last_level_cache_bytes}
# Triton's own flush buffer (triton.testing.do_bench) is 256 MiB on both vendors; never flush less.
_MIN_FLUSH_BYTES = 256 << 20


def is_hip() -> bool:
    """True on a ROCm build of torch (AMD GPUs answer to torch.cuda there)."""
    import torch

    return torch.version.hip is not None


def last_level_cache_bytes(*, l2_bytes: int, arch: str) -> int:
    """The largest cache a kernel's working set can hide in: the Infinity Cache on AMD parts that have one,
    else the L2 the driver reports."""
    return max(l2_bytes, _AMD_INFINITY_CACHE_BYTES.get(arch.split(":")[0], 0))


def flush_bytes(*, l2_bytes: int, arch: str) -> int:
    """Bytes to overwrite between timed calls so that no input stays cached: at least twice the last-level
    cache (so 512 MiB on MI300X and MI355X, where Triton's 256 MiB equals the cache it should evict)."""
    return max(2 * last_level_cache_bytes(l2_bytes=l2_bytes, arch=arch), _MIN_FLUSH_BYTES)


def device_flush_bytes(device_index: int) -> int:
    """`flush_bytes` for a visible GPU, read from torch's properties of it."""
    import torch

    props = torch.cuda.get_device_properties(device_index)
    hip = is_hip()
    return flush_bytes(l2_bytes=getattr(props, "L2_cache_size", 0), arch=device_arch(props, hip=hip))


def default_dot_precision(*, hip: bool) -> str:
    """What `tl.dot` does with fp32 operands when no `input_precision` is given: TF32 on NVIDIA, full IEEE
    fp32 on AMD. Decides whether an fp32 kernel's `tl.dot` loses precision by default."""
    return "ieee" if hip else "tf32"


def device_arch(props, *, hip: bool) -> str:
    """sm_90 / gfx942 from torch's device properties."""
    if hip:
        return getattr(props, "gcnArchName", "gfx?").split(":")[0]
    return f"sm_{props.major}{props.minor}"
