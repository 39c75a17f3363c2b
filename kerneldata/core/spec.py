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
class Workload:
    """One more workload of a spec (issue 16, several shapes per spec): the same problem at other sizes (a
    larger batch, the prefill of a decode call), as its own KernelBench-format source whose
    `get_init_inputs()` equals the spec's, so one `ModelNew` serves every workload. The teacher never sees
    it; the verifier checks the candidate on it too (`filters.verifier.workloads`)."""

    label: str  # what differs from the shown workload, e.g. "batch=8" or "prefill"
    shapes: tuple[tuple[int, ...], ...]
    source: str

    def to_json(self) -> dict:
        return {"label": self.label, "shapes": [list(s) for s in self.shapes], "reference_code": self.source}

    @classmethod
    def from_json(cls, item: dict) -> Workload:
        return cls(label=item["label"], shapes=tuple(tuple(s) for s in item["shapes"]),
                   source=item["reference_code"])


@dataclass(frozen=True, kw_only=True)
class Spec:
    family: str
    ops: tuple[str, ...]
    dtype: str
    shapes: tuple[tuple[int, ...], ...]  # the shape of each tensor get_inputs() returns, in order
    source: str  # the KernelBench-format reference problem
    origin: str  # e.g. "sampler:v2 seed=0" or "external:KernelBench/level1/19_ReLU.py"
    # One `kerneldata.core.domains` name per input (same order as `shapes`): what get_inputs() draws from.
    input_domains: tuple[str, ...] = ()
    # One per input: "contiguous", or "transposed" for a non-contiguous view get_inputs() returns ("strided":
    # a workload input with its recorded strides, generators.specs.workloads).
    layouts: tuple[str, ...] = ()
    # The shape of the reference's output where the sampler knows it; None for external problems.
    output_shape: tuple[int, ...] | None = None
    # The workloads after the shown one (`source`), which only the verifier runs; () for one workload.
    workloads: tuple[Workload, ...] = ()

    @property
    def spec_id(self) -> str:
        # The shown problem's content alone: its other workloads follow from it (generators.specs.more_workloads,
        # the captured records), so ids, and the candidates and data keyed by them, are those of a
        # single-workload run.
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
        out["input_domains"] = list(self.input_domains)
        out["layouts"] = list(self.layouts)
        out["output_shape"] = list(self.output_shape) if self.output_shape is not None else None
        out["workloads"] = [w.to_json() for w in self.workloads]
        out.update(atol=self.atol, rtol=self.rtol)
        return out

    @classmethod
    def from_json(cls, line: dict) -> Spec:
        """The inverse of `to_json` (a `kerneldata specs sample` line); the id is recomputed, not trusted."""
        return cls(
            family=line["family"], ops=tuple(line["ops"]), dtype=line["dtype"],
            shapes=tuple(tuple(s) for s in line["shapes"]), source=line["source"], origin=line["origin"],
            input_domains=tuple(line.get("input_domains", ())), layouts=tuple(line.get("layouts", ())),
            output_shape=tuple(line["output_shape"]) if line.get("output_shape") is not None else None,
            workloads=tuple(Workload.from_json(w) for w in line.get("workloads") or ()),
        )

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
            "input_domains": list(self.input_domains),
            "workloads": [w.to_json() for w in self.workloads],
        }


def estimate_flops(family: str, shapes) -> float | None:
    """Floating-point operations a spec needs at least, where the family makes that clear (2*M*N*K for a
    matmul); None where memory traffic, not arithmetic, bounds the kernel."""
    if family == "matmul" and len(shapes) == 2 and len(shapes[0]) == 2 and len(shapes[1]) == 2:
        (m, k), (_, n) = shapes
        return 2.0 * m * n * k
    # Issue 16's compute-bound ops, told apart within their families by their input ranks.
    ranks = [len(s) for s in shapes]
    if family == "moe" and ranks == [2, 3, 1]:  # grouped_gemm: x (tokens, hidden), w (experts, hidden, ffn)
        (tokens, hidden), (_, _, ffn) = shapes[0], shapes[1]
        return 2.0 * tokens * hidden * ffn
    if family == "kvcache" and ranks == [3, 4, 4]:  # decode_attention: q (b, q_heads, d), k (b, kv, len, d)
        (batch, q_heads, dim), kv_len = shapes[0], shapes[1][2]
        return 4.0 * batch * q_heads * kv_len * dim  # q k^T and p v, 2 flops per multiply-add
    if family == "kvcache" and ranks == [3, 3, 3, 1]:  # varlen_attention: packed q, k, v and cu_seqlens
        (tokens, heads, dim), seqs = shapes[0], max(shapes[3][0] - 1, 1)
        # Causal attention over n positions costs about 2 * n * (n + 1) * heads * dim; split into seqs
        # sequences, the total is smallest when they are equal.
        return 2.0 * heads * dim * tokens * (tokens / seqs + 1)
    return None
