"""What a run shows while it works, and its summary at the end.

`RunProgress` counts, from any thread, what this session of the run did: specs finished (each as it stops
refining, or as its last possible candidate is judged), the teacher's first
answers and refinements (answers from its cache, completion tokens the model wrote), candidates sent to the
verifier and judged (by status and reason), the verifier's busy time (each judged row's `verify_seconds`, timed by its worker). On a
terminal it draws a live rich display on stderr, one bar per stage with its ETA (specs; the teacher's first
answers; verification, whose total is the run's candidates when known beforehand) and a line of rates: candidates per
second, teacher tokens per second, the verifier's busy fraction (GPU busy, on GPUs: busy seconds over wall
seconds times workers), verdicts and the commonest reasons, teacher errors as they come back (answers lost
to failed requests, by kind), faults; tokens per second and cache hits only for a model teacher, and each
bar's elapsed time. Every `log_every_s` it writes the same
as one log line (the run's log file), display or not. `summary_table()` is the end-of-run table and
`snapshot()` its numbers for the manifest.

Rates count this session only (a resumed run's earlier sessions are in its manifest's counts, not here); the
verify bar and the line also show how many candidates earlier sessions judged (`checkpointed`).

The run's ETA is on the specs bar, from a total that does not move: the run's work, in specs, where a finished
spec counts whole and a running one by its judged candidates over the most it can have (`candidates_per_spec`).
The work left is divided by the rate of the work done since the session's first verdict, so neither the
start-up (Ray, workers importing torch) nor a resume's replayed specs skew it. The bar fills with the work
done; its count is of finished specs (with refinement most specs finish in their last round). Where
refinement can stop specs early (a target speedup, an accepted kernel) the ETA is an upper bound. (Rich's own
estimate, from the bar's recent speed, cannot work here: specs finish in bursts at round ends.)
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

log = logging.getLogger(__name__)

_TOP_REASONS = 6


class RunProgress:
    def __init__(self, *, num_specs: int, workers: int, gpu: bool, display: bool,
                 faults: Callable[[], dict[str, int]] = dict, log_every_s: float = 30.0,
                 model_teacher: bool = True, candidates: int | None = None,
                 candidates_per_spec: int | None = None) -> None:
        self.num_specs = num_specs
        # The most candidates one spec can have (its first answers, and its refinement budget): a spec with
        # that many judged is finished, and the ETA weighs a running spec's judged candidates against it. None:
        # specs count only once finished, and the ETA comes from finished specs alone.
        self.candidates_per_spec = candidates_per_spec
        # The candidates the whole run judges, when known before it starts (one pass: specs x answers per spec);
        # the verify bar's total, so its ETA does not move. None (refinement: how many rounds each spec takes is
        # not known): the bar shows its count and no ETA, instead of an ETA from a total that keeps growing.
        self.candidates = candidates
        # Tokens per second and cache hits mean something for a model teacher only (the builtin and inductor
        # teachers write no tokens and have no cache): shown for one only.
        self.model_teacher = model_teacher
        self.workers = workers
        self.gpu = gpu
        self.display = display
        self._faults = faults
        self._log_every_s = log_every_s
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._logged = self._started
        # When the session's first verdict came, and the work done then (specs_worked): the ETA's rate is of the
        # work since.
        self._first_verdict: tuple[float, float] | None = None
        self.finished: set[str] = set()  # spec ids
        self._judged_per_spec: Counter = Counter()  # judged candidates of specs not finished yet
        self.first_answered = 0  # specs whose first answers came back
        self.answers = Counter()  # first / refined
        self.teacher = Counter()  # cache_hits, cache_misses, completion_tokens
        self.teacher_errors: Counter = Counter()  # answers lost to failed teacher calls, by kind (connection...)
        self.asked = 0  # candidates sent to the verifier
        self.judged = 0
        self.checkpointed = 0  # candidates judged by earlier sessions of a resumed run (shown, not in the rates)
        self.by_status: Counter = Counter()
        self.by_reason: Counter = Counter()
        self.busy_s = 0.0
        self._live = None

    # -- events, from any thread -------------------------------------------------------------------------

    def teacher_answered(self, stats: dict, rows: list[dict]) -> None:
        with self._lock:
            self.teacher.update({k: v for k, v in stats.items() if not k.startswith("fault:")})
            first = {row["spec_id"] for row in rows if row["turn"] == 0}
            self.first_answered += len(first)
            self.answers["first"] += sum(row["turn"] == 0 for row in rows)
            self.answers["refined"] += sum(row["turn"] > 0 for row in rows)
            self.teacher_errors.update(error for error in map(_teacher_error, rows) if error)
        self._refresh()

    def sent_to_verify(self, count: int) -> None:
        with self._lock:
            self.asked += count
        self._refresh()

    def verified(self, rows: list[dict]) -> None:
        with self._lock:
            self.judged += len(rows)
            self.by_status.update(row["status"] for row in rows)
            self.by_reason.update(row["reason_code"] for row in rows)
            self.busy_s += sum(row.get("verify_seconds") or 0.0 for row in rows)
            for row in rows:
                if row["spec_id"] not in self.finished:
                    self._judged_per_spec[row["spec_id"]] += 1
                    if self.candidates_per_spec and self._judged_per_spec[row["spec_id"]] >= self.candidates_per_spec:
                        self._finish(row["spec_id"])  # no candidate can follow: done before its loop says so
        if self._first_verdict is None and rows:
            self._first_verdict = (time.monotonic(), self.specs_worked())
        self._refresh()

    def spec_finished(self, spec_id: str) -> None:
        """A spec's refinement stopped (counted once, however often it is reported)."""
        with self._lock:
            self._finish(spec_id)
        self._refresh()

    def _finish(self, spec_id: str) -> None:
        """Called holding the lock."""
        self.finished.add(spec_id)
        self._judged_per_spec.pop(spec_id, None)

    @property
    def specs_done(self) -> int:
        return len(self.finished)

    def specs_worked(self) -> float:
        """The work done, in specs: each finished spec whole, each running one by its judged candidates over
        the most it can have (the specs bar's fill and the ETA's measure)."""
        with self._lock:
            done = float(len(self.finished))
            if self.candidates_per_spec:
                done += sum(min(count, self.candidates_per_spec) for count in self._judged_per_spec.values()) \
                    / self.candidates_per_spec
        return min(done, float(self.num_specs))

    def eta_s(self) -> float | None:
        """Seconds left for the run's specs at the rate of the work since the first verdict (see the module
        docstring); None until there is such a rate."""
        worked = self.specs_worked()
        if worked >= self.num_specs:
            return 0.0
        if self._first_verdict is None:
            return None
        since, worked_then = self._first_verdict
        if worked <= worked_then:
            return None
        return (time.monotonic() - since) * (self.num_specs - worked) / (worked - worked_then)

    # -- display -------------------------------------------------------------------------------------------

    def __enter__(self) -> RunProgress:
        if self.display:
            from rich.console import Console, Group
            from rich.live import Live
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bars = Progress(TextColumn("{task.description:<8}"), BarColumn(), _count_column(),
                                  TimeElapsedColumn(), _remaining_column(), TextColumn("{task.fields[info]}"))
            self._tasks = {name: self._bars.add_task(name, total=None, info="")
                           for name in ("specs", "teacher", "verify")}
            self._live = Live(Group(self._bars, _Line(self)), console=Console(stderr=True), refresh_per_second=2,
                              transient=False)
            self._live.__enter__()
            self._refresh()
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._refresh()
            self._live.__exit__(*exc)
            self._live = None

    def tick(self) -> None:
        """Called by the driver about once a second: the periodic log line."""
        now = time.monotonic()
        if now - self._logged >= self._log_every_s:
            self._logged = now
            log.info("progress: %s", self.line())

    def _refresh(self) -> None:
        if self._live is None:
            return
        numbers = self.snapshot()
        eta_s, worked = self.eta_s(), self.specs_worked()
        with self._lock:
            # The bar fills with the work done; its count is of finished specs.
            self._bars.update(self._tasks["specs"], total=self.num_specs, completed=worked, info="",
                              finished=len(self.finished), eta_s=eta_s)
            self._bars.update(self._tasks["teacher"], total=self.num_specs, completed=self.first_answered,
                              info=f"{self.answers['refined']} refinements" + self._model_text(numbers, ", ")
                                   + self._errors_text("; "))
            done = self.judged + self.checkpointed
            self._bars.update(self._tasks["verify"], total=max(self.candidates, done) if self.candidates else None,
                              completed=done,
                              info=f"{numbers['candidates_per_s']:.2f}/s, {self._busy_name()} "
                                   f"{numbers['verifier_busy']:.0%}")

    # -- numbers -------------------------------------------------------------------------------------------

    def snapshot(self) -> dict:
        """This session's rates (for the manifest's `throughput`)."""
        with self._lock:
            wall_s = max(1e-9, time.monotonic() - self._started)
            return {
                "wall_s": round(wall_s, 1),
                "candidates_judged": self.judged,
                "candidates_per_s": round(self.judged / wall_s, 3),
                "teacher_tokens_per_s": round(self.teacher["completion_tokens"] / wall_s, 1),
                "verifier_busy": round(min(1.0, self.busy_s / (wall_s * max(1, self.workers))), 3),
                "verifier_busy_s": round(self.busy_s, 1),
                "verifier_device": "gpu" if self.gpu else "cpu",
            }

    def line(self) -> str:
        """One line: stages, rates, verdicts, the commonest reasons, faults."""
        numbers = self.snapshot()
        eta_s = self.eta_s()
        with self._lock:
            verdicts = ", ".join(f"{count} {status}" for status, count in sorted(self.by_status.items())) or "none yet"
            reasons = ", ".join(f"{reason} {count}" for reason, count in self.by_reason.most_common(_TOP_REASONS))
            left = f" ({_clock(eta_s)} left)" if eta_s is not None and self.specs_done < self.num_specs else ""
            text = (f"specs {self.specs_done}/{self.num_specs}{left}; first answers {self.first_answered}/{self.num_specs}, "
                    f"{self.answers['refined']} refinements; judged {self.judged}/{max(self.asked, self.judged)} "
                    + (f"(+{self.checkpointed} checkpointed before) " if self.checkpointed else "") +
                    f"({numbers['candidates_per_s']:.2f}/s); {verdicts}{self._errors_text('; ')}")
        faults = self._faults()
        return (text + (f"; reasons: {reasons}" if reasons else "")
                + (f"; teacher {numbers['teacher_tokens_per_s']:.0f} tok/s" if self.model_teacher else "")
                + f"; {self._busy_name()} "
                  f"{numbers['verifier_busy']:.0%}"
                + (f"; faults: {', '.join(f'{k} {v}' for k, v in faults.items())}" if faults else ""))

    def summary_table(self):
        """The end-of-run table (a rich Table)."""
        from rich.table import Table

        numbers = self.snapshot()
        table = Table(title=f"this session: {numbers['wall_s']:.0f} s", title_justify="left")
        table.add_column("stage")
        table.add_column("done", justify="right")
        table.add_column("rate", justify="right")
        table.add_column("details")
        with self._lock:
            table.add_row("specs", f"{self.specs_done}/{self.num_specs}", "", "")
            cached = self.teacher["cache_hits"] + self.teacher["cache_misses"]
            table.add_row("teacher", str(self.answers["first"] + self.answers["refined"]),
                          f"{numbers['teacher_tokens_per_s']:.0f} tok/s" if self.model_teacher else "",
                          f"{self.answers['first']} first answers, {self.answers['refined']} refinements"
                          + self._errors_text("; ")
                          + (f"; cache: {self.teacher['cache_hits']} hits, {self.teacher['cache_misses']} asked"
                             if cached else ""))
            table.add_row("verify", str(self.judged), f"{numbers['candidates_per_s']:.2f}/s",
                          f"{self._busy_name()} {numbers['verifier_busy']:.0%} over {self.workers} workers")
            for status, count in sorted(self.by_status.items()):
                table.add_row(f"  {status}", str(count), "", "")
            for reason, count in self.by_reason.most_common(_TOP_REASONS):
                table.add_row(f"    {reason}", str(count), "", "")
        for kind, count in self._faults().items():
            table.add_row(f"fault {kind}", str(count), "", "")
        return table

    def _model_text(self, numbers: dict, prefix: str) -> str:
        """A model teacher's tokens per second and cache hits, or nothing for another teacher."""
        if not self.model_teacher:
            return ""
        return f"{prefix}{numbers['teacher_tokens_per_s']:.0f} tok/s, {self.teacher['cache_hits']} cached"

    def _errors_text(self, prefix: str) -> str:
        """ "N teacher errors (connection N, ...)", or nothing; called holding the lock."""
        if not self.teacher_errors:
            return ""
        kinds = ", ".join(f"{kind} {count}" for kind, count in self.teacher_errors.most_common(3))
        return f"{prefix}{sum(self.teacher_errors.values())} teacher errors ({kinds})"

    def _busy_name(self) -> str:
        return "GPU busy" if self.gpu else "verifier busy"


def _teacher_error(row: dict) -> str | None:
    """The failure kind of a row whose teacher call failed (`teacher_meta.error`), else None."""
    try:
        meta = json.loads(row.get("teacher_meta") or "{}")
    except ValueError:
        return None
    return meta.get("error") if isinstance(meta, dict) else None


def _clock(seconds: float) -> str:
    """H:MM:SS, as rich shows times."""
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{seconds:02d}"


def _count_column():
    from rich.progress import MofNCompleteColumn
    from rich.text import Text

    class Count(MofNCompleteColumn):
        """Rich's "done/total", but for a bar that counts something other than its fill (`finished`, the specs
        bar's: it fills with the work done and counts finished specs)."""

        def render(self, task):
            if "finished" not in task.fields:
                return super().render(task)
            total = str(int(task.total)) if task.total is not None else "?"
            return Text(f"{task.fields['finished']:>{len(total)}}/{total}", style="progress.download")

    return Count()


def _remaining_column():
    from rich.progress import TimeRemainingColumn
    from rich.text import Text

    class Remaining(TimeRemainingColumn):
        """Rich's time left, but for a bar that brings its own estimate (`eta_s`, the specs bar's)."""

        def render(self, task):
            if "eta_s" not in task.fields or task.finished:
                return super().render(task)
            eta_s = task.fields["eta_s"]
            return Text("-:--:--" if eta_s is None else _clock(eta_s), style="progress.remaining")

    return Remaining()


class _Line:
    """The live display's line under the bars, rendered afresh at each refresh."""

    def __init__(self, progress: RunProgress) -> None:
        self.progress = progress

    def __rich__(self):
        from rich.text import Text

        return Text(self.progress.line())  # plain text: reasons are not rich markup
