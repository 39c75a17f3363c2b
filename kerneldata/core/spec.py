"""A spec: one problem the teacher is asked to write a kernel for, in KernelBench's format (a Python source
with `class Model(nn.Module)`, `get_inputs()` and `get_init_inputs()`), plus the facts about it the rest of
the pipeline needs (family, ops, dtype, input shapes, tolerances) and where it came from."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from kerneldata.core.hashing import stable_id

# Correctness tolerances by dtype: an output passes when every element satisfies
# |out - ref| <= atol + rtol * |ref| (torch.allclose's rule) AND the relative L2 error
# ||out - ref|| / ||ref|| is within RELATIVE_NORM_TOL. fp16 carries ~3 decimal digits, so its bounds are
# looser; fp32 kernels that reorder a sum stay well inside 1e-4 on the sizes we sample.
TOLERANCES: dict[str, tuple[float, float]] = {
    "float32": (1e-4, 1e-4),
    "float16": (1e-2, 1e-2),
    "bfloat16": (2e-2, 2e-2),
}
RELATIVE_NORM_TOL: dict[str, float] = {"float32": 1e-5, "float16": 2e-3, "bfloat16": 1e-2}


@dataclass(frozen=True, kw_only=True)
class Spec:
    family: str
    ops: tuple[str, ...]
    dtype: str
    shapes: tuple[tuple[int, ...], ...]  # the shape of each tensor get_inputs() returns, in order
    source: str  # the KernelBench-format reference problem
    origin: str  # e.g. "sampler:v1 seed=0" or "file:path/to/problem.py"

    @property
    def spec_id(self) -> str:
        return f"{self.family}-{stable_id(self.family, list(self.ops), self.dtype, self.shapes, self.source)}"

    @property
    def atol(self) -> float:
        return TOLERANCES[self.dtype][0]

    @property
    def rtol(self) -> float:
        return TOLERANCES[self.dtype][1]

    def to_json(self) -> dict:
        """The `kerneldata specs sample` line (DESIGN section 3.2)."""
        out = {"spec_id": self.spec_id}
        out.update(asdict(self))
        out["ops"] = list(self.ops)
        out["shapes"] = [list(s) for s in self.shapes]
        out.update(atol=self.atol, rtol=self.rtol)
        return out

    def to_row(self) -> dict:
        """A row of `schema.SPEC_SCHEMA`."""
        return {
            "spec_id": self.spec_id,
            "family": self.family,
            "ops": list(self.ops),
            "dtype": self.dtype,
            "shapes": [list(s) for s in self.shapes],
            "reference_code": self.source,
            "spec_origin": self.origin,
            "atol": self.atol,
            "rtol": self.rtol,
        }


def estimate_flops(family: str, shapes) -> float | None:
    """Floating-point operations a spec needs at least, where the family makes that clear (2*M*N*K for a
    matmul); None where memory traffic, not arithmetic, bounds the kernel."""
    if family == "matmul" and len(shapes) == 2 and len(shapes[0]) == 2 and len(shapes[1]) == 2:
        (m, k), (_, n) = shapes
        return 2.0 * m * n * k
    return None
