"""Tensor frames, the hot path of the verifier's pipe (filters.verifier.ipc): every checked call's inputs go
to the child and its outputs come back as raw storage spans with a JSON description. They must arrive
bit for bit with the layout they had, and a frame forged by a hostile child must be refused, never trusted
into an out-of-bounds view or a pickle."""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import threading

import pytest
import torch

from filters.verifier.ipc import (
    FRAME_ALIGN, pack_tensors, read_message, unpack_tensors, widen_pipe, write_message,
)


def _through_a_pipe(values, header=None):
    """`values` packed, sent through a real pipe by a writer thread, read back and unpacked."""
    read_fd, write_fd = os.pipe()
    widen_pipe(write_fd)
    frame = pack_tensors(values)
    writer = threading.Thread(target=write_message, args=(write_fd, header or {"op": "run"}, [frame]))
    writer.start()
    try:
        got_header, blobs = read_message(read_fd, max_blob_bytes=1 << 30)
    finally:
        writer.join()
        os.close(read_fd)
        os.close(write_fd)
    return got_header, unpack_tensors(blobs[0])


def _bits(t: torch.Tensor) -> bytes:
    return t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def test_tensors_arrive_bit_for_bit_with_their_layout():
    base = torch.randn(6, 10)
    nan_payload = torch.tensor([1.0, -0.0, float("nan"), float("inf")]).view(torch.int32)
    nan_payload[2] = 0x7FC00ABC  # a NaN with a payload: compared by bits, not by value
    values = [
        base,                                  # contiguous
        base.t(),                              # transposed: strides kept
        base[1:5, 2:9],                        # a slice: offset into a larger storage
        torch.randn(3, 1).expand(3, 7),        # stride 0: only the span's bytes cross
        torch.tensor(2.5),                     # 0-dim
        torch.empty(0, 4),                     # empty
        torch.randn(5, 8, dtype=torch.bfloat16),
        torch.rand(9) > 0.5,                   # bool
        torch.arange(7, dtype=torch.int64),
        nan_payload.view(torch.float32),
        3, 1.5, True, None, "text",            # JSON scalars
        [1, 2, 3],                             # anything else: torch.save bytes inside the frame
        torch.eye(3).to_sparse(),              # a tensor without strides, too
    ]
    _, got = _through_a_pipe(values)
    assert len(got) == len(values)
    for sent, received in zip(values, got):
        if isinstance(sent, torch.Tensor) and sent.layout != torch.strided:
            assert torch.equal(received.to_dense(), sent.to_dense())
        elif isinstance(sent, torch.Tensor):
            assert received.dtype == sent.dtype and received.shape == sent.shape
            assert received.stride() == sent.stride() or sent.numel() == 0
            assert _bits(received) == _bits(sent)
        else:
            assert received == sent and type(received) is type(sent)


def test_a_large_tensor_crosses_in_one_frame():
    big = torch.randn(3 << 20)  # 12 MiB: many pipe buffers' worth
    header, (got,) = _through_a_pipe([big], {"op": "run", "note": "x"})
    assert header["note"] == "x" and torch.equal(got, big)


def test_each_tensor_starts_aligned_in_the_frame():
    frame = pack_tensors([torch.randn(3, dtype=torch.float16), torch.randn(5, dtype=torch.float64)])
    blob = b"".join(bytes(part) for part in frame)
    head = struct.unpack_from(">Q", blob)[0]
    meta = json.loads(blob[8:8 + head])
    assert (8 + head) % FRAME_ALIGN == 0
    assert all(item["at"] % FRAME_ALIGN == 0 for item in meta)


def _forged(meta, data: bytes = b"\0" * 256) -> bytearray:
    head = json.dumps(meta).encode()
    pad = -(-(8 + len(head)) // FRAME_ALIGN) * FRAME_ALIGN - 8 - len(head)
    return bytearray(struct.pack(">Q", len(head) + pad) + head + b" " * pad + data)


GOOD = {"tensor": "float32", "shape": [4], "stride": [1], "nbytes": 16, "at": 0}


@pytest.mark.parametrize("meta", [
    [{**GOOD, "at": 250}],                         # bytes past the end of the frame
    [{**GOOD, "nbytes": 1 << 40}],                 # announces more than the frame holds
    [{**GOOD, "at": -64}],
    [{**GOOD, "tensor": "nn"}],                    # a torch attribute that is no dtype
    [{**GOOD, "tensor": ["float32"]}],
    [{**GOOD, "shape": [64], "stride": [1]}],      # the view would reach past its bytes
    [{**GOOD, "shape": [4], "stride": [100]}],
    [{**GOOD, "shape": [-4], "stride": [1]}],
    [{**GOOD, "shape": [4.0], "stride": [1]}],
    [{**GOOD, "shape": [4, 1], "stride": [1]}],
    [{**GOOD, "at": 2}],                           # misaligned for the dtype
    [{**GOOD, "extra": 1}],                        # a field no item has
    [{"value": {"a": 1}}],                         # not a JSON scalar
    [{"saved": 300, "at": 0}],
    ["not an object"],
    {"not": "a list"},
    [{"value": 1}] * 5000,                         # too many items
])
def test_a_forged_frame_is_refused(meta):
    with pytest.raises(ValueError):
        unpack_tensors(_forged(meta))


def test_a_frame_cannot_smuggle_a_pickle():
    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    payload = io.BytesIO()
    pickle.dump(Boom(), payload)
    data = payload.getvalue()
    frame = _forged([{"saved": len(data), "at": 0}], data + b"\0" * 64)
    with pytest.raises(Exception) as caught:
        unpack_tensors(frame)
    assert "pwned" not in str(caught.value)


def test_a_truncated_frame_is_refused():
    with pytest.raises(ValueError):
        unpack_tensors(bytearray(b"\0\0\0"))
    with pytest.raises(ValueError):
        unpack_tensors(bytearray(struct.pack(">Q", 10_000) + b"[]"))
