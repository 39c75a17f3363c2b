"""From `raw` (every candidate with its verdict, RAW_SCHEMA) to the training splits.

Pure functions: the same raw rows, in any order, give the same output tables, row for row. Only the
verdict decides what enters a split:

- `sft`: every accepted candidate, as chat messages (the task prompt, then the teacher's completion;
  `turns` 1); and for each accepted candidate reached by refinement (turn > 0), also the whole
  conversation that reached it (system, user, the earlier answers with the verifier's feedback on each,
  the accepted answer; `turns` = its assistant messages), when every row of that chain is a training
  example (see Curation).
- `rl`: one row per spec with at least one accepted candidate: the task prompt, the reference, the
  tolerances, the best accepted kernel (of any turn) as a known solution, and the teacher's pass rate on its
  first answers (turn 0: refinement does not make a problem look easier than it is).
- `preference`: per spec, first pairs from refinement (an accepted candidate against the rejected parent it
  refined, on the parent's prompt, which both conversations share), then pairs of (best accepted, worse)
  for the same task: worse is a rejected candidate, or an accepted one at least 10% slower when both
  speedups were measured.

Unverified candidates (the device could not judge them) never enter sft, rl or preference, and do not
count in a pass rate: they are neither good nor bad kernels.

Curation (the columns `filters.dedup` and `filters.decontaminate` fill): a row with a `dedup_reason` (a
copy of a better row) or a `contamination_reason` (it overlaps a benchmark) is not a training example: it
enters neither sft nor either side of a preference pair. A spec whose reference matched a benchmark
(`contamination_reason` not starting with `code_`) has no rl row; otherwise its rl row's known solution is
its best uncontaminated accepted kernel (a duplicate is fine there: rl rows are problems, not examples),
and its pass rate counts every verified first answer, duplicates and contaminated ones included: it measures
how hard the problem was for the teacher.

The prompt of single-turn rows is the task prompt: the candidate's prompt messages before the first
assistant turn (system + user). A candidate written in a refinement turn carries earlier attempts and the
verifier's feedback in its prompt; a single-turn row leaves them out, the multi-turn sft row keeps them as
the conversation they were (the earlier answers as assistant turns, each followed by its feedback), and a
refinement pair shows them as context. `raw` keeps the full prompt.

What this does not do: deduplicate or decontaminate (separate global steps that run on raw first), or
check that two candidates of one spec were sampled from byte-identical prompts (pairs share the spec and
the chosen candidate's task prompt).
"""

from __future__ import annotations

import math
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
# rejected_reason of a pair whose rejected side is an accepted but slower kernel.
SLOWER_REASON = "slower"

_COLUMNS = (
    "spec_id", "candidate_id", "family", "ops", "dtype", "shapes", "reference_code", "atol", "rtol",
    "input_domains", "prompt", "completion", "status", "reason_code", "speedup_vs_eager", "speedup_vs_compile", "runtime_ms",
    "hardware", "dedup_reason", "contamination_reason", "turn", "parent_id",
)
# Columns of _COLUMNS that hold long texts: converted only for the rows that use them (`_Row`).
_TEXT_COLUMNS = ("reference_code", "prompt", "completion")


def split_tables(raw: pa.Table) -> dict[str, pa.Table]:
    """`sft`, `rl` and `preference` (default settings) from one conversion of raw to Python rows."""
    rows = _rows(raw)
    return {"sft": _sft(rows), "rl": _rl(rows), "preference": _preference(rows, MAX_PAIRS_PER_SPEC)}


def sft_rows(raw: pa.Table) -> pa.Table:
    """One row per accepted candidate, and one more per accepted candidate reached by refinement whose
    whole chain is usable (its conversation); ordered by (spec_id, candidate_id, turns)."""
    return _sft(_rows(raw))


def _sft(rows: list[dict]) -> pa.Table:
    by_id = {row["candidate_id"]: row for row in rows}
    out = []
    for row in rows:
        if row["status"] != Status.ACCEPTED.value or not usable(row):
            continue
        conversations = [task_prompt(row["prompt"])]
        chain = _chain(row, by_id) if row["turn"] > 0 else None
        if chain is not None and all(usable(link) for link in chain):
            conversations.append(_messages(row["prompt"]))
        for prompt in conversations:
            messages = prompt + [_assistant(row["completion"])]
            out.append({
                "spec_id": row["spec_id"],
                "candidate_id": row["candidate_id"],
                "family": row["family"],
                "ops": row["ops"],
                "dtype": row["dtype"],
                "messages": messages,
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
        # The teacher's first answers: refinement turns would make the problem look easier than it is.
        first = [c for c in candidates if c["turn"] == 0]
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
    """Per spec (in spec_id order), refinement pairs, then pairs (chosen = the spec's best accepted
    candidate, rejected = a worse one), at most `max_pairs_per_spec` in all.

    A refinement pair is an accepted candidate (chosen) and the rejected parent it refined (rejected), both
    training examples, on the parent's prompt: the conversation both answers continue. They come in
    candidate_id order of the chosen side.

    The worse candidates of a spec are grouped by why they are worse (their reason_code, or "slower") and
    taken round-robin across groups in name order, each group in candidate_id order (slower ones slowest
    first), so a spec's pairs cover as many distinct failure modes as the cap allows. A worse candidate
    whose completion is byte-identical to the chosen one is skipped: it carries no preference signal.
    """
    if max_pairs_per_spec < 1:
        raise ValueError(f"max_pairs_per_spec must be at least 1, got {max_pairs_per_spec}")
    return _preference(_rows(raw), max_pairs_per_spec)


def _preference(raw_rows: list[dict], max_pairs_per_spec: int) -> pa.Table:
    rows = []
    for spec_id, candidates in _by_spec(raw_rows):
        candidates = [c for c in candidates if usable(c)]
        accepted = _best_first([c for c in candidates if c["status"] == Status.ACCEPTED.value])
        if not accepted:
            continue
        best = accepted[0]
        pairs = _refinement_pairs(candidates)
        worse: dict[str, list[dict]] = defaultdict(list)
        for cand in candidates:  # already in candidate_id order
            if cand["status"] == Status.REJECTED.value:
                worse[cand["reason_code"]].append(cand)
        best_speedup = _speedup(best)
        if best_speedup is not None:
            slower = [c for c in accepted[1:]
                      if _speedup(c) is not None and best_speedup > _speedup(c) * SLOWER_SPEEDUP_RATIO]
            worse[SLOWER_REASON] = sorted(slower, key=lambda c: (_speedup(c), c["candidate_id"]))
        taken = {(chosen["candidate_id"], other["candidate_id"]) for _, chosen, other, _ in pairs}
        prompt = task_prompt(best["prompt"])
        pairs += [(prompt, best, other, reason)
                  for reason, other in _round_robin(worse, skip=lambda c: c["completion"] == best["completion"]
                                                    or (best["candidate_id"], c["candidate_id"]) in taken,
                                                    limit=max_pairs_per_spec)]
        for prompt, chosen, other, reason in pairs[:max_pairs_per_spec]:
            rows.append({
                "spec_id": spec_id,
                "candidate_id": chosen["candidate_id"],
                "rejected_candidate_id": other["candidate_id"],
                "prompt": prompt,
                "chosen": [_assistant(chosen["completion"])],
                "rejected": [_assistant(other["completion"])],
                "rejected_reason": reason,
            })
    return table_from_rows(rows, PREFERENCE_SCHEMA)


def _refinement_pairs(candidates: list[dict]) -> list[tuple[list[dict], dict, dict, str]]:
    """(prompt, chosen, rejected, rejected_reason) for each usable accepted candidate whose parent is a
    usable rejected candidate of the same spec, with a different completion."""
    by_id = {c["candidate_id"]: c for c in candidates}
    pairs = []
    for child in candidates:
        parent = by_id.get(child["parent_id"]) if child["parent_id"] else None
        if (parent is not None and child["status"] == Status.ACCEPTED.value
                and parent["status"] == Status.REJECTED.value and child["completion"] != parent["completion"]):
            pairs.append((_messages(parent["prompt"]), child, parent, parent["reason_code"]))
    return pairs


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
