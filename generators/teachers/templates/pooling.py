"""Pooling templates: max and average pooling over non-overlapping windows (kernel size = stride, no
padding, floor mode, as the registry's problems use them) of (N, C, L), (N, C, H, W) and (N, C, D, H, W)
inputs. (Global average pooling is a row mean: `reductions.py`.)

Each program computes a block of output elements, each one a window of the input walked with
`tl.static_range` loops (the window size is a compile-time constant). Structures: a 1-D grid over the
flattened output, and a 2-D grid of (n, c) planes by blocks of one plane, which needs no division to find
the plane.
"""

from __future__ import annotations

import random

from generators.specs import OPS
from generators.teachers.templates.base import Draft, Group, Variant, fill, launch_warps, model_new, module
from generators.teachers.templates.reference import registry_dims

FLAWS: dict[str, tuple[str, float]] = {
    # Window (i, j) starts at (i, j) instead of (i * k, j * k): overlapping windows, wrong values.
    "window_stride": ("windows advance by one element instead of by the kernel size", 0.2),
}
_SPATIAL = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}
_OPS = {"max_pool1d": (1, "max"), "max_pool2d": (2, "max"), "avg_pool2d": (2, "avg"), "max_pool3d": (3, "max"),
        "avg_pool3d": (3, "avg")}


def check(spec_row: dict) -> None:
    registry_dims(spec_row, spec_row["ops"][0])


def _window(nd: int, kind: str, stride_one: bool) -> tuple[str, str]:
    """(kernel body computing `acc` for the windows at `base`, comment on the output index)."""
    names = _SPATIAL[nd]
    step = "" if stride_one else " * KERNEL"
    starts = []
    for i, name in enumerate(names):
        inner = " * ".join(names[i + 1:])
        starts.append(f"(o_{name}{step})" + (f" * {inner}" if inner else ""))
    lines = [f"base = plane * {' * '.join(names)} + " + " + ".join(starts)]
    neutral = 'float("-inf")' if kind == "max" else "0.0"
    lines.append(f"acc = tl.full([BLOCK_SIZE], {neutral}, tl.float32)")
    indent = ""
    for i, name in enumerate(names):
        lines.append(f"{indent}for k_{name} in tl.static_range(KERNEL):")
        indent += "    "
    window = " + ".join(f"k_{name}" + (f" * {' * '.join(names[i + 1:])}" if names[i + 1:] else "")
                        for i, name in enumerate(names))
    lines.append(f"{indent}value = tl.load(x_ptr + base + {window}, mask=valid, other={neutral}).to(tl.float32)")
    lines.append(f"{indent}acc = " + ("tl.maximum(acc, value)" if kind == "max" else "acc + value"))
    if kind == "avg":
        lines.append(f"acc = acc / ({' * '.join(['KERNEL'] * nd)})  # every window lies inside the input")
    return "\n".join(lines)


def _render(spec_row: dict, rng: random.Random, structure: str, flaw: str | None) -> Draft:
    op = spec_row["ops"][0]
    nd, kind = _OPS[op]
    dims = registry_dims(spec_row, op)
    k = dims["kernel"]
    names = _SPATIAL[nd]
    block = rng.choice((64, 128, 256, 512, 1024))
    warps = launch_warps(rng, block)
    params = {"structure": structure, "BLOCK_SIZE": block, "num_warps": warps, "KERNEL": k}
    out_names = [f"out_{n}" for n in names]
    decompose = []
    rest = "offsets"
    for name in reversed(names):
        decompose.append(f"o_{name} = {rest} % out_{name}")
        decompose.append(f"rest = {rest} // out_{name}" if name != names[0] or structure == "flat" else "")
        rest = "rest"
    decompose = [line for line in decompose if line]
    if structure == "flat":
        head = ["# Output element i is (plane, " + ", ".join(f"o_{n}" for n in names) + "), plane = n * C + c.",
                "pid = tl.program_id(axis=0)", "offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)",
                "valid = offsets < n_outputs", *decompose, "plane = rest"]
        store = "tl.store(out_ptr + offsets, acc.to(out_ptr.dtype.element_ty), mask=valid)"
        grid = "grid = (triton.cdiv(out.numel(), BLOCK_SIZE),)"
        first_arg = "n_outputs,  # elements of the output"
        first_value = "out.numel()"
    else:
        head = ["# Axis 0: one (n, c) plane; axis 1: a block of that plane's outputs.",
                "plane = tl.program_id(axis=0)",
                "offsets = tl.program_id(axis=1) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)",
                f"valid = offsets < {' * '.join(out_names)}", *decompose]
        store = (f"tl.store(out_ptr + plane * {' * '.join(out_names)} + offsets, acc.to(out_ptr.dtype.element_ty), "
                 "mask=valid)")
        grid = f"grid = (out.shape[0] * out.shape[1], triton.cdiv({' * '.join(f'out.shape[{2 + i}]' for i in range(nd))}, BLOCK_SIZE))"
        first_arg = ""
        first_value = ""
    body = "\n".join(head + [_window(nd, kind, flaw == "window_stride"), store])
    kernel = fill('''
        @triton.jit
        def <<name>>_kernel(
            x_ptr,  # input (N, C, <<spatial_doc>>), contiguous
            out_ptr,  # output (N, C, <<out_doc>>), contiguous
            <<first_arg>>
            <<sizes>>
            KERNEL: tl.constexpr,  # window size and stride
            BLOCK_SIZE: tl.constexpr,  # outputs per program
        ):
            <<body>>
        ''', name=op, spatial_doc=", ".join(n.upper()[0] for n in names),
        out_doc=", ".join(n.upper()[0] + "_out" for n in names), first_arg=first_arg,
        sizes="\n".join(f"{n}, out_{n}," for n in names), body=body)
    sizes = ", ".join(f"x.shape[{2 + i}], out.shape[{2 + i}]" for i in range(nd))
    out_shape = ", ".join(["x.shape[0]", "x.shape[1]"] + [f"x.shape[{2 + i}] // KERNEL" for i in range(nd)])
    launcher = fill('''
        def <<name>>(x: torch.Tensor) -> torch.Tensor:
            assert x.dim() == <<rank>>, f"expected a <<rank>>-D input, got shape {tuple(x.shape)}"
            KERNEL = <<k>>  # kernel_size = stride = <<k>>, no padding: floor(size / <<k>>) windows per dim
            x = x.contiguous()
            out = torch.empty((<<out_shape>>), device=x.device, dtype=x.dtype)
            BLOCK_SIZE = <<block>>
            <<grid>>
            <<name>>_kernel[grid](x, out, <<first_value>><<sizes>>, KERNEL=KERNEL, BLOCK_SIZE=BLOCK_SIZE, num_warps=<<warps>>)
            return out
        ''', name=op, rank=nd + 2, k=k, out_shape=out_shape, block=block, grid=grid,
        first_value=f"{first_value}, " if first_value else "", sizes=sizes, warps=warps)
    doc = OPS[op].doc.format(**dims)
    what = "maximum" if kind == "max" else "mean"
    layout = ("a 1-D grid over the flattened output" if structure == "flat"
              else "a 2-D grid of (n, c) planes by blocks of each plane's outputs")
    prose = (f"Each program computes {block} outputs, each the {what} of a {'x'.join([str(k)] * nd)} window walked "
             f"with static loops, over {layout}; fp32 accumulation, cast on store.")
    code = module(kernel, launcher, model_new(f"Computes {doc} with a Triton kernel.", "x", f"{op}(x)"))
    return Draft(variant=flaw or structure, flaw=flaw, params=params, code=code, prose=prose)


def _window_stride_shows(spec_row: dict) -> bool:
    # With one window per dim the misplaced windows coincide with the right ones.
    op = spec_row["ops"][0]
    dims = registry_dims(spec_row, op)
    return any(dims[f"out_{n}"] > 1 for n in _SPATIAL[_OPS[op][0]])


VARIANTS = (
    Variant("flat", lambda s: True, lambda s, rng: _render(s, rng, "flat", None)),
    Variant("planes", lambda s: True, lambda s, rng: _render(s, rng, "planes", None)),
    Variant("window_stride", _window_stride_shows,
            lambda s, rng: _render(s, rng, rng.choice(("flat", "planes")), "window_stride"), flaw="window_stride"),
)
GROUPS = (Group("pooling", tuple(_OPS), check, VARIANTS),)
