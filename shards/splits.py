"""From `raw` (every candidate with its verdict, RAW_SCHEMA) to the training splits.

Pure functions: the same raw rows, in any order, give the same output tables, row for row. Only the
verdict decides what enters a split, and every row teaches an answer to what its prompt shows:

- `sft`: one row per accepted candidate, in TRL's conversational prompt-completion format. A first answer
  (turn 0): `prompt` is the task (system + user). An answer to feedback (turn > 0): `prompt` is the whole
  conversation it answered (the task, each earlier answer as an assistant turn followed by the verifier's
  feedback on it); such a row exists only when that chain can be followed back to turn 0 in raw and no link
  of it overlaps a benchmark (earlier answers are shown, never trained on, so a duplicate among them is
  fine). `completion` is the accepted answer alone; `messages` is prompt + completion with `train_on`, one
  flag per message, true on the accepted answer only. A refinement answer ("the verifier reports ...") is
  therefore never a single-turn answer.
- `rl`: one row per spec with at least one accepted candidate: the task prompt, the reference, the
  tolerances, the best accepted kernel (of any turn) as a known solution, and the teacher's pass rate on its
  first answers (turn 0: refinement does not make a problem look easier than it is), leaving out the
  built-in teacher's deliberately flawed variants (`teacher_meta.flaw`: they measure its flaw rate, not the
  problem).
- `preference`: pairs of answers to one prompt: the same turn, the same prompt bytes, the same kind of
  answer (`answer_kind`), chosen the group's best accepted candidate, rejected a rejected one or an accepted
  one at least 10% slower when both speedups were measured; where speed was not measured, an accepted
  answer that opens as the rejected one does, on the side of its length the split so far lacks, and then
  the closest in length (`_chosen_for`), so that over the split the chosen answer is the longer one about
  as often as the shorter one. No pair sets a first answer against an answer to feedback.

Unverified candidates (the device could not judge them) never enter sft, rl or preference, and do not
count in a pass rate: they are neither good nor bad kernels.

Curation (the columns `filters.dedup` and `filters.decontaminate` fill): a row with a `dedup_reason` (a
copy of a better row) or a `contamination_reason` (it overlaps a benchmark) is not a training example: it
enters neither sft nor either side of a preference pair. A spec whose reference matched a benchmark
(`contamination_reason` not starting with `code_`) has no rl row; otherwise its rl row's known solution is
its best uncontaminated accepted kernel (a duplicate is fine there: rl rows are problems, not examples),
and its pass rate counts every verified first answer but deliberately flawed ones, duplicates and
contaminated ones included: it measures how hard the problem was for the teacher.

`raw` keeps every candidate's full prompt.

What this does not do: deduplicate or decontaminate (separate global steps that run on raw first).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable

import pyarrow as pa

from kerneldata.core.outcomes import Status
from kerneldata.core.schema import PREFERENCE_SCHEMA, RL_SCHEMA, SFT_SCHEMA, table_from_rows

# A speed pair needs the chosen kernel this much faster than the rejected one (chosen > rejected * ratio),
# well above the run-to-run timing noise the verifier allows (DESIGN section 6: 3%).
SLOWER_SPEEDUP_RATIO = 1.10
# At most this many pairs per spec, so a spec with many rejected candidates does not dominate the split.
MAX_PAIRS_PER_SPEC = 4
# Where speed was not measured, a rejected answer's partner opens as it does, unless the split so far has
# more than this many more pairs whose chosen answer is the longer one than pairs where it is the shorter (or
# the reverse): then the side of the length comes before the opening (`_chosen_for`). Over the built-in
# teacher's answers to 300 default specs (bench/preference_balance.py, seeds 0-4), 10 keeps both sides
# opening alike in 85-92% of pairs and the chosen side longer in as many pairs as shorter, give or take 7%.
LENGTH_LEAN_SLACK = 10
# rejected_reason of a pair whose rejected side is an accepted but slower kernel.
SLOWER_REASON = "slower"

_COLUMNS = (
    "spec_id", "candidate_id", "family", "ops", "dtype", "shapes", "reference_code", "atol", "rtol",
    "input_domains", "prompt", "completion", "status", "reason_code", "speedup_vs_eager", "speedup_vs_compile", "runtime_ms",
    "hardware", "dedup_reason", "contamination_reason", "turn", "parent_id", "teacher_meta", "workloads",
)
# Columns of _COLUMNS that hold long texts: converted only for the rows that use them (`_Row`).
_TEXT_COLUMNS = ("reference_code", "prompt", "completion", "workloads")


def split_tables(raw: pa.Table) -> dict[str, pa.Table]:
    """`sft`, `rl` and `preference` (default settings) from one conversion of raw to Python rows."""
    rows = _rows(raw)
    return {"sft": _sft(rows), "rl": _rl(rows), "preference": _preference(rows, MAX_PAIRS_PER_SPEC)}


def sft_rows(raw: pa.Table) -> pa.Table:
    """One row per usable accepted candidate (a refinement answer only where its conversation can be shown,
    see the module docstring), ordered by (spec_id, candidate_id)."""
    return _sft(_rows(raw))


def _sft(rows: list[dict]) -> pa.Table:
    by_id = {row["candidate_id"]: row for row in rows}
    out = []
    for row in rows:
        if row["status"] != Status.ACCEPTED.value or not usable(row):
            continue
        if row["turn"] == 0:
            prompt = task_prompt(row["prompt"])
        else:
            chain = _chain(row, by_id)
            if chain is None or any(_contaminated(link) for link in chain):
                continue  # the answer responds to feedback this row could not show cleanly
            prompt = _messages(row["prompt"])
        completion = [_assistant(row["completion"])]
        messages = prompt + completion
        out.append({
            "spec_id": row["spec_id"],
            "candidate_id": row["candidate_id"],
            "family": row["family"],
            "ops": row["ops"],
            "dtype": row["dtype"],
            "prompt": prompt,
            "completion": completion,
            "messages": messages,
            "train_on": [False] * len(prompt) + [True],
            "turn": row["turn"],
            "turns": sum(message["role"] == "assistant" for message in messages),
            "speedup_vs_eager": _speedup(row),
            "hardware": row["hardware"],
        })
    return table_from_rows(out, SFT_SCHEMA)


def _chain(row: dict, by_id: dict[str, dict]) -> list[dict] | None:
    """The row and its ancestors back to the first answer (turn 0), or None where a parent is missing from
    raw (the conversation could not be checked)."""
    chain = [row]
    while chain[-1]["turn"] > 0:
        parent = by_id.get(chain[-1]["parent_id"])
        if parent is None or len(chain) > row["turn"]:
            return None
        chain.append(parent)
    return chain


def rl_rows(raw: pa.Table) -> pa.Table:
    """One row per spec with at least one accepted candidate, ordered by spec_id."""
    return _rl(_rows(raw))


def _rl(raw_rows: list[dict]) -> pa.Table:
    rows = []
    for spec_id, candidates in _by_spec(raw_rows):
        if any(_reference_contaminated(c) for c in candidates):
            continue
        all_accepted = [c for c in candidates if c["status"] == Status.ACCEPTED.value]
        accepted = _best_first([c for c in all_accepted if c["contamination_reason"] is None])
        if not accepted:
            continue
        # The teacher's first answers: refinement turns would make the problem look easier than it is, and
        # the built-in teacher's deliberately flawed variants would measure its flaw rate.
        first = [c for c in candidates if c["turn"] == 0 and not deliberately_flawed(c)]
        first_accepted = sum(c["status"] == Status.ACCEPTED.value for c in first)
        first_judged = first_accepted + sum(c["status"] == Status.REJECTED.value for c in first)
        best = accepted[0]
        speedup = _speedup(best)
        runtime_ms = best["runtime_ms"] if best["runtime_ms"] and best["runtime_ms"] > 0 else None
        rows.append({
            "spec_id": spec_id,
            "candidate_id": best["candidate_id"],
            "family": best["family"],
            "ops": best["ops"],
            "dtype": best["dtype"],
            "shapes": best["shapes"],
            "prompt": task_prompt(best["prompt"]),
            "reference_code": best["reference_code"],
            "atol": best["atol"],
            "rtol": best["rtol"],
            "input_domains": best["input_domains"],
            "workloads": best["workloads"] or [],
            "best_speedup_vs_eager": speedup,
            "baseline_eager_ms": runtime_ms * speedup if runtime_ms and speedup else None,
            "baseline_compile_ms": (runtime_ms * best["speedup_vs_compile"]
                                    if runtime_ms and _positive(best["speedup_vs_compile"]) else None),
            "hardware": best["hardware"],
            "pass_rate": first_accepted / first_judged if first_judged else 0.0,
            "num_candidates": len(candidates),
        })
    return table_from_rows(rows, RL_SCHEMA)


def preference_rows(raw: pa.Table, *, max_pairs_per_spec: int = MAX_PAIRS_PER_SPEC) -> pa.Table:
    """Per spec (in spec_id order), pairs of answers to one prompt, at most `max_pairs_per_spec` in all.

    A spec's usable candidates are grouped by what they answered: their turn, their whole prompt (the task
    at turn 0; the conversation up to the feedback in a refinement turn) and the kind of answer the teacher
    says it gave (`answer_kind`), so a pair never sets a first answer against an answer to feedback.
    Groups come first-answers first, then by turn and prompt digest. In each group with an accepted
    candidate, the best accepted one is chosen against worse ones of the same group: grouped by why they
    are worse (their reason_code, or "slower") and taken round-robin across reasons in name order, each
    reason in candidate_id order (slower ones slowest first), so pairs cover as many failure modes as the
    cap allows. A worse candidate whose completion is byte-identical to the chosen one is skipped: it
    carries no preference signal.
    """
    if max_pairs_per_spec < 1:
        raise ValueError(f"max_pairs_per_spec must be at least 1, got {max_pairs_per_spec}")
    return _preference(_rows(raw), max_pairs_per_spec)


def _preference(raw_rows: list[dict], max_pairs_per_spec: int) -> pa.Table:
    rows = []
    # Pairs so far whose chosen answer is the longer one, less those where it is the shorter (`_chosen_for`).
    lean = 0
    for spec_id, candidates in _by_spec(raw_rows):
        candidates = [c for c in candidates if usable(c) and c["status"] != Status.UNVERIFIED.value]
        if not any(c["status"] == Status.ACCEPTED.value for c in candidates):
            continue
        pairs: list[tuple[dict, dict, str]] = []
        for group in _answer_groups(candidates):
            accepted = _best_first([c for c in group if c["status"] == Status.ACCEPTED.value])
            if not accepted:
                continue
            best = accepted[0]
            worse: dict[str, list[dict]] = defaultdict(list)
            for cand in group:  # already in candidate_id order
                if cand["status"] == Status.REJECTED.value:
                    worse[cand["reason_code"]].append(cand)
            best_speedup = _speedup(best)
            if best_speedup is not None:
                slower = [c for c in accepted[1:]
                          if _speedup(c) is not None and best_speedup > _speedup(c) * SLOWER_SPEEDUP_RATIO]
                worse[SLOWER_REASON] = sorted(slower, key=lambda c: (_speedup(c), c["candidate_id"]))
            picked = _round_robin(worse, skip=lambda c: c["completion"] == best["completion"],
                                  limit=max_pairs_per_spec - len(pairs))
            for reason, other in picked:
                chosen = _chosen_for(other, accepted, lean) if best_speedup is None else best
                lean += _longer(chosen, other)
                pairs.append((chosen, other, reason))
            if len(pairs) >= max_pairs_per_spec:
                break
        for chosen, other, reason in pairs:
            rows.append({
                "spec_id": spec_id,
                "candidate_id": chosen["candidate_id"],
                "rejected_candidate_id": other["candidate_id"],
                "prompt": _messages(chosen["prompt"]),
                "chosen": [_assistant(chosen["completion"])],
                "rejected": [_assistant(other["completion"])],
                "rejected_reason": reason,
                "turn": chosen["turn"],
                "answer_kind": answer_kind(chosen),
            })
    return table_from_rows(rows, PREFERENCE_SCHEMA)


def _chosen_for(rejected: dict, accepted: list[dict], lean: int = 0) -> dict:
    """Where speed was not measured every accepted answer is as good as another, so the partner is picked so
    that neither shape nor length tells chosen from rejected (issue 17: a DPO model learns whatever differs
    systematically between the two): one that opens as `rejected` does (the same first words, numbers aside:
    the same kind of kernel) where there is one; among those, one on the side of `rejected`'s length that the
    split so far lacks (`lean`: pairs whose chosen answer is the longer one, less those where it is the
    shorter; a flaw that leaves code out makes the rejected answer the shorter one by nature, and a split of
    such pairs would teach "longer is better"); then the closest in length; ties by candidate_id. Once `lean`
    is past LENGTH_LEAN_SLACK, the side of the length comes before the opening. Never one with the same
    completion."""
    others = [c for c in accepted if c["completion"] != rejected["completion"]] or accepted
    opening = _opening(rejected["completion"])
    size = len(rejected["completion"])

    def against_lean(c: dict) -> bool:
        return (lean > 0 and len(c["completion"]) > size) or (lean < 0 and len(c["completion"]) < size)

    def key(c: dict) -> tuple:
        other_opening = _opening(c["completion"]) != opening
        first = (against_lean(c), other_opening) if abs(lean) > LENGTH_LEAN_SLACK else (other_opening, against_lean(c))
        return first + (abs(len(c["completion"]) - size), c["candidate_id"])

    return min(others, key=key)


def _longer(chosen: dict, rejected: dict) -> int:
    """1 where the chosen completion is the longer one, -1 where it is the shorter, 0 where they are as long."""
    diff = len(chosen["completion"]) - len(rejected["completion"])
    return (diff > 0) - (diff < 0)


def _opening(completion: str, words: int = 4) -> str:
    return re.sub(r"[0-9]+", "N", " ".join(completion.split()[:words]))


def _answer_groups(candidates: list[dict]) -> list[list[dict]]:
    """The candidates (in candidate_id order) grouped by (turn, prompt, answer_kind), groups ordered by
    turn, then the prompt's digest, then the kind: content alone decides the order."""
    groups: dict[tuple, list[dict]] = {}
    for cand in candidates:
        groups.setdefault((cand["turn"], prompt_digest(cand["prompt"]), answer_kind(cand)), []).append(cand)
    return [groups[key] for key in sorted(groups)]


def prompt_digest(messages: list[dict]) -> str:
    """SHA-256 of the messages' roles and contents: equal for byte-identical prompts."""
    digest = hashlib.sha256()
    for message in messages:
        for part in (message["role"], message["content"]):
            data = part.encode("utf-8")
            digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()


def answer_kind(row: dict) -> str:
    """What kind of answer the candidate is: `first` on turn 0; on a refinement turn the teacher's own
    label where it gives one (the built-in teacher's `teacher_meta.answer`: `fix`, `fresh`, `faster`,
    `variant`), else `refinement`."""
    if row["turn"] == 0:
        return "first"
    return str(_meta(row).get("answer") or "refinement")


def deliberately_flawed(row: dict) -> bool:
    """A built-in template variant written wrong on purpose (`teacher_meta.flaw`): it measures the
    template's flaw rate, not how hard the problem is."""
    return bool(_meta(row).get("flaw"))


def _meta(row: dict) -> dict:
    try:
        meta = json.loads(row["teacher_meta"] or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def task_prompt(messages: list[dict]) -> list[dict]:
    """The messages before the first assistant turn: the task as first posed (system + user)."""
    out = []
    for message in messages:
        if message["role"] == "assistant":
            break
        out.append({"role": message["role"], "content": message["content"]})
    return out


def _messages(messages: list[dict]) -> list[dict]:
    """The whole conversation, as plain {role, content} messages."""
    return [{"role": message["role"], "content": message["content"]} for message in messages]


def _assistant(content: str) -> dict:
    return {"role": "assistant", "content": content}


def _contaminated(row: dict) -> bool:
    return row.get("contamination_reason") is not None


def usable(row: dict) -> bool:
    """A training example: neither a duplicate of a better row nor overlapping a benchmark."""
    return row.get("dedup_reason") is None and row.get("contamination_reason") is None


def _reference_contaminated(row: dict) -> bool:
    reason = row.get("contamination_reason")
    return reason is not None and not reason.startswith("code_")


def _positive(value: float | None) -> bool:
    return value is not None and math.isfinite(value) and value > 0


def _speedup(row: dict) -> float | None:
    """The measured speedup over eager, or None where none was measured (null, NaN, or not positive)."""
    value = row["speedup_vs_eager"]
    if value is None or not math.isfinite(value) or value <= 0:
        return None
    return value


def _best_first(accepted: list[dict]) -> list[dict]:
    """Measured speedups first, fastest first; then unmeasured ones; ties by candidate_id."""
    def key(row: dict) -> tuple:
        speedup = _speedup(row)
        return (speedup is None, -(speedup or 0.0), row["candidate_id"])
    return sorted(accepted, key=key)


class _Row(dict):
    """One raw row's `_COLUMNS`, its long texts (`_TEXT_COLUMNS`) read from the table when first asked for:
    a run that is mostly duplicates uses few of them, and converting them all would cost more than the
    splits."""

    __slots__ = ("_texts", "_index")

    def __init__(self, values: dict, texts: dict[str, pa.ChunkedArray], index: int) -> None:
        super().__init__(values)
        self._texts, self._index = texts, index

    def __missing__(self, key: str):
        if key not in self._texts:
            raise KeyError(key)
        value = self[key] = self._texts[key][self._index].as_py()
        return value


def _rows(raw: pa.Table) -> list[dict]:
    """raw's `_COLUMNS` as dicts (`_Row`) sorted by (spec_id, candidate_id)."""
    missing = [name for name in _COLUMNS if name not in raw.column_names]
    if missing:
        raise ValueError(f"raw table lacks columns {missing}; splits are built from RAW_SCHEMA tables")
    texts = {name: raw.column(name) for name in _TEXT_COLUMNS}
    rows = [_Row(values, texts, index) for index, values in enumerate(
        raw.select([name for name in _COLUMNS if name not in _TEXT_COLUMNS]).to_pylist())]
    rows.sort(key=lambda row: (row["spec_id"], row["candidate_id"]))
    return rows


def _by_spec(rows: list[dict]) -> Iterable[tuple[str, list[dict]]]:
    """Group rows (sorted by spec_id) by spec, in spec_id order."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["spec_id"], []).append(row)
    return groups.items()


def _round_robin(groups: dict[str, list[dict]], *, skip, limit: int) -> list[tuple[str, dict]]:
    queues = {name: [c for c in groups[name] if not skip(c)] for name in sorted(groups)}
    picked: list[tuple[str, dict]] = []
    depth = 0
    while len(picked) < limit and any(len(q) > depth for q in queues.values()):
        for name, queue in queues.items():
            if depth < len(queue) and len(picked) < limit:
                picked.append((name, queue[depth]))
        depth += 1
    return picked
