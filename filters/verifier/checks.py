"""The checks on one candidate loaded in a sandboxed worker (`CandidateChecks`), and the run-time rules
applied to each of its calls (`run_candidate`: a kernel launched, no input aliased or changed, no PyTorch
compute, no narrowing cast, outputs the kernels wrote, no state kept in the model's tensors). The order of
the checks and what each defends against: `filters.verifier.verify`'s docstring and DESIGN.md section 4."""

from __future__ import annotations

import contextlib
import types
from dataclasses import dataclass

from kerneldata.core.outcomes import Reason, Status, Verdict
from kerneldata.core.spec import TOLERANCES
from filters.verifier import disguise
from filters.verifier.answers import (
    as_list, child_error_detail, interpreter_limit, listed, nbytes, one_line, sandbox_violation, to_device,
    with_measures,
)
from filters.verifier.comparison import (
    bitwise_equal, compare, compare_against_truth, compare_error_model, compare_lowered, compare_to_truth_instead,
    narrower, rms,
)
from filters.verifier.inputs import (
    NON_FINITE_EXCUSED, TRANSFORMS, TransformRefused, cancelling, kept_inputs, lowest_for_masked,
    moved_keeping_layout, one_object_sources, partly_changed, reflected_indices, seeded, transformable,
    transformed_on,
)
from filters.verifier.ipc import unpack_tensors
from filters.verifier.options import VerifyOptions
from filters.verifier.parameters import constant_tensors, redraw
from filters.verifier.runtime import Runtime
from filters.verifier.sandbox import SandboxWorker
from filters.verifier.speed import timed_verdict
from filters.verifier.truth import Truth, atomic_units, float64_truth


# The most autotune configs the interpreter checks one by one (each on a call of its own), and a GPU.
MAX_AUTOTUNE_CONFIGS = 64
MAX_AUTOTUNE_CONFIGS_GPU = 512


class ReferenceError_(ValueError):
    """The reference problem itself cannot run: bad input, not a verdict on the candidate."""


# The aten ops a tensor's value taken to the host arrives as (`float(t)`, `bool(t)`, `t.item()`, `if t:`).
HOST_VALUE_OPS = frozenset({"aten._local_scalar_dense", "aten.is_nonzero", "aten.item"})

def load_reference(source: str, name: str = "reference") -> types.ModuleType:
    """Execute a KernelBench-format problem and check it has what the verifier needs."""
    module = types.ModuleType(name)
    try:
        exec(compile(source, f"<{name}>", "exec"), module.__dict__)  # our input, not the candidate's
    except Exception as err:
        raise ReferenceError_(f"the {name} problem fails to load: {type(err).__name__}: {err}") from None
    missing = [attr for attr in ("Model", "get_inputs", "get_init_inputs") if not hasattr(module, attr)]
    if missing:
        raise ReferenceError_(f"the {name} problem lacks {', '.join(missing)} (KernelBench format)")
    return module


@dataclass(frozen=True)
class Problem:
    """What the checks hold one candidate to: the reference module (its source too), its model on the
    verifying device, the spec's dtype and tolerances, the inputs' declared domains and the FLOP count."""

    reference: types.ModuleType
    code: str
    model: object
    dtype: str
    atol: float
    rtol: float
    input_domains: list[str] | None = None
    flops: float | None = None


@dataclass(frozen=True)
class Twin:
    """The reference built a second time under a public seed, for the candidate's second instance built alike
    (`CandidateChecks.second_instance`), before the first where `first`."""

    problem: Problem
    seed: int
    first: bool


class CandidateChecks:
    """Every check on one candidate loaded in one sandboxed worker, in order (`run`): the plain seeds (the
    first one repeated, then with its input objects partly changed), secret extra calls, the input
    transforms, and on a GPU the timing and one more checked call after it. What the checks share lives
    here: the worst errors seen, the first seed's output scale (transformed inputs scale the tolerance),
    and the evidence across calls of outputs that were PyTorch copies. Raises SandboxError when the worker
    faults."""

    def __init__(self, worker: SandboxWorker, problem: Problem, candidate_code: str, *, options: VerifyOptions,
                 runtime: Runtime) -> None:
        self.worker = worker
        self.problem = problem
        self.candidate_code = candidate_code
        self.options = options
        self.runtime = runtime
        self.device = runtime.torch_device
        self.on_gpu = options.device != "cpu"
        # A GPU sees no atomic add (the interpreter counts them): whether the code has any, by name.
        atomics = atomic_calls(candidate_code) if self.on_gpu else set()
        self.atomic_adds = "atomic_add" in atomics
        # Whether two runs on the same inputs may honestly differ in their last bits on a GPU.
        self.order_varies = bool(atomics & ORDER_DEPENDENT_ATOMICS)
        self.worst_abs = self.worst_rel = 0.0
        # The first plain (untransformed) output scale of each problem checked (the shown one, other
        # workloads), by its source: a transformed call's tolerance grows with its outputs against it.
        self.plain_scale: dict[str, float] = {}
        self.evidence: dict = {}  # across calls: outputs that were PyTorch copies the kernels wrote over
        # The variants (autotune configs) of the calls checked so far, per problem (by source: the shown
        # workload's, the others'): an autotuner prunes its configs per launch, so each workload's count.
        self.variants_checked: dict[str, set[int]] = {}
        # Per (problem source, question): what a copy of the reference answered (`_asked_of_reference`): whether
        # it answers alike in a mode (eval, an autocast dtype, TF32 allowed), so that a call may run in it, and
        # whether it contracts half-precision operands.
        self.reference_answers: dict[tuple[str, str], bool] = {}
        # The reference built under a public seed (set by the caller: filters.verifier.verify), and whether the
        # worker built the candidate's second instance beside it.
        self.twin: Twin | None = None
        self.twin_built = False

    def atomic_units(self) -> float:
        """The atomic-accumulation allowance for the call just run (`filters.verifier.truth.atomic_units`), by
        the most atomic float adds one of its output elements received, as the interpreter counted them. On a
        GPU nothing counts them and there is none: where the reference is a CUDA scatter (index_add, index_put
        with accumulate) it adds with half-precision atomics too and carries that rounding itself; where it
        is not (a split-K sum into fp16, measured on an H100 beyond the model), code with atomic adds that
        falls outside the model is `unverified` on a GPU rather than rejected (`check`). CPU PyTorch
        accumulates scatters in fp32, which is why the interpreter needs the allowance."""
        if self.on_gpu:
            return 0.0
        return atomic_units(self.evidence.get("atomic_adds_per_element", 0))

    @property
    def errors(self) -> dict:
        return {"max_abs_err": self.worst_abs, "max_rel_err": self.worst_rel}

    def run(self, init_inputs: list, init_seed: int) -> Verdict:
        """Load the candidate, run every check, and on a GPU time it."""
        problem = self.load(init_inputs, init_seed)
        if problem:
            return problem
        first_inputs, problem = self.seeds()
        if problem:
            return problem
        transformed, refused, problem = self.transforms(first_inputs)
        if problem:
            return problem
        problem = self.extra_calls() or self.second_instance() \
            or _copy_written_back(self.evidence) or _cast_of_input(self.evidence) \
            or self.every_autotune_config() \
            or self.more_checks()
        if problem:
            return with_measures(problem, **self.errors) if problem.status is Status.REJECTED else problem
        checked = f"{self.options.num_seeds} unseen inputs and {transformed} transforms of them"
        if refused:  # said only where the reference's own failure lowered the count
            checked += f" ({len(refused)} skipped: the reference itself fails on its inputs {listed(refused)})"
        checked += self.more_checked
        if not self.on_gpu:
            return Verdict.accept(
                f"matches the reference on {checked} (max abs err {self.worst_abs:.2e}) under the Triton "
                "interpreter; speed is not measured on CPU.", **self.errors)
        verdict = self.timed(first_inputs, checked)
        if verdict.status is not Status.ACCEPTED:
            return verdict
        # Timing made many more calls than the checks: a kernel that counts its calls and turns to a stored
        # or stale result once past the checks is caught by one more checked call after them.
        _, problem = self.check(self.draw_inputs(), "unseen inputs after timing", variant=disguise.variant())
        return with_measures(problem, runtime_ms=verdict.runtime_ms) if problem else verdict

    # Hooks for checks beyond the shown problem (filters.verifier.workloads): more checked calls after the
    # others, what they add to the accepted verdict's sentence, and the timing.
    more_checked = ""
    workload_sources: tuple[str, ...] = ()  # references the worker loads for timing baselines, after the shown one

    def more_checks(self) -> Verdict | None:
        return None

    def timed(self, first_inputs: list, checked: str) -> Verdict:
        return timed_verdict(self.worker, first_inputs, reference_code=self.problem.code, dtype=self.problem.dtype,
                             flops=self.problem.flops, options=self.options, runtime=self.runtime,
                             checked=checked, errors=self.errors)

    def load(self, init_inputs: list, init_seed: int) -> Verdict | None:
        if self.on_gpu:
            self.runtime.pin_for_compiling(self.worker.pid)
        with self.runtime.phase("load"):
            header, _ = self.worker.load(self.candidate_code, init_inputs, init_seed,
                                         deadline=self.worker.candidate_deadline(self.options.timeout_s),
                                         reference_source=self.problem.code if self.on_gpu else None,
                                         workload_sources=list(self.workload_sources) if self.on_gpu else None,
                                         twin_seed=self.twin.seed if self.twin else None,
                                         twin_first=bool(self.twin and self.twin.first))
        self.runtime.add_child_phases(header)
        self.twin_built = bool(header.get("twin"))
        if not header.get("ok") and header.get("kind") == "interpreter_limit" and not self.on_gpu:
            return interpreter_limit(header)
        if not header.get("ok"):
            return sandbox_violation(header) or \
                Verdict.reject(Reason.IMPORT_ERROR, f"the candidate fails to load: {one_line(header)}",
                               error_detail=child_error_detail(header))
        return None

    def draw_inputs(self, problem: Problem | None = None) -> list:
        """A fresh draw of the problem's inputs (`problem`: another workload's), from a seed of the verification's
        draws. On a GPU they are
        drawn there (a real-scale draw took seconds on the host: 51 s of a 235 MB add's verification on an
        H100's) and kept on the host, where the worker's requests and the input checks take them."""
        import torch

        reference = (problem or self.problem).reference
        with seeded(disguise.seed()):
            if not self.on_gpu:
                return list(reference.get_inputs())
            with torch.device(self.device), self.runtime.phase("draw"):
                drawn = list(reference.get_inputs())
        return [moved_keeping_layout(x, "cpu") if isinstance(x, torch.Tensor) else x for x in drawn]

    def seeds(self) -> tuple[list | None, Verdict | None]:
        """The plain seeds, each after re-drawing the reference's constant-initialised tensors; the first one
        after secret extra calls and followed by the repeat checks. Returns the first seed's inputs."""
        import torch

        first_inputs = None
        redrawn, unused = constant_tensors(self.problem.model), set()
        parameter_rng = torch.Generator().manual_seed(disguise.seed(63))
        for index in range(self.options.num_seeds):
            problem = _redraw_parameters(self.worker, redrawn, parameter_rng, model=self.problem.model,
                                         draw_inputs=self.draw_inputs, device=self.device, unused=unused)
            # Extra calls before the first checked call and after the last (`run`): where checked calls fall
            # and how many come is secret, at about one extra call per candidate on average.
            if problem is None and index == 0:
                problem = self.extra_calls()
            if problem:
                return None, problem
            inputs = self.draw_inputs()
            modes = disguise.repeat_modes() if index == 0 else (None, None)
            grads = disguise.grad_modes() if index == 0 else (None,)
            # One draw of which inputs require grad for the three calls (disguise.grad_inputs), and the
            # parameters frozen on the first call or on its repeat, never both (disguise.frozen_parameters).
            marks = disguise.grad_inputs(len(inputs)) if index == 0 else None
            frozen = disguise.frozen_parameters() if index == 0 else None
            offset = disguise.input_offset() if index == 0 else None
            evaluate = disguise.eval_mode() if index == 0 else None
            # Three calls held to the reference (the first call, the repeat on its input objects, the next
            # seed's) run under every process-wide mode a launcher may read, in a secret order
            # (disguise.ambients): without autocast and under each of its dtypes, under each TF32 setting (held
            # at the precision the mode allows where the reference would move under it: `precision_allowed`),
            # and told once that torch.compile traces them: a candidate must answer as PyTorch does in
            # mixed-precision training and under a user's torch.compile too.
            if index == 0:
                ambients = tuple(self.runnable(self.problem, inputs, ambient) for ambient in disguise.ambients())
            call = 0 if index == 0 else 2 if index == 1 else None
            outputs, problem = self.check(inputs, f"unseen inputs #{index + 1}", variant=index, poison=modes[0],
                                          grad=grads[0], grad_inputs=marks, offset=offset, eval_mode=evaluate,
                                          frozen=frozen, ambient=disguise.PLAIN if call is None else ambients[call])
            if problem:
                return None, problem
            if index == 0:
                first_inputs = inputs
                problem = self.repeat(inputs, outputs, variant=index, poison=modes[1], grads=grads[1:],
                                      grad_inputs=marks, offset=not offset, eval_mode=not evaluate,
                                      frozen=not frozen, ambients=ambients[:2])
                if problem:
                    return None, problem
        return first_inputs, None

    def repeat(self, inputs: list, outputs: list, *, variant: int, poison: str,
               grads: tuple[str, str], offset: bool, eval_mode: bool, grad_inputs: tuple[bool, ...] | None = None,
               frozen: bool | None = None,
               ambients: tuple[disguise.Ambient, disguise.Ambient] = (disguise.PLAIN, disguise.PLAIN),
               ) -> Verdict | None:
        """State kept across calls cannot change results (issue 15 section 5). The same inputs again must give
        the same bits (under other poison: a kernel reading its uninitialised output to spot verification
        disagrees with itself); then the very same input objects, at the same addresses and shapes, with part
        of their contents redrawn must give the reference's answer for the new contents (a cache keyed by
        address, shape, object or a sample of the values returns the stale answer). The two runs are in the
        two grad modes the first run was not in (`grads`, disguise.grad_modes), the first of them with its inputs
        at a storage offset if the first run's were not, and at none if they were (`offset`), and in the other
        module mode (`eval_mode`, where the reference answers alike in both), the first with the candidate's
        parameters `frozen` or not, with the inputs `grad_inputs` marks requiring grad where autograd is on or
        off (the first run's draw: disguise.grad_inputs); under `ambients` (process-wide modes the
        caller made sure the reference answers alike under), the first as the first run was, since it is held
        to that run's bits, the second held to the reference."""
        evaluate = eval_mode and self.answers_alike_in_eval(self.problem, inputs)
        with _modules_in_eval(self.problem.model, evaluate):
            again, problem = run_candidate(self.worker, inputs, dtype=self.problem.dtype, variant=variant,
                                           runtime=self.runtime, poison=poison, evidence=self.evidence,
                                           grad=grads[0], grad_inputs=grad_inputs, offset=offset, eval_mode=evaluate,
                                           frozen=frozen, ambient=ambients[0], narrowing_allowed=ambients[0].autocast)
        if problem:
            return problem
        if not all(bitwise_equal(a, b) for a, b in zip(outputs, again)) \
                and not (self.order_varies and self.within_tolerance(outputs, again)):
            return Verdict.reject(Reason.NONDETERMINISTIC, "two runs of the candidate on the same inputs disagree.",
                                  **self.errors)
        changed = partly_changed(inputs, self.draw_inputs())
        try:
            _, problem = self.check(changed, "the same input tensors with part of their contents changed",
                                    variant=variant, reuse_inputs=True, grad=grads[1], grad_inputs=grad_inputs,
                                    ambient=ambients[1])
        except ReferenceError_:
            # The reference refuses the mixed draw (its inputs are related across elements): the same objects
            # with their own contents still defeat a cache keyed by a fresh object's address.
            _, problem = self.check(inputs, "the same input tensors again", variant=variant, reuse_inputs=True,
                                    grad=grads[1], grad_inputs=grad_inputs, ambient=ambients[1])
        return problem

    def within_tolerance(self, outputs: list, again: list) -> bool:
        """Whether two runs' outputs differ by no more than the spec's tolerance, element by element: the
        order of float atomic adds (or of sums a spin lock serialises) varies from run to run on a GPU, and so
        do the last bits of their sums."""
        import torch

        for a, b in zip(outputs, again):
            if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)) or a.shape != b.shape \
                    or a.dtype != b.dtype:
                return False
            if not a.is_floating_point():
                if not bitwise_equal(a, b):
                    return False
                continue
            a64, b64 = a.to(torch.float64), b.to(torch.float64)
            if not bool(torch.isclose(a64, b64, atol=self.problem.atol, rtol=self.problem.rtol,
                                      equal_nan=True).all()):
                return False
        return True

    def every_autotune_config(self, problem: Problem | None = None) -> Verdict | None:
        """Each checked call runs one autotune config (`variant` modulo their number: the child's
        `_choose_autotune_configs`), where a user's GPU benchmarks them all and keeps the fastest: a config
        that skips the work would be the one it picks, on its shapes and its noise, whichever the verifier's
        GPU would have picked. So every config an autotuner offered is checked on fresh inputs on some call;
        more than can be afforded one by one leave the verdict unverified (on CPU: to a GPU). `problem`: another
        workload's (its configs may be pruned otherwise; each is checked at its sizes too)."""
        problem = problem or self.problem
        offered = self.evidence.get("autotune_configs", 0)
        limit = MAX_AUTOTUNE_CONFIGS_GPU if self.on_gpu else MAX_AUTOTUNE_CONFIGS
        if offered > limit:
            who, then = ("the verifier", "") if self.on_gpu else ("the interpreter", "; verify on a GPU")
            return Verdict.unverified(Reason.INTERPRETER_LIMIT, f"an autotuner offers {offered} configs, more than "
                                      f"{who} checks one by one ({limit}){then}.")
        checked = self.variants_checked.setdefault(problem.code, set())
        for variant in range(offered):
            if variant not in checked:
                _, rejection = self.check(self.draw_inputs(problem), f"unseen inputs with autotune config "
                                          f"{variant + 1} of {offered}", variant=variant, problem=problem)
                if rejection:
                    return rejection
        return None

    def second_instance(self) -> Verdict | None:
        """One call on fresh inputs of a second instance of the candidate, built under a public seed (0 or 42,
        as users and KernelBench's evaluation build it), held to the reference built alike: the checked calls
        of the first instance, built under a secret seed, and this one meet both kinds of seed, so a candidate
        that draws in `__init__` and compares the draw with a public seed's (rt_detect_seed_probe_in_init)
        cannot tell either from use. None where the worker could not build it (its users would see that), or
        where building the candidate drew no random numbers (nothing about the seed can show in it)."""
        if self.twin is None or not self.twin_built:
            return None
        _, problem = self.check(self.draw_inputs(), f"unseen inputs, on a second instance built after "
                                f"torch.manual_seed({self.twin.seed})", variant=disguise.variant(),
                                problem=self.twin.problem, twin=True)
        return problem

    def extra_calls(self) -> Verdict | None:
        """A secret number of calls on fresh inputs (checked like any other) before the next checked call,
        so a kernel counting its calls in a tensor cannot know which calls are checked or how many."""
        for _ in range(disguise.extra_calls()):
            _, problem = self.check(self.draw_inputs(), "unseen inputs (an extra call)", variant=disguise.variant())
            if problem:
                return problem
        return None

    def transforms(self, first_inputs: list, *,
                   problem: Problem | None = None) -> tuple[int, list[str], Verdict | None]:
        """The first seed's inputs transformed (`filters.verifier.inputs.TRANSFORMS`) where each input's domain
        and the reference allow. Returns how many ran, the names the reference itself refused, and a
        rejection or None. `problem`: another workload's (`first_inputs` are then its own)."""
        problem = problem or self.problem
        transformed, refused = 0, []
        domains = problem.input_domains
        allowed = {name: transformable(first_inputs, domains, kind) for name, (kind, _) in TRANSFORMS.items()}
        with self.runtime.phase("probe reference"):
            kept = kept_inputs(problem.model, first_inputs, domains, allowed, reference_code=problem.code,
                               runtime=self.runtime)
        for number, (name, (_, transform)) in enumerate(TRANSFORMS.items()):
            if not any(allowed[name]):
                continue
            if not any(kept[name]):
                refused.append(name)
                continue
            inputs = [transformed_on(self.device, transform, x) if on else x
                      for x, on in zip(first_inputs, kept[name])]
            if name in NON_FINITE_EXCUSED:
                masks = self._masks_as_a_mask(problem, inputs)
                if masks is None:  # the reference raises on them (on CPU: on a GPU the probe keeps them off)
                    refused.append(name)
                if not masks:
                    continue  # -inf is no mask to this reference: nothing it answers there says what is right
            try:
                outputs, problem_found = self.check(inputs, f"inputs {name}", variant=self.options.num_seeds + number,
                                                    transformed=True, problem=problem,
                                                    non_finite_excused=name in NON_FINITE_EXCUSED)
            except TransformRefused:
                refused.append(name)
                continue
            if problem_found:
                return transformed, refused, problem_found
            transformed += outputs is not None
        shifted = kept["shifted by -8"]  # the inputs the reference takes shifted: those cancelling inputs move
        # The extra calls: (name, inputs, what a rejection calls them, variant past the transforms, the exception
        # that means the reference refused them, options for `check`).
        extra = []
        if problem.dtype in ("float16", "bfloat16") and any(shifted) and self.contracts_in_half(problem, first_inputs):
            inputs = cancelling(first_inputs, shifted)
            if inputs is not None:
                extra.append(("cancelling", inputs, "inputs whose products cancel (partial sums far above the answer)",
                              0, TransformRefused, {}))
        reflected = reflected_indices(first_inputs, domains)
        if reflected is not None:
            extra.append(("indices reflected", reflected,
                          "inputs with their indices reflected across their range (i to high - 1 - i)", 2, TransformRefused,
                          {}))
        sources = one_object_sources(first_inputs, domains)
        if sources is not None:
            extra.append(("as one tensor object", [first_inputs[i] for i in sources],
                          "inputs handed over as one tensor object (x, x)", 1,
                          Exception,  # the reference refuses one object twice: nothing to hold the candidate to
                          {"same_as": sources}))
        for name, inputs, what, offset, refusal, options in extra:
            try:
                outputs, problem_found = self.check(inputs, what, variant=self.options.num_seeds + len(TRANSFORMS)
                                                    + offset, transformed=True, problem=problem, **options)
            except refusal:
                refused.append(name)
                continue
            if problem_found:
                return transformed, refused, problem_found
            transformed += outputs is not None
        return transformed, refused, None

    def check(self, inputs: list, what: str, *, eval_mode: bool | None = None, problem: Problem | None = None,
              **options) -> tuple[list | None, Verdict | None]:
        """One checked call (`_check`), with the candidate and the reference both in eval mode when
        `eval_mode` (None: a secret coin) and the reference answers alike in both modes
        (`answers_alike_in_eval`): a candidate reading `self.training` must not tell a verifier's calls, in
        the mode a model is built in, from inference after `model.eval()`."""
        problem = problem or self.problem
        evaluate = (disguise.eval_mode() if eval_mode is None else eval_mode) \
            and self.answers_alike_in_eval(problem, inputs)
        with _modules_in_eval(problem.model, evaluate):
            return self._check(inputs, what, problem=problem, eval_mode=evaluate, **options)

    def _masks_as_a_mask(self, problem: Problem, masked: list) -> bool | None:
        """Whether the reference treats the masked inputs' -inf as a mask: its answer is the same (within the
        spec's tolerances, NaN where NaN) with the dtype's lowest finite value in their place, as a softmax's,
        a max's or a log-sum-exp's is. A quantiser's is not (its scale turns infinite, its codes come from NaN,
        which a kernel converts as its hardware does): on CPU, correct int8 and fp8 quantiser templates were
        rejected on the masked call (2026-12-07). None where the reference raises on either."""
        import copy

        import torch

        try:
            with torch.no_grad():
                model = copy.deepcopy(problem.model)  # its own state (running statistics) stays untouched
                infinite = [e.detach() for e in as_list(model(*[to_device(x, self.device) for x in masked]))]
                lowest = [e.detach() for e in as_list(model(
                    *[to_device(lowest_for_masked(x), self.device) for x in masked]))]
        except Exception:  # noqa: BLE001 - a reference refusing either: the transform is refused
            return None
        if len(infinite) != len(lowest):
            return False
        for a, b in zip(infinite, lowest):
            if a.shape != b.shape or a.dtype != b.dtype:
                return False
            if not a.is_floating_point():
                if not torch.equal(a, b):
                    return False
                continue
            if not bool(torch.isclose(a.double(), b.double(), atol=problem.atol, rtol=problem.rtol,
                                      equal_nan=True).all()):
                return False
        return True

    def answers_alike_in_eval(self, problem: Problem, inputs: list) -> bool:
        """Whether the reference gives the same bits in training and eval mode on `inputs` (ReLU, a matmul, a
        LayerNorm: yes; batch norm, dropout: no). Only then may a call run in eval mode."""
        return self._asked_of_reference(problem, inputs, "alike in eval", lambda model, x: _runs_give_the_same_bits(
            lambda: model.train()(*x), lambda: model.eval()(*x)))

    def answers_alike_under_autocast(self, problem: Problem, inputs: list, dtype: str) -> bool:
        """Whether the reference gives the same bits under autocast to `dtype` on `inputs` (ReLU, a softmax, a
        float32 LayerNorm: yes; a matmul, which autocast runs in `dtype`: no). Only then may a call run under
        autocast: its answer must be the plain call's."""
        import torch

        def alike(model, x):
            def cast():
                with torch.autocast(device_type=self.device, dtype=getattr(torch, dtype)):
                    return model(*x)
            return _runs_give_the_same_bits(lambda: model(*x), cast)

        return self._asked_of_reference(problem, inputs, f"alike under autocast to {dtype}", alike)

    def answers_alike_with_tf32(self, problem: Problem, inputs: list) -> bool:
        """Whether allowing TF32 leaves the reference's answer alone: it computes no float32 matmul or
        convolution, the only work TF32 changes (seen by dispatch; the setting itself is process-wide, so it
        is never flipped here, where other verifications run beside)."""
        import torch

        return self._asked_of_reference(problem, inputs, "alike with tf32",
                                        lambda model, x: torch.float32 not in _contraction_dtypes(model, x))

    def contracts_in_half(self, problem: Problem, inputs: list) -> bool:
        """Whether the reference multiplies and sums half-precision operands (a matmul, an attention: what
        `_CONTRACTIONS` dispatches to), where an accumulator below float32 is the cheat section 7 of issue 15
        names (`filters.verifier.inputs.cancelling` inputs show it at any inner size)."""
        import torch

        half = {torch.float16, torch.bfloat16}
        return self._asked_of_reference(problem, inputs, "contracts in half",
                                        lambda model, x: bool(_contraction_dtypes(model, x) & half))

    def runnable(self, problem: Problem, inputs: list, ambient: disguise.Ambient) -> disguise.Ambient:
        """`ambient` without its autocast where the reference cannot run under it (PyTorch refuses
        `binary_cross_entropy` under CUDA autocast): no user runs the problem so, and there is no answer to
        hold a call to. Found on an H100: a BCE call held to the lowered precision's float64 allowance, whose
        perturbed probabilities crossed 1 and device-asserted, ending the verifier's CUDA context."""
        import dataclasses

        import torch

        if ambient.autocast is None:
            return ambient

        def runs(model, x):
            with torch.autocast(device_type=self.device, dtype=getattr(torch, ambient.autocast)):
                model(*x)
            return True

        if self._asked_of_reference(problem, inputs, f"runs under autocast to {ambient.autocast}", runs):
            return ambient
        return dataclasses.replace(ambient, autocast=None)

    def precision_allowed(self, problem: Problem, inputs: list, ambient: disguise.Ambient) -> str | None:
        """The dtype whose precision a call under `ambient` may honestly drop to, where the reference itself
        would answer otherwise under that mode (a matmul: autocast runs it in fp16 or bf16, TF32 rounds its
        operands to fp16's 10-bit mantissa); None where it answers alike, and the call is held to its plain
        answer as any other. A launcher that follows the user's mode (casts to the autocast dtype, picks
        `input_precision="tf32"`) is honest there; one that computes garbage is not, whatever the mode."""
        import torch

        allowed = []
        if ambient.autocast is not None and not self.answers_alike_under_autocast(problem, inputs, ambient.autocast):
            allowed.append(ambient.autocast)
        if ambient.tf32 == "on" and not self.answers_alike_with_tf32(problem, inputs):
            allowed.append("float16")
        if allowed:  # never finer than the spec's own dtype (a bf16 matmul under autocast to fp16)
            allowed.append(problem.dtype)
        return max(allowed, key=lambda name: torch.finfo(getattr(torch, name)).eps, default=None)

    def _asked_of_reference(self, problem: Problem, inputs: list, question: str, ask) -> bool:
        """`ask(model, inputs on the device)`, asked once per problem and question of a copy of the reference,
        so that its own state (running statistics) is untouched; a reference that cannot be copied or run
        again answers False (its calls stay in the plain mode, the checks that need a yes do not run)."""
        import copy

        import torch

        key = (problem.code, question)
        if key not in self.reference_answers:
            try:
                with torch.no_grad():
                    self.reference_answers[key] = bool(ask(copy.deepcopy(problem.model),
                                                           [to_device(x, self.device) for x in inputs]))
            except Exception:  # noqa: BLE001 - see above
                self.reference_answers[key] = False
        return self.reference_answers[key]

    def _check(self, inputs: list, what: str, *, variant: int, transformed: bool = False, poison: str | None = None,
               reuse_inputs: bool = False, grad: str | None = None, grad_inputs: tuple[bool, ...] | None = None,
               offset: bool | None = None, eval_mode: bool = False, frozen: bool | None = None,
               ambient: disguise.Ambient = disguise.PLAIN, non_finite_excused: bool = False,
               same_as: list[int] | None = None, twin: bool = False,
               problem: Problem) -> tuple[list | None, Verdict | None]:
        """One checked call: the candidate on `inputs` (described as `what` in a rejection) against the
        reference (`problem`: another workload's, else the shown one). Returns (outputs, None), or (None, a
        rejection), or (None, None) where a transformed input makes the reference itself overflow, or, with
        `non_finite_excused` (inputs.NON_FINITE_EXCUSED), where the candidate is NaN or Inf at some elements
        the reference is finite at and right at every other."""
        import torch

        try:
            # The reference's outputs stay on its device, and the comparisons run there: in float64 on the
            # CPU they cost a real-scale problem (a 235 MB bf16 add, on an H100's host) a minute per candidate.
            with torch.no_grad(), self.runtime.phase("reference"):
                expected = [e.detach() for e in as_list(problem.model(*[to_device(x, self.device) for x in inputs]))]
        except Exception as err:
            if not transformed:  # get_inputs() draws the problem's own domain: the problem is broken
                first_line = (str(err).strip().splitlines() or [""])[0]
                raise ReferenceError_(f"the reference fails on {what}: {type(err).__name__}: {first_line}") from None
            if self.on_gpu:  # a device-side assert leaves this process's CUDA context unusable: nothing to go on with
                raise
            # On CPU the process is intact: a draw the probe did not foresee costs the transform, as there.
            raise TransformRefused() from None
        scale = rms(expected)
        # A transformed call's float64 answer, computed once: it decides the yardstick here and serves the
        # comparisons below (None: computed there, for plain calls, only where they need it).
        truth, truth_instead = None, None
        if not transformed:
            self.plain_scale.setdefault(problem.code, scale)
            tolerance = problem.atol
        elif not all(bool(torch.isfinite(e).all()) for e in expected if e.is_floating_point()):
            return None, None  # the reference itself overflows: nothing to hold the candidate to
        else:
            # Outputs grow with scaled inputs (by 64**2 for a matmul), and so does the rounding error
            # of an exact-in-exact-arithmetic kernel: scale the absolute tolerance with them.
            # Every problem's plain call comes before its transforms (seeds, then transforms; a workload's
            # plain call, then its transforms), so its scale is known here.
            tolerance = problem.atol * max(1.0, scale / max(self.plain_scale[problem.code], 1e-30))
            with self.runtime.phase("truth"):
                truth = float64_truth(problem.model, inputs, self.device)
                truth_instead = _truth_where_reference_is_off(problem, truth, expected, tolerance)
        self.worker.max_result_bytes = 4 * sum(nbytes(x) for x in inputs) + (64 << 20)
        allowed = self.precision_allowed(problem, inputs, ambient)
        with self.runtime.phase("run"):
            outputs, rejection = run_candidate(self.worker, inputs, dtype=problem.dtype, variant=variant,
                                               runtime=self.runtime, poison=poison or disguise.poison_mode(),
                                               reuse_inputs=reuse_inputs, evidence=self.evidence, grad=grad,
                                               grad_inputs=grad_inputs, offset=offset, eval_mode=eval_mode,
                                               frozen=frozen, same_as=same_as, twin=twin, ambient=ambient,
                                               narrowing_allowed=allowed or ambient.autocast)
        if rejection:
            return None, rejection
        with self.runtime.phase("compare"):
            on_device = [to_device(o, self.device) for o in outputs]
            dtype, atol, rtol = problem.dtype, tolerance, problem.rtol
            autocast = ambient.autocast
            # Under autocast a launcher may hand back its output in a half-precision dtype, as mixed-precision
            # kernels do (the autocast one, or the one `custom_fwd(cast_inputs=...)` names).
            half_output = _half_output_dtype(on_device, expected) if autocast is not None else None
            lowered = half_output is not None
            if allowed is not None:
                # The reference would move under this mode: the candidate is held to its plain answer at the
                # precision the mode allows (comparison.compare_lowered), its output in the autocast dtype
                # or the reference's.
                if autocast is not None:  # an output in a half dtype, as PyTorch's own under autocast
                    on_device = [o.to(e.dtype) if o.dtype in (torch.float16, torch.bfloat16) and o.shape == e.shape
                                 and e.is_floating_point() else o for o, e in zip(on_device, expected)]
                # The mode's tolerances first; the float64 truth's allowance (ten more forwards) only where
                # they are not enough (a GPU's TF32 at a large inner size; the interpreter multiplies in fp32).
                rejection, max_abs, max_rel = compare_lowered(on_device, expected, None, allowed, atol=atol, rtol=rtol)
                if rejection is not None and rejection.reason_code is Reason.MISMATCH:
                    if truth is None:
                        with self.runtime.phase("truth"):
                            truth = float64_truth(problem.model, inputs, self.device)
                    rejection, max_abs, max_rel = compare_lowered(on_device, expected, truth, allowed, atol=atol,
                                                                  rtol=rtol)
                lowered = True  # a row's errors are those of the spec's dtype, not of this call's
            else:
                if lowered:
                    # held to that dtype's tolerance (where the reference kept float32)
                    on_device = [o.to(e.dtype) for o, e in zip(on_device, expected)]
                    dtype = half_output
                    atol, rtol = max(atol, TOLERANCES[dtype][0]), max(rtol, TOLERANCES[dtype][1])
                if truth_instead is not None:
                    # The reference is off its own float64 answer here: the candidate is held to that answer,
                    # allowed the reference's own error (so a kernel that rounds or overflows as the reference
                    # does passes) and, where that is not enough, the rounding spread, and must be finite
                    # wherever both are.
                    answer, slack = truth_instead
                    rejection, max_abs, max_rel = compare_to_truth_instead(on_device, answer, slack, truth,
                                                                           dtype=dtype, atol=atol, rtol=rtol)
                else:
                    rejection, max_abs, max_rel = compare(on_device, expected, dtype=dtype, atol=atol, rtol=rtol)
                    if rejection is not None and rejection.reason_code is Reason.MISMATCH:
                        rejection, max_abs, max_rel = compare_against_truth(
                            problem.model, inputs, on_device, expected, (rejection, max_abs, max_rel),
                            dtype=dtype, atol=atol, rtol=rtol, device=self.device, truth=truth)
                    if rejection is None and not lowered:
                        rejection = compare_error_model(problem.model, inputs, on_device, expected, self.device,
                                                        atomic_units=self.atomic_units(),
                                                        atomic_slack=self.evidence.get("atomic_slack"), truth=truth)
            if non_finite_excused and rejection is not None and rejection.reason_code is Reason.NON_FINITE:
                finite_part = [torch.where(torch.isfinite(o) | ~torch.isfinite(e), o, e.to(o.dtype))
                               if o.is_floating_point() and o.shape == e.shape and o.dtype == e.dtype else o
                               for o, e in zip(on_device, expected)]
                if compare(finite_part, expected, dtype=dtype, atol=atol, rtol=rtol)[0] is None:
                    return None, None  # NaN where PyTorch finds a finite limit: shown to a user, not misleading
            del on_device
        if not lowered:  # a row's errors are those of the spec's dtype, not of an autocast call's
            self.worst_abs, self.worst_rel = max(self.worst_abs, max_abs), max(self.worst_rel, max_rel)
        if rejection is not None and not self.on_gpu and self.evidence.get("bf16_launched") \
                and rejection.reason_code in (Reason.MISMATCH, Reason.NON_FINITE, Reason.LOWERED_PRECISION):
            # Autocast to bf16 (or the candidate) handed a kernel bf16 tensors, whose arithmetic the interpreter
            # cannot do: what it computed says nothing either way.
            return None, Verdict.unverified(
                Reason.INTERPRETER_LIMIT,
                f"a kernel ran on bf16 tensors on {what}, whose arithmetic the Triton interpreter cannot do; verify "
                "on a GPU.")
        if rejection is not None and rejection.reason_code is Reason.LOWERED_PRECISION and self.atomic_adds:
            return None, Verdict.unverified(
                Reason.INTERPRETER_LIMIT,
                f"beyond the honest-kernel error model on {what}, in code with atomic adds: on a GPU the verifier "
                "cannot count the adds each element received (the rounding an honest split-K accumulation costs), "
                "which the Triton interpreter does; verify on CPU.")
        if rejection:
            return None, with_measures(rejection, reason=rejection.reason[:-1] + f" on {what}{_under(ambient)}.",
                                       max_abs_err=max_abs, max_rel_err=max_rel)
        self.variants_checked.setdefault(problem.code, set()).add(variant)
        return outputs, None


# The operators that multiply and sum their operands: matmuls (what `matmul`, `linear`, `einsum` and attention
# become at dispatch) and convolutions; TF32 changes their float32 results.
_CONTRACTIONS = frozenset({"mm", "bmm", "addmm", "addbmm", "baddbmm", "addmv", "mv", "dot", "vdot", "addr",
                       "convolution", "_convolution", "cudnn_convolution", "conv1d", "conv2d", "conv3d",
                       "_scaled_dot_product_flash_attention", "_scaled_dot_product_efficient_attention",
                       "_scaled_dot_product_cudnn_attention", "_addmm_activation"})


def _under(ambient: disguise.Ambient) -> str:
    """The user-visible modes a call ran under, for a rejection's sentence: a teacher fixing its kernel needs to
    know the call was under autocast or with TF32 allowed."""
    modes = ([f"autocast to {ambient.autocast}"] if ambient.autocast else []) + \
        ([f"TF32 {ambient.tf32}"] if ambient.tf32 != "default" else [])
    return f" (under {' and '.join(modes)})" if modes else ""


def _runs_give_the_same_bits(first, second) -> bool:
    """Whether two runs of a reference (callables) give the same outputs, bit for bit."""
    a, b = as_list(first()), as_list(second())
    return len(a) == len(b) and all(bitwise_equal(x, y) for x, y in zip(a, b))


def _contraction_dtypes(model, inputs: list) -> set:
    """The dtypes of the tensors `model` on `inputs` hands to a contraction (`_CONTRACTIONS`), seen by dispatch."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_leaves

    seen: set = set()

    class Contractions(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if func.overloadpacket.__name__ in _CONTRACTIONS:
                seen.update(x.dtype for x in tree_leaves((args, kwargs))
                            if isinstance(x, torch.Tensor) and x.is_floating_point())
            return func(*args, **(kwargs or {}))

    with Contractions():
        model(*inputs)
    return seen


def _half_output_dtype(outputs: list, expected: list) -> str | None:
    """The coarsest half-precision dtype (fp16, bf16) an output comes in where the reference's is float32 (shapes
    alike), every other output in the reference's own dtype; else None."""
    import torch

    half = (torch.float16, torch.bfloat16)
    if len(outputs) != len(expected) or any(o.shape != e.shape for o, e in zip(outputs, expected)):
        return None
    lowered = [o.dtype in half and e.dtype == torch.float32 for o, e in zip(outputs, expected)]
    if not any(lowered) or not all(low or o.dtype == e.dtype for low, o, e in zip(lowered, outputs, expected)):
        return None
    return "bfloat16" if any(low and o.dtype == torch.bfloat16 for low, o in zip(lowered, outputs)) else "float16"


def _redraw_parameters(worker: SandboxWorker, redrawn: list, generator, *, model, draw_inputs,
                       device: str, unused: set) -> Verdict | None:
    """Re-draw the reference's constant-initialised tensors (`filters.verifier.parameters`) and give the candidate
    the same values; a rejection where a re-drawn tensor that the output depends on has no candidate tensor
    to receive it. `unused` collects (once) the unmatched ones it does not depend on (a BatchNorm's running
    statistics in training mode), which a candidate need not hold."""
    if not redrawn:
        return None
    values = redraw(redrawn, generator)
    answer = worker.set_parameters([key for key, _, _ in redrawn], [c for _, _, c in redrawn], values)
    unmatched = [name for name in answer.get("unmatched") or () if name not in unused]
    if answer.get("ok") and unmatched:
        unused.update(_unused_tensors(model, [e for e in redrawn if e[0] in unmatched], generator,
                                      draw_inputs=draw_inputs, device=device))
    unmatched = [name for name in unmatched if name not in unused]
    violation = sandbox_violation(answer)
    if violation:
        return violation
    if not answer.get("ok"):
        return Verdict.reject(Reason.RUNTIME_ERROR, f"the candidate's tensors refuse the reference's re-drawn "
                              f"values: {one_line(answer)}", error_detail=child_error_detail(answer))
    if unmatched:
        names = [str(name) for name in unmatched[:3]]
        return Verdict.reject(
            Reason.PARAMETER_UNMATCHED,
            f"the reference's {listed(names)} (re-drawn per seed: its default initialisation is constant) has "
            "no candidate tensor to receive it (none of the same state_dict key, or of the same size still "
            "holding the same initial value), so the candidate cannot show it uses it.")
    return None


def _unused_tensors(model, entries: list, generator, *, draw_inputs, device: str) -> set[str]:
    """The keys of `entries` (re-drawn reference tensors) that the reference's output does not depend on:
    re-drawing them again leaves its output on a fresh draw bit-identical."""
    import torch

    try:
        inputs = [to_device(x, device) for x in draw_inputs()]
        with torch.no_grad():
            before = [e.detach().clone() for e in as_list(model(*inputs))]
            redraw(entries, generator)
            after = [e.detach() for e in as_list(model(*inputs))]
    except Exception:  # noqa: BLE001 - the seeds report a reference that fails; here it counts as used
        return set()
    same = len(before) == len(after) and all(bitwise_equal(a, b) for a, b in zip(before, after))
    return {key for key, _, _ in entries} if same else set()


@contextlib.contextmanager
def _modules_in_eval(model, evaluate: bool):
    """The reference in eval mode while the block runs, when `evaluate`; each module's own mode back after."""
    modules = list(model.modules()) if evaluate else []
    modes = [module.training for module in modules]
    for module in modules:
        module.training = False
    try:
        yield
    finally:
        for module, mode in zip(modules, modes):
            module.training = mode


def run_candidate(child: SandboxWorker, inputs: list, *, dtype: str, variant: int,
                  runtime: Runtime | None = None, poison: str = "nan", reuse_inputs: bool = False,
                  evidence: dict | None = None, grad: str | None = None, grad_inputs: tuple[bool, ...] | None = None,
                  offset: bool | None = None, eval_mode: bool = False, frozen: bool | None = None,
                  same_as: list[int] | None = None, twin: bool = False,
                  ambient: disguise.Ambient = disguise.PLAIN, narrowing_allowed: str | None = None):
    """Run the candidate once in `child` and apply the run-time rules. `poison` is what its fresh
    allocations hold (filters.verifier.disguise), `reuse_inputs` runs it on the previous call's input objects with
    these contents, and `evidence` (when given) counts, across calls, outputs that were a PyTorch copy
    the kernels wrote over (`copy_born`) and those they wrote back unchanged (`copy_unchanged`). `grad`
    (None: a secret draw) runs forward with autograd on, as in training, off, as in an eval loop, or in
    inference mode, as in a server (disguise.GRAD_MODES), so that the mode does not tell verification from use,
    with the inputs `grad_inputs` marks requiring grad (None: a secret draw, disguise.grad_inputs); `frozen`
    (None: a secret coin) freezes the candidate's parameters for the call (disguise.frozen_parameters); `same_as`
    hands inputs over as one tensor object (inputs.one_object_sources); `twin` calls the candidate's second
    instance (`CandidateChecks.second_instance`); `narrowing_allowed` (a dtype name) lets casts
    down to that precision pass (a launcher following the user's autocast casts its operands to its dtype);
    `offset` (None: a secret coin) hands over the inputs part way into a larger storage (disguise.input_offset);
    `eval_mode` calls the candidate in eval mode (the caller puts the reference in it too); `ambient` under those
    process-wide modes (disguise.Ambient; the caller has made sure the reference answers alike under them)."""
    first_run = not child.runs
    header, blobs = child.run(inputs, variant, poison=poison, poison_seed=disguise.seed(),
                             reuse_inputs=reuse_inputs, grad=disguise.grad_mode() if grad is None else grad,
                             grad_inputs=disguise.grad_inputs(len(inputs)) if grad_inputs is None else grad_inputs,
                             offset=disguise.input_offset() if offset is None else offset, eval_mode=eval_mode,
                             frozen=disguise.frozen_parameters() if frozen is None else frozen, same_as=same_as,
                             twin=twin, ambient=ambient)
    if runtime is not None:
        runtime.add_child_phases(header, first_run=first_run)
    violation = sandbox_violation(header)
    if violation:
        return None, violation
    if not header.get("ok") and header.get("kind") == "interpreter_limit" and child.device == "cpu":
        return None, interpreter_limit(header)
    if not header.get("ok"):
        kind = header.get("kind")
        reason = {"compile_error": Reason.COMPILE_ERROR, "bad_output": Reason.BAD_OUTPUT,
                  "background_work": Reason.BACKGROUND_WORK}.get(kind, Reason.RUNTIME_ERROR)
        return None, Verdict.reject(reason, f"the candidate fails when run: {one_line(header)}",
                                   error_detail=child_error_detail(header))
    if header.get("launches", 0) < 1:
        return None, Verdict.reject(Reason.NO_KERNEL_LAUNCHED, "forward returned without launching a Triton kernel.")
    if header.get("off_stream_launches"):
        return None, Verdict.reject(Reason.BACKGROUND_WORK, f"forward launched {header['off_stream_launches']} "
                                    "kernels off the caller's stream (a side stream or another thread): work the "
                                    "caller's stream does not wait for.")
    if header.get("aliases_input"):
        return None, Verdict.reject(Reason.OUTPUT_ALIASES_INPUT, "the output shares memory with an input.")
    if header.get("torch_compute"):
        ops = list(dict.fromkeys(header["torch_compute"]))  # each op once
        if set(ops) <= HOST_VALUE_OPS:  # float(t), bool(t), `if t:`, t.item(): one value taken to the host
            return None, Verdict.reject(Reason.TORCH_COMPUTE, f"forward read a tensor's value on the host "
                                        f"({', '.join(ops)}): a launcher that branches on data can tell drawn "
                                        "inputs from a model's, and waits for the device.")
        return None, Verdict.reject(Reason.TORCH_COMPUTE, f"forward computed with PyTorch "
                                   f"({', '.join(ops)}), not only with Triton kernels.")
    narrowing = [cast for cast in header.get("narrowing", ()) if narrower(cast.split("->")[1], dtype)
                 and not (narrowing_allowed and not narrower(cast.split("->")[1], narrowing_allowed))]
    if narrowing:
        return None, Verdict.reject(Reason.LOWERED_PRECISION, f"forward cast data to a narrower type than the "
                                   f"spec's {dtype} ({narrowing[0]}).")
    if header.get("unproven_output"):
        return None, Verdict.reject(Reason.OUTPUT_NOT_FROM_KERNEL, header["unproven_output"] + ".")
    if header.get("reused_output"):
        return None, Verdict.reject(Reason.OUTPUT_REUSED, header["reused_output"] + ".")
    if evidence is not None and header.get("state_written"):
        # A tensor the model holds, written on more than one call: state kept across calls (a call counter, a
        # cache keyed by what it saw). A lazy one-time initialisation writes on one call only.
        written = evidence.setdefault("state_written", {})
        for name in header["state_written"]:
            written[name] = written.get(name, 0) + 1
        repeated = [name for name, calls in written.items() if calls > 1]
        if repeated:
            return None, Verdict.reject(Reason.KERNEL_STATE, f"forward changed state the candidate holds ({repeated[0]!r}) on "
                                       f"{written[repeated[0]]} calls: state kept across calls can change results.")
    if evidence is not None:
        evidence["atomic_adds_per_element"] = int(header.get("atomic_adds_per_element") or 0)
        evidence["bf16_launched"] = bool(header.get("bf16_launched"))
        evidence["autotune_configs"] = max(evidence.get("autotune_configs", 0), int(header.get("autotune_configs", 0)))
    if evidence is not None and header.get("copy_born"):
        evidence["copy_born"] = evidence.get("copy_born", 0) + 1
        evidence["copy_unchanged"] = evidence.get("copy_unchanged", 0) + bool(header.get("copy_unchanged"))
    if evidence is not None and header.get("cast_born"):
        evidence["cast_born"] = evidence.get("cast_born", 0) + 1
        evidence["cast_of_input"] = evidence.get("cast_of_input", 0) + bool(header.get("cast_of_input"))
    try:
        outputs = unpack_tensors(blobs[0])
    except Exception as err:  # noqa: BLE001 - a malformed answer from the child is a verdict
        return None, Verdict.reject(Reason.BAD_OUTPUT, f"the candidate's output could not be read: {type(err).__name__}.")
    if evidence is not None:
        evidence["atomic_slack"] = _atomic_slack(blobs[1], outputs)
    if header.get("inputs_changed"):
        return None, Verdict.reject(Reason.INPUT_MUTATED, "the candidate changed its inputs.")
    wrong_device = [d for d in header.get("devices", []) if d != child.device]
    if wrong_device:
        return None, Verdict.reject(Reason.BAD_OUTPUT,
                                   f"the output is on {wrong_device[0]}, not on the inputs' device {child.device}.")
    return outputs, None


def _atomic_slack(blob: bytes, outputs: list) -> list | None:
    """The child's per-output atomic rounding (`provenance.atomic_slack_of`) where it fits the outputs
    (float64, their sizes, finite, not negative); else None, which leaves the count-based allowance alone.
    It can only lower that allowance (`truth.beyond_honest_error`), so a forged one buys nothing."""
    import torch

    try:
        slack = unpack_tensors(blob)
    except Exception:  # noqa: BLE001 - a malformed blob is no evidence either way
        return None
    if len(slack) != len(outputs) or any(
            not isinstance(s, torch.Tensor) or s.dtype != torch.float64 or s.shape != getattr(o, "shape", None)
            or not bool(torch.isfinite(s).all()) or bool((s < 0).any()) for s, o in zip(slack, outputs)):
        return None
    return slack


def _truth_where_reference_is_off(problem: Problem, truth: Truth | None, expected: list,
                                  atol: float) -> tuple[list, list] | None:
    """Where the reference, on these transformed inputs, misses its own float64 answer (`truth`) by more than
    the tolerances, that answer in the reference's dtypes and the reference's error per element (0 for index
    outputs, which stay the reference's); else None. An intermediate that overflowed its dtype (an fp16
    RMSNorm squaring values of 1e3: the mean of squares is inf, the output a finite 0) or the input's own
    rounding amplified (an fp16 softmax of values near 300: one ulp of the input moves exp by 13%) gives a
    reference that cannot be the yardstick alone: an honest kernel accumulating in fp32 is far from it. It
    was once skipped as a transform that ran nothing, which let a softmax without its max subtraction
    (inf / inf on exactly these inputs) through on the draws where every overflowing transform was off.
    Decided from the reference alone, so nothing a candidate does can choose the yardstick."""
    import torch

    if truth is None or len(truth.outputs) != len(expected):
        return None
    if any(t.shape != e.shape for t, e in zip(truth.outputs, expected)):
        return None
    if not all(bool(torch.isfinite(t).all()) for t in truth.outputs if t.is_floating_point()):
        return None  # the answer itself does not fit: the finite check above decides
    # The truth comes back in float64 (indices too): in the reference's dtypes, as a candidate's would be.
    rounded = [t.to(e.dtype) if e.is_floating_point() else e for t, e in zip(truth.outputs, expected)]
    if not all(bool(torch.isfinite(t).all()) for t in rounded if t.is_floating_point()):
        return None
    rejection, _, _ = compare(expected, rounded, dtype=problem.dtype, atol=atol, rtol=problem.rtol)
    if rejection is None or rejection.reason_code is not Reason.MISMATCH:
        return None
    slack = [torch.nan_to_num((e.to(torch.float64) - t).abs(), nan=0.0, posinf=0.0) if e.is_floating_point()
             else torch.zeros(e.shape, dtype=torch.float64, device=e.device)
             for e, t in zip(expected, truth.outputs)]
    return rounded, slack


# Atomics whose order of arrival decides values on a GPU: adds (their rounding), and compare-and-swap or
# exchange (the spin locks that serialise plain read-modify-write sums, as the Triton tutorial's LayerNorm
# backward does). Max, min and the bitwise ones give the same bits in any order.
ORDER_DEPENDENT_ATOMICS = frozenset({"atomic_add", "atomic_cas", "atomic_xchg"})


def atomic_calls(code: str) -> set[str]:
    """The `atomic_*` functions `code` calls (`tl.atomic_add`, an imported `atomic_cas`, a pointer's
    `.atomic_xchg`), by name."""
    import ast

    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name.startswith("atomic_"):
                names.add(name)
    return names


def _cast_of_input(evidence: dict) -> Verdict | None:
    """Rejects when, on every checked call, the output was PyTorch's cast or layout change of a kernel-made
    buffer that held exactly an input (its dimensions in any order): the kernel copied, and PyTorch's copy
    computed the answer."""
    born = evidence.get("cast_born", 0)
    if born and evidence.get("cast_of_input", 0) == born:
        return Verdict.reject(Reason.OUTPUT_NOT_FROM_KERNEL,
                              "the output was PyTorch's cast or layout change of a buffer the kernels filled with an "
                              "input, on every call: PyTorch's copy, not a kernel, produced it.")
    return None


def _copy_written_back(evidence: dict) -> Verdict | None:
    """Rejects when, on every checked call, the output was a PyTorch copy the kernels only wrote back."""
    born = evidence.get("copy_born", 0)
    if born and evidence.get("copy_unchanged", 0) == born:
        return Verdict.reject(Reason.OUTPUT_NOT_FROM_KERNEL,
                              "the output was a PyTorch copy that the kernels only wrote back unchanged, on "
                              "every call: the copy, not a kernel, produced it.")
    return None
