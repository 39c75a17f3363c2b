"""How the built-in teacher answers the refinement loop's feedback (`BuiltinTeacher.refine_batch`).

It answers as a model would, from what it knows of its own parent (the template parameters in the parent's
`teacher_meta`) and the verdict:
- a parent rejected (or left unverified) because of one of its FLAWS: a corrected variant of the same
  template (`FLAW_FIXES`: the parent's own structure, or the variant that fixes it), keeping as many of the
  parent's parameters as the corrected template has, so the answer is the fix and little else;
- an accepted parent: a different parameterisation: half the time a small step (the same structure, other
  block sizes, warps or stages), otherwise another loop structure or tile order. It is offered as a try for
  speed (`teacher_meta.answer` `faster`) only where the parent's speed was measured; on the CPU interpreter,
  which measures none, as another correct version (`variant`) with no claim about speed;
- a parent whose failure it cannot attribute (no flaw of its own, or another teacher's code): a fresh
  correct variant.
Its completion answers the feedback in a sentence or two, then gives the template's prose and the code.

Guarantees: deterministic for the teacher's seed, the spec and the parent (and the request's `tried`
codes); an answer never repeats a code already written for the spec (`RefineRequest.tried`, the parent's,
and this call's earlier answers): when no draw of any correct variant is new, the request gets no answer;
every answer is a correct
template (no flaw is injected in refinement). A spec the teacher has no template for gets no answer (no
row): there is nothing it could do better than its first answer, a declining one.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence

from generators.extract import extract_code
from generators.teachers.base import RefineRequest, candidate_row
from generators.teachers.builtin import FLAWS, TEACHER, TEACHER_MODEL, Decline, Draft, render, variants_for
from kerneldata.core.outcomes import Status

# A flaw whose corrected template is not the parent's own structure: name -> the variant that fixes it.
# Flaws not named here are fixed by the parent's `structure` parameter (tanh_gelu and floor_div_grid keep
# their flat / grid-stride / tiled layout; tf32_dot keeps its tile order).
FLAW_FIXES = {"fixed_block": "looped"}
# What the answer says it changed, per flaw (others: the flaw's description, fixed).
FIX_NOTES = {
    "tanh_gelu": "This version computes GELU exactly, through erf, as the reference does.",
    "floor_div_grid": "This version rounds the grid up with triton.cdiv, so the last partial block gets a "
                      "program and is masked.",
    "fixed_block": "This version loops over each row in column tiles, so rows longer than one block are "
                   "handled whole.",
    "tf32_dot": 'This version passes input_precision="ieee" to tl.dot, so fp32 products keep full precision.',
}
# Drafts drawn per answer: enough to find one not written before while the parameter space has one.
DRAWS = 32
# Template parameters that are not speed knobs: the loop structure is compared on its own, and `body` only
# picks one of several exact formulas.
_NOT_KNOBS = ("structure", "body")


def refine_rows(requests: Sequence[RefineRequest], *, seed: int) -> list[dict]:
    """Rows of CANDIDATE_SCHEMA answering `requests`, `num_samples` per request, in request order."""
    rows = []
    written: dict[str, set[str]] = {}
    for request in requests:
        spec_row, parent = request.spec_row, request.parent
        try:
            correct = [v.name for v in variants_for(spec_row) if not v.flaw]
        except Decline:
            continue
        seen = written.setdefault(spec_row["spec_id"], set())
        seen.update(request.tried)
        if parent["code"]:
            seen.add(parent["code"])
        for child in range(request.num_samples):
            rng = random.Random(f"builtin-refine:{seed}:{spec_row['spec_id']}:{parent['candidate_id']}:{child}")
            kind, draft, answer = _answer(spec_row, parent, correct, rng, seen)
            if draft.code in seen:
                continue  # every correct variant's parameter space is spent for this spec: nothing new to say
            seen.add(draft.code)
            completion = f"{answer}\n\n{draft.prose}\n\n```python\n{draft.code}```\n"
            code, outcome = extract_code(completion)
            assert outcome == "ok" and code == draft.code, "a template's completion must extract to its code"
            meta = {"template": TEACHER_MODEL, "variant": draft.variant, "flaw": draft.flaw, "answer": kind,
                    **draft.params}
            rows.append(candidate_row(spec_row, teacher=TEACHER, model=TEACHER_MODEL, prompt_version=parent["prompt_version"],
                                      prompt=request.messages(), completion=completion, code=code, extracted=True,
                                      seed=seed, sample_index=parent["sample_index"], turn=parent["turn"] + 1,
                                      parent_id=parent["candidate_id"], meta=meta))
    return rows


def _answer(spec_row: dict, parent: dict, correct: list[str], rng: random.Random,
            seen: set[str]) -> tuple[str, Draft, str]:
    """(kind of answer, the draft, the sentences answering the feedback)."""
    own = _own_params(parent)
    flaw = own.get("flaw")
    structure = own.get("structure")
    if parent["status"] == Status.ACCEPTED.value:
        if structure in correct and (rng.random() < 0.5 or len(correct) == 1):
            draft = _pick(spec_row, [structure], rng, seen, like=own, step=True)
            if draft.code in seen:  # this structure's knobs are spent: another structure
                draft = _pick(spec_row, correct, rng, seen)
        else:
            draft = _pick(spec_row, [name for name in correct if name != structure] or correct, rng, seen)
        measured = _measured_speedup(parent)
        return ("faster" if measured else "variant"), draft, _accepted_answer(measured, own, draft)
    fix = FLAW_FIXES.get(flaw, structure) if flaw else None
    if fix in correct:
        draft = _pick(spec_row, [fix], rng, seen, like=own)
        if draft.code in seen:  # every parameterisation of the fix was written: any correct variant fixes it
            draft = _pick(spec_row, correct, rng, seen)
        note = FIX_NOTES.get(flaw, "This version fixes it.")
        return "fix", draft, (f"The verifier reports: {parent['reason']} The cause is in my kernel: "
                              f"{FLAWS[flaw][0]}. {note}")
    draft = _pick(spec_row, correct, rng, seen)
    return "fresh", draft, (f"The verifier reports `{parent['reason_code']}`: {parent['reason']} I cannot pin "
                            f"that on one detail of the kernel, so here is a fresh design rather than a patch "
                            f"of this one.")


def _pick(spec_row: dict, names: list[str], rng: random.Random, seen: set[str], *,
          like: dict | None = None, step: bool = False) -> Draft:
    """Draw up to DRAWS drafts of the named variants and return one whose code is not in `seen`: the first
    drawn, or with `like`, the one sharing most speed knobs with it (the smallest change); with `step`,
    one that changes at least one knob where a draw does. When every draw repeats, the first draw: the
    parameter space is spent."""
    drafts, codes = [], set()
    for _ in range(DRAWS):
        draft = render(spec_row, rng, variant=rng.choice(names))
        if draft.code not in codes:
            codes.add(draft.code)
            drafts.append(draft)
    unseen = [draft for draft in drafts if draft.code not in seen] or drafts[:1]
    if like is None:
        return unseen[0]
    if step:
        unseen = [draft for draft in unseen if _knobs_kept(draft, like) < len(_knobs(draft.params))] or unseen
    return max(unseen, key=lambda draft: _knobs_kept(draft, like))


def _knobs(params: dict) -> dict:
    return {key: value for key, value in params.items() if key not in _NOT_KNOBS}


def _knobs_kept(draft: Draft, like: dict) -> int:
    """How many of the draft's speed knobs have the value they have in `like`."""
    return sum(like.get(key) == value for key, value in _knobs(draft.params).items())


def _own_params(parent: dict) -> dict:
    """The template parameters of a parent this teacher wrote; {} for another teacher's."""
    if parent.get("teacher") != TEACHER:
        return {}
    return json.loads(parent["teacher_meta"])


def _measured_speedup(parent: dict) -> float | None:
    """The parent's speedup over eager where the verifier measured one (never on CPU), else None."""
    speedup = parent.get("speedup_vs_eager")
    if speedup is None or not math.isfinite(speedup) or speedup <= 0:
        return None
    return speedup


def _accepted_answer(measured: float | None, own: dict, draft: Draft) -> str:
    """The sentence answering an accepted parent: it names the parameters it changes (true of the code it
    gives), and offers the rewrite as a try for speed only where the parent's speed was measured; where it
    was not (the CPU interpreter), as another correct design, with no claim about speed."""
    changes = [f"{key} {own[key]} -> {value}" for key, value in draft.params.items()
               if key in own and own[key] != value and key != "body"]
    if measured is not None:
        change = f"I change {', '.join(changes)}" if changes else "I try a different design"
        return f"The kernel passes every check at {measured:.2f}x PyTorch eager. To make it faster, {change}."
    change = f"changing {', '.join(changes)}" if changes else "with a different design"
    return (f"The kernel passes every check; its speed was not measured here, so I cannot say which version is "
            f"faster. Here is another correct version, {change}.")
