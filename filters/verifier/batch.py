"""Many verdicts without Ray: `kerneldata verify-batch --in CANDS.jsonl --out RESULTS.jsonl --devices 0,1`.

Each input line is a JSON object with the problem (`reference_code`, or `problem`) and the candidate
(`code`, or `candidate`), and optionally `id` (else `candidate_id`, else the line number), `dtype`, `atol`,
`rtol` (else taken from the problem's inputs), `family` and `shapes` (for the roofline's FLOP count).
Each output line is `{"id": ..., **verdict}`, written as soon as the verdict is known, so a crash keeps
every finished verdict and `resume` skips them. A line whose problem does not run gets an `unverified`
verdict (`bad_reference`), and one the verifier itself fails on `verifier_fault`: neither costs the others.

Workers: one `Runtime` (zygote, caches, measured peaks, timing lock, a pool of sandboxed worker processes)
per device, and several threads per device, each driving one worker process at a time: workers compile in
parallel on the CPU cores while one at a time holds the GPU for timing. A worker process serves candidates
one after another until it faults, a candidate changes its state, or it has served its share.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from kerneldata.core.outcomes import Reason, Status, Verdict
from kerneldata.core.jsonl import JsonlError, read_objects
from kerneldata.core.spec import TOLERANCES
from filters.verifier.reference_probe import ReferenceProbes
from filters.verifier.judge import judge_row
from filters.verifier.options import VerifyOptions
from filters.verifier.runtime import Runtime
from filters.verifier.verify import ReferenceError_


class BatchInputError(ValueError):
    """A line of the input file cannot be verified as written (one line naming it)."""


def read_candidates(path: Path) -> list[dict]:
    items = []
    try:
        rows = list(read_objects(path))
    except JsonlError as err:
        raise BatchInputError(f"--in {err}") from None
    for number, row in rows:
        reference = row.get("reference_code", row.get("problem"))
        code = row.get("code", row.get("candidate"))
        if not isinstance(reference, str) or not isinstance(code, str):
            raise BatchInputError(f"{path}:{number}: needs 'reference_code' (or 'problem') and 'code' (or "
                                  "'candidate') as strings")
        dtype = row.get("dtype")
        if dtype is not None and dtype not in TOLERANCES:
            raise BatchInputError(f"{path}:{number}: dtype {dtype!r} is not one of {', '.join(TOLERANCES)}")
        items.append({"id": str(row.get("id", row.get("candidate_id", number))), "reference_code": reference,
                      "code": code, "dtype": dtype, "atol": row.get("atol"), "rtol": row.get("rtol"),
                      "family": row.get("family"), "shapes": row.get("shapes"),
                      "input_domains": row.get("input_domains"), "workloads": row.get("workloads")})
    ids = [item["id"] for item in items]
    if len(set(ids)) != len(ids):
        raise BatchInputError(f"{path}: ids repeat; give each line a distinct 'id'")
    return items


def verify_batch(items: list[dict], out_path: Path, *, options: VerifyOptions, devices: list[int],
                 workers_per_device: int, resume: bool = False) -> dict:
    """Verify `items` on `devices` (ignored on CPU), appending verdicts to `out_path`; returns a summary."""
    done = set()
    if out_path.exists():
        if not resume:
            raise BatchInputError(f"--out {out_path} exists; pass --resume to skip the verdicts it holds")
        done = {json.loads(line)["id"] for line in out_path.read_text().splitlines() if line.strip()}
    todo = _spread_by_problem([item for item in items if item["id"] not in done])
    # One probe of each problem's reference for the whole batch, whichever device's candidate gets there first.
    probes = ReferenceProbes()
    runtimes = [Runtime(options.device, device_index=index, probes=probes)
                for index in (devices if options.device != "cpu" else [0])]
    lock = threading.Lock()
    counts = {status.value: 0 for status in Status}
    started = time.monotonic()
    try:
        with open(out_path, "a") as out, ThreadPoolExecutor(len(runtimes) * workers_per_device) as pool:
            futures = [pool.submit(_judge, item, options, runtimes[i % len(runtimes)]) for i, item in enumerate(todo)]
            for future in as_completed(futures):
                item_id, verdict = future.result()
                with lock:
                    out.write(json.dumps({"id": item_id, **verdict.to_json()}) + "\n")
                    out.flush()
                    counts[verdict.status.value] += 1
    finally:
        for runtime in runtimes:
            runtime.close()
    seconds = time.monotonic() - started
    phases: dict[str, float] = {}
    for runtime in runtimes:
        for name, spent in runtime.phase_seconds.items():
            phases[name] = round(phases.get(name, 0.0) + spent, 2)
    return {"verified": len(todo), "skipped": len(items) - len(todo), **counts, "seconds": round(seconds, 2),
            "per_second": round(len(todo) / seconds, 3) if seconds > 0 else None,
            # Seconds summed over worker threads: where the time went (waits included).
            "phase_seconds": phases, "confinement": sorted({layer for r in runtimes for layer in r.confinement}),
            # Sandboxed worker processes started, and why each retired one was retired.
            "workers_started": sum(r.workers_started for r in runtimes),
            "workers_retired": _summed(r.workers_retired for r in runtimes),
            "process_changes": _summed(r.process_changes for r in runtimes)}


def _summed(counts) -> dict:
    total: dict = {}
    for count in counts:
        for key, value in count.items():
            total[key] = total.get(key, 0) + value
    return total


def _spread_by_problem(items: list[dict]) -> list[dict]:
    """Order items round-robin over their problems, so the workers start on different problems: the first
    candidate of a problem compiles its torch.compile baseline while the others would wait for it."""
    by_problem: dict[str, list[dict]] = {}
    for item in items:
        by_problem.setdefault(item["reference_code"], []).append(item)
    queues = list(by_problem.values())
    ordered = []
    for round_index in range(max((len(q) for q in queues), default=0)):
        ordered += [q[round_index] for q in queues if round_index < len(q)]
    return ordered


def _judge(item: dict, options: VerifyOptions, runtime: Runtime):
    """One line's verdict. Whatever goes wrong with this line (its problem does not run, the verifier itself
    fails on it) is this line's verdict, `unverified`: the other lines' verdicts are never lost to it."""
    try:
        verdict = judge_row(item, options=options, runtime=runtime)
    except ReferenceError_ as err:
        verdict = Verdict.unverified(Reason.BAD_REFERENCE, f"{err}; no verdict on the candidate.",
                                     device=options.device)
    except Exception as err:  # noqa: BLE001 - our own failure on one line must not cost the others
        first_line = (str(err).strip().splitlines() or [""])[0]
        verdict = Verdict.unverified(Reason.VERIFIER_FAULT, f"the verifier failed on this candidate "
                                     f"({type(err).__name__}: {first_line}), so there is no verdict.",
                                     device=options.device)
    return item["id"], verdict
