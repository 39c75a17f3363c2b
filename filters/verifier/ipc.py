"""Framing for the pipe between the verifier and its sandboxed child.

A message is a JSON header plus zero or more binary blobs (tensors serialised with `torch.save`). The
parent reads what the child sends as hostile: sizes are bounded before anything is allocated, the header
is JSON (never pickle), and blobs are loaded with `torch.load(weights_only=True)`, which refuses arbitrary
objects, so a candidate cannot run code in the verifier by what it sends back.
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


class ChannelClosed(Exception):
    """The other end closed the pipe (the child exited or crashed)."""


class MessageTooLarge(Exception):
    """The other end announced more bytes than the reader allows."""


class DeadlineExceeded(Exception):
    """The other end did not answer (or did not read) before the deadline."""


def write_message(fd: int, header: dict, blobs: list[bytes] = (), *, deadline: float | None = None) -> None:
    """Send one message; `deadline` (time.monotonic()) bounds how long a reader that stalls can hold us."""
    header = dict(header, blob_sizes=[len(blob) for blob in blobs])
    encoded = json.dumps(header).encode()
    _write_all(fd, _LENGTH.pack(len(encoded)) + encoded, deadline)
    for blob in blobs:
        _write_all(fd, blob, deadline)


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


def _write_all(fd: int, data: bytes, deadline: float | None) -> None:
    view = memoryview(data)
    while view:
        _wait(fd, deadline, for_write=True)
        try:
            written = os.write(fd, view[: 1 << 16])
        except BlockingIOError:  # non-blocking fd (the parent's side): wait for room again
            continue
        except BrokenPipeError:
            raise ChannelClosed() from None
        view = view[written:]


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks = []
    while size:
        _wait(fd, deadline, for_write=False)
        try:
            chunk = os.read(fd, min(size, 1 << 20))
        except BlockingIOError:
            continue
        if not chunk:
            raise ChannelClosed()
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
