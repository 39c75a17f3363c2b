"""Reference tensors re-drawn per seed and matched to the candidate's (filters/verifier/parameters.py)."""

from __future__ import annotations

import torch
import torch.nn as nn

from filters.verifier.parameters import candidate_tensors, constant_tensors, match_tensors, redraw


class Norms(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(8, 8)
        self.ln = nn.LayerNorm(8)
        self.bn = nn.BatchNorm1d(8)


def test_constant_initialised_tensors_are_found_and_random_ones_are_not():
    keys = [key for key, _, _ in constant_tensors(Norms())]
    assert keys == ["ln.weight", "ln.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"]


def test_redraw_changes_the_reference_and_keeps_signs():
    model = Norms()
    entries = constant_tensors(model)
    values = redraw(entries, torch.Generator().manual_seed(0))
    for (key, tensor, constant), value in zip(entries, values):
        assert torch.equal(tensor.detach(), value), key
        assert not bool((value == constant).all()), key
        if constant > 0:
            assert bool((value > 0).all()), key  # a running variance stays a variance
    assert not bool((values[0] == values[0][0]).all())  # per element, not one constant for another


def _match(reference, candidate):
    entries = constant_tensors(reference)
    return match_tensors(candidate_tensors(candidate), [k for k, _, _ in entries], [c for _, _, c in entries],
                         [t.numel() for _, t, _ in entries])


def test_same_keys_match_by_key():
    candidate = Norms()
    targets = _match(Norms(), candidate)
    assert targets[0] is candidate.ln.weight and targets[4] is candidate.bn.running_mean


def test_renamed_parameters_match_by_order_and_size():
    class Renamed(nn.Module):
        def __init__(self):
            super().__init__()
            self.gamma = nn.Parameter(torch.ones(8))
            self.beta = nn.Parameter(torch.zeros(8))

    reference = nn.Sequential(nn.LayerNorm(8))
    candidate = Renamed()
    assert _match(reference, candidate) == [candidate.gamma, candidate.beta]


def test_plain_tensor_attributes_count_and_random_tensors_do_not_stand_in():
    class Plain(nn.Module):
        def __init__(self):
            super().__init__()
            self.other = nn.Parameter(torch.randn(8))  # same size, not the constant: not a match
            self.w = torch.ones(8)

    candidate = Plain()
    targets = _match(nn.Sequential(nn.LayerNorm(8)), candidate)
    assert targets[0] is candidate.w and targets[1] is None  # nothing holds the zeros of the bias


def test_a_candidate_without_the_tensors_matches_nothing():
    assert _match(nn.Sequential(nn.LayerNorm(8)), nn.Module()) == [None, None]
