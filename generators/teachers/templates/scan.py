"""Scan templates ("scan"): cumulative sum, product, maximum and log-sum-exp along the last dim, the reverse
cumulative sum, and the cumulative sum over dim 1 of a (batch, seq, hidden) tensor.

Structures: the whole row in one block (`tl.cumsum`, `tl.cumprod`, `tl.associative_scan` with a combine
function); column tiles in a loop that carry the running value of the tiles before (walked from the end for
the reverse sum); 2-D tiles of short rows scanned along axis 1; for dim 1, a loop down the sequence with one
running sum per hidden position, or 2-D tiles scanned along axis 0 with a carry.

fp32 sums accumulate in fp64: PyTorch's CPU cumsum accumulates in double, and an fp32 prefix over tens of
thousands of elements drifts by more than 1e-4 where it crosses zero. Padding lanes load the combine's
neutral element (0, 1 or -inf), so they change no prefix, whichever end they sit at.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from generators.specs import OPS
from generators.teachers.templates.base import (
    Draft, Group, Variant, fill, launch_warps, model_new, module, next_power_of_2,
)
from generators.teachers.templates.reference import registry_dims

FLAWS: dict[str, tuple[str, float]] = {
    # Each tile scanned on its own: every tile after the first misses the running value of those before.
    "no_carry": ("each tile is scanned on its own, without the running value of the tiles before it", 0.3),
}


@dataclass(frozen=True)
class ScanKind:
    neutral: str
    scan: str  # of `x` along `axis`, reverse flag `reverse`
    reduce: str
    combine: str  # of {a} (the carry) and {b}
    helper: str = ""


_HELPERS = {
    "max": '''
@triton.jit
def _maximum(a, b):
    return tl.maximum(a, b)
''',
    "lse": '''
@triton.jit
def _logaddexp(a, b):
    # log(exp(a) + exp(b)) without overflow; -inf (an empty prefix) is its neutral element.
    hi = tl.maximum(a, b)
    lo = tl.minimum(a, b)
    return tl.where(hi == float("-inf"), hi, hi + tl.log(1.0 + tl.exp(lo - hi)))
''',
}
KINDS = {
    "sum": ScanKind("0.0", "tl.cumsum(x, axis={axis}{reverse})", "tl.sum(x, axis={axis}, keep_dims=True)",
                    "{a} + {b}"),
    "prod": ScanKind("1.0", "tl.cumprod(x, axis={axis}{reverse})", "tl.reduce(x, {axis}, _multiply, keep_dims=True)",
                     "{a} * {b}", '''
@triton.jit
def _multiply(a, b):
    return a * b
'''),
    "max": ScanKind('float("-inf")', "tl.associative_scan(x, {axis}, _maximum{reverse})",
                    "tl.max(x, axis={axis}, keep_dims=True)", "tl.maximum({a}, {b})", _HELPERS["max"]),
    "lse": ScanKind('float("-inf")', "tl.associative_scan(x, {axis}, _logaddexp{reverse})",
                    "tl.reduce(x, {axis}, _logaddexp, keep_dims=True)", "_logaddexp({a}, {b})", _HELPERS["lse"]),
}
# op -> (kind, reverse, middle dim)
_OPS = {"cumsum": ("sum", False, False), "cumprod": ("prod", False, False), "cumsum_reverse": ("sum", True, False),
        "cummax": ("max", False, False), "logcumsumexp": ("lse", False, False), "cumsum_dim1": ("sum", False, True)}
_LOOP_BLOCKS = (64, 128, 256, 512, 1024)


def check(spec_row: dict) -> None:
    registry_dims(spec_row, spec_row["ops"][0])


def _extent(spec_row: dict) -> int:
    return spec_row["shapes"][0][1]


def _acc_type(spec_row: dict, kind: str) -> tuple[str, str]:
    if kind == "sum" and spec_row["dtype"] == "float32":
        return "tl.float64", "# fp32 sums accumulate in fp64, as PyTorch's CPU cumsum does."
    return "tl.float32", ""


def _render(spec_row: dict, rng: random.Random, structure: str, flaw: str | None) -> Draft:
    op = spec_row["ops"][0]
    kind_name, reverse, middle = _OPS[op]
    kind = KINDS[kind_name]
    acc, acc_note = _acc_type(spec_row, kind_name)
    rev = ", reverse=True" if reverse else ""
    params: dict = {"structure": structure}
    n = _extent(spec_row)
    if middle:
        return _render_middle(spec_row, rng, structure, flaw, kind, acc, acc_note)
    if structure == "row_block":
        block_n = next_power_of_2(n)
        block_m = rng.choice([m for m in (2, 4, 8, 16, 32) if m * block_n <= 4096] or [1])
        params.update(BLOCK_M=block_m, BLOCK_N=block_n)
        body = f'''
            # BLOCK_M short rows per program, scanned along axis 1 of a 2-D tile.
            rows = tl.program_id(axis=0) * BLOCK_M + tl.arange(0, BLOCK_M)
            cols = tl.arange(0, BLOCK_N)
            valid = (rows[:, None] < n_rows) & (cols[None, :] < n_cols)
            <<note>>
            x = tl.load(x_ptr + rows[:, None] * stride_x_row + cols[None, :] * stride_x_col, mask=valid, other={kind.neutral}).to({acc})
            y = {kind.scan.format(axis=1, reverse=rev)}
            tl.store(out_ptr + rows[:, None] * n_cols + cols[None, :], y.to(out_ptr.dtype.element_ty), mask=valid)
            '''
        constexprs = "BLOCK_M: tl.constexpr,  # rows per program\nBLOCK_N: tl.constexpr,  # a power of two >= n_cols"
        blocks = (f"BLOCK_N = triton.next_power_of_2(n_cols)\nBLOCK_M = {block_m}", "grid = (triton.cdiv(n_rows, BLOCK_M),)",
                  "BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N")
        warps = launch_warps(rng, block_m * block_n)
        prose = f"Rows are short: each program scans {block_m} whole rows at once, as a {block_m}x{block_n} tile."
    elif structure == "single_pass":
        block = next_power_of_2(n)
        params["BLOCK_SIZE"] = block
        body = f'''
            # One program per row, the whole row in one block.
            row = tl.program_id(axis=0)
            cols = tl.arange(0, BLOCK_SIZE)
            valid = cols < n_cols
            <<note>>
            x = tl.load(x_ptr + row * stride_x_row + cols * stride_x_col, mask=valid, other={kind.neutral}).to({acc})
            y = {kind.scan.format(axis=0, reverse=rev)}
            tl.store(out_ptr + row * n_cols + cols, y.to(out_ptr.dtype.element_ty), mask=valid)
            '''
        constexprs = "BLOCK_SIZE: tl.constexpr,  # a power of two >= n_cols"
        blocks = ("BLOCK_SIZE = triton.next_power_of_2(n_cols)", "grid = (n_rows,)", "BLOCK_SIZE=BLOCK_SIZE")
        warps = launch_warps(rng, block)
        prose = f"One program per row scans the whole row in one block of {block} columns."
    else:  # looped, with a carry between tiles
        block = rng.choice([b for b in _LOOP_BLOCKS if b < n])
        params["BLOCK_SIZE"] = block
        tiles = ("n_tiles = tl.cdiv(n_cols, BLOCK_SIZE)\nfor tile in range(0, n_tiles):\n"
                 "    # Tiles from the last to the first: a suffix sum carries what lies to the right.\n"
                 "    start = (n_tiles - 1 - tile) * BLOCK_SIZE" if reverse else
                 "for start in range(0, n_cols, BLOCK_SIZE):")
        carry_lines = ("" if flaw == "no_carry" else
                       f"    y = {kind.combine.format(a='carry', b='y')}\n"
                       f"    carry = {kind.combine.format(a='carry', b=kind.reduce.format(axis=0))}\n")
        body = f'''
            # One program per row, walking it in tiles; `carry` is the scan of every tile already done.
            row = tl.program_id(axis=0)
            col_offsets = tl.arange(0, BLOCK_SIZE)
            carry = tl.full([1], {kind.neutral}, {acc})
            <<tiles>>
                cols = start + col_offsets
                valid = cols < n_cols
                <<note>>
                x = tl.load(x_ptr + row * stride_x_row + cols * stride_x_col, mask=valid, other={kind.neutral}).to({acc})
                y = {kind.scan.format(axis=0, reverse=rev)}
            <<carry>>
                tl.store(out_ptr + row * n_cols + cols, y.to(out_ptr.dtype.element_ty), mask=valid)
            '''
        body = fill(body, tiles=tiles, carry=carry_lines.rstrip("\n"), note=acc_note)
        constexprs = "BLOCK_SIZE: tl.constexpr,  # columns per tile"
        blocks = (f"BLOCK_SIZE = {block}  # column tiles; the row takes cdiv(n_cols, BLOCK_SIZE) of them",
                  "grid = (n_rows,)", "BLOCK_SIZE=BLOCK_SIZE")
        warps = launch_warps(rng, block)
        prose = (f"One program per row walks it in tiles of {block} columns"
                 + (" from the end" if reverse else "")
                 + ", scanning each tile and adding the running value of the tiles before it.")
    params["num_warps"] = warps
    kernel = fill('''
        @triton.jit
        def <<name>>_kernel(
            x_ptr,  # (n_rows, n_cols) input, read through its strides
            out_ptr,  # (n_rows, n_cols) output, contiguous
            n_rows, n_cols,
            stride_x_row, stride_x_col,
            <<constexprs>>
        ):
            <<body>>
        ''', name=op, constexprs=constexprs, body=fill(body, note=acc_note))
    launcher = fill('''
        def <<name>>(x: torch.Tensor) -> torch.Tensor:
            assert x.dim() == 2, f"expected a 2-D input, got shape {tuple(x.shape)}"
            n_rows, n_cols = x.shape
            out = torch.empty((n_rows, n_cols), device=x.device, dtype=x.dtype)
            <<block>>
            <<grid>>
            <<name>>_kernel[grid](x, out, n_rows, n_cols, x.stride(0), x.stride(1), <<meta>>, num_warps=<<warps>>)
            return out
        ''', name=op, block=blocks[0], grid=blocks[1], meta=blocks[2], warps=warps)
    return _draft(spec_row, op, kind, kernel, launcher, structure, flaw, params, prose)


def _draft(spec_row, op, kind, kernel, launcher, structure, flaw, params, prose) -> Draft:
    doc = OPS[op].doc.format(**registry_dims(spec_row, op))
    parts = ([kind.helper.strip("\n") + "\n"] if kind.helper else []) + [kernel, launcher]
    code = module(*parts, model_new(f"Computes {doc} with a Triton kernel.", "x", f"{op}(x)"))
    return Draft(variant=flaw or structure, flaw=flaw, params=params, code=code, prose=prose)


def _render_middle(spec_row, rng, structure, flaw, kind, acc, acc_note) -> Draft:
    op = spec_row["ops"][0]
    params: dict = {"structure": structure}
    if structure == "sequential":
        block_i = rng.choice((16, 32, 64, 128, 256))
        params["BLOCK_I"] = block_i
        body = f'''
            # Axis 0: one batch index; axis 1: BLOCK_I hidden positions, each with its running sum, walked
            # down the sequence one position at a time (loads of consecutive positions are contiguous).
            base = tl.program_id(axis=0) * n_seq * n_inner
            inner = tl.program_id(axis=1) * BLOCK_I + tl.arange(0, BLOCK_I)
            valid = inner < n_inner
            <<note>>
            running = tl.zeros([BLOCK_I], dtype={acc})
            for s in range(0, n_seq):
                running += tl.load(x_ptr + base + s * n_inner + inner, mask=valid, other=0.0).to({acc})
                tl.store(out_ptr + base + s * n_inner + inner, running.to(out_ptr.dtype.element_ty), mask=valid)
            '''
        constexprs = "BLOCK_I: tl.constexpr,  # hidden positions per program"
        meta = f"BLOCK_I={block_i}"
        warps = launch_warps(rng, block_i)
        prose = (f"Each program keeps {block_i} running sums, one per hidden position, and walks down the "
                 "sequence adding and storing one position at a time.")
    else:  # tiles of (seq, hidden) scanned along axis 0, carried down the sequence
        block_s = rng.choice([b for b in (16, 32, 64) if b < spec_row["shapes"][0][1]] or [16])
        block_i = rng.choice((16, 32, 64))
        params.update(BLOCK_S=block_s, BLOCK_I=block_i)
        carry = "" if flaw == "no_carry" else "    y = carry + y\n    carry = carry + tl.sum(x, axis=0, keep_dims=True)\n"
        body = fill(f'''
            # Tiles of BLOCK_S sequence positions by BLOCK_I hidden positions, scanned down axis 0; `carry` holds
            # the sums of the tiles above.
            base = tl.program_id(axis=0) * n_seq * n_inner
            inner = tl.program_id(axis=1) * BLOCK_I + tl.arange(0, BLOCK_I)
            seq_offsets = tl.arange(0, BLOCK_S)
            <<note>>
            carry = tl.zeros([1, BLOCK_I], dtype={acc})
            for start in range(0, n_seq, BLOCK_S):
                seq = start + seq_offsets
                valid = (seq[:, None] < n_seq) & (inner[None, :] < n_inner)
                offsets = base + seq[:, None] * n_inner + inner[None, :]
                x = tl.load(x_ptr + offsets, mask=valid, other=0.0).to({acc})
                y = tl.cumsum(x, axis=0)
            <<carry>>
                tl.store(out_ptr + offsets, y.to(out_ptr.dtype.element_ty), mask=valid)
            ''', carry=carry.rstrip("\n"), note=acc_note)
        constexprs = "BLOCK_S: tl.constexpr,  # sequence positions per tile\nBLOCK_I: tl.constexpr,  # hidden positions per program"
        meta = f"BLOCK_S={block_s}, BLOCK_I={block_i}"
        warps = launch_warps(rng, block_s * block_i)
        prose = (f"Each program scans {block_s}x{block_i} tiles of (sequence, hidden) down the sequence"
                 + (", each tile on its own." if flaw == "no_carry" else ", carrying the sums of the tiles above."))
    params["num_warps"] = warps
    kernel = fill('''
        @triton.jit
        def <<name>>_kernel(
            x_ptr,  # (batch, seq, hidden) input, contiguous
            out_ptr,  # output of the same shape
            n_seq, n_inner,
            <<constexprs>>
        ):
            <<body>>
        ''', name=op, constexprs=constexprs, body=fill(body, note=acc_note))
    launcher = fill('''
        def <<name>>(x: torch.Tensor) -> torch.Tensor:
            assert x.dim() == 3, f"expected a (batch, seq, hidden) input, got shape {tuple(x.shape)}"
            x = x.contiguous()
            out = torch.empty_like(x)
            n_batch, n_seq, n_inner = x.shape
            grid = lambda meta: (n_batch, triton.cdiv(n_inner, meta["BLOCK_I"]))
            <<name>>_kernel[grid](x, out, n_seq, n_inner, <<meta>>, num_warps=<<warps>>)
            return out
        ''', name=op, meta=meta, warps=warps)
    return _draft(spec_row, op, KINDS["sum"], kernel, launcher, structure, flaw, params, prose)


def _middle(s: dict) -> bool:
    return _OPS[s["ops"][0]][2]


def _variants() -> tuple[Variant, ...]:
    def correct(structure, applies):
        return Variant(structure, applies, lambda s, rng: _render(s, rng, structure, None))

    def one_row(s):
        return not _middle(s) and next_power_of_2(_extent(s)) <= 8192

    return (
        correct("single_pass", one_row),
        correct("looped", lambda s: not _middle(s) and _extent(s) > min(_LOOP_BLOCKS)),
        correct("row_block", lambda s: not _middle(s) and s["shapes"][0][0] > 1 and next_power_of_2(_extent(s)) <= 512),
        correct("sequential", _middle),
        correct("tiles", _middle),
        Variant("no_carry", lambda s: _extent(s) > min(_LOOP_BLOCKS) if not _middle(s) else s["shapes"][0][1] > 16,
                lambda s, rng: _render(s, rng, "tiles" if _middle(s) else "looped", "no_carry"), flaw="no_carry"),
    )


GROUPS = (Group("scan", tuple(_OPS), check, _variants()),)
