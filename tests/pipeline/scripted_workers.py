"""Stand-ins for the pipeline workers' stages, in a module of their own so that Ray's workers can import them
(`tests.pipeline.scripted_workers`): each candidate's code, or a marker file, says what they do."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from generators.specs import OPS, problem_from_op, render as render_problem
from generators.teachers.base import candidate_row
from kerneldata.core.outcomes import Verdict
from kerneldata.core.schema import RAW_SCHEMA, table_from_rows
from kerneldata.workers import TeacherWorker

MARKERS = "KD_TEST_MARKERS"  # a directory the workers and the test share, through Ray's runtime env


def spec() -> dict:
    return render_problem(problem_from_op(OPS["relu"], {"rows": 4, "cols": 8}, "float32", {}), "test").to_row()


def candidate(action: str, index: int = 0) -> dict:
    """A candidate row whose code is the stand-in stage's instruction."""
    return candidate_row(spec(), teacher="test", model="test", prompt_version="p", prompt=[], completion="",
                         code=action, extracted=True, seed=0, sample_index=index, meta={})


class ScriptedStage:
    """Stands in for VerifyStage. Code `ok`: accepted. `die`: the worker process exits. `hang`: sleeps for
    good. `raise`: an exception. `slow NAME`: writes its pid to MARKERS/NAME.pid, sleeps 3 s, then accepts.
    `overlap`: sleeps 1 s and accepts with the reason "N calls running." (N: this worker's calls running
    when it started, itself included)."""

    _running = 0
    _lock = threading.Lock()

    def __init__(self, *, config, draw_key=None) -> None:
        self.markers = Path(os.environ.get(MARKERS, "."))

    def __call__(self, table):
        rows = table.to_pylist()
        for row in rows:
            action, _, name = row["code"].partition(" ")
            if action == "overlap":
                row.update(Verdict.accept(f"{self._overlap()} calls running.", device="cpu").to_row())
                continue
            if action == "die":
                os._exit(9)
            if action == "hang":
                time.sleep(3600)
            if action == "raise":
                raise RuntimeError("the stage broke")
            if action == "slow":
                (self.markers / f"{name}.pid").write_text(str(os.getpid()))
                time.sleep(3)
            row.update(Verdict.accept("fine.", device="cpu", verify_seconds=0.5).to_row())
        return table_from_rows(rows, RAW_SCHEMA)

    @classmethod
    def _overlap(cls) -> int:
        with cls._lock:
            cls._running += 1
            running = cls._running
        time.sleep(1.0)
        with cls._lock:
            cls._running -= 1
        return running


class DiesOnce(TeacherWorker):
    """The builtin teacher in a worker that exits on its first call (a marker file remembers it did)."""

    def generate_batch(self, spec_rows):
        marker = Path(os.environ[MARKERS]) / "teacher-died"
        if not marker.exists():
            marker.write_text("")
            os._exit(9)
        return super().generate_batch(spec_rows)


class AlwaysDies(TeacherWorker):
    def generate_batch(self, spec_rows):
        os._exit(9)


class WithoutGPU(TeacherWorker):
    """The real teacher worker on a node whose torch sees no GPU (Ray gave it a share of one all the same)."""

    def __init__(self, *args, **kwargs) -> None:
        import torch

        torch.cuda.is_available = lambda: False
        super().__init__(*args, **kwargs)
