"""The honest candidates (one file each, with their problems under `problems/`), and the loader shared with
`tests.filters.cheats` and `bench/false_rejects.py`. A problem that both honest and adversarial cases use
lives once, in `tests/filters/problems/`; a directory's own `problems/` is looked in first.

Each candidate file is a complete candidate source and carries its own expectation as module-level
literals, which the verifier sees as harmless constants:

    PROBLEM = "relu"                                  # problems/relu.py beside it, else the shared one
    EXPECTED = ("accepted", "correctness", "ok")      # (status, stage or stages, reason code or codes)
    EXPECTED_CPU = ("unverified", "static", "interpreter_limit")  # optional: the verdict under the CPU
                                                      # interpreter when it differs from EXPECTED
    EXPECTED_GPU = ("unverified", "static", "interpreter_limit")  # optional: the verdict on a GPU when
                                                      # it differs from EXPECTED
    DEVICE = "any"                                    # "any": EXPECTED holds on CPU and GPU alike;
                                                      # "gpu": only a GPU reaches EXPECTED; "cpu": the
                                                      # case means something on CPU only (state in a CPU
                                                      # tensor, which a GPU kernel cannot read)
    XFAIL = "why"  or  {"cpu": "why"}                 # optional: the verifier does not reach EXPECTED yet
                                                      # (on every device, or on those named: "cpu",
                                                      # "cuda"); the test is a strict xfail. The key
                                                      # "static" marks test_static's gate-only tests
    FLAKY = "why"  or  {"cuda": "why"}                # optional: the verdict depends on the verifier's
                                                      # secret seeds or the device's run (on every
                                                      # device, or those named); a non-strict xfail
    WORKLOADS = ("relu_48x300",)                      # optional: the spec's other workloads (issue 16),
                                                      # problems beside PROBLEM that the candidate's
                                                      # teacher never saw; the verifier checks them too
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

HONEST_DIR = Path(__file__).resolve().parent
SHARED_PROBLEMS = HONEST_DIR.parent / "problems"
_FIELDS = ("PROBLEM", "EXPECTED", "EXPECTED_CPU", "EXPECTED_GPU", "DEVICE", "XFAIL", "FLAKY", "WORKLOADS")


@dataclass(frozen=True)
class Expected:
    status: str
    stages: frozenset[str]
    reasons: frozenset[str]

    @classmethod
    def parse(cls, value) -> Expected:
        status, stages, reasons = value
        as_set = lambda v: frozenset([v] if isinstance(v, str) else v)  # noqa: E731
        return cls(status, as_set(stages), as_set(reasons))

    def matches(self, verdict) -> bool:
        return (verdict.status.value == self.status and verdict.check.value in self.stages
                and verdict.reason_code.value in self.reasons)


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    source: str
    problem: str  # the problem's name
    problem_source: str
    expected: Expected
    expected_cpu: Expected | None
    expected_gpu: Expected | None
    device: str  # "any", "gpu" or "cpu"
    xfail: str | dict | None  # why the verifier does not reach `expected` yet (see XFAIL)
    flaky: str | dict | None  # why the verdict varies with the verifier's seeds or the device's run (see FLAKY)
    workloads: tuple[dict, ...] = ()  # the spec's other workloads, in a row's form (see WORKLOADS)

    def flaky_on(self, device: str) -> str | None:
        """Why the verdict on `device` ("cpu" or "cuda") may vary from run to run, if it may."""
        if isinstance(self.flaky, dict):
            return self.flaky.get(device)
        return self.flaky

    def xfail_on(self, device: str) -> str | None:
        """Why the verifier on `device` ("cpu" or "cuda") does not reach the expected verdict yet, if so."""
        if isinstance(self.xfail, dict):
            return self.xfail.get(device)
        return self.xfail

    def expected_on(self, device: str) -> Expected | None:
        """What the verifier must answer on `device` ("cpu" or "cuda"); None where nothing is promised."""
        if device == "cpu" and self.device == "gpu":
            return self.expected_cpu
        if device != "cpu" and self.device == "cpu":
            return None
        if device != "cpu" and self.expected_gpu is not None:
            return self.expected_gpu
        return self.expected


def load_case(path: Path) -> Case:
    source = path.read_text()
    fields = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id in _FIELDS:
            fields[node.targets[0].id] = ast.literal_eval(node.value)
    missing = [name for name in ("PROBLEM", "EXPECTED", "DEVICE") if name not in fields]
    if missing:
        raise ValueError(f"{path} lacks {', '.join(missing)}")
    if fields["DEVICE"] not in ("any", "gpu", "cpu"):
        raise ValueError(f"{path}: DEVICE must be 'any', 'gpu' or 'cpu', got {fields['DEVICE']!r}")
    return Case(
        name=path.stem,
        path=path,
        source=source,
        problem=fields["PROBLEM"],
        problem_source=problem_source(path.parent, fields["PROBLEM"]),
        expected=Expected.parse(fields["EXPECTED"]),
        expected_cpu=Expected.parse(fields["EXPECTED_CPU"]) if "EXPECTED_CPU" in fields else None,
        expected_gpu=Expected.parse(fields["EXPECTED_GPU"]) if "EXPECTED_GPU" in fields else None,
        device=fields["DEVICE"],
        xfail=fields.get("XFAIL"),
        flaky=fields.get("FLAKY"),
        workloads=tuple({"label": name, "shapes": [],
                         "reference_code": problem_source(path.parent, name)}
                        for name in fields.get("WORKLOADS", ())),
    )


def problem_source(directory: Path, name: str) -> str:
    """The source of problem `name` for the cases in `directory`: their own `problems/`, else the shared one."""
    own = directory / "problems" / f"{name}.py"
    return (own if own.exists() else SHARED_PROBLEMS / f"{name}.py").read_text()


def load_cases(directory: Path) -> list[Case]:
    return [load_case(path) for path in sorted(directory.glob("*.py")) if path.name != "__init__.py"]


def honest_cases() -> list[Case]:
    return load_cases(HONEST_DIR)
