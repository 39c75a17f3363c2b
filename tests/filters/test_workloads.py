"""filters.verifier.workloads without a GPU: what it refuses as a workload, and the speed rule over several
workloads (each timed workload's speedup recorded, the geometric mean judged), with the timing itself
replaced by fixed answers. The checks on CPU are in test_cheats (shape_fixed_*, row_sum_workloads)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from filters.verifier import workloads as wl
from filters.verifier.checks import Problem, ReferenceError_, load_reference
from filters.verifier.options import VerifyOptions
from kerneldata.core.outcomes import Reason, Status, Verdict

LINEAR = '''
import torch
import torch.nn as nn

class Model(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.lin = nn.Linear(n, n)
    def forward(self, x):
        return self.lin(x)

def get_inputs():
    return [torch.randn(ROWS, 8)]

def get_init_inputs():
    return [8]
'''


def _shown(source: str) -> Problem:
    module = load_reference(source)
    torch.manual_seed(0)
    return Problem(module, source, module.Model(*module.get_init_inputs()), "float32", 1e-4, 1e-4)


def test_a_workload_must_take_the_same_constructor_arguments_and_hold_the_same_tensors():
    shown = _shown(LINEAR.replace("ROWS", "4"))
    ok = wl.load_workloads([{"label": "rows=16", "shapes": [[16, 8]], "reference_code": LINEAR.replace("ROWS", "16")}],
                           shown, [8], 0, "cpu")
    assert ok[0].label == "rows=16" and ok[0].problem.code != shown.code
    other_init = LINEAR.replace("ROWS", "16").replace("return [8]", "return [9]")
    with pytest.raises(ReferenceError_, match="other constructor arguments"):
        wl.load_workloads([{"label": "n=9", "shapes": [], "reference_code": other_init}], shown, [8], 0, "cpu")
    other_tensors = LINEAR.replace("ROWS", "16").replace("nn.Linear(n, n)", "nn.Linear(n, 2 * n)")
    with pytest.raises(ReferenceError_, match="other tensors"):
        wl.load_workloads([{"label": "wide", "shapes": [], "reference_code": other_tensors}], shown, [8], 0, "cpu")


def test_a_workload_s_roofline_floor_counts_the_flops_its_family_makes_clear(monkeypatch):
    """judge_row gives each workload the FLOPs `estimate_flops` finds for its shapes (a matmul: 2*M*N*K), so
    its roofline floor is not bytes only; load_workloads keeps them with the workload's problem."""
    from filters.verifier import judge

    seen = {}
    monkeypatch.setattr(judge, "verify", lambda *args, **kwargs: seen.update(kwargs) or "verdict")
    row = {"reference_code": "ref", "code": "cand", "dtype": "float32", "atol": 1e-4, "rtol": 1e-4,
           "family": "matmul", "shapes": [[64, 32], [32, 16]],
           "workloads": [{"label": "m=128", "shapes": [[128, 32], [32, 16]], "reference_code": "ref2"}]}
    assert judge.judge_row(row, options=VerifyOptions(device="cpu")) == "verdict"
    assert seen["flops"] == 2.0 * 64 * 32 * 16
    assert seen["workloads"][0]["flops"] == 2.0 * 128 * 32 * 16 and seen["workloads"][0]["label"] == "m=128"
    shown = _shown(LINEAR.replace("ROWS", "4"))
    loaded = wl.load_workloads([{"label": "rows=16", "shapes": [[16, 8]], "flops": 2048.0,
                                 "reference_code": LINEAR.replace("ROWS", "16")}], shown, [8], 0, "cpu")
    assert loaded[0].problem.flops == 2048.0


def _timed_checks(monkeypatch, speedups: list[float], min_speedup: float):
    """A MultiWorkloadChecks whose timing answers `speedups` (the shown workload first)."""
    def fake_timed_verdict(worker, inputs, *, workload=0, **_):
        return Verdict.accept("matches the reference; timed.", speedup_vs_eager=speedups[workload], runtime_ms=1.0)

    monkeypatch.setattr(wl, "timed_verdict", fake_timed_verdict)
    checks = wl.MultiWorkloadChecks.__new__(wl.MultiWorkloadChecks)
    checks.worker, checks.runtime = None, None
    checks.options = VerifyOptions(device="cuda", min_speedup=min_speedup)
    checks.problem = SimpleNamespace(code="shown", dtype="float32", flops=None)
    checks.worst_abs = checks.worst_rel = 0.0
    checks.workloads = [wl.LoadedWorkload(f"batch={8 * i}", (), SimpleNamespace(code=f"w{i}", flops=None), inputs=[])
                        for i in range(1, len(speedups))]
    return checks


def test_speed_is_recorded_per_workload_and_the_geometric_mean_is_judged(monkeypatch):
    verdict = _timed_checks(monkeypatch, [0.5, 4.0], min_speedup=1.0).timed([], "2 unseen inputs")
    assert verdict.status is Status.ACCEPTED
    assert verdict.workload_speedups == (0.5, 4.0) and verdict.speedup_geomean == pytest.approx(math.sqrt(2))
    assert verdict.speedup_vs_eager == 0.5  # the shown workload's, as for a single-workload spec
    assert "batch=8: 4.00x" in verdict.reason and verdict.to_json()["workload_speedups"] == [0.5, 4.0]

    slow = _timed_checks(monkeypatch, [2.0, 0.25, 1.0], min_speedup=1.0).timed([], "2 unseen inputs")
    assert slow.status is Status.REJECTED and slow.reason_code is Reason.TOO_SLOW
    assert slow.workload_speedups == (2.0, 0.25, 1.0) and slow.speedup_geomean == pytest.approx(0.5 ** (1 / 3))
    assert "geometric mean" in slow.reason
