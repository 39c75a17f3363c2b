"""The driver checks the config before Ray starts without a GPU of its own: with the inductor teacher (GPU
only) the checks pass on a driver that has none, a bad teacher option still fails there, and the missing GPU
is reported, in one line, by the teacher's worker where the teacher would compile."""

from __future__ import annotations

import pytest
import torch

from kerneldata import pipeline
from kerneldata.core.config import ConfigError, load_config
from kerneldata.workers import TeacherWorker

NO_GPU = "the inductor teacher needs a CUDA or ROCm GPU: torch "


class RayStarts(Exception):
    """Raised where Ray would start: every check on the driver has passed."""


@pytest.fixture
def driver_without_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # whatever this machine has

    def init_ray(config):
        raise RayStarts

    monkeypatch.setattr(pipeline, "_init_ray", init_ray)


def gpu_config(*overrides: str):
    # configs/gpu.yaml: teacher.kind [builtin, inductor], refinement on; two specs, no reference checks (fast).
    return load_config("configs/gpu.yaml", ["specs.num_specs=2", "specs.check_references=false", *overrides])


def test_the_inductor_teacher_passes_the_drivers_checks_without_a_gpu(driver_without_gpu, tmp_path):
    with pytest.raises(RayStarts):
        pipeline.run(gpu_config(), out_dir=tmp_path / "run", progress=False)


@pytest.mark.parametrize(("override", "message"), [
    ("teacher.prompt.version=kernel-v9", "unknown prompt version 'kernel-v9'"),
    ("teacher.prompt.docs_index=no/such/index", "no/such/index"),
])
def test_a_bad_inductor_option_still_fails_on_the_driver(driver_without_gpu, tmp_path, override, message):
    with pytest.raises(ValueError, match=message):
        pipeline.run(gpu_config("teacher.kind=inductor", "refine.max_turns=0", override), out_dir=tmp_path / "run",
                     progress=False)


def test_the_teachers_worker_says_it_has_no_gpu_in_one_line(driver_without_gpu):
    with pytest.raises(ConfigError) as err:
        TeacherWorker(gpu_config().teacher, 0)
    assert str(err.value).startswith(NO_GPU) and "sees none" in str(err.value) and "\n" not in str(err.value)
