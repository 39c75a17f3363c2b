"""Hardware profiles: what a kernel writer needs to know about each target GPU, and the Triton knobs of its
backend, by name (`get_profile("MI300X")`) or by the device name the verifier records in its fingerprint
(`profile_for_device("NVIDIA H200 sm_90 cuda 13.0 ...")`).

The facts come from the vendors' datasheets and, for the H200, from the device itself (torch's device
properties on the project's H200: 132 SMs, a 60 MiB L2, 227 KiB of shared memory per block). Where a fact
was not certain it is left out (None) rather than guessed. The Triton knobs are those of Triton's own
backends (`triton/backends/nvidia/compiler.py` `CUDAOptions`, `triton/backends/amd/compiler.py`
`HIPOptions`, Triton 3.9): their defaults and the values a tuner tries.

Guarantees: names and device lookups are case-insensitive; an unknown name is a ValueError listing the
known ones; `profile_for_device` returns None for a device it does not recognise (a CPU, an unlisted GPU),
never a near match: gfx942 alone does not tell an MI300X from an MI325X.
"""

from __future__ import annotations

from dataclasses import dataclass

GB = 10**9
MB = 10**6
MiB = 1 << 20
KiB = 1 << 10


@dataclass(frozen=True)
class TritonKnobs:
    """The launch and compile options of one Triton backend."""

    backend: str  # "cuda" or "hip"
    num_warps_default: int
    num_stages_default: int
    num_warps: tuple[int, ...]  # what a tuner tries
    num_stages: tuple[int, ...]
    dot_precision_default: str  # tl.dot's input_precision for fp32 operands when none is given
    dot_precisions: tuple[str, ...]  # the input_precision values the backend accepts
    waves_per_eu: tuple[int, ...] | None = None  # HIP only: occupancy hint, 0 = no hint
    matrix_instr_nonkdim: tuple[int, ...] | None = None  # HIP only: MFMA tile 16x16 or 32x32 (0 = compiler's pick)
    kpack: tuple[int, ...] | None = None  # HIP only: K elements packed per MFMA operand load
    notes: str = ""


@dataclass(frozen=True)
class Profile:
    name: str
    full_name: str
    vendor: str  # "nvidia" or "amd"
    arch: str  # sm_90, gfx942, gfx950
    warp_size: int  # threads per warp (NVIDIA) or wavefront (AMD)
    compute_units: int  # SMs or CUs
    compute_unit_name: str  # "SM" or "CU"
    shared_memory_per_block_bytes: int  # shared memory (NVIDIA) or LDS (AMD) one program may use
    l2_bytes: int | None
    last_level_cache_bytes: int | None  # AMD Infinity Cache (MALL); None where there is none
    memory: str
    memory_bytes: int
    memory_bandwidth_bytes_per_s: float
    matrix_units: str
    triton: TritonKnobs
    device_names: tuple[str, ...]  # what torch's device name contains for this part

    @property
    def backend(self) -> str:
        return self.triton.backend

    def prompt_block(self) -> str:
        """A few lines for a prompt: the facts a kernel's block sizes and launch options depend on."""
        caches = []
        if self.l2_bytes:
            caches.append(f"L2 {_size(self.l2_bytes)}")
        if self.last_level_cache_bytes:
            caches.append(f"Infinity Cache {_size(self.last_level_cache_bytes)}")
        memory_kind = "shared memory" if self.vendor == "nvidia" else "LDS"
        thread_group = "warp" if self.vendor == "nvidia" else "wavefront"
        knobs = self.triton
        lines = [
            f"Target: {self.full_name} ({self.arch}, Triton {knobs.backend} backend).",
            f"- {self.compute_units} {self.compute_unit_name}s, {thread_group} of {self.warp_size} threads, "
            f"{_size(self.shared_memory_per_block_bytes)} of {memory_kind} per program"
            + (f"; {', '.join(caches)}" if caches else "") + ".",
            f"- {_size(self.memory_bytes, decimal=True)} {self.memory} at "
            f"{self.memory_bandwidth_bytes_per_s / 1e12:g} TB/s; matrix units: {self.matrix_units}.",
            f"- num_warps (default {knobs.num_warps_default}; each is {self.warp_size} threads), num_stages (default "
            f"{knobs.num_stages_default}); fp32 tl.dot defaults to input_precision=\"{knobs.dot_precision_default}\" "
            f"(accepted: {', '.join(knobs.dot_precisions)}).",
        ]
        if knobs.backend == "hip":
            lines.append(f"- HIP-only options: waves_per_eu {_choices(knobs.waves_per_eu)}, matrix_instr_nonkdim "
                         f"{_choices(knobs.matrix_instr_nonkdim)}, kpack {_choices(knobs.kpack)}.")
        if knobs.notes:
            lines.append(f"- {knobs.notes}")
        return "\n".join(lines) + "\n"


def _size(n: int, decimal: bool = False) -> str:
    if decimal:
        return f"{n / GB:g} GB"
    for unit, size in (("MiB", MiB), ("KiB", KiB)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n / MB:g} MB"


def _choices(values: tuple[int, ...] | None) -> str:
    return "/".join(str(v) for v in values) if values else "n/a"


_CUDA = TritonKnobs(
    backend="cuda", num_warps_default=4, num_stages_default=3, num_warps=(2, 4, 8), num_stages=(2, 3, 4, 5),
    dot_precision_default="tf32", dot_precisions=("tf32", "tf32x3", "ieee", "bf16x3", "bf16x6"),
    notes='fp32 inputs to tl.dot need input_precision="ieee" to meet fp32 tolerances (TF32 keeps 10 mantissa bits).',
)
_HIP_COMMON = dict(
    backend="hip", num_warps_default=4, num_stages_default=2, num_warps=(1, 2, 4, 8), num_stages=(1, 2),
    dot_precision_default="ieee", waves_per_eu=(0, 1, 2, 4), matrix_instr_nonkdim=(0, 16, 32),
)
_HIP_GFX942 = TritonKnobs(
    **_HIP_COMMON, dot_precisions=("ieee", "bf16x3", "bf16x6", "tf32"), kpack=(1, 2),
    notes="num_warps counts wavefronts of 64 threads: num_warps=4 is 256 threads. waves_per_eu is an "
          "occupancy hint to the AMDGPU backend (0: none). The L2 is 4 MiB per XCD, 8 XCDs.",
)
_HIP_GFX950 = TritonKnobs(
    **_HIP_COMMON, dot_precisions=("ieee", "bf16x3", "bf16x6"), kpack=(1,),
    notes="num_warps counts wavefronts of 64 threads: num_warps=4 is 256 threads. kpack is fixed at 1 on "
          "gfx950 (Triton overrides other values).",
)

PROFILES: dict[str, Profile] = {p.name.lower(): p for p in [
    Profile(
        name="H100", full_name="NVIDIA H100 SXM5 80GB", vendor="nvidia", arch="sm_90", warp_size=32,
        compute_units=132, compute_unit_name="SM", shared_memory_per_block_bytes=227 * KiB, l2_bytes=50 * MB,
        last_level_cache_bytes=None, memory="HBM3", memory_bytes=80 * GB, memory_bandwidth_bytes_per_s=3.35e12,
        matrix_units="4th-generation Tensor Cores (wgmma)", triton=_CUDA, device_names=("H100",),
    ),
    Profile(
        name="H200", full_name="NVIDIA H200 SXM 141GB", vendor="nvidia", arch="sm_90", warp_size=32,
        compute_units=132, compute_unit_name="SM", shared_memory_per_block_bytes=227 * KiB, l2_bytes=60 * MiB,
        last_level_cache_bytes=None, memory="HBM3e", memory_bytes=141 * GB, memory_bandwidth_bytes_per_s=4.8e12,
        matrix_units="4th-generation Tensor Cores (wgmma)", triton=_CUDA, device_names=("H200",),
    ),
    Profile(
        name="MI300X", full_name="AMD Instinct MI300X", vendor="amd", arch="gfx942", warp_size=64,
        compute_units=304, compute_unit_name="CU", shared_memory_per_block_bytes=64 * KiB, l2_bytes=32 * MiB,
        last_level_cache_bytes=256 * MiB, memory="HBM3", memory_bytes=192 * GB, memory_bandwidth_bytes_per_s=5.3e12,
        matrix_units="CDNA 3 Matrix Cores (MFMA)", triton=_HIP_GFX942, device_names=("MI300X",),
    ),
    Profile(
        name="MI325X", full_name="AMD Instinct MI325X", vendor="amd", arch="gfx942", warp_size=64,
        compute_units=304, compute_unit_name="CU", shared_memory_per_block_bytes=64 * KiB, l2_bytes=32 * MiB,
        last_level_cache_bytes=256 * MiB, memory="HBM3E", memory_bytes=256 * GB, memory_bandwidth_bytes_per_s=6.0e12,
        matrix_units="CDNA 3 Matrix Cores (MFMA)", triton=_HIP_GFX942, device_names=("MI325X",),
    ),
    Profile(
        name="MI355X", full_name="AMD Instinct MI355X", vendor="amd", arch="gfx950", warp_size=64,
        compute_units=256, compute_unit_name="CU", shared_memory_per_block_bytes=160 * KiB, l2_bytes=None,
        last_level_cache_bytes=256 * MiB, memory="HBM3E", memory_bytes=288 * GB, memory_bandwidth_bytes_per_s=8.0e12,
        matrix_units="CDNA 4 Matrix Cores (MFMA)", triton=_HIP_GFX950, device_names=("MI355X",),
    ),
]}


def get_profile(name: str) -> Profile:
    """The profile called `name` (case-insensitive); ValueError naming the known ones otherwise."""
    profile = PROFILES.get(str(name).strip().lower())
    if profile is None:
        raise ValueError(f"unknown hardware profile {name!r}; known profiles: "
                         f"{', '.join(p.name for p in PROFILES.values())}")
    return profile


def profile_for_device(device: str) -> Profile | None:
    """The profile of a device, from torch's device name or the verifier's fingerprint ("NVIDIA H200 sm_90
    cuda 13.0 ..."); None when no profile's device name occurs in it. The architecture must agree when the
    text names one, so a renamed part is not mistaken for another."""
    text = device.upper()
    for profile in PROFILES.values():
        if any(name.upper() in text for name in profile.device_names):
            arch_named = ("SM_" in text or "GFX" in text)
            if arch_named and profile.arch.upper() not in text:
                continue
            return profile
    return None
