"""Which device verifies, and its fingerprint. Every verdict carries the fingerprint, because a verdict (and
above all a speedup) is only true of the hardware and software that produced it."""

from __future__ import annotations

import platform
from importlib import metadata


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
    if torch.version.hip:
        arch = getattr(props, "gcnArchName", "gfx?").split(":")[0]
        runtime = f"hip {torch.version.hip}"
    else:
        arch = f"sm_{props.major}{props.minor}"
        runtime = f"cuda {torch.version.cuda}"
    return f"{props.name} {arch} {runtime} {stack}"
