"""Framing for the pipe between the verifier and its sandboxed child.

A message is a JSON header plus zero or more binary blobs. The parent reads what the child sends as
hostile: sizes are bounded before anything is allocated, the header is JSON (never pickle), so a candidate
cannot run code in the verifier by what it sends back.

Two blob formats. The hot path, every checked call's inputs and outputs, is a *tensor frame*
(`pack_tensors` / `unpack_tensors`): a JSON description of each value (a tensor's dtype, shape, strides and
where its bytes lie) followed by the raw bytes of each tensor's storage span, written from the tensor's own
memory and read into one buffer the tensors then view: no pickling, no zip archive, no copy on either side
beyond the pipe's. At real scale this was most of a candidate's verification: `torch.save` and `torch.load`
of a 235 MB bf16 tensor's inputs and outputs, and the inputs sent back, about 80 of 196 s for two inductor
candidates on an H100 (BENCHMARKS.md). What the frame cannot describe as a tensor or a JSON scalar (an
init input of another type) goes as `torch.save` bytes inside it, loaded with `torch.load(weights_only=True)`,
as the rare messages outside the hot path (`tensors_to_bytes`) still are.
"""

from __future__ import annotations

import io
import json
import os
import select
import struct

from filters.verifier.deadline import remaining, wait_slice

_LENGTH = struct.Struct(">Q")
MAX_HEADER_BYTES = 1 << 20
# Each tensor's bytes start at a multiple of this within a frame, so a dtype view of the frame's buffer
# is aligned (and vector loads in the copies that follow are too).
FRAME_ALIGN = 64
MAX_FRAME_META_BYTES = 1 << 20
MAX_FRAME_ITEMS = 4096
# Bytes per os.write: a pipe made large (PIPE_BYTES) takes this in one call; fewer wake-ups per message.
_CHUNK = 1 << 20
PIPE_BYTES = 1 << 20
_F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ (Linux), absent from the fcntl module before Python 3.10


class ChannelClosed(Exception):
    """The other end closed the pipe (the child exited or crashed)."""


class MessageTooLarge(Exception):
    """The other end announced more bytes than the reader allows."""


class DeadlineExceeded(Exception):
    """The other end did not answer (or did not read) before the deadline."""


def widen_pipe(fd: int) -> None:
    """Give a pipe a buffer of PIPE_BYTES (Linux's default is 64 KiB), where the system allows it: big
    tensors then cross in a few large writes instead of thousands of small ones."""
    import fcntl

    try:
        fcntl.fcntl(fd, _F_SETPIPE_SZ, PIPE_BYTES)
    except OSError:  # over /proc/sys/fs/pipe-max-size, or not Linux: the default buffer still works
        pass


def write_message(fd: int, header: dict, blobs=(), *, deadline: float | None = None) -> None:
    """Send one message; `deadline` (time.monotonic()) bounds how long a reader that stalls can hold us. A
    blob is bytes-like, or a list of bytes-like segments sent as one blob (a tensor frame, `pack_tensors`)."""
    blobs = [list(blob) if isinstance(blob, (list, tuple)) else [blob] for blob in blobs]
    header = dict(header, blob_sizes=[sum(_nbytes(part) for part in blob) for blob in blobs])
    encoded = json.dumps(header).encode()
    _write_all(fd, _LENGTH.pack(len(encoded)) + encoded, deadline)
    for blob in blobs:
        for part in blob:
            _write_all(fd, part, deadline)


def read_message(fd: int, *, max_blob_bytes: int, deadline: float | None = None) -> tuple[dict, list[bytes]]:
    """Receive one message, refusing oversized ones before allocating for them."""
    size = _LENGTH.unpack(_read_exact(fd, _LENGTH.size, deadline))[0]
    if size > MAX_HEADER_BYTES:
        raise MessageTooLarge(f"header of {size} bytes")
    header = json.loads(_read_exact(fd, size, deadline))
    if not isinstance(header, dict):
        raise MessageTooLarge("header is not a JSON object")
    sizes = header.get("blob_sizes", [])
    if not isinstance(sizes, list) or not all(isinstance(n, int) and n >= 0 for n in sizes):
        raise MessageTooLarge("malformed blob sizes")
    if sum(sizes) > max_blob_bytes:
        raise MessageTooLarge(f"{sum(sizes)} bytes of tensors, more than the {max_blob_bytes} allowed")
    return header, [_read_exact(fd, n, deadline) for n in sizes]


def _nbytes(part) -> int:
    return memoryview(part).nbytes


def pack_tensors(values) -> list:
    """A tensor frame of a list of values, as segments for `write_message`: tensors (CPU or GPU: a GPU
    tensor's bytes are copied to the host here), JSON scalars, and anything else as `torch.save` bytes. Each
    tensor keeps its dtype, shape and strides, and its bytes are those of its storage span (from its first to
    its last element), so a strided or expanded tensor arrives with the same layout it had."""
    import torch

    meta, segments, offset = [], [], 0

    def place(data) -> int:
        nonlocal offset
        start = -(-offset // FRAME_ALIGN) * FRAME_ALIGN
        if start > offset:
            segments.append(bytes(start - offset))
        segments.append(data)
        offset = start + _nbytes(data)
        return start

    for value in values:
        if (type(value) is torch.Tensor or isinstance(value, torch.nn.Parameter)) \
                and value.layout == torch.strided and not value.is_quantized:
            value = value.detach()
            span = 1 + sum((size - 1) * stride for size, stride in zip(value.shape, value.stride())) \
                if value.numel() else 0
            flat = value.as_strided((span,), (1,), value.storage_offset()).to("cpu")
            data = flat.view(torch.uint8).numpy().data if span else b""
            item = {"tensor": str(value.dtype).removeprefix("torch."), "shape": list(value.shape),
                    "stride": list(value.stride()), "nbytes": _nbytes(data)}
            meta.append(item)
            item["at"] = place(data)
        elif value is None or type(value) in (bool, int, float, str):
            meta.append({"value": value})
        else:
            data = tensors_to_bytes(value)
            item = {"saved": len(data)}
            meta.append(item)
            item["at"] = place(data)
    head = json.dumps(meta).encode()
    lead = _LENGTH.size + len(head)
    pad = -(-lead // FRAME_ALIGN) * FRAME_ALIGN - lead
    return [_LENGTH.pack(len(head) + pad) + head + b" " * pad, *segments]


def unpack_tensors(frame) -> list:
    """The values of a tensor frame (`pack_tensors`), tensors on the CPU viewing the frame's buffer.
    Written for a hostile sender: every field is type-checked and every tensor must lie inside the frame;
    anything else raises ValueError."""
    import torch

    buffer = frame if isinstance(frame, bytearray) else bytearray(frame)
    if len(buffer) < _LENGTH.size:
        raise ValueError("a tensor frame shorter than its header length")
    head_size = _LENGTH.unpack_from(buffer)[0]
    if head_size > MAX_FRAME_META_BYTES or _LENGTH.size + head_size > len(buffer):
        raise ValueError("a tensor frame's description is larger than the frame")
    meta = json.loads(bytes(buffer[_LENGTH.size:_LENGTH.size + head_size]))
    if not isinstance(meta, list) or len(meta) > MAX_FRAME_ITEMS:
        raise ValueError("a tensor frame's description is not a list of at most %d items" % MAX_FRAME_ITEMS)
    base = _LENGTH.size + head_size
    data = torch.frombuffer(buffer, dtype=torch.uint8) if len(buffer) else torch.empty(0, dtype=torch.uint8)
    values = []
    for item in meta:
        if not isinstance(item, dict):
            raise ValueError("a tensor frame item is not an object")
        if set(item) == {"value"}:
            if item["value"] is not None and type(item["value"]) not in (bool, int, float, str):
                raise ValueError("a tensor frame value is not a JSON scalar")
            values.append(item["value"])
        elif set(item) == {"saved", "at"}:
            start, size = _extent(item["at"], item["saved"], base, len(buffer))
            values.append(tensors_from_bytes(bytes(buffer[start:start + size])))
        elif set(item) == {"tensor", "shape", "stride", "nbytes", "at"}:
            values.append(_tensor(item, data, base, len(buffer)))
        else:
            raise ValueError(f"a tensor frame item has the fields {sorted(item)[:6]}")
    return values


def _extent(at, size, base: int, total: int) -> tuple[int, int]:
    if type(at) is not int or type(size) is not int or at < 0 or size < 0 or base + at + size > total:
        raise ValueError("a tensor frame item lies outside the frame")
    return base + at, size


def _tensor(item: dict, data, base: int, total: int):
    import torch

    dtype = getattr(torch, item["tensor"], None) if isinstance(item["tensor"], str) else None
    if not isinstance(dtype, torch.dtype):
        raise ValueError(f"a tensor frame item has an unknown dtype {str(item['tensor'])[:40]!r}")
    shape, stride = item["shape"], item["stride"]
    if not (isinstance(shape, list) and isinstance(stride, list) and len(shape) == len(stride) <= 64
            and all(type(n) is int and n >= 0 for n in shape + stride)):
        raise ValueError("a tensor frame item has a malformed shape or stride")
    start, size = _extent(item["at"], item["nbytes"], base, total)
    numel = 1
    for n in shape:
        numel *= n
    span = 1 + sum((n - 1) * s for n, s in zip(shape, stride)) if numel else 0
    width = dtype.itemsize
    if size != span * width or start % max(width, 1):
        raise ValueError("a tensor frame item's bytes do not match its shape and strides")
    if not span:
        return torch.empty(shape, dtype=dtype)
    return data[start:start + size].view(dtype).as_strided(shape, stride)


def tensors_to_bytes(tensors) -> bytes:
    import torch

    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    return buffer.getvalue()


def tensors_from_bytes(blob: bytes):
    import torch

    return torch.load(io.BytesIO(blob), weights_only=True, map_location="cpu")


def _wait(fd: int, deadline, *, for_write: bool) -> None:
    """Block until `fd` is ready, or raise DeadlineExceeded once `deadline` (filters.verifier.deadline: an
    instant or a CPU-time budget) has passed."""
    if deadline is None:
        return
    while True:
        wait = wait_slice(deadline)
        ready = select.select([], [fd], [], wait)[1] if for_write else select.select([fd], [], [], wait)[0]
        if ready:
            return
        if remaining(deadline) <= 0:
            raise DeadlineExceeded()


def _write_all(fd: int, data, deadline: float | None) -> None:
    view = memoryview(data).cast("B")
    while view:
        _wait(fd, deadline, for_write=True)
        try:
            written = os.write(fd, view[:_CHUNK])
        except BlockingIOError:  # non-blocking fd (the parent's side): wait for room again
            continue
        except BrokenPipeError:
            raise ChannelClosed() from None
        view = view[written:]


def _read_exact(fd: int, size: int, deadline: float | None) -> bytearray:
    """`size` bytes, read straight into the buffer that is returned (tensors of a frame view it)."""
    buffer = bytearray(size)
    view, done = memoryview(buffer), 0
    while done < size:
        _wait(fd, deadline, for_write=False)
        try:
            count = os.readv(fd, [view[done:done + _CHUNK]])
        except BlockingIOError:
            continue
        if not count:
            raise ChannelClosed()
        done += count
    return buffer
