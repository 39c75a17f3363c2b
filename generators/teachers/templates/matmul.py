"""Matmul templates ("matmul"): tutorial 03's tiled kernel with an fp32 accumulator, for every product of the
registry (plain, square, skinny, matrix-vector, batched, broadcast over a batch, transposed operands) and
the linear layers with their bias and activation as an epilogue on the accumulator.

Operands are read through their strides, so a transposed operand (`a.T` in the reference, or a transposed
view handed to forward) needs no copy; a batch is a grid axis with a stride per operand (0 for an operand
broadcast over it). `Matmul` describes one product for the kernel writer; the fused chains (`fused.py`)
build theirs with longer epilogues. Tile orders: grouped (L2 reuse), row-major, and a 2-D launch grid; edge
tiles either wrap their offsets modulo M and N or mask their loads (`edges`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from generators.specs import OPS
from generators.teachers.templates.base import Draft, Group, Variant, fill, model_new, module, next_power_of_2
from generators.teachers.templates.elementwise import BODIES
from generators.teachers.templates.reference import registry_dims, transposed_inputs

FLAWS: dict[str, tuple[str, float]] = {
    # tl.dot on fp32 without input_precision="ieee": TF32 on NVIDIA GPUs, about 1e-3 relative error. The CPU
    # interpreter computes in full fp32, so there the verifier can only mark it unverified.
    "tf32_dot": ("fp32 tl.dot without input_precision='ieee' runs in TF32 on NVIDIA GPUs", 0.3),
    # range(K // BLOCK_SIZE_K): the last, partial K tile is never accumulated.
    "floor_k_loop": ("the K loop rounds down, so the last partial K tile is left out of every product", 0.15),
}
_SMEM_BUDGET_BYTES = 64 * 1024  # AMD's LDS is 64 KiB; stay inside it so one template serves both vendors


@dataclass(frozen=True)
class Epilogue:
    """Code applied to the fp32 tile `acc` before the store; `offs_cm`, `offs_cn` and `c_mask` are in scope.
    `args` are extra kernel parameters and `values` the launcher expressions passed for them."""

    code: str
    args: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    doc: str = ""
    stores: bool = False  # the code stores the result itself (one value per row): no tile store after it


@dataclass(frozen=True)
class Matmul:
    """One product c = a @ b (batched or not) as the launcher sees it. Each operand is (tensor expression,
    stride along its rows, stride along its columns) in the launcher's terms; `prep` defines M, N, K (and
    n_batch), the operand views and `c`; `ret` is what the launcher returns."""

    name: str
    params: str
    prep: str
    a: tuple[str, str, str]
    b: tuple[str, str, str]
    c: tuple[str, str, str] = ("c", "c.stride(0)", "c.stride(1)")
    batch: tuple[str, str, str, str] | None = None  # (n_batch, a batch stride, b batch stride, c batch stride)
    epilogue: Epilogue | None = None
    b_transform: str = ""  # code applied to each loaded tile `b` (a weight stored as a scaled draw)
    ret: str = "c"
    doc: str = "c = a @ b"
    extra: dict = field(default_factory=dict)


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
_TILE_GRIDS = {
    "grouped": 'triton.cdiv(M, meta["BLOCK_SIZE_M"]) * triton.cdiv(N, meta["BLOCK_SIZE_N"])',
    "row_major": 'triton.cdiv(M, meta["BLOCK_SIZE_M"]) * triton.cdiv(N, meta["BLOCK_SIZE_N"])',
    "grid_2d": 'triton.cdiv(M, meta["BLOCK_SIZE_M"]), triton.cdiv(N, meta["BLOCK_SIZE_N"])',
}
_DOTS = {
    "ieee": ('# input_precision="ieee": full fp32 products; the default (TF32 on NVIDIA) misses fp32 tolerances.\n'
             'acc = tl.dot(a, b, acc, input_precision="ieee")'),
    "fp16": "# 16-bit tiles on the tensor cores, accumulated in fp32.\nacc = tl.dot(a, b, acc)",
    "tf32": "# Tile product on the tensor cores, accumulated in fp32.\nacc = tl.dot(a, b, acc)",
}
_KERNEL = '''
    @triton.jit
    def <<name>>_kernel(
        # Pointers to the matrices
        a_ptr, b_ptr, c_ptr,
        <<epilogue_args>>
        # Matrix dimensions: a is (M, K), b is (K, N), c is (M, N)
        M, N, K,
        # Strides: how far to move in memory to step one row or one column of each matrix
        stride_am, stride_ak,
        stride_bk, stride_bn,
        stride_cm, stride_cn,
        <<batch_args>>
        # Meta-parameters
        BLOCK_SIZE_M: tl.constexpr,
        BLOCK_SIZE_N: tl.constexpr,
        BLOCK_SIZE_K: tl.constexpr,
        <<group_arg>>
    ):
        """Each program computes one BLOCK_SIZE_M x BLOCK_SIZE_N tile of <<doc>>."""
        <<pid_mapping>>
        <<batch_offsets>>
        <<tile_offsets>>
        offs_k = tl.arange(0, BLOCK_SIZE_K)
        a_ptrs = a_ptr + (offs_am[:, None] * stride_am + offs_k[None, :] * stride_ak)
        b_ptrs = b_ptr + (offs_k[:, None] * stride_bk + offs_bn[None, :] * stride_bn)
        # Accumulate in fp32 whatever the input dtype.
        acc = tl.zeros((BLOCK_SIZE_M, BLOCK_SIZE_N), dtype=tl.float32)
        for k in range(0, <<k_tiles>>):
            <<tile_loads>>
            <<b_transform>>
            <<dot>>
            # Advance both tiles along K.
            a_ptrs += BLOCK_SIZE_K * stride_ak
            b_ptrs += BLOCK_SIZE_K * stride_bk
        offs_cm = pid_m * BLOCK_SIZE_M + tl.arange(0, BLOCK_SIZE_M)
        offs_cn = pid_n * BLOCK_SIZE_N + tl.arange(0, BLOCK_SIZE_N)
        c_mask = (offs_cm[:, None] < M) & (offs_cn[None, :] < N)
        <<epilogue>>
        <<store>>
    '''
# How a tile's edges are kept inside the matrices (params "edges"): wrapping the row and column offsets
# modulo M and N (every load in bounds, the wrapped lanes never stored), or masking the loads on M, N and K.
_EDGES = {
    "wrap": ("""\
# Row and column offsets of this tile. Taking them modulo M and N keeps the loads of edge tiles inside
# the matrices; the wrapped rows and columns are computed but never stored.
offs_am = (pid_m * BLOCK_SIZE_M + tl.arange(0, BLOCK_SIZE_M)) % M
offs_bn = (pid_n * BLOCK_SIZE_N + tl.arange(0, BLOCK_SIZE_N)) % N""", """\
# The last K tile may be partial: masked lanes load 0, which adds nothing to the products.
a = tl.load(a_ptrs, mask=offs_k[None, :] < K - k * BLOCK_SIZE_K, other=0.0)
b = tl.load(b_ptrs, mask=offs_k[:, None] < K - k * BLOCK_SIZE_K, other=0.0)"""),
    "mask": ("""\
# Row and column offsets of this tile; at the edges of M and N they run past the matrices, and the loads
# below mask those lanes.
offs_am = pid_m * BLOCK_SIZE_M + tl.arange(0, BLOCK_SIZE_M)
offs_bn = pid_n * BLOCK_SIZE_N + tl.arange(0, BLOCK_SIZE_N)
a_rows_in = offs_am[:, None] < M
b_cols_in = offs_bn[None, :] < N""", """\
# Lanes past M, N or the end of K load 0, which adds nothing to the products.
k_left = K - k * BLOCK_SIZE_K
a = tl.load(a_ptrs, mask=a_rows_in & (offs_k[None, :] < k_left), other=0.0)
b = tl.load(b_ptrs, mask=(offs_k[:, None] < k_left) & b_cols_in, other=0.0)"""),
}
_TILE_STORE = """\
# Cast to the output's element type and store the tile, masking the edges.
c_ptrs = c_ptr + stride_cm * offs_cm[:, None] + stride_cn * offs_cn[None, :]
tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty), mask=c_mask)"""


def kernel_and_launcher(mm: Matmul, spec_row: dict, rng: random.Random, mapping: str, flaw: str | None,
                        m: int, n: int, k: int, *, whole_rows: bool = False) -> tuple[str, str, dict, str]:
    """(kernel source, launcher source, params, prose) of `mm` with tile sizes drawn for (m, n, k). With
    `whole_rows`, one tile spans all N columns (BLOCK_SIZE_N = next_power_of_2(N), computed by the launcher)."""
    element_bytes = 4 if spec_row["dtype"] == "float32" else 2

    def tile(dim, choices):
        return rng.choice([b for b in choices if b <= max(16, next_power_of_2(dim))])

    block_m, block_n, block_k = tile(m, (16, 32, 64, 128)), tile(n, (16, 32, 64, 128)), tile(k, (16, 32, 64))
    if whole_rows:
        block_n = next_power_of_2(max(n, 16))
        block_m = rng.choice([b for b in (16, 32, 64) if b * block_n <= 8192 and b <= max(16, next_power_of_2(m))])
    if flaw == "floor_k_loop":
        block_k = rng.choice([b for b in (16, 32, 64) if k % b])
    stage_bytes = (block_m + block_n) * block_k * element_bytes
    num_stages = rng.choice([s for s in (2, 3, 4, 5) if s * stage_bytes <= _SMEM_BUDGET_BYTES] or [1])
    num_warps = rng.choice([w for w in (1, 2, 4, 8) if w * 128 <= max(block_m * block_n, 256)])
    params: dict = {"structure": mapping, "BLOCK_SIZE_M": block_m, "BLOCK_SIZE_N": block_n,
                    "BLOCK_SIZE_K": block_k, "num_warps": num_warps, "num_stages": num_stages}
    meta = f"BLOCK_SIZE_M={block_m}, BLOCK_SIZE_N={block_n}, BLOCK_SIZE_K={block_k},"
    if whole_rows:
        meta = (f"BLOCK_SIZE_M={block_m}, BLOCK_SIZE_K={block_k},\n"
                "BLOCK_SIZE_N=triton.next_power_of_2(max(N, 16)),  # one tile spans every column")
    if mapping == "grouped":
        group = rng.choice((2, 4, 8))
        params["GROUP_SIZE_M"] = group
        meta += f" GROUP_SIZE_M={group},"
    meta += f"\nnum_warps={num_warps}, num_stages={num_stages},"
    dot = "tf32" if flaw == "tf32_dot" else ("ieee" if spec_row["dtype"] == "float32" else "fp16")
    params["dot"] = dot
    # Drawn last, so every other parameter keeps the draw it had before edges were a choice.
    edges = params["edges"] = rng.choice(sorted(_EDGES))
    batch_axis = 2 if mapping == "grid_2d" else 1
    if mm.batch:
        batch_args = "stride_ab, stride_bb, stride_cb,  # between consecutive matrices of the batch (0: shared)"
        batch_offsets = (f"# Axis {batch_axis} of the grid is the batch: move to this program's matrices.\n"
                         f"batch = tl.program_id(axis={batch_axis})\n"
                         "a_ptr += batch * stride_ab\nb_ptr += batch * stride_bb\nc_ptr += batch * stride_cb")
    else:
        batch_args = batch_offsets = ""
    epilogue = mm.epilogue
    kernel = fill(_KERNEL, name=mm.name, pid_mapping=fill(_PID_MAPPINGS[mapping]), dot=_DOTS[dot],
                  group_arg="GROUP_SIZE_M: tl.constexpr," if mapping == "grouped" else "", doc=mm.doc,
                  epilogue_args="\n".join(f"{a}," for a in epilogue.args) if epilogue else "",
                  epilogue=("# Epilogue on the fp32 tile, fused before the single store.\n" + epilogue.code)
                  if epilogue and epilogue.code else "", batch_args=batch_args, batch_offsets=batch_offsets,
                  store="" if epilogue and epilogue.stores else _TILE_STORE, b_transform=mm.b_transform,
                  k_tiles="K // BLOCK_SIZE_K" if flaw == "floor_k_loop" else "tl.cdiv(K, BLOCK_SIZE_K)",
                  tile_offsets=_EDGES[edges][0], tile_loads=_EDGES[edges][1])
    grid = _TILE_GRIDS[mapping] + (", n_batch" if mm.batch else "")
    strides = [f"{mm.a[1]}, {mm.a[2]},", f"{mm.b[1]}, {mm.b[2]},", f"{mm.c[1]}, {mm.c[2]},"]
    if mm.batch:
        strides.append(f"{mm.batch[1]}, {mm.batch[2]}, {mm.batch[3]},")
    values = "".join(f" {v}," for v in epilogue.values) if epilogue else ""
    launcher = fill('''
        def <<name>>(<<params>>) -> torch.Tensor:
            <<prep>>
            grid = lambda meta: (<<grid>>,)
            <<name>>_kernel[grid](
                <<a>>, <<b>>, <<c>>,<<values>>
                M, N, K,
                <<strides>>
                <<meta>>
            )
            return <<ret>>
        ''', name=mm.name, params=mm.params, prep=mm.prep, grid=grid, a=mm.a[0], b=mm.b[0], c=mm.c[0],
        values=values, strides="\n".join(strides), meta=meta, ret=mm.ret)
    order = {"grouped": f"grouped tile order (GROUP_SIZE_M={params.get('GROUP_SIZE_M')}) for L2 reuse",
             "row_major": "row-major tile order", "grid_2d": "a 2-D launch grid"}[mapping]
    edge_note = {"wrap": "edge tiles wrap their rows and columns inside the matrices",
                 "mask": "edge tiles mask their loads on M, N and K"}[edges]
    prose = (f"A tiled matmul after the Triton tutorial: each program computes a {block_m}x{block_n} tile of "
             f"{mm.doc}, stepping through K in blocks of {block_k} with an fp32 accumulator ({edge_note}), "
             f"in {order}; {num_warps} warps and {num_stages} pipeline stages.")
    if mm.batch:
        prose += " The batch is a grid axis."
    if epilogue and epilogue.doc:
        prose += f" {epilogue.doc}"
    return kernel, launcher, params, prose


# ---------------------------------------------------------------------------------------------- registry ops

def activation_epilogue(activation: str, rng: random.Random) -> str:
    """An elementwise activation of `acc` (one of the elementwise module's bodies, reading `x`)."""
    body = rng.choice(BODIES[activation])
    return f"x = acc\n{body}\nacc = out"


def _two_d(name: str, b: str, *, a_transposed: bool = False, b_transposed: bool = False, doc: str = "c = a @ b",
           note: str = "") -> Matmul:
    """A product of two 2-D operands, either stored transposed (then read with its strides swapped)."""
    a_shape, a_strides = ("K, M", ("a.stride(1)", "a.stride(0)")) if a_transposed else ("M, K", ("a.stride(0)", "a.stride(1)"))
    b_shape, b_strides = ("N, K2", (f"{b}.stride(1)", f"{b}.stride(0)")) if b_transposed else \
        ("K2, N", (f"{b}.stride(0)", f"{b}.stride(1)"))
    prep = (f"{note}{a_shape} = a.shape\n{b_shape} = {b}.shape\n"
            f'assert K == K2, f"incompatible dimensions for {doc}: {{tuple(a.shape)}} and {{tuple({b}.shape)}}"\n'
            "c = torch.empty((M, N), device=a.device, dtype=a.dtype)")
    return Matmul(name, f"a: torch.Tensor, {b}: torch.Tensor", prep, ("a", *a_strides), (b, *b_strides), doc=doc)


def _problem(spec_row: dict, rng: random.Random) -> tuple[Matmul, tuple[int, int, int], str, str, str]:
    """(Matmul, (m, n, k), ModelNew args, init_args, init) for a registry op."""
    op = spec_row["ops"][0]
    dims = registry_dims(spec_row, op)
    dtype = f"torch.{spec_row['dtype']}"
    if op in ("matmul", "matmul_square", "matmul_skinny"):
        m, n, k = (dims["size"],) * 3 if op == "matmul_square" else (dims["m"], dims["n"], dims["k"])
        note = ("# a may be a transposed view: it is read through its strides, no copy.\n"
                if "a" in transposed_inputs(spec_row["reference_code"]) else "")
        return _two_d("matmul", "b", note=note), (m, n, k), "a, b", "", ""
    if op == "matvec":
        return _two_d("matvec", "x", doc="c = a @ x"), (dims["m"], 1, dims["k"]), "a, x", "", ""
    if op == "matmul_transposed_a":
        mm = _two_d("matmul_at", "b", a_transposed=True, doc="c = a.T @ b",
                    note="# a is stored (K, M): a.T is read by swapping its strides, without a copy.\n")
        return mm, (dims["m"], dims["n"], dims["k"]), "a, b", "", ""
    if op == "matmul_transposed_b":
        mm = _two_d("matmul_bt", "b", b_transposed=True, doc="c = a @ b.T",
                    note="# b is stored (N, K): b.T is read by swapping its strides, without a copy.\n")
        return mm, (dims["m"], dims["n"], dims["k"]), "a, b", "", ""
    if op == "bmm":
        mm = Matmul("bmm", "a: torch.Tensor, b: torch.Tensor",
                    "n_batch, M, K = a.shape\nn_batch2, K2, N = b.shape\n"
                    'assert n_batch == n_batch2 and K == K2, f"incompatible: {tuple(a.shape)} @ {tuple(b.shape)}"\n'
                    "c = torch.empty((n_batch, M, N), device=a.device, dtype=a.dtype)",
                    ("a", "a.stride(1)", "a.stride(2)"), ("b", "b.stride(1)", "b.stride(2)"),
                    ("c", "c.stride(1)", "c.stride(2)"), batch=("n_batch", "a.stride(0)", "b.stride(0)", "c.stride(0)"),
                    doc="c[i] = a[i] @ b[i]")
        return mm, (dims["m"], dims["n"], dims["k"]), "a, b", "", ""
    if op == "matmul_broadcast":
        mm = Matmul("matmul_broadcast", "a: torch.Tensor, b: torch.Tensor",
                    "batch, heads, M, K = a.shape\nK2, N = b.shape\n"
                    'assert K == K2, f"incompatible dimensions: {tuple(a.shape)} @ {tuple(b.shape)}"\n'
                    "# (batch, heads) flattened into one batch axis; b is shared by all (batch stride 0).\n"
                    "a = a.reshape(batch * heads, M, K)\nn_batch = batch * heads\n"
                    "c = torch.empty((batch, heads, M, N), device=a.device, dtype=a.dtype)\n"
                    "c3 = c.view(n_batch, M, N)",
                    ("a", "a.stride(1)", "a.stride(2)"), ("b", "b.stride(0)", "b.stride(1)"),
                    ("c3", "c3.stride(1)", "c3.stride(2)"), batch=("n_batch", "a.stride(0)", "0", "c3.stride(0)"),
                    doc="c[i] = a[i] @ b for every (batch, head) i")
        return mm, (dims["m"], dims["n"], dims["k"]), "a, b", "", ""
    # linear, linear_relu, linear_gelu: x @ W.T + bias, then the activation, all in the epilogue
    activation = {"linear": None, "linear_relu": "relu", "linear_gelu": "gelu"}[op]
    code = ("bias = tl.load(bias_ptr + offs_cn, mask=offs_cn < N, other=0.0).to(tl.float32)\n"
            "acc = acc + bias[None, :]")
    doc = "The bias"
    if activation:
        code += "\n" + activation_epilogue(activation, rng)
        doc += f" and the {activation.upper() if activation == 'relu' else 'GELU'}"
    epilogue = Epilogue(code, ("bias_ptr",), ("bias",), doc + " are applied to the fp32 tile before the store.")
    mm = Matmul("linear", "x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor",
                "M, K = x.shape\nN, K2 = weight.shape\n"
                'assert K == K2, f"x {tuple(x.shape)} does not match weight {tuple(weight.shape)}"\n'
                "c = torch.empty((M, N), device=x.device, dtype=x.dtype)",
                ("x", "x.stride(0)", "x.stride(1)"), ("weight", "weight.stride(1)", "weight.stride(0)"),
                epilogue=epilogue, doc="x @ weight.T + bias")
    init = ("# The same nn.Linear as the reference, built under the same seed: the same weight and bias.\n"
            f"self.linear = nn.Linear(in_features, out_features, bias=True, dtype={dtype})")
    return mm, (dims["tokens"], dims["out_features"], dims["in_features"]), "x", "in_features, out_features", init


_CALLS = {"linear": "linear(x, self.linear.weight, self.linear.bias)"}


def _render(spec_row: dict, rng: random.Random, mapping: str, flaw: str | None) -> Draft:
    op = spec_row["ops"][0]
    mm, (m, n, k), args, init_args, init = _problem(spec_row, rng)
    kernel, launcher, params, prose = kernel_and_launcher(mm, spec_row, rng, mapping, flaw, m, n, k)
    call = _CALLS.get(mm.name, f"{mm.name}({args})")
    doc = OPS[op].doc.format(**registry_dims(spec_row, op))
    code = module(kernel, launcher, model_new(f"Computes {doc} with a Triton kernel.", args, call,
                                              init_args=init_args, init=init))
    return Draft(variant=flaw or mapping, flaw=flaw, params=params, code=code, prose=prose)


def check(spec_row: dict) -> None:
    registry_dims(spec_row, spec_row["ops"][0])


def k_of(spec_row: dict) -> int:
    op = spec_row["ops"][0]
    dims = registry_dims(spec_row, op)
    return dims.get("k", dims.get("size", dims.get("in_features")))


def variants(render=_render, k=k_of) -> tuple[Variant, ...]:
    def correct(mapping):
        return Variant(mapping, lambda s: True, lambda s, rng: render(s, rng, mapping, None))

    def flawed(name, applies):
        return Variant(name, applies, lambda s, rng: render(s, rng, rng.choice(sorted(_PID_MAPPINGS)), name),
                       flaw=name)

    return (
        correct("grouped"),
        correct("row_major"),
        correct("grid_2d"),
        flawed("tf32_dot", lambda s: s["dtype"] == "float32"),
        # Every block size leaves a partial K tile when K is not a multiple of 16.
        flawed("floor_k_loop", lambda s: k(s) % 16 != 0),
    )


_OPS = ("matmul", "matmul_square", "matmul_skinny", "matvec", "bmm", "matmul_broadcast", "matmul_transposed_a",
        "matmul_transposed_b", "linear", "linear_relu", "linear_gelu")
GROUPS = (Group("matmul", _OPS, check, variants()),)
