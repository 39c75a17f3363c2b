"""The multi-turn refinement loop, in the spirit of AlphaEvolve and KernelEvolve: a population of the best
candidates of each spec is shown the verifier's feedback, and the teacher's answers join the population.

For a batch of specs, `RefineLoop.run`:
- turn 0: `teacher.generate_batch(spec_rows)`, then the injected `verify(rows) -> rows with verdicts`;
- then up to `max_turns` rounds. In each, every spec still running keeps its best `keep_k` candidates so
  far (`rank`), writes feedback on each (`feedback`, from the versioned template
  `prompt_templates/feedback-v2.md`) and asks for `children_per_parent` answers to it, best parents first
  while the spec's `max_candidates_per_spec` allows. All specs' requests of a round go to the teacher in one
  `refine_batch` call (an endpoint teacher sends them concurrently), and their answers to `verify` in one call.
- A spec stops when an accepted kernel reaches `target_speedup` over PyTorch eager; where speed is not
  measured (the CPU interpreter), when it has an accepted kernel and `stop_on_accept` is set; when its
  candidate budget is spent; when the teacher answers none of its requests (a spec it declines); or after
  `max_turns` rounds. `RefineResult.stopped` says which, per spec (the `STOP_*` names); `run(on_stopped=...)`
  is told as each spec stops (the live display's specs bar).

Every candidate of every round is a row (its conversation in `prompt`, its candidate, its verdict) and all of
them are returned; refined rows name the feedback template in `teacher_meta.feedback_version`. A row's
`turn` is the depth of its conversation (its parent's turn plus one), not the round that asked for it: a
turn-0 candidate still in the population in round 2 gets turn-1 children.

Resuming: `run(..., judged=rows)` takes rows judged before (a crashed run's checkpoints, by candidate id).
The loop runs again from turn 0; a candidate the teacher writes again is not verified again, its recorded
row (verdict included) is used, so the feedback, the population and the next requests are those of the
first run. With a deterministic teacher (the builtin one) a resumed run yields exactly the rows of an
uninterrupted one; a sampled model answers differently, so its earlier rows stay recorded and the loop
continues from its new answers.

What this does not do: verify (the caller's `verify`, so that generators/ need not import filters/), write
files, or run anything concurrently itself.
"""

from __future__ import annotations

import functools
import json
import math
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from generators.prompts import read_sections, template_path
from generators.teachers.base import RefineRequest
from kerneldata.core.config import RefineConfig
from kerneldata.core.outcomes import Check, Reason, Status
from kerneldata.core.spec import RELATIVE_NORM_TOL
from kerneldata.core.scrub import REASON_CHARS, scrub

FEEDBACK_VERSION = "feedback-v2"
# A traceback in feedback keeps its last lines, at most this many, and at most this many characters.
TRACEBACK_LINES = 12
TRACEBACK_CHARS = 1500

# Why a spec stopped (RefineResult.stopped).
STOP_TARGET = "target_speedup"
STOP_ACCEPTED = "accepted"
STOP_BUDGET = "max_candidates"
STOP_NO_ANSWER = "no_answer"
STOP_TURNS = "max_turns"

# How far a candidate that was not accepted got through the verifier, worst first. Checks that catch
# cheating (anticheat, hidden work seen by the timer, a quarantined speedup) rank with the sandbox's
# refusals, below honest failures: refining a cheat would breed cheats.
_PROGRESS = {
    Check.EXTRACT: 0, Check.SANDBOX: 1, Check.ANTICHEAT: 1, Check.TIMING: 1, Check.STATIC: 2,
    Check.COMPILE: 3, Check.RUNTIME: 4, Check.CORRECTNESS: 5, Check.SPEEDUP: 6,
}
_SUSPECT_REASONS = {Reason.IMPLAUSIBLE_SPEEDUP.value}

Verify = Callable[[list[dict]], list[dict]]


@dataclass(frozen=True)
class RefineResult:
    rows: list[dict]  # every judged row of the batch, by turn, then spec order, then the order written
    stopped: dict[str, str]  # spec_id -> why its refinement stopped (a STOP_* name)


@dataclass
class _Spec:
    spec_row: dict
    rows: list[dict] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    stopped: str | None = None


class RefineLoop:
    """Refines batches of specs with `teacher` (a `teachers.base.Teacher` with `refine_batch`), judging
    every candidate with `verify`, which takes candidate rows and returns the same rows (any order) with the
    verdict columns of RAW_SCHEMA."""

    def __init__(self, teacher, verify: Verify, config: RefineConfig) -> None:
        self.teacher = teacher
        self.verify = verify
        self.config = config

    def run(self, spec_rows: Sequence[dict], *, judged: Mapping[str, dict] | None = None,
            on_stopped: Callable[[str, str], None] | None = None) -> RefineResult:
        """`on_stopped(spec_id, why)`, if given, is called once per spec as soon as its refinement stops (a spec
        that reaches its target in round 1 is reported then, not when the batch's last spec stops)."""
        judged = judged or {}
        specs = {row["spec_id"]: _Spec(row) for row in spec_rows}

        def stop(spec_id: str, why: str | None) -> None:
            spec = specs[spec_id]
            if spec.stopped is None and why is not None:
                spec.stopped = why
                if on_stopped is not None:
                    on_stopped(spec_id, why)

        first = self._checked(self.teacher.generate_batch(list(spec_rows)), asked=set(specs))
        self._add(specs, self._judge(first, judged))
        for _ in range(self.config.max_turns):
            requests = []
            for spec_id, spec in specs.items():
                stop(spec_id, self._stop_reason(spec))
                if spec.stopped is None:
                    requests += self._requests(spec)
            if not requests:
                break
            asked = {request.spec_row["spec_id"] for request in requests}
            answers = self._checked(self.teacher.refine_batch(requests), asked=asked)
            answers = [_with_feedback_version(row) for row in answers]
            for spec_id in asked - self._add(specs, self._judge(answers, judged)):
                stop(spec_id, STOP_NO_ANSWER)
        for spec_id, spec in specs.items():
            stop(spec_id, self._stop_reason(spec) or STOP_TURNS)
        return RefineResult(rows=_arrival_order(specs), stopped={i: s.stopped for i, s in specs.items()})

    # -- one round --------------------------------------------------------------------------------------

    def _stop_reason(self, spec: _Spec) -> str | None:
        accepted = [row for row in spec.rows if row["status"] == Status.ACCEPTED.value]
        speedups = [s for s in (_measured(row["speedup_vs_eager"]) for row in accepted) if s is not None]
        if speedups and max(speedups) >= self.config.target_speedup:
            return STOP_TARGET
        if self.config.stop_on_accept and any(_measured(row["speedup_vs_eager"]) is None for row in accepted):
            return STOP_ACCEPTED
        cap = self.config.max_candidates_per_spec
        if cap is not None and len(spec.rows) >= cap:
            return STOP_BUDGET
        return None

    def _requests(self, spec: _Spec) -> list[RefineRequest]:
        """Best parents first, `children_per_parent` answers each, while the spec's budget lasts."""
        cap = self.config.max_candidates_per_spec
        left = cap - len(spec.rows) if cap is not None else math.inf
        tried = tuple(dict.fromkeys(row["code"] for row in spec.rows if row["code"]))
        requests = []
        for parent in rank(spec.rows)[: self.config.keep_k]:
            count = int(min(self.config.children_per_parent, left))
            if count < 1:
                break
            left -= count
            message = feedback(parent, target_speedup=self.config.target_speedup)
            requests.append(RefineRequest(spec.spec_row, parent, message, num_samples=count, tried=tried))
        return requests

    def _judge(self, rows: list[dict], judged: Mapping[str, dict]) -> list[dict]:
        """`rows` with verdicts: recorded ones from `judged`, the others from one `verify` call. A candidate
        id seen twice in `rows` (the same answer twice) is judged once and kept once."""
        unique, seen = [], set()
        for row in rows:
            if row["candidate_id"] not in seen:
                seen.add(row["candidate_id"])
                unique.append(row)
        fresh = [row for row in unique if row["candidate_id"] not in judged]
        verdicts = {row["candidate_id"]: row for row in self.verify(fresh)} if fresh else {}
        missing = {row["candidate_id"] for row in fresh} - set(verdicts)
        if missing:
            raise RuntimeError(f"verify returned no verdict for {len(missing)} of {len(fresh)} candidates")
        return [judged.get(row["candidate_id"]) or verdicts[row["candidate_id"]] for row in unique]

    def _checked(self, rows: list[dict], *, asked: set[str]) -> list[dict]:
        """The teacher's rows, refused before anything is verified when one answers a spec it was not asked
        (a teacher's bug)."""
        for row in rows:
            if row["spec_id"] not in asked:
                raise RuntimeError(f"the {self.teacher.name} teacher answered for spec {row['spec_id']!r}, "
                                 f"which it was not asked")
        return rows

    @staticmethod
    def _add(specs: dict[str, _Spec], rows: list[dict]) -> set[str]:
        """Add judged rows to their specs (a row a spec already holds is skipped); return the specs that
        got a new row."""
        added = set()
        for row in rows:
            spec_id = row["spec_id"]
            spec = specs[spec_id]
            if row["candidate_id"] not in spec.ids:
                spec.ids.add(row["candidate_id"])
                spec.rows.append(row)
                added.add(spec_id)
        return added


def _arrival_order(specs: dict[str, _Spec]) -> list[dict]:
    """All rows: by turn, then spec order, then the order the teacher wrote them."""
    rows = [(row["turn"], index, position, row) for index, spec in enumerate(specs.values())
            for position, row in enumerate(spec.rows)]
    return [row for *_, row in sorted(rows, key=lambda item: item[:3])]


def _with_feedback_version(row: dict) -> dict:
    meta = json.loads(row["teacher_meta"])
    return {**row, "teacher_meta": json.dumps({**meta, "feedback_version": FEEDBACK_VERSION}, sort_keys=True)}


# -- ranking -----------------------------------------------------------------------------------------------


def rank(rows: Sequence[dict]) -> list[dict]:
    """Best first: accepted candidates by measured speedup over eager (fastest first; unmeasured ones, as on
    CPU, after measured ones), then the others by how far they got through the verifier (see _PROGRESS).
    Ties by candidate_id.

    Measured errors do not rank: the verifier draws fresh inputs it cannot let anyone predict each time it
    judges, so the errors of two runs (or of a run and its resume) differ, and a choice made on them would
    pick other parents, hence other candidates, from the same config and seed. Ids derive from content."""
    return sorted(rows, key=_rank_key)


def _rank_key(row: dict) -> tuple:
    if row["status"] == Status.ACCEPTED.value:
        speedup = _measured(row["speedup_vs_eager"])
        return (0, speedup is None, -(speedup or 0.0), row["candidate_id"])
    progress = 1 if row["reason_code"] in _SUSPECT_REASONS else _PROGRESS.get(Check(row["stage"]), 0)
    return (1, 0, -float(progress), row["candidate_id"])


def _measured(speedup: float | None) -> float | None:
    return speedup if speedup is not None and math.isfinite(speedup) and speedup > 0 else None


# -- feedback ----------------------------------------------------------------------------------------------

_SECTION = re.compile(r"^=== (.+) ===$")
_REQUIRED_SECTIONS = ("verdict", "error", "accuracy", "timing", "untimed", "faster", "hint: default",
                      "closing_fix", "closing_faster")
_OUTCOMES = {Status.ACCEPTED.value: "accepted", Status.REJECTED.value: "rejected",
             Status.UNVERIFIED.value: "could not judge"}


@functools.cache
def load_feedback_template(version: str = FEEDBACK_VERSION) -> dict[str, string.Template]:
    """The sections of a feedback template file, by name. Text before the first `=== name ===` line (a
    comment describing the file) is ignored; a missing section is an error here, not at a teacher's turn."""
    path = template_path(version, "feedback", "feedback")
    sections = read_sections(path, lambda line: marker[1] if (marker := _SECTION.match(line)) else None)
    missing = [name for name in _REQUIRED_SECTIONS if name not in sections]
    if missing:
        raise ValueError(f"feedback template {path} lacks the {missing[0]!r} section")
    return {name: string.Template("\n".join(lines).strip()) for name, lines in sections.items()}


def feedback(row: dict, *, target_speedup: float, version: str = FEEDBACK_VERSION) -> str:
    """The user message answering a judged candidate (a raw row): the verdict and its reason, the error's
    last traceback lines, how wrong the output was against the tolerances, timings and speedups where
    measured, and what to try next."""
    sections = load_feedback_template(version)
    accepted = row["status"] == Status.ACCEPTED.value
    values = {
        "outcome": _OUTCOMES[row["status"]], "stage": row["stage"], "reason_code": row["reason_code"],
        # Scrubbed again here (verdicts are scrubbed when made): rows of an older checkpoint go to a third-party API.
        "reason": scrub(row["reason"], limit=REASON_CHARS), "hardware": row["hardware"] or row["device"], "dtype": row["dtype"],
        "atol": f"{row['atol']:g}", "rtol": f"{row['rtol']:g}",
        "rel_tol": f"{RELATIVE_NORM_TOL.get(row['dtype'], math.nan):g}",
        "max_abs_err": _number(row["max_abs_err"]), "max_rel_err": _number(row["max_rel_err"]),
        "target_speedup": f"{target_speedup:g}",
    }
    parts = ["verdict"]
    detail = row.get("error_detail")
    if detail:
        values["error"] = scrub(trim_traceback(detail))
        parts.append("error")
    if row["max_abs_err"] is not None or row["max_rel_err"] is not None:
        parts.append("accuracy")
    runtime_ms = _measured(row["runtime_ms"])
    if runtime_ms is not None or _measured(row["speedup_vs_eager"]) is not None:
        values["runtime"] = f"{runtime_ms:.4g} ms" if runtime_ms is not None else "runtime not recorded"
        values["speedups"] = _speedups(row)
        parts.append("timing")
    elif accepted or row["reason_code"] in (Reason.TOO_SLOW.value, Reason.INTERPRETER_LIMIT.value):
        parts.append("untimed")
    if accepted:
        # Speed is asked for only where it was measured (feedback-v1 asked for it everywhere).
        untimed = "timing" not in parts and "another" in sections
        parts += ["another", "closing_another"] if untimed else ["faster", "closing_faster"]
    else:
        hint = f"hint: {row['reason_code']}"
        parts += [hint if hint in sections else "hint: default", "closing_fix"]
    return "\n\n".join(sections[name].substitute(values) for name in parts) + "\n"


def trim_traceback(text: str, *, max_lines: int = TRACEBACK_LINES, max_chars: int = TRACEBACK_CHARS) -> str:
    """The last `max_lines` lines of an error, at most `max_chars` characters of them (cut at a line
    start where possible), with a marker where lines were dropped."""
    lines = text.rstrip().splitlines()
    kept = lines[-max_lines:]
    while len(kept) > 1 and sum(len(line) + 1 for line in kept) > max_chars:
        kept = kept[1:]
    if sum(len(line) + 1 for line in kept) > max_chars:
        kept = [kept[0][-max_chars:]]
    dropped = len(lines) - len(kept)
    return "\n".join(([f"... ({dropped} earlier lines left out)"] if dropped else []) + kept)


def _speedups(row: dict) -> str:
    parts = []
    for key, name in (("speedup_vs_eager", "PyTorch eager"), ("speedup_vs_compile", "torch.compile")):
        value = _measured(row[key])
        if value is not None:
            parts.append(f"{value:.3g}x the speed of {name} ({'faster' if value >= 1 else 'slower'})")
    return ", ".join(parts) or "no speedup measured"


def _number(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.3g}"
