'''Recommendation templates ("recsys"): the sum-pooled embedding bag and the jagged (segment) sum.

One program per (bag or segment, block of columns) reads its bounds from the offsets and adds the rows in
order in float32, or one program per bag or segment walks all its column blocks itself (a grid that does
not grow with the row width); no atomics, so every run gives the same sums; an empty bag or segment writes
zeros.
'''

from __future__ import annotations

import random

from generators.teachers.templates.base import fill, launch_warps
from generators.teachers.templates.single import Built, Sub, group

FLAWS: dict[str, tuple[str, float]] = {
    # range(start, end - 1): the last row of every bag or segment is left out of its sum.
    "segment_drops_last": ("the loop over a bag or segment stops one row early", 0.25),
}


def _segment_kernel(name: str, lookup: bool) -> str:
    row = "tl.load(indices_ptr + i) * n_cols" if lookup else "i * n_cols"
    return fill("""
        @triton.jit
        def <<name>>_kernel(
            src_ptr,  # (rows, n_cols), contiguous: <<src>>
            <<indices>>offsets_ptr,  # (segments + 1,) int64 bounds
            out_ptr,  # (segments, n_cols)
            n_cols,
            BLOCK_SIZE: tl.constexpr,  # columns per program
        ):
            seg = tl.program_id(axis=0)
            cols = tl.program_id(axis=1) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
            valid = cols < n_cols
            start = tl.load(offsets_ptr + seg)
            end = tl.load(offsets_ptr + seg + 1)
            acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
            for i in range(start, end):
                acc += tl.load(src_ptr + <<row>> + cols, mask=valid, other=0.0).to(tl.float32)
            tl.store(out_ptr + seg * n_cols + cols, acc.to(out_ptr.dtype.element_ty), mask=valid)
        """, name=name, row=row, src="the embedding table" if lookup else "the jagged values",
        indices="indices_ptr,  # (num_indices,) int64 table rows\n" if lookup else "")


def _segment_rows_kernel(name: str, lookup: bool) -> str:
    row = "tl.load(indices_ptr + i) * n_cols" if lookup else "i * n_cols"
    return fill("""
        @triton.jit
        def <<name>>_kernel(
            src_ptr,  # (rows, n_cols), contiguous: <<src>>
            <<indices>>offsets_ptr,  # (segments + 1,) int64 bounds
            out_ptr,  # (segments, n_cols)
            n_cols,
            BLOCK_SIZE: tl.constexpr,  # columns per step
        ):
            # One program per segment: it walks its row's column blocks, and in each adds the segment's rows.
            seg = tl.program_id(axis=0)
            start = tl.load(offsets_ptr + seg)
            end = tl.load(offsets_ptr + seg + 1)
            for col_start in range(0, n_cols, BLOCK_SIZE):
                cols = col_start + tl.arange(0, BLOCK_SIZE)
                valid = cols < n_cols
                acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
                for i in range(start, end):
                    acc += tl.load(src_ptr + <<row>> + cols, mask=valid, other=0.0).to(tl.float32)
                tl.store(out_ptr + seg * n_cols + cols, acc.to(out_ptr.dtype.element_ty), mask=valid)
        """, name=name, row=row, src="the embedding table" if lookup else "the jagged values",
        indices="indices_ptr,  # (num_indices,) int64 table rows\n" if lookup else "")


def _per_segment(builder, name: str, lookup: bool):
    """The same op with one program per segment looping over column blocks."""
    def build(dims, rng: random.Random, dtype: str) -> Built:
        built = builder(dims, rng, dtype)
        block = built.params["BLOCK_SIZE"]
        launcher = "\n".join(line.replace(f"grid = (n_bags, triton.cdiv(n_cols, {block}))", "grid = (n_bags,)")
                             .replace(f"grid = (n_segments, triton.cdiv(n_cols, {block}))", "grid = (n_segments,)")
                             for line in built.parts[1].splitlines()) + "\n"
        assert launcher != built.parts[1], "the per-segment launcher must change the grid"
        return Built((_segment_rows_kernel(name, lookup), launcher), built.params,
                     f"One program per {'bag' if lookup else 'segment'} walks its {block}-column blocks, adding "
                     "its rows in order in float32.", built.args, built.call, built.init_args, built.init)

    return build


def _embedding_bag(dims, rng: random.Random, dtype: str) -> Built:
    block = rng.choice((16, 32, 64, 128, 256))
    warps = launch_warps(rng, block, (1, 2, 4))
    launcher = fill("""
        def embedding_bag(weight: torch.Tensor, indices: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
            assert weight.dim() == 2 and indices.dim() == 1 and offsets.dim() == 1, "weight (n, dim), indices, offsets (bags + 1)"
            weight, indices, offsets = weight.contiguous(), indices.contiguous(), offsets.contiguous()
            n_bags, n_cols = offsets.numel() - 1, weight.shape[1]
            out = torch.empty((n_bags, n_cols), device=weight.device, dtype=weight.dtype)
            grid = (n_bags, triton.cdiv(n_cols, <<b>>))
            embedding_bag_kernel[grid](weight, indices, offsets, out, n_cols, BLOCK_SIZE=<<b>>, num_warps=<<w>>)
            return out
        """, b=block, w=warps)
    init = ("# The same nn.EmbeddingBag as the reference, built under the same seed: the same table.\n"
            f'self.bag = nn.EmbeddingBag(num_embeddings, dim, mode="sum", include_last_offset=True, dtype=torch.{dtype})')
    return Built((_segment_kernel("embedding_bag", True), launcher), {"BLOCK_SIZE": block, "num_warps": warps},
                 f"One program per bag and {block} columns adds the bag's table rows in order in float32.",
                 "indices, offsets", "embedding_bag(self.bag.weight, indices, offsets)", "num_embeddings, dim", init)


def _jagged_sum(dims, rng: random.Random, dtype: str) -> Built:
    block = rng.choice((16, 32, 64, 128, 256))
    warps = launch_warps(rng, block, (1, 2, 4))
    launcher = fill("""
        def jagged_sum(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
            assert values.dim() == 2 and offsets.dim() == 1, "values (total, dim), offsets (segments + 1)"
            values, offsets = values.contiguous(), offsets.contiguous()
            n_segments, n_cols = offsets.numel() - 1, values.shape[1]
            out = torch.empty((n_segments, n_cols), device=values.device, dtype=values.dtype)
            grid = (n_segments, triton.cdiv(n_cols, <<b>>))
            jagged_sum_kernel[grid](values, offsets, out, n_cols, BLOCK_SIZE=<<b>>, num_warps=<<w>>)
            return out
        """, b=block, w=warps)
    return Built((_segment_kernel("jagged_sum", False), launcher), {"BLOCK_SIZE": block, "num_warps": warps},
                 f"One program per segment and {block} columns adds the segment's rows in order in float32.",
                 "values, offsets", "jagged_sum(values, offsets)")


_DROPS_LAST = Sub("segment_drops_last", (("for i in range(start, end):", "for i in range(start, end - 1):"),))
GROUPS = (group("recsys", {"embedding_bag": {"column_blocks": _embedding_bag,
                                             "per_bag": _per_segment(_embedding_bag, "embedding_bag", True)},
                           "jagged_sum": {"column_blocks": _jagged_sum,
                                          "per_segment": _per_segment(_jagged_sum, "jagged_sum", False)}},
                flaws={"embedding_bag": (_DROPS_LAST,), "jagged_sum": (_DROPS_LAST,)}),)
