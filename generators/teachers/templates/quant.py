'''Quantisation templates ("quant"): int8 and fp8 e4m3 quantise and dequantise, one scale per row or per
128-column block.

One program per group (a row, or a 128-column block of a row; either way a contiguous run of the
flattened tensor), or a tile of several groups, one per tile row, finds each group's absolute maximum, its
scale, and writes the rounded values. Rounding
is written out exactly: the divisions use `tl.math.div_rn` (IEEE round-to-nearest, as torch divides; a
plain `/` is approximate on NVIDIA GPUs), int8 rounds half to even as torch.round does, and fp8 e4m3 is
encoded from the float32 bits (round to nearest even on the mantissa, subnormals below 2^-6) rather than
by Triton's fp8 cast, which the Triton 3.9 interpreter gets wrong just below a power of two (126.2 becomes
64). Dequantising decodes the fp8 bytes the same way, bit by bit.
'''

from __future__ import annotations

import random

from generators.teachers.templates.base import fill, launch_warps, next_power_of_2
from generators.teachers.templates.single import Built, Sub, group

FLAWS: dict[str, tuple[str, float]] = {
    # max(x) for the scale where max(|x|) belongs: a group whose largest magnitude is negative is clamped.
    "amax_without_abs": ("the scale is taken from the group's maximum instead of its maximum magnitude", 0.25),
    # int8 read as unsigned: negative values come back as 128..255.
    "int8_as_unsigned": ("the int8 values are widened as unsigned bytes", 0.25),
    # e5m2's exponent bias (15) used to decode e4m3 (bias 7): every normal value off by 2^8.
    "fp8_wrong_bias": ("the fp8 e4m3 bytes are decoded with e5m2's exponent bias", 0.25),
}

_ROUND_HALF_EVEN = """
    @triton.jit
    def round_half_even(v):
        # torch.round: to the nearest integer, ties to the even one. v - floor(v) is exact in float32.
        r = tl.floor(v)
        frac = v - r
        odd = (r - 2.0 * tl.floor(r * 0.5)) != 0.0
        return r + tl.where((frac > 0.5) | ((frac == 0.5) & odd), 1.0, 0.0)
    """
_ENCODE_FP8 = """
    @triton.jit
    def encode_e4m3(v):
        # float32 (|v| <= 448) -> float8_e4m3fn bits, round to nearest even, as torch's cast.
        bits = v.to(tl.int32, bitcast=True)
        sign = (bits >> 31) & 1
        a_bits = bits & 0x7FFFFFFF
        a = a_bits.to(tl.float32, bitcast=True)
        # Normal: keep 3 mantissa bits, rounding the 20 dropped ones to nearest even (a carry bumps the exponent).
        r = a_bits + 0x7FFFF + ((a_bits >> 20) & 1)
        normal = ((((r >> 23) - 127 + 7) << 3) | ((r >> 20) & 7))
        # Subnormal (|v| < 2^-6): multiples of 2^-9; a * 512 is exact, and 8 rounds up into the first normal.
        sub = round_half_even(a * 512.0).to(tl.int32)
        code = tl.where(a >= 0.015625, normal, sub)
        return (code | (sign << 7)).to(tl.uint8)
    """
_DECODE_FP8 = """
    @triton.jit
    def decode_e4m3(b):
        # float8_e4m3fn bits -> float32, exactly: sign, 4 exponent bits (bias 7), 3 mantissa bits.
        b = b.to(tl.int32)
        e = (b >> 3) & 15
        m = b & 7
        normal = (((e + 120) << 23) | (m << 20)).to(tl.float32, bitcast=True)
        value = tl.where(e == 0, m.to(tl.float32) * 0.001953125, normal)
        return tl.where((b & 128) != 0, -value, value)
    """


def _quantise(fmt: str, granularity: str, tiled: bool = False):
    top = "127.0" if fmt == "int8" else "448.0"
    store = ("q = tl.minimum(tl.maximum(round_half_even(scaled), -127.0), 127.0).to(tl.int8)" if fmt == "int8"
             else "q = encode_e4m3(tl.minimum(tl.maximum(scaled, -448.0), 448.0))")

    def build(dims, rng: random.Random, dtype: str) -> Built:
        group_size = 128 if granularity == "block" else dims["cols"]
        block = next_power_of_2(group_size)
        warps = launch_warps(rng, block)
        helpers = fill(_ROUND_HALF_EVEN) + ("" if fmt == "int8" else "\n\n" + fill(_ENCODE_FP8))
        if tiled:
            return _quantise_tiles(dims, rng, fmt, group_size, block, helpers, top, store)
        kernel = fill("""
            @triton.jit
            def quantize_kernel(
                x_ptr,  # (rows, cols), contiguous
                out_ptr,  # (rows, cols) <<what>>
                group_size,  # elements per scale: a row, or a block of a row
                BLOCK_SIZE: tl.constexpr,  # group_size padded to a power of two
            ):
                g = tl.program_id(axis=0)
                offsets = g * group_size + tl.arange(0, BLOCK_SIZE)
                valid = tl.arange(0, BLOCK_SIZE) < group_size
                x = tl.load(x_ptr + offsets, mask=valid, other=0.0).to(tl.float32)
                amax = tl.max(tl.abs(x), axis=0)
                scale = tl.math.div_rn(tl.maximum(amax, 1e-12), <<top>>)
                scaled = tl.math.div_rn(x, scale)
                <<store>>
                tl.store(out_ptr + offsets, q, mask=valid)
            """, what="int8" if fmt == "int8" else "uint8: the float8_e4m3fn bytes", top=top, store=store)
        out_dtype = "torch.int8" if fmt == "int8" else "torch.uint8"
        launcher = fill("""
            def quantize(x: torch.Tensor) -> torch.Tensor:
                assert x.dim() == 2 and x.shape[1] % <<g>> == 0, "x (rows, cols), whole groups per row"
                x = x.contiguous()
                out = torch.empty(x.shape, device=x.device, dtype=<<out_dtype>>)
                quantize_kernel[(x.numel() // <<g>>,)](x, out, <<g>>, BLOCK_SIZE=<<b>>, num_warps=<<w>>)
                return out
            """, g=group_size, out_dtype=out_dtype, b=block, w=warps)
        return Built((helpers, kernel, launcher), {"BLOCK_SIZE": block, "num_warps": warps},
                     f"One program per group of {group_size} values finds its absolute maximum and writes the "
                     f"values rounded to {fmt} with exactly rounded divisions.", "x", "quantize(x)")

    return build


def _dequantise(fmt: str, granularity: str, tiled: bool = False):
    value = "q.to(tl.float32)" if fmt == "int8" else "decode_e4m3(q)"

    def build(dims, rng: random.Random, dtype: str) -> Built:
        group_size = 128 if granularity == "block" else dims["cols"]
        block = next_power_of_2(group_size)
        warps = launch_warps(rng, block)
        helpers = () if fmt == "int8" else (fill(_DECODE_FP8),)
        if tiled:
            return _dequantise_tiles(dims, rng, fmt, group_size, block, helpers, value)
        kernel = fill("""
            @triton.jit
            def dequantize_kernel(
                q_ptr,  # (rows, cols) <<what>>, contiguous
                scale_ptr,  # one scale per group, contiguous, in group order
                out_ptr,  # (rows, cols) in the scale's dtype
                group_size,
                BLOCK_SIZE: tl.constexpr,
            ):
                g = tl.program_id(axis=0)
                offsets = g * group_size + tl.arange(0, BLOCK_SIZE)
                valid = tl.arange(0, BLOCK_SIZE) < group_size
                q = tl.load(q_ptr + offsets, mask=valid, other=0)
                scale = tl.load(scale_ptr + g).to(tl.float32)
                tl.store(out_ptr + offsets, (<<value>> * scale).to(out_ptr.dtype.element_ty), mask=valid)
            """, what="int8" if fmt == "int8" else "uint8 float8_e4m3fn bytes", value=value)
        launcher = fill("""
            def dequantize(q: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
                assert q.dim() == 2 and scale.numel() * <<g>> == q.numel(), "one scale per group of <<g>>"
                q, scale = q.contiguous(), scale.contiguous()
                out = torch.empty(q.shape, device=q.device, dtype=scale.dtype)
                dequantize_kernel[(scale.numel(),)](q, scale, out, <<g>>, BLOCK_SIZE=<<b>>, num_warps=<<w>>)
                return out
            """, g=group_size, b=block, w=warps)
        return Built((*helpers, kernel, launcher), {"BLOCK_SIZE": block, "num_warps": warps},
                     f"One program per group of {group_size} values decodes them and multiplies by the group's scale.",
                     "q, scale", "dequantize(q, scale)")

    return build


def _groups_per_program(rng: random.Random, block: int) -> int:
    return rng.choice([g for g in (2, 4, 8, 16) if g * block <= 4096] or [2])


def _quantise_tiles(dims, rng, fmt, group_size, block, helpers, top, store) -> Built:
    block_g = _groups_per_program(rng, block)
    warps = launch_warps(rng, block_g * block)
    kernel = fill("""
        @triton.jit
        def quantize_kernel(
            x_ptr,  # (rows, cols), contiguous: groups of group_size consecutive values
            out_ptr,  # (rows, cols) <<what>>
            n_groups,
            group_size,  # elements per scale: a row, or a block of a row
            BLOCK_G: tl.constexpr,  # groups per program
            BLOCK_SIZE: tl.constexpr,  # group_size padded to a power of two
        ):
            # A (BLOCK_G, BLOCK_SIZE) tile: one group per tile row, its maximum reduced along axis 1.
            groups = tl.program_id(axis=0) * BLOCK_G + tl.arange(0, BLOCK_G)
            cols = tl.arange(0, BLOCK_SIZE)
            valid = (groups[:, None] < n_groups) & (cols[None, :] < group_size)
            offsets = groups[:, None] * group_size + cols[None, :]
            x = tl.load(x_ptr + offsets, mask=valid, other=0.0).to(tl.float32)
            amax = tl.max(tl.abs(x), axis=1)
            scale = tl.math.div_rn(tl.maximum(amax, 1e-12), <<top>>)
            scaled = tl.math.div_rn(x, scale[:, None])
            <<store>>
            tl.store(out_ptr + offsets, q, mask=valid)
        """, what="int8" if fmt == "int8" else "uint8: the float8_e4m3fn bytes", top=top, store=store)
    out_dtype = "torch.int8" if fmt == "int8" else "torch.uint8"
    launcher = fill("""
        def quantize(x: torch.Tensor) -> torch.Tensor:
            assert x.dim() == 2 and x.shape[1] % <<g>> == 0, "x (rows, cols), whole groups per row"
            x = x.contiguous()
            out = torch.empty(x.shape, device=x.device, dtype=<<out_dtype>>)
            n_groups = x.numel() // <<g>>
            quantize_kernel[(triton.cdiv(n_groups, <<bg>>),)](x, out, n_groups, <<g>>, BLOCK_G=<<bg>>, BLOCK_SIZE=<<b>>, num_warps=<<w>>)
            return out
        """, g=group_size, out_dtype=out_dtype, bg=block_g, b=block, w=warps)
    return Built((helpers, kernel, launcher), {"BLOCK_G": block_g, "BLOCK_SIZE": block, "num_warps": warps},
                 f"Each program quantises {block_g} groups of {group_size} values as one tile, one absolute maximum "
                 f"per tile row, rounding to {fmt} with exactly rounded divisions.", "x", "quantize(x)")


def _dequantise_tiles(dims, rng, fmt, group_size, block, helpers, value) -> Built:
    block_g = _groups_per_program(rng, block)
    warps = launch_warps(rng, block_g * block)
    kernel = fill("""
        @triton.jit
        def dequantize_kernel(
            q_ptr,  # (rows, cols) <<what>>, contiguous
            scale_ptr,  # one scale per group, contiguous, in group order
            out_ptr,  # (rows, cols) in the scale's dtype
            n_groups,
            group_size,
            BLOCK_G: tl.constexpr,  # groups per program
            BLOCK_SIZE: tl.constexpr,  # group_size padded to a power of two
        ):
            # A (BLOCK_G, BLOCK_SIZE) tile, one group per row, each row scaled by its group's scale.
            groups = tl.program_id(axis=0) * BLOCK_G + tl.arange(0, BLOCK_G)
            cols = tl.arange(0, BLOCK_SIZE)
            valid = (groups[:, None] < n_groups) & (cols[None, :] < group_size)
            offsets = groups[:, None] * group_size + cols[None, :]
            q = tl.load(q_ptr + offsets, mask=valid, other=0)
            scale = tl.load(scale_ptr + groups, mask=groups < n_groups, other=0.0).to(tl.float32)
            tl.store(out_ptr + offsets, (<<value>> * scale[:, None]).to(out_ptr.dtype.element_ty), mask=valid)
        """, what="int8" if fmt == "int8" else "uint8 float8_e4m3fn bytes", value=value)
    launcher = fill("""
        def dequantize(q: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
            assert q.dim() == 2 and scale.numel() * <<g>> == q.numel(), "one scale per group of <<g>>"
            q, scale = q.contiguous(), scale.contiguous()
            out = torch.empty(q.shape, device=q.device, dtype=scale.dtype)
            n_groups = scale.numel()
            dequantize_kernel[(triton.cdiv(n_groups, <<bg>>),)](q, scale, out, n_groups, <<g>>, BLOCK_G=<<bg>>, BLOCK_SIZE=<<b>>, num_warps=<<w>>)
            return out
        """, g=group_size, bg=block_g, b=block, w=warps)
    return Built((*helpers, kernel, launcher), {"BLOCK_G": block_g, "BLOCK_SIZE": block, "num_warps": warps},
                 f"Each program decodes {block_g} groups of {group_size} values as one tile and multiplies each row "
                 "by its group's scale.", "q, scale", "dequantize(q, scale)")


_FLAWS = {
    **{f"quantize_{fmt}_{gran}": (Sub("amax_without_abs", (("tl.max(tl.abs(x), axis=", "tl.max(x, axis="),)),)
       for fmt in ("int8", "fp8") for gran in ("row", "block")},
    **{f"dequantize_int8_{gran}": (Sub("int8_as_unsigned", (("(q.to(tl.float32) * scale", "(q.to(tl.uint8).to(tl.float32) * scale"),)),)
       for gran in ("row", "block")},
    **{f"dequantize_fp8_{gran}": (Sub("fp8_wrong_bias", (("(((e + 120) << 23)", "(((e + 112) << 23)"),)),)
       for gran in ("row", "block")},
}

GROUPS = (group("quant", {f"{kind}_{fmt}_{gran}": {"one_group": maker(fmt, gran), "group_tiles": maker(fmt, gran, True)}
                          for kind, maker in (("quantize", _quantise), ("dequantize", _dequantise))
                          for fmt in ("int8", "fp8") for gran in ("row", "block")}, flaws=_FLAWS),)
