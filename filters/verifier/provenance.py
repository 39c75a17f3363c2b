"""Runtime evidence, gathered in the sandboxed child, of who did the work of a candidate's forward.

DESIGN section 4.2 asks for proof that the candidate's own kernels ran and produced the output. Counting
launches is not enough: a decoy kernel can be launched while `x.clone()` or `x.t().contiguous()` returns the
answer. So while forward runs, every PyTorch operation is seen by a `TorchDispatchMode` (below autograd,
so method calls, operators and functional aliases all arrive as the same aten ops), and every Triton
launch records the storages of its tensor arguments. Per storage the recorder keeps who wrote it during
this call. The output is proven only when a Triton kernel received its storage and no PyTorch operation
other than allocation or initialisation (empty, zeros, fill_) wrote it.

Classes of aten ops:
- allocation and initialisation (`empty*`, `zeros*`, `full*`, `fill_` with a number, `zero_`, `arange`): allowed;
  `fill_` given a tensor's value is a copy of data, recorded as a write by PyTorch;
- views (`op.is_view`: view, t, permute, slice, ...): allowed, they write nothing;
- copies (`clone`, `copy_`, `_to_copy`, ...): allowed for layout (a launcher may make an input
  contiguous), recorded as writes, and reported when they narrow a floating dtype. A copy of what kernels
  made in this call (an fp32 accumulator returned as `acc.to(x.dtype)`, `out.copy_(acc)`) is the kernels'
  output too: see `Provenance.made_by_kernels`;
- everything else is computation done by PyTorch, which a candidate is not allowed to do: reported.

Limits, said plainly: a spec whose whole work is a layout change (a transpose) can be done by an allowed
copy of an input that a kernel then copies again; the recorder sees only what goes through the dispatcher
in this process (the static gate keeps the candidate from reaching private torch APIs that could pop the
mode); which kernel argument a kernel writes is not known, so every tensor argument counts as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch.utils._python_dispatch import TorchDispatchMode

_INITIALISERS = {
    "empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided", "zeros", "zeros_like",
    "new_zeros", "ones", "ones_like", "new_ones", "full", "full_like", "new_full", "fill", "fill_", "zero_",
    "arange", "scalar_tensor", "lift_fresh",
}
_VALUE_FILLS = {"fill", "fill_"}
_COPIES = {"clone", "copy", "copy_", "_to_copy", "_copy_from", "_copy_from_and_resize", "contiguous",
           "_unsafe_view", "alias", "detach", "_reshape_alias", "resize_"}
# Host-side metadata queries that touch no data (dtype promotion reads dtypes only: FlagGems' launchers ask it).
_METADATA = {"sym_size", "sym_stride", "sym_numel", "sym_storage_offset", "is_contiguous", "size", "stride",
             "dim", "numel", "is_same_size", "_has_compatible_shallow_copy_type", "record_stream",
             "promote_types", "result_type", "can_cast",
             # `torch.tensor(...)` detaches its result in place under inference mode: autograd metadata, no data
             "detach_"}

KERNEL = "triton kernel"
# The custom operators the loaded candidate registered (`torch.library.custom_op` / `triton_op`, as the static
# gate allows them: filters.verifier.static.custom_ops), by qualified name, with the Python function each runs.
# The sandboxed child fills it when it loads a candidate and empties it when it unloads one.
CANDIDATE_OPS: dict = {}


def _composite(func) -> bool:
    """Whether `func` is a CompositeImplicitAutograd op: one made of other aten ops, which autograd's dispatch
    key decomposes before a mode sees it, unless autograd is skipped (inference mode)."""
    return torch._C._dispatch_has_kernel_for_dispatch_key(func.name(), "CompositeImplicitAutograd")


def _storage_key(tensor: torch.Tensor) -> int | None:
    try:
        return tensor.untyped_storage().data_ptr() if tensor.numel() else None
    except (RuntimeError, NotImplementedError):  # no storage (a meta or subclass tensor)
        return None


def _tensors(value):
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)


def _in_storage(addresses, out: torch.Tensor):
    """Which of `addresses` (a numpy uint64 array) fall inside `out`'s storage."""
    start = out.untyped_storage().data_ptr()
    return (addresses >= start) & (addresses < start + out.untyped_storage().nbytes())


@dataclass
class Provenance:
    """What one call of forward did, as seen from inside the child."""

    writers: dict[int, list[str]] = field(default_factory=dict)  # storage -> who wrote it, in order
    # Storages PyTorch wrote by a copy (x.clone(), x.contiguous()): what the copy held, and which of their
    # bytes Triton kernels stored to since (seen by the interpreter: `kernel_stored`).
    copies: dict[int, CopyCoverage] = field(default_factory=dict)
    torch_compute: list[str] = field(default_factory=list)  # aten ops that computed, first few
    narrowing: list[str] = field(default_factory=list)  # casts to a less precise float: "float32->float16"
    narrowed: list[int | None] = field(default_factory=list)  # the storage each of those casts wrote
    launches: int = 0
    # Storages allocated during this call (by an initialiser or as a PyTorch op's result): never an input,
    # a parameter or anything kept from an earlier call.
    fresh: set = field(default_factory=set)
    # Per storage PyTorch copied into, the storage each copy read (None where the copy changed the kind of
    # value, a float to an integer or a bool, which computes something: `_value_kind`), in order.
    copied_from: dict[int, list[int | None]] = field(default_factory=dict)
    # Addresses Triton kernels added floats to with atomic adds (seen by the interpreter: `atomic_added`), and
    # per add the rounding it may honestly have cost (`filters.verifier.truth.atomic_rounding`).
    atomic_adds: list = field(default_factory=list)
    atomic_slack: list = field(default_factory=list)

    def write(self, tensor: torch.Tensor, who: str, *, fresh: bool = False) -> None:
        key = _storage_key(tensor)
        if key is None:
            return
        if fresh:  # a new storage: whatever an earlier, freed tensor at this address did no longer counts
            self.writers[key] = [who]
            self.fresh.add(key)
            self.copied_from.pop(key, None)
            # a narrowing cast into an earlier, freed tensor at this address wrote no output made here
            self.narrowed = [None if narrowed == key else narrowed for narrowed in self.narrowed]
        else:
            self.writers.setdefault(key, []).append(who)
        if who != KERNEL and not who.startswith("init:"):
            # PyTorch wrote it: kernel stores before this no longer count; remember what it holds now.
            # Only the CPU interpreter reports stores (`kernel_stored`); on a GPU a copy's bytes are kept
            # (on the device) all the same, to tell a copy the kernels changed from one they wrote back.
            if tensor.device.type == "cpu" or _is_copy(who):
                self.copies[key] = CopyCoverage.of(tensor)
            else:
                self.copies.pop(key, None)

    def kernel_stored(self, addresses, mask, itemsize: int) -> None:
        """A Triton kernel stored `itemsize`-byte values at `addresses` (a numpy array) where `mask`."""
        import numpy as np

        if not self.copies:
            return
        stored = np.asarray(addresses, dtype=np.uint64).reshape(-1)
        if mask is not None:
            stored = stored[np.broadcast_to(np.asarray(mask, dtype=bool), np.shape(addresses)).reshape(-1)]
        for coverage in self.copies.values():
            coverage.mark(stored, itemsize)

    def atomic_added(self, addresses, mask, slack) -> None:
        """A Triton kernel added floats at `addresses` (a numpy array) where `mask`, atomically; `slack` (per
        lane, float64) is the rounding each add may honestly have cost."""
        import numpy as np

        added = np.asarray(addresses, dtype=np.uint64).reshape(-1)
        slack = np.broadcast_to(np.asarray(slack, dtype=np.float64), np.shape(addresses)).reshape(-1)
        if mask is not None:
            kept = np.broadcast_to(np.asarray(mask, dtype=bool), np.shape(addresses)).reshape(-1)
            added, slack = added[kept], slack[kept]
        self.atomic_adds.append(added)
        self.atomic_slack.append(slack)

    def atomic_slack_of(self, outputs: list) -> list:
        """Per output, the rounding its elements' atomic adds may honestly have cost, summed per element
        (float64, in the output's sizes); [] where no atomic add reached an output. The verifier allows an
        atomic kernel this much and no more (`filters.verifier.truth.beyond_honest_error`): the adds it
        really made, not a count it could buy by splitting one store into several."""
        import numpy as np

        if not self.atomic_adds:
            return []
        added, slack = np.concatenate(self.atomic_adds), np.concatenate(self.atomic_slack)
        per_output, reached = [], False
        for out in outputs:
            if not isinstance(out, torch.Tensor) or not out.numel() or out.device.type != "cpu":
                per_output.append(torch.zeros(getattr(out, "shape", ()), dtype=torch.float64))
                continue
            inside = _in_storage(added, out)
            size = out.element_size()
            storage = np.zeros(out.untyped_storage().nbytes() // size, dtype=np.float64)
            start = out.untyped_storage().data_ptr()
            np.add.at(storage, ((added[inside] - start) // size).astype(np.int64), slack[inside])
            reached |= bool(inside.any())
            per_output.append(torch.from_numpy(storage).as_strided(out.shape, out.stride(), out.storage_offset())
                              .clone())
        return per_output if reached else []

    def atomic_adds_per_element(self, outputs: list) -> int:
        """The most atomic float adds any one element of `outputs` received in this call (0: none). An
        output accumulated with atomics (an index_add's scatter, a split-K reduction) has elements that
        received several; a kernel that stores each element with one atomic add accumulates nothing with
        atomics, whatever it calls."""
        import numpy as np

        if not self.atomic_adds:
            return 0
        added = np.concatenate(self.atomic_adds)
        most = 0
        for out in outputs:
            if not isinstance(out, torch.Tensor) or not out.numel() or out.device.type != "cpu":
                continue
            inside = added[_in_storage(added, out)]
            if inside.size:
                most = max(most, int(np.unique(inside, return_counts=True)[1].max()))
        return most

    def unproven_output(self, output: torch.Tensor) -> str | None:
        """None if a kernel produced `output`, else one sentence saying why not. An output PyTorch wrote
        (a copy of an input) is the kernels' when they stored to every one of its elements after that
        write (a launcher's `x.clone()` or `x.contiguous()` buffer that a kernel then fills in place)."""
        key = _storage_key(output)
        if key is None:
            return None  # nothing to produce
        writers = self.writers.get(key, [])
        torch_writers = [w for w in writers if w != KERNEL and not w.startswith("init:")]
        if torch_writers:
            coverage = self.copies.get(key)
            if KERNEL in writers and coverage is not None and coverage.covers(output):
                return None
            if coverage is not None and coverage.stored is None and writers[-1] == KERNEL \
                    and all(map(_is_copy, torch_writers)):
                # On a GPU no store is seen: a copy (a launcher's `x.clone()` buffer) that a kernel received
                # after PyTorch's last write is taken as the kernel's, and one the kernels wrote back
                # unchanged on every call is rejected (`copy_unchanged`), as under the interpreter.
                return None
            if self.made_by_kernels(key):
                return None
            return f"the output was written by PyTorch ({torch_writers[-1]}), not only by a Triton kernel"
        if KERNEL not in writers:
            return "no Triton kernel launched in this call received the output's memory"
        return None

    def narrowing_before(self, outputs: list) -> list[str]:
        """The narrowing casts other than those that wrote an output: a cast into the output makes the output's
        own dtype, which the verifier holds to the reference's (an fp32 buffer returned as the spec's fp16
        output is as precise as the reference's own final cast); a cast before the kernels lowers the
        precision they compute in."""
        written = {_storage_key(out) for out in outputs} - {None}
        return [cast for cast, key in zip(self.narrowing, self.narrowed) if key not in written]

    def cast_born(self, output: torch.Tensor) -> bool:
        """Whether `output` is a PyTorch copy or cast of storages kernels made in this call (`made_by_kernels`),
        rather than a storage a kernel wrote itself."""
        key = _storage_key(output)
        return key is not None and bool(self.copied_from.get(key)) and self.made_by_kernels(key)

    @staticmethod
    def cast_of_input(output: torch.Tensor, inputs: list) -> bool:
        """Whether `output` holds exactly an input cast to its dtype, with its dimensions in any order. When a
        kernel-made buffer that PyTorch casts or relays into the output always equals an input so, the kernel
        only copied and PyTorch did the work: a decoy copy kernel before `.to(torch.float16)` for a spec
        that is a cast, or before `.t().contiguous()` for a spec that is a transpose
        (rt_torch_transpose_after_kernel_copy). The verifier rejects when this holds on every call it checks
        (an honest kernel's output can equal its input on some draws: a ReLU of non-negative values)."""
        import itertools

        for x in inputs:
            if not isinstance(x, torch.Tensor) or x.numel() != output.numel() or x.device != output.device \
                    or x.dim() != output.dim() or x.dim() > 5:
                continue
            for order in itertools.permutations(range(x.dim())):
                moved = x.permute(order)
                if moved.shape == output.shape and torch.equal(moved.to(output.dtype), output):
                    return True
        return False

    def made_by_kernels(self, key: int, depth: int = 0) -> bool:
        """Whether storage `key` was allocated in this call and holds only what Triton kernels made: a
        kernel received it and PyTorch only allocated it, or PyTorch wrote it only by copying (a cast
        between float types, a layout change) storages that are themselves made by kernels. An input, a
        parameter or a copy of one never is: their values were not made in this call."""
        if depth > 8 or key not in self.fresh:
            return False
        writers = self.writers.get(key, [])
        torch_writers = [w for w in writers if w != KERNEL and not w.startswith("init:")]
        if not torch_writers:
            return KERNEL in writers
        sources = self.copied_from.get(key, [])
        if len(sources) != len(torch_writers) or not all(map(_is_copy, torch_writers)):
            return False
        return all(source is not None and source != key and self.made_by_kernels(source, depth + 1)
                   for source in sources)

    def copy_unchanged(self, output: torch.Tensor) -> bool:
        """Whether `output` is a PyTorch copy that kernels stored over with exactly what the copy held: the
        copy, not the kernel, produced it (a decoy that writes back what it reads). Honest in-place work can
        leave a copy unchanged on some inputs (a ReLU of non-negative values), so the verifier rejects only
        when this holds on every call it checks."""
        key = _storage_key(output)
        coverage = self.copies.get(key) if key is not None else None
        if coverage is None:
            return False
        if coverage.stored is None:  # a GPU: no store is seen, so a kernel must have received it after the copy
            return self.writers.get(key, [None])[-1] == KERNEL and coverage.unchanged(output)
        return coverage.covers(output) and coverage.unchanged(output)


def _is_copy(writer: str) -> bool:
    """Whether a recorded PyTorch writer (`aten.clone`) only copied or relaid data (`_COPIES`)."""
    return writer.removeprefix("aten.") in _COPIES


def overlaps(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether the storages of `a` and `b` share any byte (empty tensors share nothing)."""
    try:
        if not a.numel() or not b.numel() or a.device != b.device:
            return False
        sa, sb = a.untyped_storage(), b.untyped_storage()
    except (RuntimeError, NotImplementedError):
        return False
    start_a, start_b = sa.data_ptr(), sb.data_ptr()
    return start_a < start_b + sb.nbytes() and start_b < start_a + sa.nbytes()


@dataclass
class CopyCoverage:
    """One storage PyTorch wrote: its bytes then, and which bytes kernels stored to since."""

    start: int
    snapshot: torch.Tensor  # uint8, the storage's bytes right after PyTorch wrote it (on its device)
    stored: object  # numpy bool array, one per byte; None on a GPU, where no store is seen

    @classmethod
    def of(cls, tensor: torch.Tensor) -> CopyCoverage:
        import numpy as np

        storage = tensor.untyped_storage()
        raw = torch.empty(0, dtype=torch.uint8, device=tensor.device).set_(storage, 0, (storage.nbytes(),), (1,))
        if tensor.device.type != "cpu":
            return cls(storage.data_ptr(), raw.clone(), None)
        return cls(storage.data_ptr(), raw.to("cpu", copy=True), np.zeros(storage.nbytes(), dtype=bool))

    def mark(self, addresses, itemsize: int) -> None:
        import numpy as np

        if self.stored is None:
            return

        end = self.start + len(self.stored)
        inside = addresses[(addresses >= self.start) & (addresses < end)]
        if not len(inside):
            return
        offsets = (inside - np.uint64(self.start)).astype(np.int64)
        for byte in range(itemsize):
            self.stored[np.minimum(offsets + byte, len(self.stored) - 1)] = True

    def _byte_offsets(self, output: torch.Tensor):
        """The byte offsets (into the storage) of every byte of every element of `output`."""
        import numpy as np

        index = torch.arange(output.untyped_storage().nbytes() // output.element_size())
        elements = index.as_strided(output.shape, output.stride(), output.storage_offset()).reshape(-1).numpy()
        size = output.element_size()
        return (elements[:, None] * size + np.arange(size)[None, :]).reshape(-1)

    def _span(self, output: torch.Tensor):
        """A slice over the storage's bytes when `output` is contiguous (the common case), else the byte
        offsets of every byte of every element."""
        if output.is_contiguous():
            start = output.storage_offset() * output.element_size()
            return slice(start, start + output.numel() * output.element_size())
        return self._byte_offsets(output)

    def covers(self, output: torch.Tensor) -> bool:
        return self.stored is not None and bool(self.stored[self._span(output)].all())

    def unchanged(self, output: torch.Tensor) -> bool:
        span = self._span(output)
        if not isinstance(span, slice):
            span = torch.from_numpy(span).to(self.snapshot.device)
        storage = output.untyped_storage()
        now = torch.empty(0, dtype=torch.uint8, device=output.device).set_(storage, 0, (storage.nbytes(),), (1,))
        return bool(torch.equal(now.to(self.snapshot.device)[span], self.snapshot[span]))


class ProvenanceRecorder(TorchDispatchMode):
    """Active around one forward call. `paused` is raised while Triton itself runs (its interpreter and
    autotuner use torch ops that are not the candidate's)."""

    def __init__(self) -> None:
        super().__init__()
        self.record = Provenance()
        self.paused = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        implementation = CANDIDATE_OPS.get(func._schema.name) if not self.paused else None
        if implementation is not None:
            # The candidate's own operator: to the dispatcher one opaque op, in fact candidate code. Run its
            # function under the mode, as torch.compile's tracing does, so its allocations, copies and
            # launches are recorded as if forward had called it directly.
            with self:
                return implementation(*args, **kwargs)
        if not self.paused and _composite(func):
            # Under inference mode composite ops reach the mode whole (`aten.to.dtype`, a view by its schema,
            # where autograd's dispatch would have shown `aten._to_copy`): run their decomposition under the
            # mode, so that what they do arrives as the ops the other grad modes show.
            with self:
                result = func.decompose(*args, **kwargs)
            if result is not NotImplemented:
                return result
        result = func(*args, **kwargs)
        if self.paused:
            return result
        name = func.overloadpacket.__name__
        if func.is_view or name in _METADATA:
            return result
        # `t.fill_(value)` with a 0-dim tensor as the value writes data PyTorch holds, not a constant: a
        # copy (a kernel's result broadcast over an output it was merely handed), recorded as such below.
        tensor_valued = name in _VALUE_FILLS and any(isinstance(a, torch.Tensor) for a in [*args[1:], *kwargs.values()])
        if name in _INITIALISERS and not tensor_valued:
            for tensor in _tensors(result):
                self.record.write(tensor, f"init:{name}", fresh=not name.endswith("_"))
            return result
        if name not in _COPIES and not tensor_valued and len(self.record.torch_compute) < 8:
            self.record.torch_compute.append(f"aten.{name}")
        # Results of non-inplace ops are fresh storages; in-place and out= ops write their arguments.
        written_args = [args[i] for i, arg in enumerate(func._schema.arguments[:len(args)])
                        if arg.alias_info is not None and arg.alias_info.is_write]
        written_args += [kwargs[arg.name] for arg in func._schema.arguments
                         if arg.alias_info is not None and arg.alias_info.is_write and arg.name in kwargs]
        written_keys = {_storage_key(t) for t in _tensors(written_args)}
        for tensor in _tensors(written_args):
            self.record.write(tensor, f"aten.{name}")
        for tensor in _tensors(result):
            if _storage_key(tensor) not in written_keys:
                self.record.write(tensor, f"aten.{name}", fresh=True)
        if name in _COPIES or tensor_valued:  # after the writes, which forget what a reused address did
            self._note_narrowing(name, args, kwargs, result)
        if name in _COPIES:
            self._note_copy(name, args, result)
        return result

    def _note_copy(self, name, args, result) -> None:
        """Which storage each copy read, for `Provenance.made_by_kernels`."""
        for src, dst in _copy_pairs(name, args, result):
            key = _storage_key(dst)
            if key is None or key == _storage_key(src):  # the same storage: nothing was copied
                continue
            same_kind = _value_kind(src.dtype) == _value_kind(dst.dtype)
            self.record.copied_from.setdefault(key, []).append(_storage_key(src) if same_kind else None)

    def _note_narrowing(self, name, args, kwargs, result) -> None:
        """A copy into a less precise float dtype, and the storage it wrote (`Provenance.narrowing_before`).
        `fill_` with a 0-dim tensor value copies that tensor; other copies pair as `_copy_pairs` says."""
        if name in _COPIES:
            pairs = _copy_pairs(name, args, result)
        else:  # fill_(self, value) writes self; functional fill(self, value) returns a new tensor
            values = list(_tensors([*args[1:], *kwargs.values()]))[:1]
            pairs = list(zip(values, _tensors(args[:1] if name == "fill_" else result)))
        for src, dst in pairs:
            if src.is_floating_point() and dst.is_floating_point() and \
                    torch.finfo(dst.dtype).eps > torch.finfo(src.dtype).eps:
                self.record.narrowing.append(f"{_dtype_name(src.dtype)}->{_dtype_name(dst.dtype)}")
                self.record.narrowed.append(_storage_key(dst))

    def kernel_launched(self, args, kwargs) -> None:
        """Called by the launch hook before a Triton kernel runs with these arguments."""
        self.record.launches += 1
        for value in list(args) + list(kwargs.values()):
            base = getattr(value, "base", None)  # a host-side TensorDescriptor wraps its tensor
            for tensor in _tensors(base if isinstance(base, torch.Tensor) else value):
                self.record.write(tensor, KERNEL)


def _copy_pairs(name: str, args, result) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(source, target) tensors of one copy op: `copy_(self, src)` writes self; functional `copy(self, src)`
    returns a new tensor with self's dtype holding src; `_copy_from(self, dst)` reads self and writes dst;
    the rest (`clone`, `_to_copy`, `contiguous`, ...) read their first argument into their result."""
    if name == "copy_":
        sources, targets = args[1:2], args[:1]
    elif name == "copy":
        sources, targets = args[1:2], result
    elif name in ("_copy_from", "_copy_from_and_resize"):
        sources, targets = args[:1], args[1:2]
    else:
        sources, targets = args[:1], result
    return list(zip(_tensors(sources), _tensors(targets)))


def _value_kind(dtype: torch.dtype) -> str:
    """A cast within a kind (fp32 to bf16, int32 to int64) only rounds or widens; one across kinds computes
    something (a float to a bool is `x != 0`, to an integer a truncation)."""
    if dtype.is_floating_point:
        return "float"
    if dtype.is_complex:
        return "complex"
    return "bool" if dtype == torch.bool else "integer"


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")
