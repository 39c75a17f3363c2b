"""Indexing templates ("indexing"): embedding lookup, gather along the last dim, index_select of rows,
index_add with repeated indices, take_along_dim over the sequence; and the negative log-likelihood loss
("loss"), a gather of each row's target followed by a mean, in one program or in two passes (a grid of
row-block partial sums, then one program that adds them in order).

Indices are int64 and loaded as such, so offsets never overflow. index_add accumulates in a fixed order
(one program per column block walks the picks in turn): atomic adds from many programs would make two
runs differ in the last bits, which the verifier rejects. The NLL mean is likewise summed in a fixed order.
"""

from __future__ import annotations

import random

from generators.specs import OPS
from generators.teachers.templates.base import Draft, Group, Variant, fill, launch_warps, model_new, module
from generators.teachers.templates.reference import registry_dims

FLAWS: dict[str, tuple[str, float]] = {
    # x_ptr + index + col instead of x_ptr + index * row_stride + col: reads the wrong (but in-bounds) rows.
    "missing_row_stride": ("the gathered index is used as an element offset, without the row stride", 0.25),
}


def check(spec_row: dict) -> None:
    registry_dims(spec_row, spec_row["ops"][0])


def _render(spec_row: dict, rng: random.Random, structure: str, flaw: str | None) -> Draft:
    op = spec_row["ops"][0]
    dims = registry_dims(spec_row, op)
    kernel, launcher, params, prose, args, init_args, init, call = _BUILDERS[op](dims, rng, structure, flaw,
                                                                               spec_row["dtype"])
    doc = OPS[op].doc.format(**dims)
    code = module(kernel, launcher, model_new(f"Computes {doc} with a Triton kernel.", args, call,
                                              init_args=init_args, init=init))
    return Draft(variant=flaw or structure, flaw=flaw, params=dict(params, structure=structure), code=code,
                 prose=prose)


def _rows_of_table(name: str, table: str, index_name: str, index_shape: str, what: str):
    """A builder for lookups of whole rows: out[i, :] = table[index[i], :] (embedding, index_select)."""

    def build(dims, rng, structure, flaw, dtype):
        stride = "" if flaw else " * stride_table_row"
        if structure == "row_per_program":
            block = rng.choice((64, 128, 256, 512, 1024))
            body = f'''
                # One program per looked-up row, its columns in blocks.
                i = tl.program_id(axis=0)
                row = tl.load(index_ptr + i)  # int64
                for start in range(0, n_cols, BLOCK_SIZE):
                    cols = start + tl.arange(0, BLOCK_SIZE)
                    valid = cols < n_cols
                    values = tl.load(table_ptr + row{stride} + cols, mask=valid)
                    tl.store(out_ptr + i * n_cols + cols, values, mask=valid)
                '''
            constexprs = "BLOCK_SIZE: tl.constexpr,  # columns per block"
            meta, grid = f"BLOCK_SIZE={block}", "grid = (n_lookups,)"
            params = {"BLOCK_SIZE": block, "num_warps": launch_warps(rng, block)}
            prose = f"One program per looked-up row copies the row in blocks of {block} columns."
        else:
            block_n = rng.choice((32, 64, 128, 256))
            block_m = rng.choice([m for m in (1, 2, 4, 8, 16) if m * block_n <= 4096])
            body = f'''
                # 2-D tiles: BLOCK_M lookups by BLOCK_N columns.
                i = tl.program_id(axis=0) * BLOCK_M + tl.arange(0, BLOCK_M)
                cols = tl.program_id(axis=1) * BLOCK_N + tl.arange(0, BLOCK_N)
                valid = (i[:, None] < n_lookups) & (cols[None, :] < n_cols)
                rows = tl.load(index_ptr + i, mask=i < n_lookups, other=0)  # int64
                values = tl.load(table_ptr + rows[:, None]{stride} + cols[None, :], mask=valid)
                tl.store(out_ptr + i[:, None] * n_cols + cols[None, :], values, mask=valid)
                '''
            constexprs = "BLOCK_M: tl.constexpr,  # lookups per tile\nBLOCK_N: tl.constexpr,  # columns per tile"
            meta = f"BLOCK_M={block_m}, BLOCK_N={block_n}"
            grid = f"grid = (triton.cdiv(n_lookups, {block_m}), triton.cdiv(n_cols, {block_n}))"
            params = {"BLOCK_M": block_m, "BLOCK_N": block_n, "num_warps": launch_warps(rng, block_m * block_n)}
            prose = f"Each program copies a {block_m}x{block_n} tile of looked-up rows."
        kernel = fill('''
            @triton.jit
            def <<name>>_kernel(
                table_ptr,  # (n_table_rows, n_cols) rows to look up
                index_ptr,  # (n_lookups,) int64 row indices
                out_ptr,  # (n_lookups, n_cols) output, contiguous
                n_lookups, n_cols,
                stride_table_row,
                <<constexprs>>
            ):
                <<body>>
            ''', name=name, constexprs=constexprs, body=fill(body))
        launcher = fill('''
            def <<name>>(<<table>>: torch.Tensor, <<index>>: torch.Tensor) -> torch.Tensor:
                assert <<table>>.stride(1) == 1, "rows of the table must be contiguous"
                <<index>> = <<index>>.contiguous()
                n_lookups, n_cols = <<index>>.numel(), <<table>>.shape[1]
                out = torch.empty(<<out_shape>>, device=<<table>>.device, dtype=<<table>>.dtype)
                <<grid>>
                <<name>>_kernel[grid](<<table>>, <<index>>, out, n_lookups, n_cols, <<table>>.stride(0), <<meta>>, num_warps=<<warps>>)
                return out
            ''', name=name, table=table, index=index_name, grid=grid, meta=meta, warps=params["num_warps"],
            out_shape=f"({index_shape}, n_cols)")
        return kernel, launcher, params, prose + f" ({what})"

    return build


_embedding_rows = _rows_of_table("embedding", "weight", "ids", "ids.shape[0], ids.shape[1]", "an embedding lookup")
_select_rows = _rows_of_table("index_select_rows", "x", "index", "index.shape[0]", "index_select along dim 0")


def _embedding(dims, rng, structure, flaw, dtype):
    kernel, launcher, params, prose = _embedding_rows(dims, rng, structure, flaw, dtype)
    init = ("# The same nn.Embedding as the reference, built under the same seed: the same table.\n"
            f"self.embed = nn.Embedding(vocab, hidden, dtype=torch.{dtype})")
    return kernel, launcher, params, prose, "ids", "vocab, hidden", init, "embedding(self.embed.weight, ids)"


def _index_select(dims, rng, structure, flaw, dtype):
    kernel, launcher, params, prose = _select_rows(dims, rng, structure, flaw, dtype)
    return kernel, launcher, params, prose, "x, index", "", "", "index_select_rows(x, index)"


def _gather(dims, rng, structure, flaw, dtype):
    block_p = rng.choice((16, 32, 64, 128))
    block_r = rng.choice([r for r in (1, 2, 4, 8, 16) if r * block_p <= 2048])
    row = "" if flaw else "rows[:, None] * stride_x_row + "
    kernel = fill(f'''
        @triton.jit
        def gather_kernel(
            x_ptr,  # (n_rows, n_cols) values
            index_ptr,  # (n_rows, n_picks) int64 column indices, contiguous
            out_ptr,  # (n_rows, n_picks) output, contiguous
            n_rows, n_picks,
            stride_x_row, stride_x_col,
            BLOCK_R: tl.constexpr,  # rows per tile
            BLOCK_P: tl.constexpr,  # picks per tile
        ):
            # out[r, p] = x[r, index[r, p]], a BLOCK_R x BLOCK_P tile per program.
            rows = tl.program_id(axis=0) * BLOCK_R + tl.arange(0, BLOCK_R)
            picks = tl.program_id(axis=1) * BLOCK_P + tl.arange(0, BLOCK_P)
            valid = (rows[:, None] < n_rows) & (picks[None, :] < n_picks)
            offsets = rows[:, None] * n_picks + picks[None, :]
            cols = tl.load(index_ptr + offsets, mask=valid, other=0)  # int64
            values = tl.load(x_ptr + {row}cols * stride_x_col, mask=valid)
            tl.store(out_ptr + offsets, values, mask=valid)
        ''')
    warps = launch_warps(rng, block_r * block_p)
    launcher = fill('''
        def gather(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
            assert index.shape[0] == x.shape[0], "index must have one row per row of x"
            index = index.contiguous()
            n_rows, n_picks = index.shape
            out = torch.empty((n_rows, n_picks), device=x.device, dtype=x.dtype)
            grid = (triton.cdiv(n_rows, <<r>>), triton.cdiv(n_picks, <<p>>))
            gather_kernel[grid](x, index, out, n_rows, n_picks, x.stride(0), x.stride(1), BLOCK_R=<<r>>, BLOCK_P=<<p>>, num_warps=<<w>>)
            return out
        ''', r=block_r, p=block_p, w=warps)
    params = {"BLOCK_R": block_r, "BLOCK_P": block_p, "num_warps": warps}
    prose = f"Each program gathers a {block_r}x{block_p} tile of picks, reading x through its strides."
    return kernel, launcher, params, prose, "x, index", "", "", "gather(x, index)"


def _take_along_dim(dims, rng, structure, flaw, dtype):
    block = rng.choice((128, 256, 512, 1024))
    warps = launch_warps(rng, block)
    kernel = fill('''
        @triton.jit
        def take_along_seq_kernel(
            x_ptr,  # (batch, seq, hidden), contiguous
            index_ptr,  # (batch, picks, hidden) int64 positions along seq, contiguous
            out_ptr,  # (batch, picks, hidden), contiguous
            n_out, n_seq, n_picks, n_hidden,
            BLOCK_SIZE: tl.constexpr,
        ):
            # out[b, p, h] = x[b, index[b, p, h], h], over the flattened output.
            offsets = tl.program_id(axis=0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
            valid = offsets < n_out
            h = offsets % n_hidden
            b = offsets // (n_picks * n_hidden)
            seq = tl.load(index_ptr + offsets, mask=valid, other=0)  # int64
            values = tl.load(x_ptr + (b * n_seq + seq) * n_hidden + h, mask=valid)
            tl.store(out_ptr + offsets, values, mask=valid)
        ''')
    launcher = fill('''
        def take_along_seq(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
            assert x.dim() == 3 and index.dim() == 3, "x (batch, seq, hidden), index (batch, picks, hidden)"
            x = x.contiguous()
            index = index.contiguous()
            out = torch.empty(index.shape, device=x.device, dtype=x.dtype)
            grid = (triton.cdiv(out.numel(), <<block>>),)
            take_along_seq_kernel[grid](x, index, out, out.numel(), x.shape[1], index.shape[1], x.shape[2], BLOCK_SIZE=<<block>>, num_warps=<<w>>)
            return out
        ''', block=block, w=warps)
    return (kernel, launcher, {"BLOCK_SIZE": block, "num_warps": warps},
            f"Each program gathers {block} outputs of the flattened result.", "x, index", "", "", "take_along_seq(x, index)")


def _index_add(dims, rng, structure, flaw, dtype):
    block = rng.choice((64, 128, 256, 512))
    warps = launch_warps(rng, block)
    kernel = fill('''
        @triton.jit
        def index_add_kernel(
            x_ptr,  # (n_rows, n_cols), contiguous
            index_ptr,  # (n_picks,) int64 target rows (may repeat)
            src_ptr,  # (n_picks, n_cols), contiguous
            out_ptr,  # (n_rows, n_cols), contiguous
            n_rows, n_cols, n_picks,
            BLOCK_SIZE: tl.constexpr,  # columns per program
        ):
            # One program per block of columns: copy x, then add the picks in order. Only this program touches
            # these columns, so repeated indices accumulate in a fixed order, the same on every run.
            cols = tl.program_id(axis=0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
            valid = cols < n_cols
            for row in range(0, n_rows):
                tl.store(out_ptr + row * n_cols + cols, tl.load(x_ptr + row * n_cols + cols, mask=valid), mask=valid)
            for p in range(0, n_picks):
                # A name of its own: reusing the copy loop's int32 `row` for this int64 makes it loop-carried
                # with two types, which compiled Triton refuses (the interpreter does not check).
                target = tl.load(index_ptr + p)  # int64
                acc = tl.load(out_ptr + target * n_cols + cols, mask=valid).to(tl.float32)
                acc += tl.load(src_ptr + p * n_cols + cols, mask=valid).to(tl.float32)
                tl.store(out_ptr + target * n_cols + cols, acc.to(out_ptr.dtype.element_ty), mask=valid)
        ''')
    launcher = fill('''
        def index_add(x: torch.Tensor, index: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
            assert src.shape == (index.shape[0], x.shape[1]), "src must be (picks, cols)"
            x, index, src = x.contiguous(), index.contiguous(), src.contiguous()
            n_rows, n_cols = x.shape
            out = torch.empty_like(x)
            grid = (triton.cdiv(n_cols, <<block>>),)
            index_add_kernel[grid](x, index, src, out, n_rows, n_cols, index.shape[0], BLOCK_SIZE=<<block>>, num_warps=<<w>>)
            return out
        ''', block=block, w=warps)
    prose = (f"One program per block of {block} columns copies x and then adds the picked source rows in order, "
             "so repeated indices accumulate deterministically.")
    return kernel, launcher, {"BLOCK_SIZE": block, "num_warps": warps}, prose, "x, index, src", "", "", \
        "index_add(x, index, src)"


def _nll_loss(dims, rng, structure, flaw, dtype):
    if structure == "two_pass":
        return _nll_loss_two_pass(dims, rng)
    block = rng.choice((64, 128, 256, 512, 1024))
    warps = launch_warps(rng, block)
    kernel = fill('''
        @triton.jit
        def nll_loss_kernel(
            log_probs_ptr,  # (n_rows, n_classes)
            target_ptr,  # (n_rows,) int64 class indices
            out_ptr,  # scalar output
            n_rows,
            stride_row, stride_col,
            BLOCK_SIZE: tl.constexpr,  # rows per iteration
        ):
            # One program walks the rows in blocks, adding -log_probs[r, target[r]] in a fixed order.
            offsets = tl.arange(0, BLOCK_SIZE)
            acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
            for start in range(0, n_rows, BLOCK_SIZE):
                rows = start + offsets
                valid = rows < n_rows
                target = tl.load(target_ptr + rows, mask=valid, other=0)  # int64
                picked = tl.load(log_probs_ptr + rows * stride_row + target * stride_col, mask=valid, other=0.0)
                acc += tl.where(valid, -picked.to(tl.float32), 0.0)
            loss = tl.sum(acc, axis=0) / n_rows
            tl.store(out_ptr, loss.to(out_ptr.dtype.element_ty))
        ''')
    launcher = fill('''
        def nll_loss(log_probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
            assert log_probs.dim() == 2 and target.shape == log_probs.shape[:1], "log_probs (batch, classes), target (batch,)"
            out = torch.empty((), device=log_probs.device, dtype=log_probs.dtype)
            nll_loss_kernel[(1,)](log_probs, target, out, log_probs.shape[0], log_probs.stride(0), log_probs.stride(1), BLOCK_SIZE=<<block>>, num_warps=<<w>>)
            return out
        ''', block=block, w=warps)
    prose = f"One program gathers each row's target log-probability, {block} rows at a time, and averages them."
    return kernel, launcher, {"BLOCK_SIZE": block, "num_warps": warps}, prose, "log_probs, target", "", "", \
        "nll_loss(log_probs, target)"


def _nll_loss_two_pass(dims, rng):
    """Many programs, then one: each program of the first kernel sums -log_probs[r, target[r]] over its block
    of rows into an fp32 partial; a second, single-program kernel adds the partials in block order and
    divides by the row count. Every sum has a fixed order (no atomics), so two runs agree to the bit."""
    block = rng.choice((32, 64, 128, 256))
    block_p = rng.choice((64, 128, 256))
    warps = launch_warps(rng, block)
    kernel = fill('''
        @triton.jit
        def nll_partial_kernel(
            log_probs_ptr,  # (n_rows, n_classes)
            target_ptr,  # (n_rows,) int64 class indices
            partial_ptr,  # (n_blocks,) fp32: this block's sum of -log_probs[r, target[r]]
            n_rows,
            stride_row, stride_col,
            BLOCK_SIZE: tl.constexpr,  # rows per program
        ):
            block = tl.program_id(axis=0)
            rows = block * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
            valid = rows < n_rows
            target = tl.load(target_ptr + rows, mask=valid, other=0)  # int64
            picked = tl.load(log_probs_ptr + rows * stride_row + target * stride_col, mask=valid, other=0.0)
            tl.store(partial_ptr + block, tl.sum(tl.where(valid, -picked.to(tl.float32), 0.0), axis=0))


        @triton.jit
        def nll_mean_kernel(
            partial_ptr,  # (n_blocks,) fp32 partial sums
            out_ptr,  # scalar output
            n_blocks, n_rows,
            BLOCK_P: tl.constexpr,  # partials per step
        ):
            # One program adds the partials in block order: the same sum on every run.
            offsets = tl.arange(0, BLOCK_P)
            acc = tl.zeros([BLOCK_P], dtype=tl.float32)
            for start in range(0, n_blocks, BLOCK_P):
                idx = start + offsets
                acc += tl.load(partial_ptr + idx, mask=idx < n_blocks, other=0.0)
            tl.store(out_ptr, (tl.sum(acc, axis=0) / n_rows).to(out_ptr.dtype.element_ty))
        ''')
    launcher = fill('''
        def nll_loss(log_probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
            assert log_probs.dim() == 2 and target.shape == log_probs.shape[:1], "log_probs (batch, classes), target (batch,)"
            n_rows = log_probs.shape[0]
            n_blocks = triton.cdiv(n_rows, <<block>>)
            partial = torch.empty((n_blocks,), device=log_probs.device, dtype=torch.float32)
            nll_partial_kernel[(n_blocks,)](log_probs, target, partial, n_rows, log_probs.stride(0), log_probs.stride(1), BLOCK_SIZE=<<block>>, num_warps=<<w>>)
            out = torch.empty((), device=log_probs.device, dtype=log_probs.dtype)
            nll_mean_kernel[(1,)](partial, out, n_blocks, n_rows, BLOCK_P=<<p>>)
            return out
        ''', block=block, p=block_p, w=warps)
    prose = (f"Each program sums the target log-probabilities of {block} rows into an fp32 partial; a second "
             "kernel adds the partials in order and averages them.")
    return kernel, launcher, {"BLOCK_SIZE": block, "BLOCK_P": block_p, "num_warps": warps}, prose, \
        "log_probs, target", "", "", "nll_loss(log_probs, target)"


_BUILDERS = {"embedding": _embedding, "index_select": _index_select, "gather": _gather,
             "take_along_dim": _take_along_dim, "index_add": _index_add, "nll_loss": _nll_loss}


def _variants() -> tuple[Variant, ...]:
    def correct(structure, applies):
        return Variant(structure, applies, lambda s, rng: _render(s, rng, structure, None))

    lookups = lambda s: s["ops"][0] in ("embedding", "index_select")  # noqa: E731

    def stride_shows(s):
        op, dims = s["ops"][0], registry_dims(s, s["ops"][0])
        if op == "gather":
            return dims["rows"] > 1
        return lookups(s) and (dims.get("vocab") or dims.get("rows")) > 1 and (dims.get("hidden") or dims.get("cols")) > 1

    return (
        correct("row_per_program", lookups),
        correct("tiles", lookups),
        correct("single", lambda s: not lookups(s)),
        # nll_loss in two passes: partial sums over a grid of row blocks, then their mean.
        correct("two_pass", lambda s: s["ops"][0] == "nll_loss"),
        Variant("missing_row_stride", stride_shows,
                lambda s, rng: _render(s, rng, "tiles" if lookups(s) else "single", "missing_row_stride"),
                flaw="missing_row_stride"),
    )


_VARIANTS = _variants()
GROUPS = (
    Group("indexing", ("embedding", "gather", "index_select", "index_add", "take_along_dim"), check, _VARIANTS),
    Group("loss", ("nll_loss",), check, _VARIANTS),
)
