"""What a run's rows are like, measured for the dataset card (`manifest.json`: `teachers`, `diversity`,
`preference_stats`, `sft_feedback_refs`): who wrote them, how varied the accepted kernels are, and whether
the training splits carry cues other than the kernel's verdict.

- `teachers(raw)`: rows and accepted rows per (teacher, teacher_model), the ops present, and how many
  first answers were the built-in teacher's deliberately flawed variants (`teacher_meta.flaw`).
- `diversity(raw)`: over accepted kernels that are training examples (no dedup or contamination mark),
  per family and per op: kernels, distinct skeletons (`skeleton`: the code's canonical tokens with every
  name it binds and every number replaced by one placeholder, so two kernels that differ only in names,
  block sizes or constants share one), near-duplicate clusters that `filters.dedup` found among all
  accepted rows, and the share of the kernel's tokens copied from the prompt's few-shot example
  (`copied_share`: the tokens covered by a run of COPY_NGRAM tokens that also occurs in an example answer
  shown in the task prompt, names abstracted; null where no prompt showed one).
- `preference_stats(preference)`: per side (chosen, rejected), completion lengths and the most common
  opening phrases (the first OPENING_WORDS words), so a reader can see whether the sides differ by style;
  per pair (`by_pair`), how often the chosen completion is the longer or the shorter one, the chosen /
  rejected length ratio (median, 10th and 90th percentiles) and how often both open alike.
- `feedback_references(sft)`: single-turn sft rows (`turn` 0) whose answer speaks of feedback or a
  verdict it was never shown (FEEDBACK_PHRASES); the splits are built so that this is 0.

What this does not do: judge semantic diversity (two skeletons may be the same algorithm written two
ways), or count copying from documentation chunks or the problem's reference source.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict

import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from kerneldata.core.normalize import anonymous, normalize_tokens
from kerneldata.core.outcomes import Status
from shards.splits import deliberately_flawed

# Runs of this many tokens (names abstracted) shared with an example answer count as copied.
COPY_NGRAM = 8
# Opening phrases: this many words of a completion's first line.
OPENING_WORDS = 4
# Most common openings reported per side.
TOP_OPENINGS = 5
# What an answer says only when it responds to the verifier (refine's teachers and the built-in teacher's
# refinement sentences); lower-cased, matched anywhere in the prose before the code.
FEEDBACK_PHRASES = ("the verifier", "passes every check", "the feedback", "previous attempt", "my earlier kernel",
                    "the kernel passes", "was rejected", "fixes it")
_NUMBER = re.compile(rb"^[0-9.]")
# An example answer in a prompt (generators.prompts: "Answer:" then a fenced block).
_EXAMPLE_ANSWER = re.compile(r"^Answer:\n\n(`{3,})python\n(.*?)\n\1", re.MULTILINE | re.DOTALL)
_FENCE = re.compile(r"^```", re.MULTILINE)


def teachers(raw: pa.Table) -> dict:
    rows = raw.select(["teacher", "teacher_model", "status", "turn", "teacher_meta", "ops", "family"]).to_pylist()
    by_teacher: dict[str, dict[str, int]] = {}
    flawed_first = 0
    ops: set[str] = set()
    families: set[str] = set()
    for row in rows:
        entry = by_teacher.setdefault(f"{row['teacher']}:{row['teacher_model']}", {"candidates": 0, "accepted": 0})
        entry["candidates"] += 1
        entry["accepted"] += row["status"] == Status.ACCEPTED.value
        flawed_first += row["turn"] == 0 and deliberately_flawed(row)
        ops.update(row["ops"])
        families.add(row["family"])
    return {"by_teacher": dict(sorted(by_teacher.items())), "deliberately_flawed_first_answers": flawed_first,
            "ops": sorted(ops), "families": sorted(families)}


def skeleton(code: str) -> str:
    """16 hex digits identifying the code's skeleton: canonical tokens, names and numbers abstracted."""
    tokens = [b"0" if _NUMBER.match(token) else token for token in anonymous(normalize_tokens(code))]
    return xxhash.xxh64_hexdigest(b"\x00".join(tokens))


def diversity(raw: pa.Table) -> dict:
    columns = ["candidate_id", "family", "ops", "status", "code", "prompt", "dedup_reason", "dedup_cluster",
               "contamination_reason"]
    # Accepted rows only, filtered before conversion: raw's prompts are most of its bytes.
    accepted = raw.select(columns).filter(pc.equal(raw.column("status"), Status.ACCEPTED.value))
    rows = accepted.to_pylist()
    groups: dict[str, dict[str, list[dict]]] = {"family": defaultdict(list), "op": defaultdict(list)}
    clusters: dict[str, dict[str, set[str]]] = {"family": defaultdict(set), "op": defaultdict(set)}
    example_grams: dict[str, set[tuple]] = {}
    measured = []
    for row in sorted(rows, key=lambda r: r["candidate_id"]):
        keys = {"family": [row["family"]], "op": sorted(set(row["ops"]))}
        if row["dedup_cluster"] is not None:
            for kind, names in keys.items():
                for name in names:
                    clusters[kind][name].add(row["dedup_cluster"])
        if row["dedup_reason"] is not None or row["contamination_reason"] is not None or not row["code"]:
            continue
        entry = {"skeleton": skeleton(row["code"]), "copied": _copied_share(row["code"], row["prompt"], example_grams)}
        measured.append(entry)
        for kind, names in keys.items():
            for name in names:
                groups[kind][name].append(entry)
    return {
        "all": _summary(measured, len(set().union(*clusters["family"].values()) if clusters["family"] else set())),
        "by_family": {name: _summary(entries, len(clusters["family"][name]))
                      for name, entries in sorted(groups["family"].items())},
        "by_op": {name: _summary(entries, len(clusters["op"][name])) for name, entries in sorted(groups["op"].items())},
    }


def _summary(entries: list[dict], near_duplicate_clusters: int) -> dict:
    copied = [e["copied"] for e in entries if e["copied"] is not None]
    return {"kernels": len(entries), "skeletons": len({e["skeleton"] for e in entries}),
            "duplicate_clusters": near_duplicate_clusters,
            "copied_share_median": round(statistics.median(copied), 4) if copied else None,
            "copied_share_max": round(max(copied), 4) if copied else None}


def example_answers(prompt: list[dict]) -> list[str]:
    """The example answers (few-shot solutions) a task prompt shows, in order."""
    out = []
    for message in prompt:
        if message["role"] == "assistant":
            break
        out += [match.group(2) for match in _EXAMPLE_ANSWER.finditer(message["content"])]
    return out


def _copied_share(code: str, prompt: list[dict], memo: dict[str, set[tuple]]) -> float | None:
    examples = example_answers(prompt)
    if not examples:
        return None
    grams: set[tuple] = set()
    for example in examples:
        if example not in memo:
            tokens = anonymous(normalize_tokens(example))
            memo[example] = {tuple(tokens[i:i + COPY_NGRAM]) for i in range(len(tokens) - COPY_NGRAM + 1)}
        grams |= memo[example]
    tokens = anonymous(normalize_tokens(code))
    if not tokens:
        return None
    covered = [False] * len(tokens)
    for start in range(len(tokens) - COPY_NGRAM + 1):
        if tuple(tokens[start:start + COPY_NGRAM]) in grams:
            covered[start:start + COPY_NGRAM] = [True] * COPY_NGRAM
    return sum(covered) / len(tokens)


def preference_stats(preference: pa.Table) -> dict:
    out = {"pairs": preference.num_rows}
    for side in ("chosen", "rejected"):
        texts = [messages[-1]["content"] for messages in preference.column(side).to_pylist()]
        prose = [_prose(text) for text in texts]
        openings = Counter(opening(text) for text in texts)
        out[side] = {
            "chars_median": statistics.median(len(t) for t in texts) if texts else None,
            "prose_chars_median": statistics.median(len(p) for p in prose) if prose else None,
            "code_chars_median": statistics.median(len(t) - len(p) for t, p in zip(texts, prose)) if texts else None,
            "openings": [[phrase, count] for phrase, count in
                         sorted(openings.items(), key=lambda item: (-item[1], item[0]))[:TOP_OPENINGS]],
            "distinct_openings": len(openings),
            "feedback_references": sum(refers_to_feedback(text) for text in texts),
        }
    out["by_pair"] = _pair_stats([messages[-1]["content"] for messages in preference.column("chosen").to_pylist()],
                                 [messages[-1]["content"] for messages in preference.column("rejected").to_pylist()])
    return out


def _pair_stats(chosen: list[str], rejected: list[str]) -> dict | None:
    """What a pair's two sides differ by besides the verdict: completion length (how often the chosen one is
    longer, shorter, as long; the chosen / rejected length ratio) and the opening phrase."""
    if not chosen:
        return None
    ratios = sorted(len(c) / max(len(r), 1) for c, r in zip(chosen, rejected))
    deciles = statistics.quantiles(ratios, n=10, method="inclusive") if len(ratios) > 1 else ratios * 9
    return {
        "chosen_longer": sum(len(c) > len(r) for c, r in zip(chosen, rejected)),
        "chosen_shorter": sum(len(c) < len(r) for c, r in zip(chosen, rejected)),
        "length_ratio_median": statistics.median(ratios),
        "length_ratio_p10": deciles[0],
        "length_ratio_p90": deciles[-1],
        "same_opening": sum(opening(c) == opening(r) for c, r in zip(chosen, rejected)),
    }


def opening(text: str) -> str:
    """The first OPENING_WORDS words of the completion's first line."""
    first_line = text.strip().split("\n", 1)[0] if text.strip() else ""
    return " ".join(first_line.split()[:OPENING_WORDS])


def _prose(text: str) -> str:
    """The completion before its first code fence."""
    match = _FENCE.search(text)
    return text[: match.start()] if match else text


def refers_to_feedback(text: str) -> bool:
    """Whether the prose of an answer speaks of a verdict or feedback (FEEDBACK_PHRASES)."""
    prose = _prose(text).lower()
    return any(phrase in prose for phrase in FEEDBACK_PHRASES)


def feedback_references(sft: pa.Table) -> int:
    """Single-turn sft rows (`turn` 0) whose answer speaks of feedback it was never shown."""
    count = 0
    for turn, completion in zip(sft.column("turn").to_pylist(), sft.column("completion").to_pylist()):
        count += turn == 0 and refers_to_feedback(completion[-1]["content"])
    return count
