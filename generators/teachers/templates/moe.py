'''Mixture-of-experts templates ("moe"): the softmax and sigmoid routers, the permute into expert order,
the weighted combine back to tokens, and the grouped GEMM over experts.

The router gives each token one program holding its row of expert logits: scores, then top-k by k rounds
of argmax (each round removes the winner), then the chosen scores renormalised and written densely. The
permute and the combine first compute, in one program, where each (token, choice) lands in expert order:
for each expert in turn, a running count and a cumulative sum over the assignments give the rank of each
of its assignments, which is the stable order `argsort(stable=True)` gives. That program does
experts x assignments work (no atomics, so the same answer every run): fine for a template, slow at
DeepSeek's 256 experts over long batches, where a real kernel would histogram in parallel. The grouped
GEMM gives each program one (expert, row tile, column tile); tiles past an expert's rows return at once.

Each op has a second structure (issue 17): the routers and the combine also take a tile of tokens per
program; the permute is also written as a gather (the counting pass lists which (token, choice) each output
row holds, and tiles of output rows read their tokens' rows) instead of a scatter; the grouped GEMM also
gives each program one (expert, column tile) that loops over its expert's row tiles, so no program is
launched for rows an expert lacks. A flaw is drawn in either structure where its edited text occurs in both
(renormalisation, the ignored permutation, the shared weight); the inverted permute is a scatter's flaw.
'''

from __future__ import annotations

import random
from dataclasses import replace

from generators.teachers.templates.base import fill, launch_warps, next_power_of_2
from generators.teachers.templates.single import Built, Sub, group

FLAWS: dict[str, tuple[str, float]] = {
    # The top-k scores written as scored, not divided by their sum.
    "router_not_renormalised": ("the chosen experts' scores are not renormalised to sum to one", 0.25),
    # Gather and scatter confused: row a of the output takes token dest[a] // top_k (the inverse permutation).
    "permute_inverted": ("the permutation is applied in the inverse direction (gather and scatter swapped)", 0.25),
    # Expert outputs read in (token, choice) order, as if y were not in expert order.
    "combine_ignores_permutation": ("expert outputs are read in token order, ignoring the expert-order permutation", 0.25),
    # Every expert's rows multiplied by expert 0's weight.
    "shared_expert_weight": ("every expert's rows use the first expert's weight matrix", 0.25),
}


def _router(sigmoid: bool):
    scores = ("# DeepSeek-V3: independent sigmoid scores.\nscores = 1.0 / (1.0 + tl.exp(-x))" if sigmoid else
              "# Softmax over the experts.\nx_max = tl.max(x, axis=0)\ne = tl.where(valid, tl.exp(x - x_max), 0.0)\n"
              "scores = e / tl.sum(e, axis=0)")

    def build(dims, rng: random.Random, dtype: str) -> Built:
        block = next_power_of_2(dims["experts"])
        warps = launch_warps(rng, block, (1, 2, 4))
        kernel = fill("""
            @triton.jit
            def router_kernel(
                logits_ptr,  # (tokens, experts), contiguous
                out_ptr,  # (tokens, experts) dense combine weights
                n_experts,
                TOP_K: tl.constexpr,
                BLOCK_E: tl.constexpr,  # experts padded to a power of two
            ):
                token = tl.program_id(axis=0)
                cols = tl.arange(0, BLOCK_E)
                valid = cols < n_experts
                x = tl.load(logits_ptr + token * n_experts + cols, mask=valid, other=float("-inf")).to(tl.float32)
                <<scores>>
                # Top-k: k rounds of argmax, each removing its winner (scores are >= 0; -1 marks taken/padding).
                remaining = tl.where(valid, scores, -1.0)
                chosen = cols < 0
                for _ in tl.static_range(TOP_K):
                    best = tl.argmax(remaining, axis=0)
                    hit = cols == best
                    chosen = chosen | hit
                    remaining = tl.where(hit, -1.0, remaining)
                total = tl.sum(tl.where(chosen, scores, 0.0), axis=0)
                tl.store(out_ptr + token * n_experts + cols, tl.where(chosen, scores / total, 0.0), mask=valid)
            """, scores=scores)
        launcher = fill("""
            def router(logits: torch.Tensor, top_k: int) -> torch.Tensor:
                assert logits.dim() == 2 and 0 < top_k <= logits.shape[1], "logits (tokens, experts)"
                logits = logits.contiguous()
                out = torch.empty_like(logits)
                router_kernel[(logits.shape[0],)](logits, out, logits.shape[1], TOP_K=top_k, BLOCK_E=<<b>>, num_warps=<<w>>)
                return out
            """, b=block, w=warps)
        return Built((kernel, launcher), {"BLOCK_E": block, "num_warps": warps},
                     f"One program per token scores its {dims['experts']} experts, takes the top {dims['topk']} by "
                     "repeated argmax and writes their renormalised scores densely.", "logits",
                     f"router(logits, {dims['topk']})")

    return build



def _router_tiles(sigmoid: bool):
    """The router with a tile of tokens per program: a (tokens, experts) tile, top-k along the expert axis."""
    scores = ("# DeepSeek-V3: independent sigmoid scores.\nscores = 1.0 / (1.0 + tl.exp(-x))" if sigmoid else
              "# Softmax over the experts, per token.\nx_max = tl.max(x, axis=1)[:, None]\n"
              "e = tl.where(valid, tl.exp(x - x_max), 0.0)\nscores = e / tl.sum(e, axis=1)[:, None]")

    def build(dims, rng: random.Random, dtype: str) -> Built:
        block_e = next_power_of_2(dims["experts"])
        block_t = rng.choice([t for t in (2, 4, 8, 16) if t * block_e <= 4096] or [1])
        warps = launch_warps(rng, block_t * block_e, (1, 2, 4))
        kernel = fill("""
            @triton.jit
            def router_tile_kernel(
                logits_ptr,  # (tokens, experts), contiguous
                out_ptr,  # (tokens, experts) dense combine weights
                n_tokens, n_experts,
                TOP_K: tl.constexpr,
                BLOCK_T: tl.constexpr,  # tokens per program
                BLOCK_E: tl.constexpr,  # experts padded to a power of two
            ):
                tokens = tl.program_id(axis=0) * BLOCK_T + tl.arange(0, BLOCK_T)
                cols = tl.arange(0, BLOCK_E)
                valid = (tokens[:, None] < n_tokens) & (cols[None, :] < n_experts)
                offsets = tokens[:, None] * n_experts + cols[None, :]
                # Padding tokens load zeros (finite scores, never stored); padding experts load -inf.
                x = tl.load(logits_ptr + offsets, mask=valid, other=float("-inf"))
                x = tl.where(tokens[:, None] < n_tokens, x, 0.0).to(tl.float32)
                <<scores>>
                # Top-k per token: k rounds of argmax along the experts, each removing its winner.
                remaining = tl.where(valid, scores, -1.0)
                chosen = valid & (cols[None, :] < 0)
                for _ in tl.static_range(TOP_K):
                    best = tl.argmax(remaining, axis=1)
                    hit = cols[None, :] == best[:, None]
                    chosen = chosen | hit
                    remaining = tl.where(hit, -1.0, remaining)
                total = tl.sum(tl.where(chosen, scores, 0.0), axis=1)[:, None]
                total = tl.where(total > 0.0, total, 1.0)  # padding tokens only
                tl.store(out_ptr + offsets, tl.where(chosen, scores / total, 0.0), mask=valid)
            """, scores=scores)
        launcher = fill("""
            def router(logits: torch.Tensor, top_k: int) -> torch.Tensor:
                assert logits.dim() == 2 and 0 < top_k <= logits.shape[1], "logits (tokens, experts)"
                logits = logits.contiguous()
                out = torch.empty_like(logits)
                grid = (triton.cdiv(logits.shape[0], <<t>>),)
                router_tile_kernel[grid](logits, out, logits.shape[0], logits.shape[1], TOP_K=top_k, BLOCK_T=<<t>>, BLOCK_E=<<b>>, num_warps=<<w>>)
                return out
            """, t=block_t, b=block_e, w=warps)
        return Built((kernel, launcher), {"BLOCK_T": block_t, "BLOCK_E": block_e, "num_warps": warps},
                     f"Each program scores a tile of {block_t} tokens by {dims['experts']} experts, takes each token's "
                     f"top {dims['topk']} by repeated argmax along the experts and writes their renormalised scores "
                     "densely.", "logits", f"router(logits, {dims['topk']})")

    return build


_RANK_KERNEL = """
    @triton.jit
    def expert_rank_kernel(
        ids_ptr,  # (assignments,) int64 expert of each (token, choice), token-major
        dest_ptr,  # (assignments,) int64 out: its position in stable expert order
        n_assignments, n_experts,
        BLOCK_SIZE: tl.constexpr,
    ):
        # One program: experts in turn, assignments in order, so ranks are stable (by token within an expert).
        base = 0
        for expert in range(0, n_experts):
            for start in range(0, n_assignments, BLOCK_SIZE):
                idx = start + tl.arange(0, BLOCK_SIZE)
                valid = idx < n_assignments
                ids = tl.load(ids_ptr + idx, mask=valid, other=-1)
                hit = (ids == expert) & valid
                rank = tl.cumsum(hit.to(tl.int32), axis=0) - 1
                tl.store(dest_ptr + idx, (base + rank).to(tl.int64), mask=hit)
                base += tl.sum(hit.to(tl.int32), axis=0)
    """
_RANK_CALL = """
    ids = expert_ids.contiguous().view(-1)
    dest = torch.empty_like(ids)
    expert_rank_kernel[(1,)](ids, dest, ids.numel(), n_experts, BLOCK_SIZE=<<r>>)
    """


def _permute(dims, rng: random.Random, dtype: str) -> Built:
    block_r = rng.choice((64, 128, 256))
    block = rng.choice((64, 128, 256, 512))
    warps = launch_warps(rng, block)
    kernel = fill(_RANK_KERNEL) + "\n\n" + fill("""
        @triton.jit
        def permute_rows_kernel(
            x_ptr,  # (tokens, hidden), contiguous
            dest_ptr,  # (assignments,) int64
            out_ptr,  # (assignments, hidden)
            top_k, hidden,
            BLOCK_SIZE: tl.constexpr,
        ):
            a = tl.program_id(axis=0)  # one (token, choice)
            cols = tl.program_id(axis=1) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
            valid = cols < hidden
            dest = tl.load(dest_ptr + a)
            tl.store(out_ptr + dest * hidden + cols, tl.load(x_ptr + (a // top_k) * hidden + cols, mask=valid), mask=valid)
        """)
    launcher = fill("""
        def moe_permute(x: torch.Tensor, expert_ids: torch.Tensor, n_experts: int) -> torch.Tensor:
            assert x.dim() == 2 and expert_ids.shape[0] == x.shape[0], "x (tokens, hidden), expert_ids (tokens, top_k)"
            x = x.contiguous()
            <<rank>>
            out = torch.empty((ids.numel(), x.shape[1]), device=x.device, dtype=x.dtype)
            grid = (ids.numel(), triton.cdiv(x.shape[1], <<b>>))
            permute_rows_kernel[grid](x, dest, out, expert_ids.shape[1], x.shape[1], BLOCK_SIZE=<<b>>, num_warps=<<w>>)
            return out
        """, rank=fill(_RANK_CALL, r=block_r), b=block, w=warps)
    return Built((kernel, launcher), {"BLOCK_RANK": block_r, "BLOCK_SIZE": block, "num_warps": warps},
                 "A counting pass ranks every (token, choice) in stable expert order; a second kernel copies each "
                 "token's row to its ranked positions.", "x, expert_ids",
                 f"moe_permute(x, expert_ids, {dims['experts']})")



_SOURCE_RANK_KERNEL = """
    @triton.jit
    def expert_source_kernel(
        ids_ptr,  # (assignments,) int64 expert of each (token, choice), token-major
        src_ptr,  # (assignments,) int64 out: the (token, choice) at each position of stable expert order
        n_assignments, n_experts,
        BLOCK_SIZE: tl.constexpr,
    ):
        # One program: experts in turn, assignments in order, so the order is stable (by token within an expert).
        base = 0
        for expert in range(0, n_experts):
            for start in range(0, n_assignments, BLOCK_SIZE):
                idx = start + tl.arange(0, BLOCK_SIZE)
                valid = idx < n_assignments
                ids = tl.load(ids_ptr + idx, mask=valid, other=-1)
                hit = (ids == expert) & valid
                rank = tl.cumsum(hit.to(tl.int32), axis=0) - 1
                tl.store(src_ptr + base + rank, idx.to(tl.int64), mask=hit)
                base += tl.sum(hit.to(tl.int32), axis=0)
    """


def _permute_gather(dims, rng: random.Random, dtype: str) -> Built:
    """The permute as a gather: the counting pass writes, for each output row, which (token, choice) it
    holds; then 2-D tiles of output rows read their tokens' rows (each output element written once)."""
    block_r = rng.choice((64, 128, 256))
    block_n = rng.choice((32, 64, 128, 256))
    block_m = rng.choice([m for m in (1, 2, 4, 8, 16) if m * block_n <= 2048])
    warps = launch_warps(rng, block_m * block_n)
    kernel = fill(_SOURCE_RANK_KERNEL) + "\n\n" + fill("""
        @triton.jit
        def gather_rows_kernel(
            x_ptr,  # (tokens, hidden), contiguous
            src_ptr,  # (assignments,) int64 (token, choice) of each output row
            out_ptr,  # (assignments, hidden)
            n_assignments, top_k, hidden,
            BLOCK_M: tl.constexpr,  # output rows per program
            BLOCK_N: tl.constexpr,  # columns per program
        ):
            rows = tl.program_id(axis=0) * BLOCK_M + tl.arange(0, BLOCK_M)
            cols = tl.program_id(axis=1) * BLOCK_N + tl.arange(0, BLOCK_N)
            row_ok = rows < n_assignments
            token = tl.load(src_ptr + rows, mask=row_ok, other=0) // top_k  # int64
            valid = row_ok[:, None] & (cols[None, :] < hidden)
            values = tl.load(x_ptr + token[:, None] * hidden + cols[None, :], mask=valid)
            tl.store(out_ptr + rows[:, None] * hidden + cols[None, :], values, mask=valid)
        """)
    launcher = fill("""
        def moe_permute(x: torch.Tensor, expert_ids: torch.Tensor, n_experts: int) -> torch.Tensor:
            assert x.dim() == 2 and expert_ids.shape[0] == x.shape[0], "x (tokens, hidden), expert_ids (tokens, top_k)"
            x = x.contiguous()
            ids = expert_ids.contiguous().view(-1)
            src = torch.empty_like(ids)
            expert_source_kernel[(1,)](ids, src, ids.numel(), n_experts, BLOCK_SIZE=<<r>>)
            out = torch.empty((ids.numel(), x.shape[1]), device=x.device, dtype=x.dtype)
            grid = (triton.cdiv(ids.numel(), <<m>>), triton.cdiv(x.shape[1], <<n>>))
            gather_rows_kernel[grid](x, src, out, ids.numel(), expert_ids.shape[1], x.shape[1], BLOCK_M=<<m>>, BLOCK_N=<<n>>, num_warps=<<w>>)
            return out
        """, r=block_r, m=block_m, n=block_n, w=warps)
    return Built((kernel, launcher), {"BLOCK_RANK": block_r, "BLOCK_M": block_m, "BLOCK_N": block_n, "num_warps": warps},
                 "A counting pass lists, in stable expert order, which (token, choice) each output row holds; a "
                 f"second kernel gathers {block_m}x{block_n} tiles of output rows from their tokens.", "x, expert_ids",
                 f"moe_permute(x, expert_ids, {dims['experts']})")


def _combine(dims, rng: random.Random, dtype: str) -> Built:
    block_r = rng.choice((64, 128, 256))
    block = rng.choice((64, 128, 256, 512))
    warps = launch_warps(rng, block)
    kernel = fill(_RANK_KERNEL) + "\n\n" + fill("""
        @triton.jit
        def combine_kernel(
            y_ptr,  # (assignments, hidden) expert outputs in expert order, contiguous
            dest_ptr,  # (assignments,) int64 where each (token, choice) sits in y
            weights_ptr,  # (tokens, top_k), contiguous
            out_ptr,  # (tokens, hidden)
            top_k, hidden,
            BLOCK_SIZE: tl.constexpr,
        ):
            token = tl.program_id(axis=0)
            cols = tl.program_id(axis=1) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
            valid = cols < hidden
            acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
            for j in range(0, top_k):  # the choices in order: the same sum every run
                row = tl.load(dest_ptr + token * top_k + j)
                w = tl.load(weights_ptr + token * top_k + j).to(tl.float32)
                acc += w * tl.load(y_ptr + row * hidden + cols, mask=valid, other=0.0).to(tl.float32)
            tl.store(out_ptr + token * hidden + cols, acc.to(out_ptr.dtype.element_ty), mask=valid)
        """)
    launcher = fill("""
        def moe_combine(y: torch.Tensor, expert_ids: torch.Tensor, weights: torch.Tensor, n_experts: int) -> torch.Tensor:
            assert weights.shape == expert_ids.shape and y.shape[0] == expert_ids.numel(), "y (tokens * top_k, hidden)"
            y, weights = y.contiguous(), weights.contiguous()
            <<rank>>
            n_tokens, top_k = expert_ids.shape
            out = torch.empty((n_tokens, y.shape[1]), device=y.device, dtype=y.dtype)
            grid = (n_tokens, triton.cdiv(y.shape[1], <<b>>))
            combine_kernel[grid](y, dest, weights, out, top_k, y.shape[1], BLOCK_SIZE=<<b>>, num_warps=<<w>>)
            return out
        """, rank=fill(_RANK_CALL, r=block_r), b=block, w=warps)
    return Built((kernel, launcher), {"BLOCK_RANK": block_r, "BLOCK_SIZE": block, "num_warps": warps},
                 "A counting pass finds where each (token, choice) sits in expert order; a second kernel sums each "
                 "token's expert rows with its router weights in fp32.", "y, expert_ids, weights",
                 f"moe_combine(y, expert_ids, weights, {dims['experts']})")



def _combine_tiles(dims, rng: random.Random, dtype: str) -> Built:
    """The combine with a tile of tokens by a block of columns per program."""
    block_r = rng.choice((64, 128, 256))
    block_n = rng.choice((32, 64, 128, 256))
    block_t = rng.choice([t for t in (2, 4, 8, 16) if t * block_n <= 2048])
    warps = launch_warps(rng, block_t * block_n)
    kernel = fill(_RANK_KERNEL) + "\n\n" + fill("""
        @triton.jit
        def combine_tile_kernel(
            y_ptr,  # (assignments, hidden) expert outputs in expert order, contiguous
            dest_ptr,  # (assignments,) int64 where each (token, choice) sits in y
            weights_ptr,  # (tokens, top_k), contiguous
            out_ptr,  # (tokens, hidden)
            n_tokens, top_k, hidden,
            BLOCK_T: tl.constexpr,  # tokens per program
            BLOCK_N: tl.constexpr,  # columns per program
        ):
            offs_t = tl.program_id(axis=0) * BLOCK_T + tl.arange(0, BLOCK_T)
            cols = tl.program_id(axis=1) * BLOCK_N + tl.arange(0, BLOCK_N)
            token_ok = offs_t < n_tokens
            token = tl.minimum(offs_t, n_tokens - 1)  # padding tokens repeat the last one; never stored
            valid = token_ok[:, None] & (cols[None, :] < hidden)
            acc = tl.zeros([BLOCK_T, BLOCK_N], dtype=tl.float32)
            for j in range(0, top_k):  # the choices in order: the same sum every run
                row = tl.load(dest_ptr + token * top_k + j)
                w = tl.load(weights_ptr + token * top_k + j).to(tl.float32)
                y = tl.load(y_ptr + row[:, None] * hidden + cols[None, :], mask=valid, other=0.0)
                acc += w[:, None] * y.to(tl.float32)
            tl.store(out_ptr + offs_t[:, None] * hidden + cols[None, :], acc.to(out_ptr.dtype.element_ty), mask=valid)
        """)
    launcher = fill("""
        def moe_combine(y: torch.Tensor, expert_ids: torch.Tensor, weights: torch.Tensor, n_experts: int) -> torch.Tensor:
            assert weights.shape == expert_ids.shape and y.shape[0] == expert_ids.numel(), "y (tokens * top_k, hidden)"
            y, weights = y.contiguous(), weights.contiguous()
            <<rank>>
            n_tokens, top_k = expert_ids.shape
            out = torch.empty((n_tokens, y.shape[1]), device=y.device, dtype=y.dtype)
            grid = (triton.cdiv(n_tokens, <<t>>), triton.cdiv(y.shape[1], <<n>>))
            combine_tile_kernel[grid](y, dest, weights, out, n_tokens, top_k, y.shape[1], BLOCK_T=<<t>>, BLOCK_N=<<n>>, num_warps=<<w>>)
            return out
        """, rank=fill(_RANK_CALL, r=block_r), t=block_t, n=block_n, w=warps)
    return Built((kernel, launcher), {"BLOCK_RANK": block_r, "BLOCK_T": block_t, "BLOCK_N": block_n, "num_warps": warps},
                 "A counting pass finds where each (token, choice) sits in expert order; a second kernel sums the "
                 f"expert rows of {block_t}x{block_n} tiles of tokens by columns with their router weights in fp32.",
                 "y, expert_ids, weights", f"moe_combine(y, expert_ids, weights, {dims['experts']})")


def _grouped_gemm(dims, rng: random.Random, dtype: str) -> Built:
    block_m, block_n, block_k = rng.choice((16, 32)), rng.choice((16, 32, 64)), rng.choice((16, 32))
    warps = rng.choice((2, 4))
    dot = "tl.dot(a, b, acc, input_precision=\"ieee\")" if dtype == "float32" else "tl.dot(a, b, acc)"
    kernel = fill("""
        @triton.jit
        def grouped_gemm_kernel(
            x_ptr,  # (tokens, hidden) rows sorted by expert, contiguous
            w_ptr,  # (experts, hidden, ffn), contiguous
            offsets_ptr,  # (experts + 1,) int64 row bounds of each expert
            out_ptr,  # (tokens, ffn)
            hidden, ffn,
            BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
        ):
            expert = tl.program_id(axis=0)
            start = tl.load(offsets_ptr + expert)
            end = tl.load(offsets_ptr + expert + 1)
            first = start + tl.program_id(axis=1) * BLOCK_M
            if first < end:  # tiles past this expert's rows have nothing to do
                rows = first + tl.arange(0, BLOCK_M)
                cols = tl.program_id(axis=2) * BLOCK_N + tl.arange(0, BLOCK_N)
                ks = tl.arange(0, BLOCK_K)
                acc = tl.zeros([BLOCK_M, BLOCK_N], dtype=tl.float32)
                w_base = w_ptr + expert * hidden * ffn
                for k0 in range(0, hidden, BLOCK_K):
                    a = tl.load(x_ptr + rows[:, None] * hidden + (k0 + ks)[None, :],
                                mask=(rows[:, None] < end) & ((k0 + ks)[None, :] < hidden), other=0.0)
                    b = tl.load(w_base + (k0 + ks)[:, None] * ffn + cols[None, :],
                                mask=((k0 + ks)[:, None] < hidden) & (cols[None, :] < ffn), other=0.0)
                    acc = <<dot>>
                tl.store(out_ptr + rows[:, None] * ffn + cols[None, :], acc.to(out_ptr.dtype.element_ty),
                         mask=(rows[:, None] < end) & (cols[None, :] < ffn))
        """, dot=dot)
    launcher = fill("""
        def grouped_gemm(x: torch.Tensor, w: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
            assert x.dim() == 2 and w.dim() == 3 and w.shape[1] == x.shape[1], "x (tokens, hidden), w (experts, hidden, ffn)"
            assert offsets.shape == (w.shape[0] + 1,), "offsets must hold experts + 1 bounds"
            x, w, offsets = x.contiguous(), w.contiguous(), offsets.contiguous()
            out = torch.empty((x.shape[0], w.shape[2]), device=x.device, dtype=x.dtype)
            # Row tiles for the largest possible group (every row): no host read of the offsets.
            grid = (w.shape[0], triton.cdiv(x.shape[0], <<m>>), triton.cdiv(w.shape[2], <<n>>))
            grouped_gemm_kernel[grid](x, w, offsets, out, x.shape[1], w.shape[2], BLOCK_M=<<m>>, BLOCK_N=<<n>>, BLOCK_K=<<k>>, num_warps=<<w>>)
            return out
        """, m=block_m, n=block_n, k=block_k, w=warps)
    return Built((kernel, launcher), {"BLOCK_M": block_m, "BLOCK_N": block_n, "BLOCK_K": block_k, "num_warps": warps},
                 f"Each program multiplies a {block_m}x{block_n} output tile of one expert's rows by that expert's "
                 "weight, reading the expert's row range from the offsets.", "x, w, offsets",
                 "grouped_gemm(x, w, offsets)")



def _grouped_gemm_row_loop(dims, rng: random.Random, dtype: str) -> Built:
    """The grouped GEMM with one program per (expert, column tile) that loops over its expert's row tiles:
    no program is launched for rows an expert does not have."""
    block_m, block_n, block_k = rng.choice((16, 32)), rng.choice((16, 32, 64)), rng.choice((16, 32))
    warps = rng.choice((2, 4))
    dot = "tl.dot(a, b, acc, input_precision=\"ieee\")" if dtype == "float32" else "tl.dot(a, b, acc)"
    kernel = fill("""
        @triton.jit
        def grouped_gemm_rows_kernel(
            x_ptr,  # (tokens, hidden) rows sorted by expert, contiguous
            w_ptr,  # (experts, hidden, ffn), contiguous
            offsets_ptr,  # (experts + 1,) int64 row bounds of each expert
            out_ptr,  # (tokens, ffn)
            hidden, ffn,
            BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
        ):
            expert = tl.program_id(axis=0)
            cols = tl.program_id(axis=1) * BLOCK_N + tl.arange(0, BLOCK_N)
            start = tl.load(offsets_ptr + expert)
            end = tl.load(offsets_ptr + expert + 1)
            ks = tl.arange(0, BLOCK_K)
            w_base = w_ptr + expert * hidden * ffn
            # This expert's rows, a tile at a time: the program walks as many tiles as the expert has rows.
            for first in range(start, end, BLOCK_M):
                rows = first + tl.arange(0, BLOCK_M)
                acc = tl.zeros([BLOCK_M, BLOCK_N], dtype=tl.float32)
                for k0 in range(0, hidden, BLOCK_K):
                    a = tl.load(x_ptr + rows[:, None] * hidden + (k0 + ks)[None, :],
                                mask=(rows[:, None] < end) & ((k0 + ks)[None, :] < hidden), other=0.0)
                    b = tl.load(w_base + (k0 + ks)[:, None] * ffn + cols[None, :],
                                mask=((k0 + ks)[:, None] < hidden) & (cols[None, :] < ffn), other=0.0)
                    acc = <<dot>>
                tl.store(out_ptr + rows[:, None] * ffn + cols[None, :], acc.to(out_ptr.dtype.element_ty),
                         mask=(rows[:, None] < end) & (cols[None, :] < ffn))
        """, dot=dot)
    launcher = fill("""
        def grouped_gemm(x: torch.Tensor, w: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
            assert x.dim() == 2 and w.dim() == 3 and w.shape[1] == x.shape[1], "x (tokens, hidden), w (experts, hidden, ffn)"
            assert offsets.shape == (w.shape[0] + 1,), "offsets must hold experts + 1 bounds"
            x, w, offsets = x.contiguous(), w.contiguous(), offsets.contiguous()
            out = torch.empty((x.shape[0], w.shape[2]), device=x.device, dtype=x.dtype)
            # One program per (expert, column tile); each loops over its expert's rows.
            grid = (w.shape[0], triton.cdiv(w.shape[2], <<n>>))
            grouped_gemm_rows_kernel[grid](x, w, offsets, out, x.shape[1], w.shape[2], BLOCK_M=<<m>>, BLOCK_N=<<n>>, BLOCK_K=<<k>>, num_warps=<<w>>)
            return out
        """, m=block_m, n=block_n, k=block_k, w=warps)
    return Built((kernel, launcher), {"BLOCK_M": block_m, "BLOCK_N": block_n, "BLOCK_K": block_k, "num_warps": warps},
                 f"Each program takes one expert and a {block_n}-column slice of the output and walks that expert's "
                 f"rows in tiles of {block_m}, multiplying them by the expert's weight.", "x, w, offsets",
                 "grouped_gemm(x, w, offsets)")


_RENORM = Sub("router_not_renormalised", (("tl.where(chosen, scores / total, 0.0)", "tl.where(chosen, scores, 0.0)"),),
              lambda dims, s: dims["topk"] < dims["experts"])
_FLAWS = {
    "moe_router_softmax": (_RENORM,),
    # Sigmoid scores do not sum to one even over all experts.
    "moe_router_sigmoid": (replace(_RENORM, shows=lambda dims, s: True),),
    "moe_permute": (Sub("permute_inverted", (
        ("tl.store(out_ptr + dest * hidden + cols, tl.load(x_ptr + (a // top_k) * hidden + cols",
         "tl.store(out_ptr + a * hidden + cols, tl.load(x_ptr + (dest // top_k) * hidden + cols"),),
        lambda dims, s: dims["tokens"] > 1),),
    "moe_combine": (Sub("combine_ignores_permutation", (("row = tl.load(dest_ptr + token * top_k + j)",
                                                         "row = token * top_k + j"),),
                        lambda dims, s: dims["tokens"] > 1),),
    "grouped_gemm": (Sub("shared_expert_weight", (("w_base = w_ptr + expert * hidden * ffn", "w_base = w_ptr"),),
                         lambda dims, s: dims["experts"] > 1),),
}

# Two structures per op (issue 17); a flaw is drawn in whichever structure holds its edited text.
GROUPS = (group("moe", {
    "moe_router_softmax": {"token_per_program": _router(False), "token_tiles": _router_tiles(False)},
    "moe_router_sigmoid": {"token_per_program": _router(True), "token_tiles": _router_tiles(True)},
    "moe_permute": {"scatter": _permute, "gather": _permute_gather},
    "moe_combine": {"token_per_program": _combine, "token_tiles": _combine_tiles},
    "grouped_gemm": {"tile_grid": _grouped_gemm, "expert_row_loop": _grouped_gemm_row_loop},
}, flaws=_FLAWS),)
