"""The dataset card: `DATASET_CARD.md` (the template, beside this module as a link to the repository root's
copy, shipped in the wheel as package data) rendered with a run's manifest and config into the run
directory's README.md.

The rendered card starts with the Hub's YAML front matter, whose `configs:` entries make
`datasets.load_dataset(RUN_DIR, NAME)` load NAME in raw, sft, rl, preference, locally and on the Hub; a
split with no rows is left out of `configs:` (see `_configs_yaml`), and its empty file is still there. The
template uses `string.Template` placeholders (`$name`); a placeholder the renderer does not fill is an error,
not a silently empty field.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import yaml

from kerneldata.core.outcomes import Reason
from kerneldata.core.schema import SPLIT_SCHEMAS
from shards.card_rows import row_values
from shards.holdout import HELD_OUT, TRAIN, split_name
from shards.public_paths import public_name
from shards.splits import LENGTH_LEAN_SLACK, MAX_PAIRS_PER_SPEC

TEMPLATE_PATH = Path(__file__).with_name("DATASET_CARD.md")

# The Hub's size buckets (the `size_categories` tag), by number of rows of the largest config (raw).
_SIZE_CATEGORIES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
    (10_000_000_000, "1B<n<10B"),
    (100_000_000_000, "10B<n<100B"),
    (1_000_000_000_000, "100B<n<1T"),
]
# The config `load_dataset(RUN_DIR)` loads when no name is given.
DEFAULT_CONFIG = "sft"
SPLITS = tuple(SPLIT_SCHEMAS)
_TEMPLATE_NOTE = re.compile(r"<!-- kerneldata:template-note.*?kerneldata:template-note -->\n", re.DOTALL)

_CPU_NOTE = (
    "**{subject} verified on CPU only, under the Triton interpreter (`TRITON_INTERPRET=1`).** "
    "{untimed}: `speedup_vs_eager`, `speedup_vs_compile` and `runtime_ms` are null. The "
    "interpreter cannot detect out-of-bounds memory accesses (a kernel with a wrong mask can pass), and it "
    "does not emulate TF32 or bf16 arithmetic; kernels whose verdict hinges on those are `unverified` and "
    "appear only in `raw`. {unrun}: verify on the target hardware before relying on one."
)
_GPU_NOTE = (
    "Kernels were verified and timed on GPU ({devices}); the hardware is named in each row. Speedups are "
    "medians of many runs against PyTorch eager and `torch.compile` in the same process, with implausible "
    "ones quarantined rather than accepted."
)


def size_category(num_rows: int) -> str:
    for bound, name in _SIZE_CATEGORIES:
        if num_rows < bound:
            return name
    return "n>1T"


def render_card(manifest: dict, config_yaml: str) -> str:
    """The README.md of a run directory, from its manifest (see `shards.writer`) and resolved config."""
    config = yaml.safe_load(config_yaml) or {}
    counts = manifest["counts"]
    values = {
        "run_name": manifest["run_name"],
        "size_category": size_category(counts["raw"]),
        "configs": _configs_yaml(counts, manifest.get("shards"), (manifest.get("holdout") or {}).get("rows")),
        "empty_configs_note": _empty_configs_note(counts),
        "kerneldata_version": manifest["kerneldata_version"],
        "created_at": manifest["created_at"],
        "num_candidates": counts["candidates"],
        "num_specs": counts["specs"],
        "num_accepted": counts["accepted"],
        "num_rejected": counts["rejected"],
        "num_unverified": counts["unverified"],
        "rows_raw": counts["raw"],
        "rows_sft": counts["sft"],
        "rows_rl": counts["rl"],
        "rows_preference": counts["preference"],
        "max_pairs_per_spec": MAX_PAIRS_PER_SPEC,
        "length_lean_slack": LENGTH_LEAN_SLACK,
        "config_summary": _config_summary(manifest, config),
        "config_yaml": config_yaml.rstrip("\n"),
        "reason_table": _reason_table(manifest["by_reason"], counts["candidates"]),
        "family_table": _family_table(manifest["by_family"]),
        "hardware_list": _hardware_list(manifest["hardware"]),
        "verification_note": _verification_note(manifest.get("devices")),
        "num_duplicates": counts.get("duplicates", 0),
        "num_contaminated": counts.get("contaminated", 0),
        # `kerneldata dedup` and `kerneldata decontaminate` on a finished run record their settings in the
        # manifest: they are the latest, and the counts beside them are theirs.
        "dedup_report": _dedup_report(manifest.get("dedup") or {},
                                      manifest.get("dedup_config") or config.get("dedup") or {}),
        "decontamination_report": _decontamination_report(manifest.get("decontamination") or {},
                                                          manifest.get("decontamination_config")
                                                          or config.get("decontamination") or {}),
        "speedup_table": _speedup_table(manifest.get("speedups") or {}),
        "spec_sizes": _spec_sizes(config.get("specs") or {}),
        "split_layout": _split_layout(manifest.get("holdout") or {}),
        # What this run's rows are: teachers, splits, diversity, preference cues, reward (shards.card_rows).
        **row_values(manifest),
    }
    template = string.Template(TEMPLATE_PATH.read_text(encoding="utf-8"))
    return _TEMPLATE_NOTE.sub("", template.substitute(values), count=1)


def _configs_yaml(counts: dict, shards: dict[str, list[str]] | None = None,
                  part_rows: dict[str, dict[str, int]] | None = None) -> str:
    """The front matter's `configs:`: one per split that has rows, `sft` the default when it has any.

    Each lists its split's shard files by name (`shards`, the manifest's; names carry a digest of the
    split's bytes): `datasets` keys its cache of a local directory by these patterns alone, so new rows must
    bring new names or a load after a rewrite serves the old rows (shards.writer, "Names by content"). A
    manifest without `shards` (an older run) gets every Parquet file of the split.

    Empty splits are left out because `datasets` (5.2) cannot load a split with no rows (whatever the
    Parquet file holds, `load_dataset` raises "Instruction 'train' corresponds to no data"); a missing
    config fails with the list of the ones that exist, which says more. For the same reason a config's
    held-out splits (`test`, `validation`: shards.holdout), and its `train` when every spec was held out, are
    declared only where `part_rows` (the manifest's `holdout.rows`) gives them rows.
    """
    present = [split for split in SPLITS if counts[split] > 0]
    if not present:
        return "configs: []"
    lines = ["configs:"]
    for split in present:
        lines.append(f"- config_name: {split}")
        if split == DEFAULT_CONFIG:
            lines.append("  default: true")
        lines.append("  data_files:")
        names = (shards or {}).get(split)
        if not names:
            lines += ["  - split: train", f'    path: "{split}/*.parquet"']
            continue
        rows = (part_rows or {}).get(split) or {TRAIN: counts[split]}
        for part in (TRAIN, *HELD_OUT):
            files = [name for name in names if split_name(name) == part]
            if files and rows.get(part, 0) > 0:
                lines += [f"  - split: {part}", "    path:"] + [f'    - "{split}/{name}"' for name in files]
    return "\n".join(lines)


def _empty_configs_note(counts: dict) -> str:
    empty = [split for split in SPLITS if counts[split] == 0]
    if not empty:
        return ""
    names = ", ".join(f"`{split}`" for split in empty)
    return (f"\n\nEmpty in this run: {names}. Their Parquet files exist, with the schema and no rows, but they "
            f"are not declared as configs: `datasets.load_dataset` cannot load a split with no rows.")


def _config_summary(manifest: dict, config: dict) -> str:
    run = config.get("run", {})
    specs = config.get("specs", {})
    teacher = config.get("teacher", {})
    verify = config.get("verify", {})
    families = specs.get("families")
    devices = manifest.get("devices") or []
    lines = [
        f"- Run `{manifest['run_name']}`, seed {run.get('seed', 'unknown')}, kerneldata "
        f"{manifest['kerneldata_version']}, finished {manifest['created_at']}.",
        f"- Specs: {manifest['counts']['specs']} problems with candidates ({specs.get('num_specs', '?')} "
        f"requested); families: {', '.join(families) if families else 'all'}; dtypes: "
        f"{', '.join(specs.get('dtypes') or []) or 'default'}.",
        f"- Teacher: `{teacher.get('kind', 'unknown')}`, {teacher.get('samples_per_spec', '?')} samples per spec.",
        _refinement_line(manifest, config.get("refine") or {}),
        f"- Verifier device: `{verify.get('device', 'unknown')}` requested; used: "
        f"{', '.join(f'`{d}`' for d in devices) or 'none recorded'}.",
        _holdout_line(manifest.get("holdout") or {}),
    ]
    return "\n".join(lines)


def _split_layout(holdout: dict) -> str:
    """The card's sentence on the splits each config has (shards.holdout)."""
    held = [name for name in HELD_OUT if (holdout.get("fractions") or {}).get(name)]
    if not held:
        return "Each config has one split, `train`."
    names = " and ".join(f"`{name}`" for name in held)
    return (f"`raw` has one split, `train`; `sft`, `rl` and `preference` also have {names}: the rows of the "
            f"specs held out by id (a spec's rows are all in one split), for evaluation on problems never "
            f"trained on.")


def _holdout_line(holdout: dict) -> str:
    """Which splits sft, rl and preference have (shards.holdout), and their rows."""
    fractions = {name: share for name, share in (holdout.get("fractions") or {}).items() if share}
    if not fractions:
        return "- Splits: `train` only in every config (no specs held out: `shards.test_fraction` is 0)."
    shares = " and ".join(f"`{name}` {share:.0%}" for name, share in fractions.items())
    rows = "; ".join(f"{split}: " + ", ".join(f"{part} {count}" for part, count in parts.items())
                     for split, parts in (holdout.get("rows") or {}).items())
    return (f"- Splits: specs held out by id for {shares} of the specs (all rows of a spec in one split, on "
            f"average those shares: shards.holdout); rows per split: {rows}.")


def _refinement_line(manifest: dict, refine: dict) -> str:
    """How many refinement rounds were allowed and what each turn gave (candidates, accepted)."""
    if not refine.get("max_turns"):
        return "- Refinement: off (one answer per sample, no feedback)."
    stop = f"when an accepted kernel reaches {refine.get('target_speedup', '?')}x eager"
    if refine.get("stop_on_accept"):
        stop += " or, where speed is not measured, at its first accepted kernel"
    line = (f"- Refinement: up to {refine['max_turns']} rounds after the first answers; each round the best "
            f"{refine.get('keep_k', '?')} candidates of a spec get the verifier's feedback and "
            f"{refine.get('children_per_parent', '?')} answer(s) each; a spec stops {stop}, or at "
            f"{refine.get('max_candidates_per_spec') or 'no cap on'} candidates.")
    by_turn = manifest.get("by_turn") or {}
    if by_turn:
        line += " Candidates (accepted) by turn: " + ", ".join(
            f"turn {turn}: {row['candidates']} ({row['accepted']})" for turn, row in by_turn.items()) + "."
    stopped = (manifest.get("refinement") or {}).get("specs_stopped") or {}
    if stopped:
        line += " Specs stopped by: " + ", ".join(f"`{reason}` {count}" for reason, count in stopped.items()) + "."
    return line


def _reason_table(by_reason: dict[str, int], total: int) -> str:
    if not by_reason:
        return "No candidates."
    known = {reason.value: reason for reason in Reason}
    lines = ["| reason_code | stage | candidates | share |", "| --- | --- | ---: | ---: |"]
    for code, count in sorted(by_reason.items(), key=lambda item: (-item[1], item[0])):
        stage = known[code].check.value if code in known else ""
        share = f"{100 * count / total:.1f}%" if total else ""
        lines.append(f"| `{code}` | {stage} | {count} | {share} |")
    return "\n".join(lines)


def _family_table(by_family: dict[str, dict[str, int]]) -> str:
    if not by_family:
        return "No candidates."
    lines = ["| family | candidates | accepted | accepted share |", "| --- | ---: | ---: | ---: |"]
    for family, row in sorted(by_family.items()):
        share = f"{100 * row['accepted'] / row['candidates']:.1f}%" if row["candidates"] else ""
        lines.append(f"| `{family}` | {row['candidates']} | {row['accepted']} | {share} |")
    return "\n".join(lines)


def _hardware_list(hardware: list[str]) -> str:
    if not hardware:
        return "None recorded."
    return "\n".join(f"- {name}" for name in hardware)


def _verification_note(devices: list[str] | None) -> str:
    if not devices:
        return "No candidate reached the verifier's device in this run, so nothing was verified or timed."
    cpu = [d for d in devices if d.startswith("cpu")]
    gpu = [d for d in devices if not d.startswith("cpu")]
    notes = []
    if gpu:
        notes.append(_GPU_NOTE.format(devices=", ".join(f"`{d}`" for d in gpu)))
    if cpu and gpu:
        notes.append(_CPU_NOTE.format(subject="Rows whose `device` is `cpu` were",
                                      untimed="Those rows were not timed",
                                      unrun="Their accepted kernels have not run on a GPU"))
    elif cpu:
        notes.append(_CPU_NOTE.format(subject="This run's kernels were", untimed="Nothing was timed",
                                      unrun="No accepted kernel here has run on a GPU"))
    return "\n\n".join(notes)


# How `dedup.scope` (kerneldata.core.config.DedupConfig) chooses the kernels compared with each other.
_DEDUP_SCOPES = {
    "op": "between kernels for the same problem up to its shapes (same family, ops and dtype)",
    "spec": "within each spec",
    "global": "across the whole run",
}


def _dedup_report(dedup: dict, config: dict) -> str:
    if config.get("enabled") is False:
        return "Deduplication was turned off for this run (`dedup.enabled: false`)."
    params = (f"exact duplicates on normalised code (comments, docstrings and layout dropped, the names the "
              f"code binds renamed through its AST), and near duplicates by MinHash LSH over "
              f"{config.get('shingle_tokens', 5)}-token shingles, {config.get('num_perm', 256)} permutations, "
              f"estimated Jaccard similarity at least {config.get('threshold', 0.8)}, compared "
              f"{_DEDUP_SCOPES[config.get('scope', 'op')]} and only "
              f"between candidates of the same status")
    if not dedup:
        return f"Method: {params}. No deduplication counts were recorded for this run."
    return (f"Method: {params}. Within a cluster the best row is kept (accepted, then the fastest measured "
            f"speedup, then the smallest `candidate_id`).\n\n"
            f"| clusters | duplicates | exact | near |\n| ---: | ---: | ---: | ---: |\n"
            f"| {dedup.get('clusters', 0)} | {dedup.get('duplicates', 0)} | {dedup.get('exact_duplicate', 0)} | "
            f"{dedup.get('near_duplicate', 0)} |")


# Issue 16: how a run's sizes were drawn. The cpu rule restates generators.specs.shapes.CPU_DIVISORS (this
# package cannot import that one; tests/shards/test_card.py holds the two together).
CPU_SCALE_RULE = ("tokens and sequence lengths divided by 64, hidden sizes, FFN widths, vocabularies and matmul "
                  "sizes by 16, channels by 8, image resolutions by 4 (rounded down, at least 1); head dims, head "
                  "counts and batch sizes unchanged, since they set a kernel's tiles and grid")


def _spec_sizes(specs: dict) -> str:
    scale = specs.get("scale", "pools")
    if scale == "real":
        text = ("Sizes are those real models run (`specs.scale: real`): hidden sizes 2048-8192, FFN widths up to "
                "28672, head dims 64 and 128, vocabularies of 32k-152k, sequences of 512-8192 and batches of "
                "1-64, beside sizes one off from them.")
    elif scale == "cpu":
        text = (f"Sizes keep real models' proportions scaled down for the CPU (`specs.scale: cpu`): {CPU_SCALE_RULE}; "
                f"then every tensor is capped at `specs.max_numel` elements.")
    else:
        text = ("Sizes come from each op's pools (`specs.scale: pools`), realistic LLM and vision sizes mixed with "
                "odd, prime and size-1 dims that exercise masking.")
    floors = []
    if specs.get("min_eager_us"):
        floors.append(f"an estimated PyTorch eager time of at least {specs['min_eager_us']:g} us")
    if specs.get("min_headroom"):
        floors.append(f"an estimated bound on the speedup over eager of at least {specs['min_headroom']:g}x")
    if floors:
        text += (f" Specs were drawn again until they had {' and '.join(floors)} on the "
                 f"{specs.get('device_profile', 'H200')} roofline (an estimate from the reference's ATen ops, not a "
                 f"measurement).")
    return text


def _decontamination_report(report: dict, config: dict) -> str:
    benchmarks = config.get("benchmarks") or []
    if not benchmarks and not report.get("contaminated"):
        return ("No benchmark was checked in this run (`decontamination.benchmarks` is empty): check for overlap "
                "with the benchmarks you evaluate on (`kerneldata decontaminate RUN_DIR --benchmark PATH`) "
                "before relying on this data for evaluation.")
    # A local benchmark by its directory's or file's name, as in the rows; never the path above it.
    names = (", ".join(f"`{public_name(b)}`" for b in benchmarks)
             or "the benchmarks given to `kerneldata decontaminate`")
    lines = [
        f"Checked against {names}: at the spec level (same op signature and input shapes as a benchmark "
        f"problem{'' if config.get('spec_level', True) else '; turned off in this run'}) and the code level "
        f"(the normalised reference and kernel code contains or is contained in a benchmark item, or shares "
        f"at least {config.get('ngram_threshold', 0.5)} of its distinctive {config.get('ngram_tokens', 13)}-token "
        f"n-grams). {report.get('contaminated', 0)} of {report.get('checked', 0)} rows matched; they stay in "
        f"`raw` with the item they matched and are left out of `sft`, `rl` and `preference`.",
    ]
    task_level = config.get("task_level", "mark")
    if task_level != "off":
        lines[0] += (f" At the task level (the same op set and input ranks as a benchmark problem at any sizes; a "
                     f"fused chain by its op sequence), {report.get('task_matches', 0)} rows of "
                     f"{report.get('task_specs', 0)} specs ask the same task as "
                     f"{report.get('task_items_matched', 0)} benchmark items; they are named in `task_match` and "
                     + ("left out of the training splits like other contaminated rows (`task_level: remove`)."
                        if task_level == "remove" else "kept in the training splits (`task_level: mark`)."))
    by_benchmark = report.get("by_benchmark") or {}
    if by_benchmark:
        items = report.get("items_matched") or {}
        lines += ["", "| benchmark | rows | items matched |", "| --- | ---: | ---: |"]
        lines += [f"| `{name}` | {count} | {items.get(name, '')} |" for name, count in by_benchmark.items()]
    task_by_item = report.get("task_by_item") or {}
    if task_by_item and task_level != "off":
        lines += ["", "| benchmark item with a task-level twin | rows |", "| --- | ---: |"]
        lines += [f"| `{item}` | {count} |" for item, count in task_by_item.items()]
    by_reason = report.get("by_reason") or {}
    if by_reason:
        lines += ["", "| contamination_reason | rows |", "| --- | ---: |"]
        lines += [f"| `{reason}` | {count} |" for reason, count in by_reason.items()]
    return "\n".join(lines)


def _speedup_table(speedups: dict) -> str:
    if not speedups:
        return "No speedup was measured in this run (speedups are measured on GPU only)."
    lines = ["Speedup over PyTorch eager of accepted kernels, where measured:", "",
             "| family | kernels | median | p90 | max |", "| --- | ---: | ---: | ---: | ---: |"]
    for family, row in speedups.items():
        lines.append(f"| `{family}` | {row['n']} | {row['median']:.2f}x | {row['p90']:.2f}x | {row['max']:.2f}x |")
    return "\n".join(lines)
