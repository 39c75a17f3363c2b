"""Where the verifier's random draws come from (filters.verifier.disguise): keyed by the run and the verification's
content in the pipeline, so a seed gives one dataset (issue 17), and secret everywhere else (issue 15)."""

from __future__ import annotations

import threading

from kerneldata.core.outcomes import Status
from kerneldata.pipeline import verifier_draw_key
from filters.verifier import disguise
from filters.verifier.options import VerifyOptions
from filters.verifier.verify import verify
from tests.filters import candidates as c


def _draw_sequence() -> list:
    return [disguise.seed(), disguise.seed(63), disguise.variant(), disguise.poison_mode(), disguise.repeat_modes(),
            disguise.extra_calls(), disguise.grad_mode(), disguise.grad_modes(),
            disguise.input_offset(), disguise.eval_mode(), disguise.autocast_modes(),
            disguise.tf32_modes(), disguise.compiling_modes()] + [disguise.seed() for _ in range(20)]


def test_a_key_gives_the_same_draws_and_another_key_other_draws():
    key = disguise.verification_key("run.seed=0", "problem", "candidate")
    with disguise.drawn_from(key):
        first = _draw_sequence()
    with disguise.drawn_from(key):
        again = _draw_sequence()
    with disguise.drawn_from(disguise.verification_key("run.seed=0", "problem", "candidate!")):
        other_candidate = _draw_sequence()
    with disguise.drawn_from(disguise.verification_key("run.seed=1", "problem", "candidate")):
        other_run = _draw_sequence()
    assert first == again
    assert first != other_candidate and first != other_run


def test_parts_are_delimited_so_no_two_part_lists_share_a_key():
    assert disguise.verification_key("k", "ab", "c") != disguise.verification_key("k", "a", "bc")
    assert disguise.verification_key(None, "ab", "c") is None


def test_without_a_key_draws_are_secret_and_never_repeat():
    with disguise.drawn_from(None):
        first = _draw_sequence()
    with disguise.drawn_from(None):
        again = _draw_sequence()
    assert first != again  # 20 independent 31-bit seeds alike has probability 2**-620
    assert disguise._draws() is disguise._SECRET  # and outside any verification, the secret source too


def test_concurrent_verifications_in_threads_keep_their_own_source():
    key = disguise.verification_key("run", "x")
    with disguise.drawn_from(key):
        expected = _draw_sequence()
    got: dict[int, list] = {}

    def draw(index: int) -> None:
        with disguise.drawn_from(key):
            got[index] = [seed for _ in range(50) for seed in [disguise.seed()]]

    threads = [threading.Thread(target=draw, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with disguise.drawn_from(key):
        alone = [disguise.seed() for _ in range(50)]
    assert all(seeds == alone for seeds in got.values())
    assert expected[0] == alone[0]


def test_the_same_run_key_judges_a_candidate_the_same_way():
    """A kernel whose verdict depends on the draws (it leaves its tail unwritten: NaN poison shows as
    non-finite, other poison as a mismatch, and the errors quoted depend on the inputs) gets the same
    verdict, to the sentence, under the same run key."""
    options = VerifyOptions(device="cpu", timeout_s=60, num_seeds=2, draw_key=verifier_draw_key(7))

    def judged(candidate: str, problem: str):
        verdict = verify(problem, candidate, dtype="float32", atol=1e-4, rtol=1e-4, options=options)
        return verdict.status, verdict.reason_code, verdict.reason, verdict.max_abs_err, verdict.max_rel_err

    cheat = judged(c.MISSES_THE_TAIL, c.RELU_PROBLEM)
    assert cheat[0] is Status.REJECTED
    assert judged(c.MISSES_THE_TAIL, c.RELU_PROBLEM) == cheat
    honest = judged(c.IEEE_MATMUL, c.MATMUL_PROBLEM)
    assert honest[0] is Status.ACCEPTED
    assert judged(c.IEEE_MATMUL, c.MATMUL_PROBLEM) == honest


def test_the_repeat_on_the_same_inputs_never_uses_stale_poison():
    # The first seed runs twice on the same inputs, once under NaN: under `stale` poison the other run's fresh
    # buffers would hold the previous output, the right answer, and a kernel that writes everything only when
    # it sees NaN would repeat itself bit for bit.
    seen = set()
    for index in range(300):
        with disguise.drawn_from(disguise.verification_key("run", str(index))):
            modes = disguise.repeat_modes()
        assert "stale" not in modes and "nan" in modes and len(set(modes)) == 2
        seen.update(modes)
    assert seen == {"nan", "finite", "zeros"}


def test_autocast_modes_are_off_and_every_dtype_once_in_every_order():
    # three calls held to the reference meet no autocast and each autocast dtype, whatever the order
    orders = {disguise.autocast_modes() for _ in range(200)}
    assert all(sorted(order, key=str) == sorted([None, *disguise.AUTOCAST_DTYPES], key=str) for order in orders)
    assert len(orders) == 6


def test_tf32_modes_are_every_setting_once_in_every_order():
    orders = {disguise.tf32_modes() for _ in range(200)}
    assert all(sorted(order) == sorted(disguise.TF32_MODES) for order in orders) and len(orders) == 6


def test_one_of_the_three_calls_is_told_it_is_compiled_in_every_place():
    places = {disguise.compiling_modes().index(True) for _ in range(200)}
    assert places == {0, 1, 2} and all(sum(disguise.compiling_modes()) == 1 for _ in range(50))


def test_ambients_take_every_mode_once_whatever_the_problem():
    # a matmul's calls too: the checks hold a call whose reference would move under its mode to that mode's
    # precision (CandidateChecks.precision_allowed) rather than leave the mode out
    everything = disguise.ambients()
    assert sorted((a.autocast for a in everything), key=str) == sorted([None, *disguise.AUTOCAST_DTYPES], key=str)
    assert sorted(a.tf32 for a in everything) == sorted(disguise.TF32_MODES)
    assert sum(a.compiling for a in everything) == 1


def test_grad_modes_are_every_mode_once():
    # the first checked call and its two repeats meet every way a user calls forward, whatever the order
    assert sorted(disguise.grad_modes()) == sorted(disguise.GRAD_MODES)
    assert disguise.grad_mode() in disguise.GRAD_MODES


def test_grad_input_marks_and_frozen_parameters_take_both_values():
    # every input is sometimes marked and sometimes not, and parameters are sometimes frozen and sometimes not
    marks = [disguise.grad_inputs(3) for _ in range(64)]
    assert all(len(m) == 3 for m in marks)
    assert {m[i] for m in marks for i in range(3)} == {True, False}
    assert {disguise.frozen_parameters() for _ in range(64)} == {True, False}


def test_inputs_require_grad_as_marked_with_autograd_on_or_off_and_never_in_inference_mode():
    import torch

    from filters.verifier.sandbox_child import _grad_mode, _inputs_in_training

    for mode in disguise.GRAD_MODES:
        x, y, index = torch.randn(4), torch.randn(4), torch.arange(4)
        with _grad_mode(mode), _inputs_in_training([x, y, index], mode, [True, False, True]):
            seen = (x.requires_grad, y.requires_grad, index.requires_grad)
            enabled = torch.is_grad_enabled()
        # a marked input requires grad whether autograd is on or off: the flags and the mode disagree on one call
        assert seen == ((mode != "inference"), False, False), (mode, seen, enabled)
        assert not x.requires_grad  # cleared after, so the next call can copy into the same object


def test_parameters_are_frozen_for_the_call_and_put_back():
    import torch

    from filters.verifier.sandbox_child import _parameters_frozen

    model = torch.nn.Linear(4, 4)
    model.bias.requires_grad_(False)  # frozen by its author: stays so
    with _parameters_frozen(model, True):
        assert not model.weight.requires_grad and not model.bias.requires_grad
    assert model.weight.requires_grad and not model.bias.requires_grad
    with _parameters_frozen(model, False):
        assert model.weight.requires_grad
