'''LLM building-block templates ("llm"): rotary embeddings, SwiGLU and GeGLU, residual add + RMSNorm and
cross-entropy over a large vocabulary.

Every kernel loads in the input's dtype, computes in fp32 and casts on store. The fused add + RMSNorm
rounds the updated residual to the element type before normalising it, as the reference (and vLLM's
`fused_add_rms_norm`) does. Cross-entropy walks the vocabulary in blocks with an online log-sum-exp (one
program per token), then one program averages the per-token losses in a fixed order.
'''

from __future__ import annotations

import random

from generators.teachers.templates.base import fill, launch_warps, next_power_of_2
from generators.teachers.templates.single import Built, Sub, group

FLAWS: dict[str, tuple[str, float]] = {
    # out1 = x1 cos + x2 sin: the rotation turns the wrong way (the sign of sin).
    "rotary_sign": ("the rotation's sin term has the wrong sign: positions rotate backwards", 0.25),
    # The activation applied to the up half and the gate left linear: the reference gates the first half.
    "glu_halves_swapped": ("the activation is applied to the up half instead of the gate half", 0.25),
    # The normalised rows are right but the second output holds the input, not the updated residual.
    "stale_residual": ("stores the input x where the updated residual x + residual belongs", 0.25),
    # sum of squares over the padded block width: the rms is too small by sqrt(hidden / BLOCK_SIZE).
    "rms_padded_mean": ("the mean of squares divides by the padded block width instead of hidden", 0.25),
    # The per-token losses are summed, not averaged: wrong by the token count.
    "loss_sum_not_mean": ("returns the sum of the per-token losses where the reference takes the mean", 0.2),
}


def _rotary(dims, rng: random.Random, dtype: str) -> Built:
    block_h = max(next_power_of_2(dims["half"]), 2)
    block_r = rng.choice([r for r in (1, 2, 4, 8, 16) if r * block_h <= 2048])
    warps = launch_warps(rng, block_r * block_h)
    kernel = fill("""
        @triton.jit
        def rotary_kernel(
            x_ptr,  # (batch, seq, heads, head_dim), contiguous
            cos_ptr, sin_ptr,  # (seq, half), contiguous
            out_ptr,  # like x
            n_rows, n_seq, n_heads, half,
            BLOCK_R: tl.constexpr,  # (batch, seq, head) rows per program
            BLOCK_H: tl.constexpr,  # half a head dim, padded to a power of two
        ):
            # Rotate half: out1 = x1 cos - x2 sin, out2 = x2 cos + x1 sin, x1 and x2 the halves of a row.
            rows = tl.program_id(axis=0) * BLOCK_R + tl.arange(0, BLOCK_R)
            cols = tl.arange(0, BLOCK_H)
            valid = (rows[:, None] < n_rows) & (cols[None, :] < half)
            pos = (rows // n_heads) % n_seq  # the row's position in the sequence
            base = rows[:, None] * (2 * half) + cols[None, :]
            x1 = tl.load(x_ptr + base, mask=valid, other=0.0).to(tl.float32)
            x2 = tl.load(x_ptr + base + half, mask=valid, other=0.0).to(tl.float32)
            c = tl.load(cos_ptr + pos[:, None] * half + cols[None, :], mask=valid, other=0.0).to(tl.float32)
            s = tl.load(sin_ptr + pos[:, None] * half + cols[None, :], mask=valid, other=0.0).to(tl.float32)
            tl.store(out_ptr + base, (x1 * c - x2 * s).to(out_ptr.dtype.element_ty), mask=valid)
            tl.store(out_ptr + base + half, (x2 * c + x1 * s).to(out_ptr.dtype.element_ty), mask=valid)
        """)
    launcher = fill("""
        def rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
            assert x.dim() == 4 and cos.shape == sin.shape == (x.shape[1], x.shape[3] // 2), "x (b, s, h, d), cos/sin (s, d / 2)"
            x, cos, sin = x.contiguous(), cos.contiguous(), sin.contiguous()
            out = torch.empty_like(x)
            n_rows = x.shape[0] * x.shape[1] * x.shape[2]
            grid = (triton.cdiv(n_rows, <<r>>),)
            rotary_kernel[grid](x, cos, sin, out, n_rows, x.shape[1], x.shape[2], x.shape[3] // 2, BLOCK_R=<<r>>, BLOCK_H=<<h>>, num_warps=<<w>>)
            return out
        """, r=block_r, h=block_h, w=warps)
    return Built((kernel, launcher), {"BLOCK_R": block_r, "BLOCK_H": block_h, "num_warps": warps},
                 f"Each program rotates {block_r} (batch, position, head) rows, both halves at once.",
                 "x, cos, sin", "rotary(x, cos, sin)")


def _rotary_rows(dims, rng: random.Random, dtype: str) -> Built:
    block_h = max(next_power_of_2(dims["half"]), 2)
    warps = launch_warps(rng, block_h, (1, 2, 4))
    kernel = fill("""
        @triton.jit
        def rotary_kernel(
            x_ptr,  # (batch, seq, heads, head_dim), contiguous
            cos_ptr, sin_ptr,  # (seq, half), contiguous
            out_ptr,  # like x
            n_seq, n_heads, half,
            BLOCK_H: tl.constexpr,  # half a head dim, padded to a power of two
        ):
            # One program per (batch, seq, head) row: the row's two halves as two 1-D vectors.
            row = tl.program_id(axis=0)
            cols = tl.arange(0, BLOCK_H)
            valid = cols < half
            pos = (row // n_heads) % n_seq  # the row's position in the sequence
            base = row * (2 * half) + cols
            x1 = tl.load(x_ptr + base, mask=valid, other=0.0).to(tl.float32)
            x2 = tl.load(x_ptr + base + half, mask=valid, other=0.0).to(tl.float32)
            c = tl.load(cos_ptr + pos * half + cols, mask=valid, other=0.0).to(tl.float32)
            s = tl.load(sin_ptr + pos * half + cols, mask=valid, other=0.0).to(tl.float32)
            # Rotate half: out1 = x1 cos - x2 sin, out2 = x2 cos + x1 sin.
            tl.store(out_ptr + base, (x1 * c - x2 * s).to(out_ptr.dtype.element_ty), mask=valid)
            tl.store(out_ptr + base + half, (x2 * c + x1 * s).to(out_ptr.dtype.element_ty), mask=valid)
        """)
    launcher = fill("""
        def rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
            assert x.dim() == 4 and cos.shape == sin.shape == (x.shape[1], x.shape[3] // 2), "x (b, s, h, d), cos/sin (s, d / 2)"
            x, cos, sin = x.contiguous(), cos.contiguous(), sin.contiguous()
            out = torch.empty_like(x)
            n_rows = x.shape[0] * x.shape[1] * x.shape[2]
            rotary_kernel[(n_rows,)](x, cos, sin, out, x.shape[1], x.shape[2], x.shape[3] // 2, BLOCK_H=<<h>>, num_warps=<<w>>)
            return out
        """, h=block_h, w=warps)
    return Built((kernel, launcher), {"BLOCK_H": block_h, "num_warps": warps},
                 "Each program rotates one (batch, position, head) row, its two halves as two vectors.",
                 "x, cos, sin", "rotary(x, cos, sin)")


_GLU = {
    "swiglu": "# SiLU(g) = g * sigmoid(g)\nact = g / (1.0 + tl.exp(-g))",
    "geglu": "# Exact GELU through erf: 0.5 g (1 + erf(g / sqrt(2)))\nact = 0.5 * g * (1.0 + tl.math.erf(g * 0.7071067811865476))",
}


def _glu(op: str):
    def build(dims, rng: random.Random, dtype: str) -> Built:
        block_n = rng.choice((64, 128, 256, 512))
        block_m = rng.choice([m for m in (1, 2, 4, 8) if m * block_n <= 2048])
        warps = launch_warps(rng, block_m * block_n)
        kernel = fill("""
            @triton.jit
            def <<op>>_kernel(
                x_ptr,  # (tokens, 2 * ffn): gate, then up
                out_ptr,  # (tokens, ffn), contiguous
                n_tokens, n_ffn, stride_x_row,
                BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
            ):
                rows = tl.program_id(axis=0) * BLOCK_M + tl.arange(0, BLOCK_M)
                cols = tl.program_id(axis=1) * BLOCK_N + tl.arange(0, BLOCK_N)
                valid = (rows[:, None] < n_tokens) & (cols[None, :] < n_ffn)
                gate_ptrs = x_ptr + rows[:, None] * stride_x_row + cols[None, :]
                g = tl.load(gate_ptrs, mask=valid, other=0.0).to(tl.float32)
                up = tl.load(gate_ptrs + n_ffn, mask=valid, other=0.0).to(tl.float32)
                <<act>>
                tl.store(out_ptr + rows[:, None] * n_ffn + cols[None, :], (act * up).to(out_ptr.dtype.element_ty), mask=valid)
            """, op=op, act=_GLU[op])
        launcher = fill("""
            def <<op>>(x: torch.Tensor) -> torch.Tensor:
                assert x.dim() == 2 and x.shape[1] % 2 == 0, "x must be (tokens, 2 * ffn)"
                x = x.contiguous()
                n_tokens, n_ffn = x.shape[0], x.shape[1] // 2
                out = torch.empty((n_tokens, n_ffn), device=x.device, dtype=x.dtype)
                grid = (triton.cdiv(n_tokens, <<m>>), triton.cdiv(n_ffn, <<n>>))
                <<op>>_kernel[grid](x, out, n_tokens, n_ffn, x.stride(0), BLOCK_M=<<m>>, BLOCK_N=<<n>>, num_warps=<<w>>)
                return out
            """, op=op, m=block_m, n=block_n, w=warps)
        return Built((kernel, launcher), {"BLOCK_M": block_m, "BLOCK_N": block_n, "num_warps": warps},
                     f"Each program reads a {block_m}x{block_n} tile of the gate and the matching tile of the up "
                     "half and writes their gated product: one pass over x.", "x", f"{op}(x)")

    return build


def _glu_flat(op: str):
    def build(dims, rng: random.Random, dtype: str) -> Built:
        block = rng.choice((256, 512, 1024, 2048))
        warps = launch_warps(rng, block)
        kernel = fill("""
            @triton.jit
            def <<op>>_kernel(
                x_ptr,  # (tokens, 2 * ffn): gate, then up
                out_ptr,  # (tokens, ffn), contiguous
                n_elements, n_ffn, stride_x_row,
                BLOCK_SIZE: tl.constexpr,  # output elements per program
            ):
                # One block of the flattened (tokens, ffn) output per program; each element finds its row.
                offsets = tl.program_id(axis=0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
                valid = offsets < n_elements
                rows = offsets // n_ffn
                cols = offsets % n_ffn
                gate_ptrs = x_ptr + rows * stride_x_row + cols
                g = tl.load(gate_ptrs, mask=valid, other=0.0).to(tl.float32)
                up = tl.load(gate_ptrs + n_ffn, mask=valid, other=0.0).to(tl.float32)
                <<act>>
                tl.store(out_ptr + offsets, (act * up).to(out_ptr.dtype.element_ty), mask=valid)
            """, op=op, act=_GLU[op])
        launcher = fill("""
            def <<op>>(x: torch.Tensor) -> torch.Tensor:
                assert x.dim() == 2 and x.shape[1] % 2 == 0, "x must be (tokens, 2 * ffn)"
                x = x.contiguous()
                n_tokens, n_ffn = x.shape[0], x.shape[1] // 2
                out = torch.empty((n_tokens, n_ffn), device=x.device, dtype=x.dtype)
                assert out.numel() < 2**31, "int32 offsets address at most 2**31 - 1 elements"
                grid = (triton.cdiv(out.numel(), <<b>>),)
                <<op>>_kernel[grid](x, out, out.numel(), n_ffn, x.stride(0), BLOCK_SIZE=<<b>>, num_warps=<<w>>)
                return out
            """, op=op, b=block, w=warps)
        return Built((kernel, launcher), {"BLOCK_SIZE": block, "num_warps": warps},
                     f"Each program takes {block} elements of the flattened output, reads each one's gate and up "
                     "values from its row of x and writes their gated product: one pass over x.", "x", f"{op}(x)")

    return build


def _add_rms_norm(dims, rng: random.Random, dtype: str) -> Built:
    block = next_power_of_2(dims["hidden"])
    warps = launch_warps(rng, block)
    kernel = fill("""
        @triton.jit
        def add_rms_norm_kernel(
            x_ptr, residual_ptr,  # (tokens, hidden), contiguous
            weight_ptr,  # (hidden,) the reference's randn draw of its weight
            out_ptr,  # (2, tokens, hidden): the normalised rows, then the updated residual
            n_tokens, n_hidden, eps,
            BLOCK_SIZE: tl.constexpr,  # hidden padded to a power of two: a row in one block
        ):
            row = tl.program_id(axis=0)
            cols = tl.arange(0, BLOCK_SIZE)
            valid = cols < n_hidden
            x = tl.load(x_ptr + row * n_hidden + cols, mask=valid, other=0.0)
            r = tl.load(residual_ptr + row * n_hidden + cols, mask=valid, other=0.0)
            # The residual stream is kept in the element type: round h before normalising it.
            h = (x.to(tl.float32) + r.to(tl.float32)).to(out_ptr.dtype.element_ty)
            tl.store(out_ptr + (n_tokens + row) * n_hidden + cols, h, mask=valid)
            hf = h.to(tl.float32)
            inv_rms = 1.0 / tl.sqrt(tl.sum(hf * hf, axis=0) / n_hidden + eps)
            # weight = 1 + 0.1 * draw, rounded to the element type after each step as the reference does.
            draw = tl.load(weight_ptr + cols, mask=valid, other=0.0).to(tl.float32)
            w = (1.0 + (0.1 * draw).to(out_ptr.dtype.element_ty).to(tl.float32)).to(out_ptr.dtype.element_ty).to(tl.float32)
            tl.store(out_ptr + row * n_hidden + cols, (hf * inv_rms * w).to(out_ptr.dtype.element_ty), mask=valid)
        """)
    return _add_rms_norm_built(kernel, block, warps, dtype,
                 "One program per token adds the residual, stores it, and normalises it in the same pass.")


def _add_rms_norm_looped(dims, rng: random.Random, dtype: str) -> Built:
    block = rng.choice([b for b in (32, 64, 128, 256) if b < next_power_of_2(dims["hidden"])] or [16])
    warps = launch_warps(rng, block, (1, 2, 4))
    kernel = fill("""
        @triton.jit
        def add_rms_norm_kernel(
            x_ptr, residual_ptr,  # (tokens, hidden), contiguous
            weight_ptr,  # (hidden,) the reference's randn draw of its weight
            out_ptr,  # (2, tokens, hidden): the normalised rows, then the updated residual
            n_tokens, n_hidden, eps,
            BLOCK_SIZE: tl.constexpr,  # columns per step: the row is walked in tiles
        ):
            row = tl.program_id(axis=0)
            # Pass 1: h = x + residual, rounded to the element type as the residual stream is, stored, and
            # its squares accumulated per lane.
            acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
            for start in range(0, n_hidden, BLOCK_SIZE):
                cols = start + tl.arange(0, BLOCK_SIZE)
                valid = cols < n_hidden
                x = tl.load(x_ptr + row * n_hidden + cols, mask=valid, other=0.0)
                r = tl.load(residual_ptr + row * n_hidden + cols, mask=valid, other=0.0)
                h = (x.to(tl.float32) + r.to(tl.float32)).to(out_ptr.dtype.element_ty)
                tl.store(out_ptr + (n_tokens + row) * n_hidden + cols, h, mask=valid)
                hf = h.to(tl.float32)
                acc += hf * hf
            inv_rms = 1.0 / tl.sqrt(tl.sum(acc, axis=0) / n_hidden + eps)
            # Pass 2: h again from the inputs (no read of what this program just stored), normalised.
            for start in range(0, n_hidden, BLOCK_SIZE):
                cols = start + tl.arange(0, BLOCK_SIZE)
                valid = cols < n_hidden
                x = tl.load(x_ptr + row * n_hidden + cols, mask=valid, other=0.0)
                r = tl.load(residual_ptr + row * n_hidden + cols, mask=valid, other=0.0)
                hf = (x.to(tl.float32) + r.to(tl.float32)).to(out_ptr.dtype.element_ty).to(tl.float32)
                # weight = 1 + 0.1 * draw, rounded to the element type after each step as the reference does.
                draw = tl.load(weight_ptr + cols, mask=valid, other=0.0).to(tl.float32)
                w = (1.0 + (0.1 * draw).to(out_ptr.dtype.element_ty).to(tl.float32)).to(out_ptr.dtype.element_ty).to(tl.float32)
                tl.store(out_ptr + row * n_hidden + cols, (hf * inv_rms * w).to(out_ptr.dtype.element_ty), mask=valid)
        """)
    return _add_rms_norm_built(kernel, block, warps, dtype,
                 f"One program per token walks its row in tiles of {block}: a first pass adds and stores the "
                 "residual and sums its squares, a second normalises.")


def _cross_entropy(dims, rng: random.Random, dtype: str) -> Built:
    block = rng.choice((256, 512, 1024, 2048))
    warps = launch_warps(rng, block)
    kernel = fill("""
        @triton.jit
        def token_loss_kernel(
            logits_ptr,  # (tokens, vocab)
            target_ptr,  # (tokens,) int64
            loss_ptr,  # (tokens,) float32 per-token losses
            n_vocab, stride_row,
            BLOCK_SIZE: tl.constexpr,  # vocabulary entries per step
        ):
            # loss = logsumexp(row) - row[target], the log-sum-exp online over blocks of the vocabulary.
            row = tl.program_id(axis=0)
            base = logits_ptr + row * stride_row
            offsets = tl.arange(0, BLOCK_SIZE)
            m = tl.full([BLOCK_SIZE], float("-inf"), tl.float32)  # running maximum per lane
            s = tl.zeros([BLOCK_SIZE], dtype=tl.float32)  # running sum of exp(x - m) per lane
            for start in range(0, n_vocab, BLOCK_SIZE):
                cols = start + offsets
                x = tl.load(base + cols, mask=cols < n_vocab, other=float("-inf")).to(tl.float32)
                m_new = tl.maximum(m, x)
                # Lanes that have seen only padding keep m = -inf; exp(-inf - -inf) would be NaN.
                s = s * tl.where(m_new == float("-inf"), 0.0, tl.exp(m - m_new)) + tl.where(x == float("-inf"), 0.0, tl.exp(x - m_new))
                m = m_new
            m_row = tl.max(m, axis=0)
            total = tl.sum(s * tl.where(m == float("-inf"), 0.0, tl.exp(m - m_row)), axis=0)
            target = tl.load(target_ptr + row)  # int64
            picked = tl.load(base + target).to(tl.float32)
            tl.store(loss_ptr + row, m_row + tl.log(total) - picked)


        @triton.jit
        def mean_kernel(loss_ptr, out_ptr, n_tokens, BLOCK_SIZE: tl.constexpr):
            # One program sums the per-token losses in a fixed order: the same result on every run.
            acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
            for start in range(0, n_tokens, BLOCK_SIZE):
                rows = start + tl.arange(0, BLOCK_SIZE)
                acc += tl.load(loss_ptr + rows, mask=rows < n_tokens, other=0.0)
            tl.store(out_ptr, (tl.sum(acc, axis=0) / n_tokens).to(out_ptr.dtype.element_ty))
        """)
    launcher = fill("""
        def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
            assert logits.dim() == 2 and target.shape == logits.shape[:1], "logits (tokens, vocab), target (tokens,)"
            assert logits.stride(1) == 1, "vocabulary entries must be contiguous"
            n_tokens, n_vocab = logits.shape
            target = target.contiguous()
            losses = torch.empty(n_tokens, device=logits.device, dtype=torch.float32)
            token_loss_kernel[(n_tokens,)](logits, target, losses, n_vocab, logits.stride(0), BLOCK_SIZE=<<b>>, num_warps=<<w>>)
            out = torch.empty((), device=logits.device, dtype=logits.dtype)
            mean_kernel[(1,)](losses, out, n_tokens, BLOCK_SIZE=256)
            return out
        """, b=block, w=warps)
    return Built((kernel, launcher), {"BLOCK_SIZE": block, "num_warps": warps},
                 f"One program per token streams its logits in blocks of {block} with an online log-sum-exp; a "
                 "second kernel averages the losses.", "logits, target", "cross_entropy(logits, target)")


def _cross_entropy_two_pass(dims, rng: random.Random, dtype: str) -> Built:
    built = _cross_entropy(dims, rng, dtype)
    online = built.parts[0]
    start = online.index("    # loss = logsumexp")
    end = online.index("    target = tl.load(target_ptr + row)")
    two_pass = fill("""
        # loss = logsumexp(row) - row[target]: a first pass finds the row maximum, a second sums exp(x - max).
        row = tl.program_id(axis=0)
        base = logits_ptr + row * stride_row
        offsets = tl.arange(0, BLOCK_SIZE)
        m = tl.full([BLOCK_SIZE], float("-inf"), tl.float32)  # per-lane maximum
        for start in range(0, n_vocab, BLOCK_SIZE):
            cols = start + offsets
            x = tl.load(base + cols, mask=cols < n_vocab, other=float("-inf")).to(tl.float32)
            m = tl.maximum(m, x)
        m_row = tl.max(m, axis=0)
        s = tl.zeros([BLOCK_SIZE], dtype=tl.float32)  # per-lane sum of exp(x - m_row), each term <= 1
        for start in range(0, n_vocab, BLOCK_SIZE):
            cols = start + offsets
            x = tl.load(base + cols, mask=cols < n_vocab, other=float("-inf")).to(tl.float32)
            s += tl.where(cols < n_vocab, tl.exp(x - m_row), 0.0)
        total = tl.sum(s, axis=0)
        """)
    kernel = online[:start] + "".join("    " + line if line else line for line in two_pass.splitlines(True)) + online[end:]
    return Built((kernel,) + built.parts[1:], built.params,
                 f"One program per token reads its logits twice in blocks of {built.params['BLOCK_SIZE']}, for the "
                 "maximum and then the sum of exponentials; a second kernel averages the losses.",
                 built.args, built.call)


_FLAWS = {
    "rotary_embedding": (Sub("rotary_sign", (("(x1 * c - x2 * s)", "(x1 * c + x2 * s)"),)),),
    **{op: (Sub("glu_halves_swapped", (("g = tl.load(gate_ptrs, mask", "g = tl.load(gate_ptrs + n_ffn, mask"),
                                       ("up = tl.load(gate_ptrs + n_ffn, mask", "up = tl.load(gate_ptrs, mask"))),)
       for op in ("swiglu", "geglu")},
    "add_rms_norm": (
        Sub("stale_residual", (("(n_tokens + row) * n_hidden + cols, h, mask", "(n_tokens + row) * n_hidden + cols, x, mask"),)),
        # Shown where padding moves the rms by more than fp16's tolerance.
        Sub("rms_padded_mean", (("tl.sum(hf * hf, axis=0) / n_hidden", "tl.sum(hf * hf, axis=0) / BLOCK_SIZE"),),
            lambda dims, s: (dims["hidden"] / next_power_of_2(dims["hidden"])) ** 0.5 < 0.97),
    ),
    "cross_entropy_vocab": (Sub("loss_sum_not_mean", (("(tl.sum(acc, axis=0) / n_tokens).to(", "tl.sum(acc, axis=0).to("),),
                                lambda dims, s: dims["tokens"] > 1),),
}

GROUPS = (group("llm", {"rotary_embedding": {"row_tiles": _rotary, "one_row": _rotary_rows},
                        "swiglu": {"tiles_2d": _glu("swiglu"), "flat": _glu_flat("swiglu")},
                        "geglu": {"tiles_2d": _glu("geglu"), "flat": _glu_flat("geglu")},
                        "add_rms_norm": {"one_block": _add_rms_norm, "looped": _add_rms_norm_looped},
                        "cross_entropy_vocab": {"online": _cross_entropy, "two_pass": _cross_entropy_two_pass}},
                flaws=_FLAWS),)


def _add_rms_norm_built(kernel: str, block: int, warps: int, dtype: str, prose: str) -> Built:
    """Both add + RMSNorm structures: their kernel with the launcher and parameters they share."""
    launcher = fill("""
        def add_rms_norm(x: torch.Tensor, residual: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
            assert x.shape == residual.shape and x.shape[-1] == weight.shape[0], "x, residual (tokens, hidden)"
            x, residual = x.contiguous(), residual.contiguous()
            n_tokens, n_hidden = x.shape
            out = torch.empty((2, n_tokens, n_hidden), device=x.device, dtype=x.dtype)
            add_rms_norm_kernel[(n_tokens,)](x, residual, weight, out, n_tokens, n_hidden, 1e-6, BLOCK_SIZE=<<b>>, num_warps=<<w>>)
            return out
        """, b=block, w=warps)
    init = ("# The reference's weight is 1 + 0.1 * randn(hidden): the same draw under the same seed, kept as\n"
            "# drawn; the kernel applies 1 + 0.1 * draw.\n"
            f"self.weight_draw = nn.Parameter(torch.randn(hidden, dtype=torch.{dtype}))")
    return Built((kernel, launcher), {"BLOCK_SIZE": block, "num_warps": warps}, prose,
                 "x, residual", "add_rms_norm(x, residual, self.weight_draw)", "hidden", init)
