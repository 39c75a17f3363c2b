"""The built-in teacher: Triton kernels written from parametric templates, no model needed.

It answers specs of the ops it has templates for (elementwise activations, reductions and softmaxes over
the last dim, matmul) the way a model would: a sentence about the approach, then the source in a ```python fence. The
sources follow the anatomy of the Triton tutorials (01 vector add, 02 fused softmax, 03 matmul): a
commented `@triton.jit` kernel that loads in the input's dtype, computes in fp32 and casts to the output's
element type on store; a launcher that checks shapes, makes inputs contiguous and allocates on the input's
device; block sizes as `tl.constexpr`; `class ModelNew(nn.Module)` calling the launcher.

Candidates for one spec differ for real: loop structure (one block per program, a fixed grid that sweeps
the tensor, 2-D tiles; a row in one block or column tiles with an online softmax; grouped, row-major or
2-D tile order for matmul), block sizes, `num_warps`, `num_stages` and `GROUP_SIZE_M`, so they differ in
speed. About a fifth of candidates carry a flaw a real model makes, chosen where it shows (FLAWS below);
each such candidate is wrong on plain random inputs or, for TF32, on the GPU. No template is wrong in a way
that random inputs hide (such kernels would pass verification and poison the data).

Guarantees: the same seed and spec row give the same candidates, byte for byte; each candidate's code is
what `extract_code` takes from its completion; candidates of one spec do not repeat code while the
parameter space allows. It has templates for 12 ops (`TEMPLATE_OPS`: six activations, five last-dim
reductions and softmaxes, matmul) on 2-D inputs; for any other spec it declines with one row that holds no
code and says why in `teacher_meta.declined`, which the verifier records as `no_code`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from generators.extract import extract_code
from generators.prompts import PROMPT_VERSION, build_prompt
from generators.specs import OPS
from generators.teachers.base import Teacher, candidate_row
from generators.teachers.templates import FAMILY_GROUPS, FLAWS as TEMPLATE_FLAWS
from generators.teachers.templates.base import Decline, Draft, Group, Variant
from kerneldata.core.config import TeacherConfig
from kerneldata.core.schema import SPEC_SCHEMA

TEACHER = "builtin"
TEACHER_MODEL = "builtin-templates-v2"

# Flawed variants: name -> (what is wrong, probability of choosing it where it applies), from every template
# module. A flaw is only offered for a spec where it shows (a fixed block only for rows longer than the
# block, a floor-divided grid only when the tail it drops has at least 16 elements...).
FLAWS: dict[str, tuple[str, float]] = {
    **TEMPLATE_FLAWS,
    # One block per row with a fixed BLOCK_SIZE and no loop: columns past the block are ignored.
    "fixed_block": ("assumes a row fits in one fixed-size block; longer rows are reduced only in part", 0.5),
    # tl.dot on fp32 without input_precision="ieee": TF32 on NVIDIA GPUs, about 1e-3 relative error. The CPU
    # interpreter computes in full fp32, so there the verifier can only mark it unverified.
    "tf32_dot": ("fp32 tl.dot without input_precision='ieee' runs in TF32 on NVIDIA GPUs", 0.45),
}


class BuiltinTeacher(Teacher):
    """`generate(spec_row)` -> `samples_per_spec` rows of `CANDIDATE_SCHEMA` for one spec row."""

    name = TEACHER

    def __init__(self, config: TeacherConfig, seed: int) -> None:
        self.config = config
        self.seed = seed

    def generate_batch(self, spec_rows: Sequence[dict]) -> list[dict]:
        return [row for spec_row in spec_rows for row in self._generate_one(spec_row)]

    def _generate_one(self, spec_row: dict) -> list[dict]:
        prompt = build_prompt(spec_row)
        try:
            variants_for(spec_row)
        except Decline as err:
            return [self._declined(spec_row, prompt, str(err))]
        seen: set[str] = set()
        rows = []
        for sample_index in range(self.config.samples_per_spec):
            draft = self._draw(spec_row, sample_index, seen)
            seen.add(draft.code)
            completion = f"{draft.prose}\n\n```python\n{draft.code}```\n"
            code, reason = extract_code(completion)
            assert reason == "ok" and code == draft.code, "a template's completion must extract to its code"
            meta = {"template": TEACHER_MODEL, "variant": draft.variant, "flaw": draft.flaw, **draft.params}
            rows.append(candidate_row(spec_row, teacher=TEACHER, model=TEACHER_MODEL, prompt_version=PROMPT_VERSION,
                                      prompt=prompt, completion=completion, code=code, extracted=True,
                                      seed=self.seed, sample_index=sample_index, meta=meta))
        return rows

    def _declined(self, spec_row: dict, prompt: list[dict], reason: str) -> dict:
        """The one row for a spec without a template: no code, so the verifier records it as `no_code`;
        `teacher_meta.declined` says why."""
        completion = f"The built-in teacher cannot write this kernel: {reason}.\n"
        assert extract_code(completion)[0] is None, "a declining answer must hold no code"
        return candidate_row(spec_row, teacher=TEACHER, model=TEACHER_MODEL, prompt_version=PROMPT_VERSION,
                             prompt=prompt, completion=completion, code=None, extracted=True, seed=self.seed,
                             sample_index=0, meta={"template": TEACHER_MODEL, "declined": reason})

    def _draw(self, spec_row: dict, sample_index: int, seen: set[str], max_attempts: int = 8) -> Draft:
        """A draft for one sample; redrawn (deterministically) while its code repeats an earlier sample's."""
        draft = None
        for attempt in range(max_attempts):
            suffix = f":{attempt}" if attempt else ""
            rng = random.Random(f"builtin:{self.seed}:{spec_row['spec_id']}:{sample_index}{suffix}")
            draft = render(spec_row, rng)
            if draft.code not in seen:
                break
        return draft


def _group(spec_row: dict) -> Group:
    """The template group that answers the spec: by its one op, whatever family the sampler filed it under
    (softmax is in family "softmax", sum in "reduction"). Raises Decline for anything else."""
    ops = list(spec_row["ops"])
    if len(ops) == 1 and ops[0] in _BY_OP:
        return _BY_OP[ops[0]]
    known = ", ".join(op for ops_ in TEMPLATE_OPS.values() for op in ops_)
    raise Decline(f"the builtin teacher has no template for ops {ops} (family {spec_row['family']!r}); "
                  f"it writes kernels for: {known}")


def variants_for(spec_row: dict) -> list[Variant]:
    """The variants (correct and flawed) that apply to this spec row; raises Decline (a ValueError) for an
    op, input layout or reference source without a template known to be correct for it."""
    group = _group(spec_row)
    try:
        group.check(spec_row)
    except Decline:
        raise
    except ValueError as err:
        raise Decline(str(err)) from None
    return [v for v in group.variants if v.applies(spec_row)]


def render(spec_row: dict, rng: random.Random, variant: str | None = None) -> Draft:
    """Render one candidate. Without `variant`: each applicable flaw is chosen with its probability, else a
    correct variant uniformly. With `variant`, that one (it must apply to the spec)."""
    applicable = variants_for(spec_row)
    if variant is not None:
        by_name = {v.name: v for v in applicable}
        if variant not in by_name:
            raise ValueError(f"variant {variant!r} does not apply to spec {spec_row['spec_id']}; "
                             f"applicable: {', '.join(by_name)}")
        return by_name[variant].render(spec_row, rng)
    for v in applicable:
        if v.flaw and rng.random() < FLAWS[v.flaw][1]:
            return v.render(spec_row, rng)
    correct = [v for v in applicable if not v.flaw]
    return rng.choice(correct).render(spec_row, rng)


# Legacy helpers for the templates still defined here.
from generators.teachers.templates.base import fill as _fill, launch_warps as _launch_warps  # noqa: E402
from generators.teachers.templates.base import model_new as _model_new, module as _module  # noqa: E402
from generators.teachers.templates.base import next_power_of_2 as _next_power_of_2  # noqa: E402


def _check_2d_single_input(spec_row: dict) -> None:
    shapes = spec_row["shapes"]
    if len(shapes) != 1 or len(shapes[0]) != 2:
        raise ValueError(f"the builtin teacher's templates take one 2-D input, got shapes {shapes}")


def _rows_cols(spec_row: dict) -> tuple[int, int]:
    rows, cols = spec_row["shapes"][0]
    return int(rows), int(cols)


# --------------------------------------------------------------------------------------------------------
# Reduction over the last dim of a 2-D tensor: softmax and log_softmax keep the shape, sum / mean / max
# give one value per row.

_LAUNCHER_NAMES = {"softmax": "softmax", "log_softmax": "log_softmax", "sum": "row_sum", "mean": "row_mean",
                   "max": "row_max"}
_ROWWISE = ("softmax", "log_softmax")
_PAD = {"softmax": "-inf", "log_softmax": "-inf", "max": "-inf", "sum": "0", "mean": "0"}
_SINGLE_PASS_MAX_BLOCK = 16384
_LOOP_BLOCKS = (64, 128, 256, 512, 1024, 2048)
_FIXED_BLOCKS = (256, 512, 1024)

# One row, whole in one block: `row`, `x_ptr`, `out_ptr`, strides and n_cols in scope.
_SINGLE_PASS_LOAD = {
    "-inf": ('# Padding lanes load -inf: they never win the max, and exp(-inf) = 0 adds nothing to a sum.\n'
             'x = tl.load(x_ptr + row * x_row_stride + col_offsets, mask=mask, other=-float("inf")).to(tl.float32)'),
    "0": ("# Padding lanes load 0, which adds nothing to the sum.\n"
          "x = tl.load(x_ptr + row * x_row_stride + col_offsets, mask=mask, other=0.0).to(tl.float32)"),
}
_SINGLE_PASS_RESULT = {
    "softmax": ("# Subtract the row maximum so exp cannot overflow.\n"
                "z = x - tl.max(x, axis=0)\n"
                "numerator = tl.exp(z)\n"
                "y = numerator / tl.sum(numerator, axis=0)"),
    "log_softmax": ("# log_softmax(x) = x - max - log(sum(exp(x - max))); subtracting the max keeps exp finite.\n"
                    "z = x - tl.max(x, axis=0)\n"
                    "y = z - tl.log(tl.sum(tl.exp(z), axis=0))"),
    "sum": "y = tl.sum(x, axis=0)",
    "mean": "y = tl.sum(x, axis=0) / n_cols",
    "max": "y = tl.max(x, axis=0)",
}
_ROW_STORE = {
    True: "tl.store(out_ptr + row * out_row_stride + col_offsets, y.to(out_ptr.dtype.element_ty), mask=mask)",
    False: "tl.store(out_ptr + row, y.to(out_ptr.dtype.element_ty))",
}

# One row over column tiles of BLOCK_SIZE: `row_x_ptr`, `col_offsets` in scope.
_LOOPED_ROW = {
    "softmax": '''
        # Pass 1, online softmax: a running maximum and a running sum of exp(x - max) over the column tiles.
        # The first tile starts both, so the running maximum is finite from the outset.
        x = tl.load(row_x_ptr + col_offsets, mask=col_offsets < n_cols, other=-float("inf")).to(tl.float32)
        row_max = tl.max(x, axis=0)
        row_sum = tl.sum(tl.exp(x - row_max), axis=0)
        for start in range(BLOCK_SIZE, n_cols, BLOCK_SIZE):
            cols = start + col_offsets
            x = tl.load(row_x_ptr + cols, mask=cols < n_cols, other=-float("inf")).to(tl.float32)
            new_max = tl.maximum(row_max, tl.max(x, axis=0))
            # Rescale the sum so far to the new maximum before adding this tile.
            row_sum = row_sum * tl.exp(row_max - new_max) + tl.sum(tl.exp(x - new_max), axis=0)
            row_max = new_max
        # Pass 2: normalise each tile and store it.
        for start in range(0, n_cols, BLOCK_SIZE):
            cols = start + col_offsets
            mask = cols < n_cols
            x = tl.load(row_x_ptr + cols, mask=mask, other=0.0).to(tl.float32)
            y = tl.exp(x - row_max) / row_sum
            tl.store(row_out_ptr + cols, y.to(out_ptr.dtype.element_ty), mask=mask)
        ''',
    "log_softmax": '''
        # Pass 1, online: a running maximum and a running sum of exp(x - max) over the column tiles.
        # The first tile starts both, so the running maximum is finite from the outset.
        x = tl.load(row_x_ptr + col_offsets, mask=col_offsets < n_cols, other=-float("inf")).to(tl.float32)
        row_max = tl.max(x, axis=0)
        row_sum = tl.sum(tl.exp(x - row_max), axis=0)
        for start in range(BLOCK_SIZE, n_cols, BLOCK_SIZE):
            cols = start + col_offsets
            x = tl.load(row_x_ptr + cols, mask=cols < n_cols, other=-float("inf")).to(tl.float32)
            new_max = tl.maximum(row_max, tl.max(x, axis=0))
            # Rescale the sum so far to the new maximum before adding this tile.
            row_sum = row_sum * tl.exp(row_max - new_max) + tl.sum(tl.exp(x - new_max), axis=0)
            row_max = new_max
        # log_softmax(x) = x - max - log(sum(exp(x - max))).
        log_sum = tl.log(row_sum)
        # Pass 2: write each tile.
        for start in range(0, n_cols, BLOCK_SIZE):
            cols = start + col_offsets
            mask = cols < n_cols
            x = tl.load(row_x_ptr + cols, mask=mask, other=0.0).to(tl.float32)
            y = x - row_max - log_sum
            tl.store(row_out_ptr + cols, y.to(out_ptr.dtype.element_ty), mask=mask)
        ''',
    "sum": '''
        # BLOCK_SIZE partial sums, one per lane, accumulated over the column tiles, then reduced once.
        acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
        for start in range(0, n_cols, BLOCK_SIZE):
            cols = start + col_offsets
            # Padding lanes load 0, which adds nothing.
            acc += tl.load(row_x_ptr + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
        y = tl.sum(acc, axis=0)
        tl.store(out_ptr + row, y.to(out_ptr.dtype.element_ty))
        ''',
    "mean": '''
        # BLOCK_SIZE partial sums, one per lane, accumulated over the column tiles, then reduced once.
        acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
        for start in range(0, n_cols, BLOCK_SIZE):
            cols = start + col_offsets
            # Padding lanes load 0, which adds nothing.
            acc += tl.load(row_x_ptr + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
        # Divide by the true number of columns, not by the padded tile width.
        y = tl.sum(acc, axis=0) / n_cols
        tl.store(out_ptr + row, y.to(out_ptr.dtype.element_ty))
        ''',
    "max": '''
        # BLOCK_SIZE running maxima, one per lane, over the column tiles, then reduced once.
        acc = tl.full([BLOCK_SIZE], float("-inf"), tl.float32)
        for start in range(0, n_cols, BLOCK_SIZE):
            cols = start + col_offsets
            # Padding lanes load -inf, which never wins the max.
            x = tl.load(row_x_ptr + cols, mask=cols < n_cols, other=-float("inf")).to(tl.float32)
            acc = tl.maximum(acc, x)
        y = tl.max(acc, axis=0)
        tl.store(out_ptr + row, y.to(out_ptr.dtype.element_ty))
        ''',
}

_REDUCTION_KERNEL = '''
    @triton.jit
    def <<name>>_kernel(
        x_ptr,  # pointer to the input, (n_rows, n_cols)
        out_ptr,  # pointer to the output, <<out_shape>>
        x_row_stride,  # elements between consecutive rows of x
        <<out_stride_arg>>
        n_rows,
        n_cols,
        BLOCK_SIZE: tl.constexpr,  # <<block_doc>>
    ):
        <<rows>>
    '''
_ONE_ROW_PER_PROGRAM = '''
    # One program per row.
    row = tl.program_id(axis=0)
    <<row_body>>
    '''
_PERSISTENT_ROWS = '''
    # A fixed number of programs; program pid handles rows pid, pid + num_programs, ...
    row_start = tl.program_id(axis=0)
    row_step = tl.num_programs(axis=0)
    for row in range(row_start, n_rows, row_step):
        <<row_body>>
    '''
_REDUCTION_LAUNCHER = '''
    def <<name>>(x: torch.Tensor) -> torch.Tensor:
        assert x.dim() == 2, f"expected a 2-D input, got shape {tuple(x.shape)}"
        x = x.contiguous()
        n_rows, n_cols = x.shape
        <<alloc>>
        <<block>>
        <<grid>>
        <<name>>_kernel[grid](
            x, out, x.stride(0), <<out_stride>>n_rows, n_cols,
            BLOCK_SIZE=BLOCK_SIZE, num_warps=<<warps>>,
        )
        return out
    '''


def _render_reduction(spec_row: dict, rng: random.Random, structure: str) -> Draft:
    op = spec_row["ops"][0]
    doc = OPS[op].doc
    name = _LAUNCHER_NAMES[op]
    rowwise = op in _ROWWISE
    rows, cols = _rows_cols(spec_row)
    flaw = "fixed_block" if structure == "fixed_block" else None
    params: dict = {"structure": structure}
    if structure == "looped":
        block = rng.choice(_loop_blocks(cols))
        block_line = f"# Column tiles of {block}: longer rows take several iterations.\nBLOCK_SIZE = {block}"
        block_doc = "columns per tile; a row takes cdiv(n_cols, BLOCK_SIZE) tiles"
        row_body = _fill('''
            row_x_ptr = x_ptr + row * x_row_stride
            <<out_row>>
            col_offsets = tl.arange(0, BLOCK_SIZE)
            <<loop>>
            ''', out_row="row_out_ptr = out_ptr + row * out_row_stride" if rowwise else "",
            loop=_fill(_LOOPED_ROW[op]))
        row_mapping = "program_per_row"
        prose = (f"One program per row computes {doc}, walking the row in tiles of {block} columns"
                 + (" with an online max and sum, then a second pass that normalises and stores."
                    if rowwise else " and accumulating per-lane partial results in fp32 before one final reduction."))
    else:
        if flaw:
            block = rng.choice([b for b in _FIXED_BLOCKS if b < cols])
            block_line = f"# {block} columns hold a whole row, so one block per row suffices.\nBLOCK_SIZE = {block}"
            block_doc = "columns per block; one block holds a whole row"
        else:
            block = _next_power_of_2(cols)
            block_line = ("# The smallest power of two covering a row: each row is loaded once, in one block.\n"
                          "BLOCK_SIZE = triton.next_power_of_2(n_cols)")
            block_doc = "a power of two >= n_cols: one block holds a whole row"
        row_body = "\n".join([
            "col_offsets = tl.arange(0, BLOCK_SIZE)",
            "mask = col_offsets < n_cols",
            _SINGLE_PASS_LOAD[_PAD[op]],
            _SINGLE_PASS_RESULT[op],
            _ROW_STORE[rowwise],
        ])
        row_mapping = "persistent" if structure == "single_pass_persistent" else rng.choice(
            ("program_per_row", "persistent") if flaw else ("program_per_row",))
        width = f"{block} columns" if flaw else f"next_power_of_2(n_cols) = {block} columns"
        prose = (f"Each row fits in one block of {width}, so a program loads its row once, computes {doc} "
                 f"in fp32 and stores the result.")
    params["BLOCK_SIZE"] = block
    params["row_mapping"] = row_mapping
    warps = _launch_warps(rng, block)
    params["num_warps"] = warps
    if row_mapping == "persistent":
        num_programs = rng.choice((16, 32, 64, 128, 256))
        params["NUM_PROGRAMS"] = num_programs
        rows_code = _fill(_PERSISTENT_ROWS, row_body=row_body)
        grid = f"# At most {num_programs} programs, each looping over its share of the rows.\n" \
               f"grid = (min(n_rows, {num_programs}),)"
        prose += f" A fixed grid of at most {num_programs} programs loops over the rows."
    else:
        rows_code = _fill(_ONE_ROW_PER_PROGRAM, row_body=row_body)
        grid = "grid = (n_rows,)"
    kernel = _fill(_REDUCTION_KERNEL, name=name, rows=rows_code, block_doc=block_doc,
                   out_shape="(n_rows, n_cols)" if rowwise else "(n_rows,)",
                   out_stride_arg="out_row_stride,  # elements between consecutive rows of out" if rowwise else "")
    alloc = ("out = torch.empty_like(x)" if rowwise
             else "out = torch.empty((n_rows,), device=x.device, dtype=x.dtype)")
    launcher = _fill(_REDUCTION_LAUNCHER, name=name, alloc=alloc, block=block_line, grid=grid, warps=warps,
                     out_stride="out.stride(0), " if rowwise else "")
    code = _module(kernel, launcher, _model_new(f"Computes {doc} with a Triton kernel.", "x", f"{name}(x)"))
    return Draft(variant=structure, flaw=flaw, params=params, code=code, prose=prose)


def _loop_blocks(cols: int) -> list[int]:
    """Column tiles smaller than the row's power-of-two width, so the loop takes at least two tiles."""
    return [b for b in _LOOP_BLOCKS if b < _next_power_of_2(cols)]


def _reduction_variants() -> list[Variant]:
    def variant(structure, applies):
        return Variant(structure, applies, lambda s, rng: _render_reduction(s, rng, structure))

    def single_pass_fits(s):
        return _next_power_of_2(_rows_cols(s)[1]) <= _SINGLE_PASS_MAX_BLOCK

    return [
        variant("single_pass", single_pass_fits),
        variant("single_pass_persistent", single_pass_fits),
        variant("looped", lambda s: bool(_loop_blocks(_rows_cols(s)[1]))),
        Variant("fixed_block", lambda s: _rows_cols(s)[1] > min(_FIXED_BLOCKS),
                lambda s, rng: _render_reduction(s, rng, "fixed_block"), flaw="fixed_block"),
    ]


# --------------------------------------------------------------------------------------------------------
# Matmul: c = a @ b, tutorial 03's tiled kernel with an fp32 accumulator.

_SMEM_BUDGET_BYTES = 64 * 1024  # AMD's LDS is 64 KiB; stay inside it so one template serves both vendors

_MATMUL_KERNEL = '''
    @triton.jit
    def matmul_kernel(
        # Pointers to the matrices
        a_ptr, b_ptr, c_ptr,
        # Matrix dimensions: a is (M, K), b is (K, N), c is (M, N)
        M, N, K,
        # Strides: how far to move in memory to step one row or one column of each matrix
        stride_am, stride_ak,
        stride_bk, stride_bn,
        stride_cm, stride_cn,
        # Meta-parameters
        BLOCK_SIZE_M: tl.constexpr,
        BLOCK_SIZE_N: tl.constexpr,
        BLOCK_SIZE_K: tl.constexpr,
        <<group_arg>>
    ):
        """Each program computes one BLOCK_SIZE_M x BLOCK_SIZE_N tile of c = a @ b."""
        <<pid_mapping>>
        # Row and column offsets of this tile. Taking them modulo M and N keeps the loads of edge tiles inside
        # the matrices; the wrapped rows and columns are computed but never stored.
        offs_am = (pid_m * BLOCK_SIZE_M + tl.arange(0, BLOCK_SIZE_M)) % M
        offs_bn = (pid_n * BLOCK_SIZE_N + tl.arange(0, BLOCK_SIZE_N)) % N
        offs_k = tl.arange(0, BLOCK_SIZE_K)
        a_ptrs = a_ptr + (offs_am[:, None] * stride_am + offs_k[None, :] * stride_ak)
        b_ptrs = b_ptr + (offs_k[:, None] * stride_bk + offs_bn[None, :] * stride_bn)
        # Accumulate in fp32 whatever the input dtype.
        accumulator = tl.zeros((BLOCK_SIZE_M, BLOCK_SIZE_N), dtype=tl.float32)
        for k in range(0, tl.cdiv(K, BLOCK_SIZE_K)):
            # The last K tile may be partial: masked lanes load 0, which adds nothing to the products.
            a = tl.load(a_ptrs, mask=offs_k[None, :] < K - k * BLOCK_SIZE_K, other=0.0)
            b = tl.load(b_ptrs, mask=offs_k[:, None] < K - k * BLOCK_SIZE_K, other=0.0)
            <<dot>>
            # Advance both tiles along K.
            a_ptrs += BLOCK_SIZE_K * stride_ak
            b_ptrs += BLOCK_SIZE_K * stride_bk
        # Cast to the output's element type and store the tile, masking the edges.
        c = accumulator.to(c_ptr.dtype.element_ty)
        offs_cm = pid_m * BLOCK_SIZE_M + tl.arange(0, BLOCK_SIZE_M)
        offs_cn = pid_n * BLOCK_SIZE_N + tl.arange(0, BLOCK_SIZE_N)
        c_ptrs = c_ptr + stride_cm * offs_cm[:, None] + stride_cn * offs_cn[None, :]
        c_mask = (offs_cm[:, None] < M) & (offs_cn[None, :] < N)
        tl.store(c_ptrs, c, mask=c_mask)
    '''
_PID_MAPPINGS = {
    "grouped": '''
        # Programs walk the tiles in groups of GROUP_SIZE_M rows of tiles, column by column, so programs
        # running at the same time share tiles of a and b in the L2 cache.
        pid = tl.program_id(axis=0)
        num_pid_m = tl.cdiv(M, BLOCK_SIZE_M)
        num_pid_n = tl.cdiv(N, BLOCK_SIZE_N)
        num_pid_in_group = GROUP_SIZE_M * num_pid_n
        group_id = pid // num_pid_in_group
        first_pid_m = group_id * GROUP_SIZE_M
        group_size_m = min(num_pid_m - first_pid_m, GROUP_SIZE_M)
        pid_m = first_pid_m + ((pid % num_pid_in_group) % group_size_m)
        pid_n = (pid % num_pid_in_group) // group_size_m
        ''',
    "row_major": '''
        # Tiles in row-major order: program pid computes tile (pid // num_pid_n, pid % num_pid_n).
        pid = tl.program_id(axis=0)
        num_pid_n = tl.cdiv(N, BLOCK_SIZE_N)
        pid_m = pid // num_pid_n
        pid_n = pid % num_pid_n
        ''',
    "grid_2d": '''
        # A 2-D launch grid: axis 0 walks the tiles along M, axis 1 those along N.
        pid_m = tl.program_id(axis=0)
        pid_n = tl.program_id(axis=1)
        ''',
}
_MATMUL_GRIDS = {
    "grouped": 'grid = lambda meta: (triton.cdiv(M, meta["BLOCK_SIZE_M"]) * triton.cdiv(N, meta["BLOCK_SIZE_N"]),)',
    "row_major": 'grid = lambda meta: (triton.cdiv(M, meta["BLOCK_SIZE_M"]) * triton.cdiv(N, meta["BLOCK_SIZE_N"]),)',
    "grid_2d": 'grid = lambda meta: (triton.cdiv(M, meta["BLOCK_SIZE_M"]), triton.cdiv(N, meta["BLOCK_SIZE_N"]))',
}
_DOTS = {
    "ieee": ('# input_precision="ieee": full fp32 products; the default (TF32 on NVIDIA) misses fp32 tolerances.\n'
             'accumulator = tl.dot(a, b, accumulator, input_precision="ieee")'),
    "fp16": "# fp16 tiles on the tensor cores, accumulated in fp32.\naccumulator = tl.dot(a, b, accumulator)",
    "tf32": "# Tile product on the tensor cores, accumulated in fp32.\naccumulator = tl.dot(a, b, accumulator)",
}
_MATMUL_LAUNCHER = '''
    def matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        assert a.dim() == 2 and b.dim() == 2, f"expected 2-D inputs, got {tuple(a.shape)} and {tuple(b.shape)}"
        assert a.shape[1] == b.shape[0], f"incompatible dimensions: {tuple(a.shape)} @ {tuple(b.shape)}"
        assert a.dtype == b.dtype, f"mixed input dtypes {a.dtype} and {b.dtype}"
        a = a.contiguous()
        b = b.contiguous()
        M, K = a.shape
        _, N = b.shape
        c = torch.empty((M, N), device=a.device, dtype=a.dtype)
        <<grid>>
        matmul_kernel[grid](
            a, b, c,
            M, N, K,
            a.stride(0), a.stride(1),
            b.stride(0), b.stride(1),
            c.stride(0), c.stride(1),
            <<meta>>
        )
        return c
    '''


def _render_matmul(spec_row: dict, rng: random.Random, mapping: str, flaw: str | None) -> Draft:
    (m, k), (_, n) = spec_row["shapes"]
    element_bytes = 4 if spec_row["dtype"] == "float32" else 2

    def tile(dim, choices):
        return rng.choice([b for b in choices if b <= max(16, _next_power_of_2(dim))])

    block_m, block_n, block_k = tile(m, (16, 32, 64, 128)), tile(n, (16, 32, 64, 128)), tile(k, (16, 32, 64))
    stage_bytes = (block_m + block_n) * block_k * element_bytes
    num_stages = rng.choice([s for s in (2, 3, 4, 5) if s * stage_bytes <= _SMEM_BUDGET_BYTES] or [1])
    num_warps = rng.choice([w for w in (1, 2, 4, 8) if w * 128 <= max(block_m * block_n, 256)])
    params: dict = {"structure": mapping, "BLOCK_SIZE_M": block_m, "BLOCK_SIZE_N": block_n,
                    "BLOCK_SIZE_K": block_k, "num_warps": num_warps, "num_stages": num_stages}
    meta = f"BLOCK_SIZE_M={block_m}, BLOCK_SIZE_N={block_n}, BLOCK_SIZE_K={block_k},"
    if mapping == "grouped":
        group = rng.choice((2, 4, 8))
        params["GROUP_SIZE_M"] = group
        meta += f" GROUP_SIZE_M={group},"
    meta += f"\nnum_warps={num_warps}, num_stages={num_stages},"
    dot = "tf32" if flaw == "tf32_dot" else ("ieee" if spec_row["dtype"] == "float32" else "fp16")
    params["dot"] = dot
    kernel = _fill(_MATMUL_KERNEL, pid_mapping=_fill(_PID_MAPPINGS[mapping]), dot=_DOTS[dot],
                   group_arg="GROUP_SIZE_M: tl.constexpr," if mapping == "grouped" else "")
    launcher = _fill(_MATMUL_LAUNCHER, grid=_MATMUL_GRIDS[mapping], meta=meta)
    order = {"grouped": f"grouped tile order (GROUP_SIZE_M={params.get('GROUP_SIZE_M')}) for L2 reuse",
             "row_major": "row-major tile order", "grid_2d": "a 2-D launch grid"}[mapping]
    prose = (f"A tiled matmul after the Triton tutorial: each program computes a {block_m}x{block_n} tile of c, "
             f"stepping through K in blocks of {block_k} with masked loads and an fp32 accumulator, in {order}; "
             f"{num_warps} warps and {num_stages} pipeline stages.")
    code = _module(kernel, launcher, _model_new("Computes the matrix product a @ b with a Triton kernel.", "a, b",
                                               "matmul(a, b)"))
    return Draft(variant=flaw or mapping, flaw=flaw, params=params, code=code, prose=prose)


def _check_matmul(spec_row: dict) -> None:
    shapes = spec_row["shapes"]
    if len(shapes) != 2 or any(len(s) != 2 for s in shapes) or shapes[0][1] != shapes[1][0]:
        raise ValueError(f"the builtin teacher's matmul template takes a (M, K) and b (K, N), got shapes {shapes}")


def _matmul_variants() -> list[Variant]:
    def correct(mapping):
        return Variant(mapping, lambda s: True, lambda s, rng: _render_matmul(s, rng, mapping, None))

    return [
        correct("grouped"),
        correct("row_major"),
        correct("grid_2d"),
        Variant("tf32_dot", lambda s: s["dtype"] == "float32",
                lambda s, rng: _render_matmul(s, rng, rng.choice(sorted(_PID_MAPPINGS)), "tf32_dot"), flaw="tf32_dot"),
    ]


_LEGACY_GROUPS = (
    Group("reduction", tuple(_LAUNCHER_NAMES), _check_2d_single_input, tuple(_reduction_variants())),
    Group("matmul", ("matmul",), _check_matmul, tuple(_matmul_variants())),
)
# The ops each template group answers, and the op -> group registry.
_GROUPS: tuple[Group, ...] = FAMILY_GROUPS + _LEGACY_GROUPS
TEMPLATE_OPS: dict[str, tuple[str, ...]] = {group.name: group.ops for group in _GROUPS}
_BY_OP: dict[str, Group] = {op: group for group in _GROUPS for op in group.ops}
