"""The built-in teacher: Triton kernels written from parametric templates, no model needed.

It answers specs the way a model would: a sentence about the approach, then the source in a ```python fence.
The templates live in `generators.teachers.templates`, one module per family group (elementwise and
binary ops, the row engine's reductions, softmaxes, norms and losses, scans, pooling, matmuls, fused
chains, indexing, attention, issue 16's llm, kvcache, moe, quant and recsys ops, and the single ATen calls
and row-wise fused chains of workload specs); this module routes a spec to its group (by op, or by family for
fused chains and workload specs, where a group's `claims` picks chains over single calls), draws a variant and turns the draft into a row. The sources follow the anatomy of the Triton tutorials (01
vector add, 02 fused softmax, 03 matmul, 05 layer norm): a commented `@triton.jit` kernel that loads in
the input's dtype, computes in fp32 and casts to the output's element type on store; a launcher that
checks shapes and allocates on the input's device; block sizes as `tl.constexpr`; `class ModelNew(nn.Module)`
calling the launcher, with parameters drawn as the reference draws them.

Candidates for one spec differ for real: loop structure (one block per program, a fixed grid that sweeps
the tensor, 2-D tiles; a row in one block, column tiles, an online softmax, blocks of short rows; grouped,
row-major or 2-D tile order for matmul; how much of a fused chain runs in the matmul's epilogue), block
sizes, `num_warps`, `num_stages` and `GROUP_SIZE_M`, so they differ in speed. About a fifth of candidates
carry a flaw a real model makes, offered only where it shows (FLAWS); each such candidate is wrong on
plain random inputs, on the verifier's transformed inputs, or, for TF32, on the GPU. No template is wrong
in a way that those inputs hide (such kernels would pass verification and poison the data). A flaw is a
subtle bug inside an otherwise complete kernel, written in any structure that can hold it and drawn as a
correct answer's structure is, so flawed and correct answers have the same lengths and openings, and a
flawed answer's prose is the prose a correct answer in its structure gives: the flaw is in the code only, no
sentence marks the rejected side (tests/generators/test_teacher_builtin_balance.py): a preference pair
differs by its verdict, not its shape. A sample drawn correct after a flawed one whose structure no correct
sample has yet is written in that structure, so the flawed answer has a correct partner of its own kind
where the samples allow (tests/shards/test_preference_balance.py measures the pairs that result).

Guarantees: the same seed and spec row give the same candidates, byte for byte; each candidate's code is
what `extract_code` takes from its completion; candidates of one spec do not repeat code while the
parameter space allows. A template answers only a spec whose reference is exactly what it was written for
(the sampler's rendering of its op, a chain of the composition grammar, one ATen call of a workload spec
that a workload template models, or a workload chain whose every value fits the row structure of
`templates.chain`); for any other spec (external problems, convolutions, workload chains with cat, layer
norm or layout calls, integer bookkeeping calls) the teacher declines with one row that holds no code and says why in
`teacher_meta.declined`, which the verifier records as `no_code`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from generators.extract import extract_code
from generators.prompts import Prompter
from generators.teachers.base import RefineRequest, Teacher, candidate_row
from generators.teachers.templates import FAMILY_GROUPS, FLAWS as TEMPLATE_FLAWS
from generators.teachers.templates.base import Decline, Draft, Group, Variant
from kerneldata.core.config import TeacherConfig

TEACHER = "builtin"
# v3: flaws drawn in every structure that can hold them, flaws for issue 16's ops, more structures per op,
# workload specs answered. v4: a flawed answer's prose is a correct answer's (issue 17); second structures
# for the kvcache and moe ops and nll_loss. v5: row-wise fused chains of workload specs (templates.chain).
# v6: a correct sample after a flawed one takes its structure (`_draw`'s twin), fixed_block is a capped block.
TEACHER_MODEL = "builtin-templates-v6"

# Flawed variants: name -> (what is wrong, probability of choosing it where it applies), from every template
# module. A flaw is only offered for a spec where it shows (a fixed block only for rows longer than the
# block, a floor-divided grid only when the tail it drops has at least 16 elements...).
FLAWS: dict[str, tuple[str, float]] = {
    **TEMPLATE_FLAWS,
}


class BuiltinTeacher(Teacher):
    """`generate(spec_row)` -> `samples_per_spec` rows of `CANDIDATE_SCHEMA` for one spec row."""

    name = TEACHER
    model = TEACHER_MODEL

    def __init__(self, config: TeacherConfig, seed: int) -> None:
        self.config = config
        self.seed = seed
        # The prompt is what a model would have been asked: it goes into the SFT rows beside the template's
        # answer, so it follows the `teacher.prompt` section like any teacher's.
        self.prompter = Prompter(config.prompt)

    def generate_batch(self, spec_rows: Sequence[dict]) -> list[dict]:
        return [row for spec_row in spec_rows for row in self._generate_one(spec_row)]

    def refine_batch(self, requests: Sequence[RefineRequest]) -> list[dict]:
        """Answers to the refinement loop's feedback (see `teachers.builtin_refine`)."""
        from generators.teachers.builtin_refine import refine_rows  # it builds on this module's templates

        return refine_rows(requests, seed=self.seed)

    def _generate_one(self, spec_row: dict) -> list[dict]:
        prompt = self.prompter(spec_row)
        try:
            variants_for(spec_row)
        except Decline as err:
            return [self._declined(spec_row, prompt, str(err))]
        seen: set[str] = set()
        drafts: list[Draft] = []
        rows = []
        for sample_index in range(self.config.samples_per_spec):
            draft = self._draw(spec_row, sample_index, seen, twin_of=_without_twin(drafts))
            seen.add(draft.code)
            drafts.append(draft)
            completion = f"{draft.prose}\n\n```python\n{draft.code}```\n"
            code, reason = extract_code(completion)
            assert reason == "ok" and code == draft.code, "a template's completion must extract to its code"
            meta = {"template": TEACHER_MODEL, "variant": draft.variant, "flaw": draft.flaw, **draft.params}
            rows.append(candidate_row(spec_row, teacher=TEACHER, model=TEACHER_MODEL, prompt_version=self.prompter.version,
                                      prompt=prompt, completion=completion, code=code, extracted=True,
                                      seed=self.seed, sample_index=sample_index, meta=meta))
        return rows

    def _declined(self, spec_row: dict, prompt: list[dict], reason: str) -> dict:
        """The one row for a spec without a template: no code, so the verifier records it as `no_code`;
        `teacher_meta.declined` says why."""
        completion = f"The built-in teacher cannot write this kernel: {reason}.\n"
        assert extract_code(completion)[0] is None, "a declining answer must hold no code"
        return candidate_row(spec_row, teacher=TEACHER, model=TEACHER_MODEL, prompt_version=self.prompter.version,
                             prompt=prompt, completion=completion, code=None, extracted=True, seed=self.seed,
                             sample_index=0, meta={"template": TEACHER_MODEL, "declined": reason})

    def _draw(self, spec_row: dict, sample_index: int, seen: set[str], max_attempts: int = 8,
              twin_of: str | None = None) -> Draft:
        """A draft for one sample; redrawn (deterministically) while its code repeats an earlier sample's.
        With `twin_of` (the structure of an earlier flawed sample that no correct sample shares yet), a draw
        that comes out correct is written in that structure where it has a correct variant: a flawed
        answer then has a correct partner of its own structure, and a preference pair differs by the flaw
        rather than by the loop structure (issue 17). Whether a sample is flawed is drawn as before."""
        draft = None
        for attempt in range(max_attempts):
            suffix = f":{attempt}" if attempt else ""
            rng = random.Random(f"builtin:{self.seed}:{spec_row['spec_id']}:{sample_index}{suffix}")
            draft = render(spec_row, rng)
            if draft.flaw is None and twin_of is not None and twin_of != draft.params.get("structure"):
                names = {v.name for v in variants_for(spec_row) if not v.flaw}
                if twin_of in names:
                    draft = render(spec_row, rng, variant=twin_of)
            if draft.code not in seen:
                break
        return draft


def _without_twin(drafts: list[Draft]) -> str | None:
    """The structure of the first flawed draft that no correct draft shares, or None."""
    correct = {d.params.get("structure", d.variant) for d in drafts if d.flaw is None}
    return next((d.params["structure"] for d in drafts
                 if d.flaw is not None and d.params.get("structure") and d.params["structure"] not in correct), None)


def _group(spec_row: dict) -> Group:
    """The template group that answers the spec: by its one op, whatever family the sampler filed it under
    (softmax is in family "softmax", sum in "reduction"). Raises Decline for anything else."""
    ops = list(spec_row["ops"])
    if spec_row["family"] in _BY_FAMILY:
        # A group with `claims` (workload chains) takes its own specs; the family's plain group the rest.
        groups = _BY_FAMILY[spec_row["family"]]
        return next(g for g in groups if g.claims is None or g.claims(spec_row))
    if len(ops) == 1 and ops[0] in _BY_OP:
        return _BY_OP[ops[0]]
    known = ", ".join(op for ops_ in TEMPLATE_OPS.values() for op in ops_)
    raise Decline(f"the builtin teacher has no template for ops {ops} (family {spec_row['family']!r}); "
                  f"it writes kernels for: {known}")


def variants_for(spec_row: dict) -> list[Variant]:
    """The variants (correct and flawed) that apply to this spec row; raises Decline (a ValueError) for an
    op, input layout or reference source without a template known to be correct for it."""
    group = _group(spec_row)
    try:
        group.check(spec_row)
    except Decline:
        raise
    except ValueError as err:
        raise Decline(str(err)) from None
    return [v for v in group.variants if v.applies(spec_row)]


def render(spec_row: dict, rng: random.Random, variant: str | None = None) -> Draft:
    """Render one candidate. Without `variant`: each applicable flaw is chosen with its probability, else a
    correct variant uniformly. With `variant`, that one (it must apply to the spec)."""
    applicable = variants_for(spec_row)
    if variant is not None:
        by_name = {v.name: v for v in applicable}
        if variant not in by_name:
            raise ValueError(f"variant {variant!r} does not apply to spec {spec_row['spec_id']}; "
                             f"applicable: {', '.join(by_name)}")
        return by_name[variant].render(spec_row, rng)
    for v in applicable:
        if v.flaw and rng.random() < FLAWS[v.flaw][1]:
            return v.render(spec_row, rng)
    correct = [v for v in applicable if not v.flaw]
    return rng.choice(correct).render(spec_row, rng)


# The ops each template group answers, and the op -> group registry.
_GROUPS: tuple[Group, ...] = FAMILY_GROUPS
TEMPLATE_OPS: dict[str, tuple[str, ...]] = {}
for _g in _GROUPS:
    TEMPLATE_OPS[_g.name] = TEMPLATE_OPS.get(_g.name, ()) + _g.ops
_BY_OP: dict[str, Group] = {op: group for group in _GROUPS for op in group.ops}
# Groups that answer a whole family by reading its source (fused chains) rather than by op name: those
# that claim some of the family's specs first, then the one (without `claims`) that takes the rest.
_BY_FAMILY: dict[str, list[Group]] = {}
for _g in sorted((g for g in _GROUPS if not g.ops), key=lambda g: g.claims is None):
    _BY_FAMILY.setdefault(_g.name, []).append(_g)
