"""Stand-ins for the pipeline workers' stages, in a module of their own so that Ray's workers can import them
(`tests.pipeline.scripted_workers`): each candidate's code, or a marker file, says what they do."""

from __future__ import annotations

import os
import time
from pathlib import Path

from kerneldata.core.outcomes import Verdict
from kerneldata.core.schema import RAW_SCHEMA, table_from_rows
from kerneldata.workers import TeacherWorker

MARKERS = "KD_TEST_MARKERS"  # a directory the workers and the test share, through Ray's runtime env


class ScriptedStage:
    """Stands in for VerifyStage. Code `ok`: accepted. `die`: the worker process exits. `hang`: sleeps for
    good. `raise`: an exception. `slow NAME`: writes its pid to MARKERS/NAME.pid, sleeps 3 s, then accepts."""

    def __init__(self, *, config) -> None:
        self.markers = Path(os.environ[MARKERS])

    def __call__(self, table):
        rows = table.to_pylist()
        for row in rows:
            action, _, name = row["code"].partition(" ")
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
