"""The dataset card's statements about this run's rows, each derived from what the run recorded
(`manifest.json`'s `row_stats`, `speedups`, `devices`; see `shards.row_stats`), never from what kerneldata
can do in general: which teachers wrote rows, which families and ops are present, whether speed was
measured and so what the reward does here, how the rows were split, how varied the kernels are, and what
besides the verdict tells a preference pair's sides apart.

A manifest written before `row_stats` existed gets sentences that say so rather than guesses.
"""

from __future__ import annotations

from shards.row_stats import COPY_NGRAM, OPENING_WORDS

# How each kind of teacher is named in the card (the `teacher` column's values).
_TEACHER_KINDS = {
    "builtin": "the built-in parametric templates `{model}` (no model: kernels filled in from hand-written "
               "templates)",
    "inductor": "PyTorch Inductor (`{model}`: the Triton code `torch.compile` generated)",
    "openai": "the model `{model}` behind an OpenAI-compatible endpoint",
    "vllm": "the model `{model}` run with vLLM",
}
_NOT_RECORDED = "Not recorded for this run (its manifest predates these statistics)."


def row_values(manifest: dict) -> dict[str, str]:
    """The card's placeholders about the rows (see DATASET_CARD.md), from a run's manifest."""
    stats = manifest.get("row_stats")
    timed = bool(manifest.get("speedups"))
    gpu = [d for d in manifest.get("devices") or [] if not d.startswith("cpu")]
    return {
        "teacher_phrase": _teacher_phrase(stats),
        "spec_scope": _spec_scope(stats),
        "teacher_report": _teacher_report(stats),
        "split_report": _split_report(stats, manifest),
        "diversity_report": _diversity_report(stats),
        "preference_report": _preference_report(stats),
        "reward_note": _reward_note(timed, gpu),
        "speed_limits": _speed_limits(timed, stats),
        "teacher_limits": _teacher_limits(stats),
    }


def _teachers(stats: dict | None) -> list[tuple[str, str, dict]]:
    """(teacher kind, model, counts) per teacher that wrote rows, in name order."""
    out = []
    for key, counts in ((stats or {}).get("by_teacher") or {}).items():
        kind, _, model = key.partition(":")
        out.append((kind, model, counts))
    return out


def _describe(kind: str, model: str) -> str:
    return _TEACHER_KINDS.get(kind, "the `" + kind + "` teacher (`{model}`)").format(model=model)


def _teacher_phrase(stats: dict | None) -> str:
    teachers = _teachers(stats)
    if not teachers:
        return "a teacher"
    return _join([_describe(kind, model) for kind, model, _ in teachers])


def _spec_scope(stats: dict | None) -> str:
    if not stats or not stats.get("families"):
        return "the families listed under \"By family\""
    families, ops = stats["families"], stats.get("ops") or []
    return (f"in this run {len(families)} famil{'y' if len(families) == 1 else 'ies'}: "
            f"{', '.join(f'`{f}`' for f in families)}; ops: {', '.join(f'`{o}`' for o in ops)}")


def _teacher_report(stats: dict | None) -> str:
    teachers = _teachers(stats)
    if not teachers:
        return _NOT_RECORDED if stats is None else "No candidates."
    lines = ["| teacher | model | candidates | accepted |", "| --- | --- | ---: | ---: |"]
    lines += [f"| `{kind}` | `{model}` | {counts['candidates']} | {counts['accepted']} |"
              for kind, model, counts in teachers]
    notes = []
    if any(kind == "builtin" for kind, _, _ in teachers):
        flawed = stats.get("deliberately_flawed_first_answers", 0)
        notes.append(f"The built-in teacher is not a model: it fills hand-written templates and, by design, writes "
                     f"some first answers wrong the way a model might ({flawed} in this run, marked "
                     f"`teacher_meta.flaw`), so that `raw` and `preference` hold realistic failures. Those are left "
                     f"out of `rl`'s `pass_rate`, which would otherwise measure the templates' flaw rate.")
    if any(kind in ("openai", "vllm") for kind, _, _ in teachers):
        notes.append("Rows by a model carry its sampling: another run with the same seed may get other answers "
                     "from it.")
    return "\n".join(lines) + ("\n\n" + " ".join(notes) if notes else "")


def _split_report(stats: dict | None, manifest: dict) -> str:
    if stats is None:
        return _NOT_RECORDED
    by_turn = stats.get("sft_by_turn") or {}
    first = by_turn.get("0", 0)
    later = sum(count for turn, count in by_turn.items() if turn != "0")
    kinds = stats.get("preference_by_kind") or {}
    lines = [
        f"- `sft`: {first} first answers (`turn` 0: the prompt is the task alone) and {later} answers to "
        f"feedback (`turn` > 0: the prompt is the conversation that showed the feedback; earlier attempts are "
        f"context, flagged `train_on` false). Single-turn answers that speak of feedback they were not shown: "
        f"{stats.get('sft_feedback_references', 0)}.",
        "- `rl`: one row per problem with an accepted kernel that is clean of benchmarks.",
        "- `preference`: pairs of answers to the same prompt, of the same turn and kind, by kind: "
        + (", ".join(f"`{kind}` {count}" for kind, count in kinds.items()) or "none") + ".",
        "- Duplicates and rows overlapping a benchmark stay in `raw` only (see below).",
    ]
    return "\n".join(lines)


def _diversity_report(stats: dict | None) -> str:
    diversity = (stats or {}).get("diversity")
    if not diversity:
        return _NOT_RECORDED
    lines = [f"Over accepted kernels that are training examples. A skeleton is a kernel's code with every name it "
             f"binds and every number abstracted: kernels that differ only in block sizes, warps or names share "
             f"one. Duplicate clusters are those deduplication found among accepted kernels. Copied: the share "
             f"of a kernel's tokens inside a run of {COPY_NGRAM} or more tokens (names abstracted) that also "
             f"occurs in the example answer its prompt showed (median, max; blank where no prompt showed one)."
             + (" The built-in templates do not read the prompt: for their rows this share measures the "
                "anatomy they have in common with the examples (both follow the Triton tutorials), not copying."
                if any(kind == "builtin" for kind, _, _ in _teachers(stats)) else ""), "",
             "| family / op | kernels | skeletons | duplicate clusters | copied (median) | copied (max) |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    rows = [("**all**", diversity["all"])]
    rows += [(f"`{name}`", row) for name, row in diversity.get("by_family", {}).items()]
    rows += [(f"op `{name}`", row) for name, row in diversity.get("by_op", {}).items()]
    for name, row in rows:
        lines.append(f"| {name} | {row['kernels']} | {row['skeletons']} | {row['duplicate_clusters']} | "
                     f"{_share(row['copied_share_median'])} | {_share(row['copied_share_max'])} |")
    return "\n".join(lines)


def _preference_report(stats: dict | None) -> str:
    pref = (stats or {}).get("preference")
    if not pref:
        return _NOT_RECORDED
    if not pref.get("pairs"):
        return "No preference pairs in this run."
    lines = ["| side | median characters | prose | code | distinct openings | answers speaking of feedback |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for side in ("chosen", "rejected"):
        row = pref[side]
        lines.append(f"| {side} | {row['chars_median']:g} | {row['prose_chars_median']:g} | "
                     f"{row['code_chars_median']:g} | {row['distinct_openings']} | {row['feedback_references']} |")
    pair = pref.get("by_pair")
    if pair:
        n = pref["pairs"]
        lines += ["", f"Pair by pair: the chosen answer is the longer one in {pair['chosen_longer']} of {n} pairs "
                      f"({pair['chosen_longer'] / n:.0%}), the shorter one in {pair['chosen_shorter']} "
                      f"({pair['chosen_shorter'] / n:.0%}), as long in the rest; chosen / rejected length "
                      f"median {pair['length_ratio_median']:.3f} (10th percentile {pair['length_ratio_p10']:.3f}, "
                      f"90th {pair['length_ratio_p90']:.3f}); both open with the same {OPENING_WORDS} words in "
                      f"{pair['same_opening']} of {n} pairs."]
    lines += ["", f"Most common openings (first {OPENING_WORDS} words):", ""]
    for side in ("chosen", "rejected"):
        openings = "; ".join(f"\"{phrase}\" {count}" for phrase, count in pref[side]["openings"]) or "none"
        lines.append(f"- {side}: {openings}")
    return "\n".join(lines)


def _reward_note(timed: bool, gpu: list[str]) -> str:
    if timed:
        return ("The reward (`kerneldata.reward`) on this run's GPUs: 0 for a rejected or unverified kernel; for an "
                "accepted one `correct` plus a term growing with log2 of its speedup over PyTorch eager, capped at "
                "`max_speedup`, so faster correct kernels earn more.")
    where = "these GPUs measured no speed" if gpu else "the CPU interpreter measures no speed"
    return (f"The reward (`kerneldata.reward`) on this run's hardware is binary: 0 for a rejected or unverified "
            f"kernel, `correct` (1.0 by default) for an accepted one, with no speed term, since {where}. Run it "
            f"on a GPU for the speed-shaped reward.")


def _speed_limits(timed: bool, stats: dict | None) -> str:
    if timed:
        return ("Speedups are measured on the hardware named in each row and do not transfer to other GPUs; "
                "shapes are small and fixed per problem, so a kernel tuned for them may be slow at other sizes.")
    builtin = any(kind == "builtin" for kind, _, _ in _teachers(stats))
    return ("No speed was measured in this run: nothing here says which kernel is faster, and a kernel's "
            "block sizes were not tuned on any device."
            + (" The built-in teacher's answers to an accepted kernel are offered as other correct versions "
               "(`answer_kind` `variant`), not as faster ones." if builtin else ""))


def _teacher_limits(stats: dict | None) -> str:
    teachers = _teachers(stats)
    parts = []
    if any(kind == "builtin" for kind, _, _ in teachers):
        parts.append("The built-in templates' prose and code are formulaic: few skeletons per op (see "
                     "\"Diversity\"), and one sentence pattern per template; a student trained on them alone "
                     "learns the templates' style.")
    if any(kind == "inductor" for kind, _, _ in teachers):
        parts.append("Inductor's kernels are machine-generated code with generated names, not tutorial-style "
                     "kernels.")
    models = [model for kind, model, _ in teachers if kind in ("openai", "vllm")]
    if models:
        parts.append(f"Completions by {', '.join(f'`{m}`' for m in models)} carry that model's style and "
                     f"mistakes; its provider's terms may apply to the outputs.")
    return " ".join(parts) or "Teacher completions may carry the style and mistakes of the teacher."


def _share(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.0f}%"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
