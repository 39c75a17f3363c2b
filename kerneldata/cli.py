"""The `kerneldata` command (also `python -m kerneldata`).

Exit codes (DESIGN section 3.2): 0 success; 1 the answer is "no" (a rejected kernel); 2 bad usage or
input; 3 the answer cannot be given here (a kernel this device cannot verify; for `generate`, workers that
keep failing, a teacher endpoint that cannot be reached, a session in which no teacher call succeeded); 130 interrupted (Ctrl-C or SIGTERM, as shells report SIGINT: `generate` keeps what it judged
and says how to resume). Codes 1-3 and 130 come with a one-line reason on stderr. With `--json`, stdout
holds one JSON value and nothing else.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shlex
import signal
import sys
import threading
import time
from pathlib import Path

EXIT_OK, EXIT_NO, EXIT_USAGE, EXIT_CANNOT = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a command stopped by Ctrl-C


_RUN_DIR_HELP = "a finished run directory: a local path or a URI (s3://, gs://, file://, ...)"


class UsageError(Exception):
    """Bad usage or input: exit 2 with this one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage dump
        raise UsageError(f"{self.prog}: {message}")


def _build_parser() -> argparse.ArgumentParser:
    from kerneldata import __version__

    parser = _Parser(prog="kerneldata", description="Make training data of verified Triton kernels.")
    parser.add_argument("--version", action="version", version=f"kerneldata {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    gen = commands.add_parser("generate", help="run the whole pipeline (same as `python generate.py`)",
                              description="Sample specs, have the teacher write kernels, verify them (and, with "
                                          "refine.max_turns > 0, have it answer the verifier's feedback for a few "
                                          "rounds) and write a run directory of Parquet shards with a dataset "
                                          "card.")
    gen.add_argument("--config", required=True, help="YAML run config, e.g. configs/quickstart.yaml")
    gen.add_argument("--out", help="run directory: a local path or a URI such as s3://BUCKET/PATH, gs://..., "
                                   "file://... (default: run.out, else shards/runs/<run.name>)")
    gen.add_argument("--resume", action="store_true",
                     help="continue the run directory --out (after a crash or Ctrl-C): candidates already judged "
                          "are not judged again, answers in the teacher cache are not asked again")
    gen.add_argument("--no-progress", "--quiet", dest="no_progress", action="store_true",
                     help="no live progress display and no summary table (the display is off anyway when stderr "
                          "is not a terminal; the run's log has progress lines either way)")
    gen.add_argument("--force", action="store_true",
                     help="with --resume: continue even though the config changes keys that change rows (the "
                          "run's rows then come from two configs)")
    gen.add_argument("--dry-run", action="store_true",
                     help="print the resolved config, the specs that would be drawn (by family, op and size) and "
                          "one rendered prompt; ask no teacher, start no Ray, write nothing")
    gen.add_argument("overrides", nargs="*", metavar="key.sub=value", help="override config values")

    ver = commands.add_parser("verify", help="verify one candidate against a KernelBench-format problem",
                              description="Run the verifier on one candidate. Exit 0 accepted, 1 rejected, "
                                          "3 unverified on this device.")
    ver.add_argument("--problem", required=True, help="reference problem (class Model, get_inputs, get_init_inputs)")
    ver.add_argument("--candidate", required=True, help="candidate source (class ModelNew launching @triton.jit)")
    ver.add_argument("--workload", action="append", default=[], metavar="REF.py",
                     help="another workload of the same problem (the same Model at other sizes, the same "
                          "get_init_inputs()), checked too and, on a GPU, timed (the verdict's workload_speedups "
                          "and speedup_geomean); repeatable. Without it only --problem's shapes are checked")
    _verify_flags(ver)
    ver.add_argument("--json", action="store_true", help="print the verdict as one JSON object")

    batch = commands.add_parser("verify-batch", help="verify many candidates, on every given GPU, without Ray",
                                description="Verify the candidates of a JSONL file (reference_code + code per "
                                            "line) and append one verdict per line to --out.")
    batch.add_argument("--in", dest="in_path", required=True, help="candidates, one JSON object per line")
    batch.add_argument("--out", required=True, help="verdicts, one JSON object per line (appended)")
    _verify_flags(batch)
    batch.add_argument("--devices", default="0", help="comma-separated GPU indices (default 0)")
    batch.add_argument("--workers-per-device", type=int, default=4,
                       help="candidates in flight per device: they compile in parallel, time one at a time")
    batch.add_argument("--min-speedup", type=float, help="accepted kernels are at least this much faster than "
                       "eager (default 1)")
    batch.add_argument("--no-compile-baseline", action="store_true", default=None,
                       help="time PyTorch eager only")
    batch.add_argument("--timed-calls", type=int,
                       help="most timed calls per function: the candidate and each baseline (default 100)")
    batch.add_argument("--candidates-per-worker", type=int,
                       help="candidates one sandboxed worker process serves before a fresh one starts "
                            "(1: a fresh process per candidate; default 32)")
    batch.add_argument("--resume", action="store_true", help="skip ids already in --out")
    batch.add_argument("--json", action="store_true", help="print the summary as one JSON object")

    dd = commands.add_parser("dedup", help="mark exact and near-duplicate kernels in a finished run directory",
                             description="Annotate raw with dedup_cluster / dedup_reason and rewrite the run's "
                                         "splits, card and manifest in place (atomically on a local disk, "
                                         "crash-safe elsewhere). Settings default to the run's own config "
                                         "(dedup section).")
    dd.add_argument("run_dir", metavar="RUN_DIR", help=_RUN_DIR_HELP)
    dd.add_argument("--threshold", type=float, help="estimated Jaccard similarity of near duplicates (0-1]")
    dd.add_argument("--num-perm", type=int, help="MinHash permutations")
    dd.add_argument("--shingle-tokens", type=int, help="tokens per shingle")
    dd.add_argument("--scope", choices=["op", "spec", "global"],
                    help="compare kernels for the same problem up to its shapes (op: family, ops and dtype), "
                         "the same spec, or the whole run")
    dd.add_argument("--workers", type=int, help="processes (default: one per CPU)")
    dd.add_argument("--json", action="store_true", help="print checked, clusters, duplicates, by_reason")

    dc = commands.add_parser("decontaminate", help="mark rows of a finished run that overlap benchmarks",
                             description="Check raw against benchmarks (directories, files or Hub dataset ids; "
                                         "KernelBench format, TritonBench, ...) at the spec and code level and "
                                         "rewrite the run directory in place (atomically on a local disk, "
                                         "crash-safe elsewhere). Marks replace earlier ones.")
    dc.add_argument("run_dir", metavar="RUN_DIR", help=_RUN_DIR_HELP)
    dc.add_argument("--benchmark", nargs="+", required=True, metavar="PATH",
                    help="benchmark directories, files or Hub dataset ids")
    dc.add_argument("--ngram-tokens", type=int, help="n of the code-level n-grams (default 13)")
    dc.add_argument("--ngram-threshold", type=float, help="share of distinctive n-grams that makes a match")
    dc.add_argument("--no-spec-level", action="store_true", help="skip the op-signature-and-shapes check")
    dc.add_argument("--workers", type=int, help="processes (default: one per CPU)")
    dc.add_argument("--json", action="store_true", help="print checked, contaminated, by_benchmark")

    pub = commands.add_parser("publish", help="upload a finished run directory to the Hugging Face Hub",
                              description="Create the dataset repository if needed and upload the run in one "
                                          "commit. Token: HF_TOKEN or the stored login. Secrets never reach an "
                                          "uploaded file.")
    pub.add_argument("run_dir", metavar="RUN_DIR", help=_RUN_DIR_HELP)
    pub.add_argument("--repo-id", required=True, metavar="ORG/NAME")
    pub.add_argument("--private", action="store_true")
    pub.add_argument("--revision", metavar="BRANCH", help="upload to this branch (created if missing)")
    pub.add_argument("--dry-run", action="store_true",
                     help="assemble and check the upload folder, print its files, upload nothing (the folder is "
                          "removed unless --folder names where to keep it)")
    pub.add_argument("--folder", metavar="DIR", help="with --dry-run: assemble the upload folder in DIR and keep it")
    pub.add_argument("--json", action="store_true")

    rep = commands.add_parser("report", help="write RUN_DIR/report.html and its plots as PNG files",
                              description="Plots of a finished run (speedups, acceptance by family and reason, "
                                          "turns to success, curation) in RUN_DIR/report.html and RUN_DIR/report/.")
    rep.add_argument("run_dir", metavar="RUN_DIR", help=_RUN_DIR_HELP)
    rep.add_argument("--json", action="store_true")

    rew = commands.add_parser("reward", help="score a model's completion for an rl row with the verifier",
                              description="The RL reward (kerneldata.reward): 0 when rejected, more for faster "
                                          "correct kernels. The row is a JSON object with reference_code (and "
                                          "dtype, atol, rtol), or --run/--spec-id picks one from a run's rl split. "
                                          "The score is printed whatever the verdict; exit 0 accepted, 1 rejected "
                                          "(a completion without code included), 3 unverified on this device, "
                                          "2 bad input.")
    source = rew.add_mutually_exclusive_group(required=True)
    source.add_argument("--row", help="a JSON file holding one rl row")
    source.add_argument("--run", help="a run directory (a local path or URI); with --spec-id")
    rew.add_argument("--spec-id", help="the rl row's spec_id (with --run)")
    rew.add_argument("--completion", required=True, help="the model's completion (text with a fenced code block)")
    rew.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    rew.add_argument("--timeout", type=float, default=120.0)
    rew.add_argument("--json", action="store_true")

    specs = commands.add_parser("specs", help="the spec sampler").add_subparsers(dest="specs_command", required=True,
                                                                                 parser_class=_Parser)
    sample = specs.add_parser("sample", help="write N specs as JSON lines",
                              description="Sample specs; one JSON object per line with spec_id, family, ops, "
                                          "dtype, shapes, source (the KernelBench-format problem), origin, "
                                          "input_domains, layouts, output_shape, atol and rtol.")
    sample.add_argument("--n", type=int, required=True, help="number of specs")
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--out", required=True, help="output .jsonl file ('-' for stdout)")
    sample.add_argument("--config", help="take the `specs` section of this run config (flags below override it)")
    sample.add_argument("--families", help="comma-separated family names (default: all)")
    sample.add_argument("--ops", help="comma-separated op names (default: every op of the families)")
    sample.add_argument("--dtypes", help="comma-separated dtypes (default: float32,float16)")
    sample.add_argument("--max-numel", type=int, help="largest tensor, in elements")
    sample.add_argument("--max-bytes", type=int, help="memory cap per spec: inputs, output and parameters, in bytes")
    sample.add_argument("--external", action="append", metavar="DIR|hf:ID",
                        help="also draw from these KernelBench-format problems (repeatable)")
    sample.add_argument("--check", action="store_true",
                        help="run each reference on CPU and replace degenerate specs (see --rejected)")
    sample.add_argument("--rejected", help="with --check: write the rejected specs' verdicts here as JSON lines")
    render = specs.add_parser("render", help="print the problem source of a spec or of one sample of an op",
                              description="ID is a spec_id (looked up in --in) or an op name from the registry "
                                          "(one sample of it is rendered for --seed and --dtype).")
    render.add_argument("id", metavar="ID")
    render.add_argument("--in", dest="in_path", help="a `specs sample` JSONL file to look the spec_id up in")
    render.add_argument("--seed", type=int, default=0)
    render.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    render.add_argument("--json", action="store_true", help="print the whole spec line instead of the source")
    stats = specs.add_parser("stats", help="coverage of a spec file: families, ops, dtypes, size buckets",
                             description="Count the specs of a `specs sample` JSONL file by family, op, dtype, "
                                         "size bucket, rank, layout, input domain and origin.")
    stats.add_argument("path", metavar="FILE.jsonl")
    stats.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    stats.add_argument("--device-profile", default="H200",
                       help="device whose roofline the headroom estimate uses (H100, H200, MI300X, MI325X, MI355X)")
    _add_docs_commands(commands)
    _add_workloads_commands(commands)
    return parser


def _add_workloads_commands(commands) -> None:
    workloads = commands.add_parser("workloads", help="specs from real model architectures at real shapes")
    sub = workloads.add_subparsers(dest="workloads_command", required=True, parser_class=_Parser)
    capture = sub.add_parser(
        "capture", help="trace the curated architectures and write their ATen calls and chains as JSON lines",
        description="Build each architecture from its config (random weights, fake tensors, no download), trace "
                    "one forward per regime and write one JSON object per deduplicated op call or fusible chain, "
                    "with its sources (model, regime, module path, calls per forward, time share).")
    capture.add_argument("--model", action="append", metavar="NAME",
                         help="an architecture (repeatable or comma-separated; default: all; see `workloads list`)")
    capture.add_argument("--regime", action="append", choices=["prefill", "decode", "train"],
                         help="a regime (repeatable; default: each architecture's own)")
    capture.add_argument("--device", default="H200", help="roofline for the time shares (H100, H200, MI300X)")
    capture.add_argument("--out", required=True, help="output .jsonl file")
    listing = sub.add_parser("list", help="the curated architectures and regimes")
    listing.add_argument("--json", action="store_true")


def _add_docs_commands(commands) -> None:
    docs = commands.add_parser("docs", help="documentation retrieval: index documentation trees, search them")
    docs_commands = docs.add_subparsers(dest="docs_command", required=True, parser_class=_Parser)
    index = docs_commands.add_parser(
        "index", help="build a search index of Markdown / reStructuredText / text trees",
        description="Parse every .md, .rst and .txt file under each SRC (Sphinx and MyST markup reduced to "
                    "readable text), cut them into section chunks and write a BM25 index to --out. An "
                    "existing index there is replaced.")
    index.add_argument("sources", nargs="+", metavar="SRC", help="documentation folders, e.g. a checkout's docs/")
    index.add_argument("--out", required=True, metavar="DIR", help="index directory to write")
    index.add_argument("--max-chars", type=int, help="largest chunk, in characters (longer sections are split)")
    index.add_argument("--embedding-model", metavar="PATH",
                       help="local sentence-transformers model directory: also embed the chunks, for hybrid "
                            "search (needs `pip install 'kerneldata[dense]'`; nothing is downloaded)")
    index.add_argument("--json", action="store_true", help="print what was indexed as one JSON object")
    search = docs_commands.add_parser(
        "search", help="the best documentation chunks for a question",
        description="Search an index made by `docs index` (default: the GPU notes shipped with kerneldata). "
                    "Exit 1 when nothing matches. --json prints a list of hits, best first, each with path "
                    "(relative to its indexed root), section, score, text, start_line, end_line and root.")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--index", metavar="DIR", help="index directory (default: the shipped GPU notes)")
    search.add_argument("-k", type=int, default=5, help="number of hits (default 5)")
    search.add_argument("--mode", choices=["auto", "bm25", "dense", "hybrid"], default="auto",
                        help="auto: hybrid when the index has embeddings, else bm25")
    search.add_argument("--json", action="store_true", help="print the hits as one JSON list")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:  # a bare `kerneldata`: what it can do, not an error about a missing command
        _build_parser().print_help()
        return EXIT_OK
    try:
        args = _build_parser().parse_args(argv)
        handler = {"generate": _generate, "verify": _verify, "verify-batch": _verify_batch,
                   "specs": _specs, "dedup": _dedup, "decontaminate": _decontaminate, "publish": _publish,
                   "report": _report, "reward": _reward, "docs": _docs, "workloads": _workloads}[args.command]
        return handler(args)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _generate(args) -> int:
    from kerneldata.core.config import ConfigError, load_config
    from kerneldata import pipeline
    from shards.writer import RunDirError, read_manifest

    command = ["kerneldata", "generate", "--config", args.config]
    try:
        config = load_config(args.config, args.overrides)
        out_dir = args.out or config.out_dir()
        command += ["--out", str(out_dir), "--resume", *args.overrides]
        if args.dry_run:
            _print_preview(pipeline.preview(config, out_dir=out_dir))
            return EXIT_OK
        with _sigterm_interrupts():
            out = pipeline.run(config, out_dir=out_dir, resume=args.resume, progress=not args.no_progress,
                               force=args.force)
        manifest = read_manifest(out)
    except pipeline.AlreadyComplete as err:
        if not args.resume:
            raise UsageError(str(err)) from None
        print(f"{err}; nothing to do", file=sys.stderr)
        out, manifest = err.run_dir, read_manifest(err.run_dir)
    except (ConfigError, RunDirError, pipeline.PipelineError, ValueError) as err:
        raise UsageError(str(err)) from None
    except (pipeline.WorkersFailed, pipeline.TeacherUnreachable) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_CANNOT
    except pipeline.TeacherFailed as err:
        print(f"error: {err}; the run is not complete. Once the teacher answers, resume with: "
              f"{shlex.join(command)}", file=sys.stderr)
        return EXIT_CANNOT
    except pipeline.Interrupted as err:
        print(f"error: {err}; no manifest was written. Resume with: {shlex.join(command)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    counts = manifest["counts"]
    print(f"{out}: {counts['accepted']} accepted, {counts['rejected']} rejected, {counts['unverified']} unverified "
          f"of {counts['candidates']} candidates from {counts['specs']} specs")
    print(_what_you_got(manifest))
    warning = _dedup_warning(manifest)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    return EXIT_OK


def _what_you_got(manifest: dict) -> str:
    """The splits' sizes and what curation took away (issue 18: "109 accepted" said nothing of 26 sft rows)."""
    counts = manifest["counts"]
    dedup = manifest.get("dedup") or {}
    contaminated = counts.get("contaminated", 0)
    return (f"splits: sft {counts.get('sft', 0)}, rl {counts.get('rl', 0)}, preference {counts.get('preference', 0)}, "
            f"raw {counts.get('raw', 0)} rows; dedup marked {counts.get('duplicates', 0)} duplicates "
            f"({dedup.get('exact_duplicate', 0)} exact, {dedup.get('near_duplicate', 0)} near); "
            f"decontamination marked {contaminated} rows")


def _dedup_warning(manifest: dict) -> str | None:
    """A warning when dedup marked most of the accepted kernels: the splits then hold far fewer rows than the
    accepted count suggests."""
    counts = manifest["counts"]
    accepted, duplicates = counts.get("accepted", 0), counts.get("duplicates", 0)
    if not accepted or duplicates * 2 <= accepted:
        return None
    return (f"dedup marked {duplicates} of {accepted} accepted kernels as duplicates, so sft has "
            f"{counts.get('sft', 0)} rows; more specs or dedup.scope=spec (or a higher dedup.threshold) keep more")


def _print_preview(preview: dict) -> None:
    """`generate --dry-run`: the config, the specs by family, op and size, and the first spec's prompt."""
    from generators.specs.stats import format_coverage

    print("# resolved config")
    print(preview["config"], end="")
    degenerate = sum(preview["degenerate_specs"].values())
    print(f"\n# specs: {preview['specs']['specs']} would be drawn"
          + (f" ({degenerate} degenerate ones replaced)" if degenerate else "")
          + f"; the {preview['teacher']} teacher would write {preview['first_answers']} first answers"
          + (f", then refine for up to {preview['max_turns']} rounds (at most {preview['most_candidates']} "
             f"candidates in all)" if preview["max_turns"] else ""))
    print(format_coverage(preview["specs"]), end="")
    unchecked = preview.get("unchecked_specs") or []
    if unchecked:
        print(f"\n# {len(unchecked)} specs kept without running their references (too big for the CPU check):")
        for item in unchecked:
            print(f"  {item['spec_id']}: {item['why']}")
    for message in preview["prompt"]:
        print(f"\n# prompt for {preview['spec_ids'][0]}: {message['role']}")
        print(message["content"])
    print(f"\n# dry run: no teacher asked, nothing written to {preview['out']}")


@contextlib.contextmanager
def _sigterm_interrupts():
    """SIGTERM (`ray job stop`, a scheduler's preemption) stops `generate` the way Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _verify_flags(parser) -> None:
    """The flags `verify` and `verify-batch` share: a run config's `verify` section, and the keys of it most
    often set by hand (a flag given wins over the file)."""
    parser.add_argument("--config", help="take the verifier's settings from this run config's verify section")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], help="default auto")
    parser.add_argument("--timeout", type=float, help="seconds for the whole check of a candidate (default 120)")
    parser.add_argument("--seeds", type=int, help="number of unseen input draws (default 3)")


def _verify_config(args):
    """The `verify` section that --config and the flags make: the one config the pipeline, the CLI and the RL
    reward all turn into the verifier's options (`filters.verifier.judge.options_from_config`)."""
    from pydantic import ValidationError

    from kerneldata.core.config import ConfigError, VerifyConfig, load_config

    try:
        base = load_config(args.config).verify.model_dump() if args.config else {}
    except ConfigError as err:
        raise UsageError(str(err)) from None
    flags = {"device": args.device, "timeout_s": args.timeout, "num_seeds": args.seeds,
             "min_speedup": getattr(args, "min_speedup", None), "timed_calls": getattr(args, "timed_calls", None),
             "candidates_per_worker": getattr(args, "candidates_per_worker", None),
             "compile_baseline": False if getattr(args, "no_compile_baseline", None) else None}
    try:
        return VerifyConfig(**{**base, **{key: value for key, value in flags.items() if value is not None}})
    except ValidationError as err:
        first = err.errors()[0]
        raise UsageError(f"verify.{'.'.join(map(str, first['loc']))}: {first['msg'].lower()} "
                         f"(got {first.get('input')!r})") from None


def _verify(args) -> int:
    from filters.verifier.judge import judge_row, options_from_config
    from filters.verifier.verify import ReferenceError_, require_input_dependence

    problem, candidate = _read_text(args.problem, "--problem"), _read_text(args.candidate, "--candidate")
    config = _verify_config(args)
    try:
        require_input_dependence(problem)  # a constant output could check nothing (issue 15, section 6)
        workloads = [{"label": Path(path).stem, "shapes": [], "reference_code": _read_text(path, "--workload")}
                     for path in args.workload]
        verdict = judge_row({"reference_code": problem, "code": candidate, "workloads": workloads},
                            options=options_from_config(config))
    except ReferenceError_ as err:
        raise UsageError(f"{args.problem}: {err}") from None
    except ValueError as err:
        raise UsageError(str(err)) from None
    if args.json:
        print(json.dumps(verdict.to_json()))
    else:
        print(f"{verdict.status.value} ({verdict.check.value}): {verdict.reason}")
    return _verdict_exit(verdict.status.value, verdict.reason, as_json=args.json)


def _verdict_exit(status: str, reason: str, *, as_json: bool) -> int:
    """The exit code of a verdict: 0 accepted, 1 rejected, 3 unverified (this device cannot judge it). With
    --json the one-line reason of a 1 or 3 goes to stderr, so stdout stays one JSON value; without, the line
    already printed says it."""
    from kerneldata.core.outcomes import Status

    if status == Status.ACCEPTED.value:
        return EXIT_OK
    if as_json:
        print(f"{status}: {reason}", file=sys.stderr)
    return EXIT_NO if status == Status.REJECTED.value else EXIT_CANNOT


def _verify_batch(args) -> int:
    from filters.verifier.batch import BatchInputError, read_candidates, verify_batch
    from filters.verifier.judge import options_from_config
    from filters.verifier.verify import ReferenceError_

    try:
        devices = [int(d) for d in args.devices.split(",") if d.strip()]
    except ValueError:
        raise UsageError(f"--devices {args.devices!r}: expected comma-separated GPU indices such as 0,1") from None
    if not devices or args.workers_per_device < 1:
        raise UsageError("--devices needs an index and --workers-per-device must be at least 1")
    config = _verify_config(args)
    try:
        options = options_from_config(config)
        device = options.device
        if device == "cuda":
            import torch

            missing = [d for d in devices if d >= torch.cuda.device_count()]
            if missing:
                raise UsageError(f"--devices: GPU {missing[0]} does not exist; this machine has "
                                 f"{torch.cuda.device_count()}")
        items = read_candidates(Path(args.in_path))
        summary = verify_batch(items, Path(args.out), options=options, devices=devices,
                               workers_per_device=args.workers_per_device, resume=args.resume)
    except (BatchInputError, ReferenceError_, ValueError) as err:
        raise UsageError(str(err)) from None
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{summary['verified']} verified ({summary['accepted']} accepted, {summary['rejected']} rejected, "
              f"{summary['unverified']} unverified) in {summary['seconds']} s; {summary['skipped']} skipped")
    return EXIT_OK


def _workloads(args) -> int:
    from generators.specs.workloads.architectures import ARCHITECTURES, REGIMES
    from generators.specs.workloads.sampling import capture_workloads, write_records

    if args.workloads_command == "list":
        rows = [{"name": a.name, "kind": a.kind, "checkpoint": a.checkpoint, "regimes": list(a.regimes),
                 "layers": a.num_layers, "hyperparameters": a.hyper} for a in ARCHITECTURES.values()]
        if args.json:
            print(json.dumps({"architectures": rows, "regimes": {r.name: r.doc for r in REGIMES.values()}}))
        else:
            for row in rows:
                print(f"{row['name']:<24} {row['kind']:<10} {','.join(row['regimes']):<22} {row['checkpoint']}")
        return EXIT_OK
    models = [m for value in args.model or [] for m in value.split(",") if m] or None
    started = time.monotonic()
    try:
        records, seconds = capture_workloads(models, args.regime, device=args.device,
                                             log=lambda line: print(line, file=sys.stderr))
    except ValueError as err:
        raise UsageError(str(err)) from None
    write_records(args.out, records)
    print(f"{len(records)} workload records from {len(seconds)} model regimes written to {args.out} in "
          f"{time.monotonic() - started:.1f}s", file=sys.stderr)
    return EXIT_OK


def _specs(args) -> int:
    return {"sample": _specs_sample, "render": _specs_render, "stats": _specs_stats}[args.specs_command](args)


def _specs_config(args):
    """The `specs` section: the --config file's (or the defaults), with the command-line flags applied."""
    from pydantic import ValidationError

    from kerneldata.core.config import ConfigError, SpecsConfig, load_config

    try:
        base = load_config(args.config).specs.model_dump() if args.config else {}
    except ConfigError as err:
        raise UsageError(str(err)) from None
    fields = {"num_specs": args.n}
    for flag, key in (("families", "families"), ("ops", "ops"), ("dtypes", "dtypes")):
        value = getattr(args, flag)
        if value:
            fields[key] = [part for part in value.split(",") if part]
    if args.max_numel is not None:
        fields["max_numel"] = args.max_numel
    if args.max_bytes is not None:
        fields["max_bytes"] = args.max_bytes
    if args.external:
        fields["external"] = list(args.external)
    try:
        return SpecsConfig(**{**base, **fields})
    except ValidationError as err:
        first = err.errors()[0]
        raise UsageError(f"specs.{'.'.join(map(str, first['loc']))}: {first['msg'].lower()} "
                         f"(got {first.get('input')!r})") from None


def _specs_sample(args) -> int:
    from generators.specs import SpecSampler
    from generators.specs.degenerate import sample_checked

    if args.n < 1:
        raise UsageError("--n must be at least 1")
    if args.rejected and not args.check:
        raise UsageError("--rejected needs --check")
    config = _specs_config(args)
    try:
        if config.source == "workloads":
            from generators.specs.workloads.sampling import WorkloadSampler

            sampler = WorkloadSampler(config.workloads, args.seed, extra_workloads=config.extra_workloads,
                                      min_eager_us=config.min_eager_us, min_headroom=config.min_headroom,
                                      device_profile=config.device_profile)
        else:
            sampler = SpecSampler(config, args.seed)
        if args.check:
            specs, rejected = sample_checked(sampler, args.n)
        else:
            specs, rejected = sampler.sample(args.n), []
    except ValueError as err:
        raise UsageError(str(err)) from None
    _write_lines(args.out, [spec.to_json() for spec in specs])
    if args.rejected:
        _write_lines(args.rejected, [check.to_json() for check in rejected])
    if args.check and args.out != "-":
        print(f"{len(specs)} specs written to {args.out}; {len(rejected)} degenerate specs replaced", file=sys.stderr)
    return EXIT_OK


def _specs_render(args) -> int:
    from generators.specs import sample_op
    from kerneldata.core.spec import Spec

    if args.in_path:
        for _, line in _read_jsonl(args.in_path):
            if line.get("spec_id") == args.id:
                spec = Spec.from_json(line)
                break
        else:
            raise UsageError(f"spec {args.id!r} is not in {args.in_path}")
    else:
        try:
            spec = sample_op(args.id, args.seed, args.dtype)
        except ValueError as err:
            hint = " (a spec_id needs --in FILE.jsonl)" if "-" in args.id else ""
            raise UsageError(f"{err}{hint}") from None
    if args.json:
        print(json.dumps(spec.to_json()))
    else:
        sys.stdout.write(spec.source)
    return EXIT_OK


def _specs_stats(args) -> int:
    from generators.specs.stats import coverage, format_coverage

    numbered = list(_read_jsonl(args.path))
    required = ("family", "ops", "dtype", "shapes", "origin")
    for number, line in numbered:
        missing = [key for key in required if key not in line]
        if missing:
            raise UsageError(f"{args.path}:{number}: not a spec line (lacks {', '.join(missing)})")
    if not numbered:
        raise UsageError(f"{args.path} holds no specs (write some with `kerneldata specs sample`)")
    from generators.specs.headroom import get_roofline

    try:
        device = get_roofline(args.device_profile).name
    except ValueError as error:
        raise UsageError(str(error)) from None
    stats = coverage([line for _, line in numbered], device)
    print(json.dumps(stats) if args.json else format_coverage(stats), end="\n" if args.json else "")
    return EXIT_OK


def _read_jsonl(path: str):
    """(line number, object) per non-blank line; a bad file is bad usage."""
    from kerneldata.core.jsonl import JsonlError, read_objects

    try:
        yield from read_objects(path)
    except JsonlError as err:
        raise UsageError(str(err)) from None


def _write_lines(path: str, objects: list[dict]) -> None:
    lines = "".join(json.dumps(obj) + "\n" for obj in objects)
    if path == "-":
        sys.stdout.write(lines)
        return
    try:
        Path(path).write_text(lines)
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror}") from None


def _read_text(path: str, flag: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as err:
        raise UsageError(f"{flag} {path}: {err.strerror}") from None


def _run_config(run_dir: str, *, writing: bool = False):
    """The config a finished run was made with (or the defaults for keys it predates). `writing`: the
    command is about to rewrite the run (see shards.writer.open_run)."""
    from kerneldata.core.config import ConfigError, config_from_yaml
    from shards.writer import RUN_CONFIG, RunDirError, open_run

    try:
        location = open_run(run_dir, writing=writing)
        return config_from_yaml(location.read_text(RUN_CONFIG), location.uri(RUN_CONFIG))
    except (ConfigError, RunDirError) as err:
        raise UsageError(str(err)) from None
    except OSError as err:
        raise UsageError(f"{run_dir}: cannot read {RUN_CONFIG}: {err.strerror or err}") from None


def _section(section, **changes):
    from pydantic import ValidationError

    values = section.model_dump()
    values.update({key: value for key, value in changes.items() if value is not None})
    try:
        return type(section)(**values)
    except ValidationError as err:
        first = err.errors()[0]
        raise UsageError(f"--{str(first['loc'][0]).replace('_', '-')}: {first['msg'].lower()}") from None


def _dedup(args) -> int:
    from filters.curate import curate
    from filters.dedup import summary
    from shards.writer import RunDirError, read_raw, rewrite

    config = _section(_run_config(args.run_dir, writing=True).dedup, enabled=True, threshold=args.threshold,
                      num_perm=args.num_perm, shingle_tokens=args.shingle_tokens, scope=args.scope,
                      workers=args.workers)
    try:
        raw = curate(read_raw(args.run_dir), config)
        rewrite(args.run_dir, raw, manifest_extra={"dedup_config": config.model_dump()})
    except RunDirError as err:
        raise UsageError(str(err)) from None
    result = summary(raw)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.run_dir}: {result['duplicates']} duplicates in {result['clusters']} clusters among "
              f"{result['checked']} kernels ({result['by_reason']['exact_duplicate']} exact, "
              f"{result['by_reason']['near_duplicate']} near)")
    return EXIT_OK


def _decontaminate(args) -> int:
    from filters.curate import curate
    from filters.decontaminate import BenchmarkError, BenchmarkIndex, load_benchmarks, summary
    from shards.writer import RunDirError, read_raw, rewrite

    base = _run_config(args.run_dir, writing=True).decontamination
    config = _section(base, benchmarks=list(args.benchmark), ngram_tokens=args.ngram_tokens,
                      ngram_threshold=args.ngram_threshold, workers=args.workers,
                      spec_level=False if args.no_spec_level else None)
    try:
        index = BenchmarkIndex(load_benchmarks(config.benchmarks), config)
        raw = curate(read_raw(args.run_dir), None, index)
        rewrite(args.run_dir, raw, manifest_extra={"decontamination_config": config.model_dump()})
    except (BenchmarkError, RunDirError) as err:
        raise UsageError(str(err)) from None
    result = summary(raw)
    if args.json:
        print(json.dumps({key: result[key] for key in ("checked", "contaminated", "by_benchmark", "by_reason")}))
    else:
        found = ", ".join(f"{name}: {count}" for name, count in result["by_benchmark"].items()) or "none"
        print(f"{args.run_dir}: {result['contaminated']} of {result['checked']} rows overlap a benchmark ({found})")
    return EXIT_OK


def _publish(args) -> int:
    from shards.publish import PublishError, publish
    from shards.writer import RunDirError

    if not re.fullmatch(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*", args.repo_id):
        raise UsageError(f"--repo-id {args.repo_id!r}: expected ORG/NAME")
    if args.folder and not args.dry_run:
        raise UsageError("--folder needs --dry-run")
    try:
        if args.dry_run:
            print(json.dumps(_dry_run_folder(args.run_dir, args.folder)))
            return EXIT_OK
        result = publish(args.run_dir, args.repo_id, private=args.private, revision=args.revision)
    except (RunDirError, PublishError) as err:
        raise UsageError(str(err)) from None
    except Exception as err:  # huggingface_hub's HTTP and auth errors: one line, never a traceback
        print(f"error: the upload failed: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}",
              file=sys.stderr)
        return EXIT_CANNOT
    if args.json:
        print(json.dumps(result))
    else:
        print(f"published {args.run_dir} to {result['repo_id']}@{result['revision']}: {result['commit_url']}")
    return EXIT_OK


def _dry_run_folder(run_dir: str, keep: str | None) -> dict:
    """The upload folder `publish` would send: assembled and checked in `keep`, or in a temporary folder
    that is removed afterwards (a dry run leaves nothing behind that the user did not ask for)."""
    import shutil
    import tempfile

    from shards.publish import assemble

    folder = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="kerneldata-publish-"))
    try:
        assemble(run_dir, folder)
        files = [{"path": path.relative_to(folder).as_posix(), "bytes": path.stat().st_size}
                 for path in sorted(folder.rglob("*")) if path.is_file()]
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    return {"folder": str(folder) if keep else None, "files": files, "bytes": sum(f["bytes"] for f in files)}


def _report(args) -> int:
    from shards.report import write_report
    from shards.writer import RunDirError

    try:
        written = write_report(args.run_dir)
    except RunDirError as err:
        raise UsageError(str(err)) from None
    if args.json:
        print(json.dumps(written))
    else:
        folder = written["png"][0].rsplit("/", 1)[0]
        print(f"{written['html']} ({len(written['png'])} plots, also as PNG in {folder})")
    return EXIT_OK


def _reward(args) -> int:
    from kerneldata.core.hardware import resolve_device
    from filters.verifier.options import VerifyOptions
    from filters.verifier.verify import ReferenceError_
    from kerneldata.reward import score

    if args.run:
        if not args.spec_id:
            raise UsageError("--run needs --spec-id")
        import pyarrow.compute as pc

        from shards.writer import RunDirError, read_split

        try:
            table = read_split(args.run, "rl")
        except RunDirError as err:
            raise UsageError(str(err)) from None
        rows = table.filter(pc.equal(table["spec_id"], args.spec_id)).to_pylist()
        if not rows:
            raise UsageError(f"{args.run}: no rl row with spec_id {args.spec_id!r}")
        row = rows[0]
    else:
        try:
            row = json.loads(_read_text(args.row, "--row"))
        except json.JSONDecodeError as err:
            raise UsageError(f"--row {args.row}: not JSON ({err.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("reference_code"), str):
            raise UsageError(f"--row {args.row}: expected a JSON object with reference_code")
    completion = _read_text(args.completion, "--completion")
    try:
        options = VerifyOptions(device=resolve_device(args.device), timeout_s=args.timeout)
        result = score(completion, row, options=options)
    except (ReferenceError_, ValueError) as err:
        raise UsageError(str(err)) from None
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print(f"reward {result.reward:.4f}: {result.status} ({result.reason_code}): {result.reason}")
    return _verdict_exit(result.status, result.reason, as_json=args.json)


def _docs(args) -> int:
    from generators.retrieval import RetrievalError

    try:
        return _docs_index(args) if args.docs_command == "index" else _docs_search(args)
    except RetrievalError as err:
        raise UsageError(str(err)) from None


def _docs_index(args) -> int:
    import time

    from generators.retrieval import DocIndex

    options = {} if args.max_chars is None else {"max_chars": args.max_chars}
    start = time.perf_counter()
    index = DocIndex.build(args.sources, embedding_model=args.embedding_model, **options)
    out = index.save(args.out)
    files = len({(chunk.root, chunk.path) for chunk in index.chunks})
    summary = {"index": str(out), "chunks": len(index), "files": files, "roots": index.roots,
               "embedding_model": index.embedding_model, "seconds": round(time.perf_counter() - start, 3)}
    if args.json:
        print(json.dumps(summary))
    else:
        dense = f", embedded with {index.embedding_model}" if index.has_embeddings else ""
        print(f"{out}: {len(index)} chunks from {files} files under {', '.join(index.roots)}{dense} "
              f"({summary['seconds']:.1f} s)")
    return EXIT_OK


def _docs_search(args) -> int:
    from generators.retrieval import DocIndex, default_index

    if not args.query.strip():
        raise UsageError("QUERY is empty")
    if args.k < 1:
        raise UsageError(f"-k must be at least 1 (got {args.k})")
    index = DocIndex.load(args.index) if args.index else default_index()
    hits = index.search(args.query, k=args.k, mode=args.mode)
    if args.json:
        print(json.dumps([hit.to_json() for hit in hits]))
    else:
        for rank, hit in enumerate(hits, start=1):
            print(f"{rank}. {hit.root}/{hit.path}:{hit.start_line}-{hit.end_line}  ({hit.score:.3g})  {hit.section}")
            for line in hit.text.splitlines()[:3]:
                print(f"     {line[:110]}")
    if not hits:
        print(f"no documentation matches {args.query!r}", file=sys.stderr)
        return EXIT_NO
    return EXIT_OK
