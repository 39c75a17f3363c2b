"""The inputs the checks run on beyond the plain seeds: transforms of the first seed's inputs (sign, scale,
offset, other distributions) limited to what each input's domain allows and the reference tolerates, the
same input objects with part of their contents redrawn, and the lock that makes seeding torch's global
generator and drawing one step."""

from __future__ import annotations

import contextlib
import hashlib
import threading

from kerneldata.core.domains import (
    ABS, DOMAINS, HEAVY, MASK, NEGATE, QUANTISE, SCALE, SHIFT, UNIFORM, parse_domain,
)
from filters.verifier import disguise
from filters.verifier.answers import as_list, to_device
from filters.verifier.runtime import Runtime


class TransformRefused(Exception):
    """The reference raised on a transformed input (on CPU, where that leaves this process intact)."""


# Input transforms applied to the first seed's inputs after the plain seeds: each keeps the problem's shape
# and dtype and changes only floating-point inputs. Skipped where the reference output is not finite.
# Each is applied only to inputs whose declared domain (kerneldata.core.domains) it keeps them in, and to
# inputs without one only where a CPU copy of the reference tolerates it (filters.verifier.reference_probe).
# The first three move the draw; the others change its distribution, each for cheats randn cannot show
# (tests/filters/cheats): non-negative (a row minimum whose padding lanes load 0), uniform [0, 1), heavy
# tails (a kernel that clamps to the range randn * 64 reaches), quantised to halves (ties, where PyTorch's
# tie rule, the reference's, decides an argmax; and exact zeros), tiny values (a divisor with an
# "epsilon" added) and -inf at scattered positions (a masked score row, where a kernel that sanitises huge
# values to 0 gives masked positions weight: rt_inputs_softmax_masked_inf).
def _uniform(x):
    import torch

    return torch.special.ndtr(x.float()).to(x.dtype)  # the normal CDF: a normal draw becomes uniform


# The heavy tail's reach, per dtype: 1e6 stays finite through a matmul or a sum of many terms in fp32; 1e3
# in fp16 / bf16 stays finite through elementwise ops and sums of up to ~60 terms of fp16's largest 65504.
# Where the reference overflows anyway (a product of two large values), the transform counts for nothing,
# never against the candidate.
_HEAVY_CLIP = {"float32": 1e6, "float64": 1e6}


_HEAVY_CLIP_HALF = 1e3


def _heavy_tailed(x):
    """Magnitudes spread evenly over the decades from 1/reach to reach (log-uniform), signs kept. A kernel
    that assumes its inputs stay within some range (a clamp "against overflow" at 512, or at 1e4) meets many
    elements beyond it, however few elements the problem has: a Cauchy draw puts about 1/(pi t) of them
    beyond t, none at all past 1e4 in a problem of a few thousand elements."""
    import math

    import torch

    reach = _HEAVY_CLIP.get(str(x.dtype).removeprefix("torch."), _HEAVY_CLIP_HALF)
    spread = 2 * torch.special.ndtr(x.double().abs()) - 1  # |normal| -> uniform [0, 1)
    magnitude = torch.exp(math.log(reach) * (2 * spread - 1))
    return (torch.sign(x.double()) * magnitude).to(x.dtype)


def _quantised(x):
    import torch

    return torch.floor(x * 2) / 2  # halves: a row of 300 holds ties, and zeros where 0 <= x < 0.5


# The share of positions the -inf mask takes: scattered, so that no row of eight or more is masked whole
# (a softmax of a fully masked row is NaN, and the call would count for nothing) and no block a chunked
# kernel reduces alone is either (an honest split softmax's chunk max of -inf makes NaN: not this check's
# business), while a row of 300 holds dozens of masked positions.
MASK_SHARE = 1 / 8


def _masked(x):
    """`x` with about `MASK_SHARE` of its elements set to -inf, picked by each element's own value (the
    digits past its 12th bit), so the pick is elementwise (`keeping_layout`) and differs from draw to draw:
    positions a softmax, log-sum-exp or max must give no weight, as a masked attention score row has."""
    import torch

    digits = torch.frac(x.double().abs() * 4096)
    return torch.where(digits < MASK_SHARE, torch.full_like(x, float("-inf")), x)


def lowest_for_masked(x):
    """`x` (an input masked by `_masked`) with its -inf replaced by its dtype's lowest finite value: the same
    mask for an op that treats -inf as one (a softmax, a max, a log-sum-exp give it no weight either way),
    another input for one that does not (a quantiser's scale becomes infinite, then NaN)."""
    import torch

    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        return x
    return torch.where(torch.isneginf(x), torch.full_like(x, torch.finfo(x.dtype).min), x)


def keeping_layout(transform):
    """`transform` (elementwise) applied to every element of an input's storage span, the result viewed
    with the input's own sizes, strides and storage offset: a transformed input keeps the layout the model
    gave it (a slice of a fused projection, a transposed weight, a row pitch wider than the row, a stride-0
    broadcast), as the plain draws do. Applied to the view alone, `-x` of a strided input came back dense,
    and an honest kernel that reads its input's layout (Inductor's checks its strides) failed only on the
    transformed calls."""
    def on_layout(x):
        if not x.numel() or x.is_contiguous():
            return transform(x)
        return transform(_span(x)).as_strided(x.shape, x.stride(), 0)

    return on_layout


TRANSFORMS = {name: (kind, keeping_layout(transform)) for name, (kind, transform) in {
    "negated": (NEGATE, lambda x: -x),
    "scaled by 64": (SCALE, lambda x: x * 64),
    "shifted by -8": (SHIFT, lambda x: x - 8),
    "made non-negative": (ABS, lambda x: x.abs()),
    "mapped to uniform [0, 1)": (UNIFORM, _uniform),
    "heavy-tailed": (HEAVY, _heavy_tailed),
    "quantised to halves": (QUANTISE, _quantised),
    "scaled by 1/64": (SCALE, lambda x: x / 64),
    "masked with -inf": (MASK, _masked),
}.items()}

# Transforms whose non-finite candidate output, where the reference is finite, counts the call for nothing
# rather than against the candidate: an honest formula may turn -inf into NaN where PyTorch's kernel gives a
# finite limit (tanh as (e^x - e^-x) / (e^x + e^-x)), which a user feeding masks would see, not be misled
# by; what the mask is there to catch is a finite wrong answer (the masked positions weighed as zeros).
NON_FINITE_EXCUSED = frozenset({"masked with -inf"})


# How far the cancelling inputs' offset lifts the partial sums above the answer, in the offset input's rms.
CANCELLING_OFFSET = 64.0


def cancelling(inputs: list, eligible: list[bool]) -> list | None:
    """Inputs on which a contraction's partial sums run far larger than its answer: the first `eligible` input
    lifted by a constant (`CANCELLING_OFFSET` times its rms), every other one centred along each of its
    dimensions, so that its sums along any dimension are about zero. A product then equals the plain one plus
    the offset times those sums, about nothing, while each partial sum on the way carries the offset times a
    partial sum of the centred operand (a random walk, of order the offset times the square root of the inner
    size). An accumulator below float32 rounds at the scale of those partial sums, far above the answer's,
    whatever the inner size (issue 15 section 7: an fp16 accumulator rounding once per 16-wide MMA step at
    K=64 stayed within the honest-kernel error model on plain draws); float32 keeps them. None where fewer
    than two inputs are eligible (float tensors the reference takes shifted, not broadcast in memory). Each
    input keeps its layout."""
    import torch

    picked = [i for i, (x, ok) in enumerate(zip(inputs, eligible))
              if ok and isinstance(x, torch.Tensor) and x.is_floating_point() and x.numel() > 1
              and not _overlaps(x)]
    if len(picked) < 2:
        return None
    out = list(inputs)
    lifted = inputs[picked[0]].double()
    rms = float(lifted.pow(2).mean().sqrt()) or 1.0
    out[picked[0]] = _in_layout(inputs[picked[0]], lifted + CANCELLING_OFFSET * rms)
    for i in picked[1:]:
        centred = inputs[i].double()
        for dim in range(centred.dim()):
            if centred.shape[dim] > 1:
                centred = centred - centred.mean(dim=dim, keepdim=True)
        out[i] = _in_layout(inputs[i], centred)
    return out


def one_object_sources(inputs: list, input_domains) -> list[int] | None:
    """Per input, the index of the input whose tensor object it is handed as on a call where inputs that may be
    one tensor are (a Gram matrix `x @ x`, attention without projections `sdpa(x, x, x)`, `add(h, h)`): each
    floating-point tensor takes the first earlier one of its shape, dtype, strides and domain. None where no
    two inputs may be one object: every input drawn on its own, as the other calls have them, never tells a
    launcher asking `a is b` that it is being verified (rt_detect_same_input_object)."""
    import torch

    sources, domains = list(range(len(inputs))), domains_of(inputs, input_domains)
    for j, x in enumerate(inputs):
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            continue
        for i in range(j):
            y = inputs[i]
            if sources[i] == i and isinstance(y, torch.Tensor) and (y.shape, y.dtype, y.stride(), domains[i]) \
                    == (x.shape, x.dtype, x.stride(), domains[j]):
                sources[j] = i
                break
    return sources if sources != list(range(len(inputs))) else None


def _overlaps(x) -> bool:
    """Whether some elements of `x` share memory (a stride-0 broadcast): it cannot hold independent values.
    (Other overlapping layouts fit in fewer elements than they have, or are not the ones models hand over.)"""
    span = 1 + sum((size - 1) * stride for size, stride in zip(x.shape, x.stride()))
    return any(stride == 0 and size > 1 for size, stride in zip(x.shape, x.stride())) or span < x.numel()


def _in_layout(x, values):
    """`values` (float64, x's shape) in x's dtype, laid out as x is (its sizes, strides, and the gaps between
    its rows, holding what x's storage span held)."""
    span = _span(x).clone()
    view = span.as_strided(x.shape, x.stride(), 0)
    view.copy_(values.to(x.dtype))
    return view


def transformed_on(device: str, transform, x):
    """`transform(x)` (one of TRANSFORMS) computed on `device` and returned where `x` is, in its layout. The
    verifier keeps its inputs on the host for the worker's requests; a GPU computes a real-scale transform in
    milliseconds where the host's float64 took seconds (the heavy tail of a 235 MB bf16 input: 9 s of one
    candidate's verification on an H100's host)."""
    if device == "cpu" or x.device.type != "cpu" or not x.numel():
        return transform(x)
    if x.is_contiguous():
        return transform(x.to(device)).to(x.device)
    # The storage span crosses (a contiguous 1-D view, transformed as it is), and comes back in x's layout.
    return transform(_span(x).to(device)).to(x.device).as_strided(x.shape, x.stride(), 0)


def reflected_indices(inputs: list, input_domains) -> list | None:
    """`inputs` with every index input of a declared range [low, high) reflected across it (i -> low + high
    - 1 - i): the same pattern of repeats and of distinct values, in range, moved to the range's other end.
    Random draws of a small index tensor can miss most of its range (a block table of a few entries drawn
    from a few pages may hold only page 0, where a kernel that forgets the page stride reads the right
    rows: the built-in teacher's flawed paged_kv_gather was accepted on such draws); reflected, page 0 is the
    last page. A bijection, so unique indices stay unique. None where no input declares an index range."""
    import torch

    out, changed = list(inputs), False
    for number, (x, domain) in enumerate(zip(inputs, declared_domains(inputs, input_domains))):
        if domain is None or x.is_floating_point() or x.dtype == torch.bool or not x.numel():
            continue
        try:
            kind, bounds = parse_domain(domain)
        except ValueError:
            continue
        if kind.name != "index" or bounds is None or bounds[1] - bounds[0] < 2:
            continue
        low, high = bounds
        out[number] = keeping_layout(lambda t, low=low, high=high: (low + high - 1) - t)(x)
        changed = True
    return out if changed else None


def declared_domains(inputs: list, input_domains) -> list[str | None]:
    """Per input, the domain text declared for it (None for a non-tensor, or where the declared domains do
    not number the tensors)."""
    import torch

    tensors = [x for x in inputs if isinstance(x, torch.Tensor)]
    declared = iter(input_domains if input_domains and len(input_domains) == len(tensors) else ())
    return [next(declared, None) if isinstance(x, torch.Tensor) else None for x in inputs]


def domains_of(inputs: list, input_domains) -> list[str | None]:
    """Per input, its domain's name (None for a non-tensor): "unspecified" for every tensor without domains,
    with a count of domains other than the tensors', or with a name the domains do not know."""
    import torch

    names = []
    for x, domain in zip(inputs, declared_domains(inputs, input_domains)):
        if not isinstance(x, torch.Tensor):
            names.append(None)
            continue
        try:
            names.append(parse_domain(domain or "unspecified")[0].name)
        except ValueError:
            names.append("unspecified")
    return names


def transformable(inputs: list, input_domains, kind: str) -> list[bool]:
    """Per input: whether transform `kind` applies (a float tensor whose domain survives it). Without
    domains, or with a count other than the tensors', every float tensor is transformed (where the
    reference tolerates it: `kept_inputs`)."""
    return [domain is not None and x.is_floating_point() and kind in DOMAINS[domain].transforms
            for x, domain in zip(inputs, domains_of(inputs, input_domains))]


def kept_inputs(model, first_inputs: list, input_domains, allowed: dict[str, list[bool]], *,
                reference_code: str, runtime: Runtime) -> dict[str, list[bool]]:
    """Per transform name, the inputs it changes: those `allowed` (`transformable`) names, less each
    undeclared one the reference fails on when transformed, as a CPU copy of it shows (once per problem:
    `runtime.probes`)."""
    import copy

    import torch

    undeclared = [domain == "unspecified" for domain in domains_of(first_inputs, input_domains)]
    plans = {name: (transform, allowed[name], [ok and open_ for ok, open_ in zip(allowed[name], undeclared)])
             for name, (_, transform) in TRANSFORMS.items()}
    cpu_model = []

    def run(inputs: list) -> list:
        if not cpu_model:  # copied only when a probe runs: once per problem
            cpu_model.append(model if runtime.device == "cpu" else copy.deepcopy(model).to("cpu"))
        with torch.no_grad():
            return [e.detach() for e in as_list(cpu_model[0](*[to_device(x, "cpu") for x in inputs]))]

    key = (hashlib.sha256(reference_code.encode()).hexdigest(), tuple(input_domains or ()),
           shape_key(first_inputs))
    return runtime.probes.kept_inputs(key, run, first_inputs, plans)


# Several candidates are judged at once, each in a thread of this process (verify-batch, the pipeline's
# verifier actor), and the reference's get_init_inputs(), Model(...) and get_inputs() draw from torch's one
# global generator. Seeding and drawing must be one step: another thread's draw between our manual_seed
# and our Model(...) gives the reference other weights than the candidate's (drawn from the same seed in
# its own process), and a correct kernel is rejected for a mismatch (seen on an H200: about one in six
# candidates of a matmul + bias problem, four judged at a time).
_GLOBAL_RNG = threading.Lock()


@contextlib.contextmanager
def seeded(seed: int):
    """Hold torch's global generator, seeded with `seed`, for the draws made inside."""
    import torch

    with _GLOBAL_RNG:
        torch.manual_seed(seed)
        yield


def partly_changed(inputs: list, other: list) -> list:
    """`inputs` with a random part of each tensor's elements (a contiguous run and scattered ones) taken
    from `other`, a second draw of the same problem's inputs, so every value stays in the input's domain."""
    import torch

    generator = torch.Generator().manual_seed(disguise.seed())
    changed = []
    for x, y in zip(inputs, other):
        # Only floating-point tensors: integer ones are often indices or lengths that agree with each other.
        if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor) or x.shape != y.shape \
                or x.dtype != y.dtype or not x.numel() or not x.is_floating_point():
            changed.append(x)
            continue
        # Over the storage span where both share a layout, so the changed input keeps it (`keeping_layout`).
        spans = not x.is_contiguous() and x.stride() == y.stride()
        flat_x, flat_y = (_span(x), _span(y)) if spans else (x.reshape(-1), y.reshape(-1))
        take = torch.rand(flat_x.numel(), generator=generator) < 0.05
        length = max(1, flat_x.numel() // 8)
        start = int(torch.randint(0, flat_x.numel() - length + 1, (1,), generator=generator))
        take[start:start + length] = True
        mixed = torch.where(take, flat_y, flat_x)
        changed.append(mixed.as_strided(x.shape, x.stride(), 0) if spans else mixed.reshape(x.shape))
    return changed


def moved_keeping_layout(x, device: str):
    """`x` on `device` with its sizes and strides. `Tensor.to` keeps a dense layout (a permuted one too) but
    makes an overlapping one contiguous: an input a spec draws expanded (a class token broadcast over the
    batch, stride 0) would reach the candidate in another layout than its reference and its teacher saw,
    and a kernel compiled for that layout (Inductor's asserts its strides) fails on it."""
    if x.is_contiguous() or not x.numel():
        return x.to(device)
    return _span(x).to(device).as_strided(x.shape, x.stride(), 0)


def _span(x):
    """`x`'s storage span, first element to last, as a 1-D view."""
    span = 1 + sum((size - 1) * stride for size, stride in zip(x.shape, x.stride()))
    return x.as_strided((span,), (1,), x.storage_offset())


def shape_key(inputs: list) -> str:
    return ";".join(f"{tuple(x.shape)}:{x.dtype}" if hasattr(x, "shape") else repr(x) for x in inputs)
