"""What a run's raw split must be, computed in-process: the first answers its teacher writes, and the rows
of the refinement loop replayed on the run's own verdicts (an uninterrupted run with those verdicts)."""

from __future__ import annotations

from pathlib import Path

from generators.refine import RefineLoop
from generators.specs import SpecSampler
from generators.specs.degenerate import sample_checked
from generators.teachers import make_teacher
from kerneldata.core.config import load_config
from kerneldata.core.schema import CANDIDATE_SCHEMA, table_from_rows

ROOT = Path(__file__).resolve().parents[2]


def specs_and_teacher(*overrides: str):
    config = load_config(ROOT / "configs/quickstart.yaml", list(overrides))
    specs, _ = sample_checked(SpecSampler(config.specs, config.run.seed), config.specs.num_specs,
                              seed=config.run.seed)
    return config, [spec.to_row() for spec in specs], make_teacher(config.teacher, config.run.seed)


def expected_candidate_ids(*overrides: str) -> set[str]:
    """The first answers (turn 0) the run's teacher writes."""
    _, specs, teacher = specs_and_teacher(*overrides)
    return {row["candidate_id"] for spec in specs for row in teacher.generate(spec)}


def candidate_columns(rows: list[dict]) -> list[dict]:
    return table_from_rows(rows, CANDIDATE_SCHEMA).to_pylist()


def assert_raw_is_the_loop_replayed_on_its_own_verdicts(raw: list[dict], *overrides: str) -> None:
    """Run the refinement loop in-process with the run's config, the verifier replaced by the verdicts in
    `raw`: every candidate the loop writes must be in raw, byte for byte, and raw must hold nothing else.
    So the run (resumed or not) holds exactly the rows an uninterrupted run with these verdicts makes."""
    config, specs, teacher = specs_and_teacher(*overrides)
    by_id = {row["candidate_id"]: row for row in raw}

    def recorded(rows: list[dict]) -> list[dict]:
        missing = [row["candidate_id"] for row in rows if row["candidate_id"] not in by_id]
        assert not missing, f"the loop writes candidates the run lacks: {missing}"
        assert candidate_columns(rows) == candidate_columns([by_id[row["candidate_id"]] for row in rows])
        return [by_id[row["candidate_id"]] for row in rows]

    replayed = RefineLoop(teacher, recorded, config.refine).run(specs).rows
    assert sorted(row["candidate_id"] for row in replayed) == sorted(by_id)
