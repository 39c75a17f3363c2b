"""Reference tensors re-drawn per seed, and the candidate tensors that receive the same values.

A norm's weight and bias start as ones and zeros, a BatchNorm's running statistics as zeros and ones: left
at their default initialisation, a kernel that ignores them (a LayerNorm without its affine step) matches
the reference exactly. So every floating tensor of the reference whose initial value is constant (all its
elements equal) is re-drawn before each seed's inputs, from a generator the candidate cannot see, and the
candidate's matching tensor gets the same values. Tensors initialised at random (a Linear's weight) are left
as they are: the candidate draws them itself from the same seed, and may derive tensors from them in
`__init__` (a transposed copy) that a later re-draw would not reach.

Matching (in the worker, where the candidate lives): a reference tensor goes to the candidate tensor of the
same state_dict key, else to the first unclaimed candidate tensor, in the candidate's order, of the same
number of elements that still holds the reference's constant; candidate tensors are its parameters, buffers
and plain tensor attributes of its modules. A reference tensor with no match is reported: the candidate
cannot show it uses it (`Reason.PARAMETER_UNMATCHED`).

Not guaranteed: a candidate that copies a constant tensor into a Python number in `__init__` is rejected
(for a mismatch) although it may be honest for the default values; a re-drawn value keeps its sign (ones
stay positive, so a running variance stays a variance).
"""

from __future__ import annotations

# Spread of the re-draw: a constant c != 0 becomes c * exp(SPREAD * normal) (same sign, about c's size), a
# zero becomes SPREAD * normal.
SPREAD = 0.5


def constant_tensors(model) -> list[tuple[str, object, float]]:
    """(state_dict key, tensor, its constant value) for every floating parameter or buffer of `model` whose
    elements are all equal, in the model's order."""
    import torch

    found, seen = [], set()
    named = list(model.named_parameters()) + list(model.named_buffers())
    for key, tensor in named:
        if id(tensor) in seen or not tensor.is_floating_point() or tensor.numel() == 0:
            continue
        seen.add(id(tensor))
        flat = tensor.detach().reshape(-1)
        if bool((flat == flat[0]).all()) and bool(torch.isfinite(flat[0])):
            found.append((key, tensor, float(flat[0])))
    return found


def redraw(entries: list, generator) -> list:
    """New values for `constant_tensors`' entries (CPU, each tensor's dtype), written into the reference's
    tensors too; returns them for the candidate."""
    import torch

    values = []
    with torch.no_grad():
        for _, tensor, constant in entries:
            noise = torch.randn(tensor.shape, generator=generator, dtype=torch.float64)
            value = constant * torch.exp(SPREAD * noise) if constant != 0 else SPREAD * noise
            value = value.to(tensor.dtype)
            tensor.copy_(value.to(tensor.device))
            values.append(value)
    return values


def candidate_tensors(model) -> list[tuple[str, object]]:
    """(key, tensor) for the candidate's parameters, buffers and plain tensor attributes of its modules,
    each tensor once, in the model's order."""
    import torch

    found, seen = [], set()
    for prefix, module in model.named_modules():
        named = list(module._parameters.items()) + list(module._buffers.items()) + [
            (name, value) for name, value in vars(module).items() if isinstance(value, torch.Tensor)]
        for name, tensor in named:
            if tensor is None or id(tensor) in seen:
                continue
            seen.add(id(tensor))
            found.append((f"{prefix}.{name}" if prefix else name, tensor))
    return found


def match_tensors(candidates: list, keys: list[str], constants: list[float], numels: list[int]) -> list:
    """Per reference tensor, the candidate tensor that receives it (None: no candidate tensor can)."""

    def fits(tensor, constant: float, numel: int) -> bool:
        if not tensor.is_floating_point() or tensor.numel() != numel:
            return False
        return bool((tensor.detach() == constant).all())

    by_key = dict(candidates)
    claimed: set[int] = set()
    targets: list = [None] * len(keys)
    for number, (key, constant, numel) in enumerate(zip(keys, constants, numels)):
        tensor = by_key.get(key)
        if tensor is not None and fits(tensor, constant, numel):
            targets[number] = tensor
            claimed.add(id(tensor))
    for number, (constant, numel) in enumerate(zip(constants, numels)):
        if targets[number] is not None:
            continue
        for _, tensor in candidates:
            if id(tensor) not in claimed and fits(tensor, constant, numel):
                targets[number] = tensor
                claimed.add(id(tensor))
                break
    return targets
