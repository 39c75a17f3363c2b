"""The reference probe (filters.verifier.reference_probe) and what the verifier does with it on CPU: an input the
reference fails on when transformed is left out of that transform, only for that reason, and the verifier
goes on (before the probe, binary cross-entropy without input_domains raised out of `verify` and ended a
whole verify-batch). The same on a GPU is in test_verify_gpu.py."""

from __future__ import annotations

import pytest
import torch

from kerneldata.core.outcomes import Reason, Status
from filters.verifier.reference_probe import ReferenceProbes
from filters.verifier.options import VerifyOptions
from filters.verifier.runtime import Runtime
from filters.verifier.verify import ReferenceError_, verify
from tests.filters import candidates as c

CPU = VerifyOptions(device="cpu", timeout_s=60, num_seeds=2)


def _verify(candidate: str, problem: str, **kwargs):
    return verify(problem, candidate, dtype="float32", atol=1e-4, rtol=1e-4, options=CPU, **kwargs)


def test_bce_without_domains_is_accepted_on_its_plain_draws_and_says_why_no_transform_ran():
    with Runtime("cpu", use_zygote=False) as runtime:
        verdict = _verify(c.BCE_HONEST, c.BCE_PROBLEM, runtime=runtime)
        assert verdict.status is Status.ACCEPTED, verdict
        # Probabilities survive the transforms that keep values in [0, 1] (absolute value, the normal CDF,
        # quantising, scaling by 1/64), not the others.
        # (the fifth: the prediction handed over as the target too, one tensor object)
        assert ("2 unseen inputs and 5 transforms of them (5 skipped: the reference itself fails on its inputs "
                "negated, scaled by 64, shifted by -8, heavy-tailed and masked with -inf)") in verdict.reason, verdict.reason
        # The probe ran once for the problem: the next candidate of it reuses the answer.
        probed = runtime.probes.forwards
        assert probed > 0
        again = _verify(c.BCE_HONEST, c.BCE_PROBLEM, runtime=runtime)
        assert again.status is Status.ACCEPTED and runtime.probes.forwards == probed, again


def test_bce_candidate_wrong_inside_the_domain_is_still_rejected():
    verdict = _verify(c.BCE_WRONG_NEAR_ONE, c.BCE_PROBLEM)
    assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.MISMATCH, verdict
    # on plain draws (the first checked one, or a secret extra call before it), not on a transform
    assert "on unseen inputs" in verdict.reason, verdict.reason


def test_declared_domains_need_no_probe_and_no_note():
    with Runtime("cpu", use_zygote=False) as runtime:
        verdict = _verify(c.BCE_HONEST, c.BCE_PROBLEM, runtime=runtime,
                          input_domains=["unit_interval", "unit_interval"])
        assert verdict.status is Status.ACCEPTED and runtime.probes.forwards == 0, verdict
    assert "1 transforms of them (max abs err" in verdict.reason, verdict.reason  # one object for both


def test_a_reference_that_refuses_some_inputs_still_checks_the_others():
    """The weight of a weighted BCE takes any finite value: every transform but the -inf mask still changes it
    (and the prediction is handed over as the target too), and a kernel that is right only for the weights a
    randn draw gives is caught."""
    honest = _verify(c.BCE_WEIGHTED_HONEST, c.BCE_WEIGHTED_PROBLEM)
    assert honest.status is Status.ACCEPTED, honest
    assert ("2 unseen inputs and 9 transforms of them (1 skipped: the reference itself fails on its inputs masked "
            "with -inf) (max abs err") in honest.reason, honest.reason
    cheat = _verify(c.BCE_WEIGHTED_CLIPS, c.BCE_WEIGHTED_PROBLEM)
    assert cheat.status is Status.REJECTED and cheat.reason_code is Reason.MISMATCH, cheat
    assert "on inputs scaled by 64" in cheat.reason


def test_a_failure_the_probe_did_not_foresee_skips_the_transform_on_cpu(monkeypatch):
    """A probe answer from another draw may let a failing transform through; on CPU the reference's error
    then costs that transform, as a refusal by the probe would, never the candidate or the caller."""
    monkeypatch.setattr(ReferenceProbes, "kept_inputs",
                        lambda self, key, run, inputs, plans: {name: list(allowed)
                                                                for name, (_, allowed, _) in plans.items()})
    honest = _verify(c.BCE_HONEST, c.BCE_PROBLEM)
    assert honest.status is Status.ACCEPTED and "5 transforms of them (5 skipped" in honest.reason, honest
    wrong = _verify(c.BCE_WRONG_NEAR_ONE, c.BCE_PROBLEM)
    assert wrong.status is Status.REJECTED and wrong.reason_code is Reason.MISMATCH, wrong


def test_a_reference_that_fails_on_its_own_draws_is_a_bad_problem():
    broken = c.RELU_PROBLEM.replace("return torch.relu(x)", "return torch.relu(x[:, 999])")
    with pytest.raises(ReferenceError_, match="the reference fails on unseen inputs.*: IndexError"):
        _verify(c.HONEST, broken)


def _run_counting(fails):
    """A stand-in reference: raises where `fails(mask)` says so, where mask marks the inputs that differ
    from the plain draw (as the probe transforms them, by negation)."""
    plain = [torch.ones(2), torch.ones(2), torch.ones(2)]

    def run(inputs):
        mask = [bool((x != p).any()) for x, p in zip(inputs, plain)]
        if fails(mask):
            raise RuntimeError("out of domain")
        return [sum(inputs)]

    return plain, run


def test_probe_keeps_each_input_the_reference_tolerates_alone_and_together():
    # Input 0 alone makes the reference fail; inputs 1 and 2 are fine alone but fail together.
    plain, run = _run_counting(lambda mask: mask[0] or (mask[1] and mask[2]))
    everything = [True, True, True]
    plans = {"negated": (lambda x: -x, everything, everything)}
    assert ReferenceProbes().kept_inputs("key", run, plain, plans) == {"negated": [False, True, False]}


def test_probe_never_drops_a_declared_input_and_keeps_all_when_it_cannot_judge():
    plain, run = _run_counting(lambda mask: mask[2])
    # Input 0 has a declared domain (allowed, not probed); input 2 is refused by the reference.
    plans = {"negated": (lambda x: -x, [True, True, True], [False, True, True])}
    probes = ReferenceProbes()
    assert probes.kept_inputs("key", run, plain, plans) == {"negated": [True, True, False]}
    # All declared: nothing to probe, no forward run.
    declared = ReferenceProbes()
    assert declared.kept_inputs("key", run, plain, {"negated": (lambda x: -x, [True, False, True],
                                                                [False, False, False])}) == {
        "negated": [True, False, True]}
    assert declared.forwards == 0
    # The reference fails on the plain draw too: the probe cannot tell, so nothing is taken out.
    plain, broken = _run_counting(lambda mask: True)
    assert ReferenceProbes().kept_inputs("key", broken, plain, plans) == {"negated": [True, True, True]}


def test_probe_takes_out_an_input_that_turns_the_output_non_finite():
    plain = [torch.full((3,), 0.5), torch.ones(3)]
    run = lambda inputs: [torch.log(inputs[0]) + inputs[1]]  # noqa: E731 - a stand-in reference
    plans = {"negated": (lambda x: -x, [True, True], [True, True])}
    assert ReferenceProbes().kept_inputs("key", run, plain, plans) == {"negated": [False, True]}


def test_verify_batch_goes_on_past_a_reference_that_refuses_its_transforms(tmp_path):
    from filters.verifier.batch import verify_batch

    items = [{"id": name, "reference_code": problem, "code": code, "dtype": None, "atol": None, "rtol": None,
              "flops": None, "input_domains": None}
             for name, problem, code in (("bce", c.BCE_PROBLEM, c.BCE_HONEST),
                                         ("bce-wrong", c.BCE_PROBLEM, c.BCE_WRONG_NEAR_ONE),
                                         ("relu", c.RELU_PROBLEM, c.HONEST))]
    out = tmp_path / "results.jsonl"
    summary = verify_batch(items, out, options=VerifyOptions(device="cpu", timeout_s=60, num_seeds=1),
                           devices=[0], workers_per_device=1)
    assert (summary["verified"], summary["accepted"], summary["rejected"]) == (3, 2, 1), summary
    assert len(out.read_text().splitlines()) == 3


def test_a_reference_that_tolerates_every_transform_costs_one_forward_each():
    plain, run = _run_counting(lambda mask: False)
    everything = [True, True, True]
    plans = {name: (transform, everything, everything)
             for name, transform in (("negated", lambda x: -x), ("scaled", lambda x: x * 64))}
    probes = ReferenceProbes()
    assert probes.kept_inputs("key", run, plain, plans) == {"negated": everything, "scaled": everything}
    assert probes.forwards == 2
